/**
 * Keras' losses, per sample: each reduces the last axis (labels and predictions of one shape)
 * and returns one value per sample. The losses compile() uses, and the metrics built on them,
 * average these over the batch. Formulas as Keras 3 (and TensorFlow.js' tfjs-layers where it
 * has the loss); ε = 1e-7 as both.
 */
import * as ops from './ops/index';
import { fmt, shapesEqual } from './ops/util';
import type { Tensor } from './tensor';

export const EPSILON = 1e-7;

export type PerSampleLoss = (yTrue: Tensor, yPred: Tensor) => Tensor;

export function toFloat(t: Tensor): Tensor {
  return t.dtype === 'float32' ? t : ops.cast(t, 'float32');
}

export function checkSameShape(name: string, yTrue: Tensor, yPred: Tensor): void {
  if (!shapesEqual(yTrue.shape, yPred.shape)) {
    throw new Error(`${name}: labels of shape ${fmt(yTrue.shape)} do not match predictions of shape ${fmt(yPred.shape)}`);
  }
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

/** One-hot labels of yPred's shape from class ids. */
export function oneHotLike(name: string, yTrue: Tensor, yPred: Tensor): Tensor {
  const ids = sparseLabels(name, yTrue, yPred);
  const depth = yPred.shape[yPred.rank - 1];
  return ops.reshape(ops.oneHot(ops.reshape(ids, [ids.size]), depth), yPred.shape);
}

/**
 * Keras' hinge labels: −1/1 expected; labels that are all 0 or 1 are mapped to −1/1
 * (TensorFlow.js' tfjs-layers does not convert).
 */
function hingeLabels(yTrue: Tensor): Tensor {
  const y = toFloat(yTrue);
  const v = y.dataSync();
  let binary = true;
  for (let i = 0; i < v.length && binary; i++) binary = v[i] === 0 || v[i] === 1;
  return binary ? ops.affine(y, 2, -1) : y;
}

/** x / √max(Σx², ε) over the last axis (tfjs-layers' l2Normalize). */
function l2Normalize(x: Tensor): Tensor {
  return ops.div(x, ops.sqrt(ops.maximum(ops.sum(ops.square(x), -1, true), EPSILON)));
}

function checked(name: string, f: PerSampleLoss): PerSampleLoss {
  const g = (yTrue: Tensor, yPred: Tensor) => {
    checkSameShape(name, yTrue, yPred);
    return f(toFloat(yTrue), yPred);
  };
  Object.defineProperty(g, 'name', { value: name });
  return g;
}

export function huberPerSample(delta = 1): PerSampleLoss {
  if (!(typeof delta === 'number' && delta > 0)) throw new Error(`huber: delta must be a positive number, got ${String(delta)}`);
  return checked('huber', (y, p) => {
    const err = ops.abs(ops.sub(p, y));
    const quadratic = ops.minimum(err, delta);
    const linear = ops.sub(err, quadratic);
    return ops.mean(ops.add(ops.mul(ops.square(quadratic), 0.5), ops.mul(linear, delta)), -1);
  });
}

/** The per-sample Keras losses by their TensorFlow.js names. */
export const perSample: Record<string, PerSampleLoss> = {
  meanSquaredError: checked('meanSquaredError', (y, p) => ops.mean(ops.squaredDifference(y, p), -1)),
  meanAbsoluteError: checked('meanAbsoluteError', (y, p) => ops.mean(ops.abs(ops.sub(y, p)), -1)),
  meanAbsolutePercentageError: checked('meanAbsolutePercentageError', (y, p) =>
    ops.mul(ops.mean(ops.abs(ops.div(ops.sub(y, p), ops.maximum(ops.abs(y), EPSILON))), -1), 100)),
  meanSquaredLogarithmicError: checked('meanSquaredLogarithmicError', (y, p) =>
    ops.mean(ops.square(ops.sub(ops.log1p(ops.maximum(p, EPSILON)), ops.log1p(ops.maximum(y, EPSILON)))), -1)),
  binaryCrossentropy: checked('binaryCrossentropy', (y, p) => {
    const c = ops.clipByValue(p, EPSILON, 1 - EPSILON);
    const ll = ops.add(ops.mul(y, ops.log(c)), ops.mul(ops.affine(y, -1, 1), ops.log(ops.affine(c, -1, 1))));
    return ops.neg(ops.mean(ll, -1));
  }),
  categoricalCrossentropy: checked('categoricalCrossentropy', (y, p) => {
    const c = ops.clipByValue(ops.div(p, ops.sum(p, -1, true)), EPSILON, 1 - EPSILON);
    return ops.neg(ops.sum(ops.mul(y, ops.log(c)), -1));
  }),
  sparseCategoricalCrossentropy: (yTrue, yPred) => perSample.categoricalCrossentropy(oneHotLike('sparseCategoricalCrossentropy', yTrue, yPred), yPred),
  hinge: checked('hinge', (y, p) => ops.mean(ops.relu(ops.sub(1, ops.mul(hingeLabels(y), p))), -1)),
  squaredHinge: checked('squaredHinge', (y, p) => ops.mean(ops.square(ops.relu(ops.sub(1, ops.mul(hingeLabels(y), p)))), -1)),
  categoricalHinge: checked('categoricalHinge', (y, p) => {
    const pos = ops.sum(ops.mul(y, p), -1);
    const neg = ops.max(ops.mul(ops.affine(y, -1, 1), p), -1);
    return ops.relu(ops.add(ops.sub(neg, pos), 1));
  }),
  logcosh: checked('logcosh', (y, p) => {
    const x = ops.sub(p, y);
    return ops.mean(ops.sub(ops.add(x, ops.softplus(ops.mul(x, -2))), Math.LN2), -1);
  }),
  kullbackLeiblerDivergence: checked('kullbackLeiblerDivergence', (y, p) => {
    const yc = ops.clipByValue(y, EPSILON, 1);
    const pc = ops.clipByValue(p, EPSILON, 1);
    return ops.sum(ops.mul(yc, ops.log(ops.div(yc, pc))), -1);
  }),
  poisson: checked('poisson', (y, p) => ops.mean(ops.sub(p, ops.mul(y, ops.log(ops.add(p, EPSILON)))), -1)),
  cosineProximity: checked('cosineProximity', (y, p) => ops.neg(ops.sum(ops.mul(l2Normalize(y), l2Normalize(p)), -1))),
  huber: huberPerSample(1),
};

/** The batch mean of a per-sample loss (Keras' default reduction, "sum over batch size"). */
export function batchMean(f: PerSampleLoss, name: string): (yTrue: Tensor, yPred: Tensor) => Tensor {
  const g = (yTrue: Tensor, yPred: Tensor) => ops.mean(f(yTrue, yPred));
  Object.defineProperty(g, 'name', { value: name });
  return g;
}
