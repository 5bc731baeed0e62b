/**
 * The alternating builds, `wasm-relaxed-threads-A` and `wasm-simd-threads-A`: the threaded
 * build with its pool started on every core, each measurement taken in turns on 1 thread and
 * on all of them inside this one process (1, N, 1, N, …). The speedup is the ratio of the two
 * medians. On a shared virtual machine the speed of a core drifts by tens of percent within
 * minutes; separate processes for 1 and N threads each catch their own phase of it, turns a
 * second or so apart catch the same. The helpers stay up throughout: only the number of
 * threads jobs may use changes, as fe.ready({ threads }) would change it minus ending and
 * starting workers, whose start-up and teardown would run on the cores being measured.
 */
import { WasmBackend } from '../../ts/backend/wasm/wasm-backend';
import { HELPER_SPIN } from '../../ts/backend/wasm/threads/pool';
import { ENGINE } from '../../ts/engine';
import { median } from './common';
import type { Ctx } from '../workloads/index';

export interface Alternation {
  /** Every core: the other side of each turn. */
  threads: number;
  /** Lets jobs use `t` threads from now on (1 or `threads`). */
  use(t: number): void;
}

export const isAlternating = (build: string) => build.endsWith('-threads-A');

/** Fewest turns each way of a measurement that takes well under a second (W3 and W5 epochs). */
export const ALTERNATING_TURNS = 6;

/**
 * Sets how many threads the running pool's jobs may use, its helpers kept up (the TH probe
 * uses it too). The caller may block in a join: Node's main thread (the pool's own setting).
 */
export function threadSetter(): (t: number) => void {
  const b = ENGINE.backend;
  if (!(b instanceof WasmBackend) || !b.pool) throw new Error('the threaded wasm backend is not running');
  return (t) => {
    if (b.exports.ferrite_threads_set(t, HELPER_SPIN, 1) !== t) throw new Error(`could not run on ${t} threads`);
  };
}

/** The alternation of an `-A` build, or null for every other case. */
export function alternation(ctx: Ctx): Alternation | null {
  if (ctx.lib.kind !== 'ferrite' || !isAlternating(ctx.lib.build)) return null;
  const use = threadSetter();
  const threads = ctx.lib.fe.getThreads();
  if (threads < 2) throw new Error(`the alternating build needs 2 or more threads, got ${threads}`);
  return { threads, use };
}

/**
 * `count` pairs of turns of `measure`, one on 1 thread and one on all, the order swapping from
 * pair to pair (1, N, N, 1, 1, N, …) so that a drift of the cores' speed favours neither side:
 * the values of each side, pair i at index i.
 */
export async function takeTurns(alt: Alternation, count: number, measure: () => number | Promise<number>): Promise<[number[], number[]]> {
  const one: number[] = [], all: number[] = [];
  for (let i = 0; i < count; i++) {
    for (const side of i % 2 === 0 ? [1, alt.threads] : [alt.threads, 1]) {
      alt.use(side);
      (side === 1 ? one : all).push(await measure());
    }
  }
  alt.use(alt.threads);
  return [one, all];
}

/**
 * Emits `metric` on 1 thread and on all (medians of the turns) and the speedup: the median of
 * the pairs' ratios. The two turns of a pair run back to back, in the same phase of a shared
 * machine's drifting speed; the ratio of the two sides' medians would mix phases.
 */
export function emitAlternating(
  ctx: Ctx, alt: Alternation, metric: string, unit: string, better: 'higher' | 'lower', one: number[], all: number[], note?: string,
): void {
  const fmt = (v: number[]) => v.map((x) => x.toPrecision(4)).join(', ');
  ctx.emit({ metric: `${metric}, 1 thread`, value: median(one), unit, better, samples: one.length, detail: `turns: ${fmt(one)}` });
  ctx.emit({ metric: `${metric}, ${alt.threads} threads`, value: median(all), unit, better, samples: all.length, detail: `turns: ${fmt(all)}` });
  const pairs = Math.min(one.length, all.length);
  const ratios = Array.from({ length: pairs }, (_, i) => (better === 'higher' ? all[i] / one[i] : one[i] / all[i]));
  ctx.emit({
    metric: `${metric}: ${alt.threads} ÷ 1 thread, alternating`, value: median(ratios), unit: '×', better: 'higher', samples: pairs,
    detail: `median of ${pairs} pairs' ratios: ${fmt(ratios)}`, note,
  });
}
