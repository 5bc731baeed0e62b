/**
 * nn.Conv1d, nn.Conv2d and nn.ConvTranspose2d with PyTorch's arguments (inChannels,
 * outChannels, kernelSize, stride, padding: a number, a pair, 'same' or 'valid', dilation,
 * groups, bias) and initialization, running ferrite's channels-last kernels. Weights keep the
 * Keras layouts: Conv1d [kernel, in/groups, out], Conv2d [kh, kw, in/groups, out],
 * ConvTranspose2d [kh, kw, out/groups, in]; bias [out]. groups = inChannels runs the
 * depthwise kernel; other groups run one convolution per group. With dataFormat 'channelsFirst' the
 * modules take and give PyTorch's NCHW (NCL) tensors, transposed around the kernels.
 */
import { conv1d as conv1dOp, conv2dFused, conv2dTranspose, type Padding } from '../ops/conv';
import { depthwiseConv2dFused } from '../ops/depthwise';
import { biasAddActivation } from '../ops/fused-dense';
import * as ops from '../ops/index';
import type { Tensor, Variable } from '../tensor';
import { checkOptions, DataFormat, dataFormatOf, intPair, IntOrPair, positiveInt, show, toChannelsLast } from './args';
import { fanInBound, uniformParameter } from './init';
import { Module } from './module';

export type ConvPadding = number | [number, number] | 'same' | 'valid';

export interface ConvOptions {
  /** Default 1. */
  stride?: IntOrPair;
  /** Zeros on each side (a number or [height, width]), 'valid' (none, the default) or 'same' (stride 1 only, as PyTorch). */
  padding?: ConvPadding;
  /** Default 1. */
  dilation?: IntOrPair;
  /** Channel groups: in and out channels split into `groups` independent convolutions. Default 1. */
  groups?: number;
  /** Default true. */
  bias?: boolean;
  /** Only 'zeros' (PyTorch's default). */
  paddingMode?: 'zeros';
  /** Default 'channelsLast'. */
  dataFormat?: DataFormat;
}

export interface Conv2dArgs extends ConvOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: IntOrPair;
}

const CONV_OPTIONS = ['stride', 'padding', 'dilation', 'groups', 'bias', 'paddingMode', 'dataFormat'] as const;

/** Positional PyTorch arguments, or one object holding them all. */
function convArgs(who: string, a: number | Conv2dArgs, outChannels?: number, kernelSize?: IntOrPair, opts: ConvOptions = {}): Conv2dArgs {
  if (typeof a === 'object' && a !== null) {
    checkOptions(who, a, ['inChannels', 'outChannels', 'kernelSize', ...CONV_OPTIONS]);
    if (outChannels !== undefined) throw new Error(`${who}: pass either (inChannels, outChannels, kernelSize, options) or one object`);
    return a;
  }
  checkOptions(who, opts, CONV_OPTIONS);
  return { ...opts, inChannels: a, outChannels: outChannels as number, kernelSize: kernelSize as IntOrPair };
}

/** The shared checks and PyTorch padding → ferrite padding. */
abstract class ConvNd extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number] | 'same' | 'valid';
  readonly dilation: [number, number];
  readonly groups: number;
  readonly dataFormat: DataFormat;

  constructor(who: string, args: Conv2dArgs, private readonly spatial: 1 | 2) {
    super();
    const one = (v: IntOrPair | undefined, what: string, min: number, dflt: number): [number, number] => {
      if (v === undefined) return [dflt, dflt];
      if (spatial === 1) {
        if (!Number.isInteger(v) || (v as number) < min) throw new Error(`${who}: ${what} must be ${min ? 'a positive' : 'a non-negative'} integer, got ${JSON.stringify(v)}`);
        return [what === 'padding' ? 0 : 1, v as number]; // a height of 1, unpadded
      }
      return intPair(who, what, v, min);
    };
    this.inChannels = positiveInt(who, 'inChannels', args.inChannels);
    this.outChannels = positiveInt(who, 'outChannels', args.outChannels);
    this.kernelSize = one(args.kernelSize, 'kernelSize', 1, NaN);
    if (args.kernelSize === undefined) throw new Error(`${who}: kernelSize is required`);
    this.stride = one(args.stride, 'stride', 1, 1);
    this.dilation = one(args.dilation, 'dilation', 1, 1);
    this.groups = positiveInt(who, 'groups', args.groups ?? 1);
    const p = args.padding ?? 0;
    this.padding = p === 'same' || p === 'valid' ? p : one(p as IntOrPair, 'padding', 0, 0);
    if (this.padding === 'same' && (this.stride[0] !== 1 || this.stride[1] !== 1)) {
      throw new Error(`${who}: padding 'same' is not supported for strided convolutions (stride ${show(args.stride)}), as in PyTorch: give the padding as numbers`);
    }
    if (args.paddingMode !== undefined && args.paddingMode !== 'zeros') {
      throw new Error(`${who}: paddingMode ${JSON.stringify(args.paddingMode)} is not supported (only 'zeros')`);
    }
    if (this.inChannels % this.groups || this.outChannels % this.groups) {
      throw new Error(`${who}: inChannels (${this.inChannels}) and outChannels (${this.outChannels}) must both be divisible by groups (${this.groups})`);
    }
    this.dataFormat = dataFormatOf(who, args.dataFormat);
  }

  /** The ferrite padding of the channels-last kernel. */
  protected opsPadding(): Padding {
    const p = this.padding;
    if (p === 'same' || p === 'valid') return p;
    if (!p[0] && !p[1]) return 'valid';
    return [[0, 0], [p[0], p[0]], [p[1], p[1]], [0, 0]];
  }

  /** One group per input channel: the depthwise kernel runs it (groups split otherwise). */
  protected isDepthwise(): boolean {
    return this.groups > 1 && this.groups === this.inChannels;
  }

  /**
   * The depthwise convolution of x [n, h, w, c] with weight [kh, kw, 1, c·m] (output channel
   * c·m + q from input channel c: PyTorch's group order), read as the depthwise filter
   * [kh, kw, c, m], plus the bias, in one kernel.
   */
  protected depthwise(x: Tensor, weight: Tensor): Tensor {
    const [kh, kw, , out] = weight.shape;
    const filter = ops.reshape(weight, [kh, kw, this.inChannels, out / this.inChannels]);
    const bias = (this as unknown as { bias: Tensor | null }).bias;
    return depthwiseConv2dFused(x, filter, { strides: this.stride, pad: this.opsPadding(), dilations: this.dilation, bias }, this.describe());
  }

  /** PyTorch-style arguments, with 1-D modules showing single numbers. */
  protected reprArgs(): string {
    const s = (v: [number, number]) => (this.spatial === 1 ? String(v[1]) : show(v));
    const parts = [`${this.inChannels}, ${this.outChannels}, kernelSize=${s(this.kernelSize)}`, `stride=${s(this.stride)}`];
    if (this.padding === 'same' || this.padding === 'valid') parts.push(`padding='${this.padding}'`);
    else if (this.padding[0] || this.padding[1]) parts.push(`padding=${s(this.padding)}`);
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) parts.push(`dilation=${s(this.dilation)}`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (this.dataFormat !== 'channelsLast') parts.push(`dataFormat='${this.dataFormat}'`);
    return parts.join(', ');
  }
}

/**
 * nn.Conv2d(inChannels, outChannels, kernelSize, { stride, padding, dilation, groups, bias,
 * dataFormat }): x [batch, height, width, inChannels] (channels-last; or without the batch) →
 * [batch, outHeight, outWidth, outChannels]. Weight [kh, kw, in/groups, out].
 */
export class Conv2d extends ConvNd {
  static readonly moduleName = 'Conv2d';
  weight: Variable;
  bias: Variable | null;

  constructor(args: Conv2dArgs);
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrPair, opts?: ConvOptions);
  constructor(a: number | Conv2dArgs, outChannels?: number, kernelSize?: IntOrPair, opts?: ConvOptions) {
    const who = typeof a === 'object' ? 'Conv2d' : `Conv2d(${a}, ${outChannels}, ${show(kernelSize)})`;
    const args = convArgs(who, a, outChannels, kernelSize, opts);
    super(who, args, 2);
    const [kh, kw] = this.kernelSize;
    const inPerGroup = this.inChannels / this.groups;
    const bound = fanInBound(inPerGroup * kh * kw);
    this.weight = uniformParameter([kh, kw, inPerGroup, this.outChannels], bound, 'conv2d/weight');
    this.bias = (args.bias ?? true) ? uniformParameter([this.outChannels], bound, 'conv2d/bias') : null;
  }

  forward(x: Tensor): Tensor {
    const io = toChannelsLast(this.describe(), x, 2, this.inChannels, this.dataFormat);
    const y = this.isDepthwise()
      ? this.depthwise(io.x, this.weight)
      : convGroups(io.x, this.weight, this.bias, this.groups, (xi, wi, bi) =>
        conv2dFused(xi, wi, { strides: this.stride, pad: this.opsPadding(), dilations: this.dilation, bias: bi }, this.describe()));
    return io.restore(y);
  }

  override extraRepr(): string {
    return this.reprArgs();
  }
}

/**
 * nn.Conv1d(inChannels, outChannels, kernelSize, { stride, padding, dilation, groups, bias,
 * dataFormat }): x [batch, length, inChannels] (channels-last; or without the batch) →
 * [batch, outLength, outChannels]. Weight [kernelSize, in/groups, out].
 */
export class Conv1d extends ConvNd {
  static readonly moduleName = 'Conv1d';
  weight: Variable;
  bias: Variable | null;

  constructor(args: Conv2dArgs & { kernelSize: number });
  constructor(inChannels: number, outChannels: number, kernelSize: number, opts?: ConvOptions & { stride?: number; padding?: number | 'same' | 'valid'; dilation?: number });
  constructor(a: number | Conv2dArgs, outChannels?: number, kernelSize?: number, opts?: ConvOptions) {
    const who = typeof a === 'object' ? 'Conv1d' : `Conv1d(${a}, ${outChannels}, ${show(kernelSize)})`;
    const args = convArgs(who, a, outChannels, kernelSize, opts);
    super(who, args, 1);
    const k = this.kernelSize[1];
    const inPerGroup = this.inChannels / this.groups;
    const bound = fanInBound(inPerGroup * k);
    this.weight = uniformParameter([k, inPerGroup, this.outChannels], bound, 'conv1d/weight');
    this.bias = (args.bias ?? true) ? uniformParameter([this.outChannels], bound, 'conv1d/bias') : null;
  }

  forward(x: Tensor): Tensor {
    const io = toChannelsLast(this.describe(), x, 1, this.inChannels, this.dataFormat);
    const p = this.padding;
    const pad = p === 'same' || p === 'valid' ? p : p[1];
    let y: Tensor;
    if (this.isDepthwise()) {
      // As a 2-D depthwise convolution of height 1.
      const [n, l, c] = io.x.shape;
      const w = this.weight;
      const y4 = this.depthwise(ops.reshape(io.x, [n, 1, l, c]), ops.reshape(w, [1, ...w.shape]));
      y = ops.reshape(y4, [n, y4.shape[2], y4.shape[3]]);
    } else {
      y = convGroups(io.x, this.weight, this.bias, this.groups, (xi, wi, bi) =>
        conv1dOp(xi, wi, this.stride[1], pad, 'NWC', this.dilation[1], bi, 'linear', this.describe()));
    }
    return io.restore(y);
  }

  override extraRepr(): string {
    return this.reprArgs();
  }
}

export interface ConvTransposeOptions extends ConvOptions {
  /** Extra rows / columns on the bottom / right of the output (smaller than stride or dilation). Default 0. */
  outputPadding?: IntOrPair;
}

export interface ConvTranspose2dArgs extends ConvTransposeOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: IntOrPair;
}

/**
 * nn.ConvTranspose2d(inChannels, outChannels, kernelSize, { stride, padding, outputPadding,
 * dilation, groups, bias, dataFormat }): x [batch, height, width, inChannels] →
 * [batch, (h − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1, …, outChannels].
 * Weight [kh, kw, out/groups, in] (Keras Conv2DTranspose's layout), run by fe.conv2dTranspose
 * (the gradient of a Conv2d with that weight).
 */
export class ConvTranspose2d extends ConvNd {
  static readonly moduleName = 'ConvTranspose2d';
  readonly outputPadding: [number, number];
  weight: Variable;
  bias: Variable | null;

  constructor(args: ConvTranspose2dArgs);
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrPair, opts?: ConvTransposeOptions);
  constructor(a: number | ConvTranspose2dArgs, outChannels?: number, kernelSize?: IntOrPair, opts: ConvTransposeOptions = {}) {
    const who = typeof a === 'object' ? 'ConvTranspose2d' : `ConvTranspose2d(${a}, ${outChannels}, ${show(kernelSize)})`;
    const all: ConvTranspose2dArgs = typeof a === 'object' && a !== null ? a : { ...opts, inChannels: a, outChannels: outChannels as number, kernelSize: kernelSize as IntOrPair };
    checkOptions(who, typeof a === 'object' ? a : opts, [...(typeof a === 'object' ? ['inChannels', 'outChannels', 'kernelSize'] : []), ...CONV_OPTIONS, 'outputPadding']);
    if (all.padding === 'same' || all.padding === 'valid') {
      throw new Error(`${who}: padding must be a number or a pair for a transposed convolution (PyTorch has no 'same' or 'valid' here), got '${all.padding}'`);
    }
    const { outputPadding, ...convArgs } = all;
    super(who, convArgs, 2);
    this.outputPadding = intPair(who, 'outputPadding', outputPadding ?? 0, 0);
    for (let i = 0; i < 2; i++) {
      if (this.outputPadding[i] >= Math.max(this.stride[i], this.dilation[i])) {
        throw new Error(`${who}: outputPadding ${show(this.outputPadding)} must be smaller than either stride ${show(this.stride)} or dilation ${show(this.dilation)}`);
      }
    }
    const [kh, kw] = this.kernelSize;
    const outPerGroup = this.outChannels / this.groups;
    const bound = fanInBound(outPerGroup * kh * kw);
    this.weight = uniformParameter([kh, kw, outPerGroup, this.inChannels], bound, 'conv_transpose2d/weight');
    this.bias = (all.bias ?? true) ? uniformParameter([this.outChannels], bound, 'conv_transpose2d/bias') : null;
  }

  /** Output height and width for an input of `h` × `w`. */
  outputSize(h: number, w: number): [number, number] {
    const p = this.padding as [number, number];
    return [0, 1].map((i) => ((i ? w : h) - 1) * this.stride[i] - 2 * p[i] + this.dilation[i] * (this.kernelSize[i] - 1) + this.outputPadding[i] + 1) as [number, number];
  }

  forward(x: Tensor): Tensor {
    const who = this.describe();
    const io = toChannelsLast(who, x, 2, this.inChannels, this.dataFormat);
    const [n, h, w] = io.x.shape;
    const [oh, ow] = this.outputSize(h, w);
    if (oh < 1 || ow < 1) throw new Error(`${who}: an input of ${h}×${w} gives an empty output (${oh}×${ow})`);
    const p = this.padding as [number, number];
    // The convolution whose input gradient this is: padding p on top / left, and on the bottom /
    // right whatever makes its output exactly h × w again (p, or p − outputPadding when
    // outputPadding ≥ stride, which PyTorch allows with dilation).
    const after = [0, 1].map((i) => (this.outputPadding[i] < this.stride[i] ? p[i] : p[i] - this.outputPadding[i]));
    if (after[0] < 0 || after[1] < 0) {
      throw new Error(`${who}: outputPadding ${show(this.outputPadding)} ≥ stride ${show(this.stride)} needs padding ≥ outputPadding, got padding ${show(p)}`);
    }
    const pad: Padding = [[0, 0], [p[0], after[0]], [p[1], after[1]], [0, 0]];
    const outPerGroup = this.outChannels / this.groups;
    const y = convGroups(io.x, this.weight, null, this.groups, (xi, wi) =>
      conv2dTranspose(xi, wi, [n, oh, ow, outPerGroup], this.stride, pad, this.dilation));
    const out = this.bias ? biasAddActivation(y, this.bias, 'linear', who) : y;
    return io.restore(out);
  }

  override extraRepr(): string {
    const extra = this.outputPadding[0] || this.outputPadding[1] ? `, outputPadding=${show(this.outputPadding)}` : '';
    return this.reprArgs() + extra;
  }
}

/**
 * Runs `conv` once, or once per channel group: the input's channels and the weight's
 * output axis (a transposed weight's input axis) split into `groups` slices, outputs joined.
 */
function convGroups(
  x: Tensor, weight: Tensor, bias: Tensor | null, groups: number, conv: (x: Tensor, w: Tensor, b: Tensor | null) => Tensor,
): Tensor {
  if (groups === 1) return conv(x, weight, bias);
  const xs = ops.split(x, groups, x.rank - 1);
  const ws = ops.split(weight, groups, weight.rank - 1);
  const bs = bias ? ops.split(bias, groups, 0) : null;
  const ys = xs.map((xi, g) => conv(xi, ws[g], bs ? bs[g] : null));
  return ops.concat(ys, x.rank - 1);
}

export const conv2d = ((a: number | Conv2dArgs, outChannels?: number, kernelSize?: IntOrPair, opts?: ConvOptions) =>
  typeof a === 'object' ? new Conv2d(a) : new Conv2d(a, outChannels as number, kernelSize as IntOrPair, opts)) as {
  (args: Conv2dArgs): Conv2d;
  (inChannels: number, outChannels: number, kernelSize: IntOrPair, opts?: ConvOptions): Conv2d;
};

export const conv1d = ((a: number | (Conv2dArgs & { kernelSize: number }), outChannels?: number, kernelSize?: number, opts?: ConvOptions) =>
  typeof a === 'object' ? new Conv1d(a) : new Conv1d(a, outChannels as number, kernelSize as number, opts as never)) as {
  (args: Conv2dArgs & { kernelSize: number }): Conv1d;
  (inChannels: number, outChannels: number, kernelSize: number, opts?: ConvOptions & { stride?: number; padding?: number | 'same' | 'valid'; dilation?: number }): Conv1d;
};

export const convTranspose2d = ((a: number | ConvTranspose2dArgs, outChannels?: number, kernelSize?: IntOrPair, opts?: ConvTransposeOptions) =>
  typeof a === 'object' ? new ConvTranspose2d(a) : new ConvTranspose2d(a, outChannels as number, kernelSize as IntOrPair, opts)) as {
  (args: ConvTranspose2dArgs): ConvTranspose2d;
  (inChannels: number, outChannels: number, kernelSize: IntOrPair, opts?: ConvTransposeOptions): ConvTranspose2d;
};
