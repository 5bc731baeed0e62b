// Gradients of the ops added for TensorFlow.js parity, against central finite differences
// (tests/helpers/gradcheck.ts) on awkward shapes (size 1, odd sizes, broadcasting), on both
// backends. Ops TensorFlow.js gives no gradient (cumprod, topk, einsum, qr) are included.
import { beforeAll, describe, it } from 'vitest';
import * as fe from 'ferrite-ml';
import type { Tensor } from 'ferrite-ml';
import { backends, expectGradcheck, expectZeroGradcheck, Gen, input, useBackend, type Input } from './helpers/gradcheck';

type Case = { name: string; fn: (xs: Tensor[]) => Tensor; inputs: () => Input[]; wrt?: number[]; rtol?: number; atol?: number };

const g = (seed: number) => new Gen(seed);

const UNARY: Case[] = [
  { name: 'sin', fn: ([x]) => fe.sin(x), inputs: () => [g(1).uniform([3, 5], -4, 4)] },
  { name: 'cos', fn: ([x]) => fe.cos(x), inputs: () => [g(2).uniform([1, 7], -4, 4)] },
  { name: 'tan', fn: ([x]) => fe.tan(x), inputs: () => [g(3).uniform([5], -1.2, 1.2)] },
  { name: 'asin', fn: ([x]) => fe.asin(x), inputs: () => [g(4).uniform([2, 3], -0.8, 0.8)] },
  { name: 'acos', fn: ([x]) => fe.acos(x), inputs: () => [g(5).uniform([3, 1], -0.8, 0.8)] },
  { name: 'atan', fn: ([x]) => fe.atan(x), inputs: () => [g(6).uniform([7], -3, 3)] },
  { name: 'sinh', fn: ([x]) => fe.sinh(x), inputs: () => [g(7).uniform([2, 2, 3], -2, 2)] },
  { name: 'cosh', fn: ([x]) => fe.cosh(x), inputs: () => [g(8).uniform([5], -2, 2)] },
  { name: 'asinh', fn: ([x]) => fe.asinh(x), inputs: () => [g(9).uniform([5], -3, 3)] },
  { name: 'acosh', fn: ([x]) => fe.acosh(x), inputs: () => [g(10).uniform([5], 1.3, 4)] },
  { name: 'atanh', fn: ([x]) => fe.atanh(x), inputs: () => [g(11).uniform([5], -0.7, 0.7)] },
  { name: 'expm1', fn: ([x]) => fe.expm1(x), inputs: () => [g(12).uniform([3, 3], -2, 2)] },
  { name: 'erf', fn: ([x]) => fe.erf(x), inputs: () => [g(13).uniform([9], -2, 2)] },
  { name: 'logSigmoid', fn: ([x]) => fe.logSigmoid(x), inputs: () => [g(14).uniform([2, 5], -5, 5)] },
  { name: 'prelu (x and a broadcast alpha)', fn: ([x, a]) => fe.prelu(x, a), inputs: () => [g(15).awayFromZero([3, 4], 0.1, 2), g(16).uniform([4], 0.05, 0.5)] },
];

const BINARY: Case[] = [
  { name: 'atan2 broadcasting [2,3] with [3]', fn: ([a, b]) => fe.atan2(a, b), inputs: () => [g(20).uniform([2, 3], -2, 2), g(21).awayFromZero([3], 0.3, 2)] },
  { name: 'atan2 scalar with [5]', fn: ([a, b]) => fe.atan2(a, b), inputs: () => [g(22).awayFromZero([], 0.5, 1), g(23).uniform([5], -2, 2)] },
  { name: 'mod (a and b, away from the jumps)', fn: ([a, b]) => fe.mod(a, b), inputs: () => [input([4], [2.3, -1.3, 5.6, 0.4]), input([4], [1.5, 1.1, -2.5, 3])] },
  { name: 'divNoNan (no zero divisor)', fn: ([a, b]) => fe.divNoNan(a, b), inputs: () => [g(24).uniform([2, 3], -2, 2), g(25).awayFromZero([2, 3], 0.5, 2)] },
  { name: 'addN', fn: ([a, b, c]) => fe.addN([a, b, c]), inputs: () => [g(26).uniform([3]), g(27).uniform([3]), g(28).uniform([3])] },
];

const X3 = () => g(30).uniform([2, 3, 4], -1.5, 1.5);

const SHAPES: Case[] = [
  { name: 'cumsum axis 0', fn: ([x]) => fe.cumsum(x), inputs: () => [X3()] },
  { name: 'cumsum axis 2 exclusive reverse', fn: ([x]) => fe.cumsum(x, 2, true, true), inputs: () => [X3()] },
  { name: 'cumsum axis -2 reverse', fn: ([x]) => fe.cumsum(x, -2, false, true), inputs: () => [X3()] },
  { name: 'cumprod axis 1', fn: ([x]) => fe.cumprod(x, 1), inputs: () => [g(31).awayFromZero([3, 5], 0.5, 1.5)] },
  { name: 'cumprod exclusive', fn: ([x]) => fe.cumprod(x, 1, true), inputs: () => [g(32).awayFromZero([3, 5], 0.5, 1.5)] },
  { name: 'cumprod reverse exclusive', fn: ([x]) => fe.cumprod(x, 0, true, true), inputs: () => [g(33).awayFromZero([4, 3], 0.5, 1.5)] },
  { name: 'cumprod with zeros (exact, unlike y/x)', fn: ([x]) => fe.cumprod(x, 0), inputs: () => [input([6], [1.5, 0, -0.7, 0, 2, 1.2])], atol: 3e-3 },
  { name: 'cumprod reverse with a zero', fn: ([x]) => fe.cumprod(x, 0, false, true), inputs: () => [input([5], [1.5, -2, 0, 0.8, 1.1])] },
  { name: 'unstack axis 1', fn: ([x]) => fe.mul(fe.unstack(x, 1)[2], fe.unstack(x, 1)[0]), inputs: () => [X3()] },
  { name: 'reverse axes [0, 2]', fn: ([x]) => fe.reverse(x, [0, 2]), inputs: () => [X3()] },
  { name: 'stridedSlice negative stride, masks', fn: ([x]) => fe.stridedSlice(x, [1, -1, 0], [2, -4, 4], [1, -2, 3]), inputs: () => [X3()] },
  { name: 'stridedSlice shrink + new axis + ellipsis', fn: ([x]) => fe.stridedSlice(x, [1, 0, 1], [2, 0, 3], [1, 1, 1], 0, 0, 2, 0, 1), inputs: () => [X3()] },
  { name: 'mirrorPad reflect', fn: ([x]) => fe.mirrorPad(x, [[1, 2], [2, 0]], 'reflect'), inputs: () => [g(34).uniform([3, 3])] },
  { name: 'mirrorPad symmetric', fn: ([x]) => fe.mirrorPad(x, [[3, 1]], 'symmetric'), inputs: () => [g(35).uniform([4])] },
  { name: 'broadcastTo', fn: ([x]) => fe.broadcastTo(x, [2, 3, 4]), inputs: () => [g(36).uniform([3, 1])] },
  { name: 'diag', fn: ([x]) => fe.diag(x), inputs: () => [g(37).uniform([2, 2])] },
  { name: 'spaceToBatchND', fn: ([x]) => fe.spaceToBatchND(x, [2, 2], [[1, 1], [0, 2]]), inputs: () => [g(38).uniform([1, 2, 2, 3])] },
  { name: 'batchToSpaceND with crops', fn: ([x]) => fe.batchToSpaceND(x, [2, 2], [[1, 0], [0, 1]]), inputs: () => [g(39).uniform([4, 2, 2, 1])] },
  { name: 'depthToSpace NCHW', fn: ([x]) => fe.depthToSpace(x, 2, 'NCHW'), inputs: () => [g(40).uniform([1, 4, 2, 3])] },
  { name: 'meshgrid', fn: ([x, y]) => fe.mul(...(fe.meshgrid(x, y) as [Tensor, Tensor])), inputs: () => [g(41).uniform([3]), g(42).uniform([2])] },
];

const INDEXING: Case[] = [
  { name: 'gatherND', fn: ([x]) => fe.gatherND(x, fe.tensor([[1, 0], [0, 2], [1, 0]], [3, 2], 'int32')), inputs: () => [X3()] },
  { name: 'scatterND (updates; repeated index)', fn: ([u]) => fe.scatterND(fe.tensor([[1], [3], [1]], [3, 1], 'int32'), u, [5, 2]), inputs: () => [g(43).uniform([3, 2])] },
  { name: 'tensorScatterUpdate (tensor and updates)', fn: ([t, u]) => fe.tensorScatterUpdate(t, fe.tensor([[2], [0], [2]], [3, 1], 'int32'), u), inputs: () => [g(44).uniform([4, 3]), g(45).uniform([3, 3])] },
  { name: 'unsortedSegmentSum', fn: ([x]) => fe.unsortedSegmentSum(x, fe.tensor([2, 0, 2, 1, 0], undefined, 'int32'), 4), inputs: () => [g(46).uniform([5, 3])] },
  { name: 'gather with batchDims', fn: ([x]) => fe.gather(x, fe.tensor([[2, 0], [1, 1]], [2, 2], 'int32'), 1, 1), inputs: () => [g(47).uniform([2, 3, 2])] },
  { name: 'topk values', fn: ([x]) => fe.topk(x, 2).values, inputs: () => [g(48).distinct([3, 5])] },
];

const LINALG: Case[] = [
  { name: 'einsum matrix product', fn: ([a, b]) => fe.einsum('ij,jk->ik', a, b), inputs: () => [g(50).uniform([2, 3]), g(51).uniform([3, 4])] },
  { name: 'einsum batched, transposed output', fn: ([a, b]) => fe.einsum('bij,bkj->bki', a, b), inputs: () => [g(52).uniform([2, 3, 4]), g(53).uniform([2, 5, 4])] },
  { name: 'einsum three operands, implicit output', fn: ([a, b, c]) => fe.einsum('ij,jk,kl', a, b, c), inputs: () => [g(54).uniform([2, 3]), g(55).uniform([3, 2]), g(56).uniform([2, 3])] },
  { name: 'einsum letter only in one operand (summed)', fn: ([a, b]) => fe.einsum('ijk,j->i', a, b), inputs: () => [g(57).uniform([2, 3, 2]), g(58).uniform([3])] },
  { name: 'einsum outer and trace-free sum', fn: ([a, b]) => fe.einsum('i,j->ji', a, b), inputs: () => [g(59).uniform([3]), g(60).uniform([1])] },
  { name: 'outerProduct', fn: ([a, b]) => fe.outerProduct(a, b), inputs: () => [g(61).uniform([3]), g(62).uniform([4])] },
  { name: 'qr of a tall matrix (q and r)', fn: ([x]) => fe.add(fe.sum(fe.linalg.qr(x)[0]), fe.mul(fe.linalg.qr(x)[1], 0.7)), inputs: () => [g(63).uniform([4, 3], -1, 1)], rtol: 3e-2, atol: 5e-3 },
  { name: 'qr of a square batch (r)', fn: ([x]) => fe.linalg.qr(x)[1], inputs: () => [g(64).uniform([2, 3, 3], -1, 1)], rtol: 3e-2, atol: 5e-3 },
  { name: 'qr of a wide matrix (q and r)', fn: ([x]) => { const [q, r] = fe.linalg.qr(x); return fe.add(fe.sum(fe.mul(q, fe.tensor([[1, -2], [0.5, 1]]))), fe.mul(r, 0.5)); }, inputs: () => [g(65).uniform([2, 4], -1, 1)], rtol: 3e-2, atol: 5e-3 },
  { name: 'bandPart', fn: ([x]) => fe.linalg.bandPart(x, 1, 0), inputs: () => [g(66).uniform([3, 4])] },
  { name: 'gramSchmidt (matrix)', fn: ([x]) => fe.linalg.gramSchmidt(x) as Tensor, inputs: () => [input([2, 3], [1, 0.2, -0.5, 0.3, 1.1, 0.4])] },
  { name: 'moments (mean and variance)', fn: ([x]) => { const m = fe.moments(x, [0, 2]); return fe.add(m.mean, fe.mul(m.variance, 2)); }, inputs: () => [X3()] },
  { name: 'batchNorm (every argument)', fn: ([x, m, v, o, s]) => fe.batchNorm(x, m, v, o, s, 0.01), inputs: () => [g(67).uniform([2, 3]), g(68).uniform([3]), g(69).uniform([3], 0.5, 2), g(70).uniform([3]), g(71).uniform([3])] },
  { name: 'norm euclidean over an axis', fn: ([x]) => fe.norm(x, 'euclidean', 1), inputs: () => [g(72).awayFromZero([3, 4], 0.2, 1)] },
  { name: 'norm 1 and inf of a matrix', fn: ([x]) => fe.add(fe.norm(x, 1, [0, 1]), fe.norm(x, Infinity, [0, 1])), inputs: () => [input([2, 3], [1.1, -2.3, 0.6, 3.2, 0.4, -1.7])] },
  { name: 'norm fro, keepDims', fn: ([x]) => fe.norm(x, 'fro', [0, 1], true), inputs: () => [g(73).uniform([2, 3])] },
  { name: 'localResponseNormalization', fn: ([x]) => fe.localResponseNormalization(x, 1, 1.2, 0.4, 0.6), inputs: () => [g(74).uniform([1, 2, 1, 5])] },
];

describe.each(backends)('gradients of the TensorFlow.js-parity ops on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });
  for (const [group, cases] of [['unary', UNARY], ['binary', BINARY], ['shape', SHAPES], ['indexing', INDEXING], ['linear algebra and statistics', LINALG]] as const) {
    describe(group, () => {
      for (const c of cases) {
        it(c.name, () => {
          expectGradcheck(c.fn, c.inputs(), { wrt: c.wrt, rtol: c.rtol, atol: c.atol });
        });
      }
    });
  }

  describe('zero gradients', () => {
    it('step with alpha', () => {
      expectZeroGradcheck(([x]) => fe.step(x, 0.3), [input([4], [-1.3, -0.2, 0.4, 2.2])]);
    });
  });
});
