/**
 * CTC loss + gradient (issue "CTC"): T = 100 frames, batch 32, 28 classes (blank 0), labels of
 * length 20; logits U[-2, 2) from mulberry32 (seed 77), labels in [1, 27]. ms per call of the
 * loss and its gradient w.r.t. the logits:
 * - ferrite: fe.losses.ctc (reduction 'sum') and backward, reading the gradient back;
 * - a straightforward TypeScript implementation (log-space α/β recursions over the extended
 *   label, float64, written below): every build's loss is checked against it to 1e-3
 *   relative (and its gradient to 1e-3) before timing; the js case also times it.
 * TensorFlow.js has no CTC loss. Median of the timed calls: 3 warm-ups, then ≥ 10 calls and ≥ 1 s.
 */
import { median, mulberry32 } from '../lib/common';
import type { Ctx } from './index';

const T = 100, B = 32, C = 28, L = 20;
const METRIC = 'CTC loss + gradient, T 100, batch 32, 28 classes, labels of 20';
const PLAIN = 'straightforward TypeScript CTC loss + gradient, same shapes';

function time(call: () => void): { value: number; samples: number } {
  for (let i = 0; i < 3; i++) call();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 10 || performance.now() - start < 1000) {
    const t0 = performance.now();
    call();
    times.push(performance.now() - t0);
  }
  return { value: median(times), samples: times.length };
}

const logAdd = (a: number, b: number) => {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
};

/** Σ_b −log p(label_b | logits_b) and its gradient, the textbook way. */
export function plainCtc(logits: Float32Array, labels: Int32Array, grad: Float64Array): number {
  let total = 0;
  const S = 2 * L + 1;
  const lp = new Float64Array(T * C);
  const alpha = new Float64Array(T * S), beta = new Float64Array(T * S);
  for (let b = 0; b < B; b++) {
    const x = logits.subarray(b * T * C, (b + 1) * T * C);
    for (let t = 0; t < T; t++) {
      let m = -Infinity;
      for (let k = 0; k < C; k++) m = Math.max(m, x[t * C + k]);
      let s = 0;
      for (let k = 0; k < C; k++) s += Math.exp(x[t * C + k] - m);
      for (let k = 0; k < C; k++) lp[t * C + k] = x[t * C + k] - m - Math.log(s);
    }
    const ext = (s: number) => (s % 2 === 0 ? 0 : labels[b * L + (s - 1) / 2]);
    alpha.fill(-Infinity);
    beta.fill(-Infinity);
    alpha[0] = lp[ext(0)];
    alpha[1] = lp[ext(1)];
    for (let t = 1; t < T; t++) {
      for (let s = 0; s < S; s++) {
        let a = alpha[(t - 1) * S + s];
        if (s > 0) a = logAdd(a, alpha[(t - 1) * S + s - 1]);
        if (s > 1 && ext(s) !== 0 && ext(s) !== ext(s - 2)) a = logAdd(a, alpha[(t - 1) * S + s - 2]);
        alpha[t * S + s] = a + lp[t * C + ext(s)];
      }
    }
    beta[(T - 1) * S + S - 1] = lp[(T - 1) * C + ext(S - 1)];
    beta[(T - 1) * S + S - 2] = lp[(T - 1) * C + ext(S - 2)];
    for (let t = T - 2; t >= 0; t--) {
      for (let s = 0; s < S; s++) {
        let v = beta[(t + 1) * S + s];
        if (s < S - 1) v = logAdd(v, beta[(t + 1) * S + s + 1]);
        if (s < S - 2 && ext(s) !== 0 && ext(s) !== ext(s + 2)) v = logAdd(v, beta[(t + 1) * S + s + 2]);
        beta[t * S + s] = v + lp[t * C + ext(s)];
      }
    }
    const logP = logAdd(alpha[(T - 1) * S + S - 1], alpha[(T - 1) * S + S - 2]);
    total -= logP;
    // d(−log p)/d logit[t, k] = softmax[t, k] − Σ_{s: ext(s) = k} α_t(s) β_t(s) / (p · y_t(k)).
    for (let t = 0; t < T; t++) {
      const occ = new Float64Array(C).fill(-Infinity);
      for (let s = 0; s < S; s++) occ[ext(s)] = logAdd(occ[ext(s)], alpha[t * S + s] + beta[t * S + s]);
      for (let k = 0; k < C; k++) {
        grad[(b * T + t) * C + k] = Math.exp(lp[t * C + k]) - Math.exp(occ[k] - logP - lp[t * C + k]);
      }
    }
  }
  return total;
}

export async function run(ctx: Ctx): Promise<void> {
  if (ctx.lib.kind !== 'ferrite') throw new Error('TensorFlow.js has no CTC loss');
  const fe = ctx.lib.fe;
  const r = mulberry32(77);
  const logits = Float32Array.from({ length: B * T * C }, () => 4 * r() - 2);
  const labels = Int32Array.from({ length: B * L }, () => 1 + Math.floor(r() * (C - 1)));
  const x = fe.variable(fe.tensor(logits, [B, T, C]));
  const lab = fe.tensor(labels, [B, L], 'int32');
  const inputLengths = new Array(B).fill(T), labelLengths = new Array(B).fill(L);
  let feLoss = 0;
  const ferriteCall = () => {
    x.grad?.dispose();
    x.grad = null;
    fe.tidy(() => {
      const loss = fe.losses.ctc({ logits: x, labels: lab, inputLengths, labelLengths }, { reduction: 'sum' });
      loss.backward();
      feLoss = loss.dataSync()[0];
    });
    x.grad!.dataSync();
  };
  // Every build is checked against the plain implementation before it is timed.
  ferriteCall();
  const grad = new Float64Array(B * T * C);
  const plainLoss = plainCtc(logits, labels, grad);
  if (!(Math.abs(plainLoss - feLoss) <= 1e-3 * Math.abs(plainLoss))) {
    throw new Error(`the plain implementation disagrees with ferrite ${ctx.lib.build}: ${plainLoss} vs ${feLoss}`);
  }
  const g = x.grad!.dataSync();
  for (let i = 0; i < g.length; i++) {
    if (!(Math.abs(g[i] - grad[i]) <= 1e-3)) throw new Error(`gradient ${i}: plain ${grad[i]}, ferrite ${ctx.lib.build} ${g[i]}`);
  }
  ctx.log(`ferrite ${ctx.lib.build} agrees with the plain implementation: loss ${feLoss.toFixed(3)} vs ${plainLoss.toFixed(3)}`);

  const t = time(ferriteCall);
  ctx.emit({ metric: METRIC, value: t.value, unit: 'ms', better: 'lower', samples: t.samples, detail: `median of ${t.samples} calls` });

  if (ctx.lib.build === 'js') {
    const p = time(() => plainCtc(logits, labels, grad));
    ctx.emit({ metric: PLAIN, value: p.value, unit: 'ms', better: 'lower', samples: p.samples, detail: `median of ${p.samples} calls` });
  }
}
