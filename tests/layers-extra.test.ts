// Activation layers, noise and regularization layers, Masking, Permute, Rescaling,
// CategoryEncoding, and recurrent cells with rnn({ cell }): outputs against TensorFlow.js
// (cpu backend) with the same weights, training-time noise by its definition, gradients by
// finite differences, save/load both ways, errors.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { BACKENDS, useBackend } from './helpers/backends';
import { expectGradcheck, Gen } from './helpers/gradcheck';
import { mulberry32, maxDiff } from './helpers/reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const uniform = (n: number, seed: number, lo = -2, hi = 2) => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
};


interface Case {
  name: string;
  shape: number[];
  fe: () => fe.layers.Layer;
  tf: () => tf.layers.Layer;
  ids?: number;
  /** TensorFlow.js cannot run this layer inside a model: compare the layer alone. */
  layerOnly?: boolean;
}

const CASES: Case[] = [
  { name: 'reLU', shape: [3, 4], fe: () => fe.layers.reLU(), tf: () => tf.layers.reLU() },
  { name: 'reLU maxValue', shape: [3, 4], fe: () => fe.layers.reLU({ maxValue: 1.5 }), tf: () => tf.layers.reLU({ maxValue: 1.5 }) },
  { name: 'leakyReLU', shape: [3, 4], fe: () => fe.layers.leakyReLU({ alpha: 0.1 }), tf: () => tf.layers.leakyReLU({ alpha: 0.1 }) },
  { name: 'leakyReLU default', shape: [5], fe: () => fe.layers.leakyReLU(), tf: () => tf.layers.leakyReLU() },
  { name: 'prelu', shape: [3, 4], fe: () => fe.layers.prelu({ alphaInitializer: fe.initializers.randomUniform({ minval: 0, maxval: 0.5, seed: 3 }) }), tf: () => tf.layers.prelu() },
  { name: 'prelu sharedAxes', shape: [3, 2, 4], fe: () => fe.layers.prelu({ sharedAxes: [1, 2], alphaInitializer: fe.initializers.randomUniform({ minval: 0, maxval: 0.5, seed: 3 }) }), tf: () => tf.layers.prelu({ sharedAxes: [1, 2] }) },
  { name: 'elu', shape: [3, 4], fe: () => fe.layers.elu(), tf: () => tf.layers.elu() },
  { name: 'thresholdedReLU', shape: [3, 4], fe: () => fe.layers.thresholdedReLU({ theta: 0.5 }), tf: () => tf.layers.thresholdedReLU({ theta: 0.5 }) },
  { name: 'softmax', shape: [4], fe: () => fe.layers.softmax(), tf: () => tf.layers.softmax() },
  { name: 'spatialDropout1d (inference)', shape: [3, 4], fe: () => fe.layers.spatialDropout1d({ rate: 0.5 }), tf: () => tf.layers.spatialDropout1d({ rate: 0.5 }) },
  { name: 'gaussianNoise (inference)', shape: [4], fe: () => fe.layers.gaussianNoise({ stddev: 1 }), tf: () => tf.layers.gaussianNoise({ stddev: 1 }) },
  { name: 'gaussianDropout (inference)', shape: [4], fe: () => fe.layers.gaussianDropout({ rate: 0.3 }), tf: () => tf.layers.gaussianDropout({ rate: 0.3 }) },
  { name: 'alphaDropout (inference)', shape: [4], fe: () => fe.layers.alphaDropout({ rate: 0.3 }), tf: () => tf.layers.alphaDropout({ rate: 0.3 }) },
  { name: 'permute', shape: [2, 3, 4], fe: () => fe.layers.permute({ dims: [3, 1, 2] }), tf: () => tf.layers.permute({ dims: [3, 1, 2] }) },
  { name: 'rescaling', shape: [3, 4], fe: () => fe.layers.rescaling({ scale: 1 / 255, offset: -0.5 }), tf: () => tf.layers.rescaling({ scale: 1 / 255, offset: -0.5 }) },
  { name: 'categoryEncoding multiHot', shape: [3], ids: 6, layerOnly: true, fe: () => fe.layers.categoryEncoding({ numTokens: 6 }), tf: () => tf.layers.categoryEncoding({ numTokens: 6 }) },
  { name: 'categoryEncoding count', shape: [4], ids: 5, layerOnly: true, fe: () => fe.layers.categoryEncoding({ numTokens: 5, outputMode: 'count' }), tf: () => tf.layers.categoryEncoding({ numTokens: 5, outputMode: 'count' }) },
  { name: 'categoryEncoding oneHot', shape: [1], ids: 5, layerOnly: true, fe: () => fe.layers.categoryEncoding({ numTokens: 5, outputMode: 'oneHot' }), tf: () => tf.layers.categoryEncoding({ numTokens: 5, outputMode: 'oneHot' }) },
  {
    name: 'rnn(lstmCell)', shape: [5, 3],
    fe: () => fe.layers.rnn({ cell: fe.layers.lstmCell({ units: 4 }), returnSequences: true }),
    tf: () => tf.layers.rnn({ cell: tf.layers.lstmCell({ units: 4, recurrentActivation: 'sigmoid' }), returnSequences: true }),
  },
  {
    name: 'rnn(gruCell resetAfter false), goBackwards', shape: [5, 3],
    fe: () => fe.layers.rnn({ cell: fe.layers.gruCell({ units: 4, resetAfter: false }), goBackwards: true }),
    tf: () => tf.layers.rnn({ cell: tf.layers.gruCell({ units: 4, recurrentActivation: 'sigmoid' }), goBackwards: true }),
  },
  {
    name: 'rnn(simpleRNNCell)', shape: [4, 2],
    fe: () => fe.layers.rnn({ cell: fe.layers.simpleRNNCell({ units: 3 }) }),
    tf: () => tf.layers.rnn({ cell: tf.layers.simpleRNNCell({ units: 3 }) }),
  },
  {
    name: 'rnn([lstmCell, simpleRNNCell]) stacked', shape: [4, 3],
    fe: () => fe.layers.rnn({ cell: [fe.layers.lstmCell({ units: 4 }), fe.layers.simpleRNNCell({ units: 2 })], returnSequences: true }),
    tf: () => tf.layers.rnn({ cell: [tf.layers.lstmCell({ units: 4, recurrentActivation: 'sigmoid' }), tf.layers.simpleRNNCell({ units: 2 })], returnSequences: true }),
  },
];

describe.each(BACKENDS)('more layers on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  it.each(CASES.map((c) => [c.name, c] as const))('%s predicts as TensorFlow.js with the same weights, saves and loads both ways', async (_n, c) => {
    fe.setRandomSeed(11);
    const ours = fe.sequential({ layers: [c.fe()] });
    ours.build([null, ...c.shape]);
    const theirs = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: c.shape, dtype: c.ids ? 'int32' : 'float32' }), c.tf()] });
    // Keras order for both (each layer's own weights are in creation order in both libraries).
    const w = ours.getWeights();
    if (w.length) theirs.setWeights(w.map((t) => tf.tensor(t.dataSync() as Float32Array, t.shape)));
    const n = 3 * c.shape.reduce((a, b) => a * b, 1);
    const values = c.ids ? Float32Array.from(uniform(n, 5, 0, c.ids), Math.floor) : uniform(n, 5);
    const x = fe.tensor(values, [3, ...c.shape], c.ids ? 'int32' : 'float32');
    const tx = tf.tensor(values, [3, ...c.shape], c.ids ? 'int32' : 'float32');
    const got = ours.predict(x).dataSync();
    const want = (c.layerOnly ? (c.tf().apply(tx) as tf.Tensor) : (theirs.predict(tx) as tf.Tensor)).dataSync();
    expect(maxDiff(got, want)).toBeLessThan(1e-5);
    if (c.layerOnly) {
      const back = await fe.loadLayersModel(fe.io.fromMemory(await captured(ours)));
      expect(maxDiff((back.predict(x) as fe.Tensor).dataSync(), got)).toBe(0);
      x.dispose();
      ours.dispose();
      back.dispose();
      return;
    }
    // ferrite → ferrite and ferrite → TensorFlow.js.
    let art: fe.io.ModelArtifacts | null = null;
    await ours.save(fe.io.withSaveHandler(async (a) => {
      art = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } } as fe.io.SaveResult;
    }));
    const back = await fe.loadLayersModel(fe.io.fromMemory(art!));
    expect(maxDiff((back.predict(x) as fe.Tensor).dataSync(), got)).toBe(0);
    const inTf = await tf.loadLayersModel(tf.io.fromMemory(art! as tf.io.ModelArtifacts));
    expect(maxDiff((inTf.predict(tx) as tf.Tensor).dataSync(), got)).toBeLessThan(1e-5);
    // TensorFlow.js → ferrite.
    let tart: tf.io.ModelArtifacts | null = null;
    await theirs.save(tf.io.withSaveHandler(async (a) => {
      tart = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const fromTf = await fe.loadLayersModel(fe.io.fromMemory(tart! as fe.io.ModelArtifacts));
    expect(maxDiff((fromTf.predict(x) as fe.Tensor).dataSync(), want)).toBeLessThan(1e-5);
    x.dispose();
    for (const m of [ours, back, fromTf]) m.dispose();
  });

  it('noise layers while training, by their definitions', () => {
    const x = fe.ones([400, 10, 8]);
    const sd = fe.layers.spatialDropout1d({ rate: 0.5, seed: 1 }).apply(x, { training: true }).dataSync();
    // Whole channels: each (sample, channel) is 0 or 2 at every step.
    let zeros = 0;
    for (let b = 0; b < 400; b++) {
      for (let ch = 0; ch < 8; ch++) {
        const v = sd[b * 80 + ch];
        expect(v === 0 || v === 2).toBe(true);
        for (let t = 1; t < 10; t++) expect(sd[b * 80 + t * 8 + ch]).toBe(v);
        if (v === 0) zeros++;
      }
    }
    expect(Math.abs(zeros / 3200 - 0.5)).toBeLessThan(0.05);
    const stats = (v: Float32Array, shift = 0) => {
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      return [m - shift, Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length)];
    };
    const [gm, gs] = stats(fe.layers.gaussianNoise({ stddev: 0.5, seed: 2 }).apply(x, { training: true }).dataSync() as Float32Array, 1);
    expect(Math.abs(gm)).toBeLessThan(0.02);
    expect(Math.abs(gs - 0.5)).toBeLessThan(0.02);
    const [dm, ds] = stats(fe.layers.gaussianDropout({ rate: 0.2, seed: 3 }).apply(x, { training: true }).dataSync() as Float32Array);
    expect(Math.abs(dm - 1)).toBeLessThan(0.02);
    expect(Math.abs(ds - Math.sqrt(0.2 / 0.8))).toBeLessThan(0.02);
    // AlphaDropout keeps zero mean and unit variance of standard normal inputs (SELU's fixed point).
    const z = fe.randomNormal([40000], 0, 1, 'float32', 4);
    const ad = fe.layers.alphaDropout({ rate: 0.3, seed: 5 }).apply(z, { training: true }).dataSync() as Float32Array;
    const [am, as] = stats(ad);
    expect(Math.abs(am)).toBeLessThan(0.03);
    expect(Math.abs(as - 1)).toBeLessThan(0.03);
    // Two calls of a seeded layer draw different masks; the same seed gives the same first mask.
    const l1 = fe.layers.dropout({ rate: 0.5, seed: 9 }), l2 = fe.layers.dropout({ rate: 0.5, seed: 9 });
    const a1 = l1.apply(x, { training: true }).dataSync(), a2 = l1.apply(x, { training: true }).dataSync();
    expect(maxDiff(a1, l2.apply(x, { training: true }).dataSync())).toBe(0);
    expect(maxDiff(a1, a2)).toBeGreaterThan(0);
    // noiseShape: one mask per sequence.
    const ns = fe.layers.dropout({ rate: 0.5, noiseShape: [null, 1, null], seed: 3 }).apply(x, { training: true }).dataSync();
    for (let t = 1; t < 10; t++) expect(ns[t * 8]).toBe(ns[0]);
    fe.dispose([x, z]);
  });

  it('softmax along another axis (TensorFlow.js has only the last)', () => {
    const x = fe.tensor([[[1, 2], [3, 5]]]);
    const y = fe.layers.softmax({ axis: 1 }).apply(x).dataSync();
    const s0 = Math.exp(1) + Math.exp(3), s1 = Math.exp(2) + Math.exp(5);
    expect(maxDiff(y, [Math.exp(1) / s0, Math.exp(2) / s1, Math.exp(3) / s0, Math.exp(5) / s1])).toBeLessThan(1e-6);
    x.dispose();
  });

  it('elu with alpha ≠ 1 (TensorFlow.js has only 1): alpha·(eˣ − 1) below 0', () => {
    const y = fe.layers.elu({ alpha: 0.7 }).apply(fe.tensor([-1, 0.5, -3])).dataSync();
    expect(maxDiff(y, [0.7 * (Math.exp(-1) - 1), 0.5, 0.7 * (Math.exp(-3) - 1)])).toBeLessThan(1e-6);
  });

  it('randomWidth: a random width while training (by the resize it calls), the identity at inference, saved and loaded', async () => {
    const x = fe.tensor(uniform(2 * 3 * 8 * 2, 21), [2, 3, 8, 2]);
    const layer = fe.layers.randomWidth({ factor: [-0.5, 0.5], seed: 4 });
    expect(layer.apply(x)).toBe(x);
    const widths = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const y = layer.apply(x, { training: true });
      expect(y.shape.slice(0, 2)).toEqual([2, 3]);
      expect(y.shape[2]).toBeGreaterThanOrEqual(4);
      expect(y.shape[2]).toBeLessThanOrEqual(12);
      // The values are the bilinear resize to that width.
      const want = fe.image.resizeBilinear(x, [3, y.shape[2]]);
      expect(maxDiff(y.dataSync(), want.dataSync())).toBe(0);
      widths.add(y.shape[2]);
      fe.dispose([y, want]);
    }
    expect(widths.size).toBeGreaterThan(3);
    const i = fe.input({ shape: [3, 8, 2] });
    const out = fe.layers.randomWidth({ factor: 0.2, interpolation: 'nearest' }).apply(i) as fe.SymbolicTensor;
    expect(out.shape).toEqual([null, 3, null, 2]);
    const m = fe.model({ inputs: i, outputs: out });
    const back = await fe.loadLayersModel(fe.io.fromMemory(await captured(m)));
    expect(back.layers[1].getConfig()).toMatchObject({ factor: 0.2, interpolation: 'nearest' });
    expect(() => fe.layers.randomWidth({ factor: [-1.5, 0.2] })).toThrow(/factor's bounds must be greater than −1/);
    x.dispose();
  });

  it('masking: steps equal to maskValue are zeroed and masked downstream', () => {
    const x = fe.tensor([[[1, 2], [0, 0], [3, 4]], [[0, 0], [0, 0], [5, 6]]]);
    const m = fe.layers.masking();
    expect(Array.from(m.apply(x).dataSync())).toEqual([1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 5, 6]);
    expect(Array.from((m.computeMask(x, null) as fe.Tensor).dataSync())).toEqual([1, 0, 1, 0, 0, 1]);
    // Through an LSTM: masked steps are skipped, so a sequence with masked steps inserted gives the same result.
    fe.setRandomSeed(4);
    const i = fe.input({ shape: [3, 2] });
    const model = fe.model({ inputs: i, outputs: fe.layers.lstm({ units: 3 }).apply(fe.layers.masking().apply(i)) as fe.SymbolicTensor });
    const short = fe.tensor([[[0, 0], [1, 2], [3, 4]]]);
    const long = fe.tensor([[[1, 2], [0, 0], [3, 4]]]);
    expect(maxDiff((model.predict(short) as fe.Tensor).dataSync(), (model.predict(long) as fe.Tensor).dataSync())).toBeLessThan(1e-6);
    fe.dispose([x, short, long]);
    model.dispose();
  });

  it('rnn({ cell }) equals the fused layers with the same weights; masks, initial states, returnState', () => {
    fe.setRandomSeed(6);
    const x = fe.tensor(uniform(2 * 5 * 3, 7, -1, 1), [2, 5, 3]);
    const mask = fe.tensor([[1, 1, 0, 1, 1], [1, 1, 1, 0, 0]]);
    const pairs: [fe.layers.Layer, fe.layers.Layer][] = [
      [fe.layers.rnn({ cell: fe.layers.lstmCell({ units: 4 }), returnSequences: true, returnState: true }), fe.layers.lstm({ units: 4, returnSequences: true, returnState: true })],
      [fe.layers.rnn({ cell: fe.layers.gruCell({ units: 4 }), returnState: true }), fe.layers.gru({ units: 4, returnState: true })],
      [fe.layers.rnn({ cell: fe.layers.gruCell({ units: 4, resetAfter: false }), returnSequences: true, goBackwards: true }), fe.layers.gru({ units: 4, resetAfter: false, returnSequences: true, goBackwards: true })],
      [fe.layers.rnn({ cell: fe.layers.simpleRNNCell({ units: 4, activation: 'relu' }), returnSequences: true }), fe.layers.simpleRNN({ units: 4, activation: 'relu', returnSequences: true })],
    ];
    for (const [cellRnn, fused] of pairs) {
      const a = cellRnn.apply(x, { mask });
      fused.apply(x);
      fused.setWeights(cellRnn.getWeights());
      const b = fused.apply(x, { mask });
      const la = Array.isArray(a) ? a : [a], lb = Array.isArray(b) ? b : [b];
      expect(la.length).toBe(lb.length);
      la.forEach((t, i) => expect(maxDiff(t.dataSync(), lb[i].dataSync()), `${cellRnn.name} output ${i}`).toBeLessThan(1e-5));
    }
    // Initial states.
    const cellRnn = fe.layers.rnn({ cell: fe.layers.lstmCell({ units: 2 }) });
    const fused = fe.layers.lstm({ units: 2 });
    const h0 = fe.tensor(uniform(4, 8, -1, 1), [2, 2]), c0 = fe.tensor(uniform(4, 9, -1, 1), [2, 2]);
    const a = cellRnn.apply(x, { initialState: [h0, c0] }) as fe.Tensor;
    fused.apply(x);
    fused.setWeights(cellRnn.getWeights());
    expect(maxDiff(a.dataSync(), (fused.apply(x, { initialState: [h0, c0] }) as fe.Tensor).dataSync())).toBeLessThan(1e-5);
    expect(() => cellRnn.apply(x, { initialState: [h0] })).toThrow(/expected 2 initial state tensors, got 1/);
    fe.dispose([x, mask, h0, c0]);
  });

  it('cells users write run, train and have gradients', () => {
    // h' = tanh(x·W + h), a minimal custom cell.
    class AddCell extends fe.layers.RNNCell {
      static override readonly className = 'AddCell';
      private w: fe.Variable | null = null;
      constructor(readonly units: number) {
        super({});
      }
      get stateSize() {
        return [this.units];
      }
      override build(shape: fe.layers.SymbolicShape) {
        this.w = this.addWeight('w', [shape[shape.length - 1] as number, this.units], 'float32', fe.initializers.glorotUniform({ seed: 1 }));
      }
      call(inputs: fe.Tensor | fe.Tensor[]): fe.Tensor[] {
        const [x, h] = inputs as fe.Tensor[];
        const out = fe.tanh(fe.add(fe.matMul(x, this.w!), h));
        return [out, out];
      }
    }
    const layer = fe.layers.rnn({ cell: new AddCell(3), returnSequences: true });
    const g = new Gen(12);
    expectGradcheck((xs) => layer.apply(xs[0]) as fe.Tensor, [g.uniform([2, 4, 2])], { atol: 3e-3, rtol: 3e-3 });
    expect(layer.trainableWeights).toHaveLength(1);
    // And the standard cells' gradients with respect to their inputs.
    for (const cell of [fe.layers.lstmCell({ units: 3 }), fe.layers.gruCell({ units: 3 }), fe.layers.gruCell({ units: 3, resetAfter: false })]) {
      const r = fe.layers.rnn({ cell, returnSequences: true });
      expectGradcheck((xs) => r.apply(xs[0]) as fe.Tensor, [g.uniform([2, 3, 2])], { atol: 3e-3, rtol: 3e-3 });
    }
  });

  it('layer weight gradients by finite differences: PReLU', () => {
    const p = fe.layers.prelu({ alphaInitializer: fe.initializers.constant({ value: 0.2 }) });
    const x = fe.tensor(uniform(12, 13), [3, 4]);
    const y = p.apply(x);
    const w = fe.tensor(uniform(12, 14), [3, 4]);
    fe.sum(fe.mul(y, w)).backward();
    // d/dalpha of Σ w·(relu(x) + alpha·min(x, 0)) = Σ_batch w·min(x, 0).
    const xv = x.dataSync(), wv = w.dataSync();
    const want = [0, 1, 2, 3].map((j) => [0, 1, 2].reduce((a, i) => a + wv[i * 4 + j] * Math.min(xv[i * 4 + j], 0), 0));
    expect(maxDiff(p.weights[0].grad!.dataSync(), want)).toBeLessThan(1e-5);
    fe.dispose([x, y, w]);
  });

  it('clear errors naming the layer', () => {
    expect(() => fe.layers.permute({ dims: [1, 1], name: 'pp' })).toThrow(/pp \(Permute\): dims must be a permutation of 1…n/);
    expect(() => fe.layers.permute({ dims: [2, 1], name: 'pq' }).apply(fe.zeros([2, 3]))).toThrow(/pq \(Permute\): dims \[2,1\] need inputs of rank 3, got rank 2/);
    expect(() => fe.layers.categoryEncoding({ numTokens: 3, name: 'ce' }).apply(fe.tensor([[0, 5]], undefined, 'int32'))).toThrow(/ce \(CategoryEncoding\): id 5 \(sample 0\) is outside \[0, 3\)/);
    expect(() => fe.layers.categoryEncoding({ numTokens: 3, outputMode: 'oneHot', name: 'oh' }).apply(fe.tensor([[0, 1]], undefined, 'int32'))).toThrow(/oh \(CategoryEncoding\): oneHot takes one id per sample/);
    expect(() => fe.layers.spatialDropout1d({ rate: 1 })).toThrow(/rate must be in \[0, 1\), got 1/);
    expect(() => fe.layers.gaussianNoise({ stddev: -1 })).toThrow(/stddev must be a number ≥ 0, got -1/);
    expect(() => fe.layers.leakyReLU({ alpha: 0.1, negativeSlope: 0.2 })).toThrow(/alpha 0.1 and negativeSlope 0.2 disagree/);
    expect(() => fe.layers.rnn({ cell: fe.layers.dense({ units: 2 }) as never })).toThrow(/cell must be a recurrent cell/);
    expect(() => fe.layers.alphaDropout({ rate: 0.2, noiseShape: [null, 3], name: 'ad' }).apply(fe.zeros([2, 4]), { training: true })).toThrow(/ad \(AlphaDropout\): noiseShape \[null, 3\] does not broadcast to the input \[2, 4\]/);
  });
});

async function captured(model: fe.LayersModel): Promise<fe.io.ModelArtifacts> {
  let out: fe.io.ModelArtifacts | null = null;
  await model.save(fe.io.withSaveHandler(async (a) => {
    out = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } } as fe.io.SaveResult;
  }));
  return out!;
}
