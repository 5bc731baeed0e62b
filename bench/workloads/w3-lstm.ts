/**
 * W3 LSTM sequence classifier (seed 000 §4.2). Data (workloads.md): 1024 sequences (mulberry32
 * seed 3, drawn sequence by sequence, step by step), length 100, tokens uniform in [0, 1000);
 * label = first token mod 10, one-hot. Model: Embedding(1000, 16) → LSTM(32) → Dense(10,
 * softmax); categorical cross-entropy, Adam 1e-3, batch 32, shuffled, loss read back every
 * batch. Keras' LSTM everywhere: recurrent activation sigmoid (TensorFlow.js' default would be
 * hardSigmoid), glorotUniform / orthogonal / zeros with unitForgetBias.
 * Throughput: the median of the per-epoch rates of epochs 2–4 (1024 samples / epoch wall
 * time; epoch 1 is the warm-up).
 */
import { median, mulberry32 } from '../lib/common';
import { epochRate } from '../lib/epoch-rate';
import type { Ctx } from './index';

const N = 1024, LEN = 100, VOCAB = 1000, CLASSES = 10, EPOCHS = 4, BATCH = 32;
const RATE = 'training, epochs 2–4 (median)';

export function makeData(): { x: Int32Array; y: Float32Array } {
  const r = mulberry32(3);
  const x = new Int32Array(N * LEN), y = new Float32Array(N * CLASSES);
  for (let s = 0; s < N; s++) {
    for (let t = 0; t < LEN; t++) x[s * LEN + t] = Math.floor(r() * VOCAB);
    y[s * CLASSES + (x[s * LEN] % CLASSES)] = 1;
  }
  return { x, y };
}

export async function run(ctx: Ctx): Promise<void> {
  const data = makeData();
  const { callbacks, emit: emitRate, epochs } = epochRate(ctx, N, RATE);

  const lib = ctx.lib;
  if (lib.kind === 'ferrite') {
    const fe = lib.fe;
    fe.setRandomSeed(1);
    const x = fe.tensor(data.x, [N, LEN], 'int32'), y = fe.tensor(data.y, [N, CLASSES]);
    const model = fe.sequential({
      layers: [
        fe.layers.embedding({ inputDim: VOCAB, outputDim: 16, inputLength: LEN }),
        fe.layers.lstm({ units: 32 }),
        fe.layers.dense({ units: CLASSES, activation: 'softmax' }),
      ],
    });
    model.compile({ optimizer: fe.train.adam(1e-3), loss: 'categoricalCrossentropy' });
    try {
      await model.fit(x, y, { epochs: epochs(EPOCHS), batchSize: BATCH, shuffle: true, verbose: 0, callbacks });
      emitRate();
    } catch (e) {
      fail(ctx, e);
    }
    return;
  }

  const tf = lib.tf;
  const x = tf.tensor2d(data.x, [N, LEN], 'int32'), y = tf.tensor2d(data.y, [N, CLASSES]);
  const model = tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: VOCAB, outputDim: 16, inputLength: LEN }),
      tf.layers.lstm({ units: 32, recurrentActivation: 'sigmoid' }),
      tf.layers.dense({ units: CLASSES, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });

  if (lib.build === 'cpu') {
    // Its embedding gradient takes seconds per batch: time a few trainOnBatch calls (each
    // reads the loss back) instead of whole epochs.
    await timeBatches(ctx, tf, model, x, y);
    return;
  }
  try {
    await model.fit(x, y, {
      epochs: EPOCHS, batchSize: BATCH, shuffle: true, verbose: 0, yieldEvery: 'never',
      // A per-batch callback makes tfjs read the loss back every batch.
      callbacks: { ...callbacks, onBatchEnd: async () => {} },
    });
    emitRate();
  } catch (e) {
    fail(ctx, e);
  }
}

type Tf = typeof import('@tensorflow/tfjs');

/** TF.js cpu: median samples/s of a few trainOnBatch calls after one warm-up. */
export async function timeBatches(
  ctx: Ctx, tf: Tf, model: import('@tensorflow/tfjs').Sequential, x: import('@tensorflow/tfjs').Tensor,
  y: import('@tensorflow/tfjs').Tensor, metric = RATE,
): Promise<void> {
  const n = x.shape[0];
  const timed = ctx.quick ? 2 : 3;
  const r = mulberry32(7);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  try {
    const rates: number[] = [];
    for (let b = 0; b < 1 + timed; b++) {
      const idx = tf.tensor1d(order.slice(b * BATCH, (b + 1) * BATCH), 'int32');
      const xb = tf.gather(x, idx), yb = tf.gather(y, idx);
      const t0 = performance.now();
      await model.trainOnBatch(xb, yb);
      const s = (performance.now() - t0) / 1000;
      tf.dispose([idx, xb, yb]);
      ctx.log(`batch ${b + 1}${b === 0 ? ' (warm-up)' : ''}: ${s.toFixed(2)} s`);
      if (b > 0) rates.push(BATCH / s);
    }
    ctx.emit({
      metric, value: median(rates), unit: 'samples/s', better: 'higher', samples: rates.length,
      note: `median of ${timed} trainOnBatch calls after 1 warm-up, not whole epochs (its embedding gradient takes seconds per batch)`,
      detail: `per batch: ${rates.map((v) => v.toFixed(2)).join(', ')} samples/s`,
    });
  } catch (e) {
    fail(ctx, e, metric);
  }
}

export function fail(ctx: Ctx, e: unknown, metric = RATE): void {
  const error = (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 300);
  ctx.emit({ metric, value: null, unit: 'samples/s', better: 'higher', error });
}
