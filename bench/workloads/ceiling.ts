/**
 * The ceiling the cores set (part of TH): sgemm 512³ in N independent single-threaded ferrite
 * instances at once (Node workers on the built package, one per core, sharing nothing), against
 * one of them alone, in turns. That is what the cores give to work with no dispatch, no join and
 * no shared data; no threaded kernel can beat it, and on a shared virtual machine it can sit
 * well under N. Read the threaded builds' speedups (W1, W3–W5, `-threads-A`) against it.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { median } from '../lib/common';
import type { Ctx } from './index';

export async function measureCeiling(ctx: Ctx, threads: number): Promise<void> {
  const build = ctx.lib.build.replace(/^wasm-/, '').replace(/-threads-(1|N|A)$/, '');
  const workers = await Promise.all(Array.from({ length: threads }, () => startWorker(build)));
  try {
    const rounds = ctx.quick ? 5 : 12;
    const solo: number[] = [], together: number[] = [];
    for (let r = 0; r < rounds; r++) {
      solo.push(await ask(workers[0], 300));
      const each = await Promise.all(workers.map((w) => ask(w, 300)));
      together.push(each.reduce((s, v) => s + v, 0));
    }
    ctx.emit({
      metric: `ceiling: independent sgemm 512³ on ${threads} cores ÷ one`, value: median(together) / median(solo), unit: '×', better: 'higher',
      samples: rounds,
      detail: `${threads} single-threaded ${build} instances at once: median ${median(together).toFixed(1)} GFLOPS in all; one alone ${median(solo).toFixed(1)} (${os.availableParallelism()} cores)`,
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function startWorker(build: string): Promise<Worker> {
  // The built package (dist/, wasm/): V8 flags such as relaxed SIMD are process-wide already.
  const w = new Worker(new URL('./ceiling-worker.mjs', import.meta.url), { workerData: { build, n: 512 } });
  return new Promise((resolve, reject) => {
    w.once('message', () => resolve(w));
    w.once('error', reject);
  });
}

/** GFLOPS of back-to-back products for about `ms`. */
function ask(w: Worker, ms: number): Promise<number> {
  return new Promise((resolve) => {
    w.once('message', resolve);
    w.postMessage(ms);
  });
}
