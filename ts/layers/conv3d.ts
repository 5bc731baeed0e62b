/**
 * Conv3D with TensorFlow.js' name and config keys: kernel [kd, kh, kw, inChannels, filters],
 * bias [filters], on [batch, depth, height, width, channels]. A 'relu' or 'linear' activation
 * and the bias run inside the convolution kernel.
 */
import * as ops from '../ops/index';
import type { Tensor, Variable } from '../tensor';
import { BaseConv, BaseConvArgs, convOutputLength, KernelSpec } from './conv-common';
import type { Initializer } from './initializers';
import type { Constraint } from '../constraints';
import type { Regularizer } from '../regularizers';
import { CallContext, SymbolicShape } from './layer';

export interface Conv3DLayerArgs extends BaseConvArgs {
  /** Number of output channels. */
  filters: number;
  kernelInitializer?: string | Initializer;
  kernelRegularizer?: Regularizer | string | null;
  kernelConstraint?: Constraint | string | null;
}

/** A positive integer number of filters, or a clear error. */
export function filtersArg(who: string, filters: unknown): number {
  if (!Number.isInteger(filters) || (filters as number) < 1) throw new Error(`${who}: filters must be a positive integer, got ${String(filters)}`);
  return filters as number;
}

/** 3-D convolution over [batch, depth, height, width, channels]. */
export class Conv3D extends BaseConv {
  static override readonly className = 'Conv3D';
  readonly filters: number;
  protected readonly kernelSpec: KernelSpec;
  kernel: Variable | null = null;

  constructor(args: Conv3DLayerArgs) {
    super(3, args, 'conv3d');
    this.filters = filtersArg(this.who, args.filters);
    this.kernelSpec = new KernelSpec(this.who, 'kernel', args as unknown as Record<string, unknown>, 'glorotUniform');
  }

  /** Read by serialization for the kernel initializer's full config. */
  protected get kernelInit(): string | Initializer {
    return this.kernelSpec.init;
  }

  override build(inputShape: SymbolicShape): void {
    const c = this.inputChannels(inputShape);
    this.kernel = this.kernelSpec.add(this, 'kernel', [...this.kernelSize, c, this.filters]);
    this.addBias(this.filters);
    this.built = true;
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    const k = this.kernel!;
    this.checkInput(x, k.shape[3]);
    // Bias and ReLU inside the convolution kernel; other activations in one pass after it.
    const fused = this.fusedActivation;
    const y = ops.conv3dFused(x, k, {
      strides: this.strides as [number, number, number], pad: this.padding, dilations: this.dilationRate as [number, number, number],
      bias: fused ? this.bias : null, activation: fused ?? 'linear',
    }, this.who);
    return fused ? y : this.biasActivation(y);
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    this.checkShape(s);
    const spatial = [0, 1, 2].map((i) => convOutputLength(this.who, s[i + 1], this.kernelSize[i], this.padding, this.strides[i], this.dilationRate[i]));
    return [s[0], ...spatial, this.filters];
  }

  override getConfig() {
    return { ...super.getConfig(), filters: this.filters, ...this.kernelSpec.config() };
  }
}
