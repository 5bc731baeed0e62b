/**
 * PyTorch-style loss modules: const criterion = fe.nn.crossEntropyLoss(); criterion(output, target).
 * Logits come first, as in PyTorch (fe.losses.* keep TensorFlow.js' labels-first order).
 */
import * as ops from '../ops/index';
import { fmt, shapesEqual } from '../ops/util';
import type { Tensor } from '../tensor';

export type Reduction = 'mean' | 'sum' | 'none';

export interface CrossEntropyOptions {
  /** Targets equal to this class id add nothing, and 'mean' divides by the other targets only. */
  ignoreIndex?: number;
  /** Default 'mean'. */
  reduction?: Reduction;
}

export type LossModule = (output: Tensor, target: Tensor) => Tensor;

function reduce(perItem: Tensor, reduction: Reduction, count?: number): Tensor {
  if (reduction === 'none') return perItem;
  const total = ops.sum(perItem);
  if (reduction === 'sum') return total;
  return count === undefined ? ops.mean(perItem) : ops.div(total, Math.max(count, 1));
}

/**
 * Softmax cross-entropy on logits [..., classes] (classes on the last axis) against int32
 * class ids [...] (or, with float32 targets of the logits' shape, class probabilities).
 * The fused kernel gives the loss and its gradient in one pass.
 */
export function crossEntropyLoss(opts: CrossEntropyOptions = {}): LossModule {
  const reduction = opts.reduction ?? 'mean';
  return (output: Tensor, target: Tensor): Tensor => {
    if (target.dtype === 'float32' && shapesEqual(target.shape, output.shape)) {
      return reduce(ops.softmaxCrossEntropyWithLogits(target, output), reduction);
    }
    const rowShape = output.shape.slice(0, -1);
    if (!shapesEqual(target.shape, rowShape)) {
      throw new Error(`crossEntropyLoss: targets of shape ${fmt(target.shape)} do not fit logits of shape ${fmt(output.shape)} (expected class ids of shape ${fmt(rowShape)}, classes on the last axis)`);
    }
    const ids = target.dtype === 'int32' ? target : ops.cast(target, 'int32');
    if (opts.ignoreIndex === undefined) return reduce(ops.softmaxCrossEntropyWithLogits(ids, output), reduction);
    // Ignored targets: class 0 for the kernel, weight 0 in the sum.
    const raw = ids.dataSync() as Int32Array;
    const safe = new Int32Array(raw.length), weight = new Float32Array(raw.length);
    let count = 0;
    for (let i = 0; i < raw.length; i++) {
      const keep = raw[i] !== opts.ignoreIndex;
      safe[i] = keep ? raw[i] : 0;
      weight[i] = keep ? 1 : 0;
      if (keep) count++;
    }
    const perItem = ops.mul(ops.softmaxCrossEntropyWithLogits(ops.tensor(safe, rowShape, 'int32'), output), ops.tensor(weight, rowShape));
    return reduce(perItem, reduction, count);
  };
}

/** Mean squared error. */
export function mseLoss(opts: { reduction?: Reduction } = {}): LossModule {
  return (output: Tensor, target: Tensor): Tensor => {
    if (!shapesEqual(output.shape, target.shape)) {
      throw new Error(`mseLoss: output ${fmt(output.shape)} and target ${fmt(target.shape)} must have the same shape`);
    }
    return reduce(ops.squaredDifference(output, target), opts.reduction ?? 'mean');
  };
}
