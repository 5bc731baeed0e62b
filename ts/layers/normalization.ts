/**
 * BatchNormalization, as Keras / TensorFlow.js: y = γ·(x − μ)/√(σ² + ε) + β per feature of
 * `axis`. Training (fit, or apply with training: true) normalises with the batch's mean and
 * biased variance and moves the non-trainable statistics toward them:
 * moving = moving·momentum + batch·(1 − momentum). Inference uses the moving statistics,
 * and so does a layer with trainable = false (the TF2 Keras rule). Weights, in Keras order:
 * gamma (if scale), beta (if center), moving_mean, moving_variance.
 */
import { noGrad } from '../autograd';
import * as ops from '../ops/index';
import type { Tensor, Variable } from '../tensor';
import { initializerName, type Initializer } from './initializers';
import { Constraint, getConstraint, serializeConstraint } from '../constraints';
import { getRegularizer, Regularizer, serializeRegularizer } from '../regularizers';
import { CallContext, Layer, LayerArgs, SymbolicShape } from './layer';

export interface BatchNormalizationArgs extends LayerArgs {
  /** The feature axis (default −1, the channels of channels-last data). */
  axis?: number;
  momentum?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  betaInitializer?: string | Initializer;
  gammaInitializer?: string | Initializer;
  movingMeanInitializer?: string | Initializer;
  movingVarianceInitializer?: string | Initializer;
  betaRegularizer?: Regularizer | string | null;
  gammaRegularizer?: Regularizer | string | null;
  betaConstraint?: Constraint | string | null;
  gammaConstraint?: Constraint | string | null;
}


export class BatchNormalization extends Layer {
  static override readonly className = 'BatchNormalization';
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  private inits: Record<'beta' | 'gamma' | 'movingMean' | 'movingVariance', string | Initializer>;
  gamma: Variable | null = null;
  beta: Variable | null = null;
  movingMean: Variable | null = null;
  movingVariance: Variable | null = null;
  readonly betaRegularizer: Regularizer | null;
  readonly gammaRegularizer: Regularizer | null;
  readonly betaConstraint: Constraint | null;
  readonly gammaConstraint: Constraint | null;

  constructor(args: BatchNormalizationArgs = {}) {
    super(args, 'batch_normalization');
    this.axis = args.axis ?? -1;
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    if (!Number.isInteger(this.axis)) throw new Error(`${this.who}: axis must be an integer, got ${this.axis}`);
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new Error(`${this.who}: momentum must be in [0, 1], got ${this.momentum}`);
    if (!(this.epsilon > 0)) throw new Error(`${this.who}: epsilon must be positive, got ${this.epsilon}`);
    this.inits = {
      beta: args.betaInitializer ?? 'zeros',
      gamma: args.gammaInitializer ?? 'ones',
      movingMean: args.movingMeanInitializer ?? 'zeros',
      movingVariance: args.movingVarianceInitializer ?? 'ones',
    };
    this.betaRegularizer = getRegularizer(args.betaRegularizer, `${this.who}: betaRegularizer`);
    this.gammaRegularizer = getRegularizer(args.gammaRegularizer, `${this.who}: gammaRegularizer`);
    this.betaConstraint = getConstraint(args.betaConstraint, `${this.who}: betaConstraint`);
    this.gammaConstraint = getConstraint(args.gammaConstraint, `${this.who}: gammaConstraint`);
    this.supportsMasking = true;
  }

  private get who(): string {
    return `${this.name} (BatchNormalization)`;
  }

  /** The axis as a non-negative index for inputs of `rank`. */
  private axisFor(rank: number): number {
    const a = this.axis < 0 ? this.axis + rank : this.axis;
    if (a < 1 || a >= rank) {
      throw new Error(`${this.who}: axis ${this.axis} is out of range for inputs of rank ${rank} (the batch axis 0 cannot be normalised)`);
    }
    return a;
  }

  override build(inputShape: SymbolicShape): void {
    const a = this.axisFor(inputShape.length);
    const dim = inputShape[a];
    if (dim === null) throw new Error(`${this.who}: axis ${this.axis} of the input shape [${inputShape.map((d) => d ?? 'null').join(', ')}] must be known`);
    if (this.scale) this.gamma = this.addWeight('gamma', [dim], 'float32', this.inits.gamma, this.gammaRegularizer, true, this.gammaConstraint);
    if (this.center) this.beta = this.addWeight('beta', [dim], 'float32', this.inits.beta, this.betaRegularizer, true, this.betaConstraint);
    this.movingMean = this.addWeight('moving_mean', [dim], 'float32', this.inits.movingMean, null, false);
    this.movingVariance = this.addWeight('moving_variance', [dim], 'float32', this.inits.movingVariance, null, false);
    this.built = true;
  }

  call(x: Tensor, ctx: CallContext): Tensor {
    const dim = this.movingMean!.shape[0];
    const a = this.axisFor(x.rank);
    if (x.shape[a] !== dim) {
      throw new Error(`${this.who}: expected ${dim} features on axis ${this.axis}, got input of shape [${x.shape.join(', ')}]`);
    }
    // Per-feature tensors broadcast along `a`.
    const bshape = x.shape.map((d, i) => (i === a ? dim : 1));
    const asB = (t: Tensor) => (a === x.rank - 1 ? t : ops.reshape(t, bshape));
    const reduceAxes = x.shape.map((_, i) => i).filter((i) => i !== a);

    let normalized: Tensor;
    if (ctx.training && this.trainable) {
      const mean = ops.mean(x, reduceAxes, true);
      const centered = ops.sub(x, mean);
      const variance = ops.mean(ops.square(centered), reduceAxes, true);
      normalized = ops.mul(centered, ops.rsqrt(ops.add(variance, this.epsilon)));
      noGrad(() => {
        const m = this.momentum;
        const update = (v: Variable, batch: Tensor) => {
          const flat = ops.reshape(batch, [dim]);
          const parts = [ops.mul(v, m), ops.mul(flat, 1 - m)];
          const next = ops.add(parts[0], parts[1]);
          v.assign(next);
          for (const t of [flat, ...parts, next]) t.dispose();
        };
        update(this.movingMean!, mean);
        update(this.movingVariance!, variance);
      });
    } else {
      const inv = ops.rsqrt(ops.add(this.movingVariance!, this.epsilon));
      normalized = ops.mul(ops.sub(x, asB(this.movingMean!)), asB(inv));
    }
    let y = normalized;
    if (this.gamma) y = ops.mul(y, asB(this.gamma));
    if (this.beta) y = ops.add(y, asB(this.beta));
    return y;
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    return s;
  }

  override getConfig() {
    return {
      ...super.getConfig(),
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: initializerName(this.inits.beta),
      gammaInitializer: initializerName(this.inits.gamma),
      movingMeanInitializer: initializerName(this.inits.movingMean),
      movingVarianceInitializer: initializerName(this.inits.movingVariance),
      betaRegularizer: serializeRegularizer(this.betaRegularizer),
      gammaRegularizer: serializeRegularizer(this.gammaRegularizer),
      betaConstraint: serializeConstraint(this.betaConstraint),
      gammaConstraint: serializeConstraint(this.gammaConstraint),
    };
  }
}
