/**
 * model.save(): the topology as Keras JSON, the weights under their TensorFlow.js manifest
 * names, and (includeOptimizer) the training config and the optimizer's state.
 */
import type { Layer, SymbolicShape } from '../layers/layer';
import type { MetricFn } from '../metrics';
import type { Optimizer } from '../optimizers/optimizer';
import type { Variable } from '../tensor';
import { optimizerToConfig, optimizerWeights } from './optimizer-state';
import { getSaveHandler } from './router';
import { serializeLayer, toSnakeCase, weightNames } from './serialization';
import type { IOHandler, ModelArtifacts, SaveConfig, SaveResult, TrainingConfig } from './types';
import { encodeWeights, type NamedArray } from './weights';

export const FERRITE_VERSION = '0.1.0';

/** What saving reads from a Sequential model. */
export interface SavableModel {
  readonly name: string;
  readonly layers: Layer[];
  readonly optimizer: Optimizer | null;
  readonly built: boolean;
  build(inputShape?: SymbolicShape): void;
  readonly trainableWeights: Variable[];
  readonly saveState: { inputShape: SymbolicShape | null; loss: string | null; metrics: (string | MetricFn)[] };
  getUserDefinedMetadata(): Record<string, unknown> | undefined;
}

/** The model's topology as TensorFlow.js writes it (class Sequential, Keras layer configs). */
export function modelTopology(model: SavableModel): Record<string, unknown> {
  const layers = model.layers.map((l) => serializeLayer(l));
  const first = layers[0]?.config;
  const shape = model.saveState.inputShape;
  if (first && first.batch_input_shape == null && shape) {
    first.batch_input_shape = [...shape];
    first.dtype = 'float32';
  }
  return {
    class_name: 'Sequential',
    config: { name: model.name, layers },
    keras_version: `ferrite ${FERRITE_VERSION}`,
    backend: 'ferrite',
  };
}

/** Each weight with its manifest name, layer by layer (Keras order). */
export function namedModelWeights(model: SavableModel, trainableOnly = false): { name: string; variable: Variable }[] {
  const out: { name: string; variable: Variable }[] = [];
  const seen = new Set<string>();
  for (const l of model.layers) {
    const names = weightNames(l);
    l.weights.forEach((v, i) => {
      if (trainableOnly && !(v.trainable && l.trainable)) return;
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

function trainingConfigOf(model: SavableModel): TrainingConfig {
  const { loss, metrics } = model.saveState;
  if (!loss) throw new Error(`${model.name}.save: includeOptimizer needs a loss given by name in compile() (a function cannot be saved)`);
  const names = metrics.map((m) => {
    if (typeof m !== 'string') throw new Error(`${model.name}.save: includeOptimizer needs metrics given by name (a function cannot be saved)`);
    return toSnakeCase(m);
  });
  return { loss: toSnakeCase(loss), metrics: names, optimizer_config: optimizerToConfig(model.optimizer!) };
}

/** The artifacts tf.LayersModel.save would write for this model. */
export function modelArtifacts(model: SavableModel, config: SaveConfig = {}): ModelArtifacts {
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
    const vars = model.trainableWeights;
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
export async function saveModel(model: SavableModel, handlerOrURL: string | IOHandler, config: SaveConfig = {}): Promise<SaveResult> {
  const handler = typeof handlerOrURL === 'string' ? getSaveHandler(handlerOrURL) : handlerOrURL;
  if (!handler || typeof handler.save !== 'function') {
    throw new Error(`${model.name}.save: the handler has no save method (use fe.io.withSaveHandler, or a URL such as file://…)`);
  }
  return handler.save(modelArtifacts(model, config));
}
