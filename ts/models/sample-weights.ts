/**
 * Per-sample loss weights, as Keras and TensorFlow.js: fit's `sampleWeight` (a weight per
 * sample) and `classWeight` (a weight per class, looked up from each sample's target — the
 * class index of a one-hot row, the id of a sparse or binary target). A weighted output's
 * loss is the mean of weight · per-sample loss (Keras' sum over the batch size).
 */
import * as ops from '../ops/index';
import { fmt } from '../ops/util';
import { Tensor } from '../tensor';

/** { class: weight }, as Keras' class_weight. */
export type ClassWeight = Record<number | string, number>;
/** One ClassWeight for a single-output model, a list (one per output) or a map by output name. */
export type ClassWeightArg = ClassWeight | (ClassWeight | null)[] | Record<string, ClassWeight>;

/** Whether v is one class → weight table (keys are class indices). */
function isTable(v: unknown): v is ClassWeight {
  return !!v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).every((k) => /^\d+$/.test(k));
}

/** classWeight as one table (or null) per output. */
export function classWeightsPerOutput(who: string, arg: ClassWeightArg | undefined, outputs: string[]): (ClassWeight | null)[] {
  if (arg === undefined || arg === null) return outputs.map(() => null);
  let tables: (ClassWeight | null | undefined)[];
  if (isTable(arg)) {
    if (outputs.length !== 1) throw new Error(`${who}: the model has ${outputs.length} outputs; give classWeight as a list or a map by output name (${outputs.join(', ')})`);
    tables = [arg];
  } else if (Array.isArray(arg)) {
    if (arg.length !== outputs.length) throw new Error(`${who}: classWeight is a list of ${arg.length}, but the model has ${outputs.length} outputs`);
    tables = arg;
  } else {
    const map = arg as Record<string, ClassWeight>;
    for (const k of Object.keys(map)) if (!outputs.includes(k)) throw new Error(`${who}: classWeight names output '${k}', but the outputs are ${outputs.join(', ')}`);
    tables = outputs.map((o) => map[o]);
  }
  return tables.map((t, i) => {
    if (t === undefined || t === null) return null;
    if (!isTable(t)) throw new Error(`${who}: classWeight for output '${outputs[i]}' must map class indices to weights, got ${JSON.stringify(t)}`);
    for (const [k, w] of Object.entries(t)) {
      if (!(typeof w === 'number' && Number.isFinite(w) && w >= 0)) throw new Error(`${who}: classWeight[${k}] must be a non-negative number, got ${w}`);
    }
    return t;
  });
}

/** The weight of each sample of a target batch from its class (a [batch] float32 tensor). */
export function weightsFromClasses(who: string, output: string, y: Tensor, table: ClassWeight): Tensor {
  if (y.rank > 2) throw new Error(`${who}: classWeight needs targets of rank 1 or 2 for output '${output}', got ${fmt(y.shape)} (weight sequences with sampleWeight)`);
  const n = y.shape[0];
  const width = y.rank === 2 ? y.shape[1] : 1;
  const v = y.dataSync();
  const out = new Float32Array(n);
  const missing = new Set<number>();
  for (let i = 0; i < n; i++) {
    let cls: number;
    if (width > 1) {
      cls = 0;
      for (let j = 1; j < width; j++) if (v[i * width + j] > v[i * width + cls]) cls = j;
    } else {
      cls = Math.round(Number(v[i * width]));
    }
    const w = table[cls];
    if (w === undefined) missing.add(cls);
    else out[i] = w;
  }
  if (missing.size) {
    throw new Error(`${who}: classWeight for output '${output}' has no weight for class${missing.size > 1 ? 'es' : ''} ${[...missing].sort((a, b) => a - b).join(', ')}, which the targets contain`);
  }
  return ops.tensor(out, [n]);
}

/** sampleWeight as one [n] tensor (or null) per output. */
export function sampleWeightsPerOutput(who: string, arg: Tensor | (Tensor | null)[] | Record<string, Tensor> | undefined, outputs: string[], n: number): (Tensor | null)[] {
  if (arg === undefined || arg === null) return outputs.map(() => null);
  const list = arg instanceof Tensor
    ? outputs.map(() => arg)
    : Array.isArray(arg)
      ? arg
      : outputs.map((o) => (arg as Record<string, Tensor>)[o] ?? null);
  if (list.length !== outputs.length) throw new Error(`${who}: sampleWeight is a list of ${list.length}, but the model has ${outputs.length} outputs`);
  if (!(arg instanceof Tensor) && !Array.isArray(arg)) {
    for (const k of Object.keys(arg)) if (!outputs.includes(k)) throw new Error(`${who}: sampleWeight names output '${k}', but the outputs are ${outputs.join(', ')}`);
  }
  list.forEach((w, i) => {
    if (w && (w.rank !== 1 || w.shape[0] !== n)) throw new Error(`${who}: sampleWeight for output '${outputs[i]}' must have shape [${n}] (one weight per sample), got ${fmt(w.shape)}`);
  });
  return list;
}

/** mean(weight · per-sample loss): the weight broadcast over the loss's axes after the batch. */
export function weightedMean(perSample: Tensor, w: Tensor): Tensor {
  const shaped = perSample.rank > 1 ? ops.reshape(w, [w.shape[0], ...perSample.shape.slice(1).map(() => 1)]) : w;
  return ops.mean(ops.mul(perSample, shaped));
}
