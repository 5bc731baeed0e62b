/**
 * Depthwise and separable 2-D convolutions with TensorFlow.js names and argument orders, on
 * NHWC data: depthwiseConv2d(x, filter [fh, fw, inChannels, channelMultiplier], …) gives
 * inChannels·channelMultiplier channels (channel c·m + q from input channel c and filter
 * [·, ·, c, q]); separableConv2d is a depthwise convolution followed by a 1×1 convolution.
 */
import type { DepthwiseGeometry } from '../backend/spatial-geometry';
import { record } from '../autograd';
import { ENGINE } from '../engine';
import { emptyTensor, Tensor } from '../tensor';
import { conv2dFused, type FusedActivation } from './conv';
import { pair, type Padding } from './conv-util';
import type { TensorOrNumber } from './convert';
import { reshape } from './shape';
import { depthwiseGeometry, floatInput, freeTemps, type DimRoundingMode } from './spatial-util';
import { fmt } from './util';

const outChannels = (g: DepthwiseGeometry) => g.inChannels * g.channelMultiplier;

/** The recorded convolution: out = act(depthwiseConv2d(x, filter) + bias). */
function depthwiseCore(op: string, x: Tensor, filter: Tensor, bias: Tensor | null, relu: boolean, g: DepthwiseGeometry): Tensor {
  const out = emptyTensor([g.batchSize, g.outHeight, g.outWidth, outChannels(g)]);
  if (out.size) ENGINE.get().depthwiseConv2d(x.storage, filter.storage, bias ? bias.storage : null, out.storage, g, relu);
  const inputs = bias ? [x, filter, bias] : [x, filter];
  return record(out, op, inputs, (dy) => {
    const b = ENGINE.get();
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
      if (db.size) b.reduce('sum', dz.storage, db.storage, 1, g.batchSize * g.outHeight * g.outWidth, outChannels(g));
    }
    if (dz !== dy) dz.dispose();
    return bias ? [dx, dw, db] : [dx, dw];
  });
}

function backpropInputCore(op: string, dy: Tensor, filter: Tensor, g: DepthwiseGeometry): Tensor {
  const dx = emptyTensor([g.batchSize, g.inHeight, g.inWidth, g.inChannels]);
  if (dx.size) ENGINE.get().depthwiseConv2dBackpropInput(dy.storage, filter.storage, dx.storage, g);
  return record(dx, op, [dy, filter], (u) => [
    dy.requiresGrad ? depthwiseCore(op, u, filter, null, false, g) : null,
    filter.requiresGrad ? backpropFilterCore(op, u, dy, g) : null,
  ]);
}

function backpropFilterCore(op: string, x: Tensor, dy: Tensor, g: DepthwiseGeometry): Tensor {
  const dw = emptyTensor([g.filterHeight, g.filterWidth, g.inChannels, g.channelMultiplier]);
  if (dw.size) ENGINE.get().depthwiseConv2dBackpropFilter(x.storage, dy.storage, dw.storage, g);
  return record(dw, op, [x, dy], (u) => [
    x.requiresGrad ? backpropInputCore(op, dy, u, g) : null,
    dy.requiresGrad ? depthwiseCore(op, x, u, null, false, g) : null,
  ]);
}

export interface DepthwiseConv2dOptions {
  strides?: [number, number] | number;
  pad?: Padding;
  dilations?: [number, number] | number;
  dimRoundingMode?: DimRoundingMode;
  bias?: Tensor | null;
  activation?: FusedActivation;
}

/** depthwiseConv2d with an optional bias and ReLU in the same kernel (as tf.fused.depthwiseConv2d). */
export function depthwiseConv2dFused(input: TensorOrNumber, filterIn: TensorOrNumber, opts: DepthwiseConv2dOptions = {}, op = 'depthwiseConv2d'): Tensor {
  const x = floatInput(op, input, 'input');
  const filter = floatInput(op, filterIn, 'filter');
  const activation = opts.activation ?? 'linear';
  if (activation !== 'linear' && activation !== 'relu') {
    throw new Error(`${op}: fused activation must be 'linear' or 'relu', got '${activation}'`);
  }
  if (x.rank !== 3 && x.rank !== 4) {
    throw new Error(`${op}: expected input of rank 4 [batch, height, width, channels] (or 3 without the batch), got ${fmt(x.shape)}`);
  }
  const batched = x.rank === 4 ? x : reshape(x, [1, ...x.shape]);
  const g = depthwiseGeometry(op, batched.shape, filter.shape, pair(op, 'strides', opts.strides, 1), opts.pad ?? 'valid',
    pair(op, 'dilations', opts.dilations, 1), opts.dimRoundingMode);
  const bias = opts.bias ?? null;
  if (bias && (bias.dtype !== 'float32' || bias.rank !== 1 || bias.shape[0] !== outChannels(g))) {
    throw new Error(`${op}: expected a float32 bias of shape [${outChannels(g)}], got ${bias.dtype} ${fmt(bias.shape)}`);
  }
  const out = depthwiseCore(op, batched, filter, bias, activation === 'relu', g);
  if (x.rank === 4) return out;
  const y = reshape(out, out.shape.slice(1));
  freeTemps(y, [batched, out], [x]);
  return y;
}

/**
 * Depthwise 2-D convolution, as tf.depthwiseConv2d(x, filter, strides, pad, dataFormat,
 * dilations, dimRoundingMode): x [batch, height, width, inChannels] (or without the batch),
 * filter [filterHeight, filterWidth, inChannels, channelMultiplier]; pad 'valid' | 'same' |
 * number | [[0, 0], [top, bottom], [left, right], [0, 0]]. Strides and dilations may both
 * exceed 1.
 */
export function depthwiseConv2d(
  x: TensorOrNumber, filter: TensorOrNumber, strides: [number, number] | number = 1, pad: Padding = 'valid',
  dataFormat: 'NHWC' | 'NCHW' = 'NHWC', dilations: [number, number] | number = 1, dimRoundingMode?: DimRoundingMode,
): Tensor {
  if (dataFormat !== 'NHWC') throw new Error(`depthwiseConv2d: only dataFormat 'NHWC' is supported, got '${dataFormat}'`);
  return depthwiseConv2dFused(x, filter, { strides, pad, dilations, dimRoundingMode });
}

/**
 * Separable 2-D convolution, as tf.separableConv2d(x, depthwiseFilter, pointwiseFilter,
 * strides, pad, dilation, dataFormat): depthwiseConv2d(x, depthwiseFilter [fh, fw, inC, m],
 * strides, pad, dilation), then a 1×1 convolution with pointwiseFilter [1, 1, inC·m, outC].
 */
export function separableConv2d(
  x: TensorOrNumber, depthwiseFilter: TensorOrNumber, pointwiseFilter: TensorOrNumber,
  strides: [number, number] | number = 1, pad: 'valid' | 'same' | number = 'valid', dilation: [number, number] | number = 1,
  dataFormat: 'NHWC' | 'NCHW' = 'NHWC',
): Tensor {
  const op = 'separableConv2d';
  if (dataFormat !== 'NHWC') throw new Error(`${op}: only dataFormat 'NHWC' is supported, got '${dataFormat}'`);
  const dw = floatInput(op, depthwiseFilter, 'depthwise filter');
  const pw = floatInput(op, pointwiseFilter, 'pointwise filter');
  if (dw.rank !== 4) throw new Error(`${op}: expected a depthwise filter of rank 4 [fh, fw, inChannels, channelMultiplier], got ${fmt(dw.shape)}`);
  const mid = dw.shape[2] * dw.shape[3];
  if (pw.rank !== 4 || pw.shape[0] !== 1 || pw.shape[1] !== 1 || pw.shape[2] !== mid) {
    throw new Error(`${op}: expected a pointwise filter of shape [1, 1, ${mid}, outChannels] (inChannels·channelMultiplier = ${mid}), got ${fmt(pw.shape)}`);
  }
  const d = depthwiseConv2dFused(x, dw, { strides, pad, dilations: dilation }, op);
  const y = conv2dFused(d, pw, {}, op);
  freeTemps(y, [d], [x]);
  return y;
}
