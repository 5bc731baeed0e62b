/**
 * 1-D pooling over [batch, steps, features], TensorFlow.js names and config keys:
 * GlobalAveragePooling1D (mask-aware) and GlobalMaxPooling1D (→ [batch, features]);
 * MaxPooling1D and AveragePooling1D (poolSize default 2, strides default poolSize, padding
 * 'valid' | 'same'; padding never takes part, as TensorFlow).
 */
import * as ops from '../ops/index';
import type { Tensor } from '../tensor';
import { checkChannelsLast, convOutputLength, shapeText, tupleArg } from './conv-common';
import { CallContext, Layer, LayerArgs, SymbolicShape } from './layer';

export class GlobalAveragePooling1D extends Layer {
  static override readonly className = 'GlobalAveragePooling1D';

  constructor(args: LayerArgs = {}) {
    super(args, 'global_average_pooling1d');
    this.supportsMasking = true;
  }

  call(x: Tensor, ctx: CallContext): Tensor {
    if (x.rank !== 3) {
      throw new Error(`${this.name} (GlobalAveragePooling1D): expected input of rank 3 [batch, steps, features], got [${x.shape.join(', ')}]`);
    }
    if (!ctx.mask) return ops.mean(x, 1);
    // Keras: Σ x·mask / Σ mask over the steps (an all-masked row divides by 0 there too;
    // here it gives 0 rather than NaN).
    const m = ops.expandDims(ctx.mask, 2);
    const total = ops.sum(ops.mul(x, m), 1);
    const count = ops.maximum(ops.sum(m, 1), 1e-7);
    return ops.div(total, count);
  }

  override computeMask(): Tensor | null {
    return null;
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    return [s[0], s[2]];
  }
}

/** The maximum over the steps: [batch, steps, features] → [batch, features]. */
export class GlobalMaxPooling1D extends Layer {
  static override readonly className = 'GlobalMaxPooling1D';

  constructor(args: LayerArgs = {}) {
    super(args, 'global_max_pooling1d');
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    if (x.rank !== 3) {
      throw new Error(`${this.name} (GlobalMaxPooling1D): expected input of rank 3 [batch, steps, features], got [${x.shape.join(', ')}]`);
    }
    return ops.max(x, 1);
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    if (s.length !== 3) throw new Error(`${this.name} (GlobalMaxPooling1D): expected input of rank 3 [batch, steps, features], got ${shapeText(s)}`);
    return [s[0], s[2]];
  }
}

export interface Pooling1DLayerArgs extends LayerArgs {
  /** Window length in steps (default 2). */
  poolSize?: number | [number];
  /** Default: poolSize. */
  strides?: number | [number] | null;
  padding?: 'valid' | 'same';
  /** Keras' key; only 'channelsLast'. */
  dataFormat?: 'channelsLast' | 'channelsFirst';
}

abstract class Pooling1D extends Layer {
  readonly poolSize: [number];
  readonly strides: [number];
  readonly padding: 'valid' | 'same';

  constructor(private kind: 'max' | 'avg', args: Pooling1DLayerArgs, defaultName: string) {
    super(args, defaultName);
    const who = `${this.name} (${this.className})`;
    this.poolSize = tupleArg(who, 'poolSize', args.poolSize, 1, 2) as [number];
    this.strides = tupleArg(who, 'strides', args.strides ?? this.poolSize, 1, 1) as [number];
    this.padding = args.padding ?? 'valid';
    if (this.padding !== 'valid' && this.padding !== 'same') throw new Error(`${who}: padding must be 'valid' or 'same', got '${String(args.padding)}'`);
    checkChannelsLast(who, args.dataFormat);
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    const who = `${this.name} (${this.className})`;
    if (x.rank !== 3) throw new Error(`${who}: expected input of rank 3 [batch, steps, features], got [${x.shape.join(', ')}]`);
    return this.kind === 'max'
      ? ops.maxPool1d(x, this.poolSize[0], this.strides[0], this.padding, who)
      : ops.avgPool1d(x, this.poolSize[0], this.strides[0], this.padding, who);
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    if (s.length !== 3) throw new Error(`${this.name} (${this.className}): expected input of rank 3 [batch, steps, features], got ${shapeText(s)}`);
    return [s[0], convOutputLength(`${this.name} (${this.className})`, s[1], this.poolSize[0], this.padding, this.strides[0], 1), s[2]];
  }

  override getConfig() {
    return { ...super.getConfig(), poolSize: this.poolSize, padding: this.padding, strides: this.strides };
  }
}

/** The maximum over windows of poolSize steps. */
export class MaxPooling1D extends Pooling1D {
  static override readonly className = 'MaxPooling1D';
  constructor(args: Pooling1DLayerArgs = {}) {
    super('max', args, 'max_pooling1d');
  }
}

/** The mean over windows of poolSize steps (padding not counted). */
export class AveragePooling1D extends Pooling1D {
  static override readonly className = 'AveragePooling1D';
  constructor(args: Pooling1DLayerArgs = {}) {
    super('avg', args, 'average_pooling1d');
  }
}
