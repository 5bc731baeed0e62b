/**
 * W5 GRU tagger (seed 002 §4.1). Data (workloads.md): 512 sequences (mulberry32 seed 5, drawn
 * sequence by sequence, step by step), length 32, tokens uniform in [0, 1000);
 * tag[t] = token[t − 1], tag[0] = 0. Model: Embedding(1000, 64) → GRU(64, returnSequences) →
 * TimeDistributed(Dense(1000, softmax)); sparse categorical cross-entropy per step, Adam 1e-3,
 * batch 32, shuffled, loss read back every batch. GRU with recurrent activation sigmoid;
 * ferrite uses Keras' default resetAfter = true; TensorFlow.js' GRU only has the reset before
 * the recurrent product (the same cost).
 * Throughput: the median of the per-epoch rates of epochs 2–5 (512 samples / epoch wall time;
 * epoch 1 is the warm-up).
 */
import { mulberry32 } from '../lib/common';
import { epochRate } from '../lib/epoch-rate';
import type { Ctx } from './index';
import { fail, timeBatches } from './w3-lstm';

const N = 512, LEN = 32, VOCAB = 1000, EPOCHS = 5, BATCH = 32;
const RATE = 'training, epochs 2–5 (median)';

export function makeData(): { x: Int32Array; tags: Int32Array } {
  const r = mulberry32(5);
  const x = new Int32Array(N * LEN), tags = new Int32Array(N * LEN);
  for (let s = 0; s < N; s++) {
    for (let t = 0; t < LEN; t++) {
      x[s * LEN + t] = Math.floor(r() * VOCAB);
      tags[s * LEN + t] = t === 0 ? 0 : x[s * LEN + t - 1];
    }
  }
  return { x, tags };
}

export async function run(ctx: Ctx): Promise<void> {
  const data = makeData();
  const { callbacks, emit: emitRate, epochs } = epochRate(ctx, N, RATE);

  const lib = ctx.lib;
  if (lib.kind === 'ferrite') {
    const fe = lib.fe;
    fe.setRandomSeed(1);
    const x = fe.tensor(data.x, [N, LEN], 'int32'), y = fe.tensor(data.tags, [N, LEN], 'int32');
    const model = fe.sequential({
      layers: [
        fe.layers.embedding({ inputDim: VOCAB, outputDim: 64, inputLength: LEN }),
        fe.layers.gru({ units: 64, returnSequences: true }),
        fe.layers.timeDistributed({ layer: fe.layers.dense({ units: VOCAB, activation: 'softmax' }) }),
      ],
    });
    model.compile({ optimizer: fe.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
    try {
      await model.fit(x, y, { epochs: epochs(EPOCHS), batchSize: BATCH, shuffle: true, verbose: 0, callbacks });
      emitRate();
    } catch (e) {
      fail(ctx, e, RATE);
    }
    return;
  }

  const tf = lib.tf;
  // TF.js wants sparse targets with a trailing axis of 1.
  const x = tf.tensor2d(data.x, [N, LEN], 'int32'), y = tf.tensor3d(Float32Array.from(data.tags), [N, LEN, 1]);
  const model = tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: VOCAB, outputDim: 64, inputLength: LEN }),
      tf.layers.gru({ units: 64, returnSequences: true, recurrentActivation: 'sigmoid' }),
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: VOCAB, activation: 'softmax' }) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });

  if (lib.build === 'cpu') {
    await timeBatches(ctx, tf, model, x, y, RATE);
    return;
  }
  try {
    await model.fit(x, y, {
      epochs: EPOCHS, batchSize: BATCH, shuffle: true, verbose: 0, yieldEvery: 'never',
      callbacks: { ...callbacks, onBatchEnd: async () => {} },
    });
    emitRate();
  } catch (e) {
    fail(ctx, e, RATE);
  }
}
