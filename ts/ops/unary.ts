/** Element-wise unary ops and activations, with their gradients. */
import type { UnaryGradOp, UnaryOp } from '../backend/backend';
import { record } from '../autograd';
import { ENGINE } from '../engine';
import { emptyTensor, Tensor, zeroTensor } from '../tensor';
import { toTensor, TensorOrNumber } from './convert';
import { binaryRaw } from './binary';
import { castTo } from './shape';

/** Runs a unary kernel into a fresh float32 tensor (no gradient). */
export function unaryRaw(op: UnaryOp, x: Tensor, alpha = 0): Tensor {
  const fx = x.dtype === 'float32' ? x : castTo(x, 'float32');
  const out = emptyTensor(x.shape);
  if (out.size) ENGINE.get().unary(op, fx.storage, out.storage, x.size, alpha);
  if (fx !== x) fx.dispose();
  return out;
}

/** dy · f'(…) by the fused kernel. */
function gradKernel(op: UnaryGradOp, xy: Tensor, dy: Tensor, alpha = 0): Tensor {
  const dx = emptyTensor(xy.shape);
  if (dx.size) ENGINE.get().unaryGrad(op, xy.storage, dy.storage, dx.storage, xy.size, alpha);
  return dx;
}

const INT_PRESERVING = new Set<UnaryOp>(['neg', 'abs', 'square', 'sign', 'floor', 'ceil', 'round', 'relu', 'relu6', 'step']);

type Grad = (dy: Tensor, x: Tensor, y: Tensor, alpha: number) => Tensor;

function defineUnary(op: UnaryOp, grad: Grad | null, defaultAlpha = 0) {
  return (input: TensorOrNumber, alpha = defaultAlpha): Tensor => {
    const x = toTensor(op, input);
    let y = unaryRaw(op, x, alpha);
    if (x.dtype === 'int32' && INT_PRESERVING.has(op)) {
      // Integer in, integer out (as TensorFlow.js); exact for |x| < 2^24.
      const i = castTo(y, 'int32');
      y.dispose();
      y = i;
    }
    if (grad) record(y, op, [x], (dy) => [grad(dy, x, y, alpha)]);
    else record(y, op, [x], (dy) => [zeroTensor(dy.shape)]); // piecewise constant: zero gradient
    return y;
  };
}

const mul = (a: Tensor, b: Tensor) => binaryRaw('mul', 'mul', a, b);
const div = (a: Tensor, b: Tensor) => binaryRaw('div', 'div', a, b);
function scaled(t: Tensor, s: number): Tensor {
  const out = emptyTensor(t.shape);
  if (out.size) ENGINE.get().affine(t.storage, out.storage, t.size, s, 0);
  return out;
}

export const neg = defineUnary('neg', (dy) => scaled(dy, -1));
export const abs = defineUnary('abs', (dy, x) => {
  const s = unaryRaw('sign', x);
  const r = mul(dy, s);
  s.dispose();
  return r;
});
export const exp = defineUnary('exp', (dy, _x, y) => mul(dy, y));
export const log = defineUnary('log', (dy, x) => div(dy, x));
export const log1p = defineUnary('log1p', (dy, x) => {
  const t = emptyTensor(x.shape);
  ENGINE.get().affine(x.storage, t.storage, x.size, 1, 1);
  const r = div(dy, t);
  t.dispose();
  return r;
});
export const sqrt = defineUnary('sqrt', (dy, _x, y) => {
  const t = scaled(y, 2);
  const r = div(dy, t);
  t.dispose();
  return r;
});
export const rsqrt = defineUnary('rsqrt', (dy, x, y) => {
  // d/dx x^(−1/2) = −½ · y / x
  const t = div(y, x);
  const u = mul(dy, t);
  const r = scaled(u, -0.5);
  t.dispose();
  u.dispose();
  return r;
});
export const square = defineUnary('square', (dy, x) => {
  const t = mul(dy, x);
  const r = scaled(t, 2);
  t.dispose();
  return r;
});
export const reciprocal = defineUnary('reciprocal', (dy, _x, y) => {
  const y2 = mul(y, y);
  const t = mul(dy, y2);
  const r = scaled(t, -1);
  y2.dispose();
  t.dispose();
  return r;
});
export const relu = defineUnary('relu', (dy, x) => gradKernel('relu', x, dy));
export const relu6 = defineUnary('relu6', (dy, x) => gradKernel('relu6', x, dy));
export const sigmoid = defineUnary('sigmoid', (dy, _x, y) => gradKernel('sigmoid', y, dy));
export const tanh = defineUnary('tanh', (dy, _x, y) => gradKernel('tanh', y, dy));
export const softplus = defineUnary('softplus', (dy, x) => gradKernel('softplus', x, dy));
export const elu = defineUnary('elu', (dy, x, _y, alpha) => gradKernel('elu', x, dy, alpha), 1);
export const selu = defineUnary('selu', (dy, x) => gradKernel('selu', x, dy));
export const gelu = defineUnary('gelu', (dy, x) => gradKernel('gelu', x, dy));
export const leakyRelu = defineUnary('leakyRelu', (dy, x, _y, alpha) => gradKernel('leakyRelu', x, dy, alpha), 0.2);
export const sign = defineUnary('sign', null);
export const floor = defineUnary('floor', null);
export const ceil = defineUnary('ceil', null);
export const round = defineUnary('round', null);
const stepOnly = defineUnary('step', null);
/** 1 where x > 0, else alpha (as tf.step); zero gradient. */
export function step(input: TensorOrNumber, alpha = 0): Tensor {
  const y = stepOnly(input);
  if (alpha === 0) return y;
  const f = y.dtype === 'float32' ? y : castTo(y, 'float32');
  const out = emptyTensor(f.shape);
  // y ∈ {0, 1} → y·(1 − α) + α
  if (out.size) ENGINE.get().affine(f.storage, out.storage, f.size, 1 - alpha, alpha);
  if (f !== y) f.dispose();
  const x = y.gradFn ? y.gradFn.inputs[0] : null;
  y.dispose();
  return x ? record(out, 'step', [x], (dy) => [zeroTensor(dy.shape)]) : out;
}

/** x · scale + shift in one pass. */
export function affine(input: TensorOrNumber, scale: number, shift = 0): Tensor {
  const x = toTensor('affine', input);
  const fx = x.dtype === 'float32' ? x : castTo(x, 'float32');
  const out = emptyTensor(x.shape);
  if (out.size) ENGINE.get().affine(fx.storage, out.storage, x.size, scale, shift);
  if (fx !== x) fx.dispose();
  return record(out, 'affine', [x], (dy) => [scaled(dy, scale)]);
}

/** Clamps into [lo, hi]; the gradient passes where lo ≤ x ≤ hi (as tf.clipByValue). */
export function clipByValue(input: TensorOrNumber, lo: number, hi: number): Tensor {
  if (!(lo <= hi)) throw new Error(`clipByValue: clipValueMin (${lo}) must be ≤ clipValueMax (${hi})`);
  const x = toTensor('clipByValue', input);
  if (x.dtype !== 'float32') {
    // Integers clip exactly in float32 below 2^24 and stay int32 (as TensorFlow.js).
    const f = castTo(x, 'float32');
    const c = emptyTensor(x.shape);
    if (c.size) ENGINE.get().clip(f.storage, c.storage, x.size, lo, hi);
    const r = castTo(c, 'int32');
    f.dispose();
    c.dispose();
    return r;
  }
  const out = emptyTensor(x.shape);
  if (out.size) ENGINE.get().clip(x.storage, out.storage, x.size, lo, hi);
  return record(out, 'clipByValue', [x], (dy) => {
    const loT = toTensor('clipByValue', lo), hiT = toTensor('clipByValue', hi);
    const a = binaryRaw('clipByValue', 'greaterEqual', x, loT);
    const b = binaryRaw('clipByValue', 'lessEqual', x, hiT);
    const m = mul(a, b);
    const r = mul(dy, m);
    for (const t of [loT, hiT, a, b, m]) t.dispose();
    return [r];
  });
}
