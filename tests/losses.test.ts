/**
 * fe.losses: every tf.losses function (weights, every Reduction) against TensorFlow.js' cpu
 * backend; every Keras loss against TensorFlow.js' compiled models (the string losses of
 * tfjs-layers) or hand-computed values; gradients by finite differences; compile() names.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { backends, expectGradcheck, Gen, input, useBackend, type Input } from './helpers/gradcheck';
import { expectClose } from './helpers/reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const R = fe.losses.Reduction;
const REDUCTIONS = [R.NONE, R.MEAN, R.SUM, R.SUM_BY_NONZERO_WEIGHTS] as const;
const TOL = { rtol: 2e-5, atol: 1e-6 };

const feT = (i: Input) => fe.tensor(i.values, i.shape);
const tfT = (i: Input) => tf.tensor(i.values, i.shape);

/** Runs a loss on both libraries and compares the values. */
function agree(label: string, ours: fe.Tensor, theirs: tf.Tensor, tol = TOL): void {
  expect(ours.shape, `${label} shape`).toEqual(theirs.shape);
  expectClose(ours.dataSync(), theirs.dataSync() as Float32Array, tol, label);
}

describe.each(backends)('tf.losses against TensorFlow.js on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  const g = new Gen(7);
  const shape = [4, 3];
  const labels01 = g.ints(shape, 0, 1);
  const probs = g.uniform(shape, 0.05, 0.95);
  const preds = g.uniform(shape, -2, 2);
  const targets = g.uniform(shape, -2, 2);
  const full = g.uniform(shape, 0, 2);
  const perRow = g.uniform([4, 1], 0, 2);
  // Weights with zeros, to tell SUM_BY_NONZERO_WEIGHTS from MEAN.
  const zeros = input(shape, full.values.map((v, i) => (i % 4 === 1 ? 0 : v)));
  const weightCases: [string, Input | number | undefined][] = [['no weights', undefined], ['full weights', zeros], ['per-row weights', perRow], ['scalar weight', 1.5]];
  const w = <L extends 'fe' | 'tf'>(x: Input | number | undefined, lib: L): (L extends 'fe' ? fe.Tensor : tf.Tensor) | number | undefined =>
    (x === undefined || typeof x === 'number' ? x : lib === 'fe' ? feT(x) : tfT(x)) as never;

  type Case = [string, (l: Input | number | undefined, r: number) => [fe.Tensor, tf.Tensor]];
  const cases: Case[] = [
    ['absoluteDifference', (x, r) => [fe.losses.absoluteDifference(feT(targets), feT(preds), w(x, 'fe'), r), tf.losses.absoluteDifference(tfT(targets), tfT(preds), w(x, 'tf'), r)]],
    ['meanSquaredError', (x, r) => [fe.losses.meanSquaredError(feT(targets), feT(preds), w(x, 'fe'), r), tf.losses.meanSquaredError(tfT(targets), tfT(preds), w(x, 'tf'), r)]],
    ['cosineDistance axis 1', (x, r) => [fe.losses.cosineDistance(feT(targets), feT(preds), 1, x === perRow || typeof x !== 'object' ? w(x, 'fe') : undefined, r),
      tf.losses.cosineDistance(tfT(targets), tfT(preds), 1, x === perRow || typeof x !== 'object' ? w(x, 'tf') : undefined, r)]],
    ['hingeLoss', (x, r) => [fe.losses.hingeLoss(feT(labels01), feT(preds), w(x, 'fe'), r), tf.losses.hingeLoss(tfT(labels01), tfT(preds), w(x, 'tf'), r)]],
    ['huberLoss delta 0.7', (x, r) => [fe.losses.huberLoss(feT(targets), feT(preds), w(x, 'fe'), 0.7, r), tf.losses.huberLoss(tfT(targets), tfT(preds), w(x, 'tf'), 0.7, r)]],
    ['logLoss', (x, r) => [fe.losses.logLoss(feT(labels01), feT(probs), w(x, 'fe'), 1e-7, r), tf.losses.logLoss(tfT(labels01), tfT(probs), w(x, 'tf'), 1e-7, r)]],
    ['sigmoidCrossEntropy', (x, r) => [fe.losses.sigmoidCrossEntropy(feT(labels01), feT(preds), w(x, 'fe'), 0, r), tf.losses.sigmoidCrossEntropy(tfT(labels01), tfT(preds), w(x, 'tf'), 0, r)]],
    ['sigmoidCrossEntropy smoothing 0.2', (x, r) => [fe.losses.sigmoidCrossEntropy(feT(labels01), feT(preds), w(x, 'fe'), 0.2, r), tf.losses.sigmoidCrossEntropy(tfT(labels01), tfT(preds), w(x, 'tf'), 0.2, r)]],
    ['computeWeightedLoss', (x, r) => [fe.losses.computeWeightedLoss(feT(full), w(x, 'fe'), r), tf.losses.computeWeightedLoss(tfT(full), w(x, 'tf'), r)]],
  ];

  for (const [name, run] of cases) {
    it(`${name}: every reduction, with and without weights`, () => {
      for (const [wn, wx] of weightCases) {
        for (const r of REDUCTIONS) {
          const [ours, theirs] = run(wx, r);
          agree(`${name}, ${wn}, reduction ${R[r]}`, ours, theirs);
        }
      }
    });
  }

  it('softmaxCrossEntropy: one-hot labels, label smoothing, per-row weights, every reduction; int32 class ids too', () => {
    const logits = g.uniform([5, 4], -3, 3);
    const ids = [2, 0, 3, 1, 1];
    const onehot = input([5, 4], ids.flatMap((c) => [0, 1, 2, 3].map((k) => (k === c ? 1 : 0))));
    const rowW = input([5], [1, 0, 2, 0.5, 1]);
    for (const smoothing of [0, 0.1]) {
      for (const weights of [undefined, rowW]) {
        for (const r of REDUCTIONS) {
          const ours = fe.losses.softmaxCrossEntropy(feT(onehot), feT(logits), weights && feT(weights), smoothing, r);
          const theirs = tf.losses.softmaxCrossEntropy(tfT(onehot), tfT(logits), weights && tfT(weights), smoothing, r);
          agree(`smoothing ${smoothing} weights ${Boolean(weights)} reduction ${R[r]}`, ours, theirs);
          const fromIds = fe.losses.softmaxCrossEntropy(fe.tensor(ids, [5], 'int32'), feT(logits), weights && feT(weights), smoothing, r);
          expectClose(fromIds.dataSync(), ours.dataSync(), { rtol: 1e-6, atol: 1e-7 }, 'class ids');
        }
      }
    }
  });

  it('weights that are all zero give 0 (TensorFlow\'s div_no_nan), not NaN', () => {
    const z = fe.zeros(shape);
    expect(fe.losses.meanSquaredError(feT(targets), feT(preds), z).dataSync()[0]).toBe(0);
    expect(fe.losses.absoluteDifference(feT(targets), feT(preds), z, R.MEAN).dataSync()[0]).toBe(0);
  });

  it('gradients by finite differences (predictions / logits, and weights)', () => {
    const gg = new Gen(11);
    const lab = gg.ints([3, 4], 0, 1);
    const pr = gg.uniform([3, 4], 0.1, 0.9);
    const lg = gg.awayFromZero([3, 4], 0.2, 2);
    const tg = gg.uniform([3, 4], -1, 1);
    const pp = input([3, 4], tg.values.map((t, i) => t + (i % 2 ? 0.5 : -0.6))); // |p − t| clear of huber's and abs' kinks
    const wts = gg.uniform([3, 1], 0.5, 1.5);
    const checks: [string, (x: fe.Tensor[]) => fe.Tensor, Input[]][] = [
      ['absoluteDifference', ([t, p, ww]) => fe.losses.absoluteDifference(t, p, ww), [tg, pp, wts]],
      ['meanSquaredError', ([t, p, ww]) => fe.losses.meanSquaredError(t, p, ww, R.MEAN), [tg, pp, wts]],
      ['cosineDistance', ([t, p, ww]) => fe.losses.cosineDistance(t, p, 1, ww, R.SUM), [tg, pp, wts]],
      ['hingeLoss', ([l, p]) => fe.losses.hingeLoss(l, p, undefined, R.SUM), [lab, input([3, 4], lg.values.map((v) => v * 3))]],
      ['huberLoss', ([t, p]) => fe.losses.huberLoss(t, p, undefined, 0.3), [tg, pp]],
      ['logLoss', ([l, p]) => fe.losses.logLoss(l, p), [lab, pr]],
      ['sigmoidCrossEntropy', ([l, x, ww]) => fe.losses.sigmoidCrossEntropy(l, x, ww, 0.1), [lab, lg, wts]],
      ['softmaxCrossEntropy', ([l, x]) => fe.losses.softmaxCrossEntropy(l, x, undefined, 0.2, R.SUM), [input([3, 4], [1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0]), lg]],
      ['computeWeightedLoss', ([x, ww]) => fe.losses.computeWeightedLoss(x, ww, R.MEAN), [pr, wts]],
    ];
    for (const [name, f, inputs] of checks) {
      const wrt = inputs.map((_, i) => i).filter((i) => !(name.match(/hinge|logLoss|sigmoid|softmax/i) && i === 0));
      expect(() => expectGradcheck(f, inputs, { wrt, rtol: 2e-2, atol: 2e-3 }), name).not.toThrow();
    }
  });

  it('bad input fails clearly', () => {
    expect(() => fe.losses.meanSquaredError(fe.zeros([2, 3]), fe.zeros([3, 2]))).toThrow(/meanSquaredError: labels of shape \[2, 3\] do not match predictions of shape \[3, 2\]/);
    expect(() => fe.losses.absoluteDifference(fe.zeros([2, 3]), fe.zeros([2, 3]), fe.zeros([2, 2]))).toThrow(/weights of shape \[2, 2\] must have the shape \[2, 3\] of the losses or broadcast to it/);
    expect(() => fe.losses.absoluteDifference(fe.zeros([2, 3]), fe.zeros([2, 3]), fe.zeros([3]))).not.toThrow(); // [3] broadcasts
    expect(() => fe.losses.meanSquaredError(fe.zeros([2]), fe.zeros([2]), undefined, 7 as never)).toThrow(/unknown reduction 7/);
    expect(() => fe.losses.cosineDistance(fe.zeros([2, 3]), fe.zeros([2, 3]), 2)).toThrow(/axis 2 is out of range for rank 2/);
    expect(() => fe.losses.softmaxCrossEntropy(fe.zeros([2, 3]), fe.zeros([2, 3]), undefined, 2)).toThrow(/labelSmoothing must be in \[0, 1\]/);
  });
});

/** A TensorFlow.js model whose predictions are its inputs (identity kernel), compiled with a loss name. */
async function tfLossValue(loss: string, y: Input, p: Input): Promise<number> {
  const d = p.shape[1];
  const m = tf.sequential({ layers: [tf.layers.dense({ units: d, inputShape: [d], useBias: false, kernelInitializer: 'identity' })] });
  m.compile({ optimizer: 'sgd', loss });
  const out = m.evaluate(tfT(p), tfT(y)) as tf.Scalar;
  const v = (await out.data())[0];
  m.dispose();
  return v;
}

/** The same through a ferrite model compiled with `loss` (a name in any spelling). */
function feLossValue(loss: string, y: Input, p: Input): number {
  const d = p.shape[1];
  const m = fe.sequential({ layers: [fe.layers.dense({ units: d, inputShape: [d], useBias: false })] });
  const eye = new Float32Array(d * d);
  for (let i = 0; i < d; i++) eye[i * d + i] = 1;
  m.setWeights([fe.tensor(eye, [d, d])]);
  m.compile({ optimizer: 'sgd', loss });
  const out = m.evaluate(feT(p), feT(y)) as fe.Tensor;
  return out.dataSync()[0];
}

describe.each(backends)('Keras losses on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  const g = new Gen(21);
  const shape = [6, 4];
  const signs = input(shape, g.ints(shape, 0, 1).values.map((v) => 2 * v - 1));
  const ids = [3, 0, 1, 1, 2, 0];
  const onehot = input(shape, ids.flatMap((c) => [0, 1, 2, 3].map((k) => (k === c ? 1 : 0))));
  const soft = (x: Input) => {
    const v = Float32Array.from(x.values);
    for (let r = 0; r < shape[0]; r++) {
      let s = 0;
      for (let c = 0; c < 4; c++) s += v[r * 4 + c];
      for (let c = 0; c < 4; c++) v[r * 4 + c] /= s;
    }
    return input(shape, v);
  };
  const probs = soft(g.uniform(shape, 0.05, 1));
  const probs2 = soft(g.uniform(shape, 0.05, 1));
  const real = g.uniform(shape, -2, 2);
  const real2 = g.uniform(shape, -2, 2);
  const positive = g.uniform(shape, 0.1, 3);
  const positive2 = g.uniform(shape, 0.1, 3);
  const bin = g.ints(shape, 0, 1);
  const p01 = g.uniform(shape, 0.05, 0.95);
  // [name, fe.losses function, yTrue, yPred, names to try in compile()]
  const CASES: [string, (y: fe.Tensor, p: fe.Tensor) => fe.Tensor, Input, Input, string[]][] = [
    ['hinge', fe.losses.hinge, signs, real, ['hinge']],
    ['squaredHinge', fe.losses.squaredHinge, signs, real, ['squaredHinge', 'squared_hinge']],
    ['categoricalHinge', fe.losses.categoricalHinge, onehot, real, ['categoricalHinge', 'categorical_hinge']],
    ['logcosh', fe.losses.logcosh, real, real2, ['logcosh', 'log_cosh', 'logCosh']],
    ['kullbackLeiblerDivergence', fe.losses.kullbackLeiblerDivergence, probs, probs2, ['kullbackLeiblerDivergence', 'kld', 'KLD', 'kl_divergence', 'kullback_leibler_divergence']],
    ['poisson', fe.losses.poisson, positive, positive2, ['poisson']],
    ['cosineProximity', fe.losses.cosineProximity, real, real2, ['cosineProximity', 'cosine_proximity', 'cosine_similarity', 'cosineSimilarity']],
    ['meanAbsolutePercentageError', fe.losses.meanAbsolutePercentageError, positive, real, ['meanAbsolutePercentageError', 'mape', 'MAPE', 'mean_absolute_percentage_error']],
    ['meanSquaredLogarithmicError', fe.losses.meanSquaredLogarithmicError, positive, positive2, ['meanSquaredLogarithmicError', 'msle', 'mean_squared_logarithmic_error']],
    ['meanSquaredError', fe.losses.mse, real, real2, ['meanSquaredError', 'mse', 'MSE', 'mean_squared_error']],
    ['meanAbsoluteError', fe.losses.meanAbsoluteError, real, real2, ['meanAbsoluteError', 'mae', 'mean_absolute_error']],
    ['binaryCrossentropy', fe.losses.binaryCrossentropy, bin, p01, ['binaryCrossentropy', 'binary_crossentropy']],
    ['categoricalCrossentropy', fe.losses.categoricalCrossentropy, onehot, probs, ['categoricalCrossentropy', 'categorical_crossentropy']],
  ];

  it.each(CASES)('%s: the function and every compile() name against TensorFlow.js', async (tfName, fn, y, p, names) => {
    const want = await tfLossValue(tfName, y, p);
    expectClose([fn(feT(y), feT(p)).dataSync()[0]], [want], TOL, `fe.losses.${tfName}`);
    for (const name of names) expectClose([feLossValue(name, y, p)], [want], TOL, `compile({ loss: '${name}' })`);
  });

  it('sparseCategoricalCrossentropy by name and function against TensorFlow.js', async () => {
    const y = input([6, 1], ids);
    const want = await tfLossValue('sparseCategoricalCrossentropy', y, probs);
    expectClose([fe.losses.sparseCategoricalCrossentropy(feT(y), feT(probs)).dataSync()[0]], [want], TOL);
    expectClose([feLossValue('sparse_categorical_crossentropy', y, probs)], [want], TOL);
  });

  it('hinge and squaredHinge map 0/1 labels to −1/1 (Keras), by hand', () => {
    const y = fe.tensor([[0, 1], [1, 0]]);
    const p = fe.tensor([[0.5, 0.3], [-0.2, -2]]);
    // y' = [[-1, 1], [1, -1]]: max(0, 1 − y'p) = [[1.5, 0.7], [1.2, 0]] → row means 1.1, 0.6
    expectClose(fe.losses.hinge(y, p).dataSync(), [0.85], { rtol: 1e-6 });
    expectClose(fe.losses.squaredHinge(y, p).dataSync(), [(1.5 ** 2 + 0.7 ** 2 + 1.2 ** 2) / 4], { rtol: 1e-6 });
  });

  it('huber (Keras; delta 1 by name) by hand and against tf.losses.huberLoss', () => {
    const y = fe.tensor([[0, 1], [2, -1]]);
    const p = fe.tensor([[0.5, 3], [2.2, -4]]);
    // |e| = 0.5, 2, 0.2, 3 → 0.125, 1.5, 0.02, 2.5 → mean 1.03625
    expectClose(fe.losses.huber(y, p).dataSync(), [1.03625], { rtol: 1e-6 });
    expectClose([feLossValue('huber', input([2, 2], [0, 1, 2, -1]), input([2, 2], [0.5, 3, 2.2, -4]))], [1.03625], { rtol: 1e-6 });
    expectClose([feLossValue('huber_loss', input([2, 2], [0, 1, 2, -1]), input([2, 2], [0.5, 3, 2.2, -4]))], [1.03625], { rtol: 1e-6 });
    expectClose(fe.losses.huber(y, p, 2).dataSync(), tf.losses.huberLoss(tf.tensor([[0, 1], [2, -1]]), tf.tensor([[0.5, 3], [2.2, -4]]), undefined, 2).dataSync() as Float32Array, { rtol: 1e-6 });
  });

  it('gradients of the Keras losses by finite differences', () => {
    const gg = new Gen(31);
    const s = [3, 4];
    /** Rows of probabilities (each row sums to 1), shape s. */
    const pr = (seed: number) => {
      const v = Float32Array.from(new Gen(seed).uniform(s, 0.1, 1).values);
      for (let r = 0; r < s[0]; r++) {
        let sum = 0;
        for (let c = 0; c < s[1]; c++) sum += v[r * s[1] + c];
        for (let c = 0; c < s[1]; c++) v[r * s[1] + c] /= sum;
      }
      return input(s, v);
    };
    const checks: [string, (y: fe.Tensor, p: fe.Tensor) => fe.Tensor, Input, Input][] = [
      ['hinge', fe.losses.hinge, input(s, [1, -1, 1, 1, -1, -1, 1, -1, 1, 1, -1, 1]), gg.uniform(s, -0.8, 0.8)],
      ['squaredHinge', fe.losses.squaredHinge, input(s, [1, -1, 1, 1, -1, -1, 1, -1, 1, 1, -1, 1]), gg.uniform(s, -0.8, 0.8)],
      ['categoricalHinge', fe.losses.categoricalHinge, input(s, [0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1]), gg.distinct(s, 0.3)],
      ['logcosh', fe.losses.logcosh, gg.uniform(s), gg.uniform(s)],
      ['kld', fe.losses.kld, pr(1), pr(2)],
      ['poisson', fe.losses.poisson, gg.uniform(s, 0, 3), gg.uniform(s, 0.5, 3)],
      ['cosineProximity', fe.losses.cosineProximity, gg.uniform(s), gg.awayFromZero(s)],
      ['huber', (y, p) => fe.losses.huber(y, p, 0.5), gg.uniform(s), input(s, gg.uniform(s).values.map((v, i) => v + (i % 3 === 0 ? 1.5 : 0.05)))],
      ['mape', fe.losses.mape, gg.awayFromZero(s, 0.5, 2), gg.uniform(s, 3, 4)],
      ['msle', fe.losses.msle, gg.uniform(s, 0.1, 2), gg.uniform(s, 0.1, 2)],
      ['binaryCrossentropy', fe.losses.binaryCrossentropy, gg.ints(s, 0, 1), gg.uniform(s, 0.1, 0.9)],
      ['categoricalCrossentropy', fe.losses.categoricalCrossentropy, pr(3), pr(4)],
    ];
    for (const [name, f, y, p] of checks) {
      expect(() => expectGradcheck(([a, b]) => f(a, b), [y, p], { wrt: [1], rtol: 2e-2, atol: 2e-3 }), name).not.toThrow();
    }
  });

  it('unknown names and mismatched shapes fail clearly', () => {
    const m = fe.sequential({ layers: [fe.layers.dense({ units: 2, inputShape: [2] })] });
    expect(() => m.compile({ optimizer: 'sgd', loss: 'hingeLoss' })).toThrow(/unknown loss 'hingeLoss' \(expected one of .*hinge.*kld/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'toString' })).toThrow(/unknown loss 'toString'/);
    expect(() => fe.losses.logcosh(fe.zeros([2, 3]), fe.zeros([2, 2]))).toThrow(/logcosh: labels of shape \[2, 3\] do not match predictions of shape \[2, 2\]/);
  });

  it('a model trains with a Keras loss by name (squared_hinge on ±1 labels)', async () => {
    fe.setRandomSeed(2);
    const gx = new Gen(40).uniform([64, 2], -1, 1);
    const yv = Array.from({ length: 64 }, (_, i) => (gx.values[2 * i] + gx.values[2 * i + 1] > 0 ? 1 : -1));
    const m = fe.sequential({ layers: [fe.layers.dense({ units: 1, inputShape: [2], activation: 'tanh' })] });
    m.compile({ optimizer: fe.train.adam(0.05), loss: 'squared_hinge', metrics: ['hinge'] });
    const h = await m.fit(feT(gx), fe.tensor(yv, [64, 1]), { epochs: 30, batchSize: 16, verbose: 0 });
    expect(h.history.loss[29]).toBeLessThan(0.5 * h.history.loss[0]);
    expect(Object.keys(h.history).sort()).toEqual(['hinge', 'loss']);
  });
});
