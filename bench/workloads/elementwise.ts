/**
 * EW element-wise throughput: exp, tanh and sigmoid over 1,048,576 float32 values, a whole-
 * tensor sum and a column mean (reductions), and a Dense layer's output relu(x + bias) on
 * [1024, 1024]. Inputs are uniform in [-8, 8) (mulberry32 seed 11; bias seed 12).
 *
 * Timed region: the op and disposing its result (nothing is read back: every backend here
 * computes synchronously, so the op's work is done when it returns). A benny case collects
 * ≥ 5 samples after 2 warm-ups; the last result is spot-checked against float64 references.
 * GB/s = bytes moved / median time, counting each input element read and each output element
 * written once (4 bytes each): 8 bytes per element for the maps, 4 for the reductions.
 *
 * ferrite's Dense output is one fused kernel (biasAddActivation); TF.js runs tf.add then
 * tf.relu (its fused bias + activation exists only inside a matMul).
 */
import { add, configure, suite } from 'benny';
import { mulberry32 } from '../lib/common';
import { biasAddActivation } from '../../ts/ops/fused-dense';
import type { Ctx } from './index';

const N = 1 << 20;
const ROWS = 1024;
const COLS = 1024;

interface Case {
  metric: string;
  /** Bytes moved per call. */
  bytes: number;
  /** Runs the op once; returns a read-back function for the spot check. */
  make(ctx: Ctx, x: Float32Array, bias: Float32Array): { run(): void; check(): void; dispose(): void };
}

/** Checks `got` against `want(i)` at 64 spread-out positions. */
function spotCheck(metric: string, got: ArrayLike<number>, want: (i: number) => number, rtol = 2e-6): void {
  const step = Math.max(1, Math.floor(got.length / 64));
  for (let i = 0; i < got.length; i += step) {
    const w = want(i);
    if (!(Math.abs(got[i] - w) <= rtol * Math.abs(w) + 1e-6)) throw new Error(`${metric}: element ${i} is ${got[i]}, expected ${w}`);
  }
}

type Unary = 'exp' | 'tanh' | 'sigmoid';
const REF: Record<Unary, (x: number) => number> = { exp: Math.exp, tanh: Math.tanh, sigmoid: (x) => 1 / (1 + Math.exp(-x)) };

function unaryCase(op: Unary): Case {
  const metric = `${op} 1M floats`;
  return {
    metric,
    bytes: 8 * N,
    make(ctx, x) {
      let last: ArrayLike<number> = [];
      if (ctx.lib.kind === 'ferrite') {
        const fe = ctx.lib.fe;
        const t = fe.tensor(x, [N]);
        return {
          run() { fe[op](t).dispose(); },
          check() { const y = fe[op](t); last = y.dataSync(); y.dispose(); spotCheck(metric, last, (i) => REF[op](x[i])); },
          dispose() { t.dispose(); },
        };
      }
      const tf = ctx.lib.tf;
      const t = tf.tensor1d(x);
      return {
        run() { tf[op](t).dispose(); },
        check() { const y = tf[op](t); last = y.dataSync(); y.dispose(); spotCheck(metric, last, (i) => REF[op](x[i])); },
        dispose() { t.dispose(); },
      };
    },
  };
}

const SUM: Case = {
  metric: 'sum of 1M floats',
  bytes: 4 * N,
  make(ctx, x) {
    let want = 0;
    for (let i = 0; i < N; i++) want += x[i];
    const check = (got: number) => {
      if (!(Math.abs(got - want) <= 1e-5 * N)) throw new Error(`sum is ${got}, expected ${want}`);
    };
    if (ctx.lib.kind === 'ferrite') {
      const fe = ctx.lib.fe;
      const t = fe.tensor(x, [N]);
      return { run() { fe.sum(t).dispose(); }, check() { const s = fe.sum(t); check(s.dataSync()[0]); s.dispose(); }, dispose() { t.dispose(); } };
    }
    const tf = ctx.lib.tf;
    const t = tf.tensor1d(x);
    return { run() { tf.sum(t).dispose(); }, check() { const s = tf.sum(t); check(s.dataSync()[0]); s.dispose(); }, dispose() { t.dispose(); } };
  },
};

const MEAN0: Case = {
  metric: 'mean over axis 0 of [1024, 1024]',
  bytes: 4 * N,
  make(ctx, x) {
    const want = (j: number) => {
      let s = 0;
      for (let r = 0; r < ROWS; r++) s += x[r * COLS + j];
      return s / ROWS;
    };
    const metric = this.metric;
    if (ctx.lib.kind === 'ferrite') {
      const fe = ctx.lib.fe;
      const t = fe.tensor(x, [ROWS, COLS]);
      return {
        run() { fe.mean(t, 0).dispose(); },
        check() { const m = fe.mean(t, 0); spotCheck(metric, m.dataSync(), want, 1e-4); m.dispose(); },
        dispose() { t.dispose(); },
      };
    }
    const tf = ctx.lib.tf;
    const t = tf.tensor2d(x, [ROWS, COLS]);
    return {
      run() { tf.mean(t, 0).dispose(); },
      check() { const m = tf.mean(t, 0); spotCheck(metric, m.dataSync(), want, 1e-4); m.dispose(); },
      dispose() { t.dispose(); },
    };
  },
};

const DENSE_OUT: Case = {
  metric: 'relu(x + bias) on [1024, 1024]',
  bytes: 8 * N,
  make(ctx, x, bias) {
    const want = (i: number) => Math.max(0, Math.fround(x[i] + bias[i % COLS]));
    const metric = this.metric;
    if (ctx.lib.kind === 'ferrite') {
      const fe = ctx.lib.fe;
      const t = fe.tensor(x, [ROWS, COLS]), b = fe.tensor(bias, [COLS]);
      return {
        run() { biasAddActivation(t, b, 'relu').dispose(); },
        check() { const y = biasAddActivation(t, b, 'relu'); spotCheck(metric, y.dataSync(), want); y.dispose(); },
        dispose() { t.dispose(); b.dispose(); },
      };
    }
    const tf = ctx.lib.tf;
    const t = tf.tensor2d(x, [ROWS, COLS]), b = tf.tensor1d(bias);
    const op = () => tf.tidy(() => tf.relu(tf.add(t, b)));
    return {
      run() { op().dispose(); },
      check() { const y = op(); spotCheck(metric, y.dataSync(), want); y.dispose(); },
      dispose() { t.dispose(); b.dispose(); },
    };
  },
};

const CASES: Case[] = [unaryCase('exp'), unaryCase('tanh'), unaryCase('sigmoid'), SUM, MEAN0, DENSE_OUT];

export async function run(ctx: Ctx): Promise<void> {
  const rx = mulberry32(11);
  const x = Float32Array.from({ length: N }, () => 16 * rx() - 8);
  const rb = mulberry32(12);
  const bias = Float32Array.from({ length: COLS }, () => 2 * rb() - 1);
  for (const c of CASES) {
    let runner: ReturnType<Case['make']> | null = null;
    try {
      runner = c.make(ctx, x, bias);
      const r = runner;
      r.check();
      r.run();
      const summary = await suite(
        `EW ${c.metric}`,
        add(c.metric, () => () => r.run()),
        configure({ cases: { minSamples: 5, maxTime: ctx.quick ? 0.3 : 1 } }),
      );
      r.check();
      const res = summary.results[0];
      const seconds = res.details.median;
      ctx.emit({
        metric: c.metric, value: c.bytes / seconds / 1e9, unit: 'GB/s', better: 'higher', samples: res.samples,
        detail: `median ${(seconds * 1e3).toFixed(3)} ms of ${res.samples} samples, ±${res.margin.toFixed(1)}%`,
      });
    } catch (e) {
      ctx.emit({ metric: c.metric, value: null, unit: 'GB/s', better: 'higher', error: e instanceof Error ? e.message : String(e) });
    } finally {
      runner?.dispose();
    }
  }
}
