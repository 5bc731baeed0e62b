// Saving and loading the attention and Transformer layers in the TensorFlow.js / Keras format:
// a Keras file (MultiHeadAttention with `value` by keyword and use_causal_mask, Add,
// LayerNormalization) loaded and checked against the same computation by hand; functional
// models round-tripped (keyword tensors in Keras 2 node form, TF.js config keys, Keras weight
// names); Keras 3 { args, kwargs } nodes; standalone layers built from query_shape.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { useBackend } from './helpers/backends';
import { mulberry32, uniform, maxDiff } from './helpers/reference';

const FIXTURE = fileURLToPath(new URL('./fixtures/keras-mha-layernorm/model.json', import.meta.url));
type Raw = Record<string, unknown>;


/** The fixture's model by hand, float64: causal MHA (2 heads × 3) of query over context, add, layer norm. */
function byHand(w: Float32Array, q: Float32Array, c: Float32Array, batch: number): Float64Array {
  const [T, S, D, H, K] = [4, 5, 6, 2, 3];
  const at = { qk: 0, qb: 36, kk: 42, kb: 78, vk: 84, vb: 120, ok: 126, ob: 162, g: 168, b: 174 };
  const out = new Float64Array(batch * T * D);
  const proj = (x: Float32Array, row: number, kern: number, bias: number, h: number, k: number) => {
    let s = w[bias + h * K + k];
    for (let d = 0; d < D; d++) s += x[row * D + d] * w[kern + (d * H + h) * K + k];
    return s;
  };
  for (let b = 0; b < batch; b++) {
    const att = Array.from({ length: T }, () => new Float64Array(H * K));
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        const qi = Array.from({ length: K }, (_, k) => proj(q, b * T + i, at.qk, at.qb, h, k));
        const sc = Array.from({ length: S }, (_, j) => {
          let s = 0;
          for (let k = 0; k < K; k++) s += (qi[k] / Math.sqrt(K)) * proj(c, b * S + j, at.kk, at.kb, h, k);
          return j <= i ? s : Math.fround(Math.fround(s) - 1e9);
        });
        const mx = Math.max(...sc);
        const e = sc.map((s) => Math.exp(s - mx));
        const z = e.reduce((x, y) => x + y, 0);
        for (let j = 0; j < S; j++) for (let k = 0; k < K; k++) att[i][h * K + k] += (e[j] / z) * proj(c, b * S + j, at.vk, at.vb, h, k);
      }
    }
    for (let i = 0; i < T; i++) {
      const y = Array.from({ length: D }, (_, d) => {
        let s = w[at.ob + d];
        for (let hk = 0; hk < H * K; hk++) s += att[i][hk] * w[at.ok + hk * D + d];
        return s + q[(b * T + i) * D + d];
      });
      const mu = y.reduce((x, v) => x + v, 0) / D;
      const v = y.reduce((x, t) => x + (t - mu) ** 2, 0) / D;
      for (let d = 0; d < D; d++) out[(b * T + i) * D + d] = ((y[d] - mu) / Math.sqrt(v + 1e-3)) * w[at.g + d] + w[at.b + d];
    }
  }
  return out;
}

async function roundTrip(model: fe.LayersModel) {
  let saved: fe.io.ModelArtifacts | null = null;
  await model.save(fe.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: fe.io.getModelArtifactsInfoForJSON(a) };
  }));
  const art = JSON.parse(JSON.stringify({ ...saved!, weightData: undefined }));
  art.weightData = saved!.weightData;
  return { art: art as fe.io.ModelArtifacts & { modelTopology: Raw }, loaded: await fe.loadLayersModel(fe.io.fromMemory(art)) };
}

describe('saving and loading attention and Transformer layers', () => {
  beforeAll(async () => {
    await useBackend('wasm' in process.env ? 'wasm' : 'js');
  });

  it('loads a Keras file (MultiHeadAttention with value by keyword, use_causal_mask; LayerNormalization) that predicts as computed by hand', async () => {
    const model = await fe.loadLayersModel(fe.io.fileSystem(FIXTURE));
    expect(model.layers.map((l) => l.className)).toEqual(['InputLayer', 'InputLayer', 'MultiHeadAttention', 'Add', 'LayerNormalization']);
    // The weights are the file's: element i is 0.5·sin(0.37·i + 0.1) (γ: 1 + that).
    const raw = readFileSync(FIXTURE.replace('model.json', 'group1-shard1of1.bin'));
    const bin = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const formula = Float32Array.from({ length: 180 }, (_, i) => 0.5 * Math.sin(0.37 * i + 0.1) + (i >= 168 && i < 174 ? 1 : 0));
    expect(maxDiff(bin, formula)).toBeLessThan(1e-6);
    const flat = new Float32Array(model.weights.flatMap((w) => Array.from(w.dataSync())));
    expect(maxDiff(flat, bin)).toBe(0);
    const r = mulberry32(5);
    const q = uniform(r, 3 * 4 * 6), c = uniform(r, 3 * 5 * 6);
    const y = model.predict([fe.tensor(q, [3, 4, 6]), fe.tensor(c, [3, 5, 6])]) as fe.Tensor;
    expect(y.shape).toEqual([3, 4, 6]);
    expect(maxDiff(y.dataSync(), byHand(bin, q, c, 3))).toBeLessThan(2e-5);
    y.dispose();
    model.dispose();
  });

  it('round-trips a Transformer model: keyword tensors as Keras writes them, TF.js config keys, Keras weight names', async () => {
    fe.setRandomSeed(4);
    const ids = fe.input({ shape: [6], dtype: 'int32', name: 'ids' });
    const ctx = fe.input({ shape: [5, 8], name: 'ctx' });
    const amask = fe.input({ shape: [6, 5], name: 'amask' });
    const h = fe.layers.tokenAndPositionEmbedding({ vocabularySize: 20, sequenceLength: 6, embeddingDim: 8, maskZero: true }).apply(ids) as fe.SymbolicTensor;
    const e = fe.layers.transformerEncoder({ intermediateDim: 12, numHeads: 2, normalizeFirst: true }).apply(h) as fe.SymbolicTensor;
    const mha = fe.layers.multiHeadAttention({ numHeads: 2, keyDim: 4, valueDim: 3, name: 'cross' });
    const a = mha.apply(e, { value: ctx, key: ctx, attentionMask: amask, useCausalMask: false }) as fe.SymbolicTensor;
    const n = fe.layers.layerNormalization({ epsilon: 1e-5, name: 'ln' }).apply(fe.layers.add().apply([e, a]) as fe.SymbolicTensor) as fe.SymbolicTensor;
    const pos = fe.layers.add().apply([n, fe.layers.sinePositionEncoding().apply(n) as fe.SymbolicTensor]) as fe.SymbolicTensor;
    const pe = fe.layers.add().apply([pos, fe.layers.positionEmbedding({ sequenceLength: 10 }).apply(pos) as fe.SymbolicTensor]) as fe.SymbolicTensor;
    const d = fe.layers.transformerDecoder({ intermediateDim: 10, numHeads: 2, name: 'dec' }).apply([pe, ctx]) as fe.SymbolicTensor;
    const model = fe.model({ inputs: [ids, ctx, amask], outputs: d });
    const r = mulberry32(8);
    const xs = [
      fe.tensor(Int32Array.from({ length: 2 * 6 }, (_, i) => (i % 6 < 4 ? 1 + Math.floor(r() * 19) : 0)), [2, 6], 'int32'),
      fe.tensor(uniform(r, 2 * 5 * 8), [2, 5, 8]),
      fe.tensor(Float32Array.from({ length: 2 * 6 * 5 }, () => (r() < 0.8 ? 1 : 0)), [2, 6, 5]),
    ];
    const want = (model.predict(xs) as fe.Tensor).dataSync();
    const { art, loaded } = await roundTrip(model);
    const layers = (art.modelTopology.config as { layers: Raw[] }).layers;
    const cross = layers.find((l) => l.name === 'cross')!;
    // Keras 2 / TensorFlow.js node form: the query positional, value, key and the mask by keyword.
    expect(cross.inbound_nodes).toEqual([[[expect.stringMatching(/^transformer_encoder/), 0, 0, {
      value: ['ctx', 0, 0], key: ['ctx', 0, 0], attention_mask: ['amask', 0, 0], use_causal_mask: false,
    }]]]);
    expect(cross.config).toMatchObject({ num_heads: 2, key_dim: 4, value_dim: 3, query_shape: [null, 6, 8], value_shape: [null, 5, 8], key_shape: [null, 5, 8], dropout: 0, use_bias: true });
    expect((layers.find((l) => l.name === 'ln')!.config as Raw).epsilon).toBe(1e-5);
    expect((layers.find((l) => l.name === 'dec')!.inbound_nodes as unknown[][])[0].length).toBe(2);
    const names = art.weightSpecs!.map((s) => s.name);
    expect(names).toContain('cross/query/kernel');
    expect(names).toContain('cross/attention_output/bias');
    expect(names).toContain('dec/cross_attention/key/kernel');
    expect(names.find((x) => x.startsWith('transformer_encoder') && x.endsWith('self_attention_layer/value/bias'))).toBeDefined();
    expect(names.filter((x) => x.includes('token_and_position_embedding'))).toEqual([
      expect.stringMatching(/token_embedding\/embeddings$/), expect.stringMatching(/position_embedding\/embeddings$/),
    ]);
    expect(maxDiff((loaded.predict(xs) as fe.Tensor).dataSync(), want)).toBeLessThan(1e-6);
    expect(loaded.weights.length).toBe(model.weights.length);
    fe.dispose(xs);
    model.dispose();
    loaded.dispose();
  });

  it('builds a standalone MultiHeadAttention from query_shape / value_shape / key_shape', () => {
    const layer = fe.layers.multiHeadAttention({ numHeads: 3, keyDim: 2, outputShape: 5 });
    fe.tidy(() => { layer.apply(fe.ones([1, 4, 6]), { value: fe.ones([1, 2, 7]), key: fe.ones([1, 2, 3]) }); });
    const spec = fe.io.serializeLayer(layer);
    expect(spec.class_name).toBe('MultiHeadAttention');
    expect(spec.config).toMatchObject({ query_shape: [1, 4, 6], value_shape: [1, 2, 7], key_shape: [1, 2, 3], output_shape: [5] });
    const back = fe.io.deserializeLayer(spec) as fe.layers.MultiHeadAttention;
    expect(back.weights.map((w) => w.shape)).toEqual(layer.weights.map((w) => w.shape));
    layer.dispose();
    back.dispose();
  });

  it('reads Keras 3 nodes ({ args, kwargs } with __keras_tensor__) for attention', async () => {
    const ref = (name: string, shape: (number | null)[]) => ({ class_name: '__keras_tensor__', config: { shape, dtype: 'float32', keras_history: [name, 0, 0] } });
    const topology = {
      class_name: 'Functional',
      config: {
        name: 'k3',
        layers: [
          { class_name: 'InputLayer', name: 'q', config: { batch_shape: [null, 3, 4], dtype: 'float32', name: 'q' }, inbound_nodes: [] },
          { class_name: 'InputLayer', name: 'v', config: { batch_shape: [null, 2, 4], dtype: 'float32', name: 'v' }, inbound_nodes: [] },
          {
            module: 'keras.layers', class_name: 'MultiHeadAttention', name: 'mha',
            config: { name: 'mha', trainable: true, dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' } }, num_heads: 2, key_dim: 2, value_dim: 2, dropout: 0, use_bias: true, output_shape: null, attention_axes: null, flash_attention: null, seed: null, kernel_initializer: { class_name: 'Ones', config: {} }, bias_initializer: { class_name: 'Zeros', config: {} } },
            build_config: { shapes_dict: { query_shape: [null, 3, 4], value_shape: [null, 2, 4] } },
            inbound_nodes: [{ args: [ref('q', [null, 3, 4])], kwargs: { value: ref('v', [null, 2, 4]), attention_mask: null, use_causal_mask: false } }],
          },
        ],
        input_layers: [['q', 0, 0], ['v', 0, 0]],
        output_layers: ['mha', 0, 0],
      },
    };
    const m = await fe.loadLayersModel(fe.io.fromMemory({ modelTopology: topology }));
    // Unit kernels, zero biases, value 2: each projected value is 4·2 = 8 whatever the weights of
    // the softmax, and the output 2 heads · 2 · 8 = 32 per feature (the query's ones would give 16).
    const y = m.predict([fe.ones([1, 3, 4]), fe.fill([1, 2, 4], 2)]) as fe.Tensor;
    expect(Array.from(y.dataSync())).toEqual(new Array(12).fill(32));
    y.dispose();
    m.dispose();
  });

  it('refuses what it cannot load, naming the layer', () => {
    expect(() => fe.io.deserializeLayer({ class_name: 'TokenAndPositionEmbedding', config: { name: 't', vocabulary_size: 5, sequence_length: 4, embedding_dim: 2, tie_weights: false } }))
      .toThrow(/layer 't': tie_weights: false is not supported/);
  });
});
