/**
 * What the convolution layers of conv3d.ts, conv-transpose.ts and depthwise.ts share, as
 * TensorFlow.js' BaseConv: kernel size, strides, padding, dilation, activation (ReLU and
 * linear fused into the kernels), bias with its initializer, regularizer and constraint, the
 * input checks and the TF.js config keys. Channels-last only.
 */
import { biasAddActivation, isFusedActivation } from '../ops/fused-dense';
import type { Tensor, Variable } from '../tensor';
import { Constraint, getConstraint, serializeConstraint } from '../constraints';
import { getRegularizer, Regularizer, serializeRegularizer } from '../regularizers';
import { ActivationIdentifier, getActivation } from './activations';
import type { Initializer } from './initializers';
import { Layer, LayerArgs, SymbolicShape } from './layer';

export interface BaseConvArgs extends LayerArgs {
  kernelSize: number | number[];
  strides?: number | number[];
  /** 'valid' (default) or 'same'. */
  padding?: 'valid' | 'same';
  /** Only 'channelsLast'. */
  dataFormat?: 'channelsLast' | 'channelsFirst';
  dilationRate?: number | number[];
  activation?: ActivationIdentifier;
  useBias?: boolean;
  biasInitializer?: string | Initializer;
  biasRegularizer?: Regularizer | string | null;
  biasConstraint?: Constraint | string | null;
}

/** A positive integer or a list of `rank` of them (TF.js' normalizeArray). */
export function tupleArg(who: string, key: string, v: number | readonly number[] | undefined, rank: number, dflt: number): number[] {
  const t = v === undefined || v === null ? new Array<number>(rank).fill(dflt) : typeof v === 'number' ? new Array<number>(rank).fill(v) : [...v];
  if (t.length !== rank || !t.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new Error(`${who}: ${key} must be a positive integer or ${rank} of them, got ${JSON.stringify(v)}`);
  }
  return t;
}

export function checkChannelsLast(who: string, dataFormat: unknown): void {
  if (dataFormat !== undefined && dataFormat !== null && dataFormat !== 'channelsLast') {
    throw new Error(`${who}: only dataFormat 'channelsLast' is supported, got '${String(dataFormat)}'`);
  }
}

/** 'a, b, c' of a symbolic shape. */
export function shapeText(s: readonly (number | null)[]): string {
  return `[${s.map((d) => d ?? 'null').join(', ')}]`;
}

/**
 * Spatial output length of a convolution or pooling window (TF.js' convOutputLength); null
 * stays null. Throws naming `who` when a 'valid' window does not fit the input.
 */
export function convOutputLength(
  who: string, size: number | null, kernel: number, padding: 'valid' | 'same', stride: number, dilation: number,
): number | null {
  if (size === null) return null;
  const ek = (kernel - 1) * dilation + 1;
  const out = padding === 'same' ? size : size - ek + 1;
  if (out < 1 && size > 0) {
    throw new Error(`${who}: the window of ${ek}${dilation > 1 ? ` (${kernel} dilated)` : ''} is larger than the input's ${size} (use padding 'same' or a smaller window)`);
  }
  return Math.max(0, Math.floor((out + stride - 1) / stride));
}

/**
 * Spatial output length of a transposed convolution (Keras' deconv_output_length; with
 * dilation 1 and no outputPadding it is TF.js' deconvLength).
 */
export function deconvOutputLength(
  size: number | null, kernel: number, padding: 'valid' | 'same', stride: number, dilation: number, outputPadding: number | null,
): number | null {
  if (size === null) return null;
  const ek = (kernel - 1) * dilation + 1;
  if (outputPadding === null) return padding === 'valid' ? size * stride + Math.max(ek - stride, 0) : size * stride;
  const pad = padding === 'same' ? Math.floor(ek / 2) : 0;
  return (size - 1) * stride + ek - 2 * pad + outputPadding;
}

/** out, after freeing the intermediate `used` unless out's gradient still reads it. */
export function freeing(used: Tensor, out: Tensor): Tensor {
  if (out !== used && !out.gradFn) used.dispose();
  return out;
}

export abstract class BaseConv extends Layer {
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: 'valid' | 'same';
  readonly dataFormat = 'channelsLast' as const;
  readonly dilationRate: number[];
  readonly activation: ActivationIdentifier;
  readonly useBias: boolean;
  protected biasInit: string | Initializer;
  readonly biasRegularizer: Regularizer | null;
  readonly biasConstraint: Constraint | null;
  private activationFn: (x: Tensor) => Tensor;
  bias: Variable | null = null;

  constructor(readonly rank: 2 | 3, args: BaseConvArgs, defaultName: string) {
    super(args, defaultName);
    const who = this.who;
    if (!args || args.kernelSize === undefined) throw new Error(`${who}: kernelSize is required`);
    this.kernelSize = tupleArg(who, 'kernelSize', args.kernelSize, rank, 1);
    this.strides = tupleArg(who, 'strides', args.strides, rank, 1);
    this.dilationRate = tupleArg(who, 'dilationRate', args.dilationRate, rank, 1);
    this.padding = args.padding ?? 'valid';
    if (this.padding !== 'valid' && this.padding !== 'same') {
      throw new Error(`${who}: padding must be 'valid' or 'same', got '${String(args.padding)}'`);
    }
    checkChannelsLast(who, args.dataFormat);
    this.activation = args.activation ?? 'linear';
    this.activationFn = getActivation(this.activation, who);
    this.useBias = args.useBias ?? true;
    this.biasInit = args.biasInitializer ?? 'zeros';
    this.biasRegularizer = getRegularizer(args.biasRegularizer, `${who}: biasRegularizer`);
    this.biasConstraint = getConstraint(args.biasConstraint, `${who}: biasConstraint`);
  }

  protected get who(): string {
    return `${this.name} (${this.className})`;
  }

  /** The activation a kernel can apply itself ('relu' or 'linear'), else null. */
  protected get fusedActivation(): 'relu' | 'linear' | null {
    return this.activation === 'relu' || this.activation === 'linear' ? this.activation : null;
  }

  /**
   * act(y + bias) for a convolution output y computed without them: one pass where a fused
   * bias + activation kernel exists. y is freed once used, unless a gradient still needs it.
   */
  protected biasActivation(y: Tensor): Tensor {
    const act = this.activation;
    if (isFusedActivation(act)) {
      if (act === 'linear' && !this.bias) return y;
      return freeing(y, biasAddActivation(y, this.bias, act, this.who));
    }
    const z = this.bias ? freeing(y, biasAddActivation(y, this.bias, 'linear', this.who)) : y;
    return freeing(z, this.activationFn(z));
  }

  /** The channels of an input shape [batch, ...spatial, channels], checking its rank. */
  protected inputChannels(shape: SymbolicShape): number {
    const c = shape[shape.length - 1];
    if (shape.length !== this.rank + 2 || c === null) {
      throw new Error(`${this.who}: expected inputs of rank ${this.rank + 2} ${this.layoutText()} with known channels, got ${shapeText(shape)}`);
    }
    return c;
  }

  /** '[batch, height, width, channels]' or with depth. */
  protected layoutText(): string {
    return this.rank === 3 ? '[batch, depth, height, width, channels]' : '[batch, height, width, channels]';
  }

  /** Throws naming the layer unless x has this layer's rank and `channels` channels. */
  protected checkInput(x: Tensor, channels: number): void {
    if (x.rank !== this.rank + 2) {
      throw new Error(`${this.who}: expected input of rank ${this.rank + 2} ${this.layoutText()}, got [${x.shape.join(', ')}]`);
    }
    if (x.shape[x.rank - 1] !== channels) {
      throw new Error(`${this.who}: expected ${channels} input channels, got input of shape [${x.shape.join(', ')}]`);
    }
  }

  protected addBias(units: number): void {
    if (this.useBias) this.bias = this.addWeight('bias', [units], 'float32', this.biasInit, this.biasRegularizer, true, this.biasConstraint);
  }

  /** The input shape's rank check for computeOutputShape. */
  protected checkShape(shape: SymbolicShape): void {
    if (shape.length !== this.rank + 2) {
      throw new Error(`${this.who}: expected inputs of rank ${this.rank + 2} ${this.layoutText()}, got ${shapeText(shape)}`);
    }
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dataFormat: this.dataFormat,
      dilationRate: this.dilationRate,
      activation: this.activation,
      useBias: this.useBias,
      biasInitializer: typeof this.biasInit === 'string' ? this.biasInit : this.biasInit.className,
      biasRegularizer: serializeRegularizer(this.biasRegularizer),
      activityRegularizer: serializeRegularizer(this.activityRegularizer),
      biasConstraint: serializeConstraint(this.biasConstraint),
    };
  }
}

/** The kernel's initializer, regularizer and constraint under a TF.js key prefix ('kernel', 'depthwise', …). */
export class KernelSpec {
  readonly init: string | Initializer;
  readonly regularizer: Regularizer | null;
  readonly constraint: Constraint | null;

  constructor(who: string, readonly prefix: string, args: Record<string, unknown>, defaultInit: string) {
    this.init = (args[`${prefix}Initializer`] as string | Initializer | undefined) ?? defaultInit;
    this.regularizer = getRegularizer(args[`${prefix}Regularizer`] as Regularizer | string | null | undefined, `${who}: ${prefix}Regularizer`);
    this.constraint = getConstraint(args[`${prefix}Constraint`] as Constraint | string | null | undefined, `${who}: ${prefix}Constraint`);
  }

  /** Adds the weight to `layer` with this spec. */
  add(layer: Layer, name: string, shape: number[]): Variable {
    return layer.addWeight(name, shape, 'float32', this.init, this.regularizer, true, this.constraint);
  }

  config(): Record<string, unknown> {
    return {
      [`${this.prefix}Initializer`]: typeof this.init === 'string' ? this.init : this.init.className,
      [`${this.prefix}Regularizer`]: serializeRegularizer(this.regularizer),
      [`${this.prefix}Constraint`]: serializeConstraint(this.constraint),
    };
  }
}
