/**
 * TensorFlow.js' tf.losses: element-wise losses, optional weights (a tensor broadcastable to
 * the losses, or a number) and a Reduction — by default SUM_BY_NONZERO_WEIGHTS, the weighted
 * sum divided by the number of non-zero weights (the mean when there are no weights).
 *
 * Where TensorFlow.js divides by zero (all weights zero) the result is 0, as TensorFlow's
 * div_no_nan, not NaN.
 */
import { broadcastShapes, fmt, shapesEqual } from './ops/util';
import * as ops from './ops/index';
import type { Tensor } from './tensor';
import { toFloat } from './losses-keras';

/** tf.losses.Reduction. */
export enum Reduction {
  NONE = 0,
  MEAN = 1,
  SUM = 2,
  SUM_BY_NONZERO_WEIGHTS = 3,
}

export type Weights = Tensor | number | null | undefined;

function checkShapes(name: string, labels: Tensor, predictions: Tensor, what = 'predictions'): void {
  if (!shapesEqual(labels.shape, predictions.shape)) {
    throw new Error(`${name}: labels of shape ${fmt(labels.shape)} do not match ${what} of shape ${fmt(predictions.shape)}`);
  }
}

function weightsTensor(name: string, weights: Weights, losses: Tensor): Tensor | null {
  if (weights === null || weights === undefined) return null;
  const w = typeof weights === 'number' ? ops.scalar(weights) : toFloat(weights);
  let fits = false;
  try {
    fits = shapesEqual(broadcastShapes('weights', losses.shape, w.shape), losses.shape);
  } catch {
    fits = false;
  }
  if (!fits) {
    throw new Error(`${name}: weights of shape ${fmt(w.shape)} must have the shape ${fmt(losses.shape)} of the losses or broadcast to it`);
  }
  return w;
}

/** a / b, or 0 where b is 0 (TensorFlow's div_no_nan) for a scalar b. */
function divNoNan(a: Tensor, b: Tensor): Tensor {
  return b.dataSync()[0] === 0 ? ops.mul(a, 0) : ops.div(a, b);
}

function checkReduction(name: string, r: Reduction): void {
  if (![Reduction.NONE, Reduction.MEAN, Reduction.SUM, Reduction.SUM_BY_NONZERO_WEIGHTS].includes(r)) {
    throw new Error(`${name}: unknown reduction ${String(r)} (expected fe.losses.Reduction.NONE, MEAN, SUM or SUM_BY_NONZERO_WEIGHTS)`);
  }
}

function weighted(name: string, losses: Tensor, weights: Weights, reduction: Reduction): Tensor {
  checkReduction(name, reduction);
  const w = weightsTensor(name, weights, losses);
  const wl = w ? ops.mul(losses, w) : losses;
  switch (reduction) {
    case Reduction.NONE:
      return wl;
    case Reduction.SUM:
      return ops.sum(wl);
    case Reduction.MEAN: {
      if (!w) return ops.mean(wl);
      const factor = losses.size / w.size;
      const r = divNoNan(ops.sum(wl), ops.sum(w));
      return factor > 1 ? ops.div(r, factor) : r;
    }
    default: {
      if (!w) return ops.div(ops.sum(wl), Math.max(losses.size, 1));
      const nonZero = ops.sum(ops.notEqual(ops.mul(w, ops.onesLike(losses)), 0));
      return divNoNan(ops.sum(wl), nonZero);
    }
  }
}

/** tf.losses.computeWeightedLoss(losses, weights?, reduction?). */
export function computeWeightedLoss(losses: Tensor, weights?: Weights, reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS): Tensor {
  return weighted('computeWeightedLoss', toFloat(losses), weights, reduction);
}

/** tf.losses.absoluteDifference: |labels − predictions|. */
export function absoluteDifference(labels: Tensor, predictions: Tensor, weights?: Weights, reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS): Tensor {
  checkShapes('absoluteDifference', labels, predictions);
  return weighted('absoluteDifference', ops.abs(ops.sub(toFloat(labels), predictions)), weights, reduction);
}

/** tf.losses.meanSquaredError: (labels − predictions)². */
export function meanSquaredError(labels: Tensor, predictions: Tensor, weights?: Weights, reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS): Tensor {
  checkShapes('meanSquaredError', labels, predictions);
  return weighted('meanSquaredError', ops.squaredDifference(toFloat(labels), predictions), weights, reduction);
}

/**
 * tf.losses.cosineDistance: 1 − Σ labels·predictions along `axis` (kept), for unit-normalized
 * inputs.
 */
export function cosineDistance(labels: Tensor, predictions: Tensor, axis: number, weights?: Weights, reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS): Tensor {
  checkShapes('cosineDistance', labels, predictions);
  if (!Number.isInteger(axis) || axis < -labels.rank || axis >= labels.rank) {
    throw new Error(`cosineDistance: axis ${axis} is out of range for rank ${labels.rank}`);
  }
  return weighted('cosineDistance', ops.sub(1, ops.sum(ops.mul(toFloat(labels), predictions), axis, true)), weights, reduction);
}

/** tf.losses.hingeLoss: labels 0/1 mapped to −1/1; max(0, 1 − labels·predictions). */
export function hingeLoss(labels: Tensor, predictions: Tensor, weights?: Weights, reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS): Tensor {
  checkShapes('hingeLoss', labels, predictions);
  const signed = ops.affine(toFloat(labels), 2, -1);
  return weighted('hingeLoss', ops.relu(ops.sub(1, ops.mul(signed, predictions))), weights, reduction);
}

/** tf.losses.huberLoss: ½e² for |e| ≤ delta, delta·(|e| − ½delta) beyond. */
export function huberLoss(labels: Tensor, predictions: Tensor, weights?: Weights, delta = 1, reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS): Tensor {
  checkShapes('huberLoss', labels, predictions);
  if (!(typeof delta === 'number' && delta > 0)) throw new Error(`huberLoss: delta must be a positive number, got ${String(delta)}`);
  const err = ops.abs(ops.sub(predictions, toFloat(labels)));
  const quadratic = ops.minimum(err, delta);
  const linear = ops.sub(err, quadratic);
  return weighted('huberLoss', ops.add(ops.mul(ops.square(quadratic), 0.5), ops.mul(linear, delta)), weights, reduction);
}

/** tf.losses.logLoss: −labels·log(p + ε) − (1 − labels)·log(1 − p + ε). */
export function logLoss(labels: Tensor, predictions: Tensor, weights?: Weights, epsilon = 1e-7, reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS): Tensor {
  checkShapes('logLoss', labels, predictions);
  const y = toFloat(labels);
  const l1 = ops.mul(y, ops.log(ops.add(predictions, epsilon)));
  const l2 = ops.mul(ops.affine(y, -1, 1), ops.log(ops.add(ops.affine(predictions, -1, 1), epsilon)));
  return weighted('logLoss', ops.neg(ops.add(l1, l2)), weights, reduction);
}

function checkSmoothing(name: string, s: number): void {
  if (!(typeof s === 'number' && s >= 0 && s <= 1)) throw new Error(`${name}: labelSmoothing must be in [0, 1], got ${String(s)}`);
}

/**
 * tf.losses.sigmoidCrossEntropy on logits, numerically stable; labelSmoothing moves labels
 * toward ½: z·(1 − s) + ½s.
 */
export function sigmoidCrossEntropy(multiClassLabels: Tensor, logits: Tensor, weights?: Weights, labelSmoothing = 0, reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS): Tensor {
  checkShapes('sigmoidCrossEntropy', multiClassLabels, logits, 'logits');
  checkSmoothing('sigmoidCrossEntropy', labelSmoothing);
  let z = toFloat(multiClassLabels);
  if (labelSmoothing > 0) z = ops.affine(z, 1 - labelSmoothing, 0.5 * labelSmoothing);
  return weighted('sigmoidCrossEntropy', ops.sigmoidCrossEntropyWithLogits(z, logits), weights, reduction);
}

/**
 * tf.losses.softmaxCrossEntropy on logits [..., classes], one loss per row (the class axis
 * reduced); labelSmoothing: z·(1 − s) + s/classes. Besides one-hot (or soft) float labels,
 * int32 class ids of the logits' shape without the class axis are accepted.
 */
export function softmaxCrossEntropy(onehotLabels: Tensor, logits: Tensor, weights?: Weights, labelSmoothing = 0, reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS): Tensor {
  checkSmoothing('softmaxCrossEntropy', labelSmoothing);
  let labels = onehotLabels;
  const classes = logits.shape[logits.rank - 1];
  if (labels.dtype === 'int32' && labels.rank === logits.rank - 1) {
    if (labelSmoothing > 0) labels = ops.reshape(ops.oneHot(ops.reshape(labels, [labels.size]), classes), logits.shape);
  } else {
    checkShapes('softmaxCrossEntropy', labels, logits, 'logits');
    labels = toFloat(labels);
  }
  if (labelSmoothing > 0) labels = ops.affine(labels, 1 - labelSmoothing, labelSmoothing / classes);
  return weighted('softmaxCrossEntropy', ops.softmaxCrossEntropyWithLogits(labels, logits), weights, reduction);
}
