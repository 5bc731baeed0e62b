/**
 * W4 CNN (seed 002 §4.2). Data (workloads.md): 1024 images 28×28×3 NHWC, one mulberry32 stream
 * (seed 4) giving the image values U[0, 1) in row-major order, then the 1024 labels
 * ⌊10·u⌋. Model: Conv2D(16, 3×3, same, relu) → Conv2D(32, 3×3, same, relu) → MaxPool 2×2 →
 * Conv2D(64, 3×3, same, relu) → MaxPool 2×2 → Flatten → Dense(128, relu) → Dense(10);
 * softmax cross-entropy on the logits (one-hot labels), Adam 1e-3, batch 32, shuffled.
 *
 * - Inference (measured first, on the freshly initialised model): predict at batch 256 over
 *   the 1024 images, read back; median of 3 runs after 1 warm-up.
 * - Training: model.fit epochs of 1024 samples (32 batches, the loss read back every batch);
 *   epoch 1 is the warm-up, the value is the median rate of epochs 2–3.
 * - The plain-JS backends would need minutes per epoch: they time single trainOnBatch calls
 *   after one warm-up call, and predict one batch of 256.
 * - The alternating builds (lib/alternate.ts) take turns on 1 thread and every core: 5
 *   inference runs and 3 epochs on each side, after the same warm-ups.
 */
import { alternation, emitAlternating, takeTurns, type Alternation } from '../lib/alternate';
import { isPlainJs, median, mulberry32 } from '../lib/common';
import type { Ctx } from './index';

const N = 1024, H = 28, W = 28, C = 3, CLASSES = 10, BATCH = 32, INFER_BATCH = 256;
const TRAIN = 'training, epochs 2–3 (median)';
const INFER = 'inference, batch 256';

export function makeData(): { x: Float32Array; y: Float32Array } {
  const r = mulberry32(4);
  const x = new Float32Array(N * H * W * C);
  for (let i = 0; i < x.length; i++) x[i] = r();
  const y = new Float32Array(N * CLASSES);
  for (let s = 0; s < N; s++) y[s * CLASSES + Math.floor(r() * CLASSES)] = 1;
  return { x, y };
}

/** The library-neutral view of a model the measurements need. */
interface Runner {
  predict(x: unknown, n: number): Promise<void>;
  fitEpoch(): Promise<number>;
  trainBatch(b: number): Promise<number>;
}

export async function run(ctx: Ctx): Promise<void> {
  const { x, y } = makeData();
  const plainJs = isPlainJs(ctx.lib.kind, ctx.lib.build);
  const runner = ctx.lib.kind === 'ferrite' ? ferrite(ctx, x, y) : tfjs(ctx, x, y);
  const alt = alternation(ctx);
  if (alt) return alternating(ctx, alt, runner);

  // Inference.
  try {
    const n = plainJs ? INFER_BATCH : N;
    await runner.predict(null, n); // warm-up
    const rates: number[] = [];
    for (let i = 0; i < (plainJs ? 1 : 3); i++) {
      const t0 = performance.now();
      await runner.predict(null, n);
      rates.push(n / ((performance.now() - t0) / 1000));
    }
    ctx.emit({
      metric: INFER, value: median(rates), unit: 'samples/s', better: 'higher', samples: rates.length,
      note: plainJs ? 'one batch of 256 after a warm-up (plain JS: seconds per batch)' : undefined,
      detail: `${n} images per run; runs: ${rates.map((v) => v.toFixed(0)).join(', ')} samples/s`,
    });
  } catch (e) {
    ctx.emit({ metric: INFER, value: null, unit: 'samples/s', better: 'higher', error: message(e) });
  }

  // Training.
  try {
    if (plainJs) {
      const timed = ctx.lib.kind === 'tfjs' ? (ctx.quick ? 1 : 2) : ctx.quick ? 2 : 3;
      const rates: number[] = [];
      for (let b = 0; b <= timed; b++) {
        const s = await runner.trainBatch(b);
        ctx.log(`batch ${b + 1}${b === 0 ? ' (warm-up)' : ''}: ${s.toFixed(2)} s`);
        if (b > 0) rates.push(BATCH / s);
      }
      ctx.emit({
        metric: TRAIN, value: median(rates), unit: 'samples/s', better: 'higher', samples: rates.length,
        note: `median of ${timed} trainOnBatch call${timed > 1 ? 's' : ''} after 1 warm-up, not whole epochs (each batch takes seconds)`,
        detail: `per batch: ${rates.map((v) => v.toFixed(2)).join(', ')} samples/s`,
      });
    } else {
      const seconds: number[] = [];
      for (let e = 0; e < 3; e++) {
        const s = await runner.fitEpoch();
        seconds.push(s);
        ctx.log(`epoch ${e + 1}${e === 0 ? ' (warm-up)' : ''}: ${(N / s).toFixed(0)} samples/s`);
      }
      const rates = seconds.slice(1).map((s) => N / s);
      ctx.emit({
        metric: TRAIN, value: median(rates), unit: 'samples/s', better: 'higher', samples: rates.length,
        detail: `per epoch: ${seconds.map((s) => (N / s).toFixed(0)).join(', ')} samples/s (epoch 1 excluded)`,
      });
    }
  } catch (e) {
    ctx.emit({ metric: TRAIN, value: null, unit: 'samples/s', better: 'higher', error: message(e) });
  }
}

/** Inference and training in turns on 1 thread and on every core (alternating builds). */
async function alternating(ctx: Ctx, alt: Alternation, runner: Runner): Promise<void> {
  try {
    await runner.predict(null, N); // warm-up
    const [one, all] = await takeTurns(alt, 5, async () => {
      const t0 = performance.now();
      await runner.predict(null, N);
      return N / ((performance.now() - t0) / 1000);
    });
    emitAlternating(ctx, alt, INFER, 'samples/s', 'higher', one, all);
  } catch (e) {
    ctx.emit({ metric: INFER, value: null, unit: 'samples/s', better: 'higher', error: message(e) });
  }
  try {
    ctx.log(`epoch 1 (warm-up): ${(N / (await runner.fitEpoch())).toFixed(0)} samples/s`);
    const [one, all] = await takeTurns(alt, 3, async () => N / (await runner.fitEpoch()));
    emitAlternating(ctx, alt, 'training', 'samples/s', 'higher', one, all);
  } catch (e) {
    ctx.emit({ metric: TRAIN, value: null, unit: 'samples/s', better: 'higher', error: message(e) });
  }
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 300);
}

function ferrite(ctx: Ctx, xv: Float32Array, yv: Float32Array): Runner {
  if (ctx.lib.kind !== 'ferrite') throw new Error('unreachable');
  const fe = ctx.lib.fe;
  fe.setRandomSeed(1);
  const x = fe.tensor(xv, [N, H, W, C]), y = fe.tensor(yv, [N, CLASSES]);
  const model = fe.sequential({
    layers: [
      fe.layers.conv2d({ inputShape: [H, W, C], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
      fe.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
      fe.layers.maxPooling2d({ poolSize: 2 }),
      fe.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
      fe.layers.maxPooling2d({ poolSize: 2 }),
      fe.layers.flatten(),
      fe.layers.dense({ units: 128, activation: 'relu' }),
      // A softmax Dense under categorical cross-entropy trains on the logits (fused).
      fe.layers.dense({ units: CLASSES, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: fe.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const order = shuffled();
  return {
    async predict(_x, n) {
      const xs = n === N ? x : fe.slice(x, [0], [n]);
      const p = model.predict(xs, { batchSize: INFER_BATCH });
      p.dataSync();
      p.dispose();
      if (xs !== x) xs.dispose();
    },
    async fitEpoch() {
      const t0 = performance.now();
      // fit reads the loss back every batch.
      await model.fit(x, y, { epochs: 1, batchSize: BATCH, shuffle: true, verbose: 0 });
      return (performance.now() - t0) / 1000;
    },
    async trainBatch(b) {
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

function tfjs(ctx: Ctx, xv: Float32Array, yv: Float32Array): Runner {
  if (ctx.lib.kind !== 'tfjs') throw new Error('unreachable');
  const tf = ctx.lib.tf;
  const x = tf.tensor4d(xv, [N, H, W, C]), y = tf.tensor2d(yv, [N, CLASSES]);
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [H, W, C], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: CLASSES }),
    ],
  });
  model.compile({
    optimizer: tf.train.adam(1e-3),
    loss: (yTrue: import('@tensorflow/tfjs').Tensor, logits: import('@tensorflow/tfjs').Tensor) => tf.losses.softmaxCrossEntropy(yTrue, logits),
  });
  const order = shuffled();
  return {
    async predict(_x, n) {
      const xs = n === N ? x : x.slice([0], [n]);
      const p = model.predict(xs, { batchSize: INFER_BATCH }) as import('@tensorflow/tfjs').Tensor;
      await p.data();
      p.dispose();
      if (xs !== x) xs.dispose();
    },
    async fitEpoch() {
      const t0 = performance.now();
      await model.fit(x, y, {
        epochs: 1, batchSize: BATCH, shuffle: true, verbose: 0, yieldEvery: 'never',
        // A per-batch callback makes tfjs read the loss back every batch.
        callbacks: { onBatchEnd: async () => {} },
      });
      return (performance.now() - t0) / 1000;
    },
    async trainBatch(b) {
      const idx = tf.tensor1d(order.slice(b * BATCH, (b + 1) * BATCH), 'int32');
      const xb = tf.gather(x, idx), yb = tf.gather(y, idx);
      const t0 = performance.now();
      await model.trainOnBatch(xb, yb);
      const s = (performance.now() - t0) / 1000;
      tf.dispose([idx, xb, yb]);
      return s;
    },
  };
}

/** A fixed shuffle of the sample indices for the trainOnBatch timings. */
function shuffled(): Int32Array {
  const r = mulberry32(7);
  const order = Int32Array.from({ length: N }, (_, i) => i);
  for (let i = N - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
