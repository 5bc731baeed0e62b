/**
 * Dataset.batch's column-major stacking: n elements of one structure become one element of
 * that structure whose leaves hold the n values along a new first axis, as TensorFlow.js does.
 *
 *   tensors of one shape          → tf.stack (dtype kept)
 *   numbers / booleans            → a float32 tensor [n]
 *   arrays of numbers (nested, rectangular) → a float32 tensor [n, ...their shape]
 *   typed arrays of one length    → a tensor [n, length] (int32 for Int32Array)
 *   strings                       → an array of n strings (ferrite has no string tensors)
 *   plain objects                 → an object batched key by key
 *   other arrays (holding tensors, strings, objects, or ragged) → an array batched position
 *                                   by position (TensorFlow.js cannot batch those)
 */
import { tensor } from '../../ops/creation';
import { Tensor, TypedArray } from '../../tensor';
import { describeValue, isContainer, type DataElement } from './element';

/** Batches `rows` (at least one). The result's tensors are new; the rows are untouched. */
export function batchElements(rows: DataElement[]): DataElement {
  if (rows.length === 0) throw new Error("batch: can't make a batch of zero elements");
  const made: Tensor[] = [];
  try {
    return batchAt(rows, '', made);
  } catch (e) {
    // Free what was already stacked for other keys: a failed batch leaves nothing behind.
    made.forEach((t) => t.dispose());
    throw e;
  }
}

function where(path: string): string {
  return path ? ` at '${path}'` : '';
}

function mismatch(path: string, i: number, expected: string, got: unknown): Error {
  return new Error(`batch: element ${i} has ${describeValue(got)}${where(path)}, but element 0 has ${expected}; every element of a batch needs the same structure`);
}

function batchAt(rows: unknown[], path: string, made: Tensor[]): DataElement {
  const first = rows[0];
  if (first === undefined || first === null) {
    throw new Error(
      `batch: element 0 has no value${where(path)} (${describeValue(first)}); ` +
        'an empty CSV field needs a default in columnConfigs, or a map/filter step before batch',
    );
  }
  if (first instanceof Tensor) return keep(made, stackTensors(rows, path));
  if (typeof first === 'number' || typeof first === 'boolean') return keep(made, stackNumbers(rows, path));
  if (typeof first === 'string') {
    rows.forEach((r, i) => {
      if (typeof r !== 'string') throw mismatch(path, i, 'a string', r);
    });
    return rows as string[];
  }
  if (ArrayBuffer.isView(first)) return keep(made, stackTypedArrays(rows, path));
  if (Array.isArray(first)) {
    if (isNumericArray(first)) return keep(made, stackNumericArrays(rows, path));
    // Arrays of tensors / objects / strings: one batch per position.
    return first.map((_, k) => {
      const column = rows.map((r, i) => {
        if (!Array.isArray(r) || r.length !== first.length) throw mismatch(path, i, `an array of length ${first.length}`, r);
        return r[k];
      });
      return batchAt(column, `${path}[${k}]`, made);
    });
  }
  if (isContainer(first)) {
    const out: { [key: string]: DataElement } = {};
    for (const key of Object.keys(first)) {
      const sub = path ? `${path}.${key}` : key;
      const column = rows.map((r, i) => {
        if (!isContainer(r) || Array.isArray(r)) throw mismatch(path, i, 'an object', r);
        const v = (r as Record<string, unknown>)[key];
        if (v === undefined || v === null) {
          throw new Error(
            `batch: element ${i} has no value at '${sub}' (${describeValue(v)}); ` +
              'an empty CSV field needs a default in columnConfigs, or a map/filter step before batch',
          );
        }
        return v;
      });
      out[key] = batchAt(column, sub, made);
    }
    return out;
  }
  throw new Error(`batch: cannot batch ${describeValue(first)}${where(path)}`);
}

function keep(made: Tensor[], t: Tensor): Tensor {
  made.push(t);
  return t;
}

function stackTensors(rows: unknown[], path: string): Tensor {
  const first = rows[0] as Tensor;
  const shape = first.shape;
  const rowSize = first.size;
  const out = first.dtype === 'int32' ? new Int32Array(rows.length * rowSize) : new Float32Array(rows.length * rowSize);
  rows.forEach((r, i) => {
    if (!(r instanceof Tensor)) throw mismatch(path, i, describeValue(first), r);
    if (r.dtype !== first.dtype || r.rank !== shape.length || r.shape.some((d, k) => d !== shape[k])) {
      throw mismatch(path, i, describeValue(first), r);
    }
    out.set(r.dataSync(), i * rowSize);
  });
  return tensor(out, [rows.length, ...shape], first.dtype);
}

function stackNumbers(rows: unknown[], path: string): Tensor {
  const out = new Float32Array(rows.length);
  rows.forEach((r, i) => {
    if (typeof r === 'number') out[i] = r;
    else if (typeof r === 'boolean') out[i] = r ? 1 : 0;
    else throw mismatch(path, i, 'a number', r);
  });
  return tensor(out, [rows.length], 'float32');
}

function stackTypedArrays(rows: unknown[], path: string): Tensor {
  const first = rows[0] as TypedArray | Uint8Array;
  const n = first.length;
  const int = first instanceof Int32Array;
  const out = int ? new Int32Array(rows.length * n) : new Float32Array(rows.length * n);
  rows.forEach((r, i) => {
    if (!ArrayBuffer.isView(r) || r.constructor !== first.constructor || (r as TypedArray).length !== n) {
      throw mismatch(path, i, describeValue(first), r);
    }
    out.set(r as TypedArray, i * n);
  });
  return tensor(out, [rows.length, n], int ? 'int32' : 'float32');
}

/**
 * A rectangular (nested) array of numbers or booleans: it batches into one tensor. Anything
 * else — ragged, or holding tensors, strings or objects — is batched position by position.
 */
function isNumericArray(x: unknown[]): boolean {
  const shape = shapeOf(x);
  const check = (v: unknown, depth: number): boolean => {
    if (depth === shape.length) return typeof v === 'number' || typeof v === 'boolean';
    if (!Array.isArray(v) || v.length !== shape[depth]) return false;
    for (let i = 0; i < v.length; i++) if (!check(v[i], depth + 1)) return false;
    return true;
  };
  return check(x, 0);
}

function shapeOf(x: unknown): number[] {
  const shape: number[] = [];
  let v: unknown = x;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}

function stackNumericArrays(rows: unknown[], path: string): Tensor {
  const shape = shapeOf(rows[0]);
  const rowSize = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(rows.length * rowSize);
  let at = 0;
  const fill = (v: unknown, depth: number, i: number): void => {
    if (depth === shape.length) {
      if (typeof v === 'number') out[at++] = v;
      else if (typeof v === 'boolean') out[at++] = v ? 1 : 0;
      else throw mismatch(path, i, `an array of numbers of shape [${shape.join(', ')}]`, rows[i]);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw mismatch(path, i, `an array of numbers of shape [${shape.join(', ')}]`, rows[i]);
    }
    for (const e of v) fill(e, depth + 1, i);
  };
  rows.forEach((r, i) => fill(r, 0, i));
  return tensor(out, [rows.length, ...shape], 'float32');
}
