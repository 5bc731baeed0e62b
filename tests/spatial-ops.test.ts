/**
 * 3-D, transposed, depthwise and separable convolutions, 3-D and 1-D pooling and fe.image:
 * values and gradients against TensorFlow.js' cpu backend (on both ferrite backends), the wasm
 * kernels against the js ones on awkward shapes, gradients by finite differences, errors,
 * and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import type { Tensor } from 'ferrite-ml';
import { backends, expectGradcheck, Gen, useBackend } from './helpers/gradcheck';

function close(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  let worst = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  if (!(worst <= tol)) throw new Error(`${what}: element ${at}: got ${got[at]}, want ${want[at]} (relative error ${worst} > ${tol})`);
}

const uniform = (seed: number, shape: number[], lo = -1, hi = 1) => new Gen(seed).uniform(shape, lo, hi);

/**
 * f on ferrite and g on TensorFlow.js over the same inputs: the outputs, and the gradients of
 * Σ out·w w.r.t. every input (w a fixed weighting), must agree.
 */
function againstTfjs(
  what: string, shapes: number[][], seed: number,
  f: (xs: Tensor[]) => Tensor, g: (xs: tf.Tensor[]) => tf.Tensor,
  opts: { grads?: boolean; tol?: number; values?: (i: number, shape: number[]) => Float32Array } = {},
): void {
  const values = shapes.map((s, i) => opts.values?.(i, s) ?? uniform(seed + i, s).values);
  const tol = opts.tol ?? 1e-5;
  const want = tf.tidy(() => {
    const xs = values.map((v, i) => tf.tensor(v, shapes[i]));
    const y = g(xs);
    const w = tf.tensor(uniform(seed + 99, y.shape as number[]).values, y.shape);
    const grads = opts.grads === false ? [] : tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(g(a), w)))(xs);
    return { y: y.dataSync() as Float32Array, shape: y.shape as number[], grads: grads.map((d) => d.dataSync() as Float32Array) };
  });
  const vars = values.map((v, i) => fe.variable(fe.tensor(v, shapes[i])));
  try {
    fe.tidy(() => {
      const y = f(vars);
      expect(y.shape, `${what}: output shape`).toEqual(want.shape);
      close(y.dataSync(), want.y, tol, `${what}: output`);
      if (opts.grads === false) return;
      fe.sum(fe.mul(y, fe.tensor(uniform(seed + 99, y.shape).values, y.shape))).backward();
      vars.forEach((v, i) => close(v.grad!.dataSync(), want.grads[i], tol * 4, `${what}: gradient of input ${i}`));
    });
  } finally {
    vars.forEach((v) => v.dispose());
  }
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(backends)('against TensorFlow.js (%s backend)', (name) => {
  beforeAll(async () => useBackend(name));

  it('conv3d: strides, padding, dilations, odd channels; values and gradients', () => {
    const cases: [number[], number[], number | [number, number, number], 'valid' | 'same', number | [number, number, number]][] = [
      [[2, 4, 5, 6, 3], [2, 3, 2, 3, 5], 1, 'valid', 1],
      [[1, 5, 6, 7, 2], [3, 3, 3, 2, 4], [2, 1, 2], 'same', 1],
      [[1, 6, 5, 7, 3], [2, 2, 3, 3, 9], 1, 'same', [2, 1, 2]],
      [[2, 3, 4, 4, 1], [1, 1, 1, 1, 3], 2, 'valid', 1],
      [[1, 2, 3, 3, 2], [3, 4, 4, 2, 2], 1, 'same', 1],
      // A batch whose filter gradient goes in groups of volumes (crate::fixed_groups).
      [[6, 5, 6, 7, 3], [3, 3, 3, 3, 5], 1, 'same', 1],
    ];
    // TensorFlow.js has no gradient for dilated conv3d: those are checked by finite differences below.
    cases.forEach(([x, w, s, p, d], i) =>
      againstTfjs(`conv3d case ${i}`, [x, w], 10 * i, ([a, b]) => fe.conv3d(a, b, s, p, 'NDHWC', d),
        ([a, b]) => tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, s, p, 'NDHWC', d), { grads: d === 1 }));
  });

  it('conv3dTranspose and conv2dTranspose: values (conv3dTranspose has no gradient in TensorFlow.js) and gradients', () => {
    const c3: [number[], number[], [number, number, number, number, number], number | [number, number, number], 'valid' | 'same'][] = [
      [[1, 3, 4, 3, 4], [2, 2, 2, 3, 4], [1, 6, 8, 6, 3], 2, 'same'],
      [[2, 2, 3, 2, 2], [3, 3, 2, 5, 2], [2, 5, 7, 5, 5], 2, 'valid'],
      [[1, 4, 3, 5, 3], [3, 3, 3, 2, 3], [1, 4, 3, 5, 2], 1, 'same'],
      [[1, 2, 2, 2, 2], [2, 3, 2, 3, 2], [1, 6, 7, 6, 3], [3, 3, 3], 'valid'],
    ];
    c3.forEach(([x, w, out, s, p], i) =>
      againstTfjs(`conv3dTranspose case ${i}`, [x, w], 100 + 10 * i, ([a, b]) => fe.conv3dTranspose(a, b, out, s, p),
        ([a, b]) => tf.conv3dTranspose(a as tf.Tensor5D, b as tf.Tensor5D, out, s, p), { grads: false }));
    const c2: [number[], number[], [number, number, number, number], number | [number, number], 'valid' | 'same'][] = [
      [[2, 4, 5, 3], [3, 3, 7, 3], [2, 8, 10, 7], 2, 'same'],
      [[1, 3, 3, 5], [4, 4, 2, 5], [1, 8, 8, 2], 2, 'valid'],
      [[1, 3, 4, 2], [3, 2, 9, 2], [1, 9, 8, 9], [3, 2], 'same'],
      [[1, 5, 5, 4], [3, 3, 3, 4], [1, 5, 5, 3], 1, 'same'],
    ];
    c2.forEach(([x, w, out, s, p], i) =>
      againstTfjs(`conv2dTranspose case ${i}`, [x, w], 200 + 10 * i, ([a, b]) => fe.conv2dTranspose(a, b, out, s, p),
        ([a, b]) => tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, out, s, p)));
  });

  it('depthwiseConv2d and separableConv2d: multipliers, strides, dilations, padding', () => {
    const cases: [number[], number[], number | [number, number], 'valid' | 'same' | number, number | [number, number]][] = [
      [[2, 5, 6, 3], [3, 3, 3, 1], 1, 'same', 1],
      [[1, 7, 6, 5], [3, 2, 5, 2], 2, 'same', 1],
      [[1, 9, 8, 4], [3, 3, 4, 3], 1, 'valid', 2],
      [[2, 6, 7, 9], [2, 3, 9, 1], [2, 3], 'valid', 1],
      [[1, 5, 5, 2], [3, 3, 2, 4], 1, 1, 1],
      [[1, 6, 6, 17], [3, 3, 17, 1], 2, 'same', 1],
      // A batch whose filter gradient goes in groups of images (crate::fixed_groups).
      [[9, 24, 22, 6], [3, 3, 6, 2], 1, 'same', 1],
    ];
    cases.forEach(([x, w, s, p, d], i) =>
      againstTfjs(`depthwiseConv2d case ${i}`, [x, w], 300 + 10 * i, ([a, b]) => fe.depthwiseConv2d(a, b, s, p, 'NHWC', d),
        ([a, b]) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, p, 'NHWC', d), { grads: d === 1 }));
    const sep: [number[], number[], number[], number | [number, number], 'valid' | 'same', number | [number, number]][] = [
      [[2, 6, 5, 3], [3, 3, 3, 2], [1, 1, 6, 4], 1, 'same', 1],
      [[1, 7, 7, 4], [3, 3, 4, 1], [1, 1, 4, 5], 2, 'valid', 1],
      [[1, 8, 8, 2], [3, 2, 2, 3], [1, 1, 6, 3], 1, 'same', 2],
    ];
    sep.forEach(([x, dw, pw, s, p, d], i) =>
      againstTfjs(`separableConv2d case ${i}`, [x, dw, pw], 400 + 10 * i, ([a, b, c]) => fe.separableConv2d(a, b, c, s, p, d),
        ([a, b, c]) => tf.separableConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, s, p, d), { grads: d === 1 }));
  });

  it('maxPool3d and avgPool3d: windows, strides, same and valid, no batch', () => {
    const cases: [number[], number | [number, number, number], number | [number, number, number], 'valid' | 'same'][] = [
      [[2, 4, 5, 6, 3], 2, 2, 'valid'],
      [[1, 5, 7, 6, 5], [3, 2, 3], [2, 1, 2], 'same'],
      [[1, 3, 3, 3, 8], 3, 1, 'same'],
      [[5, 6, 4, 2], [2, 3, 2], [1, 2, 2], 'valid'],
    ];
    cases.forEach(([x, k, s, p], i) => {
      // Distinct values: the maximum of each window is unique, so TensorFlow.js' tie rule does not matter.
      const values = (j: number, shape: number[]) => new Gen(500 + i).distinct(shape, 0.01);
      // TensorFlow.js' maxPool3d gradient mixes up window height and width (its maxPool3dPositions
      // strides rows by the filter height): compare it only where they are equal.
      const square = typeof k === 'number' || k[1] === k[2];
      againstTfjs(`maxPool3d case ${i}`, [x], 500 + 10 * i, ([a]) => fe.maxPool3d(a, k, s, p),
        ([a]) => tf.maxPool3d(a as tf.Tensor5D, k, s, p), { values: (j, s) => values(j, s).values, grads: square });
      // TensorFlow.js' average-pooling gradients divide by the whole window, padding included,
      // while its forward pass divides by the real elements: compare gradients without padding.
      againstTfjs(`avgPool3d case ${i}`, [x], 510 + 10 * i, ([a]) => fe.avgPool3d(a, k, s, p),
        ([a]) => tf.avgPool3d(a as tf.Tensor5D, k, s, p), { grads: p === 'valid' });
    });
  });

  it('maxPool1d and avgPool1d equal TensorFlow.js\' 1-D pooling layers', () => {
    for (const [steps, size, stride, pad] of [[9, 2, 2, 'valid'], [10, 3, 2, 'same'], [7, 3, 1, 'same'], [5, 5, 5, 'valid']] as const) {
      const shape = [3, steps, 5];
      const v = new Gen(steps).distinct(shape, 0.01).values;
      const x = fe.tensor(v, shape);
      const tx = tf.tensor(v, shape);
      const mx = tf.layers.maxPooling1d({ poolSize: size, strides: stride, padding: pad }).apply(tx) as tf.Tensor;
      const av = tf.layers.averagePooling1d({ poolSize: size, strides: stride, padding: pad }).apply(tx) as tf.Tensor;
      close(fe.maxPool1d(x, size, stride, pad).dataSync(), mx.dataSync(), 1e-6, `maxPool1d ${steps}/${size}/${stride}/${pad}`);
      close(fe.avgPool1d(x, size, stride, pad).dataSync(), av.dataSync(), 1e-6, `avgPool1d ${steps}/${size}/${stride}/${pad}`);
      expect(fe.maxPool1d(x, size, stride, pad).shape).toEqual(mx.shape);
      tf.dispose([tx, mx, av]);
    }
  });

  it('fe.image.resizeBilinear and resizeNearestNeighbor: every flag, up and down', () => {
    const sizes: [number[], [number, number]][] = [
      [[2, 3, 4, 3], [7, 9]],
      [[1, 8, 6, 2], [3, 4]],
      [[1, 5, 5, 5], [5, 5]],
      [[2, 4, 4, 3], [7, 3]],
      [[1, 6, 6, 2], [4, 9]],
      [[4, 1, 3], [2, 6]],
      [[1, 2, 2, 1], [1, 1]],
    ];
    const flags: [boolean, boolean][] = [[false, false], [true, false], [false, true]];
    sizes.forEach(([x, size], i) => {
      for (const [align, half] of flags) {
        // TensorFlow.js' cpu resize gradients ignore halfPixelCenters and give the transposed
        // shape for non-square images: compare gradients where neither matters (the
        // finite-difference checks below cover the rest).
        // Its nearest-neighbour gradient searches a window of dy that misses sources when
        // shrinking: compare it when enlarging.
        const inShape = x.length === 4 ? x.slice(1, 3) : x.slice(0, 2);
        const grads = !half && inShape[0] === inShape[1];
        const enlarging = size[0] >= inShape[0] && size[1] >= inShape[1];
        againstTfjs(`resizeBilinear ${i} ${align} ${half}`, [x], 600 + i, ([a]) => fe.image.resizeBilinear(a, size, align, half),
          ([a]) => tf.image.resizeBilinear(a as tf.Tensor4D, size, align, half), { grads });
        againstTfjs(`resizeNearestNeighbor ${i} ${align} ${half}`, [x], 650 + i, ([a]) => fe.image.resizeNearestNeighbor(a, size, align, half),
          ([a]) => tf.image.resizeNearestNeighbor(a as tf.Tensor4D, size, align, half), { grads: grads && enlarging });
      }
    });
  });

  it('fe.image.cropAndResize and flipLeftRight', () => {
    const boxes = [0, 0, 1, 1, 0.1, 0.2, 0.7, 0.9, 0.8, 0.6, 0.2, 0.1, -0.3, 0.5, 1.4, 0.6, 0.25, 0.25, 0.25, 0.25];
    const ind = [0, 1, 1, 0, 1];
    for (const method of ['bilinear', 'nearest'] as const) {
      for (const crop of [[3, 4], [1, 1], [5, 2]] as [number, number][]) {
        const img = uniform(700 + crop[0], [2, 5, 6, 3]).values;
        const want = tf.tidy(() => tf.image.cropAndResize(tf.tensor4d(img, [2, 5, 6, 3]), tf.tensor2d(boxes, [5, 4]), tf.tensor1d(ind, 'int32'), crop, method, -2.5).dataSync());
        const got = fe.tidy(() => fe.image.cropAndResize(fe.tensor(img, [2, 5, 6, 3]), fe.tensor(boxes, [5, 4]), fe.tensor(ind, [5], 'int32'), crop, method, -2.5).dataSync());
        close(got, want, 1e-5, `cropAndResize ${method} ${crop}`);
      }
    }
    const v = uniform(710, [2, 3, 5, 2]).values;
    const want = tf.tidy(() => tf.image.flipLeftRight(tf.tensor4d(v, [2, 3, 5, 2])).dataSync());
    close(fe.tidy(() => fe.image.flipLeftRight(fe.tensor(v, [2, 3, 5, 2])).dataSync()), want, 0, 'flipLeftRight');
    // Integer images keep their dtype and values (TensorFlow.js rounds them through float32, so
    // compare with it on small values).
    const small = Int32Array.from({ length: 2 * 3 * 4 * 1 }, (_, i) => 7 * i - 50);
    const wantNn = tf.tidy(() => tf.image.resizeNearestNeighbor(tf.tensor4d(small, [2, 3, 4, 1], 'int32'), [5, 7], true).dataSync());
    const gotNn = fe.tidy(() => {
      const y = fe.image.resizeNearestNeighbor(fe.tensor(small, [2, 3, 4, 1], 'int32'), [5, 7], true);
      expect(y.dtype).toBe('int32');
      return y.dataSync();
    });
    expect(Array.from(gotNn)).toEqual(Array.from(wantNn));
    // Exact for large values: 3 → 5 rows and 4 → 7 columns with alignCorners pick rows 0, 1, 1, 2, 2
    // and columns 0, 1, 1, 2, 2, 3, 3 (round(0.5·o), halves up).
    const ints = Int32Array.from({ length: 2 * 3 * 4 * 1 }, (_, i) => 1000000007 * (i + 1));
    const rows = [0, 1, 1, 2, 2], cols = [0, 1, 1, 2, 2, 3, 3];
    const exact = [0, 1].flatMap((n) => rows.flatMap((r) => cols.map((c) => ints[(n * 3 + r) * 4 + c])));
    expect(Array.from(fe.tidy(() => fe.image.resizeNearestNeighbor(fe.tensor(ints, [2, 3, 4, 1], 'int32'), [5, 7], true).dataSync()))).toEqual(exact);
    // (TensorFlow.js flips only float32 images.)
    const flipped = fe.tidy(() => fe.image.flipLeftRight(fe.tensor(ints, [2, 3, 4, 1], 'int32')).dataSync());
    expect(Array.from(flipped)).toEqual([0, 1, 2, 3, 4, 5].flatMap((r) => [3, 2, 1, 0].map((c) => ints[r * 4 + c])));
  });
});

// ---- the wasm kernels against the js ones, on shapes that exercise every SIMD path ----------

describe.skipIf(!backends.includes('wasm'))('wasm against js on awkward shapes', () => {
  /** Output and input gradients of f on the given inputs. */
  function run(f: (xs: Tensor[]) => Tensor, shapes: number[][], seed: number, values?: (s: number[], i: number) => Float32Array): Float32Array[] {
    const vars = shapes.map((s, i) => fe.variable(fe.tensor(values?.(s, i) ?? uniform(seed + i, s).values, s)));
    try {
      return fe.tidy(() => {
        const y = f(vars);
        fe.sum(fe.mul(y, fe.tensor(uniform(seed + 50, y.shape).values, y.shape))).backward();
        return [y.dataSync() as Float32Array, ...vars.map((v) => v.grad!.dataSync() as Float32Array)];
      });
    } finally {
      vars.forEach((v) => v.dispose());
    }
  }

  async function compare(what: string, f: (xs: Tensor[]) => Tensor, shapes: number[][], seed: number, tol = 2e-5, values?: (s: number[], i: number) => Float32Array) {
    await useBackend('js');
    const want = run(f, shapes, seed, values);
    await useBackend('wasm');
    const got = run(f, shapes, seed, values);
    want.forEach((w, i) => close(got[i], w, tol, `${what} ${i === 0 ? 'output' : `gradient ${i - 1}`}`));
  }

  it('conv3d (bias and ReLU fused) and its transposes', async () => {
    await compare('conv3d 13→19 channels, stride 2, same', ([x, w, b]) => fe.relu(fe.add(fe.conv3d(x, w, 2, 'same'), b)), [[2, 5, 7, 9, 13], [3, 3, 3, 13, 19], [19]], 1);
    await compare('conv3d dilated, valid', ([x, w]) => fe.conv3d(x, w, 1, 'valid', 'NDHWC', [1, 2, 3]), [[1, 4, 8, 10, 5], [2, 3, 3, 5, 8]], 2);
    await compare('conv3dTranspose stride 3', ([x, w]) => fe.conv3dTranspose(x, w, [1, 7, 8, 9, 6], 3, 'same'), [[1, 3, 3, 3, 11], [3, 4, 5, 6, 11]], 3);
    await compare('conv2dTranspose stride 2, 33 channels', ([x, w]) => fe.conv2dTranspose(x, w, [2, 14, 13, 33], 2, 'same'), [[2, 7, 7, 17], [4, 4, 33, 17]], 4);
  });

  it('depthwise and separable convolutions', async () => {
    await compare('depthwise 37 channels, stride 2', ([x, w]) => fe.depthwiseConv2d(x, w, 2, 'same'), [[2, 13, 11, 37], [5, 5, 37, 1]], 5);
    await compare('depthwise multiplier 3, dilation 2', ([x, w]) => fe.depthwiseConv2d(x, w, 1, 'same', 'NHWC', 2), [[1, 12, 9, 7], [3, 3, 7, 3]], 6);
    await compare('depthwise stride 3 and dilation 2, kernel 6 wide', ([x, w]) => fe.depthwiseConv2d(x, w, 3, 'valid', 'NHWC', 2), [[1, 17, 19, 6], [2, 6, 6, 2]], 7);
    await compare('separable', ([x, d, p]) => fe.separableConv2d(x, d, p, 1, 'same'), [[2, 9, 9, 10], [3, 3, 10, 2], [1, 1, 20, 12]], 8);
  });

  it('3-D and 1-D pooling (ties: the first maximum wins on both backends)', async () => {
    const ints = (s: number[], i: number) => new Gen(90 + i).ints(s, -2, 2).values;
    await compare('maxPool3d', ([x]) => fe.maxPool3d(x, [2, 3, 3], [1, 2, 2], 'same'), [[2, 5, 9, 8, 13]], 9, 1e-6, ints);
    await compare('avgPool3d', ([x]) => fe.avgPool3d(x, 3, 2, 'same'), [[1, 7, 6, 9, 5]], 10, 1e-6);
    await compare('maxPool1d', ([x]) => fe.maxPool1d(x, 3, 2, 'same'), [[3, 17, 9]], 11, 1e-6, ints);
    await compare('avgPool1d', ([x]) => fe.avgPool1d(x, 4, 3, 'valid'), [[2, 23, 6]], 12, 1e-6);
  });

  it('resizing and crop-and-resize', async () => {
    for (const [align, half] of [[false, false], [true, false], [false, true]] as const) {
      await compare(`resizeBilinear ${align} ${half}`, ([x]) => fe.image.resizeBilinear(x, [17, 23], align, half), [[2, 9, 7, 5]], 13, 1e-5);
      await compare(`resizeNearestNeighbor ${align} ${half}`, ([x]) => fe.image.resizeNearestNeighbor(x, [5, 13], align, half), [[2, 9, 7, 6]], 14, 1e-6);
    }
    const boxes = fe.tensor([0.1, 0.1, 0.9, 0.8, -0.2, 0.3, 0.6, 1.2], [2, 4]);
    const ind = fe.tensor([1, 0], [2], 'int32');
    for (const method of ['bilinear', 'nearest'] as const) {
      await compare(`cropAndResize ${method}`, ([x]) => fe.image.cropAndResize(x, boxes, ind, [6, 7], method, 0.5), [[2, 8, 9, 5]], 15, 1e-5);
    }
  });
});

// ---- gradients by finite differences ----------------------------------------------------------

describe.each(backends)('gradients by finite differences (%s)', (name) => {
  beforeAll(async () => useBackend(name));

  it('conv3d and conv3dTranspose w.r.t. input and filter', () => {
    const g = new Gen(20);
    expectGradcheck(([x, w]) => fe.conv3d(x, w, [1, 2, 1], 'same', 'NDHWC', [2, 1, 1]), [g.uniform([2, 4, 4, 3, 2]), g.uniform([2, 3, 2, 2, 3])]);
    expectGradcheck(([x, w]) => fe.conv3dTranspose(x, w, [1, 5, 4, 5, 2], 2, 'valid'), [g.uniform([1, 2, 1, 2, 3]), g.uniform([3, 3, 3, 2, 3])]);
  });

  it('conv2dTranspose w.r.t. input and filter (strided, and dilated)', () => {
    const g = new Gen(21);
    expectGradcheck(([x, w]) => fe.conv2dTranspose(x, w, [2, 6, 5, 3], 2, 'same'), [g.uniform([2, 3, 3, 2]), g.uniform([3, 3, 3, 2])]);
    expectGradcheck(([x, w]) => fe.conv2dTranspose(x, w, [1, 7, 7, 2], 1, 'valid', 2), [g.uniform([1, 3, 3, 2]), g.uniform([3, 3, 2, 2])]);
  });

  it('depthwiseConv2d and separableConv2d w.r.t. every input', () => {
    const g = new Gen(22);
    expectGradcheck(([x, w]) => fe.depthwiseConv2d(x, w, 2, 'same', 'NHWC', 1), [g.uniform([2, 5, 4, 3]), g.uniform([3, 2, 3, 2])]);
    expectGradcheck(([x, w]) => fe.depthwiseConv2d(x, w, 1, 'valid', 'NHWC', 2), [g.uniform([1, 6, 5, 2]), g.uniform([2, 2, 2, 3])]);
    expectGradcheck(([x, d, p]) => fe.separableConv2d(x, d, p, 1, 'same'), [g.uniform([1, 4, 4, 2]), g.uniform([3, 3, 2, 2]), g.uniform([1, 1, 4, 3])]);
  });

  it('3-D and 1-D pooling', () => {
    const g = new Gen(23);
    const step = () => 0.01; // values 0.15 apart: no window changes its maximum
    expectGradcheck(([x]) => fe.maxPool3d(x, 2, [1, 2, 2], 'same'), [g.distinct([1, 3, 4, 5, 2])], { step });
    expectGradcheck(([x]) => fe.avgPool3d(x, [2, 3, 2], 1, 'same'), [g.uniform([2, 3, 4, 3, 2])]);
    expectGradcheck(([x]) => fe.maxPool1d(x, 3, 2, 'same'), [g.distinct([2, 7, 3])], { step });
    expectGradcheck(([x]) => fe.avgPool1d(x, 2, 1, 'valid'), [g.uniform([2, 6, 3])]);
  });

  it('resizes (every flag, half-pixel centres included) and cropAndResize w.r.t. the image', () => {
    const g = new Gen(24);
    for (const [align, half] of [[false, false], [true, false], [false, true]] as const) {
      expectGradcheck(([x]) => fe.image.resizeBilinear(x, [5, 7], align, half), [g.uniform([2, 3, 4, 2])]);
      expectGradcheck(([x]) => fe.image.resizeBilinear(x, [2, 3], align, half), [g.uniform([1, 5, 6, 2])]);
      expectGradcheck(([x]) => fe.image.resizeNearestNeighbor(x, [5, 7], align, half), [g.uniform([2, 3, 4, 2])]);
    }
    const boxes = fe.tensor([0.1, 0.1, 0.9, 0.8, -0.2, 0.3, 0.6, 1.2], [2, 4]);
    const ind = fe.tensor([1, 0], [2], 'int32');
    expectGradcheck(([x]) => fe.image.cropAndResize(x, boxes, ind, [3, 4]), [g.uniform([2, 4, 5, 2])]);
    expectGradcheck(([x]) => fe.image.flipLeftRight(x), [g.uniform([2, 3, 4, 2])]);
  });
});

// ---- chained tensor methods ----------------------------------------------------------------------

describe('tensor methods give the ops\' results', () => {
  beforeAll(async () => useBackend('js'));

  it('x.conv2dTranspose, x.conv3d, x.conv3dTranspose, x.depthwiseConv2d, x.separableConv2d, x.maxPool3d, x.avgPool3d, x.resizeBilinear, x.resizeNearestNeighbor', () => {
    const t = (seed: number, shape: number[]) => fe.tensor(uniform(seed, shape).values, shape);
    const same = (a: Tensor, b: Tensor, what: string) => {
      expect(a.shape, what).toEqual(b.shape);
      close(a.dataSync(), b.dataSync(), 0, what);
    };
    const x4 = t(1, [2, 5, 6, 3]), x5 = t(2, [1, 4, 5, 6, 2]);
    same(x4.conv2dTranspose(t(3, [3, 3, 4, 3]), [2, 10, 12, 4], 2, 'same'), fe.conv2dTranspose(x4, t(3, [3, 3, 4, 3]), [2, 10, 12, 4], 2, 'same'), 'conv2dTranspose');
    same(x5.conv3d(t(4, [2, 2, 2, 2, 3]), 1, 'same'), fe.conv3d(x5, t(4, [2, 2, 2, 2, 3]), 1, 'same'), 'conv3d');
    same(x5.conv3dTranspose(t(5, [2, 2, 2, 3, 2]), [1, 8, 10, 12, 3], 2, 'same'), fe.conv3dTranspose(x5, t(5, [2, 2, 2, 3, 2]), [1, 8, 10, 12, 3], 2, 'same'), 'conv3dTranspose');
    same(x4.depthwiseConv2d(t(6, [3, 3, 3, 2]), 2, 'same'), fe.depthwiseConv2d(x4, t(6, [3, 3, 3, 2]), 2, 'same'), 'depthwiseConv2d');
    same(x4.separableConv2d(t(7, [2, 2, 3, 1]), t(8, [1, 1, 3, 5])), fe.separableConv2d(x4, t(7, [2, 2, 3, 1]), t(8, [1, 1, 3, 5])), 'separableConv2d');
    same(x5.maxPool3d(2, 1, 'same'), fe.maxPool3d(x5, 2, 1, 'same'), 'maxPool3d');
    same(x5.avgPool3d([1, 2, 3], 2), fe.avgPool3d(x5, [1, 2, 3], 2), 'avgPool3d');
    same(x4.resizeBilinear([3, 9], true), fe.image.resizeBilinear(x4, [3, 9], true), 'resizeBilinear');
    same(x4.resizeNearestNeighbor([7, 2], false, true), fe.image.resizeNearestNeighbor(x4, [7, 2], false, true), 'resizeNearestNeighbor');
  });
});

// ---- errors and memory ------------------------------------------------------------------------

describe('errors name the op and the shapes', () => {
  beforeAll(async () => useBackend('js'));

  it('shape and argument errors', () => {
    const x5 = fe.zeros([1, 4, 4, 4, 3]);
    expect(() => fe.conv3d(x5, fe.zeros([2, 2, 2, 2, 4]))).toThrow(/conv3d: the input has 3 channels but the filter \[2, 2, 2, 2, 4\] expects 2/);
    expect(() => fe.conv3d(fe.zeros([4, 4, 3]), fe.zeros([2, 2, 2, 3, 4]))).toThrow(/conv3d: expected input of rank 5/);
    expect(() => fe.conv3d(x5, fe.zeros([5, 2, 2, 3, 4]))).toThrow(/conv3d: the depth of the kernel, 5, is larger than the input's 4/);
    expect(() => fe.conv3d(x5, fe.zeros([2, 2, 2, 3, 4]), 0)).toThrow(/conv3d: strides must be a positive integer or 3 of them, got 0/);
    expect(() => fe.conv3dTranspose(fe.zeros([1, 2, 2, 2, 4]), fe.zeros([2, 2, 2, 3, 4]), [1, 5, 4, 4, 3], 2, 'same'))
      .toThrow(/conv3dTranspose: an input of shape \[1, 2, 2, 2, 4\] cannot give outputShape \[1, 5, 4, 4, 3\]: expected \[1, 3, 2, 2, 4\]/);
    expect(() => fe.conv2dTranspose(fe.zeros([1, 2, 2, 4]), fe.zeros([2, 2, 3, 4]), [1, 5, 4, 3], 2, 'same'))
      .toThrow(/conv2dTranspose: an input of shape \[1, 2, 2, 4\] cannot give outputShape \[1, 5, 4, 3\]: expected an input of shape \[1, 3, 2, 4\]/);
    expect(() => fe.depthwiseConv2d(fe.zeros([1, 4, 4, 3]), fe.zeros([2, 2, 2, 1]))).toThrow(/depthwiseConv2d: the input has 3 channels but the filter \[2, 2, 2, 1\] expects 2/);
    expect(() => fe.depthwiseConv2d(fe.zeros([1, 4, 4, 3]), fe.zeros([2, 2, 3, 1]), 1, 'same', 'NHWC', 1, 'ceil'))
      .toThrow(/depthwiseConv2d: pad must be an integer when using dimRoundingMode 'ceil'/);
    expect(() => fe.separableConv2d(fe.zeros([1, 4, 4, 3]), fe.zeros([2, 2, 3, 2]), fe.zeros([1, 1, 5, 4])))
      .toThrow(/separableConv2d: expected a pointwise filter of shape \[1, 1, 6, outChannels\]/);
    expect(() => fe.maxPool3d(fe.zeros([4, 4, 3]), 2)).toThrow(/maxPool3d: expected input of rank 5 .* got \[4, 4, 3\]/);
    expect(() => fe.avgPool3d(fe.zeros([1, 4, 4, 4, 3]), [2, 5, 2])).toThrow(/avgPool3d: the height of the kernel, 5, is larger than the input's 4/);
    expect(() => fe.maxPool1d(fe.zeros([2, 4, 4, 3]))).toThrow(/maxPool1d: expected input of rank 3 \[batch, steps, channels\]/);
    expect(() => fe.avgPool1d(fe.zeros([2, 4, 3]), 2, 1, 2)).toThrow(/avgPool1d: padding 2 on the steps must be smaller than the pool size 2/);
    expect(() => fe.image.resizeBilinear(fe.zeros([1, 4, 4, 3]), [2, 2], true, true)).toThrow(/resizeBilinear: if halfPixelCenters is true, alignCorners must be false/);
    expect(() => fe.image.resizeNearestNeighbor(fe.zeros([4, 3]), [2, 2])).toThrow(/resizeNearestNeighbor: expected images of rank 4 .* got \[4, 3\]/);
    expect(() => fe.image.resizeBilinear(fe.zeros([1, 4, 4, 3]), [2.5, 2] as [number, number])).toThrow(/resizeBilinear: size must be \[newHeight, newWidth\]/);
    expect(() => fe.image.flipLeftRight(fe.zeros([4, 4, 3]))).toThrow(/flipLeftRight: expected images of rank 4/);
    const img = fe.zeros([2, 4, 4, 1]);
    expect(() => fe.image.cropAndResize(img, fe.zeros([1, 4]), fe.tensor([2], [1], 'int32'), [2, 2]))
      .toThrow(/cropAndResize: boxInd\[0\] = 2 is outside \[0, 2\)/);
    expect(() => fe.image.cropAndResize(img, fe.zeros([1, 3]), fe.tensor([0], [1], 'int32'), [2, 2])).toThrow(/cropAndResize: boxes must be a tensor of shape \[numBoxes, 4\], got \[1, 3\]/);
    expect(() => fe.image.cropAndResize(img, fe.zeros([1, 4]), fe.tensor([0], [1]), [2, 2])).toThrow(/cropAndResize: boxInd must be an int32 tensor of shape \[1\], got float32 \[1\]/);
    expect(() => fe.image.cropAndResize(img, fe.zeros([1, 4]), fe.tensor([0], [1], 'int32'), [0, 2])).toThrow(/cropAndResize: cropSize must be \[cropHeight, cropWidth\], positive integers/);
  });
});

describe.each(backends)('no tensors leak (%s)', (name) => {
  beforeAll(async () => useBackend(name));
  afterAll(() => undefined);

  it('eager calls and their gradients free every intermediate', () => {
    const before = fe.memory().numTensors;
    // [arguments, op]: the op's result is the only tensor it may leave behind.
    const calls: [() => Tensor[], (a: Tensor[]) => Tensor][] = [
      [() => [fe.ones([4, 5, 6, 2]), fe.ones([2, 2, 2, 2, 3])], ([x, w]) => fe.conv3d(x, w, 1, 'same')],
      [() => [fe.ones([4, 5, 6, 3]), fe.ones([2, 2, 2, 2, 3])], ([x, w]) => fe.conv3dTranspose(x, w, [4, 5, 6, 2], 1, 'same')],
      [() => [fe.ones([2, 3, 2]), fe.ones([2, 2, 3, 2])], ([x, w]) => fe.conv2dTranspose(x, w, [4, 6, 3], 2, 'same')],
      [() => [fe.ones([4, 5, 6]), fe.ones([2, 2, 6, 2])], ([x, w]) => fe.depthwiseConv2d(x, w, 1, 'same')],
      [() => [fe.ones([1, 4, 5, 6]), fe.ones([2, 2, 6, 1]), fe.ones([1, 1, 6, 3])], ([x, d, p]) => fe.separableConv2d(x, d, p, 1, 'same')],
      [() => [fe.ones([4, 5, 6, 2])], ([x]) => fe.maxPool3d(x, 2, 1, 'same')],
      [() => [fe.ones([4, 5, 6])], ([x]) => fe.avgPool1d(x, 2)],
      [() => [fe.ones([4, 5, 6])], ([x]) => fe.image.resizeBilinear(x, [3, 3])],
      [() => [fe.ones([2, 3, 4, 1], 'int32')], ([x]) => fe.image.resizeNearestNeighbor(x, [3, 3])],
      [() => [fe.ones([2, 3, 4, 1], 'int32')], ([x]) => fe.image.resizeBilinear(x, [3, 3])],
      [() => [fe.ones([1, 4, 5, 6], 'int32'), fe.tensor([0, 0, 1, 1], [1, 4]), fe.tensor([0], [1], 'int32')], ([x, b, i]) => fe.image.cropAndResize(x, b, i, [2, 2])],
    ];
    for (const [args, op] of calls) {
      const a = args();
      const start = fe.memory().numTensors;
      const y = op(a);
      expect(fe.memory().numTensors - start, op.toString()).toBe(1);
      y.dispose();
      a.forEach((t) => t.dispose());
    }
    // With gradients: everything but the leaves' .grad is freed by the end of backward.
    for (const [args, op] of calls.slice(0, 8)) {
      const vars = args().map((t) => {
        const v = fe.variable(t);
        t.dispose();
        return v;
      });
      fe.tidy(() => fe.sum(op(vars)).backward());
      vars.forEach((v) => {
        v.grad?.dispose();
        v.dispose();
      });
    }
    expect(fe.memory().numTensors).toBe(before);
  });
});
