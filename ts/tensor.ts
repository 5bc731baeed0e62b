/**
 * Tensor: an n-d array whose elements live in a backend storage (the wasm heap, or a
 * Float32Array for the js backend), plus what autograd needs (requiresGrad, grad, gradFn).
 */
import type { Backend, Storage } from './backend/backend';
import { ENGINE } from './engine';
import type { TensorMethods } from './tensor-methods';
import type { TensorMethodsTfjs } from './tensor-methods-tfjs';

/**
 * Element types, as TensorFlow.js. `bool` is stored as int32 0/1 (storages hold 4-byte
 * elements) and read back as a Uint8Array, as TensorFlow.js returns it.
 */
export type DType = 'float32' | 'int32' | 'bool';
export type Shape = readonly number[];
export type TypedArray = Float32Array | Int32Array | Uint8Array;

/** Whether a dtype's storage holds int32 bits (int32 and bool) rather than float32. */
export function isIntStorage(dtype: DType): boolean {
  return dtype !== 'float32';
}
export type NestedArray = number | NestedArray[];

/** How a tensor's gradient flows to its inputs: recorded by each differentiable op. */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Gradients w.r.t. each input (null where an input needs none). */
  backward(dy: Tensor): (Tensor | null)[];
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function assertShape(shape: Shape, where: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(`${where}: invalid shape [${shape.join(', ')}]: dimensions must be non-negative integers`);
    }
  }
}

/** Tensor's chainable methods (x.add(y).relu()), installed on the prototype by tensor-methods.ts. */
export interface Tensor extends TensorMethods, TensorMethodsTfjs {}
export class Tensor {
  readonly id: number;
  readonly shape: number[];
  readonly dtype: DType;
  readonly size: number;
  /** Set on parameters that gradients flow to (leaves) and on results computed from them. */
  requiresGrad = false;
  /** The accumulated gradient of a leaf after `backward()`. */
  grad: Tensor | null = null;
  /** @internal the op that produced this tensor, when recorded for autograd. */
  gradFn: GradNode | null = null;
  /** @internal variables and `keep()`ed tensors outlive tidy scopes. */
  keepAlive = false;
  name?: string;
  private _storage: Storage;
  private _backend: Backend;
  private _disposed = false;

  /** @internal use the creation functions (fe.tensor, fe.zeros, …). */
  constructor(storage: Storage, shape: Shape, dtype: DType, backend: Backend) {
    this.id = ENGINE.nextId++;
    this.shape = shape.slice();
    this.dtype = dtype;
    this.size = sizeOf(shape);
    this._storage = storage;
    this._backend = backend;
    ENGINE.track(this, storage, backend, this);
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** @internal the storage on the active backend (moving the data if the backend changed). */
  get storage(): Storage {
    this.assertLive();
    const current = ENGINE.get();
    if (current !== this._backend) this.moveTo(current);
    return this._storage;
  }

  /** @internal */
  get backend(): Backend {
    return this._backend;
  }

  private moveTo(target: Backend): void {
    const data = isIntStorage(this.dtype) ? this._backend.readI32(this._storage) : this._backend.readF32(this._storage);
    const fresh = target.alloc(this.size);
    target.write(fresh, data);
    try { this._backend.free(this._storage); } catch { /* old backend gone */ }
    ENGINE.untrack(this);
    this._storage = fresh;
    this._backend = target;
    ENGINE.liveTensors++;
  }

  private assertLive(): void {
    if (this._disposed) throw new Error(`ferrite: tensor ${this.id} [${this.shape.join(', ')}] is disposed`);
  }

  /** A copy of the values, synchronously: Float32Array, Int32Array, or Uint8Array for bool. */
  dataSync(): TypedArray {
    const s = this.storage;
    if (this.dtype === 'float32') return this._backend.readF32(s);
    const ints = this._backend.readI32(s);
    return this.dtype === 'bool' ? Uint8Array.from(ints) : ints;
  }

  async data(): Promise<TypedArray> {
    return this.dataSync();
  }

  /** The values as nested arrays of the tensor's shape. */
  arraySync(): NestedArray {
    const flat = this.dataSync();
    if (this.rank === 0) return flat[0];
    return nest(flat, this.shape, 0, 0);
  }

  async array(): Promise<NestedArray> {
    return this.arraySync();
  }

  /** Frees the storage now. Later use of the tensor throws. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    ENGINE.untrack(this);
    this._backend.free(this._storage);
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
    this.gradFn = null;
  }

  /** Keeps this tensor alive past the tidy scope that created it. */
  keep(): this {
    this.keepAlive = true;
    return this;
  }

  toString(): string {
    const values = this.size <= 64 ? JSON.stringify(this.arraySync()) : `${this.size} values`;
    return `Tensor ${this.dtype} [${this.shape.join(', ')}] ${values}`;
  }

  print(): void {
    console.log(this.toString());
  }
}

function nest(flat: TypedArray, shape: Shape, dim: number, offset: number): NestedArray {
  const n = shape[dim];
  const out: NestedArray[] = [];
  if (dim === shape.length - 1) {
    for (let i = 0; i < n; i++) out.push(flat[offset + i]);
    return out;
  }
  let stride = 1;
  for (let d = dim + 1; d < shape.length; d++) stride *= shape[d];
  for (let i = 0; i < n; i++) out.push(nest(flat, shape, dim + 1, offset + i * stride));
  return out;
}

/** @internal wraps a fresh storage of the active backend in a tensor. */
export function makeTensor(storage: Storage, shape: Shape, dtype: DType): Tensor {
  return new Tensor(storage, shape, dtype, ENGINE.get());
}

/**
 * @internal a new tensor on the active backend whose contents are unspecified: the caller's
 * kernel must write every element (zeroTensor when it accumulates or writes only some).
 */
export function emptyTensor(shape: Shape, dtype: DType = 'float32'): Tensor {
  const b = ENGINE.get();
  return new Tensor(b.allocUninit(sizeOf(shape)), shape, dtype, b);
}

/** @internal a new zero-filled tensor on the active backend. */
export function zeroTensor(shape: Shape, dtype: DType = 'float32'): Tensor {
  const b = ENGINE.get();
  return new Tensor(b.alloc(sizeOf(shape)), shape, dtype, b);
}

/**
 * A trainable tensor (a layer weight or a user parameter). Its storage is updated in place
 * by optimizers; it survives tidy scopes. Live variables are registered with the engine
 * (fe.variableGrads and optimizer.minimize default to the trainable ones).
 */
export class Variable extends Tensor {
  private _trainable: boolean;
  /** Applied after every optimizer update (a layer weight's kernelConstraint, …). */
  constraint: { apply(w: Tensor): Tensor } | null = null;

  constructor(storage: Storage, shape: Shape, dtype: DType, backend: Backend, trainable: boolean, name?: string) {
    super(storage, shape, dtype, backend);
    this._trainable = trainable;
    this.requiresGrad = trainable;
    this.keepAlive = true;
    // Named as in TensorFlow.js when no name is given (a unique number).
    this.name = name ?? String(this.id);
    ENGINE.registerVariable(this);
  }

  override dispose(): void {
    ENGINE.unregisterVariable(this);
    super.dispose();
  }

  /** Whether optimizers update it (and so whether gradients are recorded for it). */
  get trainable(): boolean {
    return this._trainable;
  }

  set trainable(value: boolean) {
    this._trainable = value;
    this.requiresGrad = value;
  }

  /** The variable itself (TensorFlow.js' LayerVariable.read()). */
  read(): this {
    return this;
  }

  /** Assigns `value` (TensorFlow.js' LayerVariable.write()), applying the constraint if any. */
  write(value: Tensor): this {
    if (this.constraint) {
      const c = this.constraint.apply(value);
      this.assign(c);
      c.dispose();
    } else {
      this.assign(value);
    }
    return this;
  }

  /** Copies `value`'s elements into this variable (shapes must match). */
  assign(value: Tensor): void {
    if (value.shape.length !== this.shape.length || value.shape.some((d, i) => d !== this.shape[i])) {
      throw new Error(
        `Variable.assign${this.name ? ` (${this.name})` : ''}: expected shape [${this.shape.join(', ')}], got [${value.shape.join(', ')}]`,
      );
    }
    const b = ENGINE.get();
    if (isIntStorage(value.dtype) !== isIntStorage(this.dtype)) {
      throw new Error(`Variable.assign${this.name ? ` (${this.name})` : ''}: expected dtype ${this.dtype}, got ${value.dtype}`);
    }
    const data = isIntStorage(value.dtype) ? b.readI32(value.storage) : b.readF32(value.storage);
    b.write(this.storage, data);
  }
}
