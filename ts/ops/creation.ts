/** Tensor creation: from values, constants and random distributions. */
import { ENGINE } from '../engine';
import { assertShape, DType, isIntStorage, makeTensor, NestedArray, Shape, sizeOf, Tensor, TypedArray, Variable } from '../tensor';
import { fillNormal, rngFor } from './random';
import { fmt } from './util';

/** Values a tensor can be made from (nested arrays of numbers or booleans, typed arrays). */
export type TensorLike = TypedArray | Uint8ClampedArray | NestedArray | number[] | boolean | boolean[] | boolean[][] | boolean[][][];

const DTYPES: readonly DType[] = ['float32', 'int32', 'bool'];

/** Throws naming the op unless dtype is one ferrite supports. */
export function checkDtype(op: string, dtype: unknown): DType {
  if (!DTYPES.includes(dtype as DType)) {
    throw new Error(`${op}: unsupported dtype '${String(dtype)}' (expected 'float32', 'int32' or 'bool')`);
  }
  return dtype as DType;
}

/** The dtype TensorFlow.js infers from values: bool for booleans, int32 for integer typed arrays. */
function inferDtype(values: unknown): DType {
  if (values instanceof Float32Array) return 'float32';
  if (values instanceof Int32Array || values instanceof Uint8Array || values instanceof Uint8ClampedArray) return 'int32';
  let v = values;
  while (Array.isArray(v)) v = v[0];
  return typeof v === 'boolean' ? 'bool' : 'float32';
}

/** Shape of a nested array, checking it is rectangular. */
function inferShape(values: unknown): number[] {
  const shape: number[] = [];
  let v: unknown = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}

function flatten(values: unknown, shape: number[], depth: number, out: number[]): void {
  if (depth === shape.length) {
    if (typeof values === 'boolean') out.push(values ? 1 : 0);
    else if (typeof values === 'number') out.push(values);
    else throw new Error(`tensor: expected a number at depth ${depth}, got ${typeof values}`);
    return;
  }
  if (!Array.isArray(values) || values.length !== shape[depth]) {
    throw new Error(`tensor: values are not rectangular: expected ${shape[depth]} elements at depth ${depth}`);
  }
  for (const v of values) flatten(v, shape, depth + 1, out);
}

/** Storage data of the right dtype from any accepted values (bool: 0/1 as int32). */
function toTyped(values: ArrayLike<number>, dtype: DType): Float32Array | Int32Array {
  if (dtype === 'bool') return Int32Array.from(values, (v) => (v ? 1 : 0));
  if (dtype === 'int32') {
    if (values instanceof Int32Array) return values;
    const out = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = values[i];
    return out;
  }
  return values instanceof Float32Array ? values : Float32Array.from(values);
}

/**
 * fe.tensor(values, shape?, dtype?) as tf.tensor: values nested or flat (with a shape).
 */
export function tensor(values: TensorLike, shape?: Shape, dtype?: DType): Tensor {
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (ArrayBuffer.isView(values)) {
    flat = values;
    inferred = [values.length];
  } else if (typeof values === 'number' || typeof values === 'boolean') {
    flat = [Number(values)];
    inferred = [];
  } else {
    inferred = inferShape(values);
    const out: number[] = [];
    flatten(values, inferred, 0, out);
    flat = out;
  }
  const finalShape = shape ? [...shape] : inferred;
  assertShape(finalShape, 'tensor');
  if (sizeOf(finalShape) !== flat.length) {
    throw new Error(`tensor: shape ${fmt(finalShape)} needs ${sizeOf(finalShape)} values, got ${flat.length}`);
  }
  const dt = checkDtype('tensor', dtype ?? inferDtype(values));
  const b = ENGINE.get();
  const s = b.alloc(flat.length);
  b.write(s, toTyped(flat, dt));
  return makeTensor(s, finalShape, dt);
}

export function scalar(value: number | boolean, dtype?: DType): Tensor {
  return tensor(value, [], dtype);
}

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
const tensor1dChecked = rankChecked(1, 'tensor1d');
/** tf.tensor1d(values, dtype?) (ferrite's older (values, shape, dtype) form is accepted too). */
export function tensor1d(values: TensorLike, dtype?: DType | Shape, legacyDtype?: DType): Tensor {
  return typeof dtype === 'string' ? tensor1dChecked(values, undefined, dtype) : tensor1dChecked(values, dtype, legacyDtype);
}
export const tensor2d = rankChecked(2, 'tensor2d');
export const tensor3d = rankChecked(3, 'tensor3d');
export const tensor4d = rankChecked(4, 'tensor4d');

/** A tensor of `shape` filled with `value` (dtype default: bool for a boolean, else float32). */
export function fill(shape: Shape, value: number | boolean, dtype?: DType): Tensor {
  assertShape(shape, 'fill');
  const dt = checkDtype('fill', dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32'));
  const v = dt === 'bool' ? (value ? 1 : 0) : Number(value);
  const b = ENGINE.get();
  const n = sizeOf(shape);
  const s = b.alloc(n);
  if (v !== 0) b.fill(s, v, n, isIntStorage(dt));
  return makeTensor(s, shape, dt);
}

export function zeros(shape: Shape, dtype: DType = 'float32'): Tensor {
  return fill(shape, 0, dtype);
}

export function ones(shape: Shape, dtype: DType = 'float32'): Tensor {
  return fill(shape, 1, dtype);
}

export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape, t.dtype);
}

export function onesLike(t: Tensor): Tensor {
  return ones(t.shape, t.dtype);
}

/** Samples from N(mean, stdDev²); `seed` makes it reproducible (else the global generator). */
export function randomNormal(shape: Shape, mean = 0, stdDev = 1, dtype: DType = 'float32', seed?: number): Tensor {
  assertShape(shape, 'randomNormal');
  const data = new Float32Array(sizeOf(shape));
  fillNormal(data, mean, stdDev, rngFor(seed));
  return tensor(data, shape, dtype);
}

/** As randomNormal, redrawing samples beyond two standard deviations. */
export function truncatedNormal(shape: Shape, mean = 0, stdDev = 1, dtype: DType = 'float32', seed?: number): Tensor {
  assertShape(shape, 'truncatedNormal');
  const data = new Float32Array(sizeOf(shape));
  fillNormal(data, mean, stdDev, rngFor(seed), true);
  return tensor(data, shape, dtype);
}

/** Samples from U[minval, maxval). */
export function randomUniform(shape: Shape, minval = 0, maxval = 1, dtype: DType = 'float32', seed?: number): Tensor {
  assertShape(shape, 'randomUniform');
  const rng = rngFor(seed);
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = minval + (maxval - minval) * rng();
  if (dtype === 'int32') for (let i = 0; i < data.length; i++) data[i] = Math.floor(data[i]);
  return tensor(data, shape, dtype);
}

/** [start, stop) with `step`, as tf.range. */
export function range(start: number, stop?: number, step = 1, dtype: DType = 'float32'): Tensor {
  if (stop === undefined) { stop = start; start = 0; }
  if (step === 0) throw new Error('range: step must not be 0');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return tensor(data, [n], dtype);
}

/** A trainable variable holding a copy of `initial`'s values. */
export function variable(initial: Tensor, trainable = true, name?: string): Variable {
  const b = ENGINE.get();
  const s = b.alloc(initial.size);
  b.write(s, isIntStorage(initial.dtype) ? b.readI32(initial.storage) : b.readF32(initial.storage));
  return new Variable(s, initial.shape, initial.dtype, b, trainable, name);
}
