/**
 * fe.losses: TensorFlow.js' tf.losses (weights and Reduction; ts/losses-core.ts), Keras'
 * losses as functions returning the batch mean (ts/losses-keras.ts), CTC, and the names
 * compile({ loss }) accepts — TensorFlow.js' camelCase names, Keras' snake_case names and
 * short aliases ('mse', 'kld', …).
 *
 * Models fuse a final sigmoid / softmax with its cross-entropy on logits (see models/).
 */
import type { Tensor } from './tensor';
import { ctcLossFn } from './ctc/loss';
import { batchMean, huberPerSample, perSample } from './losses-keras';

/** CTC loss, PyTorch style: fe.losses.ctc({ logits, labels, inputLengths, labelLengths }, options). */
export { ctc } from './ctc/loss';
export {
  Reduction, computeWeightedLoss, absoluteDifference, cosineDistance, hingeLoss, huberLoss, logLoss, meanSquaredError,
  sigmoidCrossEntropy, softmaxCrossEntropy,
} from './losses-core';
export type { Weights } from './losses-core';
export { sparseLabels } from './losses-keras';

export type LossFn = (yTrue: Tensor, yPred: Tensor) => Tensor;

// ---- Keras losses: the batch mean of the per-sample loss (Keras' default reduction) -------

export const binaryCrossentropy = batchMean(perSample.binaryCrossentropy, 'binaryCrossentropy');
export const categoricalCrossentropy = batchMean(perSample.categoricalCrossentropy, 'categoricalCrossentropy');
export const sparseCategoricalCrossentropy = batchMean(perSample.sparseCategoricalCrossentropy, 'sparseCategoricalCrossentropy');
export const meanAbsoluteError = batchMean(perSample.meanAbsoluteError, 'meanAbsoluteError');
export const meanAbsolutePercentageError = batchMean(perSample.meanAbsolutePercentageError, 'meanAbsolutePercentageError');
export const meanSquaredLogarithmicError = batchMean(perSample.meanSquaredLogarithmicError, 'meanSquaredLogarithmicError');
/** Keras hinge: labels −1/1 (0/1 labels are mapped to −1/1); mean of max(0, 1 − y·p). */
export const hinge = batchMean(perSample.hinge, 'hinge');
export const squaredHinge = batchMean(perSample.squaredHinge, 'squaredHinge');
export const categoricalHinge = batchMean(perSample.categoricalHinge, 'categoricalHinge');
/** log(cosh(p − y)), computed stably as x + softplus(−2x) − log 2. */
export const logcosh = batchMean(perSample.logcosh, 'logcosh');
export const kullbackLeiblerDivergence = batchMean(perSample.kullbackLeiblerDivergence, 'kullbackLeiblerDivergence');
export const poisson = batchMean(perSample.poisson, 'poisson');
/** −Σ ŷ·p̂ of the L2-normalized rows: −1 when they point the same way (Keras' cosine_similarity loss). */
export const cosineProximity = batchMean(perSample.cosineProximity, 'cosineProximity');
export const cosineSimilarity = batchMean(perSample.cosineProximity, 'cosineSimilarity');
// Keras' short names.
export const mse = batchMean(perSample.meanSquaredError, 'mse');
export const mae = batchMean(perSample.meanAbsoluteError, 'mae');
export const mape = batchMean(perSample.meanAbsolutePercentageError, 'mape');
export const msle = batchMean(perSample.meanSquaredLogarithmicError, 'msle');
export const kld = batchMean(perSample.kullbackLeiblerDivergence, 'kld');

/** Keras' huber loss (batch mean): ½e² for |e| ≤ delta, delta·(|e| − ½delta) beyond (default delta 1). */
export function huber(yTrue: Tensor, yPred: Tensor, delta = 1): Tensor {
  return batchMean(huberPerSample(delta), 'huber')(yTrue, yPred);
}

// ---- names for compile({ loss }) ------------------------------------------------------

/** The losses compile() knows, by their canonical (TensorFlow.js camelCase) names. */
export const lossesByName: Record<string, LossFn> = {
  binaryCrossentropy,
  categoricalCrossentropy,
  sparseCategoricalCrossentropy,
  meanSquaredError: batchMean(perSample.meanSquaredError, 'meanSquaredError'),
  meanAbsoluteError,
  meanAbsolutePercentageError,
  meanSquaredLogarithmicError,
  hinge,
  squaredHinge,
  categoricalHinge,
  logcosh,
  kullbackLeiblerDivergence,
  poisson,
  cosineProximity,
  huber: batchMean(perSample.huber, 'huber'),
  // CTC on logits [batch, time, classes]; labels padded with -1 (see ts/ctc/loss.ts).
  ctc: ctcLossFn(),
};

/** Other spellings → canonical name. snake_case forms of the canonical names are derived. */
const ALIASES: Record<string, string> = {
  mse: 'meanSquaredError', MSE: 'meanSquaredError',
  mae: 'meanAbsoluteError', MAE: 'meanAbsoluteError',
  mape: 'meanAbsolutePercentageError', MAPE: 'meanAbsolutePercentageError',
  msle: 'meanSquaredLogarithmicError', MSLE: 'meanSquaredLogarithmicError',
  kld: 'kullbackLeiblerDivergence', KLD: 'kullbackLeiblerDivergence', kl_divergence: 'kullbackLeiblerDivergence', klDivergence: 'kullbackLeiblerDivergence',
  cosine: 'cosineProximity', cosine_similarity: 'cosineProximity', cosineSimilarity: 'cosineProximity',
  log_cosh: 'logcosh', logCosh: 'logcosh',
  huber_loss: 'huber', huberLoss: 'huber',
};

const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
for (const name of Object.keys(lossesByName)) ALIASES[snake(name)] = name;

/** The canonical name of a compile() loss name, or a clear error listing the names. */
export function lossName(id: string): string {
  const name = Object.hasOwn(lossesByName, id) ? id : Object.hasOwn(ALIASES, id) ? ALIASES[id] : undefined;
  if (!name) {
    throw new Error(
      `compile: unknown loss '${id}' (expected one of ${Object.keys(lossesByName).join(', ')}, their snake_case forms, ` +
        `${Object.keys(ALIASES).filter((a) => !a.includes('_') && !Object.hasOwn(lossesByName, a)).join(', ')}, or a function)`,
    );
  }
  return name;
}
