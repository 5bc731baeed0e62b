/**
 * `padSequences` with the semantics of Keras 2's `keras.preprocessing.sequence.pad_sequences`.
 */

export type PadSequencesDtype = 'int32' | 'float32';
export type PadTruncPosition = 'pre' | 'post';

export interface PadSequencesOptions {
  /** Row length. Default: the length of the longest sequence. */
  maxlen?: number | null;
  /** Values are stored as this type: 'int32' truncates toward zero (as numpy's cast does), 'float32' rounds to float32. Default 'int32'. */
  dtype?: PadSequencesDtype;
  /** Where padding goes: 'pre' (before, the default) or 'post'. */
  padding?: PadTruncPosition;
  /** Which end of a too-long sequence is cut: 'pre' (the start, the default) or 'post'. */
  truncating?: PadTruncPosition;
  /** Padding value, cast to `dtype` like the data. Default 0. */
  value?: number;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v == null) return String(v);
  return Array.isArray(v) ? 'an array' : typeof v;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function toInt32(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new Error(`padSequences: ${what} ${describe(v)} cannot be stored as int32`);
  }
  const t = Math.trunc(v);
  if (t < INT32_MIN || t > INT32_MAX) {
    throw new Error(`padSequences: ${what} ${v} is out of the int32 range`);
  }
  return t === 0 ? 0 : t; // no -0
}

function toFloat32(v: unknown, what: string): number {
  if (typeof v !== 'number') throw new Error(`padSequences: ${what} ${describe(v)} is not a number`);
  return Math.fround(v);
}

/**
 * Pads (and truncates) sequences to a common length, returning `number[][]` with one row
 * of exactly `maxlen` values per sequence (turn it into a tensor with
 * `tensor2d(rows, undefined, 'int32')`).
 *
 * ```ts
 * padSequences([[1, 2, 3], [4, 5], [6]]);
 * // [[1, 2, 3], [0, 4, 5], [0, 0, 6]]
 * padSequences([[1, 2, 3, 4]], { maxlen: 2 });                      // [[3, 4]]
 * padSequences([[1, 2, 3, 4]], { maxlen: 2, truncating: 'post' });  // [[1, 2]]
 * ```
 *
 * Empty sequences give rows of `value`. With no sequences and no `maxlen` the result is
 * `[]` (Keras errors there, as it takes the max of no lengths). `maxlen: 0` gives empty
 * rows.
 */
export function padSequences(
  sequences: ReadonlyArray<ArrayLike<number>>,
  options: PadSequencesOptions = {},
): number[][] {
  if (!Array.isArray(sequences)) {
    throw new TypeError(`padSequences: sequences must be an array of sequences, got ${describe(sequences)}`);
  }
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`padSequences: options must be an object, got ${describe(options)}`);
  }
  const { maxlen = null, dtype = 'int32', padding = 'pre', truncating = 'pre', value = 0 } = options;

  // Checked up front; Keras only notices a bad padding/truncating when it meets a non-empty sequence.
  if (padding !== 'pre' && padding !== 'post') {
    throw new Error(`padSequences: padding must be 'pre' or 'post', got ${describe(padding)}`);
  }
  if (truncating !== 'pre' && truncating !== 'post') {
    throw new Error(`padSequences: truncating must be 'pre' or 'post', got ${describe(truncating)}`);
  }
  if (dtype !== 'int32' && dtype !== 'float32') {
    throw new Error(`padSequences: dtype must be 'int32' or 'float32', got ${describe(dtype)}`);
  }
  if (maxlen !== null && !(Number.isInteger(maxlen) && maxlen >= 0)) {
    throw new Error(`padSequences: maxlen must be a non-negative integer or null, got ${describe(maxlen)}`);
  }
  sequences.forEach((s, i) => {
    if (s == null || typeof s !== 'object' || typeof (s as ArrayLike<number>).length !== 'number') {
      throw new TypeError(`padSequences: sequences must be a list of sequences; element ${i} is ${describe(s)}`);
    }
  });

  const cast = dtype === 'int32' ? toInt32 : toFloat32;
  const pad = cast(value, 'value');
  let len = maxlen;
  if (len === null) {
    len = 0;
    for (const s of sequences) len = Math.max(len, s.length);
  }

  const out: number[][] = new Array(sequences.length);
  for (let r = 0; r < sequences.length; r++) {
    const s = sequences[r];
    const n = Math.min(s.length, len);
    // truncating 'pre' keeps the last n values, 'post' the first n.
    const from = truncating === 'pre' ? s.length - n : 0;
    // padding 'pre' right-aligns the kept values, 'post' left-aligns them.
    const at = padding === 'pre' ? len - n : 0;
    const row = new Array<number>(len).fill(pad);
    for (let k = 0; k < n; k++) row[at + k] = cast(s[from + k], `value at sequences[${r}][${from + k}]:`);
    out[r] = row;
  }
  return out;
}
