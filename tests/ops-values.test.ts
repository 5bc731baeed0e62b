/**
 * Forward values of the public ops against hand-computed numbers, error messages, dtype
 * rules and memory behaviour (tidy, dispose).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import type { Tensor } from 'ferrite-ml';
import { backends, useBackend } from './helpers/gradcheck';

/** Checks shape, (optionally) dtype and values; tol is relative, with an absolute floor. */
function expectTensor(t: Tensor, shape: number[], values: number[], opts: { dtype?: 'float32' | 'int32'; tol?: number } = {}): void {
  expect(t.shape).toEqual(shape);
  if (opts.dtype) expect(t.dtype).toBe(opts.dtype);
  const got = Array.from(t.dataSync());
  expect(got.length).toBe(values.length);
  const tol = opts.tol ?? 1e-6;
  got.forEach((g, i) => {
    const w = values[i];
    const ok = Number.isNaN(w) ? Number.isNaN(g) : g === w || Math.abs(g - w) <= tol * Math.max(1, Math.abs(w));
    if (!ok) throw new Error(`element ${i}: got ${g}, want ${w} (all: [${got.join(', ')}])`);
  });
}

const T = 1e-5; // transcendental functions

describe.each(backends)('op values on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  const m23 = () => fe.tensor([[1, 2, 3], [4, 5, 6]]);

  describe('creation', () => {
    it('tensor, scalar, tensorNd, shapes and dtypes', () => {
      expectTensor(fe.tensor([[1, 2], [3, 4]]), [2, 2], [1, 2, 3, 4], { dtype: 'float32' });
      expectTensor(fe.tensor([1, 2, 3, 4, 5, 6], [3, 2]), [3, 2], [1, 2, 3, 4, 5, 6]);
      expectTensor(fe.tensor([1.9, -1.9], [2], 'int32'), [2], [1, -1], { dtype: 'int32' });
      expectTensor(fe.tensor(new Int32Array([7, 8])), [2], [7, 8], { dtype: 'int32' });
      expectTensor(fe.scalar(3.5), [], [3.5]);
      expect(fe.scalar(3.5).arraySync()).toBe(3.5);
      expectTensor(fe.tensor1d([1, 2]), [2], [1, 2]);
      expectTensor(fe.tensor3d([[[1], [2]]]), [1, 2, 1], [1, 2]);
      expectTensor(fe.tensor4d([[[[1, 2]]]]), [1, 1, 1, 2], [1, 2]);
      expect(fe.tensor([[1, 2], [3, 4]]).arraySync()).toEqual([[1, 2], [3, 4]]);
      expect(() => fe.tensor2d([1, 2])).toThrow(/tensor2d/);
      expect(() => fe.tensor([1, 2, 3], [2, 2])).toThrow(/shape \[2, 2\] needs 4 values, got 3/);
      expect(() => fe.tensor([[1, 2], [3]])).toThrow(/rectangular/);
    });

    it('zeros, ones, fill, zerosLike, onesLike, range', () => {
      expectTensor(fe.zeros([2, 2]), [2, 2], [0, 0, 0, 0]);
      expectTensor(fe.ones([3]), [3], [1, 1, 1]);
      expectTensor(fe.fill([2], 7, 'int32'), [2], [7, 7], { dtype: 'int32' });
      expectTensor(fe.zerosLike(m23()), [2, 3], [0, 0, 0, 0, 0, 0]);
      expectTensor(fe.onesLike(fe.tensor([1, 2], [2], 'int32')), [2], [1, 1], { dtype: 'int32' });
      expectTensor(fe.range(4), [4], [0, 1, 2, 3]);
      expectTensor(fe.range(1, 2, 0.25), [4], [1, 1.25, 1.5, 1.75]);
      expectTensor(fe.range(5, 0, -2), [3], [5, 3, 1]);
    });

    it('seeded random tensors are reproducible and in range', () => {
      const a = fe.randomUniform([50], -2, 3, 'float32', 42).dataSync();
      const b = fe.randomUniform([50], -2, 3, 'float32', 42).dataSync();
      expect(Array.from(a)).toEqual(Array.from(b));
      expect(Math.min(...a)).toBeGreaterThanOrEqual(-2);
      expect(Math.max(...a)).toBeLessThan(3);
      const n = fe.truncatedNormal([200], 1, 0.5, 'float32', 3).dataSync();
      expect(Math.min(...n)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...n)).toBeLessThanOrEqual(2);
      expect(Array.from(fe.randomNormal([8], 0, 1, 'float32', 9).dataSync())).toEqual(Array.from(fe.randomNormal([8], 0, 1, 'float32', 9).dataSync()));
    });
  });

  describe('binary ops', () => {
    it('add/sub/mul/div, same shape', () => {
      const a = fe.tensor([1, 2, 3, 4]);
      const b = fe.tensor([2, 4, -1, 8]);
      expectTensor(fe.add(a, b), [4], [3, 6, 2, 12]);
      expectTensor(fe.sub(a, b), [4], [-1, -2, 4, -4]);
      expectTensor(fe.mul(a, b), [4], [2, 8, -3, 32]);
      expectTensor(fe.div(a, b), [4], [0.5, 0.5, -3, 0.5]);
    });

    it('broadcasting [2,3] + [3], [2,1,2] · [3,1], scalar, numbers', () => {
      expectTensor(fe.add(m23(), fe.tensor([10, 20, 30])), [2, 3], [11, 22, 33, 14, 25, 36]);
      expectTensor(
        fe.mul(fe.tensor([1, 2, 3, 4], [2, 1, 2]), fe.tensor([1, 10, 100], [3, 1])),
        [2, 3, 2],
        [1, 2, 10, 20, 100, 200, 3, 4, 30, 40, 300, 400],
      );
      expectTensor(fe.sub(fe.tensor([[1], [2]]), fe.tensor([[10, 20, 30]])), [2, 3], [-9, -19, -29, -8, -18, -28]);
      expectTensor(fe.div(m23(), fe.scalar(2)), [2, 3], [0.5, 1, 1.5, 2, 2.5, 3]);
      expectTensor(fe.sub(10, fe.tensor([1, 2])), [2], [9, 8]);
      expectTensor(fe.tensor([1, 2]).mul(3), [2], [3, 6]);
    });

    it('pow, maximum, minimum, squaredDifference', () => {
      expectTensor(fe.pow(fe.tensor([2, 3, 4, -2]), fe.tensor([3, 2, 0.5, 2])), [4], [8, 9, 2, 4], { tol: T });
      expectTensor(fe.pow(fe.tensor([1, 2, 3]), 2), [3], [1, 4, 9], { tol: T });
      expectTensor(fe.maximum(fe.tensor([1, 5, 3]), fe.tensor([4, 2, 3])), [3], [4, 5, 3]);
      expectTensor(fe.minimum(fe.tensor([1, 5, 3]), fe.tensor([4, 2, 3])), [3], [1, 2, 3]);
      expectTensor(fe.maximum(fe.tensor([[-1, 2], [3, -4]]), 0), [2, 2], [0, 2, 3, 0]);
      expectTensor(fe.squaredDifference(fe.tensor([1, 5, -3]), fe.tensor([4, 2, 1])), [3], [9, 9, 16]);
    });

    it('comparisons give 0/1', () => {
      const a = fe.tensor([1, 2, 3]);
      const b = fe.tensor([2, 2, 2]);
      expectTensor(fe.equal(a, b), [3], [0, 1, 0]);
      expectTensor(fe.notEqual(a, b), [3], [1, 0, 1]);
      expectTensor(fe.greater(a, b), [3], [0, 0, 1]);
      expectTensor(fe.greaterEqual(a, b), [3], [0, 1, 1]);
      expectTensor(fe.less(a, b), [3], [1, 0, 0]);
      expectTensor(fe.lessEqual(a, b), [3], [1, 1, 0]);
      expectTensor(fe.greater(m23(), fe.tensor([[2], [5]])), [2, 3], [0, 0, 1, 0, 0, 1]);
    });

    it('broadcast mismatch names the op and both shapes', () => {
      expect(() => fe.add(fe.zeros([2, 3]), fe.zeros([2]))).toThrow(/add: shapes \[2, 3\] and \[2\] cannot be broadcast/);
      expect(() => fe.mul(fe.zeros([3, 2]), fe.zeros([2, 3]))).toThrow(/^mul: /);
      expect(() => fe.maximum(fe.zeros([4]), fe.zeros([3]))).toThrow(/maximum/);
    });
  });

  describe('unary ops', () => {
    it('arithmetic unaries', () => {
      const x = fe.tensor([-2, -0.5, 0, 1.5]);
      expectTensor(fe.neg(x), [4], [2, 0.5, -0, -1.5]);
      expectTensor(fe.abs(x), [4], [2, 0.5, 0, 1.5]);
      expectTensor(fe.square(x), [4], [4, 0.25, 0, 2.25]);
      expectTensor(fe.reciprocal(fe.tensor([4, -0.5, 2])), [3], [0.25, -2, 0.5]);
      expectTensor(fe.sqrt(fe.tensor([4, 9, 0, 2])), [4], [2, 3, 0, Math.SQRT2], { tol: T });
      expectTensor(fe.rsqrt(fe.tensor([4, 0.25, 1])), [3], [0.5, 2, 1], { tol: T });
      expectTensor(fe.sqrt(fe.tensor([-1])), [1], [NaN]);
    });

    it('exp, log, log1p', () => {
      expectTensor(fe.exp(fe.tensor([0, 1, -1, 2])), [4], [1, 2.718281828, 0.3678794412, 7.389056099], { tol: T });
      expectTensor(fe.log(fe.tensor([1, Math.E, 10])), [3], [0, 1, 2.302585093], { tol: T });
      expectTensor(fe.log1p(fe.tensor([0, 1, 1e-6])), [3], [0, 0.6931471806, 9.999995e-7], { tol: T });
      expectTensor(fe.log(fe.tensor([0])), [1], [-Infinity]);
    });

    it('activations', () => {
      const x = fe.tensor([-2, -1, 0, 1, 2, 7]);
      expectTensor(fe.relu(x), [6], [0, 0, 0, 1, 2, 7]);
      expectTensor(fe.relu6(x), [6], [0, 0, 0, 1, 2, 6]);
      expectTensor(fe.sigmoid(x), [6], [0.1192029220, 0.2689414214, 0.5, 0.7310585786, 0.8807970780, 0.9990889488], { tol: T });
      expectTensor(fe.tanh(fe.tensor([0, 1, -0.5])), [3], [0, 0.7615941560, -0.4621171573], { tol: T });
      expectTensor(fe.softplus(fe.tensor([0, 1, -2, 100])), [4], [0.6931471806, 1.3132616875, 0.1269280110, 100], { tol: T });
      expectTensor(fe.elu(fe.tensor([-1, 0, 2])), [3], [-0.6321205588, 0, 2], { tol: T });
      expectTensor(fe.elu(fe.tensor([-2, 3]), 0.5), [2], [-0.4323323584, 3], { tol: T });
      expectTensor(fe.selu(fe.tensor([1, -1, 2, 0])), [4], [1.0507009874, -1.1113307378, 2.1014019747, 0], { tol: T });
      expectTensor(fe.gelu(fe.tensor([1, -1, 0.5, 0])), [4], [0.8413447461, -0.1586552539, 0.3457312306, 0], { tol: T });
      expectTensor(fe.leakyRelu(fe.tensor([-2, 3])), [2], [-0.4, 3], { tol: T });
      expectTensor(fe.leakyRelu(fe.tensor([-2, 3]), 0.1), [2], [-0.2, 3], { tol: T });
      expectTensor(fe.clipByValue(fe.tensor([-3, -1, 0.5, 2, 9]), -1, 2), [5], [-1, -1, 0.5, 2, 2]);
      expect(() => fe.clipByValue(x, 2, 1)).toThrow(/clipByValue/);
    });

    it('sign, floor, ceil, round (half to even), step', () => {
      const x = fe.tensor([-1.5, -0.5, 0, 0.5, 1.5, 2.5, 2.7]);
      expectTensor(fe.sign(x), [7], [-1, -1, 0, 1, 1, 1, 1]);
      expectTensor(fe.floor(x), [7], [-2, -1, 0, 0, 1, 2, 2]);
      expectTensor(fe.ceil(x), [7], [-1, -0, 0, 1, 2, 3, 3]);
      expectTensor(fe.round(x), [7], [-2, -0, 0, 0, 2, 2, 3]);
      expectTensor(fe.step(x), [7], [0, 0, 0, 1, 1, 1, 1]);
    });
  });

  describe('reductions', () => {
    it('sum over each axis of a [2,3], with and without keepDims', () => {
      expectTensor(fe.sum(m23()), [], [21]);
      expectTensor(fe.sum(m23(), 0), [3], [5, 7, 9]);
      expectTensor(fe.sum(m23(), 1), [2], [6, 15]);
      expectTensor(fe.sum(m23(), -1), [2], [6, 15]);
      expectTensor(fe.sum(m23(), [0, 1]), [], [21]);
      expectTensor(fe.sum(m23(), 0, true), [1, 3], [5, 7, 9]);
      expectTensor(fe.sum(m23(), 1, true), [2, 1], [6, 15]);
      expectTensor(fe.sum(m23(), undefined, true), [1, 1], [21]);
    });

    it('mean, max, min, prod over each axis', () => {
      expectTensor(fe.mean(m23()), [], [3.5]);
      expectTensor(fe.mean(m23(), 0), [3], [2.5, 3.5, 4.5]);
      expectTensor(fe.mean(m23(), 1, true), [2, 1], [2, 5]);
      const x = fe.tensor([[3, -1, 2], [0, 5, -4]]);
      expectTensor(fe.max(x), [], [5]);
      expectTensor(fe.max(x, 0), [3], [3, 5, 2]);
      expectTensor(fe.max(x, 1), [2], [3, 5]);
      expectTensor(fe.min(x), [], [-4]);
      expectTensor(fe.min(x, 0), [3], [0, -1, -4]);
      expectTensor(fe.min(x, 1, true), [2, 1], [-1, -4]);
      expectTensor(fe.prod(m23()), [], [720]);
      expectTensor(fe.prod(m23(), 0), [3], [4, 10, 18]);
      expectTensor(fe.prod(m23(), 1), [2], [6, 120]);
    });

    it('column reductions of a tall, narrow matrix (rows in groups on wasm) equal exact sums', () => {
      // 30,001 × 13: integers, so every order of float additions gives the exact sum.
      const rows = 30001, cols = 13;
      const v = Float32Array.from({ length: rows * cols }, (_, i) => ((i * 7919) % 23) - 11);
      const want = { sum: new Array(cols).fill(0), max: new Array(cols).fill(-Infinity), min: new Array(cols).fill(Infinity) };
      v.forEach((x, i) => {
        const c = i % cols;
        want.sum[c] += x;
        want.max[c] = Math.max(want.max[c], x);
        want.min[c] = Math.min(want.min[c], x);
      });
      const x = fe.tensor(v, [rows, cols]);
      expectTensor(fe.sum(x, 0), [cols], want.sum, { tol: 0 });
      expectTensor(fe.max(x, 0), [cols], want.max, { tol: 0 });
      expectTensor(fe.min(x, 0), [cols], want.min, { tol: 0 });
      expectTensor(fe.mean(x, 0), [cols], want.sum.map((s) => s / rows), { tol: 1e-6 });
      x.dispose();
    });

    it('reductions over non-adjacent axes of a [2,3,2]', () => {
      const x = fe.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 3, 2]);
      expectTensor(fe.sum(x, [0, 2]), [3], [1 + 2 + 7 + 8, 3 + 4 + 9 + 10, 5 + 6 + 11 + 12]);
      expectTensor(fe.max(x, [0, 2], true), [1, 3, 1], [8, 10, 12]);
      expectTensor(fe.sum(x, 1), [2, 2], [9, 12, 27, 30]);
    });

    it('logSumExp over each axis', () => {
      expectTensor(fe.logSumExp(m23()), [], [6.4561933160], { tol: T });
      expectTensor(fe.logSumExp(m23(), 1), [2], [3.4076059644, 6.4076059644], { tol: T });
      expectTensor(fe.logSumExp(m23(), 0, true), [1, 3], [4.0485873516, 5.0485873516, 6.0485873516], { tol: T });
      expectTensor(fe.logSumExp(fe.tensor([1000, 1000])), [], [1000.6931471806], { tol: T }); // stable
    });

    it('argMax/argMin along each axis; ties give the first index', () => {
      const x = fe.tensor([[1, 7, 7], [9, 2, 9]]);
      expectTensor(fe.argMax(x, 1), [2], [1, 0], { dtype: 'int32' });
      expectTensor(fe.argMax(x, 0), [3], [1, 0, 1], { dtype: 'int32' });
      expectTensor(fe.argMax(x), [3], [1, 0, 1], { dtype: 'int32' }); // default axis 0
      expectTensor(fe.argMin(fe.tensor([[3, 1, 1], [0, 0, 5]]), 1), [2], [1, 0], { dtype: 'int32' });
      expectTensor(fe.argMin(fe.tensor([[3, 1, 1], [3, 0, 1]]), 0), [3], [0, 1, 0], { dtype: 'int32' });
      expectTensor(fe.argMax(fe.tensor([5, 5, 5, 5])), [], [0], { dtype: 'int32' });
      expectTensor(fe.argMax(fe.tensor([-3, -1, -1, -2])), [], [1], { dtype: 'int32' });
    });

    it('bad axis names the op', () => {
      expect(() => fe.sum(m23(), 2)).toThrow(/sum: axis 2 is out of range for a tensor of rank 2/);
      expect(() => fe.argMax(m23(), -3)).toThrow(/argMax/);
    });
  });

  describe('shape ops', () => {
    it('reshape (with -1), flatten, expandDims, squeeze', () => {
      expectTensor(fe.reshape(m23(), [3, 2]), [3, 2], [1, 2, 3, 4, 5, 6]);
      expectTensor(fe.reshape(m23(), [-1]), [6], [1, 2, 3, 4, 5, 6]);
      expectTensor(fe.reshape(m23(), [1, -1, 2]), [1, 3, 2], [1, 2, 3, 4, 5, 6]);
      expectTensor(fe.flatten(fe.zeros([2, 2, 2])), [8], Array(8).fill(0));
      expectTensor(fe.expandDims(fe.tensor([1, 2])), [1, 2], [1, 2]);
      expectTensor(fe.expandDims(fe.tensor([1, 2]), 1), [2, 1], [1, 2]);
      expectTensor(fe.expandDims(fe.tensor([1, 2]), -1), [2, 1], [1, 2]);
      expectTensor(fe.squeeze(fe.tensor([1, 2, 3], [1, 3, 1])), [3], [1, 2, 3]);
      expectTensor(fe.squeeze(fe.tensor([1, 2, 3], [1, 3, 1]), [0]), [3, 1], [1, 2, 3]);
      expect(() => fe.squeeze(fe.zeros([1, 3]), [1])).toThrow(/squeeze: axis 1 has size 3/);
    });

    it('reshape size mismatch names the op and both shapes', () => {
      expect(() => fe.reshape(m23(), [4, 2])).toThrow(/reshape: cannot reshape \[2, 3\] \(6 elements\) to \[4, 2\]/);
      expect(() => fe.reshape(m23(), [-1, 4])).toThrow(/^reshape: /);
      expect(() => fe.reshape(m23(), [-1, -1])).toThrow(/reshape: at most one dimension may be -1/);
    });

    it('transpose of a [2,3], and a [2,3,2] with perm', () => {
      expectTensor(fe.transpose(m23()), [3, 2], [1, 4, 2, 5, 3, 6]);
      expect(fe.transpose(m23()).arraySync()).toEqual([[1, 4], [2, 5], [3, 6]]);
      const x = fe.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 3, 2]);
      // out[k][i][j] = x[i][j][k]
      expectTensor(fe.transpose(x, [2, 0, 1]), [2, 2, 3], [1, 3, 5, 7, 9, 11, 2, 4, 6, 8, 10, 12]);
      expectTensor(fe.transpose(x, [1, 0, 2]), [3, 2, 2], [1, 2, 7, 8, 3, 4, 9, 10, 5, 6, 11, 12]);
      expectTensor(fe.transpose(x), [2, 3, 2], [1, 7, 3, 9, 5, 11, 2, 8, 4, 10, 6, 12]);
      expect(() => fe.transpose(m23(), [0, 0])).toThrow(/transpose: perm \[0, 0\]/);
    });

    it('slice', () => {
      const x = fe.tensor([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]);
      expectTensor(fe.slice(x, [1, 1], [2, 2]), [2, 2], [6, 7, 10, 11]);
      expectTensor(fe.slice(x, [0, 2], [-1, 2]), [3, 2], [3, 4, 7, 8, 11, 12]);
      expectTensor(fe.slice(x, 2), [1, 4], [9, 10, 11, 12]);
      expectTensor(fe.slice(fe.tensor([1, 2, 3, 4, 5]), 1, 3), [3], [2, 3, 4]);
      expect(() => fe.slice(x, [2, 0], [2, 1])).toThrow(/slice: begin \[2, 0\] size \[2, 1\] is outside \[3, 4\]/);
    });

    it('concat axis 0 and 1, stack, split', () => {
      const a = fe.tensor([[1, 2], [3, 4]]);
      const b = fe.tensor([[5, 6]]);
      const c = fe.tensor([[7], [8]]);
      expectTensor(fe.concat([a, b]), [3, 2], [1, 2, 3, 4, 5, 6]);
      expectTensor(fe.concat([a, c], 1), [2, 3], [1, 2, 7, 3, 4, 8]);
      expectTensor(fe.concat([c, a, c], -1), [2, 4], [7, 1, 2, 7, 8, 3, 4, 8]);
      expectTensor(fe.stack([fe.tensor([1, 2]), fe.tensor([3, 4]), fe.tensor([5, 6])]), [3, 2], [1, 2, 3, 4, 5, 6]);
      expectTensor(fe.stack([fe.tensor([1, 2]), fe.tensor([3, 4]), fe.tensor([5, 6])], 1), [2, 3], [1, 3, 5, 2, 4, 6]);
      const parts = fe.split(fe.tensor([[1, 2, 3, 4], [5, 6, 7, 8]]), 2, 1);
      expect(parts.length).toBe(2);
      expectTensor(parts[0], [2, 2], [1, 2, 5, 6]);
      expectTensor(parts[1], [2, 2], [3, 4, 7, 8]);
      const uneven = fe.split(fe.tensor([1, 2, 3, 4, 5, 6]), [1, 3, 2]);
      expectTensor(uneven[0], [1], [1]);
      expectTensor(uneven[1], [3], [2, 3, 4]);
      expectTensor(uneven[2], [2], [5, 6]);
      expect(() => fe.concat([a, fe.zeros([2, 3])], 0)).toThrow(/concat/);
      expect(() => fe.stack([a, b])).toThrow(/stack/);
      expect(() => fe.split(fe.zeros([5]), 2)).toThrow(/split: cannot split axis 0 of size 5/);
    });

    it('tile and pad', () => {
      const a = fe.tensor([[1, 2], [3, 4]]);
      expectTensor(fe.tile(a, [1, 2]), [2, 4], [1, 2, 1, 2, 3, 4, 3, 4]);
      expectTensor(fe.tile(a, [2, 1]), [4, 2], [1, 2, 3, 4, 1, 2, 3, 4]);
      expectTensor(fe.tile(fe.tensor([1, 2, 3]), [2]), [6], [1, 2, 3, 1, 2, 3]);
      expectTensor(fe.pad(a, [[1, 0], [0, 1]]), [3, 3], [0, 0, 0, 1, 2, 0, 3, 4, 0]);
      expectTensor(fe.pad(fe.tensor([1, 2]), [[2, 1]], 9), [5], [9, 9, 1, 2, 9]);
      expectTensor(fe.pad(fe.tensor([1, 2], [2], 'int32'), [[1, 1]], -3), [4], [-3, 1, 2, -3], { dtype: 'int32' });
      expect(() => fe.tile(a, [2])).toThrow(/tile/);
      expect(() => fe.pad(a, [[1, 1]])).toThrow(/pad/);
    });

    it('cast (truncates toward zero) and clone', () => {
      expectTensor(fe.cast(fe.tensor([1.7, -1.7, 2.5, -0.2]), 'int32'), [4], [1, -1, 2, 0], { dtype: 'int32' });
      expectTensor(fe.cast(fe.tensor([3, -4], [2], 'int32'), 'float32'), [2], [3, -4], { dtype: 'float32' });
      const a = fe.tensor([1, 2]);
      const c = fe.clone(a);
      expect(c.id).not.toBe(a.id);
      a.dispose();
      expectTensor(c, [2], [1, 2]);
    });
  });

  describe('matMul and dot', () => {
    const A = () => fe.tensor([[1, 2], [3, 4]]);
    const B = () => fe.tensor([[5, 6], [7, 8]]);
    it('[[1,2],[3,4]]·[[5,6],[7,8]] and the transpose flags', () => {
      expectTensor(fe.matMul(A(), B()), [2, 2], [19, 22, 43, 50]);
      expectTensor(fe.matMul(A(), B(), true, false), [2, 2], [26, 30, 38, 44]);
      expectTensor(fe.matMul(A(), B(), false, true), [2, 2], [17, 23, 39, 53]);
      expectTensor(fe.matMul(A(), B(), true, true), [2, 2], [23, 31, 34, 46]);
      expectTensor(A().matMul(B()), [2, 2], [19, 22, 43, 50]);
    });

    it('non-square and batched', () => {
      expectTensor(fe.matMul(m23(), fe.tensor([[1], [0], [-1]])), [2, 1], [-2, -2]);
      const batch = fe.tensor([1, 2, 3, 4, 1, 0, 0, 1], [2, 2, 2]);
      expectTensor(fe.matMul(batch, B()), [2, 2, 2], [19, 22, 43, 50, 5, 6, 7, 8]);
      expectTensor(fe.matMul(batch, fe.stack([B(), A()])), [2, 2, 2], [19, 22, 43, 50, 1, 2, 3, 4]);
      expectTensor(fe.matMul(A(), fe.stack([B(), A()])), [2, 2, 2], [19, 22, 43, 50, 7, 10, 15, 22]);
    });

    // Batch axes broadcast as in tf.matMul: [2] with [1, 1] gives [1, 2].
    it('batch axes broadcast: [2,2,2]·[1,1,2,2] gives [1,2,2,2]', () => {
      const batch = fe.tensor([1, 2, 3, 4, 1, 0, 0, 1], [2, 2, 2]);
      expectTensor(fe.matMul(batch, fe.reshape(B(), [1, 1, 2, 2])), [1, 2, 2, 2], [19, 22, 43, 50, 5, 6, 7, 8]);
    });

    it('inner-dimension mismatch names matMul and the shapes', () => {
      expect(() => fe.matMul(fe.zeros([2, 3]), fe.zeros([2, 3]))).toThrow(/matMul: inner dimensions differ: \[2, 3\] · \[2, 3\] \(3 vs 2\)/);
      expect(() => fe.matMul(fe.zeros([2, 3]), fe.zeros([4, 3]), true, true)).toThrow(/matMul/);
      expect(() => fe.matMul(fe.zeros([3]), fe.zeros([3, 1]))).toThrow(/matMul: both inputs need rank ≥ 2/);
      expect(() => fe.matMul(fe.zeros([2, 2, 2]), fe.zeros([3, 2, 2]))).toThrow(/matMul: batch dimensions/);
    });

    it('dot', () => {
      expectTensor(fe.dot(fe.tensor([1, 2, 3]), fe.tensor([4, 5, 6])), [], [32]);
      expectTensor(fe.dot(A(), fe.tensor([1, 1])), [2], [3, 7]);
      expectTensor(fe.dot(fe.tensor([1, 1]), A()), [2], [4, 6]);
      expectTensor(fe.dot(A(), B()), [2, 2], [19, 22, 43, 50]);
    });
  });

  describe('convolution and pooling', () => {
    const grid3 = () => fe.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const grid4 = () => fe.range(1, 17).reshape([1, 4, 4, 1]);
    it('conv2d: valid, same with stride 2, channels', () => {
      expectTensor(fe.conv2d(grid3(), fe.ones([2, 2, 1, 1])), [1, 2, 2, 1], [12, 16, 24, 28]);
      expectTensor(fe.conv2d(grid4(), fe.ones([2, 2, 1, 1]), 2, 'same'), [1, 2, 2, 1], [14, 22, 46, 54]);
      // 'same' with a 2x2 kernel pads one row/column after: the last row/column sees zeros
      expectTensor(fe.conv2d(grid3(), fe.ones([2, 2, 1, 1]), 1, 'same'), [1, 3, 3, 1], [12, 16, 9, 24, 28, 15, 15, 17, 9]);
      expectTensor(
        fe.conv2d(fe.tensor([1, 2], [1, 1, 1, 2]), fe.tensor([[1, 2, 3], [4, 5, 6]]).reshape([1, 1, 2, 3])),
        [1, 1, 1, 3], [9, 12, 15],
      );
      // pad 1 with a 3x3 centre-only kernel is the identity
      const centre = fe.tensor([0, 0, 0, 0, 1, 0, 0, 0, 0], [3, 3, 1, 1]);
      expectTensor(fe.conv2d(grid3(), centre, 1, 1), [1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(() => fe.conv2d(grid3(), fe.ones([2, 2, 2, 1]))).toThrow(/conv2d/);
    });

    it('conv1d: valid, causal, dilation', () => {
      const x = fe.tensor([1, 2, 3, 4, 5], [1, 5, 1]);
      const f = fe.tensor([1, 0, -1], [3, 1, 1]);
      expectTensor(fe.conv1d(x, f), [1, 3, 1], [-2, -2, -2]);
      expectTensor(fe.conv1d(x, f, 1, 'causal'), [1, 5, 1], [-1, -2, -2, -2, -2]);
      expectTensor(fe.conv1d(x, fe.tensor([1, 1], [2, 1, 1]), 1, 'valid', 'NWC', 2), [1, 3, 1], [4, 6, 8]);
    });

    it('maxPool and avgPool (padding excluded from the average)', () => {
      expectTensor(fe.maxPool(grid4(), 2, 2), [1, 2, 2, 1], [6, 8, 14, 16]);
      expectTensor(fe.avgPool(grid4(), 2, 2), [1, 2, 2, 1], [3.5, 5.5, 11.5, 13.5]);
      expectTensor(fe.maxPool(grid3(), 2, 1, 'same'), [1, 3, 3, 1], [5, 6, 6, 8, 9, 9, 8, 9, 9]);
      expectTensor(fe.avgPool(grid3(), 2, 1, 'same'), [1, 3, 3, 1], [3, 4, 4.5, 6, 7, 7.5, 7.5, 8.5, 9]);
      expectTensor(fe.maxPool(fe.tensor([1, -5, 3, 2, -1, 0, 4, 1], [2, 2, 2]), 2), [1, 1, 2], [4, 2]);
    });
  });

  describe('softmax family and fused losses', () => {
    it('softmax([1,2,3]) and logSoftmax', () => {
      expectTensor(fe.softmax(fe.tensor([1, 2, 3])), [3], [0.0900305732, 0.2447284711, 0.6652409558], { tol: T });
      expectTensor(fe.logSoftmax(fe.tensor([1, 2, 3])), [3], [-2.4076059644, -1.4076059644, -0.4076059644], { tol: T });
      expectTensor(
        fe.softmax(fe.tensor([[1, 2, 3], [1000, 1000, 1000]])),
        [2, 3],
        [0.0900305732, 0.2447284711, 0.6652409558, 1 / 3, 1 / 3, 1 / 3],
        { tol: T },
      );
      expectTensor(fe.tensor([0, 0]).softmax(), [2], [0.5, 0.5], { tol: T });
      expect(() => fe.softmax(m23(), 0)).toThrow(/softmax: only the last axis/);
    });

    it('sigmoidCrossEntropyWithLogits', () => {
      // max(x,0) − x·z + log(1 + e^−|x|)
      const loss = fe.sigmoidCrossEntropyWithLogits(fe.tensor([1, 0, 0.5]), fe.tensor([2, -1, 0]));
      expectTensor(loss, [3], [0.1269280110, 0.3132616875, 0.6931471806], { tol: T });
      expect(() => fe.sigmoidCrossEntropyWithLogits(fe.zeros([2]), fe.zeros([3]))).toThrow(/sigmoidCrossEntropyWithLogits/);
    });

    it('softmaxCrossEntropyWithLogits, dense and int32 labels', () => {
      const logits = fe.tensor([[1, 2, 3], [1, 2, 3]]);
      const dense = fe.softmaxCrossEntropyWithLogits(fe.tensor([[0, 0, 1], [0.5, 0.5, 0]]), logits);
      expectTensor(dense, [2], [0.4076059644, 0.5 * 2.4076059644 + 0.5 * 1.4076059644], { tol: T });
      const sparse = fe.softmaxCrossEntropyWithLogits(fe.tensor([2, 0], [2], 'int32'), logits);
      expectTensor(sparse, [2], [0.4076059644, 2.4076059644], { tol: T });
      expect(() => fe.softmaxCrossEntropyWithLogits(fe.tensor([3, 0], [2], 'int32'), logits)).toThrow(/label 3 \(row 0\) is outside \[0, 3\)/);
      expect(() => fe.softmaxCrossEntropyWithLogits(fe.zeros([2, 2]), logits)).toThrow(/softmaxCrossEntropy/);
    });
  });

  describe('indexing and selection', () => {
    it('gather axis 0 (repeated indices), axis 1, 2-D indices', () => {
      const x = fe.tensor([[1, 2], [3, 4], [5, 6]]);
      expectTensor(fe.gather(x, [2, 0, 2]), [3, 2], [5, 6, 1, 2, 5, 6]);
      expectTensor(fe.gather(x, fe.tensor([1, 0], [2], 'int32'), 1), [3, 2], [2, 1, 4, 3, 6, 5]);
      expectTensor(fe.gather(x, fe.tensor([[0, 1], [2, 2]], [2, 2], 'int32')), [2, 2, 2], [1, 2, 3, 4, 5, 6, 5, 6]);
      expectTensor(fe.gather(fe.tensor([10, 20, 30], [3], 'int32'), [2, 1]), [2], [30, 20], { dtype: 'int32' });
      expectTensor(x.gather([1]), [1, 2], [3, 4]);
    });

    it('gather with a bad index throws naming the index', () => {
      const x = fe.tensor([[1, 2], [3, 4], [5, 6]]);
      expect(() => fe.gather(x, [0, 3])).toThrow(/gather: index 3 \(at position 1\) is outside \[0, 3\)/);
      expect(() => fe.gather(x, [-1])).toThrow(/index -1/);
      expect(() => fe.gather(x, [0, 2], 1)).toThrow(/index 2/);
      expect(() => fe.gather(x, fe.tensor([0]))).toThrow(/gather: indices must be int32/);
    });

    it('oneHot', () => {
      expectTensor(fe.oneHot([0, 2, 1], 3), [3, 3], [1, 0, 0, 0, 0, 1, 0, 1, 0]);
      expectTensor(fe.oneHot(fe.tensor([1, 0], [2], 'int32'), 2, 5, -1), [2, 2], [-1, 5, 5, -1]);
      expectTensor(fe.oneHot(fe.tensor([[0], [3]], [2, 1], 'int32'), 3), [2, 1, 3], [1, 0, 0, 0, 0, 0]); // out of range: all off
      expect(() => fe.oneHot([0], 0)).toThrow(/oneHot: depth/);
    });

    it('where', () => {
      const cond = fe.tensor([1, 0, 1, 0]);
      expectTensor(fe.where(cond, fe.tensor([1, 2, 3, 4]), fe.tensor([-1, -2, -3, -4])), [4], [1, -2, 3, -4]);
      const a = fe.tensor([1, 5, 3]);
      const b = fe.tensor([4, 2, 3]);
      expectTensor(fe.where(fe.greater(a, b), a, b), [3], [4, 5, 3]);
      expectTensor(fe.where(fe.cast(fe.tensor([0, 1, 1]), 'int32'), a, b), [3], [4, 5, 3]); // int32 condition
      expect(() => fe.where(fe.tensor([1, 0]), a, b)).toThrow(/where: condition \[2\]/);
    });

    it('where on int32 tensors keeps int32', () => {
      const r = fe.where(fe.tensor([1, 0]), fe.tensor([1, 2], [2], 'int32'), fe.tensor([3, 4], [2], 'int32'));
      expectTensor(r, [2], [1, 4], { dtype: 'int32' });
    });

    it('dropout: zero or scaled by 1/(1-rate), seeded', () => {
      const x = fe.ones([1000]);
      const y = Array.from(fe.dropout(x, 0.25, undefined, 11).dataSync());
      for (const v of y) expect([0, 1 / 0.75].some((w) => Math.abs(v - w) < 1e-6)).toBe(true);
      const kept = y.filter((v) => v !== 0).length;
      expect(kept).toBeGreaterThan(700);
      expect(kept).toBeLessThan(800);
      expect(Array.from(fe.dropout(x, 0.25, undefined, 11).dataSync())).toEqual(y);
      expectTensor(fe.dropout(fe.tensor([1, 2]), 0), [2], [1, 2]);
      expect(() => fe.dropout(x, 1)).toThrow(/dropout: rate/);
    });
  });

  describe('dtypes', () => {
    const i32 = (v: number[]) => fe.tensor(v, [v.length], 'int32');

    it('int32 add/sub/mul stay int32, also with numbers', () => {
      expectTensor(fe.add(i32([1, 2]), i32([3, -4])), [2], [4, -2], { dtype: 'int32' });
      expectTensor(fe.sub(i32([1, 2]), i32([3, -4])), [2], [-2, 6], { dtype: 'int32' });
      expectTensor(fe.mul(i32([3, -2]), i32([5, 7])), [2], [15, -14], { dtype: 'int32' });
      expectTensor(fe.add(i32([1, 2]), 5), [2], [6, 7], { dtype: 'int32' });
      expectTensor(fe.mul(3, i32([1, 2])), [2], [3, 6], { dtype: 'int32' });
      expectTensor(fe.maximum(i32([1, 9]), i32([4, 2])), [2], [4, 9], { dtype: 'int32' });
      expectTensor(fe.add(i32([1, 2]), fe.tensor([0.5, 0.5])), [2], [1.5, 2.5], { dtype: 'float32' });
      expectTensor(fe.equal(i32([1, 2]), i32([1, 3])), [2], [1, 0]);
    });

    it('int32 add is exact beyond 2^24', () => {
      expectTensor(fe.add(i32([16777217, 2 ** 30 + 1]), i32([1, 2])), [2], [16777218, 2 ** 30 + 3], { dtype: 'int32', tol: 0 });
      expectTensor(fe.sub(i32([16777219]), i32([2])), [1], [16777217], { dtype: 'int32', tol: 0 });
    });

    it('int32 div floors as tf.div (−7 / 2 = −4)', () => {
      expectTensor(fe.div(i32([7, -7, 6]), i32([2, 2, 3])), [3], [3, -4, 2], { dtype: 'int32' });
    });

    it('int32 sum, neg and abs stay int32 (as TensorFlow.js)', () => {
      expectTensor(fe.sum(i32([1, 2, 3])), [], [6], { dtype: 'int32' });
      expectTensor(fe.neg(i32([1, -2])), [2], [-1, 2], { dtype: 'int32' });
      expectTensor(fe.abs(i32([1, -2])), [2], [1, 2], { dtype: 'int32' });
    });

    it('matMul rejects int32', () => {
      expect(() => fe.matMul(fe.tensor([[1]], [1, 1], 'int32'), fe.tensor([[1]]))).toThrow(/matMul: expected float32/);
    });
  });

  describe('memory', () => {
    it('tidy disposes intermediates and keeps the result', () => {
      const x = fe.tensor([1, 2, 3]);
      const before = fe.memory().numTensors;
      let inner: Tensor | null = null;
      const y = fe.tidy(() => {
        inner = fe.mul(x, 2);
        const z = fe.exp(inner);
        return fe.sum(z);
      });
      expect(fe.memory().numTensors).toBe(before + 1);
      expect(inner!.isDisposed).toBe(true);
      expect(y.isDisposed).toBe(false);
      expectTensor(y, [], [Math.exp(2) + Math.exp(4) + Math.exp(6)], { tol: T });
      expect(x.isDisposed).toBe(false);
    });

    it('tidy keeps returned containers, kept tensors and variables; nested tidy', () => {
      const before = fe.memory().numTensors;
      let kept: Tensor | null = null;
      const out = fe.tidy(() => {
        kept = fe.keep(fe.ones([2]));
        const v = fe.variable(fe.zeros([2]));
        const inner = fe.tidy(() => {
          const t = fe.add(v, 1);
          return fe.mul(t, 3);
        });
        return { a: inner, b: [fe.neg(inner)], v };
      });
      // kept, the variable, out.a, out.b[0] (and nothing else)
      expect(fe.memory().numTensors).toBe(before + 4);
      expectTensor(out.a, [2], [3, 3]);
      expectTensor(out.b[0], [2], [-3, -3]);
      expectTensor(kept!, [2], [1, 1]);
      fe.dispose([out.a, out.b, out.v, kept!]);
      expect(fe.memory().numTensors).toBe(before);
    });

    it('tidy disposes when the function throws', () => {
      const before = fe.memory().numTensors;
      expect(() =>
        fe.tidy(() => {
          fe.ones([3]);
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(fe.memory().numTensors).toBe(before);
    });

    it('dispose makes dataSync throw and ops reject the tensor', () => {
      const t = fe.tensor([1, 2]);
      t.dispose();
      expect(t.isDisposed).toBe(true);
      expect(() => t.dataSync()).toThrow(/disposed/);
      expect(() => fe.add(t, 1)).toThrow(/add: input tensor \d+ is disposed/);
      t.dispose(); // idempotent
    });

    /** How many tensors f leaves alive (outside any tidy). */
    function newTensors(f: () => unknown): number {
      const before = fe.memory().numTensors;
      f();
      return fe.memory().numTensors - before;
    }

    it('ops leave only their result alive', () => {
      const a = fe.tensor([[1, 2], [3, 4]]);
      const v = fe.tensor([1, 2]);
      const idx = fe.tensor([1, 0], [2], 'int32');
      const labels = fe.tensor([0, 1], [2], 'int32');
      const cond = fe.tensor([1, 0]);
      expect(newTensors(() => fe.add(a, 1))).toBe(1);
      expect(newTensors(() => fe.mean(a, 0))).toBe(1);
      expect(newTensors(() => fe.logSumExp(a, 1))).toBe(1);
      expect(newTensors(() => fe.stack([v, v]))).toBe(1);
      expect(newTensors(() => fe.where(cond, v, v))).toBe(1);
      expect(newTensors(() => fe.dropout(a, 0.5, undefined, 1))).toBe(1);
      expect(newTensors(() => fe.softmaxCrossEntropyWithLogits(labels, a))).toBe(1);
      expect(newTensors(() => fe.oneHot([0, 1], 3))).toBe(1);
      expect(newTensors(() => fe.gather(a, idx))).toBe(1);
      expect(newTensors(() => fe.split(a, 2))).toBe(2);
      expect(newTensors(() => fe.matMul(a, a))).toBe(1);
    });

    it('gather with an array of indices frees the index tensor it makes', () => {
      const a = fe.tensor([[1, 2], [3, 4]]);
      expect(newTensors(() => fe.gather(a, [1, 0]))).toBe(1);
    });

    it('dot frees its reshaped intermediates', () => {
      const a = fe.tensor([[1, 2], [3, 4]]);
      const v = fe.tensor([1, 2]);
      expect([newTensors(() => fe.dot(a, a)), newTensors(() => fe.dot(a, v)), newTensors(() => fe.dot(v, v))]).toEqual([1, 1, 1]);
    });

    it('memory reports the backend', () => {
      expect(fe.memory().backend).toBe(backend);
      expect(fe.getBackend()).toBe(backend);
    });
  });
});
