/**
 * Linear algebra: einsum (differentiable, which TensorFlow.js' is not), outerProduct, and
 * fe.linalg's qr (Householder, as TensorFlow.js, with a gradient), bandPart and gramSchmidt.
 */
import { record } from '../autograd';
import { sizeOf, Tensor } from '../tensor';
import { div, mul, sub } from './binary';
import { composite } from './composite';
import { toTensor, type TensorInput } from './convert';
import { scalar, tensor } from './creation';
import { matMul } from './matmul';
import { where } from './misc';
import { sum } from './reduction';
import { reshape, stack, transpose } from './shape';
import { sqrt } from './unary';
import { unstack } from './manipulation';
import { fmt } from './util';

// ---- einsum -------------------------------------------------------------------------------

interface Spec {
  inputs: string[];
  output: string;
}

function parseEinsum(equation: string, n: number): Spec {
  const eq = equation.replace(/\s+/g, '');
  if (eq.includes('.')) throw new Error(`einsum: ellipses ('...') are not supported, got '${equation}'`);
  const [lhs, rhs] = eq.includes('->') ? eq.split('->') : [eq, undefined];
  const inputs = lhs.split(',');
  if (inputs.length !== n) throw new Error(`einsum: '${equation}' has ${inputs.length} operand(s), ${n} tensor(s) given`);
  for (const s of [...inputs, rhs ?? '']) {
    if (!/^[a-zA-Z]*$/.test(s)) throw new Error(`einsum: subscripts must be letters, got '${s}' in '${equation}'`);
  }
  let output = rhs;
  if (output === undefined) {
    // Implicit output: the letters used exactly once, in alphabetical order (NumPy's rule).
    const count = new Map<string, number>();
    for (const c of inputs.join('')) count.set(c, (count.get(c) ?? 0) + 1);
    output = [...count.keys()].filter((c) => count.get(c) === 1).sort().join('');
  }
  if (new Set(output).size !== output.length) throw new Error(`einsum: output subscripts '${output}' repeat a letter`);
  for (const c of output) {
    if (!inputs.some((s) => s.includes(c))) throw new Error(`einsum: output subscript '${c}' appears in no operand of '${equation}'`);
  }
  return { inputs, output };
}

/** An operand during contraction: a tensor and the letter of each of its axes. */
interface Term {
  t: Tensor;
  idx: string;
}

/** Sums out the letters of `term` no later use needs; then orders the rest. */
function reduceTerm(term: Term, needed: Set<string>): Term {
  const drop = [...term.idx].map((c, i) => (needed.has(c) ? -1 : i)).filter((i) => i >= 0);
  if (!drop.length) return term;
  return { t: sum(term.t, drop), idx: [...term.idx].filter((c) => needed.has(c)).join('') };
}

/** Contracts two terms into one over the letters `keep` lists (the others shared are summed). */
function contract(a: Term, b: Term, keep: Set<string>): Term {
  const inA = new Set(a.idx), inB = new Set(b.idx);
  const batch = [...a.idx].filter((c) => inB.has(c) && keep.has(c));
  const summed = [...a.idx].filter((c) => inB.has(c) && !keep.has(c));
  const aOnly = [...a.idx].filter((c) => !inB.has(c));
  const bOnly = [...b.idx].filter((c) => !inA.has(c));
  const size = (t: Term, c: string) => t.t.shape[t.idx.indexOf(c)];
  const prod = (t: Term, cs: string[]) => cs.reduce((p, c) => p * size(t, c), 1);
  // a → [batch, aOnly, summed], b → [batch, summed, bOnly]; one batched matMul.
  const permA = [...batch, ...aOnly, ...summed].map((c) => a.idx.indexOf(c));
  const permB = [...batch, ...summed, ...bOnly].map((c) => b.idx.indexOf(c));
  const ta = reshape(transpose(a.t, permA), [prod(a, batch), prod(a, aOnly), prod(a, summed)]);
  const tb = reshape(transpose(b.t, permB), [prod(b, batch), prod(b, summed), prod(b, bOnly)]);
  const c = matMul(ta, tb);
  const shape = [...batch.map((x) => size(a, x)), ...aOnly.map((x) => size(a, x)), ...bOnly.map((x) => size(b, x))];
  return { t: reshape(c, shape), idx: [...batch, ...aOnly, ...bOnly].join('') };
}

/**
 * tf.einsum(equation, ...tensors): sums of products over the letters the output leaves out.
 * Any number of operands (contracted left to right), implicit output ('ij,jk'), each
 * letter once per operand; no ellipsis. Built from transpose, reshape, sum and matMul, so it
 * is differentiable with respect to every operand.
 */
export function einsum(equation: string, ...tensors: TensorInput[]): Tensor {
  if (typeof equation !== 'string') throw new Error('einsum: the equation must be a string');
  const xs = tensors.map((t) => toTensor('einsum', t));
  const { inputs, output } = parseEinsum(equation, xs.length);
  const sizes = new Map<string, number>();
  inputs.forEach((s, i) => {
    if (s.length !== xs[i].rank) {
      throw new Error(`einsum: operand ${i} has subscripts '${s}' but shape ${fmt(xs[i].shape)} (rank ${xs[i].rank})`);
    }
    if (new Set(s).size !== s.length) throw new Error(`einsum: a letter repeated within one operand ('${s}', a diagonal) is not supported`);
    [...s].forEach((c, d) => {
      const n = xs[i].shape[d];
      const prev = sizes.get(c);
      if (prev !== undefined && prev !== n) throw new Error(`einsum: subscript '${c}' has size ${prev} and ${n} in '${equation}'`);
      sizes.set(c, n);
    });
  });
  return composite(() => {
    const neededAfter = (k: number) => new Set([...output, ...inputs.slice(k + 1).join('')]);
    let acc = reduceTerm({ t: xs[0], idx: inputs[0] }, neededAfter(0));
    for (let k = 1; k < xs.length; k++) {
      const later = neededAfter(k);
      const b = reduceTerm({ t: xs[k], idx: inputs[k] }, new Set([...later, ...acc.idx]));
      acc = reduceTerm(acc, new Set([...later, ...b.idx]));
      acc = contract(acc, b, later);
    }
    acc = reduceTerm(acc, new Set(output));
    const perm = [...output].map((c) => acc.idx.indexOf(c));
    if (perm.every((p, i) => p === i)) return acc.t === xs[0] ? reshape(acc.t, acc.t.shape) : acc.t;
    return transpose(acc.t, perm);
  });
}

/** v1 ⊗ v2 for 1-D tensors: [n, m] (as tf.outerProduct). */
export function outerProduct(v1: TensorInput, v2: TensorInput): Tensor {
  const a = toTensor('outerProduct', v1), b = toTensor('outerProduct', v2);
  if (a.rank !== 1 || b.rank !== 1) throw new Error(`outerProduct: expected two 1-D tensors, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  return composite(() => matMul(reshape(a, [a.size, 1]), reshape(b, [1, b.size])));
}

// ---- fe.linalg ----------------------------------------------------------------------------

/**
 * The band of the inner matrices: keeps a[..., i, j] where (numLower < 0 or i − j ≤ numLower)
 * and (numUpper < 0 or j − i ≤ numUpper), zeros elsewhere (as tf.linalg.bandPart).
 */
function bandPart(input: TensorInput, numLower: number, numUpper: number): Tensor {
  const a = toTensor('bandPart', input);
  if (a.rank < 2) throw new Error(`bandPart: expected a tensor of rank ≥ 2, got ${fmt(a.shape)}`);
  for (const [v, w] of [[numLower, 'numLower'], [numUpper, 'numUpper']] as const) {
    if (!Number.isInteger(v)) throw new Error(`bandPart: ${w} must be an integer, got ${v}`);
  }
  const [m, n] = a.shape.slice(-2);
  const mask = new Int32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) mask[i * n + j] = (numLower < 0 || i - j <= numLower) && (numUpper < 0 || j - i <= numUpper) ? 1 : 0;
  }
  return composite(() => where(tensor(mask, [m, n], 'bool'), a, scalar(0, a.dtype)));
}

/**
 * Orthonormal vectors spanning the same subspaces as xs (Gram–Schmidt, as
 * tf.linalg.gramSchmidt): an array of 1-D tensors or the rows of a 2-D tensor; the result has
 * the same form. Differentiable.
 */
function gramSchmidt(xs: Tensor[] | Tensor): Tensor[] | Tensor {
  const asMatrix = !Array.isArray(xs);
  if (asMatrix && xs.rank !== 2) throw new Error(`gramSchmidt: expected a 2-D tensor or an array of 1-D tensors, got ${fmt(xs.shape)}`);
  const rows = asMatrix ? xs.shape[0] : xs.length;
  if (!asMatrix) {
    const dim = xs[0]?.size;
    xs.forEach((x, i) => {
      if (x.rank !== 1 || x.size !== dim) throw new Error(`gramSchmidt: vector ${i} has shape ${fmt(x.shape)}, expected [${dim}]`);
    });
  }
  const dim = asMatrix ? xs.shape[1] : xs[0].size;
  if (rows > dim) throw new Error(`gramSchmidt: ${rows} vectors of dimension ${dim} cannot be orthonormal`);
  return composite(() => {
    const vs = asMatrix ? unstack(xs) : xs;
    const ys: Tensor[] = [];
    for (const v of vs) {
      let x = v;
      for (const y of ys) x = sub(x, mul(sum(mul(y, x)), y));
      ys.push(div(x, sqrt(sum(mul(x, x)))));
    }
    return asMatrix ? stack(ys) : ys;
  });
}

/** Householder QR of one m×n matrix in float64, as TensorFlow.js' qr2d (same signs). */
function householder(a: Float64Array, m: number, n: number, full: boolean): { q: Float64Array; r: Float64Array; k: number } {
  const r = Float64Array.from(a);
  const q = new Float64Array(m * m);
  for (let i = 0; i < m; i++) q[i * m + i] = 1;
  const w = new Float64Array(m);
  for (let j = 0; j < Math.min(m, n); j++) {
    let norm = 0;
    for (let i = j; i < m; i++) norm += r[i * n + j] * r[i * n + j];
    norm = Math.sqrt(norm);
    const rjj = r[j * n + j];
    const alpha = rjj > 0 ? -1 : 1;
    const u1 = rjj - alpha * norm;
    if (norm === 0 || u1 === 0) continue; // nothing to reflect
    const tau = (-alpha * u1) / norm;
    w[j] = 1;
    for (let i = j + 1; i < m; i++) w[i] = r[i * n + j] / u1;
    // r[j:, :] −= tau · w (wᵀ r[j:, :]);  q[:, j:] −= (q[:, j:] w) (tau w)ᵀ
    for (let c = 0; c < n; c++) {
      let d = 0;
      for (let i = j; i < m; i++) d += w[i] * r[i * n + c];
      for (let i = j; i < m; i++) r[i * n + c] -= tau * w[i] * d;
    }
    for (let row = 0; row < m; row++) {
      let d = 0;
      for (let i = j; i < m; i++) d += q[row * m + i] * w[i];
      for (let i = j; i < m; i++) q[row * m + i] -= d * tau * w[i];
    }
  }
  const k = full ? m : Math.min(m, n);
  if (k === m) return { q, r, k };
  const qk = new Float64Array(m * k);
  for (let i = 0; i < m; i++) for (let c = 0; c < k; c++) qk[i * k + c] = q[i * m + c];
  return { q: qk, r: r.subarray(0, k * n), k };
}

/** C = A·B for row-major float64 matrices (A p×q, B q×s). */
function mm(a: Float64Array, b: Float64Array, p: number, q: number, s: number, ta = false, tb = false): Float64Array {
  const c = new Float64Array(p * s);
  for (let i = 0; i < p; i++) {
    for (let l = 0; l < q; l++) {
      const av = ta ? a[l * p + i] : a[i * q + l];
      if (av === 0) continue;
      for (let j = 0; j < s; j++) c[i * s + j] += av * (tb ? b[j * q + l] : b[l * s + j]);
    }
  }
  return c;
}

/**
 * dA for A = QR (reduced, m ≥ n … or the square part of a wide A), as in PyTorch's
 * linalg_qr_backward: M = R dRᵀ − dQᵀ Q; B = dQ + Q·copyltu(M); dA = B R⁻ᵀ.
 */
function qrBackwardTall(q: Float64Array, r: Float64Array, dq: Float64Array, dr: Float64Array, m: number, n: number): Float64Array {
  // q m×n, r n×n (upper), dq m×n, dr n×n
  const m1 = mm(r, dr, n, n, n, false, true);
  const m2 = mm(dq, q, n, m, n, true, false);
  const M = m1.map((v, i) => v - m2[i]);
  // copyltu: the lower triangle mirrored to the upper one
  const C = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) C[i * n + j] = i >= j ? M[i * n + j] : M[j * n + i];
  const qc = mm(q, C, m, n, n);
  const b = dq.map((v, i) => v + qc[i]);
  // dA = B R⁻ᵀ: solve X Rᵀ = B row by row, Σ_{l≥j} X[row, l]·R[j, l] = B[row, j] (R upper
  // triangular: back substitution from the last column)
  const da = new Float64Array(m * n);
  for (let row = 0; row < m; row++) {
    for (let j = n - 1; j >= 0; j--) {
      let s = b[row * n + j];
      for (let l = j + 1; l < n; l++) s -= da[row * n + l] * r[j * n + l];
      da[row * n + j] = s / r[j * n + j];
    }
  }
  return da;
}

function qrBackward(a: Float64Array, q: Float64Array, r: Float64Array, dq: Float64Array, dr: Float64Array, m: number, n: number): Float64Array {
  if (m >= n) return qrBackwardTall(q, r, dq, dr, m, n);
  // Wide: A = [X | Y], R = [U | V], X = Q U: dX = tall(Q, U, dQ + Y dVᵀ, dU), dY = Q dV.
  const k = m;
  const U = new Float64Array(k * k), dU = new Float64Array(k * k);
  const dV = new Float64Array(k * (n - k)), Y = new Float64Array(m * (n - k));
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < n; j++) {
      if (j < k) { U[i * k + j] = r[i * n + j]; dU[i * k + j] = dr[i * n + j]; }
      else dV[i * (n - k) + j - k] = dr[i * n + j];
    }
  }
  for (let i = 0; i < m; i++) for (let j = k; j < n; j++) Y[i * (n - k) + j - k] = a[i * n + j];
  const ydv = mm(Y, dV, m, n - k, k, false, true);
  const dqp = dq.map((v, i) => v + ydv[i]);
  const dX = qrBackwardTall(q, U, dqp, dU, m, k);
  const dY = mm(q, dV, m, k, n - k);
  const da = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) da[i * n + j] = j < k ? dX[i * k + j] : dY[i * (n - k) + j - k];
  }
  return da;
}

/**
 * QR decomposition by Householder reflections of each inner matrix of x [..., m, n], as
 * tf.linalg.qr(x, fullMatrices = false): [q [..., m, k], r [..., k, n]] with k = min(m, n)
 * (k = m with fullMatrices). Differentiable with respect to x, except q of a full
 * decomposition with m > n (its extra columns are not determined by x).
 */
function qr(input: TensorInput, fullMatrices = false): [Tensor, Tensor] {
  const x = toTensor('qr', input);
  if (x.rank < 2) throw new Error(`qr: expected a tensor of rank ≥ 2, got ${fmt(x.shape)}`);
  const [m, n] = x.shape.slice(-2);
  const batch = x.shape.slice(0, -2);
  const count = sizeOf(batch);
  const xv = x.dataSync();
  const k = fullMatrices ? m : Math.min(m, n);
  const qv = new Float32Array(count * m * k), rv = new Float32Array(count * k * n);
  for (let b = 0; b < count; b++) {
    const { q, r } = householder(Float64Array.from(xv.subarray(b * m * n, (b + 1) * m * n)), m, n, fullMatrices);
    qv.set(q, b * m * k);
    rv.set(r, b * k * n);
  }
  const qT = tensor(qv, [...batch, m, k]);
  const rT = tensor(rv, [...batch, k, n]);
  // One gradient node over both outputs: each output records it, with the other's gradient
  // taken as zero when only one is used.
  const backward = (dq: Tensor | null, dr: Tensor | null): Tensor => {
    if (fullMatrices && m > n) {
      throw new Error(`qr: the gradient of a full decomposition of a ${m}×${n} matrix (m > n) is not defined; use fullMatrices = false`);
    }
    const qd = qT.dataSync(), rd = rT.dataSync(), ad = x.dataSync();
    const dqd = dq ? dq.dataSync() : new Float32Array(qd.length);
    const drd = dr ? dr.dataSync() : new Float32Array(rd.length);
    const out = new Float32Array(x.size);
    for (let b = 0; b < count; b++) {
      const sl = (v: ArrayLike<number>, size: number) => Float64Array.from({ length: size }, (_, i) => v[b * size + i]);
      const da = qrBackward(sl(ad, m * n), sl(qd, m * k), sl(rd, k * n), sl(dqd, m * k), sl(drd, k * n), m, n);
      out.set(da, b * m * n);
    }
    return tensor(out, x.shape);
  };
  record(qT, 'qr', [x], (dy) => [backward(dy, null)]);
  record(rT, 'qr', [x], (dy) => [backward(null, dy)]);
  return [qT, rT];
}

export const linalg = { qr, bandPart, gramSchmidt };

