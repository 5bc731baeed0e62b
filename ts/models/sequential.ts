/**
 * Sequential: a chain of layers, each applied to the previous one's output — a functional
 * model whose graph is built as soon as the input shape is known (the first layer's
 * inputShape / batchInputShape / inputLength, or an fe.input added first), otherwise at the
 * first call with the data's shape. Training, saving and summaries are LayersModel's.
 */
import { InputLayer } from '../layers/input-layer';
import { Layer, SymbolicShape, uniqueName } from '../layers/layer';
import { SymbolicTensor } from '../layers/symbolic';
import type { Tensor } from '../tensor';
import { compileModel, type CompileArgs } from './compile';
import { LayersModel } from './functional';
import type { Graph } from './graph';
import { printSummary } from './summary';

export interface SequentialArgs {
  layers?: Layer[];
  name?: string;
}

export class Sequential extends LayersModel {
  static override readonly className = 'Sequential';
  private chain: Layer[] = [];
  private inputTensor: SymbolicTensor | null = null;
  private compileArgs: CompileArgs | null = null;

  constructor(args: SequentialArgs = {}) {
    super({ name: args.name ?? uniqueName('sequential') });
    if (args.layers !== undefined && !Array.isArray(args.layers)) throw new Error(`${this.name}: layers must be a list of layers`);
    for (const l of args.layers ?? []) this.add(l);
  }

  /** The layers of the chain (without the input layer, as Keras and TensorFlow.js). */
  override get layers(): Layer[] {
    return this.chain;
  }

  /**
   * Adds a layer at the end of the chain; `fe.input(...)` (or an InputLayer) added first sets
   * the input shape.
   */
  add(layer: Layer | SymbolicTensor): void {
    if (layer instanceof SymbolicTensor) {
      if (!(layer.sourceLayer instanceof InputLayer)) {
        throw new Error(`${this.name}.add: a symbolic tensor added to a Sequential must come from fe.input(), got the output of '${layer.sourceLayer.name}'`);
      }
      layer = layer.sourceLayer;
    }
    if (!(layer instanceof Layer)) throw new Error(`${this.name}.add: expected a layer, got ${layer === null ? 'null' : typeof layer}`);
    if (layer instanceof InputLayer) {
      if (this.chain.length || this.inputTensor) throw new Error(`${this.name}.add: an input layer can only come first`);
      this.inputTensor = layer.output;
      return;
    }
    if (this.chain.includes(layer)) throw new Error(`${this.name}.add: layer '${layer.name}' is already in the model`);
    if (!this.inputTensor && this.chain.length === 0 && layer.batchInputShape) {
      this.inputTensor = new InputLayer({ batchInputShape: layer.batchInputShape, dtype: layer.dtype, name: uniqueName(`${layer.name}_input`) }).output;
    }
    const last = this.outputs[0] ?? (this.chain.length === 0 ? this.inputTensor : null);
    this.chain.push(layer);
    if (last) {
      try {
        this.connect(last, layer);
      } catch (e) {
        this.chain.pop();
        throw e;
      }
    }
  }

  /** Applies `layer` to `from` and makes its output the model's. */
  private connect(from: SymbolicTensor, layer: Layer): void {
    const out = layer.apply(from);
    if (Array.isArray(out)) {
      throw new Error(`${this.name}.add: layer '${layer.name}' (${layer.className}) has ${out.length} outputs; a Sequential model needs layers with one output`);
    }
    this.setGraph([this.inputTensor!], [out]);
  }

  /** Removes the last layer. */
  pop(): void {
    if (this.chain.length === 0) throw new Error(`${this.name}.pop: there are no layers to remove`);
    this.chain.pop();
    this.graph = null;
    this.outputs = [];
    if (this.inputTensor) {
      let out = this.inputTensor;
      for (const l of this.chain) out = l.apply(out) as SymbolicTensor;
      if (this.chain.length) this.setGraph([this.inputTensor], [out]);
    }
    this.built = this.graph !== null;
  }

  /** Builds every layer for an input shape (batch may be null). */
  override build(inputShape?: SymbolicShape | SymbolicShape[]): void {
    if (this.graph) return;
    const shape = (inputShape && Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as SymbolicShape | undefined;
    if (!this.inputTensor) {
      if (!shape) {
        throw new Error(`${this.name}: the input shape is unknown — give the first layer inputShape (or inputLength), or call fit/predict first`);
      }
      this.inputTensor = new InputLayer({ batchInputShape: [null, ...shape.slice(1)], dtype: this.chain[0]?.dtype, name: uniqueName(`${this.name}_input`) }).output;
    }
    if (this.chain.length === 0) throw new Error(`${this.name}: the model has no layers`);
    let out = this.inputTensor;
    for (const l of this.chain) {
      const o = l.apply(out);
      if (Array.isArray(o)) throw new Error(`${this.name}: layer '${l.name}' (${l.className}) has ${o.length} outputs; a Sequential model needs layers with one output`);
      out = o;
    }
    this.setGraph([this.inputTensor], [out]);
    if (this.compileArgs && this.compiled) this.compileNow(this.compileArgs);
  }

  protected override ensureGraph(xs: Tensor[], what: string): Graph {
    if (!this.graph) {
      if (this.chain.length === 0) throw new Error(`${this.name}.${what}: the model has no layers`);
      const x = xs[0];
      this.build([null, ...x.shape.slice(1)]);
    }
    return this.graph!;
  }

  protected override compileGraph(): Graph | null {
    return this.graph;
  }

  override compile(args: CompileArgs): void {
    this.compileArgs = args;
    this.compiled = null;
    this.compileNow(args);
  }

  /** Resolves compile() now; an unbuilt model is compiled again (same optimizer) once built. */
  private compileNow(args: CompileArgs): void {
    const optimizer = this.compiled?.optimizer ?? args.optimizer;
    const g = this.graph;
    const last = this.chain[this.chain.length - 1];
    const units = g ? [g.outputs[0].shape[g.outputs[0].shape.length - 1] ?? null] : [null];
    this.compiled = compileModel(this.name, { ...args, optimizer }, [g ? this.outputNames[0] : (last?.name ?? 'output')], units, this.trainableWeights);
  }

  override get inputNames(): string[] {
    return this.inputTensor ? [this.inputTensor.sourceLayer.name] : ['input'];
  }

  override get outputNames(): string[] {
    return this.graph ? super.outputNames : [this.chain[this.chain.length - 1]?.name ?? 'output'];
  }

  /** Outputs for x, batch by batch (inference mode): a Sequential has one output. */
  override predict(x: Tensor | Tensor[] | Record<string, Tensor>, args: { batchSize?: number; verbose?: number } = {}): Tensor {
    return super.predict(x, args) as Tensor;
  }

  override summary(lineLength?: number, positions?: number[], printFn: (line: string) => void = console.log): void {
    void positions;
    if (!this.graph) this.build();
    printSummary(this, this.graph!, lineLength, printFn, false);
  }
}

/** fe.sequential({ layers }) as in TensorFlow.js. */
export function sequential(args: SequentialArgs = {}): Sequential {
  return new Sequential(args);
}
