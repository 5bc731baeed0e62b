/**
 * Recurrent building blocks, as TensorFlow.js and Keras: cells that compute one step
 * ([x_t, ...states] → [output, ...new states]) — SimpleRNNCell, LSTMCell, GRUCell,
 * StackedRNNCells and cells users write — and `rnn({ cell })`, which runs a cell over a
 * sequence with masks, initial states, returnSequences / returnState and goBackwards.
 *
 * Each step is composed of ops, so any cell trains; the fused `lstm` / `gru` / `simpleRNN`
 * layers (one kernel per sequence) stay the fast path for the standard cells.
 */
import * as ops from '../ops/index';
import type { Tensor, Variable } from '../tensor';
import { Constraint, getConstraint, serializeConstraint } from '../constraints';
import { getRegularizer, Regularizer, serializeRegularizer } from '../regularizers';
import { getActivation, type ActivationIdentifier } from './activations';
import { getInitializer, type Initializer, initializerName } from './initializers';
import { ApplyArgs, CallKwargs, Layer, LayerArgs, Mask, SymbolicShape } from './layer';

/** A cell: one recurrent step. */
export abstract class RNNCell extends Layer {
  /**
   * Cells whose states are not vectors (ConvLSTM2DCell: [batch, h, w, filters]) give the states'
   * shape for a step input's shape; rnn() then runs them over [batch, steps, ...step shape].
   */
  stateShape?(step: SymbolicShape): SymbolicShape;
  /** The size of each state (the last axis of each state tensor). */
  abstract get stateSize(): number[];
  /** The size of the output of a step (default: the first state's). */
  get outputSize(): number {
    return this.stateSize[0];
  }
  /** [x_t, ...states] → [output, ...new states]. */
  abstract override call(inputs: Tensor | Tensor[], kwargs: CallKwargs): Tensor[];
  /** Called before a sequence (dropout masks are drawn once per sequence, as Keras). */
  startSequence(batch: number, training: boolean): void {
    void batch;
    void training;
  }
  /** Called after a sequence. */
  endSequence(): void {}
  override computeOutputShape(s: SymbolicShape | SymbolicShape[]): SymbolicShape[] {
    const x = (Array.isArray(s[0]) ? s[0] : s) as SymbolicShape;
    return [[x[0], this.outputSize], ...this.stateSize.map((n) => [x[0], n])];
  }
}

/** What the standard cells share: units, activations, initializers, regularizers, constraints, dropout. */
export interface CellArgs extends LayerArgs {
  units: number;
  activation?: ActivationIdentifier;
  useBias?: boolean;
  kernelInitializer?: string | Initializer;
  recurrentInitializer?: string | Initializer;
  biasInitializer?: string | Initializer;
  kernelRegularizer?: Regularizer | string | null;
  recurrentRegularizer?: Regularizer | string | null;
  biasRegularizer?: Regularizer | string | null;
  kernelConstraint?: Constraint | string | null;
  recurrentConstraint?: Constraint | string | null;
  biasConstraint?: Constraint | string | null;
  dropout?: number;
  recurrentDropout?: number;
}

function rateArg(who: string, key: string, v: number | undefined): number {
  const r = v ?? 0;
  if (!(r >= 0 && r < 1)) throw new Error(`${who}: ${key} must be in [0, 1), got ${v}`);
  return r;
}


/** The machinery of the three standard cells: G gates side by side in the kernels. */
abstract class GatedCell extends RNNCell {
  readonly units: number;
  readonly activation: ActivationIdentifier;
  readonly useBias: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;
  protected kernelInit: string | Initializer;
  protected recurrentInit: string | Initializer;
  protected biasInit: string | Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly recurrentRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  readonly kernelConstraint: Constraint | null;
  readonly recurrentConstraint: Constraint | null;
  readonly biasConstraint: Constraint | null;
  kernel: Variable | null = null;
  recurrentKernel: Variable | null = null;
  bias: Variable | null = null;
  protected act: (x: Tensor) => Tensor;
  protected inputMask: Tensor | null = null;
  protected stateMask: Tensor | null = null;

  constructor(args: CellArgs, protected readonly gates: number) {
    super(args);
    const who = `${this.name} (${this.className})`;
    if (!Number.isInteger(args?.units) || args.units < 1) throw new Error(`${who}: units must be a positive integer, got ${args?.units}`);
    this.units = args.units;
    this.activation = args.activation ?? 'tanh';
    this.act = getActivation(this.activation, who);
    this.useBias = args.useBias ?? true;
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

  protected biasShape(): number[] {
    return [this.gates * this.units];
  }

  protected biasInitializer(): string | Initializer {
    return this.biasInit;
  }

  override build(shape: SymbolicShape | SymbolicShape[]): void {
    const x = (Array.isArray(shape[0]) ? shape[0] : shape) as SymbolicShape;
    const features = x[x.length - 1];
    if (features === null) throw new Error(`${this.name} (${this.className}): the input's last dimension must be known, got [${x.map((d) => d ?? 'null').join(', ')}]`);
    const gu = this.gates * this.units;
    this.kernel = this.addWeight('kernel', [features, gu], 'float32', this.kernelInit, this.kernelRegularizer, true, this.kernelConstraint);
    this.recurrentKernel = this.addWeight('recurrent_kernel', [this.units, gu], 'float32', this.recurrentInit, this.recurrentRegularizer, true, this.recurrentConstraint);
    if (this.useBias) this.bias = this.addWeight('bias', this.biasShape(), 'float32', this.biasInitializer(), this.biasRegularizer, true, this.biasConstraint);
  }

  override startSequence(batch: number, training: boolean): void {
    const features = this.kernel!.shape[0];
    this.inputMask = training && this.dropout > 0 ? ops.dropout(ops.ones([batch, features]), this.dropout) : null;
    this.stateMask = training && this.recurrentDropout > 0 ? ops.dropout(ops.ones([batch, this.units]), this.recurrentDropout) : null;
  }

  override endSequence(): void {
    this.inputMask = null;
    this.stateMask = null;
  }

  /** x_t and the first state from a step's inputs, checked. */
  protected stepInputs(inputs: Tensor | Tensor[], states: number): [Tensor, Tensor[]] {
    const who = `${this.name} (${this.className})`;
    if (!Array.isArray(inputs) || inputs.length !== 1 + states) throw new Error(`${who}: a step takes [x, ${states === 2 ? 'h, c' : 'h'}], got ${Array.isArray(inputs) ? inputs.length : 1} tensors`);
    const [x, ...s] = inputs;
    if (x.rank !== 2 || x.shape[1] !== this.kernel!.shape[0]) throw new Error(`${who}: expected a step input [batch, ${this.kernel!.shape[0]}], got [${x.shape.join(', ')}]`);
    return [this.inputMask ? ops.mul(x, this.inputMask) : x, s];
  }

  protected masked(h: Tensor): Tensor {
    return this.stateMask ? ops.mul(h, this.stateMask) : h;
  }

  /** Columns [g·units, (g+1)·units) of a [batch, G·units] product. */
  protected gate(t: Tensor, g: number): Tensor {
    return ops.slice(t, [0, g * this.units], [t.shape[0], this.units]);
  }

  protected commonConfig() {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: initializerName(this.kernelInit),
      recurrentInitializer: initializerName(this.recurrentInit),
      biasInitializer: initializerName(this.biasInit),
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
}

/** h = activation(x·W + h·U + b). */
export class SimpleRNNCell extends GatedCell {
  static override readonly className = 'SimpleRNNCell';
  constructor(args: CellArgs) {
    super(args, 1);
  }
  get stateSize(): number[] {
    return [this.units];
  }
  call(inputs: Tensor | Tensor[]): Tensor[] {
    const [x, [h]] = this.stepInputs(inputs, 1);
    let z = ops.add(ops.matMul(x, this.kernel!), ops.matMul(this.masked(h), this.recurrentKernel!));
    if (this.bias) z = ops.add(z, this.bias);
    const out = this.act(z);
    return [out, out];
  }
  override getConfig() {
    return this.commonConfig();
  }
}

export interface LSTMCellArgs extends CellArgs {
  /** Default 'sigmoid' (Keras; TensorFlow.js defaults to 'hardSigmoid'). */
  recurrentActivation?: ActivationIdentifier;
  /** The forget gate's bias starts at 1 (default true, as Keras). */
  unitForgetBias?: boolean;
}

/** Keras' LSTM step, gates i, f, c, o side by side. */
export class LSTMCell extends GatedCell {
  static override readonly className = 'LSTMCell';
  readonly recurrentActivation: ActivationIdentifier;
  readonly unitForgetBias: boolean;
  private recAct: (x: Tensor) => Tensor;
  constructor(args: LSTMCellArgs) {
    super(args, 4);
    this.recurrentActivation = args.recurrentActivation ?? 'sigmoid';
    this.recAct = getActivation(this.recurrentActivation, `${this.name} (LSTMCell)`);
    this.unitForgetBias = args.unitForgetBias ?? true;
  }
  get stateSize(): number[] {
    return [this.units, this.units];
  }
  protected override biasInitializer(): string | Initializer {
    if (!this.unitForgetBias) return this.biasInit;
    const inner = getInitializer(this.biasInit, this.name);
    const u = this.units;
    return {
      className: 'UnitForgetBias',
      apply: (shape: number[]) => {
        const parts = [inner.apply([u]), ops.ones([u]), inner.apply([2 * u])];
        const out = ops.concat(parts, 0);
        parts.forEach((p) => p.dispose());
        void shape;
        return out;
      },
      getConfig: () => ({}),
    } as Initializer;
  }
  call(inputs: Tensor | Tensor[]): Tensor[] {
    const [x, [h, c]] = this.stepInputs(inputs, 2);
    let z = ops.add(ops.matMul(x, this.kernel!), ops.matMul(this.masked(h), this.recurrentKernel!));
    if (this.bias) z = ops.add(z, this.bias);
    const i = this.recAct(this.gate(z, 0));
    const f = this.recAct(this.gate(z, 1));
    const cNew = ops.add(ops.mul(f, c), ops.mul(i, this.act(this.gate(z, 2))));
    const o = this.recAct(this.gate(z, 3));
    const hNew = ops.mul(o, this.act(cNew));
    return [hNew, hNew, cNew];
  }
  override getConfig() {
    return { ...this.commonConfig(), recurrentActivation: this.recurrentActivation, unitForgetBias: this.unitForgetBias, implementation: 2 };
  }
}

export interface GRUCellArgs extends CellArgs {
  /** Default 'sigmoid' (Keras; TensorFlow.js defaults to 'hardSigmoid'). */
  recurrentActivation?: ActivationIdentifier;
  /** The reset gate after the recurrent product (default true, as Keras 2+; bias [2, 3·units]). */
  resetAfter?: boolean;
}

/** Keras' GRU step, gates z, r, h side by side. */
export class GRUCell extends GatedCell {
  static override readonly className = 'GRUCell';
  readonly recurrentActivation: ActivationIdentifier;
  readonly resetAfter: boolean;
  private recAct: (x: Tensor) => Tensor;
  constructor(args: GRUCellArgs) {
    super(args, 3);
    this.recurrentActivation = args.recurrentActivation ?? 'sigmoid';
    this.recAct = getActivation(this.recurrentActivation, `${this.name} (GRUCell)`);
    this.resetAfter = args.resetAfter ?? true;
  }
  get stateSize(): number[] {
    return [this.units];
  }
  protected override biasShape(): number[] {
    return this.resetAfter ? [2, 3 * this.units] : [3 * this.units];
  }
  call(inputs: Tensor | Tensor[]): Tensor[] {
    const [x, [h]] = this.stepInputs(inputs, 1);
    const hm = this.masked(h);
    let xz = ops.matMul(x, this.kernel!);
    let inner: Tensor;
    if (this.resetAfter) {
      inner = ops.matMul(hm, this.recurrentKernel!);
      if (this.bias) {
        const [bIn, bRec] = ops.split(this.bias, 2, 0).map((b) => ops.reshape(b, [3 * this.units]));
        xz = ops.add(xz, bIn);
        inner = ops.add(inner, bRec);
      }
      const z = this.recAct(ops.add(this.gate(xz, 0), this.gate(inner, 0)));
      const r = this.recAct(ops.add(this.gate(xz, 1), this.gate(inner, 1)));
      const hh = this.act(ops.add(this.gate(xz, 2), ops.mul(r, this.gate(inner, 2))));
      const out = ops.add(ops.mul(z, h), ops.mul(ops.sub(1, z), hh));
      return [out, out];
    }
    if (this.bias) xz = ops.add(xz, this.bias);
    const u = this.units;
    const rk = this.recurrentKernel!;
    const uzr = ops.slice(rk, [0, 0], [u, 2 * u]);
    const uh = ops.slice(rk, [0, 2 * u], [u, u]);
    const zr = ops.matMul(hm, uzr);
    const z = this.recAct(ops.add(this.gate(xz, 0), ops.slice(zr, [0, 0], [h.shape[0], u])));
    const r = this.recAct(ops.add(this.gate(xz, 1), ops.slice(zr, [0, u], [h.shape[0], u])));
    const hh = this.act(ops.add(this.gate(xz, 2), ops.matMul(ops.mul(r, hm), uh)));
    const out = ops.add(ops.mul(z, h), ops.mul(ops.sub(1, z), hh));
    return [out, out];
  }
  override getConfig() {
    return { ...this.commonConfig(), recurrentActivation: this.recurrentActivation, resetAfter: this.resetAfter, implementation: 2 };
  }
}

/** Several cells as one: each step feeds the previous cell's output to the next. */
export class StackedRNNCells extends RNNCell {
  static override readonly className = 'StackedRNNCells';
  readonly cells: RNNCell[];
  constructor(args: LayerArgs & { cells: RNNCell[] }) {
    super(args);
    if (!Array.isArray(args?.cells) || args.cells.length === 0 || !args.cells.every(isCell)) {
      throw new Error(`${this.name} (StackedRNNCells): cells must be a non-empty list of recurrent cells`);
    }
    const spatial = args.cells.find((c) => c.stateShape);
    if (spatial) throw new Error(`${this.name} (StackedRNNCells): ${spatial.name} (${spatial.className}) has spatial states; stack convolutional recurrent layers (convLstm2d with returnSequences) instead`);
    this.cells = [...args.cells];
  }
  get stateSize(): number[] {
    return this.cells.flatMap((c) => c.stateSize);
  }
  override get outputSize(): number {
    return this.cells[this.cells.length - 1].outputSize;
  }
  override build(shape: SymbolicShape | SymbolicShape[]): void {
    let x = (Array.isArray(shape[0]) ? shape[0] : shape) as SymbolicShape;
    for (const c of this.cells) {
      if (!c.built) {
        c.build(x);
        c.built = true;
      }
      x = [x[0], c.outputSize];
    }
    this.adoptWeights(this.cells);
  }
  override startSequence(batch: number, training: boolean): void {
    this.cells.forEach((c) => c.startSequence(batch, training));
  }
  override endSequence(): void {
    this.cells.forEach((c) => c.endSequence());
  }
  call(inputs: Tensor | Tensor[], kwargs: CallKwargs): Tensor[] {
    const [x, ...states] = inputs as Tensor[];
    let out = x;
    const next: Tensor[] = [];
    let at = 0;
    for (const c of this.cells) {
      const n = c.stateSize.length;
      const [o, ...s] = c.call([out, ...states.slice(at, at + n)], kwargs);
      out = o;
      next.push(...s);
      at += n;
    }
    return [out, ...next];
  }
  override getConfig() {
    return { ...super.getConfig(), cells: this.cells.map((c) => ({ className: c.className, config: c.getConfig() })) };
  }
}

/** Whether `v` is a cell: an RNNCell, or a layer with a stateSize (cells users write). */
export function isCell(v: unknown): v is RNNCell {
  return v instanceof Layer && Array.isArray((v as { stateSize?: unknown }).stateSize);
}

export interface CellRNNArgs extends LayerArgs {
  /** A cell, or a list of cells (stacked). */
  cell: RNNCell | RNNCell[];
  returnSequences?: boolean;
  returnState?: boolean;
  goBackwards?: boolean;
  /** Not supported: keeping state across batches. */
  stateful?: boolean;
  /** Keras' unrolling switch; the result is the same either way. */
  unroll?: boolean;
  /** Features per step, with inputLength: the input shape [inputLength, inputDim]. */
  inputDim?: number;
  inputLength?: number;
}

/**
 * rnn({ cell }): the cell applied to each step of [batch, steps, features]. A masked step keeps
 * the states and repeats the previous output (Keras).
 */
export class CellRNN extends Layer {
  static override readonly className = 'RNN';
  readonly cell: RNNCell;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;

  constructor(args: CellRNNArgs) {
    super({ ...args, inputDim: undefined });
    const who = `${this.name} (RNN)`;
    const c = args?.cell;
    if (Array.isArray(c)) this.cell = new StackedRNNCells({ cells: c });
    else if (isCell(c)) this.cell = c;
    else throw new Error(`${who}: cell must be a recurrent cell (fe.layers.lstmCell(…), …) or a list of them`);
    if (args.stateful) throw new Error(`${who}: stateful recurrent layers are not supported; pass initialState instead`);
    this.returnSequences = args.returnSequences ?? false;
    this.returnState = args.returnState ?? false;
    this.goBackwards = args.goBackwards ?? false;
    this.supportsMasking = true;
    if (!this.batchInputShape && args.inputDim !== undefined) this.batchInputShape = [args.batchSize ?? null, args.inputLength ?? null, args.inputDim];
  }

  private sequenceShape(shape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    return (Array.isArray(shape[0]) ? shape[0] : shape) as SymbolicShape;
  }

  /** The rank of the input a step of the cell takes (2 for vector cells). */
  private get stepRank(): number {
    return this.cell.stateShape ? 4 : 2;
  }

  override build(shape: SymbolicShape | SymbolicShape[]): void {
    const s = this.sequenceShape(shape);
    if (s.length !== this.stepRank + 1) throw new Error(`${this.name} (RNN): expected input of rank ${this.stepRank + 1} ${this.stepRank === 2 ? '[batch, steps, features]' : '[batch, steps, height, width, channels]'}, got [${s.map((d) => d ?? 'null').join(', ')}]`);
    if (!this.cell.built) {
      this.cell.build([s[0], ...s.slice(2)]);
      this.cell.built = true;
    }
    this.adoptWeights([this.cell]);
  }

  protected override normalizeCallArgs<T>(inputs: T, kwargs: ApplyArgs): [T, ApplyArgs] {
    const { initialState, ...rest } = kwargs;
    if (initialState === undefined || initialState === null) return [inputs, rest];
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return [[x, ...(Array.isArray(initialState) ? initialState : [initialState])] as T, rest];
  }

  call(inputs: Tensor | Tensor[], kwargs: CallKwargs): Tensor | Tensor[] {
    const who = `${this.name} (RNN)`;
    const [x, ...given] = Array.isArray(inputs) ? inputs : [inputs];
    if (x.rank !== this.stepRank + 1) throw new Error(`${who}: expected input of rank ${this.stepRank + 1}, got [${x.shape.join(', ')}]`);
    const [batch, steps] = x.shape;
    const stepShape = [batch, ...x.shape.slice(2)];
    const sizes = this.cell.stateSize;
    const spatial = this.cell.stateShape?.(stepShape) as number[] | undefined;
    const shapes = sizes.map((n) => spatial ?? [batch, n]);
    if (given.length && given.length !== sizes.length) throw new Error(`${who}: expected ${sizes.length} initial state tensors, got ${given.length}`);
    given.forEach((s, i) => {
      if (s.rank !== shapes[i].length || s.shape.some((d, j) => d !== shapes[i][j])) throw new Error(`${who}: initial state ${i} must be [${shapes[i].join(', ')}], got [${s.shape.join(', ')}]`);
    });
    let states = given.length ? given : shapes.map((sh) => ops.zeros(sh));
    const mask = (Array.isArray(kwargs.mask) ? kwargs.mask[0] : kwargs.mask) as Tensor | null;
    const outputs: Tensor[] = [];
    let last: Tensor | null = null;
    this.cell.startSequence(batch, kwargs.training);
    try {
      for (let k = 0; k < steps; k++) {
        const t = this.goBackwards ? steps - 1 - k : k;
        const xt = ops.reshape(ops.slice(x, [0, t, ...stepShape.slice(1).map(() => 0)], [batch, 1, ...stepShape.slice(1)]), stepShape);
        const [out, ...next] = this.cell.call([xt, ...states], { ...kwargs, mask: null });
        if (mask) {
          // Masked samples keep their states and repeat the previous output.
          const m = ops.reshape(ops.slice(mask, [0, t], [batch, 1]), [batch, ...shapes[0].slice(1).map(() => 1)]);
          const keep = (a: Tensor, b: Tensor) => ops.add(ops.mul(a, m), ops.mul(b, ops.sub(1, m)));
          states = next.map((s, i) => keep(s, states[i]));
          last = keep(out, last ?? ops.zerosLike(out));
        } else {
          states = next;
          last = out;
        }
        if (this.returnSequences) outputs.push(last);
      }
    } finally {
      this.cell.endSequence();
    }
    const output = this.returnSequences ? ops.stack(outputs, 1) : (last ?? ops.zeros(this.cell.stateShape ? shapes[0] : [batch, this.cell.outputSize]));
    return this.returnState ? [output, ...states] : output;
  }

  override computeOutputShape(shape: SymbolicShape | SymbolicShape[]): SymbolicShape | SymbolicShape[] {
    const s = this.sequenceShape(shape);
    if (this.cell.stateShape) {
      const st = this.cell.stateShape([s[0], ...s.slice(2)]);
      const out = this.returnSequences ? [s[0], s[1], ...st.slice(1)] : st;
      return this.returnState ? [out, ...this.cell.stateSize.map(() => st)] : out;
    }
    const out = this.returnSequences ? [s[0], s[1], this.cell.outputSize] : [s[0], this.cell.outputSize];
    return this.returnState ? [out, ...this.cell.stateSize.map((n) => [s[0], n])] : out;
  }

  override computeMask(_inputs: Tensor | Tensor[], mask: Mask): Mask {
    const m = Array.isArray(mask) ? (mask[0] ?? null) : mask;
    const out = this.returnSequences ? m : null;
    return this.returnState ? [out, ...this.cell.stateSize.map(() => null)] : out;
  }

  override getConfig() {
    return {
      ...super.getConfig(),
      cell: { className: this.cell.className, config: this.cell.getConfig() },
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: false,
      unroll: false,
    };
  }

  override dispose(): void {
    super.dispose();
    this.cell.dispose();
  }
}

export const simpleRNNCell = (args: CellArgs) => new SimpleRNNCell(args);
export const lstmCell = (args: LSTMCellArgs) => new LSTMCell(args);
export const gruCell = (args: GRUCellArgs) => new GRUCell(args);
export const stackedRNNCells = (args: LayerArgs & { cells: RNNCell[] }) => new StackedRNNCells(args);
export const rnn = (args: CellRNNArgs) => new CellRNN(args);
