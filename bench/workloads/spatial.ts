/**
 * SP op level: the convolution, pooling and resampling ops beyond conv2d, on shapes of a small
 * image or video network. Values U[-1, 1) from mulberry32 (seed 8), drawn in the order listed.
 * ms per call (each reading its result back), forward and forward + gradients w.r.t. every
 * input through autodiff (ferrite: y.backward(dy) with dy of ones; TF.js: tf.grads):
 * - conv2dTranspose: x [16, 14, 14, 32], filter [3, 3, 16, 32], stride 2, 'same' → [16, 28, 28, 16];
 * - depthwiseConv2d: x [16, 28, 28, 32], filter [3, 3, 32, 1], 'same';
 * - separableConv2d: x [16, 28, 28, 32], depthwise [3, 3, 32, 1], pointwise [1, 1, 32, 64], 'same';
 * - conv3d: x [4, 8, 16, 16, 8], filter [3, 3, 3, 8, 16], 'same';
 * - maxPool3d: x [4, 16, 16, 16, 16], window 2, stride 2;
 * - resizeBilinear and resizeNearestNeighbor: x [16, 28, 28, 16] → [56, 56].
 * Timing as W6 (lib/op-timing.ts). An op a backend lacks reports its error.
 */
import { mulberry32 } from '../lib/common';
import { timeOps, type Op } from '../lib/op-timing';
import type { Ctx } from './index';

interface Spec {
  name: string;
  shapes: number[][];
}

const SPECS: Spec[] = [
  { name: 'conv2dTranspose', shapes: [[16, 14, 14, 32], [3, 3, 16, 32]] },
  { name: 'depthwiseConv2d', shapes: [[16, 28, 28, 32], [3, 3, 32, 1]] },
  { name: 'separableConv2d', shapes: [[16, 28, 28, 32], [3, 3, 32, 1], [1, 1, 32, 64]] },
  { name: 'conv3d', shapes: [[4, 8, 16, 16, 8], [3, 3, 3, 8, 16]] },
  { name: 'maxPool3d', shapes: [[4, 16, 16, 16, 16]] },
  { name: 'resizeBilinear', shapes: [[16, 28, 28, 16]] },
  { name: 'resizeNearestNeighbor', shapes: [[16, 28, 28, 16]] },
];

function uniform(r: () => number, shape: readonly number[]): Float32Array {
  const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < v.length; i++) v[i] = 2 * r() - 1;
  return v;
}

export async function run(ctx: Ctx): Promise<void> {
  const r = mulberry32(8);
  const values = SPECS.map((s) => s.shapes.map((shape) => uniform(r, shape)));
  await timeOps(ctx, ctx.lib.kind === 'ferrite' ? ferriteOps(ctx, values) : tfjsOps(ctx, values));
}

function ferriteOps(ctx: Ctx, values: Float32Array[][]): Op[] {
  if (ctx.lib.kind !== 'ferrite') throw new Error('unreachable');
  const fe = ctx.lib.fe;
  type T = InstanceType<typeof fe.Tensor>;
  const fns: ((a: T[]) => T)[] = [
    ([x, w]) => fe.conv2dTranspose(x, w, [16, 28, 28, 16], 2, 'same'),
    ([x, w]) => fe.depthwiseConv2d(x, w, 1, 'same'),
    ([x, d, p]) => fe.separableConv2d(x, d, p, 1, 'same'),
    ([x, w]) => fe.conv3d(x, w, 1, 'same'),
    ([x]) => fe.maxPool3d(x, 2, 2, 'valid'),
    ([x]) => fe.image.resizeBilinear(x, [56, 56]),
    ([x]) => fe.image.resizeNearestNeighbor(x, [56, 56]),
  ];
  return SPECS.flatMap((s, i) => {
    const consts = s.shapes.map((shape, j) => fe.tensor(values[i][j], shape));
    const vars = consts.map((t) => fe.variable(t));
    return [
      { metric: `${s.name} forward`, call: () => fe.tidy(() => void fns[i](consts).dataSync()) },
      {
        metric: `${s.name} forward + gradients (autodiff)`,
        call: () => {
          fe.tidy(() => {
            const y = fns[i](vars);
            y.backward(fe.onesLike(y));
          });
          for (const v of vars) {
            v.grad!.dataSync();
            v.grad!.dispose();
            v.grad = null;
          }
        },
      },
    ];
  });
}

function tfjsOps(ctx: Ctx, values: Float32Array[][]): Op[] {
  if (ctx.lib.kind !== 'tfjs') throw new Error('unreachable');
  const tf = ctx.lib.tf;
  type T = import('@tensorflow/tfjs').Tensor;
  type T4 = import('@tensorflow/tfjs').Tensor4D;
  type T5 = import('@tensorflow/tfjs').Tensor5D;
  const fns: ((...a: T[]) => T)[] = [
    (x, w) => tf.conv2dTranspose(x as T4, w as T4, [16, 28, 28, 16], 2, 'same'),
    (x, w) => tf.depthwiseConv2d(x as T4, w as T4, 1, 'same'),
    (x, d, p) => tf.separableConv2d(x as T4, d as T4, p as T4, 1, 'same'),
    (x, w) => tf.conv3d(x as T5, w as T5, 1, 'same'),
    (x) => tf.maxPool3d(x as T5, 2, 2, 'valid'),
    (x) => tf.image.resizeBilinear(x as T4, [56, 56]),
    (x) => tf.image.resizeNearestNeighbor(x as T4, [56, 56]),
  ];
  return SPECS.flatMap((s, i) => {
    const xs = s.shapes.map((shape, j) => tf.tensor(values[i][j], shape));
    const grads = tf.grads((...a: T[]) => tf.sum(fns[i](...a)));
    return [
      {
        metric: `${s.name} forward`,
        call: async () => {
          const y = fns[i](...xs);
          await y.data();
          y.dispose();
        },
      },
      {
        metric: `${s.name} forward + gradients (autodiff)`,
        call: async () => {
          const gs = grads(xs);
          for (const g of gs) {
            await g.data();
            g.dispose();
          }
        },
      },
    ];
  });
}
