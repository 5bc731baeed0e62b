/**
 * LayerNormalization, as Keras / TensorFlow.js: each sample is normalised over `axis` (default
 * −1, the features): y = (x − μ)/√(σ² + ε)·γ + β, ε 1e-3. Weights, in Keras order: gamma (if
 * scale or rmsScaling), beta (if center and not rmsScaling), of the shape of the normalised
 * axes. `rmsScaling` is Keras': y = x/√(σ² + ε)·γ (not centred, no β).
 *
 * Trailing axes (the usual case: the last one) run the fused kernel, forward and backward in
 * one call each (ops/layer-norm.ts); other axes are computed with ops.
 */
import * as ops from '../ops/index';
import { layerNorm } from '../ops/layer-norm';
import type { Tensor, Variable } from '../tensor';
import { initializerName, type Initializer } from './initializers';
import { Constraint, getConstraint, serializeConstraint } from '../constraints';
import { getRegularizer, Regularizer, serializeRegularizer } from '../regularizers';
import { CallContext, Layer, LayerArgs, SymbolicShape } from './layer';

export interface LayerNormalizationArgs extends LayerArgs {
  /** The axis or axes to normalise over (default −1). The batch axis 0 cannot be one. */
  axis?: number | number[];
  /** Added to the variance (default 1e-3). */
  epsilon?: number;
  /** Add β (default true). */
  center?: boolean;
  /** Multiply by γ (default true). */
  scale?: boolean;
  /** Keras' rms_scaling: scale by γ/√(σ² + ε) without centring (center and scale then unused). */
  rmsScaling?: boolean;
  betaInitializer?: string | Initializer;
  gammaInitializer?: string | Initializer;
  betaRegularizer?: Regularizer | string | null;
  gammaRegularizer?: Regularizer | string | null;
  betaConstraint?: Constraint | string | null;
  gammaConstraint?: Constraint | string | null;
}


export class LayerNormalization extends Layer {
  static override readonly className = 'LayerNormalization';
  readonly axis: number | number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly rmsScaling: boolean;
  private inits: Record<'beta' | 'gamma', string | Initializer>;
  readonly betaRegularizer: Regularizer | null;
  readonly gammaRegularizer: Regularizer | null;
  readonly betaConstraint: Constraint | null;
  readonly gammaConstraint: Constraint | null;
  gamma: Variable | null = null;
  beta: Variable | null = null;

  constructor(args: LayerNormalizationArgs = {}) {
    super(args, 'layer_normalization');
    this.axis = Array.isArray(args.axis) ? [...args.axis] : args.axis ?? -1;
    const axes = Array.isArray(this.axis) ? this.axis : [this.axis];
    if (!axes.length || !axes.every((a) => Number.isInteger(a))) throw new Error(`${this.who}: axis must be an integer or a non-empty list of integers, got ${JSON.stringify(args.axis)}`);
    this.epsilon = args.epsilon ?? 1e-3;
    if (!(typeof this.epsilon === 'number' && this.epsilon >= 0)) throw new Error(`${this.who}: epsilon must be a non-negative number, got ${args.epsilon}`);
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.rmsScaling = args.rmsScaling ?? false;
    this.inits = { beta: args.betaInitializer ?? 'zeros', gamma: args.gammaInitializer ?? 'ones' };
    this.betaRegularizer = getRegularizer(args.betaRegularizer, `${this.who}: betaRegularizer`);
    this.gammaRegularizer = getRegularizer(args.gammaRegularizer, `${this.who}: gammaRegularizer`);
    this.betaConstraint = getConstraint(args.betaConstraint, `${this.who}: betaConstraint`);
    this.gammaConstraint = getConstraint(args.gammaConstraint, `${this.who}: gammaConstraint`);
    this.supportsMasking = true;
  }

  private get who(): string {
    return `${this.name} (LayerNormalization)`;
  }

  /** The normalised axes as sorted non-negative indices for inputs of `rank`. */
  private axesFor(rank: number): number[] {
    const raw = Array.isArray(this.axis) ? this.axis : [this.axis];
    const axes = raw.map((a) => (a < 0 ? a + rank : a));
    for (const [i, a] of axes.entries()) {
      if (a < 1 || a >= rank) {
        throw new Error(`${this.who}: axis ${raw[i]} is out of range for inputs of rank ${rank} (the batch axis 0 cannot be normalised)`);
      }
    }
    if (new Set(axes).size !== axes.length) throw new Error(`${this.who}: axis ${JSON.stringify(this.axis)} repeats an axis`);
    return axes.sort((a, b) => a - b);
  }

  override build(inputShape: SymbolicShape): void {
    const axes = this.axesFor(inputShape.length);
    const shape = axes.map((a) => inputShape[a]);
    if (shape.some((d) => d === null)) {
      throw new Error(`${this.who}: the normalised axes of the input shape [${inputShape.map((d) => d ?? 'null').join(', ')}] must be known`);
    }
    const dims = shape as number[];
    if (this.scale || this.rmsScaling) this.gamma = this.addWeight('gamma', dims, 'float32', this.inits.gamma, this.gammaRegularizer, true, this.gammaConstraint);
    if (this.center && !this.rmsScaling) this.beta = this.addWeight('beta', dims, 'float32', this.inits.beta, this.betaRegularizer, true, this.betaConstraint);
    this.built = true;
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    const axes = this.axesFor(x.rank);
    const want = this.gamma?.shape ?? this.beta?.shape;
    if (want && axes.some((a, i) => x.shape[a] !== want[i])) {
      throw new Error(`${this.who}: expected dimensions [${want.join(', ')}] on axes [${axes.join(', ')}], got input of shape [${x.shape.join(', ')}]`);
    }
    const trailing = axes.every((a, i) => a === x.rank - axes.length + i);
    if (trailing) return layerNorm(x, this.gamma, this.beta, { epsilon: this.epsilon, axes: axes.length, rms: this.rmsScaling, name: this.who });
    // Other axes: the same formula with ops, γ and β broadcast along the normalised axes.
    const bshape = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
    const mean = ops.mean(x, axes, true);
    const centered = ops.sub(x, mean);
    const inv = ops.rsqrt(ops.add(ops.mean(ops.square(centered), axes, true), this.epsilon));
    let y = ops.mul(this.rmsScaling ? x : centered, inv);
    if (this.gamma) y = ops.mul(y, ops.reshape(this.gamma, bshape));
    if (this.beta) y = ops.add(y, ops.reshape(this.beta, bshape));
    return y;
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    this.axesFor(inputShape.length);
    return inputShape;
  }

  override getConfig() {
    return {
      ...super.getConfig(),
      axis: this.axis,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      rmsScaling: this.rmsScaling,
      betaInitializer: initializerName(this.inits.beta),
      gammaInitializer: initializerName(this.inits.gamma),
      betaRegularizer: serializeRegularizer(this.betaRegularizer),
      gammaRegularizer: serializeRegularizer(this.gammaRegularizer),
      betaConstraint: serializeConstraint(this.betaConstraint),
      gammaConstraint: serializeConstraint(this.gammaConstraint),
    };
  }
}
