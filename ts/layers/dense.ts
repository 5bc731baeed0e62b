/** Dense: y = activation(x · kernel + bias), kernel [inputDim, units] (Keras layout). */
import * as ops from '../ops/index';
import { biasAddActivation, isFusedActivation } from '../ops/fused-dense';
import type { Tensor, Variable } from '../tensor';
import { ActivationIdentifier, getActivation } from './activations';
import type { Initializer } from './initializers';
import { Constraint, getConstraint, serializeConstraint } from '../constraints';
import { getRegularizer, Regularizer, serializeRegularizer } from '../regularizers';
import { CallContext, Layer, LayerArgs, SymbolicShape } from './layer';

export interface DenseArgs extends LayerArgs {
  units: number;
  activation?: ActivationIdentifier;
  useBias?: boolean;
  kernelInitializer?: string | Initializer;
  biasInitializer?: string | Initializer;
  kernelRegularizer?: Regularizer | string | null;
  biasRegularizer?: Regularizer | string | null;
  kernelConstraint?: Constraint | string | null;
  biasConstraint?: Constraint | string | null;
}

export class Dense extends Layer {
  static override readonly className = 'Dense';
  readonly units: number;
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

  constructor(args: DenseArgs) {
    super(args, 'dense');
    if (!Number.isInteger(args?.units) || args.units < 1) {
      throw new Error(`${this.name} (Dense): units must be a positive integer, got ${args?.units}`);
    }
    this.units = args.units;
    this.activation = args.activation ?? 'linear';
    this.activationFn = getActivation(this.activation, this.name);
    this.useBias = args.useBias ?? true;
    this.kernelInit = args.kernelInitializer ?? 'glorotUniform';
    this.biasInit = args.biasInitializer ?? 'zeros';
    const who = `${this.name} (Dense)`;
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer, `${who}: kernelRegularizer`);
    this.biasRegularizer = getRegularizer(args.biasRegularizer, `${who}: biasRegularizer`);
    this.kernelConstraint = getConstraint(args.kernelConstraint, `${who}: kernelConstraint`);
    this.biasConstraint = getConstraint(args.biasConstraint, `${who}: biasConstraint`);
    this.supportsMasking = true;
  }

  override build(inputShape: SymbolicShape): void {
    const inputDim = inputShape[inputShape.length - 1];
    if (inputShape.length < 2 || inputDim === null) {
      throw new Error(`${this.name} (Dense): needs inputs of rank ≥ 2 with a known last dimension, got [${inputShape.join(', ')}]`);
    }
    this.kernel = this.addWeight('kernel', [inputDim, this.units], 'float32', this.kernelInit, this.kernelRegularizer, true, this.kernelConstraint);
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], 'float32', this.biasInit, this.biasRegularizer, true, this.biasConstraint);
    this.built = true;
  }

  /** x · kernel, checking the input's last dimension. */
  private project(x: Tensor): Tensor {
    const k = this.kernel!;
    if (x.rank < 2 || x.shape[x.rank - 1] !== k.shape[0]) {
      throw new Error(`${this.name} (Dense): expected input with last dimension ${k.shape[0]}, got [${x.shape.join(', ')}]`);
    }
    return ops.matMul(x, k);
  }

  /** x · kernel + bias, before the activation (losses fuse sigmoid/softmax themselves). */
  callLogits(x: Tensor): Tensor {
    const y = this.project(x);
    return this.bias ? biasAddActivation(y, this.bias, 'linear', `${this.name} (Dense)`) : y;
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    // bias + activation (and their gradients) in one kernel where there is one
    const act = this.activation;
    if (act !== 'linear' && isFusedActivation(act)) return biasAddActivation(this.project(x), this.bias, act, `${this.name} (Dense)`);
    return this.activationFn(this.callLogits(x));
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return [...inputShape.slice(0, -1), this.units];
  }

  override getConfig() {
    return {
      ...super.getConfig(),
      units: this.units,
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
