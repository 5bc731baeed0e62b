/**
 * Keras losses on predictions (probabilities for the cross-entropies). Each returns the mean
 * over the batch of the per-sample loss ("sum over batch size", the Keras default).
 * Models fuse sigmoid/softmax outputs with their cross-entropy on logits (see models/).
 */
import * as ops from './ops/index';
import { Tensor } from './tensor';
import { fmt, shapesEqual } from './ops/util';
import { ctcLossFn } from './ctc/loss';

/** CTC loss, PyTorch style: fe.losses.ctc({ logits, labels, inputLengths, labelLengths }, options). */
export { ctc } from './ctc/loss';

export type LossFn = (yTrue: Tensor, yPred: Tensor) => Tensor;

const EPS = 1e-7;

function sameShape(name: string, yTrue: Tensor, yPred: Tensor): void {
  if (!shapesEqual(yTrue.shape, yPred.shape)) {
    throw new Error(`${name}: labels of shape ${fmt(yTrue.shape)} do not match predictions of shape ${fmt(yPred.shape)}`);
  }
}

/** Mean over the last axis, then over the batch. */
function meanLastThenBatch(perElement: Tensor): Tensor {
  return ops.mean(perElement);
}

export function binaryCrossentropy(yTrue: Tensor, yPred: Tensor): Tensor {
  sameShape('binaryCrossentropy', yTrue, yPred);
  const p = ops.clipByValue(yPred, EPS, 1 - EPS);
  const a = ops.mul(yTrue, ops.log(p));
  const b = ops.mul(ops.affine(yTrue, -1, 1), ops.log(ops.affine(p, -1, 1)));
  return ops.neg(meanLastThenBatch(ops.add(a, b)));
}

export function categoricalCrossentropy(yTrue: Tensor, yPred: Tensor): Tensor {
  sameShape('categoricalCrossentropy', yTrue, yPred);
  const p = ops.clipByValue(ops.div(yPred, ops.sum(yPred, -1, true)), EPS, 1 - EPS);
  return ops.neg(ops.mean(ops.sum(ops.mul(yTrue, ops.log(p)), -1)));
}

/** Labels as class ids: shape of yPred without its last axis (or with a trailing 1). */
export function sparseLabels(name: string, yTrue: Tensor, yPred: Tensor): Tensor {
  const rowShape = yPred.shape.slice(0, -1);
  let labels = yTrue;
  if (yTrue.rank === yPred.rank && yTrue.shape[yTrue.rank - 1] === 1) labels = ops.reshape(yTrue, rowShape);
  if (!shapesEqual(labels.shape, rowShape)) {
    throw new Error(`${name}: labels of shape ${fmt(yTrue.shape)} do not fit predictions of shape ${fmt(yPred.shape)} (expected ${fmt(rowShape)} class ids)`);
  }
  return labels.dtype === 'int32' ? labels : ops.cast(labels, 'int32');
}

export function sparseCategoricalCrossentropy(yTrue: Tensor, yPred: Tensor): Tensor {
  const labels = sparseLabels('sparseCategoricalCrossentropy', yTrue, yPred);
  const depth = yPred.shape[yPred.rank - 1];
  const oh = ops.oneHot(ops.reshape(labels, [labels.size]), depth);
  return categoricalCrossentropy(ops.reshape(oh, yPred.shape), yPred);
}

export function meanSquaredError(yTrue: Tensor, yPred: Tensor): Tensor {
  sameShape('meanSquaredError', yTrue, yPred);
  return ops.mean(ops.squaredDifference(yTrue, yPred));
}

export function meanAbsoluteError(yTrue: Tensor, yPred: Tensor): Tensor {
  sameShape('meanAbsoluteError', yTrue, yPred);
  return ops.mean(ops.abs(ops.sub(yTrue, yPred)));
}

/** Loss functions on logits, for PyTorch-style code. */
export function sigmoidCrossEntropy(labels: Tensor, logits: Tensor): Tensor {
  return ops.mean(ops.sigmoidCrossEntropyWithLogits(labels, logits));
}

/**
 * Mean softmax cross-entropy on logits [..., classes]; labels one-hot (float) or class ids
 * (int32). With `weights` (one per row, the logits' shape without the class axis, e.g. 0 at
 * padded steps of a sequence) it is Σ w·loss / (number of non-zero weights), as TensorFlow.js'
 * default reduction.
 */
export function softmaxCrossEntropy(labels: Tensor, logits: Tensor, weights?: Tensor): Tensor {
  const perRow = ops.softmaxCrossEntropyWithLogits(labels, logits);
  if (!weights) return ops.mean(perRow);
  if (!shapesEqual(weights.shape, perRow.shape)) {
    throw new Error(`softmaxCrossEntropy: weights of shape ${fmt(weights.shape)} must have the shape ${fmt(perRow.shape)} of the logits without the class axis`);
  }
  const w = weights.dtype === 'float32' ? weights : ops.cast(weights, 'float32');
  const nonZero = ops.maximum(ops.sum(ops.notEqual(w, 0)), 1);
  return ops.div(ops.sum(ops.mul(perRow, w)), nonZero);
}

export const lossesByName: Record<string, LossFn> = {
  binaryCrossentropy,
  categoricalCrossentropy,
  sparseCategoricalCrossentropy,
  meanSquaredError,
  meanAbsoluteError,
  // CTC on logits [batch, time, classes]; labels padded with -1 (see ts/ctc/loss.ts).
  ctc: ctcLossFn(),
};

const aliases: Record<string, string> = {
  binary_crossentropy: 'binaryCrossentropy',
  categorical_crossentropy: 'categoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  mean_squared_error: 'meanSquaredError',
  mse: 'meanSquaredError',
  mean_absolute_error: 'meanAbsoluteError',
  mae: 'meanAbsoluteError',
};

export function lossName(id: string): string {
  const name = aliases[id] ?? id;
  if (!lossesByName[name]) {
    throw new Error(`compile: unknown loss '${id}' (expected one of ${Object.keys(lossesByName).join(', ')} or a function)`);
  }
  return name;
}
