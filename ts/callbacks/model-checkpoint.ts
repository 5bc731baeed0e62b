/**
 * ModelCheckpoint (Keras): saves the model during fit, after every epoch or only when the
 * monitored metric improves. A checkpoint holds the weights, the optimizer's state
 * (includeOptimizer, default true), the epoch and the random generator's state, so
 * fe.io.loadCheckpoint + fit({ initialEpoch }) continues exactly as if never stopped.
 */
import { Callback, type CallbackHooks, type Logs } from '../callbacks';
import type { IOHandler, SaveResult } from '../io/types';
import { getRandomState } from '../ops/random';

export interface ModelCheckpointArgs {
  /**
   * Where to save: a URL ('file://ckpt/epoch-{epoch:02d}', 'indexeddb://best', …) whose
   * {epoch} (1-based, as Keras) and {<log key>} fields (e.g. {val_loss:.4f}) are filled in,
   * or an IOHandler.
   */
  filepath: string | IOHandler;
  /** The metric that decides the best model (default 'val_loss'). */
  monitor?: string;
  /** Save only when `monitor` improves on the best so far (default false: every epoch). */
  saveBestOnly?: boolean;
  /** 'min', 'max' or 'auto' (max for accuracy-like names). */
  mode?: 'auto' | 'min' | 'max';
  /** Save the optimizer's state too (default true: training can resume exactly). */
  includeOptimizer?: boolean;
  /** The best value to beat at the start (e.g. the one of a resumed run). */
  initialValueThreshold?: number;
  /** 1: print a line at each save. */
  verbose?: 0 | 1;
}

/** What a checkpoint stores in model.json's userDefinedMetadata.ferrite.checkpoint. */
export interface CheckpointInfo {
  /** The epoch that had just ended (0-based): resume with initialEpoch = epoch + 1. */
  epoch: number;
  logs: Logs;
  /** fe's random generator state (shuffling, dropout) at the end of that epoch. */
  randomState: number;
  monitor: string;
  best: number | null;
}

interface SavingModel {
  save(handlerOrURL: string | IOHandler, config?: Record<string, unknown>): Promise<SaveResult>;
}

/** Fills {epoch} and {key[:format]} as Python's str.format does for Keras' filepath. */
export function formatCheckpointPath(template: string, epoch: number, logs: Logs): string {
  return template.replace(/\{(\w+)(?::([^}]*))?\}/g, (_m, key: string, spec: string | undefined) => {
    const v = key === 'epoch' ? epoch + 1 : logs[key];
    if (v === undefined) {
      throw new Error(`modelCheckpoint: filepath field {${key}} is not 'epoch' nor in the epoch logs (${Object.keys(logs).join(', ')})`);
    }
    if (!spec) return String(v);
    const fixed = /^\.(\d+)f$/.exec(spec);
    if (fixed) return v.toFixed(Number(fixed[1]));
    const padded = /^0(\d+)d$/.exec(spec);
    if (padded) return String(Math.trunc(v)).padStart(Number(padded[1]), '0');
    if (spec === 'd') return String(Math.trunc(v));
    throw new Error(`modelCheckpoint: unsupported format '{${key}:${spec}}' (use d, 0Nd or .Nf)`);
  });
}

export class ModelCheckpoint extends Callback implements CallbackHooks {
  readonly filepath: string | IOHandler;
  readonly monitor: string;
  readonly saveBestOnly: boolean;
  readonly includeOptimizer: boolean;
  readonly verbose: number;
  private better: (a: number, b: number) => boolean;
  private initialBest: number;
  /** The best monitored value so far (±Infinity before any). */
  best: number;
  /** Where the last checkpoint went (the URL, or the handler). */
  lastSaved: string | IOHandler | null = null;
  /** The epoch of the last checkpoint (0-based), or −1. */
  lastEpoch = -1;

  constructor(args: ModelCheckpointArgs) {
    super();
    if (!args || (typeof args.filepath !== 'string' && typeof args.filepath?.save !== 'function')) {
      throw new Error('modelCheckpoint: filepath must be a URL string or an IOHandler with save()');
    }
    this.filepath = args.filepath;
    this.monitor = args.monitor ?? 'val_loss';
    this.saveBestOnly = args.saveBestOnly ?? false;
    this.includeOptimizer = args.includeOptimizer ?? true;
    this.verbose = args.verbose ?? 0;
    const mode = args.mode ?? 'auto';
    if (!['auto', 'min', 'max'].includes(mode)) throw new Error(`modelCheckpoint: mode must be 'auto', 'min' or 'max', got '${mode}'`);
    const maximize = mode === 'max' || (mode === 'auto' && /acc|auc|precision|recall|fmeasure/.test(this.monitor));
    this.better = maximize ? (a, b) => a > b : (a, b) => a < b;
    this.initialBest = args.initialValueThreshold ?? (maximize ? -Infinity : Infinity);
    this.best = this.initialBest;
  }

  onTrainBegin(): void {
    this.best = this.initialBest;
  }

  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    const current = logs[this.monitor];
    if (this.saveBestOnly) {
      if (current === undefined) {
        throw new Error(`modelCheckpoint: metric '${this.monitor}' is not in the epoch logs (${Object.keys(logs).join(', ')})`);
      }
      if (!this.better(current, this.best)) return;
      this.best = current;
    } else if (current !== undefined && this.better(current, this.best)) {
      this.best = current;
    }
    const model = this.model as unknown as SavingModel | null;
    if (!model || typeof model.save !== 'function') throw new Error('modelCheckpoint: the model being trained cannot be saved');
    const target = typeof this.filepath === 'string' ? formatCheckpointPath(this.filepath, epoch, logs) : this.filepath;
    const info: CheckpointInfo = {
      epoch, logs: { ...logs }, randomState: getRandomState(), monitor: this.monitor, best: Number.isFinite(this.best) ? this.best : null,
    };
    await model.save(target, { includeOptimizer: this.includeOptimizer, userDefinedMetadata: { ferrite: { checkpoint: info } } });
    this.lastSaved = target;
    this.lastEpoch = epoch;
    if (this.verbose) {
      const where = typeof target === 'string' ? target : 'the handler';
      console.log(`Epoch ${epoch + 1}: ${this.saveBestOnly ? `${this.monitor} improved to ${current}, ` : ''}saved the model to ${where}`);
    }
  }
}

export const modelCheckpoint = (args: ModelCheckpointArgs) => new ModelCheckpoint(args);
