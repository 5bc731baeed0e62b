/**
 * Adagrad, Adadelta and Adamax in the Keras formulation, with TensorFlow.js' names, defaults
 * and saved state (one fused kernel per variable each; formulas on the Backend interface).
 *
 * Adadelta follows Keras (and the paper): the update divides by the accumulated squared
 * gradients including the current one. TensorFlow.js 4.22 divides by the accumulator from
 * before the current gradient (its first step is exactly lr·g), so weights trained with
 * Adadelta differ from TensorFlow.js'.
 */
import type { Storage } from '../backend/backend';
import { ENGINE } from '../engine';
import type { Variable } from '../tensor';
import { checkOptionKeys, Optimizer, type LearningRate, type OptimizerOptions } from './optimizer';
import { configArg, parseOptimizerConfig } from './config';

function inRange01(cls: string, key: string, v: number, closedTop = false): number {
  if (typeof v !== 'number' || !(v >= 0 && (closedTop ? v <= 1 : v < 1))) {
    throw new Error(`${cls}: ${key} must be in [0, 1${closedTop ? ']' : ')'}, got ${String(v)}`);
  }
  return v;
}

function nonNegative(cls: string, key: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${cls}: ${key} must be a non-negative number, got ${String(v)}`);
  return v;
}

export interface AdagradArgs {
  learningRate: LearningRate;
  /** Starting value of the accumulators (TensorFlow.js and Keras: 0.1). */
  initialAccumulatorValue?: number;
  /** Added under the root (default 1e-7, TensorFlow.js' backend epsilon). */
  epsilon?: number;
}

/** Adagrad: acc += g²; p −= lr·g/√(acc + ε). State '<w>/accumulator'. */
export class Adagrad extends Optimizer {
  readonly className = 'Adagrad';
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;
  constructor(args: AdagradArgs, options: OptimizerOptions = {}, params?: Variable[]) {
    checkOptionKeys('Adagrad', args, ['learningRate', 'initialAccumulatorValue', 'epsilon']);
    super(args.learningRate, options, params);
    this.initialAccumulatorValue = nonNegative('Adagrad', 'initialAccumulatorValue', args.initialAccumulatorValue ?? 0.1);
    this.epsilon = nonNegative('Adagrad', 'epsilon', args.epsilon ?? 1e-7);
  }
  protected slots() {
    return 1;
  }
  protected override slotInit() {
    return this.initialAccumulatorValue;
  }
  protected update(p: Storage, g: Storage, s: Storage[], n: number) {
    ENGINE.get().adagrad(p, g, s[0], n, this.stepLr, this.epsilon);
  }
  override getConfig() {
    return { ...super.getConfig(), initialAccumulatorValue: this.initialAccumulatorValue, epsilon: this.epsilon };
  }
  static fromConfig(a: unknown, b?: unknown): Adagrad {
    const { n, lr, options } = parseOptimizerConfig(configArg(a, b));
    return new Adagrad({ learningRate: lr ?? 0.01, initialAccumulatorValue: n('initialAccumulatorValue') ?? 0.1, epsilon: n('epsilon') ?? 1e-7 }, options);
  }
}

export interface AdadeltaArgs {
  learningRate?: LearningRate;
  rho?: number;
  epsilon?: number;
}

/**
 * Adadelta: accG = ρ·accG + (1−ρ)·g²; d = √(accD + ε)/√(accG + ε)·g; accD = ρ·accD + (1−ρ)·d²;
 * p −= lr·d. State '<w>/accum_grad', '<w>/accum_var'.
 */
export class Adadelta extends Optimizer {
  readonly className = 'Adadelta';
  readonly rho: number;
  readonly epsilon: number;
  constructor(args: AdadeltaArgs = {}, options: OptimizerOptions = {}, params?: Variable[]) {
    checkOptionKeys('Adadelta', args, ['learningRate', 'rho', 'epsilon']);
    super(args.learningRate ?? 0.001, options, params);
    this.rho = inRange01('Adadelta', 'rho', args.rho ?? 0.95, true);
    this.epsilon = nonNegative('Adadelta', 'epsilon', args.epsilon ?? 1e-7);
  }
  protected slots() {
    return 2;
  }
  protected update(p: Storage, g: Storage, s: Storage[], n: number) {
    ENGINE.get().adadelta(p, g, s[0], s[1], n, this.stepLr, this.rho, this.epsilon);
  }
  override getConfig() {
    return { ...super.getConfig(), rho: this.rho, epsilon: this.epsilon };
  }
  static fromConfig(a: unknown, b?: unknown): Adadelta {
    const { n, lr, options } = parseOptimizerConfig(configArg(a, b));
    return new Adadelta({ learningRate: lr ?? 0.001, rho: n('rho') ?? 0.95, epsilon: n('epsilon') ?? 1e-7 }, options);
  }
}

export interface AdamaxArgs {
  learningRate?: LearningRate;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** TensorFlow.js' learning-rate decay: lr / (1 + decay·(t − 1)) at update t (default 0). */
  decay?: number;
}

/**
 * Adamax: m = β1·m + (1−β1)·g; u = max(β2·u, |g|); p −= lr/(1−β1^t)·m/(u + ε).
 * State '<w>/m', '<w>/v' (TensorFlow.js' names; v is the weighted infinity norm u).
 */
export class Adamax extends Optimizer {
  readonly className = 'Adamax';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly decay: number;
  private lrT = 0;
  constructor(args: AdamaxArgs = {}, options: OptimizerOptions = {}, params?: Variable[]) {
    checkOptionKeys('Adamax', args, ['learningRate', 'beta1', 'beta2', 'epsilon', 'decay']);
    super(args.learningRate ?? 0.002, options, params);
    this.beta1 = inRange01('Adamax', 'beta1', args.beta1 ?? 0.9);
    this.beta2 = inRange01('Adamax', 'beta2', args.beta2 ?? 0.999, true);
    this.epsilon = nonNegative('Adamax', 'epsilon', args.epsilon ?? 1e-7);
    this.decay = nonNegative('Adamax', 'decay', args.decay ?? 0);
  }
  protected slots() {
    return 2;
  }
  protected override beforeStep() {
    const t = this.iterations;
    this.lrT = this.stepLr / (1 + this.decay * (t - 1)) / (1 - this.beta1 ** t);
  }
  protected update(p: Storage, g: Storage, s: Storage[], n: number) {
    ENGINE.get().adamax(p, g, s[0], s[1], n, this.lrT, this.beta1, this.beta2, this.epsilon);
  }
  override getConfig() {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, decay: this.decay };
  }
  static fromConfig(a: unknown, b?: unknown): Adamax {
    const { n, lr, options } = parseOptimizerConfig(configArg(a, b));
    return new Adamax({ learningRate: lr ?? 0.002, beta1: n('beta1') ?? 0.9, beta2: n('beta2') ?? 0.999, epsilon: n('epsilon') ?? 1e-7, decay: n('decay') ?? 0 }, options);
  }
}
