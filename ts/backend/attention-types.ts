/**
 * The fused attention kernel's configuration and arguments (crates/ferrite-core/src/attention;
 * js: ts/backend/js/attention.ts). Per batch b and head h:
 *   scores = scale·Q·Kᵀ, masked scores + (−1e9), P = softmax over the keys, O = dropout(P)·V.
 * Layouts (those of Keras' MultiHeadAttention projections):
 * - q [batch, t, heads, dk], k [batch, s, heads, dk], v [batch, s, heads, dv], out [batch, t, heads, dv];
 * - probs [batch, heads, t, s] (the softmax before dropout: the stored algorithm), or
 *   lse [batch, heads, t, 2]: each row's (max m, ln Σ exp(x − m)) (the tiled algorithm);
 * - masks (nonzero keeps): queryMask [batch, t], kvMask [batch, s], attnMask
 *   [maskBatch, maskHeads, t, s] (maskBatch ∈ {1, batch}, maskHeads ∈ {1, heads}).
 * Dropout keeps a probability when a counter-based hash of (seed, row, key) is at least
 * ⌊rate·2³²⌋, and scales it by 1/(1 − rate): both backends draw the same mask.
 */
import type { Storage } from './backend';

export interface AttentionConfig {
  batch: number;
  heads: number;
  /** Query length. */
  t: number;
  /** Key/value length. */
  s: number;
  dk: number;
  dv: number;
  scale: number;
  causal: boolean;
  /** In [0, 1). */
  dropout: number;
  /** 32-bit seed of the dropout mask. */
  seed: number;
  maskBatch: number;
  maskHeads: number;
}

export interface AttentionForwardArgs {
  q: Storage;
  k: Storage;
  v: Storage;
  queryMask: Storage | null;
  kvMask: Storage | null;
  attnMask: Storage | null;
  out: Storage;
  /** Exactly one of probs and lse. */
  probs: Storage | null;
  lse: Storage | null;
}

export interface AttentionBackwardArgs {
  q: Storage;
  k: Storage;
  v: Storage;
  queryMask: Storage | null;
  kvMask: Storage | null;
  attnMask: Storage | null;
  /** The forward output (read with lse). */
  out: Storage | null;
  probs: Storage | null;
  lse: Storage | null;
  /** Gradients of the output and of the probabilities (null: zero; dProbs needs probs). */
  dOut: Storage | null;
  dProbs: Storage | null;
  dq: Storage;
  dk: Storage;
  dv: Storage;
}

/** Added to a masked score before the softmax (Keras' and TensorFlow.js' masked softmax). */
export const ATTENTION_MASKED = -1e9;

/** Wellons' lowbias32: the dropout hash (crates/ferrite-core/src/attention/mask.rs). */
export function mix32(x: number): number {
  x >>>= 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/** The dropout draw of one attention call, identical to the Rust kernel's. */
export class AttentionDropout {
  readonly threshold: number;
  /** 1/(1 − rate) in float32. */
  readonly scale: number;
  constructor(rate: number, readonly seed: number) {
    const r = Math.fround(rate);
    this.threshold = Math.min(Math.floor(r * 4294967296), 4294967295);
    this.scale = Math.fround(1 / Math.fround(1 - r));
  }

  /** The key of score row (b·heads + h)·t + i, in wrapping 32-bit arithmetic. */
  rowKey(c: AttentionConfig, b: number, h: number, i: number): number {
    const row = (Math.imul(b * c.heads + h, c.t) + i) >>> 0;
    return mix32((this.seed ^ mix32((row + 0x9e3779b9) >>> 0)) >>> 0);
  }

  /** 0 (dropped) or scale. */
  factor(rowKey: number, j: number): number {
    return mix32((rowKey + Math.imul(j, 0x9e3779b9)) >>> 0) >= this.threshold ? this.scale : 0;
  }
}
