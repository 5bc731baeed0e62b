/**
 * fe.metrics: TensorFlow.js' tf.metrics functions — per sample where TensorFlow.js returns per
 * sample (accuracies, cross-entropies, errors), scalars for precision, recall and r2Score — and
 * the names compile({ metrics }) accepts, with the log keys TensorFlow.js and Keras use
 * ('acc' for 'accuracy', the name as given otherwise). Training averages each metric over a
 * batch, then over the epoch weighted by batch size.
 */
import * as ops from './ops/index';
import type { Tensor } from './tensor';
import { checkSameShape, perSample, sparseLabels, toFloat } from './losses-keras';
import { lossesByName, lossName } from './losses';

export type MetricFn = (yTrue: Tensor, yPred: Tensor) => Tensor;

/** Per sample: the fraction of a row's predictions on the right side of `threshold` (0.5). */
export function binaryAccuracy(yTrue: Tensor, yPred: Tensor, threshold = 0.5): Tensor {
  checkSameShape('binaryAccuracy', yTrue, yPred);
  return ops.mean(toFloat(ops.equal(toFloat(yTrue), toFloat(ops.greater(yPred, threshold)))), -1);
}

/** Per sample: 1 where argmax(yPred) = argmax(yTrue), else 0. */
export function categoricalAccuracy(yTrue: Tensor, yPred: Tensor): Tensor {
  checkSameShape('categoricalAccuracy', yTrue, yPred);
  return toFloat(ops.equal(ops.argMax(yTrue, -1), ops.argMax(yPred, -1)));
}

/** Per sample: 1 where argmax(yPred) is the class id yTrue. */
export function sparseCategoricalAccuracy(yTrue: Tensor, yPred: Tensor): Tensor {
  const labels = sparseLabels('sparseCategoricalAccuracy', yTrue, yPred);
  return toFloat(ops.equal(labels, ops.argMax(yPred, -1)));
}

/**
 * Per sample: 1 where the class `ids[r]` is among the k largest predictions of row r (ties
 * at the boundary count as in, as TensorFlow's in_top_k).
 */
function inTopK(name: string, ids: Int32Array, yPred: Tensor, k: number): Tensor {
  if (!Number.isInteger(k) || k < 1) throw new Error(`${name}: k must be a positive integer, got ${String(k)}`);
  const classes = yPred.shape[yPred.rank - 1];
  const p = yPred.dataSync();
  const out = new Float32Array(ids.length);
  for (let r = 0; r < ids.length; r++) {
    const id = ids[r];
    if (!(id >= 0 && id < classes)) throw new Error(`${name}: class id ${id} in row ${r} is outside [0, ${classes})`);
    const target = p[r * classes + id];
    let greater = 0;
    for (let c = 0; c < classes; c++) if (p[r * classes + c] > target) greater++;
    out[r] = greater < k && !Number.isNaN(target) ? 1 : 0;
  }
  return ops.tensor(out, yPred.shape.slice(0, -1));
}

/** Per sample: whether the true class (argmax of yTrue) is in the top k predictions (k = 5). */
export function topKCategoricalAccuracy(yTrue: Tensor, yPred: Tensor, k = 5): Tensor {
  checkSameShape('topKCategoricalAccuracy', yTrue, yPred);
  return inTopK('topKCategoricalAccuracy', ops.argMax(yTrue, -1).dataSync() as Int32Array, yPred, k);
}

/** Per sample: whether the class id yTrue is in the top k predictions (k = 5). */
export function sparseTopKCategoricalAccuracy(yTrue: Tensor, yPred: Tensor, k = 5): Tensor {
  const ids = sparseLabels('sparseTopKCategoricalAccuracy', yTrue, yPred).dataSync();
  return inTopK('sparseTopKCategoricalAccuracy', Int32Array.from(ids), yPred, k);
}

/** Per sample, as TensorFlow.js' metrics (the loss formulas of ts/losses-keras.ts). */
export const binaryCrossentropy: MetricFn = (yTrue, yPred) => perSample.binaryCrossentropy(yTrue, yPred);
export const categoricalCrossentropy: MetricFn = (yTrue, yPred) => perSample.categoricalCrossentropy(yTrue, yPred);
export const sparseCategoricalCrossentropy: MetricFn = (yTrue, yPred) => perSample.sparseCategoricalCrossentropy(yTrue, yPred);
export const meanSquaredError: MetricFn = (yTrue, yPred) => perSample.meanSquaredError(yTrue, yPred);
export const meanAbsoluteError: MetricFn = (yTrue, yPred) => perSample.meanAbsoluteError(yTrue, yPred);
export const meanAbsolutePercentageError: MetricFn = (yTrue, yPred) => perSample.meanAbsolutePercentageError(yTrue, yPred);
/** −cos(yTrue, yPred) per sample (TensorFlow.js' cosineProximity: −1 for the same direction). */
export const cosineProximity: MetricFn = (yTrue, yPred) => perSample.cosineProximity(yTrue, yPred);
// TensorFlow.js' aliases, each a function of that name (so a log key from fn.name reads as given).
export function MSE(yTrue: Tensor, yPred: Tensor): Tensor { return meanSquaredError(yTrue, yPred); }
export function mse(yTrue: Tensor, yPred: Tensor): Tensor { return meanSquaredError(yTrue, yPred); }
export function MAE(yTrue: Tensor, yPred: Tensor): Tensor { return meanAbsoluteError(yTrue, yPred); }
export function mae(yTrue: Tensor, yPred: Tensor): Tensor { return meanAbsoluteError(yTrue, yPred); }
export function MAPE(yTrue: Tensor, yPred: Tensor): Tensor { return meanAbsolutePercentageError(yTrue, yPred); }
export function mape(yTrue: Tensor, yPred: Tensor): Tensor { return meanAbsolutePercentageError(yTrue, yPred); }
export function cosine(yTrue: Tensor, yPred: Tensor): Tensor { return cosineProximity(yTrue, yPred); }

/** Keras 3's cosine_similarity metric: +cos(yTrue, yPred) per sample. */
export function cosineSimilarity(yTrue: Tensor, yPred: Tensor): Tensor {
  return ops.neg(perSample.cosineProximity(yTrue, yPred));
}

/** Counts of (label, thresholded prediction) pairs, predictions > 0.5 counting as 1. */
function confusion(name: string, yTrue: Tensor, yPred: Tensor): { tp: number; fp: number; fn: number } {
  checkSameShape(name, yTrue, yPred);
  const y = yTrue.dataSync();
  const p = yPred.dataSync();
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < y.length; i++) {
    const pred = p[i] > 0.5;
    if (y[i] === 1 && pred) tp++;
    else if (y[i] === 0 && pred) fp++;
    else if (y[i] === 1 && !pred) fn++;
  }
  return { tp, fp, fn };
}

/**
 * tp / (tp + fp) over the whole batch, 0 when nothing is predicted positive. Predictions
 * count as positive above 0.5 (as Keras' Precision); for 0/1 predictions this is TensorFlow.js'
 * precision, which only counts predictions equal to 1.
 */
export function precision(yTrue: Tensor, yPred: Tensor): Tensor {
  const { tp, fp } = confusion('precision', yTrue, yPred);
  return ops.scalar(tp + fp > 0 ? tp / (tp + fp) : 0);
}

/** tp / (tp + fn) over the whole batch, 0 when there are no positive labels (threshold as precision). */
export function recall(yTrue: Tensor, yPred: Tensor): Tensor {
  const { tp, fn } = confusion('recall', yTrue, yPred);
  return ops.scalar(tp + fn > 0 ? tp / (tp + fn) : 0);
}

/**
 * TensorFlow.js' r2Score: 1 − Σ(y − p)² / Σ(y − ȳ)² over all elements. Constant labels make
 * the ratio undefined: 1 when the predictions equal them, else 0 (Keras' R2Score gives 0
 * there too).
 */
export function r2Score(yTrue: Tensor, yPred: Tensor): Tensor {
  checkSameShape('r2Score', yTrue, yPred);
  const y = toFloat(yTrue);
  const ssRes = ops.sum(ops.squaredDifference(y, yPred));
  const ssTot = ops.sum(ops.squaredDifference(y, ops.mean(y)));
  const tot = ssTot.dataSync()[0];
  if (tot === 0) return ops.scalar(ssRes.dataSync()[0] === 0 ? 1 : 0);
  return ops.sub(1, ops.div(ssRes, ssTot));
}

// ---- names for compile({ metrics }) ---------------------------------------------------

/** The metric's mean over the batch (metrics may return one value per sample). */
function batchMean(fn: MetricFn): MetricFn {
  return (yTrue, yPred) => {
    const v = fn(yTrue, yPred);
    return v.size === 1 && v.rank === 0 ? v : ops.mean(v);
  };
}

const METRICS: Record<string, MetricFn> = {
  binaryAccuracy, categoricalAccuracy, sparseCategoricalAccuracy, topKCategoricalAccuracy, sparseTopKCategoricalAccuracy,
  binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy,
  precision, recall, r2Score, cosineProximity, cosineSimilarity,
  meanSquaredError, meanAbsoluteError, meanAbsolutePercentageError,
  mse: meanSquaredError, MSE: meanSquaredError, mae: meanAbsoluteError, MAE: meanAbsoluteError,
  mape: meanAbsolutePercentageError, MAPE: meanAbsolutePercentageError, cosine: cosineProximity,
};
const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
const METRIC_ALIASES: Record<string, string> = { cosine_proximity: 'cosineProximity', r2_score: 'r2Score', top_k_categorical_accuracy: 'topKCategoricalAccuracy', sparse_top_k_categorical_accuracy: 'sparseTopKCategoricalAccuracy' };
for (const name of Object.keys(METRICS)) METRIC_ALIASES[snake(name)] ??= name;

/** The function behind a metric name (not 'accuracy' / 'crossentropy', which follow the loss), or null. */
function namedMetric(id: string): MetricFn | null {
  const name = Object.hasOwn(METRICS, id) ? id : Object.hasOwn(METRIC_ALIASES, id) ? METRIC_ALIASES[id] : null;
  if (name) return METRICS[name];
  // Any loss compile() knows is a metric too (Keras: 'hinge', 'kld', 'logcosh', …).
  try {
    return lossesByName[lossName(id)];
  } catch {
    return null;
  }
}

/**
 * Resolves a compile() metric to [log key, function returning a scalar]. 'accuracy' / 'acc'
 * and 'crossentropy' / 'ce' follow the loss as Keras and TensorFlow.js do (binary for
 * binaryCrossentropy or one output unit, sparse for the sparse loss, categorical otherwise) and
 * log as 'acc' / 'ce'; other names log as given; a function logs under its name.
 */
export function resolveMetric(id: string | MetricFn, lossId: string | null, outputUnits: number | null): [string, MetricFn] {
  if (typeof id === 'function') return [id.name || 'metric', batchMean(id)];
  if (typeof id !== 'string') throw new Error(`compile: a metric must be a name or a function, got ${String(id)}`);
  const isAcc = id === 'accuracy' || id === 'acc';
  const isCe = id === 'crossentropy' || id === 'ce';
  if (isAcc || isCe) {
    const binary = lossId === 'binaryCrossentropy' || (lossId !== 'sparseCategoricalCrossentropy' && outputUnits === 1);
    const sparse = !binary && lossId === 'sparseCategoricalCrossentropy';
    const fn = isAcc
      ? binary ? binaryAccuracy : sparse ? sparseCategoricalAccuracy : categoricalAccuracy
      : binary ? binaryCrossentropy : sparse ? sparseCategoricalCrossentropy : categoricalCrossentropy;
    return [isAcc ? 'acc' : 'ce', batchMean(fn)];
  }
  const fn = namedMetric(id);
  if (!fn) {
    throw new Error(
      `compile: unknown metric '${id}' (expected 'accuracy', 'crossentropy', ${Object.keys(METRICS).join(', ')}, ` +
        'a loss name, their snake_case forms, or a function)',
    );
  }
  return [id, batchMean(fn)];
}
