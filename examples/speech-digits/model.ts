/**
 * The recognizer, PyTorch style over ferrite's Keras layers: Conv1D (local spectral-temporal
 * patterns) → two bidirectional LSTMs → a Dense per frame giving logits over blank + 10 digits.
 */
import * as fe from 'ferrite-ml';

export interface ModelOptions {
  inputDim: number;
  classes: number;
  convFilters: number;
  hidden: number;
  /** Dropout on each LSTM's inputs while training. */
  dropout: number;
}

export class DigitRecognizer extends fe.nn.Module {
  conv: fe.layers.Conv1D;
  rnn1: fe.layers.Bidirectional;
  rnn2: fe.layers.Bidirectional;
  out: fe.layers.Dense;

  constructor(readonly o: ModelOptions) {
    super();
    this.conv = fe.layers.conv1d({ filters: o.convFilters, kernelSize: 3, padding: 'same', activation: 'relu' });
    this.conv.build([null, null, o.inputDim]);
    const lstm = () => fe.layers.lstm({ units: o.hidden, returnSequences: true, dropout: o.dropout });
    this.rnn1 = fe.layers.bidirectional({ layer: lstm() });
    this.rnn1.build([null, null, o.convFilters]);
    this.rnn2 = fe.layers.bidirectional({ layer: lstm() });
    this.rnn2.build([null, null, 2 * o.hidden]);
    this.out = fe.layers.dense({ units: o.classes });
    this.out.build([null, null, 2 * o.hidden]);
  }

  /** x [batch, steps, inputDim], mask [batch, steps] (1 at real frames) → logits [batch, steps, classes]. */
  forward(x: fe.Tensor, mask: fe.Tensor | null = null): fe.Tensor {
    const ctx = { training: this.training, mask };
    let h = this.conv.apply(x, { training: this.training });
    h = this.rnn1.apply(h, ctx);
    h = this.rnn2.apply(h, ctx);
    return this.out.apply(h, { training: this.training });
  }
}
