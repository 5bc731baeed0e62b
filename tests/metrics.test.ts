/**
 * fe.metrics: every tf.metrics function against TensorFlow.js' cpu backend (values and
 * shapes), the ones TensorFlow.js lacks (top-k accuracies) and the thresholded precision /
 * recall by hand, and compile({ metrics }) by name and by function: log keys, and values
 * against TensorFlow.js models compiled with the same names.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { backends, Gen, input, useBackend, type Input } from './helpers/gradcheck';
import { expectClose } from './helpers/reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const TOL = { rtol: 2e-5, atol: 1e-6 };
const feT = (i: Input, dtype?: 'int32') => fe.tensor(i.values, i.shape, dtype);
const tfT = (i: Input, dtype?: 'int32') => tf.tensor(i.values, i.shape, dtype);

function agree(label: string, ours: fe.Tensor, theirs: tf.Tensor): void {
  expect(ours.shape, `${label} shape`).toEqual(theirs.shape);
  expectClose(ours.dataSync(), theirs.dataSync() as Float32Array, TOL, label);
}

function rowsOfProbabilities(g: Gen, rows: number, cols: number): Input {
  const v = Float32Array.from(g.uniform([rows, cols], 0.05, 1).values);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += v[r * cols + c];
    for (let c = 0; c < cols; c++) v[r * cols + c] /= s;
  }
  return input([rows, cols], v);
}

describe.each(backends)('tf.metrics against TensorFlow.js on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  const g = new Gen(5);
  const bin = g.ints([8, 3], 0, 1);
  const p01 = g.uniform([8, 3], 0.02, 0.98);
  const ids = [0, 3, 2, 2, 1, 0, 3, 1];
  const onehot = input([8, 4], ids.flatMap((c) => [0, 1, 2, 3].map((k) => (k === c ? 1 : 0))));
  const probs = rowsOfProbabilities(g, 8, 4);
  const real = g.uniform([8, 3], -2, 2);
  const real2 = g.uniform([8, 3], -2, 2);

  it('accuracies, cross-entropies, errors and cosineProximity: per sample, as TensorFlow.js', () => {
    agree('binaryAccuracy', fe.metrics.binaryAccuracy(feT(bin), feT(p01)), tf.metrics.binaryAccuracy(tfT(bin), tfT(p01)));
    agree('binaryCrossentropy', fe.metrics.binaryCrossentropy(feT(bin), feT(p01)), tf.metrics.binaryCrossentropy(tfT(bin), tfT(p01)));
    agree('categoricalAccuracy', fe.metrics.categoricalAccuracy(feT(onehot), feT(probs)), tf.metrics.categoricalAccuracy(tfT(onehot), tfT(probs)));
    agree('categoricalCrossentropy', fe.metrics.categoricalCrossentropy(feT(onehot), feT(probs)), tf.metrics.categoricalCrossentropy(tfT(onehot), tfT(probs)));
    const idT = input([8], ids);
    agree('sparseCategoricalAccuracy', fe.metrics.sparseCategoricalAccuracy(feT(idT), feT(probs)), tf.metrics.sparseCategoricalAccuracy(tfT(idT), tfT(probs)));
    agree('sparseCategoricalAccuracy [n, 1] labels', fe.metrics.sparseCategoricalAccuracy(feT(input([8, 1], ids)), feT(probs)), tf.metrics.sparseCategoricalAccuracy(tfT(input([8, 1], ids)), tfT(probs)));
    // TensorFlow.js has no sparseCategoricalCrossentropy metric: the categorical one on one-hot labels.
    agree('sparseCategoricalCrossentropy', fe.metrics.sparseCategoricalCrossentropy(feT(idT, 'int32'), feT(probs)), tf.metrics.categoricalCrossentropy(tfT(onehot), tfT(probs)));
    agree('cosineProximity', fe.metrics.cosineProximity(feT(real), feT(real2)), tf.metrics.cosineProximity(tfT(real), tfT(real2)));
    for (const [ours, theirs] of [
      [fe.metrics.meanSquaredError, tf.metrics.meanSquaredError], [fe.metrics.MSE, tf.metrics.MSE], [fe.metrics.mse, tf.metrics.mse],
      [fe.metrics.meanAbsoluteError, tf.metrics.meanAbsoluteError], [fe.metrics.MAE, tf.metrics.meanAbsoluteError], [fe.metrics.mae, tf.metrics.meanAbsoluteError],
      [fe.metrics.meanAbsolutePercentageError, tf.metrics.meanAbsolutePercentageError], [fe.metrics.MAPE, tf.metrics.MAPE], [fe.metrics.mape, tf.metrics.mape],
    ] as const) {
      agree(ours.name, ours(feT(real), feT(real2)), theirs(tfT(real), tfT(real2)));
    }
    expectClose(fe.metrics.cosineSimilarity(feT(real), feT(real2)).dataSync(), fe.neg(fe.metrics.cosineProximity(feT(real), feT(real2))).dataSync(), { rtol: 1e-7 });
  });

  it('precision and recall: as TensorFlow.js on 0/1 predictions; probabilities above 0.5 count as 1 (Keras)', () => {
    const pred01 = g.ints([8, 3], 0, 1);
    agree('precision', fe.metrics.precision(feT(bin), feT(pred01)), tf.metrics.precision(tfT(bin), tfT(pred01)));
    agree('recall', fe.metrics.recall(feT(bin), feT(pred01)), tf.metrics.recall(tfT(bin), tfT(pred01)));
    const y = fe.tensor([1, 1, 0, 0, 1]);
    const p = fe.tensor([0.9, 0.4, 0.7, 0.1, 0.6]); // positives: 0.9 (tp), 0.7 (fp), 0.6 (tp); 0.4 is a fn
    expectClose(fe.metrics.precision(y, p).dataSync(), [2 / 3], { rtol: 1e-6 });
    expectClose(fe.metrics.recall(y, p).dataSync(), [2 / 3], { rtol: 1e-6 });
    expect(fe.metrics.precision(y, fe.zeros([5])).dataSync()[0]).toBe(0);
    expect(fe.metrics.recall(fe.zeros([5]), p).dataSync()[0]).toBe(0);
  });

  it('r2Score as TensorFlow.js; constant labels give 1 (exact) or 0', () => {
    agree('r2Score', fe.metrics.r2Score(feT(real), feT(real2)), tf.metrics.r2Score(tfT(real), tfT(real2)));
    const near = input([8, 3], real.values.map((v, i) => v + 0.1 * Math.sin(i)));
    agree('r2Score close', fe.metrics.r2Score(feT(real), feT(near)), tf.metrics.r2Score(tfT(real), tfT(near)));
    expect(fe.metrics.r2Score(fe.ones([4]), fe.ones([4])).dataSync()[0]).toBe(1);
    expect(fe.metrics.r2Score(fe.ones([4]), fe.zeros([4])).dataSync()[0]).toBe(0);
  });

  it('topKCategoricalAccuracy and sparseTopKCategoricalAccuracy by hand, ties counted in (TensorFlow\'s in_top_k)', () => {
    const p = fe.tensor([[0.1, 0.5, 0.2, 0.2], [0.3, 0.3, 0.3, 0.1], [0.7, 0.1, 0.1, 0.1]]);
    const idsT = fe.tensor([2, 3, 0], [3], 'int32');
    // row 0: class 2 has 0.2, one value above → in top 2, not top 1; row 1: class 3 is below three → in top 4 only;
    // row 2: class 0 is the max
    expect(Array.from(fe.metrics.sparseTopKCategoricalAccuracy(idsT, p, 1).dataSync())).toEqual([0, 0, 1]);
    expect(Array.from(fe.metrics.sparseTopKCategoricalAccuracy(idsT, p, 2).dataSync())).toEqual([1, 0, 1]);
    expect(Array.from(fe.metrics.sparseTopKCategoricalAccuracy(idsT, p, 3).dataSync())).toEqual([1, 0, 1]);
    expect(Array.from(fe.metrics.sparseTopKCategoricalAccuracy(idsT, p).dataSync())).toEqual([1, 1, 1]);
    // ties: row 1's class 0 shares the top value with 1 and 2 — in the top 1
    expect(Array.from(fe.metrics.sparseTopKCategoricalAccuracy(fe.tensor([0, 1, 1], [3], 'int32'), p, 1).dataSync())).toEqual([0, 1, 0]);
    const oh = fe.tensor([[0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0]]);
    expect(Array.from(fe.metrics.topKCategoricalAccuracy(oh, p, 2).dataSync())).toEqual([1, 0, 1]);
    expect(fe.metrics.topKCategoricalAccuracy(oh, p, 2).shape).toEqual([3]);
    expect(() => fe.metrics.sparseTopKCategoricalAccuracy(fe.tensor([0, 4, 1], [3], 'int32'), p, 1)).toThrow(/class id 4 in row 1 is outside \[0, 4\)/);
    expect(() => fe.metrics.topKCategoricalAccuracy(oh, p, 0)).toThrow(/k must be a positive integer/);
  });
});

/** An identity model (predictions = inputs) compiled with `metrics`: [loss, ...metrics] of evaluate. */
async function tfEvaluate(loss: string, metrics: string[], x: Input, y: Input): Promise<number[]> {
  const d = x.shape[1];
  const m = tf.sequential({ layers: [tf.layers.dense({ units: d, inputShape: [d], useBias: false, kernelInitializer: 'identity' })] });
  m.compile({ optimizer: 'sgd', loss, metrics });
  const out = ([] as tf.Scalar[]).concat(m.evaluate(tfT(x), tfT(y)) as tf.Scalar | tf.Scalar[]);
  const v = await Promise.all(out.map(async (t) => (await t.data())[0]));
  m.dispose();
  return v;
}

function feIdentity(d: number): fe.Sequential {
  const m = fe.sequential({ layers: [fe.layers.dense({ units: d, inputShape: [d], useBias: false })] });
  const eye = new Float32Array(d * d);
  for (let i = 0; i < d; i++) eye[i * d + i] = 1;
  m.setWeights([fe.tensor(eye, [d, d])]);
  return m;
}

function feEvaluate(loss: string, metrics: (string | fe.metrics.MetricFn)[], x: Input, y: Input, batchSize = 32): number[] {
  const m = feIdentity(x.shape[1]);
  m.compile({ optimizer: 'sgd', loss, metrics });
  return ([] as fe.Tensor[]).concat(m.evaluate(feT(x), feT(y), { batchSize }) as fe.Tensor | fe.Tensor[]).map((t) => t.dataSync()[0]);
}

describe.each(backends)('compile({ metrics }) on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  const g = new Gen(9);
  const ids = [1, 0, 2, 2, 1, 0];
  const onehot = input([6, 3], ids.flatMap((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0))));
  const probs = rowsOfProbabilities(g, 6, 3);
  const bin = g.ints([6, 1], 0, 1);
  const p01 = g.uniform([6, 1], 0.05, 0.95);
  const real = g.uniform([6, 3], -2, 2);
  const real2 = g.uniform([6, 3], 0.5, 2);

  it('names TensorFlow.js knows give TensorFlow.js\' values (one batch)', async () => {
    const cases: [string, string[], Input, Input][] = [
      ['categoricalCrossentropy', ['accuracy', 'crossentropy', 'categoricalAccuracy', 'mse', 'MAE', 'mape', 'cosine'], probs, onehot],
      ['binaryCrossentropy', ['acc', 'ce', 'binaryAccuracy', 'MSE', 'mae'], p01, bin],
      ['meanSquaredError', ['MAPE', 'cosine', 'mse'], real2, real],
    ];
    for (const [loss, metrics, x, y] of cases) {
      expectClose(feEvaluate(loss, metrics, x, y), await tfEvaluate(loss, metrics, x, y), TOL, `${loss} with ${metrics.join(', ')}`);
    }
    const sparse = input([6], ids);
    expectClose(feEvaluate('sparseCategoricalCrossentropy', ['accuracy', 'crossentropy'], probs, sparse),
      await tfEvaluate('sparseCategoricalCrossentropy', ['accuracy', 'crossentropy'], probs, sparse), TOL, 'sparse');
  });

  it('fit logs each metric under Keras\' / TensorFlow.js\' key, averaged over batches by size', async () => {
    const m = feIdentity(3);
    m.compile({
      optimizer: fe.train.sgd(1e-9), loss: 'categoricalCrossentropy',
      metrics: ['accuracy', 'ce', 'top_k_categorical_accuracy', 'precision', 'recall', 'kld', 'categorical_hinge', fe.metrics.topKCategoricalAccuracy],
    });
    const h = await m.fit(feT(probs), feT(onehot), { epochs: 1, batchSize: 4, verbose: 0, shuffle: false });
    expect(Object.keys(h.history)).toEqual(['loss', 'acc', 'ce', 'top_k_categorical_accuracy', 'precision', 'recall', 'kld', 'categorical_hinge', 'topKCategoricalAccuracy']);
    // batches of 4 and 2 rows: each metric is the size-weighted mean of the per-batch means
    const byBatch = (f: (y: fe.Tensor, p: fe.Tensor) => fe.Tensor) => {
      const parts = [[0, 4], [4, 2]].map(([s, n]) => fe.mean(f(fe.slice(feT(onehot), [s], [n]), fe.slice(feT(probs), [s], [n]))).dataSync()[0] * n);
      return (parts[0] + parts[1]) / 6;
    };
    expectClose(h.history.acc, [byBatch(fe.metrics.categoricalAccuracy)], { rtol: 1e-5 }, 'acc');
    expectClose(h.history.top_k_categorical_accuracy, [1], { rtol: 0 }, 'top 5 of 3 classes');
    expectClose(h.history.kld, [byBatch(fe.losses.kld)], { rtol: 1e-5 }, 'kld');
    expectClose(h.history.precision, [byBatch(fe.metrics.precision)], { rtol: 1e-5 }, 'precision');
  });

  it('a metric function logs under its name; per-sample results are averaged', () => {
    function meanPrediction(_y: fe.Tensor, p: fe.Tensor) {
      return fe.mean(p, -1); // one value per sample
    }
    const v = feEvaluate('meanSquaredError', [meanPrediction, fe.metrics.r2Score], real2, real);
    const means = Array.from({ length: 6 }, (_, r) => (real2.values[3 * r] + real2.values[3 * r + 1] + real2.values[3 * r + 2]) / 3);
    expectClose([v[1]], [means.reduce((a, b) => a + b) / 6], { rtol: 1e-5 });
    expectClose([v[2]], fe.metrics.r2Score(feT(real), feT(real2)).dataSync(), { rtol: 1e-5 });
    const m = feIdentity(3);
    m.compile({ optimizer: 'sgd', loss: 'mse', metrics: [meanPrediction, 'mean_absolute_error', 'r2_score', 'cosine_similarity'] });
    expect(m.compiled!.outputs[0].metrics.map(([k]) => k)).toEqual(['meanPrediction', 'mean_absolute_error', 'r2_score', 'cosine_similarity']);
  });

  it('unknown metric names fail clearly at compile()', () => {
    const m = feIdentity(2);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['accuracyy'] })).toThrow(/unknown metric 'accuracyy' \(expected 'accuracy', 'crossentropy', binaryAccuracy/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['hasOwnProperty'] })).toThrow(/unknown metric 'hasOwnProperty'/);
  });
});
