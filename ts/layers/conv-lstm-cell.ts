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
import { Constraint, getConstraint, serializeConstraint } from '../constraints';
import { getRegularizer, Regularizer, serializeRegularizer } from '../regularizers';
import { ActivationIdentifier, getActivation } from './activations';
import { checkChannelsLast, convOutputLength, shapeText, tupleArg } from './conv-common';
import { filtersArg } from './conv3d';
import { getInitializer, Initializer } from './initializers';
import { CallKwargs, SymbolicShape } from './layer';
import { UnitForgetBias } from './recurrent';
import { RNNCell } from './recurrent-cells';
import type { ConvLSTM2DArgs } from './conv-lstm';

export type ConvLSTM2DCellArgs = Omit<ConvLSTM2DArgs, 'returnSequences' | 'returnState' | 'goBackwards' | 'stateful' | 'unroll' | 'implementation'>;

function rateArg(who: string, key: string, v: number | undefined): number {
  const r = v ?? 0;
  if (!(r >= 0 && r < 1)) throw new Error(`${who}: ${key} must be in [0, 1), got ${v}`);
  return r;
}

export class ConvLSTM2DCell extends RNNCell {
  static override readonly className = 'ConvLSTM2DCell';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  readonly dataFormat = 'channelsLast' as const;
  readonly dilationRate: [number, number];
  readonly activation: ActivationIdentifier;
  readonly recurrentActivation: ActivationIdentifier;
  readonly useBias: boolean;
  readonly unitForgetBias: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;
  private kernelInit: string | Initializer;
  private recurrentInit: string | Initializer;
  private biasInit: string | Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly recurrentRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  readonly kernelConstraint: Constraint | null;
  readonly recurrentConstraint: Constraint | null;
  readonly biasConstraint: Constraint | null;
  private act: (x: Tensor) => Tensor;
  private recurrentAct: (x: Tensor) => Tensor;
  kernel: Variable | null = null;
  recurrentKernel: Variable | null = null;
  bias: Variable | null = null;
  private dropoutMasks: Tensor[] | null = null;
  private recurrentDropoutMasks: Tensor[] | null = null;

  constructor(args: ConvLSTM2DCellArgs) {
    super(args, 'conv_lstm2d_cell');
    const who = this.who;
    const extra = ['returnSequences', 'returnState', 'goBackwards', 'stateful', 'unroll'].filter((k) => (args as Record<string, unknown>)?.[k] !== undefined);
    if (extra.length) throw new Error(`${who}: ${extra.join(', ')} belong to the layer that runs the cell (fe.layers.rnn or convLstm2d), not to the cell`);
    this.filters = filtersArg(who, args?.filters);
    if (args.kernelSize === undefined) throw new Error(`${who}: kernelSize is required`);
    this.kernelSize = tupleArg(who, 'kernelSize', args.kernelSize, 2, 1) as [number, number];
    this.strides = tupleArg(who, 'strides', args.strides, 2, 1) as [number, number];
    this.dilationRate = tupleArg(who, 'dilationRate', args.dilationRate, 2, 1) as [number, number];
    this.padding = args.padding ?? 'valid';
    if (this.padding !== 'valid' && this.padding !== 'same') throw new Error(`${who}: padding must be 'valid' or 'same', got '${String(args.padding)}'`);
    checkChannelsLast(who, args.dataFormat);
    this.activation = args.activation ?? 'tanh';
    this.recurrentActivation = args.recurrentActivation ?? 'sigmoid';
    this.act = getActivation(this.activation, who);
    this.recurrentAct = getActivation(this.recurrentActivation, who);
    this.useBias = args.useBias ?? true;
    this.unitForgetBias = args.unitForgetBias ?? true;
    this.kernelInit = args.kernelInitializer ?? 'glorotUniform';
    this.recurrentInit = args.recurrentInitializer ?? 'orthogonal';
    this.biasInit = args.biasInitializer ?? 'zeros';
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer, `${who}: kernelRegularizer`);
    this.recurrentRegularizer = getRegularizer(args.recurrentRegularizer, `${who}: recurrentRegularizer`);
    this.biasRegularizer = getRegularizer(args.biasRegularizer, `${who}: biasRegularizer`);
    this.kernelConstraint = getConstraint(args.kernelConstraint, `${who}: kernelConstraint`);
    this.recurrentConstraint = getConstraint(args.recurrentConstraint, `${who}: recurrentConstraint`);
    this.biasConstraint = getConstraint(args.biasConstraint, `${who}: biasConstraint`);
    this.dropout = rateArg(who, 'dropout', args.dropout);
    this.recurrentDropout = rateArg(who, 'recurrentDropout', args.recurrentDropout);
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
    const f4 = 4 * this.filters;
    this.kernel = this.addWeight('kernel', [...this.kernelSize, c, f4], 'float32', this.kernelInit, this.kernelRegularizer, true, this.kernelConstraint);
    this.recurrentKernel = this.addWeight('recurrent_kernel', [...this.kernelSize, this.filters, f4], 'float32', this.recurrentInit,
      this.recurrentRegularizer, true, this.recurrentConstraint);
    if (this.useBias) {
      const init = this.unitForgetBias ? new UnitForgetBias(getInitializer(this.biasInit, this.name), this.filters) : this.biasInit;
      this.bias = this.addWeight('bias', [f4], 'float32', init, this.biasRegularizer, true, this.biasConstraint);
    }
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
    const kernelGate = (kt: Tensor, g: number) => ops.slice(kt, [0, 0, 0, g * f], [kt.shape[0], kt.shape[1], kt.shape[2], f]);
    const gateOf = (z: Tensor, g: number) => ops.slice(z, [0, 0, 0, g * f], [z.shape[0], z.shape[1], z.shape[2], f]);
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
      const z = ops.add(xz, hz);
      const i = this.recurrentAct(gateOf(z, 0)), fg = this.recurrentAct(gateOf(z, 1));
      const cc = this.act(gateOf(z, 2)), o = this.recurrentAct(gateOf(z, 3));
      const cNew = ops.add(ops.mul(fg, c), ops.mul(i, cc));
      const hNew = ops.mul(o, this.act(cNew));
      return [hNew, ops.clone(hNew), cNew];
    });
  }

  override computeOutputShape(shape: SymbolicShape | SymbolicShape[]): SymbolicShape[] {
    const s = (Array.isArray(shape[0]) ? shape[0] : shape) as SymbolicShape;
    const st = this.stateShape(s);
    return [st, st, st];
  }

  override getConfig() {
    const name = (i: string | Initializer) => (typeof i === 'string' ? i : i.className);
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dataFormat: this.dataFormat,
      dilationRate: this.dilationRate,
      activation: this.activation,
      recurrentActivation: this.recurrentActivation,
      useBias: this.useBias,
      kernelInitializer: name(this.kernelInit),
      recurrentInitializer: name(this.recurrentInit),
      biasInitializer: name(this.biasInit),
      unitForgetBias: this.unitForgetBias,
      kernelRegularizer: serializeRegularizer(this.kernelRegularizer),
      recurrentRegularizer: serializeRegularizer(this.recurrentRegularizer),
      biasRegularizer: serializeRegularizer(this.biasRegularizer),
      kernelConstraint: serializeConstraint(this.kernelConstraint),
      recurrentConstraint: serializeConstraint(this.recurrentConstraint),
      biasConstraint: serializeConstraint(this.biasConstraint),
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
    };
  }

  override dispose(): void {
    this.resetDropoutMask();
    this.resetRecurrentDropoutMask();
    super.dispose();
  }
}

export const convLstm2dCell = (args: ConvLSTM2DCellArgs) => new ConvLSTM2DCell(args);
