/**
 * Shape and layout ops of TensorFlow.js beyond the basic ones in shape.ts: unstack, reverse,
 * stridedSlice, mirrorPad, broadcastTo, diag, meshgrid, spaceToBatchND, batchToSpaceND,
 * depthToSpace, and the rank-checked forms (concat1d…, slice1d…, pad1d…, reverse1d…).
 * Strided copies do the work (negative strides reverse, stride 0 repeats); compositions of
 * differentiable ops get their gradients from those ops.
 */
import { record } from '../autograd';
import { emptyTensor, sizeOf, Tensor, zeroTensor } from '../tensor';
import { sumToShape } from './binary';
import { composite } from './composite';
import { toTensor, type TensorInput } from './convert';
import { tensor } from './creation';
import { gather } from './indexing';
import { concat, pad, reshape, slice, stridedCopy, transpose } from './shape';
import { broadcastShapes, broadcastStrides, fmt, normalizeAxes, normalizeAxis, stridesOf } from './util';

/** The slices of x along `axis`, each without that axis (as tf.unstack). */
export function unstack(input: TensorInput, axis = 0): Tensor[] {
  const x = toTensor('unstack', input);
  if (x.rank === 0) throw new Error('unstack: expected a tensor of rank ≥ 1, got a scalar');
  const a = normalizeAxis('unstack', axis, x.rank);
  const rest = x.shape.filter((_, i) => i !== a);
  return composite(() =>
    Array.from({ length: x.shape[a] }, (_, i) => {
      const begin = x.shape.map((_, d) => (d === a ? i : 0));
      const size = x.shape.map((n, d) => (d === a ? 1 : n));
      return reshape(slice(x, begin, size), rest);
    }),
  );
}

/** A strided copy of x: `shape` elements from `offset` with (possibly negative) `strides`. */
function stridedRaw(x: Tensor, offset: number, strides: number[], shape: number[], outShape: number[]): Tensor {
  const out = emptyTensor(outShape, x.dtype);
  stridedCopy(x, offset, strides, out, 0, stridesOf(shape), shape);
  return out;
}

/** x reversed along `axis` (default: every axis), as tf.reverse. */
export function reverse(input: TensorInput, axis?: number | number[]): Tensor {
  const x = toTensor('reverse', input);
  const axes = normalizeAxes('reverse', axis, x.rank);
  const xs = stridesOf(x.shape);
  // Start at the last element of each reversed axis and walk it backwards.
  let offset = 0;
  const strides = xs.map((s, d) => {
    if (!axes.includes(d)) return s;
    if (x.shape[d] > 0) offset += (x.shape[d] - 1) * s;
    return -s;
  });
  const out = stridedRaw(x, offset, strides, [...x.shape], [...x.shape]);
  return record(out, 'reverse', [x], (dy) => [stridedRaw(dy, offset, strides, [...x.shape], [...x.shape])]);
}

interface StridedPlan {
  offset: number;
  strides: number[];
  /** Elements copied along each input axis. */
  sizes: number[];
  outShape: number[];
}

/**
 * TensorFlow's strided-slice semantics: begin/end/strides per spec entry, with the masks
 * (bit i refers to entry i): beginMask/endMask ignore begin[i]/end[i] (the widest range),
 * ellipsisMask makes entry i stand for all the axes not otherwise named, newAxisMask inserts
 * an axis of size 1, shrinkAxisMask takes the single index begin[i] and drops the axis.
 * Entries past the end of the spec stand for whole axes.
 */
function stridedPlan(
  shape: readonly number[], begin: number[], end: number[], stridesArg: number[] | undefined,
  beginMask: number, endMask: number, ellipsisMask: number, newAxisMask: number, shrinkAxisMask: number,
): StridedPlan {
  const op = 'stridedSlice';
  const n = begin.length;
  const strides = stridesArg ?? new Array<number>(n).fill(1);
  if (end.length !== n || strides.length !== n) {
    throw new Error(`${op}: begin, end and strides need the same length, got ${n}, ${end.length} and ${strides.length}`);
  }
  if ((ellipsisMask & (ellipsisMask - 1)) !== 0) throw new Error(`${op}: at most one ellipsis is allowed (ellipsisMask ${ellipsisMask})`);
  const bit = (m: number, i: number) => (m >> i) & 1;
  // Spec entries that consume an input axis (not new axes, the ellipsis counted apart).
  const ellipsisAt = ellipsisMask ? Math.log2(ellipsisMask) : -1;
  if (ellipsisAt >= n) throw new Error(`${op}: ellipsisMask bit ${ellipsisAt} is beyond the ${n} spec entries`);
  let named = 0;
  for (let i = 0; i < n; i++) if (i !== ellipsisAt && !bit(newAxisMask, i)) named++;
  if (named > shape.length) throw new Error(`${op}: the spec names ${named} axes, the input ${fmt(shape)} has ${shape.length}`);
  const xs = stridesOf(shape);
  const plan: StridedPlan = { offset: 0, strides: [], sizes: [], outShape: [] };
  let axis = 0;
  const whole = (d: number) => {
    plan.strides.push(xs[d]);
    plan.sizes.push(shape[d]);
    plan.outShape.push(shape[d]);
  };
  for (let i = 0; i < n; i++) {
    if (i === ellipsisAt) {
      const span = shape.length - named;
      for (let k = 0; k < span; k++) whole(axis++);
      continue;
    }
    if (bit(newAxisMask, i)) {
      plan.outShape.push(1);
      continue;
    }
    const d = axis++;
    const dim = shape[d];
    const s = strides[i];
    if (!Number.isInteger(s) || s === 0) throw new Error(`${op}: strides must be non-zero integers, got ${s} at entry ${i}`);
    if (bit(shrinkAxisMask, i)) {
      const idx = begin[i] < 0 ? begin[i] + dim : begin[i];
      if (!(idx >= 0 && idx < dim)) throw new Error(`${op}: index ${begin[i]} of entry ${i} is outside axis ${d} of size ${dim}`);
      plan.offset += idx * xs[d];
      plan.strides.push(xs[d]);
      plan.sizes.push(1);
      continue;
    }
    const clamp = (v: number) => (s > 0 ? Math.min(Math.max(v, 0), dim) : Math.min(Math.max(v, -1), dim - 1));
    const start = bit(beginMask, i) ? (s > 0 ? 0 : dim - 1) : clamp(begin[i] < 0 ? begin[i] + dim : begin[i]);
    const stop = bit(endMask, i) ? (s > 0 ? dim : -1) : clamp(end[i] < 0 ? end[i] + dim : end[i]);
    const size = Math.max(0, s > 0 ? Math.ceil((stop - start) / s) : Math.ceil((start - stop) / -s));
    if (size > 0) plan.offset += start * xs[d];
    plan.strides.push(s * xs[d]);
    plan.sizes.push(size);
    plan.outShape.push(size);
  }
  while (axis < shape.length) whole(axis++);
  return plan;
}

/** tf.stridedSlice(x, begin, end, strides?, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask). */
export function stridedSlice(
  input: TensorInput, begin: number[], end: number[], strides?: number[],
  beginMask = 0, endMask = 0, ellipsisMask = 0, newAxisMask = 0, shrinkAxisMask = 0,
): Tensor {
  const x = toTensor('stridedSlice', input);
  const p = stridedPlan(x.shape, begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask);
  const out = stridedRaw(x, p.offset, p.strides, p.sizes, p.outShape);
  return record(out, 'stridedSlice', [x], (dy) => {
    // The selected positions are distinct: scatter dy back into zeros.
    const dx = zeroTensor(x.shape);
    stridedCopy(dy, 0, stridesOf(p.sizes), dx, p.offset, p.strides, p.sizes);
    return [dx];
  });
}

/**
 * Pads with a reflection of x, as tf.mirrorPad(x, paddings, mode): 'reflect' leaves the edge
 * out (pad ≤ size − 1), 'symmetric' repeats it (pad ≤ size). A gather per padded axis, so the
 * gradient sums the reflected copies back.
 */
export function mirrorPad(input: TensorInput, paddings: [number, number][], mode: 'reflect' | 'symmetric'): Tensor {
  const x = toTensor('mirrorPad', input);
  if (mode !== 'reflect' && mode !== 'symmetric') throw new Error(`mirrorPad: mode must be 'reflect' or 'symmetric', got '${String(mode)}'`);
  if (!Array.isArray(paddings) || paddings.length !== x.rank) {
    throw new Error(`mirrorPad: need one [before, after] pair per axis of ${fmt(x.shape)}`);
  }
  // reflect mirrors around the edge element (i = −1 reads 1), symmetric repeats it (reads 0)
  const shift = mode === 'reflect' ? 1 : 0;
  paddings.forEach(([b, a], d) => {
    const limit = x.shape[d] - shift;
    if (!(Number.isInteger(b) && Number.isInteger(a) && b >= 0 && a >= 0 && b <= limit && a <= limit)) {
      throw new Error(`mirrorPad: paddings [${b}, ${a}] of axis ${d} must be integers in [0, ${limit}] for size ${x.shape[d]} in '${mode}' mode`);
    }
  });
  return composite(() => {
    let cur = x;
    paddings.forEach(([before, after], d) => {
      if (!before && !after) return;
      const n = x.shape[d];
      const idx: number[] = [];
      for (let i = -before; i < n + after; i++) {
        idx.push(i < 0 ? -i - 1 + shift : i >= n ? 2 * n - i - 1 - shift : i);
      }
      cur = gather(cur, tensor(idx, [idx.length], 'int32'), d);
    });
    return cur === x ? reshape(x, x.shape) : cur;
  });
}

/** x repeated along its size-1 and missing leading axes to `shape` (as tf.broadcastTo). */
export function broadcastTo(input: TensorInput, shape: number[]): Tensor {
  const x = toTensor('broadcastTo', input);
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`broadcastTo: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  let ok = x.rank <= shape.length;
  try {
    ok = ok && broadcastShapes('broadcastTo', x.shape, shape).every((d, i) => d === shape[i]);
  } catch {
    ok = false;
  }
  if (!ok) throw new Error(`broadcastTo: ${fmt(x.shape)} cannot be broadcast to ${fmt(shape)}`);
  const out = emptyTensor(shape, x.dtype);
  stridedCopy(x, 0, broadcastStrides(x.shape, shape), out, 0, stridesOf(shape), [...shape]);
  return record(out, 'broadcastTo', [x], (dy) => {
    const g = sumToShape(dy, x.shape);
    return [g === dy ? stridedRaw(dy, 0, stridesOf(dy.shape), [...dy.shape], [...dy.shape]) : g];
  });
}

/** A diagonal tensor: x of shape S gives shape [...S, ...S] with x on the diagonal (tf.diag). */
export function diag(input: TensorInput): Tensor {
  const x = toTensor('diag', input);
  const n = x.size;
  const out = zeroTensor([...x.shape, ...x.shape], x.dtype);
  stridedCopy(x, 0, [1], out, 0, [n + 1], [n]);
  return record(out, 'diag', [x], (dy) => {
    const dx = emptyTensor(x.shape);
    stridedCopy(dy, 0, [n + 1], dx, 0, [1], [n]);
    return [dx];
  });
}

/**
 * Coordinate grids from 1-D x and y, as tf.meshgrid: 'xy' indexing gives [len(y), len(x)]
 * grids, 'ij' [len(x), len(y)].
 */
export function meshgrid(x?: TensorInput, y?: TensorInput, { indexing = 'xy' }: { indexing?: string } = {}): Tensor[] {
  if (indexing !== 'xy' && indexing !== 'ij') throw new Error(`meshgrid: indexing must be 'xy' or 'ij', got '${indexing}'`);
  if (x === undefined) return [];
  return composite(() => {
    const xt = toTensor('meshgrid', x);
    const xf = xt.rank === 1 ? xt : reshape(xt, [xt.size]);
    if (y === undefined) return [xf];
    const yt = toTensor('meshgrid', y);
    const yf = yt.rank === 1 ? yt : reshape(yt, [yt.size]);
    const [nx, ny] = [xf.size, yf.size];
    if (indexing === 'xy') {
      return [broadcastTo(reshape(xf, [1, nx]), [ny, nx]), broadcastTo(reshape(yf, [ny, 1]), [ny, nx])];
    }
    return [broadcastTo(reshape(xf, [nx, 1]), [nx, ny]), broadcastTo(reshape(yf, [1, ny]), [nx, ny])];
  });
}

function checkBlocks(op: string, x: Tensor, blockShape: number[], pairs: [number, number][], what: string): void {
  const m = blockShape.length;
  if (m < 1 || blockShape.some((b) => !Number.isInteger(b) || b < 1)) {
    throw new Error(`${op}: blockShape must be positive integers, got [${blockShape.join(', ')}]`);
  }
  if (x.rank < m + 1) throw new Error(`${op}: input ${fmt(x.shape)} needs rank ≥ ${m + 1} for blockShape of length ${m}`);
  if (pairs.length !== m || pairs.some((p) => p.length !== 2 || p.some((v) => !Number.isInteger(v) || v < 0))) {
    throw new Error(`${op}: ${what} must be ${m} pairs of non-negative integers`);
  }
}

/**
 * tf.spaceToBatchND(x, blockShape, paddings): pads the spatial axes 1..M, then moves each
 * block's positions into the batch.
 */
export function spaceToBatchND(input: TensorInput, blockShape: number[], paddings: [number, number][]): Tensor {
  const x = toTensor('spaceToBatchND', input);
  checkBlocks('spaceToBatchND', x, blockShape, paddings, 'paddings');
  const m = blockShape.length;
  const padded = x.shape.slice(1, m + 1).map((d, i) => d + paddings[i][0] + paddings[i][1]);
  padded.forEach((d, i) => {
    if (d % blockShape[i] !== 0) {
      throw new Error(`spaceToBatchND: padded size ${d} of axis ${i + 1} is not a multiple of block ${blockShape[i]}`);
    }
  });
  return composite(() => {
    const rest = x.shape.slice(m + 1);
    const p = pad(x, [[0, 0], ...paddings, ...rest.map((): [number, number] => [0, 0])]);
    const split = [x.shape[0], ...padded.flatMap((d, i) => [d / blockShape[i], blockShape[i]]), ...rest];
    const r = reshape(p, split);
    // [batch, d1, b1, …, dM, bM, rest] → [b1, …, bM, batch, d1, …, dM, rest]
    const perm = [...blockShape.map((_, i) => 2 + 2 * i), 0, ...blockShape.map((_, i) => 1 + 2 * i), ...rest.map((_, i) => 1 + 2 * m + i)];
    const t = transpose(r, perm);
    return reshape(t, [x.shape[0] * sizeOf(blockShape), ...padded.map((d, i) => d / blockShape[i]), ...rest]);
  });
}

/** tf.batchToSpaceND(x, blockShape, crops): the inverse of spaceToBatchND, then crops. */
export function batchToSpaceND(input: TensorInput, blockShape: number[], crops: [number, number][]): Tensor {
  const x = toTensor('batchToSpaceND', input);
  checkBlocks('batchToSpaceND', x, blockShape, crops, 'crops');
  const m = blockShape.length;
  const prodB = sizeOf(blockShape);
  if (x.shape[0] % prodB !== 0) {
    throw new Error(`batchToSpaceND: batch ${x.shape[0]} is not a multiple of the block size ${prodB} (blockShape [${blockShape.join(', ')}])`);
  }
  const batch = x.shape[0] / prodB;
  const spatial = x.shape.slice(1, m + 1);
  const rest = x.shape.slice(m + 1);
  const full = spatial.map((d, i) => d * blockShape[i]);
  full.forEach((d, i) => {
    if (crops[i][0] + crops[i][1] > d) throw new Error(`batchToSpaceND: crops [${crops[i].join(', ')}] exceed axis ${i + 1} of size ${d}`);
  });
  return composite(() => {
    const r = reshape(x, [...blockShape, batch, ...spatial, ...rest]);
    // [b1..bM, batch, d1..dM, rest] → [batch, d1, b1, …, dM, bM, rest]
    const perm = [m, ...spatial.flatMap((_, i) => [m + 1 + i, i]), ...rest.map((_, i) => 2 * m + 1 + i)];
    const t = reshape(transpose(r, perm), [batch, ...full, ...rest]);
    if (crops.every(([a, b]) => a === 0 && b === 0)) return t;
    return slice(t, [0, ...crops.map(([a]) => a), ...rest.map(() => 0)], [batch, ...full.map((d, i) => d - crops[i][0] - crops[i][1]), ...rest]);
  });
}

/** tf.depthToSpace(x, blockSize, dataFormat = 'NHWC'): channels become blockSize² spatial positions. */
export function depthToSpace(input: TensorInput, blockSize: number, dataFormat: 'NHWC' | 'NCHW' = 'NHWC'): Tensor {
  const x = toTensor('depthToSpace', input);
  if (x.rank !== 4) throw new Error(`depthToSpace: expected a rank-4 input, got ${fmt(x.shape)}`);
  if (!Number.isInteger(blockSize) || blockSize < 2) throw new Error(`depthToSpace: blockSize must be an integer ≥ 2, got ${blockSize}`);
  if (dataFormat !== 'NHWC' && dataFormat !== 'NCHW') throw new Error(`depthToSpace: dataFormat must be 'NHWC' or 'NCHW', got '${String(dataFormat)}'`);
  const bs = blockSize;
  const [b, d1, d2, d3] = x.shape;
  const c = dataFormat === 'NHWC' ? d3 : d1;
  if (c % (bs * bs) !== 0) throw new Error(`depthToSpace: depth ${c} is not a multiple of blockSize² = ${bs * bs}`);
  const co = c / (bs * bs);
  return composite(() => {
    if (dataFormat === 'NHWC') {
      const [h, w] = [d1, d2];
      const r = reshape(x, [b, h, w, bs, bs, co]);
      return reshape(transpose(r, [0, 1, 3, 2, 4, 5]), [b, h * bs, w * bs, co]);
    }
    const [h, w] = [d2, d3];
    const r = reshape(x, [b, bs, bs, co, h, w]);
    return reshape(transpose(r, [0, 3, 4, 1, 5, 2]), [b, co, h * bs, w * bs]);
  });
}

// ---- rank-checked forms ------------------------------------------------------------------

function checkRank(op: string, x: Tensor, rank: number): void {
  if (x.rank !== rank) throw new Error(`${op}: expected a rank-${rank} tensor, got ${fmt(x.shape)}`);
}

const concatN = (rank: number) => (tensors: Tensor[], axis = 0): Tensor => {
  tensors.forEach((t) => checkRank(`concat${rank}d`, t, rank));
  return concat(tensors, axis);
};
export const concat1d = (tensors: Tensor[]): Tensor => concatN(1)(tensors, 0);
export const concat2d = concatN(2);
export const concat3d = concatN(3);
export const concat4d = concatN(4);

const sliceN = (rank: number) => (x: Tensor, begin: number | number[], size?: number | number[]): Tensor => {
  checkRank(`slice${rank}d`, x, rank);
  return slice(x, begin, size);
};
export const slice1d = sliceN(1) as (x: Tensor, begin: number, size: number) => Tensor;
export const slice2d = sliceN(2) as (x: Tensor, begin: [number, number], size: [number, number]) => Tensor;
export const slice3d = sliceN(3) as (x: Tensor, begin: [number, number, number], size: [number, number, number]) => Tensor;
export const slice4d = sliceN(4) as (x: Tensor, begin: [number, number, number, number], size: [number, number, number, number]) => Tensor;

export function pad1d(x: Tensor, paddings: [number, number], constantValue = 0): Tensor {
  checkRank('pad1d', x, 1);
  return pad(x, [paddings], constantValue);
}
const padN = (rank: number) => (x: Tensor, paddings: [number, number][], constantValue = 0): Tensor => {
  checkRank(`pad${rank}d`, x, rank);
  return pad(x, paddings, constantValue);
};
export const pad2d = padN(2);
export const pad3d = padN(3);
export const pad4d = padN(4);

const reverseN = (rank: number) => (x: Tensor, axis?: number | number[]): Tensor => {
  checkRank(`reverse${rank}d`, x, rank);
  return reverse(x, axis);
};
export const reverse1d = (x: Tensor): Tensor => reverseN(1)(x);
export const reverse2d = reverseN(2);
export const reverse3d = reverseN(3);
export const reverse4d = reverseN(4);
