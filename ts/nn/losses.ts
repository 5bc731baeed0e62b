/**
 * PyTorch-style loss functions: const criterion = fe.nn.crossEntropyLoss(); criterion(output,
 * target). The output comes first, as in PyTorch (fe.losses.* keep TensorFlow.js' labels-first
 * order). reduction 'mean' (default) | 'sum' | 'none'. Classes are on the last axis (ferrite is
 * channels-last; PyTorch puts them on axis 1).
 */
import { noGrad } from '../autograd';
import * as ops from '../ops/index';
import { broadcastShapes, fmt, shapesEqual } from '../ops/util';
import type { Tensor } from '../tensor';
import { checkOptions } from './args';

export type Reduction = 'mean' | 'sum' | 'none';

export type LossModule = (output: Tensor, target: Tensor) => Tensor;

export interface CrossEntropyOptions {
  /** Targets equal to this class id add nothing, and 'mean' divides by the other targets only. Default −100. */
  ignoreIndex?: number;
  /** A weight per class [classes]: each target's loss is scaled by its class's weight ('mean' divides by their sum). */
  weight?: Tensor | null;
  /** ε: the target becomes (1 − ε)·target + ε/classes (as PyTorch's label_smoothing). Default 0. */
  labelSmoothing?: number;
  reduction?: Reduction;
}

export interface NllLossOptions {
  ignoreIndex?: number;
  weight?: Tensor | null;
  reduction?: Reduction;
}

function reductionOf(who: string, r: unknown): Reduction {
  if (r === undefined) return 'mean';
  if (r !== 'mean' && r !== 'sum' && r !== 'none') throw new Error(`${who}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(r)}`);
  return r;
}

/** 'sum' or 'mean' of the per-item losses ('mean' over `divisor` when given). */
function reduce(perItem: Tensor, reduction: Reduction, divisor?: number): Tensor {
  if (reduction === 'none') return perItem;
  if (reduction === 'sum') return ops.sum(perItem);
  return divisor === undefined ? ops.mean(perItem) : ops.div(ops.sum(perItem), divisor);
}

/** The target, float32 (int32 targets are cast), after checking it has the output's shape. */
function sameShape(who: string, output: Tensor, target: Tensor): Tensor {
  if (!shapesEqual(output.shape, target.shape)) {
    throw new Error(`${who}: output ${fmt(output.shape)} and target ${fmt(target.shape)} must have the same shape`);
  }
  return target.dtype === 'float32' ? target : ops.cast(target, 'float32');
}

function classWeight(who: string, weight: Tensor | null | undefined, classes: number): Float32Array | null {
  if (!weight) return null;
  if (weight.rank !== 1 || weight.shape[0] !== classes) {
    throw new Error(`${who}: weight must have shape [${classes}] (one per class), got ${fmt(weight.shape)}`);
  }
  return Float32Array.from(weight.dataSync());
}

/** Class ids as integers, checked to lie in [0, classes) unless equal to ignoreIndex. */
function classIds(who: string, target: Tensor, rowShape: number[], classes: number, ignoreIndex: number, input = 'input'): Int32Array {
  if (!shapesEqual(target.shape, rowShape)) {
    throw new Error(`${who}: targets of shape ${fmt(target.shape)} do not fit ${input} of shape ${fmt([...rowShape, classes])} (expected class ids of shape ${fmt(rowShape)}, classes on the last axis)`);
  }
  const raw = target.dataSync();
  const ids = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    if (v !== ignoreIndex && !(Number.isInteger(v) && v >= 0 && v < classes)) {
      throw new Error(`${who}: target ${v} (at ${i}) is outside [0, ${classes}) and is not ignoreIndex (${ignoreIndex})`);
    }
    ids[i] = v;
  }
  return ids;
}

/**
 * The negative log-likelihood of log-probabilities logp [..., classes] at class ids, weighted
 * by class; ignored targets count 0. Returns the per-item losses and Σ weights (the 'mean'
 * divisor).
 */
function nll(logp: Tensor, ids: Int32Array, weight: Float32Array | null, ignoreIndex: number): { perItem: Tensor; total: number } {
  const classes = logp.shape[logp.rank - 1];
  const pick = new Float32Array(ids.length * classes);
  let total = 0;
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] === ignoreIndex) continue;
    const w = weight ? weight[ids[i]] : 1;
    pick[i * classes + ids[i]] = -w;
    total += w;
  }
  const mask = ops.tensor(pick, logp.shape);
  const picked = ops.mul(logp, mask);
  if (!picked.gradFn) mask.dispose(); // else the gradient still needs it
  return { perItem: ops.sum(picked, -1), total };
}

/**
 * nn.NLLLoss: input log-probabilities [..., classes] (e.g. a logSoftmax), target class ids
 * [...]: −weight[t]·input[…, t]; 'mean' divides by the sum of the targets' weights.
 */
export function nllLoss(opts: NllLossOptions = {}): LossModule {
  checkOptions('nllLoss', opts, ['ignoreIndex', 'weight', 'reduction']);
  const reduction = reductionOf('nllLoss', opts.reduction);
  const ignoreIndex = opts.ignoreIndex ?? -100;
  return (input: Tensor, target: Tensor): Tensor => {
    if (input.rank < 1) throw new Error(`nllLoss: expected input [..., classes], got a scalar`);
    const classes = input.shape[input.rank - 1];
    const weight = classWeight('nllLoss', opts.weight, classes);
    const ids = classIds('nllLoss', target, input.shape.slice(0, -1), classes, ignoreIndex);
    const { perItem, total } = nll(input, ids, weight, ignoreIndex);
    return reduce(perItem, reduction, total);
  };
}

/**
 * nn.CrossEntropyLoss: softmax cross-entropy of logits [..., classes] against class ids [...]
 * (int32, or float32 integers) or, with float32 targets of the logits' shape, class
 * probabilities. Class weights, ignoreIndex (default −100) and labelSmoothing as PyTorch;
 * without them the fused kernel gives the loss and its gradient in one pass.
 */
export function crossEntropyLoss(opts: CrossEntropyOptions = {}): LossModule {
  checkOptions('crossEntropyLoss', opts, ['ignoreIndex', 'weight', 'labelSmoothing', 'reduction']);
  const reduction = reductionOf('crossEntropyLoss', opts.reduction);
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const eps = opts.labelSmoothing ?? 0;
  if (typeof eps !== 'number' || !(eps >= 0 && eps <= 1)) throw new Error(`crossEntropyLoss: labelSmoothing must be in [0, 1], got ${JSON.stringify(opts.labelSmoothing)}`);
  return (output: Tensor, target: Tensor): Tensor => {
    if (output.rank < 1) throw new Error(`crossEntropyLoss: expected logits [..., classes], got a scalar`);
    const classes = output.shape[output.rank - 1];
    const weight = classWeight('crossEntropyLoss', opts.weight, classes);
    if (target.dtype === 'float32' && shapesEqual(target.shape, output.shape)) {
      // Class probabilities: −Σ_c w_c·p_c·log softmax(x)_c, 'mean' over the items.
      if (!weight && eps === 0) return reduce(ops.softmaxCrossEntropyWithLogits(target, output), reduction);
      let p = target;
      if (eps > 0) p = ops.add(ops.mul(target, 1 - eps), eps / classes);
      if (weight) p = ops.mul(p, ops.tensor(weight, [classes]));
      return reduce(ops.neg(ops.sum(ops.mul(ops.logSoftmax(output, -1), p), -1)), reduction);
    }
    const rowShape = output.shape.slice(0, -1);
    const ids = classIds('crossEntropyLoss', target, rowShape, classes, ignoreIndex, 'logits');
    const ignored = ids.some((v) => v === ignoreIndex);
    if (!weight && eps === 0 && !ignored) {
      const t = target.dtype === 'int32' ? target : ops.tensor(ids, rowShape, 'int32');
      return reduce(ops.softmaxCrossEntropyWithLogits(t, output), reduction);
    }
    const logp = ops.logSoftmax(output, -1);
    const { perItem, total } = nll(logp, ids, weight, ignoreIndex);
    if (eps === 0) return reduce(perItem, reduction, total);
    // PyTorch: (1 − ε)·nll + ε/C·smooth, smooth = −Σ_c w_c·log p_c (0 at ignored targets),
    // 'mean' dividing both by the targets' weight sum (without weights, the kept targets' count).
    const keep = new Float32Array(ids.length);
    for (let i = 0; i < ids.length; i++) keep[i] = ids[i] === ignoreIndex ? 0 : 1;
    const weighted = weight ? ops.mul(logp, ops.tensor(weight, [classes])) : logp;
    const smooth = ops.mul(ops.neg(ops.sum(weighted, -1)), ops.tensor(keep, rowShape));
    const a = reduce(perItem, reduction, total), b = reduce(smooth, reduction, total);
    return ops.add(ops.mul(a, 1 - eps), ops.mul(b, eps / classes));
  };
}

/** nn.MSELoss: (output − target)². */
export function mseLoss(opts: { reduction?: Reduction } = {}): LossModule {
  checkOptions('mseLoss', opts, ['reduction']);
  const reduction = reductionOf('mseLoss', opts.reduction);
  return (output: Tensor, target: Tensor): Tensor => {
    target = sameShape('mseLoss', output, target);
    return reduce(ops.squaredDifference(output, target), reduction);
  };
}

/** nn.L1Loss: |output − target|. */
export function l1Loss(opts: { reduction?: Reduction } = {}): LossModule {
  checkOptions('l1Loss', opts, ['reduction']);
  const reduction = reductionOf('l1Loss', opts.reduction);
  return (output: Tensor, target: Tensor): Tensor => {
    target = sameShape('l1Loss', output, target);
    return reduce(ops.abs(ops.sub(output, target)), reduction);
  };
}

/** nn.SmoothL1Loss({ beta = 1 }): ½d²/β where |d| < β, |d| − ½β elsewhere (β = 0: L1). */
export function smoothL1Loss(opts: { beta?: number; reduction?: Reduction } = {}): LossModule {
  checkOptions('smoothL1Loss', opts, ['beta', 'reduction']);
  const reduction = reductionOf('smoothL1Loss', opts.reduction);
  const beta = opts.beta ?? 1;
  if (typeof beta !== 'number' || !(beta >= 0) || !Number.isFinite(beta)) throw new Error(`smoothL1Loss: beta must be a non-negative number, got ${JSON.stringify(opts.beta)}`);
  return (output: Tensor, target: Tensor): Tensor => {
    target = sameShape('smoothL1Loss', output, target);
    const d = ops.abs(ops.sub(output, target));
    if (beta === 0) return reduce(d, reduction);
    const inner = noGrad(() => ops.less(d, beta));
    return reduce(ops.where(inner, ops.mul(ops.square(d), 0.5 / beta), ops.sub(d, 0.5 * beta)), reduction);
  };
}

/** nn.HuberLoss({ delta = 1 }): ½d² where |d| < δ, δ·(|d| − ½δ) elsewhere. */
export function huberLoss(opts: { delta?: number; reduction?: Reduction } = {}): LossModule {
  checkOptions('huberLoss', opts, ['delta', 'reduction']);
  const reduction = reductionOf('huberLoss', opts.reduction);
  const delta = opts.delta ?? 1;
  if (typeof delta !== 'number' || !(delta > 0) || !Number.isFinite(delta)) throw new Error(`huberLoss: delta must be a positive number, got ${JSON.stringify(opts.delta)}`);
  return (output: Tensor, target: Tensor): Tensor => {
    target = sameShape('huberLoss', output, target);
    const d = ops.abs(ops.sub(output, target));
    const inner = noGrad(() => ops.less(d, delta));
    return reduce(ops.where(inner, ops.mul(ops.square(d), 0.5), ops.mul(ops.sub(d, 0.5 * delta), delta)), reduction);
  };
}

/** A weight tensor that broadcasts to `shape` (elementwise loss weights). */
function elementWeight(who: string, weight: Tensor | null | undefined, shape: number[], what = 'weight'): Tensor | null {
  if (!weight) return null;
  let ok = true;
  try {
    ok = shapesEqual(broadcastShapes(who, weight.shape, shape), shape);
  } catch {
    ok = false;
  }
  if (!ok) throw new Error(`${who}: ${what} of shape ${fmt(weight.shape)} does not broadcast to the input's ${fmt(shape)}`);
  return weight;
}

/**
 * nn.BCELoss({ weight }): −w·(y·log x + (1 − y)·log(1 − x)) for probabilities x in [0, 1]
 * (each log clamped at −100, as PyTorch); x outside [0, 1] throws.
 */
export function bceLoss(opts: { weight?: Tensor | null; reduction?: Reduction } = {}): LossModule {
  checkOptions('bceLoss', opts, ['weight', 'reduction']);
  const reduction = reductionOf('bceLoss', opts.reduction);
  return (output: Tensor, target: Tensor): Tensor => {
    target = sameShape('bceLoss', output, target);
    const w = elementWeight('bceLoss', opts.weight, output.shape);
    const x = output.dataSync();
    for (let i = 0; i < x.length; i++) {
      if (!(x[i] >= 0 && x[i] <= 1)) throw new Error(`bceLoss: every input must be a probability in [0, 1], got ${x[i]} at ${i} (use bceWithLogitsLoss for logits)`);
    }
    const logX = ops.maximum(ops.log(output), -100);
    const log1mX = ops.maximum(ops.log(ops.sub(1, output)), -100);
    // y·log x + (1 − y)·log(1 − x) = log(1 − x) + y·(log x − log(1 − x))
    let loss = ops.neg(ops.add(log1mX, ops.mul(target, ops.sub(logX, log1mX))));
    if (w) loss = ops.mul(loss, w);
    return reduce(loss, reduction);
  };
}

/**
 * nn.BCEWithLogitsLoss({ weight, posWeight }): sigmoid cross-entropy on logits,
 * −w·(p·y·log σ(x) + (1 − y)·log(1 − σ(x))) with posWeight p broadcast along the last axis
 * (one per class), computed stably as (1 − y)·x + (1 + (p − 1)·y)·softplus(−x).
 */
export function bceWithLogitsLoss(opts: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {}): LossModule {
  checkOptions('bceWithLogitsLoss', opts, ['weight', 'posWeight', 'reduction']);
  const reduction = reductionOf('bceWithLogitsLoss', opts.reduction);
  return (output: Tensor, target: Tensor): Tensor => {
    target = sameShape('bceWithLogitsLoss', output, target);
    const w = elementWeight('bceWithLogitsLoss', opts.weight, output.shape);
    const pw = elementWeight('bceWithLogitsLoss', opts.posWeight, output.shape, 'posWeight');
    let loss: Tensor;
    if (!pw) loss = ops.sigmoidCrossEntropyWithLogits(target, output);
    else {
      const scale = ops.add(ops.mul(ops.sub(pw, 1), target), 1);
      loss = ops.add(ops.mul(ops.sub(1, target), output), ops.mul(scale, ops.softplus(ops.neg(output))));
    }
    if (w) loss = ops.mul(loss, w);
    return reduce(loss, reduction);
  };
}
