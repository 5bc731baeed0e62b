import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { BACKENDS, useBackend } from './helpers/backends';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i])));
};

describe.each(BACKENDS)('layers on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('dense computes activation(x·W + b) with Keras kernel layout [in, units]', () => {
    const layer = fe.layers.dense({ units: 2, activation: 'relu', inputShape: [3] });
    layer.apply(fe.zeros([1, 3]));
    expect(layer.weights.map((w) => w.shape)).toEqual([[3, 2], [2]]);
    layer.setWeights([fe.tensor([[1, -1], [2, 0], [0, 3]]), fe.tensor([0.5, -10])]);
    const y = layer.apply(fe.tensor([[1, 2, 3], [-1, 0, 1]]));
    // row 0: [1+4+0+0.5, -1+0+9-10] = [5.5, -2] → relu [5.5, 0]; row 1: [-1+0+0+0.5, 1+0+3-10] → [0, 0]
    close(y.dataSync(), [5.5, 0, 0, 0]);
    expect(layer.getWeights()[0].arraySync()).toEqual([[1, -1], [2, 0], [0, 3]]);
  });

  it('embedding trains on float32 token ids (as tf.tensor2d makes them) exactly as on int32 ids, and frees the cast', async () => {
    const train = async (dtype: 'float32' | 'int32') => {
      fe.setRandomSeed(11);
      const model = fe.sequential({ layers: [
        fe.layers.embedding({ inputDim: 20, outputDim: 3, inputLength: 4 }), fe.layers.flatten(), fe.layers.dense({ units: 2, activation: 'softmax' }),
      ] });
      model.compile({ optimizer: fe.train.adam(0.05), loss: 'categoricalCrossentropy' });
      const x = fe.tensor([[1, 2, 3, 4], [5, 6, 7, 19], [0, 0, 9, 9]], [3, 4], dtype);
      const y = fe.oneHot(fe.tensor([0, 1, 1], [3], 'int32'), 2);
      const before = fe.memory().numTensors;
      const losses = [model.trainOnBatch(x, y) as number, model.trainOnBatch(x, y) as number];
      expect(fe.memory().numTensors).toBe(before);
      const h = await model.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0 });
      losses.push(...(h.history.loss as number[]));
      const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
      model.dispose();
      x.dispose();
      y.dispose();
      return { losses, weights };
    };
    const f = await train('float32'), i = await train('int32');
    expect(f.losses[3]).toBeLessThan(f.losses[0]);
    expect(f.losses).toEqual(i.losses);
    expect(f.weights).toEqual(i.weights);
  });

  it('dense without bias, on rank-3 input, applies over the last axis', () => {
    const layer = fe.layers.dense({ units: 1, useBias: false, kernelInitializer: 'ones' });
    const y = layer.apply(fe.tensor([[[1, 2], [3, 4]]]));
    expect(y.shape).toEqual([1, 2, 1]);
    close(y.dataSync(), [3, 7]);
    expect(layer.weights.length).toBe(1);
  });

  it('embedding looks rows up and rejects ids ≥ inputDim naming the layer', () => {
    const layer = fe.layers.embedding({ inputDim: 3, outputDim: 2, name: 'emb_test' });
    layer.apply(fe.tensor([[0]], undefined, 'int32'));
    layer.setWeights([fe.tensor([[0, 1], [2, 3], [4, 5]])]);
    const y = layer.apply(fe.tensor([[2, 0, 1]], undefined, 'int32'));
    expect(y.shape).toEqual([1, 3, 2]);
    close(y.dataSync(), [4, 5, 0, 1, 2, 3]);
    expect(() => layer.apply(fe.tensor([[1, 3]], undefined, 'int32'))).toThrow(/emb_test.*token id 3.*\[0, 3\)/);
  });

  it('globalAveragePooling1d averages only unmasked steps when the embedding masks zeros', () => {
    const model = fe.sequential({
      layers: [fe.layers.embedding({ inputDim: 4, outputDim: 1, maskZero: true, inputLength: 3 }), fe.layers.globalAveragePooling1d()],
    });
    model.build();
    model.layers[0].setWeights([fe.tensor([[100], [1], [2], [3]])]);
    const y = model.predict(fe.tensor([[0, 1, 3], [2, 0, 0], [1, 2, 3]], undefined, 'int32'));
    // [1, 3] → 2; [2] → 2; [1, 2, 3] → 2 — the 100s of id 0 never count
    close(y.dataSync(), [2, 2, 2]);
    const unmasked = fe.layers.globalAveragePooling1d().apply(fe.tensor([[[100], [1], [3]]]));
    close(unmasked.dataSync(), [104 / 3]);
  });

  it('dropout scales kept units by 1/(1−rate) in training and is the identity in inference', () => {
    fe.setRandomSeed(7);
    const layer = fe.layers.dropout({ rate: 0.5 });
    const x = fe.ones([1000]).reshape([10, 100]);
    const train = layer.apply(x, { training: true }).dataSync();
    const kept = Array.from(train).filter((v) => v !== 0);
    expect(kept.every((v) => Math.abs(v - 2) < 1e-6)).toBe(true);
    expect(kept.length).toBeGreaterThan(400);
    expect(kept.length).toBeLessThan(600);
    close(layer.apply(x, { training: false }).dataSync(), x.dataSync());
  });

  it('flatten keeps the batch axis', () => {
    const y = fe.layers.flatten().apply(fe.tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]));
    expect(y.shape).toEqual([2, 4]);
    close(y.dataSync(), [1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('glorotUniform stays within ±sqrt(6/(fanIn+fanOut)) and zeros are zeros', () => {
    const layer = fe.layers.dense({ units: 50, inputShape: [30] });
    layer.apply(fe.zeros([1, 30]));
    const limit = Math.sqrt(6 / 80);
    const k = layer.weights[0].dataSync();
    expect(Math.max(...k)).toBeLessThanOrEqual(limit);
    expect(Math.min(...k)).toBeGreaterThanOrEqual(-limit);
    expect(Math.max(...k)).toBeGreaterThan(limit * 0.8);
    expect(Array.from(layer.weights[1].dataSync()).every((v) => v === 0)).toBe(true);
  });

  it('bad configuration and input give errors naming the layer', () => {
    expect(() => fe.layers.dense({ units: 0 })).toThrow(/Dense.*units/);
    expect(() => fe.layers.dense({ units: 2, activation: 'nope' as never })).toThrow(/unknown activation 'nope'/);
    expect(() => fe.layers.dropout({ rate: 1 })).toThrow(/Dropout.*rate/);
    const d = fe.layers.dense({ units: 2, name: 'd_in' });
    d.apply(fe.zeros([1, 3]));
    expect(() => d.apply(fe.zeros([1, 4]))).toThrow(/d_in.*last dimension 3.*\[1, 4\]/);
    expect(() => d.setWeights([fe.zeros([3, 3]), fe.zeros([2])])).toThrow(/d_in.*\[3, 2\].*\[3, 3\]/);
  });
});
