/**
 * Logical ops on bool tensors, as TensorFlow.js: logicalAnd/Or/Xor/Not (broadcasting) and
 * the reductions all/any. Like TensorFlow.js they take bool tensors only (booleans and
 * boolean arrays are made bool tensors).
 */
import type { BinaryOp, ReduceOp } from '../backend/backend';
import { ENGINE } from '../engine';
import { emptyTensor, sizeOf, Tensor } from '../tensor';
import { binaryRaw } from './binary';
import { toTensor, type TensorInput } from './convert';
import { castTo, stridedCopy } from './shape';
import { fmt, normalizeAxes, stridesOf } from './util';

function boolInput(op: string, arg: string, x: TensorInput): Tensor {
  const t = toTensor(op, x);
  if (t.dtype !== 'bool') {
    if (t !== x) t.dispose();
    throw new Error(`${op}: argument '${arg}' must be a bool tensor, got a ${t.dtype} tensor ${fmt(t.shape)} (use fe.cast(x, 'bool'))`);
  }
  return t;
}

/** 0/1 floats → bool. */
function toBool(m: Tensor): Tensor {
  const out = emptyTensor(m.shape, 'bool');
  if (m.size) ENGINE.get().castF32ToI32(m.storage, out.storage, m.size);
  m.dispose();
  return out;
}

function defineLogical(op: string, kernel: BinaryOp) {
  return (a: TensorInput, b: TensorInput): Tensor => {
    const x = boolInput(op, 'a', a);
    let y: Tensor;
    try {
      y = boolInput(op, 'b', b);
    } catch (e) {
      if (x !== a) x.dispose();
      throw e;
    }
    const fx = castTo(x, 'float32'), fy = castTo(y, 'float32');
    try {
      return toBool(binaryRaw(op, kernel, fx, fy));
    } finally {
      fx.dispose();
      fy.dispose();
      if (x !== a) x.dispose();
      if (y !== b) y.dispose();
    }
  };
}

/** a AND b, element-wise with broadcasting (bool). */
export const logicalAnd = defineLogical('logicalAnd', 'mul');
/** a OR b (bool). */
export const logicalOr = defineLogical('logicalOr', 'maximum');
/** a XOR b (bool). */
export const logicalXor = defineLogical('logicalXor', 'notEqual');

/** NOT x (bool). */
export function logicalNot(input: TensorInput): Tensor {
  const x = boolInput('logicalNot', 'x', input);
  const f = castTo(x, 'float32');
  const zero = emptyTensor([]);
  ENGINE.get().fill(zero.storage, 0, 1);
  const out = toBool(binaryRaw('logicalNot', 'equal', f, zero));
  f.dispose();
  zero.dispose();
  if (x !== input) x.dispose();
  return out;
}

function defineAllAny(op: string, reduce: ReduceOp, empty: 0 | 1) {
  return (input: TensorInput, axis?: number | number[] | null, keepDims = false): Tensor => {
    const x = boolInput(op, 'x', input);
    const axes = normalizeAxes(op, axis, x.rank);
    const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    const out = emptyTensor(outShape, 'bool');
    const reduced = axes.reduce((n, a) => n * x.shape[a], 1);
    const b = ENGINE.get();
    if (out.size && reduced === 0) {
      // all() of nothing is true, any() of nothing false
      b.fill(out.storage, empty, out.size, true);
    } else if (out.size) {
      // Move the reduced axes last, then one kernel call over [rest, reduced].
      const rest = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
      const perm = [...rest, ...axes];
      const f = castTo(x, 'float32');
      const moved = perm.every((p, i) => p === i) ? f : permuteRaw(f, perm);
      const m = emptyTensor([sizeOf(rest.map((i) => x.shape[i]))]);
      b.reduce(reduce, moved.storage, m.storage, m.size, reduced, 1);
      b.castF32ToI32(m.storage, out.storage, m.size);
      for (const t of new Set([f, moved, m])) t.dispose();
    }
    if (x !== input) x.dispose();
    return out;
  };
}

function permuteRaw(x: Tensor, perm: number[]): Tensor {
  const shape = perm.map((p) => x.shape[p]);
  const out = emptyTensor(shape, x.dtype);
  const xs = stridesOf(x.shape);
  stridedCopy(x, 0, perm.map((p) => xs[p]), out, 0, stridesOf(shape), shape);
  return out;
}

/** Whether every element along the axes is true (bool; true over an empty axis). */
export const all = defineAllAny('all', 'min', 1);
/** Whether some element along the axes is true (bool; false over an empty axis). */
export const any = defineAllAny('any', 'max', 0);
