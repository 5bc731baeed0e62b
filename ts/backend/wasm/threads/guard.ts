/**
 * Trap recovery for the threaded builds. A trap (out-of-bounds access, a failed helper) inside
 * a kernel unwinds the caller's wasm frames but not the job it had handed out: helpers may
 * still be running its tasks, which read the caller's stack. So every export is wrapped:
 * after a trap, `ferrite_threads_recover` waits for the job to drain, the caller's stack
 * pointer is reset, and the error is rethrown (naming the helper's error when a helper
 * failed, after which the pool restarts its helpers).
 */
import type { FerriteExports, ThreadedExports } from '../exports';
import { EXPORT_ARITY } from '../exports';

type Fn = (...args: number[]) => number | void;

/** Wraps f with the same arity (fixed-arity wrappers stay cheap to call). */
function wrap(f: Fn, onTrap: (err: unknown) => unknown): Fn {
  /* eslint-disable @typescript-eslint/no-explicit-any */
  const g = f as any;
  switch (f.length) {
    case 0: return () => { try { return g(); } catch (e) { throw onTrap(e); } };
    case 1: return (a) => { try { return g(a); } catch (e) { throw onTrap(e); } };
    case 2: return (a, b) => { try { return g(a, b); } catch (e) { throw onTrap(e); } };
    case 3: return (a, b, c) => { try { return g(a, b, c); } catch (e) { throw onTrap(e); } };
    case 4: return (a, b, c, d) => { try { return g(a, b, c, d); } catch (e) { throw onTrap(e); } };
    case 5: return (a, b, c, d, e1) => { try { return g(a, b, c, d, e1); } catch (e) { throw onTrap(e); } };
    case 6: return (a, b, c, d, e1, f1) => { try { return g(a, b, c, d, e1, f1); } catch (e) { throw onTrap(e); } };
    case 7: return (a, b, c, d, e1, f1, g1) => { try { return g(a, b, c, d, e1, f1, g1); } catch (e) { throw onTrap(e); } };
    case 8: return (a, b, c, d, e1, f1, g1, h) => { try { return g(a, b, c, d, e1, f1, g1, h); } catch (e) { throw onTrap(e); } };
    default: {
      const wrapped = (...args: number[]) => { try { return f(...args); } catch (e) { throw onTrap(e); } };
      Object.defineProperty(wrapped, 'length', { value: f.length });
      return wrapped;
    }
  }
}

/**
 * The exports of a threaded instance with every ABI function guarded. `onHelperFailure` is
 * called (before the error is thrown) when the trap came from a helper's task.
 */
export function guardExports(
  raw: FerriteExports & ThreadedExports, memory: WebAssembly.Memory, onHelperFailure: () => void,
): FerriteExports {
  const stackTop = raw.__stack_pointer.value as number;
  const onTrap = (err: unknown): unknown => {
    const helperFailed = raw.ferrite_threads_recover() === 1;
    // No frame of this instance is live once the trap reached JavaScript.
    raw.__stack_pointer.value = stackTop;
    if (!helperFailed) return err;
    const at = raw.ferrite_threads_error_area();
    const bytes = new Uint8Array(memory.buffer, at, 256).slice();
    const end = bytes.indexOf(0);
    const message = new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
    onHelperFailure();
    return new Error(`ferrite: a kernel failed on a helper thread: ${message || 'unknown error'}`, { cause: err });
  };
  const out: Record<string, unknown> = { memory };
  for (const name of Object.keys(EXPORT_ARITY)) {
    const f = (raw as unknown as Record<string, Fn>)[name];
    out[name] = typeof f === 'function' ? wrap(f, onTrap) : f;
  }
  return out as unknown as FerriteExports;
}
