/**
 * LayersModel: a graph of layers from symbolic inputs to outputs (fe.model({ inputs,
 * outputs })), trained, evaluated, saved — and itself a layer, so a model can be applied
 * inside another model. Sequential (sequential.ts) is the special case of a chain.
 */
import type { CallbackHooks, Logs } from '../callbacks';
import { Dense } from '../layers/dense';
import { InputLayer } from '../layers/input-layer';
import { CallKwargs, Layer, Mask, SymbolicShape } from '../layers/layer';
import { Node, SymbolicTensor } from '../layers/symbolic';
import * as ops from '../ops/index';
import { rngFor, shuffleInPlace } from '../ops/random';
import { fmt } from '../ops/util';
import type { Optimizer } from '../optimizers/optimizer';
import { Tensor, Variable } from '../tensor';
import { modelTopology, saveModel } from '../io/save';
import type { IOHandler, SaveConfig, SaveResult } from '../io/types';
import { compileModel, logNames, type CompileArgs, type Compiled } from './compile';
import { checkFinite, gatherRows, sampleCount, sliceRows, standardize, type TensorData } from './data-adapter';
import { classWeightsPerOutput, sampleWeightsPerOutput, weightsFromClasses, type ClassWeight, type ClassWeightArg } from './sample-weights';
import { buildGraph, inferShapes, runGraph, type Graph } from './graph';
import { printSummary } from './summary';
import type { Dataset } from '../data/dataset/dataset';
import { evaluateDataset as evaluateFromDataset, fitDataset as fitFromDataset, type EvaluateDatasetArgs, type FitDatasetArgs } from './fit-dataset';
import {
  evaluateTensors, History, predictTensors, trainingLoop, trainStep, testStep,
  type Batch, type Head, type TrainableModel,
} from './training';

export interface ModelArgs {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
}

export interface FitArgs {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  validationSplit?: number;
  /** [x, y]: tensors, lists or maps as for fit's x and y. */
  validationData?: [TensorData, TensorData];
  callbacks?: CallbackHooks | CallbackHooks[];
  /** 0 silent, 1 progress bar (one line per epoch when not a terminal), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  initialEpoch?: number;
  /**
   * When fit lets the event loop run (timers, UI): after every 'epoch' (and 'auto', the
   * default), every 'batch', every N milliseconds, or 'never'.
   */
  yieldEvery?: 'auto' | 'batch' | 'epoch' | 'never' | number;
  /** TensorFlow.js' option for data sets; with tensors fit uses every sample each epoch. */
  stepsPerEpoch?: number;
  /** A loss weight per class of the targets: { class: weight } (a list or a map by output name for several outputs). */
  classWeight?: ClassWeightArg;
  /** A loss weight per sample: a [n] tensor (a list or a map by output name for several outputs). */
  sampleWeight?: Tensor | (Tensor | null)[] | Record<string, Tensor>;
}

let modelCounter = 0;

/** The activation a fused loss can take over from this layer (Dense or TimeDistributed(Dense)). */
function logitsActivation(l: Layer): Head {
  if (l.activityRegularizer) return null;
  const a = (l as { activation?: unknown }).activation;
  const hasLogits = l instanceof Dense || typeof (l as { callLogits?: unknown }).callLogits === 'function';
  return hasLogits && (a === 'sigmoid' || a === 'softmax') ? a : null;
}

/** Unique names for a list: repeated names get _1, _2 … (Keras' output names). */
function uniquify(names: string[]): string[] {
  const count = new Map<string, number>();
  return names.map((n) => {
    const k = count.get(n) ?? 0;
    count.set(n, k + 1);
    return names.indexOf(n) === names.lastIndexOf(n) ? n : `${n}_${k + 1}`;
  });
}

export class LayersModel extends Layer implements TrainableModel {
  static override readonly className: string = 'Model';
  inputs: SymbolicTensor[] = [];
  outputs: SymbolicTensor[] = [];
  protected graph: Graph | null = null;

  /** Call 0 is the model's own inputs → outputs (as TensorFlow.js), then its uses as a layer. */
  protected override symbolicCalls() {
    if (this.inputs.length === 0) return this.inboundNodes;
    return [{ inputs: this.inputs, outputs: this.outputs, inputIsList: this.inputs.length > 1, outputIsList: this.outputs.length > 1 }, ...this.inboundNodes];
  }
  /** Set by callbacks to end fit after the current epoch. */
  stopTraining = false;
  compiled: Compiled | null = null;
  private lastOutputMasks: (Tensor | null)[] = [];
  private userMetadata: Record<string, unknown> | undefined;

  constructor(args: ModelArgs | { name?: string }, defaultName = 'model') {
    super({ name: args.name ?? (modelCounter++ === 0 ? defaultName : `${defaultName}_${modelCounter - 1}`) });
    if ('inputs' in args || 'outputs' in args) {
      const a = args as ModelArgs;
      if (!a.inputs || !a.outputs) throw new Error(`${this.name}: fe.model needs { inputs, outputs }`);
      this.setGraph(([] as SymbolicTensor[]).concat(a.inputs), ([] as SymbolicTensor[]).concat(a.outputs));
    }
  }

  /** Sets (or replaces) the graph between these inputs and outputs. */
  protected setGraph(inputs: SymbolicTensor[], outputs: SymbolicTensor[]): void {
    this.graph = buildGraph(this.name, inputs, outputs);
    this.inputs = inputs;
    this.outputs = outputs;
    this.built = true;
    this.batchInputShape = inputs.length === 1 ? [...inputs[0].shape] : null;
  }

  /** @internal the graph, or an error saying the model is not built yet. */
  protected requireGraph(what: string): Graph {
    if (!this.graph) throw new Error(`${this.name}.${what}: the model is not built yet — give its first layer an inputShape, or call fit/predict first`);
    return this.graph;
  }

  /** The layers, in Keras' order (inputs first). */
  get layers(): Layer[] {
    return this.graph ? this.graph.layers : [];
  }

  /** The names of the inputs (their InputLayers'). */
  get inputNames(): string[] {
    return this.inputs.map((t) => t.sourceLayer.name);
  }

  /** The names of the outputs (their layers', made unique), as Keras uses in logs. */
  get outputNames(): string[] {
    return uniquify(this.outputs.map((t) => t.sourceLayer.name));
  }

  get inputLayers(): Layer[] {
    return this.inputs.map((t) => t.sourceLayer);
  }

  get outputLayers(): Layer[] {
    return this.outputs.map((t) => t.sourceLayer);
  }

  /** The optimizer given to compile(). */
  get optimizer(): Optimizer | null {
    return this.compiled?.optimizer ?? null;
  }

  /** Names of the values evaluate() returns, in order (TensorFlow.js' metricsNames). */
  get metricsNames(): string[] {
    return this.compiled ? logNames(this.compiled) : [];
  }

  /** A layer by name or by index in `layers`. */
  getLayer(nameOrIndex: string | number): Layer {
    if (typeof nameOrIndex === 'number') {
      const l = this.layers[nameOrIndex];
      if (!l) throw new Error(`${this.name}.getLayer: index ${nameOrIndex} is out of range (the model has ${this.layers.length} layers)`);
      return l;
    }
    const l = this.layers.find((x) => x.name === nameOrIndex);
    if (!l) throw new Error(`${this.name}.getLayer: no layer named '${nameOrIndex}' (layers: ${this.layers.map((x) => x.name).join(', ')})`);
    return l;
  }

  // ---- weights --------------------------------------------------------------------------

  private static unique(vs: Variable[]): Variable[] {
    return [...new Set(vs)];
  }

  /** Every weight, layer by layer (Keras' order). */
  override get weights(): Variable[] {
    return LayersModel.unique(this.layers.flatMap((l) => l.weights));
  }

  override get trainableWeights(): Variable[] {
    return this.trainable ? LayersModel.unique(this.layers.flatMap((l) => l.trainableWeights)) : [];
  }

  override get nonTrainableWeights(): Variable[] {
    const trainable = new Set(this.trainableWeights);
    return this.weights.filter((w) => !trainable.has(w));
  }

  /** Freezes or unfreezes every layer of the model (Keras' model.trainable). */
  override get trainable(): boolean {
    return super.trainable;
  }

  override set trainable(value: boolean) {
    super.trainable = value;
    for (const l of this.layers) l.trainable = value;
  }

  /** PyTorch style: the trainable parameters. */
  parameters(): Variable[] {
    return this.trainableWeights;
  }

  // ---- running --------------------------------------------------------------------------

  /** A functional model is built when it is made (its layers were built by the symbolic calls). */
  override build(inputShape?: SymbolicShape | SymbolicShape[]): void {
    void inputShape;
  }

  /** Checks tensors for the inputs against the inputs' shapes (batch and unknown dims free). */
  protected checkInputs(xs: Tensor[]): void {
    this.inputs.forEach((t, i) => {
      const x = xs[i];
      const ok = x.rank === t.rank && t.shape.every((d, j) => j === 0 || d === null || d === x.shape[j]);
      if (!ok) {
        throw new Error(
          `${this.name}: '${t.sourceLayer.name}' expected input of shape [${t.shape.map((d) => d ?? 'null').join(', ')}], got ${fmt(x.shape)}`,
        );
      }
    });
  }

  /** @internal builds a model whose input shape became known only now (Sequential). */
  protected ensureGraph(xs: Tensor[], what: string): Graph {
    void xs;
    return this.requireGraph(what);
  }

  forward(xs: Tensor[], training: boolean, heads?: Head[], inputMasks?: (Tensor | null)[]): Tensor[] {
    const graph = this.ensureGraph(xs, 'forward');
    if (xs.length !== graph.inputs.length) throw new Error(`${this.name}: expected ${graph.inputs.length} inputs, got ${xs.length}`);
    this.checkInputs(xs);
    const logits = new Set<Node>();
    heads?.forEach((h, i) => {
      if (h) logits.add(graph.outputs[i].node);
    });
    const r = runGraph(graph, xs, { training, logits, inputMasks });
    this.lastOutputMasks = r.masks;
    return r.outputs;
  }

  /** Which outputs a fused loss can take as logits: a final Dense with sigmoid/softmax read by nothing else. */
  headActivations(): Head[] {
    const graph = this.graph;
    if (!graph) return [];
    return graph.outputs.map((t) => {
      const node = t.node;
      if (node.outputs.length !== 1 || (graph.consumers.get(t.id) ?? 0) > 0) return null;
      if (graph.outputs.filter((o) => o === t).length > 1) return null;
      return logitsActivation(node.layer);
    });
  }

  call(inputs: Tensor | Tensor[], kwargs: CallKwargs): Tensor | Tensor[] {
    const xs = Array.isArray(inputs) ? inputs : [inputs];
    const m = kwargs.mask;
    const inputMasks = m === null || m === undefined ? undefined : Array.isArray(m) ? m : [m];
    const outs = this.forward(xs, kwargs.training, undefined, inputMasks);
    return outs.length === 1 ? outs[0] : outs;
  }

  override computeMask(_inputs: Tensor | Tensor[], _mask: Mask): Mask {
    const m = this.lastOutputMasks;
    return m.length === 1 ? m[0] : m.length ? m : null;
  }

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape | SymbolicShape[] {
    const graph = this.requireGraph('computeOutputShape');
    const shapes = (inputShape.length > 0 && Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as SymbolicShape[];
    if (shapes.length !== graph.inputs.length) throw new Error(`${this.name}: expected ${graph.inputs.length} inputs, got ${shapes.length}`);
    const out = inferShapes(graph, shapes);
    return out.length === 1 ? out[0] : out;
  }

  override collectLosses(): Tensor[] {
    return [...super.collectLosses(), ...this.layers.flatMap((l) => l.collectLosses())];
  }

  override clearCallLosses(): void {
    super.clearCallLosses();
    for (const l of this.layers) l.clearCallLosses();
  }

  // ---- training -------------------------------------------------------------------------

  compile(args: CompileArgs): void {
    const graph = this.compileGraph();
    const units = graph ? graph.outputs.map((t) => t.shape[t.shape.length - 1] ?? null) : [null];
    const names = graph ? this.outputNames : ['output'];
    this.compiled = compileModel(this.name, args, names, units, this.trainableWeights);
  }

  /** @internal the graph compile() reads output names from (Sequential may not have one yet). */
  protected compileGraph(): Graph | null {
    return this.requireGraph('compile');
  }

  private data(x: TensorData, y: TensorData | null, what: string): { xs: Tensor[]; ys: (Tensor | null)[]; n: number } {
    const who = `${this.name}.${what}`;
    const xs = standardize(who, 'inputs', x, this.graph ? this.inputNames : ['input']) as Tensor[];
    this.ensureGraph(xs, what);
    const optional = new Set(this.compiled?.outputs.filter((o) => !o.lossFn).map((o) => o.name) ?? []);
    const ys = y === null ? [] : standardize(who, 'targets', y, this.outputNames, optional);
    const n = sampleCount(who, [['input', xs, this.inputNames], ['target', ys, this.outputNames]]);
    return { xs, ys, n };
  }

  /** One optimizer step on a batch: the loss, or [loss, ...metrics] (TensorFlow.js). */
  trainOnBatch(x: TensorData, y: TensorData): number | number[] {
    const { xs, ys, n } = this.data(x, y, 'trainOnBatch');
    const logs = trainStep(this, { xs, ys, size: n });
    const values = Object.values(logs);
    return values.length === 1 ? values[0] : values;
  }

  /** The loss and metrics on a batch, without an update (Keras' test_on_batch). */
  testOnBatch(x: TensorData, y: TensorData): number | number[] {
    const { xs, ys, n } = this.data(x, y, 'testOnBatch');
    const values = Object.values(testStep(this, { xs, ys, size: n }));
    return values.length === 1 ? values[0] : values;
  }

  async fit(x: TensorData, y: TensorData, args: FitArgs = {}): Promise<History> {
    if (!this.compiled) throw new Error(`${this.name}.fit: call compile() first`);
    const epochs = args.epochs ?? 1;
    const batchSize = args.batchSize ?? 32;
    if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`${this.name}.fit: epochs must be a positive integer, got ${epochs}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`${this.name}.fit: batchSize must be a positive integer, got ${batchSize}`);
    if (args.stepsPerEpoch !== undefined && args.stepsPerEpoch !== null) {
      throw new Error(`${this.name}.fit: stepsPerEpoch is for data sets (fitDataset's batchesPerEpoch); with tensors every epoch uses all samples`);
    }
    const { xs, ys, n } = this.data(x, y, 'fit');
    const classWeights = classWeightsPerOutput(`${this.name}.fit`, args.classWeight, this.outputNames);
    const sampleWeights = sampleWeightsPerOutput(`${this.name}.fit`, args.sampleWeight, this.outputNames, n);
    const weighted = classWeights.some((t) => t) || sampleWeights.some((t) => t);
    this.inputs.length && this.checkInputs(xs);
    xs.forEach((t, i) => checkFinite(`${this.name}.fit`, `input '${this.inputNames[i]}'`, t));
    ys.forEach((t, i) => checkFinite(`${this.name}.fit`, `target '${this.outputNames[i]}'`, t));

    // Validation: an explicit pair, or the last fraction of the data (before shuffling, as Keras).
    let train = { xs: xs as (Tensor | null)[], ys };
    let val: { xs: (Tensor | null)[]; ys: (Tensor | null)[]; n: number } | null = null;
    const owned: Tensor[] = [];
    let nTrain = n;
    if (args.validationData) {
      if (!Array.isArray(args.validationData) || args.validationData.length < 2) throw new Error(`${this.name}.fit: validationData must be [x, y]`);
      const v = this.data(args.validationData[0], args.validationData[1], 'fit (validationData)');
      val = { xs: v.xs, ys: v.ys, n: v.n };
    } else if (args.validationSplit) {
      const split = args.validationSplit;
      if (!(split > 0 && split < 1)) throw new Error(`${this.name}.fit: validationSplit must be in (0, 1), got ${split}`);
      nTrain = Math.floor(n * (1 - split));
      if (nTrain < 1 || nTrain >= n) throw new Error(`${this.name}.fit: validationSplit ${split} leaves no training or validation samples out of ${n}`);
      train = { xs: sliceRows(xs, 0, nTrain), ys: sliceRows(ys, 0, nTrain) };
      val = { xs: sliceRows(xs, nTrain, n - nTrain), ys: sliceRows(ys, nTrain, n - nTrain), n: n - nTrain };
      for (const t of [...train.xs, ...train.ys, ...val.xs, ...val.ys]) if (t) owned.push(t);
    }

    const steps = Math.ceil(nTrain / batchSize);
    const order = new Int32Array(nTrain);
    const rng = rngFor();
    try {
      return await trainingLoop(this, {
        epochs,
        initialEpoch: args.initialEpoch,
        verbose: args.verbose,
        callbacks: args.callbacks,
        yieldEvery: args.yieldEvery,
        epoch: () => {
          // From the identity each epoch: the order depends only on the generator's state, so a
          // run resumed from a checkpoint shuffles as the uninterrupted one did.
          for (let i = 0; i < nTrain; i++) order[i] = i;
          if (args.shuffle ?? true) shuffleInPlace(order, rng);
          let step = 0;
          return {
            steps,
            ownsBatches: true,
            next: (): Batch | null => {
              if (step >= steps) return null;
              const idx = order.subarray(step * batchSize, Math.min(nTrain, (step + 1) * batchSize));
              step++;
              const ids = ops.tensor(idx, [idx.length], 'int32');
              const b: Batch = { xs: gatherRows(train.xs, ids) as Tensor[], ys: gatherRows(train.ys, ids), size: idx.length };
              if (weighted) b.weights = this.batchWeights(b.ys, gatherRows(sampleWeights, ids), classWeights);
              ids.dispose();
              return b;
            },
          };
        },
        validate: val ? () => evaluateTensors(this, val!.xs as Tensor[], val!.ys, val!.n, batchSize) : undefined,
      });
    } finally {
      owned.forEach((t) => t.dispose());
    }
  }

  /** Each output's per-sample weights for a batch: its sample weights times its class weights. */
  private batchWeights(ys: (Tensor | null)[], sample: (Tensor | null)[], classes: (ClassWeight | null)[]): (Tensor | null)[] {
    return ys.map((y, i) => {
      const fromClass = y && classes[i] ? weightsFromClasses(`${this.name}.fit`, this.outputNames[i], y, classes[i]!) : null;
      const s = sample[i];
      if (fromClass && s) {
        const w = ops.mul(fromClass, s);
        fromClass.dispose();
        s.dispose();
        return w;
      }
      return fromClass ?? s;
    });
  }

  /** Loss and metrics over (x, y), as scalar tensors: `loss` or `[loss, ...]` (metricsNames order). */
  evaluate(x: TensorData, y: TensorData, args: { batchSize?: number; verbose?: number } = {}): Tensor | Tensor[] {
    const logs = this.evaluateLogs(x, y, args.batchSize ?? 32);
    const values = Object.values(logs).map((v) => ops.scalar(v));
    return values.length === 1 ? values[0] : values;
  }

  /** @internal evaluate's logs by name. */
  evaluateLogs(x: TensorData, y: TensorData, batchSize = 32): Logs {
    if (!this.compiled) throw new Error(`${this.name}.evaluate: call compile() first`);
    const { xs, ys, n } = this.data(x, y, 'evaluate');
    return evaluateTensors(this, xs, ys, n, batchSize);
  }

  // ---- data sets: fitDataset / evaluateDataset (ts/models/fit-dataset.ts) ----------------

  /**
   * Trains from an fe.data Dataset whose elements are batches { xs, ys } (or [xs, ys]), as
   * TensorFlow.js: the same loop, callbacks, progress bar and History as fit.
   */
  fitDataset(dataset: Dataset<unknown>, args: FitDatasetArgs): Promise<History> {
    return fitFromDataset(this, (x, y) => this.data(x, y, 'fitDataset'), dataset, args);
  }

  /** Loss and metrics over a dataset of batches, as scalars: `loss` or `[loss, ...]`. */
  evaluateDataset(dataset: Dataset<unknown>, args?: EvaluateDatasetArgs): Promise<Tensor | Tensor[]> {
    return evaluateFromDataset(this, (x, y) => this.data(x, y, 'evaluateDataset'), dataset, args);
  }

  /** Outputs for x, batch by batch (inference mode): a tensor, or a list for several outputs. */
  predict(x: TensorData, args: { batchSize?: number; verbose?: number } = {}): Tensor | Tensor[] {
    const batchSize = args.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`${this.name}.predict: batchSize must be a positive integer, got ${batchSize}`);
    const { xs, n } = this.data(x, null, 'predict');
    if (n === 0) throw new Error(`${this.name}.predict: expected a batch of samples, got 0`);
    const outs = predictTensors(this, xs, n, batchSize);
    return outs.length === 1 ? outs[0] : outs;
  }

  /** predict() on one batch. */
  predictOnBatch(x: TensorData): Tensor | Tensor[] {
    const xs = standardize(`${this.name}.predictOnBatch`, 'inputs', x, this.graph ? this.inputNames : ['input']) as Tensor[];
    return this.predict(xs.length === 1 ? xs[0] : xs, { batchSize: Math.max(1, xs[0]?.shape[0] ?? 1) });
  }

  /** The model's output shape(s) (batch null). */
  override get outputShape(): SymbolicShape | SymbolicShape[] {
    const g = this.requireGraph('outputShape');
    const s = g.outputs.map((t) => [...t.shape]);
    return s.length === 1 ? s[0] : s;
  }

  get inputShape(): SymbolicShape | SymbolicShape[] {
    const g = this.requireGraph('inputShape');
    const s = g.inputs.map((t) => [...t.shape]);
    return s.length === 1 ? s[0] : s;
  }

  /** Prints (or hands to printFn) a Keras-style table: layers, output shapes, parameters, connections. */
  summary(lineLength?: number, positions?: number[], printFn: (line: string) => void = console.log): void {
    void positions;
    printSummary(this, this.requireGraph('summary'), lineLength, printFn, true);
  }

  /**
   * Saves topology and weights in the TensorFlow.js layers format: 'file://dir' (Node),
   * 'indexeddb://name', 'downloads://name', 'http(s)://…', or an IOHandler.
   * includeOptimizer also saves the compile() arguments and the optimizer's state.
   */
  save(handlerOrURL: string | IOHandler, config?: SaveConfig): Promise<SaveResult> {
    return saveModel(this, handlerOrURL, config);
  }

  /**
   * The topology as model.json's `modelTopology` (tf.LayersModel.toJSON): a JSON string, or the
   * object with returnString false. fe.models.modelFromJSON builds a model from it.
   */
  toJSON(unused?: unknown, returnString = true): string | Record<string, unknown> {
    void unused; // TensorFlow.js' signature; JSON.stringify(model) passes its key here
    const topology = modelTopology(this);
    return returnString ? JSON.stringify(topology) : topology;
  }

  /** JSON saved with the model (model.json's userDefinedMetadata). */
  setUserDefinedMetadata(metadata: Record<string, unknown> | undefined): void {
    this.userMetadata = metadata;
  }

  getUserDefinedMetadata(): Record<string, unknown> | undefined {
    return this.userMetadata;
  }

  /** @internal the graph, for saving and summaries. */
  get graphForSaving(): Graph {
    return this.requireGraph('save');
  }

  /** Frees the weights and the optimizer's state. */
  override dispose(): void {
    for (const l of this.layers) if (!(l instanceof InputLayer)) l.dispose();
    this.compiled?.optimizer.dispose();
  }

}

/** fe.model({ inputs, outputs, name }): a functional model (TensorFlow.js' tf.model). */
export function model(args: ModelArgs): LayersModel {
  return new LayersModel(args);
}
