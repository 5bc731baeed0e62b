// keras-hub's Transformer layers: position embeddings by their definitions; TransformerEncoder
// and TransformerDecoder against the same blocks assembled from TensorFlow.js' own
// MultiHeadAttention and layer normalization; gradients by finite differences; masks from the
// Keras mask; regularizers; weights and their names; errors; no leaks.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { MultiHeadAttention as TfMultiHeadAttention } from '@tensorflow/tfjs-layers/dist/layers/nlp/multihead_attention';
import * as fe from 'ferrite-ml';
import { BACKENDS, settleGc, useBackend } from './helpers/backends';
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

type W = { shape: number[]; data: Float32Array };
const grab = (ws: fe.Tensor[]): W[] => ws.map((w) => ({ shape: [...w.shape], data: w.dataSync() as Float32Array }));

/** One keras-hub block in TensorFlow.js: residual around f, layer norm before or after. */
function tfResidual(x: tf.Tensor, normalizeFirst: boolean, norm: (t: tf.Tensor) => tf.Tensor, f: (t: tf.Tensor) => tf.Tensor): tf.Tensor {
  const y = tf.add(f(normalizeFirst ? norm(x) : x), x);
  return normalizeFirst ? y : norm(y);
}

/** TF.js layer normalization with the given γ, β (ε as keras-hub's 1e-5). */
function tfNorm(gamma: W, beta: W): (t: tf.Tensor) => tf.Tensor {
  return (t) => {
    const { mean, variance } = tf.moments(t, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(t, mean), tf.rsqrt(tf.add(variance, 1e-5))), tf.tensor(gamma.data, gamma.shape)), tf.tensor(beta.data, beta.shape));
  };
}

/** TF.js' MultiHeadAttention with the given 8 weights, as a function of (query, value, mask, causal). */
function tfAttention(numHeads: number, keyDim: number, w: W[]) {
  const layer = new TfMultiHeadAttention({ numHeads, keyDim });
  let ready = false;
  return (q: tf.Tensor, v: tf.Tensor, attentionMask: tf.Tensor | undefined, useCausalMask: boolean) => {
    if (!ready) {
      layer.callAndReturnAttentionScores(q, { value: v } as never);
      const d = layer as unknown as Record<string, { setWeights(ws: tf.Tensor[]): void }>;
      ['_queryDense', '_keyDense', '_valueDense', '_outputDense'].forEach((n, i) => d[n].setWeights([tf.tensor(w[2 * i].data, w[2 * i].shape), tf.tensor(w[2 * i + 1].data, w[2 * i + 1].shape)]));
      ready = true;
    }
    return layer.callAndReturnAttentionScores(q, { value: v, attentionMask, useCausalMask, training: false } as never)[0];
  };
}

function tfFeedForward(w: W[]): (t: tf.Tensor) => tf.Tensor {
  const [k1, b1, k2, b2] = w.map((x) => tf.tensor(x.data, x.shape));
  return (t) => {
    const [b, l, d] = t.shape as [number, number, number];
    const h = tf.relu(tf.add(tf.matMul(tf.reshape(t, [b * l, d]), k1), b1));
    return tf.reshape(tf.add(tf.matMul(h, k2), b2), [b, l, k2.shape[1] as number]);
  };
}

/** [batch, 1, s] padding → [batch, t, s] attention mask (keras-hub's merge). */
function tfPaddingAsAttention(pad: number[], batch: number, t: number, s: number): tf.Tensor {
  const m = new Float32Array(batch * t * s);
  for (let b = 0; b < batch; b++) for (let i = 0; i < t; i++) for (let j = 0; j < s; j++) m[(b * t + i) * s + j] = pad[b * s + j];
  return tf.tensor(m, [batch, t, s]);
}

for (const backend of BACKENDS) {
  describe(`Transformer layers on ${backend}`, () => {
    beforeAll(async () => {
      await useBackend(backend);
    });

    it('PositionEmbedding gives its rows from startIndex, broadcast; past sequenceLength keras-hub’s hierarchical rows', () => {
      const layer = fe.layers.positionEmbedding({ sequenceLength: 4, name: 'pe' });
      fe.tidy(() => {
        const x = fe.zeros([2, 3, 5]);
        layer.apply(x);
        expect(layer.weights.map((w) => `${w.name} [${w.shape}]`)).toEqual(['pe/embeddings [4,5]']);
        const e = layer.weights[0].arraySync() as number[][];
        const y = layer.apply(x, { startIndex: 1 }).arraySync() as number[][][];
        expect(y[1]).toEqual([e[1], e[2], e[3]].map((r) => r.map((v) => Math.fround(v))));
        expect(y[0]).toEqual(y[1]);
        // 6 > 4 positions: e'[i] = (E − α·E[0])/(1 − α); row i = α·e'[⌊i/4⌋] + (1 − α)·e'[i mod 4].
        const long = layer.apply(fe.zeros([1, 6, 5])).arraySync() as number[][][];
        const a = 0.4;
        const ep = e.map((r) => r.map((v, j) => (v - a * e[0][j]) / (1 - a)));
        const want = Array.from({ length: 6 }, (_, i) => ep[0].map((_, j) => a * ep[Math.floor(i / 4)][j] + (1 - a) * ep[i % 4][j]));
        expectClose(long[0].flat(), want.flat(), 1e-6, 'hierarchical');
        expectClose(long[0].slice(0, 4).flat(), e.flat(), 1e-6, 'first rows unchanged');
        expect(() => layer.apply(x, { startIndex: 2 })).toThrow(/pe \(PositionEmbedding\): positions 2 … 4 go past sequenceLength 4/);
      });
      layer.dispose();
    });

    it('SinePositionEncoding is sin on even features and cos on odd ones, from startIndex', () => {
      const layer = fe.layers.sinePositionEncoding({ maxWavelength: 100 });
      fe.tidy(() => {
        const y = layer.apply(fe.zeros([2, 3, 4]), { startIndex: 2 }).arraySync() as number[][][];
        // feature i: angle = p·(1/100)^(2⌊i/2⌋/4).
        const want = [2, 3, 4].map((p) => [Math.sin(p), Math.cos(p), Math.sin(p / 10), Math.cos(p / 10)]);
        expectClose(y[0].flat(), want.flat(), 1e-6, 'table');
        expect(y[1]).toEqual(y[0]);
        expect(layer.weights).toEqual([]);
      });
    });

    it('TokenAndPositionEmbedding adds token and position embeddings and passes on the token mask', () => {
      const layer = fe.layers.tokenAndPositionEmbedding({ vocabularySize: 10, sequenceLength: 6, embeddingDim: 3, maskZero: true, name: 'tpe' });
      fe.tidy(() => {
        const ids = fe.tensor([[4, 2, 0, 0], [1, 9, 3, 5]], [2, 4], 'int32');
        const y = layer.apply(ids).arraySync() as number[][][];
        expect(layer.weights.map((w) => w.name)).toEqual(['token_embedding/embeddings', 'position_embedding/embeddings']);
        const [tok, pos] = layer.weights.map((w) => w.arraySync() as number[][]);
        expectClose(y[1][2], tok[3].map((v, j) => v + pos[2][j]), 1e-6, 'sum');
        const { mask } = layer.invoke(ids);
        expect((mask as fe.Tensor).arraySync()).toEqual([[1, 1, 0, 0], [1, 1, 1, 1]]);
      });
      const sym = fe.input({ shape: [4], dtype: 'int32' });
      expect((layer.apply(sym) as fe.SymbolicTensor).shape).toEqual([null, 4, 3]);
      expect(() => fe.layers.tokenAndPositionEmbedding({ vocabularySize: 10, sequenceLength: 6, embeddingDim: 3, tieWeights: false })).toThrow(/tieWeights: false/);
      layer.dispose();
    });

    for (const normalizeFirst of [false, true]) {
      it(`TransformerEncoder (normalizeFirst ${normalizeFirst}) equals the block built from TensorFlow.js' MultiHeadAttention, with a padding mask`, async () => {
        fe.setRandomSeed(5);
        const r = mulberry32(3);
        const [b, l, d] = [2, 5, 8];
        const xv = uniform(r, b * l * d), pad = [1, 1, 1, 0, 0, 1, 1, 1, 1, 1];
        const enc = fe.layers.transformerEncoder({ intermediateDim: 12, numHeads: 2, normalizeFirst, name: 'te' });
        const x = fe.tensor(xv, [b, l, d]);
        const y = fe.tidy(() => enc.apply(x, { paddingMask: fe.tensor(pad, [b, l]) }).dataSync());
        // Randomise γ, β and the biases too.
        enc.setWeights(enc.weights.map((w, i) => fe.tensor(uniform(mulberry32(50 + i), w.size, -0.5, 0.5).map((v, j) => (w.name!.endsWith('gamma') ? 1 + v : j >= 0 ? v : v)), w.shape)));
        const w = grab(enc.weights);
        const got = fe.tidy(() => enc.apply(x, { paddingMask: fe.tensor(pad, [b, l]) }).dataSync());
        expect(Array.from(got)).not.toEqual(Array.from(y));
        expect(enc.weights.map((v) => v.name!.replace(/^self_attention_layer\//, 'mha/'))).toEqual([
          'mha/query/kernel', 'mha/query/bias', 'mha/key/kernel', 'mha/key/bias', 'mha/value/kernel', 'mha/value/bias',
          'mha/attention_output/kernel', 'mha/attention_output/bias',
          'self_attention_layer_norm/gamma', 'self_attention_layer_norm/beta', 'feedforward_layer_norm/gamma', 'feedforward_layer_norm/beta',
          'feedforward_intermediate_dense/kernel', 'feedforward_intermediate_dense/bias', 'feedforward_output_dense/kernel', 'feedforward_output_dense/bias',
        ]);
        await tf.setBackend('cpu');
        const att = tfAttention(2, 4, w.slice(0, 8));
        const n1 = tfNorm(w[8], w[9]), n2 = tfNorm(w[10], w[11]), ff = tfFeedForward(w.slice(12));
        const tx = tf.tensor(xv, [b, l, d]);
        const mask = tfPaddingAsAttention(pad, b, l, l);
        let ty = tfResidual(tx, normalizeFirst, n1, (h) => att(h, h, mask, false));
        ty = tfResidual(ty, normalizeFirst, n2, ff);
        expectClose(got, await ty.data(), 1e-5, 'encoder');
        await useBackend(backend);
        x.dispose();
        enc.dispose();
      });
    }

    it('TransformerDecoder with cross-attention equals the TensorFlow.js-built block (causal, both padding masks)', async () => {
      fe.setRandomSeed(6);
      const r = mulberry32(4);
      const [b, t, s, d] = [2, 4, 6, 6];
      const xv = uniform(r, b * t * d), ev = uniform(r, b * s * d);
      const decPad = [1, 1, 1, 1, 1, 1, 0, 0], encPad = [1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0];
      const dec = fe.layers.transformerDecoder({ intermediateDim: 10, numHeads: 3 });
      const args = () => ({ decoderPaddingMask: fe.tensor(decPad, [b, t]), encoderPaddingMask: fe.tensor(encPad, [b, s]) });
      const x = fe.tensor(xv, [b, t, d]), e = fe.tensor(ev, [b, s, d]);
      fe.tidy(() => { dec.apply([x, e], args()); });
      dec.setWeights(dec.weights.map((w, i) => fe.tensor(uniform(mulberry32(80 + i), w.size, -0.5, 0.5).map((v) => (w.name!.endsWith('gamma') ? 1 + v : v)), w.shape)));
      expect(dec.weights.map((w) => w.name!.split('/')[0])).toEqual([
        ...Array(8).fill('self_attention'), 'self_attention_layer_norm', 'self_attention_layer_norm',
        ...Array(8).fill('cross_attention'), 'cross_attention_layer_norm', 'cross_attention_layer_norm',
        'feedforward_intermediate_dense', 'feedforward_intermediate_dense', 'feedforward_output_dense', 'feedforward_output_dense',
        'feedforward_layer_norm', 'feedforward_layer_norm',
      ]);
      const w = grab(dec.weights);
      const got = fe.tidy(() => (dec.apply([x, e], args()) as fe.Tensor).dataSync());
      // The keyword form is the same call.
      const kw = fe.tidy(() => (dec.apply(x, { encoderSequence: e, ...args() }) as fe.Tensor).dataSync());
      expect(Array.from(kw)).toEqual(Array.from(got));
      await tf.setBackend('cpu');
      const self = tfAttention(3, 2, w.slice(0, 8)), cross = tfAttention(3, 2, w.slice(10, 18));
      const n1 = tfNorm(w[8], w[9]), n2 = tfNorm(w[18], w[19]), n3 = tfNorm(w[24], w[25]), ff = tfFeedForward(w.slice(20, 24));
      const tx = tf.tensor(xv, [b, t, d]), te = tf.tensor(ev, [b, s, d]);
      let ty = tfResidual(tx, false, n1, (h) => self(h, h, tfPaddingAsAttention(decPad, b, t, t), true));
      ty = tfResidual(ty, false, n2, (h) => cross(h, te, tfPaddingAsAttention(encPad, b, t, s), false));
      ty = tfResidual(ty, false, n3, ff);
      expectClose(got, await ty.data(), 1e-5, 'decoder');
      await useBackend(backend);
      fe.dispose([x, e]);
      dec.dispose();
    });

    it('has gradients that match finite differences (encoder and decoder inputs)', () => {
      fe.setRandomSeed(8);
      const gen = new Gen(12);
      const enc = fe.layers.transformerEncoder({ intermediateDim: 6, numHeads: 2, activation: 'gelu' });
      const dec = fe.layers.transformerDecoder({ intermediateDim: 5, numHeads: 2, normalizeFirst: true });
      const x = gen.uniform([2, 3, 4]), e = gen.uniform([2, 4, 4]);
      // Layer norm over 4 features curves sharply: a smaller step than the default.
      const step = () => 2e-3;
      expectGradcheck(([xs]) => enc.apply(xs) as fe.Tensor, [x], { step });
      expectGradcheck(([xs, es]) => dec.apply([xs, es]) as fe.Tensor, [x, e], { step });
      enc.dispose();
      dec.dispose();
    });

    it('takes the padding mask from the Keras mask in a functional model, and trains', async () => {
      fe.setRandomSeed(9);
      const ids = fe.input({ shape: [6], dtype: 'int32' });
      const h = fe.layers.tokenAndPositionEmbedding({ vocabularySize: 12, sequenceLength: 6, embeddingDim: 8, maskZero: true }).apply(ids) as fe.SymbolicTensor;
      const encoder = fe.layers.transformerEncoder({ intermediateDim: 16, numHeads: 2, kernelRegularizer: fe.regularizers.l2({ l2: 0.01 }) });
      const z = encoder.apply(h) as fe.SymbolicTensor;
      const pooled = fe.layers.globalAveragePooling1d().apply(z) as fe.SymbolicTensor;
      const out = fe.layers.dense({ units: 1, activation: 'sigmoid' }).apply(pooled) as fe.SymbolicTensor;
      const model = fe.model({ inputs: ids, outputs: out });
      const r = mulberry32(7);
      const n = 64;
      const xs = new Int32Array(n * 6), ys = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const len = 2 + Math.floor(r() * 5);
        for (let j = 0; j < len; j++) xs[i * 6 + j] = 1 + Math.floor(r() * 11);
        ys[i] = xs[i * 6] > 6 ? 1 : 0;
      }
      const xt = fe.tensor(xs, [n, 6], 'int32'), yt = fe.tensor(ys, [n, 1]);
      fe.tidy(() => {
        // Through the model, the encoder masks padded keys as an explicit padding mask does.
        const emb = model.layers[1].apply(xt);
        const explicit = (encoder.apply(emb, { paddingMask: fe.notEqual(xt, 0) }) as fe.Tensor).arraySync() as number[][][];
        const viaModel = (fe.model({ inputs: ids, outputs: z }).predict(xt) as fe.Tensor).arraySync() as number[][][];
        // Padded query rows differ (Keras also masks them as queries); real positions agree.
        for (let i = 0; i < n; i++) for (let j = 0; j < 6; j++) if (xs[i * 6 + j] !== 0) expectClose(viaModel[i][j], explicit[i][j], 1e-5, `sample ${i} step ${j}`);
      });
      model.compile({ optimizer: fe.train.adam(0.01), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
      // The l2 penalty on the encoder's kernels is part of the loss.
      const plain = fe.tidy(() => fe.losses.binaryCrossentropy(yt, model.predict(xt) as fe.Tensor).mean().dataSync()[0]);
      const evalLoss = (model.evaluate(xt, yt) as fe.Tensor[])[0].dataSync()[0];
      const penalty = encoder.weights.filter((w) => w.name!.endsWith('kernel')).reduce((s, w) => s + 0.01 * fe.tidy(() => fe.sum(fe.square(w)).dataSync()[0]), 0);
      expect(evalLoss).toBeCloseTo(plain + penalty, 4);
      const hist = await model.fit(xt, yt, { epochs: 15, batchSize: 16, verbose: 0 });
      const acc = hist.history.acc as number[];
      expect(acc[acc.length - 1]).toBeGreaterThan(0.8);
      fe.dispose([xt, yt]);
      model.dispose();
    });

    it('infers shapes and refuses bad inputs with errors naming the layer', () => {
      const x = fe.input({ shape: [5, 8] }), e = fe.input({ shape: [7, 4] });
      const dec = fe.layers.transformerDecoder({ intermediateDim: 4, numHeads: 2, name: 'td' });
      expect((dec.apply([x, e]) as fe.SymbolicTensor).shape).toEqual([null, 5, 8]);
      expect((fe.layers.transformerEncoder({ intermediateDim: 4, numHeads: 2 }).apply(x) as fe.SymbolicTensor).shape).toEqual([null, 5, 8]);
      const withScores = fe.layers.transformerEncoder({ intermediateDim: 4, numHeads: 2 }).apply(x, { returnAttentionScores: true }) as fe.SymbolicTensor[];
      expect(withScores.map((t) => t.shape)).toEqual([[null, 5, 8], [null, 2, 5, 5]]);
      expect(() => fe.layers.transformerEncoder({ intermediateDim: 4, numHeads: 2, name: 'te3' }).apply(x, { paddingMaks: null })).toThrow(/te3 \(TransformerEncoder\): unknown call argument 'paddingMaks'/);
      expect(() => dec.apply([x, e], { selfAttentionCache: null })).toThrow(/unknown call argument 'selfAttentionCache'/);
      expect(() => fe.layers.positionEmbedding({ sequenceLength: 5 }).apply(x, { start: 1 })).toThrow(/unknown call argument 'start' \(expected startIndex\)/);
      expect(() => fe.layers.transformerEncoder({ intermediateDim: 4, numHeads: 9 }).apply(x)).toThrow(/the hidden dimension 8 must be at least numHeads \(9\)/);
      expect(() => fe.layers.transformerEncoder({ intermediateDim: 0, numHeads: 2 })).toThrow(/intermediateDim must be a positive integer/);
      fe.tidy(() => {
        expect(() => dec.apply(fe.ones([2, 5, 8]))).toThrow(/td \(TransformerDecoder\): was built with cross-attention/);
        expect(() => dec.apply([fe.ones([2, 5, 8]), fe.ones([2, 7, 4])], { decoderPaddingMask: fe.ones([2, 4]) })).toThrow(/expected a padding mask of shape \[2, 5\], got \[2, 4\]/);
        const enc = fe.layers.transformerEncoder({ intermediateDim: 4, numHeads: 2, name: 'te2' });
        enc.apply(fe.ones([2, 5, 8]));
        expect(() => enc.apply(fe.ones([2, 5, 6]))).toThrow(/te2 \(TransformerEncoder\): expected input \[batch, length, 8\], got \[2, 5, 6\]/);
        expect(() => enc.apply(fe.ones([2, 5, 8]), { attentionMask: fe.ones([2, 5, 4]) })).toThrow(/attention mask of shape \[2, 5, 5\]/);
        enc.dispose();
      });
      dec.dispose();
    });

    it('leaves no tensor behind (training step with dropout, inference)', async () => {
      const enc = fe.layers.transformerEncoder({ intermediateDim: 6, numHeads: 2, dropout: 0.2 });
      const dec = fe.layers.transformerDecoder({ intermediateDim: 6, numHeads: 2, dropout: 0.2 });
      const x = fe.randomUniform([2, 4, 4]), e = fe.randomUniform([2, 3, 4]);
      fe.tidy(() => { enc.apply(x); dec.apply([x, e]); });
      await settleGc();
      const before = fe.memory().numTensors;
      fe.tidy(() => fe.add(fe.sum(enc.apply(x, { training: true }) as fe.Tensor), fe.sum(dec.apply([x, e], { training: true }) as fe.Tensor)).backward());
      fe.noGrad(() => fe.tidy(() => [enc.apply(x), dec.apply([x, e])]));
      [...enc.weights, ...dec.weights].forEach((w) => { w.grad?.dispose(); w.grad = null; });
      await settleGc();
      expect(fe.memory().numTensors).toBe(before);
      fe.dispose([x, e]);
      enc.dispose();
      dec.dispose();
    });
  });
}
