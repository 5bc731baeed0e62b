/**
 * The training engine every model kind shares (Sequential, functional, nested): one training
 * step and one test step on a batch, the epoch loop with callbacks, progress and History,
 * and batched evaluate/predict. Steps free every intermediate tensor themselves.
 *
 * A final Dense (or TimeDistributed(Dense)) with a sigmoid or softmax whose loss is the
 * matching cross-entropy runs as logits, the loss applying the activation fused with it.
 */
import { noGrad, backward as runBackward } from '../autograd';
import { Callback, NonFiniteLossError, stopsOnNonFiniteLoss, type CallbackHooks, type Logs } from '../callbacks';
import { ENGINE } from '../engine';
import { sparseLabels } from '../losses';
import { perSample } from '../losses-keras';
import { weightedMean } from './sample-weights';
import * as ops from '../ops/index';
import { fmt } from '../ops/util';
import type { Tensor, Variable } from '../tensor';
import type { Compiled, OutputSpec } from './compile';
import { ProgressBar } from './progress';

/** The activation a fused loss applies, per output. */
export type Head = 'sigmoid' | 'softmax' | null;

/** What the engine needs from a model. */
export interface TrainableModel {
  readonly name: string;
  stopTraining: boolean;
  readonly compiled: Compiled | null;
  readonly weights: Variable[];
  /** The outputs for these inputs; outputs whose head is given come out as logits. */
  forward(xs: Tensor[], training: boolean, heads?: Head[]): Tensor[];
  /** Which activation each output could hand to a fused loss (null: cannot). */
  headActivations(): Head[];
  /** Regularization penalties of this step (and drops those recorded by calls). */
  collectLosses(): Tensor[];
  /** Drops the losses recorded by calls (inference). */
  clearCallLosses(): void;
  getWeights(): Tensor[];
  setWeights(w: Tensor[]): void;
}

export class History {
  epoch: number[] = [];
  history: Record<string, number[]> = {};
  /** Keras' name for the accuracy series (TensorFlow.js calls it `acc`). */
  get accuracy(): number[] | undefined {
    return this.history.acc;
  }
}

/** One batch: inputs in model order, targets in output order (null where an output has no loss). */
export interface Batch {
  xs: Tensor[];
  ys: (Tensor | null)[];
  size: number;
  /** Per-sample loss weights of each output ([size] tensors), or none. */
  weights?: (Tensor | null)[];
}

function compiledOf(model: TrainableModel, what: string): Compiled {
  if (!model.compiled) throw new Error(`${model.name}.${what}: call compile() first`);
  return model.compiled;
}

/** Labels of shape [n] for predictions [n, 1] become [n, 1], as Keras does. */
function alignLabels(y: Tensor, pred: Tensor): Tensor {
  if (y.rank === 1 && pred.rank === 2 && pred.shape[1] === 1 && y.shape[0] === pred.shape[0]) return ops.reshape(y, [y.shape[0], 1]);
  return y;
}

function sameShape(loss: string, output: string, y: Tensor, out: Tensor): void {
  if (y.rank !== out.rank || y.shape.some((d, i) => d !== out.shape[i])) {
    throw new Error(`${loss}${output}: labels of shape ${fmt(y.shape)} do not match predictions of shape ${fmt(out.shape)}`);
  }
}

/** One output's loss (a recorded scalar) and its predictions on demand; weighted per sample when `w` is given. */
function outputLoss(spec: OutputSpec, head: Head, several: boolean, out: Tensor, y: Tensor, w: Tensor | null): [Tensor, () => Tensor] {
  const where = several ? ` (output '${spec.name}')` : '';
  const reduce = (perSampleLoss: Tensor) => (w ? weightedMean(perSampleLoss, w) : ops.mean(perSampleLoss));
  if (head === 'sigmoid') {
    const labels = alignLabels(y, out);
    sameShape('binaryCrossentropy', where, labels, out);
    const fl = labels.dtype === 'float32' ? labels : ops.cast(labels, 'float32');
    const ce = ops.sigmoidCrossEntropyWithLogits(fl, out);
    return [w ? weightedMean(ops.mean(ce, -1), w) : ops.mean(ce), () => noGrad(() => ops.sigmoid(out))];
  }
  if (head === 'softmax') {
    let labels: Tensor;
    if (spec.lossId === 'sparseCategoricalCrossentropy') labels = sparseLabels(`sparseCategoricalCrossentropy${where}`, y, out);
    else {
      sameShape('categoricalCrossentropy', where, y, out);
      labels = y.dtype === 'float32' ? y : ops.cast(y, 'float32');
    }
    return [reduce(ops.softmaxCrossEntropyWithLogits(labels, out)), () => noGrad(() => ops.softmax(out))];
  }
  const labels = alignLabels(y, out);
  const fl = labels.dtype === 'float32' || spec.lossId === 'sparseCategoricalCrossentropy' ? labels : ops.cast(labels, 'float32');
  if (!w) return [spec.lossFn!(fl, out), () => out];
  const per = spec.lossId ? perSample[spec.lossId] : undefined;
  if (!per) {
    throw new Error(`sample or class weights${where} need a loss given by name in compile() (a loss function gives only its mean), got ${spec.lossId ?? 'a function'}`);
  }
  return [weightedMean(per(fl, out), w), () => out];
}

/** The fused head of each output: its activation when the loss is the matching cross-entropy. */
function headsFor(model: TrainableModel, c: Compiled): Head[] {
  const acts = model.headActivations();
  return c.outputs.map((o, i) => {
    const a = acts[i];
    if (a === 'sigmoid' && o.lossId === 'binaryCrossentropy') return 'sigmoid';
    if (a === 'softmax' && (o.lossId === 'categoricalCrossentropy' || o.lossId === 'sparseCategoricalCrossentropy')) return 'softmax';
    return null;
  });
}

interface StepResult {
  total: Tensor;
  logs: Logs;
  /** Fills the metrics into logs (computing predictions only if there are metrics). */
  metrics(): void;
}

/** Forward pass, every output's loss, the regularization penalties; logs of the batch. */
function lossStep(model: TrainableModel, c: Compiled, batch: Batch, training: boolean): StepResult {
  const heads = headsFor(model, c);
  const outs = model.forward(batch.xs, training, heads);
  const several = c.outputs.length > 1;
  const parts: Tensor[] = [];
  const logs: Logs = { loss: 0 };
  const preds: (() => Tensor)[] = [];
  for (const spec of c.outputs) {
    const out = outs[spec.index];
    if (!spec.lossFn) {
      preds.push(() => out);
      continue;
    }
    const y = batch.ys[spec.index];
    if (!y) throw new Error(`${model.name}: no targets were given for output '${spec.name}', which has a loss`);
    const [l, pred] = outputLoss(spec, heads[spec.index], several, out, y, batch.weights?.[spec.index] ?? null);
    preds.push(pred);
    if (several) logs[`${spec.name}_loss`] = l.dataSync()[0];
    parts.push(spec.weight === 1 ? l : ops.mul(l, spec.weight));
  }
  parts.push(...model.collectLosses());
  let total = parts[0];
  for (let i = 1; i < parts.length; i++) total = ops.add(total, parts[i]);
  const value = total.dataSync()[0];
  logs.loss = value;
  // Keep 'loss' first, as Keras' logs.
  const ordered: Logs = { loss: value };
  for (const [k, v] of Object.entries(logs)) if (k !== 'loss') ordered[k] = v;
  return {
    total,
    logs: ordered,
    metrics() {
      for (const spec of c.outputs) {
        if (!spec.metrics.length) continue;
        const y = batch.ys[spec.index];
        if (!y) continue;
        const pred = preds[spec.index]();
        const labels = alignLabels(y, pred);
        for (const [key, fn] of spec.metrics) ordered[key] = noGrad(() => fn(labels, pred)).dataSync()[0];
      }
    },
  };
}

const warned = new WeakSet<object>();

/** One optimizer step on a batch; returns its logs (loss, per-output losses, metrics). */
export function trainStep(model: TrainableModel, batch: Batch): Logs {
  const c = compiledOf(model, 'trainOnBatch');
  const collected = new Set(c.collectedWeights);
  const weights = model.weights;
  if (!warned.has(model) && weights.some((w) => collected.has(w) !== (w.trainable && isTrainableNow(model, w)))) {
    warned.add(model);
    console.warn(
      `${model.name}: the trainable weights differ from those collected by compile() — did you set trainable after compile()? ` +
        'As in Keras 2 and TensorFlow.js, fit updates the weights that were trainable when compile() ran; call compile() again to change them.',
    );
  }
  // Gradients for exactly the collected weights during this step.
  const saved = weights.map((w) => w.requiresGrad);
  weights.forEach((w) => (w.requiresGrad = collected.has(w)));
  const scope = ENGINE.startScope();
  try {
    const step = lossStep(model, c, batch, true);
    const value = step.logs.loss;
    if (!Number.isFinite(value)) {
      throw new NonFiniteLossError(`${model.name}: the loss became ${value}; check the data for NaN/inf and lower the learning rate`, step.logs);
    }
    if (step.total.requiresGrad) {
      runBackward(step.total, () => ops.onesLike(step.total), { add: ops.add, clone: ops.clone });
      c.optimizer.applyGradients(c.collectedWeights);
    }
    step.metrics();
    return step.logs;
  } finally {
    weights.forEach((w, i) => {
      w.requiresGrad = saved[i];
      if (w.grad) {
        w.grad.dispose();
        w.grad = null;
      }
    });
    ENGINE.endScope(scope, new Set());
  }
}

/** Whether `w` is trainable given its layer flags now (the model's trainableWeights). */
function isTrainableNow(model: TrainableModel, w: Variable): boolean {
  const tw = (model as unknown as { trainableWeights?: Variable[] }).trainableWeights;
  return tw ? tw.includes(w) : w.trainable;
}

/** Loss and metrics on a batch, no update. */
export function testStep(model: TrainableModel, batch: Batch): Logs {
  const c = compiledOf(model, 'evaluate');
  const scope = ENGINE.startScope();
  try {
    return noGrad(() => {
      const step = lossStep(model, c, batch, false);
      model.clearCallLosses();
      step.metrics();
      return step.logs;
    });
  } finally {
    ENGINE.endScope(scope, new Set());
  }
}

/** Sample-weighted means of per-batch logs. */
export class LogsAverager {
  private sums: Logs = {};
  seen = 0;
  add(logs: Logs, size: number): void {
    this.seen += size;
    for (const [k, v] of Object.entries(logs)) this.sums[k] = (this.sums[k] ?? 0) + v * size;
  }
  result(): Logs {
    const out: Logs = {};
    for (const k of Object.keys(this.sums)) out[k] = this.sums[k] / Math.max(this.seen, 1);
    return out;
  }
}

/** The batches of one epoch: a known or unknown count, pulled one at a time. */
export interface EpochSource {
  steps: number | null;
  next(): Batch | null | Promise<Batch | null>;
  /** Whether the loop disposes each batch's tensors after its step. */
  ownsBatches: boolean;
}

export interface LoopArgs {
  epochs: number;
  initialEpoch?: number;
  verbose?: 0 | 1 | 2;
  callbacks?: CallbackHooks | CallbackHooks[];
  /** The batches of an epoch. */
  epoch(epoch: number): EpochSource;
  /** Validation logs at the end of an epoch (keys without the val_ prefix), or null. */
  validate?: () => Logs | null | Promise<Logs | null>;
  /** When to let the event loop run: 'auto' / 'epoch' (default), 'batch', every N ms, 'never'. */
  yieldEvery?: 'auto' | 'batch' | 'epoch' | 'never' | number;
}

const nextTick = () => new Promise((r) => setTimeout(r, 0));

function checkYieldEvery(who: string, y: LoopArgs['yieldEvery']): void {
  if (y === undefined || y === 'auto' || y === 'batch' || y === 'epoch' || y === 'never') return;
  if (typeof y === 'number' && y >= 0) return;
  throw new Error(`${who}: yieldEvery must be 'auto', 'batch', 'epoch', 'never' or a number of milliseconds, got ${JSON.stringify(y)}`);
}

function disposeBatch(b: Batch): void {
  for (const t of [...b.xs, ...b.ys, ...(b.weights ?? [])]) if (t && !t.isDisposed) t.dispose();
}

/** The epoch loop of fit and fitDataset: callbacks, progress, History. */
export async function trainingLoop(model: TrainableModel, args: LoopArgs): Promise<History> {
  checkYieldEvery(`${model.name}.fit`, args.yieldEvery);
  const yieldEvery = args.yieldEvery ?? 'auto';
  let lastYield = performance.now();
  const hooks = ([] as CallbackHooks[]).concat(args.callbacks ?? []);
  for (const h of hooks) if (h instanceof Callback) h.setModel(model);
  const history = new History();
  const verbose = args.verbose ?? 1;
  const bar = verbose ? new ProgressBar(args.epochs) : null;
  model.stopTraining = false;
  for (const h of hooks) await h.onTrainBegin?.({});
  for (let epoch = args.initialEpoch ?? 0; epoch < args.epochs && !model.stopTraining; epoch++) {
    const source = args.epoch(epoch);
    for (const h of hooks) await h.onEpochBegin?.(epoch, {});
    bar?.epochBegin(epoch, source.steps);
    const avg = new LogsAverager();
    for (let step = 0; source.steps === null || step < source.steps; step++) {
      const batch = await source.next();
      if (!batch) break;
      for (const h of hooks) await h.onBatchBegin?.(step, { batch: step, size: batch.size });
      let logs: Logs;
      try {
        logs = trainStep(model, batch);
      } catch (e) {
        // terminateOnNaN: the batch's (non-finite) logs go to the callbacks, which stop training.
        if (!(e instanceof NonFiniteLossError && hooks.some(stopsOnNonFiniteLoss))) throw e;
        logs = e.logs;
      } finally {
        if (source.ownsBatches) disposeBatch(batch);
      }
      avg.add(logs, batch.size);
      bar?.batchEnd(step, source.steps, avg.result());
      for (const h of hooks) await h.onBatchEnd?.(step, { ...logs, batch: step, size: batch.size });
      if (yieldEvery === 'batch' || (typeof yieldEvery === 'number' && performance.now() - lastYield >= yieldEvery)) {
        await nextTick();
        lastYield = performance.now();
        for (const h of hooks) await h.onYield?.(epoch, step, logs);
      }
      if (model.stopTraining) break;
    }
    const epochLogs = avg.result();
    const val = args.validate ? await args.validate() : null;
    if (val) for (const [k, v] of Object.entries(val)) epochLogs[`val_${k}`] = v;
    history.epoch.push(epoch);
    for (const [k, v] of Object.entries(epochLogs)) (history.history[k] ??= []).push(v);
    bar?.epochEnd(epoch, epochLogs, avg.seen);
    for (const h of hooks) await h.onEpochEnd?.(epoch, epochLogs);
    // Let timers and I/O (e.g. a UI) run between epochs.
    if (yieldEvery !== 'never') {
      await nextTick();
      lastYield = performance.now();
      for (const h of hooks) await h.onYield?.(epoch, -1, epochLogs);
    }
  }
  for (const h of hooks) await h.onTrainEnd?.({});
  return history;
}

/** Mean logs over batches from `next` (evaluate, validation). */
export async function evaluateBatches(model: TrainableModel, next: () => Batch | null | Promise<Batch | null>, ownsBatches: boolean, maxBatches = Infinity): Promise<Logs> {
  const avg = new LogsAverager();
  for (let i = 0; i < maxBatches; i++) {
    const batch = await next();
    if (!batch) break;
    try {
      avg.add(testStep(model, batch), batch.size);
    } finally {
      if (ownsBatches) disposeBatch(batch);
    }
  }
  return avg.result();
}

/** Mean logs over (xs, ys) in batches of `batchSize`, synchronously. */
export function evaluateTensors(model: TrainableModel, xs: Tensor[], ys: (Tensor | null)[], n: number, batchSize: number): Logs {
  const avg = new LogsAverager();
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const scope = ENGINE.startScope();
    try {
      const batch: Batch = {
        xs: xs.map((t) => ops.slice(t, [start], [size])),
        ys: ys.map((t) => (t ? ops.slice(t, [start], [size]) : null)),
        size,
      };
      avg.add(testStep(model, batch), size);
    } finally {
      ENGINE.endScope(scope, new Set());
    }
  }
  return avg.result();
}

/** The model's outputs for xs, batch by batch (inference mode), concatenated. */
export function predictTensors(model: TrainableModel, xs: Tensor[], n: number, batchSize: number): Tensor[] {
  const parts: Tensor[][] = [];
  try {
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const scope = ENGINE.startScope();
      let outs: Tensor[];
      try {
        // Inference records no gradients, except under a gradient tape (fe.grads, minimize…):
        // there, as in TensorFlow.js, predict() is differentiable.
        const run = ENGINE.tapes.some((t) => t.recording) ? <T>(f: () => T) => f() : noGrad;
        outs = run(() => {
          const o = model.forward(xs.map((t) => ops.slice(t, [start], [size])), false);
          model.clearCallLosses();
          return o;
        });
      } catch (e) {
        ENGINE.endScope(scope, new Set());
        throw e;
      }
      // An output that is an input passed through must be copied to survive the scope.
      outs = outs.map((o) => (xs.includes(o) ? ops.clone(o) : o));
      ENGINE.endScope(scope, new Set(outs.map((o) => o.id)));
      parts.push(outs);
    }
  } catch (e) {
    parts.flat().forEach((p) => p.dispose());
    throw e;
  }
  if (parts.length === 1) return parts[0];
  return parts[0].map((_, i) => {
    const all = ops.concat(parts.map((p) => p[i]), 0);
    parts.forEach((p) => p[i].dispose());
    return all;
  });
}
