/**
 * The per-epoch progress line of fit(verbose: 1): a live bar in a terminal; one line per
 * epoch otherwise (logs, CI). Writes to process.stdout when there is one, else console.log.
 */
import type { Logs } from '../callbacks';

function stdout(): { isTTY?: boolean; write(s: string): unknown; columns?: number } | null {
  const p = (globalThis as { process?: { stdout?: { isTTY?: boolean; write(s: string): unknown } } }).process;
  return p?.stdout ?? null;
}

function formatLogs(logs: Logs): string {
  return Object.entries(logs)
    .map(([k, v]) => `${k}: ${Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toFixed(4)}`)
    .join(' - ');
}

export class ProgressBar {
  private out = stdout();
  private live = !!this.out?.isTTY;
  private lastDraw = 0;
  private start = 0;

  constructor(private epochs: number) {}

  /** `steps`: batches in the epoch, or null when unknown (a dataset of unknown size): a counter then. */
  epochBegin(epoch: number, steps: number | null): void {
    this.start = performance.now();
    this.lastDraw = 0;
    this.steps = steps;
    this.done = 0;
    if (this.live) this.out!.write(`Epoch ${epoch + 1}/${this.epochs}\n`);
  }

  batchEnd(step: number, steps: number | null, logs: Logs): void {
    this.done = step + 1;
    if (!this.live) return;
    const now = performance.now();
    if ((steps === null || step + 1 < steps) && now - this.lastDraw < 100) return; // redraw at most 10×/s
    this.lastDraw = now;
    const elapsed = (now - this.start) / 1000;
    if (steps === null) {
      this.out!.write(`\r${this.counter()} ${elapsed.toFixed(1)}s - ${formatLogs(logs)}\x1b[K`);
      return;
    }
    const eta = ((steps - step - 1) * elapsed) / (step + 1);
    this.out!.write(`\r${this.bar(step, steps)} ETA ${eta.toFixed(1)}s - ${formatLogs(logs)}\x1b[K`);
  }

  private steps: number | null = 0;
  private done = 0;

  private counter(): string {
    return `${this.done} batch${this.done === 1 ? '' : 'es'}`;
  }

  private bar(step: number, steps: number): string {
    const width = 30;
    const done = Math.round(((step + 1) / steps) * width);
    const head = done ? (step + 1 === steps ? '=' : '>') : '';
    const bar = '='.repeat(Math.max(0, done - 1)) + head + '.'.repeat(width - done);
    return `${String(step + 1).padStart(String(steps).length)}/${steps} [${bar}]`;
  }

  epochEnd(epoch: number, logs: Logs, samples: number): void {
    const secs = (performance.now() - this.start) / 1000;
    const rate = `${Math.round(samples / secs)} samples/s`;
    const line = `${formatLogs(logs)} - ${secs.toFixed(1)}s - ${rate}`;
    const done = this.steps === null ? this.counter() : this.bar(this.done - 1, this.steps);
    if (this.live) this.out!.write(`\r${done} ${line}\x1b[K\n`);
    else if (this.out) this.out.write(`Epoch ${epoch + 1}/${this.epochs} - ${line}\n`);
    else console.log(`Epoch ${epoch + 1}/${this.epochs} - ${line}`);
  }
}
