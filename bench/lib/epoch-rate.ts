/**
 * Training throughput by epoch for `fit`-based workloads: callbacks that time each epoch (and
 * log its rate and loss), and the result — the median rate of the epochs after the first.
 * In an alternating build (alternate.ts) the epochs after the first take turns on 1 thread and
 * on every core, `epochs(n)` gives each side the n − 1 timed epochs of a normal run but at
 * least ALTERNATING_TURNS (short epochs swing with the machine), and the result is both rates
 * and their ratio.
 */
import type { Ctx } from '../workloads/index';
import { ALTERNATING_TURNS, alternation, emitAlternating } from './alternate';
import { median } from './common';

export function epochRate(ctx: Ctx, samplesPerEpoch: number, metric: string) {
  const epochStart: number[] = [], epochSeconds: number[] = [];
  const alt = alternation(ctx);
  // Epoch 0 (the warm-up) and even epochs on every core, odd ones on 1 thread.
  const threadsOf = (epoch: number) => (epoch % 2 === 1 ? 1 : alt!.threads);
  const callbacks = {
    onEpochBegin: async (epoch: number) => {
      alt?.use(threadsOf(epoch));
      epochStart.push(performance.now());
    },
    onEpochEnd: async (epoch: number, logs?: Record<string, unknown>) => {
      const s = (performance.now() - epochStart[epochStart.length - 1]) / 1000;
      epochSeconds.push(s);
      ctx.log(`epoch ${epoch + 1}: ${(samplesPerEpoch / s).toFixed(0)} samples/s, loss ${Number(logs?.loss).toFixed(4)}`);
    },
  };
  /** Epochs to ask fit for, where a normal run takes n. */
  const epochs = (n: number) => (alt ? 1 + 2 * Math.max(n - 1, ALTERNATING_TURNS) : n);
  /** Emits the median rate of epochs 2…n (epoch 1 is the warm-up). */
  const emit = (note?: string) => {
    if (alt) {
      const rate = (parity: number) => epochSeconds.map((s, e) => [e, samplesPerEpoch / s]).filter(([e]) => e > 0 && e % 2 === parity).map(([, r]) => r);
      emitAlternating(ctx, alt, metric.replace(/, epochs .*$/, ''), 'samples/s', 'higher', rate(1), rate(0), note);
      return;
    }
    const rates = epochSeconds.slice(1).map((s) => samplesPerEpoch / s);
    ctx.emit({
      metric, value: median(rates), unit: 'samples/s', better: 'higher', samples: rates.length, note,
      detail: `per epoch: ${epochSeconds.map((s) => (samplesPerEpoch / s).toFixed(0)).join(', ')} samples/s (epoch 1 excluded)`,
    });
  };
  return { callbacks, emit, epochs };
}
