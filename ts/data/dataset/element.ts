/**
 * What a dataset yields, and the walks over it that the pipeline needs: finding the tensors
 * inside an element (to free the ones a stage no longer passes on), and cloning them.
 */
import { noGrad } from '../../autograd';
import { clone } from '../../ops/shape';
import { Tensor } from '../../tensor';

/**
 * An element of a dataset, as TensorFlow.js' TensorContainer: a tensor, a number, a string
 * (CSV text fields), a boolean, a typed array, or arrays and plain objects of these, nested.
 * `undefined` stands for an empty CSV field without a default.
 */
export type DataElement =
  | Tensor
  | number
  | string
  | boolean
  | null
  | undefined
  | Float32Array
  | Int32Array
  | Uint8Array
  | DataElement[]
  | { [key: string]: DataElement };

/** An array or a plain object: a container the pipeline walks into (not a tensor, not a typed array). */
export function isContainer(x: unknown): x is DataElement[] | { [key: string]: DataElement } {
  return x !== null && typeof x === 'object' && !(x instanceof Tensor) && !ArrayBuffer.isView(x) && !(x instanceof Promise);
}

/** Every tensor inside an element (each once). Walks big rows of numbers quickly (CSV rows). */
export function tensorsIn(x: unknown, into: Set<Tensor> = new Set(), seen: Set<object> | null = null): Set<Tensor> {
  if (x === null || typeof x !== 'object') return into;
  if (x instanceof Tensor) {
    into.add(x);
    return into;
  }
  if (ArrayBuffer.isView(x) || x instanceof Promise) return into;
  if (seen?.has(x)) return into;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (v !== null && typeof v === 'object') tensorsIn(v, into, (seen ??= new Set()).add(x));
    }
    return into;
  }
  const keys = Object.keys(x);
  const obj = x as Record<string, unknown>;
  for (let i = 0; i < keys.length; i++) {
    const v = obj[keys[i]];
    if (v !== null && typeof v === 'object') tensorsIn(v, into, (seen ??= new Set()).add(x));
  }
  return into;
}

/** Frees every tensor of `input` that `output` does not hold (a stage consumed its input). */
export function disposeConsumed(input: unknown, output: unknown): void {
  const inTensors = tensorsIn(input);
  if (inTensors.size === 0) return;
  const kept = tensorsIn(output);
  for (const t of inTensors) if (!kept.has(t)) t.dispose();
}

/** Frees every tensor inside an element. */
export function disposeElement(x: unknown): void {
  for (const t of tensorsIn(x)) t.dispose();
}

/**
 * A copy of an element whose tensors are clones (so the pipeline may free them without
 * touching the caller's), as TensorFlow.js' array datasets yield. Other leaves are shared.
 */
export function cloneElement<T>(x: T, seen: Map<object, unknown> = new Map()): T {
  if (x instanceof Tensor) return noGrad(() => clone(x)) as T;
  if (!isContainer(x)) return x;
  const done = seen.get(x);
  if (done !== undefined) return done as T;
  const out: Record<string, unknown> | unknown[] = Array.isArray(x) ? [] : {};
  seen.set(x, out);
  for (const [k, v] of Object.entries(x)) (out as Record<string, unknown>)[k] = cloneElement(v, seen);
  return out as T;
}

/** A short description of a value for error messages. */
export function describeValue(x: unknown): string {
  if (x instanceof Tensor) return `a ${x.dtype} tensor of shape [${x.shape.join(', ')}]`;
  if (x === null) return 'null';
  if (x === undefined) return 'undefined (a missing value)';
  if (typeof x === 'string') return `the string ${JSON.stringify(x.length > 40 ? x.slice(0, 40) + '…' : x)}`;
  if (typeof x === 'number' || typeof x === 'boolean') return `the ${typeof x} ${x}`;
  if (ArrayBuffer.isView(x)) return `a ${x.constructor.name} of length ${(x as Float32Array).length}`;
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (typeof x === 'object') return `an object with keys ${JSON.stringify(Object.keys(x as object).slice(0, 8))}`;
  return typeof x;
}
