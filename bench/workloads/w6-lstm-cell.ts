/**
 * W6 op level, LSTM cell (workloads.md): one step forward, batch 32, input 16, hidden 32, Keras
 * gates i, f, c, o (sigmoid / tanh). Values U[-0.5, 0.5) from mulberry32 (seed 66: x, h, c,
 * kernel [16, 128], recurrent kernel [32, 128], bias [128]). ms per call, each call reading the
 * new h back (dataSync):
 * - one step: ferrite: an LSTM layer's applyWithState on [32, 1, 16] with initial [h, c] (one
 *   fused kernel call); TF.js: the step as ops (two matMuls, add, split, sigmoid, tanh, …),
 *   which is what its LSTM layer runs per time step.
 * - a layer over 100 steps ([32, 100, 16], inference), reported per step: ferrite runs the
 *   sequence in one call, TF.js loops over the steps.
 * Median of the timed calls: 5 warm-ups, then calls until ≥ 20 and ≥ 1 s.
 */
import { median, mulberry32 } from '../lib/common';
import type { Ctx } from './index';

const B = 32, IN = 16, H = 32, G = 4 * H, T = 100;
const STEP = 'LSTM cell, one step forward (batch 32, input 16, hidden 32)';
const LAYER = 'LSTM layer forward, 100 steps, per step';

interface Op {
  metric: string;
  /** Per-step ms of one call = call time / steps. */
  steps: number;
  call(): void;
}

function uniform(r: () => number, n: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = r() - 0.5;
  return v;
}

export async function run(ctx: Ctx): Promise<void> {
  const r = mulberry32(66);
  const v = {
    x: uniform(r, B * IN), h: uniform(r, B * H), c: uniform(r, B * H),
    k: uniform(r, IN * G), u: uniform(r, H * G), b: uniform(r, G), seq: uniform(r, B * T * IN),
  };
  const ops = ctx.lib.kind === 'ferrite' ? ferriteOps(ctx, v) : tfjsOps(ctx, v);
  for (const op of ops) {
    try {
      const time = () => {
        const t0 = performance.now();
        op.call();
        return (performance.now() - t0) / op.steps;
      };
      for (let i = 0; i < 5; i++) time();
      const times: number[] = [];
      const start = performance.now();
      while (times.length < 20 || performance.now() - start < 1000) times.push(time());
      ctx.emit({
        metric: op.metric, value: median(times), unit: 'ms', better: 'lower', samples: times.length,
        detail: `median of ${times.length} calls, ${op.steps} step${op.steps > 1 ? 's' : ''} each`,
      });
    } catch (e) {
      ctx.emit({ metric: op.metric, value: null, unit: 'ms', better: 'lower', error: (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 300) });
    }
  }
}

type Values = Record<'x' | 'h' | 'c' | 'k' | 'u' | 'b' | 'seq', Float32Array>;

function ferriteOps(ctx: Ctx, v: Values): Op[] {
  if (ctx.lib.kind !== 'ferrite') throw new Error('unreachable');
  const fe = ctx.lib.fe;
  const weights = [fe.tensor(v.k, [IN, G]), fe.tensor(v.u, [H, G]), fe.tensor(v.b, [G])];
  const cell = fe.layers.lstm({ units: H, returnState: true });
  cell.build([B, 1, IN]);
  cell.setWeights(weights);
  const layer = fe.layers.lstm({ units: H, returnSequences: true });
  layer.build([B, T, IN]);
  layer.setWeights(weights);
  const x = fe.tensor(v.x, [B, 1, IN]), h = fe.tensor(v.h, [B, H]), c = fe.tensor(v.c, [B, H]);
  const seq = fe.tensor(v.seq, [B, T, IN]);
  return [
    {
      metric: STEP, steps: 1,
      call: () => fe.noGrad(() => {
        const [y, hN, cN] = cell.applyWithState(x, { initialState: [h, c] });
        hN.dataSync();
        fe.dispose([y, hN, cN]);
      }),
    },
    {
      metric: LAYER, steps: T,
      call: () => fe.noGrad(() => {
        const y = layer.apply(seq);
        y.dataSync();
        y.dispose();
      }),
    },
  ];
}

function tfjsOps(ctx: Ctx, v: Values): Op[] {
  if (ctx.lib.kind !== 'tfjs') throw new Error('unreachable');
  const tf = ctx.lib.tf;
  const K = tf.tensor2d(v.k, [IN, G]), U = tf.tensor2d(v.u, [H, G]), bias = tf.tensor1d(v.b);
  const x = tf.tensor2d(v.x, [B, IN]), h = tf.tensor2d(v.h, [B, H]), c = tf.tensor2d(v.c, [B, H]);
  const layer = tf.layers.lstm({ units: H, returnSequences: true, recurrentActivation: 'sigmoid' });
  const seq = tf.tensor3d(v.seq, [B, T, IN]);
  layer.apply(seq); // builds
  layer.setWeights([K, U, bias]);
  return [
    {
      metric: STEP, steps: 1,
      call: () => {
        const hNew = tf.tidy(() => {
          const z = tf.add(tf.add(tf.matMul(x, K), tf.matMul(h, U)), bias);
          const [i, f, g, o] = tf.split(z, 4, 1);
          const c2 = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
          return tf.mul(tf.sigmoid(o), tf.tanh(c2));
        });
        hNew.dataSync();
        hNew.dispose();
      },
    },
    {
      metric: LAYER, steps: T,
      call: () => {
        const y = tf.tidy(() => layer.apply(seq) as import('@tensorflow/tfjs').Tensor);
        y.dataSync();
        y.dispose();
      },
    },
  ];
}
