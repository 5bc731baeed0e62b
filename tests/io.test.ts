// Saving and loading (ts/io): ferrite → ferrite round trips for every layer and option,
// the handlers (file://, memory, URL routing), optimizer state (includeOptimizer) that
// resumes training exactly, optimizer state exchanged with TensorFlow.js, and bad files that
// fail with clear errors and leave nothing behind.
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { BACKENDS, settleGc, useBackend } from './helpers/backends';
import { mulberry32, uniform } from './helpers/reference';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ferrite-io-'));
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function randomize(model: fe.LayersModel, seed: number): void {
  model.setWeights(model.weights.map((w, i) => {
    const n = w.size;
    const v = /moving_variance/.test(w.name ?? '') ? uniform(mulberry32(seed + i), n, 0.5, 1.5) : uniform(mulberry32(seed + i), n, -0.5, 0.5);
    return fe.tensor(v, w.shape);
  }));
}

function predict(model: fe.LayersModel, x: fe.Tensor): Float32Array {
  const y = model.predict(x) as fe.Tensor;
  const out = Float32Array.from(y.dataSync());
  y.dispose();
  return out;
}

function weightsOf(model: { getWeights(): fe.Tensor[] }): Float32Array[] {
  return model.getWeights().map((t) => {
    const v = Float32Array.from(t.dataSync());
    t.dispose();
    return v;
  });
}

async function captured(model: fe.LayersModel, config?: fe.io.SaveConfig): Promise<fe.io.ModelArtifacts> {
  const h = fe.io.toMemory();
  await model.save(h, config);
  return h.artifacts!;
}

/** Models using every layer and option ferrite has, with the input they take. */
const ROUND_TRIPS: { name: string; make: () => fe.layers.Layer[]; input: number[]; ids?: number }[] = [
  {
    name: 'Dense with every initializer kind, Dropout, Activation, Reshape, Flatten',
    input: [6],
    make: () => [
      fe.layers.dense({ units: 4, inputShape: [6], activation: 'gelu', kernelInitializer: fe.initializers.randomNormal({ stddev: 0.3, seed: 5 }), biasInitializer: fe.initializers.constant({ value: 0.25 }) }),
      fe.layers.dropout({ rate: 0.5, seed: 3 }),
      fe.layers.dense({ units: 6, activation: 'swish', kernelInitializer: 'lecunNormal', trainable: false }),
      fe.layers.reshape({ targetShape: [2, 3] }),
      fe.layers.activation({ activation: 'hardSigmoid' }),
      fe.layers.flatten(),
    ],
  },
  {
    name: 'Embedding (maskZero), GlobalAveragePooling1D',
    input: [5],
    ids: 20,
    make: () => [
      fe.layers.embedding({ inputDim: 20, outputDim: 3, inputLength: 5, maskZero: true }),
      fe.layers.globalAveragePooling1d(),
      fe.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  },
  {
    name: 'Conv1D causal, Conv2D, pooling, BatchNormalization (axis, no scale)',
    input: [8, 3],
    make: () => [
      fe.layers.conv1d({ filters: 4, kernelSize: 3, padding: 'causal', inputShape: [8, 3] }),
      fe.layers.reshape({ targetShape: [8, 4, 1] }),
      fe.layers.conv2d({ filters: 2, kernelSize: [3, 2], padding: 'same', activation: 'relu6', kernelInitializer: 'heUniform' }),
      fe.layers.batchNormalization({ axis: 3, scale: false, momentum: 0.9 }),
      fe.layers.maxPooling2d({ poolSize: [2, 2] }),
      fe.layers.averagePooling2d({ poolSize: 1 }),
      fe.layers.globalMaxPooling2d(),
    ],
  },
  {
    name: 'GRU resetAfter (Keras default), LSTM without unitForgetBias, Bidirectional mul',
    input: [4, 3],
    make: () => [
      fe.layers.gru({ units: 3, returnSequences: true, inputShape: [4, 3] }),
      fe.layers.lstm({ units: 2, returnSequences: true, unitForgetBias: false, recurrentInitializer: fe.initializers.orthogonal({ gain: 2 }) }),
      fe.layers.bidirectional({ layer: fe.layers.simpleRNN({ units: 2, useBias: false }), mergeMode: 'mul' }),
    ],
  },
  {
    name: 'TimeDistributed (Conv1D), Bidirectional with an explicit backward layer',
    input: [3, 5, 2],
    make: () => [
      fe.layers.timeDistributed({ layer: fe.layers.conv1d({ filters: 2, kernelSize: 2 }), inputShape: [3, 5, 2] }),
      fe.layers.reshape({ targetShape: [3, 8] }),
      fe.layers.bidirectional({
        layer: fe.layers.lstm({ units: 2 }),
        backwardLayer: fe.layers.gru({ units: 2, goBackwards: true, name: 'reverse_gru' }) as never,
      }),
    ],
  },
];

describe.each(BACKENDS)('save and load on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(ROUND_TRIPS.map((c, i) => [c.name, i] as const))('%s: file:// round trip gives the same config, weights and predictions', async (_n, i) => {
    const c = ROUND_TRIPS[i];
    const model = fe.sequential({ layers: c.make() });
    model.build();
    randomize(model, 7 * i);
    const shape = [2, ...c.input];
    const n = shape.reduce((a, b) => a * b, 1);
    const x = c.ids
      ? fe.tensor(Int32Array.from({ length: n }, (_, k) => (k * 7) % c.ids!), shape, 'int32')
      : fe.tensor(uniform(mulberry32(i), n, -1, 1), shape);
    const url = `file://${dir}/${backend}-rt-${i}`;
    const result = await model.save(url);
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(model.weights.reduce((s, w) => s + 4 * w.size, 0));
    // Written atomically: no temporary files left behind.
    expect(readdirSync(`${dir}/${backend}-rt-${i}`).sort()).toEqual(['model.json', 'weights.bin']);
    const loaded = await fe.loadLayersModel(`${url}/model.json`);
    expect(loaded.name).toBe(model.name);
    // The same Keras JSON (the loaded layers hold initializer objects where the originals had names).
    expect(loaded.layers.map((l) => fe.io.serializeLayer(l))).toEqual(model.layers.map((l) => fe.io.serializeLayer(l)));
    expect(loaded.layers.map((l) => l.trainable)).toEqual(model.layers.map((l) => l.trainable));
    expect(weightsOf(loaded)).toEqual(weightsOf(model));
    expect(predict(loaded, x)).toEqual(predict(model, x));
    loaded.dispose();
    model.dispose();
  });

  it('a model built by fit (no inputShape) saves its input shape in the first layer', async () => {
    const model = fe.sequential({ layers: [fe.layers.dense({ units: 2 }), fe.layers.dense({ units: 1 })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await model.fit(fe.ones([4, 3]), fe.zeros([4, 1]), { epochs: 1, verbose: 0 });
    const a = await captured(model);
    const first = ((a.modelTopology!.config as { layers: { config: Record<string, unknown> }[] }).layers[0]).config;
    expect(first.batch_input_shape).toEqual([null, 3]);
    const loaded = await fe.loadLayersModel(fe.io.fromMemory(a));
    expect(weightsOf(loaded)).toEqual(weightsOf(model));
  });

  it('an unbuilt model without an input shape cannot be saved, and says why', async () => {
    const model = fe.sequential({ layers: [fe.layers.dense({ units: 2 })] });
    await expect(model.save(fe.io.toMemory())).rejects.toThrow(/no weights yet — give its first layer an inputShape/);
  });

  it('trainableOnly saves the trainable weights; such a file loads with strict: false', async () => {
    const model = fe.sequential({ layers: [fe.layers.dense({ units: 2, inputShape: [3] }), fe.layers.batchNormalization()] });
    model.build();
    randomize(model, 3);
    const a = await captured(model, { trainableOnly: true });
    expect(a.weightSpecs!.map((s) => s.name)).toEqual(['dense/kernel', 'dense/bias', 'batch_normalization/gamma', 'batch_normalization/beta'].map((n) => n.replace('dense', model.layers[0].name).replace('batch_normalization', model.layers[1].name)));
    await expect(fe.loadLayersModel(fe.io.fromMemory(a))).rejects.toThrow(/2 of 6 weights are not in the weights manifest: .*moving_mean/);
    const loaded = await fe.loadLayersModel(fe.io.fromMemory(a), { strict: false });
    expect(weightsOf(loaded).slice(0, 4)).toEqual(weightsOf(model).slice(0, 4));
  });

  it('Keras JSON from the TensorFlow.js converter: InputLayer, model_config, functional chains, Keras 3 keys', async () => {
    const dense = (name: string, units: number, extra: Record<string, unknown> = {}) => ({
      class_name: 'Dense',
      config: { name, units, activation: 'relu', use_bias: true, kernel_initializer: { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null }, bias_initializer: 'zeros', kernel_regularizer: null, dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' } }, ...extra },
    });
    const specs = [
      { name: 'dense_a/kernel', shape: [3, 4], dtype: 'float32' as const },
      { name: 'dense_a/bias', shape: [4], dtype: 'float32' as const },
      { name: 'dense_b/kernel:0', shape: [4, 2], dtype: 'float32' as const },
      { name: 'dense_b/bias:0', shape: [2], dtype: 'float32' as const },
    ];
    const values = uniform(mulberry32(1), 12 + 4 + 8 + 2, -1, 1);
    const x = fe.tensor(uniform(mulberry32(2), 6, -1, 1), [2, 3]);
    const reference = fe.sequential({ layers: [fe.layers.dense({ units: 4, activation: 'relu', inputShape: [3] }), fe.layers.dense({ units: 2, activation: 'relu' })] });
    reference.build();
    reference.setWeights([fe.tensor(values.slice(0, 12), [3, 4]), fe.tensor(values.slice(12, 16), [4]), fe.tensor(values.slice(16, 24), [4, 2]), fe.tensor(values.slice(24), [2])]);
    const want = predict(reference, x);

    const sequentialTopology = {
      model_config: {
        class_name: 'Sequential',
        config: { name: 'keras_seq', layers: [{ class_name: 'InputLayer', config: { batch_shape: [null, 3], dtype: 'float32', name: 'input' } }, dense('dense_a', 4), dense('dense_b', 2)] },
      },
      keras_version: '3.4.1', backend: 'tensorflow',
    };
    const seq = await fe.loadLayersModel(fe.io.fromMemory({ modelTopology: sequentialTopology, weightSpecs: specs, weightData: values.buffer.slice(0) }));
    expect(seq.name).toBe('keras_seq');
    expect(predict(seq, x)).toEqual(want);

    const functionalTopology = {
      class_name: 'Functional',
      config: {
        name: 'keras_fn',
        layers: [
          { class_name: 'InputLayer', name: 'in', config: { batch_input_shape: [null, 3], name: 'in' }, inbound_nodes: [] },
          { ...dense('dense_a', 4), name: 'dense_a', inbound_nodes: [[['in', 0, 0, {}]]] },
          { ...dense('dense_b', 2), name: 'dense_b', inbound_nodes: [{ args: [{ class_name: '__keras_tensor__', config: { keras_history: ['dense_a', 0, 0] } }], kwargs: {} }] },
        ],
        input_layers: [['in', 0, 0]],
        output_layers: [['dense_b', 0, 0]],
      },
    };
    const fn = await fe.loadLayersModel(fe.io.fromMemory({ modelTopology: functionalTopology, weightSpecs: specs, weightData: values.buffer.slice(0) }));
    expect(predict(fn, x)).toEqual(want);

    // dense_b reading the input directly leaves dense_a off the path to the output: its saved weights belong to no layer.
    const branching = structuredClone(functionalTopology);
    branching.config.layers[2].inbound_nodes = [[['in', 0, 0, {}]]] as never;
    await expect(fe.loadLayersModel(fe.io.fromMemory({ modelTopology: branching, weightSpecs: specs, weightData: values.buffer.slice(0) })))
      .rejects.toThrow(/the weights manifest has 'dense_a\/kernel', which no layer of the model has/);
  });

  it('Keras recurrent weights with cell names (TF ≥ 2.2: bidirectional/forward_lstm/lstm_cell/kernel) and a reset_after GRU', async () => {
    const rnn = (cls: string, name: string, units: number, extra: Record<string, unknown>) => ({
      class_name: cls,
      config: { name, trainable: true, dtype: 'float32', units, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, return_sequences: true, return_state: false, go_backwards: false, stateful: false, unroll: false, time_major: false, dropout: 0, recurrent_dropout: 0, implementation: 2, kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } }, recurrent_initializer: { class_name: 'Orthogonal', config: { gain: 1, seed: null } }, bias_initializer: { class_name: 'Zeros', config: {} }, ...extra },
    });
    const topology = {
      keras_version: '2.15.0', backend: 'tensorflow',
      model_config: {
        class_name: 'Sequential',
        config: {
          name: 'speech',
          layers: [
            { class_name: 'InputLayer', config: { batch_input_shape: [null, 4, 3], dtype: 'float32', sparse: false, ragged: false, name: 'bidirectional_input' } },
            { class_name: 'Bidirectional', config: { name: 'bidirectional', trainable: true, dtype: 'float32', merge_mode: 'concat', layer: rnn('LSTM', 'lstm', 2, { unit_forget_bias: true }) } },
            rnn('GRU', 'gru', 3, { reset_after: true }),
          ],
        },
      },
    };
    const shapes: [string, number[]][] = [
      ['bidirectional/forward_lstm/lstm_cell/kernel', [3, 8]], ['bidirectional/forward_lstm/lstm_cell/recurrent_kernel', [2, 8]], ['bidirectional/forward_lstm/lstm_cell/bias', [8]],
      ['bidirectional/backward_lstm/lstm_cell/kernel', [3, 8]], ['bidirectional/backward_lstm/lstm_cell/recurrent_kernel', [2, 8]], ['bidirectional/backward_lstm/lstm_cell/bias', [8]],
      ['gru/gru_cell/kernel', [4, 9]], ['gru/gru_cell/recurrent_kernel', [3, 9]], ['gru/gru_cell/bias', [2, 9]],
    ];
    const sizes = shapes.map(([, s]) => s.reduce((a, b) => a * b, 1));
    const values = uniform(mulberry32(8), sizes.reduce((a, b) => a + b, 0), -0.7, 0.7);
    const loaded = await fe.loadLayersModel(fe.io.fromMemory({
      modelTopology: topology, weightSpecs: shapes.map(([name, shape]) => ({ name, shape, dtype: 'float32' })), weightData: values.buffer.slice(0),
    }));
    // The same model built directly, weights set in Keras order.
    const direct = fe.sequential({ layers: [
      fe.layers.bidirectional({ layer: fe.layers.lstm({ units: 2, returnSequences: true }), inputShape: [4, 3] }),
      fe.layers.gru({ units: 3, returnSequences: true }),
    ] });
    direct.build();
    let at = 0;
    direct.setWeights(shapes.map(([, s], i) => fe.tensor(values.slice(at, (at += sizes[i])), s)));
    const x = fe.tensor(uniform(mulberry32(9), 2 * 4 * 3, -1, 1), [2, 4, 3]);
    expect(predict(loaded, x)).toEqual(predict(direct, x));
    expect((loaded.layers[1] as fe.layers.GRU).getConfig().resetAfter).toBe(true);
  });

  it('quantized weights (uint8, uint16, float16, as the converter writes them) are dequantized', async () => {
    const topology = { class_name: 'Sequential', config: { name: 'q', layers: [{ class_name: 'Dense', config: { name: 'd', units: 2, use_bias: true, batch_input_shape: [null, 2] } }] } };
    const specs = [
      { name: 'd/kernel', shape: [2, 2], dtype: 'float32', quantization: { dtype: 'uint8' as const, scale: 0.5, min: -1 } },
      { name: 'd/bias', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' as const } },
    ];
    const bytes = new Uint8Array(4 + 4);
    bytes.set([0, 1, 2, 4], 0);
    new Uint16Array(bytes.buffer, 4, 2).set([0x3c00, 0xc000]); // 1, −2
    const m = await fe.loadLayersModel(fe.io.fromMemory({ modelTopology: topology, weightSpecs: specs, weightData: bytes.buffer }));
    expect(weightsOf(m)).toEqual([Float32Array.of(-1, -0.5, 0, 1), Float32Array.of(1, -2)]);
  });
});

describe.each(BACKENDS)('includeOptimizer on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  const OPTIMIZERS: [string, () => fe.Optimizer][] = [
    ['Adam', () => fe.train.adam(0.01)],
    ['SGD', () => fe.train.sgd(0.1)],
    ['SGD with Nesterov momentum', () => fe.train.momentum(0.05, 0.9, true)],
    ['RMSprop centered with momentum', () => fe.train.rmsprop(0.01, 0.8, 0.5, 1e-7, true)],
    ['RMSprop', () => fe.train.rmsprop(0.01)],
  ];

  it.each(OPTIMIZERS)('%s: a saved and loaded model trains on exactly as the original', async (_n, make) => {
    fe.setRandomSeed(11);
    const x = fe.tensor(uniform(mulberry32(3), 8 * 4, -1, 1), [8, 4]);
    const y = fe.tensor(uniform(mulberry32(4), 8 * 2, 0, 1), [8, 2]);
    const model = fe.sequential({ layers: [fe.layers.dense({ units: 5, activation: 'tanh', inputShape: [4] }), fe.layers.batchNormalization(), fe.layers.dense({ units: 2, activation: 'sigmoid' })] });
    model.compile({ optimizer: make(), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    for (let i = 0; i < 3; i++) model.trainOnBatch(x, y);
    const url = `file://${dir}/${backend}-opt-${_n.replace(/\W+/g, '-')}`;
    await model.save(url, { includeOptimizer: true });
    const json = JSON.parse(readFileSync(`${url.slice(7)}/model.json`, 'utf8'));
    expect(json.trainingConfig.loss).toBe('binary_crossentropy');
    expect(json.trainingConfig.metrics).toEqual(['accuracy']);
    const loaded = await fe.loadLayersModel(url);
    expect(loaded.optimizer!.className).toBe(model.optimizer!.className);
    expect(loaded.optimizer!.getConfig()).toEqual(model.optimizer!.getConfig());
    expect(loaded.optimizer!.iterations).toBe(3);
    for (let i = 0; i < 3; i++) {
      const a = model.trainOnBatch(x, y), b = loaded.trainOnBatch(x, y);
      expect(b).toEqual(a);
    }
    expect(weightsOf(loaded)).toEqual(weightsOf(model));
  });

  it('optimizer state moves to TensorFlow.js and back: the next training steps agree', async () => {
    const xv = uniform(mulberry32(5), 6 * 3, -1, 1), yv = uniform(mulberry32(6), 6 * 2, -1, 1);
    for (const [name, feOpt, tfOpt] of [
      ['Adam', () => fe.train.adam(0.05), () => tf.train.adam(0.05)],
      ['Momentum', () => fe.train.momentum(0.05, 0.9), () => tf.train.momentum(0.05, 0.9)],
      // Not centered: TensorFlow.js' centered RMSProp subtracts ε under the root (Keras and ferrite add it).
      ['RMSProp', () => fe.train.rmsprop(0.02, 0.9, 0.3, 1e-7), () => tf.train.rmsprop(0.02, 0.9, 0.3, 1e-7)],
    ] as const) {
      // ferrite trains 2 steps, TensorFlow.js takes over for 2 more; ferrite's own 2 more agree.
      const model = fe.sequential({ layers: [fe.layers.dense({ units: 4, activation: 'tanh', inputShape: [3] }), fe.layers.dense({ units: 2 })] });
      model.compile({ optimizer: feOpt(), loss: 'meanSquaredError' });
      model.build();
      randomize(model, 9);
      const x = fe.tensor(xv, [6, 3]), y = fe.tensor(yv, [6, 2]);
      model.trainOnBatch(x, y);
      model.trainOnBatch(x, y);
      const a = await captured(model, { includeOptimizer: true });
      expect(a.weightSpecs!.filter((s) => s.group === 'optimizer').map((s) => s.name.split('/').pop()))
        .toEqual(name === 'Adam' ? ['iter', 'kernel', 'bias', 'kernel', 'bias'].map((s, i) => (i === 0 ? s : 'm')).concat(['v', 'v', 'v', 'v'])
          : name === 'Momentum' ? ['iter', 'momentum', 'momentum', 'momentum', 'momentum']
            : ['iter', ...Array(4).fill('rms'), ...Array(4).fill('momentum')]);
      const theirs = await tf.loadLayersModel(tf.io.fromMemory(a as tf.io.ModelArtifacts));
      expect(theirs.optimizer.getClassName()).toBe(name);
      const tx = tf.tensor(xv, [6, 3]), ty = tf.tensor(yv, [6, 2]);
      await theirs.fit(tx, ty, { epochs: 2, batchSize: 6, shuffle: false, verbose: 0 });
      model.trainOnBatch(x, y);
      model.trainOnBatch(x, y);
      const tfW = theirs.getWeights().map((w) => Float32Array.from(w.dataSync()));
      weightsOf(model).forEach((w, i) => w.forEach((v, j) => expect(Math.abs(v - tfW[i][j]), `${name} weight ${i}[${j}]`).toBeLessThan(2e-5)));

      // Back: TensorFlow.js' state after its steps continues in ferrite as in TensorFlow.js.
      let back: tf.io.ModelArtifacts | null = null;
      await theirs.save(tf.io.withSaveHandler(async (art) => { back = art; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }), { includeOptimizer: true });
      const ours = await fe.loadLayersModel(fe.io.fromMemory(back! as fe.io.ModelArtifacts));
      expect(ours.optimizer!.iterations).toBe(4);
      await theirs.fit(tx, ty, { epochs: 1, batchSize: 6, shuffle: false, verbose: 0 });
      ours.trainOnBatch(x, y);
      const tfW2 = theirs.getWeights().map((w) => Float32Array.from(w.dataSync()));
      weightsOf(ours).forEach((w, i) => w.forEach((v, j) => expect(Math.abs(v - tfW2[i][j]), `${name} back, weight ${i}[${j}]`).toBeLessThan(2e-5)));
      theirs.dispose();
    }
  });

  it('a loss or metric given as a function cannot be saved with the optimizer, and says so', async () => {
    const model = fe.sequential({ layers: [fe.layers.dense({ units: 1, inputShape: [2] })] });
    model.compile({ optimizer: 'sgd', loss: (a, b) => fe.mean(fe.abs(fe.sub(a, b))) });
    await expect(model.save(fe.io.toMemory(), { includeOptimizer: true })).rejects.toThrow(/loss given by name/);
    // Without the optimizer it saves.
    await expect(model.save(fe.io.toMemory())).resolves.toBeDefined();
  });
});

describe('handlers', () => {
  beforeAll(() => useBackend('js'));

  function small(): fe.Sequential {
    const m = fe.sequential({ layers: [fe.layers.dense({ units: 2, inputShape: [3] })] });
    m.build();
    return m;
  }

  it('fromMemory takes artifacts, or the older (topology, specs, data) arguments, as tf.io.fromMemory', async () => {
    const model = small();
    const a = await captured(model);
    const one = await fe.loadLayersModel(fe.io.fromMemory(a));
    const old = await fe.loadLayersModel(fe.io.fromMemory(a.modelTopology!, a.weightSpecs, a.weightData));
    expect(weightsOf(one)).toEqual(weightsOf(model));
    expect(weightsOf(old)).toEqual(weightsOf(model));
    // Shards given as a list of buffers.
    const data = new Uint8Array(a.weightData as ArrayBuffer);
    const sharded = await fe.loadLayersModel(fe.io.fromMemory({ ...a, weightData: [data.slice(0, 5).buffer, data.slice(5).buffer] }));
    expect(weightsOf(sharded)).toEqual(weightsOf(model));
  });

  it('withSaveHandler passes the artifacts; the result reports sizes', async () => {
    const model = small();
    let seen: fe.io.ModelArtifacts | null = null;
    const r = await model.save(fe.io.withSaveHandler(async (a) => {
      seen = a;
      return { modelArtifactsInfo: fe.io.getModelArtifactsInfoForJSON(a) };
    }));
    expect(seen!.generatedBy).toMatch(/^ferrite v/);
    expect(r.modelArtifactsInfo.weightDataBytes).toBe(4 * (3 * 2 + 2));
    expect(r.modelArtifactsInfo.modelTopologyBytes).toBe(JSON.stringify(seen!.modelTopology).length);
  });

  it('userDefinedMetadata is saved in model.json and comes back', async () => {
    const model = small();
    model.setUserDefinedMetadata({ vocabulary: ['a', 'b'], version: 3 });
    await model.save(`file://${dir}/meta`);
    expect(JSON.parse(readFileSync(`${dir}/meta/model.json`, 'utf8')).userDefinedMetadata).toEqual({ vocabulary: ['a', 'b'], version: 3 });
    expect((await fe.loadLayersModel(`file://${dir}/meta`)).getUserDefinedMetadata()).toEqual({ vocabulary: ['a', 'b'], version: 3 });
  });

  it('URLs route by scheme; browser-only schemes say so in Node', async () => {
    const model = small();
    await expect(model.save('s3://bucket/model')).rejects.toThrow(/no handler for 's3:\/\/bucket\/model' \(known schemes: file:\/\//);
    await expect(model.save('indexeddb://m')).rejects.toThrow(/no IndexedDB/);
    await expect(model.save('downloads://m')).rejects.toThrow(/needs a browser page/);
    await expect(fe.loadLayersModel('downloads://m')).rejects.toThrow(/can only save/);
    await expect(model.save(`file://${dir}/x/model.json`)).rejects.toThrow(/save takes a directory/);
    await expect(fe.loadLayersModel({ save: async () => ({}) } as never)).rejects.toThrow(/no load method/);
  });

  it('http(s):// loads model.json and its weight files from a server, and saves by POST', async () => {
    const model = small();
    await model.save(`file://${dir}/served`);
    const files: Record<string, Buffer> = {
      '/m/model.json': readFileSync(`${dir}/served/model.json`),
      '/m/weights.bin': readFileSync(`${dir}/served/weights.bin`),
    };
    const { createServer } = await import('node:http');
    let posted: string[] = [];
    const server = createServer(async (req, res) => {
      if (req.method === 'POST') {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const body = Buffer.concat(chunks).toString('latin1');
        posted = [...body.matchAll(/form-data; name="([^"]+)"/g)].map((m) => m[1]);
        res.writeHead(200).end('ok');
        return;
      }
      const f = files[req.url ?? ''];
      if (!f) res.writeHead(404).end();
      else res.writeHead(200).end(f);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const loaded = await fe.loadLayersModel(`${base}/m/model.json`);
      expect(weightsOf(loaded)).toEqual(weightsOf(model));
      // tf.loadLayersModel's fetch options.
      const fetched: string[] = [];
      const viaOwnFetch = await fe.loadLayersModel(`${base}/m/model.json`, {
        fetchFunc: (async (u: string, init?: RequestInit) => { fetched.push(`${u} ${JSON.stringify(init?.headers)}`); return fetch(u, init); }) as typeof fetch,
        requestInit: { headers: { 'x-token': 't' } },
      });
      expect(weightsOf(viaOwnFetch)).toEqual(weightsOf(model));
      expect(fetched).toEqual([`${base}/m/model.json {"x-token":"t"}`, `${base}/m/weights.bin {"x-token":"t"}`]);
      await model.save(`${base}/upload`);
      expect(posted).toEqual(['model.json', 'model.weights.bin']);
      delete files['/m/weights.bin'];
      await expect(fe.loadLayersModel(`${base}/m/model.json`)).rejects.toThrow(/weights file '.*\/m\/weights.bin' .* could not be fetched \(status 404\)/);
    } finally {
      server.close();
    }
  });

  it('registerLayer saves and loads a custom layer class', async () => {
    class Scale extends fe.layers.Layer {
      static override readonly className = 'Scale';
      constructor(readonly factor: number, args: fe.layers.LayerArgs = {}) {
        super(args, 'scale');
      }
      call(x: fe.Tensor): fe.Tensor {
        return fe.mul(x, this.factor);
      }
      override getConfig() {
        return { ...super.getConfig(), factor: this.factor };
      }
    }
    const model = fe.sequential({ layers: [fe.layers.dense({ units: 2, inputShape: [3] }), new Scale(3)] });
    model.build();
    const a = await captured(model);
    await expect(fe.loadLayersModel(fe.io.fromMemory(a))).rejects.toThrow(/unknown layer class 'Scale' \(layer 'scale'\)/);
    const viaOption = await fe.loadLayersModel(fe.io.fromMemory(a), { customObjects: { Scale: (c) => new Scale(c.factor as number, { name: c.name as string }) } });
    expect((viaOption.layers[1] as Scale).factor).toBe(3);
    fe.io.registerLayer('Scale', { fromConfig: (c) => new Scale(c.factor as number, { name: c.name as string }) });
    const viaRegistry = await fe.loadLayersModel(fe.io.fromMemory(a));
    const x = fe.ones([1, 3]);
    expect(predict(viaRegistry, x)).toEqual(predict(model, x));
  });
});

describe.each(BACKENDS)('bad files fail clearly and leave nothing half-loaded, on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  /** Saves a two-layer model to a fresh directory; returns its path. */
  async function saved(name: string): Promise<string> {
    const m = fe.sequential({ layers: [fe.layers.dense({ units: 3, inputShape: [4] }), fe.layers.dense({ units: 2 })] });
    m.build();
    const p = `${dir}/${backend}-bad-${name}`;
    await m.save(`file://${p}`);
    m.dispose();
    return p;
  }

  /** Expects loading `url` to fail with `message`, with no tensor left alive. */
  async function failsCleanly(load: () => Promise<unknown>, message: RegExp): Promise<void> {
    await settleGc();
    const before = fe.memory().numTensors;
    await expect(load()).rejects.toThrow(message);
    await settleGc();
    expect(fe.memory().numTensors).toBe(before);
  }

  it('a truncated weights file', async () => {
    const p = await saved('truncated');
    truncateSync(`${p}/weights.bin`, 4 * (4 * 3 + 3) + 7);
    await failsCleanly(() => fe.loadLayersModel(`file://${p}/model.json`), /weights file 'weights.bin' is truncated: it has 67 bytes, the manifest's 4 tensors need 92/);
  });

  it('weight data shorter than its specs (in memory)', async () => {
    const m = fe.sequential({ layers: [fe.layers.dense({ units: 3, inputShape: [4] })] });
    m.build();
    const a = await captured(m);
    await failsCleanly(
      () => fe.loadLayersModel(fe.io.fromMemory({ ...a, weightData: (a.weightData as ArrayBuffer).slice(0, 20) })),
      /the weight data is truncated: it has 20 bytes, the weights manifest \(2 tensors\) needs 60/,
    );
  });

  it('a manifest whose shapes disagree with the topology', async () => {
    const p = await saved('shapes');
    const json = JSON.parse(readFileSync(`${p}/model.json`, 'utf8'));
    // The topology now says 4 units, the manifest and data still hold 3.
    json.modelTopology.config.layers[0].config.units = 4;
    writeFileSync(`${p}/model.json`, JSON.stringify(json));
    const name = json.modelTopology.config.layers[0].config.name;
    await failsCleanly(
      () => fe.loadLayersModel(`file://${p}/model.json`),
      new RegExp(`weight '${name}/kernel' has shape \\[4, 3\\] in the weights manifest, but layer '${name}' as the topology describes it has \\[4, 4\\]`),
    );
  });

  it('an unknown layer class, named in the error', async () => {
    const p = await saved('unknown');
    const json = JSON.parse(readFileSync(`${p}/model.json`, 'utf8'));
    json.modelTopology.config.layers[1].class_name = 'FancyAttention';
    json.modelTopology.config.layers[1].config.name = 'attn';
    writeFileSync(`${p}/model.json`, JSON.stringify(json));
    await failsCleanly(() => fe.loadLayersModel(`file://${p}`), /unknown layer class 'FancyAttention' \(layer 'attn'\); ferrite knows Dense, /);
  });

  it('a missing weights file', async () => {
    const p = await saved('missing');
    rmSync(`${p}/weights.bin`);
    await failsCleanly(() => fe.loadLayersModel(`file://${p}/model.json`), /weights file '.*weights\.bin' named in .*model\.json's weightsManifest does not exist/);
  });

  it('a missing model.json, invalid JSON, a graph model, a weight the model does not have', async () => {
    await failsCleanly(() => fe.loadLayersModel(`file://${dir}/nowhere/model.json`), /'.*nowhere\/model.json' does not exist/);
    const p = await saved('json');
    writeFileSync(`${p}/model.json`, '{"modelTopology": ');
    await failsCleanly(() => fe.loadLayersModel(`file://${p}`), /model.json is not valid JSON/);
    writeFileSync(`${p}/model.json`, JSON.stringify({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }));
    await failsCleanly(() => fe.loadLayersModel(`file://${p}`), /graph model \(tf.loadGraphModel\)/);
    const q = await saved('extra');
    const json = JSON.parse(readFileSync(`${q}/model.json`, 'utf8'));
    json.weightsManifest[0].weights[3].name = 'dense_99/bias';
    writeFileSync(`${q}/model.json`, JSON.stringify(json));
    await failsCleanly(() => fe.loadLayersModel(`file://${q}`), /the weights manifest has 'dense_99\/bias', which no layer of the model has/);
  });

  it('a failure after the weights were built and set (a bad training config) frees them all', async () => {
    const m = fe.sequential({ layers: [fe.layers.dense({ units: 50, inputShape: [40] }), fe.layers.dense({ units: 2 })] });
    m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const a = await captured(m, { includeOptimizer: true });
    m.dispose();
    const bad = { ...a, trainingConfig: { ...a.trainingConfig!, optimizer_config: { class_name: 'Nadam', config: {} } } };
    await failsCleanly(() => fe.loadLayersModel(fe.io.fromMemory(bad)), /unknown optimizer class 'Nadam'/);
    const layers = structuredClone(a.modelTopology!) as { config: { layers: { config: Record<string, unknown> }[] } };
    layers.config.layers[1].config.activation = 'no_such_activation';
    await failsCleanly(() => fe.loadLayersModel(fe.io.fromMemory({ ...a, modelTopology: layers as never })), /unknown activation 'noSuchActivation'/);
  });
});

describe('the random stream is untouched by loading', () => {
  beforeAll(() => useBackend('js'));
  it('loading (which builds layers with random initializers) leaves fe.setRandomSeed reproducibility intact', async () => {
    const m = fe.sequential({ layers: [fe.layers.lstm({ units: 3, inputShape: [2, 2] })] });
    m.build();
    const a = await captured(m);
    fe.setRandomSeed(42);
    const first = fe.randomUniform([5]).dataSync();
    fe.setRandomSeed(42);
    await fe.loadLayersModel(fe.io.fromMemory(a));
    expect(fe.randomUniform([5]).dataSync()).toEqual(first);
  });
});
