/**
 * nn.Linear and nn.Identity. Linear's weight keeps the Keras layout [inFeatures, outFeatures]
 * (PyTorch's is its transpose): y = x · weight + bias.
 */
import { biasAddActivation } from '../ops/fused-dense';
import * as ops from '../ops/index';
import { fmt } from '../ops/util';
import type { Tensor, Variable } from '../tensor';
import { checkOptions, nonNegativeInt } from './args';
import { fanInBound, uniformParameter } from './init';
import { Module } from './module';

export interface LinearOptions {
  /** Default true. */
  bias?: boolean;
}

/** nn.Linear(inFeatures, outFeatures): x [..., in] → [..., out]; weight [in, out], bias [out]. */
export class Linear extends Module {
  static readonly moduleName = 'Linear';
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Variable;
  bias: Variable | null;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    const who = `Linear(${inFeatures}, ${outFeatures})`;
    checkOptions(who, opts, ['bias']);
    this.inFeatures = nonNegativeInt(who, 'inFeatures', inFeatures);
    this.outFeatures = nonNegativeInt(who, 'outFeatures', outFeatures);
    const bound = fanInBound(inFeatures);
    this.weight = uniformParameter([inFeatures, outFeatures], bound, 'linear/weight');
    this.bias = (opts.bias ?? true) ? uniformParameter([outFeatures], bound, 'linear/bias') : null;
  }

  forward(x: Tensor): Tensor {
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new Error(`${this.describe()}: expected input with last dimension ${this.inFeatures}, got ${fmt(x.shape)}`);
    }
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** x · weight + bias for x [..., in], weight [in, out] (F.linear with ferrite's weight layout). */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  const flat = x.rank === 1 ? ops.reshape(x, [1, x.shape[0]]) : x;
  const y = ops.matMul(flat, weight);
  const out = bias ? biasAddActivation(y, bias, 'linear', 'linear') : y;
  return x.rank === 1 ? ops.reshape(out, [out.shape[1]]) : out;
}

/** nn.Identity: returns its input. */
export class Identity extends Module {
  static readonly moduleName = 'Identity';
  forward<T>(x: T): T {
    return x;
  }
}
