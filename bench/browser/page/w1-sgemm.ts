/**
 * W1 sgemm in the browser: as bench/workloads/w1-sgemm.ts (same data, shapes and spot checks),
 * timed with performance.now() instead of benny (a Node library): 2 warm-ups, then samples
 * (each the mean of back-to-back runs filling ≥ 50 ms, or one run when longer) until there are
 * ≥ 5 and ≥ 1 s of them (0.3 s with --quick). GFLOPS = 2·M·N·K / median sample time.
 */
import { isPlainJs, median, mulberry32 } from '../../lib/common';
import type { Ctx } from '../../workloads/index';

interface Shape { M: number; N: number; K: number; label?: string }

const SHAPES: Shape[] = [
  ...[128, 256, 512, 1024].map((n) => ({ M: n, N: n, K: n })),
  { M: 32, N: 128, K: 32, label: 'LSTM step' },
  { M: 1, N: 1024, K: 1024, label: 'batch-1' },
];

const metricName = (s: Shape) =>
  s.M === s.N && s.N === s.K ? `sgemm ${s.M}³` : `sgemm M${s.M} N${s.N} K${s.K} (${s.label})`;

function spotCheck(c: Float32Array, a: Float32Array, b: Float32Array, { M, N, K }: Shape): void {
  const r = mulberry32(99);
  for (let t = 0; t < 32; t++) {
    const i = Math.floor(r() * M), j = Math.floor(r() * N);
    let dot = 0, mag = 0;
    for (let k = 0; k < K; k++) {
      const p = a[i * K + k] * b[k * N + j];
      dot += p;
      mag += Math.abs(p);
    }
    if (!(Math.abs(c[i * N + j] - dot) <= 1e-5 * mag + 1e-6)) {
      throw new Error(`spot check failed at C[${i}, ${j}]: got ${c[i * N + j]}, dot product ${dot}`);
    }
  }
}

export async function run(ctx: Ctx): Promise<void> {
  const lib = ctx.lib;
  for (const shape of SHAPES) {
    const { M, N, K } = shape;
    const metric = metricName(shape);
    if (isPlainJs(lib.kind, lib.build) && M * N * K > 512 ** 3) {
      ctx.emit({ metric, value: null, note: 'not measured for plain JavaScript (minutes per sample)' });
      continue;
    }
    try {
      const r = mulberry32(1);
      const a = Float32Array.from({ length: M * K }, () => 2 * r() - 1);
      const b = Float32Array.from({ length: K * N }, () => 2 * r() - 1);
      let mul: () => Float32Array;
      let dispose: () => void;
      if (lib.kind === 'ferrite') {
        const fe = lib.fe;
        const ta = fe.tensor(a, [M, K]), tb = fe.tensor(b, [K, N]);
        mul = () => { const c = fe.matMul(ta, tb); const d = c.dataSync() as Float32Array; c.dispose(); return d; };
        dispose = () => { ta.dispose(); tb.dispose(); };
      } else {
        const tf = lib.tf;
        const ta = tf.tensor2d(a, [M, K]), tb = tf.tensor2d(b, [K, N]);
        mul = () => { const c = tf.matMul(ta, tb); const d = c.dataSync() as Float32Array; c.dispose(); return d; };
        dispose = () => { ta.dispose(); tb.dispose(); };
      }
      for (let w = 0; w < 2; w++) spotCheck(mul(), a, b, shape);
      const samples: number[] = [];
      const budget = ctx.quick ? 300 : 1000;
      const t0 = performance.now();
      let last: Float32Array = new Float32Array(0);
      while (samples.length < 5 || performance.now() - t0 < budget) {
        let runs = 0;
        const s0 = performance.now();
        do {
          last = mul();
          runs++;
        } while (performance.now() - s0 < 50);
        samples.push((performance.now() - s0) / runs);
        // Let the worker's event loop breathe between samples.
        await new Promise((res) => setTimeout(res, 0));
      }
      spotCheck(last, a, b, shape);
      dispose();
      const ms = median(samples);
      ctx.emit({ metric, value: (2 * M * N * K) / (ms * 1e6), unit: 'GFLOPS', better: 'higher', samples: samples.length,
        detail: `median ${ms.toFixed(3)} ms of ${samples.length} samples` });
    } catch (err) {
      ctx.emit({ metric, value: null, error: err instanceof Error ? err.message : String(err) });
    }
  }
}
