/**
 * Recurrent layers with TensorFlow.js names, config keys and Keras weight layouts: LSTM, GRU,
 * SimpleRNN. Each call runs the whole sequence as one op (ops/rnn.ts): one backend call
 * forward, one backward.
 *
 * Input [batch, steps, features]. Weights: kernel [features, G·units], recurrent_kernel
 * [units, G·units], bias [G·units] (GRU with resetAfter: [2, 3·units]), gates side by side:
 * LSTM i, f, c, o; GRU z, r, h.
 */
import type { RnnActivation, RnnCell } from '../backend/rnn-types';
import { RNN_ACTIVATIONS } from '../backend/rnn-types';
import * as ops from '../ops/index';
import { rngFor } from '../ops/random';
import { fmt } from '../ops/util';
import type { Tensor, Variable } from '../tensor';
import { getInitializer, Initializer, initializerName } from './initializers';
import { ApplyArgs, CallKwargs, Layer, LayerArgs, Mask, SymbolicShape } from './layer';
import { Constraint, getConstraint, serializeConstraint } from '../constraints';
import { getRegularizer, Regularizer, serializeRegularizer } from '../regularizers';

export interface RNNLayerArgs extends LayerArgs {
  units: number;
  /** Default 'tanh'. */
  activation?: RnnActivation;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorotUniform'. */
  kernelInitializer?: string | Initializer;
  /** Default 'orthogonal'. */
  recurrentInitializer?: string | Initializer;
  /** Default 'zeros'. */
  biasInitializer?: string | Initializer;
  kernelRegularizer?: Regularizer | string | null;
  recurrentRegularizer?: Regularizer | string | null;
  biasRegularizer?: Regularizer | string | null;
  kernelConstraint?: Constraint | string | null;
  recurrentConstraint?: Constraint | string | null;
  biasConstraint?: Constraint | string | null;
  /** Fraction of the inputs dropped while training (one mask per sequence, as Keras). */
  dropout?: number;
  /** Fraction of the recurrent state dropped while training (one mask per sequence). */
  recurrentDropout?: number;
  /** Output the whole sequence [batch, steps, units] (default: the last output [batch, units]). */
  returnSequences?: boolean;
  /**
   * apply() returns [output, ...final states] ([output, h] or [output, h, c]) instead of the
   * output, as Keras; applyWithState() returns that list either way.
   */
  returnState?: boolean;
  /** Process the sequence from its last step (the output sequence is in that order). */
  goBackwards?: boolean;
  /** Not supported: keeping state across batches. */
  stateful?: boolean;
  /** Keras' unrolling switch; the result is the same either way, as the whole sequence always runs as one fused kernel. */
  unroll?: boolean;
  /** Keras' implementation modes 1 and 2 compute the same function; the fused kernel serves both. */
  implementation?: number;
  /** Features per step, with inputLength: the input shape [inputLength, inputDim] (TensorFlow.js). */
  inputDim?: number;
  inputLength?: number;
}

export interface SimpleRNNLayerArgs extends RNNLayerArgs {}

export interface LSTMLayerArgs extends RNNLayerArgs {
  /** Default 'sigmoid' (Keras; TensorFlow.js layers default to 'hardSigmoid'). */
  recurrentActivation?: RnnActivation;
  /** Initialise the forget gate's bias to 1 (default true, as Keras). */
  unitForgetBias?: boolean;
}

export interface GRULayerArgs extends RNNLayerArgs {
  /** Default 'sigmoid' (Keras; TensorFlow.js layers default to 'hardSigmoid'). */
  recurrentActivation?: RnnActivation;
  /** Apply the reset gate after the recurrent product (default true, as Keras 2+; bias [2, 3u]). */
  resetAfter?: boolean;
}

/** What a call can take besides the input. */
export type RNNCallArgs = ApplyArgs & {
  /** [h] (GRU, SimpleRNN) or [h, c] (LSTM), each [batch, units]. */
  initialState?: Tensor[];
};

function activationArg(layer: string, key: string, v: string | undefined, fallback: RnnActivation): RnnActivation {
  const a = (v ?? fallback) as RnnActivation;
  if (!(RNN_ACTIVATIONS as readonly string[]).includes(a)) {
    throw new Error(`${layer}: ${key} '${v}' is not supported in a recurrent layer (expected one of ${RNN_ACTIVATIONS.join(', ')})`);
  }
  return a;
}

function rateArg(layer: string, key: string, v: number | undefined): number {
  const r = v ?? 0;
  if (!(r >= 0 && r < 1)) throw new Error(`${layer}: ${key} must be in [0, 1), got ${v}`);
  return r;
}


/** The bias initializer of an LSTM with unitForgetBias: init for i, ones for f, init for c, o. */
export class UnitForgetBias implements Initializer {
  readonly className = 'UnitForgetBias';
  constructor(private init: Initializer, private units: number) {}
  apply(shape: number[]): Tensor {
    const u = this.units;
    const a = this.init.apply([u]), f = ops.ones([u]), co = this.init.apply([2 * u]);
    const out = ops.concat([a, f, co], 0);
    a.dispose();
    f.dispose();
    co.dispose();
    if (out.size !== shape.reduce((p, d) => p * d, 1)) throw new Error(`UnitForgetBias: expected shape [${4 * u}], got ${fmt(shape)}`);
    return out;
  }
  getConfig() {
    return {};
  }
}

/** The shared machinery of LSTM, GRU and SimpleRNN. */
export abstract class RNN extends Layer {
  abstract readonly cell: RnnCell;
  readonly units: number;
  readonly activation: RnnActivation;
  readonly recurrentActivation: RnnActivation;
  readonly useBias: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  kernel: Variable | null = null;
  recurrentKernel: Variable | null = null;
  bias: Variable | null = null;
  protected kernelInit: string | Initializer;
  protected recurrentInit: string | Initializer;
  protected biasInit: string | Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly recurrentRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  readonly kernelConstraint: Constraint | null;
  readonly recurrentConstraint: Constraint | null;
  readonly biasConstraint: Constraint | null;
  /** The constructor arguments, for copies (Bidirectional). */
  readonly args: RNNLayerArgs;

  constructor(args: RNNLayerArgs & { recurrentActivation?: RnnActivation }, defaultName: string, className: string) {
    // inputDim is the feature size here (TensorFlow.js RNN semantics), not a 2-D input shape.
    super({ ...args, inputDim: undefined }, defaultName);
    const name = `${this.name} (${className})`;
    if (!Number.isInteger(args?.units) || args.units < 1) {
      throw new Error(`${name}: units must be a positive integer, got ${args?.units}`);
    }
    if (args.stateful) throw new Error(`${name}: stateful recurrent layers are not supported; pass initialState to apply() instead`);
    this.args = { ...args };
    this.units = args.units;
    this.activation = activationArg(name, 'activation', args.activation, 'tanh');
    this.recurrentActivation = activationArg(name, 'recurrentActivation', args.recurrentActivation, 'sigmoid');
    this.useBias = args.useBias ?? true;
    this.kernelInit = args.kernelInitializer ?? 'glorotUniform';
    this.recurrentInit = args.recurrentInitializer ?? 'orthogonal';
    this.biasInit = args.biasInitializer ?? 'zeros';
    this.dropout = rateArg(name, 'dropout', args.dropout);
    this.recurrentDropout = rateArg(name, 'recurrentDropout', args.recurrentDropout);
    this.returnSequences = args.returnSequences ?? false;
    this.returnState = args.returnState ?? false;
    this.goBackwards = args.goBackwards ?? false;
    if (args.implementation !== undefined && args.implementation !== 1 && args.implementation !== 2) {
      throw new Error(`${name}: implementation must be 1 or 2, got ${args.implementation}`);
    }
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer, `${name}: kernelRegularizer`);
    this.recurrentRegularizer = getRegularizer(args.recurrentRegularizer, `${name}: recurrentRegularizer`);
    this.biasRegularizer = getRegularizer(args.biasRegularizer, `${name}: biasRegularizer`);
    this.kernelConstraint = getConstraint(args.kernelConstraint, `${name}: kernelConstraint`);
    this.recurrentConstraint = getConstraint(args.recurrentConstraint, `${name}: recurrentConstraint`);
    this.biasConstraint = getConstraint(args.biasConstraint, `${name}: biasConstraint`);
    this.supportsMasking = true;
    if (!this.batchInputShape && args.inputDim !== undefined) {
      this.batchInputShape = [args.batchSize ?? null, args.inputLength ?? null, args.inputDim];
    }
  }

  /** Gates side by side in the kernels: 4 (LSTM), 3 (GRU), 1. */
  protected abstract get gates(): number;
  protected get resetAfter(): boolean {
    return true;
  }
  protected biasShape(): number[] {
    return [this.gates * this.units];
  }
  protected biasInitializer(): string | Initializer {
    return this.biasInit;
  }

  /** The sequence's shape from build/computeOutputShape arguments ([x, ...states] lists included). */
  protected sequenceShape(shape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    return (Array.isArray(shape[0]) ? shape[0] : shape) as SymbolicShape;
  }

  /** Number of state tensors: 2 for LSTM (h, c), else 1. */
  get stateCount(): number {
    return this.cell === 'lstm' ? 2 : 1;
  }

  override build(shape: SymbolicShape | SymbolicShape[]): void {
    const inputShape = this.sequenceShape(shape);
    const features = inputShape[inputShape.length - 1];
    if (inputShape.length !== 3 || features === null) {
      throw new Error(
        `${this.name} (${this.className}): expected input of rank 3 [batch, steps, features] with known features, got [${inputShape.map((d) => d ?? 'null').join(', ')}]`,
      );
    }
    const gu = this.gates * this.units;
    this.kernel = this.addWeight('kernel', [features, gu], 'float32', this.kernelInit, this.kernelRegularizer, true, this.kernelConstraint);
    this.recurrentKernel = this.addWeight(
      'recurrent_kernel', [this.units, gu], 'float32', this.recurrentInit, this.recurrentRegularizer, true, this.recurrentConstraint);
    if (this.useBias) {
      this.bias = this.addWeight('bias', this.biasShape(), 'float32', this.biasInitializer(), this.biasRegularizer, true, this.biasConstraint);
    }
    this.built = true;
  }

  /** Runs the layer: the output, and the final states when `withStates`. */
  protected run(x: Tensor, a: RNNCallArgs, withStates: boolean): { output: Tensor; states: Tensor[] } {
    if (!this.built) {
      this.build(x.shape);
      this.built = true;
    }
    const k = this.kernel!;
    this.assertInput(x, [null, null, k.shape[0]]);
    const training = a.training ?? false;
    const [batch, , features] = x.shape;
    let input = x;
    if (training && this.dropout > 0) input = ops.dropout(x, this.dropout, [batch, 1, features]);
    let recurrentMask: Tensor | null = null;
    if (training && this.recurrentDropout > 0) {
      const rng = rngFor();
      const keep = 1 / (1 - this.recurrentDropout);
      const m = new Float32Array(batch * this.units);
      for (let i = 0; i < m.length; i++) m[i] = rng() >= this.recurrentDropout ? keep : 0;
      recurrentMask = ops.tensor(m, [batch, this.units]);
    }
    return ops.rnn(
      input,
      {
        cell: this.cell, units: this.units, resetAfter: this.resetAfter,
        activation: this.activation, recurrentActivation: this.recurrentActivation,
        returnSequences: this.returnSequences, goBackwards: this.goBackwards, returnState: withStates,
        name: `${this.name} (${this.className})`,
      },
      { kernel: k, recurrentKernel: this.recurrentKernel!, bias: this.bias },
      { initialState: a.initialState, mask: (a.mask as Tensor | null | undefined) ?? null, recurrentMask },
    );
  }

  /** initialState given by keyword becomes extra inputs [x, ...states] (TensorFlow.js' and Keras 2's form). */
  protected override normalizeCallArgs<T>(inputs: T, kwargs: ApplyArgs): [T, ApplyArgs] {
    const { initialState, ...rest } = kwargs;
    if (initialState === undefined || initialState === null) return [inputs, rest];
    const states = Array.isArray(initialState) ? initialState : [initialState];
    if (Array.isArray(inputs) && inputs.length > 1) {
      throw new Error(`${this.name} (${this.className}): initial states were given both in the input list and as initialState`);
    }
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return [[x, ...states] as T, rest];
  }

  /** [output, ...final states] whatever returnState says: [output, h] or [output, h, c]. */
  applyWithState(x: Tensor, a: RNNCallArgs = {}): Tensor[] {
    const [inputs, kwargs] = this.normalizeCallArgs<Tensor | Tensor[]>(x, a);
    const { sequence, initialState } = this.splitInputs(inputs);
    const r = this.run(sequence, { ...kwargs, initialState }, true);
    return [r.output, ...r.states];
  }

  /** The sequence and the initial states from a call's inputs. */
  private splitInputs(inputs: Tensor | Tensor[]): { sequence: Tensor; initialState?: Tensor[] } {
    if (!Array.isArray(inputs)) return { sequence: inputs };
    const [sequence, ...states] = inputs;
    if (states.length && states.length !== this.stateCount) {
      throw new Error(`${this.name} (${this.className}): expected ${this.stateCount} initial state tensor${this.stateCount > 1 ? 's' : ''}, got ${states.length}`);
    }
    return { sequence, initialState: states.length ? states : undefined };
  }

  call(inputs: Tensor | Tensor[], kwargs: CallKwargs): Tensor | Tensor[] {
    const { sequence, initialState } = this.splitInputs(inputs);
    const mask = Array.isArray(kwargs.mask) ? kwargs.mask[0] : kwargs.mask;
    const r = this.run(sequence, { training: kwargs.training, mask, initialState }, this.returnState);
    return this.returnState ? [r.output, ...r.states] : r.output;
  }

  override computeOutputShape(shape: SymbolicShape | SymbolicShape[]): SymbolicShape | SymbolicShape[] {
    const s = this.sequenceShape(shape);
    const out = this.returnSequences ? [s[0], s[1], this.units] : [s[0], this.units];
    if (!this.returnState) return out;
    return [out, ...Array.from({ length: this.stateCount }, () => [s[0], this.units])];
  }

  override computeMask(_inputs: Tensor | Tensor[], mask: Mask): Mask {
    const m = Array.isArray(mask) ? (mask[0] ?? null) : mask;
    const out = this.returnSequences ? m : null;
    return this.returnState ? [out, ...Array.from({ length: this.stateCount }, () => null)] : out;
  }

  /** A new, unbuilt layer of the same kind with these arguments changed. */
  abstract copyWith(changes: Partial<RNNLayerArgs>): RNN;

  override getConfig() {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: initializerName(this.kernelInit),
      recurrentInitializer: initializerName(this.recurrentInit),
      biasInitializer: initializerName(this.biasInit),
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: false,
      unroll: false,
      kernelRegularizer: serializeRegularizer(this.kernelRegularizer),
      recurrentRegularizer: serializeRegularizer(this.recurrentRegularizer),
      biasRegularizer: serializeRegularizer(this.biasRegularizer),
      activityRegularizer: serializeRegularizer(this.activityRegularizer),
      kernelConstraint: serializeConstraint(this.kernelConstraint),
      recurrentConstraint: serializeConstraint(this.recurrentConstraint),
      biasConstraint: serializeConstraint(this.biasConstraint),
    };
  }
}

export class SimpleRNN extends RNN {
  static override readonly className = 'SimpleRNN';
  readonly cell = 'simple' as const;
  constructor(args: SimpleRNNLayerArgs) {
    super(args, 'simple_rnn', 'SimpleRNN');
  }
  protected get gates() {
    return 1;
  }
  copyWith(changes: Partial<RNNLayerArgs>): SimpleRNN {
    return new SimpleRNN({ ...this.args, ...changes });
  }
}

export class LSTM extends RNN {
  static override readonly className = 'LSTM';
  readonly cell = 'lstm' as const;
  readonly unitForgetBias: boolean;
  constructor(args: LSTMLayerArgs) {
    super(args, 'lstm', 'LSTM');
    this.unitForgetBias = args.unitForgetBias ?? true;
  }
  protected get gates() {
    return 4;
  }
  protected override biasInitializer(): string | Initializer {
    return this.unitForgetBias ? new UnitForgetBias(getInitializer(this.biasInit, this.name), this.units) : this.biasInit;
  }
  copyWith(changes: Partial<LSTMLayerArgs>): LSTM {
    return new LSTM({ ...(this.args as LSTMLayerArgs), ...changes });
  }
  override getConfig() {
    return { ...super.getConfig(), recurrentActivation: this.recurrentActivation, unitForgetBias: this.unitForgetBias, implementation: 2 };
  }
}

export class GRU extends RNN {
  static override readonly className = 'GRU';
  readonly cell = 'gru' as const;
  private readonly resetAfterArg: boolean;
  constructor(args: GRULayerArgs) {
    super(args, 'gru', 'GRU');
    this.resetAfterArg = args.resetAfter ?? true;
  }
  protected get gates() {
    return 3;
  }
  protected override get resetAfter(): boolean {
    return this.resetAfterArg;
  }
  protected override biasShape(): number[] {
    return this.resetAfterArg ? [2, 3 * this.units] : [3 * this.units];
  }
  copyWith(changes: Partial<GRULayerArgs>): GRU {
    return new GRU({ ...(this.args as GRULayerArgs), ...changes });
  }
  override getConfig() {
    return { ...super.getConfig(), recurrentActivation: this.recurrentActivation, resetAfter: this.resetAfterArg, implementation: 2 };
  }
}
