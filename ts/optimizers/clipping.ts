/**
 * Gradient norms and clipping on backend storages, shared by the optimizers' clipNorm /
 * clipValue / globalClipNorm (Keras 3) and fe.nn.utils.clipGradNorm / clipGradValue (PyTorch).
 */
import type { Backend, Storage } from '../backend/backend';

/** Σ x² over the first n elements (a scratch copy is squared and summed on the backend). */
export function sumOfSquares(b: Backend, x: Storage, n: number): number {
  if (n === 0) return 0;
  const sq = b.allocUninit(n);
  const out = b.allocUninit(1);
  try {
    b.unary('square', x, sq, n);
    b.reduce('sum', sq, out, 1, n, 1);
    return b.readF32(out)[0];
  } finally {
    b.free(sq);
    b.free(out);
  }
}

/** The p-norm of the first n elements: p = 2 (default), 1, any p > 0, or Infinity (max |x|). */
export function pNorm(b: Backend, x: Storage, n: number, p = 2): number {
  if (n === 0) return 0;
  if (p === 2) return Math.sqrt(sumOfSquares(b, x, n));
  const t = b.allocUninit(n);
  const out = b.allocUninit(1);
  try {
    b.unary('abs', x, t, n);
    if (p === Infinity) {
      b.reduce('max', t, out, 1, n, 1);
      return b.readF32(out)[0];
    }
    if (p === 1) {
      b.reduce('sum', t, out, 1, n, 1);
      return b.readF32(out)[0];
    }
    // Σ |x|^p, with p as a broadcast scalar
    const e = b.alloc(1);
    const powed = b.allocUninit(n);
    try {
      b.fill(e, p, 1);
      b.binary('pow', t, [1], e, [0], powed, [n]);
      b.reduce('sum', powed, out, 1, n, 1);
    } finally {
      b.free(e);
      b.free(powed);
    }
    return b.readF32(out)[0] ** (1 / p);
  } finally {
    b.free(t);
    b.free(out);
  }
}

/** Combines per-tensor p-norms into the norm of all of them together. */
export function combineNorms(norms: number[], p = 2): number {
  if (p === Infinity) return norms.reduce((a, x) => Math.max(a, x), 0);
  return norms.reduce((a, x) => a + x ** p, 0) ** (1 / p);
}
