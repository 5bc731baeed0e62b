/** nn.Dropout and nn.Flatten, and their functional forms. */
import * as ops from '../ops/index';
import { fmt, normalizeAxis } from '../ops/util';
import type { Tensor } from '../tensor';
import { probability } from './args';
import { Module } from './module';

/**
 * F.dropout(x, p = 0.5, training = true): while training, zeroes each element with
 * probability p and scales the rest by 1/(1 − p); otherwise returns x.
 */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  probability('dropout', 'p', p);
  if (!training || p === 0) return x;
  if (p === 1) return ops.mul(x, 0);
  return ops.dropout(x, p);
}

/** nn.Dropout(p = 0.5): active in train(), the identity in eval(). */
export class Dropout extends Module {
  static readonly moduleName = 'Dropout';
  constructor(readonly p = 0.5) {
    super();
    probability('Dropout', 'p', p);
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/** F.flatten(x, startDim = 0, endDim = −1) (torch.flatten): axes startDim…endDim become one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1, who = 'flatten'): Tensor {
  if (x.rank === 0) return ops.reshape(x, [1]);
  const s = normalizeAxis(who, startDim, x.rank), e = normalizeAxis(who, endDim, x.rank);
  if (s > e) throw new Error(`${who}: startDim ${startDim} comes after endDim ${endDim} for input of shape ${fmt(x.shape)}`);
  const merged = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
  return ops.reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

/** nn.Flatten(startDim = 1, endDim = −1): [batch, …] → [batch, product of the rest]. */
export class Flatten extends Module {
  static readonly moduleName = 'Flatten';
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
    if (!Number.isInteger(startDim) || !Number.isInteger(endDim)) {
      throw new Error(`Flatten: startDim and endDim must be integers, got ${JSON.stringify(startDim)} and ${JSON.stringify(endDim)}`);
    }
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim, this.describe());
  }
  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}
