/**
 * nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d and nn.AdaptiveMaxPool2d with PyTorch's
 * arguments and output sizes, over ferrite's channels-last pooling kernels:
 * - stride defaults to kernelSize; padding (≤ kernelSize / 2) is never a maximum's candidate;
 * - ceilMode adds a last, partial window when PyTorch would (it must start inside the input
 *   or the left padding);
 * - AvgPool2d's countIncludePad (default true, as PyTorch) divides by the window's size
 *   including the zero padding, never counting the part a ceilMode window hangs past it;
 * - the adaptive pools split each axis into windows [⌊i·in/out⌋, ⌈(i+1)·in/out⌉).
 */
import * as ops from '../ops/index';
import type { Padding } from '../ops/conv-util';
import type { Tensor } from '../tensor';
import { checkOptions, DataFormat, dataFormatOf, intPair, IntOrPair, show, toChannelsLast } from './args';
import { Module } from './module';

export interface Pool2dOptions {
  /** Default kernelSize. */
  stride?: IntOrPair;
  /** Implicit padding on each side, at most half the kernel. Default 0. */
  padding?: IntOrPair;
  /** Only 1. */
  dilation?: IntOrPair;
  /** Output sizes rounded up (a last partial window). Default false. */
  ceilMode?: boolean;
  dataFormat?: DataFormat;
}

export interface AvgPool2dOptions extends Pool2dOptions {
  /** Divide by the window including its zero padding (default true, as PyTorch). */
  countIncludePad?: boolean;
}

/** One axis: PyTorch's output size and the padding after the input that gives it. */
function poolAxis(who: string, name: string, size: number, k: number, s: number, p: number, ceil: boolean): { out: number; extra: number } {
  const span = size + 2 * p - k;
  if (span < 0) throw new Error(`${who}: the pooling window ${k} is larger than the padded input's ${name} ${size + 2 * p}`);
  let out = Math.floor((span + (ceil ? s - 1 : 0)) / s) + 1;
  // PyTorch: the last window must start inside the input or the left padding.
  if (ceil && (out - 1) * s >= size + p) out--;
  return { out, extra: Math.max(0, (out - 1) * s + k - (size + 2 * p)) };
}

export function pool2d(
  kind: 'max' | 'avg', who: string, x: Tensor, kernel: [number, number], stride: [number, number],
  padding: [number, number], ceilMode: boolean, countIncludePad: boolean, format: DataFormat,
): Tensor {
  const io = toChannelsLast(who, x, 2, null, format);
  const [, h, w] = io.x.shape;
  const ah = poolAxis(who, 'height', h, kernel[0], stride[0], padding[0], ceilMode);
  const aw = poolAxis(who, 'width', w, kernel[1], stride[1], padding[1], ceilMode);
  let input = io.x;
  let pad: Padding;
  if (kind === 'avg' && countIncludePad && (padding[0] || padding[1])) {
    // Real zeros count in the average; the ceilMode overhang stays kernel padding, which does not.
    input = ops.pad(io.x, [[0, 0], [padding[0], padding[0]], [padding[1], padding[1]], [0, 0]]);
    pad = [[0, 0], [0, ah.extra], [0, aw.extra], [0, 0]];
  } else {
    pad = [[0, 0], [padding[0], padding[0] + ah.extra], [padding[1], padding[1] + aw.extra], [0, 0]];
  }
  const y = kind === 'max' ? ops.maxPool(input, kernel, stride, pad, who) : ops.avgPool(input, kernel, stride, pad, who);
  return io.restore(y);
}

/** The options PyTorch's pools share, checked; `strideOrOptions` may be the stride itself. */
function poolArgs(who: string, kernelSize: IntOrPair, strideOrOptions: IntOrPair | AvgPool2dOptions | undefined, allowed: string[]) {
  const opts: AvgPool2dOptions = typeof strideOrOptions === 'number' || Array.isArray(strideOrOptions) ? { stride: strideOrOptions } : (strideOrOptions ?? {});
  checkOptions(who, opts, allowed);
  const kernel = intPair(who, 'kernelSize', kernelSize, 1);
  const stride = opts.stride === undefined || opts.stride === null ? kernel : intPair(who, 'stride', opts.stride, 1);
  const padding = intPair(who, 'padding', opts.padding ?? 0, 0);
  if (padding[0] > kernel[0] / 2 || padding[1] > kernel[1] / 2) {
    throw new Error(`${who}: padding ${show(opts.padding)} must be at most half the kernel size ${show(kernelSize)}`);
  }
  const dilation = intPair(who, 'dilation', opts.dilation ?? 1, 1);
  if (dilation[0] !== 1 || dilation[1] !== 1) throw new Error(`${who}: dilation ${show(opts.dilation)} is not supported (only 1)`);
  if (opts.ceilMode !== undefined && typeof opts.ceilMode !== 'boolean') throw new Error(`${who}: ceilMode must be a boolean, got ${JSON.stringify(opts.ceilMode)}`);
  return { kernel, stride, padding, ceilMode: opts.ceilMode ?? false, countIncludePad: opts.countIncludePad ?? true, format: dataFormatOf(who, opts.dataFormat) };
}

const POOL_OPTIONS = ['stride', 'padding', 'dilation', 'ceilMode', 'dataFormat'];

abstract class Pool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly ceilMode: boolean;
  readonly dataFormat: DataFormat;
  protected readonly countIncludePad: boolean;

  constructor(name: string, kernelSize: IntOrPair, strideOrOptions: IntOrPair | AvgPool2dOptions | undefined, allowed: string[]) {
    super();
    const a = poolArgs(`${name}(${show(kernelSize)})`, kernelSize, strideOrOptions, allowed);
    this.kernelSize = a.kernel;
    this.stride = a.stride;
    this.padding = a.padding;
    this.ceilMode = a.ceilMode;
    this.countIncludePad = a.countIncludePad;
    this.dataFormat = a.format;
  }

  override extraRepr(): string {
    const parts = [`kernelSize=${show(this.kernelSize)}`, `stride=${show(this.stride)}`, `padding=${show(this.padding)}`];
    if (this.ceilMode) parts.push('ceilMode=true');
    if (this.dataFormat !== 'channelsLast') parts.push(`dataFormat='${this.dataFormat}'`);
    return parts.join(', ');
  }
}

/** nn.MaxPool2d(kernelSize, stride? | { stride, padding, ceilMode, dataFormat }). */
export class MaxPool2d extends Pool2d {
  static readonly moduleName = 'MaxPool2d';
  constructor(kernelSize: IntOrPair, strideOrOptions?: IntOrPair | Pool2dOptions) {
    super('MaxPool2d', kernelSize, strideOrOptions, POOL_OPTIONS);
  }
  forward(x: Tensor): Tensor {
    return pool2d('max', this.describe(), x, this.kernelSize, this.stride, this.padding, this.ceilMode, true, this.dataFormat);
  }
}

/** nn.AvgPool2d(kernelSize, stride? | { stride, padding, ceilMode, countIncludePad, dataFormat }). */
export class AvgPool2d extends Pool2d {
  static readonly moduleName = 'AvgPool2d';
  constructor(kernelSize: IntOrPair, strideOrOptions?: IntOrPair | AvgPool2dOptions) {
    super('AvgPool2d', kernelSize, strideOrOptions, [...POOL_OPTIONS, 'countIncludePad']);
  }
  forward(x: Tensor): Tensor {
    return pool2d('avg', this.describe(), x, this.kernelSize, this.stride, this.padding, this.ceilMode, this.countIncludePad, this.dataFormat);
  }
  override extraRepr(): string {
    return super.extraRepr() + (this.countIncludePad ? '' : ', countIncludePad=false');
  }
}

/** F.max_pool2d(x, kernelSize, stride? | options). */
export function maxPool2d(x: Tensor, kernelSize: IntOrPair, strideOrOptions?: IntOrPair | Pool2dOptions): Tensor {
  const a = poolArgs(`maxPool2d(${show(kernelSize)})`, kernelSize, strideOrOptions, POOL_OPTIONS);
  return pool2d('max', 'maxPool2d', x, a.kernel, a.stride, a.padding, a.ceilMode, true, a.format);
}

/** F.avg_pool2d(x, kernelSize, stride? | options). */
export function avgPool2d(x: Tensor, kernelSize: IntOrPair, strideOrOptions?: IntOrPair | AvgPool2dOptions): Tensor {
  const a = poolArgs(`avgPool2d(${show(kernelSize)})`, kernelSize, strideOrOptions, [...POOL_OPTIONS, 'countIncludePad']);
  return pool2d('avg', 'avgPool2d', x, a.kernel, a.stride, a.padding, a.ceilMode, a.countIncludePad, a.format);
}

// ---- adaptive pooling ------------------------------------------------------------------------

/** An output size: a number, or [height, width] where null keeps the input's size. */
export type AdaptiveSize = number | [number | null, number | null];

function adaptiveSize(who: string, v: AdaptiveSize): [number | null, number | null] {
  const p = typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? v : null;
  if (!p || !p.every((d) => d === null || (Number.isInteger(d) && d >= 1))) {
    throw new Error(`${who}: outputSize must be a positive integer or a pair of them (null keeps the input size), got ${JSON.stringify(v)}`);
  }
  return [p[0], p[1]];
}

/** Reduces one axis (1: height, 2: width) of x [n, h, w, c] to `out` adaptive windows. */
function adaptiveAxis(kind: 'max' | 'avg', x: Tensor, axis: 1 | 2, out: number): Tensor {
  const size = x.shape[axis];
  if (out === size) return x;
  const reduce = (t: Tensor) => (kind === 'max' ? ops.max(t, axis, true) : ops.mean(t, axis, true));
  if (out === 1) return reduce(x);
  const parts: Tensor[] = [];
  for (let i = 0; i < out; i++) {
    const start = Math.floor((i * size) / out), end = Math.ceil(((i + 1) * size) / out);
    const begin = [0, 0, 0, 0], len = [-1, -1, -1, -1];
    begin[axis] = start;
    len[axis] = end - start;
    parts.push(reduce(ops.slice(x, begin, len)));
  }
  return ops.concat(parts, axis);
}

export function adaptivePool2d(kind: 'max' | 'avg', who: string, x: Tensor, size: [number | null, number | null], format: DataFormat): Tensor {
  const io = toChannelsLast(who, x, 2, null, format);
  const [, h, w] = io.x.shape;
  const oh = size[0] ?? h, ow = size[1] ?? w;
  if (h < 1 || w < 1) throw new Error(`${who}: the input ${h}×${w} is empty`);
  let y: Tensor;
  if (h % oh === 0 && w % ow === 0 && (oh !== h || ow !== w) && oh !== 1 && ow !== 1) {
    // Equal windows: one pooling kernel.
    const k: [number, number] = [h / oh, w / ow];
    y = kind === 'max' ? ops.maxPool(io.x, k, k, 'valid', who) : ops.avgPool(io.x, k, k, 'valid', who);
  } else {
    // A rectangle's max (mean) is the max (mean) over its rows of the max (mean) over its columns.
    y = adaptiveAxis(kind, adaptiveAxis(kind, io.x, 1, oh), 2, ow);
  }
  return io.restore(y);
}

abstract class AdaptivePool2d extends Module {
  readonly outputSize: [number | null, number | null];
  readonly dataFormat: DataFormat;
  constructor(name: string, outputSize: AdaptiveSize, opts: { dataFormat?: DataFormat } = {}) {
    super();
    const who = `${name}(${show(outputSize)})`;
    checkOptions(who, opts, ['dataFormat']);
    this.outputSize = adaptiveSize(who, outputSize);
    this.dataFormat = dataFormatOf(who, opts.dataFormat);
  }
  override extraRepr(): string {
    return `outputSize=${show(this.outputSize)}${this.dataFormat !== 'channelsLast' ? `, dataFormat='${this.dataFormat}'` : ''}`;
  }
}

/** nn.AdaptiveAvgPool2d(outputSize, { dataFormat }): any h × w → outputSize. */
export class AdaptiveAvgPool2d extends AdaptivePool2d {
  static readonly moduleName = 'AdaptiveAvgPool2d';
  constructor(outputSize: AdaptiveSize, opts?: { dataFormat?: DataFormat }) {
    super('AdaptiveAvgPool2d', outputSize, opts);
  }
  forward(x: Tensor): Tensor {
    return adaptivePool2d('avg', this.describe(), x, this.outputSize, this.dataFormat);
  }
}

/** nn.AdaptiveMaxPool2d(outputSize, { dataFormat }). */
export class AdaptiveMaxPool2d extends AdaptivePool2d {
  static readonly moduleName = 'AdaptiveMaxPool2d';
  constructor(outputSize: AdaptiveSize, opts?: { dataFormat?: DataFormat }) {
    super('AdaptiveMaxPool2d', outputSize, opts);
  }
  forward(x: Tensor): Tensor {
    return adaptivePool2d('max', this.describe(), x, this.outputSize, this.dataFormat);
  }
}

export function adaptiveAvgPool2d(x: Tensor, outputSize: AdaptiveSize, opts: { dataFormat?: DataFormat } = {}): Tensor {
  checkOptions('adaptiveAvgPool2d', opts, ['dataFormat']);
  return adaptivePool2d('avg', 'adaptiveAvgPool2d', x, adaptiveSize('adaptiveAvgPool2d', outputSize), dataFormatOf('adaptiveAvgPool2d', opts.dataFormat));
}

export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize, opts: { dataFormat?: DataFormat } = {}): Tensor {
  checkOptions('adaptiveMaxPool2d', opts, ['dataFormat']);
  return adaptivePool2d('max', 'adaptiveMaxPool2d', x, adaptiveSize('adaptiveMaxPool2d', outputSize), dataFormatOf('adaptiveMaxPool2d', opts.dataFormat));
}
