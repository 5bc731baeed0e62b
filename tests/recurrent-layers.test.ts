// Recurrent layers (LSTM, GRU, SimpleRNN), their wrappers (Bidirectional, TimeDistributed),
// RepeatVector, the orthogonal initializer and the PyTorch-style fe.nn modules: values against
// hand-computed numbers, gradients against finite differences, Keras masking semantics, and
// small models that learn.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { BACKENDS, useBackend } from './helpers/backends';
import { mulberry32, uniform } from './helpers/reference';

const sig = (v: number) => 1 / (1 + Math.exp(-v));

function close(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i])))) {
      throw new Error(`at ${i}: got ${got[i]}, want ${want[i]} (all: ${Array.from(got).join(', ')})`);
    }
  }
}

/** Finite-difference check of Σ w·layer(x) against autograd, for x and every weight. */
function layerGradCheck(layer: fe.layers.Layer, x: fe.Tensor, mask: fe.Tensor | null, seed: number): void {
  const xv = fe.variable(x);
  const run = () => layer.apply(xv, { mask, training: false });
  const y0 = run();
  const w = uniform(mulberry32(seed), y0.size, -1, 1);
  const wt = fe.tensor(w, y0.shape);
  fe.sum(fe.mul(y0, wt)).backward();
  const value = () => fe.noGrad(() => {
    const y = run().dataSync();
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * w[i];
    return s;
  });
  const eps = 1e-2;
  for (const p of [xv, ...layer.weights]) {
    const g = p.grad!.dataSync();
    const vals = p.dataSync() as Float32Array;
    for (let i = 0; i < vals.length; i++) {
      const o = vals[i];
      vals[i] = o + eps;
      p.assign(fe.tensor(vals, p.shape));
      const lp = value();
      vals[i] = o - eps;
      p.assign(fe.tensor(vals, p.shape));
      const lm = value();
      vals[i] = o;
      p.assign(fe.tensor(vals, p.shape));
      const num = (lp - lm) / (2 * eps);
      if (Math.abs(g[i] - num) > 3e-3 + 1e-2 * Math.abs(num)) {
        throw new Error(`${layer.name}: d/d${p.name ?? 'x'}[${i}] = ${g[i]}, finite differences ${num}`);
      }
    }
    p.grad?.dispose();
    p.grad = null;
  }
}

describe.each(BACKENDS)('recurrent layers on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('simpleRNN (linear) computes h_t = x_t·W + h_{t−1}·U + b, by hand', () => {
    const layer = fe.layers.simpleRNN({ units: 1, activation: 'linear', returnSequences: true });
    layer.apply(fe.zeros([1, 3, 1]));
    layer.setWeights([fe.tensor([[0.5]]), fe.tensor([[2]]), fe.tensor([0.1])]);
    const y = layer.apply(fe.tensor([[[1], [2], [3]]]));
    // 0.5 + 0.1 = 0.6; 1 + 1.2 + 0.1 = 2.3; 1.5 + 4.6 + 0.1 = 6.2
    close(y.dataSync(), [0.6, 2.3, 6.2]);
    expect(y.shape).toEqual([1, 3, 1]);
  });

  it('lstm: Keras gate order i, f, c, o and weight layout, by hand', () => {
    const layer = fe.layers.lstm({ units: 1, returnSequences: true });
    layer.apply(fe.zeros([1, 2, 1]));
    expect(layer.weights.map((w) => w.shape)).toEqual([[1, 4], [1, 4], [4]]);
    // unitForgetBias: the forget block starts at 1.
    expect(Array.from(layer.weights[2].dataSync())).toEqual([0, 1, 0, 0]);
    const K = [0.5, 1, 0.3, -0.2], U = [0.1, 0.2, -0.4, 0.6], B = [0, 1, 0.05, 0];
    layer.setWeights([fe.tensor([K]), fe.tensor([U]), fe.tensor(B)]);
    const xs = [1, -1];
    let h = 0, c = 0;
    const want: number[] = [];
    for (const x of xs) {
      const pre = (k: number) => x * K[k] + h * U[k] + B[k];
      const i = sig(pre(0)), f = sig(pre(1)), g = Math.tanh(pre(2)), o = sig(pre(3));
      c = f * c + i * g;
      h = o * Math.tanh(c);
      want.push(h);
    }
    close(layer.apply(fe.tensor([[[1], [-1]]])).dataSync(), want);
    const [out, hN, cN] = layer.applyWithState(fe.tensor([[[1], [-1]]]));
    close(out.dataSync(), want);
    close(hN.dataSync(), [h]);
    close(cN.dataSync(), [c]);
  });

  it.each([true, false])('gru (resetAfter %s): Keras gates z, r, h and bias layout, by hand', (resetAfter) => {
    const layer = fe.layers.gru({ units: 1, resetAfter });
    layer.apply(fe.zeros([1, 2, 1]));
    const K = [0.7, -0.3, 0.9], U = [0.4, 0.8, -0.6];
    const Bi = [0.1, -0.2, 0.3], Br = [0.05, 0.15, -0.25];
    expect(layer.weights[2].shape).toEqual(resetAfter ? [2, 3] : [3]);
    layer.setWeights([fe.tensor([K]), fe.tensor([U]), resetAfter ? fe.tensor([Bi, Br]) : fe.tensor(Bi)]);
    let h = 0;
    for (const x of [1, 2]) {
      const br = resetAfter ? Br : [0, 0, 0];
      const z = sig(x * K[0] + Bi[0] + h * U[0] + br[0]);
      const r = sig(x * K[1] + Bi[1] + h * U[1] + br[1]);
      const hh = resetAfter ? Math.tanh(x * K[2] + Bi[2] + r * (h * U[2] + br[2])) : Math.tanh(x * K[2] + Bi[2] + r * h * U[2]);
      h = z * h + (1 - z) * hh;
    }
    close(layer.apply(fe.tensor([[[1], [2]]])).dataSync(), [h]);
  });

  it('initialState, goBackwards and the orthogonal recurrent kernel', () => {
    const layer = fe.layers.gru({ units: 4, goBackwards: true, returnSequences: true });
    const x = fe.tensor(uniform(mulberry32(1), 2 * 5 * 3), [2, 5, 3]);
    const y = layer.apply(x);
    // goBackwards on x equals the forward pass on x reversed in time.
    const fwd = fe.layers.gru({ units: 4, returnSequences: true });
    fwd.apply(x);
    fwd.setWeights(layer.getWeights());
    const rev = fe.gather(x, [4, 3, 2, 1, 0], 1);
    close(y.dataSync(), fwd.apply(rev).dataSync());
    // An initial state changes the result; zeros give the default.
    const h0 = fe.fill([2, 4], 0.5);
    expect(Array.from(layer.apply(x, { initialState: [h0] }).dataSync())).not.toEqual(Array.from(y.dataSync()));
    close(layer.apply(x, { initialState: [fe.zeros([2, 4])] }).dataSync(), y.dataSync());
    // Keras' default recurrent initializer: U [4, 12] has orthonormal rows.
    const U = layer.weights[1].arraySync() as number[][];
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        const dot = U[i].reduce((s, v, k) => s + v * U[j][k], 0);
        expect(dot).toBeCloseTo(i === j ? 1 : 0, 5);
      }
    }
  });

  it.each(['lstm', 'gru', 'simpleRNN'] as const)('%s: gradients of every weight by finite differences, with a mask', (kind) => {
    fe.setRandomSeed(3);
    const make = { lstm: fe.layers.lstm, gru: fe.layers.gru, simpleRNN: fe.layers.simpleRNN }[kind];
    const layer = make({ units: 3, returnSequences: true });
    const x = fe.tensor(uniform(mulberry32(2), 2 * 4 * 2), [2, 4, 2]);
    const mask = fe.tensor([[1, 1, 1, 0], [0, 1, 1, 1]]);
    layerGradCheck(layer, x, mask, 4);
  });

  it('bidirectional: merges a forward and a backward copy; every merge mode; gradients', () => {
    fe.setRandomSeed(5);
    const x = fe.tensor(uniform(mulberry32(6), 2 * 4 * 3), [2, 4, 3]);
    const bi = fe.layers.bidirectional({ layer: fe.layers.lstm({ units: 2, returnSequences: true }) });
    const y = bi.apply(x);
    expect(y.shape).toEqual([2, 4, 4]);
    expect(bi.weights.length).toBe(6);
    expect(bi.computeOutputShape([null, 4, 3])).toEqual([null, 4, 4]);
    const yf = bi.forwardLayer.apply(x);
    const yb = fe.gather(bi.backwardLayer.apply(x), [3, 2, 1, 0], 1);
    close(y.dataSync(), fe.concat([yf, yb], -1).dataSync());
    for (const [mergeMode, f] of [['sum', fe.add], ['mul', fe.mul], ['ave', (a: fe.Tensor, b: fe.Tensor) => fe.mul(fe.add(a, b), 0.5)]] as const) {
      const b2 = fe.layers.bidirectional({ layer: fe.layers.gru({ units: 2, returnSequences: true }), mergeMode });
      b2.apply(x);
      const want = f(b2.forwardLayer.apply(x), fe.gather(b2.backwardLayer.apply(x), [3, 2, 1, 0], 1));
      close(b2.apply(x).dataSync(), want.dataSync());
    }
    const last = fe.layers.bidirectional({ layer: fe.layers.simpleRNN({ units: 2 }) });
    expect(last.apply(x).shape).toEqual([2, 4]);
    layerGradCheck(fe.layers.bidirectional({ layer: fe.layers.gru({ units: 2, returnSequences: true }) }), x, fe.tensor([[1, 1, 1, 1], [1, 1, 0, 0]]), 7);
    expect(() => fe.layers.bidirectional({ layer: fe.layers.lstm({ units: 2 }), mergeMode: null })).toThrow(/mergeMode null/);
  });

  it('masks: a padded sequence (pre or post) gives the unpadded result, as Keras', () => {
    fe.setRandomSeed(9);
    const emb = fe.layers.embedding({ inputDim: 10, outputDim: 3, maskZero: true });
    const lstm = fe.layers.lstm({ units: 4 });
    // As a model passes it: the embedding's mask goes to the recurrent layer.
    const run = (layer: fe.layers.Layer, rows: number[][]) => {
      const ids = fe.tensor(rows, undefined, 'int32');
      return layer.apply(emb.apply(ids), { mask: emb.computeMask(ids, null) });
    };
    const plain = run(lstm, [[3, 4, 5]]).dataSync();
    close(run(lstm, [[0, 0, 3, 4, 5]]).dataSync(), plain, 1e-6);
    close(run(lstm, [[3, 4, 5, 0, 0]]).dataSync(), plain, 1e-6);
    // returnSequences: masked steps repeat the previous output.
    const ys = run(fe.layers.gru({ units: 2, returnSequences: true }), [[3, 4, 0, 0]]).arraySync() as number[][][];
    expect(ys[0][2]).toEqual(ys[0][1]);
    expect(ys[0][3]).toEqual(ys[0][1]);
    // In a model, the mask flows from the embedding (maskZero) to the LSTM.
    const model = fe.sequential({ layers: [emb, lstm] });
    close(model.predict(fe.tensor([[0, 0, 0, 0, 3, 4, 5]], undefined, 'int32')).dataSync(), plain, 1e-6);
  });

  it('timeDistributed applies a layer per step (and wraps an embedding with its mask)', () => {
    fe.setRandomSeed(2);
    const dense = fe.layers.dense({ units: 2 });
    const td = fe.layers.timeDistributed({ layer: dense });
    const x = fe.tensor(uniform(mulberry32(3), 2 * 3 * 4), [2, 3, 4]);
    const y = td.apply(x);
    expect(y.shape).toEqual([2, 3, 2]);
    close(y.dataSync(), dense.apply(fe.reshape(x, [6, 4])).dataSync());
    expect(td.weights).toEqual(dense.weights);
    expect(td.computeOutputShape([null, 3, 4])).toEqual([null, 3, 2]);
    const tdEmb = fe.layers.timeDistributed({ layer: fe.layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true }) });
    const ids = fe.tensor([[0, 2, 3]], undefined, 'int32');
    expect(tdEmb.apply(ids).shape).toEqual([1, 3, 2]);
    expect(Array.from(tdEmb.computeMask(ids, null)!.dataSync())).toEqual([0, 1, 1]);
  });

  it('repeatVector repeats, and sums the gradient back', () => {
    const rv = fe.layers.repeatVector({ n: 3 });
    const x = fe.variable(fe.tensor([[1, 2], [3, 4]]));
    const y = rv.apply(x);
    expect(y.arraySync()).toEqual([[[1, 2], [1, 2], [1, 2]], [[3, 4], [3, 4], [3, 4]]]);
    fe.sum(fe.mul(y, fe.tensor([[[1, 0], [2, 0], [3, 1]], [[0, 1], [0, 1], [0, 1]]]))).backward();
    expect(Array.from(x.grad!.dataSync())).toEqual([6, 1, 0, 3]);
    expect(rv.computeOutputShape([null, 2])).toEqual([null, 3, 2]);
  });

  it('clear errors name the layer and the shapes, and leave it usable', () => {
    const layer = fe.layers.lstm({ units: 2, name: 'seq_lstm' });
    layer.apply(fe.zeros([1, 4, 3]));
    expect(() => layer.apply(fe.zeros([1, 4, 5]))).toThrow(/seq_lstm \(LSTM\): expected input shape \[null, null, 3\], got \[1, 4, 5\]/);
    expect(() => layer.apply(fe.zeros([4, 3]))).toThrow(/seq_lstm \(LSTM\): expected input shape/);
    expect(() => layer.apply(fe.zeros([1, 4, 3]), { initialState: [fe.zeros([1, 2])] })).toThrow(/expected 2 initial state tensors/);
    expect(layer.apply(fe.zeros([2, 4, 3])).shape).toEqual([2, 2]);
    expect(() => fe.layers.gru({ units: 2, stateful: true })).toThrow(/stateful/);
    expect(() => fe.layers.lstm({ units: 2, recurrentDropout: 1.5 })).toThrow(/recurrentDropout must be in \[0, 1\)/);
    expect(() => fe.layers.lstm({ units: 2, activation: 'softmax' as never })).toThrow(/not supported in a recurrent layer/);
  });

  it('dropout and recurrentDropout act while training only', () => {
    fe.setRandomSeed(4);
    const layer = fe.layers.lstm({ units: 3, dropout: 0.5, recurrentDropout: 0.5 });
    const x = fe.tensor(uniform(mulberry32(8), 2 * 5 * 2), [2, 5, 2]);
    const a = layer.apply(x).dataSync(), b = layer.apply(x).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    const t = layer.apply(x, { training: true }).dataSync();
    expect(Array.from(t)).not.toEqual(Array.from(a));
    expect(layer.getConfig()).toMatchObject({ units: 3, dropout: 0.5, recurrentDropout: 0.5, recurrentInitializer: 'orthogonal', unitForgetBias: true });
  });

  it('orthogonal initializer: orthonormal columns (tall) or rows (wide), gain, seed', () => {
    const tall = fe.initializers.orthogonal({ seed: 1 }).apply([6, 4]).arraySync() as number[][];
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) expect(tall.reduce((s, r) => s + r[i] * r[j], 0)).toBeCloseTo(i === j ? 1 : 0, 5);
    }
    const wide = fe.initializers.orthogonal({ gain: 2, seed: 1 }).apply([3, 7]).arraySync() as number[][];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) expect(wide[i].reduce((s, v, k) => s + v * wide[j][k], 0)).toBeCloseTo(i === j ? 4 : 0, 4);
    }
    const again = fe.initializers.orthogonal({ seed: 1 }).apply([6, 4]).arraySync();
    expect(again).toEqual(tall);
    expect(() => fe.initializers.orthogonal().apply([5])).toThrow(/rank ≥ 2/);
  });

  it('seed 000 §4.2: TimeDistributed(Embedding) → LSTM → Dense(softmax) learns with categorical cross-entropy', async () => {
    fe.setRandomSeed(1);
    // The class is the token at a random position among 5 marked ones: needs the recurrence.
    const r = mulberry32(5);
    const n = 256, T = 12;
    const ids = new Int32Array(n * T), labels = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      const cls = Math.floor(r() * 3);
      for (let t = 0; t < T; t++) ids[i * T + t] = 4 + Math.floor(r() * 16);
      ids[i * T + Math.floor(r() * T)] = 1 + cls;
      labels[i * 3 + cls] = 1;
    }
    const model = fe.sequential({
      layers: [
        fe.layers.timeDistributed({ layer: fe.layers.embedding({ inputDim: 20, outputDim: 8, inputLength: T }) }),
        fe.layers.lstm({ units: 16 }),
        fe.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    model.compile({ loss: 'categoricalCrossentropy', optimizer: fe.train.adam(0.02), metrics: ['accuracy'] });
    const x = fe.tensor(ids, [n, T], 'int32'), y = fe.tensor(labels, [n, 3]);
    const h = await model.fit(x, y, { epochs: 25, batchSize: 32, verbose: 0 });
    expect(h.history.acc[h.history.acc.length - 1]).toBeGreaterThan(0.95);
  });

  it('W5 model: GRU(returnSequences) → TimeDistributed(Dense(softmax)) learns a per-step tagging task', async () => {
    fe.setRandomSeed(2);
    // tag[t] = token[t − 1], tag[0] = 0 (workloads.md W5, small).
    const r = mulberry32(7);
    const n = 256, T = 8, V = 12;
    const ids = new Int32Array(n * T), tags = new Int32Array(n * T);
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < T; t++) {
        ids[i * T + t] = Math.floor(r() * V);
        tags[i * T + t] = t === 0 ? 0 : ids[i * T + t - 1];
      }
    }
    const model = fe.sequential({
      layers: [
        fe.layers.embedding({ inputDim: V, outputDim: 16, inputLength: T }),
        fe.layers.gru({ units: 32, returnSequences: true }),
        fe.layers.timeDistributed({ layer: fe.layers.dense({ units: V, activation: 'softmax' }) }),
      ],
    });
    model.compile({ loss: 'sparseCategoricalCrossentropy', optimizer: fe.train.adam(0.01), metrics: ['accuracy'] });
    const h = await model.fit(fe.tensor(ids, [n, T], 'int32'), fe.tensor(tags, [n, T], 'int32'), { epochs: 15, batchSize: 32, verbose: 0 });
    expect(h.history.acc[h.history.acc.length - 1]).toBeGreaterThan(0.95);
    const p = model.predict(fe.tensor(ids.subarray(0, 2 * T), [2, T], 'int32'));
    expect(p.shape).toEqual([2, T, V]);
    close(fe.sum(p, -1).dataSync(), new Array(2 * T).fill(1), 1e-4);
  });
});

describe.each(BACKENDS)('fe.nn (PyTorch style) on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  class Seq2SeqModel extends fe.nn.Module {
    embedding: fe.nn.Embedding;
    rnn: fe.nn.GRU;
    out: fe.nn.Linear;
    constructor(inputDim: number, hiddenDim: number, outputDim: number) {
      super();
      this.embedding = fe.nn.embedding(inputDim, hiddenDim);
      this.rnn = fe.nn.gru(hiddenDim, hiddenDim);
      this.out = fe.nn.linear(hiddenDim, outputDim);
    }
    forward(x: fe.Tensor): fe.Tensor {
      x = this.embedding.forward(x);
      [x] = this.rnn.forward(x);
      return this.out.forward(x);
    }
  }

  it('seed 002 §4.1: zeroGrad / backward / step trains an Embedding → GRU → Linear model', () => {
    fe.setRandomSeed(3);
    const model = new Seq2SeqModel(10, 16, 10);
    const params = model.parameters();
    expect(params.map((p) => p.shape)).toEqual([[10, 16], [16, 48], [16, 48], [2, 48], [16, 10], [10]]);
    const optimizer = fe.optim.adam(params, { lr: 0.02 });
    const criterion = fe.nn.crossEntropyLoss();
    // Seq-first data [steps, batch]: the target is the input delayed by one step.
    const r = mulberry32(4);
    const T = 6, B = 32;
    const make = () => {
      const x = new Int32Array(T * B), y = new Int32Array(T * B);
      for (let i = 0; i < T * B; i++) x[i] = 1 + Math.floor(r() * 9);
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) y[t * B + b] = t === 0 ? 0 : x[(t - 1) * B + b];
      return { input: fe.tensor(x, [T, B], 'int32'), target: fe.tensor(y, [T, B], 'int32') };
    };
    const train = (data: { input: fe.Tensor; target: fe.Tensor }) => fe.tidy(() => {
      model.train();
      optimizer.zeroGrad();
      const output = model.forward(data.input);
      const loss = criterion(output, data.target);
      loss.backward();
      optimizer.step();
      return loss.item();
    });
    const losses: number[] = [];
    for (let i = 0; i < 150; i++) losses.push(train(make()));
    expect(losses[0]).toBeGreaterThan(2);
    expect(losses[losses.length - 1]).toBeLessThan(0.3);
    model.eval();
    const test = make();
    const pred = fe.argMax(model.forward(test.input), -1).dataSync();
    const want = test.target.dataSync();
    let right = 0;
    for (let i = 0; i < want.length; i++) if (pred[i] === want[i]) right++;
    expect(right / want.length).toBeGreaterThan(0.9);
  });

  it('gru returns h_n [1, batch, hidden] (the last output) and takes it back as h0; lstm returns [h, c]', () => {
    const g = fe.nn.gru(3, 4, { batchFirst: true });
    const x = fe.tensor(uniform(mulberry32(1), 2 * 5 * 3), [2, 5, 3]);
    const [y, h] = g.forward(x);
    expect(y.shape).toEqual([2, 5, 4]);
    expect(h.shape).toEqual([1, 2, 4]);
    close(h.dataSync(), fe.slice(y, [0, 4, 0], [2, 1, 4]).dataSync());
    // Running the two halves with the state carried gives the whole.
    const [y1, h1] = g.forward(fe.slice(x, [0, 0, 0], [2, 3, 3]));
    const [y2] = g.forward(fe.slice(x, [0, 3, 0], [2, 2, 3]), h1);
    close(fe.concat([y1, y2], 1).dataSync(), y.dataSync());
    const l = fe.nn.lstm(3, 4);
    const [ly, [lh, lc]] = l.forward(fe.transpose(x, [1, 0, 2]));
    expect([ly.shape, lh.shape, lc.shape]).toEqual([[5, 2, 4], [1, 2, 4], [1, 2, 4]]);
    expect(() => g.forward(x, fe.zeros([2, 5]))).toThrow(/expected initial state 0 of shape \[1, 2, 4\], got \[2, 5\]/);
  });

  it('crossEntropyLoss: mean over targets, ignoreIndex, class probabilities', () => {
    const logits = fe.tensor([[2, 0, -1], [0.5, 0.5, 0], [1, 2, 3]]);
    const lse = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
    const rows = logits.arraySync() as number[][];
    const per = [lse(rows[0]) - 2, lse(rows[1]) - 0.5, lse(rows[2]) - 1];
    const ce = fe.nn.crossEntropyLoss();
    expect(ce(logits, fe.tensor([0, 1, 0], undefined, 'int32')).item()).toBeCloseTo((per[0] + per[1] + per[2]) / 3, 5);
    const ignore = fe.nn.crossEntropyLoss({ ignoreIndex: -100 });
    expect(ignore(logits, fe.tensor([0, -100, 0], undefined, 'int32')).item()).toBeCloseTo((per[0] + per[2]) / 2, 5);
    expect(fe.nn.crossEntropyLoss({ reduction: 'sum' })(logits, fe.tensor([0, 1, 0], undefined, 'int32')).item()).toBeCloseTo(per[0] + per[1] + per[2], 5);
    const soft = fe.tensor([[1, 0, 0], [0, 1, 0], [1, 0, 0]]);
    expect(ce(logits, soft).item()).toBeCloseTo((per[0] + per[1] + per[2]) / 3, 5);
    expect(() => ce(logits, fe.tensor([0, 1], undefined, 'int32'))).toThrow(/targets of shape \[2\] do not fit logits of shape \[3, 3\]/);
    expect(() => fe.tensor([1, 2]).item()).toThrow(/item\(\) needs exactly one/);
    // fe.losses (labels first, as TensorFlow.js), with per-row weights that drop padding.
    const ids = fe.tensor([0, 1, 0], undefined, 'int32');
    expect(fe.losses.softmaxCrossEntropy(ids, logits).item()).toBeCloseTo((per[0] + per[1] + per[2]) / 3, 5);
    expect(fe.losses.softmaxCrossEntropy(ids, logits, fe.tensor([1, 0, 1])).item()).toBeCloseTo((per[0] + per[2]) / 2, 5);
    expect(() => fe.losses.softmaxCrossEntropy(ids, logits, fe.tensor([1, 0]))).toThrow(/weights of shape \[2\] must have the shape \[3\]/);
  });
});
