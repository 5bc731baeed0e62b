/**
 * The js backend's fused attention: row by row, float64 intermediates, the semantics of
 * crates/ferrite-core/src/attention (see ../attention-types.ts). With `lse` the forward keeps
 * each row's (max, ln normaliser) and the backward recomputes the row's probabilities from
 * them, as the tiled wasm algorithm does; the row-by-row loops never hold a t × s matrix.
 */
import { ATTENTION_MASKED, AttentionDropout, type AttentionBackwardArgs, type AttentionConfig, type AttentionForwardArgs } from '../attention-types';
import type { Storage } from '../backend';
import { f32View } from './views';

function fail(msg: string): never {
  throw new Error(`ferrite js backend: attention: ${msg}`);
}

function checkConfig(c: AttentionConfig): void {
  for (const k of ['batch', 'heads', 't', 's', 'dk', 'dv', 'maskBatch', 'maskHeads'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 0) fail(`${k} must be a non-negative integer, got ${c[k]}`);
  }
  if (!(c.dropout >= 0 && c.dropout < 1)) fail(`dropout must be in [0, 1), got ${c.dropout}`);
  if (!(c.maskBatch === 1 || c.maskBatch === c.batch) || !(c.maskHeads === 1 || c.maskHeads === c.heads)) {
    fail(`attention mask extents [${c.maskBatch}, ${c.maskHeads}] must be 1 or [${c.batch}, ${c.heads}]`);
  }
}

interface Views {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  qm: Float32Array | null;
  kvm: Float32Array | null;
  am: Float32Array | null;
}

function views(c: AttentionConfig, a: { q: Storage; k: Storage; v: Storage; queryMask: Storage | null; kvMask: Storage | null; attnMask: Storage | null }): Views {
  return {
    q: f32View(a.q, c.batch * c.t * c.heads * c.dk, 'attention q'),
    k: f32View(a.k, c.batch * c.s * c.heads * c.dk, 'attention k'),
    v: f32View(a.v, c.batch * c.s * c.heads * c.dv, 'attention v'),
    qm: a.queryMask ? f32View(a.queryMask, c.batch * c.t, 'attention queryMask') : null,
    kvm: a.kvMask ? f32View(a.kvMask, c.batch * c.s, 'attention kvMask') : null,
    am: a.attnMask ? f32View(a.attnMask, c.maskBatch * c.maskHeads * c.t * c.s, 'attention attnMask') : null,
  };
}

/** Whether score (b, h, i, j) is kept (Keras' rules: query, key/value, attention mask, causal). */
function kept(c: AttentionConfig, m: Views, b: number, h: number, i: number, j: number): boolean {
  if (m.qm && m.qm[b * c.t + i] === 0) return false;
  if (c.causal && j > i) return false;
  if (m.kvm && m.kvm[b * c.s + j] === 0) return false;
  if (m.am) {
    const mb = c.maskBatch === 1 ? 0 : b, mh = c.maskHeads === 1 ? 0 : h;
    if (m.am[((mb * c.maskHeads + mh) * c.t + i) * c.s + j] === 0) return false;
  }
  return true;
}

/** The masked, scaled scores of query i into `row` (a masked score + −1e9, rounded as float32). */
function scoreRow(c: AttentionConfig, m: Views, b: number, h: number, i: number, row: Float64Array): void {
  const { heads, dk, s } = c;
  const qo = ((b * c.t + i) * heads + h) * dk;
  for (let j = 0; j < s; j++) {
    const ko = ((b * s + j) * heads + h) * dk;
    let x = 0;
    for (let d = 0; d < dk; d++) x += m.q[qo + d] * m.k[ko + d];
    x *= c.scale;
    row[j] = kept(c, m, b, h, i, j) ? x : Math.fround(Math.fround(x) + ATTENTION_MASKED);
  }
}

export function attentionForward(c: AttentionConfig, a: AttentionForwardArgs): void {
  checkConfig(c);
  if ((a.probs === null) === (a.lse === null)) fail('exactly one of probs and lse must be given');
  const { batch, heads, t, s, dv } = c;
  const m = views(c, a);
  const out = f32View(a.out, batch * t * heads * dv, 'attention out');
  const probs = a.probs ? f32View(a.probs, batch * heads * t * s, 'attention probs') : null;
  const lse = a.lse ? f32View(a.lse, 2 * batch * heads * t, 'attention lse') : null;
  const drop = c.dropout > 0 ? new AttentionDropout(c.dropout, c.seed) : null;
  const row = new Float64Array(s);
  const acc = new Float64Array(dv);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < t; i++) {
        scoreRow(c, m, b, h, i, row);
        let mx = -Infinity;
        for (let j = 0; j < s; j++) if (row[j] > mx) mx = row[j];
        let l = 0;
        for (let j = 0; j < s; j++) {
          row[j] = Math.exp(row[j] - mx);
          l += row[j];
        }
        const key = drop ? drop.rowKey(c, b, h, i) : 0;
        acc.fill(0);
        const pAt = ((b * heads + h) * t + i) * s;
        for (let j = 0; j < s; j++) {
          const p = row[j] / l;
          if (probs) probs[pAt + j] = p;
          const w = drop ? p * drop.factor(key, j) : p;
          if (w === 0) continue;
          const vo = ((b * s + j) * heads + h) * dv;
          for (let d = 0; d < dv; d++) acc[d] += w * m.v[vo + d];
        }
        out.set(acc, ((b * t + i) * heads + h) * dv);
        if (lse) {
          const at = 2 * ((b * heads + h) * t + i);
          lse[at] = mx;
          lse[at + 1] = s > 0 ? Math.log(l) : 0;
        }
      }
    }
  }
}

export function attentionBackward(c: AttentionConfig, a: AttentionBackwardArgs): void {
  checkConfig(c);
  if ((a.probs === null) === (a.lse === null)) fail('exactly one of probs and lse must be given');
  if (a.lse && a.dProbs) fail('a gradient of the probabilities needs the stored probabilities (probs), not lse');
  const { batch, heads, t, s, dk, dv } = c;
  const m = views(c, a);
  const probs = a.probs ? f32View(a.probs, batch * heads * t * s, 'attention probs') : null;
  const lse = a.lse ? f32View(a.lse, 2 * batch * heads * t, 'attention lse') : null;
  const dOut = a.dOut ? f32View(a.dOut, batch * t * heads * dv, 'attention dOut') : null;
  const dProbs = a.dProbs ? f32View(a.dProbs, batch * heads * t * s, 'attention dProbs') : null;
  const drop = c.dropout > 0 ? new AttentionDropout(c.dropout, c.seed) : null;
  const dq = new Float64Array(batch * t * heads * dk);
  const dk64 = new Float64Array(batch * s * heads * dk);
  const dv64 = new Float64Array(batch * s * heads * dv);
  const p = new Float64Array(s), g = new Float64Array(s);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < t; i++) {
        const pAt = ((b * heads + h) * t + i) * s;
        if (probs) {
          for (let j = 0; j < s; j++) p[j] = probs[pAt + j];
        } else {
          const at = 2 * ((b * heads + h) * t + i);
          scoreRow(c, m, b, h, i, p);
          for (let j = 0; j < s; j++) p[j] = Math.exp(p[j] - lse![at] - lse![at + 1]);
        }
        const key = drop ? drop.rowKey(c, b, h, i) : 0;
        const oAt = ((b * t + i) * heads + h) * dv;
        // g = ∂L/∂P: through the output (and dropout), plus the probabilities' own gradient.
        for (let j = 0; j < s; j++) {
          let x = 0;
          if (dOut) {
            const f = drop ? drop.factor(key, j) : 1;
            const vo = ((b * s + j) * heads + h) * dv;
            if (f !== 0) {
              for (let d = 0; d < dv; d++) x += dOut[oAt + d] * m.v[vo + d];
              x *= f;
              const w = p[j] * f;
              for (let d = 0; d < dv; d++) dv64[vo + d] += w * dOut[oAt + d];
            }
          }
          g[j] = x + (dProbs ? dProbs[pAt + j] : 0);
        }
        let dot = 0;
        for (let j = 0; j < s; j++) dot += p[j] * g[j];
        const qo = ((b * t + i) * heads + h) * dk;
        for (let j = 0; j < s; j++) {
          const ds = p[j] * (g[j] - dot) * c.scale;
          if (ds === 0) continue;
          const ko = ((b * s + j) * heads + h) * dk;
          for (let d = 0; d < dk; d++) {
            dq[qo + d] += ds * m.k[ko + d];
            dk64[ko + d] += ds * m.q[qo + d];
          }
        }
      }
    }
  }
  f32View(a.dq, dq.length, 'attention dq').set(dq);
  f32View(a.dk, dk64.length, 'attention dk').set(dk64);
  f32View(a.dv, dv64.length, 'attention dv').set(dv64);
}
