/**
 * The weights' binary encoding, as TensorFlow.js: each tensor's elements little-endian in
 * manifest order (float32 and int32: 4 bytes, bool: 1 byte), no padding.
 */
import type { WeightsManifestEntry } from './types';

/** A decoded tensor: its values and where they came from. */
export interface NamedArray {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  values: Float32Array | Int32Array;
  group?: string;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

const fmtShape = (s: number[]) => `[${s.join(', ')}]`;

function elementCount(e: WeightsManifestEntry): number {
  if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`weights manifest: '${e.name}' has an invalid shape ${JSON.stringify(e.shape)}`);
  }
  return e.shape.reduce((a, b) => a * b, 1);
}

/** Bytes one entry takes in the weight data. */
export function entryBytes(e: WeightsManifestEntry): number {
  const stored = e.quantization ? e.quantization.dtype : e.dtype;
  const b = BYTES[stored];
  if (b === undefined) {
    throw new Error(`weights manifest: '${e.name}' has dtype '${stored}'; supported: float32, int32, bool (and uint8, uint16, float16 quantization)`);
  }
  return elementCount(e) * b;
}

/** Concatenates buffers in order. */
export function concatenateArrayBuffers(buffers: ArrayBuffer[]): ArrayBuffer {
  if (buffers.length === 1) return buffers[0];
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return out.buffer;
}

/** The weight data as one buffer (tf.io's WeightData is a buffer or a list of shards). */
export function joinWeightData(data: ArrayBuffer | ArrayBuffer[] | ArrayBufferView): ArrayBuffer {
  if (Array.isArray(data)) return concatenateArrayBuffers(data);
  if (ArrayBuffer.isView(data)) return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  return data;
}

/** Encodes named values into one buffer and its manifest entries. */
export function encodeWeights(
  tensors: { name: string; shape: number[]; dtype: 'float32' | 'int32'; values: Float32Array | Int32Array }[],
  group?: string,
): { data: ArrayBuffer; specs: WeightsManifestEntry[] } {
  const total = tensors.reduce((n, t) => n + 4 * t.values.length, 0);
  const out = new Uint8Array(total);
  const specs: WeightsManifestEntry[] = [];
  let at = 0;
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.values.length) throw new Error(`encodeWeights: '${t.name}' has ${t.values.length} values for shape ${fmtShape(t.shape)}`);
    const bytes = new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength);
    out.set(bytes, at);
    at += bytes.byteLength;
    const spec: WeightsManifestEntry = { name: t.name, shape: [...t.shape], dtype: t.dtype };
    if (group) spec.group = group;
    specs.push(spec);
  }
  return { data: out.buffer, specs };
}

/** IEEE half → float. */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/**
 * Decodes weight data by its manifest. Throws a clear error, before anything is used, when
 * the data is shorter or longer than the manifest says (a truncated or mismatched file).
 * `source` names the data in messages (e.g. the weights file).
 */
export function decodeWeights(data: ArrayBuffer, specs: WeightsManifestEntry[], source = 'the weight data'): NamedArray[] {
  const need = specs.reduce((n, e) => n + entryBytes(e), 0);
  if (data.byteLength !== need) {
    const what = data.byteLength < need ? 'is truncated' : 'is longer than the manifest says';
    throw new Error(
      `${source} ${what}: it has ${data.byteLength} bytes, the weights manifest (${specs.length} tensors) needs ${need}`,
    );
  }
  const out: NamedArray[] = [];
  let at = 0;
  for (const e of specs) {
    const n = elementCount(e);
    const size = entryBytes(e);
    const bytes = data.slice(at, at + size);
    at += size;
    let values: Float32Array | Int32Array;
    let dtype: 'float32' | 'int32';
    const q = e.quantization;
    if (q) {
      const target = (q.original_dtype ?? e.dtype) === 'int32' ? 'int32' : 'float32';
      const f = new Float32Array(n);
      if (q.dtype === 'float16') {
        const h = new Uint16Array(bytes);
        for (let i = 0; i < n; i++) f[i] = halfToFloat(h[i]);
      } else {
        const raw = q.dtype === 'uint8' ? new Uint8Array(bytes) : new Uint16Array(bytes);
        const scale = q.scale ?? 1, min = q.min ?? 0;
        for (let i = 0; i < n; i++) f[i] = raw[i] * scale + min;
      }
      dtype = target;
      values = target === 'int32' ? Int32Array.from(f, Math.round) : f;
    } else if (e.dtype === 'float32') {
      dtype = 'float32';
      values = new Float32Array(bytes);
    } else if (e.dtype === 'int32') {
      dtype = 'int32';
      values = new Int32Array(bytes);
    } else {
      // bool: one byte per element; ferrite keeps it as int32 0/1.
      dtype = 'int32';
      values = Int32Array.from(new Uint8Array(bytes));
    }
    out.push({ name: e.name, shape: [...e.shape], dtype, values, group: e.group });
  }
  return out;
}
