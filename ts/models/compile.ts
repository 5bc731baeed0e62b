/**
 * compile() for every model kind: one loss, a list (one per output) or a map by output name;
 * lossWeights likewise; metrics as a list (every output) or a map; the log names Keras and
 * TensorFlow.js use ('loss', 'acc'; with several outputs '<output>_loss', '<output>_acc').
 */
import { lossesByName, lossName as resolveLossName, type LossFn } from '../losses';
import { resolveMetric, type MetricFn } from '../metrics';
import { getOptimizer } from '../optimizers/optimizers';
import type { Optimizer } from '../optimizers/optimizer';
import type { Variable } from '../tensor';

export type LossArg = string | LossFn;
export type MetricArg = string | MetricFn;

export interface CompileArgs {
  optimizer: string | Optimizer;
  /** One loss for every output, a list (one per output), or a map by output name. */
  loss: LossArg | LossArg[] | Record<string, LossArg>;
  /** Metrics for every output, or a map by output name. */
  metrics?: MetricArg[] | Record<string, MetricArg | MetricArg[]>;
  /** Weights of the outputs' losses in the total (default 1 each). */
  lossWeights?: number[] | Record<string, number>;
}

/** What training needs to know about one output. */
export interface OutputSpec {
  name: string;
  index: number;
  /** Null: this output has no loss (its targets are not needed). */
  lossId: string | null;
  lossFn: LossFn | null;
  weight: number;
  metrics: [string, MetricFn][];
  /** The compile() arguments, kept for saving. */
  lossArg: LossArg | null;
  metricArgs: MetricArg[];
}

export interface Compiled {
  optimizer: Optimizer;
  outputs: OutputSpec[];
  /** The trainable weights when compile() ran (as Keras 2 and TensorFlow.js): fit updates these. */
  collectedWeights: Variable[];
  /** The loss argument as given (for saving the training config). */
  lossArg: CompileArgs['loss'];
  metricsArg: CompileArgs['metrics'];
}

function perOutput<T>(
  who: string, what: string, arg: T | T[] | Record<string, T> | undefined, names: string[], isSingle: (v: unknown) => v is T,
): (T | undefined)[] {
  if (arg === undefined) return names.map(() => undefined);
  if (isSingle(arg)) return names.map(() => arg);
  if (Array.isArray(arg)) {
    if (arg.length !== names.length) {
      throw new Error(`${who}.compile: ${what} is a list of ${arg.length}, but the model has ${names.length} output${names.length === 1 ? '' : 's'} (${names.join(', ')})`);
    }
    return arg;
  }
  const map = arg as Record<string, T>;
  for (const k of Object.keys(map)) {
    if (!names.includes(k)) throw new Error(`${who}.compile: ${what} names output '${k}', but the model's outputs are ${names.join(', ')}`);
  }
  return names.map((n) => map[n]);
}

const isLoss = (v: unknown): v is LossArg => typeof v === 'string' || typeof v === 'function';
const isWeight = (v: unknown): v is number => typeof v === 'number';
const isMetricList = (v: unknown): v is MetricArg[] => Array.isArray(v);

/**
 * Resolves compile() arguments for a model with these outputs (names, and each output's
 * last dimension for choosing the accuracy variant).
 */
export function compileModel(who: string, args: CompileArgs, outputNames: string[], outputUnits: (number | null)[], trainable: Variable[]): Compiled {
  if (!args || args.optimizer === undefined || args.loss === undefined) throw new Error(`${who}.compile: needs { optimizer, loss }`);
  const optimizer = getOptimizer(args.optimizer);
  const losses = perOutput(who, 'loss', args.loss, outputNames, isLoss);
  const weights = perOutput(who, 'lossWeights', args.lossWeights, outputNames, isWeight);
  let metricLists: (MetricArg[] | undefined)[];
  if (args.metrics === undefined) metricLists = outputNames.map(() => []);
  else if (isMetricList(args.metrics)) metricLists = outputNames.map(() => args.metrics as MetricArg[]);
  else {
    const map = args.metrics as Record<string, MetricArg | MetricArg[]>;
    for (const k of Object.keys(map)) {
      if (!outputNames.includes(k)) throw new Error(`${who}.compile: metrics names output '${k}', but the model's outputs are ${outputNames.join(', ')}`);
    }
    metricLists = outputNames.map((n) => (map[n] === undefined ? [] : ([] as MetricArg[]).concat(map[n])));
  }
  if (losses.every((l) => l === undefined)) throw new Error(`${who}.compile: no output has a loss`);
  const several = outputNames.length > 1;
  const outputs = outputNames.map((name, index): OutputSpec => {
    const l = losses[index];
    const lossId = l === undefined ? null : typeof l === 'function' ? null : resolveLossName(l);
    const lossFn = l === undefined ? null : typeof l === 'function' ? l : lossesByName[lossId!];
    const weight = weights[index] ?? 1;
    if (!Number.isFinite(weight)) throw new Error(`${who}.compile: the loss weight of output '${name}' must be a number, got ${weight}`);
    const metricArgs = metricLists[index] ?? [];
    const metrics = metricArgs.map((m): [string, MetricFn] => {
      const [key, fn] = resolveMetric(m, lossId, outputUnits[index]);
      return [several ? `${name}_${key}` : key, fn];
    });
    return { name, index, lossId, lossFn, weight, metrics, lossArg: l ?? null, metricArgs };
  });
  return { optimizer, outputs, collectedWeights: [...trainable], lossArg: args.loss, metricsArg: args.metrics };
}

/** The names of the values a training step logs, in Keras' order: loss, per-output losses, metrics. */
export function logNames(c: Compiled): string[] {
  const names = ['loss'];
  if (c.outputs.length > 1) for (const o of c.outputs) if (o.lossFn) names.push(`${o.name}_loss`);
  for (const o of c.outputs) for (const [k] of o.metrics) names.push(k);
  return names;
}
