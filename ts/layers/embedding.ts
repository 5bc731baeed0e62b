/** Embedding: token ids → rows of an [inputDim, outputDim] table (Keras `embeddings`). */
import * as ops from '../ops/index';
import type { Tensor, Variable } from '../tensor';
import type { Initializer } from './initializers';
import { Constraint, getConstraint, serializeConstraint } from '../constraints';
import { getRegularizer, Regularizer, serializeRegularizer } from '../regularizers';
import { CallContext, Layer, LayerArgs, SymbolicShape } from './layer';

export interface EmbeddingArgs extends LayerArgs {
  inputDim: number;
  outputDim: number;
  /** Keras default: RandomUniform(−0.05, 0.05). */
  embeddingsInitializer?: string | Initializer;
  /** Treat id 0 as padding: downstream mask-aware layers ignore those steps. */
  maskZero?: boolean;
  /** Length of input sequences, when constant. */
  inputLength?: number;
  embeddingsRegularizer?: Regularizer | string | null;
  embeddingsConstraint?: Constraint | string | null;
}

export class Embedding extends Layer {
  static override readonly className = 'Embedding';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  readonly inputLength: number | null;
  private init: string | Initializer;
  embeddings: Variable | null = null;
  readonly embeddingsRegularizer: Regularizer | null;
  readonly embeddingsConstraint: Constraint | null;

  constructor(args: EmbeddingArgs) {
    // inputDim means the vocabulary size here, not a shape: don't let LayerArgs read it.
    super({ ...args, inputDim: undefined }, 'embedding');
    for (const key of ['inputDim', 'outputDim'] as const) {
      if (!Number.isInteger(args?.[key]) || args[key] < 1) {
        throw new Error(`${this.name} (Embedding): ${key} must be a positive integer, got ${args?.[key]}`);
      }
    }
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    this.maskZero = args.maskZero ?? false;
    this.inputLength = args.inputLength ?? null;
    this.init = args.embeddingsInitializer ?? 'randomUniform';
    this.embeddingsRegularizer = getRegularizer(args.embeddingsRegularizer, `${this.name} (Embedding): embeddingsRegularizer`);
    this.embeddingsConstraint = getConstraint(args.embeddingsConstraint, `${this.name} (Embedding): embeddingsConstraint`);
    this.dtype = args.dtype ?? 'int32';
    if (!this.batchInputShape && this.inputLength !== null) this.batchInputShape = [null, this.inputLength];
  }

  override build(_inputShape: SymbolicShape): void {
    this.embeddings = this.addWeight('embeddings', [this.inputDim, this.outputDim], 'float32', this.init, this.embeddingsRegularizer, true, this.embeddingsConstraint);
    this.built = true;
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    // Float ids (what tf.tensor2d makes by default) are cast; the cast lives as long as the
    // lookup's gradient needs it (the enclosing tidy frees it), else it goes at once.
    const ids = x.dtype === 'int32' ? x : ops.cast(x, 'int32');
    let out: Tensor | undefined;
    try {
      out = ops.gather(this.embeddings!, ids, 0);
      return out;
    } catch (e) {
      const m = /index (-?\d+)/.exec(String((e as Error).message));
      throw new Error(
        `${this.name} (Embedding): token id ${m ? m[1] : '?'} is outside [0, ${this.inputDim}) — inputDim is ${this.inputDim}`,
      );
    } finally {
      if (ids !== x && !out?.gradFn) ids.dispose();
    }
  }

  /** 1 where the id is not 0, as float32 [batch, steps]. */
  override computeMask(x: Tensor, _mask: Tensor | null): Tensor | null {
    if (!this.maskZero) return null;
    return ops.notEqual(x, 0);
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return [...inputShape, this.outputDim];
  }

  override getConfig() {
    return {
      ...super.getConfig(),
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      maskZero: this.maskZero,
      inputLength: this.inputLength,
      embeddingsInitializer: typeof this.init === 'string' ? this.init : this.init.className,
      embeddingsRegularizer: serializeRegularizer(this.embeddingsRegularizer),
      activityRegularizer: serializeRegularizer(this.activityRegularizer),
      embeddingsConstraint: serializeConstraint(this.embeddingsConstraint),
    };
  }
}
