/** Metrics: accuracy in the variant Keras picks for the loss, plus the plain functions. */
import * as ops from './ops/index';
import type { Tensor } from './tensor';
import { sparseLabels } from './losses';

/** Fraction of predictions on the right side of 0.5. */
export function binaryAccuracy(yTrue: Tensor, yPred: Tensor, threshold = 0.5): Tensor {
  return ops.mean(ops.equal(yTrue, ops.greater(yPred, threshold)));
}

/** Fraction where argmax(pred) = argmax(labels). */
export function categoricalAccuracy(yTrue: Tensor, yPred: Tensor): Tensor {
  return ops.mean(ops.equal(ops.argMax(yTrue, -1), ops.argMax(yPred, -1)));
}

/** Fraction where argmax(pred) = the class id. */
export function sparseCategoricalAccuracy(yTrue: Tensor, yPred: Tensor): Tensor {
  const labels = sparseLabels('sparseCategoricalAccuracy', yTrue, yPred);
  return ops.mean(ops.equal(labels, ops.argMax(yPred, -1)));
}

export type MetricFn = (yTrue: Tensor, yPred: Tensor) => Tensor;

/**
 * Resolves a compile() metric to [history key, function]: 'accuracy'/'acc' follows the loss
 * as Keras does (binary for binaryCrossentropy or one output unit, sparse for the sparse
 * loss, categorical otherwise); the key is 'acc' as in TensorFlow.js.
 */
export function resolveMetric(id: string | MetricFn, lossName: string | null, outputUnits: number | null): [string, MetricFn] {
  if (typeof id === 'function') return [id.name || 'metric', id];
  switch (id) {
    case 'accuracy':
    case 'acc':
      if (lossName === 'binaryCrossentropy' || (lossName !== 'sparseCategoricalCrossentropy' && outputUnits === 1)) {
        return ['acc', binaryAccuracy];
      }
      if (lossName === 'sparseCategoricalCrossentropy') return ['acc', sparseCategoricalAccuracy];
      return ['acc', categoricalAccuracy];
    case 'binaryAccuracy':
      return ['binaryAccuracy', binaryAccuracy];
    case 'categoricalAccuracy':
      return ['categoricalAccuracy', categoricalAccuracy];
    case 'sparseCategoricalAccuracy':
      return ['sparseCategoricalAccuracy', sparseCategoricalAccuracy];
    case 'mse':
    case 'meanSquaredError':
      return ['mse', (a, b) => ops.mean(ops.squaredDifference(a, b))];
    case 'mae':
    case 'meanAbsoluteError':
      return ['mae', (a, b) => ops.mean(ops.abs(ops.sub(a, b)))];
    default:
      throw new Error(`compile: unknown metric '${id}' (expected 'accuracy', 'binaryAccuracy', 'categoricalAccuracy', 'sparseCategoricalAccuracy', 'mse', 'mae' or a function)`);
  }
}
