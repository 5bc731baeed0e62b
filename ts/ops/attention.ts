/**
 * Scaled dot-product attention as one fused op (one backend call forward, one backward):
 * q [batch, t, heads, dk], k [batch, s, heads, dk], v [batch, s, heads, dv] → [batch, t,
 * heads, dv], the layout of Keras' MultiHeadAttention projections and of
 * keras.ops.dot_product_attention. Scores are scale·q·k; masked scores get −1e9 added before
 * the softmax (Keras' and TensorFlow.js' masked softmax: a fully masked row attends uniformly);
 * dropout on the probabilities comes from a seed, so the backward pass redraws the same mask.
 * Semantics in detail: ../backend/attention-types.ts.
 */
import { needsGrad, record } from '../autograd';
import type { AttentionConfig } from '../backend/attention-types';
import { ENGINE } from '../engine';
import { emptyTensor, Tensor } from '../tensor';
import { rngFor } from './random';
import { cast, clone } from './shape';
import { fmt } from './util';

export interface DotProductAttentionOptions {
  /** Multiplies q·k (default 1/√dk). */
  scale?: number;
  /** [batch, t]: 0 marks a padded query, whose row then attends uniformly (Keras' query mask). */
  queryMask?: Tensor | null;
  /** [batch, s]: 0 marks a padded key/value position. */
  keyMask?: Tensor | null;
  /** Which scores are kept (nonzero): [t, s], [batch or 1, t, s] or [batch or 1, heads or 1, t, s]. */
  mask?: Tensor | null;
  /** Keys after their query are masked (key j is kept for query i when j ≤ i). */
  isCausal?: boolean;
  /** Dropout rate on the probabilities (the caller applies it only in training). */
  dropout?: number;
  /** Seed of the dropout mask (default: drawn from the shared generator, fe.setRandomSeed). */
  seed?: number;
  /**
   * 'stored' keeps the probabilities for the backward pass; 'tiled' walks the keys in blocks
   * and keeps each row's log-sum-exp only (for long sequences). Default 'auto': stored when
   * t·s ≤ 65536 or the scores are returned, tiled otherwise.
   */
  algorithm?: 'auto' | 'stored' | 'tiled';
  /** Names the caller (a layer) in error messages. */
  name?: string;
}

/** Above this many scores per head, 'auto' picks the tiled algorithm. */
export const STORED_MAX_SCORES = 65536;

export interface AttentionOptions extends DotProductAttentionOptions {
  /** Also return the probabilities [batch, heads, t, s] (differentiable). */
  returnScores?: boolean;
  /** q, k, v (and the output) are [batch, length, heads·depth] with this many heads. */
  heads?: number;
}

export interface AttentionResult {
  /** [batch, t, heads, dv] ([batch, t, heads·dv] with `heads`). */
  output: Tensor;
  /** [batch, heads, t, s]: the probabilities before dropout (only with returnScores). */
  scores: Tensor | null;
}

function checkTensor(who: string, what: string, t: Tensor, shape: (number | null)[], layout: string): void {
  const ok = t.rank === shape.length && shape.every((d, i) => d === null || d === t.shape[i]);
  if (!ok) throw new Error(`${who}: expected ${what} of shape ${fmt(shape.map((d) => d ?? 'any') as unknown as number[])} ${layout}, got ${fmt(t.shape)}`);
}

/** A float32 version of a mask (the caller disposes it when it is not the argument itself). */
function floatMask(m: Tensor): Tensor {
  return m.dtype === 'float32' ? m : cast(m, 'float32');
}

/**
 * Attention with the probabilities as a second result (`returnScores`), for layers.
 * Both results are differentiable.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): AttentionResult {
  const who = opts.name ?? 'dotProductAttention';
  // With `heads`, the heads are folded into the last axis: [batch, length, heads·depth].
  const folded = opts.heads !== undefined;
  const rank = folded ? 3 : 4;
  const layout = folded ? '[batch, length, heads·depth]' : '[batch, length, heads, depth]';
  for (const [what, t] of [['query', q], ['key', k], ['value', v]] as const) {
    if (!(t instanceof Tensor)) throw new Error(`${who}: ${what} must be a tensor`);
    if (t.rank !== rank) throw new Error(`${who}: expected ${what} of rank ${rank} ${layout}, got ${fmt(t.shape)}`);
    if (t.dtype !== 'float32') throw new Error(`${who}: expected ${what} to be float32, got ${t.dtype}`);
  }
  const heads = folded ? opts.heads! : q.shape[2];
  if (!Number.isInteger(heads) || heads < 1) throw new Error(`${who}: heads must be a positive integer, got ${opts.heads}`);
  for (const [what, t] of [['query', q], ['key', k], ['value', v]] as const) {
    if (folded && t.shape[2] % heads !== 0) throw new Error(`${who}: the ${what}'s last axis (${t.shape[2]}) is not a multiple of ${heads} heads`);
  }
  const [batch, t] = q.shape;
  const dk = folded ? q.shape[2] / heads : q.shape[3];
  const s = k.shape[1];
  const dv = folded ? v.shape[2] / heads : v.shape[3];
  if (folded) {
    checkTensor(who, 'key', k, [batch, null, heads * dk], '[batch, s, heads·dk] (batch and heads·dk as the query)');
    checkTensor(who, 'value', v, [batch, s, null], '[batch, s, heads·dv] (batch and length as the key)');
  } else {
    checkTensor(who, 'key', k, [batch, null, heads, dk], '[batch, s, heads, dk] (batch, heads and depth as the query)');
    checkTensor(who, 'value', v, [batch, s, heads, null], '[batch, s, heads, dv] (batch, length and heads as the key)');
  }
  const scale = opts.scale ?? 1 / Math.sqrt(Math.max(dk, 1));
  if (!Number.isFinite(scale)) throw new Error(`${who}: scale must be a finite number, got ${opts.scale}`);
  const rate = opts.dropout ?? 0;
  if (!(typeof rate === 'number' && rate >= 0 && rate < 1)) throw new Error(`${who}: dropout must be in [0, 1), got ${opts.dropout}`);
  const algorithm = opts.algorithm ?? 'auto';
  if (!['auto', 'stored', 'tiled'].includes(algorithm)) throw new Error(`${who}: algorithm must be 'auto', 'stored' or 'tiled', got '${algorithm}'`);
  const returnScores = opts.returnScores ?? false;
  if (returnScores && algorithm === 'tiled') throw new Error(`${who}: returning the attention scores needs the stored algorithm, not 'tiled'`);
  // 'auto': the stored algorithm for short sequences (a row of scores is one pass; its backward
  // reads P instead of recomputing it), the tiled one for long ones (memory linear in the length).
  const stored = returnScores || algorithm === 'stored' || (algorithm === 'auto' && t * s <= STORED_MAX_SCORES);

  let maskBatch = 1, maskHeads = 1;
  const m = opts.mask ?? null;
  if (m) {
    const tail = m.shape.slice(-2);
    if (m.rank < 2 || m.rank > 4 || tail[0] !== t || tail[1] !== s) {
      throw new Error(`${who}: expected an attention mask of shape [${t}, ${s}], [batch, ${t}, ${s}] or [batch, heads, ${t}, ${s}], got ${fmt(m.shape)}`);
    }
    if (m.rank >= 3) maskBatch = m.shape[0];
    if (m.rank === 4) maskHeads = m.shape[1];
    if ((maskBatch !== 1 && maskBatch !== batch) || (maskHeads !== 1 && maskHeads !== heads)) {
      throw new Error(`${who}: the attention mask ${fmt(m.shape)} must have batch 1 or ${batch} and heads 1 or ${heads}`);
    }
  }
  if (opts.queryMask) checkTensor(who, 'query mask', opts.queryMask, [batch, t], '[batch, t]');
  if (opts.keyMask) checkTensor(who, 'key mask', opts.keyMask, [batch, s], '[batch, s]');
  const seed = rate > 0 ? (opts.seed ?? Math.floor(rngFor()() * 4294967296)) >>> 0 : 0;
  const cfg: AttentionConfig = {
    batch, heads, t, s, dk, dv, scale, causal: opts.isCausal ?? false, dropout: rate, seed, maskBatch, maskHeads,
  };

  const owned: Tensor[] = [];
  const own = (x: Tensor | null | undefined): Tensor | null => {
    if (!x) return null;
    const f = floatMask(x);
    if (f !== x) owned.push(f);
    return f;
  };
  const qm = own(opts.queryMask), km = own(opts.keyMask), am = own(m);
  const output = emptyTensor(folded ? [batch, t, heads * dv] : [batch, t, heads, dv]);
  const probs = stored ? emptyTensor([batch, heads, t, s]) : null;
  const lse = stored ? null : emptyTensor([batch, heads, t, 2]);
  const masks = { queryMask: qm?.storage ?? null, kvMask: km?.storage ?? null, attnMask: am?.storage ?? null };
  ENGINE.get().attentionForward(cfg, {
    q: q.storage, k: k.storage, v: v.storage, ...masks,
    out: output.storage, probs: probs?.storage ?? null, lse: lse?.storage ?? null,
  });

  const inputs = [q, k, v];
  if (!needsGrad(inputs)) {
    owned.forEach((x) => x.dispose());
    lse?.dispose();
    if (probs && !returnScores) probs.dispose();
    return { output, scores: returnScores ? probs : null };
  }
  const backward = (dOut: Tensor | null, dProbs: Tensor | null): Tensor[] => {
    const dq = emptyTensor(q.shape), dkT = emptyTensor(k.shape), dvT = emptyTensor(v.shape);
    ENGINE.get().attentionBackward(cfg, {
      q: q.storage, k: k.storage, v: v.storage,
      queryMask: qm?.storage ?? null, kvMask: km?.storage ?? null, attnMask: am?.storage ?? null,
      out: stored ? null : output.storage, probs: probs?.storage ?? null, lse: lse?.storage ?? null,
      dOut: dOut?.storage ?? null, dProbs: dProbs?.storage ?? null, dq: dq.storage, dk: dkT.storage, dv: dvT.storage,
    });
    return [dq, dkT, dvT];
  };
  record(output, 'dotProductAttention', inputs, (dy) => backward(dy, null));
  // The returned scores are a copy, so disposing them never takes the saved probabilities.
  const scores = returnScores && probs ? record(clone(probs), 'dotProductAttentionScores', inputs, (dp) => backward(null, dp)) : null;
  return { output, scores };
}

/**
 * Scaled dot-product attention (keras.ops.dot_product_attention's layout and arguments):
 * q [batch, t, heads, dk], k [batch, s, heads, dk], v [batch, s, heads, dv] → [batch, t,
 * heads, dv], forward and backward each one fused kernel.
 */
export function dotProductAttention(query: Tensor, key: Tensor, value: Tensor, opts: DotProductAttentionOptions = {}): Tensor {
  return attention(query, key, value, opts).output;
}
