// Every parallel kernel of the threaded wasm builds gives the same bits on 1, 2 and 3 threads,
// at sizes that cut unevenly (and where the work is worth splitting: the real thresholds
// apply here, unlike the host unit tests). The pool's job counter shows the work was split.
import * as v8 from 'node:v8';
import { afterAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { ENGINE } from '../ts/engine';
import { WasmBackend } from '../ts/backend/wasm/wasm-backend';
import { rnn } from '../ts/ops/rnn';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

afterAll(() => fe.dispose());

function jobs(): number {
  return (ENGINE.backend as WasmBackend).exports.ferrite_threads_jobs();
}

/** A case: computes outputs from fixed inputs (made once, on any backend). */
type Case = [name: string, run: () => fe.Tensor[]];

function cases(): Case[] {
  fe.setRandomSeed(7);
  const u = (shape: number[], lo = -1, hi = 1) => fe.keep(fe.randomUniform(shape, lo, hi));
  const a = u([97, 301]), b = u([301, 259]);
  const v = u([1, 600]), w = u([600, 2100]);
  const bt = u([40, 513]), bb = u([40, 513, 37]);
  const x = u([5, 27, 29, 16]), filt = u([3, 3, 16, 24]);
  const dy = u([5, 27, 29, 24]);
  const xs = u([3, 33, 31, 8]), fs = u([3, 3, 8, 12]);
  const tall = u([6001, 16]);
  const big = u([600, 700], -6, 6), big2 = u([600, 700], 0.1, 2), row = u([700]);
  const logits = u([1000, 103], -4, 4);
  const labels = fe.keep(fe.oneHot(fe.cast(fe.floor(fe.mul(fe.randomUniform([1000], 0, 1), 103)), 'int32'), 103));
  const idx = fe.keep(fe.cast(fe.floor(fe.mul(fe.randomUniform([3000], 0, 1), 1000)), 'int32'));
  const table = u([1000, 64]);
  const aq = u([4, 70, 3, 16]), ak = u([4, 90, 3, 16]), av = u([4, 90, 3, 8]), ady = u([4, 70, 3, 8]);
  const lx = u([300, 67]), lg = u([67]), lb = u([67]), ldy = u([300, 67]);
  // Recurrent: batch 37 splits into bands of the batch (each runs the whole sequence).
  const rx = u([37, 9, 11]), rdy = u([37, 9, 13]);
  const rmask = fe.keep(fe.cast(fe.greater(fe.randomUniform([37, 9], 0, 1), fe.scalar(0.2)), 'float32'));
  const recurrent = (cell: 'lstm' | 'gru', resetAfter: boolean) => {
    const g = cell === 'lstm' ? 4 : 3;
    const kernel = u([11, g * 13], -0.5, 0.5), rec = u([13, g * 13], -0.5, 0.5);
    const bias = u(cell === 'gru' && resetAfter ? [2, g * 13] : [g * 13]);
    return () => fe.grads((x: fe.Tensor, k: fe.Tensor, r: fe.Tensor, b: fe.Tensor) =>
      rnn(x, { cell, units: 13, resetAfter, returnSequences: true }, { kernel: k, recurrentKernel: r, bias: b }, { mask: rmask }).output,
    )([rx, kernel, rec, bias], rdy);
  };
  const lstmCase = recurrent('lstm', false), gruAfter = recurrent('gru', true), gruBefore = recurrent('gru', false);
  // 3-D pooling and resizing: whole images (volumes) per task, gradients included.
  const p3 = u([6, 8, 10, 12, 8]), im = u([7, 33, 29, 8]);
  // PyTorch-style optimizers: 3 steps on a parameter of 30,001 values.
  const op0 = u([30001]), ograds = [u([30001]), u([30001]), u([30001])];
  const torchSteps = (make: (ps: fe.Variable[]) => fe.Optimizer) => () => {
    const p = fe.variable(fe.clone(op0));
    const opt = make([p]);
    for (const g of ograds) {
      p.grad = fe.clone(g);
      opt.step();
      opt.zeroGrad();
    }
    opt.dispose();
    return [p];
  };
  // Depthwise and 3-D convolutions split by images; their filter gradients sum groups of
  // images (4 groups here, 3 for the volumes).
  const dwx = u([9, 27, 25, 6]), dwf = u([3, 3, 6, 2]), dwdy = u([9, 27, 25, 12]);
  const c3x = u([6, 7, 9, 8, 3]), c3f = u([3, 3, 3, 3, 5]), c3dy = u([6, 7, 9, 8, 5]);
  return [
    ['matMul (row bands, shared packed B)', () => [fe.matMul(a, b)]],
    ['matMul 1×600×2100 (columns of at least 1024)', () => [fe.matMul(v, w)]],
    ['matMul transposed, batched', () => [fe.matMul(bt, bt, false, true), fe.matMul(bb, bb, true, false)]],
    ['conv2d with its gradients', () => [
      fe.conv2d(x, filt, 1, 'same'),
      fe.conv2dBackpropInput([5, 27, 29, 16], dy, filt, 1, 'same'),
      fe.conv2dBackpropFilter(x, dy, [3, 3, 16, 24], 1, 'same'),
      fe.conv2d(xs, fs, 2, 'valid'),
      fe.conv2dBackpropInput([3, 33, 31, 8], fe.ones([3, 16, 15, 12]), fs, 2, 'valid'),
    ]],
    ['depthwise convolution filter gradient', () => [fe.grad((f: fe.Tensor) => fe.depthwiseConv2d(dwx, f, 1, 'same'))(dwf, dwdy)]],
    ['3-D convolution filter gradient', () => [fe.grad((f: fe.Tensor) => fe.conv3d(c3x, f, 1, 'same'))(c3f, c3dy)]],
    ['depthwise and 3-D convolutions with both gradients (strided)', () => [
      fe.depthwiseConv2d(dwx, dwf, 2, 'same'), fe.conv3d(c3x, c3f, 2, 'same'),
      ...fe.grads((x: fe.Tensor, f: fe.Tensor) => fe.depthwiseConv2d(x, f, 1, 'same'))([dwx, dwf], dwdy),
      ...fe.grads((x: fe.Tensor, f: fe.Tensor) => fe.conv3d(x, f, 1, 'same'))([c3x, c3f], c3dy),
    ]],
    ['pooling', () => [fe.maxPool(x, 2, 2, 'valid'), fe.avgPool(x, 3, 1, 'same')]],
    ['3-D pooling with its gradients', () => [
      fe.grad((v: fe.Tensor) => fe.sum(fe.square(fe.maxPool3d(v, 3, 2, 'same'))))(p3),
      fe.grad((v: fe.Tensor) => fe.sum(fe.square(fe.avgPool3d(v, 3, 1, 'same'))))(p3),
    ]],
    ['resizing with its gradients', () => [
      fe.grad((v: fe.Tensor) => fe.sum(fe.square(fe.image.resizeBilinear(v, [61, 45], false, true))))(im),
      fe.grad((v: fe.Tensor) => fe.sum(fe.square(fe.image.resizeNearestNeighbor(v, [61, 45]))))(im),
    ]],
    ['PyTorch-style optimizer updates', () => [
      ...torchSteps((ps) => fe.optim.adamW(ps, { lr: 0.01, amsgrad: true }))(),
      ...torchSteps((ps) => fe.optim.sgd(ps, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }))(),
      ...torchSteps((ps) => fe.optim.adagrad(ps, { lr: 0.1 }))(),
      ...torchSteps((ps) => fe.optim.rmsprop(ps, { lr: 0.01, centered: true, momentum: 0.5 }))(),
    ]],
    ['element-wise and broadcasting', () => [fe.exp(big), fe.tanh(big), fe.sigmoid(big), fe.add(big, row), fe.div(big, big2), fe.pow(big2, fe.scalar(1.7))]],
    ['strided copies (transpose, reversed slice)', () => [fe.transpose(big), fe.reverse(fe.slice(big, [3, 5], [590, 640]), 0)]],
    ['column sums of a tall, narrow matrix (groups of rows)', () => [fe.sum(tall, 0), fe.max(tall, 0)]],
    ['reductions', () => [fe.sum(big, 0), fe.max(big, 1), fe.mean(big, 0), fe.argMax(big, 1)]],
    ['softmax and losses', () => [fe.softmax(logits), fe.logSoftmax(logits), fe.softmaxCrossEntropyWithLogits(labels, logits)]],
    ['gather (an embedding lookup)', () => [fe.gather(table, idx)]],
    ['LSTM and GRU (reset after and before) through time, with their gradients', () => [...lstmCase(), ...gruAfter(), ...gruBefore()]],
    ['fused attention (stored and tiled) and layer normalization, with their gradients', () => [
      ...fe.grads((q: fe.Tensor, k: fe.Tensor, v: fe.Tensor) => fe.dotProductAttention(q, k, v, { isCausal: true }))([aq, ak, av], ady),
      ...fe.grads((q: fe.Tensor, k: fe.Tensor, v: fe.Tensor) => fe.dotProductAttention(q, k, v, { algorithm: 'tiled' }))([aq, ak, av], ady),
      ...fe.grads((x: fe.Tensor, g: fe.Tensor, b: fe.Tensor) => fe.layerNorm(x, g, b))([lx, lg, lb], ldy),
    ]],
  ];
}

function bitsOf(ts: fe.Tensor[]): Uint32Array[] {
  return ts.map((t) => new Uint32Array(new Float32Array(t.dataSync()).buffer));
}

describe.each(['simd', 'relaxed'] as const)('the %s-threads build', (simd) => {
  it('computes every kernel bit for bit alike on 1, 2 and 3 threads', async () => {
    await fe.ready({ backend: 'wasm', build: `${simd}-threads`, relaxedSimd: true, threads: 1 });
    expect(fe.getBuild()).toBe(`${simd}-threads`);
    const all = cases();
    const one = all.map(([, run]) => bitsOf(run()));
    for (const threads of [2, 3]) {
      await fe.ready({ threads });
      expect(fe.getThreads()).toBe(threads);
      all.forEach(([name, run], i) => {
        const before = jobs();
        const got = bitsOf(run());
        expect(jobs() - before, `${name}: nothing was handed to helpers on ${threads} threads`).toBeGreaterThan(0);
        got.forEach((g, j) => {
          expect(g.length).toBe(one[i][j].length);
          const at = g.findIndex((bit, k) => bit !== one[i][j][k]);
          expect(at, `${name}, output ${j}, ${threads} threads: first difference at ${at}`).toBe(-1);
        });
      });
    }
    fe.dispose();
  });
});
