/**
 * Layer serialization in the Keras / TensorFlow.js format: class names ('Dense', 'LSTM', …),
 * snake_case config keys and values inside "config" (as tf.LayersModel.save writes them),
 * initializers as { class_name, config }, and the weights' manifest names
 * ('dense/kernel', 'bidirectional/forward_lstm/recurrent_kernel', …).
 *
 * One table maps each class name to how a ferrite layer becomes a config (from its
 * getConfig()) and how a config becomes a layer (through the layer constructors).
 */
import { Activation, Dropout, Flatten, Reshape } from '../layers/core';
import { Conv1D, Conv2D } from '../layers/conv';
import { Dense } from '../layers/dense';
import { Embedding } from '../layers/embedding';
import { getInitializer, initializers, type Initializer } from '../layers/initializers';
import { Layer } from '../layers/layer';
import { BatchNormalization } from '../layers/normalization';
import { GlobalAveragePooling1D } from '../layers/pooling1d';
import { AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D } from '../layers/pooling2d';
import { GRU, LSTM, RNN, SimpleRNN } from '../layers/recurrent';
import { RepeatVector } from '../layers/repeat-vector';
import { Bidirectional, TimeDistributed } from '../layers/wrappers';
import { InputLayer } from '../layers/input-layer';
import { Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract } from '../layers/merge';
import { attentionLayerCodecs } from './codecs-attention';
import { CONV_LAYER_ALIASES, convLayerCodecs } from './codecs-conv';
import { ELU, LeakyReLU, PReLU, ReLU, Softmax, ThresholdedReLU } from '../layers/advanced-activations';
import { AlphaDropout, GaussianDropout, GaussianNoise, SpatialDropout1D } from '../layers/noise';
import { Masking } from '../layers/masking';
import { Permute } from '../layers/permute';
import { CategoryEncoding, Rescaling } from '../layers/preprocessing';
import { RandomWidth } from '../layers/random-width';
import { CellRNN, GRUCell, isCell, LSTMCell, RNNCell, SimpleRNNCell, StackedRNNCells } from '../layers/recurrent-cells';

export type Config = Record<string, unknown>;

// ---- key and value conversion, as TensorFlow.js' serialization_utils ------------------------

/** 'kernelInitializer' → 'kernel_initializer', 'channelsLast' → 'channels_last'. */
export function toSnakeCase(name: string): string {
  const s = name.replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  return s[0] !== '_' ? s : `private${s}`;
}

/** 'kernel_initializer' → 'kernelInitializer'. */
export function toCamelCase(id: string): string {
  if (id.length <= 1 || id.indexOf('_') === -1) return id;
  return id.replace(/[_]+(\w|$)/g, (_m, p1: string) => p1.toUpperCase());
}

/** camelCase keys and string values → snake_case (names and class names are kept). */
export function convertTsToPythonic(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return toSnakeCase(v);
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map((x) => convertTsToPythonic(x));
  const out: Config = {};
  for (const [k, val] of Object.entries(v as Config)) {
    out[toSnakeCase(k)] = (k === 'name' || k === 'className') && typeof val === 'string' ? val : convertTsToPythonic(val);
  }
  return out;
}

/** snake_case keys and string values → camelCase ('name' values are kept). */
export function convertPythonicToTs(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return toCamelCase(v);
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map((x) => convertPythonicToTs(x));
  const out: Config = {};
  for (const [k, val] of Object.entries(v as Config)) {
    out[toCamelCase(k)] = k === 'name' && typeof val === 'string' ? val : convertPythonicToTs(val);
  }
  return out;
}

// ---- initializers ------------------------------------------------------------------------

/** Keras class names of the initializers ferrite has (TensorFlow.js spells LeCun so). */
const INIT_FACTORIES: Record<string, (c: Config) => Initializer> = {
  Zeros: () => initializers.zeros(),
  Ones: () => initializers.ones(),
  Constant: (c) => initializers.constant({ value: Number(c.value ?? 0) }),
  GlorotUniform: (c) => initializers.glorotUniform(seedOf(c)),
  GlorotNormal: (c) => initializers.glorotNormal(seedOf(c)),
  HeUniform: (c) => initializers.heUniform(seedOf(c)),
  HeNormal: (c) => initializers.heNormal(seedOf(c)),
  LecunUniform: (c) => initializers.lecunUniform(seedOf(c)),
  LecunNormal: (c) => initializers.lecunNormal(seedOf(c)),
  LeCunUniform: (c) => initializers.lecunUniform(seedOf(c)),
  LeCunNormal: (c) => initializers.lecunNormal(seedOf(c)),
  RandomNormal: (c) => initializers.randomNormal({ mean: num(c.mean), stddev: num(c.stddev), ...seedOf(c) }),
  RandomUniform: (c) => initializers.randomUniform({ minval: num(c.minval), maxval: num(c.maxval), ...seedOf(c) }),
  TruncatedNormal: (c) => initializers.truncatedNormal({ mean: num(c.mean), stddev: num(c.stddev), ...seedOf(c) }),
  Orthogonal: (c) => initializers.orthogonal({ gain: num(c.gain), ...seedOf(c) }),
  VarianceScaling: (c) => initializers.varianceScaling({
    scale: num(c.scale),
    mode: (c.mode ?? undefined) as 'fanIn' | 'fanOut' | 'fanAvg' | undefined,
    // Keras and TensorFlow.js: 'normal' is the truncated normal; 'untruncated_normal' the plain one.
    distribution: c.distribution === 'uniform' ? 'uniform' : c.distribution === 'untruncatedNormal' ? 'normal' : 'truncatedNormal',
    ...seedOf(c),
  }),
};
const INIT_ALIASES: Record<string, string> = { zeros: 'Zeros', ones: 'Ones', orthogonal: 'Orthogonal' };

function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}
function seedOf(c: Config): { seed?: number } {
  return typeof c.seed === 'number' ? { seed: c.seed } : {};
}

/** A ferrite initializer (or its name) as a TS-style { className, config }. */
export function serializeInitializer(init: string | Initializer, where: string): { className: string; config: Config } {
  const inst = typeof init === 'string' ? getInitializer(toCamelCase(init), where) : init;
  const c = inst.getConfig() as Config;
  const seed = c.seed ?? null;
  switch (inst.className) {
    case 'GlorotUniform': case 'GlorotNormal': case 'HeUniform': case 'HeNormal':
      return { className: inst.className, config: { seed } };
    case 'LecunUniform': case 'LecunNormal': case 'VarianceScaling': {
      // TensorFlow.js and Keras spell LeCun differently: the VarianceScaling form both read.
      const dist = c.distribution === 'normal' ? 'untruncatedNormal' : c.distribution;
      return { className: 'VarianceScaling', config: { scale: c.scale, mode: c.mode, distribution: dist, seed } };
    }
    default:
      return { className: inst.className, config: { ...c } };
  }
}

/** A TS-style initializer config (or a name) → a ferrite initializer. */
export function deserializeInitializer(v: unknown, where: string): Initializer | string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return getInitializer(toCamelCase(v), where);
  const o = v as { className?: string; config?: Config };
  const cls = INIT_ALIASES[o.className ?? ''] ?? o.className ?? '';
  const make = INIT_FACTORIES[cls];
  if (!make) {
    throw new Error(`${where}: unknown initializer class '${o.className}' (known: ${Object.keys(INIT_FACTORIES).join(', ')})`);
  }
  return make(o.config ?? {});
}

// ---- the layer table -------------------------------------------------------------------

export interface LayerCodec {
  /** The layer's TS-style config (camelCase keys, initializers as { className, config }). */
  toConfig(layer: Layer): Config;
  /** A new layer from a TS-style config. */
  fromConfig(config: Config, load: LayerLoader): Layer;
}

/** Builds a nested layer (wrappers) from its { className, config }. */
export type LayerLoader = (spec: unknown, where: string) => Layer;

/** The layer's initializer for `key` (e.g. kernelInitializer): the object it holds, else its name. */
function initializerOf(layer: Layer, key: string, fallback: unknown): string | Initializer {
  const l = layer as unknown as Record<string, unknown>;
  const base = key.replace(/Initializer$/, '');
  const held = l[`${base}Init`] ?? (l.inits as Record<string, unknown> | undefined)?.[base] ?? (base === 'embeddings' ? l.init : undefined);
  const v = held ?? fallback;
  if (typeof v === 'string' || (v && typeof (v as Initializer).getConfig === 'function')) return v as string | Initializer;
  throw new Error(`${layer.name} (${layer.className}): cannot serialize its ${key}`);
}

/** getConfig() in the TS form: initializers serialized, ferrite-only keys removed. */
function genericConfig(layer: Layer): Config {
  const c: Config = { ...layer.getConfig() };
  for (const k of Object.keys(c)) {
    if (k.endsWith('Initializer')) c[k] = serializeInitializer(initializerOf(layer, k, c[k]), `${layer.name} (${layer.className})`);
  }
  // As TensorFlow.js: the first layer names its input dtype (an Embedding's ids are not float32).
  if (c.batchInputShape && layer.className !== 'Embedding') c.dtype = 'float32';
  return c;
}

/** A config as constructor arguments: nulls dropped, initializers built, Keras 3 keys mapped. */
function argsOf(config: Config, who: string, keepNull: string[] = []): Config {
  const a: Config = {};
  for (const [k, v] of Object.entries(config)) {
    if (v === null && !keepNull.includes(k)) continue;
    if (k.endsWith('Initializer')) a[k] = deserializeInitializer(v, who);
    else a[k] = v;
  }
  if (a.batchShape && !a.batchInputShape) a.batchInputShape = a.batchShape;
  delete a.batchShape;
  delete a.dtype;
  if (Array.isArray(a.batchInputShape)) a.batchInputShape = (a.batchInputShape as unknown[]).map((d) => (typeof d === 'number' ? d : null));
  return a;
}

function unsupported(who: string, what: string): never {
  throw new Error(`${who}: ${what} is not supported by ferrite`);
}

/** A codec that reads getConfig() and constructs with `make`. */
function simple<T extends Layer>(make: (args: never) => T, check?: (a: Config, who: string) => void): LayerCodec {
  return {
    toConfig: genericConfig,
    fromConfig(config, _load) {
      const who = `layer '${config.name ?? '?'}'`;
      const a = argsOf(config, who);
      check?.(a, who);
      return make(a as never);
    },
  };
}

const rnnCheck = (a: Config, who: string) => {
  if (a.timeMajor) unsupported(who, 'time_major: true');
  delete a.implementation;
  delete a.unroll;
};

/** The inner layer of a wrapper, named as it was given (Bidirectional renames its copies). */
function innerConfig(layer: Layer, name: string): { className: string; config: Config } {
  const c = codecFor(layer).toConfig(layer);
  c.name = name;
  delete c.batchInputShape;
  delete c.dtype;
  return { className: layer.className, config: c };
}

const CODECS: Record<string, LayerCodec> = {
  Dense: simple((a: never) => new Dense(a)),
  Dropout: simple((a: never) => new Dropout(a)),
  Flatten: simple((a: never) => new Flatten(a), (a) => { delete a.dataFormat; }),
  Activation: simple((a: never) => new Activation(a)),
  Reshape: simple((a: never) => new Reshape(a)),
  RepeatVector: simple((a: never) => new RepeatVector(a)),
  Embedding: simple((a: never) => new Embedding(a), (a, who) => {
    if (Array.isArray(a.inputLength)) a.inputLength = (a.inputLength as number[])[0];
    if (a.sparse) unsupported(who, 'sparse: true');
  }),
  GlobalAveragePooling1D: simple((a: never) => new GlobalAveragePooling1D(a), (a, who) => {
    if (a.keepdims) unsupported(who, 'keepdims: true');
    if (a.dataFormat !== undefined && a.dataFormat !== 'channelsLast') unsupported(who, `data_format '${toSnakeCase(String(a.dataFormat))}'`);
  }),
  Conv1D: {
    // TensorFlow.js' Conv1D has no data_format key (channels-last only).
    toConfig: (l) => { const c = genericConfig(l); delete c.dataFormat; return c; },
    fromConfig: simple((a: never) => new Conv1D(a), (a, who) => {
      if (typeof a.groups === 'number' && a.groups !== 1) unsupported(who, `groups: ${a.groups}`);
    }).fromConfig,
  },
  Conv2D: simple((a: never) => new Conv2D(a), (a, who) => {
    if (typeof a.groups === 'number' && a.groups !== 1) unsupported(who, `groups: ${a.groups}`);
  }),
  MaxPooling2D: simple((a: never) => new MaxPooling2D(a)),
  AveragePooling2D: simple((a: never) => new AveragePooling2D(a)),
  GlobalMaxPooling2D: simple((a: never) => new GlobalMaxPooling2D(a), (a, who) => { if (a.keepdims) unsupported(who, 'keepdims: true'); }),
  GlobalAveragePooling2D: simple((a: never) => new GlobalAveragePooling2D(a), (a, who) => { if (a.keepdims) unsupported(who, 'keepdims: true'); }),
  BatchNormalization: simple((a: never) => new BatchNormalization(a), (a, who) => {
    if (Array.isArray(a.axis)) {
      if (a.axis.length !== 1) unsupported(who, `axis ${JSON.stringify(a.axis)} (more than one axis)`);
      a.axis = a.axis[0];
    }
  }),
  LSTM: simple((a: never) => new LSTM(a), rnnCheck),
  GRU: simple((a: never) => new GRU(a), rnnCheck),
  SimpleRNN: simple((a: never) => new SimpleRNN(a), rnnCheck),
  Bidirectional: {
    toConfig(layer) {
      const b = layer as Bidirectional;
      const base = b.getConfig() as Config;
      const innerName = b.forwardLayer.name.replace(/^forward_/, '');
      const c: Config = { name: base.name, trainable: base.trainable, mergeMode: b.mergeMode, layer: innerConfig(b.forwardLayer, innerName) };
      if (b.backwardLayer.name !== `backward_${innerName}`) c.backwardLayer = innerConfig(b.backwardLayer, b.backwardLayer.name);
      if (base.batchInputShape) {
        c.batchInputShape = base.batchInputShape;
        c.dtype = 'float32';
      }
      return c;
    },
    fromConfig(config, load) {
      const who = `layer '${config.name ?? '?'}' (Bidirectional)`;
      const a = argsOf(config, who, ['mergeMode']);
      if (!a.layer) throw new Error(`${who}: its config has no inner 'layer'`);
      const inner = load(a.layer, who);
      const backward = a.backwardLayer ? load(a.backwardLayer, who) : undefined;
      if (!(inner instanceof RNN) || (backward && !(backward instanceof RNN))) {
        throw new Error(`${who}: the wrapped layer must be an LSTM, GRU or SimpleRNN, got ${inner.className}`);
      }
      return new Bidirectional({ ...(a as object), layer: inner, backwardLayer: backward as RNN | undefined } as never);
    },
  },
  TimeDistributed: {
    toConfig(layer) {
      const t = layer as TimeDistributed;
      const base = t.getConfig() as Config;
      const c: Config = { name: base.name, trainable: base.trainable, layer: innerConfig(t.layer, t.layer.name) };
      if (base.batchInputShape) {
        c.batchInputShape = base.batchInputShape;
        c.dtype = 'float32';
      }
      return c;
    },
    fromConfig(config, load) {
      const who = `layer '${config.name ?? '?'}' (TimeDistributed)`;
      const a = argsOf(config, who);
      if (!a.layer) throw new Error(`${who}: its config has no inner 'layer'`);
      return new TimeDistributed({ ...(a as object), layer: load(a.layer, who) } as never);
    },
  },
  Add: simple((a: never) => new Add(a)),
  Subtract: simple((a: never) => new Subtract(a)),
  Multiply: simple((a: never) => new Multiply(a)),
  Average: simple((a: never) => new Average(a)),
  Maximum: simple((a: never) => new Maximum(a)),
  Minimum: simple((a: never) => new Minimum(a)),
  Concatenate: simple((a: never) => new Concatenate(a)),
  Dot: simple((a: never) => new Dot(a)),
  ReLU: simple((a: never) => new ReLU(a)),
  LeakyReLU: simple((a: never) => new LeakyReLU(a)),
  PReLU: simple((a: never) => new PReLU(a)),
  ELU: simple((a: never) => new ELU(a)),
  ThresholdedReLU: simple((a: never) => new ThresholdedReLU(a)),
  Softmax: simple((a: never) => new Softmax(a)),
  SpatialDropout1D: simple((a: never) => new SpatialDropout1D(a)),
  GaussianNoise: simple((a: never) => new GaussianNoise(a)),
  GaussianDropout: simple((a: never) => new GaussianDropout(a)),
  AlphaDropout: simple((a: never) => new AlphaDropout(a)),
  Masking: simple((a: never) => new Masking(a)),
  Permute: simple((a: never) => new Permute(a)),
  Rescaling: simple((a: never) => new Rescaling(a)),
  CategoryEncoding: simple((a: never) => new CategoryEncoding(a)),
  RandomWidth: simple((a: never) => new RandomWidth(a)),
  SimpleRNNCell: simple((a: never) => new SimpleRNNCell(a)),
  LSTMCell: simple((a: never) => new LSTMCell(a)),
  GRUCell: simple((a: never) => new GRUCell(a)),
  StackedRNNCells: {
    toConfig(layer) {
      const s = layer as StackedRNNCells;
      return { name: s.name, trainable: s.trainable, cells: s.cells.map((c) => innerConfig(c, c.name)) };
    },
    fromConfig(config, load) {
      const who = `layer '${config.name ?? '?'}' (StackedRNNCells)`;
      const cells = config.cells;
      if (!Array.isArray(cells)) throw new Error(`${who}: its config has no cells list`);
      return new StackedRNNCells({ name: config.name as string | undefined, cells: cells.map((c) => load(c, who) as RNNCell) });
    },
  },
  RNN: {
    toConfig(layer) {
      const r = layer as CellRNN;
      const c: Config = { ...genericConfig(r), cell: innerConfig(r.cell, r.cell.name) };
      return c;
    },
    fromConfig(config, load) {
      const who = `layer '${config.name ?? '?'}' (RNN)`;
      const a = argsOf(config, who);
      if (!a.cell) throw new Error(`${who}: its config has no cell`);
      const cell = load(a.cell, who);
      if (!isCell(cell)) throw new Error(`${who}: its cell ${cell.className} is not a recurrent cell`);
      delete a.unroll;
      delete a.timeMajor;
      return new CellRNN({ ...(a as object), cell } as never);
    },
  },
  ...attentionLayerCodecs({ simple, unsupported }),
  InputLayer: {
    toConfig: (l) => (l as InputLayer).getConfig(),
    fromConfig(config) {
      const shape = (config.batchInputShape ?? config.batchShape) as unknown[] | undefined;
      if (!Array.isArray(shape)) throw new Error(`layer '${config.name ?? '?'}' (InputLayer): its config has no batch_input_shape / batch_shape`);
      if (config.sparse) unsupported(`layer '${config.name ?? '?'}' (InputLayer)`, 'sparse: true');
      const dtype = config.dtype === 'int32' ? 'int32' : 'float32';
      return new InputLayer({ batchInputShape: shape.map((d) => (typeof d === 'number' ? d : null)), dtype, name: config.name as string | undefined });
    },
  },
  ...convLayerCodecs({ simple, unsupported }),
};

/** TensorFlow.js' alternative class names. */
const CLASS_ALIASES: Record<string, string> = {
  MaxPool2D: 'MaxPooling2D', AvgPool2D: 'AveragePooling2D', AveragePool2D: 'AveragePooling2D',
  GlobalMaxPool2D: 'GlobalMaxPooling2D', GlobalAvgPool2D: 'GlobalAveragePooling2D', GlobalAveragePool2D: 'GlobalAveragePooling2D',
  GlobalAvgPool1D: 'GlobalAveragePooling1D', GlobalAveragePool1D: 'GlobalAveragePooling1D',
  Convolution1D: 'Conv1D', Convolution2D: 'Conv2D',
  ...CONV_LAYER_ALIASES,
};

const custom = new Map<string, LayerCodec>();

/** How models nested in a model are written and read (ts/io/model-topology.ts registers it). */
interface ModelCodec {
  classes: string[];
  serialize(layer: Layer): { class_name: string; config: Config };
  deserialize(className: string, rawConfig: unknown, customObjects: Record<string, (c: Config) => Layer>, where: string): Layer;
  isModel(layer: Layer): boolean;
}
let modelCodec: ModelCodec | null = null;

/** @internal set by ts/io/model-topology.ts. */
export function setModelCodec(codec: ModelCodec): void {
  modelCodec = codec;
}

/**
 * Registers a layer class for saving and loading: `fromConfig` gets the camelCase config
 * (as TensorFlow.js' fromConfig), `toConfig` (default: the layer's getConfig()) gives it.
 */
export function registerLayer(className: string, codec: { fromConfig: (config: Config) => Layer; toConfig?: (layer: Layer) => Config }): void {
  custom.set(className, { toConfig: codec.toConfig ?? genericConfig, fromConfig: (c) => codec.fromConfig(c) });
}

function codecFor(layer: Layer): LayerCodec {
  return custom.get(layer.className) ?? CODECS[layer.className] ?? { toConfig: genericConfig, fromConfig: () => { throw new Error('unreachable'); } };
}

/** The class names ferrite can load. */
export function knownLayerClasses(): string[] {
  return [...Object.keys(CODECS), ...(modelCodec?.classes ?? []), ...custom.keys()];
}

/** A layer as Keras JSON: { class_name, config } with snake_case keys. */
export function serializeLayer(layer: Layer): { class_name: string; config: Config } {
  if (modelCodec?.isModel(layer) && !custom.has(layer.className)) return modelCodec.serialize(layer);
  const c = codecFor(layer).toConfig(layer);
  return { class_name: layer.className, config: convertTsToPythonic(c) as Config };
}

/**
 * A new layer from Keras JSON ({ class_name, config }, snake_case). `customObjects` adds
 * factories for classes ferrite does not have. Throws naming the layer and its class when
 * the class is unknown.
 */
export function deserializeLayer(spec: unknown, customObjects: Record<string, (c: Config) => Layer> = {}, where = 'model.json'): Layer {
  const s = spec as { class_name?: string; className?: string; config?: unknown };
  const cls = s?.class_name ?? s?.className;
  if (typeof cls !== 'string' || !s.config || typeof s.config !== 'object') {
    throw new Error(`${where}: expected a layer as { class_name, config }, got ${JSON.stringify(spec)?.slice(0, 120)}`);
  }
  if (modelCodec && modelCodec.classes.includes(cls) && !customObjects[cls] && !custom.has(cls)) {
    // Models keep their raw config: layer names inside inbound_nodes must not be camel-cased.
    return modelCodec.deserialize(cls, s.config, customObjects, where);
  }
  // A nested spec already in TS form (className) is converted again harmlessly: its keys are camelCase.
  const config = convertPythonicToTs(s.config) as Config;
  const name = typeof config.name === 'string' ? config.name : '?';
  const user = customObjects[cls];
  if (user) return user(config);
  const codec = custom.get(cls) ?? CODECS[CLASS_ALIASES[cls] ?? cls];
  if (!codec) {
    throw new Error(
      `${where}: unknown layer class '${cls}' (layer '${name}'); ferrite knows ${knownLayerClasses().join(', ')} — ` +
        'register others with fe.io.registerLayer or pass customObjects',
    );
  }
  const load: LayerLoader = (inner, w) => {
    const i = inner as { className?: string; class_name?: string; config?: unknown };
    // Inner specs were camel-cased with their parent: className, not class_name.
    return deserializeLayer({ class_name: i.class_name ?? i.className, config: i.config }, customObjects, w);
  };
  return codec.fromConfig(config, load);
}

/**
 * The manifest names of a layer's weights, in the order of layer.weights: '<layer>/<weight>';
 * Bidirectional '<layer>/forward_<inner>/<weight>', TimeDistributed '<layer>/<weight>'
 * (TensorFlow.js' names).
 */
export function weightNames(layer: Layer): string[] {
  if (modelCodec?.isModel(layer)) {
    // A nested model's weights keep their own layers' names (unique in the outer model).
    const inner = (layer as unknown as { layers: Layer[] }).layers;
    const seen = new Set<unknown>();
    const out: string[] = [];
    for (const l of inner) {
      const names = weightNames(l);
      l.weights.forEach((w, i) => {
        if (seen.has(w)) return;
        seen.add(w);
        out.push(names[i]);
      });
    }
    return out;
  }
  if (layer instanceof CellRNN) {
    // As TensorFlow.js: '<rnn>/kernel' for one cell, '<rnn>/RNNCell_<i>/kernel' for stacked cells.
    const last = (v: { name?: string }, i: number) => v.name?.split('/').pop() ?? `weight_${i}`;
    if (layer.cell instanceof StackedRNNCells) {
      return layer.cell.cells.flatMap((c, k) => c.weights.map((v, i) => `${layer.name}/RNNCell_${k}/${last(v, i)}`));
    }
    return layer.weights.map((v, i) => `${layer.name}/${last(v, i)}`);
  }
  if (layer instanceof Bidirectional) {
    return [...weightNames(layer.forwardLayer), ...weightNames(layer.backwardLayer)].map((n) => `${layer.name}/${n}`);
  }
  if (layer instanceof TimeDistributed) {
    const inner = layer.layer;
    return weightNames(inner).map((n) => (n.startsWith(`${inner.name}/`) ? `${layer.name}/${n.slice(inner.name.length + 1)}` : `${layer.name}/${n}`));
  }
  return layer.weights.map((v, i) => {
    const n = v.name ?? `weight_${i}`;
    return n.startsWith(`${layer.name}/`) ? n : `${layer.name}/${n}`;
  });
}
