// Training gives the same weights, bit for bit, on 1, 2 and 3 threads of a threaded wasm
// build: W2's text classifier, W4's CNN and W5's GRU tagger (../shared/workloads.md), a few
// Adam steps each from the same initial weights and data. Every kernel splits only its
// output, so every element is computed by the same instructions in the same order.
import * as v8 from 'node:v8';
import { afterAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { ENGINE } from '../ts/engine';
import { WasmBackend } from '../ts/backend/wasm/wasm-backend';
import { syntheticTokens } from './helpers/backends';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

afterAll(() => fe.dispose());

/** mulberry32 values in [0, 1). */
function uniform(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  return out;
}

interface Workload {
  name: string;
  /** Builds the model (the seed is set just before), returns it with its data. */
  make: () => { model: fe.Sequential; x: fe.Tensor; y: fe.Tensor };
}

const WORKLOADS: Workload[] = [
  {
    name: 'W2 text classifier',
    make: () => {
      const { x, y } = syntheticTokens(96, 100, 2);
      const model = fe.sequential({ layers: [
        fe.layers.embedding({ inputDim: 1000, outputDim: 16, inputLength: 100 }),
        fe.layers.globalAveragePooling1d(),
        fe.layers.dense({ units: 32, activation: 'relu' }),
        fe.layers.dense({ units: 1, activation: 'sigmoid' }),
      ] });
      model.compile({ optimizer: fe.train.adam(1e-3), loss: 'binaryCrossentropy' });
      return { model, x: fe.tensor(x, [96, 100], 'int32'), y: fe.tensor(y, [96, 1]) };
    },
  },
  {
    name: 'W4 CNN',
    make: () => {
      const n = 64;
      const labels = uniform(n, 40);
      const y = new Float32Array(n * 10);
      labels.forEach((u, i) => { y[i * 10 + Math.floor(u * 10)] = 1; });
      const model = fe.sequential({ layers: [
        fe.layers.conv2d({ inputShape: [28, 28, 3], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
        fe.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
        fe.layers.maxPooling2d({ poolSize: 2 }),
        fe.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
        fe.layers.maxPooling2d({ poolSize: 2 }),
        fe.layers.flatten(),
        fe.layers.dense({ units: 128, activation: 'relu' }),
        fe.layers.dense({ units: 10, activation: 'softmax' }),
      ] });
      model.compile({ optimizer: fe.train.adam(1e-3), loss: 'categoricalCrossentropy' });
      return { model, x: fe.tensor(uniform(n * 28 * 28 * 3, 4), [n, 28, 28, 3]), y: fe.tensor(y, [n, 10]) };
    },
  },
  {
    name: 'W5 GRU tagger',
    make: () => {
      const n = 64;
      const tokens = Int32Array.from(uniform(n * 32, 5), (u) => Math.floor(u * 1000));
      const tags = tokens.map((_, i) => (i % 32 === 0 ? 0 : tokens[i - 1]));
      const model = fe.sequential({ layers: [
        fe.layers.embedding({ inputDim: 1000, outputDim: 64, inputLength: 32 }),
        fe.layers.gru({ units: 64, returnSequences: true }),
        fe.layers.timeDistributed({ layer: fe.layers.dense({ units: 1000, activation: 'softmax' }) }),
      ] });
      model.compile({ optimizer: fe.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
      return { model, x: fe.tensor(tokens, [n, 32], 'int32'), y: fe.tensor(tags, [n, 32], 'int32') };
    },
  },
];

/** Trains a fresh model for a few batches; returns every weight's bits and the job count. */
async function train(w: Workload): Promise<{ weights: Uint32Array[]; jobs: number; loss: number }> {
  const x = (ENGINE.backend as WasmBackend).exports;
  fe.setRandomSeed(11);
  const { model, x: xs, y: ys } = w.make();
  const jobs0 = x.ferrite_threads_jobs();
  const history = await model.fit(xs, ys, { epochs: 1, batchSize: 32, shuffle: false, verbose: 0 });
  const weights = model.getWeights().map((t) => new Uint32Array(new Float32Array(t.dataSync()).buffer));
  const loss = history.history.loss[0] as number;
  fe.dispose([xs, ys]);
  model.dispose?.();
  return { weights, jobs: x.ferrite_threads_jobs() - jobs0, loss };
}

describe.each(['simd', 'relaxed'] as const)('training on the %s-threads build', (simd) => {
  it.each(WORKLOADS.map((w) => [w.name, w] as const))('%s: every weight is the same bits on 1, 2 and 3 threads', async (_, w) => {
    await fe.ready({ backend: 'wasm', build: `${simd}-threads`, relaxedSimd: true, threads: 1 });
    const one = await train(w);
    expect(Number.isFinite(one.loss)).toBe(true);
    expect(one.jobs).toBe(0);
    for (const threads of [2, 3]) {
      await fe.ready({ threads });
      const got = await train(w);
      // The kernels did run on several threads.
      expect(got.jobs).toBeGreaterThan(0);
      expect(got.weights.length).toBe(one.weights.length);
      got.weights.forEach((bits, i) => {
        const at = bits.findIndex((b, k) => b !== one.weights[i][k]);
        expect(at, `${w.name}, weight ${i}, ${threads} threads: first difference at element ${at}`).toBe(-1);
      });
      expect(got.loss).toBe(one.loss);
    }
  });
});
