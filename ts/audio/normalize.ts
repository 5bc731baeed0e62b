/** Per-utterance feature normalization. */
import { noGrad } from '../autograd';
import * as ops from '../ops/index';
import { fmt } from '../ops/util';
import { tidy } from '../runtime';
import { Tensor } from '../tensor';

export interface NormalizeOptions {
  /** The time axis (default −2: features [frames, d] or [batch, frames, d]). */
  axis?: number;
  /** Added to the variance before the square root (default 1e-5). */
  epsilon?: number;
}

/**
 * (x − mean) / √(variance + epsilon) along the time axis: each utterance's features get mean 0
 * and variance 1 per dimension, so loudness and channel differences fall away. No gradient.
 */
export function normalize(features: Tensor, options: NormalizeOptions = {}): Tensor {
  if (!(features instanceof Tensor) || features.dtype !== 'float32' || features.rank < 1) {
    throw new Error(`audio.normalize: expected float32 features [frames, d] or [batch, frames, d]${features instanceof Tensor ? `, got ${features.dtype} ${fmt(features.shape)}` : ''}`);
  }
  const axis = options.axis ?? -2;
  const a = axis < 0 ? axis + features.rank : axis;
  if (!(Number.isInteger(a) && a >= 0 && a < features.rank)) {
    throw new Error(`audio.normalize: axis ${axis} is out of range for features of shape ${fmt(features.shape)}`);
  }
  const eps = options.epsilon ?? 1e-5;
  if (!(eps >= 0)) throw new Error(`audio.normalize: epsilon must be ≥ 0, got ${eps}`);
  return noGrad(() => tidy(() => {
    const centred = ops.sub(features, ops.mean(features, a, true));
    const variance = ops.mean(ops.square(centred), a, true);
    return ops.div(centred, ops.sqrt(ops.add(variance, eps)));
  }));
}
