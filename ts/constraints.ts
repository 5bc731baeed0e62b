/**
 * Weight constraints, as TensorFlow.js' tf.constraints (Keras semantics): applied to a
 * variable after every optimizer update. Norms are L2 norms along `axis` (default 0: each
 * output unit of a Dense kernel [in, units]).
 */
import { noGrad } from './autograd';
import * as ops from './ops/index';
import type { Tensor } from './tensor';

/** Keras' backend epsilon, kept out of the denominators. */
const EPSILON = 1e-7;

export abstract class Constraint {
  abstract readonly className: string;
  /** The constrained value of `w` (a new tensor). */
  abstract apply(w: Tensor): Tensor;
  getConfig(): Record<string, unknown> {
    return {};
  }
}

function l2Norms(w: Tensor, axis: number | number[]): Tensor {
  return ops.sqrt(ops.sum(ops.square(w), axis, true));
}

function checkNumber(who: string, key: string, v: number, min = -Infinity): number {
  if (!Number.isFinite(v) || v < min) throw new Error(`${who}: ${key} must be a number ≥ ${min}, got ${v}`);
  return v;
}

export interface MaxNormArgs {
  maxValue?: number;
  axis?: number | number[];
}

/** Scales each slice along `axis` whose norm exceeds maxValue (default 2) back to it. */
export class MaxNorm extends Constraint {
  readonly className = 'MaxNorm';
  readonly maxValue: number;
  readonly axis: number | number[];
  constructor(args: MaxNormArgs = {}) {
    super();
    this.maxValue = checkNumber('maxNorm', 'maxValue', args.maxValue ?? 2, 0);
    this.axis = args.axis ?? 0;
  }
  apply(w: Tensor): Tensor {
    return noGrad(() => {
      const norms = l2Norms(w, this.axis);
      const desired = ops.clipByValue(norms, 0, this.maxValue);
      return ops.mul(w, ops.div(desired, ops.add(norms, EPSILON)));
    });
  }
  override getConfig() {
    return { maxValue: this.maxValue, axis: this.axis };
  }
}

/** Divides each slice along `axis` by its norm. */
export class UnitNorm extends Constraint {
  readonly className = 'UnitNorm';
  readonly axis: number | number[];
  constructor(args: { axis?: number | number[] } = {}) {
    super();
    this.axis = args.axis ?? 0;
  }
  apply(w: Tensor): Tensor {
    return noGrad(() => ops.div(w, ops.add(l2Norms(w, this.axis), EPSILON)));
  }
  override getConfig() {
    return { axis: this.axis };
  }
}

/** Sets negative weights to 0. */
export class NonNeg extends Constraint {
  readonly className = 'NonNeg';
  apply(w: Tensor): Tensor {
    return noGrad(() => ops.mul(w, ops.greaterEqual(w, 0)));
  }
}

export interface MinMaxNormArgs {
  minValue?: number;
  maxValue?: number;
  /** 1 enforces the bounds strictly; below 1 moves the norm part of the way there each step. */
  rate?: number;
  axis?: number | number[];
}

/** Keeps each slice's norm in [minValue, maxValue] (defaults 0, 1), at `rate`. */
export class MinMaxNorm extends Constraint {
  readonly className = 'MinMaxNorm';
  readonly minValue: number;
  readonly maxValue: number;
  readonly rate: number;
  readonly axis: number | number[];
  constructor(args: MinMaxNormArgs = {}) {
    super();
    this.minValue = checkNumber('minMaxNorm', 'minValue', args.minValue ?? 0, 0);
    this.maxValue = checkNumber('minMaxNorm', 'maxValue', args.maxValue ?? 1, this.minValue);
    this.rate = checkNumber('minMaxNorm', 'rate', args.rate ?? 1, 0);
    this.axis = args.axis ?? 0;
  }
  apply(w: Tensor): Tensor {
    return noGrad(() => {
      const norms = l2Norms(w, this.axis);
      const clipped = ops.clipByValue(norms, this.minValue, this.maxValue);
      const desired = ops.add(ops.mul(clipped, this.rate), ops.mul(norms, 1 - this.rate));
      return ops.mul(w, ops.div(desired, ops.add(norms, EPSILON)));
    });
  }
  override getConfig() {
    return { minValue: this.minValue, maxValue: this.maxValue, rate: this.rate, axis: this.axis };
  }
}

export const maxNorm = (args?: MaxNormArgs) => new MaxNorm(args);
export const unitNorm = (args?: { axis?: number | number[] }) => new UnitNorm(args);
export const nonNeg = () => new NonNeg();
export const minMaxNorm = (args?: MinMaxNormArgs) => new MinMaxNorm(args);

const BY_NAME: Record<string, (c: Record<string, unknown>) => Constraint> = {
  MaxNorm: (c) => new MaxNorm(c as MaxNormArgs),
  UnitNorm: (c) => new UnitNorm(c as { axis?: number }),
  NonNeg: () => new NonNeg(),
  MinMaxNorm: (c) => new MinMaxNorm(c as MinMaxNormArgs),
};
const ALIASES: Record<string, string> = { maxNorm: 'MaxNorm', unitNorm: 'UnitNorm', nonNeg: 'NonNeg', minMaxNorm: 'MinMaxNorm', max_norm: 'MaxNorm', unit_norm: 'UnitNorm', non_neg: 'NonNeg', min_max_norm: 'MinMaxNorm' };

/** A constraint from a constraint, a name ('maxNorm', 'nonNeg', …) or { className, config }. */
export function getConstraint(v: Constraint | string | { className?: string; class_name?: string; config?: Record<string, unknown> } | null | undefined, where: string): Constraint | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Constraint) return v;
  const cls = typeof v === 'string' ? v : (v.className ?? v.class_name ?? '');
  const make = BY_NAME[ALIASES[cls] ?? cls];
  if (!make) throw new Error(`${where}: unknown constraint '${cls}' (expected one of ${Object.keys(BY_NAME).join(', ')})`);
  return make(typeof v === 'string' ? {} : (v.config ?? {}));
}

export function serializeConstraint(c: Constraint | null): { className: string; config: Record<string, unknown> } | null {
  return c ? { className: c.className, config: c.getConfig() } : null;
}

export const constraints = { maxNorm, unitNorm, nonNeg, minMaxNorm };
