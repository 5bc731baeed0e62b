/**
 * Position information for Transformers, as keras-hub defines it:
 * - PositionEmbedding({ sequenceLength, initializer }): a learned [sequenceLength, features]
 *   table ('embeddings'); called on [batch, length, features] it gives the first `length`
 *   rows (from `startIndex`) broadcast to the input's shape. Longer inputs use keras-hub's
 *   hierarchical extension (hierarchicalAlpha).
 * - SinePositionEncoding({ maxWavelength }): the fixed sines and cosines of "Attention Is
 *   All You Need" (even features sin, odd cos), shaped like the input.
 * - TokenAndPositionEmbedding({ vocabularySize, sequenceLength, embeddingDim, maskZero }):
 *   token ids → token embedding + position embedding, passing on the token mask.
 */
import * as ops from '../ops/index';
import { fmt } from '../ops/util';
import { Tensor, type Variable } from '../tensor';
import { Embedding } from './embedding';
import { initializerName, type Initializer } from './initializers';
import { ApplyArgs, CallContext, CallKwargs, Layer, LayerArgs, Mask, SymbolicShape } from './layer';


function startIndexOf(who: string, v: unknown): number {
  const s = v ?? 0;
  if (!Number.isInteger(s) || (s as number) < 0) throw new Error(`${who}: startIndex must be a non-negative integer, got ${JSON.stringify(v)}`);
  return s as number;
}


/** apply()'s keyword arguments for these layers: startIndex (and training/mask); others throw. */
function checkStartIndexArgs(who: string, kwargs: ApplyArgs): void {
  for (const k of Object.keys(kwargs)) {
    if (k !== 'startIndex' && k !== 'training' && k !== 'mask') throw new Error(`${who}: unknown call argument '${k}' (expected startIndex)`);
  }
}
/** A [length, features] table broadcast over the input's leading axes. */
function broadcastRows(table: Tensor, like: readonly number[]): Tensor {
  const lead = like.slice(0, -2);
  if (!lead.length) return table;
  const r = ops.reshape(table, [...lead.map(() => 1), ...table.shape]);
  return ops.tile(r, [...lead, 1, 1]);
}

export interface PositionEmbeddingArgs extends LayerArgs {
  /** The longest sequence the table covers. */
  sequenceLength: number;
  /** Default glorotUniform. */
  initializer?: string | Initializer;
  /** keras-hub's extension past sequenceLength: e = α·E[i ÷ L] + (1 − α)·E[i mod L] on E' = (E − α·E[0])/(1 − α) (default 0.4). */
  hierarchicalAlpha?: number;
}

export class PositionEmbedding extends Layer {
  static override readonly className = 'PositionEmbedding';

  protected override normalizeCallArgs<T>(inputs: T, kwargs: ApplyArgs): [T, ApplyArgs] {
    checkStartIndexArgs(`${this.name} (PositionEmbedding)`, kwargs);
    return [inputs, kwargs];
  }
  readonly sequenceLength: number;
  readonly hierarchicalAlpha: number;
  private init: string | Initializer;
  embeddings: Variable | null = null;

  constructor(args: PositionEmbeddingArgs) {
    super(args, 'position_embedding');
    if (!Number.isInteger(args?.sequenceLength) || args.sequenceLength < 1) {
      throw new Error(`${this.who}: sequenceLength must be a positive integer, got ${args?.sequenceLength}`);
    }
    this.sequenceLength = args.sequenceLength;
    this.init = args.initializer ?? 'glorotUniform';
    this.hierarchicalAlpha = args.hierarchicalAlpha ?? 0.4;
    if (!(this.hierarchicalAlpha >= 0 && this.hierarchicalAlpha < 1)) throw new Error(`${this.who}: hierarchicalAlpha must be in [0, 1), got ${args.hierarchicalAlpha}`);
  }

  private get who(): string {
    return `${this.name} (PositionEmbedding)`;
  }

  override build(inputShape: SymbolicShape): void {
    const f = inputShape[inputShape.length - 1];
    if (inputShape.length < 2 || f === null) throw new Error(`${this.who}: needs inputs [..., length, features] with known features, got [${inputShape.map((d) => d ?? 'null').join(', ')}]`);
    this.embeddings = this.addWeight('embeddings', [this.sequenceLength, f], 'float32', this.init, null, true);
    this.built = true;
  }

  /** The [length, features] rows for positions startIndex … startIndex + length − 1. */
  positions(length: number, startIndex = 0): Tensor {
    const e = this.embeddings!;
    const L = this.sequenceLength;
    if (startIndex + length <= L) return startIndex === 0 && length === L ? e : ops.slice(e, [startIndex, 0], [length, e.shape[1]]);
    if (startIndex !== 0) throw new Error(`${this.who}: positions ${startIndex} … ${startIndex + length - 1} go past sequenceLength ${L}`);
    // keras-hub's hierarchical extension (which gives E itself for length ≤ L).
    const a = this.hierarchicalAlpha;
    const first = ops.slice(e, [0, 0], [1, e.shape[1]]);
    const table = ops.div(ops.sub(e, ops.mul(first, a)), 1 - a);
    const ids = Array.from({ length }, (_, i) => i);
    const x = ops.gather(table, ids.map((i) => Math.floor(i / L)));
    const y = ops.gather(table, ids.map((i) => i % L));
    return ops.add(ops.mul(x, a), ops.mul(y, 1 - a));
  }

  call(x: Tensor, kwargs: CallContext): Tensor {
    const who = this.who;
    const f = this.embeddings!.shape[1];
    if (x.rank < 2 || x.shape[x.rank - 1] !== f) throw new Error(`${who}: expected input [..., length, ${f}], got ${fmt(x.shape)}`);
    const start = startIndexOf(who, (kwargs as unknown as CallKwargs).startIndex);
    return broadcastRows(this.positions(x.shape[x.rank - 2], start), x.shape);
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }

  override getConfig() {
    return { ...super.getConfig(), sequenceLength: this.sequenceLength, initializer: initializerName(this.init), hierarchicalAlpha: this.hierarchicalAlpha };
  }
}

export interface SinePositionEncodingArgs extends LayerArgs {
  /** Default 10000. */
  maxWavelength?: number;
}

/** The [length, features] sine/cosine table from `start` (float64, stored as float32). */
export function sinePositionTable(length: number, features: number, maxWavelength = 10000, start = 0): Float32Array {
  const out = new Float32Array(length * features);
  for (let p = 0; p < length; p++) {
    for (let i = 0; i < features; i++) {
      const timescale = Math.pow(1 / maxWavelength, (2 * Math.floor(i / 2)) / features);
      const angle = (p + start) * timescale;
      out[p * features + i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return out;
}

export class SinePositionEncoding extends Layer {
  static override readonly className = 'SinePositionEncoding';

  protected override normalizeCallArgs<T>(inputs: T, kwargs: ApplyArgs): [T, ApplyArgs] {
    checkStartIndexArgs(`${this.name} (SinePositionEncoding)`, kwargs);
    return [inputs, kwargs];
  }
  readonly maxWavelength: number;

  constructor(args: SinePositionEncodingArgs = {}) {
    super(args, 'sine_position_encoding');
    this.maxWavelength = args.maxWavelength ?? 10000;
    if (!(this.maxWavelength > 0)) throw new Error(`${this.name} (SinePositionEncoding): maxWavelength must be positive, got ${args.maxWavelength}`);
  }

  call(x: Tensor, kwargs: CallContext): Tensor {
    if (x.rank < 2) throw new Error(`${this.name} (SinePositionEncoding): expected input [..., length, features], got ${fmt(x.shape)}`);
    const start = startIndexOf(`${this.name} (SinePositionEncoding)`, (kwargs as unknown as CallKwargs).startIndex);
    const [len, f] = x.shape.slice(-2);
    return broadcastRows(ops.tensor(sinePositionTable(len, f, this.maxWavelength, start), [len, f]), x.shape);
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }

  override getConfig() {
    return { ...super.getConfig(), maxWavelength: this.maxWavelength };
  }
}

export interface TokenAndPositionEmbeddingArgs extends LayerArgs {
  vocabularySize: number;
  sequenceLength: number;
  embeddingDim: number;
  /** keras-hub's ReversibleEmbedding option; only the tied form (true, the default) is supported. */
  tieWeights?: boolean;
  /** For both tables (default randomUniform, Keras' 'uniform': U(−0.05, 0.05)). */
  embeddingsInitializer?: string | Initializer;
  /** Token id 0 is padding: the output carries a mask. */
  maskZero?: boolean;
}

export class TokenAndPositionEmbedding extends Layer {
  static override readonly className = 'TokenAndPositionEmbedding';

  protected override normalizeCallArgs<T>(inputs: T, kwargs: ApplyArgs): [T, ApplyArgs] {
    checkStartIndexArgs(`${this.name} (TokenAndPositionEmbedding)`, kwargs);
    return [inputs, kwargs];
  }
  readonly vocabularySize: number;
  readonly sequenceLength: number;
  readonly embeddingDim: number;
  readonly maskZero: boolean;
  readonly tieWeights = true;
  private embeddingsInit: string | Initializer;
  readonly tokenEmbedding: Embedding;
  readonly positionEmbedding: PositionEmbedding;

  constructor(args: TokenAndPositionEmbeddingArgs) {
    super(args, 'token_and_position_embedding');
    const who = `${this.name} (TokenAndPositionEmbedding)`;
    for (const k of ['vocabularySize', 'sequenceLength', 'embeddingDim'] as const) {
      if (!Number.isInteger(args?.[k]) || args[k] < 1) throw new Error(`${who}: ${k} must be a positive integer, got ${args?.[k]}`);
    }
    if (args.tieWeights === false) throw new Error(`${who}: tieWeights: false (an untied reverse projection) is not supported`);
    this.vocabularySize = args.vocabularySize;
    this.sequenceLength = args.sequenceLength;
    this.embeddingDim = args.embeddingDim;
    this.maskZero = args.maskZero ?? false;
    this.embeddingsInit = args.embeddingsInitializer ?? 'randomUniform';
    this.tokenEmbedding = new Embedding({ inputDim: this.vocabularySize, outputDim: this.embeddingDim, embeddingsInitializer: this.embeddingsInit, maskZero: this.maskZero, name: 'token_embedding' });
    this.positionEmbedding = new PositionEmbedding({ sequenceLength: this.sequenceLength, initializer: this.embeddingsInit, name: 'position_embedding' });
    this.supportsMasking = this.maskZero;
    this.dtype = args.dtype ?? 'int32';
  }

  override build(inputShape: SymbolicShape): void {
    this.tokenEmbedding.build(inputShape);
    this.tokenEmbedding.built = true;
    this.positionEmbedding.build([...inputShape, this.embeddingDim]);
    this.positionEmbedding.built = true;
    this.adoptWeights([this.tokenEmbedding, this.positionEmbedding]);
    this.built = true;
  }

  call(x: Tensor, kwargs: CallContext): Tensor {
    const tokens = this.tokenEmbedding.call(x, kwargs);
    const start = startIndexOf(`${this.name} (TokenAndPositionEmbedding)`, (kwargs as unknown as CallKwargs).startIndex);
    // The [length, dim] rows broadcast over the batch in the addition.
    return ops.add(tokens, this.positionEmbedding.positions(x.shape[x.rank - 1], start));
  }

  override computeMask(inputs: Tensor | Tensor[], mask: Mask): Mask {
    return this.tokenEmbedding.computeMask(inputs as Tensor, mask as Tensor | null);
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return [...inputShape, this.embeddingDim];
  }

  override getConfig() {
    return {
      ...super.getConfig(),
      vocabularySize: this.vocabularySize,
      sequenceLength: this.sequenceLength,
      embeddingDim: this.embeddingDim,
      tieWeights: this.tieWeights,
      embeddingsInitializer: initializerName(this.embeddingsInit),
      maskZero: this.maskZero,
    };
  }
}
