/**
 * 2-D pooling layers on [batch, height, width, channels], TensorFlow.js names and config
 * keys: MaxPooling2D and AveragePooling2D (poolSize default [2, 2], strides default
 * poolSize, padding 'valid' | 'same'), GlobalMaxPooling2D and GlobalAveragePooling2D
 * (→ [batch, channels]).
 */
import * as ops from '../ops/index';
import { pool2dGeometry } from '../ops/conv-util';
import type { Tensor } from '../tensor';
import { CallContext, Layer, LayerArgs, SymbolicShape } from './layer';

export interface Pooling2DArgs extends LayerArgs {
  poolSize?: number | [number, number];
  strides?: number | [number, number];
  padding?: 'valid' | 'same';
  dataFormat?: 'channelsLast' | 'channelsFirst';
}

function pairOf(who: string, key: string, v: number | number[] | undefined, dflt: [number, number]): [number, number] {
  const t = v === undefined ? dflt : typeof v === 'number' ? [v, v] : [...v];
  if (t.length !== 2 || !t.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new Error(`${who}: ${key} must be a positive integer or a pair of them, got ${JSON.stringify(v)}`);
  }
  return [t[0], t[1]];
}

function checkChannelsLast(who: string, dataFormat: string | undefined): void {
  if (dataFormat !== undefined && dataFormat !== 'channelsLast') {
    throw new Error(`${who}: only dataFormat 'channelsLast' is supported, got '${dataFormat}'`);
  }
}

function checkRank4(who: string, x: Tensor): void {
  if (x.rank !== 4) throw new Error(`${who}: expected input of rank 4 [batch, height, width, channels], got [${x.shape.join(', ')}]`);
}

abstract class Pooling2D extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  readonly dataFormat = 'channelsLast' as const;

  constructor(private kind: 'max' | 'avg', cls: string, args: Pooling2DArgs, defaultName: string) {
    super(args, defaultName);
    const who = `${this.name} (${cls})`;
    this.poolSize = pairOf(who, 'poolSize', args.poolSize, [2, 2]);
    this.strides = pairOf(who, 'strides', args.strides ?? undefined, this.poolSize);
    this.padding = args.padding ?? 'valid';
    if (this.padding !== 'valid' && this.padding !== 'same') {
      throw new Error(`${who}: padding must be 'valid' or 'same', got '${this.padding}'`);
    }
    checkChannelsLast(who, args.dataFormat);
  }

  private get who(): string {
    return `${this.name} (${this.className})`;
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    checkRank4(this.who, x);
    return this.kind === 'max'
      ? ops.maxPool(x, this.poolSize, this.strides, this.padding, this.who)
      : ops.avgPool(x, this.poolSize, this.strides, this.padding, this.who);
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    if (s.length !== 4) throw new Error(`${this.who}: expected input of rank 4 [batch, height, width, channels], got [${s.map((d) => d ?? 'null').join(', ')}]`);
    if (s[1] === null || s[2] === null) return [s[0], null, null, s[3]];
    const g = pool2dGeometry(this.who, [1, s[1], s[2], 1], this.poolSize, this.strides, this.padding);
    return [s[0], g.outHeight, g.outWidth, s[3]];
  }

  override getConfig() {
    return { ...super.getConfig(), poolSize: this.poolSize, strides: this.strides, padding: this.padding, dataFormat: this.dataFormat };
  }
}

export class MaxPooling2D extends Pooling2D {
  static override readonly className = 'MaxPooling2D';
  constructor(args: Pooling2DArgs = {}) {
    super('max', 'MaxPooling2D', args, 'max_pooling2d');
  }
}

export class AveragePooling2D extends Pooling2D {
  static override readonly className = 'AveragePooling2D';
  constructor(args: Pooling2DArgs = {}) {
    super('avg', 'AveragePooling2D', args, 'average_pooling2d');
  }
}

export interface GlobalPooling2DArgs extends LayerArgs {
  dataFormat?: 'channelsLast' | 'channelsFirst';
}

abstract class GlobalPooling2D extends Layer {
  readonly dataFormat = 'channelsLast' as const;

  constructor(private kind: 'max' | 'avg', cls: string, args: GlobalPooling2DArgs, defaultName: string) {
    super(args, defaultName);
    checkChannelsLast(`${this.name} (${cls})`, args.dataFormat);
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    checkRank4(`${this.name} (${this.className})`, x);
    return this.kind === 'max' ? ops.max(x, [1, 2]) : ops.mean(x, [1, 2]);
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    return [s[0], s[s.length - 1]];
  }

  override getConfig() {
    return { ...super.getConfig(), dataFormat: this.dataFormat };
  }
}

/** The maximum over height and width: [batch, h, w, c] → [batch, c]. */
export class GlobalMaxPooling2D extends GlobalPooling2D {
  static override readonly className = 'GlobalMaxPooling2D';
  constructor(args: GlobalPooling2DArgs = {}) {
    super('max', 'GlobalMaxPooling2D', args, 'global_max_pooling2d');
  }
}

/** The mean over height and width: [batch, h, w, c] → [batch, c]. */
export class GlobalAveragePooling2D extends GlobalPooling2D {
  static override readonly className = 'GlobalAveragePooling2D';
  constructor(args: GlobalPooling2DArgs = {}) {
    super('avg', 'GlobalAveragePooling2D', args, 'global_average_pooling2d');
  }
}
