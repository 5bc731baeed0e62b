/**
 * Convolutions, pooling and batch normalization: kernels (wasm against the js reference),
 * gradients by finite differences, layers against hand-computed values, Keras semantics
 * (config keys, weight order, moving statistics), clear errors, and a small CNN that learns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import type { Tensor } from 'ferrite-ml';
import { conv2dFused } from '../ts/ops/conv';
import type { Padding } from '../ts/ops/conv-util';
import { backends, expectGradcheck, Gen, mulberry32, useBackend } from './helpers/gradcheck';

function close(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5, what = ''): void {
  expect(got.length, `${what} length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i])))) {
      throw new Error(`${what} element ${i}: got ${got[i]}, want ${want[i]}`);
    }
  }
}

// ---- geometries exercised on both backends -------------------------------------------------

interface ConvCase {
  name: string;
  x: number[];
  filter: number[];
  strides: [number, number];
  pad: Padding;
  dilations: [number, number];
}

const CONV_CASES: ConvCase[] = [
  { name: 'same 3×3, odd sizes, 3 channels', x: [2, 7, 5, 3], filter: [3, 3, 3, 5], strides: [1, 1], pad: 'same', dilations: [1, 1] },
  { name: 'stride 2, same, 5 channels, batch 1', x: [1, 9, 8, 5], filter: [3, 3, 5, 7], strides: [2, 2], pad: 'same', dilations: [1, 1] },
  { name: 'valid, stride (2, 1), 2×3 kernel', x: [2, 8, 9, 2], filter: [2, 3, 2, 9], strides: [2, 1], pad: 'valid', dilations: [1, 1] },
  { name: 'dilation 2, same', x: [1, 9, 10, 3], filter: [3, 3, 3, 4], strides: [1, 1], pad: 'same', dilations: [2, 2] },
  { name: 'dilation (2, 3), valid', x: [2, 8, 9, 1], filter: [2, 2, 1, 3], strides: [1, 1], pad: 'valid', dilations: [2, 3] },
  { name: 'explicit padding, asymmetric', x: [1, 5, 6, 3], filter: [3, 3, 3, 2], strides: [1, 1], pad: [[0, 0], [2, 0], [0, 1], [0, 0]], dilations: [1, 1] },
  { name: 'numeric padding 1, stride 2', x: [2, 6, 7, 4], filter: [3, 3, 4, 8], strides: [2, 2], pad: 1, dilations: [1, 1] },
  { name: '1×1 (pointwise)', x: [2, 4, 5, 6], filter: [1, 1, 6, 3], strides: [1, 1], pad: 'valid', dilations: [1, 1] },
  { name: 'kernel larger than the input, same', x: [1, 3, 2, 2], filter: [5, 5, 2, 3], strides: [1, 1], pad: 'same', dilations: [1, 1] },
  { name: 'W4 layer shape, batch 1', x: [1, 28, 28, 16], filter: [3, 3, 16, 32], strides: [1, 1], pad: 'same', dilations: [1, 1] },
];

/** y = conv2d(x, filter) (+ bias, relu) and its gradients for a fixed output weighting. */
function convAndGrads(c: ConvCase, seed: number, fused: boolean): Record<string, Float32Array> {
  const g = new Gen(seed);
  const xv = g.uniform(c.x).values, fv = g.uniform(c.filter).values;
  const bv = g.uniform([c.filter[3]]).values;
  const x = fe.variable(fe.tensor(xv, c.x)), f = fe.variable(fe.tensor(fv, c.filter));
  const b = fe.variable(fe.tensor(bv, [c.filter[3]]));
  const out: Record<string, Float32Array> = {};
  try {
    fe.tidy(() => {
      const y = fused
        ? conv2dFused(x, f, { strides: c.strides, pad: c.pad, dilations: c.dilations, bias: b, activation: 'relu' })
        : fe.conv2d(x, f, c.strides, c.pad, 'NHWC', c.dilations);
      const w = new Gen(seed + 1).uniform(y.shape).values;
      fe.sum(fe.mul(y, fe.tensor(w, y.shape))).backward();
      out.y = y.dataSync() as Float32Array;
      out.dx = x.grad!.dataSync() as Float32Array;
      out.df = f.grad!.dataSync() as Float32Array;
      if (fused) out.db = b.grad!.dataSync() as Float32Array;
    });
    return out;
  } finally {
    [x, f, b].forEach((t) => t.dispose());
  }
}

describe('conv2d and pooling kernels: wasm against the js reference', () => {
  it.skipIf(!backends.includes('wasm'))('conv2d forward, input and filter gradients, fused bias + relu', async () => {
    for (const [i, c] of CONV_CASES.entries()) {
      for (const fused of [false, true]) {
        await useBackend('js');
        const want = convAndGrads(c, 10 + i, fused);
        await useBackend('wasm');
        const got = convAndGrads(c, 10 + i, fused);
        for (const k of Object.keys(want)) close(got[k], want[k], 2e-5 * Math.sqrt(c.filter[0] * c.filter[1] * c.filter[2] * 8), `${c.name} ${fused ? 'fused ' : ''}${k}`);
      }
    }
  });

  it.skipIf(!backends.includes('wasm'))('max and average pooling, forward and backward', async () => {
    const cases: [number[], [number, number], [number, number], 'valid' | 'same'][] = [
      [[2, 7, 5, 3], [2, 2], [2, 2], 'same'],
      [[1, 9, 8, 5], [3, 3], [2, 2], 'valid'],
      [[2, 6, 7, 8], [3, 2], [1, 2], 'same'],
      [[1, 28, 28, 32], [2, 2], [2, 2], 'valid'],
    ];
    for (const [i, [shape, size, strides, pad]] of cases.entries()) {
      const run = () => {
        // Integers: ties in the max, the first maximum must win on both backends.
        const v = new Gen(40 + i).ints(shape, -3, 3).values;
        const x = fe.variable(fe.tensor(v, shape));
        const out: ArrayLike<number>[] = [];
        try {
          fe.tidy(() => {
            const mx = fe.maxPool(x, size, strides, pad), av = fe.avgPool(x, size, strides, pad);
            const w = new Gen(50 + i).uniform(mx.shape).values;
            fe.sum(fe.add(fe.mul(mx, fe.tensor(w, mx.shape)), fe.mul(av, fe.tensor(w, av.shape)))).backward();
            out.push(mx.dataSync(), av.dataSync(), x.grad!.dataSync());
          });
          return out;
        } finally {
          x.dispose();
        }
      };
      await useBackend('js');
      const want = run();
      await useBackend('wasm');
      const got = run();
      want.forEach((w, j) => close(got[j], w, 1e-6, `pool case ${i} output ${j}`));
    }
  });
});

// ---- gradients by finite differences ------------------------------------------------------

describe.each(backends)('conv and pooling gradients by finite differences (%s)', (name) => {
  beforeAll(async () => useBackend(name));

  const small: ConvCase[] = [
    { name: 'same, stride 1', x: [2, 5, 4, 3], filter: [3, 3, 3, 2], strides: [1, 1], pad: 'same', dilations: [1, 1] },
    { name: 'same, stride 2', x: [1, 6, 5, 2], filter: [3, 2, 2, 3], strides: [2, 2], pad: 'same', dilations: [1, 1] },
    { name: 'valid, dilation 2', x: [1, 6, 6, 2], filter: [2, 3, 2, 2], strides: [1, 1], pad: 'valid', dilations: [2, 2] },
    { name: 'numeric padding 1, stride (1, 2)', x: [2, 4, 5, 1], filter: [2, 2, 1, 3], strides: [1, 2], pad: 1, dilations: [1, 1] },
  ];
  for (const c of small) {
    it(`conv2d w.r.t. input and filter: ${c.name}`, () => {
      const g = new Gen(7);
      expectGradcheck(([x, f]) => fe.conv2d(x, f, c.strides, c.pad, 'NHWC', c.dilations), [g.uniform(c.x), g.uniform(c.filter)]);
    });
  }

  it('conv2d with fused bias (linear): input, filter and bias', () => {
    const g = new Gen(8);
    expectGradcheck(
      ([x, f, b]) => conv2dFused(x, f, { pad: 'same', bias: b }),
      [g.uniform([2, 4, 3, 2]), g.uniform([3, 3, 2, 3]), g.uniform([3])],
    );
  });

  it('fused relu gives the gradient of conv → add bias → relu', () => {
    const g = new Gen(9);
    const xs = [g.uniform([2, 5, 5, 3]), g.uniform([3, 3, 3, 4]), g.uniform([4])];
    const grads = (fused: boolean) => {
      const vars = xs.map((i) => fe.variable(fe.tensor(i.values, i.shape)));
      try {
        fe.tidy(() => {
          const [x, f, b] = vars;
          const y = fused
            ? conv2dFused(x, f, { pad: 'same', bias: b, activation: 'relu' })
            : fe.relu(fe.add(fe.conv2d(x, f, 1, 'same'), b));
          fe.sum(fe.mul(y, fe.tensor(new Gen(3).uniform(y.shape).values, y.shape))).backward();
        });
        return vars.map((v) => v.grad!.dataSync());
      } finally {
        vars.forEach((v) => v.dispose());
      }
    };
    const want = grads(false), got = grads(true);
    want.forEach((w, i) => close(got[i], w, 1e-5, `input ${i}`));
  });

  it('conv2dBackpropInput and conv2dBackpropFilter are differentiable in both arguments', () => {
    const g = new Gen(10);
    // conv2d [2, 5, 4, 2] ⊛ [3, 2, 2, 3], stride 2, same → [2, 3, 2, 3]
    expectGradcheck(([dy, f]) => fe.conv2dBackpropInput([2, 5, 4, 2], dy, f, 2, 'same'), [g.uniform([2, 3, 2, 3]), g.uniform([3, 2, 2, 3])]);
    expectGradcheck(([x, dy]) => fe.conv2dBackpropFilter(x, dy, [3, 2, 2, 3], 2, 'same'), [g.uniform([2, 5, 4, 2]), g.uniform([2, 3, 2, 3])]);
    // Stride 1 with dilation: the input gradient takes the flipped-filter path.
    expectGradcheck(([dy, f]) => fe.conv2dBackpropInput([1, 6, 5, 2], dy, f, 1, 'same', 2), [g.uniform([1, 6, 5, 3]), g.uniform([2, 3, 2, 3])]);
    // conv2dTranspose is the input gradient with the filter's depths named the other way round.
    const x = fe.tensor(g.uniform([1, 3, 2, 3]).values, [1, 3, 2, 3]), f = fe.tensor(g.uniform([3, 2, 2, 3]).values, [3, 2, 2, 3]);
    close(fe.conv2dTranspose(x, f, [1, 5, 4, 2], 2, 'same').dataSync(), fe.conv2dBackpropInput([1, 5, 4, 2], x, f, 2, 'same').dataSync());
    expect(() => fe.conv2dBackpropInput([1, 5, 4, 2], fe.zeros([1, 3, 3, 3]), f, 2, 'same')).toThrow(/conv2dBackpropInput: expected dy of shape \[1, 3, 2, 3\], got \[1, 3, 3, 3\]/);
  });

  it('conv1d: same, valid with stride 2, causal with dilation 2', () => {
    const g = new Gen(11);
    for (const [pad, stride, dilation] of [['same', 1, 1], ['valid', 2, 1], ['causal', 1, 2]] as const) {
      expectGradcheck(([x, f]) => fe.conv1d(x, f, stride, pad, 'NWC', dilation), [g.uniform([2, 9, 3]), g.uniform([3, 3, 2])]);
    }
  });

  it('maxPool and avgPool (same and valid)', () => {
    const g = new Gen(12);
    const step = () => 0.01; // the values are 0.15 apart: no window changes its maximum
    for (const pad of ['same', 'valid'] as const) {
      expectGradcheck(([x]) => fe.maxPool(x, 2, 2, pad), [g.distinct([2, 5, 5, 2])], { step });
      expectGradcheck(([x]) => fe.maxPool(x, [3, 2], [1, 2], pad), [g.distinct([1, 5, 4, 3])], { step });
      expectGradcheck(([x]) => fe.avgPool(x, [3, 3], [2, 1], pad), [g.uniform([2, 5, 4, 2])]);
    }
  });

  it('global pooling layers', () => {
    const g = new Gen(13);
    const gmp = fe.layers.globalMaxPooling2d(), gap = fe.layers.globalAveragePooling2d();
    expectGradcheck(([x]) => gmp.apply(x), [g.distinct([2, 3, 3, 2])], { step: () => 0.01 });
    expectGradcheck(([x]) => gap.apply(x), [g.uniform([2, 3, 4, 2])]);
  });

  it('batch normalization in training mode, w.r.t. the input', () => {
    const g = new Gen(14);
    const bn = fe.layers.batchNormalization({ gammaInitializer: fe.initializers.constant({ value: 1.5 }) });
    // Inputs scaled up so the batch variance stays well above epsilon.
    expectGradcheck(([x]) => fe.mul(bn.apply(x, { training: true }), 1), [g.uniform([4, 2, 2, 3], -2, 2)], { atol: 5e-3 });
    bn.dispose();
  });
});

// ---- layers ---------------------------------------------------------------------------------

describe.each(backends)('convolution layers (%s)', (name) => {
  beforeAll(async () => useBackend(name));

  it('Conv2D output equals a hand-computed case (valid, bias)', () => {
    const layer = fe.layers.conv2d({ filters: 1, kernelSize: 2, kernelInitializer: 'ones', biasInitializer: fe.initializers.constant({ value: 0.5 }) });
    const x = fe.tensor(Array.from({ length: 9 }, (_, i) => i + 1), [1, 3, 3, 1]);
    const y = layer.apply(x);
    expect(y.shape).toEqual([1, 2, 2, 1]);
    // 1+2+4+5, 2+3+5+6, 4+5+7+8, 5+6+8+9, plus 0.5
    close(y.dataSync(), [12.5, 16.5, 24.5, 28.5]);
    expect(layer.kernel!.shape).toEqual([2, 2, 1, 1]);
    layer.dispose();
  });

  it('Conv2D with same padding, stride 2, two filters and relu (hand-computed)', () => {
    const layer = fe.layers.conv2d({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', useBias: false });
    layer.apply(fe.zeros([1, 4, 4, 1]));
    // Filter 0 sums the 3×3 window; filter 1 is its negative (relu clips it to 0).
    const k = new Float32Array(18);
    for (let t = 0; t < 9; t++) {
      k[t * 2] = 1;
      k[t * 2 + 1] = -1;
    }
    layer.setWeights([fe.tensor(k, [3, 3, 1, 2])]);
    const x = fe.tensor(Array.from({ length: 16 }, (_, i) => i), [1, 4, 4, 1]);
    const y = layer.apply(x);
    // 'same' for 4 with stride 2 and kernel 3: pad total 1, top/left 0. Windows start at 0 and 2;
    // the one at 2 covers rows/columns 2, 3 and the padding.
    expect(y.shape).toEqual([1, 2, 2, 2]);
    const win = (r: number, c: number) => {
      let s = 0;
      for (let i = r; i < Math.min(r + 3, 4); i++) for (let j = c; j < Math.min(c + 3, 4); j++) s += i * 4 + j;
      return s;
    };
    close(y.dataSync(), [win(0, 0), 0, win(0, 2), 0, win(2, 0), 0, win(2, 2), 0]);
    layer.dispose();
  });

  it('Conv1D causal: each output sees only the present and the past', () => {
    const layer = fe.layers.conv1d({ filters: 1, kernelSize: 2, padding: 'causal', dilationRate: 2, kernelInitializer: 'ones', useBias: false });
    const y = layer.apply(fe.tensor([1, 2, 3, 4, 5], [1, 5, 1]));
    expect(y.shape).toEqual([1, 5, 1]);
    // y[t] = x[t] + x[t − 2]
    close(y.dataSync(), [1, 2, 4, 6, 8]);
    expect(layer.computeOutputShape([null, 5, 1])).toEqual([null, 5, 1]);
    layer.dispose();
  });

  it('pooling layers: hand-computed values and shapes', () => {
    const x = fe.tensor([1, 5, 2, 0, 3, 4, 8, 6, 7, 9, 1, 2, 0, 3, 4, 5], [1, 4, 4, 1]);
    const mp = fe.layers.maxPooling2d({ poolSize: 2 });
    close(mp.apply(x).dataSync(), [5, 8, 9, 5]);
    const ap = fe.layers.averagePooling2d({ poolSize: 2, strides: 2 });
    close(ap.apply(x).dataSync(), [13 / 4, 16 / 4, 19 / 4, 12 / 4]);
    // 'same' with a 3×3 pool, stride 1: corners average over their 4 real elements.
    const aps = fe.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' });
    const y = aps.apply(x);
    expect(y.shape).toEqual([1, 4, 4, 1]);
    expect(y.dataSync()[0]).toBeCloseTo((1 + 5 + 3 + 4) / 4, 6);
    close(fe.layers.globalMaxPooling2d().apply(x).dataSync(), [9]);
    close(fe.layers.globalAveragePooling2d().apply(x).dataSync(), [60 / 16]);
    expect(mp.computeOutputShape([null, 7, 5, 3])).toEqual([null, 3, 2, 3]);
    expect(fe.layers.maxPooling2d({ poolSize: 2, padding: 'same' }).computeOutputShape([null, 7, 5, 3])).toEqual([null, 4, 3, 3]);
  });

  it('config keys and weight layouts follow TensorFlow.js / Keras', () => {
    const conv = fe.layers.conv2d({ filters: 8, kernelSize: [3, 5], strides: [1, 2], padding: 'same', dilationRate: 1, activation: 'relu' });
    conv.apply(fe.zeros([1, 6, 6, 3]));
    expect(conv.weights.map((w) => w.shape)).toEqual([[3, 5, 3, 8], [8]]);
    expect(conv.getConfig()).toMatchObject({
      filters: 8, kernelSize: [3, 5], strides: [1, 2], padding: 'same', dataFormat: 'channelsLast', dilationRate: [1, 1],
      activation: 'relu', useBias: true, kernelInitializer: 'glorotUniform', biasInitializer: 'zeros',
    });
    expect(conv.className).toBe('Conv2D');
    expect(fe.layers.maxPooling2d().getConfig()).toMatchObject({ poolSize: [2, 2], strides: [2, 2], padding: 'valid' });
    const bn = fe.layers.batchNormalization();
    expect(bn.getConfig()).toMatchObject({
      axis: -1, momentum: 0.99, epsilon: 1e-3, center: true, scale: true,
      betaInitializer: 'zeros', gammaInitializer: 'ones', movingMeanInitializer: 'zeros', movingVarianceInitializer: 'ones',
    });
    conv.dispose();
  });

  it('bad input gives clear errors naming the layer, and the model stays usable', () => {
    const conv = fe.layers.conv2d({ name: 'my_conv', filters: 2, kernelSize: 3 });
    conv.apply(fe.zeros([1, 5, 5, 3]));
    expect(() => conv.apply(fe.zeros([5, 5, 3]))).toThrow(/my_conv \(Conv2D\): expected input of rank 4/);
    expect(() => conv.apply(fe.zeros([1, 5, 5, 4]))).toThrow(/my_conv \(Conv2D\): expected 3 input channels, got input of shape \[1, 5, 5, 4\]/);
    expect(() => conv.apply(fe.zeros([1, 2, 5, 3]))).toThrow(/my_conv \(Conv2D\): the height of the kernel, 3, is larger than the input's 2/);
    expect(conv.apply(fe.zeros([2, 5, 5, 3])).shape).toEqual([2, 3, 3, 2]);
    conv.dispose();

    expect(() => fe.conv2d(fe.zeros([1, 4, 4, 2]), fe.zeros([3, 3, 3, 1]), 1, 'same')).toThrow(/conv2d: the input has 2 channels but the filter \[3, 3, 3, 1\] expects 3/);
    expect(() => fe.maxPool(fe.zeros([4, 4, 2, 1, 1]), 2)).toThrow(/maxPool: expected input of rank 4/);
    expect(() => fe.layers.maxPooling2d({ name: 'pool' }).apply(fe.zeros([2, 4, 4]))).toThrow(/pool \(MaxPooling2D\): expected input of rank 4/);

    // In a model: the first layer's kernel does not fit the declared input.
    // The model is built when made (its input shape is declared), so that is where it fails.
    expect(() => fe.sequential({ layers: [fe.layers.conv2d({ name: 'too_big', inputShape: [2, 2, 1], filters: 1, kernelSize: 3 })] }))
      .toThrow(/too_big \(Conv2D\): the height of the kernel, 3, is larger than the input's 2/);

    const model = fe.sequential({
      layers: [fe.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3 }), fe.layers.flatten(), fe.layers.dense({ units: 2 })],
    });
    model.build();
    expect(() => model.predict(fe.zeros([2, 6, 6, 3]))).toThrow(/expected input of shape \[null, 6, 6, 1\], got \[2, 6, 6, 3\]/);
    expect(model.predict(fe.zeros([3, 6, 6, 1])).shape).toEqual([3, 2]);
    model.dispose();
  });
});

// ---- batch normalization ------------------------------------------------------------------

describe.each(backends)('batchNormalization (%s)', (name) => {
  beforeAll(async () => useBackend(name));

  it('normalises with batch statistics while training, moves the statistics as Keras', () => {
    const bn = fe.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3 });
    const rng = mulberry32(5);
    const v = Float32Array.from({ length: 4 * 3 * 2 }, () => rng() * 4 - 1);
    const x = fe.tensor(v, [4, 3, 2]);
    const y = bn.apply(x, { training: true });
    // Per feature (last axis): mean and biased variance over the other 12 values.
    const mean = [0, 1].map((c) => v.filter((_, i) => i % 2 === c).reduce((a, b) => a + b, 0) / 12);
    const vari = [0, 1].map((c) => v.filter((_, i) => i % 2 === c).reduce((a, b) => a + (b - mean[c]) ** 2, 0) / 12);
    close(y.dataSync(), Array.from(v, (t, i) => (t - mean[i % 2]) / Math.sqrt(vari[i % 2] + 1e-3)), 1e-4, 'training output');
    // moving = moving·0.9 + batch·0.1, from 0 and 1.
    close(bn.movingMean!.dataSync(), mean.map((m) => 0.1 * m), 1e-5, 'moving mean');
    close(bn.movingVariance!.dataSync(), vari.map((s) => 0.9 + 0.1 * s), 1e-5, 'moving variance');
    // Inference uses the moving statistics.
    const yi = bn.apply(x, { training: false });
    const mm = bn.movingMean!.dataSync(), mv = bn.movingVariance!.dataSync();
    close(yi.dataSync(), Array.from(v, (t, i) => (t - mm[i % 2]) / Math.sqrt(mv[i % 2] + 1e-3)), 1e-4, 'inference output');
    expect(bn.weights.map((w) => w.name)).toEqual([
      `${bn.name}/gamma`, `${bn.name}/beta`, `${bn.name}/moving_mean`, `${bn.name}/moving_variance`,
    ]);
    expect(bn.trainableWeights.length).toBe(2);
    expect(bn.nonTrainableWeights.length).toBe(2);
    bn.dispose();
  });

  it('gamma and beta gradients: Σ dy·x̂ and Σ dy', () => {
    const bn = fe.layers.batchNormalization({ axis: 1 });
    const g = new Gen(21);
    const v = g.uniform([3, 2, 4], -2, 2).values;
    const x = fe.tensor(v, [3, 2, 4]);
    const dy = g.uniform([3, 2, 4]).values;
    const y = bn.apply(x, { training: true });
    fe.sum(fe.mul(y, fe.tensor(dy, [3, 2, 4]))).backward();
    const yv = y.dataSync();
    // gamma = 1, beta = 0: y is x̂. Features on axis 1 (index (i / 4) % 2).
    const wantGamma = [0, 1].map((c) => dy.reduce((a, d, i) => a + (Math.floor(i / 4) % 2 === c ? d * yv[i] : 0), 0));
    const wantBeta = [0, 1].map((c) => dy.reduce((a, d, i) => a + (Math.floor(i / 4) % 2 === c ? d : 0), 0));
    close(bn.gamma!.grad!.dataSync(), wantGamma, 1e-4, 'dgamma');
    close(bn.beta!.grad!.dataSync(), wantBeta, 1e-4, 'dbeta');
    bn.dispose();
  });

  it('moving statistics are updated by fit, not by evaluate or predict; trainable = false freezes them', async () => {
    fe.setRandomSeed(3);
    const model = fe.sequential({
      layers: [
        fe.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, padding: 'same' }),
        fe.layers.batchNormalization(),
        fe.layers.flatten(),
        fe.layers.dense({ units: 1 }),
      ],
    });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = fe.randomNormal([8, 4, 4, 1], 2, 1, 'float32', 4), y = fe.randomNormal([8, 1], 0, 1, 'float32', 5);
    const bn = model.layers[1] as InstanceType<typeof fe.layers.BatchNormalization>;
    model.build();
    expect(model.trainableWeights.length).toBe(6);
    expect(model.weights.length).toBe(8);
    await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    const after = Array.from(bn.movingMean!.dataSync());
    expect(after.some((m) => Math.abs(m) > 1e-4)).toBe(true);
    model.evaluate(x, y);
    model.predict(x);
    close(bn.movingMean!.dataSync(), after, 0, 'unchanged by evaluate/predict');
    bn.trainable = false;
    await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    close(bn.movingMean!.dataSync(), after, 0, 'frozen');
    model.dispose();
  });

  it('errors name the layer', () => {
    const bn = fe.layers.batchNormalization({ name: 'bn' });
    bn.apply(fe.zeros([2, 3]));
    expect(() => bn.apply(fe.zeros([2, 4]))).toThrow(/bn \(BatchNormalization\): expected 3 features on axis -1, got input of shape \[2, 4\]/);
    expect(() => fe.layers.batchNormalization({ name: 'bn2', axis: 3 }).apply(fe.zeros([2, 3]))).toThrow(/bn2 \(BatchNormalization\): axis 3 is out of range/);
    bn.dispose();
  });
});

// ---- a small CNN learns ---------------------------------------------------------------------

describe.each(backends)('a small CNN learns (%s)', (name) => {
  beforeAll(async () => useBackend(name));
  afterAll(() => fe.setRandomSeed(1));

  it('tells a vertical bar from a horizontal one, Keras-style and PyTorch-style', async () => {
    // 8×8 images with one bar of length 4 at a random place, plus noise.
    const make = (n: number, seed: number) => {
      const r = mulberry32(seed);
      const x = new Float32Array(n * 64), y = new Int32Array(n);
      for (let s = 0; s < n; s++) {
        const vertical = r() < 0.5 ? 1 : 0;
        const a = Math.floor(r() * 8), b = Math.floor(r() * 5);
        for (let t = 0; t < 64; t++) x[s * 64 + t] = 0.2 * r();
        for (let t = 0; t < 4; t++) x[s * 64 + (vertical ? (b + t) * 8 + a : a * 8 + b + t)] = 1;
        y[s] = vertical;
      }
      return { x: fe.tensor(x, [n, 8, 8, 1]), y: fe.tensor(y, [n], 'int32') };
    };
    const train = make(160, 1), test = make(64, 2);
    fe.setRandomSeed(7);
    const model = fe.sequential({
      layers: [
        fe.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
        fe.layers.maxPooling2d(),
        fe.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu' }),
        fe.layers.globalMaxPooling2d(),
        fe.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    model.compile({ optimizer: fe.train.adam(0.01), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    await model.fit(train.x, train.y, { epochs: 12, batchSize: 16, verbose: 0 });
    const [, acc] = model.evaluate(test.x, test.y) as Tensor[];
    expect(acc.dataSync()[0]).toBeGreaterThan(0.9);
    model.dispose();

    // The same network by hand: layers as modules, ops in forward, zeroGrad / backward / step.
    fe.setRandomSeed(7);
    const conv1 = fe.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' });
    const conv2 = fe.layers.conv2d({ filters: 8, kernelSize: 3 });
    const fc = fe.layers.dense({ units: 2 });
    const forward = (x: Tensor) => fc.apply(fe.max(fe.relu(conv2.apply(fe.maxPool(fe.relu(conv1.apply(x)), 2, 2))), [1, 2]));
    fe.tidy(() => { forward(fe.zeros([1, 8, 8, 1])); });
    const opt = fe.optim.adam([conv1, conv2, fc].flatMap((l) => l.trainableWeights), { lr: 0.01 });
    for (let epoch = 0; epoch < 12; epoch++) {
      for (let b = 0; b < 160; b += 16) {
        fe.tidy(() => {
          opt.zeroGrad();
          const idx = fe.range(b, b + 16, 1, 'int32');
          const loss = fe.mean(fe.softmaxCrossEntropyWithLogits(fe.oneHot(fe.gather(train.y, idx), 2), forward(fe.gather(train.x, idx))));
          loss.backward();
          opt.step();
        });
      }
    }
    opt.zeroGrad();
    const pred = fe.tidy(() => fe.noGrad(() => fe.argMax(forward(test.x), 1)));
    const p = pred.dataSync(), t = test.y.dataSync();
    let right = 0;
    for (let i = 0; i < 64; i++) if (p[i] === t[i]) right++;
    expect(right / 64).toBeGreaterThan(0.9);
    [conv1, conv2, fc].forEach((l) => l.dispose());
  });
});
