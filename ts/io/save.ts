/**
 * model.save(): the topology as Keras JSON, the weights under their TensorFlow.js manifest
 * names, and (includeOptimizer) the training config and the optimizer's state.
 */
import type { LayersModel } from '../models/functional';
import type { Variable } from '../tensor';
import { serializeModel } from './model-topology';
import { optimizerToConfig, optimizerWeights } from './optimizer-state';
import { getSaveHandler } from './router';
import { toSnakeCase, weightNames } from './serialization';
import type { IOHandler, ModelArtifacts, SaveConfig, SaveResult, TrainingConfig } from './types';
import { encodeWeights, type NamedArray } from './weights';

export const FERRITE_VERSION = '0.1.0';

/** The model's topology as TensorFlow.js writes it (Sequential, or Model with inbound nodes). */
export function modelTopology(model: LayersModel): Record<string, unknown> {
  return { ...serializeModel(model), keras_version: `ferrite ${FERRITE_VERSION}`, backend: 'ferrite' };
}

/** Each weight with its manifest name, layer by layer (Keras order). */
export function namedModelWeights(model: LayersModel, trainableOnly = false): { name: string; variable: Variable }[] {
  const out: { name: string; variable: Variable }[] = [];
  const seen = new Set<string>();
  const seenVars = new Set<Variable>();
  const trainable = new Set(model.trainableWeights);
  for (const l of model.layers) {
    const names = weightNames(l);
    l.weights.forEach((v, i) => {
      if (seenVars.has(v)) return;
      seenVars.add(v);
      if (trainableOnly && !trainable.has(v)) return;
      if (seen.has(names[i])) {
        throw new Error(`${model.name}.save: two weights are named '${names[i]}'; give the layers unique names`);
      }
      seen.add(names[i]);
      out.push({ name: names[i], variable: v });
    });
  }
  return out;
}

function arrayOf(name: string, v: Variable): NamedArray {
  const values = v.dataSync();
  return {
    name,
    shape: [...v.shape],
    dtype: v.dtype === 'int32' ? 'int32' : 'float32',
    values: values instanceof Int32Array ? values : Float32Array.from(values),
  };
}

/** A compile() loss or metric as model.json names it. */
function savedName(model: LayersModel, what: string, v: unknown): string {
  if (typeof v !== 'string') throw new Error(`${model.name}.save: includeOptimizer needs ${what} given by name in compile() (a function cannot be saved)`);
  return toSnakeCase(v);
}

function trainingConfigOf(model: LayersModel): TrainingConfig {
  const c = model.compiled!;
  const loss = c.lossArg;
  const lossOut = typeof loss === 'string' || typeof loss === 'function'
    ? savedName(model, 'a loss', loss)
    : Array.isArray(loss)
      ? loss.map((l) => savedName(model, 'a loss', l))
      : Object.fromEntries(Object.entries(loss).map(([k, l]) => [k, savedName(model, 'a loss', l)]));
  const m = c.metricsArg;
  const metrics = m === undefined
    ? []
    : Array.isArray(m)
      ? m.map((x) => savedName(model, 'metrics', x))
      : Object.fromEntries(Object.entries(m).map(([k, x]) => [k, Array.isArray(x) ? x.map((y) => savedName(model, 'metrics', y)) : savedName(model, 'metrics', x)]));
  return { loss: lossOut, metrics: metrics as TrainingConfig['metrics'], optimizer_config: optimizerToConfig(c.optimizer) };
}

/** The artifacts tf.LayersModel.save would write for this model. */
export function modelArtifacts(model: LayersModel, config: SaveConfig = {}): ModelArtifacts {
  if (!model.built) {
    try {
      model.build();
    } catch {
      throw new Error(
        `${model.name}.save: the model has no weights yet — give its first layer an inputShape, or call fit/predict before saving`,
      );
    }
  }
  const named = namedModelWeights(model, config.trainableOnly ?? false);
  const enc = encodeWeights(named.map(({ name, variable }) => arrayOf(name, variable)));
  const artifacts: ModelArtifacts = {
    modelTopology: modelTopology(model),
    format: 'layers-model',
    generatedBy: `ferrite v${FERRITE_VERSION}`,
    convertedBy: null,
  };
  let data = enc.data;
  const specs = enc.specs;
  if (config.includeOptimizer && model.optimizer) {
    artifacts.trainingConfig = trainingConfigOf(model);
    const vars = model.compiled!.collectedWeights;
    const byVar = new Map(namedModelWeights(model).map((w) => [w.variable, w.name]));
    const opt = encodeWeights(optimizerWeights(model.optimizer, vars, vars.map((v) => byVar.get(v) ?? v.name ?? 'weight')), 'optimizer');
    specs.push(...opt.specs);
    const joined = new Uint8Array(data.byteLength + opt.data.byteLength);
    joined.set(new Uint8Array(data), 0);
    joined.set(new Uint8Array(opt.data), data.byteLength);
    data = joined.buffer;
  }
  const meta = { ...(model.getUserDefinedMetadata() ?? {}), ...(config.userDefinedMetadata ?? {}) };
  if (Object.keys(meta).length) artifacts.userDefinedMetadata = meta;
  artifacts.weightSpecs = specs;
  artifacts.weightData = data;
  return artifacts;
}

/** model.save(handlerOrURL, config): 'file://dir', 'indexeddb://name', 'downloads://name', 'http(s)://…' or an IOHandler. */
export async function saveModel(model: LayersModel, handlerOrURL: string | IOHandler, config: SaveConfig = {}): Promise<SaveResult> {
  const handler = typeof handlerOrURL === 'string' ? getSaveHandler(handlerOrURL) : handlerOrURL;
  if (!handler || typeof handler.save !== 'function') {
    throw new Error(`${model.name}.save: the handler has no save method (use fe.io.withSaveHandler, or a URL such as file://…)`);
  }
  return handler.save(modelArtifacts(model, config));
}
