/**
 * Losses fused with their final activation, on logits: one kernel gives the per-sample loss
 * and the gradient, which the tape hands back on backward().
 */
import { record } from '../autograd';
import { ENGINE } from '../engine';
import { emptyTensor, Tensor } from '../tensor';
import { binaryRaw } from './binary';
import { castTo } from './shape';
import { fmt, shapesEqual } from './util';

function gradTimes(dy: Tensor, grad: Tensor, rows: number, cols: number): Tensor {
  // dy has one value per row; broadcast it over the row's columns.
  const out = emptyTensor(grad.shape);
  ENGINE.get().binary('mul', grad.storage, [cols, 1], dy.storage, [1, 0], out.storage, [rows, cols]);
  return out;
}

/** Element-wise sigmoid cross-entropy on logits (tf.nn.sigmoid_cross_entropy_with_logits). */
export function sigmoidCrossEntropyWithLogits(labels: Tensor, logits: Tensor): Tensor {
  if (!shapesEqual(labels.shape, logits.shape)) {
    throw new Error(`sigmoidCrossEntropyWithLogits: labels ${fmt(labels.shape)} and logits ${fmt(logits.shape)} must have the same shape`);
  }
  if (labels.dtype !== 'float32') {
    const f = castTo(labels, 'float32');
    const out = sigmoidCrossEntropyWithLogits(f, logits);
    f.dispose();
    return out;
  }
  const loss = emptyTensor(logits.shape);
  const grad = emptyTensor(logits.shape);
  if (loss.size) ENGINE.get().sigmoidCrossEntropy(logits.storage, labels.storage, loss.storage, grad.storage, logits.size);
  const out = record(loss, 'sigmoidCrossEntropy', [logits], (dy) => [binaryRaw('sigmoidCrossEntropy', 'mul', dy, grad)]);
  if (!out.gradFn) grad.dispose();
  return out;
}

/**
 * Softmax cross-entropy over the last axis; labels are dense (one-hot or soft, same shape as
 * logits, any dtype) or int32 class ids (shape of logits without the last axis). Returns the
 * loss per row.
 */
export function softmaxCrossEntropyWithLogits(labels: Tensor, logits: Tensor): Tensor {
  if (labels.dtype !== 'float32' && shapesEqual(labels.shape, logits.shape)) {
    const dense = castTo(labels, 'float32');
    const out = softmaxCrossEntropyWithLogits(dense, logits);
    dense.dispose();
    return out;
  }
  const cols = logits.shape[logits.rank - 1];
  const rows = cols ? logits.size / cols : 0;
  const rowShape = logits.shape.slice(0, -1);
  const loss = emptyTensor(rowShape);
  const grad = emptyTensor(logits.shape);
  const b = ENGINE.get();
  if (labels.dtype === 'int32') {
    if (!shapesEqual(labels.shape, rowShape)) {
      throw new Error(`sparseSoftmaxCrossEntropy: labels ${fmt(labels.shape)} must have shape ${fmt(rowShape)} for logits ${fmt(logits.shape)}`);
    }
    const bad = rows ? b.sparseSoftmaxCrossEntropy(logits.storage, labels.storage, loss.storage, grad.storage, rows, cols) : -1;
    if (bad >= 0) {
      const v = labels.dataSync()[bad];
      loss.dispose();
      grad.dispose();
      throw new Error(`sparseSoftmaxCrossEntropy: label ${v} (row ${bad}) is outside [0, ${cols})`);
    }
  } else {
    if (!shapesEqual(labels.shape, logits.shape)) {
      throw new Error(`softmaxCrossEntropy: labels ${fmt(labels.shape)} and logits ${fmt(logits.shape)} must have the same shape`);
    }
    if (rows) b.softmaxCrossEntropy(logits.storage, labels.storage, loss.storage, grad.storage, rows, cols);
  }
  const out = record(loss, 'softmaxCrossEntropy', [logits], (dy) => [gradTimes(dy, grad, rows, cols)]);
  if (!out.gradFn) grad.dispose();
  return out;
}
