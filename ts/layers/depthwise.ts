/**
 * DepthwiseConv2D and SeparableConv2D with TensorFlow.js' names and config keys (Keras
 * semantics): depthwise_kernel [kh, kw, inChannels, depthMultiplier] gives inChannels ·
 * depthMultiplier channels (channel c·m + q from input channel c); SeparableConv2D follows it
 * with pointwise_kernel [1, 1, inChannels·depthMultiplier, filters]. Bias [outChannels]. A
 * 'relu' or 'linear' activation and the bias run inside the last convolution's kernel.
 */
import * as ops from '../ops/index';
import type { Tensor, Variable } from '../tensor';
import { BaseConv, BaseConvArgs, convOutputLength, freeing, KernelSpec } from './conv-common';
import { filtersArg } from './conv3d';
import type { Initializer } from './initializers';
import type { Constraint } from '../constraints';
import type { Regularizer } from '../regularizers';
import { CallContext, SymbolicShape } from './layer';

export interface DepthwiseConv2DLayerArgs extends BaseConvArgs {
  /** Output channels per input channel (default 1). */
  depthMultiplier?: number;
  depthwiseInitializer?: string | Initializer;
  depthwiseRegularizer?: Regularizer | string | null;
  depthwiseConstraint?: Constraint | string | null;
}

export interface SeparableConvLayerArgs extends DepthwiseConv2DLayerArgs {
  /** Number of output channels. */
  filters: number;
  pointwiseInitializer?: string | Initializer;
  pointwiseRegularizer?: Regularizer | string | null;
  pointwiseConstraint?: Constraint | string | null;
}

function multiplierArg(who: string, v: unknown): number {
  if (v === undefined || v === null) return 1;
  if (!Number.isInteger(v) || (v as number) < 1) throw new Error(`${who}: depthMultiplier must be a positive integer, got ${String(v)}`);
  return v as number;
}

abstract class DepthwiseBase extends BaseConv {
  readonly depthMultiplier: number;
  protected readonly depthwiseSpec: KernelSpec;
  depthwiseKernel: Variable | null = null;

  constructor(args: DepthwiseConv2DLayerArgs, defaultName: string) {
    super(2, args, defaultName);
    this.depthMultiplier = multiplierArg(this.who, args.depthMultiplier);
    this.depthwiseSpec = new KernelSpec(this.who, 'depthwise', args as unknown as Record<string, unknown>, 'glorotUniform');
  }

  protected get depthwiseInit(): string | Initializer {
    return this.depthwiseSpec.init;
  }

  /** The depthwise convolution of x, with the bias and activation when `fuse`. */
  protected depthwise(x: Tensor, fuse: boolean): Tensor {
    const k = this.depthwiseKernel!;
    this.checkInput(x, k.shape[2]);
    const fused = fuse ? this.fusedActivation : null;
    return ops.depthwiseConv2dFused(x, k, {
      strides: this.strides as [number, number], pad: this.padding, dilations: this.dilationRate as [number, number],
      bias: fused ? this.bias : null, activation: fused ?? 'linear',
    }, this.who);
  }

  protected spatialOut(s: SymbolicShape): (number | null)[] {
    this.checkShape(s);
    return [0, 1].map((i) => convOutputLength(this.who, s[i + 1], this.kernelSize[i], this.padding, this.strides[i], this.dilationRate[i]));
  }

  override getConfig() {
    return { ...super.getConfig(), depthMultiplier: this.depthMultiplier, ...this.depthwiseSpec.config() };
  }
}

/** Depthwise 2-D convolution over [batch, height, width, channels]. */
export class DepthwiseConv2D extends DepthwiseBase {
  static override readonly className = 'DepthwiseConv2D';

  constructor(args: DepthwiseConv2DLayerArgs) {
    super(args, 'depthwise_conv2d');
  }

  override build(inputShape: SymbolicShape): void {
    const c = this.inputChannels(inputShape);
    this.depthwiseKernel = this.depthwiseSpec.add(this, 'depthwise_kernel', [...this.kernelSize, c, this.depthMultiplier]);
    this.addBias(c * this.depthMultiplier);
    this.built = true;
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    const y = this.depthwise(x, true);
    return this.fusedActivation ? y : this.biasActivation(y);
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    const [h, w] = this.spatialOut(s);
    return [s[0], h, w, s[3] === null ? null : s[3] * this.depthMultiplier];
  }
}

/** Depthwise separable 2-D convolution: depthwise, then 1×1 across channels. */
export class SeparableConv2D extends DepthwiseBase {
  static override readonly className = 'SeparableConv2D';
  readonly filters: number;
  protected readonly pointwiseSpec: KernelSpec;
  pointwiseKernel: Variable | null = null;

  constructor(args: SeparableConvLayerArgs) {
    super(args, 'separable_conv2d');
    this.filters = filtersArg(this.who, args.filters);
    for (const k of ['kernelInitializer', 'kernelRegularizer', 'kernelConstraint'] as const) {
      if ((args as unknown as Record<string, unknown>)[k] !== undefined && (args as unknown as Record<string, unknown>)[k] !== null) {
        throw new Error(`${this.who}: ${k} does not apply to SeparableConv2D; use depthwise${k.slice(6)} and pointwise${k.slice(6)}`);
      }
    }
    this.pointwiseSpec = new KernelSpec(this.who, 'pointwise', args as unknown as Record<string, unknown>, 'glorotUniform');
  }

  protected get pointwiseInit(): string | Initializer {
    return this.pointwiseSpec.init;
  }

  override build(inputShape: SymbolicShape): void {
    const c = this.inputChannels(inputShape);
    this.depthwiseKernel = this.depthwiseSpec.add(this, 'depthwise_kernel', [...this.kernelSize, c, this.depthMultiplier]);
    this.pointwiseKernel = this.pointwiseSpec.add(this, 'pointwise_kernel', [1, 1, c * this.depthMultiplier, this.filters]);
    this.addBias(this.filters);
    this.built = true;
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    const d = this.depthwise(x, false);
    const fused = this.fusedActivation;
    const y = freeing(d, ops.conv2dFused(d, this.pointwiseKernel!, { bias: fused ? this.bias : null, activation: fused ?? 'linear' }, this.who));
    return fused ? y : this.biasActivation(y);
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    const [h, w] = this.spatialOut(s);
    return [s[0], h, w, this.filters];
  }

  override getConfig() {
    return { ...super.getConfig(), filters: this.filters, ...this.pointwiseSpec.config() };
  }
}
