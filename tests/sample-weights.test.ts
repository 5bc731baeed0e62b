// classWeight and sampleWeight in fit (and classWeight in fitDataset): against TensorFlow.js'
// fit with classWeight, by hand, and fitDataset against fit.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { BACKENDS, useBackend } from './helpers/backends';
import { mulberry32, maxDiff, uniform as uniformValues } from './helpers/reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const uniform = (n: number, seed: number) => uniformValues(mulberry32(seed), n);


describe.each(BACKENDS)('sample and class weights on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  it('fit with classWeight holds the same weights as TensorFlow.js (binary and sparse softmax)', async () => {
    for (const kind of ['binary', 'sparse'] as const) {
      const units = kind === 'binary' ? 1 : 3;
      const act = kind === 'binary' ? 'sigmoid' : 'softmax';
      const loss = kind === 'binary' ? 'binaryCrossentropy' : 'sparseCategoricalCrossentropy';
      const ours = fe.sequential({ layers: [fe.layers.dense({ units, inputShape: [4], activation: act })] });
      const theirs = tf.sequential({ layers: [tf.layers.dense({ units, inputShape: [4], activation: act })] });
      theirs.setWeights(ours.getWeights().map((t) => tf.tensor(t.dataSync() as Float32Array, t.shape)));
      ours.compile({ optimizer: fe.train.sgd(0.5), loss });
      theirs.compile({ optimizer: tf.train.sgd(0.5), loss });
      const n = 16;
      const xv = uniform(n * 4, 3);
      const yv = Float32Array.from({ length: n }, (_, i) => (kind === 'binary' ? i % 2 : i % 3));
      const classWeight: Record<number, number> = kind === 'binary' ? { 0: 0.2, 1: 3 } : { 0: 1, 1: 0.5, 2: 4 };
      await ours.fit(fe.tensor(xv, [n, 4]), fe.tensor(yv, [n, 1]), { epochs: 3, batchSize: 4, shuffle: false, verbose: 0, classWeight });
      await theirs.fit(tf.tensor(xv, [n, 4]), tf.tensor(yv, [n, 1]), { epochs: 3, batchSize: 4, shuffle: false, verbose: 0, classWeight });
      const got = ours.getWeights().map((t) => t.dataSync());
      theirs.getWeights().forEach((t, i) => expect(maxDiff(got[i], t.dataSync()), `${kind} weight ${i}`).toBeLessThan(2e-6));
      ours.dispose();
    }
  });

  it('sampleWeight: the loss is mean(weight · per-sample loss), by hand; fitDataset with classWeight equals fit', async () => {
    const m = fe.sequential({ layers: [fe.layers.dense({ units: 2, inputShape: [3], kernelInitializer: 'ones' })] });
    m.compile({ optimizer: fe.train.sgd(0.1), loss: 'meanSquaredError' });
    const x = fe.tensor(uniform(12, 5), [4, 3]), y = fe.tensor(uniform(8, 6), [4, 2]);
    const w = fe.tensor([1, 0, 2, 0.5]);
    const pred = m.predict(x).dataSync(), yv = y.dataSync(), wv = w.dataSync();
    let want = 0;
    for (let i = 0; i < 4; i++) want += (wv[i] * ((pred[2 * i] - yv[2 * i]) ** 2 + (pred[2 * i + 1] - yv[2 * i + 1]) ** 2)) / 2;
    const h = await m.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0, sampleWeight: w, shuffle: false });
    expect(h.history.loss[0]).toBeCloseTo(want / 4, 5);
    // fitDataset with classWeight: the same steps as fit.
    const make = () => {
      fe.setRandomSeed(3);
      const mm = fe.sequential({ layers: [fe.layers.dense({ units: 3, inputShape: [4], activation: 'softmax' })] });
      mm.compile({ optimizer: fe.train.sgd(0.3), loss: 'categoricalCrossentropy' });
      return mm;
    };
    const xs = uniform(32, 7), ys = Array.from({ length: 8 }, (_, i) => [i % 3 === 0 ? 1 : 0, i % 3 === 1 ? 1 : 0, i % 3 === 2 ? 1 : 0]);
    const cw = { 0: 2, 1: 0.5, 2: 1 };
    const a = make(), b = make();
    await a.fit(fe.tensor(xs, [8, 4]), fe.tensor(ys), { epochs: 2, batchSize: 4, shuffle: false, verbose: 0, classWeight: cw });
    const ds = fe.data.zip({ xs: fe.data.array(Array.from({ length: 8 }, (_, i) => Array.from(xs.slice(4 * i, 4 * i + 4)))), ys: fe.data.array(ys) }).batch(4);
    await b.fitDataset(ds, { epochs: 2, verbose: 0, classWeight: cw });
    const wa = a.getWeights().map((t) => t.dataSync()), wb = b.getWeights().map((t) => t.dataSync());
    wa.forEach((v, i) => expect(maxDiff(v, wb[i])).toBe(0));
    // Errors.
    await expect(a.fit(fe.tensor(xs, [8, 4]), fe.tensor(ys), { epochs: 1, verbose: 0, classWeight: { 0: 1, 1: 1 } })).rejects.toThrow(/has no weight for class 2, which the targets contain/);
    await expect(m.fit(x, y, { epochs: 1, verbose: 0, sampleWeight: fe.ones([3]) })).rejects.toThrow(/sampleWeight for output '.*' must have shape \[4\]/);
    const custom = fe.sequential({ layers: [fe.layers.dense({ units: 2, inputShape: [3] })] });
    custom.compile({ optimizer: 'sgd', loss: (yt: fe.Tensor, yp: fe.Tensor) => fe.mean(fe.abs(fe.sub(yt, yp))) });
    await expect(custom.fit(x, y, { epochs: 1, verbose: 0, sampleWeight: w })).rejects.toThrow(/need a loss given by name in compile\(\)/);
    fe.dispose([x, y, w]);
  });
});
