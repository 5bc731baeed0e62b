/**
 * Convolution layers, channels-last, with TensorFlow.js names and config keys:
 * Conv2D (kernel [kernelHeight, kernelWidth, inChannels, filters]) and Conv1D (kernel
 * [kernelSize, inChannels, filters]), bias [filters]. A 'relu' or 'linear' activation runs
 * inside the convolution kernel, as does the bias.
 */
import * as ops from '../ops/index';
import type { Padding } from '../ops/conv-util';
import { conv2dGeometry } from '../ops/conv-util';
import type { Tensor, Variable } from '../tensor';
import { ActivationIdentifier, getActivation } from './activations';
import type { Initializer } from './initializers';
import { Constraint, getConstraint, serializeConstraint } from '../constraints';
import { getRegularizer, Regularizer, serializeRegularizer } from '../regularizers';
import { CallContext, Layer, LayerArgs, SymbolicShape } from './layer';

export interface ConvLayerArgs extends LayerArgs {
  /** Number of output channels. */
  filters: number;
  kernelSize: number | number[];
  strides?: number | number[];
  /** 'valid' (default) or 'same'; Conv1D also 'causal'. */
  padding?: 'valid' | 'same' | 'causal';
  dataFormat?: 'channelsLast' | 'channelsFirst';
  dilationRate?: number | number[];
  activation?: ActivationIdentifier;
  useBias?: boolean;
  kernelInitializer?: string | Initializer;
  biasInitializer?: string | Initializer;
  kernelRegularizer?: Regularizer | string | null;
  biasRegularizer?: Regularizer | string | null;
  kernelConstraint?: Constraint | string | null;
  biasConstraint?: Constraint | string | null;
}

/** A positive integer or a list of `rank` of them. */
function tuple(layer: string, key: string, v: number | number[] | undefined, rank: number, dflt: number): number[] {
  const t = v === undefined ? new Array<number>(rank).fill(dflt) : typeof v === 'number' ? new Array<number>(rank).fill(v) : [...v];
  if (t.length !== rank || !t.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new Error(`${layer}: ${key} must be a positive integer or ${rank} of them, got ${JSON.stringify(v)}`);
  }
  return t;
}

abstract class Conv extends Layer {
  readonly filters: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: 'valid' | 'same' | 'causal';
  readonly dataFormat = 'channelsLast' as const;
  readonly dilationRate: number[];
  readonly activation: ActivationIdentifier;
  readonly useBias: boolean;
  private kernelInit: string | Initializer;
  private biasInit: string | Initializer;
  private activationFn: (x: Tensor) => Tensor;
  readonly kernelRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  readonly kernelConstraint: Constraint | null;
  readonly biasConstraint: Constraint | null;
  kernel: Variable | null = null;
  bias: Variable | null = null;

  constructor(readonly rank: 1 | 2, args: ConvLayerArgs, defaultName: string) {
    super(args, defaultName);
    const cls = rank === 2 ? 'Conv2D' : 'Conv1D';
    const who = `${this.name} (${cls})`;
    if (!Number.isInteger(args?.filters) || args.filters < 1) {
      throw new Error(`${who}: filters must be a positive integer, got ${args?.filters}`);
    }
    this.filters = args.filters;
    this.kernelSize = tuple(who, 'kernelSize', args.kernelSize, rank, NaN);
    this.strides = tuple(who, 'strides', args.strides, rank, 1);
    this.dilationRate = tuple(who, 'dilationRate', args.dilationRate, rank, 1);
    this.padding = args.padding ?? 'valid';
    const pads = rank === 1 ? ['valid', 'same', 'causal'] : ['valid', 'same'];
    if (!pads.includes(this.padding)) {
      throw new Error(`${who}: padding must be ${pads.map((p) => `'${p}'`).join(' or ')}, got '${this.padding}'`);
    }
    if (args.dataFormat !== undefined && args.dataFormat !== 'channelsLast') {
      throw new Error(`${who}: only dataFormat 'channelsLast' is supported, got '${args.dataFormat}'`);
    }
    this.activation = args.activation ?? 'linear';
    this.activationFn = getActivation(this.activation, this.name);
    this.useBias = args.useBias ?? true;
    this.kernelInit = args.kernelInitializer ?? 'glorotUniform';
    this.biasInit = args.biasInitializer ?? 'zeros';
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer, `${who}: kernelRegularizer`);
    this.biasRegularizer = getRegularizer(args.biasRegularizer, `${who}: biasRegularizer`);
    this.kernelConstraint = getConstraint(args.kernelConstraint, `${who}: kernelConstraint`);
    this.biasConstraint = getConstraint(args.biasConstraint, `${who}: biasConstraint`);
  }

  private get who(): string {
    return `${this.name} (${this.className})`;
  }

  override build(inputShape: SymbolicShape): void {
    const channels = inputShape[inputShape.length - 1];
    if (inputShape.length !== this.rank + 2 || channels === null) {
      throw new Error(
        `${this.who}: expected inputs of rank ${this.rank + 2} [batch, ${this.rank === 2 ? 'height, width' : 'steps'}, channels] ` +
          `with known channels, got [${inputShape.map((d) => d ?? 'null').join(', ')}]`);
    }
    this.kernel = this.addWeight('kernel', [...this.kernelSize, channels, this.filters], 'float32', this.kernelInit, this.kernelRegularizer, true, this.kernelConstraint);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', this.biasInit, this.biasRegularizer, true, this.biasConstraint);
    this.built = true;
  }

  /** The 2-D view of this layer's geometry arguments (Conv1D runs as height 1). */
  private geometryArgs(): { strides: [number, number]; dilations: [number, number]; pad: Padding } {
    if (this.rank === 2) {
      return {
        strides: [this.strides[0], this.strides[1]],
        dilations: [this.dilationRate[0], this.dilationRate[1]],
        pad: this.padding as 'valid' | 'same',
      };
    }
    const pad: Padding = this.padding === 'causal'
      ? [[0, 0], [0, 0], [(this.kernelSize[0] - 1) * this.dilationRate[0], 0], [0, 0]]
      : (this.padding as 'valid' | 'same');
    return { strides: [1, this.strides[0]], dilations: [1, this.dilationRate[0]], pad };
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    const k = this.kernel!;
    const channels = k.shape[k.rank - 2];
    if (x.rank !== this.rank + 2) {
      throw new Error(
        `${this.who}: expected input of rank ${this.rank + 2} [batch, ${this.rank === 2 ? 'height, width' : 'steps'}, channels], got [${x.shape.join(', ')}]`);
    }
    if (x.shape[x.rank - 1] !== channels) {
      throw new Error(`${this.who}: expected ${channels} input channels, got input of shape [${x.shape.join(', ')}]`);
    }
    const fused = this.activation === 'relu' || this.activation === 'linear';
    const activation = this.activation === 'relu' ? 'relu' : 'linear';
    let y: Tensor;
    if (this.rank === 2) {
      const { strides, dilations, pad } = this.geometryArgs();
      y = ops.conv2dFused(x, k, { strides, pad, dilations, bias: this.bias, activation: fused ? activation : 'linear' }, this.who);
    } else {
      y = ops.conv1d(x, k, this.strides[0], this.padding, 'NWC', this.dilationRate[0], this.bias, fused ? activation : 'linear', this.who);
    }
    return fused ? y : this.activationFn(y);
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    const batch = inputShape[0];
    const spatial = inputShape.slice(1, -1);
    if (spatial.some((d) => d === null)) return [batch, ...spatial.map(() => null), this.filters];
    const { strides, dilations, pad } = this.geometryArgs();
    const hw = this.rank === 2 ? (spatial as number[]) : [1, spatial[0] as number];
    const ks = this.rank === 2 ? this.kernelSize : [1, this.kernelSize[0]];
    const g = conv2dGeometry(this.who, [1, ...hw, 1], [ks[0], ks[1], 1, this.filters], strides, pad, dilations);
    return this.rank === 2 ? [batch, g.outHeight, g.outWidth, this.filters] : [batch, g.outWidth, this.filters];
  }

  override getConfig() {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dataFormat: this.dataFormat,
      dilationRate: this.dilationRate,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: typeof this.kernelInit === 'string' ? this.kernelInit : this.kernelInit.className,
      biasInitializer: typeof this.biasInit === 'string' ? this.biasInit : this.biasInit.className,
      kernelRegularizer: serializeRegularizer(this.kernelRegularizer),
      biasRegularizer: serializeRegularizer(this.biasRegularizer),
      activityRegularizer: serializeRegularizer(this.activityRegularizer),
      kernelConstraint: serializeConstraint(this.kernelConstraint),
      biasConstraint: serializeConstraint(this.biasConstraint),
    };
  }
}

/** 2-D convolution over [batch, height, width, channels]. */
export class Conv2D extends Conv {
  static override readonly className = 'Conv2D';
  constructor(args: ConvLayerArgs) {
    super(2, args, 'conv2d');
  }
}

/** 1-D convolution over [batch, steps, channels]. */
export class Conv1D extends Conv {
  static override readonly className = 'Conv1D';
  constructor(args: ConvLayerArgs) {
    super(1, args, 'conv1d');
  }
}
