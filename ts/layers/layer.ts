/**
 * The base Layer, as TensorFlow.js' and Keras': weights (Variables in Keras layouts, with
 * optional regularizers and constraints), a build from the first input shape, masks, names,
 * getWeights/setWeights — and `apply`, which computes on real tensors, or, given symbolic
 * tensors (fe.input), records a node of a functional graph and returns symbolic outputs
 * whose shapes come from computeOutputShape.
 */
import { ENGINE } from '../engine';
import { variable } from '../ops/creation';
import * as ops from '../ops/index';
import { DType, Tensor, Variable } from '../tensor';
import { Constraint, getConstraint } from '../constraints';
import { getRegularizer, Regularizer } from '../regularizers';
import { getInitializer, Initializer } from './initializers';
import { fmt } from '../ops/util';
import { isSymbolic, Node, SymbolicTensor } from './symbolic';

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
  /** The input's dtype when this layer starts a model (default float32). */
  dtype?: DType;
  /** A penalty on the layer's output, added to the training loss (divided by the batch size). */
  activityRegularizer?: Regularizer | string | null;
}

/** What a single-input layer's call receives. */
export type CallContext = {
  training: boolean;
  mask: Tensor | null;
};

/** What call receives in general: masks are a list for list inputs; other keys per layer. */
export type CallKwargs = {
  training: boolean;
  mask: Tensor | (Tensor | null)[] | null;
  [key: string]: unknown;
};

/** Keyword arguments of apply(): training, mask, and layer-specific ones (initialState, …). */
export type ApplyArgs = {
  training?: boolean;
  mask?: Tensor | (Tensor | null)[] | null;
  [key: string]: unknown;
};

export type Mask = Tensor | (Tensor | null)[] | null;

const nameCounters = new Map<string, number>();

/** Keras-style unique names: dense, dense_1, dense_2, … */
export function uniqueName(base: string): string {
  const n = nameCounters.get(base) ?? 0;
  nameCounters.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

/** 'GlobalAveragePooling1D' → 'global_average_pooling1d'. */
export function snakeCaseName(className: string): string {
  return className.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

/** The static className of a layer class (TensorFlow.js' convention), else its JS name. */
function classNameOf(ctor: unknown): string {
  const c = ctor as { className?: unknown; name: string };
  return typeof c.className === 'string' ? c.className : c.name;
}

/** A regularization penalty computed on each training step (TensorFlow.js' addLoss form). */
export type LossFunction = () => Tensor;

let nextLayerId = 1;

export abstract class Layer {
  /** Keras class name ('Dense', 'Embedding', …): the class's static className. */
  static readonly className: string = 'Layer';
  readonly id = nextLayerId++;
  readonly name: string;
  private _trainable = true;
  built = false;
  /** Whether a mask arriving from upstream may pass through this layer. */
  supportsMasking = false;
  batchInputShape: SymbolicShape | null = null;
  /** The dtype of this layer's input when it starts a model. */
  dtype: DType = 'float32';
  /** Applications of this layer in functional graphs (one per call on symbolic tensors). */
  readonly inboundNodes: Node[] = [];
  activityRegularizer: Regularizer | null = null;
  protected weightList: Variable[] = [];
  /** The weights created trainable (BatchNorm's moving statistics are not). */
  private trainableKind = new Set<Variable>();
  private weightRegularizers: [Variable, Regularizer][] = [];
  private lossFunctions: LossFunction[] = [];
  /** Losses added during the current forward pass (activity penalties, addLoss(tensor)). */
  private callLosses: Tensor[] = [];

  constructor(args: LayerArgs = {}, defaultName?: string) {
    this.name = args.name ?? uniqueName(defaultName ?? snakeCaseName(classNameOf(new.target)));
    if (typeof this.name !== 'string' || this.name === '') throw new Error(`${classNameOf(new.target)}: name must be a non-empty string`);
    this._trainable = args.trainable ?? true;
    if (args.batchInputShape) this.batchInputShape = [...args.batchInputShape];
    else if (args.inputShape) this.batchInputShape = [args.batchSize ?? null, ...args.inputShape];
    else if (args.inputDim !== undefined) this.batchInputShape = [args.batchSize ?? null, args.inputDim];
    if (args.dtype) this.dtype = args.dtype;
    this.activityRegularizer = getRegularizer(args.activityRegularizer, `${this.name}: activityRegularizer`);
  }

  /** Keras class name, from the class's static `className`. */
  get className(): string {
    return classNameOf(this.constructor);
  }

  /** TensorFlow.js' accessor for the class name. */
  getClassName(): string {
    return this.className;
  }

  /**
   * Whether fit and optimizers update this layer's weights (Keras' and TensorFlow.js'
   * layer.trainable). Setting it sets the weights' own flags too.
   */
  get trainable(): boolean {
    return this._trainable;
  }

  set trainable(value: boolean) {
    this._trainable = value;
    for (const w of this.trainableKind) w.trainable = value;
  }

  /** Creates the weights for this input shape (or shapes, for a layer of several inputs). */
  build(inputShape: SymbolicShape | SymbolicShape[]): void {
    void inputShape;
    this.built = true;
  }

  /** The forward computation. */
  abstract call(inputs: Tensor | Tensor[], kwargs: CallKwargs): Tensor | Tensor[];

  /** Output shape(s) for input shape(s) (batch and other unknown dimensions null). */
  computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape | SymbolicShape[] {
    return inputShape;
  }

  /** The mask passed on downstream (default: the incoming one when the layer supports masking). */
  computeMask(inputs: Tensor | Tensor[], mask: Mask): Mask {
    void inputs;
    return this.supportsMasking ? mask : null;
  }

  /**
   * The calls on symbolic tensors, in order (tf.Layer's inbound nodes): what input, output,
   * getInputAt and getOutputAt read. A model counts its own inputs → outputs as call 0.
   */
  protected symbolicCalls(): { inputs: SymbolicTensor[]; outputs: SymbolicTensor[]; inputIsList: boolean; outputIsList: boolean }[] {
    return this.inboundNodes;
  }

  private callAt(what: string, nodeIndex: number) {
    const calls = this.symbolicCalls();
    if (calls.length === 0) throw new Error(`${this.name} (${this.className}): ${what}: the layer has not been called on symbolic tensors (fe.input), so it has no ${what.startsWith('getInput') || what === 'input' ? 'input' : 'output'} tensor`);
    if (!Number.isInteger(nodeIndex) || nodeIndex < 0 || nodeIndex >= calls.length) {
      throw new Error(`${this.name} (${this.className}): ${what}: node index ${nodeIndex} out of range (the layer was called ${calls.length} time${calls.length === 1 ? '' : 's'})`);
    }
    return calls[nodeIndex];
  }

  private onlyCall(what: string) {
    const n = this.symbolicCalls().length;
    if (n > 1) throw new Error(`${this.name} (${this.className}): the layer was called ${n} times, so it has no single ${what}; use ${what === 'input' ? 'getInputAt' : 'getOutputAt'}(nodeIndex)`);
    return this.callAt(what, 0);
  }

  /** The symbolic input of the layer's only call (a list when it took a list), as tf.Layer.input. */
  get input(): SymbolicTensor | SymbolicTensor[] {
    const c = this.onlyCall('input');
    return c.inputIsList ? [...c.inputs] : c.inputs[0];
  }

  /** The symbolic output of the layer's only call (a list for several outputs), as tf.Layer.output. */
  get output(): SymbolicTensor | SymbolicTensor[] {
    const c = this.onlyCall('output');
    return c.outputIsList ? [...c.outputs] : c.outputs[0];
  }

  getInputAt(nodeIndex: number): SymbolicTensor | SymbolicTensor[] {
    const c = this.callAt('getInputAt', nodeIndex);
    return c.inputIsList ? [...c.inputs] : c.inputs[0];
  }

  getOutputAt(nodeIndex: number): SymbolicTensor | SymbolicTensor[] {
    const c = this.callAt('getOutputAt', nodeIndex);
    return c.outputIsList ? [...c.outputs] : c.outputs[0];
  }

  /** The output shape(s) of the layer's calls, which must agree (tf.Layer.outputShape). */
  get outputShape(): SymbolicShape | SymbolicShape[] {
    const calls = this.symbolicCalls();
    if (calls.length === 0) throw new Error(`${this.name} (${this.className}): outputShape: the layer has not been called on symbolic tensors (fe.input), so its output shape is not known`);
    const shapeOf = (c: (typeof calls)[number]) => (c.outputIsList ? c.outputs.map((t) => [...t.shape]) : [...c.outputs[0].shape]);
    const first = JSON.stringify(shapeOf(calls[0]));
    if (calls.some((c) => JSON.stringify(shapeOf(c)) !== first)) {
      throw new Error(`${this.name} (${this.className}): outputShape: the layer's calls have different output shapes; use getOutputAt(nodeIndex).shape`);
    }
    return shapeOf(calls[0]) as SymbolicShape | SymbolicShape[];
  }

  /** The dtype of the outputs a symbolic call gives (default float32). */
  protected computeOutputDtype(inputs: SymbolicTensor[]): DType {
    void inputs;
    return 'float32';
  }

  /**
   * Calls the layer. On tensors it computes (building the weights on first use); on symbolic
   * tensors (fe.input, or another layer's symbolic output) it adds a node to the graph and
   * returns symbolic outputs, for fe.model({ inputs, outputs }).
   */
  apply(inputs: SymbolicTensor | SymbolicTensor[], kwargs?: ApplyArgs): SymbolicTensor | SymbolicTensor[];
  apply(inputs: Tensor, kwargs?: ApplyArgs): Tensor;
  apply(inputs: Tensor[], kwargs?: ApplyArgs): Tensor | Tensor[];
  apply(inputs: Tensor | Tensor[], kwargs?: ApplyArgs): Tensor | Tensor[];
  apply(inputs: Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[], kwargs: ApplyArgs = {}): Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[] {
    [inputs, kwargs] = this.normalizeCallArgs(inputs, kwargs);
    const symbolicKwargs = Object.values(kwargs).some((v) => isSymbolic(v));
    if (isSymbolic(inputs) || symbolicKwargs) return this.applySymbolic(inputs as SymbolicTensor | SymbolicTensor[], kwargs);
    return this.invoke(inputs as Tensor | Tensor[], kwargs).outputs;
  }

  /**
   * Moves keyword arguments that are really inputs into the input list (a recurrent layer's
   * initialState, as TensorFlow.js and Keras 2 record it). Default: unchanged.
   */
  protected normalizeCallArgs<T>(inputs: T, kwargs: ApplyArgs): [T, ApplyArgs] {
    return [inputs, kwargs];
  }

  /** Shapes of real or symbolic inputs, one or a list. */
  private static shapesOf(inputs: (Tensor | SymbolicTensor)[], list: boolean): SymbolicShape | SymbolicShape[] {
    const shapes = inputs.map((t) => [...t.shape] as SymbolicShape);
    return list ? shapes : shapes[0];
  }

  /** Builds the weights for these input shapes if not built yet. */
  protected maybeBuild(shapes: SymbolicShape | SymbolicShape[]): void {
    if (this.built) return;
    this.build(shapes);
    this.built = true;
  }

  /**
   * Computes on real tensors: builds if needed, calls, and gives the outputs and the mask(s)
   * they carry on. `mask` is the incoming mask (one, or one per input of a list).
   */
  invoke(inputs: Tensor | Tensor[], kwargs: ApplyArgs = {}): { outputs: Tensor | Tensor[]; mask: Mask } {
    const list = Array.isArray(inputs);
    const flat = list ? inputs : [inputs];
    for (const [i, t] of flat.entries()) {
      if (!(t instanceof Tensor)) {
        throw new Error(`${this.name} (${this.className}): input ${i} is not a tensor (got ${t === null ? 'null' : typeof t})`);
      }
    }
    this.maybeBuild(Layer.shapesOf(flat, list));
    const mask = (kwargs.mask ?? null) as Mask;
    const outputs = this.call(inputs, { ...kwargs, training: kwargs.training ?? false, mask });
    if (this.activityRegularizer) {
      for (const y of Array.isArray(outputs) ? outputs : [outputs]) {
        const batch = y.rank > 0 ? Math.max(y.shape[0], 1) : 1;
        this.callLosses.push(ops.div(this.activityRegularizer.apply(y), batch));
      }
    }
    return { outputs, mask: this.computeMask(inputs, mask) };
  }

  /** Adds a node for a call on symbolic tensors; returns the symbolic outputs. */
  private applySymbolic(inputs: SymbolicTensor | SymbolicTensor[], kwargs: ApplyArgs): SymbolicTensor | SymbolicTensor[] {
    const list = Array.isArray(inputs);
    const flat = list ? inputs : [inputs];
    for (const [i, t] of flat.entries()) {
      if (!(t instanceof SymbolicTensor)) {
        throw new Error(
          `${this.name} (${this.className}): input ${i} is a ${(t as unknown) instanceof Tensor ? 'real tensor' : typeof t}, but the others are symbolic: ` +
            'a layer applied to symbolic tensors (fe.input) takes only symbolic tensors',
        );
      }
    }
    const shapes = Layer.shapesOf(flat, list);
    this.maybeBuild(shapes);
    const out = this.computeOutputShape(shapes);
    const several = out.length > 0 && Array.isArray(out[0]);
    const outShapes = (several ? out : [out]) as SymbolicShape[];
    const { training: _t, mask: _m, ...rest } = kwargs;
    void _t;
    void _m;
    const node = new Node(this, flat, list, rest);
    const dtype = this.computeOutputDtype(flat);
    const index = this.inboundNodes.length;
    node.outputs = outShapes.map((s, i) => new SymbolicTensor(dtype, s, node, i, `${this.name}/out${index}${several ? `_${i}` : ''}`));
    node.outputIsList = several;
    this.inboundNodes.push(node);
    return several ? node.outputs : node.outputs[0];
  }

  /**
   * Adds a weight, initialised now, in Keras layout (TensorFlow.js' signature):
   * its manifest name is '<layer>/<name>'.
   */
  addWeight(
    name: string,
    shape: number[],
    dtype?: DType,
    initializer?: Initializer | string,
    regularizer?: Regularizer | string | null,
    trainable = true,
    constraint?: Constraint | string | null,
  ): Variable {
    const where = `${this.name} (${this.className}).addWeight('${name}')`;
    if (this.weightList.some((w) => w.name === `${this.name}/${name}`)) throw new Error(`${where}: the layer already has a weight named '${name}'`);
    const type = dtype ?? 'float32';
    const t = getInitializer(initializer ?? (type === 'float32' ? 'glorotUniform' : 'zeros'), this.name).apply(shape);
    const init = t.dtype === type ? t : ops.cast(t, type);
    const v = variable(init, trainable, `${this.name}/${name}`);
    if (init !== t) init.dispose();
    t.dispose();
    // The variable keeps its own trainability (BatchNorm's moving statistics have none);
    // a frozen layer's trainable weights are frozen too.
    if (trainable) {
      this.trainableKind.add(v);
      v.trainable = this._trainable;
    }
    const reg = getRegularizer(regularizer, where);
    if (reg) this.weightRegularizers.push([v, reg]);
    v.constraint = getConstraint(constraint, where);
    this.weightList.push(v);
    return v;
  }

  /**
   * Adds a loss (TensorFlow.js: a function giving a scalar, evaluated every training step;
   * Keras: a scalar tensor computed inside call(), counted for that forward pass).
   */
  addLoss(loss: LossFunction | LossFunction[] | Tensor): void {
    if (loss instanceof Tensor) {
      if (loss.size !== 1) throw new Error(`${this.name}.addLoss: expected a scalar loss, got shape ${fmt(loss.shape)}`);
      this.callLosses.push(loss);
      return;
    }
    for (const f of Array.isArray(loss) ? loss : [loss]) {
      if (typeof f !== 'function') throw new Error(`${this.name}.addLoss: expected a function, a list of functions, or a scalar tensor`);
      this.lossFunctions.push(f);
    }
  }

  /**
   * @internal this layer's penalties for the current step: weight regularizers, loss
   * functions, and the losses its calls added since the last collection (which are cleared).
   */
  collectLosses(): Tensor[] {
    const out: Tensor[] = [];
    if (this._trainable) {
      for (const [v, r] of this.weightRegularizers) if (v.trainable) out.push(r.apply(v));
    }
    for (const f of this.lossFunctions) out.push(f());
    out.push(...this.callLosses);
    this.callLosses = [];
    return out;
  }

  /** @internal drops losses recorded by calls (e.g. after inference). */
  clearCallLosses(): void {
    this.callLosses = [];
  }

  /** The regularization penalties of the weights and loss functions, now (TensorFlow.js' layer.losses). */
  get losses(): Tensor[] {
    return [...this.weightRegularizers.map(([v, r]) => r.apply(v)), ...this.lossFunctions.map((f) => f())];
  }

  get weights(): Variable[] {
    return this.weightList;
  }

  get trainableWeights(): Variable[] {
    return this._trainable ? this.weightList.filter((w) => this.trainableKind.has(w) && w.trainable) : [];
  }

  get nonTrainableWeights(): Variable[] {
    return this._trainable ? this.weightList.filter((w) => !(this.trainableKind.has(w) && w.trainable)) : this.weightList;
  }

  /** Copies of the weights' values, in Keras order and layout. */
  getWeights(): Tensor[] {
    return this.weights.map((w) => w.clone());
  }

  /** Sets the weights from tensors of the same shapes (Keras order). */
  setWeights(weights: Tensor[]): void {
    const mine = this.weights;
    if (weights.length !== mine.length) {
      throw new Error(`${this.name}.setWeights: expected ${mine.length} weights, got ${weights.length}`);
    }
    weights.forEach((w, i) => {
      const v = mine[i];
      if (w.rank !== v.rank || w.shape.some((d, j) => d !== v.shape[j])) {
        throw new Error(`${this.name}.setWeights: weight ${v.name} expects shape ${fmt(v.shape)}, got ${fmt(w.shape)}`);
      }
    });
    weights.forEach((w, i) => mine[i].assign(w));
  }

  countParams(): number {
    return this.weights.reduce((n, w) => n + w.size, 0);
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
    this.trainableKind.clear();
    this.weightRegularizers = [];
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

  /** Adopts weights created by inner layers (wrappers): their trainability kind carries over. */
  protected adoptWeights(inner: Layer[]): void {
    this.weightList = inner.flatMap((l) => l.weights);
    this.trainableKind = new Set(inner.flatMap((l) => l.weights.filter((w) => l.trainableKind.has(w))));
    for (const w of this.trainableKind) w.trainable = this._trainable && inner.every((l) => !l.weights.includes(w) || l.trainable);
  }
}

/** Whether a backend is running (layers can be constructed before ready(), not built). */
export function backendReady(): boolean {
  return ENGINE.backend !== null;
}

/** One tensor from a call's inputs, or a clear error naming the layer. */
export function singleInput(layer: Layer, inputs: Tensor | Tensor[]): Tensor {
  if (!Array.isArray(inputs)) return inputs;
  if (inputs.length === 1) return inputs[0];
  throw new Error(`${layer.name} (${layer.className}): expected one input tensor, got a list of ${inputs.length}`);
}
