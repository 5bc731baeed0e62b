// Functional autograd as TensorFlow.js (fe.grad, grads, valueAndGrad(s), variableGrads,
// customGrad, optimizer.minimize, applyGradients with named gradients), on both backends:
// values against hand-computed derivatives and against TensorFlow.js (cpu) running the same
// programs; fe.tidy inside the differentiated function; no tensor leaks; clear errors.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import type { Tensor } from 'ferrite-ml';
import { BACKENDS, useBackend } from './helpers/backends';

function close(t: Tensor | { dataSync(): ArrayLike<number> }, want: ArrayLike<number>, tol = 1e-5): void {
  const got = Array.from(t.dataSync());
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    if (!(Math.abs(g - want[i]) <= tol * Math.max(1, Math.abs(want[i])))) {
      throw new Error(`element ${i}: got ${g}, want ${want[i]} (all: [${got.join(', ')}])`);
    }
  });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(BACKENDS)('functional autograd on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
  });

  it('grad: d/dx 3x² = 6x, with a tidy inside f, and dy weighting the output', () => {
    const x = fe.tensor([1, -2, 0.5]);
    const g = fe.grad((v) => fe.tidy(() => v.square().mul(3)))(x);
    close(g, [6, -12, 3]);
    const gdy = fe.grad((v) => v.square().mul(3))(x, fe.tensor([1, 0.5, -2]));
    close(gdy, [6, -6, -6]);
    // x is untouched: no gradient record, no .grad
    expect(x.requiresGrad).toBe(false);
    expect(x.grad).toBeNull();
    fe.dispose([x, g, gdy]);
  });

  it('grads: f(a, b) = a·b + b² gives [b, a + 2b]; arrays are accepted as inputs', () => {
    const f = fe.grads((a, b) => fe.add(fe.mul(a, b), fe.square(b)));
    const [da, db] = f([[1, 2], [3, -1]]);
    close(da, [3, -1]);
    close(db, [7, 0]);
    fe.dispose([da, db]);
  });

  it('valueAndGrad and valueAndGrads return the value too', () => {
    const x = fe.tensor([0.5, 2]);
    const { value, grad } = fe.valueAndGrad((v) => fe.sum(fe.log(v)))(x);
    close(value, [Math.log(0.5) + Math.log(2)]);
    close(grad, [2, 0.5]);
    const r = fe.valueAndGrads((a, b) => fe.div(a, b))([fe.scalar(3), fe.scalar(4)]);
    close(r.value, [0.75]);
    close(r.grads[0], [0.25]);
    close(r.grads[1], [-3 / 16]);
    expect(r.value.requiresGrad).toBe(false);
    fe.dispose([x, value, grad, r.value, ...r.grads]);
  });

  it('the same tensor given twice gets the total gradient twice (as TensorFlow.js), as two tensors', () => {
    const x = fe.tensor([2, 3]);
    const [g1, g2] = fe.grads((a, b) => fe.mul(a, b))([x, x]);
    // f = x·x: df/dx = 2x (TensorFlow.js returns [4, 6] for both too)
    close(g1, [4, 6]);
    close(g2, [4, 6]);
    expect(g1).not.toBe(g2);
    fe.dispose([x, g1, g2]);
  });

  it('matches TensorFlow.js on a small network (matMul, relu, softmax, mean)', () => {
    const xv = [[0.2, -0.5, 1.1], [0.7, 0.3, -0.9]];
    const wv = [[0.1, -0.3], [0.8, 0.25], [-0.6, 0.4]];
    const run = <T>(lib: typeof fe | typeof tf) => {
      const L = lib as typeof tf;
      return L.grads((x: tf.Tensor, w: tf.Tensor) => L.mean(L.softmax(L.relu(L.matMul(x, w)).add(0.1))).mul(L.sum(w)))
        ([L.tensor2d(xv), L.tensor2d(wv)]) as unknown as T[];
    };
    const want = run<tf.Tensor>(tf).map((t) => Array.from(t.dataSync()));
    const got = run<Tensor>(fe);
    got.forEach((g, i) => close(g, want[i]));
    fe.dispose(got);
  });

  it('variableGrads: gradients by variable name; non-trainable ones given map to null', () => {
    const a = fe.variable(fe.tensor([1, 2]), true, 'vg_a');
    const b = fe.variable(fe.tensor([3]), true, 'vg_b');
    const frozen = fe.variable(fe.tensor([5]), false, 'vg_frozen');
    const { value, grads } = fe.variableGrads(() => fe.sum(fe.mul(fe.mul(a, b), frozen)), [a, b, frozen]);
    close(value, [45]);
    expect(Object.keys(grads).sort()).toEqual(['vg_a', 'vg_b', 'vg_frozen']);
    close(grads.vg_a, [15, 15]);
    close(grads.vg_b, [15]);
    expect(grads.vg_frozen).toBeNull();
    expect(a.grad).toBeNull();
    fe.dispose([value, grads.vg_a, grads.vg_b]);
    // Default list: every trainable variable; only those reached appear.
    const r = fe.variableGrads(() => fe.sum(fe.square(a)));
    expect(Object.keys(r.grads)).toEqual(['vg_a']);
    close(r.grads.vg_a, [2, 4]);
    fe.dispose([r.value, r.grads.vg_a, a, b, frozen]);
  });

  it('customGrad: the gradient given by gradFunc, with saved tensors (TensorFlow.js docs example)', () => {
    const customOp = fe.customGrad((x, save) => {
      (save as (t: Tensor[]) => void)([x as Tensor]);
      return {
        value: fe.square(x as Tensor),
        gradFunc: (dy, [saved]) => [fe.mul(dy, fe.abs(saved))],
      };
    });
    const x = fe.tensor([-1, 2, 3]);
    const value = customOp(x);
    close(value, [1, 4, 9]);
    const g = fe.grad((v) => customOp(v))(x);
    close(g, [1, 2, 3]);
    // Also through PyTorch-style backward on a variable.
    const v = fe.variable(fe.tensor([-2, 0.5]));
    fe.tidy(() => fe.sum(customOp(v)).backward());
    close(v.grad!, [2, 0.5]);
    fe.dispose([x, value, g, v]);
  });

  it('customGrad returning an input as its value records the gradient on a copy', () => {
    const identityTimes2Grad = fe.customGrad((x) => ({ value: x as Tensor, gradFunc: (dy) => fe.mul(dy, 2) }));
    const x = fe.tensor([1, 2]);
    const g = fe.grad((v) => identityTimes2Grad(v))(x);
    close(g, [2, 2]);
    expect(x.gradFn).toBeNull();
    fe.dispose([x, g]);
  });

  it('optimizer.minimize(() => fe.tidy(…)) trains as in TensorFlow.js, leaving no tensors behind', () => {
    // y = 2x − 1 with noise-free data; linear model a·x + b, SGD, 30 steps, in both libraries.
    const xs = [0, 1, 2, 3, -1, 0.5];
    const ys = xs.map((v) => 2 * v - 1);
    const train = (lib: typeof fe | typeof tf): number[] => {
      const L = lib as typeof tf;
      const a0 = L.scalar(0.3), b0 = L.scalar(-0.2);
      const a = L.variable(a0);
      const b = L.variable(b0);
      const x = L.tensor1d(xs), y = L.tensor1d(ys);
      const opt = L.train.sgd(0.05);
      const costs: number[] = [];
      for (let i = 0; i < 30; i++) {
        const cost = opt.minimize(() => L.tidy(() => L.mean(L.square(L.sub(L.add(L.mul(a, x), b), y)))) as tf.Scalar, true);
        costs.push(cost!.dataSync()[0]);
        cost!.dispose();
      }
      const out = [a.dataSync()[0], b.dataSync()[0], ...costs];
      L.dispose([a, b, a0, b0, x, y]);
      return out;
    };
    const want = train(tf);
    const before = fe.memory().numTensors;
    const got = train(fe);
    expect(fe.memory().numTensors).toBe(before);
    got.forEach((g, i) => expect(Math.abs(g - want[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(want[i]))));
    expect(got[2 + 29]).toBeLessThan(got[2] / 10); // the cost fell
  });

  it('minimize with nested tidies and intermediate tensors read by the gradient (softmax, exp, constants)', () => {
    const w = fe.variable(fe.tensor([[0.5, -0.25], [0.1, 0.3]]));
    const x = fe.tensor([[1, 2], [-1, 0.5]]);
    const opt = fe.train.adam(0.01);
    const before = fe.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      opt.minimize(() =>
        fe.tidy(() => {
          const h = fe.tidy(() => fe.exp(fe.matMul(x, w)).mul(0.5));
          const p = fe.tidy(() => fe.softmax(h));
          return fe.mean(fe.mul(p, fe.tensor([[1, 0], [0, 1]])));
        }),
      );
    }
    expect(fe.memory().numTensors).toBe(before);
    expect(w.grad).toBeNull();
    fe.dispose([w, x]);
  });

  it('minimize keeps an existing .grad and uses varList', () => {
    const a = fe.variable(fe.tensor([1]));
    const b = fe.variable(fe.tensor([1]));
    a.grad = fe.tensor([42]).keep();
    const opt = fe.train.sgd(0.5);
    opt.minimize(() => fe.sum(fe.add(fe.mul(a, 2), fe.mul(b, 4))), false, [b]);
    close(a, [1]); // not in varList
    close(b, [-1]); // 1 − 0.5·4
    close(a.grad!, [42]);
    fe.dispose([a, b]);
  });

  it('applyGradients takes { name: gradient } and [{ name, tensor }] as TensorFlow.js', () => {
    const v = fe.variable(fe.tensor([1, 2]), true, 'ag_v');
    const opt = fe.train.sgd(1);
    const g = fe.tensor([0.5, -1]);
    opt.applyGradients({ ag_v: g });
    close(v, [0.5, 3]);
    opt.applyGradients([{ name: 'ag_v', tensor: g }]);
    close(v, [0, 4]);
    expect(opt.iterations).toBe(2);
    expect(() => opt.applyGradients({ nobody_has_this_name: g })).toThrow(/no live variable is named 'nobody_has_this_name'/);
    expect(() => opt.applyGradients({ ag_v: fe.tensor([1, 2, 3]) })).toThrow(/'ag_v' has shape \[3\], the variable \[2\]/);
    fe.dispose([v, g]);
  });

  it('errors: no path from x, a non-tensor result, a dy of another shape, a non-scalar loss, no variable reached', () => {
    const x = fe.tensor([1, 2]);
    expect(() => fe.grad(() => fe.tensor([1, 2]))(x)).toThrow(/grad: cannot compute the gradient of y = f\(x\) with respect to x/);
    expect(() => fe.grad(() => 3 as unknown as Tensor)(x)).toThrow(/must be a tensor, got number/);
    expect(() => fe.grad((v) => v.mul(2))(x, fe.tensor([1, 2, 3]))).toThrow(/shape of dy \[3\] must match the shape \[2\]/);
    expect(() => fe.grads(((v: Tensor) => v) as never)(x as never)).toThrow(/must be an array of tensors/);
    const v = fe.variable(fe.tensor([1, 2]));
    const opt = fe.train.sgd(0.1);
    expect(() => opt.minimize(() => fe.mul(v, 2), false, [v])).toThrow(/must return a scalar, but it returned a rank-1 tensor of shape \[2\]/);
    expect(() => opt.minimize(() => fe.sum(x), false, [v])).toThrow(/cannot find a connection between any variable/);
    const frozen = fe.variable(fe.tensor([1]), false);
    expect(() => fe.variableGrads(() => fe.sum(frozen), [frozen])).toThrow(/none of the 1 variables is trainable/);
    // Gradients of gradients are not recorded: the outer grad finds no path.
    expect(() => fe.grad((u) => fe.grad((w) => w.square())(u))(x)).toThrow(/cannot compute the gradient/);
    fe.dispose([x, v, frozen]);
  });

  it('errors leave nothing behind', () => {
    const x = fe.tensor([1, 2]);
    const before = fe.memory().numTensors;
    expect(() => fe.grad((v) => fe.tidy(() => { v.mul(3).exp(); throw new Error('boom'); }))(x)).toThrow('boom');
    expect(() => fe.grad(() => fe.tensor([1]).add(1))(x)).toThrow(/cannot compute/);
    expect(fe.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe.each(BACKENDS)('a TensorFlow.js example program, unchanged but for the library, on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
  });

  // tfjs-examples' polynomial-regression-core: variables, tidy inside the function given to
  // minimize, chained methods, an int32 exponent, nextFrame between steps.
  async function polynomialRegression(tfl: typeof tf): Promise<{ coeffs: number[]; losses: number[]; leaked: number }> {
    const before = tfl.memory().numTensors;
    const [a, b, c, d] = [0.2, -0.4, 0.7, 0.1].map((v) => tfl.variable(tfl.scalar(v)));
    const optimizer = tfl.train.sgd(0.5);
    const predict = (x: tf.Tensor) =>
      tfl.tidy(() => a.mul(x.pow(tfl.scalar(3, 'int32'))).add(b.mul(x.square())).add(c.mul(x)).add(d));
    const loss = (prediction: tf.Tensor, labels: tf.Tensor) => prediction.sub(labels).square().mean() as tf.Scalar;
    const data = tfl.tidy(() => {
      const xs = tfl.linspace(-1, 1, 40);
      const ys = xs.pow(tfl.scalar(3, 'int32')).mul(-0.8).add(xs.square().mul(-0.2)).add(xs.mul(0.9)).add(0.5);
      const ymin = ys.min(), ymax = ys.max();
      return { xs, ys: ys.sub(ymin).div(ymax.sub(ymin)) };
    });
    const losses: number[] = [];
    for (let iter = 0; iter < 75; iter++) {
      const cost = optimizer.minimize(() => loss(predict(data.xs), data.ys), true)!;
      losses.push(cost.dataSync()[0]);
      cost.dispose();
      await tfl.nextFrame();
    }
    const coeffs = [a, b, c, d].map((v) => v.dataSync()[0]);
    tfl.dispose([a, b, c, d, data.xs, data.ys]);
    optimizer.dispose();
    return { coeffs, losses, leaked: tfl.memory().numTensors - before };
  }

  it('polynomial regression trains as in TensorFlow.js and frees everything', async () => {
    const want = await polynomialRegression(tf);
    const got = await polynomialRegression(fe as unknown as typeof tf);
    got.coeffs.forEach((v, i) => expect(Math.abs(v - want.coeffs[i])).toBeLessThan(1e-4));
    got.losses.forEach((v, i) => expect(Math.abs(v - want.losses[i])).toBeLessThan(1e-5 + 1e-4 * want.losses[i]));
    expect(got.losses[74]).toBeLessThan(got.losses[0] / 5);
    // only the four initial scalars the program never disposes stay alive
    expect(got.leaked).toBe(4);
  });
});

describe.each(BACKENDS)('models inside minimize, as TensorFlow.js, on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
  });

  it('model.predict and model.apply are differentiable under minimize / variableGrads, and train as in TensorFlow.js', () => {
    const run = (L: typeof tf, usePredict: boolean): number[] => {
      const m = L.sequential({ layers: [L.layers.dense({ units: 2, inputShape: [3], kernelInitializer: 'ones', biasInitializer: 'zeros' })] });
      const x = L.tensor2d([[1, 2, 3], [0.5, -1, 2]]);
      const y = L.tensor2d([[1, 0], [0, 1]]);
      const opt = L.train.sgd(0.05);
      for (let i = 0; i < 5; i++) {
        opt.minimize(() => L.tidy(() => L.mean(L.square(L.sub((usePredict ? m.predict(x) : m.apply(x)) as tf.Tensor, y))) as tf.Scalar));
      }
      const w = m.getWeights().flatMap((t) => Array.from(t.dataSync()));
      L.dispose([x, y]);
      return w;
    };
    for (const usePredict of [true, false]) {
      const want = run(tf, usePredict);
      const got = run(fe as unknown as typeof tf, usePredict);
      got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-5));
    }
    // outside a tape, predict records nothing
    const m = fe.sequential({ layers: [fe.layers.dense({ units: 1, inputShape: [2] })] });
    const p = m.predict(fe.ones([1, 2])) as fe.Tensor;
    expect(p.gradFn).toBeNull();
  });
});
