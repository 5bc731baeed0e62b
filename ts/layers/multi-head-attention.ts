/**
 * MultiHeadAttention, as Keras (and TensorFlow.js' internal class, with its config keys):
 *
 *   const mha = fe.layers.multiHeadAttention({ numHeads: 4, keyDim: 16 });
 *   const y = mha.apply(query, { value, key, attentionMask, useCausalMask, returnAttentionScores, training });
 *
 * query [batch, t, dq] and value [batch, s, dv] (key [batch, s, dk], default value) are
 * projected per head (query/kernel [dq, heads, keyDim] and bias [heads, keyDim], likewise key
 * and value with valueDim), attended with the fused kernel (scaled dot product, Keras' masks,
 * dropout on the probabilities) and projected back (attention_output/kernel [heads, valueDim,
 * ...outputShape], bias [...outputShape]; outputShape defaults to dq). Weights in that order,
 * named as Keras names them; Glorot by Keras' fan rule on those shapes.
 *
 * Masks, as Keras: the query's mask (the mask arriving with the query, or queryMask) and the
 * value's and key's (valueMask, keyMask — a functional model passes those of the tensors given
 * as `value` and `key`) combine with attentionMask ([batch, t, s], [t, s] or [batch, heads, t,
 * s]) and the causal mask; masked scores get −1e9 before the softmax. The output carries the
 * query's mask.
 *
 * Inputs of higher rank attend over `attentionAxes` (default: every axis but the batch and the
 * features); there the other axes act as batch axes.
 */
import { attention } from '../ops/attention';
import * as ops from '../ops/index';
import { projection } from '../ops/projection';
import { mulberry32, rngFor, type Rng } from '../ops/random';
import { fmt } from '../ops/util';
import { Tensor, type Variable } from '../tensor';
import { initializerName, type Initializer } from './initializers';
import { Constraint, getConstraint, serializeConstraint } from '../constraints';
import { getRegularizer, Regularizer, serializeRegularizer } from '../regularizers';
import { ApplyArgs, CallKwargs, Layer, LayerArgs, SymbolicShape } from './layer';
import { SymbolicTensor } from './symbolic';

export interface MultiHeadAttentionArgs extends LayerArgs {
  numHeads: number;
  /** Size of each head for query and key. */
  keyDim: number;
  /** Size of each head for value (default keyDim). */
  valueDim?: number | null;
  /** Dropout rate on the attention probabilities, in training (default 0). */
  dropout?: number;
  useBias?: boolean;
  /** The output's trailing shape (default: the query's last dimension). */
  outputShape?: number | number[] | null;
  /** Axes attended over (default: all but the batch and feature axes). */
  attentionAxes?: number | number[] | null;
  kernelInitializer?: string | Initializer;
  biasInitializer?: string | Initializer;
  kernelRegularizer?: Regularizer | string | null;
  biasRegularizer?: Regularizer | string | null;
  kernelConstraint?: Constraint | string | null;
  biasConstraint?: Constraint | string | null;
  /** Seed of the dropout stream (default: the shared generator). */
  seed?: number | null;
  /** TensorFlow.js' config: build the weights at construction for these input shapes. */
  queryShape?: (number | null)[] | null;
  valueShape?: (number | null)[] | null;
  keyShape?: (number | null)[] | null;
}

/** Keyword arguments of apply/call (Keras' call arguments). */
export interface MultiHeadAttentionCallArgs extends ApplyArgs {
  value?: Tensor | SymbolicTensor;
  key?: Tensor | SymbolicTensor | null;
  /** Which scores are kept: [batch, t, s], [t, s] or [batch, heads, t, s] (nonzero keeps). */
  attentionMask?: Tensor | SymbolicTensor | null;
  useCausalMask?: boolean;
  /** Return [output, scores] with scores [batch, heads, t, s] (before dropout). */
  returnAttentionScores?: boolean;
  /** The query's mask when no mask arrives with it. */
  queryMask?: Tensor | null;
  valueMask?: Tensor | null;
  keyMask?: Tensor | null;
}

const CALL_KEYS = new Set([
  'value', 'key', 'attentionMask', 'useCausalMask', 'returnAttentionScores', 'training', 'mask', 'queryMask', 'valueMask', 'keyMask',
]);

const shapeText = (s: readonly (number | null)[]) => fmt(s.map((d) => d ?? 'null') as unknown as number[]);

interface Plan {
  rank: number;
  /** Attention axes of the inputs (1 … rank − 2), sorted. */
  attn: number[];
  /** The other axes after the batch, which act as batch axes. */
  other: number[];
  /** Whether the plain [batch, length, features] path applies (no transposes). */
  plain: boolean;
}

export class MultiHeadAttention extends Layer {
  static override readonly className = 'MultiHeadAttention';
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly dropout: number;
  readonly useBias: boolean;
  /** The output's trailing shape as given (null: the query's features). */
  readonly outputShapeArg: number[] | null;
  readonly attentionAxesArg: number[] | null;
  readonly seed: number | null;
  private kernelInit: string | Initializer;
  private biasInit: string | Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  readonly kernelConstraint: Constraint | null;
  readonly biasConstraint: Constraint | null;
  queryShape: SymbolicShape | null = null;
  valueShape: SymbolicShape | null = null;
  keyShape: SymbolicShape | null = null;
  queryKernel: Variable | null = null;
  queryBias: Variable | null = null;
  keyKernel: Variable | null = null;
  keyBias: Variable | null = null;
  valueKernel: Variable | null = null;
  valueBias: Variable | null = null;
  outputKernel: Variable | null = null;
  outputBias: Variable | null = null;
  private plan: Plan | null = null;
  private rng: Rng | null = null;
  /** What the latest apply() asked for, so computeOutputShape can describe the outputs. */
  private signature: { returnScores: boolean; valueShape: SymbolicShape } | null = null;

  constructor(args: MultiHeadAttentionArgs) {
    super(args, 'multi_head_attention');
    const who = this.who;
    for (const key of ['numHeads', 'keyDim'] as const) {
      if (!Number.isInteger(args?.[key]) || args[key] < 1) throw new Error(`${who}: ${key} must be a positive integer, got ${args?.[key]}`);
    }
    this.numHeads = args.numHeads;
    this.keyDim = args.keyDim;
    this.valueDim = args.valueDim ?? args.keyDim;
    if (!Number.isInteger(this.valueDim) || this.valueDim < 1) throw new Error(`${who}: valueDim must be a positive integer, got ${args.valueDim}`);
    this.dropout = args.dropout ?? 0;
    if (!(typeof this.dropout === 'number' && this.dropout >= 0 && this.dropout < 1)) throw new Error(`${who}: dropout must be in [0, 1), got ${args.dropout}`);
    this.useBias = args.useBias ?? true;
    const os = args.outputShape ?? null;
    this.outputShapeArg = os === null ? null : Array.isArray(os) ? [...os] : [os];
    if (this.outputShapeArg && (!this.outputShapeArg.length || !this.outputShapeArg.every((d) => Number.isInteger(d) && d > 0))) {
      throw new Error(`${who}: outputShape must be a positive integer or a list of them, got ${JSON.stringify(args.outputShape)}`);
    }
    const axes = args.attentionAxes ?? null;
    this.attentionAxesArg = axes === null ? null : Array.isArray(axes) ? [...axes] : [axes];
    if (this.attentionAxesArg && (!this.attentionAxesArg.length || !this.attentionAxesArg.every((a) => Number.isInteger(a)))) {
      throw new Error(`${who}: attentionAxes must be an integer or a list of integers, got ${JSON.stringify(args.attentionAxes)}`);
    }
    this.seed = args.seed ?? null;
    this.kernelInit = args.kernelInitializer ?? 'glorotUniform';
    this.biasInit = args.biasInitializer ?? 'zeros';
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer, `${who}: kernelRegularizer`);
    this.biasRegularizer = getRegularizer(args.biasRegularizer, `${who}: biasRegularizer`);
    this.kernelConstraint = getConstraint(args.kernelConstraint, `${who}: kernelConstraint`);
    this.biasConstraint = getConstraint(args.biasConstraint, `${who}: biasConstraint`);
    this.supportsMasking = true;
    const shapes = [args.queryShape, args.valueShape, args.keyShape];
    if (shapes.some((s) => s != null)) {
      if (!args.queryShape || !args.valueShape) throw new Error(`${who}: queryShape and valueShape must be given together (keyShape is optional)`);
      this.buildFromSignature(args.queryShape, args.valueShape, args.keyShape ?? null);
    }
  }

  private get who(): string {
    return `${this.name} (MultiHeadAttention)`;
  }

  /** The trailing output shape for a query of `queryShape`. */
  private outTail(queryShape: SymbolicShape): number[] {
    if (this.outputShapeArg) return this.outputShapeArg;
    const d = queryShape[queryShape.length - 1];
    if (d === null) throw new Error(`${this.who}: the query's last dimension must be known, got ${shapeText(queryShape)}`);
    return [d];
  }

  private planFor(rank: number): Plan {
    if (rank < 3) throw new Error(`${this.who}: expected query, value and key of rank ≥ 3 [batch, …, features], got rank ${rank}`);
    let attn: number[];
    if (this.attentionAxesArg === null) attn = Array.from({ length: rank - 2 }, (_, i) => i + 1);
    else {
      // Keras counts the axes of the projected [batch, …, heads, depth] tensors: negative ones from rank.
      attn = this.attentionAxesArg.map((a) => (a < 0 ? a + rank : a));
      for (const [i, a] of attn.entries()) {
        if (a < 1 || a > rank - 2) throw new Error(`${this.who}: attention axis ${this.attentionAxesArg[i]} is out of range for inputs of rank ${rank} (axes 1 … ${rank - 2})`);
      }
      if (new Set(attn).size !== attn.length) throw new Error(`${this.who}: attentionAxes ${JSON.stringify(this.attentionAxesArg)} repeats an axis`);
      attn = [...attn].sort((x, y) => x - y);
    }
    const other = Array.from({ length: rank - 2 }, (_, i) => i + 1).filter((a) => !attn.includes(a));
    return { rank, attn, other, plain: rank === 3 && attn.length === 1 };
  }

  /** Creates the weights for these input shapes (Keras' build(query_shape, value_shape, key_shape)). */
  buildFromSignature(queryShape: SymbolicShape, valueShape: SymbolicShape, keyShape: SymbolicShape | null = null): void {
    const who = this.who;
    const key = keyShape ?? valueShape;
    if (queryShape.length !== valueShape.length || key.length !== valueShape.length) {
      throw new Error(`${who}: query, value and key must have the same rank, got ${shapeText(queryShape)}, ${shapeText(valueShape)} and ${shapeText(key)}`);
    }
    if (valueShape.slice(1, -1).some((d, i) => d !== key[i + 1])) {
      throw new Error(`${who}: all dimensions of value and key except the last must be equal, got value ${shapeText(valueShape)} and key ${shapeText(key)}`);
    }
    const [dq, dk, dv] = [queryShape, key, valueShape].map((s) => s[s.length - 1]);
    if (dq === null || dk === null || dv === null) {
      throw new Error(`${who}: the last dimension of query, value and key must be known, got ${shapeText(queryShape)}, ${shapeText(valueShape)} and ${shapeText(key)}`);
    }
    this.plan = this.planFor(queryShape.length);
    const [h, kd, vd] = [this.numHeads, this.keyDim, this.valueDim];
    const tail = this.outTail(queryShape);
    const w = (name: string, shape: number[], bias: boolean) =>
      bias
        ? this.addWeight(name, shape, 'float32', this.biasInit, this.biasRegularizer, true, this.biasConstraint)
        : this.addWeight(name, shape, 'float32', this.kernelInit, this.kernelRegularizer, true, this.kernelConstraint);
    this.queryKernel = w('query/kernel', [dq, h, kd], false);
    if (this.useBias) this.queryBias = w('query/bias', [h, kd], true);
    this.keyKernel = w('key/kernel', [dk, h, kd], false);
    if (this.useBias) this.keyBias = w('key/bias', [h, kd], true);
    this.valueKernel = w('value/kernel', [dv, h, vd], false);
    if (this.useBias) this.valueBias = w('value/bias', [h, vd], true);
    this.outputKernel = w('attention_output/kernel', [h, vd, ...tail], false);
    if (this.useBias) this.outputBias = w('attention_output/bias', tail, true);
    this.queryShape = [...queryShape];
    this.valueShape = [...valueShape];
    this.keyShape = keyShape ? [...keyShape] : null;
    this.built = true;
  }

  /** A list [query, value(, key)] (TensorFlow.js' input list) becomes query + { value, key }. */
  protected override normalizeCallArgs<T>(inputs: T, kwargs: ApplyArgs): [T, ApplyArgs] {
    if (Array.isArray(inputs)) {
      if (inputs.length < 2 || inputs.length > 3) throw new Error(`${this.who}: a list of inputs must be [query, value] or [query, value, key], got ${inputs.length} tensors`);
      if (kwargs.value !== undefined) throw new Error(`${this.who}: value is given twice (in the input list and as a keyword)`);
      const [q, v, k] = inputs as unknown[];
      return [q as T, { ...kwargs, value: v, ...(k !== undefined ? { key: k } : {}) }];
    }
    return [inputs, kwargs];
  }

  override apply(inputs: SymbolicTensor | SymbolicTensor[], kwargs?: ApplyArgs): SymbolicTensor | SymbolicTensor[];
  override apply(inputs: Tensor, kwargs?: ApplyArgs): Tensor;
  override apply(inputs: Tensor[], kwargs?: ApplyArgs): Tensor | Tensor[];
  override apply(inputs: Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[], kwargs: ApplyArgs = {}): Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[] {
    const [query, kw] = this.normalizeCallArgs(inputs, kwargs);
    for (const k of Object.keys(kw)) {
      if (!CALL_KEYS.has(k)) throw new Error(`${this.who}: unknown call argument '${k}' (expected ${[...CALL_KEYS].join(', ')})`);
    }
    const value = kw.value as Tensor | SymbolicTensor | undefined | null;
    if (value === undefined || value === null) throw new Error(`${this.who}: apply needs the value: layer.apply(query, { value })`);
    const shapeOf = (t: unknown, what: string): SymbolicShape => {
      if (t instanceof Tensor || t instanceof SymbolicTensor) return [...t.shape];
      throw new Error(`${this.who}: ${what} must be a tensor`);
    };
    const qs = shapeOf(Array.isArray(query) ? query[0] : query, 'query');
    const vs = shapeOf(value, 'value');
    const ks = kw.key != null ? shapeOf(kw.key, 'key') : null;
    if (!this.queryKernel) this.buildFromSignature(qs, vs, ks);
    this.signature = { returnScores: kw.returnAttentionScores === true, valueShape: vs };
    return super.apply(query as never, kw) as never;
  }

  /** The layer builds from all three shapes in apply(); a bare build(queryShape) is self-attention. */
  override build(inputShape: SymbolicShape | SymbolicShape[]): void {
    if (this.queryKernel) return;
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as SymbolicShape;
    this.buildFromSignature(s, s, null);
  }

  call(inputs: Tensor | Tensor[], kwargs: CallKwargs): Tensor | Tensor[] {
    const query = Array.isArray(inputs) ? inputs[0] : inputs;
    const a = kwargs as CallKwargs & MultiHeadAttentionCallArgs;
    const value = a.value as Tensor | undefined;
    const key = (a.key as Tensor | null | undefined) ?? value;
    if (!(value instanceof Tensor) || !(key instanceof Tensor)) throw new Error(`${this.who}: call needs the value (and optionally the key) as tensors`);
    if (!this.queryKernel) this.buildFromSignature([...query.shape], [...value.shape], a.key ? [...(a.key as Tensor).shape] : null);
    const plan = this.plan!;
    const who = this.who;
    for (const [what, t] of [['query', query], ['value', value], ['key', key]] as const) {
      if (t.rank !== plan.rank) throw new Error(`${who}: expected ${what} of rank ${plan.rank}, got ${fmt(t.shape)}`);
    }
    if (query.shape[0] !== value.shape[0] || key.shape[0] !== value.shape[0]) {
      throw new Error(`${who}: query, value and key must have the same batch size, got ${fmt(query.shape)}, ${fmt(value.shape)} and ${fmt(key.shape)}`);
    }
    if (value.shape.slice(1, -1).some((d, i) => d !== key.shape[i + 1])) {
      throw new Error(`${who}: all dimensions of value and key except the last must be equal, got value ${fmt(value.shape)} and key ${fmt(key.shape)}`);
    }
    const mask = a.mask;
    const queryMask = a.queryMask ?? (mask instanceof Tensor ? mask : Array.isArray(mask) ? (mask[0] ?? null) : null);
    // Project: [batch, …, features] → [batch, …, heads, depth].
    const q = projection(query, this.queryKernel!, this.queryBias, 1, `${who} query`);
    const k = projection(key, this.keyKernel!, this.keyBias, 1, `${who} key`);
    const v = projection(value, this.valueKernel!, this.valueBias, 1, `${who} value`);
    const rate = a.training && this.dropout > 0 ? this.dropout : 0;
    const seed = rate > 0 ? Math.floor(this.dropoutRng()() * 4294967296) : undefined;
    const kvMask = combine(a.valueMask ?? null, a.keyMask ?? null);
    const opts = {
      name: who, dropout: rate, seed, isCausal: a.useCausalMask === true,
      returnScores: a.returnAttentionScores === true,
    };
    let out: Tensor, scores: Tensor | null;
    if (plan.plain) {
      ({ output: out, scores } = attention(q, k, v, { ...opts, queryMask, keyMask: kvMask, mask: (a.attentionMask as Tensor | null | undefined) ?? null }));
    } else {
      ({ out, scores } = this.attendOverAxes(q, k, v, { ...opts, queryMask, keyMask: kvMask, attentionMask: (a.attentionMask as Tensor | null | undefined) ?? null }));
    }
    const y = projection(out, this.outputKernel!, this.outputBias, 2, `${who} attention_output`);
    return scores ? [y, scores] : y;
  }

  private dropoutRng(): Rng {
    if (this.seed === null) return rngFor();
    this.rng ??= mulberry32(this.seed);
    return this.rng;
  }

  /**
   * Attention over several axes, or over some axes of higher-rank inputs: the other axes join
   * the batch, the attention axes are flattened, and the result is put back.
   */
  private attendOverAxes(
    q: Tensor, k: Tensor, v: Tensor,
    o: { name: string; dropout: number; seed?: number; isCausal: boolean; returnScores: boolean; queryMask: Tensor | null; keyMask: Tensor | null; attentionMask: Tensor | null },
  ): { out: Tensor; scores: Tensor | null } {
    const plan = this.plan!;
    const who = this.who;
    if (o.isCausal) throw new Error(`${who}: useCausalMask needs inputs of rank 3 attending over axis 1`);
    if (plan.other.length && (o.queryMask || o.keyMask || o.attentionMask)) {
      throw new Error(`${who}: masks are supported when every axis but the batch and features is attended (attentionAxes ${JSON.stringify(plan.attn)} of rank ${plan.rank})`);
    }
    const h = this.numHeads;
    // [batch, d1 … dm, heads, depth] → [batch, other…, attn…, heads, depth] → [B', L, heads, depth].
    const perm = [0, ...plan.other, ...plan.attn, plan.rank - 1, plan.rank];
    const identity = perm.every((p, i) => p === i);
    const gather = (t: Tensor): [Tensor, number[]] => {
      const tt = identity ? t : ops.transpose(t, perm);
      const otherDims = plan.other.map((ax) => t.shape[ax]);
      const attnDims = plan.attn.map((ax) => t.shape[ax]);
      const flat = ops.reshape(tt, [t.shape[0] * prod(otherDims), prod(attnDims), h, t.shape[plan.rank]]);
      return [flat, attnDims];
    };
    const [qf, tDims] = gather(q);
    const [kf, sDims] = gather(k);
    const [vf] = gather(v);
    const batch = q.shape[0];
    const otherDims = plan.other.map((ax) => q.shape[ax]);
    const flatMask = (m: Tensor | null, dims: number[], what: string) => {
      if (!m) return null;
      const want = [batch, ...dims];
      if (m.rank !== want.length || m.shape.some((d, i) => d !== want[i])) throw new Error(`${who}: expected the ${what} mask of shape ${fmt(want)}, got ${fmt(m.shape)}`);
      return ops.reshape(m, [batch, prod(dims)]);
    };
    let attnMask: Tensor | null = null;
    if (o.attentionMask) {
      const want = [batch, ...tDims, ...sDims];
      if (o.attentionMask.rank !== want.length || o.attentionMask.shape.some((d, i) => d !== want[i])) {
        throw new Error(`${who}: expected an attention mask of shape ${fmt(want)}, got ${fmt(o.attentionMask.shape)}`);
      }
      attnMask = ops.reshape(o.attentionMask, [batch, prod(tDims), prod(sDims)]);
    }
    const r = attention(qf, kf, vf, {
      name: o.name, dropout: o.dropout, seed: o.seed, returnScores: o.returnScores,
      queryMask: flatMask(o.queryMask, tDims, 'query'), keyMask: flatMask(o.keyMask, sDims, 'value/key'), mask: attnMask,
    });
    const back = ops.reshape(r.output, [batch, ...otherDims, ...tDims, h, this.valueDim]);
    const inverse = perm.map((_, i) => perm.indexOf(i));
    const out = identity ? back : ops.transpose(back, inverse);
    // Keras' score layout: [batch, other…, heads, t dims…, s dims…].
    let scores: Tensor | null = null;
    if (r.scores) {
      const s4 = ops.reshape(r.scores, [batch, ...otherDims, h, ...tDims, ...sDims]);
      scores = s4;
    }
    return { out, scores };
  }

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape | SymbolicShape[] {
    const qs = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as SymbolicShape;
    const out = [...qs.slice(0, -1), ...this.outTail(qs)];
    if (!this.signature?.returnScores) return out;
    const plan = this.plan ?? this.planFor(qs.length);
    const vs = this.signature.valueShape;
    const scores = [qs[0], ...plan.other.map((a) => qs[a]), this.numHeads, ...plan.attn.map((a) => qs[a]), ...plan.attn.map((a) => vs[a])];
    return [out, scores];
  }

  override getConfig() {
    return {
      ...super.getConfig(),
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      valueDim: this.valueDim,
      dropout: this.dropout,
      useBias: this.useBias,
      outputShape: this.outputShapeArg,
      attentionAxes: this.attentionAxesArg,
      kernelInitializer: initializerName(this.kernelInit),
      biasInitializer: initializerName(this.biasInit),
      kernelRegularizer: serializeRegularizer(this.kernelRegularizer),
      biasRegularizer: serializeRegularizer(this.biasRegularizer),
      activityRegularizer: serializeRegularizer(this.activityRegularizer),
      kernelConstraint: serializeConstraint(this.kernelConstraint),
      biasConstraint: serializeConstraint(this.biasConstraint),
      seed: this.seed,
      queryShape: this.queryShape,
      keyShape: this.keyShape,
      valueShape: this.valueShape,
    };
  }
}

function prod(xs: number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}

/** The elementwise product of two optional masks (the attention op keeps it for its backward pass). */
function combine(a: Tensor | null, b: Tensor | null): Tensor | null {
  if (!a || !b) return a ?? b;
  const fa = a.dtype === 'float32' ? a : ops.cast(a, 'float32');
  const fb = b.dtype === 'float32' ? b : ops.cast(b, 'float32');
  return ops.mul(fa, fb);
}
