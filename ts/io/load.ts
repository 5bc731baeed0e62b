/**
 * fe.loadLayersModel: a Sequential model from TensorFlow.js layers-format artifacts (written
 * by ferrite, by tf.LayersModel.save, or by the TensorFlow.js converter from Keras).
 *
 * Everything is checked before the model is handed out: the weight data's size against the
 * manifest, every layer class, every weight's name and shape against the topology. On any
 * error the layers built so far are freed and nothing is returned.
 */
import { ENGINE } from '../engine';
import type { Layer } from '../layers/layer';
import { Sequential } from '../models/sequential';
import { getRandomState, setRandomState } from '../ops/random';
import type { Variable } from '../tensor';
import { optimizerFromConfig, setOptimizerWeights } from './optimizer-state';
import { http, isHttpURL } from './http';
import { getLoadHandler } from './router';
import { namedModelWeights } from './save';
import { deserializeLayer, toCamelCase, type Config } from './serialization';
import type { IOHandler, LoadOptions, ModelArtifacts } from './types';
import { decodeWeights, joinWeightData, type NamedArray } from './weights';

type LayerSpec = { class_name?: string; className?: string; config: Config; name?: string; inbound_nodes?: unknown };

/** The Keras names of a layer's input tensors (Keras 2 and Keras 3 inbound_nodes). */
function inboundNames(spec: LayerSpec): string[] | null {
  const nodes = spec.inbound_nodes;
  if (!Array.isArray(nodes)) return null;
  if (nodes.length === 0) return [];
  if (nodes.length !== 1) return null;
  const node = nodes[0] as unknown;
  if (Array.isArray(node)) return node.map((t) => (Array.isArray(t) ? String(t[0]) : '?'));
  const args = (node as { args?: unknown[] }).args ?? [];
  return args.map((a) => {
    const h = (a as { config?: { keras_history?: unknown[] } })?.config?.keras_history;
    return Array.isArray(h) ? String(h[0]) : '?';
  });
}

/** The layer specs of a Sequential topology, or of a functional model that is a simple chain. */
function layerSpecs(topology: Record<string, unknown>): { name?: string; specs: LayerSpec[] } {
  const cls = String(topology.class_name ?? topology.className ?? '');
  const config = topology.config as Config | LayerSpec[] | undefined;
  if (cls === 'Sequential') {
    if (Array.isArray(config)) return { specs: config };
    const layers = (config as Config | undefined)?.layers;
    if (!Array.isArray(layers)) throw new Error('model.json: the Sequential topology has no layers list');
    return { name: (config as Config).name as string | undefined, specs: layers as LayerSpec[] };
  }
  if (cls === 'Model' || cls === 'Functional') {
    const c = (config ?? {}) as Config;
    const layers = (c.layers ?? []) as LayerSpec[];
    // A chain input → l1 → l2 → … loads as a Sequential model.
    let prev: string | null = null;
    const chain = layers.every((l) => {
      const name = String(l.name ?? l.config?.name);
      const inbound = inboundNames(l);
      const ok = prev === null ? (l.class_name === 'InputLayer' || (inbound !== null && inbound.length === 0)) : inbound?.length === 1 && inbound[0] === prev;
      prev = name;
      return ok;
    });
    const outputs = c.output_layers as unknown[] | undefined;
    const lastName = layers.length ? String(layers[layers.length - 1].name ?? layers[layers.length - 1].config?.name) : '';
    const singleOut = !outputs || (outputs.length === 1 && Array.isArray(outputs[0]) && String((outputs[0] as unknown[])[0]) === lastName);
    if (!chain || !singleOut) {
      throw new Error(`model.json: this '${cls}' model is not a single chain of layers; ferrite loads Sequential models (and functional models that are a chain)`);
    }
    return { name: c.name as string | undefined, specs: layers };
  }
  throw new Error(`model.json: the topology's class is '${cls || '(none)'}'; ferrite loads Sequential layers models`);
}

/** Keras' InputLayer becomes the next layer's batch_input_shape. */
function foldInputLayers(specs: LayerSpec[]): LayerSpec[] {
  const out: LayerSpec[] = [];
  let pending: unknown[] | null = null;
  for (const s of specs) {
    const cls = s.class_name ?? s.className;
    if (cls === 'InputLayer') {
      const c = s.config ?? {};
      pending = (c.batch_input_shape ?? c.batch_shape ?? c.batchInputShape) as unknown[] | null;
      continue;
    }
    if (pending && s.config && s.config.batch_input_shape == null && s.config.batch_shape == null) {
      out.push({ ...s, config: { ...s.config, batch_input_shape: pending } });
    } else {
      out.push(s);
    }
    pending = null;
  }
  return out;
}

/** TensorFlow.js' name matching: exact, without ':0', or without an inner cell name (TF ≥ 2.2). */
function matchName(name: string, byName: Map<string, Variable>): string | null {
  const n = name.replace(/:0$/, '');
  if (byName.has(n)) return n;
  const t = n.split('/');
  const short = [...t.slice(0, -2), t[t.length - 1]].join('/');
  return byName.has(short) ? short : null;
}

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/** Sets the model's weights from decoded arrays (all checked first). */
function assignWeights(model: Sequential, arrays: NamedArray[], strict: boolean): void {
  const named = namedModelWeights(model);
  const byName = new Map(named.map((w) => [w.name, w.variable]));
  const pairs: [Variable, NamedArray][] = [];
  const unset = new Set(byName.keys());
  for (const a of arrays) {
    const key = matchName(a.name, byName);
    if (key === null) {
      if (strict) {
        throw new Error(`model.json: the weights manifest has '${a.name}', which no layer of the model has (the model's weights: ${[...byName.keys()].join(', ')})`);
      }
      continue;
    }
    const v = byName.get(key)!;
    if (!unset.has(key)) throw new Error(`model.json: the weights manifest has '${key}' twice`);
    unset.delete(key);
    if (a.shape.length !== v.shape.length || a.shape.some((d, i) => d !== v.shape[i])) {
      const layer = key.split('/')[0];
      throw new Error(
        `model.json: weight '${a.name}' has shape ${fmt(a.shape)} in the weights manifest, but layer '${layer}' as the topology describes it ` +
          `has ${fmt(v.shape)} (${v.name})`,
      );
    }
    pairs.push([v, a]);
  }
  if (strict && unset.size) {
    throw new Error(`model.json: ${unset.size} of ${byName.size} weights are not in the weights manifest: ${[...unset].join(', ')}`);
  }
  const b = ENGINE.get();
  for (const [v, a] of pairs) {
    const values = v.dtype === 'int32' ? Int32Array.from(a.values) : a.values instanceof Float32Array ? a.values : Float32Array.from(a.values);
    b.write(v.storage, values);
  }
}

/** compile() arguments from model.json's training config. */
function compileFromTrainingConfig(model: Sequential, tc: NonNullable<ModelArtifacts['trainingConfig']>): void {
  let loss = tc.loss as unknown;
  if (Array.isArray(loss) && loss.length === 1) loss = loss[0];
  if (loss && typeof loss === 'object' && !Array.isArray(loss)) {
    const values = Object.values(loss as Record<string, unknown>);
    if (values.length === 1) loss = values[0];
  }
  if (typeof loss !== 'string') throw new Error(`model.json: the training config's loss ${JSON.stringify(tc.loss)} is not a single loss name`);
  let metrics = tc.metrics as unknown;
  if (metrics && !Array.isArray(metrics)) metrics = Object.values(metrics as Record<string, unknown>);
  const metricNames = ((metrics as unknown[] | undefined) ?? []).map((m) => toCamelCase(String(m)));
  model.compile({ optimizer: optimizerFromConfig(tc.optimizer_config), loss: toCamelCase(loss), metrics: metricNames });
}

/** A model from artifacts already in memory. */
export function modelFromArtifacts(artifacts: ModelArtifacts, options: LoadOptions = {}): Sequential {
  if (!artifacts || typeof artifacts !== 'object') throw new Error('loadLayersModel: the handler returned no artifacts');
  if (artifacts.format === 'graph-model') {
    throw new Error('loadLayersModel: this is a TensorFlow.js graph model (tf.loadGraphModel); ferrite loads layers models');
  }
  let topology = artifacts.modelTopology as Record<string, unknown> | undefined;
  if (!topology) throw new Error('loadLayersModel: the artifacts have no modelTopology');
  if (topology.model_config) topology = topology.model_config as Record<string, unknown>;
  const strict = options.strict ?? true;

  // Decode (and size-check) the weights before building anything.
  let arrays: NamedArray[] = [];
  if (artifacts.weightData != null) {
    if (!artifacts.weightSpecs) throw new Error('loadLayersModel: the artifacts have weight data but no weight specs (weightsManifest)');
    const sources = artifacts.weightSources as string[] | undefined;
    const source = sources?.length ? `weights file ${sources.map((s) => `'${s}'`).join(', ')}` : 'the weight data';
    arrays = decodeWeights(joinWeightData(artifacts.weightData), artifacts.weightSpecs, source);
  }

  const { name, specs } = layerSpecs(topology);
  const layers: Layer[] = [];
  let model: Sequential | null = null;
  // Building draws initial values that the loaded ones replace: leave the random stream as it was.
  const randomState = getRandomState();
  try {
    for (const s of foldInputLayers(specs)) layers.push(deserializeLayer(s, options.customObjects));
    model = new Sequential({ name, layers });
    if (arrays.some((a) => a.group !== 'optimizer')) {
      if (!layers[0]?.batchInputShape) {
        throw new Error('model.json: the first layer has no batch_input_shape, so its weights cannot be created to receive the saved ones');
      }
      model.build();
    } else if (layers[0]?.batchInputShape) {
      model.build();
    }
    assignWeights(model, arrays.filter((a) => a.group !== 'optimizer'), strict);
    if (artifacts.trainingConfig) {
      compileFromTrainingConfig(model, artifacts.trainingConfig);
      setOptimizerWeights(model.optimizer!, model.trainableWeights, arrays.filter((a) => a.group === 'optimizer'));
    }
    if (artifacts.userDefinedMetadata) model.setUserDefinedMetadata(artifacts.userDefinedMetadata);
    return model;
  } catch (e) {
    if (model) model.dispose();
    else layers.forEach((l) => l.dispose());
    throw e;
  } finally {
    setRandomState(randomState);
  }
}

/**
 * Loads a model saved by ferrite or TensorFlow.js: a URL ('file://…/model.json' in Node,
 * 'indexeddb://name', 'http(s)://…/model.json') or an IOHandler (fe.io.fromMemory, …).
 * With a training config (saved with includeOptimizer) the model comes back compiled, its
 * optimizer state restored.
 */
export async function loadLayersModel(pathOrHandler: string | IOHandler, options: LoadOptions = {}): Promise<Sequential> {
  const handler = typeof pathOrHandler !== 'string'
    ? pathOrHandler
    : isHttpURL(pathOrHandler) && (options.requestInit || options.fetchFunc)
      ? http(pathOrHandler, { requestInit: options.requestInit, fetchFunc: options.fetchFunc })
      : getLoadHandler(pathOrHandler);
  if (!handler || typeof handler.load !== 'function') {
    throw new Error('loadLayersModel: the handler has no load method (use a URL or fe.io.fromMemory)');
  }
  return modelFromArtifacts(await handler.load(), options);
}
