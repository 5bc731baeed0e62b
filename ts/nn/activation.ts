/**
 * Activation modules (nn.ReLU, GELU, Tanh, Sigmoid, Softmax, LogSoftmax, LeakyReLU, ELU,
 * SiLU) and their functional forms, with PyTorch's arguments and defaults.
 */
import * as ops from '../ops/index';
import { normalizeAxis } from '../ops/util';
import type { Tensor } from '../tensor';
import { checkOptions } from './args';
import { Module } from './module';

// ---- functional -----------------------------------------------------------------------------

export const relu = (x: Tensor): Tensor => ops.relu(x);
export const tanh = (x: Tensor): Tensor => ops.tanh(x);
export const sigmoid = (x: Tensor): Tensor => ops.sigmoid(x);

/** x·σ(x) (PyTorch's SiLU, Keras' swish). */
export function silu(x: Tensor): Tensor {
  return ops.mul(x, ops.sigmoid(x));
}

export type GeluApproximate = 'none' | 'tanh';

/** x·Φ(x) (approximate 'none', the default), or PyTorch's tanh approximation. */
export function gelu(x: Tensor, approximate: GeluApproximate = 'none'): Tensor {
  if (approximate === 'none') return ops.gelu(x);
  if (approximate !== 'tanh') throw new Error(`gelu: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
  // ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
  const inner = ops.mul(ops.add(x, ops.mul(ops.mul(ops.square(x), x), 0.044715)), Math.sqrt(2 / Math.PI));
  return ops.mul(ops.mul(x, 0.5), ops.add(ops.tanh(inner), 1));
}

/** max(0, x) + negativeSlope·min(0, x); negativeSlope defaults to 0.01 as PyTorch. */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  if (typeof negativeSlope !== 'number' || !Number.isFinite(negativeSlope)) throw new Error(`leakyRelu: negativeSlope must be a finite number, got ${JSON.stringify(negativeSlope)}`);
  return ops.leakyRelu(x, negativeSlope);
}

/** x for x > 0, alpha·(eˣ − 1) otherwise. */
export function elu(x: Tensor, alpha = 1): Tensor {
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new Error(`elu: alpha must be a finite number, got ${JSON.stringify(alpha)}`);
  return ops.elu(x, alpha);
}

function dimOf(who: string, dim: unknown): number {
  if (!Number.isInteger(dim)) throw new Error(`${who}: dim must be an integer, got ${JSON.stringify(dim)}`);
  return dim as number;
}

/** Runs a last-axis op along `dim` by moving that axis last and back. */
function alongDim(who: string, x: Tensor, dim: unknown, f: (t: Tensor) => Tensor): Tensor {
  const d = normalizeAxis(who, dimOf(who, dim), x.rank);
  if (x.rank === 0 || d === x.rank - 1) return f(x);
  const perm = x.shape.map((_, i) => i);
  perm[d] = x.rank - 1;
  perm[x.rank - 1] = d;
  return ops.transpose(f(ops.transpose(x, perm)), perm);
}

/** Softmax along dim (default the last axis). */
export function softmax(x: Tensor, dim = -1): Tensor {
  return alongDim('softmax', x, dim, (t) => ops.softmax(t, -1));
}

export function logSoftmax(x: Tensor, dim = -1): Tensor {
  return alongDim('logSoftmax', x, dim, (t) => ops.logSoftmax(t, -1));
}

// ---- modules --------------------------------------------------------------------------------

export class ReLU extends Module {
  static readonly moduleName = 'ReLU';
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class Tanh extends Module {
  static readonly moduleName = 'Tanh';
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

export class Sigmoid extends Module {
  static readonly moduleName = 'Sigmoid';
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

export class SiLU extends Module {
  static readonly moduleName = 'SiLU';
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

/** nn.GELU({ approximate: 'none' | 'tanh' }). */
export class GELU extends Module {
  static readonly moduleName = 'GELU';
  readonly approximate: GeluApproximate;
  constructor(opts: { approximate?: GeluApproximate } = {}) {
    super();
    checkOptions('GELU', opts, ['approximate']);
    this.approximate = opts.approximate ?? 'none';
    if (this.approximate !== 'none' && this.approximate !== 'tanh') throw new Error(`GELU: approximate must be 'none' or 'tanh', got ${JSON.stringify(this.approximate)}`);
  }
  forward(x: Tensor): Tensor {
    return gelu(x, this.approximate);
  }
  override extraRepr(): string {
    return this.approximate === 'none' ? '' : `approximate='${this.approximate}'`;
  }
}

/** nn.LeakyReLU(negativeSlope = 0.01). */
export class LeakyReLU extends Module {
  static readonly moduleName = 'LeakyReLU';
  constructor(readonly negativeSlope = 0.01) {
    super();
    if (typeof negativeSlope !== 'number' || !Number.isFinite(negativeSlope)) throw new Error(`LeakyReLU: negativeSlope must be a finite number, got ${JSON.stringify(negativeSlope)}`);
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

/** nn.ELU(alpha = 1). */
export class ELU extends Module {
  static readonly moduleName = 'ELU';
  constructor(readonly alpha = 1) {
    super();
    if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new Error(`ELU: alpha must be a finite number, got ${JSON.stringify(alpha)}`);
  }
  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

/** nn.Softmax(dim = −1): the last axis unless told (PyTorch requires dim; −1 is its usual value). */
export class Softmax extends Module {
  static readonly moduleName = 'Softmax';
  constructor(readonly dim = -1) {
    super();
    dimOf('Softmax', dim);
  }
  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** nn.LogSoftmax(dim = −1). */
export class LogSoftmax extends Module {
  static readonly moduleName = 'LogSoftmax';
  constructor(readonly dim = -1) {
    super();
    dimOf('LogSoftmax', dim);
  }
  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
