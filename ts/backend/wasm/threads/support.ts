/**
 * Whether this host can run the threaded wasm builds, and how many cores 'auto' means.
 * Threads need SharedArrayBuffer and shared WebAssembly memories: always there in Node;
 * in a browser only on a cross-origin isolated page (served with COOP and COEP headers).
 */

export function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/** The hint given (once) when threads were asked for and the page cannot have them. */
export const ISOLATION_HINT =
  'serve the page with the headers "Cross-Origin-Opener-Policy: same-origin" and ' +
  '"Cross-Origin-Embedder-Policy: require-corp" (or "credentialless") so that it is ' +
  'cross-origin isolated and SharedArrayBuffer is available';

/** Why threads cannot run here, or null when they can. */
export function threadsUnavailableReason(): string | null {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') {
    return isNode() ? 'this JavaScript engine has no SharedArrayBuffer' : `SharedArrayBuffer is not available: ${ISOLATION_HINT}`;
  }
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (!isNode() && g.crossOriginIsolated === false) {
    return `the page is not cross-origin isolated: ${ISOLATION_HINT}`;
  }
  try {
    const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    if (!(m.buffer instanceof SharedArrayBuffer)) return 'WebAssembly shared memory is not available';
  } catch (err) {
    return `WebAssembly shared memory is not available (${err instanceof Error ? err.message : String(err)})`;
  }
  if (typeof Worker !== 'function' && !isNode()) return 'this context cannot start Web Workers';
  return null;
}

/** The cores 'auto' uses: os.availableParallelism() in Node, navigator.hardwareConcurrency elsewhere. */
export async function availableCores(): Promise<number> {
  if (isNode()) {
    const os = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:os');
    const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    return Math.max(1, n | 0);
  }
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, typeof n === 'number' ? n | 0 : 1);
}
