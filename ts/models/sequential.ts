/**
 * Sequential: a stack of layers with Keras' compile / fit / evaluate / predict.
 * fit, evaluate and predict free every intermediate tensor themselves (one scope per batch).
 */
import { noGrad, backward as runBackward } from '../autograd';
import { Callback, CallbackHooks, Logs } from '../callbacks';
import { ENGINE } from '../engine';
import { Dense } from '../layers/dense';
import { Layer, SymbolicShape } from '../layers/layer';
import { lossesByName, LossFn, lossName as resolveLossName, sparseLabels } from '../losses';
import { MetricFn, resolveMetric } from '../metrics';
import * as ops from '../ops/index';
import { rngFor, shuffleInPlace } from '../ops/random';
import { fmt } from '../ops/util';
import { getOptimizer } from '../optimizers/optimizers';
import type { Optimizer } from '../optimizers/optimizer';
import { Tensor, Variable } from '../tensor';
import { ProgressBar } from './progress';
import { saveModel } from '../io/save';
import type { IOHandler, SaveConfig, SaveResult } from '../io/types';

export interface SequentialArgs {
  layers?: Layer[];
  name?: string;
}

export interface CompileArgs {
  optimizer: string | Optimizer;
  loss: string | LossFn;
  metrics?: (string | MetricFn)[];
}

export interface FitArgs {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  validationSplit?: number;
  validationData?: [Tensor, Tensor];
  callbacks?: CallbackHooks | CallbackHooks[];
  /** 0 silent, 1 progress bar (one line per epoch when not a terminal), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  initialEpoch?: number;
}

export class History {
  epoch: number[] = [];
  history: Record<string, number[]> = {};
  /** Keras' name for the accuracy series (TensorFlow.js calls it `acc`). */
  get accuracy(): number[] | undefined {
    return this.history.acc;
  }
}

type Head = 'sigmoid' | 'softmax' | null;

/** A last layer that can hand a fused loss its logits: Dense, or TimeDistributed(Dense). */
function hasLogits(l: Layer): l is Layer & { activation: string; callLogits(x: Tensor): Tensor } {
  return l instanceof Dense || typeof (l as { callLogits?: unknown }).callLogits === 'function';
}

let modelCounter = 0;

export class Sequential {
  readonly name: string;
  layers: Layer[] = [];
  /** Set by callbacks to end fit after the current epoch. */
  stopTraining = false;
  optimizer: Optimizer | null = null;
  private lossId: string | null = null;
  private lossFn: LossFn | null = null;
  private metricFns: [string, MetricFn][] = [];
  private inputShape: SymbolicShape | null = null;

  constructor(args: SequentialArgs = {}) {
    this.name = args.name ?? (modelCounter++ === 0 ? 'sequential' : `sequential_${modelCounter - 1}`);
    for (const l of args.layers ?? []) this.add(l);
  }

  add(layer: Layer): void {
    if (!(layer instanceof Layer)) throw new Error(`${this.name}.add: expected a layer, got ${typeof layer}`);
    if (this.layers.length === 0 && layer.batchInputShape) this.inputShape = [...layer.batchInputShape];
    this.layers.push(layer);
  }

  /** Builds every layer for an input shape (batch may be null). */
  build(inputShape?: SymbolicShape): void {
    const shape0 = inputShape ?? this.inputShape;
    if (!shape0) {
      throw new Error(`${this.name}: the input shape is unknown — give the first layer inputShape (or inputLength), or call fit/predict first`);
    }
    this.inputShape = [...shape0];
    let shape: SymbolicShape = [...shape0];
    for (const l of this.layers) {
      if (!l.built) l.build(shape);
      shape = l.computeOutputShape(shape);
    }
  }

  get built(): boolean {
    return this.layers.length > 0 && this.layers.every((l) => l.built);
  }

  get outputShape(): SymbolicShape {
    if (!this.inputShape) throw new Error(`${this.name}: not built yet`);
    return this.layers.reduce<SymbolicShape>((s, l) => l.computeOutputShape(s), this.inputShape);
  }

  /** All weights, layer by layer (Keras order). */
  get weights(): Variable[] {
    return this.layers.flatMap((l) => l.weights);
  }

  get trainableWeights(): Variable[] {
    return this.layers.flatMap((l) => l.trainableWeights);
  }

  /** PyTorch style: the trainable parameters. */
  parameters(): Variable[] {
    return this.trainableWeights;
  }

  getLayer(name: string): Layer {
    const l = this.layers.find((x) => x.name === name);
    if (!l) throw new Error(`${this.name}.getLayer: no layer named '${name}'`);
    return l;
  }

  getWeights(): Tensor[] {
    return this.layers.flatMap((l) => l.getWeights());
  }

  setWeights(weights: Tensor[]): void {
    const total = this.layers.reduce((n, l) => n + l.weights.length, 0);
    if (weights.length !== total) throw new Error(`${this.name}.setWeights: expected ${total} weights, got ${weights.length}`);
    let at = 0;
    for (const l of this.layers) {
      l.setWeights(weights.slice(at, at + l.weights.length));
      at += l.weights.length;
    }
  }

  countParams(): number {
    return this.layers.reduce((n, l) => n + l.countParams(), 0);
  }

  compile(args: CompileArgs): void {
    if (!args || args.optimizer === undefined || args.loss === undefined) {
      throw new Error(`${this.name}.compile: needs { optimizer, loss }`);
    }
    this.optimizer = getOptimizer(args.optimizer);
    if (typeof args.loss === 'function') {
      this.lossId = null;
      this.lossFn = args.loss;
    } else {
      this.lossId = resolveLossName(args.loss);
      this.lossFn = lossesByName[this.lossId];
    }
    this.metricsArg = args.metrics ?? [];
    this.metricFns = [];
  }
  private metricsArg: (string | MetricFn)[] = [];

  /** The forward pass through every layer, carrying masks. `logitsHead` stops before a fused head. */
  private forward(x: Tensor, training: boolean, logitsHead: Head = null): Tensor {
    if (!this.built) this.build(this.inputShape ?? [null, ...x.shape.slice(1)]);
    this.checkInput(x);
    let h = x;
    let mask: Tensor | null = null;
    const last = this.layers.length - 1;
    this.layers.forEach((l, i) => {
      const nextMask = l.computeMask(h, mask);
      if (i === last && logitsHead && hasLogits(l)) h = l.callLogits(h);
      else h = l.apply(h, { training, mask });
      mask = nextMask;
    });
    return h;
  }

  private checkInput(x: Tensor): void {
    const s = this.inputShape;
    if (!s) return;
    const ok = x.rank === s.length && s.every((d, i) => i === 0 || d === null || d === x.shape[i]);
    if (!ok) {
      const first = this.layers[0];
      throw new Error(
        `${this.name}: ${first?.name ?? 'input'} expected input of shape [${s.map((d) => d ?? 'null').join(', ')}], got ${fmt(x.shape)}`,
      );
    }
  }

  /** Which fused head applies: a final sigmoid/softmax Dense feeding its cross-entropy. */
  private head(): Head {
    const last = this.layers[this.layers.length - 1];
    if (!hasLogits(last)) return null;
    if (last.activation === 'sigmoid' && this.lossId === 'binaryCrossentropy') return 'sigmoid';
    if (last.activation === 'softmax' && (this.lossId === 'categoricalCrossentropy' || this.lossId === 'sparseCategoricalCrossentropy')) {
      return 'softmax';
    }
    return null;
  }

  /** Fits labels of shape [n] to an output of [n, 1] (as Keras does), else checks them. */
  private alignLabels(y: Tensor, pred: Tensor): Tensor {
    if (y.rank === 1 && pred.rank === 2 && pred.shape[1] === 1 && y.shape[0] === pred.shape[0]) {
      return ops.reshape(y, [y.shape[0], 1]);
    }
    return y;
  }

  /**
   * Loss (scalar tensor, recorded) for one batch, and its predictions on demand: a model
   * compiled without metrics never computes the head's sigmoid / softmax.
   */
  private lossAndPredictions(x: Tensor, y: Tensor, training: boolean): [Tensor, () => Tensor] {
    const head = this.head();
    const out = this.forward(x, training, head);
    if (head === 'sigmoid') {
      const labels = this.alignLabels(y, out);
      if (labels.rank !== out.rank || labels.shape.some((d, i) => d !== out.shape[i])) {
        throw new Error(`binaryCrossentropy: labels of shape ${fmt(y.shape)} do not match predictions of shape ${fmt(out.shape)}`);
      }
      const fl = labels.dtype === 'float32' ? labels : ops.cast(labels, 'float32');
      const loss = ops.mean(ops.sigmoidCrossEntropyWithLogits(fl, out));
      return [loss, () => noGrad(() => ops.sigmoid(out))];
    }
    if (head === 'softmax') {
      let labels: Tensor;
      if (this.lossId === 'sparseCategoricalCrossentropy') labels = sparseLabels('sparseCategoricalCrossentropy', y, out);
      else {
        if (y.rank !== out.rank || y.shape.some((d, i) => d !== out.shape[i])) {
          throw new Error(`categoricalCrossentropy: labels of shape ${fmt(y.shape)} do not match predictions of shape ${fmt(out.shape)}`);
        }
        labels = y.dtype === 'float32' ? y : ops.cast(y, 'float32');
      }
      const loss = ops.mean(ops.softmaxCrossEntropyWithLogits(labels, out));
      return [loss, () => noGrad(() => ops.softmax(out))];
    }
    const labels = this.alignLabels(y, out);
    const fl = labels.dtype === 'float32' || this.lossId === 'sparseCategoricalCrossentropy' ? labels : ops.cast(labels, 'float32');
    return [this.lossFn!(fl, out), () => out];
  }

  private ensureCompiled(what: string): void {
    if (!this.optimizer || !this.lossFn) throw new Error(`${this.name}.${what}: call compile() first`);
    if (this.metricFns.length !== this.metricsArg.length) {
      const units = (() => {
        try {
          const s = this.outputShape;
          return s[s.length - 1];
        } catch {
          return null;
        }
      })();
      this.metricFns = this.metricsArg.map((m) => resolveMetric(m, this.lossId, units));
    }
  }

  private metricValues(y: Tensor, predictions: () => Tensor, into: Logs): void {
    if (!this.metricFns.length) return;
    const pred = predictions();
    for (const [key, fn] of this.metricFns) {
      const labels = this.alignLabels(y, pred);
      const v = noGrad(() => fn(labels, pred));
      into[key] = v.dataSync()[0];
    }
  }

  /** One optimizer step on a batch; returns the loss and metrics. */
  trainOnBatch(x: Tensor, y: Tensor): Logs {
    this.ensureCompiled('trainOnBatch');
    const scope = ENGINE.startScope();
    try {
      const [loss, pred] = this.lossAndPredictions(x, y, true);
      const lossValue = loss.dataSync()[0];
      if (!Number.isFinite(lossValue)) {
        throw new Error(`${this.name}: the loss became ${lossValue}; check the data for NaN/inf and lower the learning rate`);
      }
      const vars = this.trainableWeights;
      if (loss.requiresGrad) {
        runBackward(loss, () => ops.onesLike(loss), { add: ops.add, clone: ops.clone });
        this.optimizer!.applyGradients(vars);
      }
      const logs: Logs = { loss: lossValue };
      this.metricValues(y, pred, logs);
      return logs;
    } finally {
      for (const v of this.weights) {
        if (v.grad) {
          v.grad.dispose();
          v.grad = null;
        }
      }
      ENGINE.endScope(scope, new Set());
    }
  }

  async fit(x: Tensor, y: Tensor, args: FitArgs = {}): Promise<History> {
    this.ensureCompiled('fit');
    const epochs = args.epochs ?? 1;
    const batchSize = args.batchSize ?? 32;
    const verbose = args.verbose ?? 1;
    if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`${this.name}.fit: epochs must be a positive integer, got ${epochs}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`${this.name}.fit: batchSize must be a positive integer, got ${batchSize}`);
    checkPair(this.name, x, y);
    if (!this.built) this.build(this.inputShape ?? [null, ...x.shape.slice(1)]);
    this.checkInput(x);
    checkFinite(this.name, 'x', x);
    checkFinite(this.name, 'y', y);

    // Validation: an explicit pair, or the last fraction of the data (before shuffling, as Keras).
    let trainX = x, trainY = y;
    let valX: Tensor | null = null, valY: Tensor | null = null;
    const owned: Tensor[] = [];
    if (args.validationData) {
      [valX, valY] = args.validationData;
      checkPair(this.name, valX, valY);
    } else if (args.validationSplit) {
      const split = args.validationSplit;
      if (!(split > 0 && split < 1)) throw new Error(`${this.name}.fit: validationSplit must be in (0, 1), got ${split}`);
      const n = x.shape[0];
      const nTrain = Math.floor(n * (1 - split));
      if (nTrain < 1 || nTrain >= n) throw new Error(`${this.name}.fit: validationSplit ${split} leaves no training or validation samples out of ${n}`);
      trainX = ops.slice(x, [0], [nTrain]);
      trainY = ops.slice(y, [0], [nTrain]);
      valX = ops.slice(x, [nTrain], [n - nTrain]);
      valY = ops.slice(y, [nTrain], [n - nTrain]);
      owned.push(trainX, trainY, valX, valY);
    }

    const n = trainX.shape[0];
    const steps = Math.ceil(n / batchSize);
    const hooks = ([] as CallbackHooks[]).concat(args.callbacks ?? []);
    for (const h of hooks) if (h instanceof Callback) h.setModel(this);
    const history = new History();
    const bar = verbose ? new ProgressBar(epochs) : null;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const rng = rngFor();
    this.stopTraining = false;

    try {
      for (const h of hooks) await h.onTrainBegin?.({});
      for (let epoch = args.initialEpoch ?? 0; epoch < epochs && !this.stopTraining; epoch++) {
        if (args.shuffle ?? true) {
          // From the identity each epoch: the order depends only on the generator's state, so a
          // run resumed from a checkpoint shuffles as the uninterrupted one did.
          for (let i = 0; i < n; i++) order[i] = i;
          shuffleInPlace(order, rng);
        }
        for (const h of hooks) await h.onEpochBegin?.(epoch, {});
        bar?.epochBegin(epoch, steps);
        const sums: Logs = {};
        let seen = 0;
        for (let step = 0; step < steps; step++) {
          const idx = order.subarray(step * batchSize, Math.min(n, (step + 1) * batchSize));
          for (const h of hooks) await h.onBatchBegin?.(step, { batch: step, size: idx.length });
          const logs = this.stepOn(trainX, trainY, idx);
          seen += idx.length;
          for (const [k, v] of Object.entries(logs)) sums[k] = (sums[k] ?? 0) + v * idx.length;
          const running: Logs = {};
          for (const k of Object.keys(sums)) running[k] = sums[k] / seen;
          bar?.batchEnd(step, steps, running);
          for (const h of hooks) await h.onBatchEnd?.(step, { ...logs, batch: step, size: idx.length });
        }
        const epochLogs: Logs = {};
        for (const k of Object.keys(sums)) epochLogs[k] = sums[k] / seen;
        if (valX && valY) {
          const v = this.evaluateLogs(valX, valY, batchSize);
          for (const [k, val] of Object.entries(v)) epochLogs[`val_${k}`] = val;
        }
        history.epoch.push(epoch);
        for (const [k, v] of Object.entries(epochLogs)) (history.history[k] ??= []).push(v);
        bar?.epochEnd(epoch, epochLogs, seen);
        for (const h of hooks) await h.onEpochEnd?.(epoch, epochLogs);
        // Let timers and I/O (e.g. a UI) run between epochs.
        await new Promise((r) => setTimeout(r, 0));
      }
      for (const h of hooks) await h.onTrainEnd?.({});
    } finally {
      owned.forEach((t) => t.dispose());
    }
    return history;
  }

  /** One training step on the rows `idx` of x and y. */
  private stepOn(x: Tensor, y: Tensor, idx: Int32Array): Logs {
    const scope = ENGINE.startScope();
    try {
      const ids = ops.tensor(idx, [idx.length], 'int32');
      const xb = ops.gather(x, ids, 0);
      const yb = ops.gather(y, ids, 0);
      return this.trainOnBatch(xb, yb);
    } finally {
      ENGINE.endScope(scope, new Set());
    }
  }

  /** Mean loss and metrics over (x, y), batch by batch. */
  private evaluateLogs(x: Tensor, y: Tensor, batchSize: number): Logs {
    this.ensureCompiled('evaluate');
    checkPair(this.name, x, y);
    const n = x.shape[0];
    const sums: Logs = {};
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const scope = ENGINE.startScope();
      try {
        noGrad(() => {
          const xb = ops.slice(x, [start], [size]);
          const yb = ops.slice(y, [start], [size]);
          const [loss, pred] = this.lossAndPredictions(xb, yb, false);
          const logs: Logs = { loss: loss.dataSync()[0] };
          this.metricValues(yb, pred, logs);
          for (const [k, v] of Object.entries(logs)) sums[k] = (sums[k] ?? 0) + v * size;
        });
      } finally {
        ENGINE.endScope(scope, new Set());
      }
    }
    const out: Logs = {};
    for (const k of Object.keys(sums)) out[k] = sums[k] / n;
    return out;
  }

  /** Loss (and metrics) over a dataset, as scalar tensors: `loss` or `[loss, ...metrics]`. */
  evaluate(x: Tensor, y: Tensor, args: { batchSize?: number; verbose?: number } = {}): Tensor | Tensor[] {
    const logs = this.evaluateLogs(x, y, args.batchSize ?? 32);
    const values = Object.values(logs).map((v) => ops.scalar(v));
    return values.length === 1 ? values[0] : values;
  }

  /** Outputs for x, batch by batch (inference mode). */
  predict(x: Tensor, args: { batchSize?: number } = {}): Tensor {
    const batchSize = args.batchSize ?? 32;
    const n = x.shape[0];
    if (x.rank < 1 || n === 0) throw new Error(`${this.name}.predict: expected a batch of samples, got ${fmt(x.shape)}`);
    const parts: Tensor[] = [];
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const scope = ENGINE.startScope();
      let out: Tensor;
      try {
        out = noGrad(() => this.forward(ops.slice(x, [start], [size]), false));
      } catch (e) {
        ENGINE.endScope(scope, new Set());
        parts.forEach((p) => p.dispose());
        throw e;
      }
      ENGINE.endScope(scope, new Set([out.id]));
      parts.push(out);
    }
    if (parts.length === 1) return parts[0];
    const all = ops.concat(parts, 0);
    parts.forEach((p) => p.dispose());
    return all;
  }

  /** Calls the model on a batch (training: false unless given), recording gradients. */
  apply(x: Tensor, args: { training?: boolean } = {}): Tensor {
    return this.forward(x, args.training ?? false);
  }

  /** Prints (or returns through printFn) a Keras-style table of layers, shapes and parameters. */
  summary(lineLength = 65, _positions?: number[], printFn: (line: string) => void = console.log): void {
    if (!this.built) this.build();
    const rows: [string, string, string][] = [];
    let shape: SymbolicShape = this.inputShape!;
    for (const l of this.layers) {
      shape = l.computeOutputShape(shape);
      rows.push([`${l.name} (${l.className})`, `[${shape.map((d) => d ?? 'null').join(',')}]`, String(l.countParams())]);
    }
    const w = [Math.max(28, ...rows.map((r) => r[0].length + 2)), Math.max(20, ...rows.map((r) => r[1].length + 2)), 10];
    const line = (c: string) => c.repeat(Math.max(lineLength, w[0] + w[1] + w[2]));
    const fmtRow = (r: string[]) => r[0].padEnd(w[0]) + r[1].padEnd(w[1]) + r[2];
    printFn(`Model: "${this.name}"`);
    printFn(line('_'));
    printFn(fmtRow(['Layer (type)', 'Output shape', 'Param #']));
    printFn(line('='));
    rows.forEach((r, i) => {
      printFn(fmtRow(r));
      printFn(line(i === rows.length - 1 ? '=' : '_'));
    });
    const trainable = this.trainableWeights.reduce((n, v) => n + v.size, 0);
    printFn(`Total params: ${this.countParams()}`);
    printFn(`Trainable params: ${trainable}`);
    printFn(`Non-trainable params: ${this.countParams() - trainable}`);
    printFn(line('_'));
  }

  /**
   * Saves topology and weights in the TensorFlow.js layers format (ts/io): 'file://dir' (Node),
   * 'indexeddb://name', 'downloads://name', 'http(s)://…', or an IOHandler such as
   * fe.io.withSaveHandler. includeOptimizer also saves the compile() arguments and the
   * optimizer's state.
   */
  save(handlerOrURL: string | IOHandler, config?: SaveConfig): Promise<SaveResult> {
    return saveModel(this, handlerOrURL, config);
  }

  /** @internal what saving reads besides the public fields. */
  get saveState(): { inputShape: SymbolicShape | null; loss: string | null; metrics: (string | MetricFn)[] } {
    return { inputShape: this.inputShape, loss: this.lossId, metrics: this.metricsArg };
  }

  private userMetadata: Record<string, unknown> | undefined;
  /** JSON saved with the model (model.json's userDefinedMetadata). */
  setUserDefinedMetadata(metadata: Record<string, unknown> | undefined): void {
    this.userMetadata = metadata;
  }
  getUserDefinedMetadata(): Record<string, unknown> | undefined {
    return this.userMetadata;
  }

  /** Frees the weights and the optimizer state. */
  dispose(): void {
    this.layers.forEach((l) => l.dispose());
    this.optimizer?.dispose();
  }
}

function checkPair(model: string, x: Tensor, y: Tensor): void {
  if (!(x instanceof Tensor) || !(y instanceof Tensor)) throw new Error(`${model}: x and y must be tensors`);
  if (x.rank < 1 || y.rank < 1 || x.shape[0] !== y.shape[0]) {
    throw new Error(`${model}: x ${fmt(x.shape)} and y ${fmt(y.shape)} must have the same number of samples (first dimension)`);
  }
}

function checkFinite(model: string, what: string, t: Tensor): void {
  if (t.dtype !== 'float32') return;
  const d = t.dataSync();
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      throw new Error(`${model}.fit: ${what} contains ${d[i]} at flat index ${i} (shape ${fmt(t.shape)})`);
    }
  }
}

/** fe.sequential({layers}) as in TensorFlow.js. */
export function sequential(args: SequentialArgs = {}): Sequential {
  return new Sequential(args);
}
