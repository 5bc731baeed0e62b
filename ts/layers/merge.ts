/**
 * Merge layers, with TensorFlow.js names and Keras semantics: Add, Subtract, Multiply,
 * Average, Maximum, Minimum (element-wise over a list of same-rank inputs, dimensions equal
 * or 1), Concatenate (along an axis) and Dot (batched dot product along axes, optionally of
 * L2-normalised inputs). Element-wise merges AND their inputs' masks, as Keras.
 */
import * as ops from '../ops/index';
import { fmt } from '../ops/util';
import { Tensor } from '../tensor';
import { CallKwargs, Layer, LayerArgs, Mask, SymbolicShape } from './layer';

const shapeText = (s: SymbolicShape) => fmt(s.map((d) => d ?? 'null') as unknown as number[]);

function asList(layer: Layer, inputs: Tensor | Tensor[]): Tensor[] {
  if (!Array.isArray(inputs)) throw new Error(`${layer.name} (${layer.className}): expects a list of input tensors, got one tensor`);
  return inputs;
}

function shapesOf(layer: Layer, shape: SymbolicShape | SymbolicShape[]): SymbolicShape[] {
  if (!(shape.length > 0 && Array.isArray(shape[0]))) {
    throw new Error(`${layer.name} (${layer.className}): expects a list of inputs, got a single input of shape ${shapeText(shape as SymbolicShape)}`);
  }
  return shape as SymbolicShape[];
}

/** AND of the masks given (null where none). */
function andMasks(masks: (Tensor | null)[]): Tensor | null {
  const given = masks.filter((m): m is Tensor => m !== null);
  if (given.length === 0) return null;
  let out = given[0];
  for (const m of given.slice(1)) out = ops.mul(out, m);
  return out;
}

/** The base of the element-wise merges: checks the list and broadcasts the shapes. */
abstract class Merge extends Layer {
  /** Exactly this many inputs (Subtract: 2), or at least 2 when null. */
  protected readonly arity: number | null = null;

  constructor(args: LayerArgs = {}) {
    super(args);
    this.supportsMasking = true;
  }

  private who(): string {
    return `${this.name} (${this.className})`;
  }

  /** The broadcast output shape, or an error naming the input and both shapes. */
  protected mergedShape(shapes: SymbolicShape[]): SymbolicShape {
    if (this.arity !== null && shapes.length !== this.arity) {
      throw new Error(`${this.who()}: expects exactly ${this.arity} inputs, got ${shapes.length}`);
    }
    if (shapes.length < 2) throw new Error(`${this.who()}: expects a list of at least 2 inputs, got ${shapes.length}`);
    let out = [...shapes[0]];
    for (let i = 1; i < shapes.length; i++) {
      const s = shapes[i];
      if (s.length !== out.length) {
        throw new Error(`${this.who()}: input ${i} has shape ${shapeText(s)}, of another rank than input 0's ${shapeText(shapes[0])}`);
      }
      out = out.map((d, j) => {
        const e = s[j];
        if (j === 0) return d ?? e;
        if (d === null || e === null) return d === 1 ? e : e === 1 ? d : (d ?? e);
        if (d === e || e === 1) return d;
        if (d === 1) return e;
        throw new Error(`${this.who()}: input ${i} has shape ${shapeText(s)}, incompatible with ${shapeText(shapes[0])} (dimension ${j}: ${e} vs ${d})`);
      });
    }
    return out;
  }

  override build(shape: SymbolicShape | SymbolicShape[]): void {
    this.mergedShape(shapesOf(this, shape));
    this.built = true;
  }

  override computeOutputShape(shape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    return this.mergedShape(shapesOf(this, shape));
  }

  protected abstract merge(xs: Tensor[]): Tensor;

  call(inputs: Tensor | Tensor[], _kwargs: CallKwargs): Tensor {
    const xs = asList(this, inputs);
    this.mergedShape(xs.map((x) => x.shape));
    return this.merge(xs);
  }

  override computeMask(_inputs: Tensor | Tensor[], mask: Mask): Mask {
    if (mask === null) return null;
    if (!Array.isArray(mask)) throw new Error(`${this.who()}: expected one mask per input`);
    return andMasks(mask);
  }
}

export class Add extends Merge {
  static override readonly className = 'Add';
  protected merge(xs: Tensor[]): Tensor {
    return xs.slice(1).reduce((a, b) => ops.add(a, b), xs[0]);
  }
}

export class Subtract extends Merge {
  static override readonly className = 'Subtract';
  protected override readonly arity = 2;
  protected merge(xs: Tensor[]): Tensor {
    return ops.sub(xs[0], xs[1]);
  }
}

export class Multiply extends Merge {
  static override readonly className = 'Multiply';
  protected merge(xs: Tensor[]): Tensor {
    return xs.slice(1).reduce((a, b) => ops.mul(a, b), xs[0]);
  }
}

export class Average extends Merge {
  static override readonly className = 'Average';
  protected merge(xs: Tensor[]): Tensor {
    return ops.mul(xs.slice(1).reduce((a, b) => ops.add(a, b), xs[0]), 1 / xs.length);
  }
}

export class Maximum extends Merge {
  static override readonly className = 'Maximum';
  protected merge(xs: Tensor[]): Tensor {
    return xs.slice(1).reduce((a, b) => ops.maximum(a, b), xs[0]);
  }
}

export class Minimum extends Merge {
  static override readonly className = 'Minimum';
  protected merge(xs: Tensor[]): Tensor {
    return xs.slice(1).reduce((a, b) => ops.minimum(a, b), xs[0]);
  }
}

export interface ConcatenateArgs extends LayerArgs {
  /** Default −1 (the features). */
  axis?: number;
}

/** Joins a list of inputs along `axis`; every other dimension must agree. */
export class Concatenate extends Layer {
  static override readonly className = 'Concatenate';
  readonly axis: number;

  constructor(args: ConcatenateArgs = {}) {
    super(args);
    this.axis = args.axis ?? -1;
    if (!Number.isInteger(this.axis)) throw new Error(`${this.name} (Concatenate): axis must be an integer, got ${args.axis}`);
    this.supportsMasking = true;
  }

  private axisFor(rank: number): number {
    const a = this.axis < 0 ? this.axis + rank : this.axis;
    if (a < 1 || a >= rank) {
      throw new Error(`${this.name} (Concatenate): axis ${this.axis} is out of range for inputs of rank ${rank} (the batch axis cannot be joined)`);
    }
    return a;
  }

  private concatShape(shapes: SymbolicShape[]): SymbolicShape {
    if (shapes.length < 2) throw new Error(`${this.name} (Concatenate): expects a list of at least 2 inputs, got ${shapes.length}`);
    const rank = shapes[0].length;
    const a = this.axisFor(rank);
    const out = [...shapes[0]];
    for (let i = 1; i < shapes.length; i++) {
      const s = shapes[i];
      const ok = s.length === rank && s.every((d, j) => j === a || j === 0 || d === null || out[j] === null || d === out[j]);
      if (!ok) {
        throw new Error(
          `${this.name} (Concatenate): input ${i} has shape ${shapeText(s)}, which does not fit input 0's ${shapeText(shapes[0])} ` +
            `(all dimensions but axis ${this.axis} must agree)`,
        );
      }
      out[a] = out[a] === null || s[a] === null ? null : (out[a] as number) + (s[a] as number);
      s.forEach((d, j) => {
        if (j !== a && out[j] === null) out[j] = d;
      });
    }
    return out;
  }

  override build(shape: SymbolicShape | SymbolicShape[]): void {
    this.concatShape(shapesOf(this, shape));
    this.built = true;
  }

  override computeOutputShape(shape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    return this.concatShape(shapesOf(this, shape));
  }

  call(inputs: Tensor | Tensor[], _kwargs: CallKwargs): Tensor {
    const xs = asList(this, inputs);
    this.concatShape(xs.map((x) => x.shape));
    return ops.concat(xs, this.axisFor(xs[0].rank));
  }

  /** Masks per step: joined along the axis when it is not the features', else AND-ed. */
  override computeMask(inputs: Tensor | Tensor[], mask: Mask): Mask {
    if (mask === null) return null;
    const xs = asList(this, inputs);
    const masks = mask as (Tensor | null)[];
    const rank = xs[0].rank;
    const a = this.axisFor(rank);
    if (a === rank - 1) return andMasks(masks);
    const full = masks.map((m, i) => m ?? ops.ones(xs[i].shape.slice(0, rank - 1)));
    return ops.concat(full, a);
  }

  override getConfig() {
    return { ...super.getConfig(), axis: this.axis };
  }
}

export interface DotArgs extends LayerArgs {
  /** The axis (or [axis of input 0, axis of input 1]) summed over. */
  axes: number | [number, number];
  /** L2-normalise both inputs along the axes first (the result is then the cosine similarity). */
  normalize?: boolean;
}

/** Batched dot product of two inputs along `axes`. */
export class Dot extends Layer {
  static override readonly className = 'Dot';
  readonly axes: number | [number, number];
  readonly normalize: boolean;

  constructor(args: DotArgs) {
    super(args);
    const ax = args?.axes;
    const ok = Number.isInteger(ax) || (Array.isArray(ax) && ax.length === 2 && ax.every((v) => Number.isInteger(v)));
    if (!ok) throw new Error(`${this.name} (Dot): axes must be an integer or a pair of integers, got ${JSON.stringify(ax)}`);
    this.axes = Array.isArray(ax) ? [ax[0], ax[1]] : (ax as number);
    this.normalize = args.normalize ?? false;
  }

  /** The axes as non-negative indices for inputs of these ranks. */
  private axesFor(r0: number, r1: number): [number, number] {
    const pair = Array.isArray(this.axes) ? this.axes : [this.axes, this.axes];
    const out = pair.map((a, i) => {
      const rank = i === 0 ? r0 : r1;
      const v = a < 0 ? a + rank : a;
      if (v < 1 || v >= rank) throw new Error(`${this.name} (Dot): axis ${a} is out of range for input ${i} of rank ${rank} (the batch axis cannot be summed)`);
      return v;
    });
    return [out[0], out[1]];
  }

  private dotShape(shapes: SymbolicShape[]): SymbolicShape {
    if (shapes.length !== 2) throw new Error(`${this.name} (Dot): expects exactly 2 inputs, got ${shapes.length}`);
    const [s0, s1] = shapes;
    if (s0.length < 2 || s1.length < 2) {
      throw new Error(`${this.name} (Dot): inputs need a batch axis and at least one more, got ${shapeText(s0)} and ${shapeText(s1)}`);
    }
    const [a0, a1] = this.axesFor(s0.length, s1.length);
    if (s0[a0] !== null && s1[a1] !== null && s0[a0] !== s1[a1]) {
      throw new Error(`${this.name} (Dot): input 0 ${shapeText(s0)} has ${s0[a0]} on axis ${a0} but input 1 ${shapeText(s1)} has ${s1[a1]} on axis ${a1}`);
    }
    if (s0[0] !== null && s1[0] !== null && s0[0] !== s1[0]) {
      throw new Error(`${this.name} (Dot): inputs have different batch sizes: ${shapeText(s0)} and ${shapeText(s1)}`);
    }
    const out = [s0[0] ?? s1[0], ...s0.filter((_, i) => i !== 0 && i !== a0), ...s1.filter((_, i) => i !== 0 && i !== a1)];
    return out.length === 1 ? [out[0], 1] : out;
  }

  override build(shape: SymbolicShape | SymbolicShape[]): void {
    this.dotShape(shapesOf(this, shape));
    this.built = true;
  }

  override computeOutputShape(shape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    return this.dotShape(shapesOf(this, shape));
  }

  call(inputs: Tensor | Tensor[], _kwargs: CallKwargs): Tensor {
    const xs = asList(this, inputs);
    const outShape = this.dotShape(xs.map((x) => x.shape)) as number[];
    let [x, y] = xs;
    const [a0, a1] = this.axesFor(x.rank, y.rank);
    if (this.normalize) {
      x = l2Normalize(x, a0);
      y = l2Normalize(y, a1);
    }
    // x → [batch, rest of x, k], y → [batch, k, rest of y], one batched matrix product.
    const perm0 = [0, ...x.shape.map((_, i) => i).filter((i) => i !== 0 && i !== a0), a0];
    const perm1 = [0, a1, ...y.shape.map((_, i) => i).filter((i) => i !== 0 && i !== a1)];
    const k = x.shape[a0];
    const batch = x.shape[0];
    const xt = ops.reshape(ops.transpose(x, perm0), [batch, -1, k]);
    const yt = ops.reshape(ops.transpose(y, perm1), [batch, k, -1]);
    return ops.reshape(ops.matMul(xt, yt), outShape.map((d, i) => (i === 0 ? batch : d)));
  }

  override computeMask(): Mask {
    return null;
  }

  override getConfig() {
    return { ...super.getConfig(), axes: this.axes, normalize: this.normalize };
  }
}

/** x / ‖x‖ along `axis` (Keras' l2_normalize: the squared norm floored at 1e-12). */
function l2Normalize(x: Tensor, axis: number): Tensor {
  return ops.mul(x, ops.rsqrt(ops.maximum(ops.sum(ops.square(x), axis, true), 1e-12)));
}

export const add = (args?: LayerArgs) => new Add(args);
export const subtract = (args?: LayerArgs) => new Subtract(args);
export const multiply = (args?: LayerArgs) => new Multiply(args);
export const average = (args?: LayerArgs) => new Average(args);
export const maximum = (args?: LayerArgs) => new Maximum(args);
export const minimum = (args?: LayerArgs) => new Minimum(args);
export const concatenate = (args?: ConcatenateArgs) => new Concatenate(args);
export const dot = (args: DotArgs) => new Dot(args);
