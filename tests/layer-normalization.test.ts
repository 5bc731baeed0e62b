// Layer normalization: the fused op against its formula and finite differences, wasm vs js;
// the LayerNormalization layer against tf.layers.layerNormalization (predictions, and a model
// after one SGD step), Keras' rms_scaling, axes that are not trailing, errors, no leaks.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import * as fe from 'ferrite-ml';
import { BACKENDS, settleGc, useBackend, wasmBuilt } from './helpers/backends';
import { expectGradcheck, Gen } from './helpers/gradcheck';
import { mulberry32, uniform } from './helpers/reference';

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  let worst = 0, at = -1;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
    if (!(e <= worst)) { worst = e; at = i; }
  }
  expect(worst, `${what}: worst at ${at}: got ${got[at]}, want ${want[at]}`).toBeLessThanOrEqual(tol);
}

/** Layer normalization from its definition, float64 (rms: Keras' rms_scaling). */
function reference(x: Float32Array, rows: number, cols: number, gamma: Float32Array | null, beta: Float32Array | null, eps: number, rms: boolean): Float64Array {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = Array.from(x.subarray(r * cols, (r + 1) * cols));
    const mu = row.reduce((a, b) => a + b, 0) / cols;
    const v = row.reduce((a, b) => a + (b - mu) ** 2, 0) / cols;
    const inv = 1 / Math.sqrt(v + eps);
    for (let j = 0; j < cols; j++) y[r * cols + j] = (rms ? row[j] : row[j] - mu) * inv * (gamma ? gamma[j] : 1) + (beta ? beta[j] : 0);
  }
  return y;
}

for (const backend of BACKENDS) {
  describe(`layer normalization on ${backend}`, () => {
    beforeAll(async () => {
      await useBackend(backend);
    });

    it('computes the formula over one or several trailing axes, with and without γ, β, rms', () => {
      const r = mulberry32(1);
      const cases: [number[], number][] = [[[1, 1], 1], [[3, 5], 1], [[2, 3, 7], 1], [[2, 3, 4], 2], [[4, 67], 1], [[2, 1, 9], 1]];
      for (const [shape, axes] of cases) {
        const cols = shape.slice(shape.length - axes).reduce((a, b) => a * b, 1);
        const rows = shape.reduce((a, b) => a * b, 1) / cols;
        const x = uniform(r, rows * cols, -3, 4), g = uniform(r, cols, 0.5, 1.5), b = uniform(r, cols, -1, 1);
        for (const rms of [false, true]) {
          for (const affine of [true, false]) {
            fe.tidy(() => {
              const gt = affine ? fe.tensor(g, shape.slice(shape.length - axes)) : null;
              const bt = affine && !rms ? fe.tensor(b, shape.slice(shape.length - axes)) : null;
              const y = fe.layerNorm(fe.tensor(x, [...shape]), gt, bt, { epsilon: 1e-3, axes, rms });
              expectClose(y.dataSync(), reference(x, rows, cols, affine ? g : null, affine && !rms ? b : null, 1e-3, rms), 2e-6, `${shape} axes ${axes} rms ${rms} affine ${affine}`);
            });
          }
        }
      }
    });

    it('has gradients that match finite differences (x, γ, β; rms)', () => {
      const gen = new Gen(4);
      const x = gen.uniform([3, 2, 5], -2, 2), g = gen.uniform([5], 0.5, 1.5), b = gen.uniform([5]);
      expectGradcheck(([xs, gs, bs]) => fe.layerNorm(xs, gs, bs, { epsilon: 1e-3 }), [x, g, b]);
      expectGradcheck(([xs, gs]) => fe.layerNorm(xs, gs, null, { epsilon: 1e-3, rms: true }), [x, g]);
      expectGradcheck(([xs]) => fe.layerNorm(xs, null, null, { epsilon: 1e-5, axes: 2 }), [x]);
    });

    it('LayerNormalization predicts as tf.layers.layerNormalization, and a model equals TF.js after one SGD step', async () => {
      const r = mulberry32(9);
      const xv = uniform(r, 6 * 4 * 8, -2, 3), yv = uniform(r, 6 * 3, -1, 1);
      // A model: Dense(8) → LayerNormalization → Flatten → Dense(3), same initial weights.
      await tf.setBackend('cpu');
      const tm = tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [4, 8], units: 8 }),
          tf.layers.layerNormalization({ epsilon: 1e-3, gammaInitializer: 'randomUniform', betaInitializer: 'randomUniform' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 3 }),
        ],
      });
      tm.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
      const initial = tm.getWeights().map((w) => ({ shape: w.shape, data: w.dataSync().slice() as Float32Array }));
      const tx = tf.tensor(xv, [6, 4, 8]), ty = tf.tensor(yv, [6, 3]);
      const tfPred = (tm.predict(tx) as tf.Tensor).dataSync();
      await tm.trainOnBatch(tx, ty);
      const tfAfter = tm.getWeights().map((w) => w.dataSync());

      await useBackend(backend);
      const model = fe.sequential({
        layers: [
          fe.layers.dense({ inputShape: [4, 8], units: 8 }),
          fe.layers.layerNormalization(),
          fe.layers.flatten(),
          fe.layers.dense({ units: 3 }),
        ],
      });
      model.compile({ optimizer: fe.train.sgd(0.1), loss: 'meanSquaredError' });
      model.setWeights(initial.map((w) => fe.tensor(w.data, w.shape)));
      const x = fe.tensor(xv, [6, 4, 8]), y = fe.tensor(yv, [6, 3]);
      expectClose((model.predict(x) as fe.Tensor).dataSync(), tfPred, 1e-5, 'prediction');
      model.trainOnBatch(x, y);
      model.getWeights().forEach((w, i) => expectClose(w.dataSync(), tfAfter[i], 1e-5, `weight ${i} after one step`));
      // The layer's own weights: gamma then beta, of the features' shape.
      expect(model.layers[1].weights.map((w) => `${w.name} [${w.shape}]`)).toEqual([
        `${model.layers[1].name}/gamma [8]`, `${model.layers[1].name}/beta [8]`,
      ]);
      fe.dispose([x, y]);
      model.dispose();
      tf.dispose([tx, ty]);
    });

    it('normalizes over axes that are not trailing as TensorFlow.js does', async () => {
      const r = mulberry32(2);
      const xv = uniform(r, 2 * 3 * 4 * 5, -1, 2);
      await tf.setBackend('cpu');
      const tl = tf.layers.layerNormalization({ axis: [1, 3], gammaInitializer: 'randomUniform', betaInitializer: 'randomUniform' });
      const want = (tl.apply(tf.tensor(xv, [2, 3, 4, 5])) as tf.Tensor).dataSync();
      const w = tl.getWeights().map((t) => ({ shape: t.shape, data: t.dataSync() as Float32Array }));
      await useBackend(backend);
      const layer = fe.layers.layerNormalization({ axis: [1, 3] });
      fe.tidy(() => {
        layer.apply(fe.tensor(xv, [2, 3, 4, 5]));
        expect(layer.weights.map((v) => v.shape)).toEqual([[3, 5], [3, 5]]);
        layer.setWeights(w.map((t) => fe.tensor(t.data, t.shape)));
        expectClose(layer.apply(fe.tensor(xv, [2, 3, 4, 5])).dataSync(), want, 1e-5, 'axes [1, 3]');
      });
      layer.dispose();
    });

    it('rmsScaling is Keras’: x/√(σ² + ε)·γ, one weight', () => {
      const layer = fe.layers.layerNormalization({ rmsScaling: true, epsilon: 0 });
      fe.tidy(() => {
        const y = layer.apply(fe.tensor([[1, 2, 3], [2, 2, 8]]));
        expect(layer.weights.map((w) => w.name!.split('/').pop())).toEqual(['gamma']);
        // Row 0: σ² = 2/3; row 1: σ² = 8.
        const a = 1 / Math.sqrt(2 / 3), b = 1 / Math.sqrt(8);
        expectClose(y.dataSync(), [a, 2 * a, 3 * a, 2 * b, 2 * b, 8 * b], 1e-6, 'rms');
      });
      layer.dispose();
    });

    it('leaves no tensor behind, refuses bad arguments', async () => {
      const layer = fe.layers.layerNormalization({ name: 'ln' });
      const x = fe.randomUniform([3, 4]);
      fe.tidy(() => { layer.apply(x); });
      await settleGc();
      const before = fe.memory().numTensors;
      fe.tidy(() => fe.sum(fe.square(layer.apply(x))).backward());
      layer.weights.forEach((w) => { w.grad?.dispose(); w.grad = null; });
      await settleGc();
      expect(fe.memory().numTensors).toBe(before);
      expect(() => fe.tidy(() => layer.apply(fe.ones([3, 5])))).toThrow(/^ln \(LayerNormalization\): expected dimensions \[4\] on axes \[1\], got input of shape \[3, 5\]/);
      expect(() => fe.layers.layerNormalization({ axis: 0 }).build([null, 3])).toThrow(/axis 0 is out of range .*batch axis/);
      expect(() => fe.layers.layerNormalization({ epsilon: -1 })).toThrow(/epsilon must be a non-negative number/);
      expect(() => fe.tidy(() => fe.layerNorm(fe.ones([2, 3]), fe.ones([4])))).toThrow(/layerNorm: expected gamma of shape \[3\]/);
      expect(() => fe.tidy(() => fe.layerNorm(fe.ones([2, 3]), null, null, { axes: 3 }))).toThrow(/axes must be an integer in \[1, 2\]/);
      fe.dispose(x);
      layer.dispose();
    });
  });
}

describe.runIf(wasmBuilt)('layer normalization: wasm kernel against the js kernel', () => {
  it('gives the same outputs and gradients', async () => {
    const run = async (backend: 'js' | 'wasm') => {
      await useBackend(backend);
      const res: Float32Array[] = [];
      for (const rms of [false, true]) {
        const x = fe.variable(fe.tensor(uniform(mulberry32(1), 37 * 67, -3, 3), [37, 67]));
        const g = fe.variable(fe.tensor(uniform(mulberry32(2), 67, 0.5, 1.5), [67]));
        const b = fe.variable(fe.tensor(uniform(mulberry32(3), 67), [67]));
        fe.tidy(() => {
          const y = fe.layerNorm(x, g, rms ? null : b, { rms, epsilon: 1e-5 });
          res.push(y.dataSync() as Float32Array);
          fe.sum(fe.mul(y, fe.tensor(uniform(mulberry32(4), y.size), y.shape))).backward();
        });
        res.push(x.grad!.dataSync() as Float32Array, g.grad!.dataSync() as Float32Array);
        if (!rms) res.push(b.grad!.dataSync() as Float32Array);
        fe.dispose([x, g, b]);
      }
      return res;
    };
    const a = await run('js'), b = await run('wasm');
    a.forEach((v, i) => expectClose(b[i], v, 2e-5, `result ${i}`));
  });
});
