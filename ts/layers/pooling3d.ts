/**
 * 3-D pooling over [batch, depth, height, width, channels], TensorFlow.js names and config
 * keys: MaxPooling3D and AveragePooling3D (poolSize default [2, 2, 2], strides default
 * poolSize, padding 'valid' | 'same'; padding never takes part, as TensorFlow).
 */
import * as ops from '../ops/index';
import type { Tensor } from '../tensor';
import { checkChannelsLast, convOutputLength, shapeText, tupleArg } from './conv-common';
import { CallContext, Layer, LayerArgs, SymbolicShape } from './layer';

export interface Pooling3DLayerArgs extends LayerArgs {
  poolSize?: number | [number, number, number];
  /** Default: poolSize. */
  strides?: number | [number, number, number] | null;
  padding?: 'valid' | 'same';
  dataFormat?: 'channelsLast' | 'channelsFirst';
}

abstract class Pooling3D extends Layer {
  readonly poolSize: [number, number, number];
  readonly strides: [number, number, number];
  readonly padding: 'valid' | 'same';
  readonly dataFormat = 'channelsLast' as const;

  constructor(private kind: 'max' | 'avg', args: Pooling3DLayerArgs, defaultName: string) {
    super(args, defaultName);
    const who = this.who;
    this.poolSize = tupleArg(who, 'poolSize', args.poolSize, 3, 2) as [number, number, number];
    this.strides = tupleArg(who, 'strides', args.strides ?? this.poolSize, 3, 1) as [number, number, number];
    this.padding = args.padding ?? 'valid';
    if (this.padding !== 'valid' && this.padding !== 'same') throw new Error(`${who}: padding must be 'valid' or 'same', got '${String(args.padding)}'`);
    checkChannelsLast(who, args.dataFormat);
  }

  private get who(): string {
    return `${this.name} (${this.className})`;
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    if (x.rank !== 5) throw new Error(`${this.who}: expected input of rank 5 [batch, depth, height, width, channels], got [${x.shape.join(', ')}]`);
    return this.kind === 'max'
      ? ops.maxPool3d(x, this.poolSize, this.strides, this.padding, undefined, 'NDHWC', this.who)
      : ops.avgPool3d(x, this.poolSize, this.strides, this.padding, undefined, 'NDHWC', this.who);
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    if (s.length !== 5) throw new Error(`${this.who}: expected input of rank 5 [batch, depth, height, width, channels], got ${shapeText(s)}`);
    return [s[0], ...[0, 1, 2].map((i) => convOutputLength(this.who, s[i + 1], this.poolSize[i], this.padding, this.strides[i], 1)), s[4]];
  }

  override getConfig() {
    return { ...super.getConfig(), poolSize: this.poolSize, padding: this.padding, strides: this.strides, dataFormat: this.dataFormat };
  }
}

/** The maximum over windows of poolSize [depth, height, width]. */
export class MaxPooling3D extends Pooling3D {
  static override readonly className = 'MaxPooling3D';
  constructor(args: Pooling3DLayerArgs = {}) {
    super('max', args, 'max_pooling3d');
  }
}

/** The mean over windows of poolSize (padding not counted). */
export class AveragePooling3D extends Pooling3D {
  static override readonly className = 'AveragePooling3D';
  constructor(args: Pooling3DLayerArgs = {}) {
    super('avg', args, 'average_pooling3d');
  }
}
