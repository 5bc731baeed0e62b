/** Reductions along axes (sum, mean, max, min, prod, argMax, argMin, logSumExp). */
import type { ArgReduceOp, ReduceOp } from '../backend/backend';
import { record } from '../autograd';
import { ENGINE } from '../engine';
import { emptyTensor, sizeOf, Tensor } from '../tensor';
import { toTensor, TensorOrNumber } from './convert';
import { binaryRaw } from './binary';
import { castTo, stridedCopy } from './shape';
import { fmt, normalizeAxes, normalizeAxis, stridesOf } from './util';

/** Reduces over `axes` (sorted); runs of adjacent axes go to the kernel in one call. */
function reduceRaw(op: ReduceOp, x: Tensor, axes: number[]): Tensor {
  const fx = x.dtype === 'float32' ? x : castTo(x, 'float32');
  let cur = fx;
  let shape = [...x.shape];
  // Group adjacent axes, reduce from the last group so earlier indices stay valid.
  const groups: [number, number][] = [];
  for (const a of axes) {
    const g = groups[groups.length - 1];
    if (g && g[1] === a - 1) g[1] = a;
    else groups.push([a, a]);
  }
  for (let gi = groups.length - 1; gi >= 0; gi--) {
    const [lo, hi] = groups[gi];
    const outer = sizeOf(shape.slice(0, lo));
    const axisLen = sizeOf(shape.slice(lo, hi + 1));
    const inner = sizeOf(shape.slice(hi + 1));
    const outShape = [...shape.slice(0, lo), ...shape.slice(hi + 1)];
    const out = emptyTensor(outShape);
    if (out.size) {
      if (axisLen === 0 && op !== 'sum' && op !== 'prod') {
        throw new Error(`${op}: cannot reduce an empty axis (shape ${fmt(x.shape)})`);
      }
      ENGINE.get().reduce(op, cur.storage, out.storage, outer, axisLen, inner);
    }
    if (cur !== x) cur.dispose();
    cur = out;
    shape = outShape;
  }
  return cur === x ? castTo(x, 'float32') : cur;
}

/** The shape with reduced axes kept as 1. */
function keptShape(shape: readonly number[], axes: number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** Repeats a reduced tensor (keep-dims shape) back over the full shape. */
export function broadcastKept(x: Tensor, keptDims: number[], shape: readonly number[]): Tensor {
  const out = emptyTensor(shape, x.dtype);
  const ks = stridesOf(keptDims);
  const src = keptDims.map((d, i) => (d === 1 && shape[i] !== 1 ? 0 : ks[i]));
  stridedCopy(x, 0, src, out, 0, stridesOf(shape), [...shape]);
  return out;
}

type AxisArg = number | number[] | null | undefined;

function defineReduce(op: ReduceOp, name: string, grad: (dy: Tensor, x: Tensor, y: Tensor, axes: number[]) => Tensor) {
  return (input: TensorOrNumber, axis?: AxisArg, keepDims = false): Tensor => {
    const x = toTensor(name, input);
    const axes = normalizeAxes(name, axis, x.rank);
    let out = reduceRaw(op, x, axes);
    // Integer in, integer out (as TensorFlow.js): int32 stays int32; bool sums and
    // products count in int32, its max and min stay bool.
    const outDtype = x.dtype === 'bool' && (op === 'max' || op === 'min') ? 'bool' : x.dtype === 'float32' ? 'float32' : 'int32';
    if (outDtype !== 'float32') {
      const i = castTo(out, outDtype);
      out.dispose();
      out = i;
    }
    const kept = keptShape(x.shape, axes);
    if (keepDims) {
      const k = emptyTensor(kept, out.dtype);
      if (k.size) stridedCopy(out, 0, [1], k, 0, [1], [out.size]);
      out.dispose();
      out = k;
    }
    return record(out, name, [x], (dy) => {
      const dyFull = broadcastKept(dy, kept, x.shape);
      const yFull = broadcastKept(out, kept, x.shape);
      const g = grad(dyFull, x, yFull, axes);
      if (g !== dyFull) dyFull.dispose();
      yFull.dispose();
      return [g];
    });
  };
}

export const sum = defineReduce('sum', 'sum', (dy) => dy);

/**
 * d prod / dx_i is the product of the other elements: y / x_i where x_i ≠ 0; where x_i = 0 it
 * is the product of the non-zero elements if x_i is the only zero, else 0.
 */
export const prod = defineReduce('prod', 'prod', (dy, x, y, axes) => {
  const zero = toTensor('prod', 0);
  const one = toTensor('prod', 1);
  const isZero = binaryRaw('prod', 'equal', x, zero);
  const safeX = binaryRaw('prod', 'add', x, isZero); // zeros become ones
  const kept = keptShape(x.shape, axes);
  const pRaw = reduceRaw('prod', safeX, axes);
  const nonZeroProd = broadcastKept(pRaw, kept, x.shape);
  const zRaw = reduceRaw('sum', isZero, axes);
  const zeroCount = broadcastKept(zRaw, kept, x.shape);
  const onlyZero = binaryRaw('prod', 'equal', zeroCount, one);
  const atZero = binaryRaw('prod', 'mul', nonZeroProd, onlyZero);
  const gZero = binaryRaw('prod', 'mul', dy, atZero);
  const ratio = binaryRaw('prod', 'div', y, safeX);
  const gOther = binaryRaw('prod', 'mul', dy, ratio);
  const g = emptyTensor(x.shape);
  ENGINE.get().where(isZero.storage, gZero.storage, gOther.storage, g.storage, g.size);
  for (const t of [zero, one, isZero, safeX, pRaw, nonZeroProd, zRaw, zeroCount, onlyZero, atZero, gZero, ratio, gOther]) t.dispose();
  return g;
});

/** Max/min send the gradient to every element equal to the result (as TensorFlow.js). */
function extremumGrad(dy: Tensor, x: Tensor, y: Tensor): Tensor {
  const mask = binaryRaw('max', 'equal', x, y);
  const g = binaryRaw('max', 'mul', dy, mask);
  mask.dispose();
  return g;
}
export const max = defineReduce('max', 'max', extremumGrad);
export const min = defineReduce('min', 'min', extremumGrad);

/** The mean over axes; float32 whatever the input dtype (as TensorFlow.js). */
export function mean(input: TensorOrNumber, axis?: AxisArg, keepDims = false): Tensor {
  const x = toTensor('mean', input);
  const axes = normalizeAxes('mean', axis, x.rank);
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  const fx = x.dtype === 'float32' ? x : castTo(x, 'float32');
  const s = sum(fx, axes, keepDims);
  if (fx !== x) fx.dispose();
  const out = emptyTensor(s.shape);
  if (out.size) ENGINE.get().affine(s.storage, out.storage, s.size, 1 / count, 0);
  const kept = keptShape(x.shape, axes);
  const result = record(out, 'mean', [x], (dy) => {
    const full = broadcastKept(dy, kept, x.shape);
    const g = emptyTensor(x.shape);
    ENGINE.get().affine(full.storage, g.storage, g.size, 1 / count, 0);
    full.dispose();
    return [g];
  });
  s.dispose();
  return result;
}

function defineArg(op: ArgReduceOp) {
  return (input: TensorOrNumber, axis = 0): Tensor => {
    const x = toTensor(op, input);
    const a = normalizeAxis(op, axis, x.rank);
    const fx = x.dtype === 'float32' ? x : castTo(x, 'float32');
    const out = emptyTensor(x.shape.filter((_, i) => i !== a), 'int32');
    if (x.shape[a] === 0) throw new Error(`${op}: axis ${a} of ${fmt(x.shape)} is empty`);
    if (out.size) {
      ENGINE.get().argReduce(op, fx.storage, out.storage, sizeOf(x.shape.slice(0, a)), x.shape[a], sizeOf(x.shape.slice(a + 1)));
    }
    if (fx !== x) fx.dispose();
    return out;
  };
}
export const argMax = defineArg('argMax');
export const argMin = defineArg('argMin');

/** log Σ exp(x) over axes, stable (max-subtracted). */
export function logSumExp(input: TensorOrNumber, axis?: AxisArg, keepDims = false): Tensor {
  const x = toTensor('logSumExp', input);
  const axes = normalizeAxes('logSumExp', axis, x.rank);
  const kept = keptShape(x.shape, axes);
  const m = reduceRaw('max', x, axes);
  const mFull = broadcastKept(m, kept, x.shape);
  const shifted = binaryRaw('logSumExp', 'sub', x, mFull);
  const e = emptyTensor(x.shape);
  const b = ENGINE.get();
  if (e.size) b.unary('exp', shifted.storage, e.storage, e.size, 0);
  const s = reduceRaw('sum', e, axes);
  const l = emptyTensor(s.shape);
  if (l.size) b.unary('log', s.storage, l.storage, l.size, 0);
  const outFlat = binaryRaw('logSumExp', 'add', l, m);
  for (const t of [mFull, shifted, e, s, l, m]) t.dispose();
  const out = keepDims ? emptyTensor(kept) : emptyTensor(outFlat.shape);
  if (out.size) stridedCopy(outFlat, 0, [1], out, 0, [1], [out.size]);
  outFlat.dispose();
  return record(out, 'logSumExp', [x], (dy) => {
    // d/dx = softmax(x) along the axes · dy
    const yFull = broadcastKept(out, kept, x.shape);
    const d = binaryRaw('logSumExp', 'sub', x, yFull);
    const p = emptyTensor(x.shape);
    ENGINE.get().unary('exp', d.storage, p.storage, p.size, 0);
    const dyFull = broadcastKept(dy, kept, x.shape);
    const g = binaryRaw('logSumExp', 'mul', p, dyFull);
    for (const t of [yFull, d, p, dyFull]) t.dispose();
    return [g];
  });
}
