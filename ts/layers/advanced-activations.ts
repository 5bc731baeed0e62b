/**
 * Activations as layers, with TensorFlow.js names and Keras semantics: ReLU (maxValue,
 * negativeSlope, threshold), LeakyReLU, PReLU (a learned slope per feature), ELU,
 * ThresholdedReLU and Softmax (along an axis).
 */
import * as ops from '../ops/index';
import type { Tensor, Variable } from '../tensor';
import { Constraint, getConstraint, serializeConstraint } from '../constraints';
import { getRegularizer, Regularizer, serializeRegularizer } from '../regularizers';
import type { Initializer } from './initializers';
import { CallContext, Layer, LayerArgs, SymbolicShape } from './layer';

function finite(who: string, key: string, v: number | undefined | null, dflt: number | null, min = -Infinity): number | null {
  const x = v ?? dflt;
  if (x === null) return null;
  if (!(Number.isFinite(x) && x >= min)) throw new Error(`${who}: ${key} must be a number ≥ ${min}, got ${v}`);
  return x;
}

export interface ReLULayerArgs extends LayerArgs {
  /** Upper bound of the output (none by default). */
  maxValue?: number | null;
  /** Slope below the threshold (Keras; default 0). */
  negativeSlope?: number;
  /** Values below it are scaled by negativeSlope (Keras; default 0). */
  threshold?: number;
}

/** max(x, 0), or Keras' general form: x ≥ threshold ? min(x, maxValue) : negativeSlope·(x − threshold). */
export class ReLU extends Layer {
  static override readonly className = 'ReLU';
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;
  constructor(args: ReLULayerArgs = {}) {
    super(args);
    const who = `${this.name} (ReLU)`;
    this.maxValue = finite(who, 'maxValue', args.maxValue, null, 0);
    this.negativeSlope = finite(who, 'negativeSlope', args.negativeSlope, 0, 0)!;
    this.threshold = finite(who, 'threshold', args.threshold, 0)!;
    this.supportsMasking = true;
  }
  call(x: Tensor, _ctx: CallContext): Tensor {
    let y: Tensor;
    if (this.negativeSlope === 0 && this.threshold === 0) y = ops.relu(x);
    else {
      const shifted = ops.sub(x, this.threshold);
      const pos = ops.mul(x, ops.cast(ops.greaterEqual(x, this.threshold), 'float32'));
      const neg = ops.mul(ops.minimum(shifted, 0), this.negativeSlope);
      y = ops.add(pos, neg);
    }
    return this.maxValue === null ? y : ops.minimum(y, this.maxValue);
  }
  override getConfig() {
    return { ...super.getConfig(), maxValue: this.maxValue, negativeSlope: this.negativeSlope, threshold: this.threshold };
  }
}

export interface LeakyReLULayerArgs extends LayerArgs {
  /** Slope for x < 0 (default 0.3, as Keras and TensorFlow.js). */
  alpha?: number;
  /** Keras 3's name for alpha. */
  negativeSlope?: number;
}

export class LeakyReLU extends Layer {
  static override readonly className = 'LeakyReLU';
  readonly alpha: number;
  constructor(args: LeakyReLULayerArgs = {}) {
    super(args);
    if (args.alpha !== undefined && args.negativeSlope !== undefined && args.alpha !== args.negativeSlope) {
      throw new Error(`${this.name} (LeakyReLU): alpha ${args.alpha} and negativeSlope ${args.negativeSlope} disagree (they are the same setting)`);
    }
    this.alpha = finite(`${this.name} (LeakyReLU)`, 'alpha', args.alpha ?? args.negativeSlope, 0.3)!;
    this.supportsMasking = true;
  }
  call(x: Tensor, _ctx: CallContext): Tensor {
    return ops.leakyRelu(x, this.alpha);
  }
  override getConfig() {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}

export interface PReLULayerArgs extends LayerArgs {
  /** Default zeros. */
  alphaInitializer?: string | Initializer;
  alphaRegularizer?: Regularizer | string | null;
  alphaConstraint?: Constraint | string | null;
  /** Axes (1-based, the batch being 0) that share one slope, e.g. [1, 2] for one per channel of an image. */
  sharedAxes?: number | number[] | null;
}

/** max(x, 0) + alpha·min(x, 0) with a learned alpha of the input's shape (shared axes of size 1). */
export class PReLU extends Layer {
  static override readonly className = 'PReLU';
  readonly sharedAxes: number[] | null;
  readonly alphaRegularizer: Regularizer | null;
  readonly alphaConstraint: Constraint | null;
  private alphaInit: string | Initializer;
  alpha: Variable | null = null;
  constructor(args: PReLULayerArgs = {}) {
    super(args);
    const who = `${this.name} (PReLU)`;
    this.alphaInit = args.alphaInitializer ?? 'zeros';
    this.alphaRegularizer = getRegularizer(args.alphaRegularizer, `${who}: alphaRegularizer`);
    this.alphaConstraint = getConstraint(args.alphaConstraint, `${who}: alphaConstraint`);
    const sa = args.sharedAxes;
    this.sharedAxes = sa === undefined || sa === null ? null : Array.isArray(sa) ? [...sa] : [sa];
    if (this.sharedAxes && !this.sharedAxes.every((a) => Number.isInteger(a) && a >= 1)) {
      throw new Error(`${who}: sharedAxes must be axes ≥ 1 (0 is the batch), got ${JSON.stringify(sa)}`);
    }
    this.supportsMasking = true;
  }
  override build(inputShape: SymbolicShape): void {
    const who = `${this.name} (PReLU)`;
    const shape = inputShape.slice(1).map((d, i) => {
      if (this.sharedAxes?.includes(i + 1)) return 1;
      if (d === null) throw new Error(`${who}: axis ${i + 1} of the input [${inputShape.map((v) => v ?? 'null').join(', ')}] must be known or shared`);
      return d;
    });
    for (const a of this.sharedAxes ?? []) {
      if (a >= inputShape.length) throw new Error(`${who}: shared axis ${a} is out of range for inputs of rank ${inputShape.length}`);
    }
    this.alpha = this.addWeight('alpha', shape, 'float32', this.alphaInit, this.alphaRegularizer, true, this.alphaConstraint);
  }
  call(x: Tensor, _ctx: CallContext): Tensor {
    return ops.add(ops.relu(x), ops.mul(this.alpha!, ops.minimum(x, 0)));
  }
  override getConfig() {
    return {
      ...super.getConfig(),
      alphaInitializer: typeof this.alphaInit === 'string' ? this.alphaInit : this.alphaInit.className,
      alphaRegularizer: serializeRegularizer(this.alphaRegularizer),
      alphaConstraint: serializeConstraint(this.alphaConstraint),
      sharedAxes: this.sharedAxes,
    };
  }
}

export class ELU extends Layer {
  static override readonly className = 'ELU';
  readonly alpha: number;
  constructor(args: LayerArgs & { alpha?: number } = {}) {
    super(args);
    this.alpha = finite(`${this.name} (ELU)`, 'alpha', args.alpha, 1)!;
    this.supportsMasking = true;
  }
  call(x: Tensor, _ctx: CallContext): Tensor {
    return this.alpha === 1 ? ops.elu(x) : ops.elu(x, this.alpha);
  }
  override getConfig() {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}

/** x where x > theta, else 0. */
export class ThresholdedReLU extends Layer {
  static override readonly className = 'ThresholdedReLU';
  readonly theta: number;
  constructor(args: LayerArgs & { theta?: number } = {}) {
    super(args);
    this.theta = finite(`${this.name} (ThresholdedReLU)`, 'theta', args.theta, 1)!;
    this.supportsMasking = true;
  }
  call(x: Tensor, _ctx: CallContext): Tensor {
    return ops.mul(x, ops.cast(ops.greater(x, this.theta), 'float32'));
  }
  override getConfig() {
    return { ...super.getConfig(), theta: this.theta };
  }
}

/** Softmax along `axis` (default −1). */
export class Softmax extends Layer {
  static override readonly className = 'Softmax';
  readonly axis: number;
  constructor(args: LayerArgs & { axis?: number } = {}) {
    super(args);
    this.axis = args.axis ?? -1;
    if (!Number.isInteger(this.axis)) throw new Error(`${this.name} (Softmax): axis must be an integer, got ${args.axis}`);
    this.supportsMasking = true;
  }
  call(x: Tensor, _ctx: CallContext): Tensor {
    const a = this.axis < 0 ? this.axis + x.rank : this.axis;
    if (a < 0 || a >= x.rank) throw new Error(`${this.name} (Softmax): axis ${this.axis} is out of range for input of shape [${x.shape.join(', ')}]`);
    if (a === x.rank - 1) return ops.softmax(x);
    const perm = x.shape.map((_, i) => i);
    [perm[a], perm[x.rank - 1]] = [perm[x.rank - 1], perm[a]];
    return ops.transpose(ops.softmax(ops.transpose(x, perm)), perm);
  }
  override getConfig() {
    return { ...super.getConfig(), axis: this.axis };
  }
}

export const reLU = (args?: ReLULayerArgs) => new ReLU(args);
export const leakyReLU = (args?: LeakyReLULayerArgs) => new LeakyReLU(args);
export const prelu = (args?: PReLULayerArgs) => new PReLU(args);
export const elu = (args?: LayerArgs & { alpha?: number }) => new ELU(args);
export const thresholdedReLU = (args?: LayerArgs & { theta?: number }) => new ThresholdedReLU(args);
export const softmax = (args?: LayerArgs & { axis?: number }) => new Softmax(args);
