/**
 * Scalar definitions of the element-wise ops, shared by the js backend's kernels.
 * They follow TensorFlow.js; every function works in float64 and the caller stores float32.
 */
import type { BinaryOp, UnaryGradOp, UnaryOp } from '../backend';

export const SELU_SCALE = 1.0507009873554805;
export const SELU_ALPHA = 1.6732632423543772;
/** Slope used by leakyRelu when the caller gives no alpha (tf.leakyRelu's default). */
export const LEAKY_RELU_DEFAULT_ALPHA = 0.2;
/** elu's alpha when the caller gives none. */
export const ELU_DEFAULT_ALPHA = 1;

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 0.3989422804014327;

/**
 * Complementary error function with fractional error below 1.2e-7 everywhere
 * (Chebyshev fit, Numerical Recipes `erfcc`). Relative accuracy holds in both tails.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 +
        t * (0.37409196 +
        t * (0.09678418 +
        t * (-0.18628806 +
        t * (0.27886807 +
        t * (-1.13520398 +
        t * (1.48851587 +
        t * (-0.82215223 +
        t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** The error function: its Maclaurin series below 0.5 (relative accuracy near 0), 1 − erfc above. */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a >= 0.5 || Number.isNaN(x)) return x >= 0 ? 1 - erfc(x) : erfc(-x) - 1;
  const z = x * x;
  // 2/√π · Σ (−1)^n x^{2n+1} / (n!(2n + 1)), n ≤ 7
  const p = 1 + z * (-1 / 3 + z * (1 / 10 + z * (-1 / 42 + z * (1 / 216 + z * (-1 / 1320 + z * (1 / 9360 - z / 75600))))));
  return (2 / Math.sqrt(Math.PI)) * x * p;
}

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** log(1 + exp(x)) without overflow or loss of small values. */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** Round half to even, as tf.round. */
export function roundHalfEven(x: number): number {
  const base = Math.floor(x);
  const frac = x - base;
  if (frac < 0.5) return base;
  if (frac > 0.5) return base + 1;
  return base % 2 === 0 ? base : base + 1;
}

/** 0.5·x·(1 + erf(x/√2)), written with erfc so the negative tail keeps its precision. */
export function gelu(x: number): number {
  return 0.5 * x * erfc(-x * SQRT1_2);
}

export type Unary = (x: number) => number;

/** The scalar function of a unary op (alpha already resolved). */
export function unaryFn(op: UnaryOp, alpha: number | undefined): Unary {
  switch (op) {
    case 'neg': return (x) => -x;
    case 'abs': return Math.abs;
    case 'exp': return Math.exp;
    case 'log': return Math.log;
    case 'sqrt': return Math.sqrt;
    case 'rsqrt': return (x) => 1 / Math.sqrt(x);
    case 'square': return (x) => x * x;
    case 'reciprocal': return (x) => 1 / x;
    case 'relu': return (x) => (x < 0 ? 0 : x);
    case 'sigmoid': return sigmoid;
    case 'tanh': return Math.tanh;
    case 'softplus': return softplus;
    case 'sign': return (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN);
    case 'floor': return Math.floor;
    case 'ceil': return Math.ceil;
    case 'round': return roundHalfEven;
    case 'step': return (x) => (x > 0 ? 1 : 0);
    case 'log1p': return Math.log1p;
    case 'elu': {
      const a = alpha ?? ELU_DEFAULT_ALPHA;
      return (x) => (x > 0 ? x : a * Math.expm1(x));
    }
    case 'selu': return (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x));
    case 'gelu': return gelu;
    case 'relu6': return (x) => Math.min(Math.max(x, 0), 6);
    case 'leakyRelu': {
      const a = alpha ?? LEAKY_RELU_DEFAULT_ALPHA;
      return (x) => (x > 0 ? x : a * x);
    }
    case 'sin': return Math.sin;
    case 'cos': return Math.cos;
    case 'tan': return Math.tan;
    case 'asin': return Math.asin;
    case 'acos': return Math.acos;
    case 'atan': return Math.atan;
    case 'sinh': return Math.sinh;
    case 'cosh': return Math.cosh;
    case 'asinh': return Math.asinh;
    case 'acosh': return Math.acosh;
    case 'atanh': return Math.atanh;
    case 'expm1': return Math.expm1;
    case 'erf': return erf;
    default:
      throw new Error(`ferrite js backend: unknown unary op '${op as string}'`);
  }
}

export type UnaryDerivative = (xOrY: number) => number;

/**
 * f'(…) of a unary op; dx = dy · f'. sigmoid and tanh take the output y, the others the
 * input x. Where f has a kink (relu at 0, relu6 at 0 and 6) the TensorFlow.js choice is kept:
 * relu'(0) = 0, relu6' = 1 on (0, 6].
 */
export function unaryDerivative(op: UnaryGradOp, alpha: number | undefined): UnaryDerivative {
  switch (op) {
    case 'relu': return (x) => (x > 0 ? 1 : 0);
    case 'sigmoid': return (y) => y * (1 - y);
    case 'tanh': return (y) => 1 - y * y;
    case 'leakyRelu': {
      const a = alpha ?? LEAKY_RELU_DEFAULT_ALPHA;
      return (x) => (x > 0 ? 1 : a);
    }
    case 'elu': {
      const a = alpha ?? ELU_DEFAULT_ALPHA;
      return (x) => (x > 0 ? 1 : a * Math.exp(x));
    }
    case 'selu': return (x) => (x > 0 ? SELU_SCALE : SELU_SCALE * SELU_ALPHA * Math.exp(x));
    case 'gelu': return (x) => 0.5 * erfc(-x * SQRT1_2) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
    case 'softplus': return sigmoid;
    case 'relu6': return (x) => (x > 0 && x <= 6 ? 1 : 0);
    default:
      throw new Error(`ferrite js backend: unknown unary gradient op '${op as string}'`);
  }
}

export type Binary = (a: number, b: number) => number;

/** a mod b with the sign of b, as tf.mod (JavaScript's % keeps the sign of a). */
export function floorMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && (r < 0) !== (b < 0) ? r + b : r;
}

export function binaryFn(op: BinaryOp): Binary {
  switch (op) {
    case 'add': return (a, b) => a + b;
    case 'sub': return (a, b) => a - b;
    case 'mul': return (a, b) => a * b;
    case 'div': return (a, b) => a / b;
    case 'pow': return Math.pow;
    case 'maximum': return Math.max;
    case 'minimum': return Math.min;
    case 'squaredDifference': return (a, b) => (a - b) * (a - b);
    case 'equal': return (a, b) => (a === b ? 1 : 0);
    case 'notEqual': return (a, b) => (a !== b ? 1 : 0);
    case 'greater': return (a, b) => (a > b ? 1 : 0);
    case 'greaterEqual': return (a, b) => (a >= b ? 1 : 0);
    case 'less': return (a, b) => (a < b ? 1 : 0);
    case 'lessEqual': return (a, b) => (a <= b ? 1 : 0);
    case 'atan2': return Math.atan2;
    case 'mod': return floorMod;
    case 'floorDiv': return (a, b) => Math.floor(Math.fround(a / b));
    default:
      throw new Error(`ferrite js backend: unknown binary op '${op as string}'`);
  }
}
