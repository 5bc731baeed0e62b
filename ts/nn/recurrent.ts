/**
 * PyTorch-style modules over ferrite's Keras layers (same kernels, Keras weight layouts and
 * initializers): fe.nn.embedding, gru, lstm, rnn. They build their weights when made, so
 * model.parameters() is complete before the first forward pass (make them after fe.ready()).
 * The layer's weights are registered on the module under their Keras names (embedding:
 * PyTorch's 'weight', the same [numEmbeddings, embeddingDim] table; recurrent: 'kernel',
 * 'recurrent_kernel', 'bias').
 */
import { Embedding as EmbeddingLayer } from '../layers/embedding';
import { GRU as GRULayer, LSTM as LSTMLayer, RNN as RNNLayer, SimpleRNN } from '../layers/recurrent';
import type { RnnActivation } from '../backend/rnn-types';
import * as ops from '../ops/index';
import { fmt } from '../ops/util';
import type { Tensor, Variable } from '../tensor';
import { Module } from './module';

/** nn.Embedding(numEmbeddings, embeddingDim): ids (int32, any shape) → [..., embeddingDim]. */
export class Embedding extends Module {
  static readonly moduleName = 'Embedding';
  readonly #layer: EmbeddingLayer;
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number) {
    super();
    this.#layer = new EmbeddingLayer({ inputDim: numEmbeddings, outputDim: embeddingDim });
    this.#layer.build([null]);
    this.registerParameter('weight', this.#layer.embeddings);
  }
  /** The Keras layer that runs it. */
  get layer(): EmbeddingLayer {
    return this.#layer;
  }
  get weight(): Variable {
    return this.#layer.embeddings!;
  }
  forward(ids: Tensor): Tensor {
    return this.#layer.apply(ids, { training: this.training });
  }
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}`;
  }
}

export interface RecurrentOptions {
  /** x is [batch, steps, features] (default false: [steps, batch, features], as PyTorch). */
  batchFirst?: boolean;
  /** Default true. */
  bias?: boolean;
  /** Dropout on the inputs while training (one mask per sequence). */
  dropout?: number;
  /** Dropout on the recurrent state while training. */
  recurrentDropout?: number;
  /** Default 'tanh' (SimpleRNN: PyTorch's nonlinearity). */
  activation?: RnnActivation;
}

export interface RecurrentForwardOptions {
  /** 0 at padded steps, shaped like x's first two axes: a padded step keeps the state. */
  mask?: Tensor | null;
}

/** The shared part of GRU, LSTM and RNN modules. */
abstract class Recurrent extends Module {
  abstract readonly layer: RNNLayer;
  readonly batchFirst: boolean;
  constructor(readonly inputSize: number, readonly hiddenSize: number, protected opts: RecurrentOptions) {
    super();
    this.batchFirst = opts.batchFirst ?? false;
  }

  /** Registers the layer's weights under their Keras names (kernel, recurrent_kernel, bias). */
  protected registerLayer(layer: RNNLayer): void {
    layer.build([null, null, this.inputSize]);
    this.registerParameter('kernel', layer.kernel);
    this.registerParameter('recurrent_kernel', layer.recurrentKernel);
    this.registerParameter('bias', layer.bias);
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.batchFirst ? ', batchFirst=true' : ''}`;
  }

  protected layerArgs() {
    return {
      units: this.hiddenSize,
      useBias: this.opts.bias ?? true,
      dropout: this.opts.dropout,
      recurrentDropout: this.opts.recurrentDropout,
      activation: this.opts.activation,
      returnSequences: true,
    };
  }

  /** A state [1, batch, hidden] (PyTorch's h_n) or [batch, hidden] as the kernel wants it. */
  protected state(s: Tensor, what: string, batch: number): Tensor {
    const want = [batch, this.hiddenSize];
    if (s.rank === 3 && s.shape[0] === 1 && s.shape[1] === batch && s.shape[2] === this.hiddenSize) return ops.reshape(s, want);
    if (s.rank === 2 && s.shape[0] === batch && s.shape[1] === this.hiddenSize) return s;
    throw new Error(`${this.layer.name}: expected ${what} of shape ${fmt([1, ...want])}, got ${fmt(s.shape)}`);
  }

  /** Runs the layer; the final states come back [1, batch, hidden]. */
  protected run(x: Tensor, init: Tensor[] | null, o: RecurrentForwardOptions): [Tensor, Tensor[]] {
    if (x.rank !== 3) {
      throw new Error(`${this.layer.name}: expected input of rank 3 ${this.batchFirst ? '[batch, steps, features]' : '[steps, batch, features]'}, got ${fmt(x.shape)}`);
    }
    const batch = this.batchFirst ? x.shape[0] : x.shape[1];
    let mask = o.mask ?? null;
    if (mask && !this.batchFirst) mask = ops.transpose(mask, [1, 0]);
    const l = this.layer;
    const states = init ? init.map((s, i) => this.state(s, `initial state ${i}`, batch)) : undefined;
    const r = ops.rnn(
      x,
      {
        cell: l.cell, units: l.units, resetAfter: l instanceof GRULayer ? true : undefined,
        activation: l.activation, recurrentActivation: l.recurrentActivation,
        returnSequences: true, timeMajor: !this.batchFirst, returnState: true, name: l.name,
      },
      { kernel: l.kernel!, recurrentKernel: l.recurrentKernel!, bias: l.bias },
      { initialState: states, mask, recurrentMask: this.recurrentMask(batch) },
    );
    return [r.output, r.states.map((s) => ops.reshape(s, [1, batch, this.hiddenSize]))];
  }

  private recurrentMask(batch: number): Tensor | null {
    const rate = this.opts.recurrentDropout ?? 0;
    if (!this.training || rate <= 0) return null;
    const m = ops.dropout(ops.ones([batch, this.hiddenSize]), rate);
    return m;
  }
}

/**
 * nn.GRU(inputSize, hiddenSize): forward(x, h0?) → [output, h_n], output [steps, batch, hidden]
 * (batchFirst: [batch, steps, hidden]), h_n [1, batch, hidden]. Keras gates and weights
 * (resetAfter, which computes what PyTorch's GRU computes).
 */
export class GRU extends Recurrent {
  static readonly moduleName = 'GRU';
  readonly #layer: GRULayer;
  constructor(inputSize: number, hiddenSize: number, opts: RecurrentOptions = {}) {
    super(inputSize, hiddenSize, opts);
    this.#layer = new GRULayer({ ...this.layerArgs(), resetAfter: true });
    this.registerLayer(this.#layer);
  }
  /** The Keras layer whose kernel runs it. */
  get layer(): GRULayer {
    return this.#layer;
  }
  forward(x: Tensor, h0?: Tensor | null, o: RecurrentForwardOptions = {}): [Tensor, Tensor] {
    const [y, [h]] = this.run(dropInputs(this, x), h0 ? [h0] : null, o);
    return [y, h];
  }
}

/** nn.LSTM(inputSize, hiddenSize): forward(x, [h0, c0]?) → [output, [h_n, c_n]] (Keras gates i, f, c, o). */
export class LSTM extends Recurrent {
  static readonly moduleName = 'LSTM';
  readonly #layer: LSTMLayer;
  constructor(inputSize: number, hiddenSize: number, opts: RecurrentOptions = {}) {
    super(inputSize, hiddenSize, opts);
    this.#layer = new LSTMLayer(this.layerArgs());
    this.registerLayer(this.#layer);
  }
  /** The Keras layer whose kernel runs it. */
  get layer(): LSTMLayer {
    return this.#layer;
  }
  forward(x: Tensor, state?: [Tensor, Tensor] | null, o: RecurrentForwardOptions = {}): [Tensor, [Tensor, Tensor]] {
    const [y, [h, c]] = this.run(dropInputs(this, x), state ?? null, o);
    return [y, [h, c]];
  }
}

/** nn.RNN(inputSize, hiddenSize): forward(x, h0?) → [output, h_n] (Elman RNN, tanh). */
export class RNN extends Recurrent {
  static readonly moduleName = 'RNN';
  readonly #layer: SimpleRNN;
  constructor(inputSize: number, hiddenSize: number, opts: RecurrentOptions = {}) {
    super(inputSize, hiddenSize, opts);
    this.#layer = new SimpleRNN(this.layerArgs());
    this.registerLayer(this.#layer);
  }
  /** The Keras layer whose kernel runs it. */
  get layer(): SimpleRNN {
    return this.#layer;
  }
  forward(x: Tensor, h0?: Tensor | null, o: RecurrentForwardOptions = {}): [Tensor, Tensor] {
    const [y, [h]] = this.run(dropInputs(this, x), h0 ? [h0] : null, o);
    return [y, h];
  }
}

/** Input dropout while training, one mask per sequence (as the Keras layers). */
function dropInputs(m: Recurrent, x: Tensor): Tensor {
  const rate = m.layer.dropout;
  if (!m.training || rate <= 0 || x.rank !== 3) return x;
  const noise = m.batchFirst ? [x.shape[0], 1, x.shape[2]] : [1, x.shape[1], x.shape[2]];
  return ops.dropout(x, rate, noise);
}

export const embedding = (numEmbeddings: number, embeddingDim: number) => new Embedding(numEmbeddings, embeddingDim);
export const gru = (inputSize: number, hiddenSize: number, opts?: RecurrentOptions) => new GRU(inputSize, hiddenSize, opts);
export const lstm = (inputSize: number, hiddenSize: number, opts?: RecurrentOptions) => new LSTM(inputSize, hiddenSize, opts);
export const rnn = (inputSize: number, hiddenSize: number, opts?: RecurrentOptions) => new RNN(inputSize, hiddenSize, opts);
