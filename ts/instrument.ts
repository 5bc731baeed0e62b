/**
 * Timing of backend kernels, for fe.time (kernel milliseconds) and debug mode (a log line per
 * kernel, as TensorFlow.js' DEBUG flag). The backend's methods are wrapped in place (own
 * properties shadowing the class's), so the backend object keeps its identity.
 */
import type { Backend } from './backend/backend';
import { JsBackend } from './backend/js/js-backend';
import { WasmBackend } from './backend/wasm/wasm-backend';

export type KernelObserver = (kernel: string, ms: number) => void;

const observers = new WeakMap<Backend, Set<KernelObserver>>();
const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Calls `observer(kernel, ms)` after every kernel of `backend` until the returned function runs. */
export function observeKernels(backend: Backend, observer: KernelObserver): () => void {
  let set = observers.get(backend);
  if (!set) {
    set = new Set();
    observers.set(backend, set);
    wrap(backend, set);
  }
  set.add(observer);
  return () => {
    set!.delete(observer);
    if (set!.size === 0) {
      unwrap(backend);
      observers.delete(backend);
    }
  };
}

const WRAPPED = Symbol('ferrite.wrappedKernels');

/** The Backend interface's methods: those both backends' classes define (not their private helpers). */
function kernelNames(): string[] {
  const methods = (c: { prototype: object }) =>
    Object.getOwnPropertyNames(c.prototype).filter((n) => n !== 'constructor' && typeof Object.getOwnPropertyDescriptor(c.prototype, n)?.value === 'function');
  const wasm = new Set(methods(WasmBackend));
  return methods(JsBackend).filter((n) => wasm.has(n));
}

function wrap(backend: Backend, set: Set<KernelObserver>): void {
  const target = backend as unknown as Record<string | symbol, unknown>;
  const names = kernelNames().filter((n) => typeof target[n] === 'function' && !Object.prototype.hasOwnProperty.call(target, n));
  for (const name of names) {
    const fn = target[name] as (...a: unknown[]) => unknown;
    target[name] = function (this: unknown, ...args: unknown[]) {
      const t0 = now();
      try {
        return fn.apply(this, args);
      } finally {
        const ms = now() - t0;
        for (const o of set) o(name, ms);
      }
    };
  }
  target[WRAPPED] = names;
}

function unwrap(backend: Backend): void {
  const target = backend as unknown as Record<string | symbol, unknown>;
  for (const name of (target[WRAPPED] as string[]) ?? []) delete target[name];
  delete target[WRAPPED];
}
