/** where, dropout and other small ops. */
import { record } from '../autograd';
import { ENGINE } from '../engine';
import { emptyTensor, Tensor, zeroTensor } from '../tensor';
import { tensor } from './creation';
import { binaryRaw } from './binary';
import { rngFor } from './random';
import { clone } from './shape';
import { fmt, shapesEqual } from './util';

/** cond ? a : b element-wise (same shapes); the gradient flows to the chosen side. */
export function where(condition: Tensor, a: Tensor, b: Tensor): Tensor {
  if (!shapesEqual(condition.shape, a.shape) || !shapesEqual(a.shape, b.shape)) {
    throw new Error(`where: condition ${fmt(condition.shape)}, a ${fmt(a.shape)} and b ${fmt(b.shape)} must have the same shape`);
  }
  if (a.dtype !== b.dtype) throw new Error(`where: a (${a.dtype}) and b (${b.dtype}) must have the same dtype`);
  const out = emptyTensor(a.shape, a.dtype);
  const zeros = zeroTensor(a.shape, a.dtype);
  const bk = ENGINE.get();
  if (out.size) bk.where(condition.storage, a.storage, b.storage, out.storage, a.size);
  const result = record(out, 'where', [a, b], (dy) => {
    const da = emptyTensor(a.shape), db = emptyTensor(a.shape);
    const k = ENGINE.get();
    k.where(condition.storage, dy.storage, zeros.storage, da.storage, a.size);
    k.where(condition.storage, zeros.storage, dy.storage, db.storage, a.size);
    return [da, db];
  });
  if (!result.gradFn) zeros.dispose();
  return result;
}

/**
 * Inverted dropout as tf.dropout: zeroes each element with probability `rate` and scales the
 * rest by 1/(1−rate). `seed` makes the mask reproducible.
 */
export function dropout(x: Tensor, rate: number, noiseShape?: number[], seed?: number): Tensor {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout: rate must be in [0, 1), got ${rate}`);
  if (rate === 0) return clone(x);
  const shape = noiseShape ?? x.shape;
  const rng = rngFor(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  const mask = new Float32Array(n);
  const keep = 1 / (1 - rate);
  for (let i = 0; i < n; i++) mask[i] = rng() >= rate ? keep : 0;
  const m = tensor(mask, shape);
  const out = binaryRaw('dropout', 'mul', x, m);
  const result = record(out, 'dropout', [x], (dy) => [binaryRaw('dropout', 'mul', dy, m)]);
  if (!result.gradFn) m.dispose();
  return result;
}
