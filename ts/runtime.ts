/**
 * Choosing and starting a backend (fe.ready, fe.setBackend, fe.getBackend), and the memory
 * helpers (fe.tidy, fe.dispose, fe.keep, fe.memory).
 */
import type { Backend } from './backend/backend';
import { createJsBackend } from './backend/js/js-backend';
import { wasmRelaxedSimdSupported, wasmSimdSupported, enableRelaxedSimdFlag } from './backend/wasm/feature-detect';
import type { WasmSources } from './backend/wasm/loader';
import { createWasmBackend } from './backend/wasm/wasm-backend';
import { ENGINE } from './engine';
import { Tensor } from './tensor';
import { backendChanged } from './env';

export type BackendName = 'wasm' | 'js';
export type WasmBuild = 'relaxed' | 'simd';

export interface ReadyOptions {
  /** Force a backend; default: wasm when the engine validates WebAssembly SIMD, else js. */
  backend?: BackendName;
  /** Force a wasm build; default: relaxed when the engine validates it, else simd. */
  build?: WasmBuild;
  /**
   * Node 20 only validates relaxed SIMD after `--experimental-wasm-relaxed-simd`. ferrite
   * sets that V8 flag only when this is true (Node ≥ 22 and Chrome ≥ 114 need nothing).
   */
  relaxedSimd?: boolean;
  /** Where the .wasm files are, for bundlers and custom hosting (URL, path or bytes per build). */
  wasm?: WasmSources;
}

let starting: Promise<void> | null = null;

/** Starts the best backend available (once); later calls return at once. */
export function ready(options: ReadyOptions = {}): Promise<void> {
  if (ENGINE.backend && !options.backend && !options.build) return Promise.resolve();
  if (!starting || options.backend || options.build) {
    starting = start(options).finally(() => { starting = null; });
  }
  return starting;
}

async function start(options: ReadyOptions): Promise<void> {
  if (options.relaxedSimd) await enableRelaxedSimdFlag();
  const want = options.backend ?? (wasmSimdSupported() ? 'wasm' : 'js');
  if (want === 'js') {
    install(createJsBackend());
    return;
  }
  if (!wasmSimdSupported()) {
    throw new Error('ready: this engine does not support WebAssembly SIMD; use { backend: "js" }');
  }
  const build = options.build ?? (wasmRelaxedSimdSupported() ? 'relaxed' : 'simd');
  if (build === 'relaxed' && !wasmRelaxedSimdSupported()) {
    throw new Error(
      'ready: the relaxed build needs relaxed SIMD; on Node 20 pass { relaxedSimd: true } (sets --experimental-wasm-relaxed-simd)',
    );
  }
  install(await createWasmBackend({ build, source: options.wasm }));
}

function install(b: Backend): void {
  ENGINE.backend = b;
  ENGINE.generation++;
  backendChanged();
}

/** Switches backend ('js' or 'wasm'); tensors move their data over on next use. */
export async function setBackend(name: BackendName, options: Omit<ReadyOptions, 'backend'> = {}): Promise<boolean> {
  if (name !== 'js' && name !== 'wasm') throw new Error(`setBackend: unknown backend '${name}' (expected 'wasm' or 'js')`);
  await ready({ ...options, backend: name });
  return true;
}

/** The active backend's name: 'wasm' or 'js' (undefined before ready()). */
export function getBackend(): BackendName | undefined {
  return ENGINE.backend?.name;
}

/** Which build runs: 'relaxed' | 'simd' (wasm) or 'js'. */
export function getBuild(): string | undefined {
  return ENGINE.backend?.build;
}

export type TensorContainer =
  | Tensor | TensorContainer[] | { [k: string]: TensorContainer }
  | Float32Array | Int32Array | Uint8Array | void | number | string | boolean | null | undefined;

function collect(result: TensorContainer, into: Set<number>): void {
  if (result instanceof Tensor) into.add(result.id);
  else if (ArrayBuffer.isView(result)) return;
  else if (Array.isArray(result)) result.forEach((r) => collect(r, into));
  else if (result && typeof result === 'object') Object.values(result).forEach((r) => collect(r, into));
}

/** Runs fn and disposes every tensor it created except those it returns (as tf.tidy). */
export function tidy<T extends TensorContainer>(fn: () => T): T {
  const scope = ENGINE.startScope();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    ENGINE.endScope(scope, new Set());
    throw e;
  }
  const keep = new Set<number>();
  collect(result, keep);
  ENGINE.endScope(scope, keep);
  return result;
}

/** Disposes a tensor or every tensor in a container. */
export function dispose(x: TensorContainer): void {
  if (x instanceof Tensor) x.dispose();
  else if (ArrayBuffer.isView(x)) return;
  else if (Array.isArray(x)) x.forEach(dispose);
  else if (x && typeof x === 'object') Object.values(x).forEach(dispose);
}

/** Keeps a tensor alive past the enclosing tidy. */
export function keep<T extends Tensor>(t: T): T {
  return t.keep();
}

export interface MemoryInfo {
  /** Tensors not yet disposed (nor collected). */
  numTensors: number;
  /** Storages held (one per tensor in ferrite: as numTensors; TensorFlow.js' name). */
  numDataBuffers: number;
  /** Always false: the counts are exact (TensorFlow.js' field). */
  unreliable: boolean;
  /** Bytes the backend holds (the wasm heap size for wasm). */
  numBytes: number;
  backend: string | undefined;
}

export function memory(): MemoryInfo {
  return {
    numTensors: ENGINE.liveTensors,
    numDataBuffers: ENGINE.liveTensors,
    unreliable: false,
    numBytes: ENGINE.backend ? ENGINE.backend.heapBytes() : 0,
    backend: ENGINE.backend?.name,
  };
}
