/** where, dropout and other small ops. */
import { record } from '../autograd';
import { ENGINE } from '../engine';
import { emptyTensor, Tensor, zeroTensor } from '../tensor';
import { tensor } from './creation';
import { binaryRaw, sumToShape } from './binary';
import { rngFor } from './random';
import { castTo, clone, stridedCopy } from './shape';
import { toTensor, type TensorInput } from './convert';
import { broadcastShapes, broadcastStrides, fmt, shapesEqual, stridesOf } from './util';

/**
 * condition ? a : b element-wise, as tf.where: the three broadcast together; the condition
 * is bool (int32 and float32 conditions are accepted too: non-zero is true); a number takes
 * the other side's dtype. The gradient flows to the chosen side.
 */
export function where(condition: TensorInput, a: TensorInput, b: TensorInput): Tensor {
  const cIn = toTensor('where', condition);
  const aIn = toTensor('where', a, typeof a === 'number' && b instanceof Tensor ? b.dtype : undefined);
  const bIn = toTensor('where', b, typeof b === 'number' ? aIn.dtype : undefined);
  const owned = [cIn !== condition ? cIn : null, aIn !== a ? aIn : null, bIn !== b ? bIn : null];
  const cleanup = () => owned.forEach((t) => t?.dispose());
  if (aIn.dtype !== bIn.dtype) {
    cleanup();
    throw new Error(`where: a (${aIn.dtype}) and b (${bIn.dtype}) must have the same dtype`);
  }
  let shape: number[];
  try {
    shape = broadcastShapes('where', broadcastShapes('where', cIn.shape, aIn.shape), bIn.shape);
  } catch {
    cleanup();
    throw new Error(`where: condition ${fmt(cIn.shape)}, a ${fmt(aIn.shape)} and b ${fmt(bIn.shape)} cannot be broadcast together`);
  }
  const full = (t: Tensor) => (shapesEqual(t.shape, shape) ? t : expandTo(t, shape));
  // The kernel reads the condition as float32 (non-zero is true).
  const cb = full(cIn);
  const cf = cb.dtype === 'float32' ? cb : castTo(cb, 'float32');
  if (cb !== cIn && cb !== cf) cb.dispose();
  const af = full(aIn), bf = full(bIn);
  const out = emptyTensor(shape, aIn.dtype);
  if (out.size) ENGINE.get().where(cf.storage, af.storage, bf.storage, out.storage, out.size);
  const result = record(out, 'where', [aIn, bIn], (dy) => {
    const k = ENGINE.get();
    const zeros = zeroTensor(shape);
    const da = emptyTensor(shape), db = emptyTensor(shape);
    k.where(cf.storage, dy.storage, zeros.storage, da.storage, dy.size);
    k.where(cf.storage, zeros.storage, dy.storage, db.storage, dy.size);
    zeros.dispose();
    const ga = sumToShape(da, aIn.shape), gb = sumToShape(db, bIn.shape);
    if (ga !== da) da.dispose();
    if (gb !== db) db.dispose();
    return [ga, gb];
  });
  // Temporaries the gradient does not need go now (cf stays while the gradient may run).
  for (const t of [af, bf]) if (t !== aIn && t !== bIn) t.dispose();
  if (!result.gradFn) {
    if (cf !== cIn) cf.dispose();
    cleanup();
  }
  return result;
}

/** x repeated along its size-1 (and missing leading) axes to `shape` (no gradient). */
function expandTo(x: Tensor, shape: number[]): Tensor {
  const out = emptyTensor(shape, x.dtype);
  stridedCopy(x, 0, broadcastStrides(x.shape, shape), out, 0, stridesOf(shape), shape);
  return out;
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
