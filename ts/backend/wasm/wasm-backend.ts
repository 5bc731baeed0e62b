/**
 * The wasm backend: the Backend interface over the raw C ABI of ferrite-wasm.
 *
 * Storages are blocks of the module's linear memory; kernels receive byte pointers with the
 * element offsets folded in. Methods do only what the call needs (no JS allocation on the
 * kernel paths) because a training step calls thousands of kernels.
 */

import {
  MAX_RANK,
  type ArgReduceOp, type Backend, type BinaryOp, type ReduceOp, type ScanOp, type Storage, type UnaryGradOp, type UnaryOp,
} from '../backend';
import {
  ARG_REDUCE_OPS, BINARY_OPS, EXPORT_ARITY, REDUCE_OPS, UNARY_GRAD_OPS, UNARY_OPS,
  type FerriteExports,
} from './exports';
import { BIAS_ACTIVATIONS, SCAN_OPS } from './exports';
import type { BiasActivation } from '../backend';
import { enableRelaxedSimdFlag, wasmRelaxedSimdSupported, wasmSimdSupported } from './feature-detect';
import { isThreadedBuild, loadWasmModule, type WasmBuild, type WasmSources } from './loader';
import { WorkerPool, warnOnce, type PoolOptions } from './threads/pool';
import { createSharedMemory } from './threads/memory';
import { guardExports } from './threads/guard';
import { availableCores, threadsUnavailableReason } from './threads/support';
import type { ThreadedExports } from './exports';
import type { RnnBackwardArgs, RnnConfig, RnnForwardArgs } from '../rnn-types';
import * as rnn from './rnn';
import {
  conv2dGeometryValues, pool2dGeometryValues, type Conv2dGeometry, type Pool2dGeometry,
} from '../conv-geometry';
import { convStatus } from './conv-status';
import * as ctcAudio from './ctc-audio';
import type { SpectrogramGeometry } from '../audio-geometry';
import type { AttentionBackwardArgs, AttentionConfig, AttentionForwardArgs } from '../attention-types';
import * as wasmAttention from './attention';
import * as spatial from './spatial';
import type { Conv3dGeometry, CropGeometry, DepthwiseGeometry, Pool3dGeometry, ResizeGeometry } from '../spatial-geometry';

export interface WasmBackendOptions {
  /**
   * Which build to run; default: 'relaxed' where the engine supports relaxed SIMD, else 'simd'
   * (their '-threads' variants when more than one thread runs).
   */
  build?: WasmBuild;
  /**
   * Threads for the kernels, the caller included: a count, or 'auto' (the available cores in
   * Node; navigator.hardwareConcurrency on a cross-origin isolated page; else 1). Default 1.
   * More than one needs SharedArrayBuffer: where it is missing, one thread and a warning.
   */
  threads?: number | 'auto';
  /** Where the helper script (thread-worker.mjs) is, if not next to the library module. */
  workerUrl?: string | URL;
  /** Where to load the build(s) from; default: the package's wasm/ directory. */
  source?: WasmSources;
  /**
   * Allow setting Node's `--experimental-wasm-relaxed-simd` V8 flag so the relaxed build can
   * run on Node 20. ferrite never changes V8 flags unless this is true.
   */
  relaxedSimd?: boolean;
}

/** A block of `size` 4-byte elements at byte offset `ptr` of the wasm memory. */
export class WasmStorage implements Storage {
  /** Set on free. */
  freed = false;
  constructor(public ptr: number, public readonly size: number) {}
}

/** The heap offset of a storage, or 0 (the ABI's "none") for null. */
function optPtr(s: Storage | null): number {
  return s ? (s as WasmStorage).ptr : 0;
}

/**
 * A freed storage's pointer is replaced by this address, beyond any memory below 2 GiB, so a
 * kernel given a freed storage traps instead of silently corrupting reused memory.
 */
const FREED_PTR = 0x8000_0000;

/** Bytes ferrite_alloc can be asked for: the whole 32-bit address space, less a page. */
const MAX_ALLOC_BYTES = 2 ** 32 - 65536;

function codes(names: readonly string[]): Map<string, number> {
  return new Map(names.map((n, i) => [n, i]));
}
const BINARY_CODE = codes(BINARY_OPS);
const UNARY_CODE = codes(UNARY_OPS);
const UNARY_GRAD_CODE = codes(UNARY_GRAD_OPS);
const REDUCE_CODE = codes(REDUCE_OPS);
const ARG_REDUCE_CODE = codes(ARG_REDUCE_OPS);
const BIAS_ACT_CODE = codes(BIAS_ACTIVATIONS);
const SCAN_CODE = codes(SCAN_OPS);

/** `alpha` when the caller gives none: leakyRelu slope 0.2 (as tf.leakyRelu), elu 1. */
function alphaDefaults(names: readonly string[]): Float64Array {
  return Float64Array.from(names, (n) => (n === 'leakyRelu' ? 0.2 : n === 'elu' ? 1 : 0));
}
const UNARY_ALPHA = alphaDefaults(UNARY_OPS);
const UNARY_GRAD_ALPHA = alphaDefaults(UNARY_GRAD_OPS);

function badOp(kind: string, op: string): never {
  throw new Error(`ferrite: unknown ${kind} op '${op}'`);
}

/**
 * With FERRITE_POISON_UNINIT=1 (the test suites set it), allocUninit fills its blocks with a
 * NaN pattern, so a kernel that leaves part of an output unwritten fails loudly instead of
 * passing on whatever zeros the allocator happened to hand out.
 */
const POISON_UNINIT = typeof process !== 'undefined' && process.env?.FERRITE_POISON_UNINIT === '1';
const POISON_BITS = 0x7fc0dead;

function mb(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}

export class WasmBackend implements Backend {
  readonly name = 'wasm' as const;
  readonly memory: WebAssembly.Memory;
  private readonly x: FerriteExports;
  private buffer: ArrayBuffer;
  private f32: Float32Array;
  private i32: Int32Array;
  /** Byte offset of 3 × MAX_RANK i32 slots for the shape/stride arguments of kernels. */
  private readonly scratch: number;

  /** The helper threads (threaded builds only). */
  pool: WorkerPool | null = null;

  constructor(readonly exports: FerriteExports, readonly build: WasmBuild) {
    this.x = exports;
    this.memory = exports.memory;
    this.buffer = this.memory.buffer;
    this.f32 = new Float32Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    const scratch = exports.ferrite_alloc(3 * MAX_RANK * 4) >>> 0;
    if (scratch === 0) throw new Error('ferrite: out of WebAssembly memory at start-up');
    this.scratch = scratch;
  }

  /** Re-makes the views when memory has grown (growth detaches the old buffer). */
  private views(): void {
    const b = this.memory.buffer;
    if (b !== this.buffer) {
      this.buffer = b;
      this.f32 = new Float32Array(b);
      this.i32 = new Int32Array(b);
    }
  }

  /** Copies three shape/stride arrays into the scratch slots; returns the rank. */
  private dims(a: ArrayLike<number>, b: ArrayLike<number>, shape: ArrayLike<number>): number {
    const rank = shape.length;
    if (rank > MAX_RANK) throw new Error(`ferrite: rank ${rank} exceeds the maximum of ${MAX_RANK}`);
    if (a.length !== rank || b.length !== rank) {
      throw new Error(`ferrite: strides of rank ${a.length} and ${b.length} do not match shape of rank ${rank}`);
    }
    this.views();
    const m = this.i32;
    const base = this.scratch >>> 2;
    for (let d = 0; d < rank; d++) {
      m[base + d] = a[d];
      m[base + MAX_RANK + d] = b[d];
      m[base + 2 * MAX_RANK + d] = shape[d];
    }
    return rank;
  }

  private live(s: Storage, what: string): WasmStorage {
    const w = s as WasmStorage;
    if (!(w instanceof WasmStorage)) throw new Error(`ferrite: ${what}: storage does not belong to the wasm backend`);
    if (w.freed) throw new Error(`ferrite: ${what}: storage was already freed`);
    return w;
  }

  private range(w: WasmStorage, offset: number, length: number, what: string): void {
    if (!(offset >= 0 && length >= 0 && offset + length <= w.size)) {
      throw new Error(`ferrite: ${what} of [${offset}, ${offset + length}) is outside a storage of ${w.size} elements`);
    }
  }

  // ---- threads (ts/backend/wasm/threads/) ---------------------------------------------

  /** Threads the kernels use now (1 in single-threaded builds). */
  get threads(): number {
    return this.pool ? this.pool.threads : 1;
  }

  /** Runs the kernels on n threads (threaded builds); resolves with the count in effect. */
  async setThreads(n: number): Promise<number> {
    if (!this.pool) {
      if (n !== 1) throw new Error(`ferrite: the '${this.build}' build runs on one thread; ${n} threads need a '-threads' build`);
      return 1;
    }
    return this.pool.resize(n);
  }

  /** Ends the helper threads; kernels keep working on the calling thread. */
  stopThreads(): void {
    this.pool?.stop();
  }

  // ---- memory -------------------------------------------------------------------------

  alloc(size: number): WasmStorage {
    return this.allocWith(size, this.x.ferrite_alloc);
  }

  allocUninit(size: number): WasmStorage {
    const w = this.allocWith(size, this.x.ferrite_alloc_uninit);
    if (POISON_UNINIT) {
      this.views();
      this.i32.fill(POISON_BITS, w.ptr >>> 2, (w.ptr >>> 2) + size);
    }
    return w;
  }

  /** A block of `size` elements from one of the module's allocators, or a clear error. */
  private allocWith(size: number, allocate: (bytes: number) => number): WasmStorage {
    if (!(size >= 0) || !Number.isInteger(size)) throw new Error(`ferrite: cannot allocate ${size} elements`);
    const bytes = Math.max(size, 1) * 4;
    const ptr = bytes <= MAX_ALLOC_BYTES ? allocate(bytes) >>> 0 : 0;
    if (ptr === 0) {
      throw new Error(
        `ferrite: out of WebAssembly memory allocating ${bytes} bytes (heap is ${mb(this.memory.buffer.byteLength)} MB)`);
    }
    return new WasmStorage(ptr, size);
  }

  free(s: Storage): void {
    const w = this.live(s, 'free');
    this.x.ferrite_free(w.ptr, Math.max(w.size, 1) * 4);
    w.freed = true;
    w.ptr = FREED_PTR;
  }

  write(s: Storage, data: Float32Array | Int32Array, offset = 0): void {
    const w = this.live(s, 'write');
    this.range(w, offset, data.length, 'write');
    this.views();
    const at = (w.ptr >>> 2) + offset;
    if (data instanceof Float32Array) this.f32.set(data, at);
    else this.i32.set(data, at);
  }

  readF32(s: Storage, offset = 0, length?: number): Float32Array {
    const w = this.live(s, 'readF32');
    const n = length ?? w.size - offset;
    this.range(w, offset, n, 'readF32');
    this.views();
    const at = (w.ptr >>> 2) + offset;
    return this.f32.slice(at, at + n);
  }

  readI32(s: Storage, offset = 0, length?: number): Int32Array {
    const w = this.live(s, 'readI32');
    const n = length ?? w.size - offset;
    this.range(w, offset, n, 'readI32');
    this.views();
    const at = (w.ptr >>> 2) + offset;
    return this.i32.slice(at, at + n);
  }

  heapBytes(): number {
    return this.memory.buffer.byteLength;
  }

  // ---- data movement ------------------------------------------------------------------

  fill(out: Storage, value: number, n: number, asInt = false): void {
    const p = (out as WasmStorage).ptr;
    if (asInt) this.x.ferrite_fill_i32(p, value | 0, n);
    else this.x.ferrite_fill_f32(p, value, n);
  }

  stridedCopy(
    src: Storage, srcOffset: number, srcStrides: ArrayLike<number>,
    dst: Storage, dstOffset: number, dstStrides: ArrayLike<number>,
    shape: ArrayLike<number>,
  ): void {
    const rank = this.dims(srcStrides, dstStrides, shape);
    const s = this.scratch;
    this.x.ferrite_strided_copy(
      (src as WasmStorage).ptr + srcOffset * 4, s,
      (dst as WasmStorage).ptr + dstOffset * 4, s + MAX_RANK * 4,
      s + 2 * MAX_RANK * 4, rank);
  }

  castF32ToI32(x: Storage, out: Storage, n: number): void {
    this.x.ferrite_cast_f32_i32((x as WasmStorage).ptr, (out as WasmStorage).ptr, n);
  }

  castI32ToF32(x: Storage, out: Storage, n: number): void {
    this.x.ferrite_cast_i32_f32((x as WasmStorage).ptr, (out as WasmStorage).ptr, n);
  }

  // ---- arithmetic ---------------------------------------------------------------------

  matmul(
    a: Storage, aOffset: number, strideA: number,
    b: Storage, bOffset: number, strideB: number,
    c: Storage, cOffset: number, strideC: number,
    batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, alpha: number, beta: number,
  ): void {
    this.x.ferrite_matmul(
      (a as WasmStorage).ptr + aOffset * 4, strideA,
      (b as WasmStorage).ptr + bOffset * 4, strideB,
      (c as WasmStorage).ptr + cOffset * 4, strideC,
      batch, m, n, k, transA ? 1 : 0, transB ? 1 : 0, alpha, beta);
  }

  binary(
    op: BinaryOp,
    a: Storage, aStrides: ArrayLike<number>,
    b: Storage, bStrides: ArrayLike<number>,
    out: Storage, shape: ArrayLike<number>,
  ): void {
    const code = BINARY_CODE.get(op) ?? badOp('binary', op);
    const rank = this.dims(aStrides, bStrides, shape);
    const s = this.scratch;
    this.x.ferrite_binary(
      code, (a as WasmStorage).ptr, s, (b as WasmStorage).ptr, s + MAX_RANK * 4,
      (out as WasmStorage).ptr, s + 2 * MAX_RANK * 4, rank);
  }

  unary(op: UnaryOp, x: Storage, out: Storage, n: number, alpha?: number): void {
    const code = UNARY_CODE.get(op) ?? badOp('unary', op);
    this.x.ferrite_unary(code, (x as WasmStorage).ptr, (out as WasmStorage).ptr, n, alpha ?? UNARY_ALPHA[code]);
  }

  unaryGrad(op: UnaryGradOp, xOrY: Storage, dy: Storage, dx: Storage, n: number, alpha?: number): void {
    const code = UNARY_GRAD_CODE.get(op) ?? badOp('unaryGrad', op);
    this.x.ferrite_unary_grad(
      code, (xOrY as WasmStorage).ptr, (dy as WasmStorage).ptr, (dx as WasmStorage).ptr, n,
      alpha ?? UNARY_GRAD_ALPHA[code]);
  }

  affine(x: Storage, out: Storage, n: number, scale: number, shift: number): void {
    this.x.ferrite_affine((x as WasmStorage).ptr, (out as WasmStorage).ptr, n, scale, shift);
  }

  clip(x: Storage, out: Storage, n: number, lo: number, hi: number): void {
    this.x.ferrite_clip((x as WasmStorage).ptr, (out as WasmStorage).ptr, n, lo, hi);
  }

  where(cond: Storage, a: Storage, b: Storage, out: Storage, n: number): void {
    this.x.ferrite_where(
      (cond as WasmStorage).ptr, (a as WasmStorage).ptr, (b as WasmStorage).ptr, (out as WasmStorage).ptr, n);
  }

  biasAct(act: BiasActivation, x: Storage, bias: Storage | null, out: Storage, pre: Storage | null, rows: number, cols: number, alpha = 1): void {
    const code = BIAS_ACT_CODE.get(act) ?? badOp('biasAct', act);
    this.x.ferrite_bias_act(
      code, (x as WasmStorage).ptr, bias ? (bias as WasmStorage).ptr : 0, (out as WasmStorage).ptr,
      pre ? (pre as WasmStorage).ptr : 0, rows, cols, alpha);
  }

  biasActGrad(act: BiasActivation, xOrY: Storage, dy: Storage, dx: Storage, dBias: Storage | null, rows: number, cols: number, alpha = 1): void {
    const code = BIAS_ACT_CODE.get(act) ?? badOp('biasActGrad', act);
    this.x.ferrite_bias_act_grad(
      code, (xOrY as WasmStorage).ptr, (dy as WasmStorage).ptr, (dx as WasmStorage).ptr,
      dBias ? (dBias as WasmStorage).ptr : 0, rows, cols, alpha);
  }

  // ---- reductions ---------------------------------------------------------------------

  reduce(op: ReduceOp, x: Storage, out: Storage, outer: number, axis: number, inner: number): void {
    const code = REDUCE_CODE.get(op) ?? badOp('reduce', op);
    this.x.ferrite_reduce(code, (x as WasmStorage).ptr, (out as WasmStorage).ptr, outer, axis, inner);
  }

  cumulative(op: ScanOp, x: Storage, out: Storage, outer: number, axis: number, inner: number, exclusive: boolean, reverse: boolean): void {
    const code = SCAN_CODE.get(op) ?? badOp('cumulative', op);
    this.x.ferrite_cumulative(code, (x as WasmStorage).ptr, (out as WasmStorage).ptr, outer, axis, inner, (exclusive ? 1 : 0) | (reverse ? 2 : 0));
  }

  argReduce(op: ArgReduceOp, x: Storage, out: Storage, outer: number, axis: number, inner: number): void {
    const code = ARG_REDUCE_CODE.get(op) ?? badOp('argReduce', op);
    this.x.ferrite_arg_reduce(code, (x as WasmStorage).ptr, (out as WasmStorage).ptr, outer, axis, inner);
  }

  // ---- activations over the last axis -------------------------------------------------

  softmax(x: Storage, out: Storage, rows: number, cols: number): void {
    this.x.ferrite_softmax((x as WasmStorage).ptr, (out as WasmStorage).ptr, rows, cols);
  }

  logSoftmax(x: Storage, out: Storage, rows: number, cols: number): void {
    this.x.ferrite_log_softmax((x as WasmStorage).ptr, (out as WasmStorage).ptr, rows, cols);
  }

  softmaxGrad(y: Storage, dy: Storage, dx: Storage, rows: number, cols: number): void {
    this.x.ferrite_softmax_grad((y as WasmStorage).ptr, (dy as WasmStorage).ptr, (dx as WasmStorage).ptr, rows, cols);
  }

  logSoftmaxGrad(y: Storage, dy: Storage, dx: Storage, rows: number, cols: number): void {
    this.x.ferrite_log_softmax_grad(
      (y as WasmStorage).ptr, (dy as WasmStorage).ptr, (dx as WasmStorage).ptr, rows, cols);
  }

  // ---- indexing -----------------------------------------------------------------------

  gather(x: Storage, idx: Storage, out: Storage, outer: number, axisLen: number, inner: number, numIdx: number): number {
    return this.x.ferrite_gather(
      (x as WasmStorage).ptr, (idx as WasmStorage).ptr, (out as WasmStorage).ptr, outer, axisLen, inner, numIdx);
  }

  scatterAdd(dy: Storage, idx: Storage, dx: Storage, outer: number, axisLen: number, inner: number, numIdx: number): void {
    this.x.ferrite_scatter_add(
      (dy as WasmStorage).ptr, (idx as WasmStorage).ptr, (dx as WasmStorage).ptr, outer, axisLen, inner, numIdx);
  }

  oneHot(idx: Storage, out: Storage, n: number, depth: number, onValue: number, offValue: number): void {
    this.x.ferrite_one_hot((idx as WasmStorage).ptr, (out as WasmStorage).ptr, n, depth, onValue, offValue);
  }

  // ---- fused losses -------------------------------------------------------------------

  sigmoidCrossEntropy(logits: Storage, labels: Storage, loss: Storage, grad: Storage, n: number): void {
    this.x.ferrite_sigmoid_cross_entropy(
      (logits as WasmStorage).ptr, (labels as WasmStorage).ptr, (loss as WasmStorage).ptr, (grad as WasmStorage).ptr, n);
  }

  softmaxCrossEntropy(logits: Storage, labels: Storage, loss: Storage, grad: Storage, rows: number, cols: number): void {
    this.x.ferrite_softmax_cross_entropy(
      (logits as WasmStorage).ptr, (labels as WasmStorage).ptr, (loss as WasmStorage).ptr, (grad as WasmStorage).ptr,
      rows, cols);
  }

  sparseSoftmaxCrossEntropy(
    logits: Storage, labels: Storage, loss: Storage, grad: Storage, rows: number, cols: number,
  ): number {
    return this.x.ferrite_sparse_softmax_cross_entropy(
      (logits as WasmStorage).ptr, (labels as WasmStorage).ptr, (loss as WasmStorage).ptr, (grad as WasmStorage).ptr,
      rows, cols);
  }

  // ---- fused optimizer updates --------------------------------------------------------

  adam(
    p: Storage, g: Storage, m: Storage, v: Storage, n: number,
    lrT: number, beta1: number, beta2: number, eps: number,
  ): void {
    this.x.ferrite_adam(
      (p as WasmStorage).ptr, (g as WasmStorage).ptr, (m as WasmStorage).ptr, (v as WasmStorage).ptr, n,
      lrT, beta1, beta2, eps);
  }

  sgd(
    p: Storage, g: Storage, velocity: Storage | null, n: number,
    lr: number, momentum: number, nesterov: boolean,
  ): void {
    this.x.ferrite_sgd(
      (p as WasmStorage).ptr, (g as WasmStorage).ptr, velocity ? (velocity as WasmStorage).ptr : 0, n,
      lr, momentum, nesterov ? 1 : 0);
  }

  rmsprop(
    p: Storage, g: Storage, ms: Storage, mg: Storage | null, mom: Storage | null, n: number,
    lr: number, rho: number, momentum: number, eps: number,
  ): void {
    this.x.ferrite_rmsprop(
      (p as WasmStorage).ptr, (g as WasmStorage).ptr, (ms as WasmStorage).ptr,
      mg ? (mg as WasmStorage).ptr : 0, mom ? (mom as WasmStorage).ptr : 0, n, lr, rho, momentum, eps);
  }

  // ---- more optimizer updates (crates/ferrite-wasm/src/optimizers.rs) -----------------

  adagrad(p: Storage, g: Storage, acc: Storage, n: number, lr: number, eps: number): void {
    this.x.ferrite_adagrad(optPtr(p), optPtr(g), optPtr(acc), n, lr, eps);
  }

  adadelta(p: Storage, g: Storage, accG: Storage, accD: Storage, n: number, lr: number, rho: number, eps: number): void {
    this.x.ferrite_adadelta(optPtr(p), optPtr(g), optPtr(accG), optPtr(accD), n, lr, rho, eps);
  }

  adamax(p: Storage, g: Storage, m: Storage, u: Storage, n: number, lrT: number, beta1: number, beta2: number, eps: number): void {
    this.x.ferrite_adamax(optPtr(p), optPtr(g), optPtr(m), optPtr(u), n, lrT, beta1, beta2, eps);
  }

  sgdTorch(p: Storage, g: Storage, buf: Storage | null, n: number, lr: number, momentum: number, dampening: number, nesterov: boolean, weightDecay: number, first: boolean): void {
    this.x.ferrite_sgd_torch(optPtr(p), optPtr(g), optPtr(buf), n, lr, momentum, dampening, nesterov ? 1 : 0, weightDecay, first ? 1 : 0);
  }

  adamTorch(p: Storage, g: Storage, m: Storage, v: Storage, vMax: Storage | null, n: number, stepSize: number, beta1: number, beta2: number, eps: number, bc2Sqrt: number, l2: number, keep: number): void {
    this.x.ferrite_adam_torch(optPtr(p), optPtr(g), optPtr(m), optPtr(v), optPtr(vMax), n, stepSize, beta1, beta2, eps, bc2Sqrt, l2, keep);
  }

  adagradTorch(p: Storage, g: Storage, sum: Storage, n: number, clr: number, eps: number, weightDecay: number): void {
    this.x.ferrite_adagrad_torch(optPtr(p), optPtr(g), optPtr(sum), n, clr, eps, weightDecay);
  }

  rmspropTorch(p: Storage, g: Storage, sq: Storage, gAvg: Storage | null, buf: Storage | null, n: number, lr: number, alpha: number, eps: number, weightDecay: number, momentum: number): void {
    this.x.ferrite_rmsprop_torch(optPtr(p), optPtr(g), optPtr(sq), optPtr(gAvg), optPtr(buf), n, lr, alpha, eps, weightDecay, momentum);
  }

  // ---- recurrent layers (crates/ferrite-wasm/src/rnn.rs) ------------------------------

  rnnWorkspaceSize(cfg: RnnConfig): { forward: number; backward: number } {
    return rnn.rnnWorkspaceSize(this.x, cfg);
  }

  rnnForward(cfg: RnnConfig, a: RnnForwardArgs): void {
    rnn.rnnForward(this.x, cfg, a);
  }

  rnnBackward(cfg: RnnConfig, a: RnnBackwardArgs): void {
    rnn.rnnBackward(this.x, cfg, a);
  }

  // ---- convolution and pooling (crates/ferrite-wasm/src/conv.rs) -----------------------

  /** Writes geometry values (≤ 3 × MAX_RANK) into the scratch slots; returns their address. */
  private geometry(values: number[]): number {
    this.views();
    this.i32.set(values, this.scratch >>> 2);
    return this.scratch;
  }

  conv2d(x: Storage, filter: Storage, bias: Storage | null, out: Storage, g: Conv2dGeometry, relu: boolean): void {
    convStatus('conv2d', this.x.ferrite_conv2d(
      (x as WasmStorage).ptr, (filter as WasmStorage).ptr, bias ? (bias as WasmStorage).ptr : 0, (out as WasmStorage).ptr,
      this.geometry(conv2dGeometryValues(g)), relu ? 1 : 0), this.memory);
  }

  conv2dBackpropInput(dy: Storage, filter: Storage, dx: Storage, g: Conv2dGeometry): void {
    convStatus('conv2dBackpropInput', this.x.ferrite_conv2d_backprop_input(
      (dy as WasmStorage).ptr, (filter as WasmStorage).ptr, (dx as WasmStorage).ptr, this.geometry(conv2dGeometryValues(g))), this.memory);
  }

  conv2dBackpropFilter(x: Storage, dy: Storage, dFilter: Storage, g: Conv2dGeometry): void {
    convStatus('conv2dBackpropFilter', this.x.ferrite_conv2d_backprop_filter(
      (x as WasmStorage).ptr, (dy as WasmStorage).ptr, (dFilter as WasmStorage).ptr, this.geometry(conv2dGeometryValues(g))), this.memory);
  }

  maxPool2d(x: Storage, out: Storage, g: Pool2dGeometry): void {
    convStatus('maxPool2d', this.x.ferrite_max_pool2d(
      (x as WasmStorage).ptr, (out as WasmStorage).ptr, this.geometry(pool2dGeometryValues(g))), this.memory);
  }

  maxPool2dGrad(x: Storage, dy: Storage, dx: Storage, g: Pool2dGeometry): void {
    convStatus('maxPool2dGrad', this.x.ferrite_max_pool2d_grad(
      (x as WasmStorage).ptr, (dy as WasmStorage).ptr, (dx as WasmStorage).ptr, this.geometry(pool2dGeometryValues(g))), this.memory);
  }

  avgPool2d(x: Storage, out: Storage, g: Pool2dGeometry): void {
    convStatus('avgPool2d', this.x.ferrite_avg_pool2d(
      (x as WasmStorage).ptr, (out as WasmStorage).ptr, this.geometry(pool2dGeometryValues(g))), this.memory);
  }

  avgPool2dGrad(dy: Storage, dx: Storage, g: Pool2dGeometry): void {
    convStatus('avgPool2dGrad', this.x.ferrite_avg_pool2d_grad(
      (dy as WasmStorage).ptr, (dx as WasmStorage).ptr, this.geometry(pool2dGeometryValues(g))), this.memory);
  }

  // ---- CTC and audio (ts/backend/wasm/ctc-audio.ts) ----------------------------------

  ctcLoss(
    logits: Storage, labels: Storage, inputLengths: Storage, labelLengths: Storage, loss: Storage, grad: Storage,
    batch: number, time: number, classes: number, maxLabel: number, blank: number, zeroInfinity: boolean,
  ): number {
    return ctcAudio.ctcLoss(this.x, logits, labels, inputLengths, labelLengths, loss, grad, batch, time, classes, maxLabel, blank, zeroInfinity);
  }

  hannWindow(out: Storage, n: number, periodic: boolean): void {
    ctcAudio.hannWindow(this.x, out, n, periodic);
  }

  rfft(x: Storage, out: Storage, rows: number, n: number): void {
    ctcAudio.rfft(this.x, x, out, rows, n);
  }

  spectrogram(signal: Storage, window: Storage | null, out: Storage, g: SpectrogramGeometry): void {
    ctcAudio.spectrogram(this.x, signal, window, out, g, (v) => this.geometry(v));
  }

  melWeightMatrix(out: Storage, numSpectrogramBins: number, numMelBins: number, sampleRate: number, lowerHz: number, upperHz: number): void {
    ctcAudio.melWeightMatrix(this.x, out, numSpectrogramBins, numMelBins, sampleRate, lowerHz, upperHz);
  }

  dct(x: Storage, out: Storage, rows: number, n: number, k: number): void {
    ctcAudio.dct(this.x, x, out, rows, n, k);
  }

  resample(x: Storage, n: number, out: Storage, inRate: number, outRate: number): void {
    ctcAudio.resample(this.x, x, n, out, inRate, outRate);
  }

  // ---- fused attention and layer normalization (ts/backend/wasm/attention.ts) ----------

  attentionForward(cfg: AttentionConfig, a: AttentionForwardArgs): void {
    wasmAttention.attentionForward(this.x, (v) => this.geometry(v), cfg, a);
  }

  attentionBackward(cfg: AttentionConfig, a: AttentionBackwardArgs): void {
    wasmAttention.attentionBackward(this.x, (v) => this.geometry(v), cfg, a);
  }

  layerNorm(x: Storage, gamma: Storage | null, beta: Storage | null, out: Storage, mean: Storage, rstd: Storage, rows: number, cols: number, epsilon: number, rms: boolean): void {
    wasmAttention.layerNorm(this.x, x, gamma, beta, out, mean, rstd, rows, cols, epsilon, rms);
  }

  layerNormGrad(x: Storage, gamma: Storage | null, dy: Storage, mean: Storage, rstd: Storage, dx: Storage | null, dgamma: Storage | null, dbeta: Storage | null, rows: number, cols: number, rms: boolean): void {
    wasmAttention.layerNormGrad(this.x, x, gamma, dy, mean, rstd, dx, dgamma, dbeta, rows, cols, rms);
  }

  // ---- 3-D and depthwise convolution, 3-D pooling, resampling (ts/backend/wasm/spatial.ts)

  private readonly at = (v: number[]): number => this.geometry(v);
  conv3d(x: Storage, filter: Storage, bias: Storage | null, out: Storage, g: Conv3dGeometry, relu: boolean): void {
    spatial.conv3d(this.x, x, filter, bias, out, g, relu, this.at);
  }
  conv3dBackpropInput(dy: Storage, filter: Storage, dx: Storage, g: Conv3dGeometry): void {
    spatial.conv3dBackpropInput(this.x, dy, filter, dx, g, this.at);
  }
  conv3dBackpropFilter(x: Storage, dy: Storage, dFilter: Storage, g: Conv3dGeometry): void {
    spatial.conv3dBackpropFilter(this.x, x, dy, dFilter, g, this.at);
  }
  depthwiseConv2d(x: Storage, filter: Storage, bias: Storage | null, out: Storage, g: DepthwiseGeometry, relu: boolean): void {
    spatial.depthwiseConv2d(this.x, x, filter, bias, out, g, relu, this.at);
  }
  depthwiseConv2dBackpropInput(dy: Storage, filter: Storage, dx: Storage, g: DepthwiseGeometry): void {
    spatial.depthwiseConv2dBackpropInput(this.x, dy, filter, dx, g, this.at);
  }
  depthwiseConv2dBackpropFilter(x: Storage, dy: Storage, dFilter: Storage, g: DepthwiseGeometry): void {
    spatial.depthwiseConv2dBackpropFilter(this.x, x, dy, dFilter, g, this.at);
  }
  maxPool3d(x: Storage, out: Storage, g: Pool3dGeometry): void {
    spatial.maxPool3d(this.x, x, out, g, this.at);
  }
  maxPool3dGrad(x: Storage, dy: Storage, dx: Storage, g: Pool3dGeometry): void {
    spatial.maxPool3dGrad(this.x, x, dy, dx, g, this.at);
  }
  avgPool3d(x: Storage, out: Storage, g: Pool3dGeometry): void {
    spatial.avgPool3d(this.x, x, out, g, this.at);
  }
  avgPool3dGrad(dy: Storage, dx: Storage, g: Pool3dGeometry): void {
    spatial.avgPool3dGrad(this.x, dy, dx, g, this.at);
  }
  resizeBilinear(x: Storage, out: Storage, g: ResizeGeometry): void {
    spatial.resizeBilinear(this.x, x, out, g, this.at);
  }
  resizeBilinearGrad(dy: Storage, dx: Storage, g: ResizeGeometry): void {
    spatial.resizeBilinearGrad(this.x, dy, dx, g, this.at);
  }
  resizeNearest(x: Storage, out: Storage, g: ResizeGeometry): void {
    spatial.resizeNearest(this.x, x, out, g, this.at);
  }
  resizeNearestGrad(dy: Storage, dx: Storage, g: ResizeGeometry): void {
    spatial.resizeNearestGrad(this.x, dy, dx, g, this.at);
  }
  cropAndResize(image: Storage, boxes: Storage, boxInd: Storage, out: Storage, g: CropGeometry, extrapolation: number): number {
    return spatial.cropAndResize(this.x, image, boxes, boxInd, out, g, extrapolation, this.at);
  }
  cropAndResizeGradImage(dy: Storage, boxes: Storage, boxInd: Storage, dImage: Storage, g: CropGeometry): number {
    return spatial.cropAndResizeGradImage(this.x, dy, boxes, boxInd, dImage, g, this.at);
  }
}

/** Imports the module asks for, as stubs that fail loudly: ferrite-wasm is meant to need none. */
function stubImports(module: WebAssembly.Module): WebAssembly.Imports {
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== 'function') {
      throw new Error(`ferrite: the wasm module imports a ${imp.kind} '${imp.module}.${imp.name}' that ferrite cannot provide`);
    }
    (imports[imp.module] ??= {})[imp.name] = () => {
      throw new Error(`ferrite: the wasm module called its import '${imp.module}.${imp.name}'`);
    };
  }
  return imports;
}

/** Checks the instance exports what FerriteExports declares, with the same arity. */
function checkExports(exports: WebAssembly.Exports, build: WasmBuild): FerriteExports {
  if (!(exports.memory instanceof WebAssembly.Memory)) {
    throw new Error(`ferrite: the '${build}' wasm build exports no memory`);
  }
  for (const [name, arity] of Object.entries(EXPORT_ARITY)) {
    const f = exports[name];
    if (typeof f !== 'function') throw new Error(`ferrite: the '${build}' wasm build lacks the export ${name}`);
    if (f.length !== arity) {
      throw new Error(`ferrite: the '${build}' wasm build's ${name} takes ${f.length} arguments, expected ${arity}`);
    }
  }
  return exports as unknown as FerriteExports;
}

const BUILD_NAMES = "'simd', 'relaxed', 'simd-threads' or 'relaxed-threads'";

/** Picks the SIMD level: the requested one, or relaxed where supported, else simd. */
async function chooseSimd(opts: WasmBackendOptions): Promise<'simd' | 'relaxed'> {
  if (!wasmSimdSupported()) {
    throw new Error('ferrite: this JavaScript engine does not support WebAssembly SIMD; use the js backend');
  }
  const asked = opts.build === undefined ? undefined : opts.build.replace(/-threads$/, '');
  if (asked === 'simd') return 'simd';
  if (asked !== undefined && asked !== 'relaxed') {
    throw new Error(`ferrite: unknown wasm build '${String(opts.build)}' (expected ${BUILD_NAMES})`);
  }
  const relaxed = wasmRelaxedSimdSupported() || (opts.relaxedSimd === true && (await enableRelaxedSimdFlag()));
  if (asked === 'relaxed' && !relaxed) {
    throw new Error(
      `ferrite: the '${opts.build}' wasm build needs relaxed SIMD, which this engine lacks` +
      (typeof process !== 'undefined' && process.versions?.node
        ? ' (on Node 20 pass relaxedSimd: true to enable it, or use Node >= 22)' : ''));
  }
  return relaxed ? 'relaxed' : 'simd';
}

/** The thread count asked for: a positive integer, or 'auto'. */
export async function resolveThreads(threads: number | 'auto' | undefined): Promise<number> {
  if (threads === undefined) return 1;
  if (threads === 'auto') return threadsUnavailableReason() === null ? availableCores() : 1;
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new Error(`ferrite: threads must be an integer from 1 to ${MAX_THREADS}, or 'auto'; got ${String(threads)}`);
  }
  return threads;
}

/** Most threads a pool runs (the caller and 255 helpers). */
export const MAX_THREADS = 256;

/** Loads, instantiates and wraps a ferrite wasm build (and starts its helper threads). */
export async function createWasmBackend(opts: WasmBackendOptions = {}): Promise<WasmBackend> {
  const simd = await chooseSimd(opts);
  let threads = await resolveThreads(opts.threads);
  let threaded = (opts.build !== undefined && isThreadedBuild(opts.build)) || threads > 1;
  const unavailable = threaded || opts.threads === 'auto' ? threadsUnavailableReason() : null;
  if (unavailable !== null) {
    if (opts.build !== undefined && isThreadedBuild(opts.build)) {
      throw new Error(`ferrite: the '${opts.build}' build cannot run here: ${unavailable}`);
    }
    warnOnce(`ferrite: running on one thread: ${unavailable}`);
    threaded = false;
    threads = 1;
  }
  const build: WasmBuild = threaded ? `${simd}-threads` : simd;
  const module = await loadWasmModule(build, opts.source);
  if (!threaded) {
    const instance = await WebAssembly.instantiate(module, stubImports(module));
    return new WasmBackend(checkExports(instance.exports, build), build);
  }
  const memory = createSharedMemory();
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const raw = checkExports({ ...instance.exports, memory }, build) as FerriteExports & ThreadedExports;
  let pool: WorkerPool | null = null;
  const backend = new WasmBackend(guardExports(raw, memory, () => pool?.restartAfterFailure()), build);
  pool = new WorkerPool(module, memory, raw, { workerUrl: opts.workerUrl } satisfies PoolOptions);
  backend.pool = pool;
  await backend.setThreads(threads);
  return backend;
}
