/**
 * The helper threads of a threaded wasm build: N − 1 workers (Node worker_threads, or browser
 * module workers) that each instantiate the same module on the shared memory and park in
 * `ferrite_worker_run`. The library's own instance is worker 0. Work reaches helpers through
 * the shared memory (crates/ferrite-core/src/parallel/wasm_pool.rs), never by postMessage;
 * messages only say 'ready', 'error', 'failed' and 'exited'.
 *
 * - Helpers never keep a Node process alive (`unref`).
 * - `stop()` sends them out of their loop, ends the workers and frees their stacks.
 * - A helper that does not start (missing script, CSP, timeout) gives one warning and the
 *   pool stays at one thread; it never hangs.
 */
import type { FerriteExports, ThreadedExports } from '../exports';
import { isNode } from './support';

export interface PoolOptions {
  /**
   * URL of the helper script (`thread-worker.mjs`, shipped in `dist/`), for bundlers or hosting
   * that move it. Default: next to the library module (`new URL('./thread-worker.mjs',
   * import.meta.url)`).
   */
  workerUrl?: string | URL;
  /** Milliseconds to wait for helpers to start before giving up (default 30 000). */
  startTimeoutMs?: number;
}

/** Stack of each helper (Rust's default main-thread stack on wasm32). */
const STACK_BYTES = 1 << 20;
/** Spin iterations before an idle helper sleeps (about 100 µs; see wasm_pool::DEFAULT_SPIN). */
export const HELPER_SPIN = 200_000;

type Raw = FerriteExports & ThreadedExports;

/** What the pool needs of a Node Worker or a browser Worker. */
interface HelperWorker {
  postMessage(msg: unknown): void;
  terminate(): void | Promise<number>;
  /** Node only: lets the process exit while the helper lives. */
  unref?(): void;
}

interface Helper {
  id: number;
  worker: HelperWorker;
  stack: number;
  tls: number;
  ready: Promise<void>;
  /** Stack and TLS block returned to the allocator. */
  released: boolean;
}

interface HelperMessage {
  type: 'ready' | 'error' | 'failed' | 'exited';
  message?: string;
}

let warned = new Set<string>();

/** console.warn, once per distinct message. */
export function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(message);
}

/** For tests: forget which warnings were given. */
export function resetWarnings(): void {
  warned = new Set();
}

export class WorkerPool {
  private helpers: Helper[] = [];
  /** Threads asked for (restored after a helper failure). */
  private wanted = 1;
  private pending: Promise<number> | null = null;
  /** Bumped by stop(): a start still under way then ends its helpers instead of using them. */
  private stops = 0;
  private tlsBytes: number;

  constructor(
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly x: Raw,
    private readonly options: PoolOptions = {},
  ) {
    const align = x.__tls_align.value as number;
    if (align > 16) throw new Error(`ferrite: the threaded build wants ${align}-byte aligned TLS (at most 16 supported)`);
    this.tlsBytes = Math.max(16, x.__tls_size.value as number);
  }

  /** Threads jobs use now (1 while helpers start or restart). */
  get threads(): number {
    return this.x.ferrite_threads_get();
  }

  /** Helper workers alive (started and not yet ended). */
  get liveHelpers(): number {
    return this.helpers.length;
  }

  /** Settles when a start or restart under way has finished (with the thread count). */
  settled(): Promise<number> {
    return this.pending ?? Promise.resolve(this.threads);
  }

  /** Runs `n` threads in all (n − 1 helpers); resolves with the count in effect. */
  resize(n: number): Promise<number> {
    this.wanted = n;
    // A stop() (fe.dispose()) after this call wins over it, even while it waits or starts.
    const stopsAtCall = this.stops;
    const run = async (): Promise<number> => {
      await this.pending?.catch(() => undefined);
      if (this.stops !== stopsAtCall) return this.threads;
      this.stop();
      return n > 1 ? this.startHelpers(n - 1) : 1;
    };
    const p = run().finally(() => {
      if (this.pending === p) this.pending = null;
    });
    this.pending = p;
    return p;
  }

  /** After a helper's task trapped (the Rust side already went to one thread): new helpers. */
  restartAfterFailure(): void {
    void this.resize(this.wanted);
  }

  /** Sends every helper out of its loop and ends it; jobs run on the caller alone. */
  stop(): void {
    this.stops++;
    if (this.helpers.length === 0) return;
    this.x.ferrite_threads_stop();
    const helpers = this.helpers;
    this.helpers = [];
    for (const h of helpers) this.end(h);
  }

  private async startHelpers(count: number): Promise<number> {
    const epoch = this.x.ferrite_threads_epoch();
    const stops = this.stops;
    const helpers: Helper[] = [];
    try {
      for (let id = 1; id <= count; id++) helpers.push(await this.spawn(id, epoch));
      await withTimeout(Promise.all(helpers.map((h) => h.ready)), this.options.startTimeoutMs ?? 30_000);
      // Referenced until ready (the process waits for them to start), never after. (Done
      // after the listeners were attached: attaching a 'message' listener refs a Node worker.)
      for (const h of helpers) h.worker.unref?.();
    } catch (err) {
      this.x.ferrite_threads_stop();
      for (const h of helpers) this.end(h);
      const why = err instanceof Error ? err.message : String(err);
      warnOnce(`ferrite: the worker pool could not start its helper threads (${why}); running on one thread`);
      return 1;
    }
    if (this.stops !== stops) {
      // Stopped (fe.dispose()) while these were starting.
      this.x.ferrite_threads_stop();
      for (const h of helpers) this.end(h);
      return 1;
    }
    this.helpers = helpers;
    return this.x.ferrite_threads_set(count + 1, HELPER_SPIN, callerMayBlock() ? 1 : 0);
  }

  private async spawn(id: number, epoch: number): Promise<Helper> {
    const stack = this.x.ferrite_alloc(STACK_BYTES) >>> 0;
    const tls = this.x.ferrite_alloc(this.tlsBytes) >>> 0;
    if (stack === 0 || tls === 0) {
      if (stack) this.x.ferrite_free(stack, STACK_BYTES);
      if (tls) this.x.ferrite_free(tls, this.tlsBytes);
      throw new Error('out of WebAssembly memory for a helper stack');
    }
    let settle!: { resolve: () => void; reject: (e: Error) => void };
    const ready = new Promise<void>((resolve, reject) => { settle = { resolve, reject }; });
    // Until the helper is ready, an unhandled rejection must not escape if nobody awaits.
    ready.catch(() => undefined);
    const helper: Helper = { id, worker: null as unknown as HelperWorker, stack, tls, ready, released: false };
    const onMessage = (m: HelperMessage) => {
      if (m.type === 'ready') settle.resolve();
      else if (m.type === 'error') settle.reject(new Error(`helper ${id}: ${m.message}`));
      else if (m.type === 'exited') this.release(helper);
      // 'failed': the caller's call traps and restarts the pool (see guard.ts).
    };
    const onError = (err: unknown) => {
      const why = err instanceof Error ? err.message : (err as { message?: string })?.message ?? String(err);
      settle.reject(new Error(`helper ${id} did not load: ${why || 'the worker script failed'}`));
    };
    try {
      helper.worker = await createWorker(this.options.workerUrl, onMessage, onError, () => this.release(helper));
    } catch (err) {
      this.release(helper);
      throw err;
    }
    helper.worker.postMessage({ module: this.module, memory: this.memory, id, epoch, stackTop: stack + STACK_BYTES, tls });
    return helper;
  }

  /** Ends a helper's worker; its stack is freed once the thread is known to be gone. */
  private end(h: Helper): void {
    h.worker.unref?.();
    const done = h.worker.terminate();
    // Node: terminate() settles when the thread has stopped. Browsers give no such signal:
    // the stack is freed on the helper's 'exited' message instead (or kept, if it never comes).
    if (done && typeof (done as Promise<number>).then === 'function') {
      (done as Promise<number>).then(() => this.release(h), () => undefined);
    }
  }

  private release(h: Helper): void {
    if (h.released) return;
    h.released = true;
    this.x.ferrite_free(h.stack, STACK_BYTES);
    this.x.ferrite_free(h.tls, this.tlsBytes);
  }
}

/** Whether this thread may block in Atomics.wait (everywhere but a browser's main thread). */
function callerMayBlock(): boolean {
  if (isNode()) return true;
  const g = globalThis as { document?: unknown; WorkerGlobalScope?: unknown };
  return typeof g.WorkerGlobalScope !== 'undefined' || typeof g.document === 'undefined';
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`helpers did not start within ${ms} ms`)), ms);
    (timer as { unref?: () => void }).unref?.();
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A Node worker_threads Worker or a browser module Worker running thread-worker.mjs. */
async function createWorker(
  url: string | URL | undefined, onMessage: (m: HelperMessage) => void, onError: (e: unknown) => void,
  onExit: () => void,
): Promise<HelperWorker> {
  if (isNode()) {
    const { Worker: NodeWorker } = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:worker_threads');
    const w = new NodeWorker(url ?? new URL('./thread-worker.mjs', import.meta.url), { name: 'ferrite-helper' });
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    return w;
  }
  // Written as `new Worker(new URL(…, import.meta.url), …)` so bundlers emit the script.
  const w = url !== undefined
    ? new Worker(url, { type: 'module', name: 'ferrite-helper' })
    : new Worker(new URL('./thread-worker.mjs', import.meta.url), { type: 'module', name: 'ferrite-helper' });
  w.addEventListener('message', (e: MessageEvent<HelperMessage>) => onMessage(e.data));
  w.addEventListener('error', (e: ErrorEvent) => {
    e.preventDefault();
    onError(e.message ? new Error(e.message) : new Error('the worker script failed to load'));
  });
  return w;
}
