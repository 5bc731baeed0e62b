/** gather (embedding lookups) with its scatter-add gradient, and oneHot. */
import { record } from '../autograd';
import { ENGINE } from '../engine';
import { DType, emptyTensor, sizeOf, Tensor, zeroTensor } from '../tensor';
import { castTo } from './shape';
import { tensor } from './creation';
import { toTensor, type TensorInput } from './convert';
import { gatherWithBatchDims } from './scatter';
import { fmt, normalizeAxis } from './util';

/**
 * tf.gather(x, indices, axis, batchDims): picks slices of x along `axis` by int32 indices
 * (any shape); the result has shape x.shape[:axis] + indices.shape + x.shape[axis+1:]. With
 * batchDims > 0 the leading batch axes of x and indices pair up (see scatter.ts).
 */
export function gather(input: TensorInput, indices: Tensor | number[], axis = 0, batchDims = 0): Tensor {
  if (batchDims) return gatherWithBatchDims(input, indices, axis, batchDims);
  const x = toTensor('gather', input);
  const idx = indices instanceof Tensor ? indices : tensor(indices, [indices.length], 'int32');
  if (idx.dtype !== 'int32') throw new Error(`gather: indices must be int32, got ${idx.dtype}`);
  const a = normalizeAxis('gather', axis, x.rank);
  const outer = sizeOf(x.shape.slice(0, a));
  const axisLen = x.shape[a];
  const inner = sizeOf(x.shape.slice(a + 1));
  const outShape = [...x.shape.slice(0, a), ...idx.shape, ...x.shape.slice(a + 1)];
  const out = emptyTensor(outShape, x.dtype);
  if (out.size) {
    const bad = ENGINE.get().gather(x.storage, idx.storage, out.storage, outer, axisLen, inner, idx.size);
    if (bad >= 0) {
      const value = idx.dataSync()[bad];
      out.dispose();
      if (idx !== indices) idx.dispose();
      throw new Error(`gather: index ${value} (at position ${bad}) is outside [0, ${axisLen}) for axis ${a} of ${fmt(x.shape)}`);
    }
  }
  const result = record(out, 'gather', [x], (dy) => {
    const dx = zeroTensor(x.shape); // scatterAdd accumulates into it
    ENGINE.get().scatterAdd(dy.storage, idx.storage, dx.storage, outer, axisLen, inner, idx.size);
    return [dx];
  });
  if (idx !== indices && !result.gradFn) idx.dispose();
  return result;
}

/**
 * tf.oneHot(indices, depth, onValue = 1, offValue = 0, dtype = 'int32'): [..., depth], as
 * TensorFlow.js (int32 by default; pass 'float32' for float labels).
 */
export function oneHot(indices: Tensor | number[], depth: number, onValue = 1, offValue = 0, dtype: DType = 'int32'): Tensor {
  const idx = indices instanceof Tensor ? indices : tensor(indices, [indices.length], 'int32');
  if (idx.dtype !== 'int32') throw new Error(`oneHot: indices must be int32, got ${idx.dtype}`);
  if (!Number.isInteger(depth) || depth < 1) throw new Error(`oneHot: depth must be a positive integer, got ${depth}`);
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
    throw new Error(`oneHot: unsupported dtype '${String(dtype)}' (expected 'int32', 'float32' or 'bool')`);
  }
  const out = emptyTensor([...idx.shape, depth]);
  if (out.size) ENGINE.get().oneHot(idx.storage, out.storage, idx.size, depth, onValue, offValue);
  if (idx !== indices) idx.dispose();
  if (dtype === 'float32') return out;
  const cast = castTo(out, dtype);
  out.dispose();
  return cast;
}
