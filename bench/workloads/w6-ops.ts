/**
 * W6 op level. conv2d: input [32, 28, 28, 16], filter [3, 3, 16, 32], stride 1, 'same',
 * NHWC, values U[-1, 1) from mulberry32 (seed 6: x, then the filter, then dy [32, 28, 28, 32]).
 * ms per call, each call reading its result back (dataSync):
 * - forward: conv2d(x, filter);
 * - input gradient: the Conv2DBackpropInput kernel for dy (ferrite: fe.conv2dBackpropInput);
 * - filter gradient: the Conv2DBackpropFilter kernel (ferrite: fe.conv2dBackpropFilter);
 * - all three through autodiff: the forward pass and both gradients for the output gradient
 *   dy (ferrite: y.backward(dy); TF.js: tf.grads), reading back dx and d filter.
 * Median of the timed calls: 2 warm-ups, then calls until ≥ 5 and ≥ 1 s (plain JS: 1 warm-up
 * and 1–3 timed calls, fewer when a call takes seconds).
 */
import { mulberry32 } from '../lib/common';
import { timeOps, type Op } from '../lib/op-timing';
import type { Ctx } from './index';

const XS = [32, 28, 28, 16] as const, FS = [3, 3, 16, 32] as const, YS = [32, 28, 28, 32] as const;

function uniform(r: () => number, shape: readonly number[]): Float32Array {
  const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < v.length; i++) v[i] = 2 * r() - 1;
  return v;
}

export async function run(ctx: Ctx): Promise<void> {
  const r = mulberry32(6);
  const xv = uniform(r, XS), fv = uniform(r, FS), dyv = uniform(r, YS);
  await timeOps(ctx, ctx.lib.kind === 'ferrite' ? ferriteOps(ctx, xv, fv, dyv) : tfjsOps(ctx, xv, fv, dyv));
}

const FWD = 'conv2d forward', DX = 'conv2d input gradient', DW = 'conv2d filter gradient', ALL = 'conv2d forward + both gradients (autodiff)';

function ferriteOps(ctx: Ctx, xv: Float32Array, fv: Float32Array, dyv: Float32Array): Op[] {
  if (ctx.lib.kind !== 'ferrite') throw new Error('unreachable');
  const fe = ctx.lib.fe;
  const x = fe.tensor(xv, [...XS]), f = fe.tensor(fv, [...FS]), dy = fe.tensor(dyv, [...YS]);
  const read = (t: InstanceType<typeof fe.Tensor>) => {
    t.dataSync();
    t.dispose();
  };
  const xVar = fe.variable(x), fVar = fe.variable(f);
  return [
    { metric: FWD, call: () => read(fe.conv2d(x, f, 1, 'same')) },
    { metric: DX, call: () => read(fe.conv2dBackpropInput([...XS], dy, f, 1, 'same')) },
    { metric: DW, call: () => read(fe.conv2dBackpropFilter(x, dy, [...FS], 1, 'same')) },
    {
      metric: ALL,
      call: () => {
        const y = fe.conv2d(xVar, fVar, 1, 'same');
        y.backward(dy);
        y.dispose();
        read(xVar.grad!);
        read(fVar.grad!);
        xVar.grad = null;
        fVar.grad = null;
      },
    },
  ];
}

function tfjsOps(ctx: Ctx, xv: Float32Array, fv: Float32Array, dyv: Float32Array): Op[] {
  if (ctx.lib.kind !== 'tfjs') throw new Error('unreachable');
  const tf = ctx.lib.tf;
  type T = import('@tensorflow/tfjs').Tensor;
  const x = tf.tensor4d(xv, [...XS]), f = tf.tensor4d(fv, [...FS]), dy = tf.tensor4d(dyv, [...YS]);
  const read = async (t: T) => {
    await t.data();
    t.dispose();
  };
  const attrs = { strides: [1, 1] as [number, number], pad: 'same' as const, dataFormat: 'NHWC' as const };
  const grads = tf.grads((a: T, b: T) => tf.conv2d(a as import('@tensorflow/tfjs').Tensor4D, b as import('@tensorflow/tfjs').Tensor4D, 1, 'same'));
  return [
    { metric: FWD, call: () => read(tf.conv2d(x, f, 1, 'same')) },
    {
      metric: DX,
      call: () => read(tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, { ...attrs, inputShape: [...XS] }) as T),
    },
    {
      metric: DW,
      call: () => read(tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: [...FS] }) as T),
    },
    {
      metric: ALL,
      call: async () => {
        const [dx, df] = grads([x, f], dy);
        await read(dx);
        await read(df);
      },
    },
  ];
}
