/**
 * The js backend's CTC loss: the textbook forward–backward recursions in log space, float64
 * throughout, one float32 rounding when a result is stored. Same semantics as
 * crates/ferrite-core/src/ctc.rs (see Backend.ctcLoss).
 */
import type { Storage } from '../backend';
import { f32View, i32View } from './views';

const NEG_INF = -Infinity;

/** log(e^a + e^b); −inf terms (unreachable states, common) cost nothing. */
function logAddExp(a: number, b: number): number {
  if (a === NEG_INF) return b;
  if (b === NEG_INF) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

export function ctcLoss(
  logits: Storage, labels: Storage, inputLengths: Storage, labelLengths: Storage, loss: Storage, grad: Storage,
  batch: number, time: number, classes: number, maxLabel: number, blank: number, zeroInfinity: boolean,
): number {
  const n = batch * time * classes;
  const X = f32View(logits, n, 'ctcLoss logits');
  const Y = i32View(labels, batch * maxLabel, 'ctcLoss labels');
  const TL = i32View(inputLengths, batch, 'ctcLoss inputLengths');
  const LL = i32View(labelLengths, batch, 'ctcLoss labelLengths');
  const L = f32View(loss, batch, 'ctcLoss loss');
  const G = f32View(grad, n, 'ctcLoss grad');
  if (!(Number.isInteger(blank) && blank >= 0 && blank < classes)) {
    throw new Error(`ferrite js backend: ctcLoss: blank ${blank} is outside [0, ${classes})`);
  }
  for (let b = 0; b < batch; b++) {
    const tb = TL[b];
    const lb = LL[b];
    if (tb < 0 || tb > time || lb < 0 || lb > maxLabel) return b;
    for (let j = 0; j < lb; j++) {
      const c = Y[b * maxLabel + j];
      if (c < 0 || c >= classes || c === blank) return b;
    }
  }
  for (let b = 0; b < batch; b++) {
    const nll = sample(X, Y, G, b, TL[b], LL[b], time, classes, maxLabel, blank);
    L[b] = nll === Infinity && zeroInfinity ? 0 : nll;
  }
  return -1;
}

/** One sample: writes its gradient rows, returns its negative log-likelihood. */
function sample(
  X: Float32Array, Y: Int32Array, G: Float32Array, b: number, tb: number, lb: number,
  time: number, classes: number, maxLabel: number, blank: number,
): number {
  const base = b * time * classes;
  G.fill(0, base, base + time * classes);
  if (tb === 0) return lb === 0 ? 0 : Infinity;
  // Log-probabilities per frame.
  const lp = new Float64Array(tb * classes);
  for (let t = 0; t < tb; t++) {
    const o = base + t * classes;
    let m = -Infinity;
    for (let c = 0; c < classes; c++) m = Math.max(m, X[o + c]);
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(X[o + c] - m);
    const lse = m + Math.log(s);
    for (let c = 0; c < classes; c++) lp[t * classes + c] = X[o + c] - lse;
  }
  // Extended label: blank, l1, blank, l2, …, blank; a skip from s − 2 is allowed into a label
  // that differs from the previous label.
  const S = 2 * lb + 1;
  const ext = new Int32Array(S);
  for (let s = 0; s < S; s++) ext[s] = s % 2 === 0 ? blank : Y[b * maxLabel + (s - 1) / 2];
  const canSkip = new Uint8Array(S);
  for (let s = 3; s < S; s += 2) canSkip[s] = ext[s] !== ext[s - 2] ? 1 : 0;

  const alpha = new Float64Array(tb * S).fill(NEG_INF);
  alpha[0] = lp[ext[0]];
  if (S > 1) alpha[1] = lp[ext[1]];
  for (let t = 1; t < tb; t++) {
    for (let s = 0; s < S; s++) {
      let a = alpha[(t - 1) * S + s];
      if (s >= 1) a = logAddExp(a, alpha[(t - 1) * S + s - 1]);
      if (canSkip[s]) a = logAddExp(a, alpha[(t - 1) * S + s - 2]);
      alpha[t * S + s] = a + lp[t * classes + ext[s]];
    }
  }
  const last = (tb - 1) * S;
  const ll = S > 1 ? logAddExp(alpha[last + S - 1], alpha[last + S - 2]) : alpha[last];
  if (ll === NEG_INF || Number.isNaN(ll)) {
    // Impossible alignment (or NaN logits): no gradient.
    return ll === NEG_INF ? Infinity : NaN;
  }

  // beta[t, s]: log-probability of the rest of the label after frame t, from state s at t.
  const beta = new Float64Array(tb * S).fill(NEG_INF);
  beta[last + S - 1] = 0;
  if (S > 1) beta[last + S - 2] = 0;
  for (let t = tb - 2; t >= 0; t--) {
    // From state s at frame t: stay, advance one, or skip a blank, each with frame t + 1's emission.
    const n = (t + 1) * S, e = (t + 1) * classes;
    for (let s = 0; s < S; s++) {
      let v = beta[n + s] + lp[e + ext[s]];
      if (s + 1 < S) v = logAddExp(v, beta[n + s + 1] + lp[e + ext[s + 1]]);
      if (s + 2 < S && canSkip[s + 2]) v = logAddExp(v, beta[n + s + 2] + lp[e + ext[s + 2]]);
      beta[t * S + s] = v;
    }
  }
  // grad[t, c] = softmax[t, c]·Σ_k occ[t, k] − occ[t, c], occ = posterior class occupancy.
  const occ = new Float64Array(classes);
  for (let t = 0; t < tb; t++) {
    occ.fill(0);
    let total = 0;
    for (let s = 0; s < S; s++) {
      const g = Math.exp(alpha[t * S + s] + beta[t * S + s] - ll);
      occ[ext[s]] += g;
      total += g;
    }
    const o = base + t * classes;
    for (let c = 0; c < classes; c++) G[o + c] = Math.exp(lp[t * classes + c]) * total - occ[c];
  }
  return -ll;
}
