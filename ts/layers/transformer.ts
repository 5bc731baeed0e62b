/**
 * Transformer blocks as keras-hub defines them.
 *
 * TransformerEncoder({ intermediateDim, numHeads, dropout, activation, layerNormEpsilon,
 * normalizeFirst, … }) on x [batch, length, hidden]:
 *   x = norm₁(x + dropout(selfAttention(x, x)))        (normalizeFirst: x + dropout(selfAttention(norm₁(x))))
 *   x = norm₂(x + dropout(dense₂(act(dense₁(x)))))
 * with heads of hidden/numHeads. Its padding mask is `paddingMask` or the mask arriving with x
 * (Embedding maskZero), combined with `attentionMask` [batch, length, length].
 *
 * TransformerDecoder: the same with a causal self-attention (useCausalMask, default true),
 * and, when called on [decoderSequence, encoderSequence], a cross-attention block between the
 * two (keys and values from the encoder, masked by its padding mask).
 *
 * Sublayers and weights carry keras-hub's names (self_attention_layer, feedforward_…); a
 * block's weights are theirs, in keras-hub's build order. The feed-forward Dense layers are
 * run as one product each over all positions (ops/projection.ts).
 */
import { biasAddActivation, isFusedActivation } from '../ops/fused-dense';
import * as ops from '../ops/index';
import { projection } from '../ops/projection';
import { fmt } from '../ops/util';
import { Tensor } from '../tensor';
import { getRegularizer, Regularizer, serializeRegularizer } from '../regularizers';
import { ActivationIdentifier, getActivation } from './activations';
import { Dense } from './dense';
import { initializerName, type Initializer } from './initializers';
import { ApplyArgs, CallKwargs, Layer, LayerArgs, Mask, SymbolicShape } from './layer';
import { LayerNormalization } from './layer-normalization';
import { MultiHeadAttention } from './multi-head-attention';

export interface TransformerArgs extends LayerArgs {
  /** Hidden size of the feed-forward network. */
  intermediateDim: number;
  numHeads: number;
  /** Dropout of the attention and feed-forward blocks (default 0). */
  dropout?: number;
  /** Of the feed-forward network (default 'relu'). */
  activation?: ActivationIdentifier;
  /** Default 1e-5. */
  layerNormEpsilon?: number;
  kernelInitializer?: string | Initializer;
  biasInitializer?: string | Initializer;
  kernelRegularizer?: Regularizer | string | null;
  biasRegularizer?: Regularizer | string | null;
  /** Normalise before each block (GPT-2) instead of after it (BERT); default false. */
  normalizeFirst?: boolean;
}


/** A float32 [batch, s] padding mask, or null. */
function paddingMaskOf(who: string, m: unknown, batch: number, length: number): Tensor | null {
  if (m === undefined || m === null) return null;
  if (!(m instanceof Tensor)) throw new Error(`${who}: a padding mask must be a tensor`);
  if (m.rank !== 2 || m.shape[0] !== batch || m.shape[1] !== length) {
    throw new Error(`${who}: expected a padding mask of shape [${batch}, ${length}], got ${fmt(m.shape)}`);
  }
  return m;
}

function attentionMaskOf(who: string, m: unknown, batch: number, t: number, s: number): Tensor | null {
  if (m === undefined || m === null) return null;
  if (!(m instanceof Tensor)) throw new Error(`${who}: an attention mask must be a tensor`);
  if (m.rank !== 3 || m.shape[0] !== batch || m.shape[1] !== t || m.shape[2] !== s) {
    throw new Error(`${who}: expected an attention mask of shape [${batch}, ${t}, ${s}], got ${fmt(m.shape)}`);
  }
  return m;
}

/** What the two blocks share: options, sublayer bookkeeping, the feed-forward block. */
abstract class TransformerBlock extends Layer {
  readonly intermediateDim: number;
  readonly numHeads: number;
  readonly dropout: number;
  readonly activation: ActivationIdentifier;
  readonly layerNormEpsilon: number;
  readonly normalizeFirst: boolean;
  protected kernelInit: string | Initializer;
  protected biasInit: string | Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  protected sublayers: Layer[] = [];
  protected ffnIntermediate: Dense | null = null;
  protected ffnOutput: Dense | null = null;
  protected ffnNorm: LayerNormalization | null = null;
  private activationFn: (x: Tensor) => Tensor;

  constructor(args: TransformerArgs, defaultName: string) {
    super(args, defaultName);
    const who = this.who;
    for (const k of ['intermediateDim', 'numHeads'] as const) {
      if (!Number.isInteger(args?.[k]) || args[k] < 1) throw new Error(`${who}: ${k} must be a positive integer, got ${args?.[k]}`);
    }
    this.intermediateDim = args.intermediateDim;
    this.numHeads = args.numHeads;
    this.dropout = args.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new Error(`${who}: dropout must be in [0, 1), got ${args.dropout}`);
    this.activation = args.activation ?? 'relu';
    this.activationFn = getActivation(this.activation, who);
    this.layerNormEpsilon = args.layerNormEpsilon ?? 1e-5;
    this.normalizeFirst = args.normalizeFirst ?? false;
    this.kernelInit = args.kernelInitializer ?? 'glorotUniform';
    this.biasInit = args.biasInitializer ?? 'zeros';
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer, `${who}: kernelRegularizer`);
    this.biasRegularizer = getRegularizer(args.biasRegularizer, `${who}: biasRegularizer`);
    this.supportsMasking = true;
  }

  protected get who(): string {
    return `${this.name} (${this.className})`;
  }

  /** keras-hub's head size: hidden / numHeads, rounded down, at least 1. */
  protected headDim(hidden: number | null): number {
    if (hidden === null) throw new Error(`${this.who}: the hidden (last) dimension of the input must be known`);
    const k = Math.floor(hidden / this.numHeads);
    if (k === 0) throw new Error(`${this.who}: the hidden dimension ${hidden} must be at least numHeads (${this.numHeads})`);
    return k;
  }

  protected attentionLayer(name: string, keyDim: number, valueDim?: number): MultiHeadAttention {
    return new MultiHeadAttention({
      name, numHeads: this.numHeads, keyDim, valueDim, dropout: this.dropout,
      kernelInitializer: this.kernelInit, biasInitializer: this.biasInit,
      kernelRegularizer: this.kernelRegularizer, biasRegularizer: this.biasRegularizer,
    });
  }

  protected norm(name: string, shape: SymbolicShape): LayerNormalization {
    const l = new LayerNormalization({ name, epsilon: this.layerNormEpsilon });
    l.build(shape);
    return l;
  }

  protected dense(name: string, units: number, activation: ActivationIdentifier, inputShape: SymbolicShape): Dense {
    const d = new Dense({
      name, units, activation, kernelInitializer: this.kernelInit, biasInitializer: this.biasInit,
      kernelRegularizer: this.kernelRegularizer, biasRegularizer: this.biasRegularizer,
    });
    d.build(inputShape);
    return d;
  }

  /** keras-hub builds the encoder's feed-forward norm before its Dense layers, the decoder's after. */
  protected buildFeedForward(shape: SymbolicShape, hidden: number, normBeforeDense: boolean): void {
    const norm = () => (this.ffnNorm = this.norm('feedforward_layer_norm', shape));
    if (normBeforeDense) norm();
    this.ffnIntermediate = this.dense('feedforward_intermediate_dense', this.intermediateDim, this.activation, shape);
    this.ffnOutput = this.dense('feedforward_output_dense', hidden, 'linear', [...shape.slice(0, -1), this.intermediateDim]);
    if (!normBeforeDense) norm();
  }

  /** Collects the sublayers' weights as this layer's, in build order. */
  protected adopt(layers: Layer[]): void {
    this.sublayers = layers;
    this.adoptWeights(layers);
    this.built = true;
  }

  protected drop(x: Tensor, training: boolean): Tensor {
    return training && this.dropout > 0 ? ops.dropout(x, this.dropout) : x;
  }

  /** A residual block: x + dropout(f(norm(x))) or norm(x + dropout(f(x))). */
  protected residual(x: Tensor, norm: LayerNormalization, training: boolean, f: (y: Tensor) => Tensor): Tensor {
    const ctx = { training, mask: null };
    const inner = f(this.normalizeFirst ? norm.call(x, ctx) : x);
    const y = ops.add(this.drop(inner, training), x);
    return this.normalizeFirst ? y : norm.call(y, ctx);
  }

  /** dense₂(act(dense₁(x))), each one product over all positions. */
  protected feedForward(x: Tensor): Tensor {
    const d1 = this.ffnIntermediate!, d2 = this.ffnOutput!;
    const pre = projection(x, d1.kernel!, null, 1, `${this.who} feedforward_intermediate_dense`);
    const h = isFusedActivation(this.activation)
      ? biasAddActivation(pre, d1.bias, this.activation, `${this.who} feedforward_intermediate_dense`)
      : this.activationFn(d1.bias ? ops.add(pre, d1.bias) : pre);
    return projection(h, d2.kernel!, d2.bias, 1, `${this.who} feedforward_output_dense`);
  }

  /** The keyword arguments call() understands (others throw: none is silently ignored). */
  protected abstract readonly callKeys: readonly string[];

  /** Checks the keyword arguments of apply() (eager and symbolic calls alike). */
  protected override normalizeCallArgs<T>(inputs: T, kwargs: ApplyArgs): [T, ApplyArgs] {
    for (const k of Object.keys(kwargs)) {
      if (!this.callKeys.includes(k)) throw new Error(`${this.who}: unknown call argument '${k}' (expected ${this.callKeys.join(', ')})`);
    }
    return [inputs, kwargs];
  }

  /** The sublayers' regularization penalties are this layer's. */
  override collectLosses(): Tensor[] {
    return [...super.collectLosses(), ...this.sublayers.flatMap((l) => l.collectLosses())];
  }

  override clearCallLosses(): void {
    super.clearCallLosses();
    for (const l of this.sublayers) l.clearCallLosses();
  }

  override get losses(): Tensor[] {
    return [...super.losses, ...this.sublayers.flatMap((l) => l.losses)];
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      intermediateDim: this.intermediateDim,
      numHeads: this.numHeads,
      dropout: this.dropout,
      activation: this.activation,
      layerNormEpsilon: this.layerNormEpsilon,
      kernelInitializer: initializerName(this.kernelInit),
      biasInitializer: initializerName(this.biasInit),
      kernelRegularizer: serializeRegularizer(this.kernelRegularizer),
      biasRegularizer: serializeRegularizer(this.biasRegularizer),
      activityRegularizer: serializeRegularizer(this.activityRegularizer),
      normalizeFirst: this.normalizeFirst,
    };
  }
}

export class TransformerEncoder extends TransformerBlock {
  static override readonly className = 'TransformerEncoder';
  protected readonly callKeys = ['paddingMask', 'attentionMask', 'returnAttentionScores', 'training', 'mask'];
  /** Whether the latest apply() asked for the attention scores (a second output). */
  private returnScores = false;
  selfAttention: MultiHeadAttention | null = null;
  selfAttentionNorm: LayerNormalization | null = null;

  constructor(args: TransformerArgs) {
    super(args, 'transformer_encoder');
  }

  override build(inputShape: SymbolicShape | SymbolicShape[]): void {
    const shape = inputShape as SymbolicShape;
    if (Array.isArray(shape[0])) throw new Error(`${this.who}: takes one input [batch, length, hidden]`);
    if (shape.length !== 3) throw new Error(`${this.who}: expected input of rank 3 [batch, length, hidden], got [${shape.map((d) => d ?? 'null').join(', ')}]`);
    const hidden = shape[2];
    const keyDim = this.headDim(hidden);
    this.selfAttention = this.attentionLayer('self_attention_layer', keyDim);
    this.selfAttention.buildFromSignature(shape, shape);
    this.selfAttentionNorm = this.norm('self_attention_layer_norm', shape);
    this.buildFeedForward(shape, hidden!, true);
    this.adopt([this.selfAttention, this.selfAttentionNorm, this.ffnNorm!, this.ffnIntermediate!, this.ffnOutput!]);
  }

  call(inputs: Tensor | Tensor[], kwargs: CallKwargs): Tensor | Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const who = this.who;
    const hidden = this.selfAttentionNorm!.gamma!.shape[0];
    if (x.rank !== 3 || x.shape[2] !== hidden) throw new Error(`${who}: expected input [batch, length, ${hidden}], got ${fmt(x.shape)}`);
    const [batch, len] = x.shape;
    const kerasMask = kwargs.mask instanceof Tensor ? kwargs.mask : null;
    const explicit = paddingMaskOf(who, kwargs.paddingMask, batch, len);
    // keras-hub: an explicit padding mask wins over the one arriving with x (which, in Keras,
    // also masks the query rows of the padding).
    const padding = explicit ?? kerasMask;
    const attnMask = attentionMaskOf(who, kwargs.attentionMask, batch, len, len);
    const training = kwargs.training === true;
    const wantScores = kwargs.returnAttentionScores === true;
    let scores: Tensor | null = null;
    let y = this.residual(x, this.selfAttentionNorm!, training, (h) => {
      const r = this.selfAttention!.call(h, {
        training, mask: null, value: h, keyMask: padding, queryMask: explicit ? null : kerasMask,
        attentionMask: attnMask, returnAttentionScores: wantScores,
      });
      if (Array.isArray(r)) {
        scores = r[1];
        return r[0];
      }
      return r;
    });
    y = this.residual(y, this.ffnNorm!, training, (h) => this.feedForward(h));
    return scores ? [y, scores] : y;
  }

  protected override normalizeCallArgs<T>(inputs: T, kwargs: ApplyArgs): [T, ApplyArgs] {
    const r = super.normalizeCallArgs(inputs, kwargs);
    this.returnScores = kwargs.returnAttentionScores === true;
    return r;
  }

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape | SymbolicShape[] {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as SymbolicShape;
    return this.returnScores ? [s, [s[0], this.numHeads, s[1], s[1]]] : s;
  }
}

export class TransformerDecoder extends TransformerBlock {
  static override readonly className = 'TransformerDecoder';
  protected readonly callKeys = [
    'encoderSequence', 'decoderPaddingMask', 'decoderAttentionMask', 'encoderPaddingMask', 'encoderAttentionMask',
    'useCausalMask', 'training', 'mask', 'encoderSequenceMask',
  ];
  selfAttention: MultiHeadAttention | null = null;
  selfAttentionNorm: LayerNormalization | null = null;
  crossAttention: MultiHeadAttention | null = null;
  crossAttentionNorm: LayerNormalization | null = null;
  /** The shapes it was built for (keras-hub's decoder_sequence_shape, encoder_sequence_shape). */
  decoderSequenceShape: SymbolicShape | null = null;
  encoderSequenceShape: SymbolicShape | null = null;

  constructor(args: TransformerArgs & { decoderSequenceShape?: SymbolicShape | null; encoderSequenceShape?: SymbolicShape | null }) {
    super(args, 'transformer_decoder');
    if (args.decoderSequenceShape) this.buildFor(args.decoderSequenceShape, args.encoderSequenceShape ?? null);
  }

  /** [decoderSequence, encoderSequence] as a list, or encoderSequence as a keyword. */
  protected override normalizeCallArgs<T>(inputs: T, kwargs: ApplyArgs): [T, ApplyArgs] {
    super.normalizeCallArgs(inputs, kwargs);
    if (!Array.isArray(inputs) && kwargs.encoderSequence) {
      const { encoderSequence, ...rest } = kwargs;
      return [[inputs, encoderSequence] as T, rest];
    }
    return [inputs, kwargs];
  }

  override build(inputShape: SymbolicShape | SymbolicShape[]): void {
    const list = Array.isArray(inputShape[0]);
    const shapes = (list ? inputShape : [inputShape]) as SymbolicShape[];
    if (shapes.length > 2) throw new Error(`${this.who}: takes [decoderSequence] or [decoderSequence, encoderSequence], got ${shapes.length} inputs`);
    this.buildFor(shapes[0], shapes[1] ?? null);
  }

  private buildFor(dec: SymbolicShape, enc: SymbolicShape | null): void {
    for (const s of enc ? [dec, enc] : [dec]) {
      if (s.length !== 3) throw new Error(`${this.who}: expected sequences of rank 3 [batch, length, hidden], got [${s.map((d) => d ?? 'null').join(', ')}]`);
    }
    const hidden = dec[2];
    const headDim = this.headDim(hidden);
    this.decoderSequenceShape = [...dec];
    this.encoderSequenceShape = enc ? [...enc] : null;
    this.selfAttention = this.attentionLayer('self_attention', headDim);
    this.selfAttention.buildFromSignature(dec, dec);
    this.selfAttentionNorm = this.norm('self_attention_layer_norm', dec);
    const layers: Layer[] = [this.selfAttention, this.selfAttentionNorm];
    if (enc) {
      this.crossAttention = this.attentionLayer('cross_attention', headDim, headDim);
      this.crossAttention.buildFromSignature(dec, enc);
      this.crossAttentionNorm = this.norm('cross_attention_layer_norm', dec);
      layers.push(this.crossAttention, this.crossAttentionNorm);
    }
    this.buildFeedForward(dec, hidden!, false);
    layers.push(this.ffnIntermediate!, this.ffnOutput!, this.ffnNorm!);
    this.adopt(layers);
  }

  call(inputs: Tensor | Tensor[], kwargs: CallKwargs): Tensor {
    const who = this.who;
    const [x, enc] = Array.isArray(inputs) ? inputs : [inputs, undefined];
    if (!!enc !== !!this.crossAttention) {
      throw new Error(
        this.crossAttention
          ? `${who}: was built with cross-attention; call it on [decoderSequence, encoderSequence]`
          : `${who}: was built without cross-attention; call it on the decoder sequence alone`,
      );
    }
    const hidden = this.selfAttentionNorm!.gamma!.shape[0];
    if (x.rank !== 3 || x.shape[2] !== hidden) throw new Error(`${who}: expected the decoder sequence [batch, length, ${hidden}], got ${fmt(x.shape)}`);
    const [batch, len] = x.shape;
    const masks = Array.isArray(kwargs.mask) ? kwargs.mask : [kwargs.mask ?? null];
    const decKerasMask = masks[0] instanceof Tensor ? masks[0] : null;
    const encKerasMask = (masks[1] instanceof Tensor ? masks[1] : null) ?? ((kwargs.encoderSequenceMask as Tensor | undefined) ?? null);
    const decExplicit = paddingMaskOf(who, kwargs.decoderPaddingMask, batch, len);
    const decPadding = decExplicit ?? decKerasMask;
    const decAttn = attentionMaskOf(who, kwargs.decoderAttentionMask, batch, len, len);
    const training = kwargs.training === true;
    const causal = kwargs.useCausalMask === undefined ? true : kwargs.useCausalMask === true;
    let y = this.residual(x, this.selfAttentionNorm!, training, (h) =>
      this.selfAttention!.call(h, {
        training, mask: null, value: h, keyMask: decPadding, queryMask: decExplicit ? null : decKerasMask,
        attentionMask: decAttn, useCausalMask: causal,
      }) as Tensor);
    if (enc) {
      if (enc.rank !== 3 || enc.shape[0] !== batch) throw new Error(`${who}: expected the encoder sequence [${batch}, length, features], got ${fmt(enc.shape)}`);
      const encPadding = paddingMaskOf(who, kwargs.encoderPaddingMask, batch, enc.shape[1]) ?? encKerasMask;
      const encAttn = attentionMaskOf(who, kwargs.encoderAttentionMask, batch, len, enc.shape[1]);
      y = this.residual(y, this.crossAttentionNorm!, training, (h) =>
        this.crossAttention!.call(h, { training, mask: null, value: enc, keyMask: encPadding, attentionMask: encAttn }) as Tensor);
    }
    return this.residual(y, this.ffnNorm!, training, (h) => this.feedForward(h));
  }

  override computeMask(inputs: Tensor | Tensor[], mask: Mask): Mask {
    void inputs;
    return Array.isArray(mask) ? (mask[0] ?? null) : mask;
  }

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as SymbolicShape;
  }

  override getConfig(): Record<string, unknown> {
    // keras-hub's decoder has no regularizer arguments: they are written only when set.
    const c: Record<string, unknown> = { ...super.getConfig() };
    for (const k of ['kernelRegularizer', 'biasRegularizer', 'activityRegularizer']) if (c[k] === null) delete c[k];
    return { ...c, decoderSequenceShape: this.decoderSequenceShape, encoderSequenceShape: this.encoderSequenceShape };
  }
}


