/**
 * Saving and loading state dicts (name → tensor), as PyTorch's torch.save(model.state_dict())
 * / model.load_state_dict(torch.load(path)):
 * - bytes in the safetensors format (an 8-byte little-endian header length, a JSON header
 *   { name: { dtype, shape, data_offsets } , __metadata__ }, then the raw little-endian data),
 *   which Python's safetensors library also reads; files from elsewhere load too (F32, F64,
 *   F16, BF16 → float32; I32, I64 → int32);
 * - a file in Node (fe.nn.save / fe.nn.load), written to a temporary name and renamed;
 * - plain JSON (numbers), for localStorage or a fetch body in the browser.
 * The tensors keep ferrite's (Keras) weight layouts, which the metadata records.
 */
import { tensor } from '../ops/creation';
import { fmt } from '../ops/util';
import { sizeOf, Tensor } from '../tensor';
import type { StateDict } from './module';

const METADATA = { framework: 'ferrite-ml', layout: 'keras' };

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function entriesOf(who: string, dict: StateDict | Map<string, Tensor>): [string, Tensor][] {
  const entries = dict instanceof Map ? [...dict] : Object.entries(dict ?? {});
  for (const [k, t] of entries) {
    if (!(t instanceof Tensor)) throw new Error(`${who}: '${k}' is not a tensor`);
    if (t.isDisposed) throw new Error(`${who}: '${k}' is disposed`);
    if (k === '__metadata__') throw new Error(`${who}: '__metadata__' is reserved by the format`);
    const dtype: string = t.dtype;
    if (dtype !== 'float32' && dtype !== 'int32') throw new Error(`${who}: '${k}' has dtype ${dtype}; state dicts hold float32 and int32 tensors`);
  }
  return entries;
}

/** The state dict as safetensors bytes (float32 as F32, int32 as I32). */
export function stateDictToBytes(dict: StateDict | Map<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const entries = entriesOf('stateDictToBytes', dict);
  const header: Record<string, unknown> = { __metadata__: { ...METADATA, ...metadata } };
  const datas: Uint8Array[] = [];
  let offset = 0;
  for (const [k, t] of entries) {
    const values = t.dataSync();
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    if (littleEndian) bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    else if (t.dtype === 'int32') values.forEach((v, i) => view.setInt32(i * 4, v, true));
    else values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    header[k] = { dtype: t.dtype === 'int32' ? 'I32' : 'F32', shape: [...t.shape], data_offsets: [offset, offset + bytes.length] };
    datas.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  // Spaces pad the header so the data starts 8-byte aligned (the format allows it).
  const jsonBytes0 = new TextEncoder().encode(json);
  json += ' '.repeat((8 - (jsonBytes0.length % 8)) % 8);
  const jsonBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + jsonBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);
  out.set(jsonBytes, 8);
  let at = 8 + jsonBytes.length;
  for (const d of datas) {
    out.set(d, at);
    at += d.length;
  }
  return out;
}

const DTYPES: Record<string, { bytes: number; read: (v: DataView, at: number) => number; int: boolean }> = {
  F32: { bytes: 4, read: (v, at) => v.getFloat32(at, true), int: false },
  F64: { bytes: 8, read: (v, at) => v.getFloat64(at, true), int: false },
  F16: { bytes: 2, read: (v, at) => halfToFloat(v.getUint16(at, true)), int: false },
  BF16: { bytes: 2, read: (v, at) => new Float32Array(new Uint32Array([v.getUint16(at, true) << 16]).buffer)[0], int: false },
  I32: { bytes: 4, read: (v, at) => v.getInt32(at, true), int: true },
  I64: { bytes: 8, read: (v, at) => Number(v.getBigInt64(at, true)), int: true },
};

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** A state dict from safetensors bytes. Every check runs before any tensor is made. */
export function stateDictFromBytes(data: Uint8Array | ArrayBuffer, source = 'stateDictFromBytes'): StateDict {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (bytes.length < 8) throw new Error(`${source}: ${bytes.length} bytes is too short for a safetensors file (an 8-byte header length comes first)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) throw new Error(`${source}: the header length ${headerLength} runs past the end of the ${bytes.length} bytes (truncated, or not a safetensors file)`);
  let header: Record<string, HeaderEntry | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    throw new Error(`${source}: the header is not valid JSON (${(e as Error).message}); not a safetensors file?`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new Error(`${source}: the header is not a JSON object`);
  const dataStart = 8 + headerLength, dataLength = bytes.length - dataStart;
  const plans: { name: string; entry: HeaderEntry; kind: (typeof DTYPES)[string] }[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = raw as HeaderEntry;
    const kind = DTYPES[e?.dtype];
    if (!kind) throw new Error(`${source}: tensor '${name}' has dtype ${JSON.stringify(e?.dtype)}; supported: ${Object.keys(DTYPES).join(', ')}`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`${source}: tensor '${name}' has an invalid shape ${JSON.stringify(e.shape)}`);
    const [begin, end] = Array.isArray(e.data_offsets) ? e.data_offsets : [NaN, NaN];
    if (!(Number.isInteger(begin) && Number.isInteger(end) && begin >= 0 && end >= begin && end <= dataLength)) {
      throw new Error(`${source}: tensor '${name}' has data offsets ${JSON.stringify(e.data_offsets)} outside the ${dataLength} data bytes (truncated file?)`);
    }
    if (end - begin !== sizeOf(e.shape) * kind.bytes) {
      throw new Error(`${source}: tensor '${name}' ${e.dtype} ${fmt(e.shape)} needs ${sizeOf(e.shape) * kind.bytes} bytes, its offsets span ${end - begin}`);
    }
    plans.push({ name, entry: e, kind });
  }
  const out: StateDict = {};
  for (const { name, entry, kind } of plans) {
    const n = sizeOf(entry.shape);
    const at = dataStart + entry.data_offsets[0];
    let values: Float32Array | Int32Array;
    if (littleEndian && (entry.dtype === 'F32' || entry.dtype === 'I32')) {
      const copy = bytes.slice(at, at + n * 4).buffer; // a fresh, aligned buffer
      values = entry.dtype === 'F32' ? new Float32Array(copy) : new Int32Array(copy);
    } else {
      values = kind.int ? new Int32Array(n) : new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const v = kind.read(view, at + i * kind.bytes);
        if (kind.int && (v > 2147483647 || v < -2147483648)) throw new Error(`${source}: tensor '${name}' holds ${v}, outside int32`);
        values[i] = v;
      }
    }
    out[name] = tensor(values, entry.shape, kind.int ? 'int32' : 'float32');
  }
  return out;
}

/** The __metadata__ of safetensors bytes ({} when there is none). */
export function stateDictMetadata(data: Uint8Array | ArrayBuffer): Record<string, string> {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  if (n > bytes.length - 8) throw new Error('stateDictMetadata: truncated safetensors bytes');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  return header.__metadata__ ?? {};
}

export interface StateDictJSON {
  format: 'ferrite-state-dict';
  tensors: Record<string, { dtype: 'float32' | 'int32'; shape: number[]; values: number[] }>;
}

/** The state dict as plain JSON-able data (exact: float32 values survive the round trip). */
export function stateDictToJSON(dict: StateDict | Map<string, Tensor>): StateDictJSON {
  const tensors: StateDictJSON['tensors'] = {};
  for (const [k, t] of entriesOf('stateDictToJSON', dict)) tensors[k] = { dtype: t.dtype as 'float32' | 'int32' /* entriesOf admits no other */, shape: [...t.shape], values: Array.from(t.dataSync()) };
  return { format: 'ferrite-state-dict', tensors };
}

/** A state dict from stateDictToJSON's data (or its JSON text). */
export function stateDictFromJSON(json: StateDictJSON | string): StateDict {
  const data = (typeof json === 'string' ? JSON.parse(json) : json) as StateDictJSON;
  if (data?.format !== 'ferrite-state-dict' || typeof data.tensors !== 'object') {
    throw new Error(`stateDictFromJSON: expected { format: 'ferrite-state-dict', tensors }, got ${JSON.stringify(data)?.slice(0, 80)}`);
  }
  for (const [k, e] of Object.entries(data.tensors)) {
    if ((e.dtype !== 'float32' && e.dtype !== 'int32') || !Array.isArray(e.shape) || !Array.isArray(e.values) || e.values.length !== sizeOf(e.shape)) {
      throw new Error(`stateDictFromJSON: tensor '${k}' must have dtype float32 or int32, a shape and shape's product of values`);
    }
  }
  const out: StateDict = {};
  for (const [k, e] of Object.entries(data.tensors)) out[k] = tensor(e.values, e.shape, e.dtype);
  return out;
}

const isNode = () => typeof process !== 'undefined' && !!process.versions?.node;

function filePath(who: string, path: string): string {
  if (typeof path !== 'string' || !path) throw new Error(`${who}: expected a file path, got ${JSON.stringify(path)}`);
  if (!isNode()) {
    throw new Error(`${who}: files need Node.js; in a browser use fe.nn.stateDictToBytes / stateDictFromBytes (or stateDictToJSON) with IndexedDB, a download or fetch`);
  }
  return path.startsWith('file://') ? path.slice('file://'.length) : path;
}

/** Writes the state dict to a safetensors file (Node). */
export async function save(dict: StateDict | Map<string, Tensor>, path: string, metadata?: Record<string, string>): Promise<void> {
  const target = filePath('fe.nn.save', path);
  const bytes = stateDictToBytes(dict, metadata);
  const fs = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:fs/promises');
  // A temporary name, then a rename: a reader (or a crash) never sees half a file.
  const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
  await fs.writeFile(tmp, bytes);
  await fs.rename(tmp, target);
}

/** Reads a state dict from a safetensors file (Node). */
export async function load(path: string): Promise<StateDict> {
  const target = filePath('fe.nn.load', path);
  const fs = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:fs/promises');
  const bytes = await fs.readFile(target).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`fe.nn.load: cannot read '${target}' (${e.code ?? e.message})`);
  });
  return stateDictFromBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), `fe.nn.load('${target}')`);
}
