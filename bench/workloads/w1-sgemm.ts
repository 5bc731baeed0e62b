/**
 * W1 sgemm: C = A·B, float32, A and B uniform in [-1, 1) (mulberry32 seed 1: A row-major, then B).
 * Square M = N = K ∈ {64, 128, 256, 512, 1024}, plus two skinny shapes: an LSTM step
 * (M 32, N 128, K 32) and batch-1 inference (M 1, N 1024, K 1024).
 * Timed region: matMul + reading C back + disposing it. 2 warm-ups (spot-checked), then a benny
 * case (benchmark.js: ≥ 5 samples; a sample is the mean of back-to-back runs filling ≥ 50 ms, or
 * one run when a run is longer). GFLOPS = 2·M·N·K / median sample time. The last timed result is
 * spot-checked against float64 dot products.
 * The alternating builds (lib/alternate.ts) time 512³ and 1024³ only, in turns of ≥ 300 ms on
 * 1 thread and on every core (8 turns each, 4 with --quick); then the same turns of the kernel
 * alone (the backend's product into a kept output: no tensor made, nothing read back). The
 * read-back is serial work on either thread count (a fresh 1 MiB array per 512² result, whose
 * pages glibc often gives back to the kernel between calls: 0.2–0.7 ms here), so the kernel's
 * own ratio is the one to read against the ceiling (TH).
 */
import { add, configure, suite } from 'benny';
import { alternation, emitAlternating, takeTurns, type Alternation } from '../lib/alternate';
import { ENGINE } from '../../ts/engine';
import { isPlainJs, mulberry32 } from '../lib/common';
import type { Ctx } from './index';

interface Shape { M: number; N: number; K: number; label?: string }

const SHAPES: Shape[] = [
  ...[64, 128, 256, 512, 1024].map((n) => ({ M: n, N: n, K: n })),
  { M: 32, N: 128, K: 32, label: 'LSTM step' },
  { M: 1, N: 1024, K: 1024, label: 'batch-1' },
];

const metricName = (s: Shape) =>
  s.M === s.N && s.N === s.K ? `sgemm ${s.M}³` : `sgemm M${s.M} N${s.N} K${s.K} (${s.label})`;

/** Checks `count` entries of C against float64 dot products. */
function spotCheck(c: Float32Array, a: Float32Array, b: Float32Array, { M, N, K }: Shape, count: number, seed: number): void {
  if (c.length !== M * N) throw new Error(`result has ${c.length} values, expected ${M * N}`);
  const r = mulberry32(seed);
  for (let t = 0; t < count; t++) {
    const i = Math.floor(r() * M), j = Math.floor(r() * N);
    let dot = 0, mag = 0;
    for (let k = 0; k < K; k++) {
      const p = a[i * K + k] * b[k * N + j];
      dot += p;
      mag += Math.abs(p);
    }
    const got = c[i * N + j];
    if (!(Math.abs(got - dot) <= 1e-5 * mag + 1e-6)) {
      throw new Error(`spot check failed at C[${i}, ${j}]: got ${got}, dot product ${dot}`);
    }
  }
}

/** A timed closure: multiply, read back, free. */
function makeRunner(ctx: Ctx, a: Float32Array, b: Float32Array, { M, N, K }: Shape): { run(): Float32Array; dispose(): void } {
  const lib = ctx.lib;
  if (lib.kind === 'ferrite') {
    const fe = lib.fe;
    const ta = fe.tensor(a, [M, K]), tb = fe.tensor(b, [K, N]);
    return {
      run() {
        const c = fe.matMul(ta, tb);
        const d = c.dataSync() as Float32Array;
        c.dispose();
        return d;
      },
      dispose() { ta.dispose(); tb.dispose(); },
    };
  }
  const tf = lib.tf;
  const ta = tf.tensor2d(a, [M, K]), tb = tf.tensor2d(b, [K, N]);
  return {
    run() {
      const c = tf.matMul(ta, tb);
      const d = c.dataSync() as Float32Array;
      c.dispose();
      return d;
    },
    dispose() { ta.dispose(); tb.dispose(); },
  };
}

export async function run(ctx: Ctx): Promise<void> {
  const alt = alternation(ctx);
  if (alt) return alternating(ctx, alt);
  const plainJs = isPlainJs(ctx.lib.kind, ctx.lib.build);
  const rates = new Map<Shape, number>();
  for (const shape of SHAPES) {
    const metric = metricName(shape);
    const { M, N, K } = shape;
    if (ctx.quick && plainJs && M * N * K > 512 ** 3) {
      ctx.emit({ metric, value: null, unit: 'GFLOPS', better: 'higher', note: 'skipped with --quick (plain JS, ~3 s a run)' });
      continue;
    }
    let runner: ReturnType<typeof makeRunner> | null = null;
    try {
      const rng = mulberry32(1);
      const a = new Float32Array(M * K), b = new Float32Array(K * N);
      for (let i = 0; i < a.length; i++) a[i] = 2 * rng() - 1;
      for (let i = 0; i < b.length; i++) b[i] = 2 * rng() - 1;
      runner = makeRunner(ctx, a, b, shape);
      const r = runner;
      for (let w = 0; w < 2; w++) spotCheck(r.run(), a, b, shape, 32, 100 + w);

      let last: Float32Array | null = null;
      const summary = await suite(
        `W1 ${metric}`,
        add(metric, () => () => { last = r.run(); }),
        configure({ cases: { minSamples: 5, maxTime: ctx.quick ? 0.3 : 2 } }),
      );
      const res = summary.results[0];
      if (!last) throw new Error('benchmark did not run');
      spotCheck(last, a, b, shape, 32, 7);
      const seconds = res.details.median;
      const gflops = (2 * M * N * K) / seconds / 1e9;
      rates.set(shape, gflops);
      ctx.emit({
        metric, value: gflops, unit: 'GFLOPS', better: 'higher', samples: res.samples,
        detail: `median ${fmtTime(seconds)} of ${res.samples} samples, ±${res.margin.toFixed(1)}%`,
      });
    } catch (e) {
      ctx.emit({ metric, value: null, unit: 'GFLOPS', better: 'higher', error: e instanceof Error ? e.message : String(e) });
    } finally {
      runner?.dispose();
    }
  }
  // How close the small LSTM-step product comes to the large square one (no packing pays off
  // at 32×128×32, and per-call overhead weighs 400× more).
  const lstm = SHAPES.find((s) => s.label === 'LSTM step')!;
  const square = SHAPES.find((s) => s.M === 512 && s.N === 512 && s.K === 512)!;
  const [a, b] = [rates.get(lstm), rates.get(square)];
  if (a !== undefined && b !== undefined) {
    ctx.emit({ metric: 'LSTM step rate ÷ 512³ rate', value: a / b, unit: '×', detail: `${a.toFixed(2)} / ${b.toFixed(2)} GFLOPS` });
  }
}

/** The large square products in turns on 1 thread and on every core. */
async function alternating(ctx: Ctx, alt: Alternation): Promise<void> {
  for (const shape of SHAPES.filter((s) => s.M === s.N && s.N === s.K && s.M >= 512)) {
    const metric = metricName(shape);
    const { M, N, K } = shape;
    const rng = mulberry32(1);
    const a = Float32Array.from({ length: M * K }, () => 2 * rng() - 1);
    const b = Float32Array.from({ length: K * N }, () => 2 * rng() - 1);
    const runner = makeRunner(ctx, a, b, shape);
    try {
      for (let w = 0; w < 2; w++) spotCheck(runner.run(), a, b, shape, 32, 100 + w);
      /** One turn: back-to-back calls for ≥ 300 ms (150 with --quick), at least 2; GFLOPS. */
      const turnOf = (call: () => void, after: (calls: number) => void = () => {}) => () => {
        let calls = 0;
        const t0 = performance.now();
        while (performance.now() - t0 < (ctx.quick ? 150 : 300) || calls < 2) {
          call();
          calls++;
        }
        const seconds = (performance.now() - t0) / 1000 / calls;
        after(calls);
        return (2 * M * N * K) / seconds / 1e9;
      };
      let last: Float32Array | null = null;
      const turn = turnOf(() => { last = runner.run(); }, (calls) => spotCheck(last!, a, b, shape, 8, calls));
      const [one, all] = await takeTurns(alt, ctx.quick ? 4 : 8, turn);
      emitAlternating(ctx, alt, metric, 'GFLOPS', 'higher', one, all);
      const kernel = kernelRunner(ctx, a, b, shape);
      try {
        const [kOne, kAll] = await takeTurns(alt, ctx.quick ? 4 : 8, turnOf(() => kernel.run()));
        spotCheck(kernel.result(), a, b, shape, 32, 9);
        emitAlternating(ctx, alt, `${metric} kernel only`, 'GFLOPS', 'higher', kOne, kAll, 'no tensor made, nothing read back');
      } finally {
        kernel.dispose();
      }
    } catch (e) {
      ctx.emit({ metric, value: null, unit: 'GFLOPS', better: 'higher', error: e instanceof Error ? e.message : String(e) });
    } finally {
      runner.dispose();
    }
  }
}

/** ferrite's product alone: the backend's matmul from A and B into one kept output tensor. */
function kernelRunner(ctx: Ctx, a: Float32Array, b: Float32Array, { M, N, K }: Shape) {
  if (ctx.lib.kind !== 'ferrite') throw new Error('the kernel-only turns are for ferrite builds');
  const fe = ctx.lib.fe;
  const backend = ENGINE.backend;
  if (!backend) throw new Error('no backend is running');
  const ta = fe.tensor(a, [M, K]), tb = fe.tensor(b, [K, N]), tc = fe.zeros([M, N]);
  return {
    run() {
      backend.matmul(ta.storage, 0, 0, tb.storage, 0, 0, tc.storage, 0, 0, 1, M, N, K, false, false, 1, 0);
    },
    result: () => tc.dataSync() as Float32Array,
    dispose() { ta.dispose(); tb.dispose(); tc.dispose(); },
  };
}

function fmtTime(s: number): string {
  return s >= 1 ? `${s.toFixed(2)} s` : s >= 1e-3 ? `${(s * 1e3).toFixed(2)} ms` : `${(s * 1e6).toFixed(1)} µs`;
}
