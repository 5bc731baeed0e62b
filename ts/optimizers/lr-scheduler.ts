/**
 * PyTorch's learning-rate schedulers (torch.optim.lr_scheduler), as fe.optim.lrScheduler:
 *
 *   const sched = fe.optim.lrScheduler.stepLR(opt, { stepSize: 30, gamma: 0.1 });
 *   for (…epochs) { train(); sched.step(); }   // sched.getLastLr() → [lr]
 *
 * Each sets the optimizer's learning rate at construction (step 0) and on every step(), with
 * PyTorch's formulas — the recursive ("chainable") forms where PyTorch uses them, so a rate
 * changed by hand between steps carries on as it does in PyTorch. Options are camelCase
 * (step_size → stepSize, T_max → tMax, eta_min → etaMin, max_lr → maxLr, …).
 */
import { checkOptionKeys, Optimizer } from './optimizer';
import { TorchAdam, TorchRMSprop, TorchSGD } from './torch';

function checkOptimizer(cls: string, opt: unknown): Optimizer {
  if (!(opt instanceof Optimizer)) throw new Error(`lrScheduler.${cls}: the first argument must be an optimizer, got ${String(opt)}`);
  if (opt.learningRateSchedule) {
    throw new Error(`lrScheduler.${cls}: the optimizer's learning rate comes from a ${opt.learningRateSchedule.className} schedule; create it with a number`);
  }
  return opt;
}

function num(cls: string, key: string, v: unknown, test: (x: number) => boolean, rule: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !test(v)) throw new Error(`lrScheduler.${cls}: ${key} must be ${rule}, got ${String(v)}`);
  return v;
}

const positiveInt = (cls: string, key: string, v: unknown) => num(cls, key, v, (x) => Number.isInteger(x) && x > 0, 'a positive integer');

/** The base of the epoch/step schedulers: step() advances lastEpoch and sets the rate. */
export abstract class LRScheduler {
  readonly optimizer: Optimizer;
  /** Steps taken (0 after construction, as PyTorch's last_epoch). */
  lastEpoch = -1;
  /** The optimizer's rate when the scheduler was made (PyTorch's base_lrs[0]). */
  readonly baseLr: number;
  private lastLr: number;

  constructor(cls: string, optimizer: Optimizer, baseLr?: number) {
    this.optimizer = checkOptimizer(cls, optimizer);
    this.baseLr = baseLr ?? optimizer.learningRate;
    this.lastLr = this.optimizer.learningRate;
  }

  /** PyTorch's base_lrs (one parameter group). */
  get baseLrs(): number[] {
    return [this.baseLr];
  }

  /** The rate for lastEpoch, from the optimizer's current rate (PyTorch's get_lr()). */
  protected abstract rate(current: number): number;

  /** Advances one step (an epoch or a batch, as the scheduler is meant) and sets the rate. */
  step(): void {
    this.lastEpoch++;
    const lr = this.rate(this.optimizer.learningRate);
    this.optimizer.learningRate = lr;
    this.lastLr = lr;
  }

  /** The rate set by the last step, one per parameter group (PyTorch's get_last_lr()). */
  getLastLr(): number[] {
    return [this.lastLr];
  }

  /** PyTorch's initial step, made by every subclass constructor once its fields are set. */
  protected initialStep(): void {
    this.step();
  }
}

export interface StepLROptions { stepSize: number; gamma?: number }

/** lr = baseLr · gamma^⌊epoch / stepSize⌋ (multiplies by gamma every stepSize steps). */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;
  constructor(optimizer: Optimizer, o: StepLROptions) {
    checkOptionKeys('lrScheduler.stepLR', o, ['stepSize', 'gamma']);
    super('stepLR', optimizer);
    this.stepSize = positiveInt('stepLR', 'stepSize', o?.stepSize);
    this.gamma = num('stepLR', 'gamma', o.gamma ?? 0.1, (x) => x > 0, 'positive');
    this.initialStep();
  }
  protected rate(current: number): number {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return current;
    return current * this.gamma;
  }
}

export interface MultiStepLROptions { milestones: number[]; gamma?: number }

/** lr = baseLr · gamma^(number of milestones ≤ epoch). */
export class MultiStepLR extends LRScheduler {
  readonly milestones: number[];
  readonly gamma: number;
  constructor(optimizer: Optimizer, o: MultiStepLROptions) {
    checkOptionKeys('lrScheduler.multiStepLR', o, ['milestones', 'gamma']);
    super('multiStepLR', optimizer);
    if (!Array.isArray(o?.milestones)) throw new Error(`lrScheduler.multiStepLR: milestones must be an array of step numbers, got ${String(o?.milestones)}`);
    this.milestones = o.milestones.map((m, i) => positiveInt('multiStepLR', `milestones[${i}]`, m)).sort((a, b) => a - b);
    this.gamma = num('multiStepLR', 'gamma', o.gamma ?? 0.1, (x) => x > 0, 'positive');
    this.initialStep();
  }
  protected rate(current: number): number {
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    return current * this.gamma ** hits;
  }
}

export interface ExponentialLROptions { gamma: number }

/** lr = baseLr · gamma^epoch. */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;
  constructor(optimizer: Optimizer, o: ExponentialLROptions) {
    checkOptionKeys('lrScheduler.exponentialLR', o, ['gamma']);
    super('exponentialLR', optimizer);
    this.gamma = num('exponentialLR', 'gamma', o?.gamma, (x) => x > 0, 'positive');
    this.initialStep();
  }
  protected rate(current: number): number {
    return this.lastEpoch === 0 ? current : current * this.gamma;
  }
}

export interface LambdaLROptions { lrLambda: (epoch: number) => number }

/** lr = baseLr · lrLambda(epoch). */
export class LambdaLR extends LRScheduler {
  readonly lrLambda: (epoch: number) => number;
  constructor(optimizer: Optimizer, o: LambdaLROptions) {
    checkOptionKeys('lrScheduler.lambdaLR', o, ['lrLambda']);
    super('lambdaLR', optimizer);
    if (typeof o?.lrLambda !== 'function') throw new Error('lrScheduler.lambdaLR: lrLambda must be a function of the epoch');
    this.lrLambda = o.lrLambda;
    this.initialStep();
  }
  protected rate(): number {
    const f = this.lrLambda(this.lastEpoch);
    return num('lambdaLR', `lrLambda(${this.lastEpoch})`, f, (x) => x >= 0, 'a non-negative number') * this.baseLr;
  }
}

export interface CosineAnnealingLROptions { tMax: number; etaMin?: number }

/**
 * η_t = η_min + (η_base − η_min)·(1 + cos(π·t/tMax))/2, computed recursively as PyTorch does
 * (which continues the cosine past tMax, rising again).
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;
  constructor(optimizer: Optimizer, o: CosineAnnealingLROptions) {
    checkOptionKeys('lrScheduler.cosineAnnealingLR', o, ['tMax', 'etaMin']);
    super('cosineAnnealingLR', optimizer);
    this.tMax = positiveInt('cosineAnnealingLR', 'tMax', o?.tMax);
    this.etaMin = num('cosineAnnealingLR', 'etaMin', o.etaMin ?? 0, (x) => x >= 0, 'a non-negative number');
    this.initialStep();
  }
  protected rate(current: number): number {
    const t = this.lastEpoch;
    const T = this.tMax;
    const { baseLr, etaMin } = this;
    if (t === 0) return current;
    if ((t - 1 - T) % (2 * T) === 0) return current + ((baseLr - etaMin) * (1 - Math.cos(Math.PI / T))) / 2;
    return ((1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T))) * (current - etaMin) + etaMin;
  }
}

export interface OneCycleLROptions {
  maxLr: number;
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  cycleMomentum?: boolean;
  baseMomentum?: number;
  maxMomentum?: number;
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
}

interface Phase { endStep: number; startLr: number; endLr: number; startMomentum: number; endMomentum: number }

/**
 * The 1cycle policy (Smith & Topsakian), stepped after every batch: the rate rises from
 * maxLr/divFactor to maxLr over pctStart of totalSteps, then falls to
 * maxLr/divFactor/finalDivFactor (cosine or linear annealing; threePhase as PyTorch), and the
 * momentum (or Adam's β1) moves the opposite way between maxMomentum and baseMomentum.
 */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly cycleMomentum: boolean;
  private readonly phases: Phase[];
  private readonly anneal: (start: number, end: number, pct: number) => number;
  constructor(optimizer: Optimizer, o: OneCycleLROptions) {
    const keys = ['maxLr', 'totalSteps', 'epochs', 'stepsPerEpoch', 'pctStart', 'annealStrategy', 'cycleMomentum', 'baseMomentum', 'maxMomentum', 'divFactor', 'finalDivFactor', 'threePhase'];
    checkOptionKeys('lrScheduler.oneCycleLR', o, keys);
    const maxLr = num('oneCycleLR', 'maxLr', o?.maxLr, (x) => x > 0, 'positive');
    const divFactor = num('oneCycleLR', 'divFactor', o.divFactor ?? 25, (x) => x > 0, 'positive');
    const finalDivFactor = num('oneCycleLR', 'finalDivFactor', o.finalDivFactor ?? 1e4, (x) => x > 0, 'positive');
    const initialLr = maxLr / divFactor;
    super('oneCycleLR', optimizer, initialLr);
    if (o.totalSteps !== undefined) this.totalSteps = positiveInt('oneCycleLR', 'totalSteps', o.totalSteps);
    else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      this.totalSteps = positiveInt('oneCycleLR', 'epochs', o.epochs) * positiveInt('oneCycleLR', 'stepsPerEpoch', o.stepsPerEpoch);
    } else throw new Error('lrScheduler.oneCycleLR: you must define either totalSteps or both epochs and stepsPerEpoch');
    const pctStart = num('oneCycleLR', 'pctStart', o.pctStart ?? 0.3, (x) => x >= 0 && x <= 1, 'in [0, 1]');
    const strategy = o.annealStrategy ?? 'cos';
    if (strategy !== 'cos' && strategy !== 'linear') throw new Error(`lrScheduler.oneCycleLR: annealStrategy must be 'cos' or 'linear', got ${String(strategy)}`);
    this.anneal = strategy === 'cos'
      ? (start, end, pct) => end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1)
      : (start, end, pct) => (end - start) * pct + start;
    const minLr = initialLr / finalDivFactor;
    const baseM = o.baseMomentum ?? 0.85;
    const maxM = o.maxMomentum ?? 0.95;
    const T = this.totalSteps;
    this.phases = o.threePhase
      ? [
          { endStep: pctStart * T - 1, startLr: initialLr, endLr: maxLr, startMomentum: maxM, endMomentum: baseM },
          { endStep: 2 * pctStart * T - 2, startLr: maxLr, endLr: initialLr, startMomentum: baseM, endMomentum: maxM },
          { endStep: T - 1, startLr: initialLr, endLr: minLr, startMomentum: maxM, endMomentum: maxM },
        ]
      : [
          { endStep: pctStart * T - 1, startLr: initialLr, endLr: maxLr, startMomentum: maxM, endMomentum: baseM },
          { endStep: T - 1, startLr: maxLr, endLr: minLr, startMomentum: baseM, endMomentum: maxM },
        ];
    this.cycleMomentum = o.cycleMomentum ?? true;
    if (this.cycleMomentum && !OneCycleLR.ownsMomentum(optimizer)) {
      throw new Error(
        `lrScheduler.oneCycleLR: optimizer ${optimizer.className} has no momentum or betas to cycle ` +
          '(fe.optim.sgd / rmsprop / adam / adamW have); pass cycleMomentum: false',
      );
    }
    this.optimizer.learningRate = initialLr;
    this.initialStep();
  }

  private static ownsMomentum(opt: Optimizer): boolean {
    return opt instanceof TorchSGD || opt instanceof TorchRMSprop || opt instanceof TorchAdam;
  }

  protected rate(): number {
    const step = this.lastEpoch;
    if (step > this.totalSteps) {
      throw new Error(`lrScheduler.oneCycleLR: tried to step ${step} times; the specified number of total steps is ${this.totalSteps}`);
    }
    let start = 0;
    for (let i = 0; i < this.phases.length; i++) {
      const ph = this.phases[i];
      if (step <= ph.endStep || i === this.phases.length - 1) {
        const pct = (step - start) / (ph.endStep - start);
        if (this.cycleMomentum) this.setMomentum(this.anneal(ph.startMomentum, ph.endMomentum, pct));
        return this.anneal(ph.startLr, ph.endLr, pct);
      }
      start = ph.endStep;
    }
    throw new Error('lrScheduler.oneCycleLR: no phase (unreachable)');
  }

  /** fe.optim's sgd and rmsprop cycle their momentum, adam and adamW their β1. */
  private setMomentum(m: number): void {
    const opt = this.optimizer;
    if (opt instanceof TorchAdam) opt.betas = [m, opt.betas[1]];
    else if (opt instanceof TorchSGD || opt instanceof TorchRMSprop) opt.momentum = m;
  }
}

export interface ReduceLROnPlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number;
  eps?: number;
}

/**
 * Lowers the rate by `factor` once the metric given to step(metric) has not improved for more
 * than `patience` steps (PyTorch's rule: improvement beyond `threshold`, relative or absolute;
 * `cooldown` steps of rest after a reduction; never below minLr; changes smaller than eps
 * are skipped).
 */
export class ReduceLROnPlateau {
  readonly optimizer: Optimizer;
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLr: number;
  readonly eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  private lastLr: number;

  constructor(optimizer: Optimizer, o: ReduceLROnPlateauOptions = {}) {
    checkOptionKeys('lrScheduler.reduceLROnPlateau', o, ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps']);
    const cls = 'reduceLROnPlateau';
    this.optimizer = checkOptimizer(cls, optimizer);
    this.mode = o.mode ?? 'min';
    if (this.mode !== 'min' && this.mode !== 'max') throw new Error(`lrScheduler.reduceLROnPlateau: mode must be 'min' or 'max', got ${String(o.mode)}`);
    this.factor = num(cls, 'factor', o.factor ?? 0.1, (x) => x >= 0 && x < 1, 'in [0, 1)');
    this.patience = num(cls, 'patience', o.patience ?? 10, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
    this.threshold = num(cls, 'threshold', o.threshold ?? 1e-4, (x) => x >= 0, 'non-negative');
    this.thresholdMode = o.thresholdMode ?? 'rel';
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') {
      throw new Error(`lrScheduler.reduceLROnPlateau: thresholdMode must be 'rel' or 'abs', got ${String(o.thresholdMode)}`);
    }
    this.cooldown = num(cls, 'cooldown', o.cooldown ?? 0, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
    this.minLr = num(cls, 'minLr', o.minLr ?? 0, (x) => x >= 0, 'non-negative');
    this.eps = num(cls, 'eps', o.eps ?? 1e-8, (x) => x >= 0, 'non-negative');
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.lastLr = optimizer.learningRate;
  }

  private isBetter(a: number): boolean {
    const { best, threshold } = this;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return this.thresholdMode === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
  }

  /** One epoch's metric (e.g. the validation loss). */
  step(metric: number | { dataSync(): ArrayLike<number> }): void {
    const current = typeof metric === 'number' ? metric : Number(metric?.dataSync?.()[0]);
    if (typeof current !== 'number' || Number.isNaN(current)) {
      throw new Error(`lrScheduler.reduceLROnPlateau: step(metric) needs the metric as a number, got ${String(metric)}`);
    }
    this.lastEpoch++;
    if (this.isBetter(current)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      const old = this.optimizer.learningRate;
      const lr = Math.max(old * this.factor, this.minLr);
      if (old - lr > this.eps) this.optimizer.learningRate = lr;
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.learningRate;
  }

  getLastLr(): number[] {
    return [this.lastLr];
  }
}

/**
 * fe.optim.lrScheduler: factories with PyTorch's names in camelCase, and the classes
 * (fe.optim.lrScheduler.StepLR, …) for `new`.
 */
export const lrScheduler = {
  stepLR: (optimizer: Optimizer, options: StepLROptions) => new StepLR(optimizer, options),
  multiStepLR: (optimizer: Optimizer, options: MultiStepLROptions) => new MultiStepLR(optimizer, options),
  exponentialLR: (optimizer: Optimizer, options: ExponentialLROptions) => new ExponentialLR(optimizer, options),
  lambdaLR: (optimizer: Optimizer, options: LambdaLROptions) => new LambdaLR(optimizer, options),
  cosineAnnealingLR: (optimizer: Optimizer, options: CosineAnnealingLROptions) => new CosineAnnealingLR(optimizer, options),
  oneCycleLR: (optimizer: Optimizer, options: OneCycleLROptions) => new OneCycleLR(optimizer, options),
  reduceLROnPlateau: (optimizer: Optimizer, options?: ReduceLROnPlateauOptions) => new ReduceLROnPlateau(optimizer, options),
  StepLR, MultiStepLR, ExponentialLR, LambdaLR, CosineAnnealingLR, OneCycleLR, ReduceLROnPlateau,
};
