/**
 * ConvLSTM2D with TensorFlow.js' name and config keys (Keras semantics): an LSTM whose input
 * and recurrent transforms are 2-D convolutions, over [batch, time, height, width, channels].
 * Weights: kernel [kh, kw, channels, 4·filters], recurrent_kernel [kh, kw, filters,
 * 4·filters], bias [4·filters], gates i, f, c, o side by side. The recurrent convolution has
 * stride 1 and 'same' padding; the input convolution takes strides, padding and dilation.
 *
 * Composed of ops: the input convolution runs once over every time step (time folded into the
 * batch), then each step adds the recurrent convolution and applies the gates. Masks ([batch,
 * time]) keep the previous state and output at masked steps; initial states [h, c] (each
 * [batch, outHeight, outWidth, filters]) come as extra inputs or `initialState`.
 */
import * as ops from '../ops/index';
import { rngFor } from '../ops/random';
import type { Tensor, Variable } from '../tensor';
import { serializeRegularizer } from '../regularizers';
import { convOutputLength, shapeText } from './conv-common';
import { addConvLstmWeights, convLstmConfig, convLstmSettings, gateOf, lstmUpdate, type ConvLSTMSettings, type ConvLSTMStepArgs } from './conv-lstm-settings';
import { ApplyArgs, CallKwargs, Layer, Mask, SymbolicShape } from './layer';

export interface ConvLSTM2DArgs extends ConvLSTMStepArgs {
  returnSequences?: boolean;
  /** apply() returns [output, h, c]. */
  returnState?: boolean;
  goBackwards?: boolean;
  /** Not supported: keeping state across batches. */
  stateful?: boolean;
  /** Not supported (as TensorFlow.js): convolutional recurrent layers cannot be unrolled. */
  unroll?: boolean;
  /** Keras' implementation modes compute the same function. */
  implementation?: number;
}

/** The checked options (conv-lstm-settings.ts) are fields of the layer. */
export interface ConvLSTM2D extends ConvLSTMSettings {}

export class ConvLSTM2D extends Layer {
  static override readonly className = 'ConvLSTM2D';
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  kernel: Variable | null = null;
  recurrentKernel: Variable | null = null;
  bias: Variable | null = null;

  constructor(args: ConvLSTM2DArgs) {
    super(args, 'conv_lstm2d');
    const who = this.who;
    Object.assign(this, convLstmSettings(who, args));
    if (args.stateful) throw new Error(`${who}: stateful recurrent layers are not supported; pass initialState to apply() instead`);
    if (args.unroll) throw new Error(`${who}: convolutional recurrent layers cannot be unrolled (unroll: true)`);
    if (args.implementation !== undefined && args.implementation !== null && args.implementation !== 1 && args.implementation !== 2) {
      throw new Error(`${who}: implementation must be 1 or 2, got ${args.implementation}`);
    }
    this.returnSequences = args.returnSequences ?? false;
    this.returnState = args.returnState ?? false;
    this.goBackwards = args.goBackwards ?? false;
    this.supportsMasking = true;
  }

  private get who(): string {
    return `${this.name} (${this.className})`;
  }

  /** The sequence's shape from build/computeOutputShape arguments ([x, h0, c0] lists included). */
  private sequenceShape(shape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const s = (Array.isArray(shape[0]) ? shape[0] : shape) as SymbolicShape;
    if (s.length !== 5) throw new Error(`${this.who}: expected input of rank 5 [batch, time, height, width, channels], got ${shapeText(s)}`);
    return s;
  }

  override build(shape: SymbolicShape | SymbolicShape[]): void {
    const s = this.sequenceShape(shape);
    const c = s[4];
    if (c === null) throw new Error(`${this.who}: the channels of the input must be known, got ${shapeText(s)}`);
    Object.assign(this, addConvLstmWeights(this, this, c));
    this.built = true;
  }

  /** Output height and width of the input convolution. */
  private outSpatial(h: number | null, w: number | null): [number | null, number | null] {
    return [
      convOutputLength(this.who, h, this.kernelSize[0], this.padding, this.strides[0], this.dilationRate[0]),
      convOutputLength(this.who, w, this.kernelSize[1], this.padding, this.strides[1], this.dilationRate[1]),
    ];
  }

  /** initialState given by keyword becomes extra inputs [x, h0, c0] (TensorFlow.js' and Keras 2's form). */
  protected override normalizeCallArgs<T>(inputs: T, kwargs: ApplyArgs): [T, ApplyArgs] {
    const { initialState, ...rest } = kwargs;
    if (initialState === undefined || initialState === null) return [inputs, rest];
    if (Array.isArray(inputs) && inputs.length > 1) throw new Error(`${this.who}: initial states were given both in the input list and as initialState`);
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return [[x, ...(Array.isArray(initialState) ? initialState : [initialState])] as T, rest];
  }

  call(inputs: Tensor | Tensor[], kwargs: CallKwargs): Tensor | Tensor[] {
    const [x, ...states] = Array.isArray(inputs) ? inputs : [inputs];
    if (states.length !== 0 && states.length !== 2) throw new Error(`${this.who}: expected 2 initial states [h, c], got ${states.length}`);
    const k = this.kernel!;
    if (x.rank !== 5 || x.shape[4] !== k.shape[2]) {
      throw new Error(`${this.who}: expected input of rank 5 [batch, time, height, width, ${k.shape[2]}], got [${x.shape.join(', ')}]`);
    }
    const [b, steps, h, w, c] = x.shape;
    if (steps < 1) throw new Error(`${this.who}: the input has no time steps ([${x.shape.join(', ')}])`);
    const [oh, ow] = this.outSpatial(h, w) as [number, number];
    if (!(oh >= 1 && ow >= 1)) throw new Error(`${this.who}: a ${h} × ${w} input is smaller than the kernel ${JSON.stringify(this.kernelSize)}`);
    const stateShape = [b, oh, ow, this.filters];
    for (const [i, s] of states.entries()) {
      if (s.rank !== 4 || s.shape.some((d, j) => d !== stateShape[j])) {
        throw new Error(`${this.who}: initial state ${i} must have shape [${stateShape.join(', ')}], got [${s.shape.join(', ')}]`);
      }
    }
    const mask = (Array.isArray(kwargs.mask) ? kwargs.mask[0] : kwargs.mask) ?? null;
    if (mask && (mask.rank !== 2 || mask.shape[0] !== b || mask.shape[1] !== steps)) {
      throw new Error(`${this.who}: expected a mask of shape [${b}, ${steps}], got [${mask.shape.join(', ')}]`);
    }
    const temps: Tensor[] = [];
    const keep = <T extends Tensor>(t: T): T => {
      temps.push(t);
      return t;
    };
    const training = kwargs.training ?? false;
    const f = this.filters;
    const kernelGates = (kt: Tensor) => [0, 1, 2, 3].map((g) => keep(gateOf(kt, g, f)));

    // The input convolution of every step at once: [b·t, h, w, c] → [b, t, oh, ow, 4f].
    const conv = (input: Tensor, kernel: Tensor, bias: Tensor | null) => keep(ops.conv2dFused(
      keep(ops.reshape(input, [b * steps, h, w, c])), kernel,
      { strides: this.strides, pad: this.padding, dilations: this.dilationRate, bias }, this.who));
    let xz: Tensor;
    if (training && this.dropout > 0) {
      // One dropout mask per gate, shared by every step (Keras).
      const ks = kernelGates(k);
      const bs = this.bias ? [0, 1, 2, 3].map((g) => keep(ops.slice(this.bias!, [g * f], [f]))) : [null, null, null, null];
      const parts = ks.map((kg, g) => conv(keep(ops.dropout(x, this.dropout, [b, 1, h, w, c])), kg, bs[g]));
      xz = keep(ops.concat(parts, 3));
    } else {
      xz = conv(x, k, this.bias);
    }
    const xs = keep(ops.reshape(xz, [b, steps, oh, ow, 4 * f]));

    let recurrentMasks: Tensor[] | null = null;
    let recurrentKernels: Tensor[] | null = null;
    if (training && this.recurrentDropout > 0) {
      const rng = rngFor();
      const scale = 1 / (1 - this.recurrentDropout);
      recurrentMasks = [0, 1, 2, 3].map(() => {
        const m = new Float32Array(b * oh * ow * f);
        for (let i = 0; i < m.length; i++) m[i] = rng() >= this.recurrentDropout ? scale : 0;
        return keep(ops.tensor(m, stateShape));
      });
      recurrentKernels = kernelGates(this.recurrentKernel!);
    }

    let hPrev = states[0] ?? keep(ops.zeros(stateShape));
    let cPrev = states[1] ?? keep(ops.zeros(stateShape));
    let outPrev = mask ? keep(ops.zeros(stateShape)) : hPrev;
    const outputs: Tensor[] = [];
    const order = Array.from({ length: steps }, (_, i) => (this.goBackwards ? steps - 1 - i : i));
    for (const t of order) {
      const xt = keep(ops.reshape(keep(ops.slice(xs, [0, t, 0, 0, 0], [b, 1, oh, ow, 4 * f])), stateShape.slice(0, 3).concat(4 * f)));
      let hz: Tensor;
      if (recurrentMasks && recurrentKernels) {
        const parts = recurrentKernels.map((rk, g) => keep(ops.conv2d(keep(ops.mul(hPrev, recurrentMasks![g])), rk, 1, 'same')));
        hz = keep(ops.concat(parts, 3));
      } else {
        hz = keep(ops.conv2d(hPrev, this.recurrentKernel!, 1, 'same'));
      }
      const z = keep(ops.add(xt, hz));
      let { h: hNew, c: cNew } = lstmUpdate(this, z, cPrev, keep);
      let out = hNew;
      if (mask) {
        // Masked steps keep the previous state and output (Keras' rnn with a mask).
        const m = keep(ops.reshape(keep(ops.slice(mask, [0, t], [b, 1])), [b, 1, 1, 1]));
        const mf = m.dtype === 'float32' ? m : keep(ops.cast(m, 'float32'));
        const blend = (a: Tensor, prev: Tensor) => keep(ops.add(prev, keep(ops.mul(mf, keep(ops.sub(a, prev))))));
        out = blend(hNew, outPrev);
        hNew = blend(hNew, hPrev);
        cNew = blend(cNew, cPrev);
      }
      outputs.push(out);
      hPrev = hNew;
      cPrev = cNew;
      outPrev = out;
    }
    const output = this.returnSequences ? ops.stack(outputs, 1) : outputs[outputs.length - 1];
    const results = this.returnState ? [output, hPrev, cPrev] : [output];
    // Without a gradient to record, every intermediate can go now (inputs and results stay).
    if (results.every((r) => !r.gradFn)) {
      const stay = new Set<Tensor>([x, ...states, ...results]);
      for (const t of temps) if (!stay.has(t) && !t.isDisposed) t.dispose();
    }
    return this.returnState ? results : output;
  }

  override computeOutputShape(shape: SymbolicShape | SymbolicShape[]): SymbolicShape | SymbolicShape[] {
    const s = this.sequenceShape(shape);
    const [oh, ow] = this.outSpatial(s[2], s[3]);
    const out = this.returnSequences ? [s[0], s[1], oh, ow, this.filters] : [s[0], oh, ow, this.filters];
    if (!this.returnState) return out;
    return [out, [s[0], oh, ow, this.filters], [s[0], oh, ow, this.filters]];
  }

  override computeMask(_inputs: Tensor | Tensor[], mask: Mask): Mask {
    const m = Array.isArray(mask) ? (mask[0] ?? null) : mask;
    const out = this.returnSequences ? m : null;
    return this.returnState ? [out, null, null] : out;
  }

  override getConfig() {
    return {
      ...super.getConfig(),
      ...convLstmConfig(this),
      activityRegularizer: serializeRegularizer(this.activityRegularizer),
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: false,
      unroll: false,
    };
  }
}
