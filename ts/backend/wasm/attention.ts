/** The wasm backend's fused attention and layer normalization: argument marshalling and status codes. */
import type { AttentionBackwardArgs, AttentionConfig, AttentionForwardArgs } from '../attention-types';
import type { Storage } from '../backend';
import type { FerriteExports } from './exports';

const ptr = (s: Storage | null): number => (s ? (s as unknown as { ptr: number }).ptr : 0);

/** The 10 i32 of the attention geometry (crates/ferrite-wasm/src/attention.rs). */
export function attentionGeometryValues(c: AttentionConfig): number[] {
  return [c.batch, c.heads, c.t, c.s, c.dk, c.dv, c.causal ? 1 : 0, c.seed | 0, c.maskBatch, c.maskHeads];
}

function status(op: string, code: number, c: AttentionConfig, memory: WebAssembly.Memory): void {
  if (code === 0) return;
  if (code === -2) throw new Error(`ferrite: ${op}: out of WebAssembly memory for its scratch (heap is ${(memory.buffer.byteLength / 2 ** 20).toFixed(1)} MB)`);
  if (code === -3) throw new Error(`ferrite: ${op}: a gradient of the probabilities needs the stored probabilities, not the log-sum-exp`);
  throw new Error(`ferrite: ${op}: bad arguments (dropout ${c.dropout}, mask extents [${c.maskBatch}, ${c.maskHeads}] of [${c.batch}, ${c.heads}], or not exactly one of probs and lse)`);
}

export function attentionForward(x: FerriteExports, geomAt: (v: number[]) => number, c: AttentionConfig, a: AttentionForwardArgs): void {
  const code = x.ferrite_attention_forward(
    geomAt(attentionGeometryValues(c)), c.scale, c.dropout, ptr(a.q), ptr(a.k), ptr(a.v),
    ptr(a.queryMask), ptr(a.kvMask), ptr(a.attnMask), ptr(a.out), ptr(a.probs), ptr(a.lse));
  status('attentionForward', code, c, x.memory);
}

export function attentionBackward(x: FerriteExports, geomAt: (v: number[]) => number, c: AttentionConfig, a: AttentionBackwardArgs): void {
  const code = x.ferrite_attention_backward(
    geomAt(attentionGeometryValues(c)), c.scale, c.dropout, ptr(a.q), ptr(a.k), ptr(a.v),
    ptr(a.queryMask), ptr(a.kvMask), ptr(a.attnMask), ptr(a.out), ptr(a.probs), ptr(a.lse),
    ptr(a.dOut), ptr(a.dProbs), ptr(a.dq), ptr(a.dk), ptr(a.dv));
  status('attentionBackward', code, c, x.memory);
}

export function layerNorm(
  x: FerriteExports, xs: Storage, gamma: Storage | null, beta: Storage | null, out: Storage, mean: Storage, rstd: Storage,
  rows: number, cols: number, epsilon: number, rms: boolean,
): void {
  x.ferrite_layer_norm(ptr(xs), ptr(gamma), ptr(beta), ptr(out), ptr(mean), ptr(rstd), rows, cols, epsilon, rms ? 1 : 0);
}

export function layerNormGrad(
  x: FerriteExports, xs: Storage, gamma: Storage | null, dy: Storage, mean: Storage, rstd: Storage,
  dx: Storage | null, dgamma: Storage | null, dbeta: Storage | null, rows: number, cols: number, rms: boolean,
): void {
  x.ferrite_layer_norm_grad(ptr(xs), ptr(gamma), ptr(dy), ptr(mean), ptr(rstd), ptr(dx), ptr(dgamma), ptr(dbeta), rows, cols, rms ? 1 : 0);
}
