/**
 * The base Layer: weights (as Variables, in Keras layouts), lazy build from the first input
 * shape, masks, Keras-style names, getWeights/setWeights.
 */
import { ENGINE } from '../engine';
import { variable } from '../ops/creation';
import { Tensor, Variable } from '../tensor';
import { getInitializer, Initializer } from './initializers';
import { fmt } from '../ops/util';

/** A shape with null for the batch (or any unknown) dimension. */
export type SymbolicShape = (number | null)[];

export interface LayerArgs {
  name?: string;
  trainable?: boolean;
  /** Shape of one sample (no batch axis), for the first layer of a model. */
  inputShape?: (number | null)[];
  /** Full input shape with the batch axis (null for any). */
  batchInputShape?: (number | null)[];
  batchSize?: number;
  /** Keras' shorthand for inputShape [inputDim] on 2-D layers. */
  inputDim?: number;
}

export interface CallContext {
  training: boolean;
  mask: Tensor | null;
}

const nameCounters = new Map<string, number>();

/** Keras-style unique names: dense, dense_1, dense_2, … */
export function uniqueName(base: string): string {
  const n = nameCounters.get(base) ?? 0;
  nameCounters.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

function snake(className: string): string {
  return className.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

export abstract class Layer {
  /** Keras class name ('Dense', 'Embedding', …). */
  abstract readonly className: string;
  readonly name: string;
  private _trainable = true;
  built = false;
  /** Whether a mask arriving from upstream may pass through this layer. */
  supportsMasking = false;
  batchInputShape: SymbolicShape | null = null;
  protected weightList: Variable[] = [];

  constructor(args: LayerArgs = {}, defaultName?: string) {
    this.name = args.name ?? uniqueName(defaultName ?? snake(new.target.name));
    this.trainable = args.trainable ?? true;
    if (args.batchInputShape) this.batchInputShape = [...args.batchInputShape];
    else if (args.inputShape) this.batchInputShape = [args.batchSize ?? null, ...args.inputShape];
    else if (args.inputDim !== undefined) this.batchInputShape = [args.batchSize ?? null, args.inputDim];
  }

  /** Whether fit and optimizers update this layer's weights (settable, as Keras' layer.trainable). */
  get trainable(): boolean {
    return this._trainable;
  }

  set trainable(value: boolean) {
    this._trainable = value;
    for (const w of this.weightList) w.requiresGrad = value && w.trainable;
  }

  /** Creates the weights for this input shape. */
  build(inputShape: SymbolicShape): void {
    void inputShape;
    this.built = true;
  }

  /** The forward computation. */
  abstract call(x: Tensor, ctx: CallContext): Tensor;

  /** Output shape for an input shape (batch may be null). */
  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }

  /** The mask passed on downstream (default: pass through when supported). */
  computeMask(x: Tensor, mask: Tensor | null): Tensor | null {
    void x;
    return this.supportsMasking ? mask : null;
  }

  /** Builds on first use, then calls. */
  apply(x: Tensor, ctx: Partial<CallContext> = {}): Tensor {
    if (!this.built) this.build(x.shape);
    return this.call(x, { training: ctx.training ?? false, mask: ctx.mask ?? null });
  }

  /** Adds a weight, initialised now, in Keras layout. */
  protected addWeight(name: string, shape: number[], init: Initializer | string, trainable = true): Variable {
    const t = getInitializer(init, this.name).apply(shape);
    // The variable keeps its own trainability (BatchNorm's moving statistics have none);
    // a frozen layer only stops its gradients.
    const v = variable(t, trainable, `${this.name}/${name}`);
    v.requiresGrad = trainable && this._trainable;
    t.dispose();
    this.weightList.push(v);
    return v;
  }

  get weights(): Variable[] {
    return this.weightList;
  }

  get trainableWeights(): Variable[] {
    return this.trainable ? this.weightList.filter((w) => w.trainable) : [];
  }

  get nonTrainableWeights(): Variable[] {
    return this.trainable ? this.weightList.filter((w) => !w.trainable) : this.weightList;
  }

  /** Copies of the weights' values, in Keras order and layout. */
  getWeights(): Tensor[] {
    return this.weightList.map((w) => w.clone());
  }

  /** Sets the weights from tensors of the same shapes (Keras order). */
  setWeights(weights: Tensor[]): void {
    if (weights.length !== this.weightList.length) {
      throw new Error(`${this.name}.setWeights: expected ${this.weightList.length} weights, got ${weights.length}`);
    }
    weights.forEach((w, i) => {
      const v = this.weightList[i];
      if (w.rank !== v.rank || w.shape.some((d, j) => d !== v.shape[j])) {
        throw new Error(`${this.name}.setWeights: weight ${v.name} expects shape ${fmt(v.shape)}, got ${fmt(w.shape)}`);
      }
    });
    weights.forEach((w, i) => this.weightList[i].assign(w));
  }

  countParams(): number {
    return this.weightList.reduce((n, w) => n + w.size, 0);
  }

  /** Keras config keys (camelCase, as TensorFlow.js). */
  getConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = { name: this.name, trainable: this.trainable };
    if (this.batchInputShape) c.batchInputShape = this.batchInputShape;
    return c;
  }

  /** Frees the weights. */
  dispose(): void {
    for (const w of this.weightList) w.dispose();
    this.weightList = [];
    this.built = false;
  }

  /** Throws a clear error naming this layer when `x` does not fit `expected` (null = any). */
  protected assertInput(x: Tensor, expected: SymbolicShape): void {
    const ok = x.rank === expected.length && expected.every((d, i) => d === null || d === x.shape[i]);
    if (!ok) {
      throw new Error(
        `${this.name} (${this.className}): expected input shape ${fmt(expected.map((d) => d ?? 'null') as unknown as number[])}, got ${fmt(x.shape)}`,
      );
    }
  }
}

/** Whether a backend is running (layers can be constructed before ready(), not built). */
export function backendReady(): boolean {
  return ENGINE.backend !== null;
}
