/** Op-level timing shared by the op workloads (W6, SP): one emitted median per op. */
import { errorMessage, isPlainJs, median } from './common';
import type { Ctx } from '../workloads/index';

export interface Op {
  metric: string;
  /** One call, its result read back. */
  call(): void | Promise<void>;
}

/**
 * Times each op: 2 warm-ups, then calls until ≥ 5 and ≥ 1 s (plain JS: 1 warm-up and 1–3
 * timed calls, fewer when a call takes seconds); emits the median in ms, or the error.
 */
export async function timeOps(ctx: Ctx, ops: Op[]): Promise<void> {
  const plainJs = isPlainJs(ctx.lib.kind, ctx.lib.build);
  for (const op of ops) {
    try {
      const times: number[] = [];
      const time = async () => {
        const t0 = performance.now();
        await op.call();
        return performance.now() - t0;
      };
      if (plainJs) {
        const first = await time(); // warm-up
        const timed = first > 10_000 ? 1 : ctx.quick ? 2 : 3;
        for (let i = 0; i < timed; i++) times.push(await time());
      } else {
        await time();
        await time();
        const start = performance.now();
        while (times.length < 5 || performance.now() - start < 1000) times.push(await time());
      }
      ctx.emit({
        metric: op.metric, value: median(times), unit: 'ms', better: 'lower', samples: times.length,
        note: plainJs && times.length < 3 ? `${times.length} timed call${times.length > 1 ? 's' : ''} after 1 warm-up (seconds per call)` : undefined,
        detail: `median of ${times.length}: ${times.map((t) => t.toFixed(2)).join(', ')} ms`,
      });
    } catch (e) {
      ctx.emit({ metric: op.metric, value: null, unit: 'ms', better: 'lower', error: errorMessage(e) });
    }
  }
}
