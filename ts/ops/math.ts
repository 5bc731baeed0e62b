/**
 * Element-wise math beyond the basic arithmetic, with TensorFlow.js names and gradients:
 * trigonometric and hyperbolic functions, erf, expm1, logSigmoid, atan2, mod, floorDiv,
 * divNoNan, addN, and the tests isNaN / isInf / isFinite (bool).
 *
 * Gradient closures run with recording off inside the backward pass's own scope, so they
 * use the public ops freely: their temporaries are freed when the pass ends.
 */
import type { BinaryOp, UnaryOp } from '../backend/backend';
import { record } from '../autograd';
import { ENGINE } from '../engine';
import { emptyTensor, Tensor } from '../tensor';
import { add, binaryRaw, div, equal, mul, sub, sumToShape } from './binary';
import { composite } from './composite';
import { toTensor, type TensorInput } from './convert';
import { scalar } from './creation';
import { where } from './misc';
import { castTo, stridedCopy } from './shape';
import { exp, floor, neg, sigmoid, sqrt, square, unaryRaw } from './unary';
import { broadcastShapes, broadcastStrides, fmt, shapesEqual, stridesOf } from './util';

type Grad = (dy: Tensor, x: Tensor, y: Tensor) => Tensor;

/** A float32 unary op on a kernel, with its gradient (any input dtype is read as float). */
function defineMath(op: UnaryOp, grad: Grad) {
  return (input: TensorInput): Tensor => {
    const x = toTensor(op, input);
    const y = unaryRaw(op, x);
    record(y, op, [x], (dy) => [grad(dy, x, y)]);
    if (x !== input && !y.gradFn) x.dispose();
    return y;
  };
}

const raw = (op: UnaryOp, x: Tensor) => unaryRaw(op, x);
const oneMinus = (t: Tensor) => sub(1, t);

export const sin = defineMath('sin', (dy, x) => mul(dy, raw('cos', x)));
export const cos = defineMath('cos', (dy, x) => neg(mul(dy, raw('sin', x))));
export const tan = defineMath('tan', (dy, x) => div(dy, square(raw('cos', x))));
export const asin = defineMath('asin', (dy, x) => div(dy, sqrt(oneMinus(square(x)))));
export const acos = defineMath('acos', (dy, x) => neg(div(dy, sqrt(oneMinus(square(x))))));
export const atan = defineMath('atan', (dy, x) => div(dy, add(square(x), 1)));
export const sinh = defineMath('sinh', (dy, x) => mul(dy, raw('cosh', x)));
export const cosh = defineMath('cosh', (dy, x) => mul(dy, raw('sinh', x)));
export const asinh = defineMath('asinh', (dy, x) => div(dy, sqrt(add(square(x), 1))));
export const acosh = defineMath('acosh', (dy, x) => div(dy, sqrt(sub(square(x), 1))));
export const atanh = defineMath('atanh', (dy, x) => div(dy, oneMinus(square(x))));
export const expm1 = defineMath('expm1', (dy, x) => mul(dy, exp(x)));
export const erf = defineMath('erf', (dy, x) => mul(dy, mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI))));

/** log(sigmoid(x)) = −softplus(−x), stable in both tails; gradient dy·sigmoid(−x). */
export function logSigmoid(input: TensorInput): Tensor {
  const x = toTensor('logSigmoid', input);
  const nx = unaryRaw('neg', x);
  const sp = unaryRaw('softplus', nx);
  const y = unaryRaw('neg', sp);
  nx.dispose();
  sp.dispose();
  record(y, 'logSigmoid', [x], (dy) => [mul(dy, sigmoid(neg(x)))]);
  if (x !== input && !y.gradFn) x.dispose();
  return y;
}

type BinaryGrad = (dy: Tensor, a: Tensor, b: Tensor) => [Tensor | null, Tensor | null];

/**
 * A binary op on a float kernel, broadcasting, with its gradient; int32 ⊕ int32 runs
 * `intOp` exactly (integer tensors are small side data: plain JavaScript).
 */
function defineMathBinary(name: string, op: BinaryOp, grad: BinaryGrad, intOp?: (a: number, b: number) => number) {
  return (x: TensorInput, y: TensorInput): Tensor => {
    const intLike = (v: TensorInput, other: TensorInput) =>
      typeof v === 'number' && Number.isInteger(v) && other instanceof Tensor && other.dtype === 'int32' ? 'int32' : undefined;
    const a = toTensor(name, x, intLike(x, y));
    const b = toTensor(name, y, intLike(y, a));
    const out = intOp && a.dtype === 'int32' && b.dtype === 'int32' ? intBinary(name, a, b, intOp) : binaryRaw(name, op, a, b);
    if (out.dtype === 'float32') {
      record(out, name, [a, b], (dy) => {
        const [da, db] = grad(dy, a, b);
        return [
          da && a.requiresGrad ? sumToShape(da, a.shape) : null,
          db && b.requiresGrad ? sumToShape(db, b.shape) : null,
        ];
      });
    }
    if (!out.gradFn) {
      if (a !== x) a.dispose();
      if (b !== y) b.dispose();
    }
    return out;
  };
}

function intBinary(name: string, a: Tensor, b: Tensor, f: (p: number, q: number) => number): Tensor {
  const shape = broadcastShapes(name, a.shape, b.shape);
  const read = (t: Tensor) => {
    const full = emptyTensor(shape, 'int32');
    stridedCopy(t, 0, broadcastStrides(t.shape, shape), full, 0, stridesOf(shape), shape);
    const d = ENGINE.get().readI32(full.storage);
    full.dispose();
    return d;
  };
  const p = read(a), q = read(b);
  const r = new Int32Array(p.length);
  for (let i = 0; i < r.length; i++) r[i] = f(p[i], q[i]);
  const out = emptyTensor(shape, 'int32');
  if (out.size) ENGINE.get().write(out.storage, r);
  return out;
}

/** atan2(a, b), the angle of the point (b, a); gradient (b, −a)·dy/(a² + b²). */
export const atan2 = defineMathBinary('atan2', 'atan2', (dy, a, b) => {
  const r = add(square(a), square(b));
  return [div(mul(dy, b), r), neg(div(mul(dy, a), r))];
});

/**
 * a mod b with the sign of b (floored modulo), as tf.mod; exact for int32 tensors (x mod 0
 * is 0 there, as TensorFlow.js' cpu backend). Gradient as TensorFlow.js: dy for a,
 * −floor(a/b)·dy for b.
 */
export const mod = defineMathBinary('mod', 'mod', (dy, a, b) => [dy, neg(mul(dy, floor(div(a, b))))], (p, q) => {
  if (q === 0) return 0;
  const r = p % q;
  return r !== 0 && (r < 0) !== (q < 0) ? r + q : r;
});

const floorDivAny = defineMathBinary('floorDiv', 'floorDiv', () => [null, null], (p, q) => (q === 0 ? 0 : Math.floor(p / q)));
/** floor(a / b) as int32, as tf.floorDiv (whatever the input dtype); no gradient. */
export function floorDiv(a: TensorInput, b: TensorInput): Tensor {
  const q = floorDivAny(a, b);
  if (q.dtype === 'int32') return q;
  const r = castTo(q, 'int32');
  q.dispose();
  return r;
}

/** a / b, and 0 where b is 0 (as tf.divNoNan); the gradient is 0 there too. */
export function divNoNan(a: TensorInput, b: TensorInput): Tensor {
  return composite(() => {
    const bt = toTensor('divNoNan', b);
    const zero = equal(bt, 0);
    // Divide by 1 where b = 0, so neither the value nor the gradient sees 0/0.
    const safe = where(zero, scalar(1, bt.dtype === 'float32' ? 'float32' : bt.dtype), bt);
    const q = div(toTensor('divNoNan', a), safe);
    return where(zero, scalar(0, q.dtype), q);
  });
}

/** Σ of same-shaped tensors, as tf.addN. */
export function addN(tensors: TensorInput[]): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error('addN: expected a non-empty array of tensors');
  return composite(() => {
    const ts = tensors.map((t) => toTensor('addN', t));
    for (const t of ts) {
      if (!shapesEqual(t.shape, ts[0].shape)) {
        throw new Error(`addN: all tensors must have the same shape, got ${fmt(ts[0].shape)} and ${fmt(t.shape)}`);
      }
    }
    let acc = ts.length === 1 ? add(ts[0], 0) : ts[0];
    for (let i = 1; i < ts.length; i++) acc = add(acc, ts[i]);
    return acc;
  });
}

/** Element-wise tests: bool results, no gradient. */
function boolTest(name: string, f: (x: Tensor) => Tensor) {
  return (input: TensorInput): Tensor => {
    const x = toTensor(name, input);
    const fx = x.dtype === 'float32' ? x : castTo(x, 'float32');
    const m = f(fx);
    const out = emptyTensor(m.shape, 'bool');
    if (m.size) ENGINE.get().castF32ToI32(m.storage, out.storage, m.size);
    m.dispose();
    if (fx !== x) fx.dispose();
    if (x !== input) x.dispose();
    return out;
  };
}

function againstInfinity(op: BinaryOp, x: Tensor): Tensor {
  const a = unaryRaw('abs', x);
  const inf = scalar(Infinity);
  const r = binaryRaw(op, op, a, inf);
  a.dispose();
  inf.dispose();
  return r;
}

/** x is NaN (bool). */
export const isNaN = boolTest('isNaN', (x) => binaryRaw('isNaN', 'notEqual', x, x));
/** |x| is infinite (bool). */
export const isInf = boolTest('isInf', (x) => againstInfinity('equal', x));
/** x is neither infinite nor NaN (bool). */
export const isFinite = boolTest('isFinite', (x) => againstInfinity('less', x));
