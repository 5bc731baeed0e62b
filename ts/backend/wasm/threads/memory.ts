/**
 * The shared memory the threaded builds import (env.memory). Its limits follow the link
 * flags in scripts/build-wasm.sh: 2 MiB at first (stack and static data), up to 4 GiB.
 */

/** 64 KiB pages the module declares as its minimum (--initial-memory=2097152). */
export const THREADED_INITIAL_PAGES = 32;

/** Maximum sizes tried, largest first: a shared memory reserves its maximum up front, which
 * hosts with little address space (32-bit browsers, some phones) refuse. */
const MAXIMUM_PAGES = [65536, 32768, 16384];

export function createSharedMemory(): WebAssembly.Memory {
  let last: unknown;
  for (const maximum of MAXIMUM_PAGES) {
    try {
      return new WebAssembly.Memory({ initial: THREADED_INITIAL_PAGES, maximum, shared: true });
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`ferrite: cannot create a shared WebAssembly memory: ${last instanceof Error ? last.message : String(last)}`);
}
