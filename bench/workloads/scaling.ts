/**
 * How far threads scale on this machine, measured two ways inside one process of a threaded
 * build (part of TH):
 * - **alternating**: sgemm 512³ and 1024³ on 1 thread, then on every thread, round after
 *   round, in the same process and build; the speedup is the ratio of the two medians. A
 *   drift of the machine's speed (other tenants of a shared host) then hits both sides alike,
 *   where separate processes minutes apart can each catch a different phase of it.
 * - **ceiling**: the same sgemm 512³ in N independent single-threaded instances (one per
 *   core, Node workers on the built package, sharing nothing) at once, against one of them alone, alternating. That
 *   is what the cores give to work with no dispatch, no join and no shared data: no threaded
 *   kernel can beat it, and on a shared virtual machine it can sit well under N.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { median, mulberry32 } from '../lib/common';
import type { Ctx } from './index';

export async function measureScaling(ctx: Ctx): Promise<void> {
  if (ctx.lib.kind !== 'ferrite') throw new Error('scaling is measured for ferrite threaded builds');
  const fe = ctx.lib.fe;
  const threads = fe.getThreads();
  for (const n of [512, 1024]) {
    const rounds = ctx.quick ? 5 : 12;
    const gflops = (t: number) => {
      if (fe.getThreads() !== t) throw new Error(`scaling: asked for ${t} threads, running ${fe.getThreads()}`);
      return timeSgemm(fe, n, 300);
    };
    const one: number[] = [], all: number[] = [];
    for (let r = 0; r < rounds; r++) {
      await fe.ready({ threads: 1 });
      one.push(gflops(1));
      await fe.ready({ threads });
      all.push(gflops(threads));
    }
    const ratio = median(all) / median(one);
    ctx.emit({
      metric: `sgemm ${n}³, ${threads} threads ÷ 1, alternating`, value: ratio, unit: '×', better: 'higher', samples: rounds,
      detail: `median ${median(one).toFixed(1)} GFLOPS on 1 thread, ${median(all).toFixed(1)} on ${threads} (max ${Math.max(...one).toFixed(1)}, ${Math.max(...all).toFixed(1)})`,
    });
  }
  await ceiling(ctx, threads);
}

/** GFLOPS of C = A·B (n×n, uniform in [-1, 1)), calls back to back for about `ms`. */
function timeSgemm(fe: typeof import('ferrite-ml'), n: number, ms: number): number {
  const r = mulberry32(1);
  const fill = () => Float32Array.from({ length: n * n }, () => 2 * r() - 1);
  const a = fe.tensor(fill(), [n, n]), b = fe.tensor(fill(), [n, n]);
  fe.matMul(a, b).dispose();
  let calls = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms || calls < 3) {
    const c = fe.matMul(a, b);
    c.dataSync();
    c.dispose();
    calls++;
    t = performance.now();
  }
  a.dispose();
  b.dispose();
  return (2 * n ** 3 * calls) / (t - t0) / 1e6;
}

/** sgemm 512³ in `threads` independent single-threaded instances at once ÷ one alone. */
async function ceiling(ctx: Ctx, threads: number): Promise<void> {
  const build = ctx.lib.build.replace(/^wasm-/, '').replace(/-threads-(1|N)$/, '');
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
  const w = new Worker(new URL('./scaling-worker.mjs', import.meta.url), { workerData: { build, n: 512 } });
  return new Promise((resolve, reject) => {
    w.once('message', () => resolve(w));
    w.once('error', reject);
  });
}

function ask(w: Worker, ms: number): Promise<number> {
  return new Promise((resolve) => {
    w.once('message', resolve);
    w.postMessage(ms);
  });
}
