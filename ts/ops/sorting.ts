/**
 * Ordering ops of TensorFlow.js: topk (with a gradient, which TensorFlow.js lacks), unique,
 * searchSorted / lowerBound / upperBound, setdiff1dAsync, inTopKAsync. The ordering is
 * decided on the host; values move through gather, so they stay differentiable.
 */
import { Tensor } from '../tensor';
import { composite } from './composite';
import { toTensor, type TensorInput } from './convert';
import { tensor } from './creation';
import { gather } from './indexing';
import { reshape } from './shape';
import { fmt, normalizeAxis, shapesEqual } from './util';

/** Descending order with NaN first (as TensorFlow.js' topk) and ties by lower index. */
function descending(v: ArrayLike<number>, base: number, n: number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  const key = (i: number) => v[base + i];
  idx.sort((p, q) => {
    const a = key(p), b = key(q);
    const an = Number.isNaN(a), bn = Number.isNaN(b);
    if (an || bn) return an && bn ? p - q : an ? -1 : 1;
    return a === b ? p - q : b - a;
  });
  return idx;
}

/**
 * The k largest entries of the last axis and their indices, as tf.topk(x, k = 1, sorted =
 * true): { values [..., k] (x's dtype), indices [..., k] int32 }, largest first, ties by lower
 * index. The gradient of values goes to the picked entries.
 */
export function topk(input: TensorInput, k = 1, sorted = true): { values: Tensor; indices: Tensor } {
  const x = toTensor('topk', input);
  if (x.rank === 0) throw new Error('topk: expected a tensor of rank ≥ 1, got a scalar');
  const n = x.shape[x.rank - 1];
  if (!Number.isInteger(k) || k < 0 || k > n) throw new Error(`topk: k must be an integer in [0, ${n}] (the last axis of ${fmt(x.shape)}), got ${k}`);
  void sorted; // the result is always sorted, which satisfies sorted = false as well
  const rows = n ? x.size / n : 0;
  const v = x.dataSync();
  const local = new Int32Array(rows * k);
  const flat = new Int32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const order = descending(v, r * n, n);
    for (let j = 0; j < k; j++) {
      local[r * k + j] = order[j];
      flat[r * k + j] = r * n + order[j];
    }
  }
  const outShape = [...x.shape.slice(0, -1), k];
  const indices = tensor(local, outShape, 'int32');
  const values = composite(() => reshape(gather(reshape(x, [x.size]), tensor(flat, [flat.length], 'int32'), 0), outShape));
  return { values, indices };
}

/**
 * The distinct values (or slices along `axis`) of x in order of first appearance, and for
 * each element (slice) of x the position of its value in them, as tf.unique(x, axis = 0).
 */
export function unique(input: TensorInput, axis = 0): { values: Tensor; indices: Tensor } {
  const x = toTensor('unique', input);
  if (x.rank === 0) throw new Error('unique: expected a tensor of rank ≥ 1, got a scalar');
  const a = normalizeAxis('unique', axis, x.rank);
  const len = x.shape[a];
  const outer = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const inner = x.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const v = x.dataSync();
  const seen = new Map<string, number>();
  const firsts: number[] = [];
  const idx = new Int32Array(len);
  for (let i = 0; i < len; i++) {
    const parts: number[] = [];
    for (let o = 0; o < outer; o++) for (let j = 0; j < inner; j++) parts.push(v[(o * len + i) * inner + j]);
    const key = parts.map((p) => (Object.is(p, -0) ? 0 : p)).join(',');
    let at = seen.get(key);
    if (at === undefined) {
      at = firsts.length;
      seen.set(key, at);
      firsts.push(i);
    }
    idx[i] = at;
  }
  const values = composite(() => gather(x, tensor(Int32Array.from(firsts), [firsts.length], 'int32'), a));
  return { values, indices: tensor(idx, [len], 'int32') };
}

/**
 * For each value, the index in the sorted last axis of sortedSequence where it would be
 * inserted keeping the order (side 'left': before equal entries, 'right': after), as
 * tf.searchSorted. sortedSequence [..., M] and values [..., N] share their leading axes (or
 * sortedSequence is 1-D); int32 result of the values' shape.
 */
export function searchSorted(sortedSequence: TensorInput, valuesIn: TensorInput, side: 'left' | 'right' = 'left'): Tensor {
  const s = toTensor('searchSorted', sortedSequence);
  const values = toTensor('searchSorted', valuesIn);
  if (side !== 'left' && side !== 'right') throw new Error(`searchSorted: side must be 'left' or 'right', got '${String(side)}'`);
  if (s.rank < 1 || values.rank < 1) throw new Error('searchSorted: sortedSequence and values need rank ≥ 1');
  const shared = s.rank === 1;
  if (!shared && !shapesEqual(s.shape.slice(0, -1), values.shape.slice(0, -1))) {
    throw new Error(`searchSorted: the leading axes of sortedSequence ${fmt(s.shape)} and values ${fmt(values.shape)} must match`);
  }
  const m = s.shape[s.rank - 1], n = values.shape[values.rank - 1];
  const sv = s.dataSync(), vv = values.dataSync();
  const out = new Int32Array(values.size);
  const rows = n ? values.size / n : 0;
  for (let r = 0; r < rows; r++) {
    const base = shared ? 0 : r * m;
    for (let j = 0; j < n; j++) {
      const t = vv[r * n + j];
      let lo = 0, hi = m;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const e = sv[base + mid];
        if (side === 'left' ? e < t : e <= t) lo = mid + 1;
        else hi = mid;
      }
      out[r * n + j] = lo;
    }
  }
  return tensor(out, values.shape, 'int32');
}

/** searchSorted(…, 'left'). */
export function lowerBound(sortedSequence: TensorInput, values: TensorInput): Tensor {
  return searchSorted(sortedSequence, values, 'left');
}

/** searchSorted(…, 'right'). */
export function upperBound(sortedSequence: TensorInput, values: TensorInput): Tensor {
  return searchSorted(sortedSequence, values, 'right');
}

/** The values of 1-D x not in y (order and repeats kept) and their indices in x (tf.setdiff1dAsync). */
export async function setdiff1dAsync(xIn: TensorInput, yIn: TensorInput): Promise<[Tensor, Tensor]> {
  const x = toTensor('setdiff1dAsync', xIn);
  const y = toTensor('setdiff1dAsync', yIn);
  if (x.rank !== 1 || y.rank !== 1) throw new Error(`setdiff1dAsync: x ${fmt(x.shape)} and y ${fmt(y.shape)} must be 1-D`);
  if (x.dtype !== y.dtype) throw new Error(`setdiff1dAsync: x (${x.dtype}) and y (${y.dtype}) must have the same dtype`);
  const drop = new Set(Array.from(y.dataSync()));
  const xv = x.dataSync();
  const keep: number[] = [];
  xv.forEach((v, i) => { if (!drop.has(v)) keep.push(i); });
  const idx = tensor(Int32Array.from(keep), [keep.length], 'int32');
  const out = gather(x, idx, 0);
  return [out, idx];
}

/**
 * Whether each target class is among the k largest predictions of its row (ties: the lower
 * index ranks first), bool [batch], as tf.inTopKAsync(predictions, targets, k = 1).
 */
export async function inTopKAsync(predictionsIn: TensorInput, targetsIn: TensorInput, k = 1): Promise<Tensor> {
  const p = toTensor('inTopKAsync', predictionsIn);
  const t = toTensor('inTopKAsync', targetsIn, 'int32');
  if (p.rank < 1 || !shapesEqual(p.shape.slice(0, -1), t.shape)) {
    throw new Error(`inTopKAsync: targets ${fmt(t.shape)} must have the shape of predictions ${fmt(p.shape)} without its last axis`);
  }
  const n = p.shape[p.rank - 1];
  if (!Number.isInteger(k) || k < 0 || k > n) throw new Error(`inTopKAsync: k must be an integer in [0, ${n}], got ${k}`);
  const pv = p.dataSync(), tv = t.dataSync();
  const out = new Int32Array(t.size);
  for (let r = 0; r < t.size; r++) out[r] = descending(pv, r * n, n).slice(0, k).includes(tv[r]) ? 1 : 0;
  return tensor(out, t.shape, 'bool');
}
