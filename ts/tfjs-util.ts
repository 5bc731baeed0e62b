/**
 * fe.util: TensorFlow.js' tf.util helpers, with its names and behaviour (shuffles use
 * ferrite's seedable generator, so fe.setRandomSeed makes them reproducible).
 */
import type { DType, Shape, TypedArray } from './tensor';
import { rngFor } from './ops/random';

/** Throws Error(msg()) unless expr holds. */
export function assert(expr: boolean, msg: () => string): void {
  if (!expr) throw new Error(typeof msg === 'string' ? msg : msg());
}

/** Throws unless the shapes are equal (prefix the message with errorMessagePrefix). */
export function assertShapesMatch(shapeA: Shape, shapeB: Shape, errorMessagePrefix = ''): void {
  assert(arraysEqual(shapeA, shapeB), () => `${errorMessagePrefix} Shapes [${shapeA.join(', ')}] and [${shapeB.join(', ')}] must match`);
}

/** Throws errorMessage() when a is null or undefined. */
export function assertNonNull(a: unknown, errorMessage: () => string): void {
  assert(a !== null && a !== undefined, errorMessage);
}

/** Throws unless every dimension is a non-negative integer. */
export function assertNonNegativeIntegerDimensions(shape: Shape): void {
  shape.forEach((d) => {
    assert(Number.isInteger(d) && d >= 0, () => `Tensor must have a shape comprised of positive integers but got shape [${shape.join(', ')}].`);
  });
}

type Shufflable = unknown[] | Float32Array | Int32Array | Uint8Array;

/** Shuffles the array in place (Fisher–Yates). */
export function shuffle(array: Shufflable): void {
  const rng = rngFor();
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    swap(array, i, j);
  }
}

/** Shuffles two arrays of the same length in place with the same permutation. */
export function shuffleCombo(array: Shufflable, array2: Shufflable): void {
  if (array.length !== array2.length) {
    throw new Error(`shuffleCombo: array1 length = ${array.length} must match array2 length = ${array2.length}`);
  }
  const rng = rngFor();
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    swap(array, i, j);
    swap(array2, i, j);
  }
}

/** Swaps two elements in place. */
export function swap(array: Shufflable, i: number, j: number): void {
  const a = array as unknown[];
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/** The integers 0 … n − 1 in random order (Uint32Array, as TensorFlow.js). */
export function createShuffledIndices(n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  shuffle(out as unknown as Int32Array);
  return out;
}

/** Milliseconds, with sub-millisecond resolution where the platform has it. */
export function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/** The number of elements of a shape (1 for a scalar). */
export function sizeFromShape(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Whether a shape is a scalar's ([]). */
export function isScalarShape(shape: Shape): boolean {
  return shape.length === 0;
}

type Nested = unknown;

/**
 * Flattens nested arrays (and typed arrays within them, unless skipTypedArray) into result.
 */
export function flatten<T>(arr: Nested, result: T[] = [], skipTypedArray = false): T[] {
  if (Array.isArray(arr) || (isTypedArray(arr) && !skipTypedArray)) {
    for (let i = 0; i < (arr as ArrayLike<unknown>).length; i++) flatten((arr as ArrayLike<unknown>)[i], result, skipTypedArray);
  } else {
    result.push(arr as T);
  }
  return result;
}

/** Element-wise equality of two arrays. */
export function arraysEqual(n1: ArrayLike<unknown>, n2: ArrayLike<unknown>): boolean {
  if (n1 === n2) return true;
  if (n1 == null || n2 == null || n1.length !== n2.length) return false;
  for (let i = 0; i < n1.length; i++) if (n1[i] !== n2[i]) return false;
  return true;
}

/** arraysEqual, where null and undefined only equal themselves. */
export function arraysEqualWithNull(n1: ArrayLike<unknown> | null, n2: ArrayLike<unknown> | null): boolean {
  if (n1 === null || n2 === null) return n1 === n2;
  return arraysEqual(n1, n2);
}

/** UTF-8 bytes of a string (only 'utf-8' / 'utf8'). */
export function encodeString(s: string, encoding = 'utf-8'): Uint8Array {
  checkEncoding(encoding);
  return new TextEncoder().encode(s);
}

/** The string of UTF-8 bytes. */
export function decodeString(bytes: Uint8Array, encoding = 'utf-8'): string {
  checkEncoding(encoding);
  return new TextDecoder('utf-8').decode(bytes);
}

function checkEncoding(encoding: string): void {
  if (encoding.toLowerCase() !== 'utf-8' && encoding.toLowerCase() !== 'utf8') {
    throw new Error(`util: only the utf-8 encoding is supported, got '${encoding}'`);
  }
}

export function isTypedArray(a: unknown): a is Float32Array | Int32Array | Uint8Array | Uint8ClampedArray {
  return a instanceof Float32Array || a instanceof Int32Array || a instanceof Uint8Array || a instanceof Uint8ClampedArray;
}

/** The dtype TensorFlow.js infers for values: bool for booleans, int32 for Int32Array/Uint8Array, else float32. */
export function inferDtype(values: unknown): DType | 'string' {
  if (Array.isArray(values)) return inferDtype(values[0]);
  if (values instanceof Float32Array) return 'float32';
  if (values instanceof Int32Array || values instanceof Uint8Array || values instanceof Uint8ClampedArray) return 'int32';
  if (typeof values === 'boolean') return 'bool';
  if (typeof values === 'string') return 'string';
  return 'float32';
}

export function isValidDtype(dtype: unknown): boolean {
  return dtype === 'float32' || dtype === 'int32' || dtype === 'bool';
}

/** Bytes per element of a dtype (as TensorFlow.js: bool 1). */
export function bytesPerElement(dtype: DType): number {
  if (dtype === 'float32' || dtype === 'int32') return 4;
  if (dtype === 'bool') return 1;
  throw new Error(`bytesPerElement: unknown dtype ${String(dtype)}`);
}

/** Whether casting oldType to newType may lose information. */
export function hasEncodingLoss(oldType: DType, newType: DType): boolean {
  if (newType === 'float32') return false;
  if (newType === 'int32' && oldType !== 'float32') return false;
  if (newType === 'bool' && oldType === 'bool') return false;
  return true;
}

export function isBoolean(v: unknown): v is boolean { return typeof v === 'boolean'; }
export function isNumber(v: unknown): v is number { return typeof v === 'number'; }
export function isString(v: unknown): v is string { return typeof v === 'string' || v instanceof String; }
export function isFunction(f: unknown): boolean { return typeof f === 'function'; }
export function isInt(a: number): boolean { return a % 1 === 0; }
export function isPromise(object: unknown): boolean {
  return !!object && typeof (object as { then?: unknown }).then === 'function';
}

/** min(max(x, lo), hi). */
export function clamp(min: number, x: number, max: number): number {
  return Math.max(min, Math.min(x, max));
}

/** val, or val + 1 when val is odd. */
export function nearestLargerEven(val: number): number {
  return val % 2 === 0 ? val : val + 1;
}

/** Σ of an array. */
export function sum(arr: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < arr.length; i++) s += arr[i];
  return s;
}

/** Uniform in [a, b) (ferrite's generator). */
export function randUniform(a: number, b: number): number {
  return a + (b - a) * rngFor()();
}

/** Σ (a_i − b_i)². */
export function distSquared(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
  return s;
}

/** The string padded with spaces on the right to `size`. */
export function rightPad(a: string, size: number): string {
  return size <= a.length ? a : a + ' '.repeat(size - a.length);
}

/** tanh. */
export function tanh(x: number): number {
  return Math.tanh(x);
}

/** A [width, height] of size as square as possible. */
export function sizeToSquarishShape(size: number): [number, number] {
  const width = Math.ceil(Math.sqrt(size));
  return [width, Math.ceil(size / width)];
}

/** Row-major strides of all axes but the last (as TensorFlow.js). */
export function computeStrides(shape: Shape): number[] {
  const rank = shape.length;
  if (rank < 2) return [];
  const strides = new Array<number>(rank - 1);
  strides[rank - 2] = shape[rank - 1];
  for (let i = rank - 3; i >= 0; i--) strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/** The flat index of coordinates locs in a shape of the given rank and strides. */
export function locToIndex(locs: number[], rank: number, strides: number[]): number {
  if (rank === 0) return 0;
  if (rank === 1) return locs[0];
  let index = locs[locs.length - 1];
  for (let i = 0; i < locs.length - 1; i++) index += strides[i] * locs[i];
  return index;
}

/** The coordinates of a flat index (inverse of locToIndex). */
export function indexToLoc(index: number, rank: number, strides: number[]): number[] {
  if (rank === 0) return [];
  if (rank === 1) return [index];
  const locs = new Array<number>(rank);
  for (let i = 0; i < locs.length - 1; i++) {
    locs[i] = Math.floor(index / strides[i]);
    index -= locs[i] * strides[i];
  }
  locs[locs.length - 1] = index;
  return locs;
}

/** Nested arrays of a shape from flat values. */
export function toNestedArray(shape: Shape, a: ArrayLike<number>): unknown {
  if (shape.length === 0) return a[0];
  const size = sizeFromShape(shape);
  if (size !== a.length) throw new Error(`toNestedArray: [${shape.join(', ')}] does not match the length ${a.length}`);
  const build = (offset: number, dim: number): unknown[] => {
    const out: unknown[] = [];
    if (dim === shape.length - 1) {
      for (let i = 0; i < shape[dim]; i++) out.push(a[offset + i]);
      return out;
    }
    const stride = sizeFromShape(shape.slice(dim + 1));
    for (let i = 0; i < shape[dim]; i++) out.push(build(offset + i * stride, dim + 1));
    return out;
  };
  return build(0, 0);
}

export function getTypedArrayFromDType(dtype: DType, size: number): TypedArray {
  if (dtype === 'float32') return new Float32Array(size);
  if (dtype === 'int32') return new Int32Array(size);
  if (dtype === 'bool') return new Uint8Array(size);
  throw new Error(`Unknown data type ${String(dtype)}`);
}
export const getArrayFromDType = getTypedArrayFromDType;
export function makeZerosTypedArray(size: number, dtype: DType): TypedArray {
  return getTypedArrayFromDType(dtype, size);
}
export function makeOnesTypedArray(size: number, dtype: DType): TypedArray {
  const a = getTypedArrayFromDType(dtype, size);
  a.fill(1);
  return a;
}
export function makeZerosNestedTypedArray(shape: Shape, dtype: DType): unknown {
  return toNestedArray(shape, makeZerosTypedArray(sizeFromShape(shape), dtype));
}

/** Values as a typed array of dtype (nested arrays flattened). */
export function toTypedArray(a: unknown, dtype: DType): TypedArray {
  const flat = isTypedArray(a) ? Array.from(a) : flatten<number | boolean>(a);
  const out = getTypedArrayFromDType(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) out[i] = Number(flat[i]);
  return out;
}

/** The shape with one −1 resolved for a tensor of `size` elements. */
export function inferFromImplicitShape(shape: number[], size: number): number[] {
  let product = 1;
  let implicit = -1;
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] >= 0) product *= shape[i];
    else if (shape[i] === -1) {
      if (implicit !== -1) throw new Error(`Shapes can only have 1 implicit size. Found -1 at dim ${implicit} and dim ${i}`);
      implicit = i;
    } else if (shape[i] < 0) throw new Error(`Shapes can not be < 0. Found ${shape[i]} at dim ${i}`);
  }
  if (implicit === -1) {
    if (size > 0 && size !== product) throw new Error(`Size(${size}) must match the product of shape ${shape}`);
    return shape;
  }
  if (product === 0 || size % product !== 0) {
    throw new Error(`The implicit shape can't be a fractional number. Got ${size} / ${product}`);
  }
  const out = shape.slice();
  out[implicit] = size / product;
  return out;
}

/** Axes as a sorted-as-given list of non-negative indices (null: all). */
export function parseAxisParam(axis: number | number[] | null | undefined, shape: Shape): number[] {
  const rank = shape.length;
  const list = axis === null || axis === undefined ? shape.map((_, i) => i) : ([] as number[]).concat(axis);
  list.forEach((ax) => assert(ax >= -rank && ax < rank, () => `All values in axis param must be in range [-${rank}, ${rank}) but got axis ${ax}`));
  list.forEach((ax) => assert(isInt(ax), () => `All values in axis param must be integers but got axis ${ax}`));
  return list.map((a) => (a < 0 ? rank + a : a));
}

/** The shape without its size-1 axes (or the given ones), and the kept axes. */
export function squeezeShape(shape: Shape, axis?: number[]): { newShape: number[]; keptDims: number[] } {
  const newShape: number[] = [];
  const keptDims: number[] = [];
  const axes = axis === undefined ? null : parseAxisParam(axis, shape).sort((a, b) => a - b);
  for (let i = 0; i < shape.length; i++) {
    if (axes && axes.includes(i)) {
      if (shape[i] !== 1) throw new Error(`Can't squeeze axis ${i} since its dim '${shape[i]}' is not 1`);
      continue;
    }
    if (!axes && shape[i] === 1) continue;
    newShape.push(shape[i]);
    keptDims.push(i);
  }
  return { newShape, keptDims };
}

/** The smallest divisor of size that is ≥ desiredSize (size itself if none). */
export function nearestDivisor(size: number, desiredSize: number): number {
  for (let i = desiredSize; i < size; ++i) if (size % i === 0) return i;
  return size;
}

/** Polls checkFn until true, with growing delays, as TensorFlow.js' repeatedTry. */
export function repeatedTry(checkFn: () => boolean, delayFn = (counter: number) => 0, maxCounter?: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let tries = 0;
    const tryFn = () => {
      if (checkFn()) {
        resolve();
        return;
      }
      tries++;
      const nextBackoff = delayFn(tries);
      if (maxCounter !== undefined && tries >= maxCounter) {
        reject();
        return;
      }
      setTimeout(tryFn, nextBackoff);
    };
    tryFn();
  });
}

/** The platform's fetch (as tf.util.fetch). */
export function fetch(path: string, requestInits?: RequestInit): Promise<Response> {
  if (typeof globalThis.fetch !== 'function') throw new Error('util.fetch: this platform has no fetch');
  return globalThis.fetch(path, requestInits);
}
