/**
 * fe.fused: TensorFlow.js' tf.fused.matMul / conv2d / depthwiseConv2d — the product, then an
 * optional bias and activation. Where ferrite has one kernel for the whole (a matMul with a
 * [units] bias and a Dense activation; conv2d with bias and ReLU) it uses it; otherwise the
 * same result from separate ops. Activations as TF.js' fused ops: linear, relu, relu6, elu,
 * sigmoid, leakyrelu (leakyreluAlpha, default 0.2), prelu (preluActivationWeights).
 */
import { Tensor } from '../tensor';
import { add } from './binary';
import { composite } from './composite';
import { conv2dFused } from './conv';
import type { Padding } from './conv-util';
import { toTensor, type TensorInput } from './convert';
import { depthwiseConv2d as depthwise } from './depthwise';
import { biasAddActivation } from './fused-dense';
import { matMul as plainMatMul } from './matmul';
import { prelu } from './normalization';
import { elu, leakyRelu, relu, relu6, sigmoid } from './unary';
import { fmt } from './util';

export type FusedOpActivation = 'linear' | 'relu' | 'relu6' | 'elu' | 'sigmoid' | 'leakyrelu' | 'prelu';
const ACTIVATIONS: readonly FusedOpActivation[] = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'];

interface Epilogue {
  bias?: TensorInput | null;
  activation?: FusedOpActivation;
  preluActivationWeights?: TensorInput | null;
  leakyreluAlpha?: number;
}

export interface FusedMatMulArgs extends Epilogue {
  a: TensorInput;
  b: TensorInput;
  transposeA?: boolean;
  transposeB?: boolean;
}

export interface FusedConv2dArgs extends Epilogue {
  x: TensorInput;
  filter: TensorInput;
  strides: [number, number] | number;
  pad: Padding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const KEYS = {
  matMul: ['a', 'b', 'transposeA', 'transposeB', 'bias', 'activation', 'preluActivationWeights', 'leakyreluAlpha'],
  conv2d: ['x', 'filter', 'strides', 'pad', 'dataFormat', 'dilations', 'dimRoundingMode', 'bias', 'activation', 'preluActivationWeights', 'leakyreluAlpha'],
};

function checkArgs(who: string, args: object, keys: readonly string[]): void {
  if (!args || typeof args !== 'object') throw new Error(`${who}: expected one argument object ({ ${keys.slice(0, 2).join(', ')}, … }), got ${String(args)}`);
  for (const k of Object.keys(args)) if (!keys.includes(k)) throw new Error(`${who}: unknown argument '${k}' (expected ${keys.join(', ')})`);
}

/** The activation, checked with the arguments that belong to it (neither may be given in vain). */
function checkActivation(who: string, e: Epilogue): FusedOpActivation {
  const activation = e.activation ?? 'linear';
  if (!ACTIVATIONS.includes(activation)) throw new Error(`${who}: unknown activation '${String(activation)}' (expected ${ACTIVATIONS.join(', ')})`);
  if (activation === 'prelu' && e.preluActivationWeights == null) throw new Error(`${who}: activation 'prelu' needs preluActivationWeights`);
  if (activation !== 'prelu' && e.preluActivationWeights != null) throw new Error(`${who}: preluActivationWeights given, but the activation is '${activation}', not 'prelu'`);
  if (activation !== 'leakyrelu' && e.leakyreluAlpha !== undefined) throw new Error(`${who}: leakyreluAlpha given, but the activation is '${activation}', not 'leakyrelu'`);
  if (e.leakyreluAlpha !== undefined && !Number.isFinite(e.leakyreluAlpha)) throw new Error(`${who}: leakyreluAlpha must be a finite number, got ${String(e.leakyreluAlpha)}`);
  return activation;
}

function biasOf(who: string, e: Epilogue): Tensor | null {
  return e.bias == null ? null : toTensor(who, e.bias);
}

/** y + bias (broadcast), then the activation. */
function epilogue(who: string, y: Tensor, bias: Tensor | null, e: Epilogue, activation: FusedOpActivation): Tensor {
  const units = y.rank ? y.shape[y.rank - 1] : 1;
  const plainBias = !bias || (bias.rank === 1 && bias.shape[0] === units);
  // One pass for a [units] bias and an activation the Dense kernel has.
  if (plainBias && (activation === 'linear' || activation === 'relu' || activation === 'relu6' || activation === 'elu' || activation === 'sigmoid')) {
    if (!bias && activation === 'linear') return y;
    return biasAddActivation(y, bias, activation, who);
  }
  let z = y;
  if (bias) {
    try {
      z = add(y, bias);
    } catch {
      throw new Error(`${who}: bias of shape ${fmt(bias.shape)} does not broadcast to the result's shape ${fmt(y.shape)}`);
    }
  }
  switch (activation) {
    case 'linear': return z;
    case 'relu': return relu(z);
    case 'relu6': return relu6(z);
    case 'elu': return elu(z);
    case 'sigmoid': return sigmoid(z);
    case 'leakyrelu': return leakyRelu(z, e.leakyreluAlpha ?? 0.2);
    case 'prelu': return prelu(z, e.preluActivationWeights!);
  }
}

/** tf.fused.matMul({ a, b, transposeA, transposeB, bias, activation, preluActivationWeights, leakyreluAlpha }). */
export function matMul(args: FusedMatMulArgs): Tensor {
  const who = 'fused.matMul';
  checkArgs(who, args, KEYS.matMul);
  const activation = checkActivation(who, args);
  return composite(() => epilogue(
    who, plainMatMul(toTensor(who, args.a), toTensor(who, args.b), args.transposeA ?? false, args.transposeB ?? false), biasOf(who, args), args, activation,
  ));
}

/** tf.fused.conv2d({ x, filter, strides, pad, dataFormat, dilations, dimRoundingMode, bias, activation, … }). */
export function conv2d(args: FusedConv2dArgs): Tensor {
  const who = 'fused.conv2d';
  checkArgs(who, args, KEYS.conv2d);
  const activation = checkActivation(who, args);
  checkConvArgs(who, args);
  return composite(() => {
    const x = toTensor(who, args.x), filter = toTensor(who, args.filter);
    const bias = biasOf(who, args);
    // The convolution kernel takes a [outChannels] bias and ReLU itself.
    if ((activation === 'linear' || activation === 'relu') && (!bias || (bias.rank === 1 && bias.shape[0] === filter.shape[filter.rank - 1]))) {
      return conv2dFused(x, filter, { strides: args.strides, pad: args.pad, dilations: args.dilations ?? 1, bias, activation }, who);
    }
    return epilogue(who, conv2dFused(x, filter, { strides: args.strides, pad: args.pad, dilations: args.dilations ?? 1 }, who), bias, args, activation);
  });
}

/** tf.fused.depthwiseConv2d({ x, filter, strides, pad, dataFormat, dilations, dimRoundingMode, bias, activation, … }). */
export function depthwiseConv2d(args: FusedConv2dArgs): Tensor {
  const who = 'fused.depthwiseConv2d';
  checkArgs(who, args, KEYS.conv2d);
  const activation = checkActivation(who, args);
  return composite(() => epilogue(
    who,
    depthwise(toTensor(who, args.x), toTensor(who, args.filter), args.strides, args.pad, args.dataFormat ?? 'NHWC', args.dilations ?? 1, args.dimRoundingMode),
    biasOf(who, args), args, activation,
  ));
}

function checkConvArgs(who: string, args: FusedConv2dArgs): void {
  if ((args.dataFormat ?? 'NHWC') !== 'NHWC') throw new Error(`${who}: only dataFormat 'NHWC' is supported, got '${args.dataFormat}'`);
  if (args.dimRoundingMode !== undefined) throw new Error(`${who}: dimRoundingMode is not supported (pad must be 'valid', 'same' or explicit)`);
}

export const fused = { matMul, conv2d, depthwiseConv2d };
