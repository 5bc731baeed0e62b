/**
 * Choosing and starting a backend (fe.ready, fe.setBackend, fe.getBackend), and the memory
 * helpers (fe.tidy, fe.dispose, fe.keep, fe.memory).
 */
import type { Backend } from './backend/backend';
import { createJsBackend } from './backend/js/js-backend';
import { wasmRelaxedSimdSupported, wasmSimdSupported, enableRelaxedSimdFlag } from './backend/wasm/feature-detect';
import type { WasmSources } from './backend/wasm/loader';
import { createWasmBackend, resolveThreads, WasmBackend } from './backend/wasm/wasm-backend';
import { ENGINE } from './engine';
import { Tensor } from './tensor';
import { backendChanged } from './env';

export type BackendName = 'wasm' | 'js';
export type WasmBuild = 'relaxed' | 'simd' | 'relaxed-threads' | 'simd-threads';

export interface ReadyOptions {
  /** Force a backend; default: wasm when the engine validates WebAssembly SIMD, else js. */
  backend?: BackendName;
  /**
   * Force a wasm build; default: relaxed when the engine validates it, else simd (their
   * '-threads' variants when more than one thread is asked for).
   */
  build?: WasmBuild;
  /**
   * Threads for the wasm kernels, the calling thread included: a count, or 'auto' (the
   * available cores in Node, navigator.hardwareConcurrency on a cross-origin isolated page,
   * else 1 with a hint). Default 1. Results are the same bits for any count.
   */
  threads?: number | 'auto';
  /** URL of the helper script (thread-worker.mjs in the package's dist/), for bundlers that move it. */
  workerUrl?: string | URL;
  /**
   * Node 20 only validates relaxed SIMD after `--experimental-wasm-relaxed-simd`. ferrite
   * sets that V8 flag only when this is true (Node ≥ 22 and Chrome ≥ 114 need nothing).
   */
  relaxedSimd?: boolean;
  /** Where the .wasm files are, for bundlers and custom hosting (URL, path or bytes per build). */
  wasm?: WasmSources;
}

let starting: Promise<void> | null = null;
/** fe.dispose() calls so far: one made while a ready() is under way ends its threads too. */
let threadDisposals = 0;

/** Starts the best backend available (once); later calls return at once. */
export function ready(options: ReadyOptions = {}): Promise<void> {
  const changes = options.backend || options.build || options.threads !== undefined;
  if (ENGINE.backend && !changes) return Promise.resolve();
  if (!starting || changes) {
    const disposals = threadDisposals;
    starting = start(options).then(() => {
      if (threadDisposals !== disposals && ENGINE.backend instanceof WasmBackend) ENGINE.backend.stopThreads();
    }).finally(() => { starting = null; });
  }
  return starting;
}

async function start(options: ReadyOptions): Promise<void> {
  if (options.relaxedSimd) await enableRelaxedSimdFlag();
  const want = options.backend ?? (wasmSimdSupported() ? 'wasm' : 'js');
  if (want === 'js') {
    if (typeof options.threads === 'number' && options.threads !== 1) {
      throw new Error(`ready: the js backend runs on one thread; threads: ${options.threads} needs the wasm backend`);
    }
    install(createJsBackend());
    return;
  }
  // Only the thread count changes: resize the running threaded build's pool (tensors stay).
  const current = ENGINE.backend;
  if (options.threads !== undefined && current instanceof WasmBackend && current.pool
    && (options.build === undefined || options.build === current.build)) {
    await current.setThreads(await resolveThreads(options.threads));
    return;
  }
  if (!wasmSimdSupported()) {
    throw new Error('ready: this engine does not support WebAssembly SIMD; use { backend: "js" }');
  }
  const build = options.build ?? (wasmRelaxedSimdSupported() ? 'relaxed' : 'simd');
  if (build.startsWith('relaxed') && !wasmRelaxedSimdSupported()) {
    throw new Error(
      'ready: the relaxed build needs relaxed SIMD; on Node 20 pass { relaxedSimd: true } (sets --experimental-wasm-relaxed-simd)',
    );
  }
  install(await createWasmBackend({ build, source: options.wasm, threads: options.threads, workerUrl: options.workerUrl }));
}

function install(b: Backend): void {
  // A replaced backend keeps serving its tensors' data (they move on next use), on one thread.
  if (ENGINE.backend instanceof WasmBackend && ENGINE.backend !== b) ENGINE.backend.stopThreads();
  ENGINE.backend = b;
  ENGINE.generation++;
  backendChanged();
}

/** Threads the kernels run on now (1 for the js backend and single-threaded builds). */
export function getThreads(): number {
  return ENGINE.backend instanceof WasmBackend ? ENGINE.backend.threads : 1;
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

/** Which build runs: 'relaxed' | 'simd' | 'relaxed-threads' | 'simd-threads' (wasm) or 'js'. */
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

/**
 * Disposes a tensor or every tensor in a container. Called with no argument, ends the worker
 * pool's helper threads (kernels then run on one thread until `ready({ threads })` again).
 */
export function dispose(...args: [TensorContainer?]): void {
  if (args.length === 0) {
    threadDisposals++;
    if (ENGINE.backend instanceof WasmBackend) ENGINE.backend.stopThreads();
    return;
  }
  const x = args[0];
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
