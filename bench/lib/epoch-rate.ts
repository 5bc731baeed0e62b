/**
 * Training throughput by epoch for `fit`-based workloads: callbacks that time each epoch (and
 * log its rate and loss), and the result — the median rate of the epochs after the first.
 */
import type { Ctx } from '../workloads/index';
import { median } from './common';

export function epochRate(ctx: Ctx, samplesPerEpoch: number, metric: string) {
  const epochStart: number[] = [], epochSeconds: number[] = [];
  const callbacks = {
    onEpochBegin: async () => { epochStart.push(performance.now()); },
    onEpochEnd: async (epoch: number, logs?: Record<string, unknown>) => {
      const s = (performance.now() - epochStart[epochStart.length - 1]) / 1000;
      epochSeconds.push(s);
      ctx.log(`epoch ${epoch + 1}: ${(samplesPerEpoch / s).toFixed(0)} samples/s, loss ${Number(logs?.loss).toFixed(4)}`);
    },
  };
  /** Emits the median rate of epochs 2…n (epoch 1 is the warm-up). */
  const emit = (note?: string) => {
    const rates = epochSeconds.slice(1).map((s) => samplesPerEpoch / s);
    ctx.emit({
      metric, value: median(rates), unit: 'samples/s', better: 'higher', samples: rates.length, note,
      detail: `per epoch: ${epochSeconds.map((s) => (samplesPerEpoch / s).toFixed(0)).join(', ')} samples/s (epoch 1 excluded)`,
    });
  };
  return { callbacks, emit };
}
