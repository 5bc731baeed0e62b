/**
 * The CTC loss op: one backend kernel gives the per-sample negative log-likelihood and its
 * gradient w.r.t. the logits (softmax fused in); the tape scales that gradient by the
 * incoming one. Reductions are ordinary ops on the per-sample losses, so they differentiate
 * like anything else.
 */
import { record } from '../autograd';
import { ENGINE } from '../engine';
import { emptyTensor, Tensor } from '../tensor';
import * as ops from './index';
import { fmt } from './util';

export type CtcReduction = 'none' | 'mean' | 'sum';

export interface CtcLossOptions {
  /** Index of the blank class (default 0, as PyTorch and Keras 3). */
  blank?: number;
  /**
   * 'none': the loss per sample [batch]; 'sum': their sum; 'mean' (default): each divided by
   * its label length (at least 1), then averaged over the batch — PyTorch's 'mean'.
   */
  reduction?: CtcReduction;
  /** Impossible samples (a label longer than its input allows) get loss 0 and no gradient. */
  zeroInfinity?: boolean;
}

/** Integers as an int32 tensor: a tensor (float32 values are truncated) or plain numbers. */
export type IntsLike = Tensor | ArrayLike<number> | number[][];

function toInt32(name: string, x: IntsLike): { t: Tensor; owned: boolean } {
  if (x instanceof Tensor) {
    return x.dtype === 'int32' ? { t: x, owned: false } : { t: ops.cast(x, 'int32'), owned: true };
  }
  if (Array.isArray(x) && x.length > 0 && Array.isArray(x[0])) {
    const rows = x as number[][];
    const cols = rows[0].length;
    const bad = rows.findIndex((r) => r.length !== cols);
    if (bad >= 0) {
      throw new Error(`ctcLoss: ${name} rows must all have the same length (pad them): row 0 has ${cols}, row ${bad} has ${rows[bad].length}`);
    }
    return { t: ops.tensor(rows.flat(), [rows.length, cols], 'int32'), owned: true };
  }
  const flat = Array.from(x as ArrayLike<number>);
  return { t: ops.tensor(flat, [flat.length], 'int32'), owned: true };
}

/** Per-row scaling of grad [rows, cols] by dy [rows]. */
function scaleRows(dy: Tensor, grad: Tensor, rows: number, cols: number): Tensor {
  const out = emptyTensor(grad.shape);
  if (out.size) ENGINE.get().binary('mul', grad.storage, [cols, 1], dy.storage, [1, 0], out.storage, [rows, cols]);
  return out;
}

/**
 * CTC loss (Graves et al., 2006) on logits [batch, time, classes] (before softmax), labels
 * int32 [batch, maxLabel] padded (entries past a sample's label length are ignored), and
 * inputLengths, labelLengths int32 [batch]. Differentiable w.r.t. the logits.
 */
export function ctcLoss(
  logits: Tensor, labels: IntsLike, inputLengths: IntsLike, labelLengths: IntsLike, options: CtcLossOptions = {},
): Tensor {
  const blank = options.blank ?? 0;
  const reduction = options.reduction ?? 'mean';
  const zeroInfinity = options.zeroInfinity ?? false;
  if (!(logits instanceof Tensor) || logits.rank !== 3) {
    throw new Error(`ctcLoss: logits must have shape [batch, time, classes], got ${logits instanceof Tensor ? fmt(logits.shape) : typeof logits}`);
  }
  if (logits.dtype !== 'float32') throw new Error(`ctcLoss: logits must be float32, got ${logits.dtype}`);
  const [batch, time, classes] = logits.shape;
  if (!(Number.isInteger(blank) && blank >= 0 && blank < classes)) {
    throw new Error(`ctcLoss: blank ${blank} is outside [0, ${classes}) for logits of shape ${fmt(logits.shape)}`);
  }
  if (reduction !== 'none' && reduction !== 'mean' && reduction !== 'sum') {
    throw new Error(`ctcLoss: reduction must be 'none', 'mean' or 'sum', got '${String(reduction)}'`);
  }
  const owned: Tensor[] = [];
  const int = (name: string, x: IntsLike) => {
    const r = toInt32(name, x);
    if (r.owned) owned.push(r.t);
    return r.t;
  };
  try {
    let lab = int('labels', labels);
    if (lab.rank === 1 && batch === 1) {
      lab = ops.reshape(lab, [1, lab.size]);
      owned.push(lab);
    }
    const il = int('inputLengths', inputLengths);
    const ll = int('labelLengths', labelLengths);
    if (lab.rank !== 2 || lab.shape[0] !== batch) {
      throw new Error(`ctcLoss: labels must have shape [${batch}, maxLabel] for logits ${fmt(logits.shape)}, got ${fmt(lab.shape)}`);
    }
    for (const [name, t] of [['inputLengths', il], ['labelLengths', ll]] as const) {
      if (t.rank !== 1 || t.shape[0] !== batch) {
        throw new Error(`ctcLoss: ${name} must have shape [${batch}], got ${fmt(t.shape)}`);
      }
    }
    const maxLabel = lab.shape[1];
    const loss = emptyTensor([batch]);
    const grad = emptyTensor([batch, time, classes]);
    const b = ENGINE.get();
    const bad = batch
      ? b.ctcLoss(logits.storage, lab.storage, il.storage, ll.storage, loss.storage, grad.storage,
        batch, time, classes, maxLabel, blank, zeroInfinity)
      : -1;
    if (bad >= 0) {
      loss.dispose();
      grad.dispose();
      throw new Error(describeBadSample(bad, lab, il, ll, time, classes, blank));
    }
    const perSample = record(loss, 'ctcLoss', [logits], (dy) => [scaleRows(dy, grad, batch, time * classes)]);
    if (!perSample.gradFn) grad.dispose();
    if (reduction === 'none') return perSample;
    if (reduction === 'sum') return ops.sum(perSample);
    const divisor = ops.maximum(ops.cast(ll, 'float32'), 1);
    return ops.mean(ops.div(perSample, divisor));
  } finally {
    for (const t of owned) t.dispose();
  }
}

function describeBadSample(b: number, lab: Tensor, il: Tensor, ll: Tensor, time: number, classes: number, blank: number): string {
  const tl = il.dataSync()[b];
  const n = ll.dataSync()[b];
  const maxLabel = lab.shape[1];
  if (tl < 0 || tl > time) return `ctcLoss: sample ${b}: input length ${tl} is outside [0, ${time}] (the logits' time axis)`;
  if (n < 0 || n > maxLabel) return `ctcLoss: sample ${b}: label length ${n} is outside [0, ${maxLabel}] (the labels' second axis)`;
  const row = lab.dataSync().subarray(b * maxLabel, b * maxLabel + n);
  const j = row.findIndex((c) => c < 0 || c >= classes || c === blank);
  const c = row[j];
  return c === blank
    ? `ctcLoss: sample ${b}: label [${b}, ${j}] is the blank class ${blank}`
    : `ctcLoss: sample ${b}: label [${b}, ${j}] = ${c} is outside [0, ${classes})`;
}
