// Interchange with TensorFlow.js (@tensorflow/tfjs, cpu backend): for every layer type both
// libraries have, a model saved by ferrite loads in tf.loadLayersModel and predicts the same
// values, and a model built and saved by TensorFlow.js loads in fe.loadLayersModel and
// predicts the same values (to 1e-5). Also: the JSON ferrite writes uses TensorFlow.js' class
// names, config keys and weight names, and both directions work through files on disk.
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { BACKENDS, useBackend } from './helpers/backends';
import { mulberry32, uniform } from './helpers/reference';

type Pythonic = Record<string, unknown>;

/** One layer type, built the same way in both libraries. */
interface Case {
  name: string;
  inputShape: number[];
  /** int32 token ids below `ids` instead of floats. */
  ids?: number;
  /** Zeros at the start of each row (padding, for masks). */
  padded?: boolean;
  fe: () => fe.layers.Layer[];
  tf: () => tf.layers.Layer[];
}

const CASES: Case[] = [
  {
    name: 'Dense, Dropout, Activation',
    inputShape: [5],
    fe: () => [
      fe.layers.dense({ units: 7, activation: 'relu', inputShape: [5] }),
      fe.layers.dropout({ rate: 0.3 }),
      fe.layers.dense({ units: 4, activation: 'tanh', useBias: false }),
      fe.layers.activation({ activation: 'softmax' }),
    ],
    tf: () => [
      tf.layers.dense({ units: 7, activation: 'relu', inputShape: [5] }),
      tf.layers.dropout({ rate: 0.3 }),
      tf.layers.dense({ units: 4, activation: 'tanh', useBias: false }),
      tf.layers.activation({ activation: 'softmax' }),
    ],
  },
  {
    name: 'Embedding, Flatten, Dense',
    inputShape: [6],
    ids: 11,
    fe: () => [
      fe.layers.embedding({ inputDim: 11, outputDim: 3, inputLength: 6 }),
      fe.layers.flatten(),
      fe.layers.dense({ units: 2, activation: 'sigmoid' }),
    ],
    tf: () => [
      tf.layers.embedding({ inputDim: 11, outputDim: 3, inputLength: 6 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2, activation: 'sigmoid' }),
    ],
  },
  {
    name: 'Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D',
    inputShape: [9, 8, 3],
    fe: () => [
      fe.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [9, 8, 3] }),
      fe.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
      fe.layers.conv2d({ filters: 5, kernelSize: [2, 3], strides: [1, 2], activation: 'elu' }),
      fe.layers.averagePooling2d({ poolSize: [2, 1], strides: 1 }),
      fe.layers.globalAveragePooling2d(),
    ],
    tf: () => [
      tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [9, 8, 3] }),
      tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
      tf.layers.conv2d({ filters: 5, kernelSize: [2, 3], strides: [1, 2], activation: 'elu' }),
      tf.layers.averagePooling2d({ poolSize: [2, 1], strides: 1 }),
      tf.layers.globalAveragePooling2d({}),
    ],
  },
  {
    name: 'Conv2D (dilated), GlobalMaxPooling2D',
    inputShape: [7, 7, 2],
    fe: () => [
      fe.layers.conv2d({ filters: 3, kernelSize: 3, dilationRate: 2, inputShape: [7, 7, 2] }),
      fe.layers.globalMaxPooling2d(),
    ],
    tf: () => [
      tf.layers.conv2d({ filters: 3, kernelSize: 3, dilationRate: 2, inputShape: [7, 7, 2] }),
      tf.layers.globalMaxPooling2d({}),
    ],
  },
  {
    name: 'Conv1D (dilated, same), GlobalAveragePooling1D',
    inputShape: [10, 3],
    fe: () => [
      fe.layers.conv1d({ filters: 4, kernelSize: 3, dilationRate: 2, inputShape: [10, 3] }),
      fe.layers.conv1d({ filters: 2, kernelSize: 2, padding: 'same', activation: 'sigmoid' }),
      fe.layers.globalAveragePooling1d(),
    ],
    tf: () => [
      tf.layers.conv1d({ filters: 4, kernelSize: 3, dilationRate: 2, inputShape: [10, 3] }),
      tf.layers.conv1d({ filters: 2, kernelSize: 2, padding: 'same', activation: 'sigmoid' }),
      tf.layers.globalAveragePooling1d({}),
    ],
  },
  {
    name: 'BatchNormalization (dense and conv features)',
    inputShape: [4, 4, 3],
    fe: () => [
      fe.layers.batchNormalization({ inputShape: [4, 4, 3] }),
      fe.layers.flatten(),
      fe.layers.dense({ units: 5 }),
      fe.layers.batchNormalization({ epsilon: 0.01, center: false }),
    ],
    tf: () => [
      tf.layers.batchNormalization({ inputShape: [4, 4, 3] }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 5 }),
      tf.layers.batchNormalization({ epsilon: 0.01, center: false }),
    ],
  },
  {
    name: 'LSTM (returnSequences, goBackwards)',
    inputShape: [5, 3],
    fe: () => [
      fe.layers.lstm({ units: 4, returnSequences: true, inputShape: [5, 3] }),
      fe.layers.lstm({ units: 3, goBackwards: true, recurrentActivation: 'hardSigmoid' }),
    ],
    tf: () => [
      tf.layers.lstm({ units: 4, returnSequences: true, inputShape: [5, 3], recurrentActivation: 'sigmoid' }),
      tf.layers.lstm({ units: 3, goBackwards: true }),
    ],
  },
  {
    name: 'GRU (resetAfter false)',
    inputShape: [6, 2],
    fe: () => [
      fe.layers.gru({ units: 5, resetAfter: false, returnSequences: true, inputShape: [6, 2] }),
      fe.layers.gru({ units: 3, resetAfter: false, recurrentActivation: 'hardSigmoid' }),
    ],
    tf: () => [
      tf.layers.gru({ units: 5, returnSequences: true, inputShape: [6, 2], recurrentActivation: 'sigmoid' }),
      tf.layers.gru({ units: 3 }),
    ],
  },
  {
    name: 'SimpleRNN',
    inputShape: [4, 3],
    fe: () => [fe.layers.simpleRNN({ units: 5, returnSequences: true, inputShape: [4, 3] }), fe.layers.simpleRNN({ units: 2, activation: 'relu' })],
    tf: () => [tf.layers.simpleRNN({ units: 5, returnSequences: true, inputShape: [4, 3] }), tf.layers.simpleRNN({ units: 2, activation: 'relu' })],
  },
  {
    name: 'Bidirectional (LSTM concat, GRU sum, SimpleRNN ave)',
    inputShape: [5, 3],
    fe: () => [
      fe.layers.bidirectional({ layer: fe.layers.lstm({ units: 3, returnSequences: true }), inputShape: [5, 3] }),
      fe.layers.bidirectional({ layer: fe.layers.gru({ units: 2, resetAfter: false, returnSequences: true }), mergeMode: 'sum' }),
      fe.layers.bidirectional({ layer: fe.layers.simpleRNN({ units: 2 }), mergeMode: 'ave' }),
    ],
    tf: () => [
      tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true }) as tf.RNN, inputShape: [5, 3] }),
      tf.layers.bidirectional({ layer: tf.layers.gru({ units: 2, returnSequences: true }) as tf.RNN, mergeMode: 'sum' }),
      tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: 2 }) as tf.RNN, mergeMode: 'ave' }),
    ],
  },
  {
    name: 'TimeDistributed (Dense), RepeatVector, Reshape',
    inputShape: [4, 3],
    fe: () => [
      fe.layers.timeDistributed({ layer: fe.layers.dense({ units: 5, activation: 'relu' }), inputShape: [4, 3] }),
      fe.layers.lstm({ units: 2 }),
      fe.layers.repeatVector({ n: 3 }),
      fe.layers.reshape({ targetShape: [6] }),
    ],
    tf: () => [
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 5, activation: 'relu' }), inputShape: [4, 3] }),
      tf.layers.lstm({ units: 2 }),
      tf.layers.repeatVector({ n: 3 }),
      tf.layers.reshape({ targetShape: [6] }),
    ],
  },
  {
    name: 'Embedding (maskZero) into a masked LSTM',
    inputShape: [7],
    ids: 9,
    padded: true,
    fe: () => [
      fe.layers.embedding({ inputDim: 9, outputDim: 4, inputLength: 7, maskZero: true }),
      fe.layers.lstm({ units: 3 }),
      fe.layers.dense({ units: 2, activation: 'softmax' }),
    ],
    tf: () => [
      tf.layers.embedding({ inputDim: 9, outputDim: 4, inputLength: 7, maskZero: true }),
      tf.layers.lstm({ units: 3, recurrentActivation: 'sigmoid' }),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  },
];

const BATCH = 3;

function inputData(c: Case, seed: number): { values: Float32Array | Int32Array; shape: number[] } {
  const shape = [BATCH, ...c.inputShape];
  const n = shape.reduce((a, b) => a * b, 1);
  const rng = mulberry32(seed);
  if (c.ids) {
    const v = Int32Array.from({ length: n }, () => Math.floor(rng() * c.ids!));
    if (c.padded) {
      // Row b starts with b zeros (padding), the rest non-zero.
      const len = c.inputShape[0];
      for (let b = 0; b < BATCH; b++) for (let t = 0; t < len; t++) v[b * len + t] = t < b ? 0 : 1 + (v[b * len + t] % (c.ids - 1));
    }
    return { values: v, shape };
  }
  return { values: uniform(rng, n, -1, 1), shape };
}

/** Random values for every weight (variances positive), so no weight is left at its initial value. */
function randomWeight(name: string, shape: number[], seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return /moving_variance/.test(name) ? uniform(mulberry32(seed), n, 0.5, 1.5) : uniform(mulberry32(seed), n, -0.6, 0.6);
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  if (!(worst <= tol)) throw new Error(`max |difference| ${worst} > ${tol}\n got ${Array.from(got).slice(0, 12).join(', ')}\nwant ${Array.from(want).slice(0, 12).join(', ')}`);
}

async function tfArtifacts(model: tf.LayersModel, includeOptimizer = false): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }), { includeOptimizer });
  return saved!;
}

async function feArtifacts(model: fe.LayersModel, includeOptimizer = false): Promise<fe.io.ModelArtifacts> {
  let saved: fe.io.ModelArtifacts | null = null;
  await model.save(fe.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: fe.io.getModelArtifactsInfoForJSON(a) };
  }), { includeOptimizer });
  return saved!;
}

function feModel(c: Case, seed: number): fe.Sequential {
  const model = fe.sequential({ layers: c.fe() });
  model.build();
  model.setWeights(model.weights.map((w, i) => fe.tensor(randomWeight(w.name ?? '', w.shape, seed + i), w.shape)));
  return model;
}

function tfModel(c: Case, seed: number): tf.Sequential {
  const model = tf.sequential({ layers: c.tf() });
  model.setWeights(model.weights.map((w, i) => tf.tensor(randomWeight(w.originalName, w.shape as number[], seed + i), w.shape as number[])));
  return model;
}

function fePredict(model: fe.LayersModel, x: { values: Float32Array | Int32Array; shape: number[] }): Float32Array {
  const t = fe.tensor(x.values, x.shape, x.values instanceof Int32Array ? 'int32' : 'float32');
  const y = model.predict(t) as fe.Tensor;
  const out = Float32Array.from(y.dataSync());
  t.dispose();
  y.dispose();
  return out;
}

function tfPredict(model: tf.LayersModel, x: { values: Float32Array | Int32Array; shape: number[] }): Float32Array {
  return tf.tidy(() => {
    const t = tf.tensor(x.values, x.shape, x.values instanceof Int32Array ? 'int32' : 'float32');
    return Float32Array.from((model.predict(t) as tf.Tensor).dataSync());
  });
}

/** The layer configs of a model.json topology. */
function layerConfigs(topology: unknown): { class_name: string; config: Pythonic }[] {
  return ((topology as Pythonic).config as Pythonic).layers as { class_name: string; config: Pythonic }[];
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('the JSON ferrite writes is the JSON TensorFlow.js writes', () => {
  beforeAll(() => useBackend('js'));

  it.each(CASES.map((c, i) => [c.name, i] as const))('%s: same class names, config keys ⊆ TensorFlow.js\', same weight names and shapes', async (_n, i) => {
    const c = CASES[i];
    const ours = await feArtifacts(feModel(c, 1));
    const theirs = await tfArtifacts(tfModel(c, 1));
    expect(ours.format).toBe('layers-model');
    expect((ours.modelTopology as Pythonic).class_name).toBe('Sequential');
    const a = layerConfigs(ours.modelTopology), b = layerConfigs(theirs.modelTopology);
    expect(a.map((l) => l.class_name)).toEqual(b.map((l) => l.class_name));
    const keysOf = (cfg: Pythonic, into: Set<string>, prefix = '') => {
      for (const [k, v] of Object.entries(cfg)) {
        into.add(prefix + k);
        // Nested layers (wrappers) by key path; initializers are compared by class below.
        if (k === 'layer' && v && typeof v === 'object') keysOf(((v as Pythonic).config ?? {}) as Pythonic, into, `${prefix}layer.`);
      }
      return into;
    };
    a.forEach((l, j) => {
      const theirKeys = keysOf(b[j].config, new Set());
      const extra = [...keysOf(l.config, new Set())].filter((k) => !theirKeys.has(k));
      expect(extra, `${l.class_name} keys TensorFlow.js does not write`).toEqual([]);
      // The same values where both libraries have no defaults of their own.
      for (const k of ['units', 'filters', 'kernel_size', 'strides', 'padding', 'pool_size', 'rate', 'input_dim', 'output_dim', 'merge_mode', 'return_sequences', 'go_backwards', 'axis', 'epsilon', 'momentum', 'data_format', 'dilation_rate', 'target_shape', 'n']) {
        if (k in b[j].config) expect(l.config[k], `${l.class_name}.${k}`).toEqual(b[j].config[k]);
      }
    });
    // Weight names and shapes: TensorFlow.js' layer names differ ('dense_Dense1' for 'dense'),
    // the rest of each path must not. (TensorFlow.js lists trainable weights first; by name it
    // does not matter.)
    const norm = (s: string) => s.split('/').slice(1).map((p) => p.replace(/_[A-Z][A-Za-z0-9]*?\d+$/, '').replace(/_\d+$/, '')).join('/');
    const key = (w: { name: string; shape: number[] }) => `${norm(w.name)} [${w.shape.join(',')}]`;
    expect(ours.weightSpecs!.map(key).sort()).toEqual(theirs.weightSpecs!.map(key).sort());
    const ws = ours.weightSpecs!;
    // Every weight name starts with its layer's name.
    const names = a.map((l) => String(l.config.name));
    for (const w of ws) expect(names).toContain(w.name.split('/')[0]);
  });
});

describe.each(BACKENDS)('interchange with TensorFlow.js on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(CASES.map((c, i) => [c.name, i] as const))('%s: saved by ferrite, loaded by tf.loadLayersModel, same predictions', async (_n, i) => {
    const c = CASES[i];
    const model = feModel(c, 10 * i + 3);
    const x = inputData(c, i + 100);
    const want = fePredict(model, x);
    const artifacts = await feArtifacts(model);
    // Through JSON text, as a file would carry it.
    const json = JSON.parse(JSON.stringify({ ...artifacts, weightData: undefined })) as tf.io.ModelArtifacts;
    const loaded = await tf.loadLayersModel(tf.io.fromMemory({ ...json, weightData: artifacts.weightData as ArrayBuffer }));
    expectClose(tfPredict(loaded, x), want);
    loaded.dispose();
    model.dispose();
  });

  it.each(CASES.map((c, i) => [c.name, i] as const))('%s: saved by TensorFlow.js, loaded by fe.loadLayersModel, same predictions', async (_n, i) => {
    const c = CASES[i];
    const model = tfModel(c, 10 * i + 7);
    const x = inputData(c, i + 200);
    const want = tfPredict(model, x);
    const artifacts = await tfArtifacts(model);
    const json = JSON.parse(JSON.stringify({ ...artifacts, weightData: undefined })) as fe.io.ModelArtifacts;
    const loaded = await fe.loadLayersModel(fe.io.fromMemory({ ...json, weightData: artifacts.weightData as ArrayBuffer }));
    expectClose(fePredict(loaded, x), want);
    // And back to TensorFlow.js: the round trip keeps the values.
    const again = await tf.loadLayersModel(tf.io.fromMemory(await feArtifacts(loaded) as tf.io.ModelArtifacts));
    expectClose(tfPredict(again, x), want);
    again.dispose();
    loaded.dispose();
    model.dispose();
  });
});

describe('interchange through files on disk', () => {
  let dir: string;
  beforeAll(async () => {
    await useBackend('js');
    dir = mkdtempSync(join(tmpdir(), 'ferrite-io-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ferrite writes model.json + weights.bin as tfjs-node does; TensorFlow.js reads them', async () => {
    const c = CASES[9];
    const model = feModel(c, 5);
    const x = inputData(c, 9);
    await model.save(`file://${dir}/ours`);
    const json = JSON.parse(readFileSync(join(dir, 'ours', 'model.json'), 'utf8'));
    expect(Object.keys(json).sort()).toEqual(['convertedBy', 'format', 'generatedBy', 'modelTopology', 'weightsManifest']);
    expect(json.weightsManifest).toEqual([{ paths: ['weights.bin'], weights: expect.any(Array) }]);
    const bin = readFileSync(join(dir, 'ours', 'weights.bin'));
    const total = model.weights.reduce((n, w) => n + 4 * w.size, 0);
    expect(bin.byteLength).toBe(total);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }));
    expectClose(tfPredict(loaded, x), fePredict(model, x));
  });

  it('TensorFlow.js files (sharded weights, a manifest in two groups) load with file://', async () => {
    const c = CASES[2];
    const model = tfModel(c, 8);
    const x = inputData(c, 4);
    const a = await tfArtifacts(model);
    // As the converter writes: groups of shards; every shard's bytes in order.
    const data = new Uint8Array(a.weightData as ArrayBuffer);
    const specs = a.weightSpecs!;
    const half = 2;
    const bytesOf = (s: tf.io.WeightsManifestEntry) => 4 * s.shape.reduce((p, d) => p * d, 1);
    const cut = specs.slice(0, half).reduce((n, s) => n + bytesOf(s), 0);
    const sub = join(dir, 'theirs');
    rmSync(sub, { recursive: true, force: true });
    (await import('node:fs')).mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'group1-shard1of2.bin'), data.subarray(0, 10));
    writeFileSync(join(sub, 'group1-shard2of2.bin'), data.subarray(10, cut));
    writeFileSync(join(sub, 'group2-shard1of1.bin'), data.subarray(cut));
    writeFileSync(join(sub, 'model.json'), JSON.stringify({
      modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, convertedBy: null,
      weightsManifest: [
        { paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: specs.slice(0, half) },
        { paths: ['group2-shard1of1.bin'], weights: specs.slice(half) },
      ],
    }));
    const loaded = await fe.loadLayersModel(`file://${sub}/model.json`);
    expectClose(fePredict(loaded, x), tfPredict(model, x));
    // A directory works too.
    const again = await fe.loadLayersModel(`file://${sub}`);
    expectClose(fePredict(again, x), tfPredict(model, x));
  });
});
