/**
 * Transposed convolutions with TensorFlow.js' names and config keys: Conv2DTranspose (kernel
 * [kh, kw, filters, inChannels]) and Conv3DTranspose (kernel [kd, kh, kw, filters,
 * inChannels]), bias [filters]. Output sizes as Keras' deconv_output_length: with 'same'
 * in·stride, with 'valid' in·stride + max(kernel − stride, 0); Keras' outputPadding and
 * dilationRate (not in TensorFlow.js) are supported too.
 */
import * as ops from '../ops/index';
import type { Tensor, Variable } from '../tensor';
import { BaseConv, BaseConvArgs, deconvOutputLength, KernelSpec, shapeText } from './conv-common';
import { filtersArg } from './conv3d';
import type { Initializer } from './initializers';
import type { Constraint } from '../constraints';
import type { Regularizer } from '../regularizers';
import { CallContext, SymbolicShape } from './layer';

export interface ConvTransposeLayerArgs extends BaseConvArgs {
  /** Number of output channels. */
  filters: number;
  /** Extra rows/columns at the end of each spatial axis (Keras); each must be smaller than the stride. */
  outputPadding?: number | number[] | null;
  kernelInitializer?: string | Initializer;
  kernelRegularizer?: Regularizer | string | null;
  kernelConstraint?: Constraint | string | null;
}

abstract class ConvTranspose extends BaseConv {
  readonly filters: number;
  readonly outputPadding: number[] | null;
  protected readonly kernelSpec: KernelSpec;
  kernel: Variable | null = null;

  constructor(rank: 2 | 3, args: ConvTransposeLayerArgs, defaultName: string) {
    super(rank, args, defaultName);
    this.filters = filtersArg(this.who, args.filters);
    this.kernelSpec = new KernelSpec(this.who, 'kernel', args as unknown as Record<string, unknown>, 'glorotUniform');
    const op = args.outputPadding;
    if (op === undefined || op === null) {
      this.outputPadding = null;
    } else {
      const t = typeof op === 'number' ? new Array<number>(rank).fill(op) : [...op];
      if (t.length !== rank || !t.every((p, i) => Number.isInteger(p) && p >= 0 && p < this.strides[i])) {
        throw new Error(`${this.who}: outputPadding must be ${rank} non-negative integers, each smaller than its stride ${JSON.stringify(this.strides)}, got ${JSON.stringify(op)}`);
      }
      this.outputPadding = t;
    }
  }

  protected get kernelInit(): string | Initializer {
    return this.kernelSpec.init;
  }

  override build(inputShape: SymbolicShape): void {
    const c = this.inputChannels(inputShape);
    this.kernel = this.kernelSpec.add(this, 'kernel', [...this.kernelSize, this.filters, c]);
    this.addBias(this.filters);
    this.built = true;
  }

  /** The output's spatial sizes for input spatial sizes. */
  protected outputSpatial(spatial: (number | null)[]): (number | null)[] {
    return spatial.map((d, i) =>
      deconvOutputLength(d, this.kernelSize[i], this.padding, this.strides[i], this.dilationRate[i], this.outputPadding ? this.outputPadding[i] : null));
  }

  /** The transposed convolution of x to outShape, bias and fused activation included. */
  protected abstract transpose(x: Tensor, kernel: Tensor, outShape: number[]): Tensor;

  call(x: Tensor, _ctx: CallContext): Tensor {
    const k = this.kernel!;
    this.checkInput(x, k.shape[k.rank - 1]);
    const spatial = this.outputSpatial(x.shape.slice(1, -1)) as number[];
    if (spatial.some((d) => !(d >= 1))) {
      throw new Error(`${this.who}: an input of shape [${x.shape.join(', ')}] gives an empty output ${shapeText([x.shape[0], ...spatial, this.filters])}`);
    }
    return this.biasActivation(this.transpose(x, k, [x.shape[0], ...spatial, this.filters]));
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    this.checkShape(s);
    return [s[0], ...this.outputSpatial(s.slice(1, -1)), this.filters];
  }

  override getConfig() {
    const c: Record<string, unknown> = { ...super.getConfig(), filters: this.filters, ...this.kernelSpec.config() };
    // TensorFlow.js writes neither key; Keras reads both. Written only when they act.
    if (this.dilationRate.every((d) => d === 1)) delete c.dilationRate;
    if (this.outputPadding) c.outputPadding = this.outputPadding;
    return c;
  }
}

/** Transposed 2-D convolution over [batch, height, width, channels]. */
export class Conv2DTranspose extends ConvTranspose {
  static override readonly className = 'Conv2DTranspose';
  constructor(args: ConvTransposeLayerArgs) {
    super(2, args, 'conv2d_transpose');
  }
  protected transpose(x: Tensor, kernel: Tensor, outShape: number[]): Tensor {
    return ops.conv2dTranspose(x, kernel, outShape as [number, number, number, number], this.strides as [number, number], this.padding,
      this.dilationRate as [number, number]);
  }
}

/** Transposed 3-D convolution over [batch, depth, height, width, channels]. */
export class Conv3DTranspose extends ConvTranspose {
  static override readonly className = 'Conv3DTranspose';
  constructor(args: ConvTransposeLayerArgs) {
    super(3, args, 'conv3d_transpose');
  }
  protected transpose(x: Tensor, kernel: Tensor, outShape: number[]): Tensor {
    return ops.conv3dTranspose(x, kernel, outShape as [number, number, number, number, number], this.strides as [number, number, number],
      this.padding, this.dilationRate as [number, number, number]);
  }
}
