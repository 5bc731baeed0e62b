/**
 * Finds, reads and compiles a ferrite wasm build. Works in Node (reads files) and in the
 * browser (fetch); Node built-ins are only ever imported dynamically, behind a Node check,
 * so browser bundles never reach them.
 */

/**
 * 'simd' and 'relaxed' run on one thread; the '-threads' builds are the same kernels with
 * atomics over a shared, imported memory (ts/backend/wasm/threads/).
 */
export type WasmBuild = 'simd' | 'relaxed' | 'simd-threads' | 'relaxed-threads';
export const WASM_BUILDS: readonly WasmBuild[] = ['simd', 'relaxed', 'simd-threads', 'relaxed-threads'];

export function isThreadedBuild(build: WasmBuild): boolean {
  return build === 'simd-threads' || build === 'relaxed-threads';
}

/** Where to take one build from. Give exactly one field. */
export interface WasmSource {
  /** URL of the .wasm file (http(s):, file:, blob:, data:, or relative to the page). */
  url?: string | URL;
  /** The .wasm file's contents. */
  bytes?: ArrayBuffer | ArrayBufferView;
  /** A file-system path (Node only). */
  path?: string;
  /** An already compiled module. */
  module?: WebAssembly.Module;
}

/** One source for whichever build is chosen, or one per build (missing builds use the default). */
export type WasmSources = WasmSource | { [B in WasmBuild]?: WasmSource };

const SOURCE_KEYS = ['url', 'bytes', 'path', 'module'] as const;

function isSource(x: object): x is WasmSource {
  return SOURCE_KEYS.some((k) => (x as Record<string, unknown>)[k] !== undefined);
}

/** The source given for `build`, or undefined to use the package's own file. */
export function sourceFor(build: WasmBuild, sources: WasmSources | undefined): WasmSource | undefined {
  if (sources === undefined || sources === null) return undefined;
  if (isSource(sources)) return sources;
  const per = sources as { [B in WasmBuild]?: WasmSource };
  return per[build];
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/**
 * Default locations of `wasm/ferrite-ml-<build>.wasm`, most likely first. The bundle lives in
 * dist/ (wasm/ is one level up); the source module in ts/backend/wasm/ (three levels up).
 * The dist form is written as literal `new URL(…, import.meta.url)` so bundlers can pick up
 * the asset.
 */
export function defaultWasmUrls(build: WasmBuild): URL[] {
  let here: string | undefined;
  try {
    here = import.meta.url;
  } catch {
    here = undefined;
  }
  if (!here) return [];
  const dist =
    build === 'simd' ? new URL('../wasm/ferrite-ml-simd.wasm', import.meta.url)
      : build === 'relaxed' ? new URL('../wasm/ferrite-ml-relaxed.wasm', import.meta.url)
        : build === 'simd-threads' ? new URL('../wasm/ferrite-ml-simd-threads.wasm', import.meta.url)
          : new URL('../wasm/ferrite-ml-relaxed-threads.wasm', import.meta.url);
  if (!here.includes('/ts/backend/wasm/')) return [dist];
  return [new URL('../../../wasm/' + `ferrite-ml-${build}.wasm`, here), dist];
}

export class WasmLoadError extends Error {
  constructor(build: WasmBuild, where: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`ferrite: cannot load the '${build}' WebAssembly build from ${where}: ${why}`);
    this.name = 'WasmLoadError';
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || (err as { status?: number } | null)?.status === 404;
}

/** Bytes as a Uint8Array without copying (typed over ArrayBuffer, as WebAssembly.compile wants). */
function toBytes(b: ArrayBuffer | ArrayBufferView): Uint8Array<ArrayBuffer> {
  const u = b instanceof Uint8Array ? b
    : ArrayBuffer.isView(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
    : new Uint8Array(b);
  return u as Uint8Array<ArrayBuffer>;
}

async function readNodeFile(path: string): Promise<Uint8Array<ArrayBuffer>> {
  const fs = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:fs/promises');
  return toBytes(await fs.readFile(path));
}

async function fileUrlToPath(url: URL): Promise<string> {
  const { fileURLToPath } = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:url');
  return fileURLToPath(url);
}

function toUrl(url: string | URL): URL | string {
  if (url instanceof URL) return url;
  try {
    return new URL(url);
  } catch {
    // Relative URL: fetch resolves it against the page.
    return url;
  }
}

async function fetchResponse(url: URL | string): Promise<Response> {
  const res = await fetch(url);
  if (!res.ok) {
    const err = new Error(`HTTP ${res.status} ${res.statusText}`.trim());
    (err as Error & { status: number }).status = res.status;
    throw err;
  }
  // Dev servers answer a missing file with their index page: say so rather than "bad magic word".
  if ((res.headers.get('content-type') ?? '').startsWith('text/html')) {
    const err = new Error(
      "the server sent an HTML page, not the .wasm file: it is not served at this URL (with Vite's dev server, set optimizeDeps: { exclude: ['ferrite-ml'] })",
    );
    (err as Error & { status: number }).status = 404;
    throw err;
  }
  return res;
}

/** Bytes at a URL: file: URLs are read from disk in Node, anything else is fetched. */
async function bytesFromUrl(url: URL | string): Promise<Uint8Array<ArrayBuffer>> {
  if (isNode() && url instanceof URL && url.protocol === 'file:') {
    return readNodeFile(await fileUrlToPath(url));
  }
  return new Uint8Array(await (await fetchResponse(url)).arrayBuffer());
}

async function moduleFromUrl(url: URL | string): Promise<WebAssembly.Module> {
  if (isNode() && url instanceof URL && url.protocol === 'file:') {
    return WebAssembly.compile(await bytesFromUrl(url));
  }
  const res = await fetchResponse(url);
  // Streaming compilation needs the application/wasm MIME type; servers often send another.
  const type = res.headers.get('content-type') ?? '';
  if (typeof WebAssembly.compileStreaming === 'function' && type.startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(res);
  }
  return WebAssembly.compile(await res.arrayBuffer());
}

function describe(source: WasmSource): string {
  if (source.path !== undefined) return source.path;
  if (source.url !== undefined) return String(source.url);
  return source.module !== undefined ? 'the given module' : 'the given bytes';
}

async function fromSource<T>(
  build: WasmBuild, source: WasmSource | undefined,
  get: (where: URL | string, isPath: boolean) => Promise<T>,
): Promise<T> {
  if (source) {
    const where = describe(source);
    try {
      if (source.path !== undefined) {
        if (!isNode()) throw new Error('a file-system path needs Node.js; pass url or bytes instead');
        return await get(source.path, true);
      }
      if (source.url !== undefined) return await get(toUrl(source.url), false);
      throw new Error('the source has none of url, bytes, path, module');
    } catch (err) {
      throw new WasmLoadError(build, where, err);
    }
  }
  const candidates = defaultWasmUrls(build);
  if (candidates.length === 0) {
    throw new WasmLoadError(build, 'its default location', new Error(
      'import.meta.url is not available here; pass `source` ({ url } or { bytes })'));
  }
  let firstErr: unknown;
  for (const url of candidates) {
    try {
      return await get(url, false);
    } catch (err) {
      firstErr ??= err;
      // Only a missing file moves on to the next candidate; anything else is a real error.
      if (!isMissing(err)) throw new WasmLoadError(build, url.href, err);
    }
  }
  throw new WasmLoadError(build, candidates.map((u) => u.href).join(' or '), firstErr);
}

/** The bytes of a wasm build, from `source` or the package's `wasm/ferrite-ml-<build>.wasm`. */
export async function loadWasmBytes(build: WasmBuild, source?: WasmSources): Promise<Uint8Array<ArrayBuffer>> {
  const src = sourceFor(build, source);
  if (src?.bytes !== undefined) return toBytes(src.bytes);
  if (src?.module !== undefined) {
    throw new WasmLoadError(build, 'the given module', new Error('a compiled module has no bytes to read'));
  }
  return fromSource(build, src, (where, isPath) =>
    isPath ? readNodeFile(where as string) : bytesFromUrl(where));
}

/**
 * The compiled module of a wasm build. Compiles with streaming where the server allows it.
 * Compilation errors (such as a relaxed build on an engine without relaxed SIMD) name the build.
 */
export async function loadWasmModule(build: WasmBuild, source?: WasmSources): Promise<WebAssembly.Module> {
  const src = sourceFor(build, source);
  if (src?.module !== undefined) return src.module;
  if (src?.bytes !== undefined) {
    try {
      return await WebAssembly.compile(toBytes(src.bytes));
    } catch (err) {
      throw new WasmLoadError(build, 'the given bytes', err);
    }
  }
  return fromSource(build, src, async (where, isPath) =>
    isPath ? WebAssembly.compile(await readNodeFile(where as string)) : moduleFromUrl(where));
}
