/**
 * The js backend: every kernel of the Backend interface in plain TypeScript over typed
 * arrays. It is the reference the wasm backend is tested against and the fallback where
 * WebAssembly SIMD is missing, so it is written to be read: plain loops, float64
 * intermediates, one float32 rounding when a result is stored.
 */
import {
  MAX_RANK,
  type ArgReduceOp,
  type Backend,
  type BinaryOp,
  type ReduceOp,
  type Storage,
  type UnaryGradOp,
  type UnaryOp,
  type ScanOp,
} from '../backend';
import { binaryFn, sigmoid, unaryDerivative, unaryFn } from './math';
import type { RnnBackwardArgs, RnnConfig, RnnForwardArgs } from '../rnn-types';
import * as jsRnn from './rnn';
import {
  convFilterSize, convInputSize, convOutputSize, poolInputSize, poolOutputSize,
  type Conv2dGeometry, type Pool2dGeometry,
} from '../conv-geometry';
import * as jsConv from './conv';
import * as jsFused from './fused';
import * as jsCtc from './ctc';
import * as jsAudio from './audio';
import * as jsOptim from './optim';
import { cumulative as jsCumulative } from './scan';
import type { SpectrogramGeometry } from '../audio-geometry';
import * as jsSpatial from './spatial';
import type { Conv3dGeometry, CropGeometry, DepthwiseGeometry, Pool3dGeometry, ResizeGeometry } from '../spatial-geometry';
import type { BiasActivation } from '../backend';
import type { AttentionBackwardArgs, AttentionConfig, AttentionForwardArgs } from '../attention-types';
import * as jsAttention from './attention';
import * as jsLayerNorm from './layer-norm';

/** `size` 4-byte elements: one ArrayBuffer seen as float32 and as int32. */
export class JsStorage implements Storage {
  readonly size: number;
  readonly buffer: ArrayBuffer;
  readonly f32: Float32Array;
  readonly i32: Int32Array;
  /** @internal set by free(). */
  freed = false;

  constructor(size: number) {
    this.size = size;
    this.buffer = new ArrayBuffer(size * 4);
    this.f32 = new Float32Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
  }
}

function fail(msg: string): never {
  throw new Error(`ferrite js backend: ${msg}`);
}

function checkCount(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0) fail(`${what} must be a non-negative integer, got ${n}`);
}

/** Throws unless [offset, offset + n) lies inside `s`. */
function checkRange(s: JsStorage, offset: number, n: number, what: string): void {
  if (n === 0) return;
  if (offset < 0 || offset + n > s.size) {
    fail(`${what}: elements [${offset}, ${offset + n}) are outside a storage of ${s.size}`);
  }
}

function checkShape(shape: ArrayLike<number>, what: string): void {
  if (shape.length > MAX_RANK) fail(`${what}: rank ${shape.length} exceeds ${MAX_RANK}`);
  for (let d = 0; d < shape.length; d++) checkCount(shape[d], `${what}: shape[${d}]`);
}

function shapeSize(shape: ArrayLike<number>): number {
  let n = 1;
  for (let d = 0; d < shape.length; d++) n *= shape[d];
  return n;
}

/** Throws unless every element a strided walk over `shape` touches lies inside `s`. */
function checkStrided(s: JsStorage, offset: number, strides: ArrayLike<number>, shape: ArrayLike<number>, what: string): void {
  if (strides.length !== shape.length) fail(`${what}: ${strides.length} strides for rank ${shape.length}`);
  if (shapeSize(shape) === 0) return;
  let lo = offset;
  let hi = offset;
  for (let d = 0; d < shape.length; d++) {
    const reach = (shape[d] - 1) * strides[d];
    if (reach < 0) lo += reach;
    else hi += reach;
  }
  if (lo < 0 || hi >= s.size) fail(`${what}: strided access reaches [${lo}, ${hi}] outside a storage of ${s.size}`);
}

function isContiguous(strides: ArrayLike<number>, shape: ArrayLike<number>): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

function isBroadcastScalar(strides: ArrayLike<number>, shape: ArrayLike<number>): boolean {
  for (let d = 0; d < shape.length; d++) if (shape[d] !== 1 && strides[d] !== 0) return false;
  return true;
}

/**
 * O[o0 + i] = op(A[a0 + i·as], B[b0 + i·bs]) for i < n. The common arithmetic ops get
 * their own loops; the rest call the scalar definition.
 */
function binaryRun(
  op: BinaryOp, f: (a: number, b: number) => number,
  A: Float32Array, a0: number, as: number,
  B: Float32Array, b0: number, bs: number,
  O: Float32Array, o0: number, n: number,
): void {
  let ai = a0;
  let bi = b0;
  switch (op) {
    case 'add':
      for (let i = 0; i < n; i++, ai += as, bi += bs) O[o0 + i] = A[ai] + B[bi];
      return;
    case 'sub':
      for (let i = 0; i < n; i++, ai += as, bi += bs) O[o0 + i] = A[ai] - B[bi];
      return;
    case 'mul':
      for (let i = 0; i < n; i++, ai += as, bi += bs) O[o0 + i] = A[ai] * B[bi];
      return;
    case 'div':
      for (let i = 0; i < n; i++, ai += as, bi += bs) O[o0 + i] = A[ai] / B[bi];
      return;
    default:
      for (let i = 0; i < n; i++, ai += as, bi += bs) O[o0 + i] = f(A[ai], B[bi]);
  }
}

export class JsBackend implements Backend {
  readonly name = 'js' as const;
  readonly build = 'js';
  private liveBytes = 0;

  /** The JsStorage behind `s`, checking it belongs to this backend and is still alive. */
  private st(s: Storage): JsStorage {
    if (!(s instanceof JsStorage)) fail('storage does not belong to the js backend');
    if (s.freed) fail('use of a freed storage');
    return s;
  }

  // ---- memory -------------------------------------------------------------------------

  alloc(size: number): Storage {
    checkCount(size, 'alloc size');
    let s: JsStorage;
    try {
      s = new JsStorage(size);
    } catch (e) {
      throw new Error(
        `ferrite js backend: out of memory allocating ${size} elements (${size * 4} bytes; ` +
          `${this.liveBytes} bytes live): ${(e as Error).message}`,
      );
    }
    this.liveBytes += s.buffer.byteLength;
    return s;
  }

  /** Typed arrays are always zero-filled: the same as alloc. */
  allocUninit(size: number): Storage {
    return this.alloc(size);
  }

  free(s: Storage): void {
    const x = this.st(s);
    x.freed = true;
    this.liveBytes -= x.buffer.byteLength;
  }

  write(s: Storage, data: Float32Array | Int32Array, offset = 0): void {
    const x = this.st(s);
    checkRange(x, offset, data.length, 'write');
    if (data instanceof Int32Array) x.i32.set(data, offset);
    else x.f32.set(data, offset);
  }

  readF32(s: Storage, offset = 0, length?: number): Float32Array {
    const x = this.st(s);
    const n = length ?? x.size - offset;
    checkRange(x, offset, n, 'readF32');
    return x.f32.slice(offset, offset + n);
  }

  readI32(s: Storage, offset = 0, length?: number): Int32Array {
    const x = this.st(s);
    const n = length ?? x.size - offset;
    checkRange(x, offset, n, 'readI32');
    return x.i32.slice(offset, offset + n);
  }

  heapBytes(): number {
    return this.liveBytes;
  }

  // ---- data movement ------------------------------------------------------------------

  fill(out: Storage, value: number, n: number, asInt = false): void {
    const o = this.st(out);
    checkRange(o, 0, n, 'fill');
    if (asInt) o.i32.fill(value, 0, n);
    else o.f32.fill(value, 0, n);
  }

  stridedCopy(
    src: Storage, srcOffset: number, srcStrides: ArrayLike<number>,
    dst: Storage, dstOffset: number, dstStrides: ArrayLike<number>,
    shape: ArrayLike<number>,
  ): void {
    const s = this.st(src);
    const d = this.st(dst);
    checkShape(shape, 'stridedCopy');
    checkStrided(s, srcOffset, srcStrides, shape, 'stridedCopy src');
    checkStrided(d, dstOffset, dstStrides, shape, 'stridedCopy dst');
    if (shapeSize(shape) === 0) return;
    // Bits are copied through the int32 view, so float NaN payloads survive.
    const from = s.i32;
    const to = d.i32;
    const rank = shape.length;
    if (rank === 0) {
      to[dstOffset] = from[srcOffset];
      return;
    }
    const last = rank - 1;
    const len = shape[last];
    const ss = srcStrides[last];
    const ds = dstStrides[last];
    const outerCount = shapeSize(shape) / len;
    const idx = new Array<number>(rank).fill(0);
    let si = srcOffset;
    let di = dstOffset;
    for (let row = 0; row < outerCount; row++) {
      for (let j = 0; j < len; j++) to[di + j * ds] = from[si + j * ss];
      // Advance the index over all axes but the last (odometer).
      for (let ax = last - 1; ax >= 0; ax--) {
        idx[ax]++;
        si += srcStrides[ax];
        di += dstStrides[ax];
        if (idx[ax] < shape[ax]) break;
        si -= idx[ax] * srcStrides[ax];
        di -= idx[ax] * dstStrides[ax];
        idx[ax] = 0;
      }
    }
  }

  castF32ToI32(x: Storage, out: Storage, n: number): void {
    const a = this.st(x);
    const o = this.st(out);
    checkRange(a, 0, n, 'castF32ToI32 x');
    checkRange(o, 0, n, 'castF32ToI32 out');
    const src = a.f32;
    const dst = o.i32;
    for (let i = 0; i < n; i++) {
      const v = src[i];
      // Truncate toward zero; NaN → 0 and out-of-range values saturate (as Rust's `as i32`).
      dst[i] = v !== v ? 0 : v >= 2147483647 ? 2147483647 : v <= -2147483648 ? -2147483648 : Math.trunc(v);
    }
  }

  castI32ToF32(x: Storage, out: Storage, n: number): void {
    const a = this.st(x);
    const o = this.st(out);
    checkRange(a, 0, n, 'castI32ToF32 x');
    checkRange(o, 0, n, 'castI32ToF32 out');
    const src = a.i32;
    const dst = o.f32;
    for (let i = 0; i < n; i++) dst[i] = src[i];
  }

  // ---- arithmetic ---------------------------------------------------------------------

  matmul(
    a: Storage, aOffset: number, strideA: number,
    b: Storage, bOffset: number, strideB: number,
    c: Storage, cOffset: number, strideC: number,
    batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, alpha: number, beta: number,
  ): void {
    const sa = this.st(a);
    const sb = this.st(b);
    const sc = this.st(c);
    checkCount(batch, 'matmul batch');
    checkCount(m, 'matmul m');
    checkCount(n, 'matmul n');
    checkCount(k, 'matmul k');
    if (batch === 0 || m === 0 || n === 0) return;
    for (const t of [0, batch - 1]) {
      checkRange(sa, aOffset + t * strideA, m * k, 'matmul A');
      checkRange(sb, bOffset + t * strideB, k * n, 'matmul B');
      checkRange(sc, cOffset + t * strideC, m * n, 'matmul C');
    }

    const A = sa.f32;
    const B = sb.f32;
    const C = sc.f32;
    // Element (i, p) of op(A) and (p, j) of op(B), as steps from the matrix start.
    const aRow = transA ? 1 : k; // step between i
    const aCol = transA ? m : 1; // step between p
    const bRow = transB ? 1 : n; // step between p
    const bCol = transB ? k : 1; // step between j
    const acc = new Float64Array(n);

    for (let t = 0; t < batch; t++) {
      const a0 = aOffset + t * strideA;
      const b0 = bOffset + t * strideB;
      const c0 = cOffset + t * strideC;
      for (let i = 0; i < m; i++) {
        acc.fill(0);
        // i-k-j: accumulate row i of op(A)·op(B) into acc.
        for (let p = 0; p < k; p++) {
          const aip = A[a0 + i * aRow + p * aCol];
          const bp = b0 + p * bRow;
          for (let j = 0; j < n; j++) acc[j] += aip * B[bp + j * bCol];
        }
        const ci = c0 + i * n;
        if (beta === 0) {
          for (let j = 0; j < n; j++) C[ci + j] = alpha * acc[j];
        } else {
          for (let j = 0; j < n; j++) C[ci + j] = alpha * acc[j] + beta * C[ci + j];
        }
      }
    }
  }

  binary(
    op: BinaryOp,
    a: Storage, aStrides: ArrayLike<number>,
    b: Storage, bStrides: ArrayLike<number>,
    out: Storage, shape: ArrayLike<number>,
  ): void {
    const sa = this.st(a);
    const sb = this.st(b);
    const so = this.st(out);
    checkShape(shape, 'binary');
    checkStrided(sa, 0, aStrides, shape, 'binary a');
    checkStrided(sb, 0, bStrides, shape, 'binary b');
    const total = shapeSize(shape);
    checkRange(so, 0, total, 'binary out');
    if (total === 0) return;
    const f = binaryFn(op);
    const A = sa.f32;
    const B = sb.f32;
    const O = so.f32;

    // Fast path: each input contiguous or a broadcast scalar, so the whole output is one run.
    const aStep = isContiguous(aStrides, shape) ? 1 : isBroadcastScalar(aStrides, shape) ? 0 : -1;
    const bStep = isContiguous(bStrides, shape) ? 1 : isBroadcastScalar(bStrides, shape) ? 0 : -1;
    if (aStep >= 0 && bStep >= 0) {
      binaryRun(op, f, A, 0, aStep, B, 0, bStep, O, 0, total);
      return;
    }

    // General case: one run per position of the leading axes (odometer), along the last axis.
    const rank = shape.length;
    const last = rank - 1;
    const len = shape[last];
    const idx = new Array<number>(rank).fill(0);
    let ai = 0;
    let bi = 0;
    for (let o = 0; o < total; o += len) {
      binaryRun(op, f, A, ai, aStrides[last], B, bi, bStrides[last], O, o, len);
      for (let ax = last - 1; ax >= 0; ax--) {
        idx[ax]++;
        ai += aStrides[ax];
        bi += bStrides[ax];
        if (idx[ax] < shape[ax]) break;
        ai -= idx[ax] * aStrides[ax];
        bi -= idx[ax] * bStrides[ax];
        idx[ax] = 0;
      }
    }
  }

  unary(op: UnaryOp, x: Storage, out: Storage, n: number, alpha?: number): void {
    const sx = this.st(x);
    const so = this.st(out);
    checkRange(sx, 0, n, `unary ${op} x`);
    checkRange(so, 0, n, `unary ${op} out`);
    const f = unaryFn(op, alpha);
    const X = sx.f32;
    const O = so.f32;
    for (let i = 0; i < n; i++) O[i] = f(X[i]);
  }

  unaryGrad(op: UnaryGradOp, xOrY: Storage, dy: Storage, dx: Storage, n: number, alpha?: number): void {
    const sx = this.st(xOrY);
    const sdy = this.st(dy);
    const sdx = this.st(dx);
    checkRange(sx, 0, n, `unaryGrad ${op} x`);
    checkRange(sdy, 0, n, `unaryGrad ${op} dy`);
    checkRange(sdx, 0, n, `unaryGrad ${op} dx`);
    const df = unaryDerivative(op, alpha);
    const X = sx.f32;
    const DY = sdy.f32;
    const DX = sdx.f32;
    for (let i = 0; i < n; i++) DX[i] = DY[i] * df(X[i]);
  }

  affine(x: Storage, out: Storage, n: number, scale: number, shift: number): void {
    const sx = this.st(x);
    const so = this.st(out);
    checkRange(sx, 0, n, 'affine x');
    checkRange(so, 0, n, 'affine out');
    const X = sx.f32;
    const O = so.f32;
    for (let i = 0; i < n; i++) O[i] = X[i] * scale + shift;
  }

  clip(x: Storage, out: Storage, n: number, lo: number, hi: number): void {
    const sx = this.st(x);
    const so = this.st(out);
    checkRange(sx, 0, n, 'clip x');
    checkRange(so, 0, n, 'clip out');
    const X = sx.f32;
    const O = so.f32;
    for (let i = 0; i < n; i++) O[i] = Math.min(Math.max(X[i], lo), hi);
  }

  where(cond: Storage, a: Storage, b: Storage, out: Storage, n: number): void {
    const sc = this.st(cond);
    const sa = this.st(a);
    const sb = this.st(b);
    const so = this.st(out);
    for (const [s, w] of [[sc, 'cond'], [sa, 'a'], [sb, 'b'], [so, 'out']] as const) checkRange(s, 0, n, `where ${w}`);
    const C = sc.f32;
    const A = sa.i32; // selected by bits, so int32 data works too
    const B = sb.i32;
    const O = so.i32;
    for (let i = 0; i < n; i++) O[i] = C[i] !== 0 ? A[i] : B[i];
  }

  biasAct(act: BiasActivation, x: Storage, bias: Storage | null, out: Storage, pre: Storage | null, rows: number, cols: number, alpha?: number): void {
    const n = rows * cols;
    const sx = this.st(x);
    const so = this.st(out);
    checkRange(sx, 0, n, `biasAct ${act} x`);
    checkRange(so, 0, n, `biasAct ${act} out`);
    const sb = bias === null ? null : this.st(bias);
    if (sb) checkRange(sb, 0, cols, `biasAct ${act} bias`);
    const sp = pre === null ? null : this.st(pre);
    if (sp) checkRange(sp, 0, n, `biasAct ${act} pre`);
    jsFused.biasAct(act, sx.f32, sb?.f32 ?? null, so.f32, sp?.f32 ?? null, rows, cols, alpha);
  }

  biasActGrad(act: BiasActivation, xOrY: Storage, dy: Storage, dx: Storage, dBias: Storage | null, rows: number, cols: number, alpha?: number): void {
    const n = rows * cols;
    const sx = this.st(xOrY);
    const sdy = this.st(dy);
    const sdx = this.st(dx);
    for (const [s, w] of [[sx, 'xOrY'], [sdy, 'dy'], [sdx, 'dx']] as const) checkRange(s, 0, n, `biasActGrad ${act} ${w}`);
    const sdb = dBias === null ? null : this.st(dBias);
    if (sdb) checkRange(sdb, 0, cols, `biasActGrad ${act} dBias`);
    jsFused.biasActGrad(act, sx.f32, sdy.f32, sdx.f32, sdb?.f32 ?? null, rows, cols, alpha);
  }

  // ---- reductions ---------------------------------------------------------------------

  reduce(op: ReduceOp, x: Storage, out: Storage, outer: number, axis: number, inner: number): void {
    const sx = this.st(x);
    const so = this.st(out);
    checkCount(outer, 'reduce outer');
    checkCount(axis, 'reduce axis');
    checkCount(inner, 'reduce inner');
    checkRange(sx, 0, outer * axis * inner, 'reduce x');
    checkRange(so, 0, outer * inner, 'reduce out');
    const X = sx.f32;
    const O = so.f32;
    const init = op === 'sum' ? 0 : op === 'prod' ? 1 : op === 'max' ? -Infinity : op === 'min' ? Infinity : fail(`unknown reduce op '${op as string}'`);
    const acc = new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      acc.fill(init);
      const base = o * axis * inner;
      for (let r = 0; r < axis; r++) {
        const row = base + r * inner;
        switch (op) {
          case 'sum':
            for (let i = 0; i < inner; i++) acc[i] += X[row + i];
            break;
          case 'prod':
            for (let i = 0; i < inner; i++) acc[i] *= X[row + i];
            break;
          case 'max': // NaN propagates
            for (let i = 0; i < inner; i++) { const v = X[row + i]; if (v > acc[i] || v !== v) acc[i] = v; }
            break;
          case 'min':
            for (let i = 0; i < inner; i++) { const v = X[row + i]; if (v < acc[i] || v !== v) acc[i] = v; }
            break;
        }
      }
      O.set(acc, o * inner);
    }
  }

  cumulative(op: ScanOp, x: Storage, out: Storage, outer: number, axis: number, inner: number, exclusive: boolean, reverse: boolean): void {
    for (const [v, w] of [[outer, 'outer'], [axis, 'axis'], [inner, 'inner']] as const) checkCount(v, `cumulative ${w}`);
    if (op !== 'sum' && op !== 'prod') fail(`unknown cumulative op '${op as string}'`);
    jsCumulative(op, x, out, outer, axis, inner, exclusive, reverse);
  }

  argReduce(op: ArgReduceOp, x: Storage, out: Storage, outer: number, axis: number, inner: number): void {
    const sx = this.st(x);
    const so = this.st(out);
    checkCount(outer, 'argReduce outer');
    checkCount(axis, 'argReduce axis');
    checkCount(inner, 'argReduce inner');
    checkRange(sx, 0, outer * axis * inner, 'argReduce x');
    checkRange(so, 0, outer * inner, 'argReduce out');
    const sign = op === 'argMax' ? 1 : op === 'argMin' ? -1 : fail(`unknown argReduce op '${op as string}'`);
    const X = sx.f32;
    const O = so.i32;
    for (let o = 0; o < outer; o++) {
      const base = o * axis * inner;
      for (let i = 0; i < inner; i++) {
        let best = 0;
        let bestV = axis > 0 ? sign * X[base + i] : 0;
        for (let r = 1; r < axis; r++) {
          const v = sign * X[base + r * inner + i];
          if (v > bestV) { // strict: the first index wins ties
            bestV = v;
            best = r;
          }
        }
        O[o * inner + i] = best;
      }
    }
  }

  // ---- activations over the last axis -------------------------------------------------

  /** Row maximum and log Σ exp(x − max), for a row of `cols` starting at `off`. */
  private static logSumExp(X: Float32Array, off: number, cols: number): [number, number] {
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (X[off + j] > max) max = X[off + j];
    if (max === -Infinity) max = 0; // all -inf (or empty): avoid (-inf) − (-inf)
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(X[off + j] - max);
    return [max, Math.log(sum)];
  }

  softmax(x: Storage, out: Storage, rows: number, cols: number): void {
    const sx = this.st(x);
    const so = this.st(out);
    checkRange(sx, 0, rows * cols, 'softmax x');
    checkRange(so, 0, rows * cols, 'softmax out');
    const X = sx.f32;
    const O = so.f32;
    for (let r = 0; r < rows; r++) {
      const off = r * cols;
      const [max, lse] = JsBackend.logSumExp(X, off, cols);
      for (let j = 0; j < cols; j++) O[off + j] = Math.exp(X[off + j] - max - lse);
    }
  }

  logSoftmax(x: Storage, out: Storage, rows: number, cols: number): void {
    const sx = this.st(x);
    const so = this.st(out);
    checkRange(sx, 0, rows * cols, 'logSoftmax x');
    checkRange(so, 0, rows * cols, 'logSoftmax out');
    const X = sx.f32;
    const O = so.f32;
    for (let r = 0; r < rows; r++) {
      const off = r * cols;
      const [max, lse] = JsBackend.logSumExp(X, off, cols);
      for (let j = 0; j < cols; j++) O[off + j] = X[off + j] - max - lse;
    }
  }

  softmaxGrad(y: Storage, dy: Storage, dx: Storage, rows: number, cols: number): void {
    const sy = this.st(y);
    const sdy = this.st(dy);
    const sdx = this.st(dx);
    const total = rows * cols;
    checkRange(sy, 0, total, 'softmaxGrad y');
    checkRange(sdy, 0, total, 'softmaxGrad dy');
    checkRange(sdx, 0, total, 'softmaxGrad dx');
    const Y = sy.f32;
    const DY = sdy.f32;
    const DX = sdx.f32;
    for (let r = 0; r < rows; r++) {
      const off = r * cols;
      let dot = 0;
      for (let j = 0; j < cols; j++) dot += DY[off + j] * Y[off + j];
      for (let j = 0; j < cols; j++) DX[off + j] = Y[off + j] * (DY[off + j] - dot);
    }
  }

  logSoftmaxGrad(y: Storage, dy: Storage, dx: Storage, rows: number, cols: number): void {
    const sy = this.st(y);
    const sdy = this.st(dy);
    const sdx = this.st(dx);
    const total = rows * cols;
    checkRange(sy, 0, total, 'logSoftmaxGrad y');
    checkRange(sdy, 0, total, 'logSoftmaxGrad dy');
    checkRange(sdx, 0, total, 'logSoftmaxGrad dx');
    const Y = sy.f32;
    const DY = sdy.f32;
    const DX = sdx.f32;
    for (let r = 0; r < rows; r++) {
      const off = r * cols;
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += DY[off + j];
      for (let j = 0; j < cols; j++) DX[off + j] = DY[off + j] - Math.exp(Y[off + j]) * sum;
    }
  }

  // ---- indexing -----------------------------------------------------------------------

  gather(x: Storage, idx: Storage, out: Storage, outer: number, axisLen: number, inner: number, numIdx: number): number {
    const sx = this.st(x);
    const si = this.st(idx);
    const so = this.st(out);
    checkRange(sx, 0, outer * axisLen * inner, 'gather x');
    checkRange(si, 0, numIdx, 'gather idx');
    checkRange(so, 0, outer * numIdx * inner, 'gather out');
    const I = si.i32;
    for (let j = 0; j < numIdx; j++) if (I[j] < 0 || I[j] >= axisLen) return j;
    const X = sx.i32; // bits, so int32 tables gather too
    const O = so.i32;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < numIdx; j++) {
        const from = (o * axisLen + I[j]) * inner;
        const to = (o * numIdx + j) * inner;
        for (let i = 0; i < inner; i++) O[to + i] = X[from + i];
      }
    }
    return -1;
  }

  scatterAdd(dy: Storage, idx: Storage, dx: Storage, outer: number, axisLen: number, inner: number, numIdx: number): void {
    const sdy = this.st(dy);
    const si = this.st(idx);
    const sdx = this.st(dx);
    checkRange(sdy, 0, outer * numIdx * inner, 'scatterAdd dy');
    checkRange(si, 0, numIdx, 'scatterAdd idx');
    checkRange(sdx, 0, outer * axisLen * inner, 'scatterAdd dx');
    const I = si.i32;
    for (let j = 0; j < numIdx; j++) {
      if (I[j] < 0 || I[j] >= axisLen) fail(`scatterAdd: index ${I[j]} at position ${j} is outside [0, ${axisLen})`);
    }
    const DY = sdy.f32;
    const DX = sdx.f32;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < numIdx; j++) {
        const from = (o * numIdx + j) * inner;
        const to = (o * axisLen + I[j]) * inner;
        for (let i = 0; i < inner; i++) DX[to + i] += DY[from + i];
      }
    }
  }

  oneHot(idx: Storage, out: Storage, n: number, depth: number, onValue: number, offValue: number): void {
    const si = this.st(idx);
    const so = this.st(out);
    checkRange(si, 0, n, 'oneHot idx');
    checkRange(so, 0, n * depth, 'oneHot out');
    const I = si.i32;
    const O = so.f32;
    O.fill(offValue, 0, n * depth);
    for (let j = 0; j < n; j++) {
      const c = I[j];
      if (c >= 0 && c < depth) O[j * depth + c] = onValue; // out-of-range rows stay all off
    }
  }

  // ---- fused losses -------------------------------------------------------------------

  sigmoidCrossEntropy(logits: Storage, labels: Storage, loss: Storage, grad: Storage, n: number): void {
    const sx = this.st(logits);
    const sz = this.st(labels);
    const sl = this.st(loss);
    const sg = this.st(grad);
    for (const [s, w] of [[sx, 'logits'], [sz, 'labels'], [sl, 'loss'], [sg, 'grad']] as const) {
      checkRange(s, 0, n, `sigmoidCrossEntropy ${w}`);
    }
    const X = sx.f32;
    const Z = sz.f32;
    const L = sl.f32;
    const G = sg.f32;
    for (let i = 0; i < n; i++) {
      const x = X[i];
      const z = Z[i];
      L[i] = Math.max(x, 0) - x * z + Math.log1p(Math.exp(-Math.abs(x)));
      G[i] = sigmoid(x) - z;
    }
  }

  softmaxCrossEntropy(logits: Storage, labels: Storage, loss: Storage, grad: Storage, rows: number, cols: number): void {
    const sx = this.st(logits);
    const sz = this.st(labels);
    const sl = this.st(loss);
    const sg = this.st(grad);
    const total = rows * cols;
    checkRange(sx, 0, total, 'softmaxCrossEntropy logits');
    checkRange(sz, 0, total, 'softmaxCrossEntropy labels');
    checkRange(sl, 0, rows, 'softmaxCrossEntropy loss');
    checkRange(sg, 0, total, 'softmaxCrossEntropy grad');
    const X = sx.f32;
    const Z = sz.f32;
    const L = sl.f32;
    const G = sg.f32;
    for (let r = 0; r < rows; r++) {
      const off = r * cols;
      const [max, lse] = JsBackend.logSumExp(X, off, cols);
      let zSum = 0;
      let l = 0;
      for (let j = 0; j < cols; j++) {
        const z = Z[off + j];
        zSum += z;
        if (z !== 0) l -= z * (X[off + j] - max - lse);
      }
      L[r] = l;
      for (let j = 0; j < cols; j++) G[off + j] = Math.exp(X[off + j] - max - lse) * zSum - Z[off + j];
    }
  }

  sparseSoftmaxCrossEntropy(logits: Storage, labels: Storage, loss: Storage, grad: Storage, rows: number, cols: number): number {
    const sx = this.st(logits);
    const sz = this.st(labels);
    const sl = this.st(loss);
    const sg = this.st(grad);
    const total = rows * cols;
    checkRange(sx, 0, total, 'sparseSoftmaxCrossEntropy logits');
    checkRange(sz, 0, rows, 'sparseSoftmaxCrossEntropy labels');
    checkRange(sl, 0, rows, 'sparseSoftmaxCrossEntropy loss');
    checkRange(sg, 0, total, 'sparseSoftmaxCrossEntropy grad');
    const X = sx.f32;
    const Z = sz.i32;
    for (let r = 0; r < rows; r++) if (Z[r] < 0 || Z[r] >= cols) return r;
    const L = sl.f32;
    const G = sg.f32;
    for (let r = 0; r < rows; r++) {
      const off = r * cols;
      const [max, lse] = JsBackend.logSumExp(X, off, cols);
      const label = Z[r];
      L[r] = -(X[off + label] - max - lse);
      for (let j = 0; j < cols; j++) G[off + j] = Math.exp(X[off + j] - max - lse) - (j === label ? 1 : 0);
    }
    return -1;
  }

  // ---- fused optimizer updates --------------------------------------------------------

  adam(p: Storage, g: Storage, m: Storage, v: Storage, n: number, lrT: number, beta1: number, beta2: number, eps: number): void {
    const sp = this.st(p);
    const sg = this.st(g);
    const sm = this.st(m);
    const sv = this.st(v);
    for (const [s, w] of [[sp, 'p'], [sg, 'g'], [sm, 'm'], [sv, 'v']] as const) checkRange(s, 0, n, `adam ${w}`);
    const P = sp.f32;
    const G = sg.f32;
    const M = sm.f32;
    const V = sv.f32;
    for (let i = 0; i < n; i++) {
      const gi = G[i];
      M[i] = beta1 * M[i] + (1 - beta1) * gi;
      V[i] = beta2 * V[i] + (1 - beta2) * gi * gi;
      P[i] -= (lrT * M[i]) / (Math.sqrt(V[i]) + eps);
    }
  }

  sgd(p: Storage, g: Storage, velocity: Storage | null, n: number, lr: number, momentum: number, nesterov: boolean): void {
    const sp = this.st(p);
    const sg = this.st(g);
    checkRange(sp, 0, n, 'sgd p');
    checkRange(sg, 0, n, 'sgd g');
    const P = sp.f32;
    const G = sg.f32;
    if (velocity === null) {
      if (momentum !== 0) fail('sgd: momentum > 0 needs a velocity storage');
      for (let i = 0; i < n; i++) P[i] -= lr * G[i];
      return;
    }
    const sv = this.st(velocity);
    checkRange(sv, 0, n, 'sgd velocity');
    const V = sv.f32;
    for (let i = 0; i < n; i++) {
      V[i] = momentum * V[i] - lr * G[i];
      P[i] += nesterov ? momentum * V[i] - lr * G[i] : V[i];
    }
  }

  rmsprop(p: Storage, g: Storage, ms: Storage, mg: Storage | null, mom: Storage | null, n: number, lr: number, rho: number, momentum: number, eps: number): void {
    const sp = this.st(p);
    const sg = this.st(g);
    const sms = this.st(ms);
    const smg = mg === null ? null : this.st(mg);
    const smom = mom === null ? null : this.st(mom);
    checkRange(sp, 0, n, 'rmsprop p');
    checkRange(sg, 0, n, 'rmsprop g');
    checkRange(sms, 0, n, 'rmsprop ms');
    if (smg) checkRange(smg, 0, n, 'rmsprop mg');
    if (smom) checkRange(smom, 0, n, 'rmsprop mom');
    if (!smom && momentum !== 0) fail('rmsprop: momentum > 0 needs a momentum storage');
    const P = sp.f32;
    const G = sg.f32;
    const MS = sms.f32;
    const MG = smg?.f32 ?? null;
    const MOM = smom?.f32 ?? null;
    for (let i = 0; i < n; i++) {
      const gi = G[i];
      MS[i] = rho * MS[i] + (1 - rho) * gi * gi;
      let denom = MS[i];
      if (MG) {
        MG[i] = rho * MG[i] + (1 - rho) * gi;
        // ms ≥ mg² in exact arithmetic; clamp so rounding cannot give √(negative) = NaN.
        denom = Math.max(denom - MG[i] * MG[i], 0);
      }
      const step = (lr * gi) / Math.sqrt(denom + eps); // ε inside the root, as Keras and TensorFlow.js
      if (MOM) {
        MOM[i] = momentum * MOM[i] + step;
        P[i] -= MOM[i];
      } else {
        P[i] -= step;
      }
    }
  }

  // ---- more optimizer updates (ts/backend/js/optim.ts) --------------------------------

  adagrad(p: Storage, g: Storage, acc: Storage, n: number, lr: number, eps: number): void {
    jsOptim.adagrad(p, g, acc, n, lr, eps);
  }

  adadelta(p: Storage, g: Storage, accG: Storage, accD: Storage, n: number, lr: number, rho: number, eps: number): void {
    jsOptim.adadelta(p, g, accG, accD, n, lr, rho, eps);
  }

  adamax(p: Storage, g: Storage, m: Storage, u: Storage, n: number, lrT: number, beta1: number, beta2: number, eps: number): void {
    jsOptim.adamax(p, g, m, u, n, lrT, beta1, beta2, eps);
  }

  sgdTorch(p: Storage, g: Storage, buf: Storage | null, n: number, lr: number, momentum: number, dampening: number, nesterov: boolean, weightDecay: number, first: boolean): void {
    jsOptim.sgdTorch(p, g, buf, n, lr, momentum, dampening, nesterov, weightDecay, first);
  }

  adamTorch(p: Storage, g: Storage, m: Storage, v: Storage, vMax: Storage | null, n: number, stepSize: number, beta1: number, beta2: number, eps: number, bc2Sqrt: number, l2: number, keep: number): void {
    jsOptim.adamTorch(p, g, m, v, vMax, n, stepSize, beta1, beta2, eps, bc2Sqrt, l2, keep);
  }

  adagradTorch(p: Storage, g: Storage, sum: Storage, n: number, clr: number, eps: number, weightDecay: number): void {
    jsOptim.adagradTorch(p, g, sum, n, clr, eps, weightDecay);
  }

  rmspropTorch(p: Storage, g: Storage, sq: Storage, gAvg: Storage | null, buf: Storage | null, n: number, lr: number, alpha: number, eps: number, weightDecay: number, momentum: number): void {
    jsOptim.rmspropTorch(p, g, sq, gAvg, buf, n, lr, alpha, eps, weightDecay, momentum);
  }

  // ---- convolution and pooling (ts/backend/js/conv.ts) --------------------------------

  /** The float32 views of `pairs` after checking each holds its size. */
  private convViews(op: string, pairs: [Storage, number, string][]): Float32Array[] {
    return pairs.map(([s, n, what]) => {
      const st = this.st(s);
      checkRange(st, 0, n, `${op} ${what}`);
      return st.f32;
    });
  }

  conv2d(x: Storage, filter: Storage, bias: Storage | null, out: Storage, g: Conv2dGeometry, relu: boolean): void {
    const [X, Wt, O] = this.convViews('conv2d', [[x, convInputSize(g), 'x'], [filter, convFilterSize(g), 'filter'], [out, convOutputSize(g), 'out']]);
    const B = bias === null ? null : this.convViews('conv2d', [[bias, g.outChannels, 'bias']])[0];
    jsConv.conv2d(g, X, Wt, B, relu, O);
  }

  conv2dBackpropInput(dy: Storage, filter: Storage, dx: Storage, g: Conv2dGeometry): void {
    const [DY, Wt, DX] = this.convViews('conv2dBackpropInput', [[dy, convOutputSize(g), 'dy'], [filter, convFilterSize(g), 'filter'], [dx, convInputSize(g), 'dx']]);
    jsConv.conv2dBackpropInput(g, DY, Wt, DX.subarray(0, convInputSize(g)));
  }

  conv2dBackpropFilter(x: Storage, dy: Storage, dFilter: Storage, g: Conv2dGeometry): void {
    const [X, DY, DW] = this.convViews('conv2dBackpropFilter', [[x, convInputSize(g), 'x'], [dy, convOutputSize(g), 'dy'], [dFilter, convFilterSize(g), 'dFilter']]);
    jsConv.conv2dBackpropFilter(g, X, DY, DW.subarray(0, convFilterSize(g)));
  }

  maxPool2d(x: Storage, out: Storage, g: Pool2dGeometry): void {
    const [X, O] = this.convViews('maxPool2d', [[x, poolInputSize(g), 'x'], [out, poolOutputSize(g), 'out']]);
    jsConv.maxPool2d(g, X, O);
  }

  maxPool2dGrad(x: Storage, dy: Storage, dx: Storage, g: Pool2dGeometry): void {
    const [X, DY, DX] = this.convViews('maxPool2dGrad', [[x, poolInputSize(g), 'x'], [dy, poolOutputSize(g), 'dy'], [dx, poolInputSize(g), 'dx']]);
    jsConv.maxPool2dGrad(g, X, DY, DX.subarray(0, poolInputSize(g)));
  }

  avgPool2d(x: Storage, out: Storage, g: Pool2dGeometry): void {
    const [X, O] = this.convViews('avgPool2d', [[x, poolInputSize(g), 'x'], [out, poolOutputSize(g), 'out']]);
    jsConv.avgPool2d(g, X, O);
  }

  avgPool2dGrad(dy: Storage, dx: Storage, g: Pool2dGeometry): void {
    const [DY, DX] = this.convViews('avgPool2dGrad', [[dy, poolOutputSize(g), 'dy'], [dx, poolInputSize(g), 'dx']]);
    jsConv.avgPool2dGrad(g, DY, DX.subarray(0, poolInputSize(g)));
  }

  // ---- recurrent layers (ts/backend/js/rnn.ts) ----------------------------------------

  rnnWorkspaceSize(cfg: RnnConfig): { forward: number; backward: number } {
    return jsRnn.rnnWorkspaceSize(cfg);
  }

  rnnForward(cfg: RnnConfig, a: RnnForwardArgs): void {
    jsRnn.rnnForward(cfg, a);
  }

  rnnBackward(cfg: RnnConfig, a: RnnBackwardArgs): void {
    jsRnn.rnnBackward(cfg, a);
  }

  // ---- CTC and audio (ts/backend/js/ctc.ts, audio.ts) --------------------------------

  ctcLoss(
    logits: Storage, labels: Storage, inputLengths: Storage, labelLengths: Storage, loss: Storage, grad: Storage,
    batch: number, time: number, classes: number, maxLabel: number, blank: number, zeroInfinity: boolean,
  ): number {
    return jsCtc.ctcLoss(logits, labels, inputLengths, labelLengths, loss, grad, batch, time, classes, maxLabel, blank, zeroInfinity);
  }

  hannWindow(out: Storage, n: number, periodic: boolean): void {
    jsAudio.hannWindow(out, n, periodic);
  }

  rfft(x: Storage, out: Storage, rows: number, n: number): void {
    jsAudio.rfft(x, out, rows, n);
  }

  spectrogram(signal: Storage, window: Storage | null, out: Storage, g: SpectrogramGeometry): void {
    jsAudio.spectrogram(signal, window, out, g);
  }

  melWeightMatrix(out: Storage, numSpectrogramBins: number, numMelBins: number, sampleRate: number, lowerHz: number, upperHz: number): void {
    jsAudio.melWeightMatrix(out, numSpectrogramBins, numMelBins, sampleRate, lowerHz, upperHz);
  }

  dct(x: Storage, out: Storage, rows: number, n: number, k: number): void {
    jsAudio.dct(x, out, rows, n, k);
  }

  resample(x: Storage, n: number, out: Storage, inRate: number, outRate: number): void {
    jsAudio.resample(x, n, out, inRate, outRate);
  }

  // ---- fused attention and layer normalization (attention.ts, layer-norm.ts) --------------

  attentionForward(cfg: AttentionConfig, a: AttentionForwardArgs): void {
    jsAttention.attentionForward(cfg, a);
  }

  attentionBackward(cfg: AttentionConfig, a: AttentionBackwardArgs): void {
    jsAttention.attentionBackward(cfg, a);
  }

  layerNorm(x: Storage, gamma: Storage | null, beta: Storage | null, out: Storage, mean: Storage, rstd: Storage, rows: number, cols: number, epsilon: number, rms: boolean): void {
    jsLayerNorm.layerNorm(x, gamma, beta, out, mean, rstd, rows, cols, epsilon, rms);
  }

  layerNormGrad(x: Storage, gamma: Storage | null, dy: Storage, mean: Storage, rstd: Storage, dx: Storage | null, dgamma: Storage | null, dbeta: Storage | null, rows: number, cols: number, rms: boolean): void {
    jsLayerNorm.layerNormGrad(x, gamma, dy, mean, rstd, dx, dgamma, dbeta, rows, cols, rms);
  }

  // ---- 3-D and depthwise convolution, 3-D pooling, resampling (ts/backend/js/spatial.ts)

  conv3d(x: Storage, filter: Storage, bias: Storage | null, out: Storage, g: Conv3dGeometry, relu: boolean): void {
    jsSpatial.conv3d(x, filter, bias, out, g, relu);
  }
  conv3dBackpropInput(dy: Storage, filter: Storage, dx: Storage, g: Conv3dGeometry): void {
    jsSpatial.conv3dBackpropInput(dy, filter, dx, g);
  }
  conv3dBackpropFilter(x: Storage, dy: Storage, dFilter: Storage, g: Conv3dGeometry): void {
    jsSpatial.conv3dBackpropFilter(x, dy, dFilter, g);
  }
  depthwiseConv2d(x: Storage, filter: Storage, bias: Storage | null, out: Storage, g: DepthwiseGeometry, relu: boolean): void {
    jsSpatial.depthwiseConv2d(x, filter, bias, out, g, relu);
  }
  depthwiseConv2dBackpropInput(dy: Storage, filter: Storage, dx: Storage, g: DepthwiseGeometry): void {
    jsSpatial.depthwiseConv2dBackpropInput(dy, filter, dx, g);
  }
  depthwiseConv2dBackpropFilter(x: Storage, dy: Storage, dFilter: Storage, g: DepthwiseGeometry): void {
    jsSpatial.depthwiseConv2dBackpropFilter(x, dy, dFilter, g);
  }
  maxPool3d(x: Storage, out: Storage, g: Pool3dGeometry): void {
    jsSpatial.maxPool3d(x, out, g);
  }
  maxPool3dGrad(x: Storage, dy: Storage, dx: Storage, g: Pool3dGeometry): void {
    jsSpatial.maxPool3dGrad(x, dy, dx, g);
  }
  avgPool3d(x: Storage, out: Storage, g: Pool3dGeometry): void {
    jsSpatial.avgPool3d(x, out, g);
  }
  avgPool3dGrad(dy: Storage, dx: Storage, g: Pool3dGeometry): void {
    jsSpatial.avgPool3dGrad(dy, dx, g);
  }
  resizeBilinear(x: Storage, out: Storage, g: ResizeGeometry): void {
    jsSpatial.resizeBilinear(x, out, g);
  }
  resizeBilinearGrad(dy: Storage, dx: Storage, g: ResizeGeometry): void {
    jsSpatial.resizeBilinearGrad(dy, dx, g);
  }
  resizeNearest(x: Storage, out: Storage, g: ResizeGeometry): void {
    jsSpatial.resizeNearest(x, out, g);
  }
  resizeNearestGrad(dy: Storage, dx: Storage, g: ResizeGeometry): void {
    jsSpatial.resizeNearestGrad(dy, dx, g);
  }
  cropAndResize(image: Storage, boxes: Storage, boxInd: Storage, out: Storage, g: CropGeometry, extrapolation: number): number {
    return jsSpatial.cropAndResize(image, boxes, boxInd, out, g, extrapolation);
  }
  cropAndResizeGradImage(dy: Storage, boxes: Storage, boxInd: Storage, dImage: Storage, g: CropGeometry): number {
    return jsSpatial.cropAndResizeGradImage(dy, boxes, boxInd, dImage, g);
  }
}

export function createJsBackend(): JsBackend {
  return new JsBackend();
}
