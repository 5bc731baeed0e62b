/**
 * Convolutions with TensorFlow.js names and argument orders: conv2d and conv1d on
 * channels-last data (NHWC / NWC), filters [filterHeight, filterWidth, inChannels,
 * outChannels] (conv1d: [filterWidth, inChannels, outChannels]), with their gradients.
 */
import type { Conv2dGeometry } from '../backend/conv-geometry';
import { record } from '../autograd';
import { ENGINE } from '../engine';
import { emptyTensor, Tensor } from '../tensor';
import { toTensor, TensorOrNumber } from './convert';
import { conv2dGeometry, pair, Padding } from './conv-util';
import { reshape } from './shape';
import { fmt } from './util';

export type { Padding } from './conv-util';

/** Activations the conv kernel applies itself. */
export type FusedActivation = 'linear' | 'relu';

export interface Conv2dOptions {
  strides?: [number, number] | number;
  pad?: Padding;
  dilations?: [number, number] | number;
  bias?: Tensor | null;
  activation?: FusedActivation;
}

function floatInput(op: string, x: TensorOrNumber, what: string): Tensor {
  const t = toTensor(op, x);
  if (t.dtype !== 'float32') throw new Error(`${op}: expected a float32 ${what}, got ${t.dtype}`);
  return t;
}

/** The recorded 4-D convolution: out = act(conv(x, filter) + bias). */
function conv2dCore(op: string, x: Tensor, filter: Tensor, bias: Tensor | null, relu: boolean, g: Conv2dGeometry): Tensor {
  const be = ENGINE.get();
  const out = emptyTensor([g.batchSize, g.outHeight, g.outWidth, g.outChannels]);
  if (out.size) be.conv2d(x.storage, filter.storage, bias ? bias.storage : null, out.storage, g, relu);
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
      if (db.size) b.reduce('sum', dz.storage, db.storage, 1, g.batchSize * g.outHeight * g.outWidth, g.outChannels);
    }
    if (dz !== dy) dz.dispose();
    return bias ? [dx, dw, db] : [dx, dw];
  });
}

/** dx of a convolution of geometry g, for the output gradient dy (recorded: linear in dy and filter). */
function backpropInputCore(op: string, dy: Tensor, filter: Tensor, g: Conv2dGeometry): Tensor {
  const dx = emptyTensor([g.batchSize, g.inHeight, g.inWidth, g.inChannels]);
  if (dx.size) ENGINE.get().conv2dBackpropInput(dy.storage, filter.storage, dx.storage, g);
  return record(dx, op, [dy, filter], (u) => [
    dy.requiresGrad ? conv2dCore(op, u, filter, null, false, g) : null,
    filter.requiresGrad ? backpropFilterCore(op, u, dy, g) : null,
  ]);
}

/** dFilter of a convolution of geometry g, for input x and output gradient dy (recorded). */
function backpropFilterCore(op: string, x: Tensor, dy: Tensor, g: Conv2dGeometry): Tensor {
  const dw = emptyTensor([g.filterHeight, g.filterWidth, g.inChannels, g.outChannels]);
  if (dw.size) ENGINE.get().conv2dBackpropFilter(x.storage, dy.storage, dw.storage, g);
  return record(dw, op, [x, dy], (u) => [
    x.requiresGrad ? backpropInputCore(op, dy, u, g) : null,
    dy.requiresGrad ? conv2dCore(op, x, u, null, false, g) : null,
  ]);
}

/**
 * conv2d with an optional bias and ReLU in the same kernel (as tf.fused.conv2d): the
 * convolution layers call this. x is [batch, h, w, c] or [h, w, c].
 */
export function conv2dFused(input: TensorOrNumber, filterIn: TensorOrNumber, opts: Conv2dOptions = {}, op = 'conv2d'): Tensor {
  const x = floatInput(op, input, 'input');
  const filter = floatInput(op, filterIn, 'filter');
  const activation = opts.activation ?? 'linear';
  if (activation !== 'linear' && activation !== 'relu') {
    throw new Error(`${op}: fused activation must be 'linear' or 'relu', got '${activation}'`);
  }
  const bias = opts.bias ?? null;
  if (bias) {
    if (bias.dtype !== 'float32' || bias.rank !== 1 || bias.shape[0] !== filter.shape[filter.rank - 1]) {
      throw new Error(`${op}: expected a float32 bias of shape [${filter.shape[filter.rank - 1]}], got ${bias.dtype} ${fmt(bias.shape)}`);
    }
  }
  if (x.rank !== 3 && x.rank !== 4) {
    throw new Error(`${op}: expected input of rank 4 [batch, height, width, channels] (or 3 without the batch), got ${fmt(x.shape)}`);
  }
  const strides = pair(op, 'strides', opts.strides, 1);
  const dilations = pair(op, 'dilations', opts.dilations, 1);
  const batched = x.rank === 4 ? x : reshape(x, [1, ...x.shape]);
  const g = conv2dGeometry(op, batched.shape, filter.shape, strides, opts.pad ?? 'valid', dilations);
  const out = conv2dCore(op, batched, filter, bias, activation === 'relu', g);
  return x.rank === 4 ? out : reshape(out, out.shape.slice(1));
}

/**
 * 2-D convolution, as tf.conv2d(x, filter, strides, pad, dataFormat, dilations):
 * x [batch, height, width, inChannels] (or without the batch), filter
 * [filterHeight, filterWidth, inChannels, outChannels]; pad 'valid' | 'same' | number |
 * [[0, 0], [top, bottom], [left, right], [0, 0]].
 */
export function conv2d(
  x: TensorOrNumber, filter: TensorOrNumber,
  strides: [number, number] | number = 1, pad: Padding = 'valid',
  dataFormat: 'NHWC' | 'NCHW' = 'NHWC', dilations: [number, number] | number = 1,
): Tensor {
  if (dataFormat !== 'NHWC') throw new Error(`conv2d: only dataFormat 'NHWC' is supported, got '${dataFormat}'`);
  return conv2dFused(x, filter, { strides, pad, dilations });
}

/**
 * 1-D convolution, as tf.conv1d(x, filter, stride, pad, dataFormat, dilation): x
 * [batch, width, inChannels] (or without the batch), filter [filterWidth, inChannels,
 * outChannels]. Runs as a conv2d of height 1. pad 'valid' | 'same' | number, or
 * 'causal' (Keras: (filterWidth − 1)·dilation zeros on the left only).
 */
export function conv1d(
  input: TensorOrNumber, filterIn: TensorOrNumber, stride = 1, pad: 'valid' | 'same' | 'causal' | number = 'valid',
  dataFormat: 'NWC' | 'NCW' = 'NWC', dilation = 1, bias: Tensor | null = null, activation: FusedActivation = 'linear',
  op = 'conv1d',
): Tensor {
  if (dataFormat !== 'NWC') throw new Error(`${op}: only dataFormat 'NWC' is supported, got '${dataFormat}'`);
  const x = floatInput(op, input, 'input');
  const filter = floatInput(op, filterIn, 'filter');
  if (x.rank !== 2 && x.rank !== 3) {
    throw new Error(`${op}: expected input of rank 3 [batch, width, channels] (or 2 without the batch), got ${fmt(x.shape)}`);
  }
  if (filter.rank !== 3) throw new Error(`${op}: expected a filter of rank 3 [filterWidth, inChannels, outChannels], got ${fmt(filter.shape)}`);
  if (!Number.isInteger(stride) || stride < 1) throw new Error(`${op}: stride must be a positive integer, got ${stride}`);
  if (!Number.isInteger(dilation) || dilation < 1) throw new Error(`${op}: dilation must be a positive integer, got ${dilation}`);
  const batched = x.rank === 3 ? x : reshape(x, [1, ...x.shape]);
  const x4 = reshape(batched, [batched.shape[0], 1, batched.shape[1], batched.shape[2]]);
  const f4 = reshape(filter, [1, ...filter.shape]);
  let pad2: Padding;
  if (pad === 'causal') pad2 = [[0, 0], [0, 0], [(filter.shape[0] - 1) * dilation, 0], [0, 0]];
  else if (typeof pad === 'number') pad2 = [[0, 0], [0, 0], [pad, pad], [0, 0]];
  else pad2 = pad;
  const y4 = conv2dFused(x4, f4, { strides: [1, stride], pad: pad2, dilations: [1, dilation], bias, activation }, op);
  const y = reshape(y4, [y4.shape[0], y4.shape[2], y4.shape[3]]);
  return x.rank === 3 ? y : reshape(y, y.shape.slice(1));
}

function checkShapeOf(op: string, what: string, t: Tensor, want: number[]): void {
  if (t.rank !== want.length || t.shape.some((d, i) => d !== want[i])) {
    throw new Error(`${op}: expected ${what} of shape ${fmt(want)}, got ${fmt(t.shape)}`);
  }
}

/**
 * The gradient of conv2d(x, filter, strides, pad, 'NHWC', dilations) w.r.t. x, for x of
 * `inputShape` [batch, height, width, inChannels] and the output gradient dy (TensorFlow's
 * Conv2DBackpropInput). Differentiable.
 */
export function conv2dBackpropInput(
  inputShape: [number, number, number, number], dyIn: TensorOrNumber, filterIn: TensorOrNumber,
  strides: [number, number] | number = 1, pad: Padding = 'valid', dilations: [number, number] | number = 1,
): Tensor {
  const op = 'conv2dBackpropInput';
  const dy = floatInput(op, dyIn, 'dy'), filter = floatInput(op, filterIn, 'filter');
  const g = conv2dGeometry(op, inputShape, filter.shape, pair(op, 'strides', strides, 1), pad, pair(op, 'dilations', dilations, 1));
  checkShapeOf(op, 'dy', dy, [g.batchSize, g.outHeight, g.outWidth, g.outChannels]);
  return backpropInputCore(op, dy, filter, g);
}

/**
 * The gradient of conv2d(x, filter, strides, pad, 'NHWC', dilations) w.r.t. a filter of
 * `filterShape`, for x and the output gradient dy (TensorFlow's Conv2DBackpropFilter).
 * Differentiable.
 */
export function conv2dBackpropFilter(
  xIn: TensorOrNumber, dyIn: TensorOrNumber, filterShape: [number, number, number, number],
  strides: [number, number] | number = 1, pad: Padding = 'valid', dilations: [number, number] | number = 1,
): Tensor {
  const op = 'conv2dBackpropFilter';
  const x = floatInput(op, xIn, 'x'), dy = floatInput(op, dyIn, 'dy');
  const g = conv2dGeometry(op, x.shape, filterShape, pair(op, 'strides', strides, 1), pad, pair(op, 'dilations', dilations, 1));
  checkShapeOf(op, 'dy', dy, [g.batchSize, g.outHeight, g.outWidth, g.outChannels]);
  return backpropFilterCore(op, x, dy, g);
}

/**
 * Transposed convolution, as tf.conv2dTranspose(x, filter, outputShape, strides, pad): the
 * gradient of a conv2d w.r.t. its input, with filter [height, width, outDepth, inDepth] and
 * outputShape [batch, height, width, outDepth] (or without the batch). `dilations` (not in
 * TensorFlow.js' signature) dilates the filter as Keras' Conv2DTranspose does.
 */
export function conv2dTranspose(
  x: TensorOrNumber, filter: TensorOrNumber, outputShape: [number, number, number, number] | [number, number, number],
  strides: [number, number] | number, pad: Padding, dilations: [number, number] | number = 1,
): Tensor {
  const op = 'conv2dTranspose';
  const xt = floatInput(op, x, 'input');
  const ft = floatInput(op, filter, 'filter');
  if (!Array.isArray(outputShape) || (outputShape.length !== 4 && outputShape.length !== 3)) {
    throw new Error(`${op}: outputShape must be [batch, height, width, channels] (or without the batch), got ${JSON.stringify(outputShape)}`);
  }
  if (xt.rank !== outputShape.length) {
    throw new Error(`${op}: an outputShape of rank ${outputShape.length} needs an input of that rank, got ${fmt(xt.shape)}`);
  }
  if (ft.rank !== 4) throw new Error(`${op}: expected a filter of rank 4 [height, width, outDepth, inDepth], got ${fmt(ft.shape)}`);
  const batched = outputShape.length === 4;
  const outShape = batched ? [...outputShape] : [1, ...outputShape];
  const x4 = batched ? xt : reshape(xt, [1, ...xt.shape]);
  const g = conv2dGeometry(op, outShape, ft.shape, pair(op, 'strides', strides, 1), pad, pair(op, 'dilations', dilations, 1));
  const want = [g.batchSize, g.outHeight, g.outWidth, g.outChannels];
  if (x4.shape.some((d, i) => d !== want[i])) {
    throw new Error(`${op}: an input of shape ${fmt(x4.shape)} cannot give outputShape ${fmt(outShape)}: expected an input of shape ${fmt(want)}`);
  }
  const y = backpropInputCore(op, x4, ft, g);
  if (batched) return y;
  const r = reshape(y, outputShape);
  if (!r.gradFn) {
    x4.dispose();
    y.dispose();
  }
  return r;
}
