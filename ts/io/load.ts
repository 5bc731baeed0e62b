/**
 * fe.loadLayersModel: a model from TensorFlow.js layers-format artifacts (written by ferrite,
 * by tf.LayersModel.save, or by the TensorFlow.js converter from Keras): a Sequential or a
 * functional LayersModel, as the file says.
 *
 * Everything is checked before the model is handed out: the weight data's size against the
 * manifest, every layer class, every weight's name and shape against the topology. On any
 * error the layers built so far are freed and nothing is returned.
 */
import { ENGINE } from '../engine';
import type { LayersModel } from '../models/functional';
import { getRandomState, setRandomState } from '../ops/random';
import type { Variable } from '../tensor';
import { deserializeModel } from './model-topology';
import { optimizerFromConfig, setOptimizerWeights } from './optimizer-state';
import { http, isHttpURL } from './http';
import { getLoadHandler } from './router';
import { namedModelWeights } from './save';
import { toCamelCase } from './serialization';
import type { IOHandler, LoadOptions, ModelArtifacts } from './types';
import { decodeWeights, joinWeightData, type NamedArray } from './weights';

/** TensorFlow.js' name matching: exact, without ':0', or without an inner cell name (TF ≥ 2.2). */
function matchName(name: string, byName: Map<string, Variable>): string | null {
  const n = name.replace(/:0$/, '');
  if (byName.has(n)) return n;
  const t = n.split('/');
  const short = [...t.slice(0, -2), t[t.length - 1]].join('/');
  if (byName.has(short)) return short;
  // A nested model's name in front of its layers' weight names.
  for (let i = 1; i < t.length - 1; i++) {
    const tail = t.slice(i).join('/');
    if (byName.has(tail)) return tail;
  }
  // TensorFlow.js names a cell's weights without the cell ('rnn/kernel' for 'rnn/lstm_cell/kernel').
  if (t.length === 2) {
    const candidates = [...byName.keys()].filter((k) => {
      const p = k.split('/');
      return p.length === 3 && p[0] === t[0] && p[2] === t[1];
    });
    if (candidates.length === 1) return candidates[0];
  }
  return null;
}

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/** Sets the model's weights from decoded arrays (all checked first). */
function assignWeights(model: LayersModel, arrays: NamedArray[], strict: boolean): void {
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

/** A loss or metric name from model.json (snake_case) in ferrite's spelling. */
function nameOf(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Error(`model.json: the training config's ${what} ${JSON.stringify(v)} is not a name`);
  return toCamelCase(v);
}

/** compile() arguments from model.json's training config. */
function compileFromTrainingConfig(model: LayersModel, tc: NonNullable<ModelArtifacts['trainingConfig']>): void {
  const outputs = model.outputNames;
  let loss: string | string[] | Record<string, string>;
  const l = tc.loss as unknown;
  if (typeof l === 'string') loss = nameOf(l, 'loss');
  else if (Array.isArray(l)) loss = l.length === 1 && outputs.length === 1 ? nameOf(l[0], 'loss') : l.map((x) => nameOf(x, 'loss'));
  else if (l && typeof l === 'object') {
    const entries = Object.entries(l as Record<string, unknown>);
    loss = entries.length === 1 && outputs.length === 1 ? nameOf(entries[0][1], 'loss') : Object.fromEntries(entries.map(([k, x]) => [k, nameOf(x, 'loss')]));
  } else throw new Error(`model.json: the training config's loss ${JSON.stringify(tc.loss)} is not a loss name, a list or a map`);
  const m = tc.metrics as unknown;
  let metrics: string[] | Record<string, string | string[]> | undefined;
  if (m === undefined || m === null) metrics = undefined;
  else if (Array.isArray(m)) metrics = m.map((x) => nameOf(x, 'metric'));
  else {
    const entries = Object.entries(m as Record<string, unknown>);
    metrics = outputs.length === 1 && entries.length === 1 && !outputs.includes(entries[0][0])
      ? ([] as unknown[]).concat(entries[0][1]).map((x) => nameOf(x, 'metric'))
      : Object.fromEntries(entries.map(([k, x]) => [k, Array.isArray(x) ? x.map((y) => nameOf(y, 'metric')) : nameOf(x, 'metric')]));
  }
  model.compile({ optimizer: optimizerFromConfig(tc.optimizer_config), loss, metrics });
}

/** A model from artifacts already in memory. */
export function modelFromArtifacts(artifacts: ModelArtifacts, options: LoadOptions = {}): LayersModel {
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

  const cls = String(topology.class_name ?? topology.className ?? '');
  let model: LayersModel | null = null;
  // Building draws initial values that the loaded ones replace: leave the random stream as it was.
  const randomState = getRandomState();
  try {
    model = deserializeModel(cls, topology.config, options.customObjects ?? {});
    const modelArrays = arrays.filter((a) => a.group !== 'optimizer');
    if (modelArrays.length && !model.built) {
      throw new Error('model.json: the first layer has no batch_input_shape, so its weights cannot be created to receive the saved ones');
    }
    // Without weight data the model keeps its initial weights (TensorFlow.js does the same).
    if (artifacts.weightData != null) assignWeights(model, modelArrays, strict);
    if (artifacts.trainingConfig) {
      compileFromTrainingConfig(model, artifacts.trainingConfig);
      setOptimizerWeights(model.optimizer!, model.compiled!.collectedWeights, arrays.filter((a) => a.group === 'optimizer'));
    }
    if (artifacts.userDefinedMetadata) model.setUserDefinedMetadata(artifacts.userDefinedMetadata);
    return model;
  } catch (e) {
    model?.dispose();
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
export async function loadLayersModel(pathOrHandler: string | IOHandler, options: LoadOptions = {}): Promise<LayersModel> {
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
