/**
 * The data a model is given — a tensor, a list of tensors (one per input or output, in
 * order), or a map by input/output name — as one list aligned with the model's inputs or
 * outputs, checked for sample counts and finite values with errors that name what is wrong.
 */
import * as ops from '../ops/index';
import { fmt } from '../ops/util';
import { Tensor } from '../tensor';

export type TensorData = Tensor | Tensor[] | Record<string, Tensor>;

/**
 * `data` as a list in the order of `names` ('inputs' or 'targets' of model `who`).
 * `optional` names may be missing from a map (outputs without a loss); they become null.
 */
export function standardize(who: string, what: string, data: TensorData, names: string[], optional: Set<string> = new Set()): (Tensor | null)[] {
  if (data instanceof Tensor) {
    if (names.length !== 1) {
      throw new Error(`${who}: the model has ${names.length} ${what} (${names.join(', ')}), but one tensor was given; pass a list or a map by name`);
    }
    return [data];
  }
  if (Array.isArray(data)) {
    if (data.length !== names.length) {
      throw new Error(`${who}: the model has ${names.length} ${what} (${names.join(', ')}), but a list of ${data.length} tensors was given`);
    }
    data.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new Error(`${who}: ${what} ${i} ('${names[i]}') is not a tensor`);
    });
    return data;
  }
  if (data && typeof data === 'object') {
    for (const k of Object.keys(data)) {
      if (!names.includes(k)) throw new Error(`${who}: no ${what.replace(/s$/, '')} is named '${k}' (the model's ${what}: ${names.join(', ')})`);
    }
    return names.map((n) => {
      const t = (data as Record<string, Tensor>)[n];
      if (t === undefined) {
        if (optional.has(n)) return null;
        throw new Error(`${who}: ${what} '${n}' is missing from the map (given: ${Object.keys(data).join(', ') || 'none'})`);
      }
      if (!(t instanceof Tensor)) throw new Error(`${who}: ${what} '${n}' is not a tensor`);
      return t;
    });
  }
  throw new Error(`${who}: ${what} must be a tensor, a list of tensors or a map by name, got ${data === null ? 'null' : typeof data}`);
}

/** The common number of samples (first dimension) of every tensor, or a clear error. */
export function sampleCount(who: string, groups: [string, (Tensor | null)[], string[]][]): number {
  let n: number | null = null;
  let first = '';
  for (const [what, ts, names] of groups) {
    ts.forEach((t, i) => {
      if (!t) return;
      if (t.rank < 1) throw new Error(`${who}: ${what} '${names[i]}' is a scalar; expected a batch of samples (first dimension)`);
      if (n === null) {
        n = t.shape[0];
        first = `${what} '${names[i]}' ${fmt(t.shape)}`;
      } else if (t.shape[0] !== n) {
        throw new Error(`${who}: ${what} '${names[i]}' ${fmt(t.shape)} and ${first} must have the same number of samples (first dimension)`);
      }
    });
  }
  if (n === null) throw new Error(`${who}: no data`);
  return n;
}

/** Throws when a float tensor holds NaN or ±Infinity. */
export function checkFinite(who: string, what: string, t: Tensor | null): void {
  if (!t || t.dtype !== 'float32') return;
  const d = t.dataSync();
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) throw new Error(`${who}: ${what} contains ${d[i]} at flat index ${i} (shape ${fmt(t.shape)})`);
  }
}

/** Rows [start, start + size) of every tensor. */
export function sliceRows(ts: (Tensor | null)[], start: number, size: number): (Tensor | null)[] {
  return ts.map((t) => (t ? ops.slice(t, [start], [size]) : null));
}

/** The rows `idx` (int32 tensor) of every tensor. */
export function gatherRows(ts: (Tensor | null)[], idx: Tensor): (Tensor | null)[] {
  return ts.map((t) => (t ? ops.gather(t, idx, 0) : null));
}
