/**
 * Learning-rate schedules in the Keras 3 form (keras.optimizers.schedules): a function of the
 * optimizer's step count (the number of updates already applied), given to an optimizer as its
 * learningRate: `fe.train.sgd(fe.train.exponentialDecay({ initialLearningRate: 0.1,
 * decaySteps: 1000, decayRate: 0.96 }))`. The update number t (from 0) uses schedule(t).
 */

export abstract class LearningRateSchedule {
  abstract readonly className: string;
  /** The learning rate for the update that follows `step` updates. */
  abstract at(step: number): number;
  /** camelCase Keras config (snake_case in Keras' own files). */
  abstract getConfig(): Record<string, unknown>;
}

function positive(cls: string, key: string, v: unknown, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new Error(`${cls}: ${key} must be a positive ${integer ? 'integer' : 'number'}, got ${String(v)}`);
  }
  return v;
}

function finite(cls: string, key: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${cls}: ${key} must be a finite number, got ${String(v)}`);
  return v;
}

/** Throws on keys a schedule does not know (a misspelt option must not be ignored). */
function onlyKeys(cls: string, args: object, allowed: readonly string[]): void {
  for (const k of Object.keys(args)) {
    if (!allowed.includes(k)) throw new Error(`${cls}: unknown option '${k}' (expected ${allowed.join(', ')})`);
  }
}

export interface ExponentialDecayArgs {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  staircase?: boolean;
  name?: string;
}

/** lr = initialLearningRate · decayRate^(step / decaySteps) (the exponent floored when staircase). */
export class ExponentialDecay extends LearningRateSchedule {
  readonly className = 'ExponentialDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;
  readonly name: string;
  constructor(args: ExponentialDecayArgs) {
    super();
    onlyKeys('exponentialDecay', args, ['initialLearningRate', 'decaySteps', 'decayRate', 'staircase', 'name']);
    this.initialLearningRate = finite('exponentialDecay', 'initialLearningRate', args.initialLearningRate);
    this.decaySteps = positive('exponentialDecay', 'decaySteps', args.decaySteps);
    this.decayRate = finite('exponentialDecay', 'decayRate', args.decayRate);
    this.staircase = args.staircase ?? false;
    this.name = args.name ?? 'ExponentialDecay';
  }
  at(step: number): number {
    let p = step / this.decaySteps;
    if (this.staircase) p = Math.floor(p);
    return this.initialLearningRate * this.decayRate ** p;
  }
  getConfig() {
    return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, decayRate: this.decayRate, staircase: this.staircase, name: this.name };
  }
}

export interface InverseTimeDecayArgs extends ExponentialDecayArgs {}

/** lr = initialLearningRate / (1 + decayRate · step / decaySteps) (floored when staircase). */
export class InverseTimeDecay extends LearningRateSchedule {
  readonly className = 'InverseTimeDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;
  readonly name: string;
  constructor(args: InverseTimeDecayArgs) {
    super();
    onlyKeys('inverseTimeDecay', args, ['initialLearningRate', 'decaySteps', 'decayRate', 'staircase', 'name']);
    this.initialLearningRate = finite('inverseTimeDecay', 'initialLearningRate', args.initialLearningRate);
    this.decaySteps = positive('inverseTimeDecay', 'decaySteps', args.decaySteps);
    this.decayRate = finite('inverseTimeDecay', 'decayRate', args.decayRate);
    this.staircase = args.staircase ?? false;
    this.name = args.name ?? 'InverseTimeDecay';
  }
  at(step: number): number {
    let p = step / this.decaySteps;
    if (this.staircase) p = Math.floor(p);
    return this.initialLearningRate / (1 + this.decayRate * p);
  }
  getConfig() {
    return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, decayRate: this.decayRate, staircase: this.staircase, name: this.name };
  }
}

export interface PolynomialDecayArgs {
  initialLearningRate: number;
  decaySteps: number;
  endLearningRate?: number;
  power?: number;
  cycle?: boolean;
  name?: string;
}

/**
 * lr = (initial − end)·(1 − step/decaySteps)^power + end, with step capped at decaySteps; when
 * `cycle`, decaySteps is instead stretched to the first multiple of itself ≥ step.
 */
export class PolynomialDecay extends LearningRateSchedule {
  readonly className = 'PolynomialDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly endLearningRate: number;
  readonly power: number;
  readonly cycle: boolean;
  readonly name: string;
  constructor(args: PolynomialDecayArgs) {
    super();
    onlyKeys('polynomialDecay', args, ['initialLearningRate', 'decaySteps', 'endLearningRate', 'power', 'cycle', 'name']);
    this.initialLearningRate = finite('polynomialDecay', 'initialLearningRate', args.initialLearningRate);
    this.decaySteps = positive('polynomialDecay', 'decaySteps', args.decaySteps);
    this.endLearningRate = finite('polynomialDecay', 'endLearningRate', args.endLearningRate ?? 0.0001);
    this.power = finite('polynomialDecay', 'power', args.power ?? 1);
    this.cycle = args.cycle ?? false;
    this.name = args.name ?? 'PolynomialDecay';
  }
  at(step: number): number {
    let decaySteps = this.decaySteps;
    let s = step;
    if (this.cycle) decaySteps *= step === 0 ? 1 : Math.ceil(step / this.decaySteps);
    else s = Math.min(step, decaySteps);
    return (this.initialLearningRate - this.endLearningRate) * (1 - s / decaySteps) ** this.power + this.endLearningRate;
  }
  getConfig() {
    return {
      initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, endLearningRate: this.endLearningRate,
      power: this.power, cycle: this.cycle, name: this.name,
    };
  }
}

export interface CosineDecayArgs {
  initialLearningRate: number;
  decaySteps: number;
  /** The final learning rate as a fraction of the decay's starting rate (default 0). */
  alpha?: number;
  /** Warm up linearly from initialLearningRate to this rate over warmupSteps, then decay from it. */
  warmupTarget?: number | null;
  warmupSteps?: number;
  name?: string;
}

/**
 * Cosine decay with optional linear warm-up (Keras 3 CosineDecay). Without warmupTarget:
 * lr = initial·((1 − α)·½(1 + cos(π·min(step, decaySteps)/decaySteps)) + α). With it: for
 * step < warmupSteps, lr = initial + (warmupTarget − initial)·step/warmupSteps; after, the same
 * cosine from warmupTarget over step − warmupSteps.
 */
export class CosineDecay extends LearningRateSchedule {
  readonly className = 'CosineDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly alpha: number;
  readonly warmupTarget: number | null;
  readonly warmupSteps: number;
  readonly name: string;
  constructor(args: CosineDecayArgs) {
    super();
    onlyKeys('cosineDecay', args, ['initialLearningRate', 'decaySteps', 'alpha', 'warmupTarget', 'warmupSteps', 'name']);
    this.initialLearningRate = finite('cosineDecay', 'initialLearningRate', args.initialLearningRate);
    this.decaySteps = positive('cosineDecay', 'decaySteps', args.decaySteps);
    this.alpha = finite('cosineDecay', 'alpha', args.alpha ?? 0);
    this.warmupTarget = args.warmupTarget == null ? null : finite('cosineDecay', 'warmupTarget', args.warmupTarget);
    this.warmupSteps = args.warmupSteps ?? 0;
    if (!(Number.isFinite(this.warmupSteps) && this.warmupSteps >= 0)) {
      throw new Error(`cosineDecay: warmupSteps must be ≥ 0, got ${args.warmupSteps}`);
    }
    if (this.warmupSteps > 0 && this.warmupTarget === null) {
      throw new Error('cosineDecay: warmupSteps needs a warmupTarget (the rate the warm-up reaches)');
    }
    this.name = args.name ?? 'CosineDecay';
  }
  private decay(step: number, from: number): number {
    const cosine = 0.5 * (1 + Math.cos((Math.PI * step) / this.decaySteps));
    return from * ((1 - this.alpha) * cosine + this.alpha);
  }
  at(step: number): number {
    if (this.warmupTarget === null) return this.decay(Math.min(step, this.decaySteps), this.initialLearningRate);
    const s = Math.min(step, this.decaySteps + this.warmupSteps);
    if (s < this.warmupSteps) {
      return (this.warmupTarget - this.initialLearningRate) * (s / this.warmupSteps) + this.initialLearningRate;
    }
    return this.decay(s - this.warmupSteps, this.warmupTarget);
  }
  getConfig() {
    return {
      initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, alpha: this.alpha,
      name: this.name, warmupTarget: this.warmupTarget, warmupSteps: this.warmupSteps,
    };
  }
}

export interface PiecewiseConstantDecayArgs {
  boundaries: number[];
  values: number[];
  name?: string;
}

/** values[0] while step ≤ boundaries[0], values[i] while boundaries[i−1] < step ≤ boundaries[i], the last value after. */
export class PiecewiseConstantDecay extends LearningRateSchedule {
  readonly className = 'PiecewiseConstantDecay';
  readonly boundaries: number[];
  readonly values: number[];
  readonly name: string;
  constructor(args: PiecewiseConstantDecayArgs) {
    super();
    onlyKeys('piecewiseConstantDecay', args, ['boundaries', 'values', 'name']);
    const { boundaries, values } = args;
    if (!Array.isArray(boundaries) || !Array.isArray(values) || boundaries.length !== values.length - 1) {
      throw new Error(
        `piecewiseConstantDecay: values must have one more element than boundaries, got ${values?.length} values for ${boundaries?.length} boundaries`,
      );
    }
    boundaries.forEach((b, i) => {
      finite('piecewiseConstantDecay', `boundaries[${i}]`, b);
      if (i > 0 && !(b > boundaries[i - 1])) throw new Error(`piecewiseConstantDecay: boundaries must increase strictly, got [${boundaries.join(', ')}]`);
    });
    values.forEach((v, i) => finite('piecewiseConstantDecay', `values[${i}]`, v));
    this.boundaries = [...boundaries];
    this.values = [...values];
    this.name = args.name ?? 'PiecewiseConstant';
  }
  at(step: number): number {
    const i = this.boundaries.findIndex((b) => step <= b);
    return this.values[i === -1 ? this.values.length - 1 : i];
  }
  getConfig() {
    return { boundaries: [...this.boundaries], values: [...this.values], name: this.name };
  }
}

/** A schedule from { className | class_name, config } with camelCase or snake_case keys (Keras files). */
export function scheduleFromConfig(spec: { class_name?: string; className?: string; config?: Record<string, unknown> }): LearningRateSchedule {
  const cls = String(spec.class_name ?? spec.className ?? '');
  const c: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec.config ?? {})) c[k.replace(/_+(\w)/g, (_m, x: string) => x.toUpperCase())] = v;
  switch (cls) {
    case 'ExponentialDecay': return new ExponentialDecay(c as unknown as ExponentialDecayArgs);
    case 'InverseTimeDecay': return new InverseTimeDecay(c as unknown as InverseTimeDecayArgs);
    case 'PolynomialDecay': return new PolynomialDecay(c as unknown as PolynomialDecayArgs);
    case 'CosineDecay': return new CosineDecay(c as unknown as CosineDecayArgs);
    case 'PiecewiseConstantDecay': return new PiecewiseConstantDecay(c as unknown as PiecewiseConstantDecayArgs);
    default:
      throw new Error(
        `learning-rate schedule '${cls}' is unknown (ferrite has ExponentialDecay, InverseTimeDecay, PolynomialDecay, CosineDecay, PiecewiseConstantDecay)`,
      );
  }
}

/** Factories with Keras' positional order, or one options object. */
export const schedules = {
  exponentialDecay(a: ExponentialDecayArgs | number, decaySteps?: number, decayRate?: number, staircase?: boolean): ExponentialDecay {
    return new ExponentialDecay(typeof a === 'number' ? defined({ initialLearningRate: a, decaySteps: decaySteps!, decayRate: decayRate!, staircase }) : a);
  },
  inverseTimeDecay(a: InverseTimeDecayArgs | number, decaySteps?: number, decayRate?: number, staircase?: boolean): InverseTimeDecay {
    return new InverseTimeDecay(typeof a === 'number' ? defined({ initialLearningRate: a, decaySteps: decaySteps!, decayRate: decayRate!, staircase }) : a);
  },
  polynomialDecay(a: PolynomialDecayArgs | number, decaySteps?: number, endLearningRate?: number, power?: number, cycle?: boolean): PolynomialDecay {
    return new PolynomialDecay(typeof a === 'number' ? defined({ initialLearningRate: a, decaySteps: decaySteps!, endLearningRate, power, cycle }) : a);
  },
  cosineDecay(a: CosineDecayArgs | number, decaySteps?: number, alpha?: number, warmupTarget?: number | null, warmupSteps?: number): CosineDecay {
    return new CosineDecay(typeof a === 'number' ? defined({ initialLearningRate: a, decaySteps: decaySteps!, alpha, warmupTarget, warmupSteps }) : a);
  },
  piecewiseConstantDecay(a: PiecewiseConstantDecayArgs | number[], values?: number[]): PiecewiseConstantDecay {
    return new PiecewiseConstantDecay(Array.isArray(a) ? { boundaries: a, values: values! } : a);
  },
};

/** Drops undefined entries, so positional calls leave defaults to the constructor. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
