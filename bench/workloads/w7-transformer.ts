/**
 * W7 Transformer encoder classifier (seed 002 §3.2). Data (workloads.md): 1024 sequences from
 * one mulberry32 stream (seed 7), each 64 tokens 1 + ⌊999·u⌋ in row-major order; label 1 iff
 * the token at position 0 appears again later in its sequence.
 * Model: Embedding(1000, 64) + a learned position embedding (64 × 64) → 2 × encoder block
 * (self-attention 4 heads × key dim 16, x = LayerNorm(x + attention), x = LayerNorm(x +
 * Dense(64)(relu(Dense(128)(x)))), ε 1e-5, no dropout) → mean over positions → Dense(1,
 * sigmoid); binary cross-entropy, Adam 1e-3, batch 32.
 *
 * Cases, each in its own process:
 * - ferrite: the model from its layers (TokenAndPositionEmbedding, TransformerEncoder —
 *   attention in the fused kernel), trained with fit; and, in the same process, the same
 *   model with its attention composed of ops (projections, transposes, matMul, softmax,
 *   matMul — everything else identical), its epochs and predictions interleaved with the fused
 *   model's (fused, composed, fused, …) so that a drifting machine load hits both alike;
 * - TensorFlow.js: the same computation written with its ops (its layers cannot train a
 *   MultiHeadAttention), trained with optimizer.minimize, the loss read back every batch.
 * Training: epochs of 1024 samples; epoch 1 is the warm-up, the value is the median of epochs
 * 2–3. The plain-JS backends (ferrite js, TF.js cpu) time single batches after a warm-up
 * batch instead (an epoch takes minutes there). Inference: predict at batch 256 over the 1024
 * sequences, median of 3 after a warm-up.
 */
import { isPlainJs, median, mulberry32 } from '../lib/common';
import { projection } from '../../ts/ops/projection';
import type { Ctx } from './index';

const N = 1024, LEN = 64, VOCAB = 1000, D = 64, HEADS = 4, KEY_DIM = 16, FF = 128, BATCH = 32, INFER_BATCH = 256;
const TRAIN = 'training, epochs 2–3 (median)';
const TRAIN_OPS = 'training, attention composed of ops';
const INFER = 'inference, batch 256';
const INFER_OPS = 'inference, attention composed of ops';
const OP_FUSED = 'attention alone, forward + backward, fused kernel';
const OP_COMPOSED = 'attention alone, forward + backward, composed of ops';

export function makeData(): { x: Int32Array; y: Float32Array } {
  const r = mulberry32(7);
  const x = new Int32Array(N * LEN);
  for (let i = 0; i < x.length; i++) x[i] = 1 + Math.floor(r() * (VOCAB - 1));
  const y = new Float32Array(N);
  for (let s = 0; s < N; s++) {
    const first = x[s * LEN];
    for (let j = 1; j < LEN; j++) if (x[s * LEN + j] === first) { y[s] = 1; break; }
  }
  return { x, y };
}

interface Runner {
  predict(): Promise<number>;
  epoch(): Promise<number>;
  batch(b: number): Promise<number>;
}

/** One model to measure, with the names of its metrics. */
interface Variant {
  runner: Runner;
  train: string;
  infer: string;
  note?: string;
}

/**
 * Measures the variants' training and inference rates, their runs interleaved (A, B, A, B, …)
 * so that a machine whose load drifts affects both alike.
 */
async function measure(ctx: Ctx, variants: Variant[], plainJs: boolean): Promise<void> {
  const inferRates = variants.map(() => [] as number[]);
  const failed = variants.map(() => null as string | null);
  const attempt = async (i: number, f: () => Promise<void>) => {
    if (failed[i] !== null) return;
    try {
      await f();
    } catch (e) {
      failed[i] = message(e);
    }
  };
  const runs = plainJs ? 1 : 3;
  for (let r = 0; r <= runs; r++) {
    for (const [i, v] of variants.entries()) {
      await attempt(i, async () => {
        const s = await v.runner.predict();
        if (r > 0) inferRates[i].push(N / s); // run 0 warms up
      });
    }
  }
  variants.forEach((v, i) => {
    if (failed[i] !== null) ctx.emit({ metric: v.infer, value: null, unit: 'samples/s', better: 'higher', error: failed[i]! });
    else ctx.emit({ metric: v.infer, value: median(inferRates[i]), unit: 'samples/s', better: 'higher', samples: runs, note: v.note, detail: `runs: ${inferRates[i].map((x) => x.toFixed(0)).join(', ')} samples/s` });
    failed[i] = null;
  });
  // Training: epochs (plain JS: single batches), the first of each variant a warm-up.
  const steps = plainJs ? (ctx.quick ? 2 : 3) : 3;
  const seconds = variants.map(() => [] as number[]);
  for (let e = 0; e < steps; e++) {
    for (const [i, v] of variants.entries()) {
      await attempt(i, async () => {
        const s = plainJs ? await v.runner.batch(e) : await v.runner.epoch();
        seconds[i].push(s);
        const size = plainJs ? BATCH : N;
        ctx.log(`${v.train}: ${plainJs ? 'batch' : 'epoch'} ${e + 1}${e === 0 ? ' (warm-up)' : ''}: ${(size / s).toFixed(plainJs ? 2 : 0)} samples/s`);
      });
    }
  }
  variants.forEach((v, i) => {
    if (failed[i] !== null) {
      ctx.emit({ metric: v.train, value: null, unit: 'samples/s', better: 'higher', error: failed[i]! });
      return;
    }
    const size = plainJs ? BATCH : N;
    const rates = seconds[i].slice(1).map((s) => size / s);
    const how = plainJs
      ? `median of ${rates.length} single batches after a warm-up batch (plain JavaScript: an epoch takes minutes)`
      : variants.length > 1 ? 'epochs interleaved with the other variant\'s' : undefined;
    ctx.emit({
      metric: v.train, value: median(rates), unit: 'samples/s', better: 'higher', samples: rates.length,
      note: [how, v.note].filter(Boolean).join('; ') || undefined,
      detail: `per ${plainJs ? 'batch' : 'epoch'}: ${seconds[i].map((s) => (size / s).toFixed(plainJs ? 2 : 0)).join(', ')} samples/s (the first excluded)`,
    });
  });
}

export async function run(ctx: Ctx): Promise<void> {
  const { x, y } = makeData();
  const plainJs = isPlainJs(ctx.lib.kind, ctx.lib.build);
  if (ctx.lib.kind === 'ferrite') {
    await measure(ctx, [
      { runner: ferrite(ctx, x, y, 'fused'), train: TRAIN, infer: INFER },
      { runner: ferrite(ctx, x, y, 'ops'), train: TRAIN_OPS, infer: INFER_OPS, note: 'the same model, its attention as ops (transpose, matMul, softmax, matMul)' },
    ], plainJs);
    attentionAlone(ctx, plainJs);
  } else {
    await measure(ctx, [{ runner: tfjs(ctx, x, y), train: TRAIN, infer: INFER, note: 'the model written with TF.js ops (matMul, softmax, moments)' }], plainJs);
  }
}

/**
 * The attention computation alone, softmax(QKᵀ/√dk)·V and its three gradients, on one W7 batch
 * ([32, 64, 4 heads, 16]): the fused op against the ops a user would compose. The model rows
 * above include everything else (projections, feed-forward, layer norms, optimizer), which the
 * two variants share; these rows isolate what the kernel replaces. Calls interleaved.
 */
function attentionAlone(ctx: Ctx, plainJs: boolean): void {
  if (ctx.lib.kind !== 'ferrite') throw new Error('unreachable');
  const fe = ctx.lib.fe;
  type T = import('ferrite-ml').Tensor;
  fe.setRandomSeed(5);
  const shape = [BATCH, LEN, HEADS, KEY_DIM];
  const q = fe.randomNormal(shape), k = fe.randomNormal(shape), v = fe.randomNormal(shape), dy = fe.randomNormal(shape);
  const composed = (a: T, b: T, c: T): T => {
    const heads = (t: T) => fe.transpose(t, [0, 2, 1, 3]);
    const p = fe.softmax(fe.mul(fe.matMul(heads(a), heads(b), false, true), 1 / Math.sqrt(KEY_DIM)));
    return fe.transpose(fe.matMul(p, heads(c)), [0, 2, 1, 3]);
  };
  const variants: [string, (a: T, b: T, c: T) => T][] = [
    [OP_FUSED, (a, b, c) => fe.dotProductAttention(a, b, c)],
    [OP_COMPOSED, composed],
  ];
  const gradsOf = variants.map(([, f]) => fe.grads(f));
  const calls = plainJs ? 2 : ctx.quick ? 20 : 60;
  const rates = variants.map(() => [] as number[]);
  for (let r = 0; r <= 5; r++) {
    gradsOf.forEach((g, i) => {
      const t0 = performance.now();
      for (let c = 0; c < calls; c++) {
        const out = g([q, k, v], dy);
        out[0].dataSync();
        out.forEach((t) => t.dispose());
      }
      if (r > 0) rates[i].push(calls / ((performance.now() - t0) / 1000)); // round 0 warms up
    });
  }
  variants.forEach(([metric], i) => ctx.emit({
    metric, value: median(rates[i]), unit: 'batches/s', better: 'higher', samples: rates[i].length,
    detail: `${calls} calls per run, runs: ${rates[i].map((x) => x.toFixed(0)).join(', ')} batches/s`,
  }));
  [q, k, v, dy].forEach((t) => t.dispose());
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 300);
}

/** A fixed shuffle of the sample indices for the single-batch timings. */
function shuffled(): Int32Array {
  const r = mulberry32(17);
  const order = Int32Array.from({ length: N }, (_, i) => i);
  for (let i = N - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

type Fe = typeof import('ferrite-ml');

/**
 * An encoder block (post-norm, relu feed-forward) whose attention is composed of ops: what a
 * ferrite user writes without the fused kernel. Weights in TransformerEncoder's layout; the
 * projections and layer norms are the same kernels the fused model runs.
 */
function composedEncoderClass(fe: Fe) {
  return class ComposedEncoder extends fe.layers.Layer {
    static override readonly className = 'ComposedEncoder';
    w: import('ferrite-ml').Variable[] = [];
    override build(shape: (number | null)[]): void {
      const d = shape[shape.length - 1]!;
      const add = (name: string, s: number[], init: string) => this.w.push(this.addWeight(name, s, 'float32', init));
      for (const n of ['query', 'key', 'value']) {
        add(`${n}/kernel`, [d, HEADS, KEY_DIM], 'glorotUniform');
        add(`${n}/bias`, [HEADS, KEY_DIM], 'zeros');
      }
      add('attention_output/kernel', [HEADS, KEY_DIM, d], 'glorotUniform');
      add('attention_output/bias', [d], 'zeros');
      add('norm1/gamma', [d], 'ones');
      add('norm1/beta', [d], 'zeros');
      add('ff1/kernel', [d, FF], 'glorotUniform');
      add('ff1/bias', [FF], 'zeros');
      add('ff2/kernel', [FF, d], 'glorotUniform');
      add('ff2/bias', [d], 'zeros');
      add('norm2/gamma', [d], 'ones');
      add('norm2/beta', [d], 'zeros');
      this.built = true;
    }
    call(x: import('ferrite-ml').Tensor): import('ferrite-ml').Tensor {
      const [wq, bq, wk, bk, wv, bv, wo, bo, g1, b1, f1, c1, f2, c2, g2, b2] = this.w;
      // [batch, t, heads, depth] → [batch, heads, t, depth].
      const heads = (w: import('ferrite-ml').Tensor, b: import('ferrite-ml').Tensor) => fe.transpose(projection(x, w, b), [0, 2, 1, 3]);
      const q = heads(wq, bq), k = heads(wk, bk), v = heads(wv, bv);
      const p = fe.softmax(fe.mul(fe.matMul(q, k, false, true), 1 / Math.sqrt(KEY_DIM)));
      const o = fe.transpose(fe.matMul(p, v), [0, 2, 1, 3]);
      const h = fe.layerNorm(fe.add(x, projection(o, wo, bo, 2)), g1, b1, { epsilon: 1e-5 });
      const f = projection(fe.relu(projection(h, f1, c1)), f2, c2);
      return fe.layerNorm(fe.add(h, f), g2, b2, { epsilon: 1e-5 });
    }
    override computeOutputShape(s: (number | null)[]): (number | null)[] {
      return s;
    }
  };
}

function ferrite(ctx: Ctx, xv: Int32Array, yv: Float32Array, attention: 'fused' | 'ops'): Runner {
  if (ctx.lib.kind !== 'ferrite') throw new Error('unreachable');
  const fe = ctx.lib.fe;
  fe.setRandomSeed(1);
  const x = fe.tensor(xv, [N, LEN], 'int32'), y = fe.tensor(yv, [N, 1]);
  const ids = fe.input({ shape: [LEN], dtype: 'int32' });
  let h = fe.layers.tokenAndPositionEmbedding({ vocabularySize: VOCAB, sequenceLength: LEN, embeddingDim: D }).apply(ids) as import('ferrite-ml').SymbolicTensor;
  const Composed = composedEncoderClass(fe);
  for (let i = 0; i < 2; i++) {
    const block = attention === 'fused' ? fe.layers.transformerEncoder({ intermediateDim: FF, numHeads: HEADS, layerNormEpsilon: 1e-5 }) : new Composed({});
    h = block.apply(h) as import('ferrite-ml').SymbolicTensor;
  }
  const pooled = fe.layers.globalAveragePooling1d().apply(h) as import('ferrite-ml').SymbolicTensor;
  const out = fe.layers.dense({ units: 1, activation: 'sigmoid' }).apply(pooled) as import('ferrite-ml').SymbolicTensor;
  const model = fe.model({ inputs: ids, outputs: out });
  model.compile({ optimizer: fe.train.adam(1e-3), loss: 'binaryCrossentropy' });
  const order = shuffled();
  return {
    async predict() {
      const t0 = performance.now();
      const p = model.predict(x, { batchSize: INFER_BATCH }) as import('ferrite-ml').Tensor;
      p.dataSync();
      p.dispose();
      return (performance.now() - t0) / 1000;
    },
    async epoch() {
      const t0 = performance.now();
      await model.fit(x, y, { epochs: 1, batchSize: BATCH, shuffle: true, verbose: 0 });
      return (performance.now() - t0) / 1000;
    },
    async batch(b) {
      const idx = fe.tensor(order.slice(b * BATCH, (b + 1) * BATCH), [BATCH], 'int32');
      const xb = fe.gather(x, idx), yb = fe.gather(y, idx);
      const t0 = performance.now();
      model.trainOnBatch(xb, yb);
      const s = (performance.now() - t0) / 1000;
      [idx, xb, yb].forEach((t) => t.dispose());
      return s;
    },
  };
}

function tfjs(ctx: Ctx, xv: Int32Array, yv: Float32Array): Runner {
  if (ctx.lib.kind !== 'tfjs') throw new Error('unreachable');
  const tf = ctx.lib.tf;
  type T = import('@tensorflow/tfjs').Tensor;
  const x = tf.tensor2d(xv, [N, LEN], 'int32'), y = tf.tensor2d(yv, [N, 1]);
  const glorot = (shape: number[], fanIn: number, fanOut: number) => tf.variable(tf.randomUniform(shape, -Math.sqrt(6 / (fanIn + fanOut)), Math.sqrt(6 / (fanIn + fanOut)), 'float32', 1));
  const zeros = (shape: number[]) => tf.variable(tf.zeros(shape));
  const ones = (shape: number[]) => tf.variable(tf.ones(shape));
  const tok = tf.variable(tf.randomUniform([VOCAB, D], -0.05, 0.05, 'float32', 2));
  const pos = tf.variable(tf.randomUniform([LEN, D], -0.05, 0.05, 'float32', 3));
  const blocks = [0, 1].map(() => ({
    wq: glorot([D, HEADS * KEY_DIM], D * HEADS, KEY_DIM * D), bq: zeros([HEADS * KEY_DIM]),
    wk: glorot([D, HEADS * KEY_DIM], D * HEADS, KEY_DIM * D), bk: zeros([HEADS * KEY_DIM]),
    wv: glorot([D, HEADS * KEY_DIM], D * HEADS, KEY_DIM * D), bv: zeros([HEADS * KEY_DIM]),
    wo: glorot([HEADS * KEY_DIM, D], KEY_DIM * HEADS, D * HEADS), bo: zeros([D]),
    g1: ones([D]), b1: zeros([D]), f1: glorot([D, FF], D, FF), c1: zeros([FF]), f2: glorot([FF, D], FF, D), c2: zeros([D]), g2: ones([D]), b2: zeros([D]),
  }));
  const wOut = glorot([D, 1], D, 1), bOut = zeros([1]);
  const layerNorm = (t: T, g: T, b: T) => {
    const { mean, variance } = tf.moments(t, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(t, mean), tf.rsqrt(tf.add(variance, 1e-5))), g), b);
  };
  const forward = (ids: T): T => {
    const n = ids.shape[0];
    let h: T = tf.add(tf.gather(tok, ids), pos); // [n, LEN, D]
    for (const k of blocks) {
      const flat = tf.reshape(h, [n * LEN, D]);
      const split = (w: T, b: T) => tf.transpose(tf.reshape(tf.add(tf.matMul(flat, w), b), [n, LEN, HEADS, KEY_DIM]), [0, 2, 1, 3]);
      const q = split(k.wq, k.bq), kk = split(k.wk, k.bk), v = split(k.wv, k.bv);
      const p = tf.softmax(tf.mul(tf.matMul(q, kk, false, true), 1 / Math.sqrt(KEY_DIM)));
      const o = tf.reshape(tf.transpose(tf.matMul(p, v), [0, 2, 1, 3]), [n * LEN, HEADS * KEY_DIM]);
      const a = tf.add(tf.matMul(o, k.wo), k.bo);
      const h1 = layerNorm(tf.add(flat, a), k.g1, k.b1);
      const f = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(h1, k.f1), k.c1)), k.f2), k.c2);
      h = tf.reshape(layerNorm(tf.add(h1, f), k.g2, k.b2), [n, LEN, D]);
    }
    return tf.add(tf.matMul(tf.mean(h, 1), wOut), bOut); // logits [n, 1]
  };
  const optimizer = tf.train.adam(1e-3);
  const step = (xb: T, yb: T): number => {
    const loss = optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(yb, forward(xb)), true) as T;
    const v = loss.dataSync()[0]; // read back every batch
    loss.dispose();
    return v;
  };
  const order = shuffled();
  return {
    async predict() {
      const t0 = performance.now();
      for (let i = 0; i < N; i += INFER_BATCH) {
        const p = tf.tidy(() => tf.sigmoid(forward(x.slice([i], [INFER_BATCH]))));
        await p.data();
        p.dispose();
      }
      return (performance.now() - t0) / 1000;
    },
    async epoch() {
      const perm = tf.util.createShuffledIndices(N);
      const t0 = performance.now();
      for (let i = 0; i < N; i += BATCH) {
        const idx = tf.tensor1d(Int32Array.from(perm.slice(i, i + BATCH)), 'int32');
        const xb = tf.gather(x, idx), yb = tf.gather(y, idx);
        step(xb, yb);
        tf.dispose([idx, xb, yb]);
      }
      return (performance.now() - t0) / 1000;
    },
    async batch(b) {
      const idx = tf.tensor1d(order.slice(b * BATCH, (b + 1) * BATCH), 'int32');
      const xb = tf.gather(x, idx), yb = tf.gather(y, idx);
      const t0 = performance.now();
      step(xb, yb);
      const s = (performance.now() - t0) / 1000;
      tf.dispose([idx, xb, yb]);
      return s;
    },
  };
}
