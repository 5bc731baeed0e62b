/**
 * Keras' learning-rate callbacks: ReduceLROnPlateau (lower the rate when a metric stops
 * improving) and LearningRateScheduler (the rate from a function of the epoch). Both set the
 * compiled optimizer's learningRate, so the optimizer must have been made with a number (a
 * LearningRateSchedule cannot be overridden; its optimizer says so).
 */
import { Callback, type CallbackHooks, type Logs, type TrainingModel } from '../callbacks';
import type { Optimizer } from '../optimizers/optimizer';
import { checkOptionKeys } from '../optimizers/optimizer';

function optimizerOf(who: string, model: TrainingModel | null): Optimizer {
  const opt = model?.optimizer;
  if (!opt) throw new Error(`${who}: the model has no optimizer (compile it before fit)`);
  return opt;
}

function num(who: string, key: string, v: unknown, ok: (x: number) => boolean, rule: string): number {
  if (typeof v !== 'number' || Number.isNaN(v) || !ok(v)) throw new Error(`${who}: ${key} must be ${rule}, got ${String(v)}`);
  return v;
}

export interface ReduceLROnPlateauArgs {
  /** The epoch log to watch (default 'val_loss'). */
  monitor?: string;
  /** new rate = rate · factor (default 0.1; must be < 1). */
  factor?: number;
  /** Epochs without improvement before the rate is lowered (default 10). */
  patience?: number;
  /** 1: print a line when the rate is lowered. */
  verbose?: 0 | 1;
  /** 'min', 'max', or 'auto': max when the monitor's name contains 'acc', else min. */
  mode?: 'auto' | 'min' | 'max';
  /** An improvement must exceed this (default 1e-4). */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** The rate never goes below this (default 0). */
  minLr?: number;
}

/** Keras 3 ReduceLROnPlateau. */
export class ReduceLROnPlateau extends Callback implements CallbackHooks {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly verbose: number;
  readonly mode: 'auto' | 'min' | 'max';
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  best = Infinity;
  wait = 0;
  cooldownCounter = 0;
  private better: (a: number, b: number) => boolean = () => false;

  constructor(args: ReduceLROnPlateauArgs = {}) {
    super();
    const who = 'reduceLROnPlateau';
    checkOptionKeys(who, args, ['monitor', 'factor', 'patience', 'verbose', 'mode', 'minDelta', 'cooldown', 'minLr']);
    this.monitor = args.monitor ?? 'val_loss';
    this.factor = num(who, 'factor', args.factor ?? 0.1, (x) => x < 1 && x >= 0, 'in [0, 1) (it multiplies the rate)');
    this.patience = num(who, 'patience', args.patience ?? 10, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
    this.verbose = args.verbose ?? 0;
    this.mode = args.mode ?? 'auto';
    if (!['auto', 'min', 'max'].includes(this.mode)) throw new Error(`${who}: mode must be 'auto', 'min' or 'max', got ${String(args.mode)}`);
    this.minDelta = num(who, 'minDelta', args.minDelta ?? 1e-4, (x) => x >= 0, 'non-negative');
    this.cooldown = num(who, 'cooldown', args.cooldown ?? 0, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
    this.minLr = num(who, 'minLr', args.minLr ?? 0, (x) => x >= 0, 'non-negative');
    this.reset();
  }

  private reset(): void {
    const minimize = this.mode === 'min' || (this.mode === 'auto' && !this.monitor.includes('acc'));
    this.better = minimize ? (a, b) => a < b - this.minDelta : (a, b) => a > b + this.minDelta;
    this.best = minimize ? Infinity : -Infinity;
    this.cooldownCounter = 0;
    this.wait = 0;
  }

  onTrainBegin(): void {
    this.reset();
  }

  onEpochEnd(epoch: number, logs: Logs = {}): void {
    const current = logs[this.monitor];
    if (current === undefined) {
      throw new Error(`reduceLROnPlateau: metric '${this.monitor}' is not in the epoch logs (${Object.keys(logs).join(', ')})`);
    }
    const opt = optimizerOf('reduceLROnPlateau', this.model);
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.wait = 0;
    }
    if (this.better(current, this.best)) {
      this.best = current;
      this.wait = 0;
    } else if (this.cooldownCounter === 0) {
      // (as Keras: the last cooldown epoch, just counted down, already counts as waiting)
      this.wait++;
      if (this.wait >= this.patience) {
        const old = opt.learningRate;
        if (old > Math.fround(this.minLr)) {
          const lr = Math.max(old * this.factor, this.minLr);
          opt.learningRate = lr;
          if (this.verbose) console.log(`\nEpoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${lr}.`);
          this.cooldownCounter = this.cooldown;
          this.wait = 0;
        }
      }
    }
  }
}

/** Keras LearningRateScheduler: at each epoch's start, rate = schedule(epoch, current rate). */
export class LearningRateScheduler extends Callback implements CallbackHooks {
  constructor(readonly schedule: (epoch: number, lr: number) => number, readonly verbose: 0 | 1 = 0) {
    super();
    if (typeof schedule !== 'function') throw new Error('learningRateScheduler: schedule must be a function (epoch, lr) => lr');
  }

  onEpochBegin(epoch: number): void {
    const opt = optimizerOf('learningRateScheduler', this.model);
    const lr = this.schedule(epoch, opt.learningRate);
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
      throw new Error(`learningRateScheduler: the schedule returned ${String(lr)} for epoch ${epoch}; it must return a non-negative number`);
    }
    opt.learningRate = lr;
    if (this.verbose) console.log(`\nEpoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${lr}.`);
  }
}
