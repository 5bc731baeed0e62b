/**
 * N-d gathers and scatters of TensorFlow.js: gatherND, scatterND, tensorScatterUpdate,
 * unsortedSegmentSum, sparseToDense, bincount, denseBincount, whereAsync, booleanMaskAsync,
 * and gather with batchDims. Index arithmetic runs on the host (indices are small int32
 * data); the data moves through the gather and scatter-add kernels, whose gradients are each
 * other.
 */
import { record } from '../autograd';
import { ENGINE } from '../engine';
import { DType, sizeOf, Tensor, zeroTensor } from '../tensor';
import { composite } from './composite';
import { toTensor, type TensorInput } from './convert';
import { tensor } from './creation';
import { gather as gather1 } from './indexing';
import { where } from './misc';
import { castTo, reshape, stack } from './shape';
import { fmt, normalizeAxis, shapesEqual, stridesOf } from './util';
import { unstack } from './manipulation';

function intTensor(op: string, what: string, x: TensorInput): Tensor {
  const t = toTensor(op, x, 'int32');
  if (t.dtype !== 'int32') {
    if (t !== x) t.dispose();
    throw new Error(`${op}: ${what} must be int32, got ${t.dtype}`);
  }
  return t;
}

/**
 * Row numbers of the index tuples in `indices` [..., K] into a tensor whose leading K axes
 * are `dims`; throws naming the op and the first tuple out of range.
 */
function flatRows(op: string, indices: Tensor, dims: readonly number[]): Int32Array {
  const k = dims.length;
  const m = k ? indices.size / k : 0;
  const v = indices.dataSync() as Int32Array;
  const strides = stridesOf(dims);
  const out = new Int32Array(m);
  for (let j = 0; j < m; j++) {
    let r = 0;
    for (let d = 0; d < k; d++) {
      const i = v[j * k + d];
      if (!(i >= 0 && i < dims[d])) {
        const tuple = Array.from(v.subarray(j * k, j * k + k));
        throw new Error(`${op}: index [${tuple.join(', ')}] (tuple ${j}) is outside ${fmt(dims)}`);
      }
      r += i * strides[d];
    }
    out[j] = r;
  }
  return out;
}

/**
 * out[r, :] = Σ_{j: rows[j] = r} updates[j, :] over [numRows, inner]; the gradient with
 * respect to updates gathers the rows back. Integer updates are summed on the host.
 */
function scatterAddRows(updates: Tensor, rows: Int32Array, numRows: number): Tensor {
  const inner = rows.length ? updates.size / rows.length : sizeOf(updates.shape.slice(1));
  const idx = tensor(rows, [rows.length], 'int32');
  if (updates.dtype !== 'float32') {
    const u = updates.dataSync();
    const acc = new Int32Array(numRows * inner);
    for (let j = 0; j < rows.length; j++) for (let i = 0; i < inner; i++) acc[rows[j] * inner + i] += u[j * inner + i];
    idx.dispose();
    const t = tensor(acc, [numRows, inner], 'int32');
    if (updates.dtype === 'bool') {
      const b = castTo(t, 'bool');
      t.dispose();
      return b;
    }
    return t;
  }
  const out = zeroTensor([numRows, inner]);
  if (rows.length && inner) ENGINE.get().scatterAdd(updates.storage, idx.storage, out.storage, 1, numRows, inner, rows.length);
  record(out, 'scatterAdd', [updates], (dy) => [reshape(gather1(dy, idx, 0), updates.shape)]);
  if (!out.gradFn) idx.dispose();
  return out;
}

/** Slices of x picked by index tuples: indices [..., K] → [..., x.shape[K:]] (tf.gatherND). */
export function gatherND(input: TensorInput, indicesIn: TensorInput): Tensor {
  const x = toTensor('gatherND', input);
  const indices = intTensor('gatherND', 'indices', indicesIn);
  if (indices.rank < 1) throw new Error('gatherND: indices must have rank ≥ 1');
  const k = indices.shape[indices.rank - 1];
  if (k > x.rank) throw new Error(`gatherND: index tuples of length ${k} exceed the rank of ${fmt(x.shape)}`);
  const lead = x.shape.slice(0, k);
  const rest = x.shape.slice(k);
  const rows = flatRows('gatherND', indices, lead);
  return composite(() => {
    const x2 = reshape(x, [sizeOf(lead), sizeOf(rest)]);
    const g = gather1(x2, tensor(rows, [rows.length], 'int32'), 0);
    return reshape(g, [...indices.shape.slice(0, -1), ...rest]);
  });
}

/** zeros(shape) with updates added at the index tuples (duplicates sum), as tf.scatterND. */
export function scatterND(indicesIn: TensorInput, updatesIn: TensorInput, shape: number[]): Tensor {
  const indices = intTensor('scatterND', 'indices', indicesIn);
  const updates = toTensor('scatterND', updatesIn);
  const k = indices.rank ? indices.shape[indices.rank - 1] : 0;
  if (!Array.isArray(shape) || k > shape.length || k < 1) {
    throw new Error(`scatterND: index tuples of length ${k} need an output shape of rank ≥ ${k}, got ${JSON.stringify(shape)}`);
  }
  const lead = shape.slice(0, k), rest = shape.slice(k);
  const want = [...indices.shape.slice(0, -1), ...rest];
  if (!shapesEqual(updates.shape, want)) {
    throw new Error(`scatterND: updates must have shape ${fmt(want)} for indices ${fmt(indices.shape)} and shape ${fmt(shape)}, got ${fmt(updates.shape)}`);
  }
  const rows = flatRows('scatterND', indices, lead);
  return composite(() => reshape(scatterAddRows(reshape(updates, [rows.length, sizeOf(rest)]), rows, sizeOf(lead)), shape));
}

/**
 * tensor with the slices at the index tuples replaced by updates (the last one wins for a
 * repeated tuple), as tf.tensorScatterUpdate. Gradients flow to the kept elements of tensor
 * and to the updates that were written.
 */
export function tensorScatterUpdate(input: TensorInput, indicesIn: TensorInput, updatesIn: TensorInput): Tensor {
  const x = toTensor('tensorScatterUpdate', input);
  const indices = intTensor('tensorScatterUpdate', 'indices', indicesIn);
  const updates = toTensor('tensorScatterUpdate', updatesIn, x.dtype);
  if (updates.dtype !== x.dtype) {
    throw new Error(`tensorScatterUpdate: updates (${updates.dtype}) must have the dtype of the tensor (${x.dtype})`);
  }
  const k = indices.rank ? indices.shape[indices.rank - 1] : 0;
  if (k < 1 || k > x.rank) throw new Error(`tensorScatterUpdate: index tuples of length ${k} do not fit ${fmt(x.shape)}`);
  const lead = x.shape.slice(0, k), rest = x.shape.slice(k);
  const want = [...indices.shape.slice(0, -1), ...rest];
  if (!shapesEqual(updates.shape, want)) {
    throw new Error(`tensorScatterUpdate: updates must have shape ${fmt(want)}, got ${fmt(updates.shape)}`);
  }
  const rows = flatRows('tensorScatterUpdate', indices, lead);
  // The last update of each row wins.
  const lastOf = new Map<number, number>();
  rows.forEach((r, j) => lastOf.set(r, j));
  const picks = Int32Array.from(lastOf.values());
  const targetRows = Int32Array.from(lastOf.keys());
  const numRows = sizeOf(lead), inner = sizeOf(rest);
  return composite(() => {
    const u2 = reshape(updates, [rows.length, inner]);
    const chosen = gather1(u2, tensor(picks, [picks.length], 'int32'), 0);
    const scattered = scatterAddRows(chosen, targetRows, numRows);
    const maskData = new Int32Array(numRows);
    targetRows.forEach((r) => (maskData[r] = 1));
    const mask = tensor(maskData, [numRows, 1], 'bool');
    const kept = reshape(x, [numRows, inner]);
    const merged = where(mask, scattered.dtype === x.dtype ? scattered : castTo(scattered, x.dtype), kept);
    return reshape(merged, x.shape);
  });
}

/**
 * Sums of the slices of x per segment id, as tf.unsortedSegmentSum(x, segmentIds,
 * numSegments): segmentIds has the shape of x's leading axes; ids outside [0, numSegments)
 * throw.
 */
export function unsortedSegmentSum(input: TensorInput, segmentIdsIn: TensorInput, numSegments: number): Tensor {
  const x = toTensor('unsortedSegmentSum', input);
  const ids = intTensor('unsortedSegmentSum', 'segmentIds', segmentIdsIn);
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new Error(`unsortedSegmentSum: numSegments must be a non-negative integer, got ${numSegments}`);
  }
  if (ids.rank < 1 || !shapesEqual(x.shape.slice(0, ids.rank), ids.shape)) {
    throw new Error(`unsortedSegmentSum: segmentIds ${fmt(ids.shape)} must match the leading axes of x ${fmt(x.shape)}`);
  }
  const rows = Int32Array.from(ids.dataSync());
  rows.forEach((r, j) => {
    if (!(r >= 0 && r < numSegments)) throw new Error(`unsortedSegmentSum: segment id ${r} (at ${j}) is outside [0, ${numSegments})`);
  });
  const rest = x.shape.slice(ids.rank);
  return composite(() => reshape(scatterAddRows(reshape(x, [rows.length, sizeOf(rest)]), rows, numSegments), [numSegments, ...rest]));
}

/**
 * A dense tensor of outputShape holding defaultValue, with sparseValues at sparseIndices
 * ([n] or [n, rank] int32, or a scalar), as tf.sparseToDense (a repeated index: last wins).
 */
export function sparseToDense(sparseIndicesIn: TensorInput, sparseValuesIn: TensorInput, outputShape: number[], defaultValue: TensorInput = 0): Tensor {
  const si = intTensor('sparseToDense', 'sparseIndices', sparseIndicesIn);
  const sv = toTensor('sparseToDense', sparseValuesIn);
  const dv = toTensor('sparseToDense', defaultValue, sv.dtype);
  const rank = outputShape.length;
  const idx = si.rank <= 1 ? reshape(si, [si.size, 1]) : si;
  if (idx.shape[1] !== rank && !(rank === 1 && idx.shape[1] === 1)) {
    throw new Error(`sparseToDense: sparseIndices ${fmt(si.shape)} do not index ${fmt(outputShape)}`);
  }
  const n = idx.shape[0];
  if (!(sv.size === n || sv.size === 1)) throw new Error(`sparseToDense: ${sv.size} values for ${n} indices`);
  const rows = flatRows('sparseToDense', idx, outputShape);
  const vals = sv.dataSync();
  const out = new Float64Array(sizeOf(outputShape)).fill(Number(dv.dataSync()[0]));
  rows.forEach((r, j) => (out[r] = vals[sv.size === 1 ? 0 : j]));
  if (idx !== si) idx.dispose();
  const dt: DType = sv.dtype;
  return tensor(dt === 'float32' ? Float32Array.from(out) : Int32Array.from(out), outputShape, dt);
}

/** Counts (or weight sums) per value of int32 x in [0, size), as tf.bincount (1-D). */
export function bincount(xIn: TensorInput, weightsIn: TensorInput, size: number): Tensor {
  return denseBincountImpl('bincount', xIn, weightsIn, size, false, true);
}

/** tf.denseBincount(x, weights, size, binaryOutput): 1-D or 2-D (per row) counts. */
export function denseBincount(xIn: TensorInput, weightsIn: TensorInput, size: number, binaryOutput = false): Tensor {
  return denseBincountImpl('denseBincount', xIn, weightsIn, size, binaryOutput, false);
}

function denseBincountImpl(op: string, xIn: TensorInput, weightsIn: TensorInput, size: number, binary: boolean, only1d: boolean): Tensor {
  const x = intTensor(op, 'x', xIn);
  const w = toTensor(op, weightsIn);
  if (!Number.isInteger(size) || size < 0) throw new Error(`${op}: size must be a non-negative integer, got ${size}`);
  if (x.rank !== 1 && (only1d || x.rank !== 2)) throw new Error(`${op}: x must be ${only1d ? '1-D' : '1-D or 2-D'}, got ${fmt(x.shape)}`);
  if (w.size !== 0 && !shapesEqual(w.shape, x.shape)) throw new Error(`${op}: weights ${fmt(w.shape)} must be empty or have the shape of x ${fmt(x.shape)}`);
  const xv = x.dataSync(), wv = w.dataSync();
  const rowsN = x.rank === 2 ? x.shape[0] : 1;
  const per = x.rank === 2 ? x.shape[1] : x.size;
  const out = new Float64Array(rowsN * size);
  for (let r = 0; r < rowsN; r++) {
    for (let j = 0; j < per; j++) {
      const v = xv[r * per + j];
      if (v < 0) throw new Error(`${op}: values must be non-negative, got ${v}`);
      if (v >= size) continue;
      const at = r * size + v;
      out[at] = binary ? 1 : out[at] + (w.size ? wv[r * per + j] : 1);
    }
  }
  const shape = x.rank === 2 ? [rowsN, size] : [size];
  return tensor(w.dtype === 'int32' ? Int32Array.from(out) : Float32Array.from(out), shape, w.dtype === 'int32' ? 'int32' : 'float32');
}

/** Coordinates of the true (non-zero) elements, int32 [count, rank] (tf.whereAsync). */
export async function whereAsync(condition: TensorInput): Promise<Tensor> {
  const c = toTensor('whereAsync', condition);
  const v = c.dataSync();
  const strides = stridesOf(c.shape);
  const coords: number[] = [];
  for (let i = 0; i < v.length; i++) {
    if (!v[i]) continue;
    let rem = i;
    for (const s of strides) {
      coords.push(Math.floor(rem / s));
      rem %= s;
    }
  }
  if (c !== condition) c.dispose();
  return tensor(Int32Array.from(coords), [coords.length / Math.max(c.rank, 1), c.rank], 'int32');
}

/**
 * The slices of tensor where the bool mask is true, as tf.booleanMaskAsync(tensor, mask,
 * axis = 0): mask covers the axes axis … axis + mask.rank − 1. Differentiable (a gather).
 */
export async function booleanMaskAsync(input: TensorInput, maskIn: TensorInput, axis = 0): Promise<Tensor> {
  const x = toTensor('booleanMaskAsync', input);
  const mask = toTensor('booleanMaskAsync', maskIn);
  if (mask.rank === 0) throw new Error('booleanMaskAsync: mask cannot be a scalar');
  const a = normalizeAxis('booleanMaskAsync', axis, x.rank);
  const covered = x.shape.slice(a, a + mask.rank);
  if (!shapesEqual(covered, mask.shape)) {
    throw new Error(`booleanMaskAsync: mask's shape ${fmt(mask.shape)} must match axes ${a}… of the tensor's shape ${fmt(x.shape)}`);
  }
  const mv = mask.dataSync();
  const picks: number[] = [];
  for (let i = 0; i < mv.length; i++) if (mv[i]) picks.push(i);
  return composite(() => {
    const flat = reshape(x, [...x.shape.slice(0, a), sizeOf(covered), ...x.shape.slice(a + mask.rank)]);
    return gather1(flat, tensor(Int32Array.from(picks), [picks.length], 'int32'), a);
  });
}

/**
 * tf.gather(x, indices, axis = 0, batchDims = 0): with batchDims > 0 the leading batchDims
 * axes of x and indices are batch axes gathered pairwise.
 */
export function gatherWithBatchDims(input: TensorInput, indicesIn: Tensor | number[], axis = 0, batchDims = 0): Tensor {
  const x = toTensor('gather', input);
  const indices = indicesIn instanceof Tensor ? indicesIn : tensor(indicesIn, [indicesIn.length], 'int32');
  const bd = batchDims < 0 ? batchDims + indices.rank : batchDims;
  const a = normalizeAxis('gather', axis, x.rank);
  if (!(bd > 0 && bd <= indices.rank && bd <= a)) {
    throw new Error(`gather: batchDims ${batchDims} must be ≤ the rank of indices (${indices.rank}) and ≤ axis (${a})`);
  }
  if (!shapesEqual(x.shape.slice(0, bd), indices.shape.slice(0, bd))) {
    throw new Error(`gather: the first ${bd} axes of x ${fmt(x.shape)} and indices ${fmt(indices.shape)} must match`);
  }
  return composite(() => {
    const batch = sizeOf(x.shape.slice(0, bd));
    const xs = unstack(reshape(x, [batch, ...x.shape.slice(bd)]));
    const is = unstack(reshape(indices, [batch, ...indices.shape.slice(bd)]));
    const parts = xs.map((xb, i) => gather1(xb, is[i], a - bd));
    return reshape(stack(parts), [...x.shape.slice(0, bd), ...parts[0].shape]);
  });
}

