/** Matrix products: fe.matMul(a, b, transposeA, transposeB), batched over leading axes. */
import { record } from '../autograd';
import { ENGINE } from '../engine';
import { emptyTensor, sizeOf, Tensor } from '../tensor';
import { toTensor, TensorOrNumber } from './convert';
import { reshape } from './shape';
import { sum } from './reduction';
import { broadcastShapes, fmt, shapesEqual } from './util';

interface Plan {
  batchShape: number[];
  batch: number;
  m: number;
  n: number;
  k: number;
  strideA: number;
  strideB: number;
}

function plan(a: Tensor, b: Tensor, tA: boolean, tB: boolean): Plan {
  if (a.rank < 2 || b.rank < 2) {
    throw new Error(`matMul: both inputs need rank ≥ 2, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  }
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const m = tA ? ac : ar, k = tA ? ar : ac;
  const kb = tB ? bc : br, n = tB ? br : bc;
  if (k !== kb) {
    throw new Error(
      `matMul: inner dimensions differ: ${fmt(a.shape)}${tA ? 'ᵀ' : ''} · ${fmt(b.shape)}${tB ? 'ᵀ' : ''} (${k} vs ${kb})`,
    );
  }
  const ba = a.shape.slice(0, -2), bb = b.shape.slice(0, -2);
  const na = sizeOf(ba), nb = sizeOf(bb);
  // Batch axes broadcast as NumPy's; a side either spans the whole batch or is one matrix.
  let batchShape: number[];
  try {
    batchShape = broadcastShapes('matMul', ba, bb);
  } catch {
    throw new Error(`matMul: batch dimensions ${fmt(ba)} and ${fmt(bb)} do not match`);
  }
  const total = sizeOf(batchShape);
  if ((na !== 1 && na !== total) || (nb !== 1 && nb !== total)) {
    throw new Error(`matMul: batch dimensions ${fmt(ba)} and ${fmt(bb)} broadcast only when one side is a single matrix or both match`);
  }
  return {
    batchShape,
    batch: sizeOf(batchShape),
    m, n, k,
    strideA: na === 1 ? 0 : m * k,
    strideB: nb === 1 ? 0 : k * n,
  };
}

function matmulRaw(a: Tensor, b: Tensor, tA: boolean, tB: boolean): Tensor {
  const p = plan(a, b, tA, tB);
  const out = emptyTensor([...p.batchShape, p.m, p.n]);
  if (out.size === 0) return out;
  // A shared right operand under a plain left one is one tall gemm: fold the batch into m.
  if (p.strideB === 0 && p.strideA !== 0 && !tA) {
    ENGINE.get().matmul(a.storage, 0, 0, b.storage, 0, 0, out.storage, 0, 0, 1, p.batch * p.m, p.n, p.k, false, tB, 1, 0);
  } else {
    ENGINE.get().matmul(
      a.storage, 0, p.strideA, b.storage, 0, p.strideB, out.storage, 0, p.m * p.n,
      p.batch, p.m, p.n, p.k, tA, tB, 1, 0,
    );
  }
  return out;
}

/** Sums a batched gradient over the batch axes when its input was shared across the batch. */
function unbatch(g: Tensor, like: Tensor): Tensor {
  if (shapesEqual(g.shape, like.shape)) return g;
  // Same element count: only the batch axes were written differently (e.g. [1,2,…] vs [2,…]).
  if (g.size === like.size) {
    const r = reshape(g, like.shape);
    g.dispose();
    return r;
  }
  const lead = g.rank - 2;
  const s = sum(g, Array.from({ length: lead }, (_, i) => i));
  const r = reshape(s, like.shape);
  s.dispose();
  g.dispose();
  return r;
}

export function matMul(x: TensorOrNumber, y: TensorOrNumber, transposeA = false, transposeB = false): Tensor {
  const a = toTensor('matMul', x), b = toTensor('matMul', y);
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    throw new Error(`matMul: expected float32 inputs, got ${a.dtype} and ${b.dtype}`);
  }
  const out = matmulRaw(a, b, transposeA, transposeB);
  return record(out, 'matMul', [a, b], (dy) => {
    let da: Tensor | null = null, db: Tensor | null = null;
    if (a.requiresGrad) {
      da = !transposeA
        ? matmulRaw(dy, b, false, !transposeB)
        : matmulRaw(b, dy, transposeB, true);
      da = unbatch(da, a);
    }
    if (b.requiresGrad) {
      db = !transposeB
        ? matmulRaw(a, dy, !transposeA, false)
        : matmulRaw(dy, a, true, transposeA);
      db = unbatch(db, b);
    }
    return [da, db];
  });
}

/** Dot product of vectors, vector·matrix, or matrix product (as tf.dot). */
export function dot(x: Tensor, y: Tensor): Tensor {
  if (x.rank === 2 && y.rank === 2) return matMul(x, y);
  const a = x.rank === 1 ? reshape(x, [1, x.size]) : x;
  const b = y.rank === 1 ? reshape(y, [y.size, 1]) : y;
  const r = matMul(a, b);
  const shape = [...(x.rank === 1 ? [] : [r.shape[0]]), ...(y.rank === 1 ? [] : [r.shape[1]])];
  const out = reshape(r, shape);
  if (!out.gradFn) {
    // Nothing records a use of the intermediates: free them now.
    r.dispose();
    if (a !== x) a.dispose();
    if (b !== y) b.dispose();
  }
  return out;
}
