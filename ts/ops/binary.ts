/** Element-wise binary ops with NumPy broadcasting, and their gradients. */
import type { BinaryOp } from '../backend/backend';
import { record } from '../autograd';
import { ENGINE } from '../engine';
import { DType, emptyTensor, Tensor } from '../tensor';
import { toTensor, TensorOrNumber } from './convert';
import { broadcastShapes, broadcastStrides, collapseAxes, shapesEqual, stridesOf } from './util';
import { castTo, reshape, stridedCopy } from './shape';
import { sum } from './reduction';
import { neg, unaryRaw } from './unary';

/** Runs the kernel into a fresh float32 tensor of the broadcast shape (no gradient). */
export function binaryRaw(opName: string, op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const outShape = broadcastShapes(opName, a.shape, b.shape);
  const out = emptyTensor(outShape, 'float32');
  if (out.size === 0) return out;
  const { shape, strides } = collapseAxes(outShape, broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape));
  const fa = a.dtype === 'float32' ? a : castTo(a, 'float32');
  const fb = b.dtype === 'float32' ? b : castTo(b, 'float32');
  ENGINE.get().binary(op, fa.storage, strides[0], fb.storage, strides[1], out.storage, shape);
  if (fa !== a) fa.dispose();
  if (fb !== b) fb.dispose();
  return out;
}

/** Sums a broadcast gradient back to the shape of the input it flows to. */
export function sumToShape(dy: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(dy.shape, shape)) return dy;
  const lead = dy.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < dy.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && dy.shape[i] !== 1)) axes.push(i);
  }
  const s = sum(dy, axes, false);
  const r = reshape(s, shape);
  if (r !== s) s.dispose();
  return r;
}

/** Both operands broadcast to `shape`, as int32 arrays. */
function int32Operands(a: Tensor, b: Tensor, shape: number[]): [Int32Array, Int32Array] {
  const read = (t: Tensor) => {
    const full = emptyTensor(shape, 'int32');
    stridedCopy(t, 0, broadcastStrides(t.shape, shape), full, 0, stridesOf(shape), shape);
    const data = ENGINE.get().readI32(full.storage);
    full.dispose();
    return data;
  };
  return [read(a), read(b)];
}

const INT32_OPS: Partial<Record<BinaryOp, (x: number, y: number) => number>> = {
  add: (x, y) => (x + y) | 0,
  sub: (x, y) => (x - y) | 0,
  mul: (x, y) => Math.imul(x, y),
  div: (x, y) => Math.floor(x / y) | 0, // floor division, as tf.div on int32
  pow: (x, y) => Math.pow(x, y) | 0,
  maximum: (x, y) => Math.max(x, y),
  minimum: (x, y) => Math.min(x, y),
  squaredDifference: (x, y) => Math.imul(x - y, x - y),
};

/**
 * int32 arithmetic (int32 and bool operands), exact beyond 2^24 (float32 would round);
 * comparisons give bool. Integer tensors are small side data (ids, counts), so this runs
 * in plain JavaScript.
 */
function int32Binary(opName: string, op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(opName, a.shape, b.shape);
  const [x, y] = int32Operands(a, b, shape);
  const f = INT32_OPS[op];
  if (f) {
    const r = new Int32Array(x.length);
    for (let i = 0; i < r.length; i++) r[i] = f(x[i], y[i]);
    const out = emptyTensor(shape, 'int32');
    ENGINE.get().write(out.storage, r);
    return out;
  }
  const cmp: Record<string, (p: number, q: number) => boolean> = {
    equal: (p, q) => p === q, notEqual: (p, q) => p !== q, greater: (p, q) => p > q,
    greaterEqual: (p, q) => p >= q, less: (p, q) => p < q, lessEqual: (p, q) => p <= q,
  };
  const c = cmp[op];
  if (!c) throw new Error(`${opName}: not defined on int32 operands`);
  const r = new Int32Array(x.length);
  for (let i = 0; i < r.length; i++) r[i] = c(x[i], y[i]) ? 1 : 0;
  const out = emptyTensor(shape, 'bool');
  ENGINE.get().write(out.storage, r);
  return out;
}

const COMPARISONS = new Set<BinaryOp>(['equal', 'notEqual', 'greater', 'greaterEqual', 'less', 'lessEqual']);

/** 0/1 float32 → bool (the comparison kernels write floats). */
function floatMaskToBool(m: Tensor): Tensor {
  const out = emptyTensor(m.shape, 'bool');
  if (m.size) ENGINE.get().castF32ToI32(m.storage, out.storage, m.size);
  m.dispose();
  return out;
}

/**
 * A number operand's dtype: int32 beside an int32 tensor when it is an integer (exact
 * integer arithmetic), else float32 (as TensorFlow.js does with a bool tensor).
 */
function numberDtype(n: TensorOrNumber, other: TensorOrNumber): DType | undefined {
  if (typeof n !== 'number' || !(other instanceof Tensor)) return undefined;
  return other.dtype === 'int32' && Number.isInteger(n) ? 'int32' : 'float32';
}

type GradFn = (dy: Tensor, a: Tensor, b: Tensor, out: Tensor) => [Tensor | null, Tensor | null];

function defineBinary(name: string, op: BinaryOp, grad: GradFn | null) {
  return (x: TensorOrNumber, y: TensorOrNumber): Tensor => {
    const a = toTensor(name, x, numberDtype(x, y));
    const b = toTensor(name, y, numberDtype(y, a));
    // Integer operands (int32, bool) are computed exactly in int32 (as TensorFlow.js); the
    // rest in float32. Comparisons give bool.
    const out = a.dtype !== 'float32' && b.dtype !== 'float32'
      ? int32Binary(name, op, a, b)
      : COMPARISONS.has(op) ? floatMaskToBool(binaryRaw(name, op, a, b)) : binaryRaw(name, op, a, b);
    const ownA = a !== x, ownB = b !== y;
    if (grad) {
      record(out, name, [a, b], (dy) => {
        const [da, db] = grad(dy, a, b, out);
        return [
          da && a.requiresGrad ? sumToShape(da, a.shape) : null,
          db && b.requiresGrad ? sumToShape(db, b.shape) : null,
        ];
      });
    }
    // Scalars made from numbers are not reachable by the caller: free them unless a
    // gradient node still needs them.
    if (!out.gradFn) {
      if (ownA) a.dispose();
      if (ownB) b.dispose();
    }
    return out;
  };
}

const raw = (op: BinaryOp) => (a: Tensor, b: Tensor) => binaryRaw(op, op, a, b);
const mulRaw = raw('mul');
const divRaw = raw('div');

export const add = defineBinary('add', 'add', (dy) => [dy, dy]);
export const sub = defineBinary('sub', 'sub', (dy) => [dy, neg(dy)]);
export const mul = defineBinary('mul', 'mul', (dy, a, b) => [mulRaw(dy, b), mulRaw(dy, a)]);
export const div = defineBinary('div', 'div', (dy, a, b) => {
  const da = divRaw(dy, b);
  // d/db (a/b) = −a/b² · dy = −da · a / b
  const t = mulRaw(da, a);
  const db = divRaw(t, b);
  t.dispose();
  return [da, neg(db)];
});
export const pow = defineBinary('pow', 'pow', (dy, a, b, out) => {
  // da = dy · b · a^(b−1)
  const one = toTensor('pow', 1);
  const bm1 = binaryRaw('pow', 'sub', b, one);
  const p = binaryRaw('pow', 'pow', a, bm1);
  const bp = mulRaw(b, p);
  const da = mulRaw(dy, bp);
  // db = dy · out · log(a), taken as 0 where a ≤ 0 (log undefined there)
  const zero = toTensor('pow', 0);
  const pos = binaryRaw('pow', 'greater', a, zero);
  const la = unaryRaw('log', a);
  const zeros = emptyTensor(a.shape);
  const safeLog = emptyTensor(a.shape);
  ENGINE.get().where(pos.storage, la.storage, zeros.storage, safeLog.storage, a.size);
  const t = mulRaw(out, safeLog);
  const db = mulRaw(dy, t);
  for (const x of [one, bm1, p, bp, zero, pos, la, zeros, safeLog, t]) x.dispose();
  return [da, db];
});
export const maximum = defineBinary('maximum', 'maximum', (dy, a, b) => {
  const m = binaryRaw('maximum', 'greaterEqual', a, b);
  const da = mulRaw(dy, m);
  const db = binaryRaw('maximum', 'sub', dy, da);
  m.dispose();
  return [da, db];
});
export const minimum = defineBinary('minimum', 'minimum', (dy, a, b) => {
  const m = binaryRaw('minimum', 'lessEqual', a, b);
  const da = mulRaw(dy, m);
  const db = binaryRaw('minimum', 'sub', dy, da);
  m.dispose();
  return [da, db];
});
export const squaredDifference = defineBinary('squaredDifference', 'squaredDifference', (dy, a, b) => {
  const d = binaryRaw('squaredDifference', 'sub', a, b);
  const t = mulRaw(dy, d);
  const da = binaryRaw('squaredDifference', 'add', t, t);
  d.dispose();
  t.dispose();
  return [da, neg(da)];
});

export const equal = defineBinary('equal', 'equal', null);
export const notEqual = defineBinary('notEqual', 'notEqual', null);
export const greater = defineBinary('greater', 'greater', null);
export const greaterEqual = defineBinary('greaterEqual', 'greaterEqual', null);
export const less = defineBinary('less', 'less', null);
export const lessEqual = defineBinary('lessEqual', 'lessEqual', null);

