import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { BACKENDS, settleGc, syntheticTokens, useBackend } from './helpers/backends';

function textModel() {
  return fe.sequential({
    layers: [
      fe.layers.embedding({ inputDim: 1000, outputDim: 16, inputLength: 100 }),
      fe.layers.globalAveragePooling1d(),
      fe.layers.dense({ units: 32, activation: 'relu' }),
      fe.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  });
}

function w2Data(n: number, seed: number) {
  const { x, y } = syntheticTokens(n, 100, seed);
  return { x: fe.tensor(x, [n, 100], 'int32'), y: fe.tensor(y, [n, 1]) };
}

describe.each(BACKENDS)('Sequential on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('learns the W2 task: held-out accuracy ≥ 0.9 after 5 epochs, history as Keras', async () => {
    fe.setRandomSeed(3);
    const train = w2Data(1024, 2), test = w2Data(256, 22);
    const model = textModel();
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const epochsSeen: number[] = [];
    const h = await model.fit(train.x, train.y, {
      epochs: 5, batchSize: 32, verbose: 0, validationData: [test.x, test.y],
      callbacks: { onEpochEnd: (e) => { epochsSeen.push(e); } },
    });
    expect(Object.keys(h.history).sort()).toEqual(['acc', 'loss', 'val_acc', 'val_loss']);
    expect(h.history.loss.length).toBe(5);
    expect(h.history.loss[4]).toBeLessThan(h.history.loss[0]);
    expect(epochsSeen).toEqual([0, 1, 2, 3, 4]);
    const [loss, acc] = model.evaluate(test.x, test.y) as fe.Tensor[];
    expect(acc.dataSync()[0]).toBeGreaterThanOrEqual(0.9);
    expect(loss.dataSync()[0]).toBeCloseTo(h.history.val_loss[4], 4);
    const p = model.predict(test.x);
    expect(p.shape).toEqual([256, 1]);
    const probs = p.dataSync();
    expect(Math.min(...probs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...probs)).toBeLessThanOrEqual(1);
  });

  it('fit and predict free every intermediate: tensor count and heap are the same after 100 steps as after 1', async () => {
    const { x, y } = w2Data(32 * 100, 5);
    const model = textModel();
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const one = fe.slice(x, [0], [32]), oneY = fe.slice(y, [0], [32]);
    await model.fit(one, oneY, { epochs: 1, batchSize: 32, verbose: 0 });
    await settleGc();
    const after1 = fe.memory();
    await model.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0 });
    await settleGc();
    const after100 = fe.memory();
    expect(after100.numTensors).toBe(after1.numTensors);
    expect(after100.numBytes).toBe(after1.numBytes);
    const before = fe.memory().numTensors;
    model.predict(x).dispose();
    (model.evaluate(x, y) as fe.Tensor[]).forEach((t) => t.dispose());
    expect(fe.memory().numTensors).toBe(before);
  });

  it('the Keras defaults and the TensorFlow.js optimizer objects train', async () => {
    const { x, y } = w2Data(256, 9);
    for (const optimizer of ['sgd', 'rmsprop', fe.train.sgd(0.5), fe.train.momentum(0.1, 0.9), fe.train.adam(0.01), fe.train.rmsprop(0.01)]) {
      fe.setRandomSeed(11);
      const model = textModel();
      model.compile({ optimizer, loss: 'binaryCrossentropy' });
      const before = (model.evaluate(x, y) as fe.Tensor).dataSync()[0];
      await model.fit(x, y, { epochs: 3, batchSize: 32, verbose: 0 });
      const after = (model.evaluate(x, y) as fe.Tensor).dataSync()[0];
      expect(after, `optimizer ${typeof optimizer === 'string' ? optimizer : optimizer.className}`).toBeLessThan(before);
    }
    const adam = new fe.Adam();
    expect([adam.learningRate, adam.beta1, adam.beta2, adam.epsilon]).toEqual([0.001, 0.9, 0.999, 1e-7]);
  });

  it('categorical and sparse categorical cross-entropy agree and match −log p', () => {
    const model = fe.sequential({ layers: [fe.layers.dense({ units: 3, activation: 'softmax', inputShape: [2] })] });
    model.build();
    model.setWeights([fe.tensor([[1, 0, -1], [0, 1, 2]]), fe.tensor([0, 0, 0])]);
    const x = fe.tensor([[1, 2], [0, -1]]);
    // logits: [1, 2, 3] and [0, −1, −2]; labels 2 and 0
    const lse = (a: number[]) => Math.log(a.reduce((s, v) => s + Math.exp(v), 0));
    const expected = ((lse([1, 2, 3]) - 3) + (lse([0, -1, -2]) - 0)) / 2;
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const dense = (model.evaluate(x, fe.tensor([[0, 0, 1], [1, 0, 0]])) as fe.Tensor).dataSync()[0];
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const sparse = (model.evaluate(x, fe.tensor([2, 0], undefined, 'int32')) as fe.Tensor).dataSync()[0];
    expect(dense).toBeCloseTo(expected, 5);
    expect(sparse).toBeCloseTo(expected, 5);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const p = model.predict(x).dataSync();
    const t = [0, 0, 1, 1, 0, 0];
    const mse = t.reduce((s, v, i) => s + (v - p[i]) ** 2, 0) / 6;
    expect((model.evaluate(x, fe.tensor([[0, 0, 1], [1, 0, 0]])) as fe.Tensor).dataSync()[0]).toBeCloseTo(mse, 5);
  });

  it('getWeights/setWeights round-trip a whole model in Keras order', () => {
    const a = textModel();
    a.build();
    const b = textModel();
    b.build();
    b.setWeights(a.getWeights());
    const x = w2Data(8, 1).x;
    expect(Array.from(b.predict(x).dataSync())).toEqual(Array.from(a.predict(x).dataSync()));
    expect(a.weights.map((w) => w.shape)).toEqual([[1000, 16], [16, 32], [32], [32, 1], [1]]);
  });

  it('earlyStopping stops when the monitored value stops improving', async () => {
    const { x, y } = w2Data(64, 4);
    const model = textModel();
    model.compile({ optimizer: fe.train.sgd(1e-9), loss: 'binaryCrossentropy' });
    const h = await model.fit(x, y, {
      epochs: 20, verbose: 0, callbacks: fe.callbacks.earlyStopping({ monitor: 'loss', minDelta: 0.01, patience: 2 }),
    });
    expect(h.epoch.length).toBe(3);
  });

  it('bad input gives clear errors and leaves the model usable', async () => {
    const { x, y } = w2Data(64, 4);
    const model = textModel();
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    const count = fe.memory().numTensors;
    const badIds = fe.tensor(new Int32Array(64 * 100).fill(1000), [64, 100], 'int32');
    await expect(model.fit(badIds, y, { epochs: 1, verbose: 0 })).rejects.toThrow(/embedding.*token id 1000.*\[0, 1000\)/);
    const short = fe.zeros([64, 50], 'int32'), wide = fe.zeros([64, 2]), fewer = fe.zeros([63, 1]);
    await expect(model.fit(short, y, { epochs: 1, verbose: 0 })).rejects.toThrow(/expected input of shape \[null, 100\], got \[64, 50\]/);
    await expect(model.fit(x, wide, { epochs: 1, verbose: 0 })).rejects.toThrow(/labels of shape \[32, 2\].*\[32, 1\]/);
    await expect(model.fit(x, fewer, { epochs: 1, verbose: 0 })).rejects.toThrow(/same number of samples/);
    fe.dispose([short, wide, fewer]);
    const nanY = fe.tensor(new Float32Array(64).fill(NaN), [64, 1]);
    await expect(model.fit(x, nanY, { epochs: 1, verbose: 0 })).rejects.toThrow(/target 'dense_\d+' contains NaN at flat index 0/);
    badIds.dispose();
    nanY.dispose();
    expect(fe.memory().numTensors).toBe(count);
    const h = await model.fit(x, y, { epochs: 1, verbose: 0 });
    expect(Number.isFinite(h.history.loss[0])).toBe(true);
    expect(() => model.compile({ optimizer: 'nadam', loss: 'binaryCrossentropy' })).toThrow(/unknown optimizer 'nadam'/);
    expect(() => model.compile({ optimizer: 'adam', loss: 'hingeLoss' })).toThrow(/unknown loss 'hingeLoss'/);
  });

  it('PyTorch-style loop: zeroGrad, backward, step', () => {
    fe.setRandomSeed(5);
    const model = fe.sequential({ layers: [fe.layers.dense({ units: 1, inputShape: [2] })] });
    model.build();
    const opt = fe.optim.sgd(model.parameters(), { lr: 0.1 });
    const x = fe.tensor([[1, 0], [0, 1], [1, 1], [-1, 1]]);
    const y = fe.tensor([[1], [2], [3], [1]]); // y = x0 + 2·x1
    let last = Infinity;
    for (let i = 0; i < 1000; i++) {
      opt.zeroGrad();
      const loss = fe.tidy(() => {
        const l = fe.losses.meanSquaredError(y, model.apply(x));
        l.backward();
        return l;
      });
      opt.step();
      last = loss.dataSync()[0];
      loss.dispose();
    }
    expect(last).toBeLessThan(1e-3);
    const [k] = model.getWeights();
    const kv = k.dataSync();
    expect(kv[0]).toBeCloseTo(1, 1);
    expect(kv[1]).toBeCloseTo(2, 1);
  });
});
