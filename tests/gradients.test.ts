/**
 * Gradients of every differentiable op, checked against central finite differences
 * (tests/helpers/gradcheck.ts), plus exact checks of autograd behaviour: accumulation,
 * tensors used twice, dropout masks, explicit seeds, kinks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import type { Tensor } from 'ferrite-ml';
import { record } from '../ts/autograd';
import { backends, expectGradcheck, expectZeroGradcheck, Gen, input, mulberry32, useBackend, type Input } from './helpers/gradcheck';

type Fn = (xs: Tensor[]) => Tensor;

function expectValues(t: Tensor | null, want: number[], tol = 1e-5): void {
  expect(t).not.toBeNull();
  const got = Array.from(t!.dataSync());
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    if (Math.abs(g - want[i]) > tol * Math.max(1, Math.abs(want[i])) || Number.isNaN(g)) {
      throw new Error(`element ${i}: got ${g}, want ${want[i]} (all: [${got.join(', ')}])`);
    }
  });
}

/** Values (2k + parity)·0.1 for k in [-10, 10]: an odd grid and an even grid never tie. */
function grid(g: Gen, shape: number[], parity: 0 | 1): Input {
  const t = g.ints(shape, -10, 10);
  for (let i = 0; i < t.values.length; i++) t.values[i] = (2 * t.values[i] + parity) * 0.1;
  return t;
}

// ---- cases --------------------------------------------------------------------------------

const BROADCASTS: [string, number[], number[]][] = [
  ['same shape [2,3]', [2, 3], [2, 3]],
  ['[2,3] with [3]', [2, 3], [3]],
  ['[2,1,4] with [3,1]', [2, 1, 4], [3, 1]],
  ['[1,3] with [2,1]', [1, 3], [2, 1]],
  ['[2,3] with scalar', [2, 3], []],
  ['scalar with [2,3]', [], [2, 3]],
];

const BINARY: { name: string; fn: (a: Tensor, b: Tensor) => Tensor; gen: (g: Gen, sa: number[], sb: number[]) => Input[] }[] = [
  { name: 'add', fn: fe.add, gen: (g, sa, sb) => [g.uniform(sa, -2, 2), g.uniform(sb, -2, 2)] },
  { name: 'sub', fn: fe.sub, gen: (g, sa, sb) => [g.uniform(sa, -2, 2), g.uniform(sb, -2, 2)] },
  { name: 'mul', fn: fe.mul, gen: (g, sa, sb) => [g.uniform(sa, -2, 2), g.uniform(sb, -2, 2)] },
  { name: 'div', fn: fe.div, gen: (g, sa, sb) => [g.uniform(sa, -2, 2), g.awayFromZero(sb, 0.5, 2)] },
  { name: 'pow', fn: fe.pow, gen: (g, sa, sb) => [g.uniform(sa, 0.5, 2), g.uniform(sb, -2, 2)] },
  { name: 'maximum', fn: fe.maximum, gen: (g, sa, sb) => [grid(g, sa, 1), grid(g, sb, 0)] },
  { name: 'minimum', fn: fe.minimum, gen: (g, sa, sb) => [grid(g, sa, 1), grid(g, sb, 0)] },
  { name: 'squaredDifference', fn: fe.squaredDifference, gen: (g, sa, sb) => [g.uniform(sa, -2, 2), g.uniform(sb, -2, 2)] },
];

const UNARY: { name: string; fn: (x: Tensor) => Tensor; gen: (g: Gen) => Input }[] = [
  { name: 'neg', fn: fe.neg, gen: (g) => g.uniform([2, 3], -2, 2) },
  { name: 'abs', fn: fe.abs, gen: (g) => g.awayFromZero([2, 3], 0.1, 2) },
  { name: 'exp', fn: fe.exp, gen: (g) => g.uniform([2, 3], -2, 2) },
  { name: 'log', fn: fe.log, gen: (g) => g.uniform([2, 3], 0.5, 3) },
  { name: 'log1p', fn: fe.log1p, gen: (g) => g.uniform([2, 3], -0.5, 3) },
  { name: 'sqrt', fn: fe.sqrt, gen: (g) => g.uniform([2, 3], 0.5, 3) },
  { name: 'rsqrt', fn: fe.rsqrt, gen: (g) => g.uniform([2, 3], 0.5, 3) },
  { name: 'square', fn: fe.square, gen: (g) => g.uniform([2, 3], -2, 2) },
  { name: 'reciprocal', fn: fe.reciprocal, gen: (g) => g.awayFromZero([2, 3], 0.5, 2) },
  { name: 'relu', fn: fe.relu, gen: (g) => g.awayFromZero([2, 4], 0.1, 2) },
  { name: 'relu6', fn: fe.relu6, gen: () => input([2, 4], [-1.5, -0.2, 0.3, 2.5, 5.5, 5.9, 6.2, 7.5]) },
  { name: 'sigmoid', fn: fe.sigmoid, gen: (g) => g.uniform([2, 3], -3, 3) },
  { name: 'tanh', fn: fe.tanh, gen: (g) => g.uniform([2, 3], -2, 2) },
  { name: 'softplus', fn: fe.softplus, gen: (g) => g.uniform([2, 3], -3, 3) },
  { name: 'elu', fn: (x) => fe.elu(x), gen: (g) => g.awayFromZero([2, 4], 0.1, 2) },
  { name: 'elu alpha 0.5', fn: (x) => fe.elu(x, 0.5), gen: (g) => g.awayFromZero([2, 4], 0.1, 2) },
  { name: 'selu', fn: fe.selu, gen: (g) => g.awayFromZero([2, 4], 0.1, 2) },
  { name: 'gelu', fn: fe.gelu, gen: (g) => g.uniform([2, 4], -3, 3) },
  { name: 'leakyRelu', fn: (x) => fe.leakyRelu(x), gen: (g) => g.awayFromZero([2, 4], 0.1, 2) },
  { name: 'leakyRelu alpha 0.1', fn: (x) => fe.leakyRelu(x, 0.1), gen: (g) => g.awayFromZero([2, 4], 0.1, 2) },
  { name: 'clipByValue', fn: (x) => fe.clipByValue(x, -0.5, 0.8), gen: () => input([2, 4], [-1.2, -0.7, -0.3, 0.1, 0.4, 0.65, 1, 1.6]) },
];

/** Piecewise-constant ops: zero gradient (inputs away from their jumps). */
const STEPS: { name: string; fn: (x: Tensor) => Tensor }[] = [
  { name: 'sign', fn: fe.sign },
  { name: 'floor', fn: fe.floor },
  { name: 'ceil', fn: fe.ceil },
  { name: 'round', fn: fe.round },
  { name: 'step', fn: fe.step },
];

const REDUCERS: { name: string; fn: (x: Tensor, axis?: number | number[], keepDims?: boolean) => Tensor; gen: (g: Gen) => Input }[] = [
  { name: 'sum', fn: fe.sum, gen: (g) => g.uniform([2, 3, 4], -2, 2) },
  { name: 'mean', fn: fe.mean, gen: (g) => g.uniform([2, 3, 4], -2, 2) },
  { name: 'max', fn: fe.max, gen: (g) => g.distinct([2, 3, 4], 0.15) },
  { name: 'min', fn: fe.min, gen: (g) => g.distinct([2, 3, 4], 0.15) },
  { name: 'prod', fn: fe.prod, gen: (g) => g.awayFromZero([2, 3, 4], 0.6, 1.4) },
  { name: 'logSumExp', fn: fe.logSumExp, gen: (g) => g.uniform([2, 3, 4], -2, 2) },
];

const AXES: (number | number[] | undefined)[] = [undefined, 0, 1, 2, -1, [0, 2], [1, 2], [0, 1, 2]];

// ---- suites -------------------------------------------------------------------------------

describe('gradcheck helper', () => {
  beforeAll(async () => {
    await useBackend('js');
  });

  /** x² with a deliberately wrong gradient (dy·x instead of 2·dy·x). */
  function badSquare(x: Tensor): Tensor {
    const y = fe.noGrad(() => fe.square(x));
    return record(y, 'badSquare', [x], (dy) => [fe.mul(dy, x)]);
  }

  it('passes a correct gradient and reports the analytic and numeric values', () => {
    const r = expectGradcheck(([x]) => fe.square(x), [input([3], [1, -2, 0.5])], { seed: 1 });
    r.numeric[0].forEach((n, i) => expect(n).toBeCloseTo(r.analytic[0][i], 3));
    expect(r.outShape).toEqual([3]);
  });

  it('catches a wrong gradient', () => {
    expect(() => expectGradcheck(([x]) => badSquare(x), [input([3], [1, -2, 0.5])])).toThrow(/gradcheck failed: 3 mismatching/);
  });

  it('catches a gradient that never arrives', () => {
    const detached = (x: Tensor) => fe.noGrad(() => fe.square(x)).add(fe.mul(x, 0));
    expect(() => expectGradcheck(([x]) => detached(x), [input([2], [1, 2])])).toThrow(/mismatching/);
  });

  it('refuses an all-zero check unless allowed', () => {
    expect(() => expectGradcheck(([x]) => fe.floor(x), [input([2], [0.5, 1.5])])).toThrow(/zero/);
    expectZeroGradcheck(([x]) => fe.floor(x), [input([2], [0.5, 1.5])]);
  });
});

describe.each(backends)('gradients on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  describe('binary ops', () => {
    for (const op of BINARY) {
      describe(op.name, () => {
        BROADCASTS.forEach(([label, sa, sb], k) => {
          it(label, () => {
            const g = new Gen(100 + k);
            expectGradcheck(([a, b]) => op.fn(a, b), op.gen(g, sa, sb));
          });
        });
      });
    }

    it('number operands (x + 2.5, 3 - x, x * -1.5, 2 / x, x ** 3, 2 ** x)', () => {
      const g = new Gen(7);
      const x = g.uniform([2, 3], 0.5, 2);
      expectGradcheck(([a]) => fe.add(a, 2.5), [x]);
      expectGradcheck(([a]) => fe.sub(3, a), [x]);
      expectGradcheck(([a]) => fe.mul(a, -1.5), [x]);
      expectGradcheck(([a]) => fe.div(2, a), [x]);
      expectGradcheck(([a]) => fe.pow(a, 3), [x]);
      expectGradcheck(([a]) => fe.pow(2, a), [x]);
    });

    it('pow with a negative base and integer exponents (gradient to the base)', () => {
      const g = new Gen(8);
      const a = g.awayFromZero([2, 3], 0.5, 2);
      const b = input([2, 3], [2, 3, 2, 3, 4, 1]);
      expectGradcheck(([x, y]) => fe.pow(x, y), [a, b], { wrt: [0] });
    });

    it('maximum/minimum ties send the gradient to the first operand', () => {
      const a = fe.variable(fe.tensor([1, 2, 3]));
      const b = fe.variable(fe.tensor([1, 0, 5]));
      fe.sum(fe.maximum(a, b)).backward();
      expectValues(a.grad, [1, 1, 0]);
      expectValues(b.grad, [0, 0, 1]);
      const c = fe.variable(fe.tensor([1, 2, 3]));
      const d = fe.variable(fe.tensor([1, 0, 5]));
      fe.sum(fe.minimum(c, d)).backward();
      expectValues(c.grad, [1, 0, 1]);
      expectValues(d.grad, [0, 1, 0]);
    });

    it('broadcast bias gradient sums over the batch (exact)', () => {
      const x = fe.tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 1, 1]]);
      const b = fe.variable(fe.tensor([0.5, -1, 2]));
      fe.sum(fe.add(x, b)).backward();
      expectValues(b.grad, [4, 4, 4]);
      const w = fe.variable(fe.tensor([1, 2, 3]));
      fe.sum(fe.mul(x, w)).backward();
      expectValues(w.grad, [13, 16, 19]);
    });
  });

  describe('unary ops', () => {
    UNARY.forEach((op, k) => {
      it(op.name, () => {
        expectGradcheck(([x]) => op.fn(x), [op.gen(new Gen(200 + k))]);
      });
    });

    for (const op of STEPS) {
      it(`${op.name} has a zero gradient`, () => {
        const x = input([2, 4], [-1.7, -1.2, -0.3, 0.2, 0.7, 1.3, 2.2, 2.8]);
        expectZeroGradcheck(([t]) => op.fn(t), [x]);
      });
    }

    it('kink conventions: relu\'(0) = 0, abs\'(0) = 0, relu6\'(6) = 1, clip passes at the bounds', () => {
      const x = fe.variable(fe.tensor([0, 6, -1, 7]));
      fe.sum(fe.relu(x)).backward();
      expectValues(x.grad, [0, 1, 0, 1]);
      x.grad!.dispose();
      x.grad = null;
      fe.sum(fe.abs(x)).backward();
      expectValues(x.grad, [0, 1, -1, 1]);
      x.grad!.dispose();
      x.grad = null;
      fe.sum(fe.relu6(x)).backward();
      expectValues(x.grad, [0, 1, 0, 0]);
      x.grad!.dispose();
      x.grad = null;
      fe.sum(fe.clipByValue(x, 0, 6)).backward();
      expectValues(x.grad, [1, 1, 0, 0]);
    });

    it('unary ops on tensor methods (x.exp().log1p().sqrt())', () => {
      const x = new Gen(9).uniform([3, 2], -1, 1);
      expectGradcheck(([t]) => t.exp().log1p().sqrt(), [x]);
    });
  });

  describe('reductions', () => {
    REDUCERS.forEach((op, k) => {
      describe(op.name, () => {
        for (const axis of AXES) {
          for (const keepDims of [false, true]) {
            it(`axis ${JSON.stringify(axis)} keepDims ${keepDims}`, () => {
              const x = op.gen(new Gen(300 + k));
              const r = expectGradcheck(([t]) => op.fn(t, axis, keepDims), [x]);
              // keepDims keeps reduced axes as 1
              const axes = axis === undefined ? [0, 1, 2] : (Array.isArray(axis) ? axis : [axis]).map((a) => (a + 3) % 3);
              const want = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
              expect(r.outShape).toEqual(want);
            });
          }
        }
      });
    });

    it('reductions of a rank-1 tensor and of a scalar', () => {
      const g = new Gen(31);
      const v = g.distinct([5], 0.2);
      for (const op of REDUCERS) expectGradcheck(([t]) => op.fn(t), [op.name === 'prod' ? g.awayFromZero([5], 0.6, 1.4) : v]);
      expectGradcheck(([t]) => fe.sum(t), [input([], [1.5])]);
      expectGradcheck(([t]) => fe.mean(t.square()), [input([], [1.5])]);
    });

    it('max/min send the gradient to every tied maximum (as TensorFlow.js)', () => {
      const x = fe.variable(fe.tensor([[3, 1, 3], [2, 2, 0]]));
      fe.sum(fe.max(x, 1)).backward();
      expectValues(x.grad, [1, 0, 1, 1, 1, 0]);
      const y = fe.variable(fe.tensor([[3, 1, 1], [2, 2, 0]]));
      fe.sum(fe.min(y, 1)).backward();
      expectValues(y.grad, [0, 1, 1, 0, 0, 1]);
    });

    it('mean gradient is 1/count (exact)', () => {
      const x = fe.variable(fe.zeros([2, 4]));
      fe.mean(x).backward();
      expectValues(x.grad, Array(8).fill(1 / 8));
      const y = fe.variable(fe.zeros([2, 4]));
      fe.sum(fe.mean(y, 0)).backward();
      expectValues(y.grad, Array(8).fill(1 / 2));
    });

    // d/dx_i Π x = Π_{j≠i} x_j, also where x_i = 0 (dy·y/x gives 0/0 there).
    it('prod gradient with a zero element is the product of the others (not dy·y/x)', () => {
      const x = fe.variable(fe.tensor([2, 0, 3, 4]));
      fe.prod(x).backward();
      expectValues(x.grad, [0, 24, 0, 0]);
    });
  });

  describe('shape ops', () => {
    const g = () => new Gen(400);
    it('reshape (with -1)', () => {
      expectGradcheck(([x]) => fe.reshape(x, [3, -1]), [g().uniform([2, 3, 2])]);
      expectGradcheck(([x]) => x.reshape([4, 3]), [g().uniform([2, 6])]);
    });
    it('flatten', () => expectGradcheck(([x]) => fe.flatten(x), [g().uniform([2, 3, 2])]));
    it('expandDims (axis 0, 1, -1)', () => {
      for (const axis of [0, 1, -1]) expectGradcheck(([x]) => fe.expandDims(x, axis), [g().uniform([2, 3])]);
    });
    it('squeeze (all unit axes, and given axes)', () => {
      expectGradcheck(([x]) => fe.squeeze(x), [g().uniform([1, 3, 1, 2])]);
      expectGradcheck(([x]) => fe.squeeze(x, [2]), [g().uniform([1, 3, 1, 2])]);
    });
    it('transpose (default and with perm)', () => {
      expectGradcheck(([x]) => fe.transpose(x), [g().uniform([2, 3])]);
      expectGradcheck(([x]) => fe.transpose(x), [g().uniform([2, 3, 4])]);
      expectGradcheck(([x]) => fe.transpose(x, [1, 0, 2]), [g().uniform([2, 3, 4])]);
      expectGradcheck(([x]) => fe.transpose(x, [2, 0, 1]), [g().uniform([2, 3, 4])]);
      expectGradcheck(([x]) => fe.transpose(x, [0, 2, 1]), [g().uniform([2, 3, 4])]);
    });
    it('slice (2-D, 3-D, size -1, begin only)', () => {
      expectGradcheck(([x]) => fe.slice(x, [1, 1], [2, 2]), [g().uniform([3, 4])]);
      expectGradcheck(([x]) => fe.slice(x, [0, 1, 1], [2, -1, 2]), [g().uniform([2, 3, 4])]);
      expectGradcheck(([x]) => fe.slice(x, 1), [g().uniform([3, 2])]);
    });
    it('concat axis 0, 1 and -1 (three inputs)', () => {
      const r = g();
      expectGradcheck(([a, b]) => fe.concat([a, b], 0), [r.uniform([2, 3]), r.uniform([1, 3])]);
      expectGradcheck(([a, b, c]) => fe.concat([a, b, c], 1), [r.uniform([2, 1]), r.uniform([2, 3]), r.uniform([2, 2])]);
      expectGradcheck(([a, b]) => fe.concat([a, b], -1), [r.uniform([2, 2, 1]), r.uniform([2, 2, 3])]);
    });
    it('concat of a tensor with itself accumulates', () => {
      expectGradcheck(([a]) => fe.concat([a, a, a], 1), [g().uniform([2, 2])]);
    });
    it('stack axis 0, 1 and 2', () => {
      const r = g();
      for (const axis of [0, 1, 2]) {
        expectGradcheck(([a, b, c]) => fe.stack([a, b, c], axis), [r.uniform([2, 3]), r.uniform([2, 3]), r.uniform([2, 3])]);
      }
    });
    it('split (count and sizes), pieces used differently', () => {
      const r = g();
      expectGradcheck(([x]) => {
        const [p, q] = fe.split(x, 2, 1);
        return fe.mul(p, q);
      }, [r.uniform([3, 4])]);
      expectGradcheck(([x]) => {
        const [p, q, s] = fe.split(x, [1, 2, 1], 0);
        return fe.concat([fe.mul(q, 2), s.exp(), p], 0);
      }, [r.uniform([4, 3])]);
    });
    it('tile', () => {
      expectGradcheck(([x]) => fe.tile(x, [2, 3]), [g().uniform([2, 2])]);
      expectGradcheck(([x]) => fe.tile(x, [1, 2, 2]), [g().uniform([2, 1, 3])]);
      expectGradcheck(([x]) => fe.tile(x, [3]), [g().uniform([2])]);
    });
    it('pad (zero and constant)', () => {
      expectGradcheck(([x]) => fe.pad(x, [[1, 0], [2, 1]]), [g().uniform([2, 3])]);
      expectGradcheck(([x]) => fe.pad(x, [[0, 1], [1, 1], [0, 2]], 3), [g().uniform([2, 2, 2])]);
    });
    it('cast to float32 and clone pass the gradient through', () => {
      expectGradcheck(([x]) => fe.cast(x, 'float32').square(), [g().uniform([2, 3])]);
      expectGradcheck(([x]) => fe.clone(x).square(), [g().uniform([2, 3])]);
    });
  });

  describe('matMul and dot', () => {
    const combos: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];
    for (const [tA, tB] of combos) {
      it(`[3,4]·[4,5] transposeA ${tA} transposeB ${tB}`, () => {
        const r = new Gen(500);
        expectGradcheck(([a, b]) => fe.matMul(a, b, tA, tB), [r.uniform(tA ? [4, 3] : [3, 4]), r.uniform(tB ? [5, 4] : [4, 5])]);
      });
    }
    const batched: [string, number[], number[], boolean, boolean][] = [
      ['[2,3,4]·[4,5] (shared right operand)', [2, 3, 4], [4, 5], false, false],
      ['[2,3,4]·[5,4]ᵀ (shared right operand)', [2, 3, 4], [5, 4], false, true],
      ['[2,4,3]ᵀ·[4,5] (shared right operand)', [2, 4, 3], [4, 5], true, false],
      ['[2,3,4]·[2,4,5]', [2, 3, 4], [2, 4, 5], false, false],
      ['[2,4,3]ᵀ·[2,5,4]ᵀ', [2, 4, 3], [2, 5, 4], true, true],
      ['[3,4]·[2,4,5] (shared left operand)', [3, 4], [2, 4, 5], false, false],
      ['[1,3,4]·[2,4,5]', [1, 3, 4], [2, 4, 5], false, false],
      ['[2,2,3,4]·[2,2,4,5]', [2, 2, 3, 4], [2, 2, 4, 5], false, false],
    ];
    for (const [label, sa, sb, tA, tB] of batched) {
      it(`batched ${label}`, () => {
        const r = new Gen(501);
        expectGradcheck(([a, b]) => fe.matMul(a, b, tA, tB), [r.uniform(sa), r.uniform(sb)]);
      });
    }
    it('matMul as a method', () => {
      const r = new Gen(502);
      expectGradcheck(([a, b]) => a.matMul(b, false, true), [r.uniform([2, 3]), r.uniform([4, 3])]);
    });
    it('dot: vector·vector, matrix·vector, vector·matrix, matrix·matrix', () => {
      const r = new Gen(503);
      expectGradcheck(([a, b]) => fe.dot(a, b), [r.uniform([4]), r.uniform([4])]);
      expectGradcheck(([a, b]) => fe.dot(a, b), [r.uniform([3, 4]), r.uniform([4])]);
      expectGradcheck(([a, b]) => fe.dot(a, b), [r.uniform([4]), r.uniform([4, 5])]);
      expectGradcheck(([a, b]) => fe.dot(a, b), [r.uniform([3, 4]), r.uniform([4, 5])]);
    });
  });

  describe('convolution and pooling', () => {
    const conv2dCases: [string, number[], number[], number | [number, number], 'valid' | 'same' | number, number | [number, number]][] = [
      ['3x3 valid', [2, 5, 5, 2], [3, 3, 2, 3], 1, 'valid', 1],
      ['3x3 same stride 2', [1, 5, 6, 2], [3, 3, 2, 2], 2, 'same', 1],
      ['2x3 pad 1 strides [2,1]', [1, 4, 5, 1], [2, 3, 1, 2], [2, 1], 1, 1],
      ['3x3 dilation 2 same', [1, 6, 6, 1], [3, 3, 1, 2], 1, 'same', 2],
      ['1x1', [2, 3, 3, 4], [1, 1, 4, 2], 1, 'valid', 1],
    ];
    for (const [label, xs, fs, strides, pad, dil] of conv2dCases) {
      it(`conv2d ${label}`, () => {
        const r = new Gen(550);
        expectGradcheck(([x, f]) => fe.conv2d(x, f, strides, pad, 'NHWC', dil), [r.uniform(xs), r.uniform(fs)]);
      });
    }
    it('conv2d without a batch axis', () => {
      const r = new Gen(551);
      expectGradcheck(([x, f]) => fe.conv2d(x, f, 1, 'same'), [r.uniform([4, 4, 2]), r.uniform([2, 2, 2, 3])]);
    });
    const conv1dCases: [string, number[], number[], number, 'valid' | 'same' | 'causal' | number, number][] = [
      ['valid', [2, 7, 3], [3, 3, 2], 1, 'valid', 1],
      ['same stride 2', [2, 7, 2], [3, 2, 2], 2, 'same', 1],
      ['causal dilation 2', [1, 8, 2], [3, 2, 3], 1, 'causal', 2],
      ['pad 1, no batch axis', [6, 2], [2, 2, 1], 1, 1, 1],
    ];
    for (const [label, xs, fs, stride, pad, dil] of conv1dCases) {
      it(`conv1d ${label}`, () => {
        const r = new Gen(552);
        expectGradcheck(([x, f]) => fe.conv1d(x, f, stride, pad, 'NWC', dil), [r.uniform(xs), r.uniform(fs)]);
      });
    }
    const poolCases: [string, number[], number | [number, number], number | [number, number], 'valid' | 'same'][] = [
      ['2x2 stride 2 valid', [2, 4, 4, 2], 2, 2, 'valid'],
      ['3x3 stride 1 same', [1, 4, 5, 2], 3, 1, 'same'],
      ['[2,3] strides [1,2] same', [1, 5, 5, 1], [2, 3], [1, 2], 'same'],
    ];
    for (const [label, xs, size, strides, pad] of poolCases) {
      it(`maxPool ${label}`, () => {
        // distinct values: no ties inside a window
        expectGradcheck(([x]) => fe.maxPool(x, size, strides, pad), [new Gen(553).distinct(xs, 0.05)], { step: () => 5e-3 });
      });
      it(`avgPool ${label}`, () => {
        expectGradcheck(([x]) => fe.avgPool(x, size, strides, pad), [new Gen(554).uniform(xs)]);
      });
    }
  });

  describe('softmax family', () => {
    for (const shape of [[5], [2, 5], [2, 3, 4]]) {
      it(`softmax ${JSON.stringify(shape)}`, () => {
        expectGradcheck(([x]) => fe.softmax(x), [new Gen(600).uniform(shape, -2, 2)]);
      });
      it(`logSoftmax ${JSON.stringify(shape)}`, () => {
        expectGradcheck(([x]) => fe.logSoftmax(x), [new Gen(601).uniform(shape, -2, 2)]);
      });
    }
    it('softmax with explicit dim -1 and as a method', () => {
      expectGradcheck(([x]) => x.softmax(-1), [new Gen(602).uniform([3, 4], -2, 2)]);
      expectGradcheck(([x]) => x.logSoftmax(1), [new Gen(603).uniform([3, 4], -2, 2)]);
    });
    it('sigmoidCrossEntropyWithLogits (gradient to the logits)', () => {
      const r = new Gen(604);
      const labels = fe.tensor(r.uniform([2, 3], 0, 1).values, [2, 3]);
      expectGradcheck(([x]) => fe.sigmoidCrossEntropyWithLogits(labels, x), [r.uniform([2, 3], -3, 3)]);
      const hard = fe.tensor([[1, 0, 1], [0, 0, 1]]);
      expectGradcheck(([x]) => fe.sigmoidCrossEntropyWithLogits(hard, x), [r.uniform([2, 3], -3, 3)]);
    });
    it('softmaxCrossEntropyWithLogits, dense one-hot and soft labels', () => {
      const r = new Gen(605);
      const oneHot = fe.tensor([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]]);
      expectGradcheck(([x]) => fe.softmaxCrossEntropyWithLogits(oneHot, x), [r.uniform([3, 4], -2, 2)]);
      const soft = fe.tensor([[0.1, 0.6, 0.2, 0.1], [0.25, 0.25, 0.25, 0.25], [0, 0.5, 0, 0.5]]);
      expectGradcheck(([x]) => fe.softmaxCrossEntropyWithLogits(soft, x), [r.uniform([3, 4], -2, 2)]);
      const rank1 = fe.tensor([0, 0, 1]);
      expectGradcheck(([x]) => fe.softmaxCrossEntropyWithLogits(rank1, x), [r.uniform([3], -2, 2)]);
    });
    it('softmaxCrossEntropyWithLogits, int32 labels', () => {
      const r = new Gen(606);
      const labels = fe.tensor([1, 0, 3], [3], 'int32');
      expectGradcheck(([x]) => fe.softmaxCrossEntropyWithLogits(labels, x), [r.uniform([3, 4], -2, 2)]);
      const labels2 = fe.tensor([[2, 0], [1, 1]], [2, 2], 'int32');
      expectGradcheck(([x]) => fe.softmaxCrossEntropyWithLogits(labels2, x), [r.uniform([2, 2, 3], -2, 2)]);
    });
    it('dense and int32 labels give the same gradient (softmax − onehot)', () => {
      const logits = [[1, 2, 0.5], [0, -1, 3]];
      const a = fe.variable(fe.tensor(logits));
      fe.sum(fe.softmaxCrossEntropyWithLogits(fe.tensor([2, 0], [2], 'int32'), a)).backward();
      const b = fe.variable(fe.tensor(logits));
      fe.sum(fe.softmaxCrossEntropyWithLogits(fe.tensor([[0, 0, 1], [1, 0, 0]]), b)).backward();
      const want = logits.flatMap((row, i) => {
        const e = row.map(Math.exp);
        const s = e.reduce((p, q) => p + q, 0);
        return e.map((v, j) => v / s - ((i === 0 && j === 2) || (i === 1 && j === 0) ? 1 : 0));
      });
      expectValues(a.grad, want, 1e-5);
      expectValues(b.grad, want, 1e-5);
    });
  });

  describe('indexing and selection', () => {
    it('gather axis 0 with repeated indices (scatter-add)', () => {
      const idx = fe.tensor([2, 0, 2, 1, 2], [5], 'int32');
      const r = expectGradcheck(([x]) => fe.gather(x, idx), [new Gen(700).uniform([4, 3])]);
      // row 3 is never gathered: zero gradient
      expect(Array.from(r.analytic[0].slice(9, 12))).toEqual([0, 0, 0]);
    });
    it('gather axis 0 exact: repeated rows add up', () => {
      const x = fe.variable(fe.tensor([[1, 2], [3, 4], [5, 6]]));
      fe.sum(fe.gather(x, [2, 0, 2, 2])).backward();
      expectValues(x.grad, [1, 1, 0, 0, 3, 3]);
    });
    it('gather axis 1', () => {
      const idx = fe.tensor([3, 3, 0], [3], 'int32');
      expectGradcheck(([x]) => fe.gather(x, idx, 1), [new Gen(701).uniform([2, 4])]);
      expectGradcheck(([x]) => fe.gather(x, [1, 0], -1), [new Gen(702).uniform([2, 2, 3])]);
    });
    it('gather with 2-D indices', () => {
      const idx = fe.tensor([[0, 1], [1, 1]], [2, 2], 'int32');
      expectGradcheck(([x]) => fe.gather(x, idx), [new Gen(703).uniform([3, 2])]);
    });
    it('where (gradient to the chosen side)', () => {
      const cond = fe.tensor([[1, 0, 0], [1, 1, 0]]);
      const r = expectGradcheck(([a, b]) => fe.where(cond, a, b), [new Gen(704).uniform([2, 3]), new Gen(705).uniform([2, 3])]);
      r.analytic[0].forEach((v, i) => expect(v === 0).toBe([1, 0, 0, 1, 1, 0][i] === 0));
      r.analytic[1].forEach((v, i) => expect(v === 0).toBe([1, 0, 0, 1, 1, 0][i] === 1));
    });
    it('where with a comparison as condition', () => {
      expectGradcheck(([a, b]) => fe.where(fe.greater(a, b), fe.square(a), fe.mul(b, 3)), [grid(new Gen(706), [2, 3], 1), grid(new Gen(707), [2, 3], 0)]);
    });
  });

  describe('dropout', () => {
    it('gradient equals the seeded mask (0 or 1/(1-rate))', () => {
      const rate = 0.4;
      const seed = 1234;
      const x = fe.variable(fe.tensor(new Gen(800).uniform([4, 5], 0.5, 2).values, [4, 5]));
      const y = fe.dropout(x, rate, undefined, seed);
      fe.sum(y).backward();
      const rng = mulberry32(seed);
      const mask = Array.from({ length: 20 }, () => (rng() >= rate ? 1 / (1 - rate) : 0));
      expectValues(x.grad, mask, 1e-6);
      // the forward uses the same mask
      const xv = x.dataSync();
      expectValues(y, Array.from(xv, (v, i) => v * mask[i]), 1e-6);
      // both kept and dropped elements occur
      expect(mask.some((m) => m === 0)).toBe(true);
      expect(mask.some((m) => m !== 0)).toBe(true);
    });
    it('finite differences with a fixed seed', () => {
      expectGradcheck(([x]) => fe.dropout(x, 0.5, undefined, 99), [new Gen(801).uniform([3, 4])]);
    });
    it('noiseShape broadcasts the mask: gradient columns are all kept or all dropped', () => {
      const x = fe.variable(fe.ones([3, 6]));
      fe.sum(fe.dropout(x, 0.5, [1, 6], 5)).backward();
      const gr = Array.from(x.grad!.dataSync());
      for (let j = 0; j < 6; j++) {
        expect(gr[j]).toBe(gr[6 + j]);
        expect(gr[j]).toBe(gr[12 + j]);
        expect([0, 2]).toContain(gr[j]);
      }
    });
    it('rate 0 is the identity with a unit gradient', () => {
      const x = fe.variable(fe.tensor([1, -2, 3]));
      fe.sum(fe.dropout(x, 0)).backward();
      expectValues(x.grad, [1, 1, 1]);
    });
  });

  describe('chains and autograd semantics', () => {
    it('2-layer tanh MLP with softmax cross-entropy', () => {
      const r = new Gen(900);
      const x = fe.tensor(r.uniform([4, 3], -1, 1).values, [4, 3]);
      const labels = fe.tensor([0, 2, 1, 2], [4], 'int32');
      expectGradcheck(
        ([w1, b1, w2, b2]) => fe.mean(fe.softmaxCrossEntropyWithLogits(labels, fe.add(fe.matMul(fe.tanh(fe.add(fe.matMul(x, w1), b1)), w2), b2))),
        [r.uniform([3, 5]), r.uniform([5]), r.uniform([5, 3]), r.uniform([3])],
      );
    });

    it('2-layer relu MLP with sigmoid cross-entropy (pre-activations clear of 0)', () => {
      const r = new Gen(906); // a seed whose pre-activations all have |z| > 0.1
      const x = fe.tensor(r.uniform([4, 3], -1, 1).values, [4, 3]);
      const y = fe.tensor([[1], [0], [1], [1]]);
      const w1 = r.uniform([3, 6]), b1 = r.uniform([6]), w2 = r.uniform([6, 1]), b2 = r.uniform([1]);
      // precondition: every hidden pre-activation is far from the relu kink
      const z = fe.add(fe.matMul(x, fe.tensor(w1.values, w1.shape)), fe.tensor(b1.values, b1.shape)).dataSync();
      expect(Math.min(...Array.from(z, Math.abs))).toBeGreaterThan(0.1);
      expectGradcheck(
        ([a, b, c, d]) => fe.mean(fe.sigmoidCrossEntropyWithLogits(y, fe.add(fe.matMul(fe.relu(fe.add(fe.matMul(x, a), b)), c), d))),
        [w1, b1, w2, b2],
      );
    });

    it('method chain x.mul(y).add(1).square().mean()', () => {
      const r = new Gen(902);
      expectGradcheck(([a, b]) => a.mul(b).add(1).square().mean(), [r.uniform([2, 3]), r.uniform([3])]);
    });

    it('a tensor used twice: x*x gives 2x, x+x gives 2', () => {
      const x = fe.variable(fe.tensor([1, -2, 3]));
      fe.sum(fe.mul(x, x)).backward();
      expectValues(x.grad, [2, -4, 6]);
      const y = fe.variable(fe.tensor([1, -2, 3]));
      fe.sum(fe.add(y, y)).backward();
      expectValues(y.grad, [2, 2, 2]);
      expectGradcheck(([t]) => fe.mul(t, t), [new Gen(903).uniform([2, 3])]);
    });

    it('a tensor reaching the loss along several paths', () => {
      const x = fe.variable(fe.tensor([0.5, -1, 2]));
      const h = fe.exp(x);
      fe.sum(fe.add(fe.mul(h, x), fe.mul(x, 3))).backward(); // d/dx (x·eˣ + 3x) = eˣ(1 + x) + 3
      expectValues(x.grad, [0.5, -1, 2].map((v) => Math.exp(v) * (1 + v) + 3), 1e-5);
      expectGradcheck(([t]) => {
        const e = t.exp();
        return fe.add(fe.mul(e, t), fe.div(e, fe.add(t.square(), 1)));
      }, [new Gen(904).uniform([2, 2])]);
    });

    it('gradient accumulation: backward twice adds up', () => {
      const x = fe.variable(fe.tensor([1, 2, 3]));
      const loss = fe.sum(fe.mul(x, x));
      loss.backward();
      expectValues(x.grad, [2, 4, 6]);
      loss.backward();
      expectValues(x.grad, [4, 8, 12]);
      fe.sum(fe.mul(x, 10)).backward(); // a second graph adds too
      expectValues(x.grad, [14, 18, 22]);
    });

    it('one upstream gradient shared by two leaves: each gets its own tensor', () => {
      const x = fe.variable(fe.tensor([1, 2]));
      const y = fe.variable(fe.tensor([3, 4]));
      const loss = fe.sum(fe.add(x, y));
      loss.backward();
      expect(x.grad).not.toBe(y.grad);
      loss.backward();
      expectValues(x.grad, [2, 2]);
      expectValues(y.grad, [2, 2]);
      x.grad!.dispose();
      x.grad = null;
      expectValues(y.grad, [2, 2]);
    });

    it('backward of a leaf scalar gives 1', () => {
      const s = fe.variable(fe.scalar(3));
      s.backward();
      expectValues(s.grad, [1]);
    });

    it('requiresGrad = true on a plain tensor makes it a leaf', () => {
      const t = fe.tensor([[1, 2], [3, 4]]);
      t.requiresGrad = true;
      fe.sum(fe.square(t)).backward();
      expectValues(t.grad, [2, 4, 6, 8]);
    });

    it('constants get no gradient', () => {
      const c = fe.tensor([1, 2]);
      const v = fe.variable(fe.tensor([3, 4]));
      fe.sum(fe.mul(c, v)).backward();
      expect(c.grad).toBeNull();
      expectValues(v.grad, [1, 2]);
    });

    it('backward of a non-scalar with an explicit gradient', () => {
      const x = fe.variable(fe.tensor([1, 2, 3]));
      const y = fe.square(x);
      y.backward(fe.tensor([1, 0.5, -1]));
      expectValues(x.grad, [2, 2, -6]);
      expect(() => y.backward()).toThrow(/backward/);
    });

    it('noGrad records nothing', () => {
      const x = fe.variable(fe.tensor([1, 2]));
      const y = fe.noGrad(() => fe.sum(fe.square(x)));
      expect(y.requiresGrad).toBe(false);
      expect(() => y.backward()).toThrow(/requiresGrad/);
      expect(x.grad).toBeNull();
    });

    it('an int32 operand in a float expression: gradient to the float side', () => {
      const f = fe.variable(fe.tensor([1.5, 2.5]));
      fe.sum(fe.mul(f, fe.tensor([2, 3], [2], 'int32'))).backward();
      expectValues(f.grad, [2, 3]);
    });

    // tidy disposed exp's output, which the graph still needs: backward must either compute
    // the right gradient or throw, never treat the disposed tensor as a leaf and skip x.
    it('backward across a tidy boundary does not silently drop the gradient', () => {
      const x = fe.variable(fe.tensor([1, 2]));
      const loss = fe.tidy(() => fe.sum(fe.exp(x)));
      let threw = false;
      try {
        loss.backward();
      } catch (e) {
        threw = true;
        expect(String(e)).toMatch(/dispos/);
      }
      if (!threw) expectValues(x.grad, [Math.E, Math.exp(2)], 1e-5);
    });

    it('backward frees its intermediate gradients', () => {
      const x = fe.variable(fe.tensor([1, 2, 3]));
      const loss = fe.sum(fe.mul(fe.exp(x), fe.tanh(x)));
      const before = fe.memory().numTensors;
      loss.backward();
      expect(fe.memory().numTensors - before).toBe(1); // only x.grad
    });
  });
});
