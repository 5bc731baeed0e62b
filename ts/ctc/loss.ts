/**
 * The CTC loss as users call it: PyTorch style with explicit lengths, and Keras style as a
 * `(yTrue, yPred)` loss for `model.compile`, where the lengths travel inside yTrue.
 */
import { noGrad } from '../autograd';
import { ctcLoss, type CtcLossOptions, type IntsLike } from '../ops/ctc';
import * as ops from '../ops/index';
import { fmt } from '../ops/util';
import { Tensor } from '../tensor';

export interface CtcInputs {
  /** [batch, time, classes], before softmax. */
  logits: Tensor;
  /** int32 [batch, maxLabel], padded past each label length (any value). */
  labels: IntsLike;
  /** int32 [batch]: frames of each sample (≤ time). */
  inputLengths: IntsLike;
  /** int32 [batch]: classes in each label (≤ maxLabel). */
  labelLengths: IntsLike;
}

/**
 * The CTC loss, PyTorch style:
 *   const loss = fe.losses.ctc({ logits, labels, inputLengths, labelLengths }, { blank: 0 });
 *   loss.backward();
 * 'mean' (default) divides each sample's loss by its label length and averages, as PyTorch;
 * 'sum' adds them; 'none' gives the negative log-likelihood per sample [batch].
 */
export function ctc(inputs: CtcInputs, options: CtcLossOptions = {}): Tensor {
  if (!inputs || !(inputs.logits instanceof Tensor)) {
    throw new Error('losses.ctc: expected { logits, labels, inputLengths, labelLengths } with logits a tensor [batch, time, classes]');
  }
  return ctcLoss(inputs.logits, inputs.labels, inputs.inputLengths, inputs.labelLengths, options);
}

export interface CtcKerasLossOptions {
  blank?: number;
  /** 'mean' (default, per-label-length as PyTorch) or 'sum', over the batch. */
  reduction?: 'mean' | 'sum';
  zeroInfinity?: boolean;
  /**
   * yTrue's first column holds each sample's input length (see packTargets); without it
   * every sample uses all the frames of yPred.
   */
  withInputLengths?: boolean;
}

/** The value that pads labels in Keras-style targets. */
export const LABEL_PAD = -1;

/**
 * Targets for a Keras-style CTC loss: int32 [batch, maxLabel] (or [batch, 1 + maxLabel] with
 * the input lengths first), each label followed by −1 padding.
 */
export function packTargets(labels: ArrayLike<number>[], options: { inputLengths?: ArrayLike<number>; maxLabel?: number } = {}): Tensor {
  const maxLabel = options.maxLabel ?? labels.reduce((m, l) => Math.max(m, l.length), 0);
  const lens = options.inputLengths;
  if (lens && lens.length !== labels.length) {
    throw new Error(`packTargets: ${labels.length} labels but ${lens.length} input lengths`);
  }
  const width = maxLabel + (lens ? 1 : 0);
  const out = new Int32Array(labels.length * width).fill(LABEL_PAD);
  labels.forEach((l, b) => {
    if (l.length > maxLabel) throw new Error(`packTargets: label ${b} has ${l.length} classes, more than maxLabel = ${maxLabel}`);
    let at = b * width;
    if (lens) out[at++] = lens[b];
    for (let j = 0; j < l.length; j++) {
      if (l[j] < 0) throw new Error(`packTargets: label ${b} has a negative class ${l[j]}`);
      out[at + j] = l[j];
    }
  });
  return ops.tensor(out, [labels.length, width], 'int32');
}

/**
 * A Keras-style loss `(yTrue, yPred) => scalar` for `model.compile({ loss })`:
 * yTrue holds labels padded with −1 (a label ends at its first negative entry), optionally
 * preceded by the input lengths (`withInputLengths`, see packTargets); yPred is the model's
 * output [batch, time, classes] — logits, as a final linear Dense gives. When yPred's rows are
 * probabilities (all ≥ 0, each summing to 1: a final softmax) their log is used, which is the
 * same loss. `compile({ loss: 'ctc' })` is ctcLossFn() with the defaults.
 */
export function ctcLossFn(options: CtcKerasLossOptions = {}): (yTrue: Tensor, yPred: Tensor) => Tensor {
  const { withInputLengths = false, ...rest } = options;
  return (yTrue: Tensor, yPred: Tensor): Tensor => {
    if (yPred.rank !== 3) throw new Error(`ctc loss: predictions must have shape [batch, time, classes], got ${fmt(yPred.shape)}`);
    const [batch, time] = yPred.shape;
    // A single sample's targets may come as one row.
    const row = yTrue.rank === 1 && batch === 1;
    if (!row && (yTrue.rank !== 2 || yTrue.shape[0] !== batch)) {
      throw new Error(`ctc loss: targets must have shape [${batch}, ${withInputLengths ? '1 + ' : ''}maxLabel], got ${fmt(yTrue.shape)}`);
    }
    const cols = row ? yTrue.size : yTrue.shape[1];
    const width = cols - (withInputLengths ? 1 : 0);
    if (width < 0) throw new Error(`ctc loss: withInputLengths needs targets [${batch}, 1 + maxLabel], got ${fmt(yTrue.shape)}`);
    const v = yTrue.dataSync();
    const labels = new Int32Array(batch * width);
    const labelLengths = new Int32Array(batch);
    const inputLengths = new Int32Array(batch).fill(time);
    for (let b = 0; b < batch; b++) {
      let at = b * cols;
      if (withInputLengths) inputLengths[b] = Math.trunc(v[at++]);
      let n = 0;
      while (n < width && v[at + n] >= 0) n++;
      labelLengths[b] = n;
      for (let j = 0; j < n; j++) labels[b * width + j] = Math.trunc(v[at + j]);
    }
    const logits = looksLikeProbabilities(yPred) ? ops.log(ops.maximum(yPred, 1e-30)) : yPred;
    // The kernel reads the labels during the call only: free them here, error or not.
    const lab = ops.tensor(labels, [batch, width], 'int32');
    try {
      return ctcLoss(logits, lab, inputLengths, labelLengths, rest);
    } finally {
      lab.dispose();
    }
  };
}

function looksLikeProbabilities(p: Tensor): boolean {
  return noGrad(() => {
    const v = p.dataSync();
    const c = p.shape[2];
    if (c < 2) return false;
    for (let i = 0; i < v.length; i += c) {
      let s = 0;
      for (let k = 0; k < c; k++) {
        if (!(v[i + k] >= 0)) return false;
        s += v[i + k];
      }
      if (Math.abs(s - 1) > 1e-4) return false;
    }
    return v.length > 0;
  });
}
