/**
 * ConvLSTM2DCell (tf.layers.convLstm2dCell): one step of ConvLSTM2D. call([x, h, c]) with x
 * [batch, height, width, channels] and the states [batch, outHeight, outWidth, filters] gives
 * [h', h', c']: gates i, f, c, o from conv(x, kernel) (strides, padding, dilation) +
 * conv(h, recurrentKernel) (stride 1, 'same') + bias; c' = f·c + i·act(ĉ), h' = o·act(c').
 * Weights as ConvLSTM2D's: kernel [kh, kw, channels, 4·filters], recurrent_kernel [kh, kw,
 * filters, 4·filters], bias [4·filters].
 *
 * Dropout masks (one per gate, as Keras) are drawn at the first training call and kept until
 * resetDropoutMask() / resetRecurrentDropoutMask(), or the next sequence of fe.layers.rnn,
 * which runs this cell over [batch, time, height, width, channels].
 */
import * as ops from '../ops/index';
import { composite } from '../ops/composite';
import { keep } from '../runtime';
import type { Tensor, Variable } from '../tensor';
import { convOutputLength, shapeText } from './conv-common';
import { addConvLstmWeights, convLstmConfig, convLstmSettings, gateOf, lstmUpdate, type ConvLSTMSettings, type ConvLSTMStepArgs } from './conv-lstm-settings';
import { CallKwargs, SymbolicShape } from './layer';
import { RNNCell } from './recurrent-cells';

export type ConvLSTM2DCellArgs = ConvLSTMStepArgs;

/** The checked options (conv-lstm-settings.ts) are fields of the cell. */
export interface ConvLSTM2DCell extends ConvLSTMSettings {}

export class ConvLSTM2DCell extends RNNCell {
  static override readonly className = 'ConvLSTM2DCell';
  kernel: Variable | null = null;
  recurrentKernel: Variable | null = null;
  bias: Variable | null = null;
  private dropoutMasks: Tensor[] | null = null;
  private recurrentDropoutMasks: Tensor[] | null = null;

  constructor(args: ConvLSTM2DCellArgs) {
    super(args, 'conv_lstm2d_cell');
    const who = this.who;
    const extra = ['returnSequences', 'returnState', 'goBackwards', 'stateful', 'unroll'].filter((k) => (args as unknown as Record<string, unknown>)?.[k] !== undefined);
    if (extra.length) throw new Error(`${who}: ${extra.join(', ')} belong to the layer that runs the cell (fe.layers.rnn or convLstm2d), not to the cell`);
    Object.assign(this, convLstmSettings(who, args));
  }

  private get who(): string {
    return `${this.name} (${this.className})`;
  }

  get stateSize(): number[] {
    return [this.filters, this.filters];
  }

  /** The states' shape for a step input [batch, height, width, channels]. */
  override stateShape(step: SymbolicShape): SymbolicShape {
    if (step.length !== 4) throw new Error(`${this.who}: expected a step input of rank 4 [batch, height, width, channels], got ${shapeText(step)}`);
    return [
      step[0],
      convOutputLength(this.who, step[1], this.kernelSize[0], this.padding, this.strides[0], this.dilationRate[0]),
      convOutputLength(this.who, step[2], this.kernelSize[1], this.padding, this.strides[1], this.dilationRate[1]),
      this.filters,
    ];
  }

  override build(shape: SymbolicShape | SymbolicShape[]): void {
    const s = (Array.isArray(shape[0]) ? shape[0] : shape) as SymbolicShape;
    if (s.length !== 4) throw new Error(`${this.who}: expected input of rank 4 [batch, height, width, channels], got ${shapeText(s)}`);
    const c = s[3];
    if (c === null) throw new Error(`${this.who}: the channels of the input must be known, got ${shapeText(s)}`);
    Object.assign(this, addConvLstmWeights(this, this, c));
    this.built = true;
  }

  /** Forgets the input dropout masks: the next training call draws new ones (TensorFlow.js). */
  resetDropoutMask(): void {
    this.dropoutMasks?.forEach((m) => m.dispose());
    this.dropoutMasks = null;
  }

  /** Forgets the recurrent dropout masks. */
  resetRecurrentDropoutMask(): void {
    this.recurrentDropoutMasks?.forEach((m) => m.dispose());
    this.recurrentDropoutMasks = null;
  }

  override startSequence(): void {
    this.resetDropoutMask();
    this.resetRecurrentDropoutMask();
  }

  private masks(rate: number, like: Tensor): Tensor[] {
    return [0, 1, 2, 3].map(() => keep(ops.dropout(ops.onesLike(like), rate)));
  }

  call(inputs: Tensor | Tensor[], kwargs: CallKwargs): Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (list.length !== 3) throw new Error(`${this.who}: expected [input, h, c] (3 tensors), got ${list.length}`);
    const [x, h, c] = list;
    const k = this.kernel!;
    if (x.rank !== 4 || x.shape[3] !== k.shape[2]) {
      throw new Error(`${this.who}: expected input of rank 4 [batch, height, width, ${k.shape[2]}], got [${x.shape.join(', ')}]`);
    }
    const want = this.stateShape(x.shape) as number[];
    for (const [i, s] of [h, c].entries()) {
      if (s.rank !== 4 || s.shape.some((d, j) => d !== want[j])) {
        throw new Error(`${this.who}: state ${i === 0 ? 'h' : 'c'} must have shape [${want.join(', ')}], got [${s.shape.join(', ')}]`);
      }
    }
    const training = kwargs.training ?? false;
    const f = this.filters;
    const kernelGate = (kt: Tensor, g: number) => gateOf(kt, g, f);
    return composite(() => {
      const conv = { strides: this.strides, pad: this.padding, dilations: this.dilationRate };
      let xz: Tensor, hz: Tensor;
      if (training && this.dropout > 0) {
        this.dropoutMasks ??= this.masks(this.dropout, x);
        // One mask per gate (Keras): each gate's convolution sees its own dropped input.
        xz = ops.concat([0, 1, 2, 3].map((g) => ops.conv2dFused(ops.mul(x, this.dropoutMasks![g]), kernelGate(k, g),
          { ...conv, bias: this.bias ? ops.slice(this.bias, [g * f], [f]) : null }, this.who)), 3);
      } else {
        xz = ops.conv2dFused(x, k, { ...conv, bias: this.bias }, this.who);
      }
      if (training && this.recurrentDropout > 0) {
        this.recurrentDropoutMasks ??= this.masks(this.recurrentDropout, h);
        hz = ops.concat([0, 1, 2, 3].map((g) => ops.conv2d(ops.mul(h, this.recurrentDropoutMasks![g]), kernelGate(this.recurrentKernel!, g), 1, 'same')), 3);
      } else {
        hz = ops.conv2d(h, this.recurrentKernel!, 1, 'same');
      }
      const next = lstmUpdate(this, ops.add(xz, hz), c);
      return [next.h, ops.clone(next.h), next.c];
    });
  }

  override computeOutputShape(shape: SymbolicShape | SymbolicShape[]): SymbolicShape[] {
    const s = (Array.isArray(shape[0]) ? shape[0] : shape) as SymbolicShape;
    const st = this.stateShape(s);
    return [st, st, st];
  }

  override getConfig() {
    return { ...super.getConfig(), ...convLstmConfig(this) };
  }

  override dispose(): void {
    this.resetDropoutMask();
    this.resetRecurrentDropoutMask();
    super.dispose();
  }
}

export const convLstm2dCell = (args: ConvLSTM2DCellArgs) => new ConvLSTM2DCell(args);
