/**
 * 3-D convolutions with TensorFlow.js names and argument orders, channels-last (NDHWC):
 * conv3d(x, filter [fd, fh, fw, inChannels, outChannels], strides, pad, 'NDHWC', dilations)
 * and conv3dTranspose(x, filter [fd, fh, fw, outChannels, inChannels], outputShape, strides,
 * pad), with gradients w.r.t. input and filter (themselves differentiable).
 */
import type { Conv3dGeometry } from '../backend/spatial-geometry';
import { record } from '../autograd';
import { ENGINE } from '../engine';
import { emptyTensor, Tensor } from '../tensor';
import type { FusedActivation } from './conv';
import type { TensorOrNumber } from './convert';
import { reshape } from './shape';
import { conv3dGeometry, floatInput, freeTemps, tupleOf, type Padding3d } from './spatial-util';
import { fmt } from './util';

/** The recorded convolution: out = act(conv3d(x, filter) + bias). */
function conv3dCore(op: string, x: Tensor, filter: Tensor, bias: Tensor | null, relu: boolean, g: Conv3dGeometry): Tensor {
  const out = emptyTensor([g.batchSize, g.outDepth, g.outHeight, g.outWidth, g.outChannels]);
  if (out.size) ENGINE.get().conv3d(x.storage, filter.storage, bias ? bias.storage : null, out.storage, g, relu);
  const inputs = bias ? [x, filter, bias] : [x, filter];
  return record(out, op, inputs, (dy) => {
    const b = ENGINE.get();
    // Through the ReLU first: its gradient passes where the output is positive.
    let dz = dy;
    if (relu) {
      dz = emptyTensor(dy.shape);
      if (dz.size) b.unaryGrad('relu', out.storage, dy.storage, dz.storage, dz.size);
    }
    const dx = x.requiresGrad ? backpropInputCore(op, dz, filter, g) : null;
    const dw = filter.requiresGrad ? backpropFilterCore(op, x, dz, g) : null;
    let db: Tensor | null = null;
    if (bias?.requiresGrad) {
      db = emptyTensor(bias.shape);
      if (db.size) b.reduce('sum', dz.storage, db.storage, 1, g.batchSize * g.outDepth * g.outHeight * g.outWidth, g.outChannels);
    }
    if (dz !== dy) dz.dispose();
    return bias ? [dx, dw, db] : [dx, dw];
  });
}

/** dx for the output gradient dy (linear in dy and filter, recorded). */
function backpropInputCore(op: string, dy: Tensor, filter: Tensor, g: Conv3dGeometry): Tensor {
  const dx = emptyTensor([g.batchSize, g.inDepth, g.inHeight, g.inWidth, g.inChannels]);
  if (dx.size) ENGINE.get().conv3dBackpropInput(dy.storage, filter.storage, dx.storage, g);
  return record(dx, op, [dy, filter], (u) => [
    dy.requiresGrad ? conv3dCore(op, u, filter, null, false, g) : null,
    filter.requiresGrad ? backpropFilterCore(op, u, dy, g) : null,
  ]);
}

/** dFilter for input x and output gradient dy (recorded). */
function backpropFilterCore(op: string, x: Tensor, dy: Tensor, g: Conv3dGeometry): Tensor {
  const dw = emptyTensor([g.filterDepth, g.filterHeight, g.filterWidth, g.inChannels, g.outChannels]);
  if (dw.size) ENGINE.get().conv3dBackpropFilter(x.storage, dy.storage, dw.storage, g);
  return record(dw, op, [x, dy], (u) => [
    x.requiresGrad ? backpropInputCore(op, dy, u, g) : null,
    dy.requiresGrad ? conv3dCore(op, x, u, null, false, g) : null,
  ]);
}

export interface Conv3dOptions {
  strides?: [number, number, number] | number;
  pad?: Padding3d;
  dilations?: [number, number, number] | number;
  bias?: Tensor | null;
  activation?: FusedActivation;
}

/** conv3d with an optional bias and ReLU in the same kernel: the Conv3D layer calls this. */
export function conv3dFused(input: TensorOrNumber, filterIn: TensorOrNumber, opts: Conv3dOptions = {}, op = 'conv3d'): Tensor {
  const x = floatInput(op, input, 'input');
  const filter = floatInput(op, filterIn, 'filter');
  const activation = opts.activation ?? 'linear';
  if (activation !== 'linear' && activation !== 'relu') {
    throw new Error(`${op}: fused activation must be 'linear' or 'relu', got '${activation}'`);
  }
  const bias = opts.bias ?? null;
  const f = filter.shape[filter.rank - 1];
  if (bias && (bias.dtype !== 'float32' || bias.rank !== 1 || bias.shape[0] !== f)) {
    throw new Error(`${op}: expected a float32 bias of shape [${f}], got ${bias.dtype} ${fmt(bias.shape)}`);
  }
  if (x.rank !== 4 && x.rank !== 5) {
    throw new Error(`${op}: expected input of rank 5 [batch, depth, height, width, channels] (or 4 without the batch), got ${fmt(x.shape)}`);
  }
  const strides = tupleOf(op, 'strides', opts.strides, 3, 1);
  const dilations = tupleOf(op, 'dilations', opts.dilations, 3, 1);
  const batched = x.rank === 5 ? x : reshape(x, [1, ...x.shape]);
  const g = conv3dGeometry(op, batched.shape, filter.shape, strides, opts.pad ?? 'valid', dilations);
  const out = conv3dCore(op, batched, filter, bias, activation === 'relu', g);
  if (x.rank === 5) return out;
  const y = reshape(out, out.shape.slice(1));
  freeTemps(y, [batched, out], [x]);
  return y;
}

/**
 * 3-D convolution, as tf.conv3d(x, filter, strides, pad, dataFormat, dilations): x
 * [batch, depth, height, width, inChannels] (or without the batch), filter
 * [filterDepth, filterHeight, filterWidth, inChannels, outChannels]; pad 'valid' | 'same'
 * (or a number on every side).
 */
export function conv3d(
  x: TensorOrNumber, filter: TensorOrNumber, strides: [number, number, number] | number = 1, pad: Padding3d = 'valid',
  dataFormat: 'NDHWC' | 'NCDHW' = 'NDHWC', dilations: [number, number, number] | number = 1,
): Tensor {
  if (dataFormat !== 'NDHWC') throw new Error(`conv3d: only dataFormat 'NDHWC' is supported, got '${dataFormat}'`);
  return conv3dFused(x, filter, { strides, pad, dilations });
}

/**
 * Transposed 3-D convolution, as tf.conv3dTranspose(x, filter, outputShape, strides, pad):
 * the gradient of a conv3d w.r.t. its input, with filter [fd, fh, fw, outDepth, inDepth]
 * and outputShape [batch, depth, height, width, outDepth] (or without the batch).
 */
export function conv3dTranspose(
  x: TensorOrNumber, filter: TensorOrNumber,
  outputShape: [number, number, number, number, number] | [number, number, number, number],
  strides: [number, number, number] | number, pad: Padding3d, dilations: [number, number, number] | number = 1,
): Tensor {
  const op = 'conv3dTranspose';
  const xt = floatInput(op, x, 'input');
  const ft = floatInput(op, filter, 'filter');
  if (!Array.isArray(outputShape) || (outputShape.length !== 5 && outputShape.length !== 4)) {
    throw new Error(`${op}: outputShape must be [batch, depth, height, width, channels] (or without the batch), got ${JSON.stringify(outputShape)}`);
  }
  const batched = outputShape.length === 5;
  if (xt.rank !== outputShape.length) {
    throw new Error(`${op}: an outputShape of rank ${outputShape.length} needs an input of that rank, got ${fmt(xt.shape)}`);
  }
  const outShape = batched ? [...outputShape] : [1, ...outputShape];
  const x5 = batched ? xt : reshape(xt, [1, ...xt.shape]);
  if (ft.rank !== 5) throw new Error(`${op}: expected a filter of rank 5 [fd, fh, fw, outDepth, inDepth], got ${fmt(ft.shape)}`);
  const g = conv3dGeometry(op, outShape, ft.shape, tupleOf(op, 'strides', strides, 3, 1), pad, tupleOf(op, 'dilations', dilations, 3, 1));
  const want = [g.batchSize, g.outDepth, g.outHeight, g.outWidth, g.outChannels];
  if (x5.rank !== 5 || x5.shape.some((d, i) => d !== want[i])) {
    throw new Error(`${op}: an input of shape ${fmt(x5.shape)} cannot give outputShape ${fmt(outShape)}: expected ${fmt(want)}`);
  }
  const y = backpropInputCore(op, x5, ft, g);
  if (batched) return y;
  const r = reshape(y, outputShape);
  freeTemps(r, [x5, y], [xt]);
  return r;
}
