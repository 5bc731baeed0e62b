/**
 * 2-D pooling with TensorFlow.js names: maxPool(x, filterSize, strides, pad) and
 * avgPool(…), on [batch, height, width, channels] (or without the batch). Padding never
 * takes part: a max ignores it and an average divides by the real elements (as TensorFlow).
 */
import type { Pool2dGeometry } from '../backend/conv-geometry';
import { record } from '../autograd';
import { ENGINE } from '../engine';
import { emptyTensor, Tensor } from '../tensor';
import { toTensor, TensorOrNumber } from './convert';
import { pair, Padding, pool2dGeometry } from './conv-util';
import { reshape } from './shape';
import { fmt } from './util';

type Kind = 'max' | 'avg';

function pool(
  kind: Kind, op: string, input: TensorOrNumber, filterSize: [number, number] | number,
  strides: [number, number] | number | undefined, pad: Padding,
): Tensor {
  const x = toTensor(op, input);
  if (x.dtype !== 'float32') throw new Error(`${op}: expected a float32 input, got ${x.dtype}`);
  if (x.rank !== 3 && x.rank !== 4) {
    throw new Error(`${op}: expected input of rank 4 [batch, height, width, channels] (or 3 without the batch), got ${fmt(x.shape)}`);
  }
  const size = pair(op, 'filterSize', filterSize, 1);
  const st = pair(op, 'strides', strides, 1);
  const x4 = x.rank === 4 ? x : reshape(x, [1, ...x.shape]);
  const g = pool2dGeometry(op, x4.shape, size, st, pad);
  const out = poolCore(kind, op, x4, g);
  return x.rank === 4 ? out : reshape(out, out.shape.slice(1));
}

function poolCore(kind: Kind, op: string, x: Tensor, g: Pool2dGeometry): Tensor {
  const out = emptyTensor([g.batchSize, g.outHeight, g.outWidth, g.channels]);
  if (out.size) {
    if (kind === 'max') ENGINE.get().maxPool2d(x.storage, out.storage, g);
    else ENGINE.get().avgPool2d(x.storage, out.storage, g);
  }
  return record(out, op, [x], (dy) => {
    const dx = emptyTensor(x.shape);
    if (dx.size) {
      if (kind === 'max') ENGINE.get().maxPool2dGrad(x.storage, dy.storage, dx.storage, g);
      else ENGINE.get().avgPool2dGrad(dy.storage, dx.storage, g);
    }
    return [dx];
  });
}

/** Max over windows of filterSize (default strides: 1, as tf.maxPool requires them). */
export function maxPool(
  x: TensorOrNumber, filterSize: [number, number] | number, strides: [number, number] | number = 1, pad: Padding = 'valid',
  op = 'maxPool',
): Tensor {
  return pool('max', op, x, filterSize, strides, pad);
}

/** Mean over windows of filterSize, padding excluded from the count. */
export function avgPool(
  x: TensorOrNumber, filterSize: [number, number] | number, strides: [number, number] | number = 1, pad: Padding = 'valid',
  op = 'avgPool',
): Tensor {
  return pool('avg', op, x, filterSize, strides, pad);
}
