/**
 * What ConvLSTM2D and ConvLSTM2DCell share: their options checked into settings, their
 * weights (kernel [kh, kw, channels, 4·filters], recurrent_kernel [kh, kw, filters,
 * 4·filters], bias [4·filters], gates i, f, c, o side by side) and their config keys.
 */
import * as ops from '../ops/index';
import type { Tensor, Variable } from '../tensor';
import { Constraint, getConstraint, serializeConstraint } from '../constraints';
import { getRegularizer, Regularizer, serializeRegularizer } from '../regularizers';
import { ActivationIdentifier, getActivation } from './activations';
import { checkChannelsLast, tupleArg } from './conv-common';
import { filtersArg } from './conv3d';
import { getInitializer, Initializer, initializerName } from './initializers';
import type { Layer, LayerArgs } from './layer';
import { UnitForgetBias } from './recurrent';

/** The options of one ConvLSTM2D step (TensorFlow.js' names). */
export interface ConvLSTMStepArgs extends LayerArgs {
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: 'valid' | 'same';
  dataFormat?: 'channelsLast' | 'channelsFirst';
  dilationRate?: number | [number, number];
  /** Default 'tanh'. */
  activation?: ActivationIdentifier;
  /** Default 'sigmoid' (Keras 3; TensorFlow.js and Keras 2 default to 'hardSigmoid'), as ferrite's LSTM. */
  recurrentActivation?: ActivationIdentifier;
  useBias?: boolean;
  kernelInitializer?: string | Initializer;
  /** Default 'orthogonal'. */
  recurrentInitializer?: string | Initializer;
  biasInitializer?: string | Initializer;
  /** Forget-gate bias initialised to 1 (default true, as Keras). */
  unitForgetBias?: boolean;
  kernelRegularizer?: Regularizer | string | null;
  recurrentRegularizer?: Regularizer | string | null;
  biasRegularizer?: Regularizer | string | null;
  kernelConstraint?: Constraint | string | null;
  recurrentConstraint?: Constraint | string | null;
  biasConstraint?: Constraint | string | null;
  /** Fraction of the input dropped while training (one mask per gate and sequence). */
  dropout?: number;
  /** Fraction of the recurrent state dropped while training (one mask per gate and sequence). */
  recurrentDropout?: number;
}

/** The checked options, as fields of the layer or cell that holds them. */
export interface ConvLSTMSettings {
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  readonly dataFormat: 'channelsLast';
  readonly dilationRate: [number, number];
  readonly activation: ActivationIdentifier;
  readonly recurrentActivation: ActivationIdentifier;
  readonly useBias: boolean;
  readonly unitForgetBias: boolean;
  readonly kernelInitializer: string | Initializer;
  readonly recurrentInitializer: string | Initializer;
  readonly biasInitializer: string | Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly recurrentRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  readonly kernelConstraint: Constraint | null;
  readonly recurrentConstraint: Constraint | null;
  readonly biasConstraint: Constraint | null;
  readonly dropout: number;
  readonly recurrentDropout: number;
  /** The activation and the recurrent activation as functions. */
  readonly act: (x: Tensor) => Tensor;
  readonly recurrentAct: (x: Tensor) => Tensor;
}

function rateArg(who: string, key: string, v: number | undefined): number {
  const r = v ?? 0;
  if (!(r >= 0 && r < 1)) throw new Error(`${who}: ${key} must be in [0, 1), got ${v}`);
  return r;
}

/** Checks the options (`who` names the layer in errors) and fills in Keras' defaults. */
export function convLstmSettings(who: string, args: ConvLSTMStepArgs): ConvLSTMSettings {
  const filters = filtersArg(who, args?.filters);
  if (args.kernelSize === undefined) throw new Error(`${who}: kernelSize is required`);
  const padding = args.padding ?? 'valid';
  if (padding !== 'valid' && padding !== 'same') throw new Error(`${who}: padding must be 'valid' or 'same', got '${String(args.padding)}'`);
  checkChannelsLast(who, args.dataFormat);
  const activation = args.activation ?? 'tanh';
  const recurrentActivation = args.recurrentActivation ?? 'sigmoid';
  return {
    filters,
    kernelSize: tupleArg(who, 'kernelSize', args.kernelSize, 2, 1) as [number, number],
    strides: tupleArg(who, 'strides', args.strides, 2, 1) as [number, number],
    padding,
    dataFormat: 'channelsLast',
    dilationRate: tupleArg(who, 'dilationRate', args.dilationRate, 2, 1) as [number, number],
    activation,
    recurrentActivation,
    act: getActivation(activation, who),
    recurrentAct: getActivation(recurrentActivation, who),
    useBias: args.useBias ?? true,
    unitForgetBias: args.unitForgetBias ?? true,
    kernelInitializer: args.kernelInitializer ?? 'glorotUniform',
    recurrentInitializer: args.recurrentInitializer ?? 'orthogonal',
    biasInitializer: args.biasInitializer ?? 'zeros',
    kernelRegularizer: getRegularizer(args.kernelRegularizer, `${who}: kernelRegularizer`),
    recurrentRegularizer: getRegularizer(args.recurrentRegularizer, `${who}: recurrentRegularizer`),
    biasRegularizer: getRegularizer(args.biasRegularizer, `${who}: biasRegularizer`),
    kernelConstraint: getConstraint(args.kernelConstraint, `${who}: kernelConstraint`),
    recurrentConstraint: getConstraint(args.recurrentConstraint, `${who}: recurrentConstraint`),
    biasConstraint: getConstraint(args.biasConstraint, `${who}: biasConstraint`),
    dropout: rateArg(who, 'dropout', args.dropout),
    recurrentDropout: rateArg(who, 'recurrentDropout', args.recurrentDropout),
  };
}

/** Adds the three weights to `layer` for inputs of `channels` channels. */
export function addConvLstmWeights(
  layer: Layer, s: ConvLSTMSettings, channels: number,
): { kernel: Variable; recurrentKernel: Variable; bias: Variable | null } {
  const f4 = 4 * s.filters;
  const add = layer.addWeight.bind(layer);
  const kernel = add('kernel', [...s.kernelSize, channels, f4], 'float32', s.kernelInitializer, s.kernelRegularizer, true, s.kernelConstraint);
  const recurrentKernel = add('recurrent_kernel', [...s.kernelSize, s.filters, f4], 'float32', s.recurrentInitializer,
    s.recurrentRegularizer, true, s.recurrentConstraint);
  let bias: Variable | null = null;
  if (s.useBias) {
    const init = s.unitForgetBias ? new UnitForgetBias(getInitializer(s.biasInitializer, layer.name), s.filters) : s.biasInitializer;
    bias = add('bias', [f4], 'float32', init, s.biasRegularizer, true, s.biasConstraint);
  }
  return { kernel, recurrentKernel, bias };
}

/** The settings as config keys (camelCase; serialization converts). */
export function convLstmConfig(s: ConvLSTMSettings): Record<string, unknown> {
  return {
    filters: s.filters,
    kernelSize: s.kernelSize,
    strides: s.strides,
    padding: s.padding,
    dataFormat: s.dataFormat,
    dilationRate: s.dilationRate,
    activation: s.activation,
    recurrentActivation: s.recurrentActivation,
    useBias: s.useBias,
    kernelInitializer: initializerName(s.kernelInitializer),
    recurrentInitializer: initializerName(s.recurrentInitializer),
    biasInitializer: initializerName(s.biasInitializer),
    unitForgetBias: s.unitForgetBias,
    kernelRegularizer: serializeRegularizer(s.kernelRegularizer),
    recurrentRegularizer: serializeRegularizer(s.recurrentRegularizer),
    biasRegularizer: serializeRegularizer(s.biasRegularizer),
    kernelConstraint: serializeConstraint(s.kernelConstraint),
    recurrentConstraint: serializeConstraint(s.recurrentConstraint),
    biasConstraint: serializeConstraint(s.biasConstraint),
    dropout: s.dropout,
    recurrentDropout: s.recurrentDropout,
  };
}

/** Gate g (i, f, c, o = 0…3) of a rank-4 tensor whose last axis holds the four gates side by side. */
export function gateOf(t: Tensor, g: number, filters: number): Tensor {
  return ops.slice(t, [0, 0, 0, g * filters], [t.shape[0], t.shape[1], t.shape[2], filters]);
}

/**
 * One LSTM update from z = conv(x) + conv(h) + bias and the previous cell state c:
 * c' = f·c + i·act(ĉ), h' = o·act(c'). `keep` is handed every tensor made (ConvLSTM2D frees
 * them itself when no gradient is recorded).
 */
export function lstmUpdate(s: ConvLSTMSettings, z: Tensor, c: Tensor, keep: (t: Tensor) => Tensor = (t) => t): { h: Tensor; c: Tensor } {
  const gate = (g: number) => keep(gateOf(z, g, s.filters));
  const i = keep(s.recurrentAct(gate(0)));
  const fg = keep(s.recurrentAct(gate(1)));
  const cc = keep(s.act(gate(2)));
  const o = keep(s.recurrentAct(gate(3)));
  const cNew = keep(ops.add(keep(ops.mul(fg, c)), keep(ops.mul(i, cc))));
  return { h: keep(ops.mul(o, keep(s.act(cNew)))), c: cNew };
}
