/**
 * `toCategorical` with the semantics of Keras 2's `keras.utils.to_categorical`.
 */

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v == null) return String(v);
  return Array.isArray(v) ? 'an array' : typeof v;
}

/**
 * One-hot encodes integer class labels: row i has a 1 in column `y[i]` and 0 elsewhere.
 *
 * ```ts
 * toCategorical([0, 2, 1]);    // [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
 * toCategorical([1], 4);       // [[0, 1, 0, 0]]
 * ```
 *
 * `numClasses` defaults to max(y) + 1 (0, null or undefined also mean "infer", as in
 * Keras' `if not num_classes`). Unlike numpy-backed Keras, which silently truncates
 * fractional labels and wraps negative ones to the last columns, a label that is not an
 * integer in [0, numClasses) throws.
 */
export function toCategorical(y: ArrayLike<number>, numClasses?: number | null): number[][] {
  if (y == null || typeof y !== 'object' || typeof y.length !== 'number') {
    throw new TypeError(`toCategorical: y must be an array of labels, got ${describe(y)}`);
  }
  const labels = Array.from(y);
  labels.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw new Error(`toCategorical: labels must be non-negative integers, got ${describe(v)} at index ${i}`);
    }
  });
  let n: number;
  if (numClasses === undefined || numClasses === null || numClasses === 0) {
    n = labels.reduce((m, v) => Math.max(m, v + 1), 0);
  } else {
    if (!Number.isInteger(numClasses) || numClasses < 0) {
      throw new Error(`toCategorical: numClasses must be a positive integer, got ${describe(numClasses)}`);
    }
    n = numClasses;
    labels.forEach((v, i) => {
      if (v >= n) {
        throw new Error(`toCategorical: label ${v} at index ${i} is out of range for numClasses ${n}`);
      }
    });
  }
  return labels.map((v) => {
    const row = new Array<number>(n).fill(0);
    row[v] = 1;
    return row;
  });
}
