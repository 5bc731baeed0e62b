/**
 * Keras CSVLogger: one row per epoch — 'epoch' then the log keys in sorted order (fixed by the
 * first epoch; a key missing later is written 'NA') — written to a file in Node.js (flushed
 * every epoch; `append` continues an existing file, writing the header only if it is empty),
 * and kept in memory as `text`. Without a filename (or in a browser, where files cannot be
 * written) the log is only in memory: `fe.callbacks.csvLogger()` then read `logger.text`.
 */
import { Callback, type CallbackHooks, type Logs } from '../callbacks';
import { checkOptionKeys } from '../optimizers/optimizer';

export interface CSVLoggerArgs {
  /** A file path (Node.js); omit (or null) to keep the log in memory only. */
  filename?: string | null;
  /** Field separator (default ','). */
  separator?: string;
  /** Append to an existing file rather than overwrite it (default false). */
  append?: boolean;
}

type NodeFs = typeof import('node:fs/promises');

const isNode = () => typeof process !== 'undefined' && !!process.versions?.node;

export class CSVLogger extends Callback implements CallbackHooks {
  readonly filename: string | null;
  readonly separator: string;
  readonly append: boolean;
  /** What this logger has written (header and rows), newline-terminated lines. */
  text = '';
  private keys: string[] | null = null;
  /** Node's fs when writing a file (each epoch's rows are appended: no handle stays open). */
  private fs: NodeFs | null = null;
  private writeHeader = true;

  constructor(args: CSVLoggerArgs = {}) {
    super();
    checkOptionKeys('csvLogger', args, ['filename', 'separator', 'append']);
    this.filename = args.filename ?? null;
    this.separator = args.separator ?? ',';
    this.append = args.append ?? false;
    if (typeof this.separator !== 'string' || this.separator.length === 0 || /["\r\n]/.test(this.separator)) {
      throw new Error(`csvLogger: separator must be a non-empty string without quotes or newlines, got ${JSON.stringify(args.separator)}`);
    }
    if (this.filename !== null && (typeof this.filename !== 'string' || this.filename === '')) {
      throw new Error(`csvLogger: filename must be a path, got ${JSON.stringify(args.filename)}`);
    }
  }

  async onTrainBegin(): Promise<void> {
    this.keys = null;
    this.writeHeader = true;
    if (!this.append) this.text = '';
    else if (this.text !== '') this.writeHeader = false;
    if (this.filename === null) return;
    if (!isNode()) {
      throw new Error(
        `csvLogger: writing '${this.filename}' needs Node.js; in a browser make it without a filename ` +
          '(fe.callbacks.csvLogger()) and read logger.text',
      );
    }
    const fs: NodeFs = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:fs/promises');
    if (this.append) {
      const existing = await fs.readFile(this.filename, 'utf8').catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return '';
        throw e;
      });
      this.writeHeader = existing.length === 0;
    } else {
      await fs.writeFile(this.filename, '');
    }
    this.fs = fs;
  }

  private field(v: string | number): string {
    const s = String(v);
    return s.includes(this.separator) || /["\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  }

  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    if (this.keys === null) this.keys = Object.keys(logs).sort();
    let out = '';
    if (this.writeHeader) {
      out += ['epoch', ...this.keys].map((k) => this.field(k)).join(this.separator) + '\n';
      this.writeHeader = false;
    }
    out += [epoch, ...this.keys.map((k) => (k in logs ? logs[k] : 'NA'))].map((v) => this.field(v)).join(this.separator) + '\n';
    this.text += out;
    if (this.fs && this.filename !== null) await this.fs.appendFile(this.filename, out);
  }

  onTrainEnd(): void {
    this.fs = null;
  }
}
