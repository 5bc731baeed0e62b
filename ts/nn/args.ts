/**
 * Argument checking and data layouts shared by the fe.nn modules: PyTorch-style integers or
 * pairs, option objects whose unknown keys throw (a misspelt option must not be ignored), and
 * the channels-last / channels-first conversion around the channels-last kernels.
 */
import * as ops from '../ops/index';
import { fmt } from '../ops/util';
import type { Tensor } from '../tensor';

/**
 * 'channelsLast' (default, as the rest of ferrite): [batch, height, width, channels];
 * 'channelsFirst' (PyTorch's NCHW): [batch, channels, height, width], transposed to channels-last
 * around the kernels.
 */
export type DataFormat = 'channelsLast' | 'channelsFirst';

export type IntOrPair = number | [number, number];

/** Throws on option keys outside `allowed`, naming the module and the keys it knows. */
export function checkOptions(who: string, opts: object | undefined, allowed: readonly string[]): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new Error(`${who}: options must be an object, got ${JSON.stringify(opts)}`);
  }
  const unknown = Object.keys(opts).filter((k) => !allowed.includes(k));
  if (unknown.length) {
    throw new Error(`${who}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (expected ${allowed.map((k) => `'${k}'`).join(', ')})`);
  }
}

export function positiveInt(who: string, what: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1) throw new Error(`${who}: ${what} must be a positive integer, got ${JSON.stringify(v)}`);
  return v as number;
}

export function nonNegativeInt(who: string, what: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 0) throw new Error(`${who}: ${what} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return v as number;
}

/** A number or [height, width] pair of integers ≥ min. */
export function intPair(who: string, what: string, v: unknown, min: number): [number, number] {
  const p = typeof v === 'number' ? [v, v] : Array.isArray(v) ? v : null;
  if (!p || p.length !== 2 || !p.every((d) => Number.isInteger(d) && d >= min)) {
    throw new Error(`${who}: ${what} must be ${min > 0 ? 'a positive' : 'a non-negative'} integer or a pair of them, got ${JSON.stringify(v)}`);
  }
  return [p[0], p[1]];
}

export function dataFormatOf(who: string, v: unknown): DataFormat {
  if (v === undefined) return 'channelsLast';
  if (v !== 'channelsLast' && v !== 'channelsFirst') {
    throw new Error(`${who}: dataFormat must be 'channelsLast' or 'channelsFirst', got ${JSON.stringify(v)}`);
  }
  return v;
}

/** A probability in [0, 1]. */
export function probability(who: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new Error(`${who}: ${what} must be a number in [0, 1], got ${JSON.stringify(v)}`);
  return v;
}

const LAYOUTS: Record<DataFormat, Record<number, string>> = {
  channelsLast: { 1: '[batch, length, channels]', 2: '[batch, height, width, channels]' },
  channelsFirst: { 1: '[batch, channels, length]', 2: '[batch, channels, height, width]' },
};

/**
 * Checks x (spatialDims spatial axes, with or without the batch axis, in `format`) and
 * returns it channels-last with a batch axis, plus the inverse for the output. `channels`
 * (when given) must be the size of the channel axis.
 */
export function toChannelsLast(who: string, x: Tensor, spatialDims: 1 | 2, channels: number | null, format: DataFormat): {
  x: Tensor;
  restore: (y: Tensor) => Tensor;
} {
  const batchedRank = spatialDims + 2;
  const layout = LAYOUTS[format][spatialDims];
  if (x.rank !== batchedRank && x.rank !== batchedRank - 1) {
    throw new Error(`${who}: expected input of rank ${batchedRank} ${layout} (or ${batchedRank - 1} without the batch), got ${fmt(x.shape)}`);
  }
  const batched = x.rank === batchedRank;
  const channelAxis = format === 'channelsLast' ? x.rank - 1 : batched ? 1 : 0;
  if (channels !== null && x.shape[channelAxis] !== channels) {
    const other = format === 'channelsLast' ? (batched ? 1 : 0) : x.rank - 1;
    const hint = x.shape[other] === channels
      ? format === 'channelsLast'
        ? " (this looks like channels-first data: make the module with { dataFormat: 'channelsFirst' }, or transpose the input)"
        : " (this looks like channels-last data: leave dataFormat at 'channelsLast')"
      : '';
    throw new Error(`${who}: expected ${channels} channels in ${layout}, got input of shape ${fmt(x.shape)}${hint}`);
  }
  let x4 = batched ? x : ops.reshape(x, [1, ...x.shape]);
  // [n, c, ...spatial] → [n, ...spatial, c]
  const toLast = [0, ...Array.from({ length: spatialDims }, (_, i) => i + 2), 1];
  const toFirst = [0, batchedRank - 1, ...Array.from({ length: spatialDims }, (_, i) => i + 1)];
  if (format === 'channelsFirst') x4 = ops.transpose(x4, toLast);
  return {
    x: x4,
    restore: (y: Tensor) => {
      const out = format === 'channelsFirst' ? ops.transpose(y, toFirst) : y;
      return batched ? out : ops.reshape(out, out.shape.slice(1));
    },
  };
}

/** '[3, 3]' for pairs, the number itself otherwise (module descriptions). */
export function show(v: unknown): string {
  return Array.isArray(v) ? `[${v.join(', ')}]` : typeof v === 'string' ? `'${v}'` : String(v);
}
