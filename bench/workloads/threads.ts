/**
 * TH: what a dispatch to the worker pool costs (ferrite's threaded builds). The pool's probe
 * export runs a job of T tasks, each busy for a set number of loop iterations; timing it on
 * 1 thread and on all threads gives
 * - the cost of handing out an empty job and joining it, with the helpers still spinning
 *   (jobs back to back) and after 2 ms idle (the helpers asleep in wait32, woken by notify);
 * - the break-even task length: the shortest work per thread for which a 2-task job on all
 *   threads beats the same job run inline on one. The kernels' thresholds
 *   (crates/ferrite-core/src/parallel/mod.rs) sit a few times above it.
 * Medians over many calls; on a busy machine the sleeping-helper numbers swing most.
 * Then the ceiling the cores set for any speedup (ceiling.ts).
 */
import { ENGINE } from '../../ts/engine';
import { WasmBackend } from '../../ts/backend/wasm/wasm-backend';
import { threadSetter } from '../lib/alternate';
import { median } from '../lib/common';
import type { Ctx } from './index';
import { measureCeiling } from './ceiling';

const NONE = 0xffffffff;

export async function run(ctx: Ctx): Promise<void> {
  if (ctx.lib.kind !== 'ferrite' || !/threads/.test(ctx.lib.build)) {
    throw new Error('TH measures the worker pool of the threaded builds only');
  }
  const fe = ctx.lib.fe;
  const b = ENGINE.backend;
  if (!(b instanceof WasmBackend) || !b.pool) throw new Error('the threaded wasm backend is not running');
  const x = b.exports;
  const threads = fe.getThreads();
  // Thread counts change without ending and starting the helpers.
  const use = threadSetter();
  const out = x.ferrite_alloc(4 * 64);
  const probe = (tasks: number, spin: number) => x.ferrite_threads_probe(tasks, spin, NONE, out);
  const timeEach = (calls: number, f: () => void): number => {
    const t: number[] = [];
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      f();
      t.push(performance.now() - t0);
    }
    return median(t) * 1000;
  };
  const reps = ctx.quick ? 500 : 3000;

  // Per-iteration cost of the probe's busy loop, on one task inline.
  const iterNs = (() => {
    const n = 2_000_000;
    probe(1, n);
    const us = timeEach(9, () => probe(1, n));
    return (us * 1000) / n;
  })();
  ctx.log(`probe loop: ${iterNs.toFixed(3)} ns per iteration; ${threads} threads`);

  // Empty job, back to back: helpers spin between jobs.
  for (let i = 0; i < 200; i++) probe(threads, 0);
  const hot = timeEach(reps, () => probe(threads, 0));
  // The same job run inline (what a kernel below the thresholds costs).
  use(1);
  const inline = timeEach(reps, () => probe(threads, 0));
  use(threads);
  ctx.emit({ metric: 'empty job, helpers spinning', value: Math.max(0, hot - inline), unit: 'µs', better: 'lower', samples: reps,
    detail: `median ${hot.toFixed(2)} µs per job on ${threads} threads, ${inline.toFixed(2)} µs inline` });

  // Empty job after 2 ms idle: helpers have gone to sleep (they spin ~100 µs).
  const cold: number[] = [];
  for (let i = 0; i < (ctx.quick ? 40 : 150); i++) {
    await new Promise((r) => setTimeout(r, 2));
    const t0 = performance.now();
    probe(threads, 0);
    cold.push(performance.now() - t0);
  }
  ctx.emit({ metric: 'empty job, helpers asleep', value: median(cold) * 1000, unit: 'µs', better: 'lower', samples: cold.length });

  // Break-even: the least work per task (2 tasks) for which all threads beat one.
  let breakEven: number | null = null;
  const table: string[] = [];
  for (const workUs of [0.5, 1, 2, 4, 8, 16, 32, 64]) {
    const spin = Math.round((workUs * 1000) / iterNs);
    const calls = Math.max(50, Math.round(reps / (1 + workUs)));
    const par = timeEach(calls, () => probe(2, spin));
    use(1);
    const one = timeEach(calls, () => probe(2, spin));
    use(threads);
    table.push(`${workUs} µs/task: ${one.toFixed(1)} → ${par.toFixed(1)} µs`);
    if (breakEven === null && par < one) breakEven = workUs;
  }
  ctx.log(`2 tasks, 1 thread → ${threads} threads: ${table.join('; ')}`);
  ctx.emit({
    metric: 'break-even work per task (2 tasks)', value: breakEven, unit: 'µs', better: 'lower',
    ...(breakEven === null ? { note: 'threads never won up to 64 µs per task (a busy machine?)' } : {}),
    detail: table.join('; '),
  });
  x.ferrite_free(out, 4 * 64);
  await measureCeiling(ctx, threads);
}
