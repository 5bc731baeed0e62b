/**
 * SGD (with momentum / Nesterov), Adam, AdamW and RMSprop in the Keras formulation; the
 * fe.train factories (TensorFlow.js names and argument orders), compile()'s optimizer names,
 * and fe.optim (PyTorch style, ts/optimizers/torch.ts).
 */
import type { Storage } from '../backend/backend';
import { ENGINE } from '../engine';
import type { Variable } from '../tensor';
import { Adadelta, Adagrad, Adamax, type AdadeltaArgs, type AdagradArgs, type AdamaxArgs } from './adaptive';
import { checkOptionKeys, Optimizer, OPTIMIZER_OPTION_KEYS, type LearningRate, type OptimizerOptions } from './optimizer';
import { LearningRateSchedule, schedules } from './schedules';
import { configArg, parseOptimizerConfig } from './config';
import { torchOptim } from './torch';
import { lrScheduler } from './lr-scheduler';

export class SGD extends Optimizer {
  readonly className = 'SGD';
  constructor(learningRate: LearningRate = 0.01, readonly momentum = 0, readonly nesterov = false, options: OptimizerOptions = {}, params?: Variable[]) {
    super(learningRate, options, params);
    if (!(momentum >= 0)) throw new Error(`SGD: momentum must be ≥ 0, got ${momentum}`);
  }
  protected slots() {
    return this.momentum > 0 ? 1 : 0;
  }
  protected update(p: Storage, g: Storage, s: Storage[], n: number) {
    ENGINE.get().sgd(p, g, s[0] ?? null, n, this.stepLr, this.momentum, this.nesterov);
  }
  override getConfig() {
    return { ...super.getConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }
  /** From getConfig() (or TensorFlow.js' SGD / Momentum config: useNesterov). */
  static fromConfig(a: unknown, b?: unknown): SGD {
    const { c, n, lr, options } = parseOptimizerConfig(configArg(a, b));
    return new SGD(lr ?? 0.01, n('momentum') ?? 0, Boolean(c.nesterov ?? c.useNesterov), options);
  }
}

/** Adam's own option besides Keras 3's common ones. */
export interface AdamOptions extends OptimizerOptions {
  /** AMSGrad: divide by the running maximum of v (state '<w>/vhat'). */
  amsgrad?: boolean;
}

export class Adam extends Optimizer {
  readonly className: string = 'Adam';
  readonly amsgrad: boolean;
  private lrT = 0;
  constructor(
    learningRate: LearningRate = 0.001,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-7,
    options: AdamOptions = {},
    params?: Variable[],
  ) {
    const { amsgrad, ...common } = options ?? {};
    super(learningRate, common, params);
    this.amsgrad = amsgrad ?? false;
    for (const [k, v] of [['beta1', beta1], ['beta2', beta2]] as const) {
      if (!(v >= 0 && v < 1)) throw new Error(`${this.className}: ${k} must be in [0, 1), got ${v}`);
    }
  }
  protected slots() {
    return this.amsgrad ? 3 : 2;
  }
  protected override beforeStep() {
    const t = this.iterations;
    this.lrT = (this.stepLr * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t);
  }
  protected update(p: Storage, g: Storage, s: Storage[], n: number) {
    const b = ENGINE.get();
    if (!this.amsgrad) {
      b.adam(p, g, s[0], s[1], n, this.lrT, this.beta1, this.beta2, this.epsilon);
      return;
    }
    // Keras' AMSGrad is the PyTorch-form kernel with the bias corrections folded into lrT
    // (√v divided by 1, ε added to it): p −= lrT·m/(√max(v̂, v) + ε).
    b.adamTorch(p, g, s[0], s[1], s[2], n, this.lrT, this.beta1, this.beta2, this.epsilon, 1, 0, 1);
  }
  override getConfig() {
    const c: Record<string, unknown> = { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
    if (this.amsgrad) c.amsgrad = true;
    return c;
  }
  static fromConfig(a: unknown, b?: unknown): Adam {
    const { c, n, lr, options } = parseOptimizerConfig(configArg(a, b));
    return new Adam(lr ?? 0.001, n('beta1') ?? 0.9, n('beta2') ?? 0.999, n('epsilon') ?? 1e-7, { ...options, amsgrad: c.amsgrad === true });
  }
}

/**
 * AdamW (Keras 3): Adam with decoupled weight decay, p −= lr·weightDecay·p before each Adam
 * step (default weightDecay 0.004).
 */
export class AdamW extends Adam {
  override readonly className = 'AdamW';
  constructor(
    learningRate: LearningRate = 0.001,
    weightDecay = 0.004,
    beta1 = 0.9,
    beta2 = 0.999,
    epsilon = 1e-7,
    options: Omit<AdamOptions, 'weightDecay'> = {},
    params?: Variable[],
  ) {
    if ((options as OptimizerOptions).weightDecay !== undefined) {
      throw new Error('AdamW: give weightDecay as its own argument, not in the options');
    }
    if (typeof weightDecay !== 'number' || !(weightDecay >= 0)) {
      throw new Error(`AdamW: weightDecay must be a non-negative number, got ${String(weightDecay)}`);
    }
    super(learningRate, beta1, beta2, epsilon, { ...options, weightDecay }, params);
  }
  static override fromConfig(a: unknown, b?: unknown): AdamW {
    const { c, n, lr, options } = parseOptimizerConfig(configArg(a, b));
    const { weightDecay, ...rest } = options;
    return new AdamW(lr ?? 0.001, weightDecay ?? 0.004, n('beta1') ?? 0.9, n('beta2') ?? 0.999, n('epsilon') ?? 1e-7, { ...rest, amsgrad: c.amsgrad === true });
  }
}

export class RMSprop extends Optimizer {
  readonly className = 'RMSprop';
  constructor(
    learningRate: LearningRate = 0.001,
    readonly rho = 0.9,
    readonly momentum = 0,
    readonly epsilon = 1e-7,
    readonly centered = false,
    options: OptimizerOptions = {},
    params?: Variable[],
  ) {
    super(learningRate, options, params);
  }
  protected slots() {
    return 1 + (this.centered ? 1 : 0) + (this.momentum > 0 ? 1 : 0);
  }
  protected update(p: Storage, g: Storage, s: Storage[], n: number) {
    const mg = this.centered ? s[1] : null;
    const mom = this.momentum > 0 ? s[this.centered ? 2 : 1] : null;
    ENGINE.get().rmsprop(p, g, s[0], mg, mom, n, this.stepLr, this.rho, this.momentum, this.epsilon);
  }
  override getConfig() {
    return { ...super.getConfig(), rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
  /** From getConfig() (or TensorFlow.js' RMSProp config: decay for rho). */
  static fromConfig(a: unknown, b?: unknown): RMSprop {
    const { c, n, lr, options } = parseOptimizerConfig(configArg(a, b));
    return new RMSprop(lr ?? 0.001, n('decay', 'rho') ?? 0.9, n('momentum') ?? 0, n('epsilon') ?? 1e-7, Boolean(c.centered), options);
  }
}

/** A plain object of options (not a number or a schedule): the one-object form of a factory. */
function isOptionsObject<T extends object>(x: LearningRate | T | undefined): x is T {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof LearningRateSchedule);
}

/** Splits a one-object config into the named arguments and the common options. */
function split(where: string, o: object, own: readonly string[]): [Record<string, unknown>, OptimizerOptions] {
  checkOptionKeys(where, o, [...own, ...OPTIMIZER_OPTION_KEYS]);
  const args: Record<string, unknown> = {};
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) ((OPTIMIZER_OPTION_KEYS as readonly string[]).includes(k) ? options : args)[k] = v;
  return [args, options as OptimizerOptions];
}

type Num = number | undefined;

/**
 * TensorFlow.js-style factories with its positional arguments and defaults —
 * fe.train.adam(0.001, 0.9, 0.999, 1e-7) — plus a last options object with Keras 3's
 * clipNorm / clipValue / globalClipNorm / weightDecay; or one Keras-style object:
 * fe.train.adam({ learningRate: schedule, beta1: 0.9, clipNorm: 1 }). The learning rate may be
 * a schedule (fe.train.exponentialDecay, cosineDecay, piecewiseConstantDecay, …).
 */
export const train = {
  sgd(learningRate: LearningRate | ({ learningRate: LearningRate } & OptimizerOptions), options?: OptimizerOptions): SGD {
    if (isOptionsObject(learningRate)) {
      const [a, o] = split('train.sgd', learningRate, ['learningRate']);
      return new SGD(a.learningRate as LearningRate, 0, false, o);
    }
    return new SGD(learningRate, 0, false, options);
  },
  momentum(
    learningRate: LearningRate | ({ learningRate: LearningRate; momentum: number; useNesterov?: boolean } & OptimizerOptions),
    momentum?: number, useNesterov = false, options?: OptimizerOptions,
  ): SGD {
    if (isOptionsObject(learningRate)) {
      const [a, o] = split('train.momentum', learningRate, ['learningRate', 'momentum', 'useNesterov']);
      return new SGD(a.learningRate as LearningRate, a.momentum as number, Boolean(a.useNesterov), o);
    }
    if (momentum === undefined) throw new Error('train.momentum: needs a momentum (train.momentum(learningRate, momentum, useNesterov?))');
    return new SGD(learningRate, momentum, useNesterov, options);
  },
  adam(
    learningRate: LearningRate | ({ learningRate?: LearningRate; beta1?: number; beta2?: number; epsilon?: number } & AdamOptions) = 0.001,
    beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, options?: AdamOptions,
  ): Adam {
    if (isOptionsObject(learningRate)) {
      const [a, o] = split('train.adam', learningRate, ['learningRate', 'beta1', 'beta2', 'epsilon', 'amsgrad']);
      return new Adam((a.learningRate as LearningRate) ?? 0.001, (a.beta1 as Num) ?? 0.9, (a.beta2 as Num) ?? 0.999, (a.epsilon as Num) ?? 1e-7, { ...o, amsgrad: a.amsgrad as boolean | undefined });
    }
    return new Adam(learningRate, beta1, beta2, epsilon, options);
  },
  /** Keras 3 AdamW: (learningRate = 0.001, weightDecay = 0.004, beta1, beta2, epsilon = 1e-7, options). */
  adamW(
    learningRate: LearningRate | ({ learningRate?: LearningRate; weightDecay?: number; beta1?: number; beta2?: number; epsilon?: number } & Omit<AdamOptions, 'weightDecay'>) = 0.001,
    weightDecay = 0.004, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, options?: Omit<AdamOptions, 'weightDecay'>,
  ): AdamW {
    if (isOptionsObject(learningRate)) {
      const [a, o] = split('train.adamW', learningRate, ['learningRate', 'beta1', 'beta2', 'epsilon', 'amsgrad']);
      const { weightDecay: wd, ...rest } = o;
      return new AdamW((a.learningRate as LearningRate) ?? 0.001, wd ?? 0.004, (a.beta1 as Num) ?? 0.9, (a.beta2 as Num) ?? 0.999, (a.epsilon as Num) ?? 1e-7, { ...rest, amsgrad: a.amsgrad as boolean | undefined });
    }
    return new AdamW(learningRate, weightDecay, beta1, beta2, epsilon, options);
  },
  rmsprop(
    learningRate: LearningRate | ({ learningRate: LearningRate; decay?: number; rho?: number; momentum?: number; epsilon?: number; centered?: boolean } & OptimizerOptions),
    decay = 0.9, momentum = 0, epsilon = 1e-7, centered = false, options?: OptimizerOptions,
  ): RMSprop {
    if (isOptionsObject(learningRate)) {
      const [a, o] = split('train.rmsprop', learningRate, ['learningRate', 'decay', 'rho', 'momentum', 'epsilon', 'centered']);
      return new RMSprop(a.learningRate as LearningRate, (a.decay as Num) ?? (a.rho as Num) ?? 0.9, (a.momentum as Num) ?? 0, (a.epsilon as Num) ?? 1e-7, Boolean(a.centered), o);
    }
    return new RMSprop(learningRate, decay, momentum, epsilon, centered, options);
  },
  /** TensorFlow.js: adagrad(learningRate, initialAccumulatorValue = 0.1); ε = 1e-7 (Keras' `epsilon` in the options object form). */
  adagrad(learningRate: LearningRate | (AdagradArgs & OptimizerOptions), initialAccumulatorValue = 0.1, options?: OptimizerOptions): Adagrad {
    if (isOptionsObject(learningRate)) {
      const [a, o] = split('train.adagrad', learningRate, ['learningRate', 'initialAccumulatorValue', 'epsilon']);
      return new Adagrad(a as unknown as AdagradArgs, o);
    }
    return new Adagrad({ learningRate, initialAccumulatorValue }, options);
  },
  /** TensorFlow.js: adadelta(learningRate = 0.001, rho = 0.95, epsilon = 1e-7). */
  adadelta(learningRate: LearningRate | (AdadeltaArgs & OptimizerOptions) = 0.001, rho = 0.95, epsilon = 1e-7, options?: OptimizerOptions): Adadelta {
    if (isOptionsObject(learningRate)) {
      const [a, o] = split('train.adadelta', learningRate, ['learningRate', 'rho', 'epsilon']);
      return new Adadelta(a as unknown as AdadeltaArgs, o);
    }
    return new Adadelta({ learningRate, rho, epsilon }, options);
  },
  /** TensorFlow.js: adamax(learningRate = 0.002, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, decay = 0). */
  adamax(learningRate: LearningRate | (AdamaxArgs & OptimizerOptions) = 0.002, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, decay = 0, options?: OptimizerOptions): Adamax {
    if (isOptionsObject(learningRate)) {
      const [a, o] = split('train.adamax', learningRate, ['learningRate', 'beta1', 'beta2', 'epsilon', 'decay']);
      return new Adamax(a as unknown as AdamaxArgs, o);
    }
    return new Adamax({ learningRate, beta1, beta2, epsilon, decay }, options);
  },
  ...schedules,
};

/** PyTorch-style optimizers over a parameter list, and learning-rate schedulers (fe.optim.lrScheduler). */
export const optim = { ...torchOptim, lrScheduler };

/**
 * An optimizer from a compile() identifier, with TensorFlow.js' defaults for its names
 * ('sgd' 0.01, 'adam' 0.001, 'rmsprop' 0.001, 'adagrad' 0.01, 'adadelta' 1, 'adamax' 0.002)
 * and Keras 3's for 'adamw' (0.001, weight decay 0.004).
 */
export function getOptimizer(id: string | Optimizer): Optimizer {
  if (typeof id !== 'string') {
    if (!(id instanceof Optimizer)) throw new Error(`compile: optimizer must be a name or an optimizer object, got ${String(id)}`);
    return id;
  }
  switch (id.toLowerCase()) {
    case 'adam': return new Adam();
    case 'sgd': return new SGD(0.01);
    case 'rmsprop': return new RMSprop(0.001);
    case 'adagrad': return new Adagrad({ learningRate: 0.01 });
    case 'adadelta': return new Adadelta({ learningRate: 1, rho: 0.95, epsilon: 1e-7 });
    case 'adamax': return new Adamax({ learningRate: 0.002 });
    case 'adamw': return new AdamW();
    default:
      throw new Error(`compile: unknown optimizer '${id}' (expected 'sgd', 'adam', 'adamw', 'rmsprop', 'adagrad', 'adadelta', 'adamax' or an optimizer object)`);
  }
}
