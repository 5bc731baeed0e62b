/**
 * TensorBuffer, as TensorFlow.js: a mutable array with a shape, to fill element by element on
 * the host before making a tensor (fe.buffer(shape, dtype?, values?), buf.set(v, ...loc),
 * buf.get(...loc), buf.toTensor()). bool values are stored as 0/1 in a Uint8Array.
 */
import type { DType, Tensor } from './tensor';
import { tensor } from './ops/creation';
import { checkDtype } from './ops/creation';

type Values = Float32Array | Int32Array | Uint8Array;

function makeValues(dtype: DType, size: number): Values {
  return dtype === 'float32' ? new Float32Array(size) : dtype === 'int32' ? new Int32Array(size) : new Uint8Array(size);
}

export class TensorBuffer {
  readonly shape: number[];
  readonly dtype: DType;
  readonly size: number;
  /** Row-major strides of all axes but the last (as TensorFlow.js). */
  readonly strides: number[];
  values: Values;

  constructor(shape: readonly number[], dtype: DType = 'float32', values?: ArrayLike<number>) {
    checkDtype('buffer', dtype);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new Error(`buffer: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    this.shape = shape.slice();
    this.dtype = dtype;
    this.size = shape.reduce((a, b) => a * b, 1);
    this.strides = [];
    let acc = 1;
    for (let i = shape.length - 1; i > 0; i--) {
      acc *= shape[i];
      this.strides.unshift(acc);
    }
    if (values !== undefined) {
      if (values.length !== this.size) {
        throw new Error(`buffer: the length of values (${values.length}) does not match the size of the shape [${shape.join(', ')}] (${this.size})`);
      }
      const own = makeValues(dtype, this.size);
      for (let i = 0; i < this.size; i++) own[i] = dtype === 'bool' ? (values[i] ? 1 : 0) : values[i];
      this.values = own;
    } else {
      this.values = makeValues(dtype, this.size);
    }
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Sets the element at `locs` (one coordinate per axis). */
  set(value: number | boolean, ...locs: number[]): void {
    const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
    this.values[this.locToIndex(locs)] = this.dtype === 'bool' ? (v ? 1 : 0) : v;
  }

  /** The element at `locs` (a scalar buffer needs none). */
  get(...locs: number[]): number {
    return this.values[this.locToIndex(locs.length ? locs : [])];
  }

  /** The flat (row-major) index of coordinates `locs`. */
  locToIndex(locs: number[]): number {
    if (locs.length !== this.rank) {
      throw new Error(`TensorBuffer: the number of provided coordinates (${locs.length}) must match the rank (${this.rank})`);
    }
    let index = 0;
    for (let i = 0; i < locs.length; i++) {
      const l = locs[i];
      if (!Number.isInteger(l) || l < 0 || l >= this.shape[i]) {
        throw new Error(`TensorBuffer: requested out of range element at [${locs.join(', ')}] of a buffer of shape [${this.shape.join(', ')}]`);
      }
      index = index * this.shape[i] + l;
    }
    return index;
  }

  /** The coordinates of flat index `index`. */
  indexToLoc(index: number): number[] {
    if (!Number.isInteger(index) || index < 0 || index >= Math.max(this.size, 1)) {
      throw new Error(`TensorBuffer: index ${index} is outside [0, ${this.size})`);
    }
    const locs: number[] = [];
    for (let i = this.rank - 1; i >= 0; i--) {
      locs.unshift(index % this.shape[i]);
      index = Math.floor(index / this.shape[i]);
    }
    return locs;
  }

  /** A tensor holding a copy of the values. */
  toTensor(): Tensor {
    return tensor(this.values, this.shape, this.dtype);
  }
}

/** fe.buffer(shape, dtype = 'float32', values?): a TensorBuffer to fill and turn into a tensor. */
export function buffer(shape: number[], dtype: DType = 'float32', values?: ArrayLike<number>): TensorBuffer {
  return new TensorBuffer(shape, dtype, values);
}
