// The new ops where TensorFlow.js cannot be the reference (it lacks the gradient, the form or
// gets an edge wrong) — checked by hand-computed values — plus their errors, the bool dtype's
// details, random ops' distributions, and that no op leaves intermediate tensors behind.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import type { Tensor } from 'ferrite-ml';
import { BACKENDS, useBackend } from './helpers/backends';

function values(t: Tensor): number[] {
  return Array.from(t.dataSync());
}

function close(t: Tensor, want: number[], tol = 1e-5): void {
  const got = values(t);
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    if (!(Math.abs(g - want[i]) <= tol * Math.max(1, Math.abs(want[i])))) throw new Error(`[${i}]: got ${g}, want ${want[i]} (all: [${got.join(', ')}])`);
  });
}

/** Tensors an expression leaves alive beyond its outputs (0 = no leak). */
function leaked(f: () => Tensor | Tensor[] | { [k: string]: Tensor }): number {
  const before = fe.memory().numTensors;
  const out = f();
  const outs = out instanceof fe.Tensor ? [out] : Array.isArray(out) ? out : Object.values(out);
  const extra = fe.memory().numTensors - before - new Set(outs).size;
  fe.dispose(outs);
  return extra;
}

describe.each(BACKENDS)('new ops by hand on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  describe('bool dtype', () => {
    it('reads back as Uint8Array, nests as numbers, prints, moves between backends', async () => {
      const b = fe.tensor([[true, false], [false, true]]);
      expect(b.dtype).toBe('bool');
      expect(b.dataSync()).toBeInstanceOf(Uint8Array);
      expect(b.arraySync()).toEqual([[1, 0], [0, 1]]);
      expect(await b.data()).toEqual(new Uint8Array([1, 0, 0, 1]));
      expect(fe.tensor([2, 0, -1], [3], 'bool').dataSync()).toEqual(new Uint8Array([1, 0, 1]));
      expect(fe.scalar(true).dtype).toBe('bool');
      expect(fe.fill([2], false).dtype).toBe('bool');
      expect(fe.tensor(new Uint8Array([1, 2])).dtype).toBe('int32');
      b.dispose();
    });

    it('masks from comparisons keep working in arithmetic, mean, sum and where', () => {
      fe.tidy(() => {
        const x = fe.tensor([1, -2, 3, -4]);
        const m = fe.greater(x, 0);
        expect(m.dtype).toBe('bool');
        close(fe.mul(x, m), [1, -0, 3, -0]);
        close(fe.mean(m), [0.5]);
        expect(fe.sum(m).dtype).toBe('int32');
        close(fe.sum(m), [2]);
        close(fe.where(m, x, 0), [1, 0, 3, 0]);
        // float and int32 conditions are accepted too (non-zero is true)
        close(fe.where(fe.tensor([1, 0, 0.5, 0]), x, fe.zerosLike(x)), [1, 0, 3, 0]);
        expect(fe.add(m, m).dtype).toBe('int32'); // integer arithmetic on bools
        close(fe.add(m, m), [2, 0, 2, 0]);
      });
    });

    it('logical ops and all/any take bool only (as TensorFlow.js), all([]) is true, any([]) false', () => {
      expect(() => fe.logicalAnd(fe.tensor([1, 0]), fe.tensor([true, true]))).toThrow(/logicalAnd: argument 'a' must be a bool tensor, got a float32 tensor \[2\]/);
      expect(() => fe.all(fe.tensor([1, 2]))).toThrow(/all: argument 'x' must be a bool tensor/);
      const empty = fe.tensor([], [0], 'bool');
      close(fe.all(empty), [1]);
      close(fe.any(empty), [0]);
      close(fe.all(fe.tensor([], [2, 0], 'bool'), 1), [1, 1]);
      close(fe.logicalAnd(true, fe.tensor([true, false])), [1, 0]);
    });
  });

  describe('scans', () => {
    it('cumsum along a negative axis; int32 overflow wraps as int32', () => {
      close(fe.cumsum(fe.tensor([[1, 2, 3], [4, 5, 6]]), -1), [1, 3, 6, 4, 9, 15]);
      close(fe.cumsum(fe.tensor([[1, 2, 3], [4, 5, 6]]), -2, true), [0, 0, 0, 1, 2, 3]);
      close(fe.cumsum(fe.tensor([2147483647, 1], [2], 'int32')), [2147483647, -2147483648]);
    });

    it('cumprod gradient where x has zeros (exact, by hand)', () => {
      // y = [2, 0, 0, 0] for x = [2, 0, 3, 4]; L = Σ y·[1, 1, 1, 1]
      // dL/dx0 = 1 + 0 + 0 + 0 = 1; dL/dx1 = x0 + x0·x2 + x0·x2·x3 = 2 + 6 + 24 = 32; after the zero: 0
      const g = fe.grad((x) => fe.cumprod(x))(fe.tensor([2, 0, 3, 4]));
      close(g, [1, 32, 0, 0]);
      // two zeros: only the first gets a gradient, and only through products that skip it
      const g2 = fe.grad((x) => fe.cumprod(x))(fe.tensor([0, 5, 0, 2]));
      close(g2, [1 + 5, 0, 0, 0]);
    });
  });

  describe('sorting', () => {
    it('topk gradient goes to the picked entries; k = 0 and ties', () => {
      const g = fe.grad((x) => fe.topk(x, 2).values)(fe.tensor([[1, 5, 3], [4, 4, 2]]), fe.tensor([[10, 20], [30, 40]]));
      close(g, [0, 10, 20, 30, 40, 0]);
      expect(fe.topk(fe.tensor([1, 2]), 0).values.shape).toEqual([0]);
      expect(() => fe.topk(fe.tensor([1, 2]), 3)).toThrow(/topk: k must be an integer in \[0, 2\]/);
    });

    it('unique sends each gradient to the first occurrence', () => {
      const g = fe.grad((x) => fe.unique(x).values)(fe.tensor([1.5, -0.5, 1.5, 2]), fe.tensor([1, 2, 3]));
      close(g, [1, 2, 0, 3]);
    });

    it('searchSorted keeps the shape of values (1-D in, 1-D out), batched rows', () => {
      const r = fe.searchSorted(fe.tensor([1, 3, 5, 7]), fe.tensor([0, 3, 6, 8]));
      expect(r.shape).toEqual([4]);
      close(r, [0, 1, 3, 4]);
      close(fe.upperBound(fe.tensor([1, 3, 5, 7]), fe.tensor([0, 3, 6, 8])), [0, 2, 3, 4]);
      close(fe.lowerBound(fe.tensor([[1, 2], [5, 6]]), fe.tensor([[2, 3], [4, 7]])), [1, 2, 0, 2]);
    });
  });

  describe('shape', () => {
    it('depthToSpace NCHW is NHWC with the channels moved (TensorFlow.js cpu lacks NCHW)', () => {
      const x = fe.randomNormal([2, 8, 2, 3], 0, 1, 'float32', 11);
      const viaNhwc = fe.transpose(fe.depthToSpace(fe.transpose(x, [0, 2, 3, 1]), 2), [0, 3, 1, 2]);
      expect(values(fe.depthToSpace(x, 2, 'NCHW'))).toEqual(values(viaNhwc));
    });

    it('errors name the op and the values', () => {
      const x = fe.zeros([2, 3]);
      expect(() => fe.stridedSlice(x, [0, 0], [2, 3], [1, 0])).toThrow(/stridedSlice: strides must be non-zero integers, got 0/);
      expect(() => fe.stridedSlice(x, [5], [6], [1], 0, 0, 0, 0, 1)).toThrow(/stridedSlice: index 5 of entry 0 is outside axis 0 of size 2/);
      expect(() => fe.mirrorPad(x, [[2, 0], [0, 0]], 'reflect')).toThrow(/mirrorPad: paddings \[2, 0\] of axis 0 must be integers in \[0, 1\]/);
      expect(() => fe.broadcastTo(x, [4, 3])).toThrow(/broadcastTo: \[2, 3\] cannot be broadcast to \[4, 3\]/);
      expect(() => fe.unstack(fe.scalar(1))).toThrow(/unstack: expected a tensor of rank ≥ 1, got a scalar/);
      expect(() => fe.spaceToBatchND(fe.zeros([1, 3, 3, 1]), [2, 2], [[0, 0], [0, 0]])).toThrow(/padded size 3 of axis 1 is not a multiple of block 2/);
      expect(() => fe.depthToSpace(fe.zeros([1, 2, 2, 3]), 2)).toThrow(/depth 3 is not a multiple of blockSize² = 4/);
      expect(() => fe.eye(-1)).toThrow(/eye: numRows must be a non-negative integer, got -1/);
      expect(() => fe.linspace(0, 1, 0)).toThrow(/linspace: the number of values must be a positive integer, got 0/);
    });
  });

  describe('indexing', () => {
    it('errors: bad index tuples, segment ids, update shapes', () => {
      const x = fe.zeros([3, 4]);
      expect(() => fe.gatherND(x, fe.tensor([[3, 0]], [1, 2], 'int32'))).toThrow(/gatherND: index \[3, 0\] \(tuple 0\) is outside \[3, 4\]/);
      expect(() => fe.gatherND(x, fe.tensor([1.5]))).toThrow(/gatherND: indices must be int32, got float32/);
      expect(() => fe.unsortedSegmentSum(x, fe.tensor([0, 1, 3], undefined, 'int32'), 3)).toThrow(/segment id 3 \(at 2\) is outside \[0, 3\)/);
      expect(() => fe.scatterND(fe.tensor([[1]], [1, 1], 'int32'), fe.tensor([1, 2]), [4])).toThrow(/scatterND: updates must have shape \[1\]/);
      expect(() => fe.tensorScatterUpdate(x, fe.tensor([[1]], [1, 1], 'int32'), fe.zeros([1, 3]))).toThrow(/updates must have shape \[1, 4\], got \[1, 3\]/);
    });

    it('scatterND and unsortedSegmentSum keep int32', () => {
      const s = fe.scatterND(fe.tensor([[0], [0]], [2, 1], 'int32'), fe.tensor([2147483000, 600], undefined, 'int32'), [2]);
      expect(s.dtype).toBe('int32');
      close(s, [2147483600, 0], 0);
    });
  });

  describe('linear algebra', () => {
    it('qr: Q orthonormal, R upper triangular, QR = A, for tall, wide and full', () => {
      for (const [shape, full] of [[[5, 3], false], [[3, 5], false], [[4, 2], true], [[2, 3, 3], false]] as [number[], boolean][]) {
        fe.tidy(() => {
          const a = fe.randomNormal(shape, 0, 1, 'float32', 7);
          const [q, r] = fe.linalg.qr(a, full);
          const k = q.shape[q.rank - 1];
          close(fe.matMul(q, r), values(a), 2e-5);
          const qtq = fe.matMul(q, q, true, false);
          close(qtq, values(fe.add(fe.zeros(qtq.shape), fe.eye(k, k, shape.slice(0, -2)))), 2e-5);
          const rv = r.arraySync() as number[][] | number[][][];
          const mats = (r.rank === 3 ? rv : [rv]) as number[][][];
          for (const m of mats) m.forEach((row, i) => row.forEach((v, j) => { if (j < i) expect(Math.abs(v)).toBeLessThan(1e-6); }));
        });
      }
      expect(() => fe.linalg.qr(fe.tensor([1, 2]))).toThrow(/qr: expected a tensor of rank ≥ 2, got \[2\]/);
      const v = fe.variable(fe.randomNormal([4, 2], 0, 1, 'float32', 1));
      expect(() => fe.grad((x) => fe.linalg.qr(x, true)[0])(v)).toThrow(/qr: the gradient of a full decomposition of a 4×2 matrix/);
      v.dispose();
    });

    it('einsum by hand, and its errors', () => {
      close(fe.einsum('ij,jk->ik', fe.tensor([[1, 2], [3, 4]]), fe.tensor([[5, 6], [7, 8]])), [19, 22, 43, 50]);
      close(fe.einsum('i,i', fe.tensor([1, 2, 3]), fe.tensor([4, 5, 6])), [32]);
      close(fe.einsum('ij', fe.tensor([[1, 2], [3, 4]])), [1, 2, 3, 4]);
      close(fe.einsum('ba', fe.tensor([[1, 2], [3, 4]])), [1, 3, 2, 4]); // implicit output is alphabetical: 'ab'
      expect(() => fe.einsum('ij,jk->ik', fe.zeros([2, 3]), fe.zeros([4, 2]))).toThrow(/einsum: subscript 'j' has size 3 and 4/);
      expect(() => fe.einsum('ii->i', fe.zeros([2, 2]))).toThrow(/a letter repeated within one operand/);
      expect(() => fe.einsum('ij->k', fe.zeros([2, 2]))).toThrow(/output subscript 'k' appears in no operand/);
      expect(() => fe.einsum('ij,jk', fe.zeros([2, 2]))).toThrow(/has 2 operand\(s\), 1 tensor\(s\) given/);
      expect(() => fe.einsum('...i->i', fe.zeros([2]))).toThrow(/ellipses/);
    });

    it('norm: invalid ord and axes throw as TensorFlow.js', () => {
      expect(() => fe.norm(fe.zeros([2, 2]), 3)).toThrow(/norm: invalid ord 3 for a vector norm/);
      expect(() => fe.norm(fe.zeros([2, 2]), 2, [0, 1])).toThrow(/norm: invalid ord 2 for a matrix norm/);
      expect(() => fe.norm(fe.zeros([2, 2, 2]), 1, [0, 1, 2])).toThrow(/axis must name one or two axes/);
    });
  });

  describe('random', () => {
    it('multinomial draws by the softmax of the logits (seeded), normalized probabilities too', () => {
      const probs = [0.1, 0.6, 0.3];
      const logits = fe.log(fe.tensor([probs]));
      const draws = fe.multinomial(logits, 3000, 5);
      expect(draws.shape).toEqual([1, 3000]);
      expect(draws.dtype).toBe('int32');
      const counts = [0, 0, 0];
      for (const v of draws.dataSync()) counts[v]++;
      counts.forEach((c, i) => expect(Math.abs(c / 3000 - probs[i])).toBeLessThan(0.03));
      const again = fe.multinomial(logits, 3000, 5);
      expect(values(again)).toEqual(values(draws));
      const n = fe.multinomial(fe.tensor([0, 1, 0]), 20, 1, true);
      expect(values(n)).toEqual(new Array(20).fill(1));
      expect(() => fe.multinomial(fe.tensor([1]), 2)).toThrow(/need at least 2 classes/);
    });

    it('randomUniformInt range, randomGamma mean α/β, rand, randomStandardNormal', () => {
      const u = values(fe.randomUniformInt([2000], -3, 4, 9));
      expect(Math.min(...u)).toBe(-3);
      expect(Math.max(...u)).toBe(3);
      const gm = values(fe.randomGamma([4000], 2.5, 2, 'float32', 3));
      const mean = gm.reduce((a, b) => a + b, 0) / gm.length;
      expect(Math.abs(mean - 1.25)).toBeLessThan(0.05);
      expect(gm.every((v) => v > 0)).toBe(true);
      const small = values(fe.randomGamma([2000], 0.5, 1, 'float32', 4));
      expect(Math.abs(small.reduce((a, b) => a + b, 0) / 2000 - 0.5)).toBeLessThan(0.05);
      let k = 0;
      expect(values(fe.rand([3], () => ++k))).toEqual([1, 2, 3]);
      const z = values(fe.randomStandardNormal([4000], 'float32', 2));
      const zm = z.reduce((a, b) => a + b, 0) / z.length;
      expect(Math.abs(zm)).toBeLessThan(0.06);
    });
  });

  it('no op leaves intermediates behind (outputs only)', () => {
    const x = fe.tensor([[0.5, -1, 2], [1.5, 0.25, -0.5]]);
    const i = fe.tensor([[1, 0]], [1, 2], 'int32');
    const m = fe.greater(x, 0), five = fe.tensor([5]), ids = fe.tensor([1, 1], undefined, 'int32');
    const s01 = fe.scalar(0.1), s2 = fe.scalar(2), s02 = fe.scalar(0.2), v12 = fe.tensor([1, 2]), v3 = fe.tensor([3]);
    const cond = fe.tensor([true, false, true]), x4 = fe.reshape(x, [1, 1, 2, 3]);
    const cases: [string, () => Tensor | Tensor[] | { [k: string]: Tensor }][] = [
      ['sin', () => fe.sin(x)], ['atan2', () => fe.atan2(x, 2)], ['mod', () => fe.mod(x, 0.7)], ['divNoNan', () => fe.divNoNan(x, x)],
      ['isNaN', () => fe.isNaN(x)], ['logicalNot', () => fe.logicalNot(m)], ['all', () => fe.all(m, 1)],
      ['cumsum', () => fe.cumsum(x, 1)], ['cumprod', () => fe.cumprod(x, 0, true)], ['unstack', () => fe.unstack(x)],
      ['reverse', () => fe.reverse(x)], ['stridedSlice', () => fe.stridedSlice(x, [0, 2], [2, 0], [1, -1])],
      ['mirrorPad', () => fe.mirrorPad(x, [[1, 1], [2, 0]], 'reflect')], ['broadcastTo', () => fe.broadcastTo(x, [2, 2, 3])],
      ['gatherND', () => fe.gatherND(x, i)], ['scatterND', () => fe.scatterND(i, five, [2, 3])],
      ['tensorScatterUpdate', () => fe.tensorScatterUpdate(x, i, five)], ['unsortedSegmentSum', () => fe.unsortedSegmentSum(x, ids, 2)],
      ['topk', () => fe.topk(x, 2)], ['unique', () => fe.unique(x, 1)], ['einsum', () => fe.einsum('ij,kj->ik', x, x)],
      ['qr', () => fe.linalg.qr(x)], ['bandPart', () => fe.linalg.bandPart(x, 0, 1)], ['gramSchmidt', () => fe.linalg.gramSchmidt(x) as Tensor],
      ['moments', () => fe.moments(x, 1)], ['batchNorm', () => fe.batchNorm(x, s01, s2)], ['norm', () => fe.norm(x, 1, [0, 1])],
      ['localResponseNormalization', () => fe.localResponseNormalization(x4, 1)], ['prelu', () => fe.prelu(x, s02)],
      ['addN', () => fe.addN([x, x])], ['meshgrid', () => fe.meshgrid(v12, v3)], ['diag', () => fe.diag(v12)],
      ['where', () => fe.where(cond, x, 0)], ['oneHot', () => fe.oneHot([0, 2], 3, 1, 0, 'float32')],
    ];
    const leaks = cases.map(([name, f]) => [name, leaked(f)] as const).filter(([, n]) => n !== 0);
    expect(leaks).toEqual([]);
    fe.dispose([x, i, m, five, ids, s01, s2, s02, v12, v3, cond, x4]);
  });
});
