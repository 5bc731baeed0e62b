/**
 * 3-D pooling with TensorFlow.js names and argument orders — maxPool3d(x, filterSize,
 * strides, pad, dimRoundingMode, 'NDHWC') and avgPool3d(…) on [batch, depth, height, width,
 * channels] (or without the batch) — and 1-D pooling over [batch, steps, channels] (or
 * [steps, channels]): maxPool1d(x, poolSize, strides, pad) and avgPool1d(…), which
 * TensorFlow.js has only inside its layers. All run on the 3-D kernels. Padding never takes
 * part: a max ignores it and an average divides by the real elements (as TensorFlow).
 */
import type { Pool3dGeometry } from '../backend/spatial-geometry';
import { record } from '../autograd';
import { ENGINE } from '../engine';
import { emptyTensor, Tensor } from '../tensor';
import type { TensorOrNumber } from './convert';
import { reshape } from './shape';
import { floatInput, freeTemps, pool1dGeometry, pool3dGeometry, tupleOf, type DimRoundingMode, type Padding3d } from './spatial-util';
import { fmt } from './util';

type Kind = 'max' | 'avg';

function poolCore(kind: Kind, op: string, x: Tensor, g: Pool3dGeometry): Tensor {
  const out = emptyTensor([g.batchSize, g.outDepth, g.outHeight, g.outWidth, g.channels]);
  if (out.size) {
    if (kind === 'max') ENGINE.get().maxPool3d(x.storage, out.storage, g);
    else ENGINE.get().avgPool3d(x.storage, out.storage, g);
  }
  return record(out, op, [x], (dy) => {
    const dx = emptyTensor(x.shape);
    if (dx.size) {
      if (kind === 'max') ENGINE.get().maxPool3dGrad(x.storage, dy.storage, dx.storage, g);
      else ENGINE.get().avgPool3dGrad(dy.storage, dx.storage, g);
    }
    return [dx];
  });
}

/** Pools x viewed as [batch, depth, height, width, channels] and gives the result `outShape(g)`. */
function pooled(kind: Kind, op: string, x: Tensor, as5d: number[], size: number[], strides: number[], pad: Padding3d,
  mode: DimRoundingMode | undefined, outShape: (g: Pool3dGeometry) => number[]): Tensor {
  const g = pool3dGeometry(op, as5d, size, strides, pad, mode);
  const x5 = reshape(x, as5d);
  const out = poolCore(kind, op, x5, g);
  const y = reshape(out, outShape(g));
  freeTemps(y, [x5, out], [x]);
  return y;
}

function pool3d(
  kind: Kind, op: string, input: TensorOrNumber, filterSize: [number, number, number] | number,
  strides: [number, number, number] | number | undefined, pad: Padding3d, mode: DimRoundingMode | undefined,
  dataFormat: string,
): Tensor {
  if (dataFormat !== 'NDHWC') throw new Error(`${op}: only dataFormat 'NDHWC' is supported, got '${dataFormat}'`);
  const x = floatInput(op, input);
  if (x.rank !== 4 && x.rank !== 5) {
    throw new Error(`${op}: expected input of rank 5 [batch, depth, height, width, channels] (or 4 without the batch), got ${fmt(x.shape)}`);
  }
  const size = tupleOf(op, 'filterSize', filterSize, 3, 1);
  const st = tupleOf(op, 'strides', strides, 3, 1);
  const as5d = x.rank === 5 ? [...x.shape] : [1, ...x.shape];
  if (x.rank === 5) return poolCore(kind, op, x, pool3dGeometry(op, as5d, size, st, pad, mode));
  return pooled(kind, op, x, as5d, size, st, pad, mode, (g) => [g.outDepth, g.outHeight, g.outWidth, g.channels]);
}

/** Max over windows of filterSize [depth, height, width] (as tf.maxPool3d; strides default 1). */
export function maxPool3d(
  x: TensorOrNumber, filterSize: [number, number, number] | number = 1, strides: [number, number, number] | number = 1,
  pad: Padding3d = 'valid', dimRoundingMode?: DimRoundingMode, dataFormat: 'NDHWC' | 'NCDHW' = 'NDHWC', op = 'maxPool3d',
): Tensor {
  return pool3d('max', op, x, filterSize, strides, pad, dimRoundingMode, dataFormat);
}

/** Mean over windows of filterSize, padding excluded from the count (as tf.avgPool3d). */
export function avgPool3d(
  x: TensorOrNumber, filterSize: [number, number, number] | number = 1, strides: [number, number, number] | number = 1,
  pad: Padding3d = 'valid', dimRoundingMode?: DimRoundingMode, dataFormat: 'NDHWC' | 'NCDHW' = 'NDHWC', op = 'avgPool3d',
): Tensor {
  return pool3d('avg', op, x, filterSize, strides, pad, dimRoundingMode, dataFormat);
}

function pool1d(kind: Kind, op: string, input: TensorOrNumber, poolSize: number, strides: number | undefined, pad: Padding3d): Tensor {
  const x = floatInput(op, input);
  if (x.rank !== 2 && x.rank !== 3) {
    throw new Error(`${op}: expected input of rank 3 [batch, steps, channels] (or 2 without the batch), got ${fmt(x.shape)}`);
  }
  const [size] = tupleOf(op, 'poolSize', poolSize, 1, 1);
  const [st] = tupleOf(op, 'strides', strides, 1, size);
  const [n, w, c] = x.rank === 3 ? x.shape : [1, ...x.shape];
  const g = pool1dGeometry(op, [n, w, c], size, st, pad);
  const x5 = reshape(x, [n, 1, 1, w, c]);
  const out = poolCore(kind, op, x5, g);
  const y = reshape(out, x.rank === 3 ? [n, g.outWidth, c] : [g.outWidth, c]);
  freeTemps(y, [x5, out], [x]);
  return y;
}

/**
 * Max over windows of poolSize steps of x [batch, steps, channels] (or [steps, channels]);
 * strides default to poolSize, pad 'valid' | 'same' | a number of steps on each side.
 */
export function maxPool1d(x: TensorOrNumber, poolSize = 2, strides?: number, pad: Padding3d = 'valid', op = 'maxPool1d'): Tensor {
  return pool1d('max', op, x, poolSize, strides, pad);
}

/** Mean over windows of poolSize steps, padding excluded from the count (see maxPool1d). */
export function avgPool1d(x: TensorOrNumber, poolSize = 2, strides?: number, pad: Padding3d = 'valid', op = 'avgPool1d'): Tensor {
  return pool1d('avg', op, x, poolSize, strides, pad);
}
