// Functional models: fe.input → layer.apply(symbolic) → fe.model({ inputs, outputs }).
// Against TensorFlow.js (cpu backend) on the same program with the same weights: predictions
// (1e-5) and the weights after SGD steps (float32 rounding); against the same computation
// written with ops; gradients through merges, shared layers and nested models by finite
// differences; save/load both ways; graph-building errors; memory.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { BACKENDS, settleGc, useBackend } from './helpers/backends';
import { mulberry32, maxDiff } from './helpers/reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Seeded int32 ids in [0, vocab) of shape [n, len]. */
function ids(n: number, len: number, vocab: number, seed: number): Int32Array {
  const r = mulberry32(seed);
  return Int32Array.from({ length: n * len }, () => Math.floor(r() * vocab));
}

function uniform(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}


/** The program: two text inputs, a shared embedding, concatenate, an add skip, two heads. */
function feTwoHeads(): fe.LayersModel {
  const subject = fe.input({ shape: [6], dtype: 'int32', name: 'subject' });
  const body = fe.input({ shape: [10], dtype: 'int32', name: 'body' });
  const emb = fe.layers.embedding({ inputDim: 30, outputDim: 8, name: 'shared_emb' });
  const s = fe.layers.globalAveragePooling1d({ name: 'pool_s' }).apply(emb.apply(subject));
  const b = fe.layers.globalAveragePooling1d({ name: 'pool_b' }).apply(emb.apply(body));
  const merged = fe.layers.concatenate({ name: 'merged' }).apply([s, b] as fe.SymbolicTensor[]);
  const h = fe.layers.dense({ units: 16, activation: 'relu', name: 'hidden' }).apply(merged);
  const skip = fe.layers.add({ name: 'skip' }).apply([h, merged] as fe.SymbolicTensor[]);
  const spam = fe.layers.dense({ units: 1, activation: 'sigmoid', name: 'spam' }).apply(skip) as fe.SymbolicTensor;
  const topic = fe.layers.dense({ units: 3, activation: 'softmax', name: 'topic' }).apply(skip) as fe.SymbolicTensor;
  return fe.model({ inputs: [subject, body], outputs: [spam, topic], name: 'two_heads' });
}

function tfTwoHeads(): tf.LayersModel {
  const subject = tf.input({ shape: [6], dtype: 'int32', name: 'subject' });
  const body = tf.input({ shape: [10], dtype: 'int32', name: 'body' });
  const emb = tf.layers.embedding({ inputDim: 30, outputDim: 8, name: 'shared_emb' });
  const s = tf.layers.globalAveragePooling1d({ name: 'pool_s' }).apply(emb.apply(subject));
  const b = tf.layers.globalAveragePooling1d({ name: 'pool_b' }).apply(emb.apply(body));
  const merged = tf.layers.concatenate({ name: 'merged' }).apply([s, b] as tf.SymbolicTensor[]);
  const h = tf.layers.dense({ units: 16, activation: 'relu', name: 'hidden' }).apply(merged);
  const skip = tf.layers.add({ name: 'skip' }).apply([h, merged] as tf.SymbolicTensor[]);
  const spam = tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'spam' }).apply(skip) as tf.SymbolicTensor;
  const topic = tf.layers.dense({ units: 3, activation: 'softmax', name: 'topic' }).apply(skip) as tf.SymbolicTensor;
  return tf.model({ inputs: [subject, body], outputs: [spam, topic], name: 'two_heads' });
}

/** TensorFlow.js' weights by name (its getWeights order is not Keras' layer order). */
function tfWeightsByName(m: tf.LayersModel): Map<string, Float32Array> {
  return new Map(m.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));
}

/** Copies ferrite's weights into the TensorFlow.js model, by name. */
function copyToTf(feModel: fe.LayersModel, tfModel: tf.LayersModel): void {
  const byName = new Map(feModel.weights.map((v) => [v.name!, v]));
  for (const w of tfModel.weights) {
    const v = byName.get(w.originalName);
    if (!v) throw new Error(`no ferrite weight for ${w.originalName}`);
    w.write(tf.tensor(v.dataSync() as Float32Array, v.shape));
  }
}

describe.each(BACKENDS)('functional models on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  it('the two-input, two-output program predicts as TensorFlow.js with the same weights, and holds the same weights after SGD steps', async () => {
    fe.setRandomSeed(1);
    const ours = feTwoHeads();
    const theirs = tfTwoHeads();
    copyToTf(ours, theirs);
    expect(ours.layers.map((l) => l.name)).toEqual(theirs.layers.map((l) => l.name));
    const n = 12;
    const subj = ids(n, 6, 30, 2), bod = ids(n, 10, 30, 3);
    const xs = [fe.tensor(subj, [n, 6], 'int32'), fe.tensor(bod, [n, 10], 'int32')];
    const txs = [tf.tensor(subj, [n, 6], 'int32'), tf.tensor(bod, [n, 10], 'int32')];
    const [p1, p2] = ours.predict(xs) as fe.Tensor[];
    const [q1, q2] = theirs.predict(txs) as tf.Tensor[];
    expect(maxDiff(p1.dataSync(), q1.dataSync())).toBeLessThan(1e-5);
    expect(maxDiff(p2.dataSync(), q2.dataSync())).toBeLessThan(1e-5);

    const yS = Float32Array.from({ length: n }, (_, i) => i % 2);
    const yT = Float32Array.from({ length: n }, (_, i) => i % 3);
    ours.compile({ optimizer: fe.train.sgd(0.5), loss: ['binaryCrossentropy', 'sparseCategoricalCrossentropy'] });
    theirs.compile({ optimizer: tf.train.sgd(0.5), loss: ['binaryCrossentropy', 'sparseCategoricalCrossentropy'] });
    const ys = [fe.tensor(yS, [n, 1]), fe.tensor(yT, [n])];
    const tys = [tf.tensor(yS, [n, 1]), tf.tensor(yT, [n])];
    for (let step = 0; step < 3; step++) {
      const a = ours.trainOnBatch(xs, ys) as number[];
      expect(a).toHaveLength(3);
      const b = (await theirs.trainOnBatch(txs, tys)) as number[];
      expect(Math.abs(a[0] - b[0])).toBeLessThan(1e-5);
    }
    const want = tfWeightsByName(theirs);
    for (const v of ours.weights) {
      const w = want.get(v.name!)!;
      const scale = Math.max(1, ...Array.from(w).map(Math.abs));
      expect(maxDiff(v.dataSync(), w) / scale, v.name).toBeLessThan(2e-6);
    }
    fe.dispose([...xs, ...ys, p1, p2]);
    ours.dispose();
  });

  it('trains with fit: Keras log names per output, validationSplit with several inputs, no leaked tensors', async () => {
    fe.setRandomSeed(2);
    const model = feTwoHeads();
    model.compile({ optimizer: 'adam', loss: { spam: 'binaryCrossentropy', topic: 'sparseCategoricalCrossentropy' }, metrics: ['accuracy'], lossWeights: { spam: 1, topic: 0.5 } });
    expect(model.metricsNames).toEqual(['loss', 'spam_loss', 'topic_loss', 'spam_acc', 'topic_acc']);
    const n = 64;
    // The spam label is whether token 0 appears in the subject; the topic is the body's first token mod 3.
    const subj = ids(n, 6, 30, 5), bod = ids(n, 10, 30, 6);
    const yS = Float32Array.from({ length: n }, (_, i) => (subj.slice(i * 6, i * 6 + 6).some((t) => t < 10) ? 1 : 0));
    const yT = Int32Array.from({ length: n }, (_, i) => bod[i * 10] % 3);
    const x = { subject: fe.tensor(subj, [n, 6], 'int32'), body: fe.tensor(bod, [n, 10], 'int32') };
    const y = { spam: fe.tensor(yS, [n, 1]), topic: fe.tensor(yT, [n], 'int32') };
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    // Count only reachable tensors: earlier tests' garbage may be collected during fit.
    await settleGc();
    const before = fe.memory().numTensors;
    const h = await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0, validationSplit: 0.25 });
    expect(Object.keys(h.history).sort()).toEqual(
      ['loss', 'spam_loss', 'topic_loss', 'spam_acc', 'topic_acc', 'val_loss', 'val_spam_loss', 'val_topic_loss', 'val_spam_acc', 'val_topic_acc'].sort(),
    );
    // The total is the weighted sum of the outputs' losses.
    const last = (k: string) => h.history[k][2];
    expect(last('val_loss')).toBeCloseTo(last('val_spam_loss') + 0.5 * last('val_topic_loss'), 5);
    const out = model.predict([x.subject, x.body]) as fe.Tensor[];
    expect(out.map((t) => t.shape)).toEqual([[n, 1], [n, 3]]);
    fe.dispose(out);
    const ev = model.evaluate([x.subject, x.body], [y.spam, y.topic]) as fe.Tensor[];
    expect(ev).toHaveLength(5);
    fe.dispose(ev);
    expect(fe.memory().numTensors).toBe(before);
    fe.dispose([...Object.values(x), ...Object.values(y)]);
    model.dispose();
  });

  it('a graph computes what the same ops compute, and gradients flow through merges, a shared layer and a nested model', () => {
    fe.setRandomSeed(3);
    // Inner model: Dense → multiply with its own input (a gate).
    const ii = fe.input({ shape: [4] });
    const gate = fe.layers.dense({ units: 4, activation: 'sigmoid', name: 'gate' }).apply(ii);
    const inner = fe.model({ inputs: ii, outputs: fe.layers.multiply({ name: 'gated' }).apply([ii, gate] as fe.SymbolicTensor[]), name: 'inner' });
    const a = fe.input({ shape: [4], name: 'a' });
    const b = fe.input({ shape: [4], name: 'b' });
    const shared = fe.layers.dense({ units: 4, activation: 'tanh', name: 'shared' });
    const sa = shared.apply(a), sb = shared.apply(b);
    const diff = fe.layers.subtract({ name: 'diff' }).apply([sa, sb] as fe.SymbolicTensor[]);
    const avg = fe.layers.average({ name: 'avg' }).apply([sa, sb] as fe.SymbolicTensor[]);
    const g = inner.apply(diff);
    const mx = fe.layers.maximum({ name: 'mx' }).apply([g, avg] as fe.SymbolicTensor[]);
    const mn = fe.layers.minimum({ name: 'mn' }).apply([g, avg] as fe.SymbolicTensor[]);
    const cat = fe.layers.concatenate({ name: 'cat' }).apply([mx, mn] as fe.SymbolicTensor[]);
    const d = fe.layers.dot({ axes: 1, normalize: true, name: 'cos' }).apply([sa, sb] as fe.SymbolicTensor[]);
    const out = fe.layers.concatenate({ name: 'out' }).apply([cat, d] as fe.SymbolicTensor[]) as fe.SymbolicTensor;
    expect(out.shape).toEqual([null, 9]);
    const model = fe.model({ inputs: [a, b], outputs: out });
    expect(model.layers.map((l) => l.name)).toContain('inner');

    const n = 5;
    const xa = fe.tensor(uniform(n * 4, 7), [n, 4]), xb = fe.tensor(uniform(n * 4, 8), [n, 4]);
    const got = (model.predict([xa, xb]) as fe.Tensor).dataSync();
    // The same computation with ops.
    const [k, bias] = [shared.weights[0], shared.weights[1]];
    const [gk, gb] = inner.getLayer('gate').weights;
    const want = fe.tidy(() => {
      const ta = fe.tanh(fe.add(fe.matMul(xa, k), bias)), tb = fe.tanh(fe.add(fe.matMul(xb, k), bias));
      const df = fe.sub(ta, tb);
      const gg = fe.mul(df, fe.sigmoid(fe.add(fe.matMul(df, gk), gb)));
      const av = fe.mul(fe.add(ta, tb), 0.5);
      const na = fe.div(ta, fe.sqrt(fe.sum(fe.square(ta), 1, true))), nb = fe.div(tb, fe.sqrt(fe.sum(fe.square(tb), 1, true)));
      return fe.concat([fe.maximum(gg, av), fe.minimum(gg, av), fe.sum(fe.mul(na, nb), 1, true)], 1).dataSync();
    });
    expect(maxDiff(got, want)).toBeLessThan(1e-5);

    // Gradients of L = Σ out·c with respect to every weight, by central differences.
    const c = fe.tensor(uniform(n * 9, 9), [n, 9]);
    const loss = () => fe.sum(fe.mul(model.apply([xa, xb]) as fe.Tensor, c));
    const l = loss();
    l.backward();
    for (const v of model.weights) {
      const analytic = v.grad!.dataSync().slice();
      const values = v.dataSync().slice();
      for (const i of [0, values.length - 1, Math.floor(values.length / 2)]) {
        const h = 1e-2;
        const at = (delta: number) => {
          const w = values.slice();
          w[i] += delta;
          v.assign(fe.tensor(w, v.shape));
          return fe.tidy(() => fe.noGrad(() => loss().dataSync()[0]));
        };
        const numeric = (at(h) - at(-h)) / (2 * h);
        v.assign(fe.tensor(values, v.shape));
        expect(Math.abs(numeric - analytic[i]), `${v.name}[${i}]`).toBeLessThan(2e-3 * Math.max(1, Math.abs(numeric)));
      }
      v.grad!.dispose();
      v.grad = null;
    }
    // The shared layer's gradient sums both of its uses: zero it on one input and it changes.
    fe.dispose([xa, xb, c, l]);
    model.dispose();
  });

  it('masks flow along the edges: embedding(maskZero) → LSTM gives the same as in a Sequential', () => {
    fe.setRandomSeed(4);
    const seq = fe.sequential({ layers: [fe.layers.embedding({ inputDim: 9, outputDim: 3, maskZero: true, inputLength: 5 }), fe.layers.lstm({ units: 4 })] });
    const i = fe.input({ shape: [5], dtype: 'int32' });
    const emb = fe.layers.embedding({ inputDim: 9, outputDim: 3, maskZero: true });
    const lstm = fe.layers.lstm({ units: 4 });
    const fn = fe.model({ inputs: i, outputs: lstm.apply(emb.apply(i)) });
    fn.setWeights(seq.getWeights());
    const x = fe.tensor(Int32Array.from([0, 0, 3, 4, 5, 0, 1, 2, 3, 4, 7, 8, 0, 0, 0]), [3, 5], 'int32');
    const a = seq.predict(x), b = fn.predict(x) as fe.Tensor;
    expect(maxDiff(a.dataSync(), b.dataSync())).toBeLessThan(1e-6);
    // Padding shifted in: with the mask the last output of row 0 depends only on 3, 4, 5.
    const x2 = fe.tensor(Int32Array.from([0, 3, 4, 5, 0]), [1, 5], 'int32');
    const x3 = fe.tensor(Int32Array.from([0, 0, 3, 4, 5]), [1, 5], 'int32');
    expect(maxDiff((fn.predict(x2) as fe.Tensor).dataSync(), (fn.predict(x3) as fe.Tensor).dataSync())).toBeLessThan(1e-6);
    fe.dispose([x, a, b, x2, x3]);
    seq.dispose();
    fn.dispose();
  });

  it("an encoder's states feed a decoder (returnState, initialState as graph inputs), saved and loaded", async () => {
    fe.setRandomSeed(5);
    const encIn = fe.input({ shape: [4, 3], name: 'enc_in' });
    const decIn = fe.input({ shape: [5, 2], name: 'dec_in' });
    const [, h, c] = fe.layers.lstm({ units: 6, returnState: true, name: 'encoder' }).apply(encIn) as fe.SymbolicTensor[];
    expect(h.shape).toEqual([null, 6]);
    const decoder = fe.layers.lstm({ units: 6, returnSequences: true, name: 'decoder' });
    const seqOut = decoder.apply(decIn, { initialState: [h, c] }) as fe.SymbolicTensor;
    const out = fe.layers.timeDistributed({ layer: fe.layers.dense({ units: 2, name: 'proj' }), name: 'td' }).apply(seqOut) as fe.SymbolicTensor;
    expect(out.shape).toEqual([null, 5, 2]);
    const model = fe.model({ inputs: [encIn, decIn], outputs: out });
    const xe = fe.tensor(uniform(2 * 4 * 3, 10), [2, 4, 3]), xd = fe.tensor(uniform(2 * 5 * 2, 11), [2, 5, 2]);
    const got = model.predict([xe, xd]) as fe.Tensor;
    // The same with the layers called eagerly.
    const enc = model.getLayer('encoder') as fe.layers.LSTM;
    const [, eh, ec] = enc.applyWithState(xe);
    const want = (model.getLayer('td') as fe.layers.TimeDistributed).apply(decoder.apply(xd, { initialState: [eh, ec] }));
    expect(maxDiff(got.dataSync(), want.dataSync())).toBeLessThan(1e-6);
    // Saved: the decoder's node lists [dec_in, encoder[0][1], encoder[0][2]], as TensorFlow.js writes it.
    const art = await captured(model);
    const layers = (art.modelTopology as { config: { layers: { name: string; inbound_nodes: unknown }[] } }).config.layers;
    expect(layers.find((l) => l.name === 'decoder')!.inbound_nodes).toEqual([[['dec_in', 0, 0, {}], ['encoder', 0, 1, {}], ['encoder', 0, 2, {}]]]);
    const loaded = await fe.loadLayersModel(fe.io.fromMemory(art));
    expect(maxDiff((loaded.predict([xe, xd]) as fe.Tensor).dataSync(), got.dataSync())).toBeLessThan(1e-6);
    // And TensorFlow.js reads it and predicts the same.
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(art as tf.io.ModelArtifacts));
    const tp = theirs.predict([tf.tensor(xe.dataSync(), xe.shape), tf.tensor(xd.dataSync(), xd.shape)]) as tf.Tensor;
    expect(maxDiff(tp.dataSync(), got.dataSync())).toBeLessThan(1e-5);
    fe.dispose([xe, xd, got, eh, ec, want]);
    model.dispose();
    loaded.dispose();
  });

  it('saves and loads functional models both ways with TensorFlow.js: shared layers, nested models, several outputs', async () => {
    fe.setRandomSeed(6);
    const ours = feTwoHeads();
    const art = await captured(ours);
    const topo = art.modelTopology as { class_name: string; config: { input_layers: unknown; output_layers: unknown; layers: { name: string; inbound_nodes: unknown }[] } };
    expect(topo.class_name).toBe('Model');
    expect(topo.config.input_layers).toEqual([['subject', 0, 0], ['body', 0, 0]]);
    expect(topo.config.output_layers).toEqual([['spam', 0, 0], ['topic', 0, 0]]);
    expect(topo.config.layers.find((l) => l.name === 'shared_emb')!.inbound_nodes).toEqual([[['subject', 0, 0, {}]], [['body', 0, 0, {}]]]);
    const n = 4;
    const xs = [fe.tensor(ids(n, 6, 30, 12), [n, 6], 'int32'), fe.tensor(ids(n, 10, 30, 13), [n, 10], 'int32')];
    const want = (ours.predict(xs) as fe.Tensor[]).map((t) => t.dataSync());
    // ferrite → ferrite
    const back = await fe.loadLayersModel(fe.io.fromMemory(art));
    (back.predict(xs) as fe.Tensor[]).forEach((t, i) => expect(maxDiff(t.dataSync(), want[i])).toBeLessThan(1e-7));
    // ferrite → TensorFlow.js
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(art as tf.io.ModelArtifacts));
    const txs = xs.map((t) => tf.tensor(t.dataSync(), t.shape, 'int32'));
    (theirs.predict(txs) as tf.Tensor[]).forEach((t, i) => expect(maxDiff(t.dataSync(), want[i])).toBeLessThan(1e-5));
    // TensorFlow.js → ferrite: a model it builds and saves, with a nested model inside.
    const ti = tf.input({ shape: [3], name: 'tin' });
    const innerIn = tf.input({ shape: [3] });
    const innerModel = tf.model({ inputs: innerIn, outputs: tf.layers.dense({ units: 5, activation: 'relu', name: 'inner_dense' }).apply(innerIn) as tf.SymbolicTensor, name: 'inner_model' });
    const t1 = innerModel.apply(ti) as tf.SymbolicTensor;
    const t2 = tf.layers.dense({ units: 5, name: 'side' }).apply(ti) as tf.SymbolicTensor;
    const tout = tf.layers.dense({ units: 2, name: 'head' }).apply(tf.layers.add({ name: 'plus' }).apply([t1, t2]) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const tfModel = tf.model({ inputs: ti, outputs: tout, name: 'tf_built' });
    let saved: tf.io.ModelArtifacts | null = null;
    await tfModel.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const x3 = uniform(6, 14);
    const tfWant = (tfModel.predict(tf.tensor(x3, [2, 3])) as tf.Tensor).dataSync();
    const fromTf = await fe.loadLayersModel(fe.io.fromMemory(saved! as fe.io.ModelArtifacts));
    expect(fromTf.layers.map((l) => l.className)).toContain('Model');
    const fx = fe.tensor(x3, [2, 3]);
    expect(maxDiff((fromTf.predict(fx) as fe.Tensor).dataSync(), tfWant)).toBeLessThan(1e-5);
    // … and back through ferrite's writer into TensorFlow.js.
    const again = await tf.loadLayersModel(tf.io.fromMemory((await captured(fromTf)) as tf.io.ModelArtifacts));
    expect(maxDiff((again.predict(tf.tensor(x3, [2, 3])) as tf.Tensor).dataSync(), tfWant)).toBeLessThan(1e-5);
    fe.dispose([...xs, fx]);
    for (const m of [ours, back, fromTf]) m.dispose();
  });

  it('reads Keras 3 JSON: Functional, { args, kwargs } nodes, single input/output references, batch_shape', async () => {
    const tensorRef = (name: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 2], dtype: 'float32', keras_history: [name, 0, 0] } });
    const dense = (name: string) => ({
      module: 'keras.layers', class_name: 'Dense', name,
      config: { name, trainable: true, dtype: 'float32', units: 2, activation: 'linear', use_bias: true, kernel_initializer: { class_name: 'Zeros', config: {} }, bias_initializer: { class_name: 'Zeros', config: {} } },
    });
    const topology = {
      class_name: 'Functional',
      config: {
        name: 'k3',
        layers: [
          { class_name: 'InputLayer', name: 'x', config: { batch_shape: [null, 2], dtype: 'float32', sparse: false, name: 'x' }, inbound_nodes: [] },
          { ...dense('d1'), inbound_nodes: [{ args: [tensorRef('x')], kwargs: {} }] },
          { ...dense('d2'), inbound_nodes: [{ args: [tensorRef('x')], kwargs: {} }] },
          { class_name: 'Add', name: 'sum', config: { name: 'sum', trainable: true, dtype: 'float32' }, inbound_nodes: [{ args: [[tensorRef('d1'), tensorRef('d2')]], kwargs: {} }] },
        ],
        input_layers: ['x', 0, 0],
        output_layers: ['sum', 0, 0],
      },
    };
    const m = await fe.loadLayersModel(fe.io.fromMemory({ modelTopology: topology }));
    m.setWeights([fe.tensor([[1, 0], [0, 1]]), fe.tensor([1, 2]), fe.tensor([[2, 0], [0, 2]]), fe.tensor([0, 0])]);
    const y = m.predict(fe.tensor([[1, 2]])) as fe.Tensor;
    expect(Array.from(y.dataSync())).toEqual([1 + 1 + 2, 2 + 2 + 4]);
    y.dispose();
    m.dispose();
  });

  it('clear errors when a graph is built wrong', () => {
    const a = fe.input({ shape: [3], name: 'ea' });
    const b = fe.input({ shape: [4], name: 'eb' });
    const c = fe.input({ shape: [3], name: 'ec' });
    expect(() => fe.layers.add({ name: 'bad_add' }).apply([a, b])).toThrow(/bad_add \(Add\): input 1 has shape \[null, 4\], incompatible with \[null, 3\]/);
    expect(() => fe.layers.add({ name: 'one_add' }).apply(a)).toThrow(/one_add \(Add\): expects a list of inputs/);
    expect(() => fe.layers.subtract({ name: 'three_sub' }).apply([a, c, a])).toThrow(/three_sub \(Subtract\): expects exactly 2 inputs, got 3/);
    expect(() => fe.layers.concatenate({ name: 'bad_cat', axis: 1 }).apply([fe.input({ shape: [2, 3] }), fe.input({ shape: [2, 4] })]))
      .toThrow(/bad_cat \(Concatenate\): input 1 has shape \[null, 2, 4\], which does not fit input 0's \[null, 2, 3\]/);
    expect(() => fe.layers.dot({ axes: 1, name: 'bad_dot' }).apply([a, b])).toThrow(/bad_dot \(Dot\): input 0 \[null, 3\] has 3 on axis 1 but input 1 \[null, 4\] has 4/);
    const d = fe.layers.dense({ units: 2, name: 'lonely' }).apply(c) as fe.SymbolicTensor;
    expect(() => fe.model({ inputs: a, outputs: d })).toThrow(/depends on input 'ec' \[null, 3\], which is not among the model's inputs \('ea'\): the graph is disconnected/);
    expect(() => fe.model({ inputs: [a, c], outputs: d })).toThrow(/input 'ea' is not used to compute any output/);
    const twin1 = fe.layers.dense({ units: 2, name: 'twin' }).apply(a) as fe.SymbolicTensor;
    const twin2 = fe.layers.dense({ units: 2, name: 'twin' }).apply(twin1) as fe.SymbolicTensor;
    expect(() => fe.model({ inputs: a, outputs: twin2 })).toThrow(/the name 'twin' is used by two layers/);
    expect(() => fe.model({ inputs: twin1, outputs: twin2 })).toThrow(/input 0 is the output of layer 'twin'.*must come from fe.input/);
    expect(() => fe.layers.dense({ units: 2 }).apply([a, fe.zeros([1, 3])] as never)).toThrow(/input 1 is a real tensor, but the others are symbolic/);
    // A working model stays usable after a failed call.
    const ok = fe.model({ inputs: a, outputs: fe.layers.dense({ units: 1 }).apply(a) as fe.SymbolicTensor });
    expect(() => ok.predict(fe.zeros([2, 4]))).toThrow(/'ea' expected input of shape \[null, 3\], got \[2, 4\]/);
    expect(() => ok.predict([fe.zeros([2, 3]), fe.zeros([2, 3])])).toThrow(/the model has 1 inputs \(ea\), but a list of 2 tensors was given/);
    const p = ok.predict(fe.zeros([2, 3])) as fe.Tensor;
    expect(p.shape).toEqual([2, 1]);
    p.dispose();
    ok.dispose();
  });
});

describe('Sequential on the graph machinery', () => {
  beforeAll(async () => useBackend('js'));

  it('is built at construction when its input shape is declared: weights, summary and setWeights work before any data', () => {
    const m = fe.sequential({ layers: [fe.layers.dense({ units: 3, inputShape: [4] }), fe.layers.dense({ units: 2 })] });
    const w = m.getWeights();
    expect(w.map((t) => t.shape)).toEqual([[4, 3], [3], [3, 2], [2]]);
    expect(m.countParams()).toBe(4 * 3 + 3 + 3 * 2 + 2);
    m.setWeights(w.map((t) => fe.onesLike(t)));
    expect(Array.from(m.getWeights()[3].dataSync())).toEqual([1, 1]);
    const lines: string[] = [];
    m.summary(undefined, undefined, (l) => lines.push(l));
    expect(lines.join('\n')).toMatch(/dense(_\d+)? \(Dense\)\s+\[null,3\]\s+15/);
    expect(lines.join('\n')).toMatch(/Total params: 23/);
    // An embedding's inputLength declares it too.
    const e = fe.sequential({ layers: [fe.layers.embedding({ inputDim: 10, outputDim: 2, inputLength: 5 }), fe.layers.flatten()] });
    expect(e.getWeights().map((t) => t.shape)).toEqual([[10, 2]]);
    m.dispose();
    e.dispose();
  });

  it('add(fe.input(...)) sets the input, pop() removes the last layer, an unknown shape builds at the first call', () => {
    const m = fe.sequential();
    m.add(fe.input({ shape: [5] }));
    m.add(fe.layers.dense({ units: 4 }));
    m.add(fe.layers.dense({ units: 2 }));
    expect(m.getWeights()).toHaveLength(4);
    expect(m.outputShape).toEqual([null, 2]);
    m.pop();
    expect(m.layers).toHaveLength(1);
    expect(m.outputShape).toEqual([null, 4]);
    const y = m.predict(fe.ones([3, 5]));
    expect(y.shape).toEqual([3, 4]);
    const late = fe.sequential({ layers: [fe.layers.dense({ units: 2 })] });
    expect(late.getWeights()).toEqual([]);
    expect(late.predict(fe.ones([1, 7])).shape).toEqual([1, 2]);
    expect(late.getWeights().map((t) => t.shape)).toEqual([[7, 2], [2]]);
    expect(() => fe.sequential({ layers: [fe.layers.lstm({ units: 2, returnState: true, inputShape: [3, 2] })] })).toThrow(/has 3 outputs; a Sequential model needs layers with one output/);
    fe.dispose([y]);
    m.dispose();
    late.dispose();
  });
});

describe('custom layers as in TensorFlow.js', () => {
  beforeAll(async () => useBackend('js'));

  it('build, addWeight, call, computeOutputShape, getConfig, static className, registerClass: trained, saved and loaded', async () => {
    class Scaler extends fe.layers.Layer {
      static override readonly className = 'Scaler';
      private scale: fe.Variable | null = null;
      constructor(readonly config: { units?: number; name?: string } = {}) {
        super(config);
      }
      override build(inputShape: fe.layers.SymbolicShape): void {
        this.scale = this.addWeight('scale', [inputShape[inputShape.length - 1] as number], 'float32', fe.initializers.ones(), fe.regularizers.l2({ l2: 0.1 }));
      }
      call(inputs: fe.Tensor | fe.Tensor[]): fe.Tensor {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        return fe.mul(x, this.scale!.read());
      }
      override computeOutputShape(s: fe.layers.SymbolicShape): fe.layers.SymbolicShape {
        return s;
      }
      override getConfig() {
        return { ...super.getConfig(), units: this.config.units ?? 1 };
      }
    }
    fe.serialization.registerClass(Scaler);
    const i = fe.input({ shape: [3] });
    const s = new Scaler({ name: 'my_scaler' });
    const model = fe.model({ inputs: i, outputs: fe.layers.dense({ units: 1 }).apply(s.apply(i)) as fe.SymbolicTensor });
    expect(s.weights[0].name).toBe('my_scaler/scale');
    model.compile({ optimizer: fe.train.sgd(0.1), loss: 'meanSquaredError' });
    const x = fe.tensor(uniform(30, 20), [10, 3]);
    const y = fe.tensor(uniform(10, 21), [10, 1]);
    // The L2 penalty is part of the loss: 0.1·Σscale² = 0.3 at the start.
    const ev = model.evaluate(x, y) as fe.Tensor;
    const mse = fe.tidy(() => fe.mean(fe.square(fe.sub(model.predict(x) as fe.Tensor, y))).dataSync()[0]);
    expect(ev.dataSync()[0]).toBeCloseTo(mse + 0.3, 5);
    const before = s.weights[0].dataSync().slice();
    await model.fit(x, y, { epochs: 2, verbose: 0 });
    expect(maxDiff(before, s.weights[0].dataSync())).toBeGreaterThan(1e-4);
    const art = await captured(model);
    const back = await fe.loadLayersModel(fe.io.fromMemory(art));
    expect(back.getLayer('my_scaler').className).toBe('Scaler');
    expect(maxDiff((back.predict(x) as fe.Tensor).dataSync(), (model.predict(x) as fe.Tensor).dataSync())).toBeLessThan(1e-7);
    // In a Sequential too.
    const seq = fe.sequential({ layers: [new Scaler({ name: 'seq_scaler' }), fe.layers.dense({ units: 2 })] });
    expect((seq.predict(x)).shape).toEqual([10, 2]);
    fe.dispose([x, y, ev]);
    for (const m of [model, back, seq]) m.dispose();
  });

  it('layers and models inside fe.nn.Module train PyTorch-style', () => {
    fe.setRandomSeed(8);
    const i = fe.input({ shape: [2] });
    const core = fe.model({ inputs: i, outputs: fe.layers.dense({ units: 4, activation: 'tanh' }).apply(i) as fe.SymbolicTensor });
    class Net extends fe.nn.Module {
      body = core;
      head = fe.layers.dense({ units: 1 });
      forward(x: fe.Tensor): fe.Tensor {
        return this.head.apply(this.body.apply(x) as fe.Tensor);
      }
    }
    const net = new Net();
    const x = fe.tensor([[0, 1], [1, 0], [1, 1], [0, 0]]);
    const y = fe.tensor([[1], [1], [0], [0]]);
    net.forward(x);
    const opt = fe.optim.adam(net.parameters(), { lr: 0.05 });
    expect(net.parameters()).toHaveLength(4);
    let first = 0, last = 0;
    for (let step = 0; step < 150; step++) {
      opt.zeroGrad();
      const loss = fe.tidy(() => {
        const l = fe.mean(fe.square(fe.sub(net.forward(x), y)));
        l.backward();
        return l.dataSync()[0];
      });
      opt.step();
      if (step === 0) first = loss;
      last = loss;
    }
    expect(last).toBeLessThan(first / 10);
    fe.dispose([x, y]);
  });
});

describe('trainable and compile, as TensorFlow.js and Keras 2', () => {
  beforeAll(async () => useBackend('js'));

  it('a GAN: the combined model compiled with the discriminator frozen leaves it untouched; the discriminator still trains itself', () => {
    fe.setRandomSeed(9);
    const disc = fe.sequential({ layers: [fe.layers.dense({ units: 4, inputShape: [3], activation: 'relu' }), fe.layers.dense({ units: 1, activation: 'sigmoid' })] });
    disc.compile({ optimizer: fe.train.sgd(0.5), loss: 'binaryCrossentropy' });
    const gen = fe.sequential({ layers: [fe.layers.dense({ units: 3, inputShape: [2] })] });
    disc.trainable = false;
    const z = fe.input({ shape: [2] });
    const combined = fe.model({ inputs: z, outputs: disc.apply(gen.apply(z) as fe.SymbolicTensor) as fe.SymbolicTensor });
    combined.compile({ optimizer: fe.train.sgd(0.5), loss: 'binaryCrossentropy' });
    expect(combined.trainableWeights).toHaveLength(2);
    const snap = (m: fe.LayersModel) => m.weights.map((w) => w.dataSync().slice());
    const d0 = snap(disc), g0 = snap(gen);
    const zs = fe.randomNormal([8, 2], 0, 1, 'float32', 3);
    combined.trainOnBatch(zs, fe.ones([8, 1]));
    expect(snap(disc)).toEqual(d0);
    expect(snap(gen).some((w, i) => maxDiff(w, g0[i]) > 0)).toBe(true);
    // Compiled while trainable: the discriminator's own steps update it.
    const warn = console.warn;
    console.warn = () => {};
    try {
      disc.trainOnBatch(fe.randomNormal([8, 3], 0, 1, 'float32', 4), fe.ones([8, 1]));
    } finally {
      console.warn = warn;
    }
    expect(snap(disc).every((w, i) => maxDiff(w, d0[i]) > 0)).toBe(true);
    disc.dispose();
    gen.dispose();
  });
});

afterAll(() => {
  tf.disposeVariables();
});

/** The artifacts model.save() writes. */
async function captured(model: fe.LayersModel): Promise<fe.io.ModelArtifacts> {
  let out: fe.io.ModelArtifacts | null = null;
  await model.save(fe.io.withSaveHandler(async (a) => {
    out = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } } as fe.io.SaveResult;
  }));
  return out!;
}
