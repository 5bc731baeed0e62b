/** SGD (with momentum / Nesterov), Adam and RMSprop, in the Keras formulation. */
import type { Storage } from '../backend/backend';
import { ENGINE } from '../engine';
import type { Variable } from '../tensor';
import { Optimizer } from './optimizer';

export class SGD extends Optimizer {
  readonly className = 'SGD';
  constructor(learningRate = 0.01, readonly momentum = 0, readonly nesterov = false, params?: Variable[]) {
    super(learningRate, params);
    if (!(momentum >= 0)) throw new Error(`SGD: momentum must be ≥ 0, got ${momentum}`);
  }
  protected slots() {
    return this.momentum > 0 ? 1 : 0;
  }
  protected update(p: Storage, g: Storage, s: Storage[], n: number) {
    ENGINE.get().sgd(p, g, s[0] ?? null, n, this.learningRate, this.momentum, this.nesterov);
  }
  override getConfig() {
    return { ...super.getConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }
}

export class Adam extends Optimizer {
  readonly className = 'Adam';
  private lrT = 0;
  constructor(
    learningRate = 0.001,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-7,
    params?: Variable[],
  ) {
    super(learningRate, params);
    for (const [k, v] of [['beta1', beta1], ['beta2', beta2]] as const) {
      if (!(v >= 0 && v < 1)) throw new Error(`Adam: ${k} must be in [0, 1), got ${v}`);
    }
  }
  protected slots() {
    return 2;
  }
  protected override beforeStep() {
    const t = this.iterations;
    this.lrT = (this.learningRate * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t);
  }
  protected update(p: Storage, g: Storage, s: Storage[], n: number) {
    ENGINE.get().adam(p, g, s[0], s[1], n, this.lrT, this.beta1, this.beta2, this.epsilon);
  }
  override getConfig() {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

export class RMSprop extends Optimizer {
  readonly className = 'RMSprop';
  constructor(
    learningRate = 0.001,
    readonly rho = 0.9,
    readonly momentum = 0,
    readonly epsilon = 1e-7,
    readonly centered = false,
    params?: Variable[],
  ) {
    super(learningRate, params);
  }
  protected slots() {
    return 1 + (this.centered ? 1 : 0) + (this.momentum > 0 ? 1 : 0);
  }
  protected update(p: Storage, g: Storage, s: Storage[], n: number) {
    const mg = this.centered ? s[1] : null;
    const mom = this.momentum > 0 ? s[this.centered ? 2 : 1] : null;
    ENGINE.get().rmsprop(p, g, s[0], mg, mom, n, this.learningRate, this.rho, this.momentum, this.epsilon);
  }
  override getConfig() {
    return { ...super.getConfig(), rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
}

/** TensorFlow.js-style factories: fe.train.sgd(lr), fe.train.adam(lr, β1, β2, ε), … */
export const train = {
  sgd: (learningRate: number) => new SGD(learningRate),
  momentum: (learningRate: number, momentum: number, useNesterov = false) => new SGD(learningRate, momentum, useNesterov),
  adam: (learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7) => new Adam(learningRate, beta1, beta2, epsilon),
  rmsprop: (learningRate: number, decay = 0.9, momentum = 0, epsilon = 1e-7, centered = false) =>
    new RMSprop(learningRate, decay, momentum, epsilon, centered),
};

/** PyTorch-style factories over a parameter list: fe.optim.adam(model.parameters(), {lr}). */
export const optim = {
  sgd: (params: Variable[], o: { lr?: number; momentum?: number; nesterov?: boolean } = {}) =>
    new SGD(o.lr ?? 0.01, o.momentum ?? 0, o.nesterov ?? false, params),
  adam: (params: Variable[], o: { lr?: number; betas?: [number, number]; eps?: number } = {}) =>
    new Adam(o.lr ?? 0.001, o.betas?.[0] ?? 0.9, o.betas?.[1] ?? 0.999, o.eps ?? 1e-8, params),
  rmsprop: (params: Variable[], o: { lr?: number; alpha?: number; eps?: number; momentum?: number; centered?: boolean } = {}) =>
    new RMSprop(o.lr ?? 0.01, o.alpha ?? 0.99, o.momentum ?? 0, o.eps ?? 1e-8, o.centered ?? false, params),
};

/** An optimizer from a compile() identifier ('adam' | 'sgd' | 'rmsprop', Keras defaults). */
export function getOptimizer(id: string | Optimizer): Optimizer {
  if (typeof id !== 'string') return id;
  switch (id.toLowerCase()) {
    case 'adam': return new Adam();
    case 'sgd': return new SGD(0.01);
    case 'rmsprop': return new RMSprop(0.001);
    default: throw new Error(`compile: unknown optimizer '${id}' (expected 'adam', 'sgd', 'rmsprop' or an optimizer object)`);
  }
}
