/**
 * More creation ops of TensorFlow.js: tensor5d/6d, eye, linspace, and random ones
 * (randomStandardNormal, randomUniformInt, randomGamma, rand, multinomial).
 */
import { ENGINE } from '../engine';
import { assertShape, DType, emptyTensor, Shape, sizeOf, Tensor } from '../tensor';
import { checkDtype, randomNormal, tensor, type TensorLike } from './creation';
import { castTo } from './shape';
import { toTensor, type TensorInput } from './convert';
import { fillNormal, rngFor, type Rng } from './random';
import { fmt } from './util';

function rankChecked(rank: number, name: string) {
  return (values: TensorLike, shape?: Shape, dtype?: DType): Tensor => {
    const t = tensor(values, shape, dtype);
    if (t.rank !== rank) {
      t.dispose();
      throw new Error(`${name}: expected rank ${rank} values, got rank ${t.rank}`);
    }
    return t;
  };
}
export const tensor5d = rankChecked(5, 'tensor5d');
export const tensor6d = rankChecked(6, 'tensor6d');

/** Identity matrices [...batchShape, numRows, numColumns] (as tf.eye). */
export function eye(numRows: number, numColumns?: number, batchShape?: number[], dtype: DType = 'float32'): Tensor {
  const cols = numColumns ?? numRows;
  for (const [v, w] of [[numRows, 'numRows'], [cols, 'numColumns']] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`eye: ${w} must be a non-negative integer, got ${v}`);
  }
  const batch = batchShape ?? [];
  assertShape(batch, 'eye');
  checkDtype('eye', dtype);
  const one = sizeOf([numRows, cols]);
  const data = dtype === 'float32' ? new Float32Array(one * sizeOf(batch)) : new Int32Array(one * sizeOf(batch));
  for (let b = 0; b < sizeOf(batch); b++) {
    for (let i = 0; i < Math.min(numRows, cols); i++) data[b * one + i * cols + i] = 1;
  }
  return tensor(data, [...batch, numRows, cols], dtype);
}

/** num evenly spaced float32 values from start to stop inclusive (as tf.linspace). */
export function linspace(start: number, stop: number, num: number): Tensor {
  if (!Number.isInteger(num) || num <= 0) throw new Error(`linspace: the number of values must be a positive integer, got ${num}`);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  const v = new Float32Array(num);
  for (let i = 0; i < num; i++) v[i] = start + i * step;
  if (num > 1) v[num - 1] = stop;
  return tensor(v, [num]);
}

/** Samples of N(0, 1) (as tf.randomStandardNormal). */
export function randomStandardNormal(shape: Shape, dtype: DType = 'float32', seed?: number): Tensor {
  return randomNormal(shape, 0, 1, dtype, seed);
}

/** Uniform integers in [minval, maxval), int32 (as tf.randomUniformInt). */
export function randomUniformInt(shape: Shape, minval: number, maxval: number, seed?: number): Tensor {
  assertShape(shape, 'randomUniformInt');
  if (!Number.isInteger(minval) || !Number.isInteger(maxval) || !(maxval > minval)) {
    throw new Error(`randomUniformInt: minval (${minval}) and maxval (${maxval}) must be integers with minval < maxval`);
  }
  const rng = rngFor(seed);
  const v = new Int32Array(sizeOf(shape));
  for (let i = 0; i < v.length; i++) v[i] = minval + Math.floor(rng() * (maxval - minval));
  return tensor(v, shape, 'int32');
}

/** Values of `randFunction()` (as tf.rand). */
export function rand(shape: Shape, randFunction: () => number, dtype: DType = 'float32'): Tensor {
  assertShape(shape, 'rand');
  if (typeof randFunction !== 'function') throw new Error('rand: randFunction must be a function');
  const v = new Float64Array(sizeOf(shape));
  for (let i = 0; i < v.length; i++) v[i] = randFunction();
  return tensor(dtype === 'float32' ? Float32Array.from(v) : Int32Array.from(v), shape, dtype);
}

/** One Gamma(α, 1) sample (Marsaglia–Tsang; α < 1 by the boost u^(1/α)). */
function gammaSample(alpha: number, rng: Rng, normal: Float32Array): number {
  if (alpha < 1) return gammaSample(alpha + 1, rng, normal) * Math.pow(1 - rng(), 1 / alpha);
  const d = alpha - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    fillNormal(normal, 0, 1, rng);
    const z = normal[0];
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    const u = 1 - rng();
    if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Gamma(alpha, beta) samples, beta the rate (as tf.randomGamma). */
export function randomGamma(shape: Shape, alpha: number, beta = 1, dtype: DType = 'float32', seed?: number): Tensor {
  assertShape(shape, 'randomGamma');
  if (!(alpha > 0) || !(beta > 0)) throw new Error(`randomGamma: alpha (${alpha}) and beta (${beta}) must be positive`);
  const rng = rngFor(seed);
  const normal = new Float32Array(1);
  const v = new Float32Array(sizeOf(shape));
  for (let i = 0; i < v.length; i++) v[i] = gammaSample(alpha, rng, normal) / beta;
  const t = tensor(v, shape);
  if (dtype === 'float32') return t;
  const r = castTo(t, dtype);
  t.dispose();
  return r;
}

/**
 * Draws numSamples class indices per row of logits [batch, classes] (or [classes]), as
 * tf.multinomial: int32 [batch, numSamples] (or [numSamples]); `normalized` means the rows are
 * already probabilities.
 */
export function multinomial(logits: TensorInput, numSamples: number, seed?: number, normalized = false): Tensor {
  const x = toTensor('multinomial', logits);
  if (x.rank !== 1 && x.rank !== 2) throw new Error(`multinomial: logits must be rank 1 or 2, got ${fmt(x.shape)}`);
  if (!Number.isInteger(numSamples) || numSamples < 1) throw new Error(`multinomial: numSamples must be a positive integer, got ${numSamples}`);
  const classes = x.shape[x.rank - 1];
  if (classes < 2) throw new Error(`multinomial: need at least 2 classes, got ${classes}`);
  const rows = x.rank === 1 ? 1 : x.shape[0];
  const v = x.dtype === 'float32' ? ENGINE.get().readF32(x.storage) : Float32Array.from(x.dataSync());
  const rng = rngFor(seed);
  const out = new Int32Array(rows * numSamples);
  const cdf = new Float64Array(classes);
  for (let r = 0; r < rows; r++) {
    const row = v.subarray(r * classes, (r + 1) * classes);
    if (normalized) {
      let acc = 0;
      for (let c = 0; c < classes; c++) cdf[c] = acc += row[c];
    } else {
      let m = -Infinity;
      for (let c = 0; c < classes; c++) m = Math.max(m, row[c]);
      let acc = 0;
      for (let c = 0; c < classes; c++) cdf[c] = acc += Math.exp(row[c] - m);
    }
    const total = cdf[classes - 1];
    if (!(total > 0) || !Number.isFinite(total)) {
      throw new Error(`multinomial: row ${r} has no positive finite probability mass`);
    }
    for (let s = 0; s < numSamples; s++) {
      const u = rng() * total;
      let c = 0;
      while (c < classes - 1 && cdf[c] <= u) c++;
      out[r * numSamples + s] = c;
    }
  }
  if (x !== logits) x.dispose();
  const t = emptyTensor(x.rank === 1 ? [numSamples] : [rows, numSamples], 'int32');
  ENGINE.get().write(t.storage, out);
  return t;
}
