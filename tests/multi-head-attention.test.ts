// MultiHeadAttention: the forward pass against TensorFlow.js' own (internal) class with the
// same weights, masks and causal flag; gradients by finite differences and against the same
// computation written with ops; Keras masks along a functional model's edges; weights in Keras'
// layout, order and initialisation; wasm vs js; no leaks; errors.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { MultiHeadAttention as TfMultiHeadAttention } from '@tensorflow/tfjs-layers/dist/layers/nlp/multihead_attention';
import * as fe from 'ferrite-ml';
import { BACKENDS, settleGc, useBackend, wasmBuilt } from './helpers/backends';
import { expectGradcheck, Gen } from './helpers/gradcheck';
import { mulberry32, uniform } from './helpers/reference';

type TfArgs = ConstructorParameters<typeof TfMultiHeadAttention>[0];

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  let worst = 0, at = -1;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    if (!(e <= worst)) { worst = e; at = i; }
  }
  expect(worst, `${what}: worst at ${at}: got ${got[at]}, want ${want[at]}`).toBeLessThanOrEqual(tol);
}

interface TfCase {
  name: string;
  args: TfArgs & { numHeads: number; keyDim: number };
  q: number[];
  v: number[];
  k?: number[];
  attentionMask?: number[];
  useCausalMask?: boolean;
  queryMask?: boolean;
  valueMask?: boolean;
}

const TF_CASES: TfCase[] = [
  { name: 'self-attention', args: { numHeads: 2, keyDim: 3 }, q: [2, 5, 4], v: [2, 5, 4] },
  { name: 'cross-attention, t ≠ s, value dim ≠ key dim, separate key', args: { numHeads: 3, keyDim: 2, valueDim: 5 }, q: [2, 3, 4], v: [2, 7, 6], k: [2, 7, 5] },
  { name: 'one query step', args: { numHeads: 2, keyDim: 4 }, q: [3, 1, 4], v: [3, 6, 4] },
  { name: 'attention mask', args: { numHeads: 2, keyDim: 3 }, q: [2, 4, 5], v: [2, 6, 5], attentionMask: [2, 4, 6] },
  { name: 'causal', args: { numHeads: 2, keyDim: 3 }, q: [2, 6, 4], v: [2, 6, 4], useCausalMask: true },
  { name: 'query and value Keras masks + attention mask + causal', args: { numHeads: 2, keyDim: 3 }, q: [2, 5, 4], v: [2, 5, 4], attentionMask: [2, 5, 5], useCausalMask: true, queryMask: true, valueMask: true },
  { name: 'no bias, outputShape', args: { numHeads: 2, keyDim: 3, useBias: false, outputShape: [7] }, q: [2, 4, 5], v: [2, 3, 5] },
  { name: 'rank 4, attention over axes 1 and 2', args: { numHeads: 2, keyDim: 3, attentionAxes: [1, 2] }, q: [2, 3, 2, 4], v: [2, 2, 3, 4] },
  { name: 'rank 4, attention over axis 2', args: { numHeads: 2, keyDim: 3, attentionAxes: [2] }, q: [2, 3, 4, 5], v: [2, 3, 2, 5] },
];

/** The masks of a case, 0/1, deterministic. */
function maskValues(n: number, seed: number, keep = 0.7): number[] {
  const r = mulberry32(seed);
  const m = Array.from({ length: n }, () => (r() < keep ? 1 : 0));
  m[0] = 1; // every sample keeps at least its first position
  return m;
}

async function tfCase(c: TfCase, seed: number) {
  const r = mulberry32(seed);
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const qv = uniform(r, size(c.q)), vv = uniform(r, size(c.v)), kv = c.k ? uniform(r, size(c.k)) : null;
  const am = c.attentionMask ? maskValues(size(c.attentionMask), seed + 1, 0.6) : null;
  const qm = c.queryMask ? maskValues(c.q[0] * c.q[1], seed + 2, 0.7) : null;
  const vm = c.valueMask ? maskValues(c.v[0] * c.v[1], seed + 3, 0.7) : null;
  // TensorFlow.js, cpu backend: its class builds from the first call with its own Glorot weights.
  await tf.setBackend('cpu');
  const tl = new TfMultiHeadAttention(c.args);
  const tq = tf.tensor(qv, c.q), tv = tf.tensor(vv, c.v), tk = kv ? tf.tensor(kv, c.k!) : undefined;
  if (qm) (tq as unknown as { kerasMask: tf.Tensor }).kerasMask = tf.tensor(qm, [c.q[0], c.q[1]], 'bool');
  if (vm) (tv as unknown as { kerasMask: tf.Tensor }).kerasMask = tf.tensor(vm, [c.v[0], c.v[1]], 'bool');
  const tam = am ? tf.tensor(am, c.attentionMask!) : undefined;
  const [to, ts] = tl.callAndReturnAttentionScores(tq, { value: tv, key: tk, attentionMask: tam, useCausalMask: c.useCausalMask ?? false, training: false } as never);
  const dense = (tl as unknown as Record<string, { getWeights(): tf.Tensor[] }>);
  const weights = ['_queryDense', '_keyDense', '_valueDense', '_outputDense'].flatMap((n) => dense[n].getWeights());
  const w = await Promise.all(weights.map(async (t) => ({ shape: t.shape, data: await t.data() as Float32Array })));
  return { qv, vv, kv, am, qm, vm, out: await to.data(), scores: await ts.data(), outShape: to.shape, scoresShape: ts.shape, w };
}

for (const backend of BACKENDS) {
  describe(`MultiHeadAttention on ${backend}`, () => {
    beforeAll(async () => {
      await useBackend(backend);
    });

    it.each(TF_CASES.map((c, i) => [c.name, c, i] as const))('matches TensorFlow.js (1e-5): %s', async (_n, c, i) => {
      const want = await tfCase(c, 100 + i);
      await useBackend(backend);
      fe.tidy(() => {
        const layer = fe.layers.multiHeadAttention(c.args as fe.layers.MultiHeadAttentionArgs);
        const q = fe.tensor(want.qv, c.q), v = fe.tensor(want.vv, c.v), k = want.kv ? fe.tensor(want.kv, c.k!) : null;
        layer.apply(q, { value: v, key: k });
        // Keras' weights in Keras' order and layout, set from TensorFlow.js' EinsumDense weights.
        expect(layer.weights.map((x) => x.shape)).toEqual(want.w.map((x) => x.shape));
        layer.setWeights(want.w.map((x) => fe.tensor(x.data, x.shape)));
        const res = layer.apply(q, {
          value: v, key: k,
          attentionMask: want.am ? fe.tensor(want.am, c.attentionMask!) : null,
          useCausalMask: c.useCausalMask ?? false,
          queryMask: want.qm ? fe.tensor(want.qm, [c.q[0], c.q[1]]) : null,
          valueMask: want.vm ? fe.tensor(want.vm, [c.v[0], c.v[1]]) : null,
          returnAttentionScores: true,
        }) as unknown as fe.Tensor[];
        expect(res[0].shape).toEqual(want.outShape);
        expect(res[1].shape).toEqual(want.scoresShape);
        expectClose(res[0].dataSync(), want.out, 1e-5, 'output');
        expectClose(res[1].dataSync(), want.scores, 1e-5, 'scores');
        layer.dispose();
      });
    });

    it('names its weights as Keras and initialises kernels by Keras’ fan rule', () => {
      fe.setRandomSeed(3);
      const layer = fe.layers.multiHeadAttention({ numHeads: 4, keyDim: 8, valueDim: 6, name: 'mha' });
      fe.tidy(() => { layer.apply(fe.zeros([1, 5, 32]), { value: fe.zeros([1, 7, 24]) }); });
      expect(layer.weights.map((w) => `${w.name} [${w.shape}]`)).toEqual([
        'mha/query/kernel [32,4,8]', 'mha/query/bias [4,8]', 'mha/key/kernel [24,4,8]', 'mha/key/bias [4,8]',
        'mha/value/kernel [24,4,6]', 'mha/value/bias [4,6]', 'mha/attention_output/kernel [4,6,32]', 'mha/attention_output/bias [32]',
      ]);
      // Glorot uniform on [d, heads, depth]: fan_in = heads·d, fan_out = depth·d.
      const limit = (shape: number[]) => {
        const rf = shape.slice(0, -2).reduce((a, b) => a * b, 1);
        return Math.sqrt(6 / (shape[shape.length - 2] * rf + shape[shape.length - 1] * rf));
      };
      for (const w of layer.weights) {
        const v = w.dataSync();
        if (w.name!.endsWith('bias')) {
          expect(v.every((x) => x === 0)).toBe(true);
          continue;
        }
        const lim = limit(w.shape);
        const maxAbs = Math.max(...Array.from(v, (x) => Math.abs(x)));
        expect(maxAbs).toBeLessThanOrEqual(lim);
        expect(maxAbs).toBeGreaterThan(0.9 * lim); // thousands of draws come near the bound
      }
      layer.dispose();
    });

    it('has gradients that match finite differences (inputs) and the same computation with ops (weights)', () => {
      const gen = new Gen(5);
      const layer = fe.layers.multiHeadAttention({ numHeads: 2, keyDim: 3, valueDim: 2 });
      const q0 = gen.uniform([2, 3, 4]), v0 = gen.uniform([2, 5, 4]), k0 = gen.uniform([2, 5, 3]);
      fe.tidy(() => { layer.apply(fe.tensor(q0.values, q0.shape), { value: fe.tensor(v0.values, v0.shape), key: fe.tensor(k0.values, k0.shape) }); });
      // Biases away from zero so they matter.
      layer.setWeights(layer.weights.map((w, i) => fe.tensor(uniform(mulberry32(i), w.size, -0.5, 0.5), w.shape)));
      const km = fe.tensor([1, 1, 1, 0, 1, 1, 0, 1, 1, 1], [2, 5]);
      try {
        expectGradcheck(([q, v, k]) => layer.apply(q, { value: v, key: k, useCausalMask: true, keyMask: km }) as fe.Tensor, [q0, v0, k0]);
        // Weight gradients against the same attention written with ops (matMul, softmax).
        const [wq, bq, wk, bk, wv, bv, wo, bo] = layer.weights;
        const composed = (q: fe.Tensor, v: fe.Tensor, k: fe.Tensor) => {
          const proj = (x: fe.Tensor, w: fe.Tensor, b: fe.Tensor) =>
            fe.add(fe.reshape(fe.matMul(fe.reshape(x, [-1, w.shape[0]]), fe.reshape(w, [w.shape[0], -1])), [x.shape[0], x.shape[1], w.shape[1], w.shape[2]]), b);
          const qh = fe.transpose(proj(q, wq, bq), [0, 2, 1, 3]), kh = fe.transpose(proj(k, wk, bk), [0, 2, 1, 3]), vh = fe.transpose(proj(v, wv, bv), [0, 2, 1, 3]);
          const sc = fe.mul(fe.matMul(fe.mul(qh, 1 / Math.sqrt(3)), kh, false, true), 1);
          const adder = fe.tensor(Float32Array.from({ length: 2 * 3 * 5 }, (_, x) => {
            const b = Math.floor(x / 15), i = Math.floor((x % 15) / 5), j = x % 5;
            return j <= i && km.dataSync()[b * 5 + j] ? 0 : -1e9;
          }), [2, 1, 3, 5]);
          const o = fe.transpose(fe.matMul(fe.softmax(fe.add(sc, adder)), vh), [0, 2, 1, 3]); // [b, t, h, dv]
          return fe.add(fe.reshape(fe.matMul(fe.reshape(o, [-1, 4]), fe.reshape(wo, [4, -1])), [2, 3, 4]), bo);
        };
        const grads = (f: () => fe.Tensor) => {
          layer.weights.forEach((w) => { w.grad?.dispose(); w.grad = null; });
          const w = fe.tensor(uniform(mulberry32(9), 2 * 3 * 4), [2, 3, 4]);
          fe.tidy(() => fe.sum(fe.mul(f(), w)).backward());
          w.dispose();
          return layer.weights.map((x) => x.grad!.dataSync());
        };
        const args = () => [fe.tensor(q0.values, q0.shape), fe.tensor(v0.values, v0.shape), fe.tensor(k0.values, k0.shape)] as const;
        const a = grads(() => { const [q, v, k] = args(); return layer.apply(q, { value: v, key: k, useCausalMask: true, keyMask: km }) as fe.Tensor; });
        const b = grads(() => { const [q, v, k] = args(); return composed(q, v, k); });
        a.forEach((g, i) => expectClose(g, b[i], 1e-5, `gradient of ${layer.weights[i].name}`));
        layer.weights.forEach((w) => { w.grad?.dispose(); w.grad = null; });
      } finally {
        km.dispose();
        layer.dispose();
      }
    });

    it('takes the Keras masks of query and value along a functional model (Embedding maskZero)', () => {
      fe.setRandomSeed(7);
      const tokens = fe.input({ shape: [6], dtype: 'int32' });
      const other = fe.input({ shape: [4], dtype: 'int32' });
      const embed = fe.layers.embedding({ inputDim: 20, outputDim: 8, maskZero: true });
      const x = embed.apply(tokens) as fe.SymbolicTensor;
      const y = embed.apply(other) as fe.SymbolicTensor;
      const mha = fe.layers.multiHeadAttention({ numHeads: 2, keyDim: 4 });
      const out = mha.apply(x, { value: y }) as fe.SymbolicTensor;
      expect(out.shape).toEqual([null, 6, 8]);
      const model = fe.model({ inputs: [tokens, other], outputs: out });
      const ids = [[3, 5, 0, 0, 7, 0], [1, 2, 3, 4, 5, 6]], ids2 = [[0, 9, 9, 0], [4, 0, 0, 0]];
      fe.tidy(() => {
        const t1 = fe.tensor(ids, [2, 6], 'int32'), t2 = fe.tensor(ids2, [2, 4], 'int32');
        const got = (model.predict([t1, t2]) as fe.Tensor).dataSync();
        const e1 = embed.apply(t1), e2 = embed.apply(t2);
        const want = (mha.apply(e1, { value: e2, queryMask: fe.notEqual(t1, 0), valueMask: fe.notEqual(t2, 0) }) as fe.Tensor).dataSync();
        expectClose(got, want, 1e-6, 'model vs eager with explicit masks');
        const unmasked = (mha.apply(e1, { value: e2 }) as fe.Tensor).dataSync();
        expect(Math.max(...got.map((g, i) => Math.abs(g - unmasked[i])))).toBeGreaterThan(1e-3);
      });
      model.dispose();
    });

    it('infers shapes symbolically, with the attention scores as a second output', () => {
      const q = fe.input({ shape: [5, 6] }), v = fe.input({ shape: [7, 3] });
      const mha = fe.layers.multiHeadAttention({ numHeads: 3, keyDim: 2, outputShape: [4, 2] });
      const [o, s] = mha.apply(q, { value: v, returnAttentionScores: true }) as fe.SymbolicTensor[];
      expect(o.shape).toEqual([null, 5, 4, 2]);
      expect(s.shape).toEqual([null, 3, 5, 7]);
      const model = fe.model({ inputs: [q, v], outputs: [o, s] });
      fe.tidy(() => {
        const [ro, rs] = model.predict([fe.ones([2, 5, 6]), fe.ones([2, 7, 3])]) as fe.Tensor[];
        expect(ro.shape).toEqual([2, 5, 4, 2]);
        expect(rs.shape).toEqual([2, 3, 5, 7]);
      });
      const img = fe.input({ shape: [3, 4, 5] });
      const m2 = fe.layers.multiHeadAttention({ numHeads: 2, keyDim: 2, attentionAxes: [2] });
      const [o2, s2] = m2.apply(img, { value: img, returnAttentionScores: true }) as fe.SymbolicTensor[];
      expect(o2.shape).toEqual([null, 3, 4, 5]);
      expect(s2.shape).toEqual([null, 3, 2, 4, 4]);
      model.dispose();
      m2.dispose();
    });

    it('trains in a functional model, dropout active in fit only', async () => {
      fe.setRandomSeed(11);
      const inp = fe.input({ shape: [6, 4] });
      const mha = fe.layers.multiHeadAttention({ numHeads: 2, keyDim: 4, dropout: 0.3, seed: 5 });
      const h = mha.apply(inp, { value: inp }) as fe.SymbolicTensor;
      const out = fe.layers.dense({ units: 1 }).apply(fe.layers.globalAveragePooling1d().apply(h) as fe.SymbolicTensor) as fe.SymbolicTensor;
      const model = fe.model({ inputs: inp, outputs: out });
      model.compile({ optimizer: fe.train.adam(0.01), loss: 'meanSquaredError' });
      const x = fe.randomUniform([16, 6, 4], -1, 1, 'float32', 3), y = fe.sum(x, [1, 2]).reshape([16, 1]);
      const before = mha.weights.map((w) => w.dataSync().slice());
      const p1 = (model.predict(x) as fe.Tensor).dataSync(), p2 = (model.predict(x) as fe.Tensor).dataSync();
      expect(Array.from(p1)).toEqual(Array.from(p2)); // no dropout in inference
      const h1 = await model.fit(x, y, { epochs: 8, batchSize: 8, verbose: 0 });
      const losses = h1.history.loss as number[];
      expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
      mha.weights.forEach((w, i) => expect(Array.from(w.dataSync())).not.toEqual(Array.from(before[i])));
      fe.dispose([x, y]);
      model.dispose();
    });

    it('applies its regularizers in the loss and its constraints after each step, and saves them', () => {
      fe.setRandomSeed(13);
      const inp = fe.input({ shape: [4, 6] });
      const mha = fe.layers.multiHeadAttention({
        numHeads: 2, keyDim: 3, kernelRegularizer: fe.regularizers.l2({ l2: 0.05 }), biasRegularizer: fe.regularizers.l1({ l1: 0.1 }),
        kernelConstraint: fe.constraints.nonNeg(), biasInitializer: 'ones',
      });
      const model = fe.model({ inputs: inp, outputs: mha.apply(inp, { value: inp }) as fe.SymbolicTensor });
      model.compile({ optimizer: fe.train.sgd(0.1), loss: 'meanSquaredError' });
      const x = fe.randomUniform([3, 4, 6], -1, 1, 'float32', 2), y = fe.zeros([3, 4, 6]);
      const mse = fe.tidy(() => fe.mean(fe.square(model.predict(x) as fe.Tensor)).dataSync()[0]);
      const sumOf = (f: (w: fe.Tensor) => fe.Tensor, which: RegExp) =>
        mha.weights.filter((w) => which.test(w.name!)).reduce((s, w) => s + fe.tidy(() => fe.sum(f(w)).dataSync()[0]), 0);
      const penalty = 0.05 * sumOf(fe.square, /kernel$/) + 0.1 * sumOf(fe.abs, /bias$/);
      expect((model.evaluate(x, y) as fe.Tensor).dataSync()[0]).toBeCloseTo(mse + penalty, 4);
      model.trainOnBatch(x, y);
      for (const w of mha.weights.filter((v) => v.name!.endsWith('kernel'))) expect(Math.min(...w.dataSync())).toBeGreaterThanOrEqual(0);
      const config = fe.io.serializeLayer(mha).config;
      expect(config).toMatchObject({ kernel_regularizer: { class_name: 'L1L2', config: { l1: 0, l2: 0.05 } }, kernel_constraint: { class_name: 'NonNeg' } });
      const back = fe.io.deserializeLayer(fe.io.serializeLayer(mha)) as fe.layers.MultiHeadAttention;
      expect(fe.io.serializeLayer(back).config.kernel_regularizer).toEqual(config.kernel_regularizer);
      expect(back.kernelConstraint).not.toBeNull();
      back.dispose();
      fe.dispose([x, y]);
      model.dispose();
    });

    it('leaves no tensor behind in a training step and in inference', async () => {
      const layer = fe.layers.multiHeadAttention({ numHeads: 2, keyDim: 3, dropout: 0.2 });
      const q = fe.randomUniform([2, 4, 5]), v = fe.randomUniform([2, 3, 5]), km = fe.tensor([1, 0, 1, 1, 1, 0], [2, 3], 'int32');
      fe.tidy(() => { layer.apply(q, { value: v }); });
      await settleGc();
      const before = fe.memory().numTensors;
      fe.tidy(() => {
        const [o, s] = layer.apply(q, { value: v, training: true, keyMask: km, valueMask: km, useCausalMask: true, returnAttentionScores: true }) as unknown as fe.Tensor[];
        fe.add(fe.sum(o), fe.sum(fe.square(s))).backward();
      });
      fe.noGrad(() => fe.tidy(() => layer.apply(q, { value: v, keyMask: km })));
      layer.weights.forEach((w) => { w.grad?.dispose(); w.grad = null; });
      await settleGc();
      expect(fe.memory().numTensors).toBe(before);
      fe.dispose([q, v, km]);
      layer.dispose();
    });

    it('refuses bad arguments and input with errors naming the layer', () => {
      expect(() => fe.layers.multiHeadAttention({ numHeads: 0, keyDim: 2, name: 'm' })).toThrow(/^m \(MultiHeadAttention\): numHeads must be a positive integer, got 0/);
      expect(() => fe.layers.multiHeadAttention({ numHeads: 2, keyDim: 2, dropout: 1, name: 'm' })).toThrow(/dropout must be in \[0, 1\), got 1/);
      expect(() => fe.layers.multiHeadAttention({ numHeads: 2, keyDim: 2, outputShape: [0], name: 'm' })).toThrow(/outputShape must be/);
      const layer = fe.layers.multiHeadAttention({ numHeads: 2, keyDim: 2, name: 'mh' });
      fe.tidy(() => {
        const q = fe.ones([2, 3, 4]), v = fe.ones([2, 5, 4]);
        expect(() => layer.apply(q)).toThrow(/mh \(MultiHeadAttention\): apply needs the value/);
        expect(() => layer.apply(q, { value: v, bogus: 1 })).toThrow(/unknown call argument 'bogus'/);
        layer.apply(q, { value: v });
        expect(() => layer.apply(fe.ones([2, 3, 5]), { value: v })).toThrow(/mh \(MultiHeadAttention\) query: expected input with trailing dimensions \[4\], got \[2, 3, 5\]/);
        expect(() => layer.apply(q, { value: fe.ones([3, 5, 4]) })).toThrow(/same batch size/);
        expect(() => layer.apply(q, { value: v, key: fe.ones([2, 6, 4]) })).toThrow(/value and key except the last must be equal/);
        expect(() => layer.apply(q, { value: v, attentionMask: fe.ones([2, 3, 4]) })).toThrow(/attention mask of shape \[3, 5\]/);
        expect(() => layer.apply(fe.ones([2, 4]), { value: v })).toThrow(/expected query of rank 3/);
        // Still usable.
        expect((layer.apply(q, { value: v }) as fe.Tensor).shape).toEqual([2, 3, 4]);
      });
      layer.dispose();
    });
  });
}

describe.runIf(wasmBuilt)('MultiHeadAttention: wasm against js', () => {
  it('gives the same outputs and weight gradients', async () => {
    const run = async (backend: 'js' | 'wasm') => {
      await useBackend(backend);
      fe.setRandomSeed(21);
      const layer = fe.layers.multiHeadAttention({ numHeads: 4, keyDim: 8, valueDim: 5, dropout: 0.25, seed: 3 });
      const q = fe.tensor(uniform(mulberry32(1), 3 * 20 * 12), [3, 20, 12]), v = fe.tensor(uniform(mulberry32(2), 3 * 30 * 12), [3, 30, 12]);
      const out = fe.tidy(() => {
        const o = layer.apply(q, { value: v, training: true, useCausalMask: true }) as fe.Tensor;
        fe.sum(fe.mul(o, o)).backward();
        return o.dataSync();
      });
      const g = layer.weights.map((w) => w.grad!.dataSync());
      layer.dispose();
      fe.dispose([q, v]);
      return { out, g };
    };
    const a = await run('js'), b = await run('wasm');
    expectClose(b.out, a.out, 2e-5, 'output');
    a.g.forEach((g, i) => expectClose(b.g[i], g, 1e-4, `gradient ${i}`));
  });
});
