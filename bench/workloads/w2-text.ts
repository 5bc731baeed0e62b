/**
 * W2 text classifier. Data (workloads.md): 2048 training sequences (seed 2) and 512 held-out
 * (seed 22), length 100, tokens in [0, 1000). Per sequence p ~ U(0.25, 0.75); per token one draw
 * decides (< p: low half) and one draw picks the token in its half; label 1 iff more low tokens.
 * Model: Embedding(1000, 16) → GlobalAveragePooling1D → Dense(32, relu) → Dense(1, sigmoid),
 * binary cross-entropy, Adam 1e-3, batch 32, shuffled, 5 epochs, loss read back every batch.
 * Throughput: the median of the per-epoch rates of epochs 2–5 (2048 samples / epoch wall time;
 * epoch 1 is the warm-up). Accuracy: held-out, after the 5 epochs.
 */
import { median, mulberry32 } from '../lib/common';
import { epochRate } from '../lib/epoch-rate';
import type { Ctx } from './index';

const LEN = 100, VOCAB = 1000, EPOCHS = 5, BATCH = 32;
const RATE = 'training, epochs 2–5 (median)';
const ACC = 'held-out accuracy after 5 epochs';

export function makeData(n: number, seed: number): { x: Int32Array; y: Float32Array } {
  const r = mulberry32(seed);
  const x = new Int32Array(n * LEN), y = new Float32Array(n);
  for (let s = 0; s < n; s++) {
    const p = 0.25 + 0.5 * r();
    let low = 0;
    for (let t = 0; t < LEN; t++) {
      const isLow = r() < p;
      x[s * LEN + t] = isLow ? Math.floor(r() * 500) : 500 + Math.floor(r() * 500);
      if (isLow) low++;
    }
    y[s] = low > LEN - low ? 1 : 0;
  }
  return { x, y };
}

export async function run(ctx: Ctx): Promise<void> {
  const train = makeData(2048, 2), test = makeData(512, 22);
  const nTrain = 2048;
  const { callbacks, emit: emitRate } = epochRate(ctx, nTrain, RATE);

  const lib = ctx.lib;
  if (lib.kind === 'ferrite') {
    const fe = lib.fe;
    fe.setRandomSeed(1);
    const x = fe.tensor(train.x, [nTrain, LEN], 'int32'), y = fe.tensor(train.y, [nTrain, 1]);
    const xt = fe.tensor(test.x, [512, LEN], 'int32'), yt = fe.tensor(test.y, [512, 1]);
    const model = fe.sequential({
      layers: [
        fe.layers.embedding({ inputDim: VOCAB, outputDim: 16, inputLength: LEN }),
        fe.layers.globalAveragePooling1d(),
        fe.layers.dense({ units: 32, activation: 'relu' }),
        fe.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    model.compile({ optimizer: fe.train.adam(1e-3), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    try {
      // fit reads the loss back every batch.
      await model.fit(x, y, { epochs: EPOCHS, batchSize: BATCH, shuffle: true, verbose: 0, callbacks });
      emitRate();
      const [, acc] = model.evaluate(xt, yt) as InstanceType<typeof fe.Tensor>[];
      ctx.emit({ metric: ACC, value: acc.dataSync()[0] });
    } catch (e) {
      fail(ctx, e);
    }
    return;
  }

  const tf = lib.tf;
  const x = tf.tensor2d(train.x, [nTrain, LEN], 'int32'), y = tf.tensor2d(train.y, [nTrain, 1]);
  const xt = tf.tensor2d(test.x, [512, LEN], 'int32'), yt = tf.tensor2d(test.y, [512, 1]);
  const model = tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: VOCAB, outputDim: 16, inputLength: LEN }),
      tf.layers.globalAveragePooling1d(),
      tf.layers.dense({ units: 32, activation: 'relu' }),
      tf.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy', metrics: ['accuracy'] });

  if (lib.build === 'cpu') {
    // Its embedding gradient takes seconds per batch: time a few batches with trainOnBatch
    // (which reads the loss back) instead of 5 epochs.
    const timed = ctx.quick ? 2 : 3;
    const r = mulberry32(7);
    const order = Array.from({ length: nTrain }, (_, i) => i);
    for (let i = nTrain - 1; i > 0; i--) {
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
        metric: RATE, value: median(rates), unit: 'samples/s', better: 'higher', samples: rates.length,
        note: `median of ${timed} trainOnBatch calls after 1 warm-up, not 4 epochs (each batch takes seconds)`,
        detail: `per batch: ${rates.map((v) => v.toFixed(2)).join(', ')} samples/s`,
      });
      ctx.emit({ metric: ACC, value: null, note: 'not measured: 5 epochs (320 batches) would take about 45 min' });
    } catch (e) {
      fail(ctx, e);
    }
    return;
  }

  try {
    await model.fit(x, y, {
      epochs: EPOCHS, batchSize: BATCH, shuffle: true, verbose: 0, yieldEvery: 'never',
      // A per-batch callback makes tfjs read the loss back every batch.
      callbacks: { ...callbacks, onBatchEnd: async () => {} },
    });
    emitRate();
    const [, acc] = model.evaluate(xt, yt) as import('@tensorflow/tfjs').Scalar[];
    ctx.emit({ metric: ACC, value: (await acc.data())[0] });
  } catch (e) {
    fail(ctx, e);
  }
}

function fail(ctx: Ctx, e: unknown): void {
  const error = e instanceof Error ? e.message : String(e);
  ctx.emit({ metric: RATE, value: null, unit: 'samples/s', better: 'higher', error });
  ctx.emit({ metric: ACC, value: null, error });
}
