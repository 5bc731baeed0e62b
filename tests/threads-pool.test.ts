// The worker pool of the threaded wasm builds in Node: start, many dispatches, a trap inside a
// kernel (on a helper and on the caller), dispose and restart, no helpers or memory left
// behind, and the API around it (fe.ready({ threads }), fe.getThreads(), fe.dispose()).
import * as v8 from 'node:v8';
import { afterAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { ENGINE } from '../ts/engine';
import { WasmBackend } from '../ts/backend/wasm/wasm-backend';
import { createWasmBackend } from '../ts/backend/wasm/wasm-backend';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const NONE = 0xffffffff;

function backend(): WasmBackend {
  const b = ENGINE.backend;
  if (!(b instanceof WasmBackend)) throw new Error('the wasm backend is not running');
  return b;
}

/** Runs the pool's probe job: which thread ran each of `tasks` tasks (-1: none). */
function probe(b: WasmBackend, tasks: number, spin: number, trapOn = NONE): Int32Array {
  const x = b.exports;
  const out = x.ferrite_alloc(tasks * 4);
  try {
    new Int32Array(b.memory.buffer, out, tasks).fill(-1);
    x.ferrite_threads_probe(tasks, spin, trapOn, out);
    return new Int32Array(b.memory.buffer, out, tasks).slice();
  } finally {
    x.ferrite_free(out, tasks * 4);
  }
}

afterAll(() => fe.dispose());

describe('the worker pool (simd-threads build)', () => {
  it('starts the helpers it is asked for and reports them', async () => {
    await fe.ready({ backend: 'wasm', build: 'simd', threads: 3 });
    expect(fe.getBuild()).toBe('simd-threads');
    expect(fe.getThreads()).toBe(3);
    expect(backend().pool?.liveHelpers).toBe(2);
    expect(backend().memory.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('runs every task of many dispatches exactly once, on the caller and the helpers', () => {
    const b = backend();
    const seen = new Set<number>();
    const jobs0 = b.exports.ferrite_threads_jobs();
    for (let rep = 0; rep < 300; rep++) {
      const tasks = 1 + (rep % 13);
      const ids = probe(b, tasks, rep % 3 === 0 ? 20_000 : 0);
      for (const id of ids) {
        expect(id).toBeGreaterThanOrEqual(0);
        expect(id).toBeLessThan(3);
        seen.add(id);
      }
    }
    // Long tasks give every thread a share (the caller always takes part).
    for (let rep = 0; rep < 20 && seen.size < 3; rep++) probe(b, 48, 200_000).forEach((id) => seen.add(id));
    expect([...seen].sort()).toEqual([0, 1, 2]);
    // Every multi-task probe was handed out (single tasks run inline).
    expect(b.exports.ferrite_threads_jobs() - jobs0).toBeGreaterThanOrEqual(300 - Math.ceil(300 / 13));
  });

  /** The error of a probe that traps on thread `on` (retried: on a busy machine a thread may
   * get no task of a job). */
  function trapError(b: WasmBackend, on: number): unknown {
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        probe(b, 64, 200_000, on);
      } catch (e) {
        return e;
      }
    }
    return undefined;
  }

  it('turns a trap on a helper into an error naming it, then restarts the helpers', async () => {
    const b = backend();
    const err = trapError(b, 1);
    expect(String(err)).toMatch(/ferrite: a kernel failed on a helper thread: RuntimeError: unreachable/);
    // Meanwhile everything runs on the caller; then the helpers are back.
    expect(await b.pool!.settled()).toBe(3);
    expect(fe.getThreads()).toBe(3);
    const ids = probe(b, 40, 50_000);
    expect(ids.every((id) => id >= 0 && id < 3)).toBe(true);
    const m = fe.matMul(fe.tensor2d([[1, 2], [3, 4]]), fe.tensor2d([[5], [6]]));
    expect(Array.from(m.dataSync())).toEqual([17, 39]);
  });

  it('recovers from a trap on the caller: the job drains and the next calls work', () => {
    const b = backend();
    expect(String(trapError(b, 0))).toMatch(/RuntimeError: unreachable/);
    expect(fe.getThreads()).toBe(3);
    for (let rep = 0; rep < 50; rep++) {
      const ids = probe(b, 9, 1000);
      expect(ids.every((id) => id >= 0 && id < 3)).toBe(true);
    }
  });

  it('ends its helpers on fe.dispose(), runs on one thread, and restarts on ready', async () => {
    const b = backend();
    const kept = fe.tensor1d([1, 2, 3]);
    fe.dispose();
    expect(fe.getThreads()).toBe(1);
    expect(b.pool!.liveHelpers).toBe(0);
    expect(probe(b, 12, 100).every((id) => id === 0)).toBe(true);
    await fe.ready({ threads: 2 });
    expect(ENGINE.backend).toBe(b); // the same module and memory: tensors stay
    expect(fe.getThreads()).toBe(2);
    expect(Array.from(kept.dataSync())).toEqual([1, 2, 3]);
    await fe.ready({ threads: 1 });
    expect(fe.getThreads()).toBe(1);
    expect(b.pool!.liveHelpers).toBe(0);
  });

  it('fe.dispose() wins over a start still under way', async () => {
    const b = backend();
    await fe.ready({ threads: 1 });
    const starting = fe.ready({ threads: 3 });
    fe.dispose();
    await starting;
    await b.pool!.settled();
    expect(fe.getThreads()).toBe(1);
    expect(b.pool!.liveHelpers).toBe(0);
  });

  it('leaves no helper stacks behind over many restarts', async () => {
    const b = backend();
    await fe.ready({ threads: 3 });
    const heap = b.memory.buffer.byteLength;
    for (let i = 0; i < 8; i++) {
      await fe.ready({ threads: 1 + (i % 3) });
      // Node ends a worker asynchronously; its stack returns to the allocator then.
      await new Promise((r) => setTimeout(r, 20));
    }
    await fe.ready({ threads: 1 });
    await new Promise((r) => setTimeout(r, 100));
    // 8 restarts of up to 2 helpers would need 16 MiB more if stacks leaked.
    expect(b.memory.buffer.byteLength - heap).toBeLessThan(4 << 20);
    expect(b.pool!.liveHelpers).toBe(0);
  });
});

describe('asking for threads', () => {
  it("'auto' takes the available cores in Node", async () => {
    const os = await import('node:os');
    await fe.ready({ backend: 'wasm', build: 'relaxed', relaxedSimd: true, threads: 'auto' });
    const cores = os.availableParallelism();
    expect(fe.getThreads()).toBe(cores);
    expect(fe.getBuild()).toBe(cores > 1 ? 'relaxed-threads' : 'relaxed');
    fe.dispose();
  });

  it('rejects thread counts that are not whole numbers from 1 to 256', async () => {
    for (const bad of [0, -1, 1.5, 257, Number.NaN, '2' as unknown as number]) {
      await expect(fe.ready({ backend: 'wasm', build: 'simd', threads: bad })).rejects.toThrow(
        /threads must be an integer from 1 to 256, or 'auto'/);
    }
    await expect(fe.ready({ backend: 'js', threads: 2 })).rejects.toThrow(/the js backend runs on one thread/);
  });

  it('falls back to one thread with one warning when a helper cannot start', async () => {
    const warn: string[] = [];
    const original = console.warn;
    console.warn = (m: string) => { warn.push(String(m)); };
    try {
      const b = await createWasmBackend({ build: 'simd', threads: 2, workerUrl: new URL('file:///nonexistent/thread-worker.mjs') });
      expect(b.threads).toBe(1);
      expect(b.pool!.liveHelpers).toBe(0);
      expect(warn.join('\n')).toMatch(/worker pool could not start its helper threads .*running on one thread/);
      // Still computes.
      const out = b.alloc(4);
      b.fill(out, 2.5, 4);
      expect(Array.from(b.readF32(out))).toEqual([2.5, 2.5, 2.5, 2.5]);
    } finally {
      console.warn = original;
    }
  });

  it("the single-threaded builds run on one thread and say so when asked for more", async () => {
    const plain = await createWasmBackend({ build: 'simd' });
    expect(plain.build).toBe('simd');
    expect(plain.threads).toBe(1);
    await expect(plain.setThreads(2)).rejects.toThrow(/'simd' build runs on one thread; 2 threads need a '-threads' build/);
  });
});
