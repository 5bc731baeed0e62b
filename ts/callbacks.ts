/** Training callbacks: plain objects of hooks, and EarlyStopping. */
import type { Optimizer } from './optimizers/optimizer';

export type Logs = Record<string, number>;

/** Any subset of these hooks; each may return a promise (awaited by fit). */
export interface CallbackHooks {
  onTrainBegin?(logs?: Logs): void | Promise<void>;
  onTrainEnd?(logs?: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs?: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs?: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs?: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs?: Logs): void | Promise<void>;
  /** When fit lets the event loop run (see fit's yieldEvery), TensorFlow.js' onYield. */
  onYield?(epoch: number, batch: number, logs?: Logs): void | Promise<void>;
}

/** What a callback may control on the model being trained. */
export interface TrainingModel {
  stopTraining: boolean;
  getWeights(): unknown[];
  setWeights(weights: never[]): void;
  /** The compiled optimizer (learning-rate callbacks set its learningRate). */
  readonly optimizer?: Optimizer | null;
}

/**
 * Thrown by a training step whose loss is NaN or infinite, before any update: the model keeps
 * its weights. `logs` are the batch's logs. fit stops with this error unless a callback
 * declares `stopsOnNonFiniteLoss` (terminateOnNaN), which ends training instead.
 */
export class NonFiniteLossError extends Error {
  constructor(message: string, readonly logs: Logs) {
    super(message);
    this.name = 'NonFiniteLossError';
  }
}

/** Whether a callback asks fit to end training, not fail, on a non-finite loss. */
export function stopsOnNonFiniteLoss(h: CallbackHooks): boolean {
  return (h as { stopsOnNonFiniteLoss?: unknown }).stopsOnNonFiniteLoss === true;
}

export abstract class Callback {
  model: TrainingModel | null = null;
  setModel(model: TrainingModel): void {
    this.model = model;
  }
}

export interface EarlyStoppingArgs {
  monitor?: string;
  minDelta?: number;
  patience?: number;
  verbose?: number;
  mode?: 'auto' | 'min' | 'max';
  baseline?: number;
  restoreBestWeights?: boolean;
}

/** Stops training when `monitor` has not improved for `patience` epochs (Keras semantics). */
export class EarlyStopping extends Callback implements CallbackHooks {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly baseline: number | undefined;
  readonly restoreBestWeights: boolean;
  private better: (a: number, b: number) => boolean;
  private wait = 0;
  private best = Infinity;
  private bestWeights: { dispose(): void }[] | null = null;
  stoppedEpoch = 0;

  constructor(args: EarlyStoppingArgs = {}) {
    super();
    this.monitor = args.monitor ?? 'val_loss';
    this.minDelta = Math.abs(args.minDelta ?? 0);
    this.patience = args.patience ?? 0;
    this.baseline = args.baseline;
    this.restoreBestWeights = args.restoreBestWeights ?? false;
    const mode = args.mode ?? 'auto';
    const maximize = mode === 'max' || (mode === 'auto' && /acc|auc|precision|recall/.test(this.monitor));
    this.better = maximize ? (a, b) => a - this.minDelta > b : (a, b) => a + this.minDelta < b;
    this.best = maximize ? -Infinity : Infinity;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = this.better(1, 0) ? -Infinity : Infinity;
    if (this.baseline !== undefined) this.best = this.baseline;
  }

  onEpochEnd(epoch: number, logs: Logs = {}): void {
    const current = logs[this.monitor];
    if (current === undefined) {
      throw new Error(`earlyStopping: metric '${this.monitor}' is not in the epoch logs (${Object.keys(logs).join(', ')})`);
    }
    if (this.better(current, this.best)) {
      this.best = current;
      this.wait = 0;
      if (this.restoreBestWeights && this.model) {
        this.bestWeights?.forEach((w) => w.dispose());
        this.bestWeights = this.model.getWeights() as { dispose(): void }[];
      }
      return;
    }
    this.wait++;
    if (this.wait >= this.patience && this.model) {
      this.stoppedEpoch = epoch;
      this.model.stopTraining = true;
      if (this.restoreBestWeights && this.bestWeights) this.model.setWeights(this.bestWeights as never[]);
    }
  }

  onTrainEnd(): void {
    this.bestWeights?.forEach((w) => w.dispose());
    this.bestWeights = null;
  }
}

export const callbacks = {
  earlyStopping: (args?: EarlyStoppingArgs) => new EarlyStopping(args),
};
