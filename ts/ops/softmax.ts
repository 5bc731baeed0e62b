/** softmax and logSoftmax over the last axis (as tf.softmax / tf.logSoftmax). */
import { record } from '../autograd';
import { ENGINE } from '../engine';
import { emptyTensor, Tensor } from '../tensor';
import { toTensor, TensorOrNumber } from './convert';
import { normalizeAxis } from './util';

function rowsCols(op: string, x: Tensor, dim: number): [number, number] {
  const a = normalizeAxis(op, dim, x.rank);
  if (a !== x.rank - 1) throw new Error(`${op}: only the last axis is supported (got axis ${dim} of rank ${x.rank})`);
  const cols = x.shape[x.rank - 1] ?? 1;
  return [cols ? x.size / cols : 0, cols];
}

export function softmax(input: TensorOrNumber, dim = -1): Tensor {
  const x = toTensor('softmax', input);
  const [rows, cols] = rowsCols('softmax', x, dim);
  const y = emptyTensor(x.shape);
  if (y.size) ENGINE.get().softmax(x.storage, y.storage, rows, cols);
  return record(y, 'softmax', [x], (dy) => {
    const dx = emptyTensor(x.shape);
    ENGINE.get().softmaxGrad(y.storage, dy.storage, dx.storage, rows, cols);
    return [dx];
  });
}

export function logSoftmax(input: TensorOrNumber, dim = -1): Tensor {
  const x = toTensor('logSoftmax', input);
  const [rows, cols] = rowsCols('logSoftmax', x, dim);
  const y = emptyTensor(x.shape);
  if (y.size) ENGINE.get().logSoftmax(x.storage, y.storage, rows, cols);
  return record(y, 'logSoftmax', [x], (dy) => {
    const dx = emptyTensor(x.shape);
    ENGINE.get().logSoftmaxGrad(y.storage, dy.storage, dx.storage, rows, cols);
    return [dx];
  });
}
