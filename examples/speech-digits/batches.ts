/**
 * Mini-batches for CTC training: zero-padded features with the mask of real steps, padded
 * labels and both lengths; utterances of similar length batched together (little padding).
 */
import * as fe from 'ferrite-ml';
import type { Example } from './dataset';

export interface Batch {
  /** [batch, steps, dim], zeros past each utterance's end. */
  x: fe.Tensor;
  /** [batch, steps]: 1 at real steps, 0 at padding. */
  mask: fe.Tensor;
  /** int32 [batch, maxLabel], 0 past each label's end (ignored). */
  labels: fe.Tensor;
  inputLengths: Int32Array;
  labelLengths: Int32Array;
}

export function makeBatch(examples: Example[]): Batch {
  const dim = examples[0].data.length / examples[0].steps;
  const steps = Math.max(...examples.map((e) => e.steps));
  const maxLabel = Math.max(...examples.map((e) => e.label.length));
  const b = examples.length;
  const x = new Float32Array(b * steps * dim);
  const mask = new Float32Array(b * steps);
  const labels = new Int32Array(b * maxLabel);
  examples.forEach((e, i) => {
    x.set(e.data, i * steps * dim);
    mask.fill(1, i * steps, i * steps + e.steps);
    labels.set(e.label, i * maxLabel);
  });
  return {
    x: fe.tensor(x, [b, steps, dim]),
    mask: fe.tensor(mask, [b, steps]),
    labels: fe.tensor(labels, [b, maxLabel], 'int32'),
    inputLengths: Int32Array.from(examples, (e) => e.steps),
    labelLengths: Int32Array.from(examples, (e) => e.label.length),
  };
}

export function disposeBatch(b: Batch): void {
  fe.dispose([b.x, b.mask, b.labels]);
}

/** Groups of `size` utterances of similar length, the groups in a shuffled order. */
export function batchesOf(examples: Example[], size: number, rng: () => number): Example[][] {
  const order = examples.map((e) => ({ e, key: e.steps + 4 * rng() })).sort((a, b) => a.key - b.key);
  const out: Example[][] = [];
  for (let i = 0; i < order.length; i += size) out.push(order.slice(i, i + size).map((o) => o.e));
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
