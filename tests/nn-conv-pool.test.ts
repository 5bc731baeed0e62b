/**
 * fe.nn convolution and pooling modules against PyTorch's formulas written out in
 * tests/helpers/nn-reference.ts (NCHW, PyTorch weight layouts, converted from ferrite's
 * documented Keras layouts), in both data formats, with finite-difference gradients.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import type { Tensor } from 'ferrite-ml';
import { backends, expectGradcheck, Gen, useBackend } from './helpers/gradcheck';
import {
  kerasToTorchConv, nchwToNhwc, nhwcToNchw, torchAdaptivePool2d, torchConv2d, torchConvTranspose2d, torchPool2d, type ConvGeom,
} from './helpers/nn-reference';
import { expectClose, mulberry32, uniform } from './helpers/reference';

const TOL = { rtol: 1e-4, atol: 2e-5 };
const vals = (t: Tensor) => Float32Array.from(t.dataSync());

/** Runs fn with some of a module's fields replaced (gradient checks feed weights as inputs). */
function withFields<T>(m: object, fields: Record<string, Tensor | null>, fn: () => T): T {
  const rec = m as Record<string, unknown>;
  const saved = Object.fromEntries(Object.keys(fields).map((k) => [k, rec[k]]));
  Object.assign(rec, fields);
  try {
    return fn();
  } finally {
    Object.assign(rec, saved);
  }
}

interface Conv2dCase extends ConvGeom {
  n: number; c: number; h: number; w: number; o: number; k: [number, number]; bias: boolean;
}

const CONV2D_CASES: Conv2dCase[] = [
  { n: 2, c: 3, h: 7, w: 6, o: 5, k: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1, bias: true },
  { n: 1, c: 2, h: 9, w: 8, o: 3, k: [3, 2], stride: [2, 3], padding: [0, 1], dilation: [1, 1], groups: 1, bias: false },
  { n: 2, c: 4, h: 8, w: 7, o: 6, k: [3, 3], stride: [1, 2], padding: [2, 1], dilation: [2, 1], groups: 2, bias: true },
  { n: 1, c: 6, h: 5, w: 5, o: 6, k: [1, 1], stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 6, bias: true },
  { n: 3, c: 1, h: 4, w: 9, o: 1, k: [4, 5], stride: [1, 1], padding: [0, 2], dilation: [1, 1], groups: 1, bias: true },
  // Depthwise (groups = inChannels) with a channel multiplier of 2: the depthwise kernel.
  { n: 2, c: 3, h: 7, w: 6, o: 6, k: [3, 3], stride: [2, 1], padding: [1, 1], dilation: [1, 2], groups: 3, bias: true },
];

describe.each(backends)('fe.nn convolutions on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(CONV2D_CASES.map((c, i) => [i, c] as const))('conv2d case %i matches PyTorch\'s Conv2d, channels-last and channels-first', (_, cs) => {
    fe.setRandomSeed(11);
    const m = fe.nn.conv2d(cs.c, cs.o, cs.k, { stride: cs.stride, padding: cs.padding, dilation: cs.dilation, groups: cs.groups, bias: cs.bias });
    const cg = cs.c / cs.groups;
    expect(m.weight.shape).toEqual([cs.k[0], cs.k[1], cg, cs.o]);
    expect(m.bias?.shape ?? null).toEqual(cs.bias ? [cs.o] : null);
    // PyTorch's default initialization: U(−1/√fanIn, 1/√fanIn) for weight and bias.
    const bound = 1 / Math.sqrt(cg * cs.k[0] * cs.k[1]);
    const w = vals(m.weight);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    if (w.length >= 30) expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.7 * bound);

    const x = uniform(mulberry32(3), cs.n * cs.h * cs.w * cs.c);
    const ref = torchConv2d(nhwcToNchw(x, [cs.n, cs.h, cs.w, cs.c]), [cs.n, cs.c, cs.h, cs.w],
      kerasToTorchConv(w, m.weight.shape), [cs.o, cg, cs.k[0], cs.k[1]], m.bias ? vals(m.bias) : null, cs);
    const [, , oh, ow] = ref.shape;
    const y = m.forward(fe.tensor(x, [cs.n, cs.h, cs.w, cs.c]));
    expect(y.shape).toEqual([cs.n, oh, ow, cs.o]);
    expectClose(vals(y), nchwToNhwc(ref.out, ref.shape), TOL, 'channels-last');

    // The same weights in a channels-first module take and give NCHW.
    const mf = fe.nn.conv2d(cs.c, cs.o, cs.k, { stride: cs.stride, padding: cs.padding, dilation: cs.dilation, groups: cs.groups, bias: cs.bias, dataFormat: 'channelsFirst' });
    mf.loadStateDict(m.stateDict());
    const yf = mf.forward(fe.tensor(nhwcToNchw(x, [cs.n, cs.h, cs.w, cs.c]), [cs.n, cs.c, cs.h, cs.w]));
    expect(yf.shape).toEqual(ref.shape);
    expectClose(vals(yf), ref.out, TOL, 'channels-first');
  });

  it("conv2d padding 'same' (stride 1) pads as PyTorch: the odd pixel of an even kernel at the end", () => {
    for (const [k, d] of [[4, 1], [3, 2], [2, 3]] as const) {
      const m = fe.nn.conv2d(2, 3, k, { padding: 'same', dilation: d });
      const x = uniform(mulberry32(k), 1 * 6 * 5 * 2);
      const y = m.forward(fe.tensor(x, [1, 6, 5, 2]));
      expect(y.shape).toEqual([1, 6, 5, 3]);
      const total = d * (k - 1), before = Math.floor(total / 2);
      // Reference: pad explicitly (before, total − before), then a 'valid' convolution.
      const xp = fe.pad(fe.tensor(x, [1, 6, 5, 2]), [[0, 0], [before, total - before], [before, total - before], [0, 0]]);
      const ref = torchConv2d(nhwcToNchw(vals(xp), xp.shape), [1, 2, xp.shape[1], xp.shape[2]],
        kerasToTorchConv(vals(m.weight), m.weight.shape), [3, 2, k, k], vals(m.bias!), { stride: [1, 1], padding: [0, 0], dilation: [d, d], groups: 1 });
      expectClose(vals(y), nchwToNhwc(ref.out, ref.shape), TOL, `k ${k} dilation ${d}`);
    }
    expect(fe.nn.conv2d(2, 3, 3, { padding: 'valid' }).forward(fe.zeros([1, 6, 5, 2])).shape).toEqual([1, 4, 3, 3]);
  });

  it('conv2d takes unbatched input and the one-object form', () => {
    const m = fe.nn.conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1 });
    const x = fe.tensor(uniform(mulberry32(5), 4 * 4 * 2), [4, 4, 2]);
    const y = m.forward(x);
    expect(y.shape).toEqual([4, 4, 3]);
    expectClose(vals(y), vals(m.forward(fe.reshape(x, [1, 4, 4, 2]))), TOL);
    const mf = new fe.nn.Conv2d(2, 3, 3, { padding: 1, dataFormat: 'channelsFirst' });
    mf.loadStateDict(m.stateDict());
    const yf = mf.forward(fe.transpose(x, [2, 0, 1]));
    expect(yf.shape).toEqual([3, 4, 4]);
    expectClose(vals(fe.transpose(yf, [1, 2, 0])), vals(y), TOL);
  });

  it('conv2d gradients (input, weight, bias) match finite differences, with groups, stride and dilation', () => {
    const g = new Gen(21);
    for (const cs of [
      { c: 2, o: 4, k: 3, stride: 2, padding: 1, dilation: 1, groups: 2 },
      { c: 3, o: 2, k: 2, stride: 1, padding: 0, dilation: 2, groups: 1 },
    ]) {
      const m = fe.nn.conv2d(cs.c, cs.o, cs.k, { stride: cs.stride, padding: cs.padding, dilation: cs.dilation, groups: cs.groups });
      expectGradcheck(([x, w, b]) => withFields(m, { weight: w, bias: b }, () => m.forward(x)),
        [g.uniform([2, 5, 5, cs.c]), g.uniform(m.weight.shape), g.uniform([cs.o])]);
    }
  });

  it('conv1d matches PyTorch\'s Conv1d (stride, padding, dilation, groups; channels-first) and its gradient', () => {
    for (const cs of [
      { c: 3, o: 4, k: 3, stride: 1, padding: 1, dilation: 1, groups: 1, l: 9 },
      { c: 4, o: 2, k: 2, stride: 2, padding: 2, dilation: 3, groups: 2, l: 11 },
      { c: 3, o: 6, k: 3, stride: 2, padding: 1, dilation: 2, groups: 3, l: 10 },
    ]) {
      const m = fe.nn.conv1d(cs.c, cs.o, cs.k, { stride: cs.stride, padding: cs.padding, dilation: cs.dilation, groups: cs.groups });
      const cg = cs.c / cs.groups;
      expect(m.weight.shape).toEqual([cs.k, cg, cs.o]);
      const x = uniform(mulberry32(cs.l), 2 * cs.l * cs.c);
      // A Conv1d is a Conv2d of height 1.
      const ref = torchConv2d(nhwcToNchw(x, [2, 1, cs.l, cs.c]), [2, cs.c, 1, cs.l], kerasToTorchConv(vals(m.weight), [1, cs.k, cg, cs.o]),
        [cs.o, cg, 1, cs.k], vals(m.bias!), { stride: [1, cs.stride], padding: [0, cs.padding], dilation: [1, cs.dilation], groups: cs.groups });
      const y = m.forward(fe.tensor(x, [2, cs.l, cs.c]));
      expect(y.shape).toEqual([2, ref.shape[3], cs.o]);
      expectClose(vals(y), nchwToNhwc(ref.out, ref.shape), TOL);
      const mf = fe.nn.conv1d(cs.c, cs.o, cs.k, { stride: cs.stride, padding: cs.padding, dilation: cs.dilation, groups: cs.groups, dataFormat: 'channelsFirst' });
      mf.loadStateDict(m.stateDict());
      const yf = mf.forward(fe.transpose(fe.tensor(x, [2, cs.l, cs.c]), [0, 2, 1]));
      expectClose(vals(yf), ref.out, TOL, 'channels-first');
    }
    const dw = fe.nn.conv1d(2, 4, 3, { groups: 2, padding: 1 });
    const g1 = new Gen(6);
    expectGradcheck(([x, w, b]) => withFields(dw, { weight: w, bias: b }, () => dw.forward(x)), [g1.uniform([2, 5, 2]), g1.uniform([3, 1, 4]), g1.uniform([4])]);
    const m = fe.nn.conv1d(2, 3, 3, { padding: 'same' });
    expect(m.forward(fe.zeros([2, 7, 2])).shape).toEqual([2, 7, 3]);
    const g = new Gen(5);
    expectGradcheck(([x, w, b]) => withFields(m, { weight: w, bias: b }, () => m.forward(x)), [g.uniform([2, 6, 2]), g.uniform([3, 2, 3]), g.uniform([3])]);
  });

  it.each([
    { c: 3, o: 2, k: [3, 3], stride: [2, 2], padding: [1, 1], outputPadding: [1, 1], dilation: [1, 1], groups: 1, h: 4, w: 5 },
    { c: 2, o: 4, k: [2, 3], stride: [3, 1], padding: [0, 1], outputPadding: [2, 0], dilation: [1, 1], groups: 2, h: 3, w: 4 },
    { c: 2, o: 3, k: [3, 2], stride: [1, 2], padding: [2, 0], outputPadding: [0, 1], dilation: [2, 1], groups: 1, h: 5, w: 3 },
    { c: 1, o: 2, k: [3, 3], stride: [1, 1], padding: [1, 1], outputPadding: [1, 0], dilation: [2, 1], groups: 1, h: 4, w: 4 },
  ] as const)('convTranspose2d matches PyTorch\'s ConvTranspose2d (%o)', (cs) => {
    const opts = { stride: [...cs.stride] as [number, number], padding: [...cs.padding] as [number, number], outputPadding: [...cs.outputPadding] as [number, number], dilation: [...cs.dilation] as [number, number], groups: cs.groups };
    const m = fe.nn.convTranspose2d(cs.c, cs.o, [...cs.k] as [number, number], opts);
    const og = cs.o / cs.groups;
    expect(m.weight.shape).toEqual([cs.k[0], cs.k[1], og, cs.c]);
    const x = uniform(mulberry32(cs.h * 7 + cs.w), 2 * cs.h * cs.w * cs.c);
    const ref = torchConvTranspose2d(nhwcToNchw(x, [2, cs.h, cs.w, cs.c]), [2, cs.c, cs.h, cs.w],
      kerasToTorchConv(vals(m.weight), m.weight.shape), [cs.c, og, cs.k[0], cs.k[1]], vals(m.bias!), { ...opts });
    const y = m.forward(fe.tensor(x, [2, cs.h, cs.w, cs.c]));
    expect(y.shape).toEqual([2, ref.shape[2], ref.shape[3], cs.o]);
    expect(m.outputSize(cs.h, cs.w)).toEqual([ref.shape[2], ref.shape[3]]);
    expectClose(vals(y), nchwToNhwc(ref.out, ref.shape), TOL);
    const mf = fe.nn.convTranspose2d(cs.c, cs.o, [...cs.k] as [number, number], { ...opts, dataFormat: 'channelsFirst' });
    mf.loadStateDict(m.stateDict());
    expectClose(vals(mf.forward(fe.tensor(nhwcToNchw(x, [2, cs.h, cs.w, cs.c]), [2, cs.c, cs.h, cs.w]))), ref.out, TOL, 'channels-first');
  });

  it('convTranspose2d: PyTorch initialization bound (fan-in out/groups·k²), gradients by finite differences', () => {
    const m = fe.nn.convTranspose2d(2, 4, 3, { stride: 2, padding: 1, outputPadding: 1, groups: 2 });
    const bound = 1 / Math.sqrt(2 * 9);
    expect(Math.max(...vals(m.weight).map(Math.abs))).toBeLessThanOrEqual(bound);
    const g = new Gen(8);
    expectGradcheck(([x, w, b]) => withFields(m, { weight: w, bias: b }, () => m.forward(x)), [g.uniform([1, 3, 3, 2]), g.uniform([3, 3, 2, 2]), g.uniform([4])]);
  });

  it('convolution errors name the module, the expected and the actual shape, and leave it usable', () => {
    const m = fe.nn.conv2d(3, 16, 3, { padding: 1 });
    expect(() => m.forward(fe.zeros([2, 3, 8, 8]))).toThrow(
      /Conv2d\(3, 16, kernelSize=\[3, 3\].*expected 3 channels in \[batch, height, width, channels\], got input of shape \[2, 3, 8, 8\] \(this looks like channels-first data/);
    expect(() => m.forward(fe.zeros([8, 8]))).toThrow(/Conv2d\(3, 16.*expected input of rank 4 \[batch, height, width, channels\] \(or 3 without the batch\), got \[8, 8\]/);
    expect(() => fe.nn.conv2d(3, 16, 5).forward(fe.zeros([1, 3, 3, 3]))).toThrow(/Conv2d\(3, 16, kernelSize=\[5, 5\].*the height of the kernel, 5, is larger than the input's 3/);
    expect(m.forward(fe.zeros([1, 8, 8, 3])).shape).toEqual([1, 8, 8, 16]);
    expect(() => fe.nn.conv2d(3, 16, 3, { stride: 2, padding: 'same' })).toThrow(/padding 'same' is not supported for strided convolutions/);
    expect(() => fe.nn.conv2d(3, 16, 3, { groups: 2 })).toThrow(/divisible by groups \(2\)/);
    expect(() => fe.nn.conv2d(3, 16, 3, { padding_mode: 'zeros' } as never)).toThrow(/unknown option 'padding_mode'/);
    expect(() => fe.nn.conv2d(3, 16, 3, { paddingMode: 'reflect' } as never)).toThrow(/paddingMode "reflect" is not supported/);
    expect(() => fe.nn.conv2d(3, 16, 0)).toThrow(/kernelSize must be a positive integer/);
    expect(() => fe.nn.convTranspose2d(2, 2, 3, { stride: 2, outputPadding: 2 })).toThrow(/outputPadding \[2, 2\] must be smaller than either stride/);
    expect(() => fe.nn.convTranspose2d(2, 2, 3, { padding: 'same' } as never)).toThrow(/padding must be a number or a pair/);
    expect(() => fe.nn.conv1d(2, 2, 3).forward(fe.zeros([1, 2, 5]))).toThrow(/Conv1d\(2, 2, kernelSize=3.*expected 2 channels in \[batch, length, channels\], got input of shape \[1, 2, 5\] \(this looks like channels-first/);
  });
});

describe.each(backends)('fe.nn pooling on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  const POOL_CASES = [
    { k: [2, 2], s: [2, 2], p: [0, 0], ceil: false, h: 7, w: 6 },
    { k: [3, 3], s: [2, 2], p: [1, 1], ceil: false, h: 7, w: 8 },
    { k: [3, 2], s: [2, 2], p: [1, 0], ceil: true, h: 6, w: 7 },
    { k: [2, 3], s: [3, 2], p: [0, 1], ceil: true, h: 8, w: 5 },
    { k: [3, 3], s: [1, 1], p: [1, 1], ceil: true, h: 4, w: 4 },
  ] as const;

  it.each(POOL_CASES)('maxPool2d and avgPool2d (both countIncludePad) match PyTorch: %o', (cs) => {
    const [n, c] = [2, 3];
    const x = uniform(mulberry32(cs.h * 31 + cs.w), n * cs.h * cs.w * c);
    const xt = fe.tensor(x, [n, cs.h, cs.w, c]);
    const xNchw = nhwcToNchw(x, [n, cs.h, cs.w, c]);
    const k = [...cs.k] as [number, number], s = [...cs.s] as [number, number], p = [...cs.p] as [number, number];
    for (const [kind, include] of [['max', true], ['avg', true], ['avg', false]] as const) {
      const ref = torchPool2d(kind, xNchw, [n, c, cs.h, cs.w], k, s, p, cs.ceil, include);
      const opts = { stride: s, padding: p, ceilMode: cs.ceil };
      const m = kind === 'max' ? fe.nn.maxPool2d(k, opts) : fe.nn.avgPool2d(k, { ...opts, countIncludePad: include });
      const y = m.forward(xt);
      expect(y.shape).toEqual([n, ref.shape[2], ref.shape[3], c]);
      expectClose(vals(y), nchwToNhwc(ref.out, ref.shape), TOL, `${kind} countIncludePad ${include}`);
      const f = kind === 'max' ? fe.nn.functional.maxPool2d(xt, k, opts) : fe.nn.functional.avgPool2d(xt, k, { ...opts, countIncludePad: include });
      expectClose(vals(f), vals(y), { atol: 0 }, 'functional');
      const mf = kind === 'max' ? fe.nn.maxPool2d(k, { ...opts, dataFormat: 'channelsFirst' }) : fe.nn.avgPool2d(k, { ...opts, countIncludePad: include, dataFormat: 'channelsFirst' });
      expectClose(vals(mf.forward(fe.tensor(xNchw, [n, c, cs.h, cs.w]))), ref.out, TOL, 'channels-first');
    }
  });

  it('pool stride defaults to the kernel; a number second argument is the stride (nn.MaxPool2d(2, 1))', () => {
    const x = fe.tensor(uniform(mulberry32(2), 1 * 5 * 5 * 1), [1, 5, 5, 1]);
    expect(fe.nn.maxPool2d(2).forward(x).shape).toEqual([1, 2, 2, 1]);
    expect(fe.nn.maxPool2d(2, 1).forward(x).shape).toEqual([1, 4, 4, 1]);
    expect(fe.nn.functional.maxPool2d(x, 2).shape).toEqual([1, 2, 2, 1]);
    expect(fe.nn.avgPool2d([2, 3], [1, 2]).forward(x).shape).toEqual([1, 4, 2, 1]);
  });

  it('pooling gradients match finite differences (distinct values for the maximum)', () => {
    const g = new Gen(9);
    const max = fe.nn.maxPool2d(3, { stride: 2, padding: 1, ceilMode: true });
    expectGradcheck(([x]) => max.forward(x), [g.distinct([2, 6, 5, 2])]);
    const avg = fe.nn.avgPool2d(3, { stride: 2, padding: 1, ceilMode: true });
    expectGradcheck(([x]) => avg.forward(x), [g.uniform([2, 6, 5, 2])]);
    const avgEx = fe.nn.avgPool2d(2, { stride: 1, padding: 1, countIncludePad: false });
    expectGradcheck(([x]) => avgEx.forward(x), [g.uniform([1, 4, 3, 2])]);
  });

  it.each([
    [7, 5, 3, 2], [4, 4, 2, 2], [6, 9, 4, 4], [5, 5, 1, 1], [3, 7, 3, 7], [2, 3, 4, 5],
  ])('adaptive pools %i×%i → %i×%i match PyTorch (max and average)', (h, w, oh, ow) => {
    const [n, c] = [2, 3];
    const x = uniform(mulberry32(h * 10 + w), n * h * w * c);
    const xt = fe.tensor(x, [n, h, w, c]);
    for (const kind of ['max', 'avg'] as const) {
      const ref = torchAdaptivePool2d(kind, nhwcToNchw(x, [n, h, w, c]), [n, c, h, w], oh, ow);
      const m = kind === 'max' ? fe.nn.adaptiveMaxPool2d([oh, ow]) : fe.nn.adaptiveAvgPool2d([oh, ow]);
      const y = m.forward(xt);
      expect(y.shape).toEqual([n, oh, ow, c]);
      expectClose(vals(y), nchwToNhwc(ref.out, ref.shape), TOL, kind);
      const mf = kind === 'max' ? fe.nn.adaptiveMaxPool2d([oh, ow], { dataFormat: 'channelsFirst' }) : fe.nn.adaptiveAvgPool2d([oh, ow], { dataFormat: 'channelsFirst' });
      expectClose(vals(mf.forward(fe.transpose(xt, [0, 3, 1, 2]))), ref.out, TOL, `${kind} channels-first`);
    }
  });

  it('adaptive pools: null keeps an axis, a number means a square; gradients by finite differences', () => {
    const x = fe.tensor(uniform(mulberry32(4), 1 * 5 * 6 * 2), [1, 5, 6, 2]);
    expect(fe.nn.adaptiveAvgPool2d([null, 2]).forward(x).shape).toEqual([1, 5, 2, 2]);
    expect(fe.nn.adaptiveAvgPool2d(3).forward(x).shape).toEqual([1, 3, 3, 2]);
    expectClose(vals(fe.nn.adaptiveAvgPool2d(1).forward(x)), vals(fe.mean(x, [1, 2], true)), TOL, 'global average');
    const g = new Gen(12);
    expectGradcheck(([t]) => fe.nn.functional.adaptiveAvgPool2d(t, [2, 3]), [g.uniform([2, 5, 7, 2])]);
    expectGradcheck(([t]) => fe.nn.functional.adaptiveMaxPool2d(t, [3, 2]), [g.distinct([1, 5, 5, 2])]);
  });

  it('pooling errors name the module and the argument', () => {
    expect(() => fe.nn.maxPool2d(2, { padding: 2 })).toThrow(/MaxPool2d\(2\): padding 2 must be at most half the kernel size 2/);
    expect(() => fe.nn.maxPool2d(2, { dilation: 2 })).toThrow(/dilation 2 is not supported/);
    expect(() => fe.nn.avgPool2d(2, { count_include_pad: false } as never)).toThrow(/unknown option 'count_include_pad'/);
    expect(() => fe.nn.maxPool2d(2).forward(fe.zeros([4, 4]))).toThrow(/MaxPool2d\(kernelSize=\[2, 2\].*expected input of rank 4/);
    expect(() => fe.nn.maxPool2d(5).forward(fe.zeros([1, 4, 4, 1]))).toThrow(/MaxPool2d.*window 5 is larger than the padded input's height 4/);
    expect(() => fe.nn.adaptiveAvgPool2d(0)).toThrow(/outputSize must be a positive integer/);
  });
});
