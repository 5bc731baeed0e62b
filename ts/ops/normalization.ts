/**
 * Statistics and normalizations of TensorFlow.js: moments, batchNorm (and its 2d/3d/4d
 * forms), norm, euclideanNorm, localResponseNormalization, and prelu. Compositions of
 * differentiable ops: every argument that is a tensor gets its gradient.
 */
import { Tensor } from '../tensor';
import { add, div, greater, mul, pow, squaredDifference, sub } from './binary';
import { composite } from './composite';
import { toTensor, type TensorInput } from './convert';
import { cumsum } from './scan';
import { where } from './misc';
import { max, mean, min, sum } from './reduction';
import { pad, reshape, slice } from './shape';
import { abs, rsqrt, sqrt, square } from './unary';
import { fmt, normalizeAxes } from './util';

type Axis = number | number[] | null | undefined;

/** The mean and variance over `axis` (default: all), as tf.moments. */
export function moments(input: TensorInput, axis?: Axis, keepDims = false): { mean: Tensor; variance: Tensor } {
  const x = toTensor('moments', input);
  return composite(() => {
    const axes = normalizeAxes('moments', axis, x.rank);
    const m = mean(x, axes, true);
    const variance = mean(squaredDifference(x, m), axes, keepDims);
    return { mean: keepDims ? m : reshape(m, variance.shape), variance };
  });
}

/**
 * (x − mean)·scale/√(variance + ε) + offset, every argument broadcast against x, as
 * tf.batchNorm(x, mean, variance, offset?, scale?, varianceEpsilon = 0.001).
 */
export function batchNorm(
  input: TensorInput, meanIn: TensorInput, varianceIn: TensorInput,
  offset?: TensorInput | null, scale?: TensorInput | null, varianceEpsilon = 0.001,
): Tensor {
  const x = toTensor('batchNorm', input);
  const m = toTensor('batchNorm', meanIn), v = toTensor('batchNorm', varianceIn);
  for (const [t, w] of [[m, 'mean'], [v, 'variance']] as const) {
    if (t.rank > x.rank && t.size !== 1) throw new Error(`batchNorm: ${w} ${fmt(t.shape)} has a higher rank than x ${fmt(x.shape)}`);
  }
  return composite(() => {
    let y = mul(sub(x, m), rsqrt(add(v, varianceEpsilon)));
    if (scale !== undefined && scale !== null) y = mul(y, toTensor('batchNorm', scale));
    if (offset !== undefined && offset !== null) y = add(y, toTensor('batchNorm', offset));
    return y;
  });
}

function batchNormN(rank: number) {
  return (x: Tensor, mean: TensorInput, variance: TensorInput, offset?: TensorInput | null, scale?: TensorInput | null, varianceEpsilon?: number): Tensor => {
    if (x.rank !== rank) throw new Error(`batchNorm${rank}d: expected a rank-${rank} x, got ${fmt(x.shape)}`);
    return batchNorm(x, mean, variance, offset, scale, varianceEpsilon);
  };
}
export const batchNorm2d = batchNormN(2);
export const batchNorm3d = batchNormN(3);
export const batchNorm4d = batchNormN(4);

export type NormOrd = number | 'euclidean' | 'fro';

/**
 * Vector and matrix norms, as tf.norm(x, ord = 'euclidean', axis = null, keepDims = false).
 * No axis: the norm of all elements as one vector. One axis: vector norms (ord 1, 2 /
 * 'euclidean', Infinity, −Infinity). Two axes: matrix norms (ord 1, Infinity, −Infinity,
 * 'fro' / 'euclidean').
 */
export function norm(input: TensorInput, ord: NormOrd = 'euclidean', axis: Axis = null, keepDims = false): Tensor {
  const x = toTensor('norm', input);
  const axes = axis === null || axis === undefined ? null : normalizeAxes('norm', axis, x.rank);
  if (Array.isArray(axis) && axes && axes.length !== axis.length) throw new Error(`norm: axis [${axis.join(', ')}] repeats an axis`);
  if (axes && axes.length > 2) throw new Error(`norm: axis must name one or two axes, got [${(axis as number[]).join(', ')}]`);
  return composite(() => {
    let r: Tensor;
    if (x.rank === 0) {
      r = abs(x);
    } else if (!axes || axes.length === 1) {
      const v = axes ? x : reshape(x, [x.size]);
      const a = axes ? axes[0] : 0;
      if (ord === 1) r = sum(abs(v), a);
      else if (ord === Infinity) r = max(abs(v), a);
      else if (ord === -Infinity) r = min(abs(v), a);
      else if (ord === 'euclidean' || ord === 2) r = sqrt(sum(square(v), a));
      else throw new Error(`norm: invalid ord ${String(ord)} for a vector norm (expected 1, 2, 'euclidean', Infinity or -Infinity)`);
    } else {
      const [a0, a1] = [axes[0], axes[1]];
      // [a0, a1]: rows along a0, columns along a1 (as TensorFlow.js)
      if (ord === 1) r = max(sum(abs(x), a0), a1 - 1);
      else if (ord === Infinity) r = max(sum(abs(x), a1), a0);
      else if (ord === -Infinity) r = min(sum(abs(x), a1), a0);
      else if (ord === 'fro' || ord === 'euclidean') r = sqrt(sum(square(x), axes));
      else throw new Error(`norm: invalid ord ${String(ord)} for a matrix norm (expected 1, Infinity, -Infinity, 'fro' or 'euclidean')`);
    }
    if (!keepDims) return r;
    const kept = x.shape.map((d, i) => (!axes || axes.includes(i) ? 1 : d));
    return reshape(r, kept);
  });
}

/** The Euclidean norm over `axis` (default: all), as tf.euclideanNorm. */
export function euclideanNorm(input: TensorInput, axis: Axis = null, keepDims = false): Tensor {
  return norm(input, 'euclidean', axis, keepDims);
}

/**
 * x / (bias + alpha·Σ x²)^beta with the sum over the channels within depthRadius (last axis),
 * as tf.localResponseNormalization(x, depthRadius = 5, bias = 1, alpha = 1, beta = 0.5).
 */
export function localResponseNormalization(input: TensorInput, depthRadius = 5, bias = 1, alpha = 1, beta = 0.5): Tensor {
  const x = toTensor('localResponseNormalization', input);
  if (x.rank !== 4 && x.rank !== 3) throw new Error(`localResponseNormalization: expected a rank-3 or rank-4 input, got ${fmt(x.shape)}`);
  if (!Number.isInteger(depthRadius) || depthRadius < 0) throw new Error(`localResponseNormalization: depthRadius must be a non-negative integer, got ${depthRadius}`);
  const c = x.shape[x.rank - 1];
  const r = depthRadius;
  return composite(() => {
    // Window sums from one cumulative sum: S[k] = Σ_{j<k} x_j² over the channels padded by
    // r + 1 zeros before and r after; the window of c is S[c + 2r + 1] − S[c].
    const sq = square(x);
    const lead = x.shape.slice(0, -1).map((): [number, number] => [0, 0]);
    const s = cumsum(pad(sq, [...lead, [r + 1, r]]), -1);
    const begin = x.shape.map(() => 0);
    const size = [...x.shape.slice(0, -1), c];
    const hi = slice(s, [...begin.slice(0, -1), 2 * r + 1], size);
    const lo = slice(s, begin, size);
    const window = sub(hi, lo);
    return div(x, pow(add(mul(window, alpha), bias), beta));
  });
}

/** x where x > 0, alpha·x elsewhere (alpha broadcast against x), as tf.prelu. */
export function prelu(input: TensorInput, alphaIn: TensorInput): Tensor {
  const x = toTensor('prelu', input);
  const a = toTensor('prelu', alphaIn);
  return composite(() => where(greater(x, 0), x, mul(a, x)));
}
