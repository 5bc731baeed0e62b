/**
 * Layer wrappers with TensorFlow.js names: Bidirectional (an RNN run both ways, merged) and
 * TimeDistributed (any layer applied to every time step).
 */
import * as ops from '../ops/index';
import { fmt } from '../ops/util';
import { Tensor } from '../tensor';
import { ApplyArgs, CallContext, CallKwargs, Layer, LayerArgs, Mask, SymbolicShape } from './layer';
import { RNN, RNNCallArgs } from './recurrent';

export type BidirectionalMergeMode = 'concat' | 'sum' | 'mul' | 'ave';

export interface BidirectionalArgs extends LayerArgs {
  layer: RNN;
  /** How the two directions' outputs combine (default 'concat', on the last axis). */
  mergeMode?: BidirectionalMergeMode | null;
  /** The layer run backwards; default: a copy of `layer` with goBackwards flipped. */
  backwardLayer?: RNN;
}

/**
 * Runs a copy of the layer forwards and one backwards over the sequence and merges their
 * outputs; with returnSequences the backward outputs are put back in input order first.
 * Weights: the forward layer's, then the backward layer's.
 */
export class Bidirectional extends Layer {
  static override readonly className = 'Bidirectional';
  readonly forwardLayer: RNN;
  readonly backwardLayer: RNN;
  readonly mergeMode: BidirectionalMergeMode;
  readonly returnSequences: boolean;

  constructor(args: BidirectionalArgs) {
    super(args, 'bidirectional');
    const layer = args?.layer;
    if (!(layer instanceof RNN)) throw new Error(`${this.name} (Bidirectional): layer must be an LSTM, GRU or SimpleRNN layer`);
    if (args.mergeMode === null) {
      throw new Error(`${this.name} (Bidirectional): mergeMode null (two outputs) is not supported; use 'concat', 'sum', 'mul' or 'ave'`);
    }
    const mode = args.mergeMode ?? 'concat';
    if (!['concat', 'sum', 'mul', 'ave'].includes(mode)) {
      throw new Error(`${this.name} (Bidirectional): unknown mergeMode '${mode}' (expected concat, sum, mul or ave)`);
    }
    this.mergeMode = mode;
    this.forwardLayer = layer.copyWith({ name: `forward_${layer.name}` });
    this.backwardLayer = args.backwardLayer ?? layer.copyWith({ name: `backward_${layer.name}`, goBackwards: !layer.goBackwards });
    if (this.backwardLayer.returnSequences !== this.forwardLayer.returnSequences) {
      throw new Error(`${this.name} (Bidirectional): the forward and backward layers must agree on returnSequences`);
    }
    this.returnSequences = layer.returnSequences;
    this.supportsMasking = true;
    if (!this.batchInputShape && layer.batchInputShape) this.batchInputShape = [...layer.batchInputShape];
  }

  /** Whether apply() returns [output, ...forward states, ...backward states] (the inner layer's returnState). */
  get returnState(): boolean {
    return this.forwardLayer.returnState;
  }

  private sequenceShape(shape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    return (Array.isArray(shape[0]) ? shape[0] : shape) as SymbolicShape;
  }

  override build(shape: SymbolicShape | SymbolicShape[]): void {
    const inputShape = this.sequenceShape(shape);
    for (const l of [this.forwardLayer, this.backwardLayer]) {
      if (!l.built) {
        l.build(inputShape);
        l.built = true;
      }
    }
    this.adoptWeights([this.forwardLayer, this.backwardLayer]);
    this.built = true;
  }

  private merge(a: Tensor, b: Tensor): Tensor {
    switch (this.mergeMode) {
      case 'concat': return ops.concat([a, b], -1);
      case 'sum': return ops.add(a, b);
      case 'mul': return ops.mul(a, b);
      case 'ave': return ops.mul(ops.add(a, b), 0.5);
    }
  }

  /** Outputs of a backwards layer, in input time order. */
  private unreverse(y: Tensor): Tensor {
    const steps = y.shape[1];
    const idx = ops.tensor(Int32Array.from({ length: steps }, (_, i) => steps - 1 - i), [steps], 'int32');
    return ops.gather(y, idx, 1);
  }

  private run(x: Tensor, a: RNNCallArgs, withStates: boolean): Tensor[] {
    if (!this.built) this.build(x.shape);
    const n = this.forwardLayer.stateCount;
    const init = a.initialState;
    if (init && init.length && init.length !== 2 * n) {
      throw new Error(`${this.name} (Bidirectional): expected ${2 * n} initial states (forward, then backward), got ${init.length}`);
    }
    const ctx = (states?: Tensor[]): RNNCallArgs => ({ training: a.training, mask: a.mask, initialState: states });
    const f = this.forwardLayer.applyWithState(x, ctx(init?.slice(0, n)));
    const b = this.backwardLayer.applyWithState(x, ctx(init?.slice(n)));
    const yb = this.returnSequences ? this.unreverse(b[0]) : b[0];
    const out = this.merge(f[0], yb);
    return withStates ? [out, ...f.slice(1), ...b.slice(1)] : [out];
  }

  /** initialState given by keyword becomes extra inputs [x, ...forward states, ...backward states]. */
  protected override normalizeCallArgs<T>(inputs: T, kwargs: ApplyArgs): [T, ApplyArgs] {
    const { initialState, ...rest } = kwargs;
    if (initialState === undefined || initialState === null) return [inputs, rest];
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return [[x, ...(initialState as unknown[])] as T, rest];
  }

  private splitInputs(inputs: Tensor | Tensor[]): { sequence: Tensor; initialState?: Tensor[] } {
    if (!Array.isArray(inputs)) return { sequence: inputs };
    const [sequence, ...states] = inputs;
    return { sequence, initialState: states.length ? states : undefined };
  }

  /** [output, ...forward states, ...backward states], whatever returnState says. */
  applyWithState(x: Tensor, a: RNNCallArgs = {}): Tensor[] {
    const [inputs, kwargs] = this.normalizeCallArgs<Tensor | Tensor[]>(x, a);
    const { sequence, initialState } = this.splitInputs(inputs);
    return this.run(sequence, { ...kwargs, initialState }, true);
  }

  call(inputs: Tensor | Tensor[], kwargs: CallKwargs): Tensor | Tensor[] {
    const { sequence, initialState } = this.splitInputs(inputs);
    const mask = Array.isArray(kwargs.mask) ? kwargs.mask[0] : kwargs.mask;
    const out = this.run(sequence, { training: kwargs.training, mask, initialState }, this.returnState);
    return this.returnState ? out : out[0];
  }

  override computeOutputShape(shape: SymbolicShape | SymbolicShape[]): SymbolicShape | SymbolicShape[] {
    const s = this.sequenceShape(shape);
    const inner = this.forwardLayer.computeOutputShape(s);
    const [out, ...states] = (this.returnState ? inner : [inner]) as SymbolicShape[];
    const last = out[out.length - 1];
    const merged = this.mergeMode !== 'concat' ? out : [...out.slice(0, -1), last === null ? null : 2 * last];
    return this.returnState ? [merged, ...states, ...states] : merged;
  }

  override computeMask(_inputs: Tensor | Tensor[], mask: Mask): Mask {
    const m = Array.isArray(mask) ? (mask[0] ?? null) : mask;
    const out = this.returnSequences ? m : null;
    return this.returnState ? [out, ...Array.from({ length: 2 * this.forwardLayer.stateCount }, () => null)] : out;
  }

  override dispose(): void {
    super.dispose();
    this.forwardLayer.built = false;
    this.backwardLayer.built = false;
  }

  override getConfig() {
    return {
      ...super.getConfig(),
      layer: { className: this.forwardLayer.className, config: this.forwardLayer.getConfig() },
      mergeMode: this.mergeMode,
    };
  }
}

export interface TimeDistributedArgs extends LayerArgs {
  layer: Layer;
}

/**
 * Applies `layer` to every step of [batch, steps, ...]: the steps fold into the batch, so the
 * wrapped layer sees [batch·steps, ...] and its weights are shared across time.
 */
export class TimeDistributed extends Layer {
  static override readonly className = 'TimeDistributed';
  readonly layer: Layer;

  constructor(args: TimeDistributedArgs) {
    super(args, 'time_distributed');
    if (!(args?.layer instanceof Layer)) throw new Error(`${this.name} (TimeDistributed): layer must be a layer`);
    this.layer = args.layer;
    this.supportsMasking = true;
    // TimeDistributed(Embedding({inputLength})) as the first layer: the input shape is the inner one's.
    if (!this.batchInputShape && this.layer.batchInputShape) this.batchInputShape = [...this.layer.batchInputShape];
  }

  private inner(s: SymbolicShape): SymbolicShape {
    return [s[0] !== null && s[1] !== null ? s[0] * s[1] : null, ...s.slice(2)];
  }

  private check(shape: SymbolicShape): void {
    if (shape.length < 2) {
      throw new Error(`${this.name} (TimeDistributed): expected input of rank ≥ 2 [batch, steps, ...], got ${fmt(shape.map((d) => d ?? -1))}`);
    }
  }

  override build(inputShape: SymbolicShape): void {
    this.check(inputShape);
    if (!this.layer.built) {
      this.layer.build(this.inner(inputShape));
      this.layer.built = true;
    }
    this.adoptWeights([this.layer]);
    this.built = true;
  }

  private fold(x: Tensor): Tensor {
    return ops.reshape(x, [x.shape[0] * x.shape[1], ...x.shape.slice(2)]);
  }

  private unfold(y: Tensor, x: Tensor): Tensor {
    return ops.reshape(y, [x.shape[0], x.shape[1], ...y.shape.slice(1)]);
  }

  call(x: Tensor, ctx: CallContext): Tensor {
    this.check(x.shape);
    const mask = ctx.mask && ctx.mask.rank >= 2 ? this.fold(ctx.mask) : null;
    return this.unfold(this.layer.apply(this.fold(x), { training: ctx.training, mask }), x);
  }

  /** The wrapped layer's activation (for a loss fused with a final softmax / sigmoid). */
  get activation(): string {
    const inner = this.layer as { callLogits?: unknown; activation?: unknown };
    return typeof inner.callLogits === 'function' && typeof inner.activation === 'string' ? inner.activation : 'linear';
  }

  /** The wrapped layer's logits per step (it must have callLogits, as Dense does). */
  callLogits(x: Tensor): Tensor {
    const inner = this.layer as Layer & { callLogits?: (x: Tensor) => Tensor };
    if (!inner.callLogits) throw new Error(`${this.name} (TimeDistributed): ${inner.name} has no logits`);
    if (!this.built) this.build(x.shape);
    return this.unfold(inner.callLogits(this.fold(x)), x);
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    const out = this.layer.computeOutputShape(this.inner(s)) as SymbolicShape;
    return [s[0], s[1], ...out.slice(1)];
  }

  /** The wrapped layer's mask, per step, or the incoming one. */
  override computeMask(x: Tensor, mask: Tensor | null): Tensor | null {
    const m = this.layer.computeMask(this.fold(x), mask && mask.rank >= 2 ? this.fold(mask) : null);
    if (m instanceof Tensor) return ops.reshape(m, [x.shape[0], x.shape[1], ...m.shape.slice(1)]);
    return mask;
  }

  override dispose(): void {
    super.dispose();
    this.layer.built = false;
  }

  override getConfig() {
    return { ...super.getConfig(), layer: { className: this.layer.className, config: this.layer.getConfig() } };
  }
}
