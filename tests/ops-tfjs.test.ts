// The ops added for TensorFlow.js parity, run as the same program in TensorFlow.js (cpu
// backend) and in ferrite on each backend: values (to float32 rounding of the op's own
// accuracy), shapes and dtypes must agree. Both backends agreeing with TensorFlow.js also
// checks wasm against js. Ops TensorFlow.js lacks or gets wrong are checked by hand values in
// ops-extra.test.ts.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { BACKENDS, useBackend } from './helpers/backends';
import { mulberry32 } from './helpers/reference';

/** The shared surface of the two libraries a case program uses. */
type Lib = typeof tf;
type Out = tf.Tensor | tf.Tensor[] | { [k: string]: tf.Tensor };

interface Case {
  name: string;
  run: (L: Lib) => Out;
  /** Relative and absolute tolerance (default exact to 1e-6 relative). */
  tol?: [number, number];
}

function rand(seed: number, n: number, lo = -2, hi = 2): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => lo + (hi - lo) * r());
}

const A23 = [[0.5, -1.25, 2], [3, 0, -0.75]];
const V7 = rand(1, 7);
const X345 = rand(2, 60);

const CASES: Case[] = [
  // ---- element-wise math ----
  ...(['sin', 'cos', 'atan', 'sinh', 'cosh', 'asinh', 'expm1', 'erf', 'logSigmoid'] as const).map((op) => ({
    name: op,
    run: (L: Lib) => (L[op] as (x: tf.Tensor) => tf.Tensor)(L.tensor(X345.map((v) => v * 1.5), [3, 4, 5])),
    tol: [2e-6, 2e-7] as [number, number],
  })),
  { name: 'tan', run: (L) => L.tan(L.tensor(rand(3, 17, -1.4, 1.4))), tol: [3e-6, 2e-7] },
  { name: 'asin, acos, atanh inside (−1, 1)', run: (L) => ['asin', 'acos', 'atanh'].map((op) => (L as unknown as Record<string, (x: tf.Tensor) => tf.Tensor>)[op](L.tensor(rand(4, 9, -0.99, 0.99)))), tol: [2e-6, 2e-7] },
  { name: 'acosh', run: (L) => L.acosh(L.tensor(rand(5, 9, 1, 30))), tol: [2e-6, 2e-7] },
  { name: 'out-of-domain NaN', run: (L) => [L.asin(L.tensor([2, -3])), L.acosh(L.tensor([0.5])), L.atanh(L.tensor([1.5]))] },
  { name: 'atan2 with broadcasting', run: (L) => L.atan2(L.tensor(A23), L.tensor([1, -2, 0])), tol: [1e-6, 1e-7] },
  { name: 'mod float', run: (L) => L.mod(L.tensor([-5, 5, 5.5, -5.5, 7, -7]), L.tensor([3, -3, 2, 2, 2.5, 2.5])) },
  { name: 'mod int32', run: (L) => L.mod(L.tensor([-5, 5, 9, -9], undefined, 'int32'), L.tensor([3, -3, 4, 4], undefined, 'int32')) },
  { name: 'floorDiv float and int32', run: (L) => [L.floorDiv(L.tensor([-5, 5, 5.5]), L.tensor([3, -3, 2])), L.floorDiv(L.tensor([-5, 7], undefined, 'int32'), L.tensor([3, 2], undefined, 'int32'))] },
  { name: 'divNoNan', run: (L) => L.divNoNan(L.tensor([1, 2, 0, -3]), L.tensor([2, 0, 0, 4])) },
  { name: 'addN', run: (L) => L.addN([L.tensor(A23), L.tensor(A23), L.ones([2, 3])]) },
  { name: 'isNaN, isInf, isFinite', run: (L) => { const x = L.tensor([NaN, Infinity, -Infinity, 0, -2.5]); return [L.isNaN(x), L.isInf(x), L.isFinite(x)]; } },
  { name: 'step with alpha', run: (L) => L.step(L.tensor([-2, 0, 0.5, 3]), 0.25) },
  // ---- bool ----
  { name: 'comparisons give bool', run: (L) => [L.greater(L.tensor(A23), 0.5), L.equal(L.tensor([1, 2], undefined, 'int32'), L.tensor([1, 3], undefined, 'int32'))] },
  { name: 'logical ops broadcast', run: (L) => { const a = L.tensor([[true, false], [true, true]]), b = L.tensor([false, true]); return [L.logicalAnd(a, b), L.logicalOr(a, b), L.logicalXor(a, b), L.logicalNot(b)]; } },
  { name: 'all and any', run: (L) => { const a = L.tensor([[true, false, true], [true, true, true]]); return [L.all(a), L.all(a, 1), L.any(a, 0, true), L.any(L.logicalNot(a))]; } },
  { name: 'cast to and from bool', run: (L) => [L.cast(L.tensor([0.5, 0, -2, NaN]), 'bool'), L.cast(L.tensor([3, 0], undefined, 'int32'), 'bool'), L.cast(L.tensor([true, false]), 'float32'), L.cast(L.tensor([true, false]), 'int32')] },
  { name: 'bool reductions: sum int32, mean float32, max bool', run: (L) => { const b = L.greater(L.tensor(A23), 0); return [L.sum(b), L.mean(b), L.max(b, 1), L.sum(b, 0)]; } },
  { name: 'bool arithmetic with floats', run: (L) => L.mul(L.greater(L.tensor(A23), 0), L.tensor(A23)) },
  { name: 'where broadcasting a bool condition', run: (L) => [L.where(L.tensor([true, false, true]), L.tensor(A23), L.tensor([9, 8, 7])), L.where(L.tensor([[true], [false]]), L.tensor(A23), L.zerosLike(L.tensor(A23)))] },
  { name: 'boolean tensors, zeros and ones', run: (L) => [L.tensor([[true, false]]), L.zeros([2], 'bool'), L.ones([2], 'bool'), L.onesLike(L.tensor([true])), L.zerosLike(L.tensor([true]))] },
  // ---- scans ----
  { name: 'cumsum every flag, every axis', run: (L) => { const x = L.tensor(X345, [3, 4, 5]); return [0, 1, 2].flatMap((a) => [L.cumsum(x, a), L.cumsum(x, a, true), L.cumsum(x, a, false, true), L.cumsum(x, a, true, true)]); }, tol: [1e-5, 1e-6] },
  { name: 'cumprod every flag', run: (L) => { const x = L.tensor(rand(6, 24, 0.5, 1.5), [4, 6]); return [L.cumprod(x, 1), L.cumprod(x, 0, true), L.cumprod(x, 1, false, true), L.cumprod(x, 1, true, true)]; }, tol: [1e-5, 1e-6] },
  { name: 'cumsum int32 and bool', run: (L) => [L.cumsum(L.tensor([1, 2, 3], undefined, 'int32')), L.cumsum(L.tensor([true, false, true]))] },
  // ---- shape ----
  { name: 'unstack every axis', run: (L) => { const x = L.tensor(X345, [3, 4, 5]); return [...L.unstack(x), ...L.unstack(x, 1), ...L.unstack(x, -1)]; } },
  { name: 'reverse', run: (L) => { const x = L.tensor(X345, [3, 4, 5]); return [L.reverse(x), L.reverse(x, 1), L.reverse(x, [0, 2]), L.reverse(L.tensor(V7)), L.reverse2d(L.tensor(A23), 1)]; } },
  {
    name: 'stridedSlice with masks',
    run: (L) => {
      const x = L.tensor(X345, [3, 4, 5]);
      return [
        L.stridedSlice(x, [1], [3]),
        L.stridedSlice(x, [0, 1, 0], [3, 4, 5], [2, 2, 3]),
        L.stridedSlice(x, [-1, -1, -1], [-4, 0, -6], [-1, -2, -2]),
        L.stridedSlice(x, [1, 0, 0], [2, 0, 0], [1, 1, 1], 0, 6),
        L.stridedSlice(x, [0, 2], [0, 3], [1, 1], 1, 1),
        L.stridedSlice(x, [1, 2], [2, 3], [1, 1], 0, 0, 0, 0, 1),
        L.stridedSlice(x, [0, 0, 1], [0, 0, 4], [1, 1, 2], 0, 0, 1, 0, 0),
        L.stridedSlice(x, [0, 0, 2], [0, 0, 3], [1, 1, 1], 0, 0, 0, 2, 4),
        L.stridedSlice(x, [10, -10], [20, 30], [1, 1]),
        L.stridedSlice(L.tensor(V7), [5], [1], [-2]),
      ];
    },
  },
  { name: 'mirrorPad reflect and symmetric', run: (L) => { const x = L.tensor(X345.slice(0, 12), [3, 4]); return [L.mirrorPad(x, [[2, 1], [3, 3]], 'reflect'), L.mirrorPad(x, [[3, 0], [1, 4]], 'symmetric'), L.mirrorPad(L.tensor(V7), [[0, 0]], 'reflect')]; } },
  { name: 'broadcastTo', run: (L) => [L.broadcastTo(L.tensor([1, 2, 3]), [2, 3]), L.broadcastTo(L.tensor([[1], [2]]), [3, 2, 4]), L.broadcastTo(L.scalar(5), [2, 2])] },
  { name: 'diag', run: (L) => [L.diag(L.tensor([1, 2, 3])), L.diag(L.tensor([[1, 2], [3, 4]]))] },
  { name: 'meshgrid', run: (L) => [...L.meshgrid(L.tensor([1, 2, 3]), L.tensor([4, 5])), ...L.meshgrid(L.tensor([1, 2, 3]), L.tensor([4, 5]), { indexing: 'ij' })] },
  { name: 'spaceToBatchND and back', run: (L) => { const x = L.tensor(rand(7, 2 * 4 * 6 * 3), [2, 4, 6, 3]); const s = L.spaceToBatchND(x, [2, 3], [[0, 2], [1, 2]]); return [s, L.batchToSpaceND(s, [2, 3], [[0, 2], [1, 2]])]; } },
  // (TensorFlow.js' cpu backend has no NCHW depthToSpace: see ops-extra.test.ts)
  { name: 'depthToSpace NHWC', run: (L) => L.depthToSpace(L.tensor(rand(8, 2 * 2 * 3 * 8), [2, 2, 3, 8]) as tf.Tensor4D, 2) },
  { name: 'concat1d…4d, slice1d…4d, pad1d…4d', run: (L) => [L.concat1d([L.tensor([1]), L.tensor([2, 3])]), L.concat2d([L.tensor(A23), L.tensor(A23)], 1), L.slice1d(L.tensor(V7), 2, 3), L.slice2d(L.tensor(A23), [0, 1], [2, 2]), L.pad1d(L.tensor([1, 2]), [1, 2], 9), L.pad2d(L.tensor(A23), [[1, 0], [0, 2]])] },
  { name: 'tensor5d, tensor6d', run: (L) => [L.tensor5d([[[[[1, 2]]]]]), L.tensor6d([[[[[[3]]]]]])] },
  { name: 'eye and linspace', run: (L) => [L.eye(3), L.eye(2, 4), L.eye(2, 3, [2]), L.eye(2, 2, undefined, 'int32'), L.linspace(0, 1, 5), L.linspace(-3, 7, 11), L.linspace(2, 3, 1)] },
  // ---- indexing, scatter, sorting ----
  { name: 'gatherND', run: (L) => { const x = L.tensor(X345, [3, 4, 5]); return [L.gatherND(x, L.tensor([[1, 0], [2, 3]], [2, 2], 'int32')), L.gatherND(x, L.tensor([[2], [0]], [2, 1], 'int32')), L.gatherND(x, L.tensor([[[0, 1, 2]], [[2, 3, 4]]], [2, 1, 3], 'int32'))]; } },
  { name: 'scatterND (duplicates sum)', run: (L) => [L.scatterND(L.tensor([[1], [3], [1]], [3, 1], 'int32'), L.tensor([9, 10, 11]), [5]), L.scatterND(L.tensor([[0, 1], [1, 0]], [2, 2], 'int32'), L.tensor([[1, 2, 3], [4, 5, 6]]), [2, 2, 3])] },
  { name: 'tensorScatterUpdate (last wins)', run: (L) => [L.tensorScatterUpdate(L.tensor([1, 2, 3, 4]), L.tensor([[1], [1], [3]], [3, 1], 'int32'), L.tensor([9, 10, 7])), L.tensorScatterUpdate(L.tensor(A23), L.tensor([[1]], [1, 1], 'int32'), L.tensor([[7, 8, 9]]))] },
  { name: 'unsortedSegmentSum', run: (L) => [L.unsortedSegmentSum(L.tensor([1, 2, 3, 4]), L.tensor([1, 0, 1, 3], undefined, 'int32'), 4), L.unsortedSegmentSum(L.tensor(X345.slice(0, 12), [4, 3]), L.tensor([2, 0, 2, 2], undefined, 'int32'), 3)] },
  { name: 'sparseToDense', run: (L) => [L.sparseToDense(L.tensor1d([0, 2], 'int32'), L.tensor1d([5, 6]), [4], L.scalar(1)), L.sparseToDense(L.tensor2d([[0, 1], [1, 2]], [2, 2], 'int32'), L.tensor1d([3, 4]), [2, 3])] },
  { name: 'bincount, denseBincount', run: (L) => [L.bincount(L.tensor1d([1, 1, 3, 7], 'int32'), L.tensor1d([]), 5), L.bincount(L.tensor1d([1, 1, 3], 'int32'), L.tensor1d([0.5, 2, 1]), 5), L.denseBincount(L.tensor2d([[1, 1], [3, 4]], [2, 2], 'int32'), L.tensor1d([]) as never, 5, true)] },
  { name: 'topk', run: (L) => { const t = L.topk(L.tensor([[1, 5, 3, 5], [4, 4, 2, -1]]), 3); const u = L.topk(L.tensor(V7)); const w = L.topk(L.tensor([1, NaN, 3]), 2); return [t.values, t.indices, u.values, u.indices, w.values, w.indices]; } },
  { name: 'unique', run: (L) => { const a = L.unique(L.tensor1d([3, 1, 3, 2, 1])); const b = L.unique(L.tensor2d([[1, 0], [1, 0], [2, 2]]), 0); const c = L.unique(L.tensor2d([[1, 1, 2], [0, 0, 2]]), 1); return [a.values, a.indices, b.values, b.indices, c.values, c.indices]; } },
  { name: 'gather with batchDims', run: (L) => [L.gather(L.tensor2d([[1, 2, 3], [4, 5, 6]]), L.tensor2d([[2, 0], [1, 1]], [2, 2], 'int32'), 1, 1), L.gather(L.tensor(X345, [3, 4, 5]), L.tensor([[1], [0], [3]], [3, 1], 'int32'), 1, 1)] },
  // ---- linear algebra and statistics ----
  { name: 'einsum (TensorFlow.js forms)', run: (L) => { const a = L.tensor(X345.slice(0, 12), [3, 4]), b = L.tensor(X345.slice(12, 32), [4, 5]); const v = L.tensor(V7.slice(0, 4)); return [L.einsum('ij,jk->ik', a, b), L.einsum('ij->ji', a), L.einsum('ij->', a), L.einsum('ij,j->i', a, v), L.einsum('i,i->', v, v), L.einsum('i,j->ij', v, L.tensor([1, 2])), L.einsum('bij,bjk->bik', L.tensor(X345.slice(0, 24), [2, 3, 4]), L.tensor(X345.slice(24, 56), [2, 4, 4]))]; }, tol: [1e-5, 1e-6] },
  { name: 'outerProduct', run: (L) => L.outerProduct(L.tensor([1, 2, 3]), L.tensor([-1, 0.5])) },
  { name: 'linalg.bandPart', run: (L) => { const x = L.tensor(rand(10, 20), [4, 5]); return [L.linalg.bandPart(x, 1, 2), L.linalg.bandPart(x, 0, -1), L.linalg.bandPart(x, -1, 0), L.linalg.bandPart(L.tensor(rand(11, 18), [2, 3, 3]), 0, 0)]; } },
  { name: 'linalg.qr', run: (L) => [...L.linalg.qr(L.tensor(rand(12, 12), [4, 3])), ...L.linalg.qr(L.tensor(rand(13, 12), [3, 4])), ...L.linalg.qr(L.tensor(rand(14, 12), [4, 3]), true), ...L.linalg.qr(L.tensor(rand(15, 18), [2, 3, 3]))], tol: [1e-4, 2e-5] },
  { name: 'linalg.gramSchmidt', run: (L) => [L.linalg.gramSchmidt(L.tensor(rand(16, 9), [3, 3])) as tf.Tensor, ...(L.linalg.gramSchmidt([L.tensor([1, 2, 0]), L.tensor([0.5, 1, 3])]) as tf.Tensor[])], tol: [1e-5, 1e-6] },
  { name: 'moments', run: (L) => { const x = L.tensor(X345, [3, 4, 5]); const a = L.moments(x), b = L.moments(x, [0, 2]), d = L.moments(x, 1, true); return [a.mean, a.variance, b.mean, b.variance, d.mean, d.variance]; }, tol: [1e-5, 1e-6] },
  { name: 'batchNorm forms', run: (L) => { const x = L.tensor(X345, [3, 4, 5]); const m = L.tensor(V7.slice(0, 5)), v = L.tensor(rand(17, 5, 0.5, 2)); return [L.batchNorm(x, m, v), L.batchNorm(x, m, v, L.tensor(rand(18, 5)), L.tensor(rand(19, 5)), 0.01), L.batchNorm3d(x as tf.Tensor3D, m as never, v as never), L.batchNorm2d(L.tensor(A23) as tf.Tensor2D, L.tensor([1, 0, 0.5]) as never, L.tensor([2, 1, 1]) as never, L.tensor([0.5, 0, 1]) as never, L.tensor([2, 1, -1]) as never)]; }, tol: [1e-5, 1e-6] },
  { name: 'norm: every ord TensorFlow.js has', run: (L) => { const x = L.tensor([[1, -2, 0.5], [3, 4, -1]]); return [L.norm(x), L.norm(x, 'euclidean'), L.norm(x, 1), L.norm(x, Infinity), L.norm(x, -Infinity), L.norm(x, 2, 1), L.norm(x, 1, 0, true), L.norm(x, 'fro', [0, 1]), L.norm(x, 1, [0, 1]), L.norm(x, Infinity, [0, 1]), L.norm(x, -Infinity, [0, 1]), L.norm(x, 'euclidean', [0, 1], true), L.norm(L.scalar(-3)), L.euclideanNorm(x, 1)]; }, tol: [1e-6, 1e-7] },
  { name: 'localResponseNormalization', run: (L) => [L.localResponseNormalization(L.tensor(rand(20, 2 * 3 * 2 * 7), [2, 3, 2, 7]) as tf.Tensor4D, 2, 1.5, 0.3, 0.75), L.localResponseNormalization(L.tensor(rand(21, 3 * 2 * 4), [3, 2, 4]) as tf.Tensor3D)], tol: [1e-5, 1e-6] },
  { name: 'prelu', run: (L) => [L.prelu(L.tensor(A23), L.tensor([0.1, 0.2, 0.3])), L.prelu(L.tensor(A23), L.scalar(0.25))] },
  // ---- smaller ops ----
  {
    name: 'basicLSTMCell and multiRNNCell',
    run: (L) => {
      type T2 = tf.Tensor2D;
      const fb = L.scalar(1);
      const k1 = L.tensor(rand(22, 5 * 8, -0.5, 0.5), [5, 8]) as T2, b1 = L.tensor(rand(23, 8)) as tf.Tensor1D;
      const k2 = L.tensor(rand(28, 4 * 8, -0.5, 0.5), [4, 8]) as T2, b2 = L.tensor(rand(29, 8)) as tf.Tensor1D;
      const d = L.tensor(rand(24, 6), [2, 3]) as T2, c = L.tensor(rand(25, 4), [2, 2]) as T2, h = L.tensor(rand(26, 4), [2, 2]) as T2;
      const [nc, nh] = L.basicLSTMCell(fb, k1, b1, d, c, h);
      const cell1 = (x: T2, cc: T2, hh: T2) => L.basicLSTMCell(fb, k1, b1, x, cc, hh);
      const cell2 = (x: T2, cc: T2, hh: T2) => L.basicLSTMCell(fb, k2, b2, x, cc, hh);
      const [cs, hs] = L.multiRNNCell([cell1, cell2], d, [c, L.zeros([2, 2]) as T2], [h, L.ones([2, 2]) as T2]);
      return [nc, nh, ...cs, ...hs];
    },
    tol: [1e-5, 1e-6],
  },
  { name: 'movingAverage', run: (L) => [L.movingAverage(L.tensor([1, 2]), L.tensor([3, -1]), 0.6, 2), L.movingAverage(L.tensor([1, 2]), L.tensor([3, -1]), 0.6, undefined, false)], tol: [1e-6, 1e-7] },
  { name: 'bitwiseAnd, broadcastArgs, ensureShape, confusionMatrix', run: (L) => [L.bitwiseAnd(L.tensor1d([12, 7, -1], 'int32'), L.tensor1d([10, 3, 5], 'int32')), L.broadcastArgs(L.tensor1d([2, 1, 3], 'int32'), L.tensor1d([4, 1], 'int32')), L.ensureShape(L.tensor(A23), [2, 3]), L.math.confusionMatrix(L.tensor1d([0, 1, 2, 1, 0], 'int32'), L.tensor1d([0, 2, 2, 1, 1], 'int32'), 3)] },
  { name: 'split with a -1 size', run: (L) => L.split(L.tensor(X345, [3, 4, 5]), [1, -1, 2], 2) },
  { name: 'oneHot dtype', run: (L) => [L.oneHot(L.tensor1d([0, 2], 'int32'), 3), L.oneHot(L.tensor1d([1], 'int32'), 2, 5, -1, 'float32')] },
];

/** Async ops: the same, awaited. */
const ASYNC_CASES: { name: string; run: (L: Lib) => Promise<Out> }[] = [
  { name: 'whereAsync', run: async (L) => [await L.whereAsync(L.tensor2d([[1, 0, 1], [0, 1, 1]]).cast('bool')), await L.whereAsync(L.tensor([false, true, true, false]))] },
  { name: 'booleanMaskAsync', run: async (L) => [await L.booleanMaskAsync(L.tensor2d([[1, 2], [3, 4], [5, 6]]), L.tensor1d([true, false, true], 'bool')), await L.booleanMaskAsync(L.tensor(X345, [3, 4, 5]), L.tensor([[true, false, false, true], [false, false, true, true], [true, true, true, false]]), 0), await L.booleanMaskAsync(L.tensor(X345, [3, 4, 5]), L.tensor([true, false, true, true, false]), 2)] },
  { name: 'setdiff1dAsync', run: async (L) => L.setdiff1dAsync(L.tensor1d([1, 2, 3, 4, 2]), L.tensor1d([2, 9])) },
  { name: 'inTopKAsync', run: async (L) => L.inTopKAsync(L.tensor2d([[1, 5, 5], [3, 2, 1], [0.1, 0.7, 0.2]]), L.tensor1d([2, 0, 2], 'int32'), 2) },
];

function flatten(o: Out): tf.Tensor[] {
  if (Array.isArray(o)) return o;
  if (o instanceof tf.Tensor || (o as { dataSync?: unknown }).dataSync) return [o as tf.Tensor];
  return Object.keys(o).sort().map((k) => (o as Record<string, tf.Tensor>)[k]);
}

function compare(name: string, got: tf.Tensor[], want: tf.Tensor[], [rtol, atol]: [number, number]): void {
  expect(got.length, `${name}: number of outputs`).toBe(want.length);
  want.forEach((w, i) => {
    const g = got[i];
    expect(g.shape, `${name} #${i} shape`).toEqual(w.shape);
    expect(g.dtype, `${name} #${i} dtype`).toBe(w.dtype);
    const gv = Array.from(g.dataSync() as ArrayLike<number>);
    const wv = Array.from(w.dataSync() as ArrayLike<number>);
    gv.forEach((v, j) => {
      const ok = Number.isNaN(wv[j]) ? Number.isNaN(v) : v === wv[j] || Math.abs(v - wv[j]) <= atol + rtol * Math.abs(wv[j]);
      if (!ok) throw new Error(`${name} #${i} [${j}]: got ${v}, TensorFlow.js ${wv[j]}`);
    });
  });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(BACKENDS)('ops as TensorFlow.js on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
  });
  for (const c of ASYNC_CASES) {
    it(c.name, async () => {
      const want = flatten(await c.run(tf));
      const got = flatten(await c.run(fe as unknown as Lib));
      compare(c.name, got, want, [1e-6, 0]);
      tf.dispose(want);
      fe.dispose(got as unknown as fe.Tensor[]);
    });
  }
  for (const c of CASES) {
    it(c.name, () => {
      const want = tf.tidy(() => flatten(c.run(tf)).map((t) => t.clone()));
      const got = fe.tidy(() => flatten(c.run(fe as unknown as Lib)) as unknown as fe.Tensor[]) as unknown as tf.Tensor[];
      try {
        compare(c.name, got, want, c.tol ?? [1e-6, 0]);
      } finally {
        tf.dispose(want);
        fe.dispose(got as unknown as fe.Tensor[]);
      }
    });
  }
});
