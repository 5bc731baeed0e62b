/**
 * model.fitDataset / model.evaluateDataset (TensorFlow.js): training and evaluation from an
 * fe.data Dataset of batches, through the shared training engine (training.ts) — the same
 * epoch loop, steps, callbacks, progress bar and History as fit, for every model kind.
 *
 * A dataset element is `{ xs, ys }` or `[xs, ys]`; each of xs and ys is a tensor, a list of
 * tensors (one per model input / output, in order) or a map by input / output name. Each
 * batch's tensors are freed after its step, as TensorFlow.js does.
 */
import { classWeightsPerOutput, weightsFromClasses, type ClassWeightArg } from './sample-weights';
import type { CallbackHooks, Logs } from '../callbacks';
import { Dataset } from '../data/dataset/dataset';
import { describeValue, disposeConsumed, disposeElement, isContainer, tensorsIn } from '../data/dataset/element';
import type { LazyIterator } from '../data/dataset/lazy-iterator';
import * as ops from '../ops/index';
import type { Tensor } from '../tensor';
import type { TensorData } from './data-adapter';
import { evaluateBatches, evaluateTensors, trainingLoop, type Batch, type History, type TrainableModel } from './training';

export interface FitDatasetArgs {
  /** Epochs to train (required, as TensorFlow.js). */
  epochs: number;
  /**
   * Batches per epoch. Without it an epoch is one pass over the dataset (a fresh iterator
   * each epoch); with it the dataset's iterator runs on across epochs (use repeat()).
   */
  batchesPerEpoch?: number;
  /** A dataset of batches like the training one, or [x, y] tensors (lists / maps by name). */
  validationData?: Dataset<unknown> | [TensorData, TensorData];
  /** With a validation dataset: how many of its batches to use (default: all). */
  validationBatches?: number;
  /** With [x, y] validation tensors: the batch size to evaluate them in (default 32). */
  validationBatchSize?: number;
  callbacks?: CallbackHooks | CallbackHooks[];
  /** 0 silent, 1 progress bar (its length known when the dataset's size is), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  /** The epoch to start from (resuming a run). */
  initialEpoch?: number;
  /** When to let the event loop run, as fit's. */
  yieldEvery?: 'auto' | 'batch' | 'epoch' | 'never' | number;
  /** A loss weight per class of the targets (one table, a list or a map by output), as fit's. */
  classWeight?: ClassWeightArg;
}

export interface EvaluateDatasetArgs {
  /** How many batches to evaluate (default: the whole dataset). */
  batches?: number;
  verbose?: 0;
}

/** A model the dataset loop can train: the engine's interface. */
export type DatasetModel = TrainableModel;

/** x and y of a batch → the model's inputs and targets, checked (may build a lazy model). */
export type Standardize = (x: TensorData, y: TensorData) => { xs: Tensor[]; ys: (Tensor | null)[]; n: number };

const FIT_ARGS = ['epochs', 'batchesPerEpoch', 'validationData', 'validationBatches', 'validationBatchSize', 'callbacks', 'verbose', 'initialEpoch', 'yieldEvery', 'classWeight'];

function positiveInt(who: string, name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${who}: ${name} must be a positive integer, got ${describeValue(v)}`);
}

/** The x and y of one dataset element: `{ xs, ys }` or `[xs, ys]`. */
function splitElement(who: string, element: unknown): [TensorData, TensorData] {
  if (Array.isArray(element) && element.length === 2) return [element[0] as TensorData, element[1] as TensorData];
  if (isContainer(element) && !Array.isArray(element) && 'xs' in element && 'ys' in element && element.xs != null && element.ys != null) {
    return [element.xs as TensorData, element.ys as TensorData];
  }
  throw new Error(
    `${who}: a dataset element must be { xs, ys } or [xs, ys] (each a tensor, a list of tensors or a map by name — ` +
      `batch() the dataset first), got ${describeValue(element)}`,
  );
}

/** Turns dataset elements into the engine's batches, freeing what a batch does not use. */
function toBatch(who: string, standardize: Standardize, element: unknown): Batch {
  try {
    const [x, y] = splitElement(who, element);
    for (const [what, v] of [['xs', x], ['ys', y]] as const) {
      if (tensorsIn(v).size === 0) {
        throw new Error(`${who}: the element's ${what} holds no tensor (${describeValue(v)}); batch() the dataset to stack its elements into tensors`);
      }
    }
    const { xs, ys, n } = standardize(x, y);
    // Tensors of the element that are not inputs or targets (extra keys) are freed now; the
    // loop frees xs and ys after the step.
    disposeConsumed(element, [xs, ys]);
    return { xs, ys, size: n };
  } catch (e) {
    disposeElement(element);
    throw e;
  }
}

/** Pulls elements from a dataset's iterators: a fresh one each epoch, or one for the whole run. */
class BatchStream {
  private it: LazyIterator<unknown> | null = null;
  /** An element read ahead by hasMore(), or the error reading it (thrown by the next read). */
  private ahead: { value: unknown } | { error: unknown } | null = null;
  private exhausted = false;

  constructor(private readonly dataset: Dataset<unknown>) {}

  /** Opens an iterator now (the next read uses it). */
  async open(): Promise<void> {
    this.it ??= await this.dataset.iterator();
  }

  /** Closes the current iterator; the next read opens a new one. */
  async restart(): Promise<void> {
    await this.close();
    this.exhausted = false;
  }

  /** The next element, or null when the iterator has ended. */
  async next(): Promise<unknown | null> {
    if (this.ahead) {
      const ahead = this.ahead;
      this.ahead = null;
      if ('error' in ahead) throw ahead.error;
      return ahead.value;
    }
    if (this.exhausted) return null;
    this.it ??= await this.dataset.iterator();
    const r = await this.it.next();
    if (r.done) {
      this.exhausted = true;
      return null;
    }
    return r.value;
  }

  /** Whether another element follows (reading it ahead). */
  async hasMore(): Promise<boolean> {
    if (this.ahead) return true;
    try {
      const v = await this.next();
      if (v === null) return false;
      this.ahead = { value: v };
    } catch (error) {
      this.ahead = { error };
    }
    return true;
  }

  async close(): Promise<void> {
    if (this.ahead && 'value' in this.ahead) disposeElement(this.ahead.value);
    this.ahead = null;
    const it = this.it;
    this.it = null;
    await it?.return();
  }
}

export async function fitDataset(model: DatasetModel, standardize: Standardize, dataset: Dataset<unknown>, args: FitDatasetArgs): Promise<History> {
  const who = `${model.name}.fitDataset`;
  if (!model.compiled) throw new Error(`${who}: call compile() first`);
  if (!(dataset instanceof Dataset)) throw new Error(`${who}: expected an fe.data Dataset, got ${describeValue(dataset)}`);
  if (args == null || typeof args !== 'object') throw new Error(`${who}: the second argument ({ epochs, ... }) is required`);
  for (const k of Object.keys(args)) {
    if (k === 'validationSplit') throw new Error(`${who}: validationSplit is not supported with a dataset; give validationData`);
    if (!FIT_ARGS.includes(k)) throw new Error(`${who}: unknown option '${k}' (${FIT_ARGS.join(', ')})`);
  }
  positiveInt(who, 'epochs', args.epochs);
  const perEpoch = args.batchesPerEpoch;
  if (perEpoch !== undefined) positiveInt(who, 'batchesPerEpoch', perEpoch);
  if (perEpoch === undefined && dataset.size === Infinity) {
    throw new Error(`${who}: the dataset never ends (repeat() without a count); give batchesPerEpoch`);
  }
  const initialEpoch = args.initialEpoch ?? 0;
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0) throw new Error(`${who}: initialEpoch must be an integer ≥ 0, got ${describeValue(initialEpoch)}`);

  const classWeights = classWeightsPerOutput(who, args.classWeight, (model as unknown as { outputNames: string[] }).outputNames);
  const validate = validation(model, who, args);
  const stream = new BatchStream(dataset);
  const steps = perEpoch ?? (dataset.size !== null && Number.isFinite(dataset.size) ? dataset.size : null);
  const ranOut = () => {
    console.warn(
      `${who}: the dataset ran out of data (batchesPerEpoch is ${perEpoch}, ${args.epochs} epochs need ` +
        `${perEpoch! * args.epochs} batches); training stops after this epoch. Use repeat() on the dataset.`,
    );
    model.stopTraining = true;
  };
  try {
    // As TensorFlow.js, an iterator is made before the first epoch — the one batchesPerEpoch
    // runs on — and, without batchesPerEpoch, a fresh one at each epoch. A seeded shuffle draws
    // its order when an iterator is made, so epochs then see TensorFlow.js' orders.
    await stream.open();
    return await trainingLoop(model, {
      epochs: args.epochs,
      initialEpoch,
      verbose: args.verbose,
      callbacks: args.callbacks,
      yieldEvery: args.yieldEvery,
      epoch: (epoch) => {
        let first = true;
        let taken = 0;
        return {
          steps,
          ownsBatches: true,
          next: async (): Promise<Batch | null> => {
            // Without batchesPerEpoch, every epoch is one full pass from a fresh iterator.
            if (first && perEpoch === undefined) await stream.restart();
            first = false;
            const element = await stream.next();
            if (element === null) {
              if (perEpoch !== undefined) ranOut();
              return null;
            }
            const batch = toBatch(who, standardize, element);
            if (classWeights.some((t) => t)) {
              batch.weights = batch.ys.map((y, i) => (y && classWeights[i] ? weightsFromClasses(who, (model as unknown as { outputNames: string[] }).outputNames[i], y, classWeights[i]!) : null));
            }
            // At an epoch's last batch with more epochs to go, look ahead: a dataset that has run
            // out stops training now rather than after an epoch without batches.
            if (perEpoch !== undefined && ++taken === perEpoch && epoch + 1 < args.epochs && !(await stream.hasMore())) ranOut();
            return batch;
          },
        };
      },
      validate: validate ? () => validate(standardize) : undefined,
    });
  } finally {
    await stream.close();
  }
}

/** The end-of-epoch validation fitDataset runs, if asked. */
function validation(model: DatasetModel, who: string, args: FitDatasetArgs): ((standardize: Standardize) => Promise<Logs>) | null {
  const v = args.validationData;
  if (v === undefined || v === null) {
    if (args.validationBatches !== undefined) throw new Error(`${who}: validationBatches needs a validation dataset (validationData)`);
    if (args.validationBatchSize !== undefined) throw new Error(`${who}: validationBatchSize needs validationData [x, y]`);
    return null;
  }
  if (v instanceof Dataset) {
    if (args.validationBatchSize !== undefined) throw new Error(`${who}: validationBatchSize is for [x, y] tensors; a validation dataset is already batched`);
    if (args.validationBatches !== undefined) positiveInt(who, 'validationBatches', args.validationBatches);
    return (standardize) => evaluateDatasetLogs(model, standardize, v, args.validationBatches, `${who} (validationData)`);
  }
  if (!Array.isArray(v) || v.length !== 2) throw new Error(`${who}: validationData must be a dataset or [x, y], got ${describeValue(v)}`);
  if (args.validationBatches !== undefined) throw new Error(`${who}: validationBatches is for a validation dataset; with [x, y] use validationBatchSize`);
  const batchSize = args.validationBatchSize ?? 32;
  positiveInt(who, 'validationBatchSize', batchSize);
  return async (standardize) => {
    const { xs, ys, n } = standardize(v[0], v[1]);
    return evaluateTensors(model, xs, ys, n, batchSize);
  };
}

/** Mean loss and metrics over the dataset's batches (all, or the first `batches`). */
export async function evaluateDatasetLogs(model: DatasetModel, standardize: Standardize, dataset: Dataset<unknown>, batches: number | undefined, who: string): Promise<Logs> {
  const stream = new BatchStream(dataset);
  let count = 0;
  try {
    const logs = await evaluateBatches(
      model,
      async () => {
        const element = await stream.next();
        if (element === null) {
          if (batches !== undefined) {
            console.warn(`${who}: the dataset ran out of data after ${count} batches (batches is ${batches}); use repeat() on the dataset`);
          }
          return null;
        }
        count++;
        return toBatch(who, standardize, element);
      },
      true,
      batches ?? Infinity,
    );
    if (count === 0) throw new Error(`${who}: the dataset gave no batches to evaluate`);
    return logs;
  } finally {
    await stream.close();
  }
}

/** evaluateDataset: the loss and metrics as scalars, `loss` or `[loss, ...]` (metricsNames order). */
export async function evaluateDataset(model: DatasetModel, standardize: Standardize, dataset: Dataset<unknown>, args: EvaluateDatasetArgs = {}): Promise<Tensor | Tensor[]> {
  const who = `${model.name}.evaluateDataset`;
  if (!model.compiled) throw new Error(`${who}: call compile() first`);
  if (!(dataset instanceof Dataset)) throw new Error(`${who}: expected an fe.data Dataset, got ${describeValue(dataset)}`);
  for (const k of Object.keys(args ?? {})) {
    if (k !== 'batches' && k !== 'verbose') throw new Error(`${who}: unknown option '${k}' (batches, verbose)`);
  }
  if (args.verbose) throw new Error(`${who}: verbose output is not implemented (as TensorFlow.js); use verbose 0`);
  if (args.batches !== undefined) positiveInt(who, 'batches', args.batches);
  if (args.batches === undefined && dataset.size === Infinity) throw new Error(`${who}: the dataset never ends (repeat() without a count); give batches`);
  const logs = await evaluateDatasetLogs(model, standardize, dataset, args.batches, who);
  const values = Object.values(logs).map((v) => ops.scalar(v));
  return values.length === 1 ? values[0] : values;
}
