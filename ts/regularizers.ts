/**
 * Weight and activity regularizers, as TensorFlow.js' tf.regularizers (Keras' L1L2):
 * penalty = l1·Σ|x| + l2·Σx². A layer's `kernelRegularizer`, `biasRegularizer` and
 * `activityRegularizer` add their penalties to the training loss (the activity penalty
 * divided by the batch size, as Keras).
 */
import * as ops from './ops/index';
import type { Tensor } from './tensor';

export abstract class Regularizer {
  abstract readonly className: string;
  /** The penalty of `x`, a scalar recorded for autograd. */
  abstract apply(x: Tensor): Tensor;
  abstract getConfig(): Record<string, unknown>;
}

export interface L1L2Args {
  /** Default 0.01 (TensorFlow.js). */
  l1?: number;
  /** Default 0.01 (TensorFlow.js). */
  l2?: number;
}

function factor(key: string, v: number | undefined | null): number {
  const f = v ?? 0.01;
  if (!(Number.isFinite(f) && f >= 0)) throw new Error(`regularizer: ${key} must be a non-negative number, got ${v}`);
  return f;
}

export class L1L2 extends Regularizer {
  readonly className = 'L1L2';
  readonly l1: number;
  readonly l2: number;

  constructor(args: L1L2Args = {}) {
    super();
    if (args === null || typeof args !== 'object') throw new Error(`l1l2: expected { l1, l2 }, got ${JSON.stringify(args)}`);
    this.l1 = factor('l1', args.l1);
    this.l2 = factor('l2', args.l2);
  }

  apply(x: Tensor): Tensor {
    let total: Tensor | null = null;
    if (this.l1 !== 0) total = ops.mul(ops.sum(ops.abs(x)), this.l1);
    if (this.l2 !== 0) {
      const p = ops.mul(ops.sum(ops.square(x)), this.l2);
      total = total ? ops.add(total, p) : p;
    }
    return total ?? ops.scalar(0);
  }

  getConfig() {
    return { l1: this.l1, l2: this.l2 };
  }
}

/** tf.regularizers.l1({ l1 }): l1·Σ|x|. */
export function l1(args: { l1?: number } = {}): L1L2 {
  return new L1L2({ l1: args.l1, l2: 0 });
}

/** tf.regularizers.l2({ l2 }): l2·Σx². */
export function l2(args: { l2?: number } = {}): L1L2 {
  return new L1L2({ l1: 0, l2: args.l2 });
}

/** tf.regularizers.l1l2({ l1, l2 }). */
export function l1l2(args: L1L2Args = {}): L1L2 {
  return new L1L2(args);
}

export type RegularizerIdentifier = 'l1l2' | 'l1' | 'l2' | 'L1L2' | 'L1' | 'L2';

/** A regularizer from a regularizer, a name, or a { className, config } object. */
export function getRegularizer(v: Regularizer | string | { className?: string; class_name?: string; config?: Record<string, unknown> } | null | undefined, where: string): Regularizer | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Regularizer) return v;
  if (typeof v === 'string') {
    switch (v) {
      case 'l1l2': case 'L1L2': return l1l2();
      case 'l1': case 'L1': return l1();
      case 'l2': case 'L2': return l2();
    }
    throw new Error(`${where}: unknown regularizer '${v}' (expected 'l1', 'l2', 'l1l2' or a regularizer object)`);
  }
  const cls = v.className ?? v.class_name;
  const c = (v.config ?? {}) as { l1?: number; l2?: number };
  if (cls === 'L1L2') return new L1L2({ l1: c.l1 ?? 0, l2: c.l2 ?? 0 });
  if (cls === 'L1') return new L1L2({ l1: c.l1 ?? 0.01, l2: 0 });
  if (cls === 'L2') return new L1L2({ l1: 0, l2: c.l2 ?? 0.01 });
  throw new Error(`${where}: unknown regularizer class '${cls}' (ferrite knows L1L2, L1, L2)`);
}

/** A regularizer as TensorFlow.js serializes it: { className, config }. */
export function serializeRegularizer(r: Regularizer | null): { className: string; config: Record<string, unknown> } | null {
  return r ? { className: r.className, config: r.getConfig() } : null;
}

export const regularizers = { l1, l2, l1l2 };
