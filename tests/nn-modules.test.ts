/**
 * fe.nn Linear, normalization, activation, dropout, flatten and container modules: outputs
 * against PyTorch's formulas computed here element by element, gradients by finite
 * differences, train/eval behaviour and error messages.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import type { Tensor } from 'ferrite-ml';
import { backends, expectGradcheck, Gen, useBackend } from './helpers/gradcheck';
import { expectClose, mulberry32, uniform } from './helpers/reference';

const TOL = { rtol: 1e-4, atol: 2e-5 };
const vals = (t: Tensor) => Float32Array.from(t.dataSync());

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

/** Per-feature mean and biased / unbiased variance of rows [count, features]. */
function featureStats(x: Float32Array, features: number) {
  const count = x.length / features;
  const mean = new Float64Array(features), m2 = new Float64Array(features);
  for (let i = 0; i < x.length; i++) mean[i % features] += x[i] / count;
  for (let i = 0; i < x.length; i++) m2[i % features] += (x[i] - mean[i % features]) ** 2;
  return { mean, biased: m2.map((v) => v / count), unbiased: m2.map((v) => v / (count - 1)) };
}

describe.each(backends)('fe.nn modules on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('linear: y = x·Wᵀ + b with PyTorch\'s W = weight transposed (weight kept [in, out]); initialization U(±1/√in)', () => {
    fe.setRandomSeed(1);
    const m = fe.nn.linear(5, 3);
    expect(m.weight.shape).toEqual([5, 3]);
    const w = vals(m.weight), b = vals(m.bias!);
    const bound = 1 / Math.sqrt(5);
    for (const v of [...w, ...b]) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
    const x = uniform(mulberry32(2), 2 * 4 * 5);
    const want = new Float32Array(2 * 4 * 3);
    for (let r = 0; r < 8; r++) for (let o = 0; o < 3; o++) {
      let s = b[o];
      for (let i = 0; i < 5; i++) s += x[r * 5 + i] * w[i * 3 + o];
      want[r * 3 + o] = s;
    }
    expectClose(vals(m.forward(fe.tensor(x, [2, 4, 5]))), want, TOL, 'rank 3');
    expectClose(vals(m.forward(fe.tensor(x.slice(0, 5), [5]))), want.slice(0, 3), TOL, 'rank 1');
    expect(fe.nn.linear(5, 3, { bias: false }).namedParameters().map(([k]) => k)).toEqual(['weight']);
    const g = new Gen(3);
    expectGradcheck(([xt, wt, bt]) => withFields(m, { weight: wt, bias: bt }, () => m.forward(xt)), [g.uniform([3, 5]), g.uniform([5, 3]), g.uniform([3])]);
    expect(() => m.forward(fe.zeros([2, 4]))).toThrow(/Linear\(inFeatures=5, outFeatures=3, bias=true\): expected input with last dimension 5, got \[2, 4\]/);
  });

  it('batchNorm2d training: batch mean and biased variance; running stats move by momentum 0.1 toward the unbiased variance', () => {
    const c = 3;
    const m = fe.nn.batchNorm2d(c);
    m.weight!.assign(fe.tensor([1.5, -0.5, 2]));
    m.bias!.assign(fe.tensor([0.1, 0.2, -0.3]));
    const x = uniform(mulberry32(5), 2 * 3 * 4 * c, -2, 3);
    const y = vals(m.forward(fe.tensor(x, [2, 3, 4, c])));
    const s = featureStats(x, c);
    const want = x.map((v, i) => ((v - s.mean[i % c]) / Math.sqrt(s.biased[i % c] + 1e-5)) * [1.5, -0.5, 2][i % c] + [0.1, 0.2, -0.3][i % c]);
    expectClose(y, want, TOL, 'output');
    expectClose(vals(m.runningMean!), s.mean.map((v) => 0.1 * v), TOL, 'running_mean');
    expectClose(vals(m.runningVar!), s.unbiased.map((v) => 0.9 + 0.1 * v), TOL, 'running_var');
    expect(m.numBatchesTracked!.dtype).toBe('int32');
    expect(m.numBatchesTracked!.dataSync()[0]).toBe(1);
    // eval(): the running statistics, and no update.
    m.eval();
    const x2 = uniform(mulberry32(6), 1 * 2 * 2 * c);
    const rm = vals(m.runningMean!), rv = vals(m.runningVar!);
    const want2 = x2.map((v, i) => ((v - rm[i % c]) / Math.sqrt(rv[i % c] + 1e-5)) * [1.5, -0.5, 2][i % c] + [0.1, 0.2, -0.3][i % c]);
    expectClose(vals(m.forward(fe.tensor(x2, [1, 2, 2, c]))), want2, TOL, 'eval');
    expectClose(vals(m.runningMean!), rm, { atol: 0 }, 'unchanged in eval');
    expect(m.numBatchesTracked!.dataSync()[0]).toBe(1);
  });

  it('batchNorm momentum null is the cumulative average; trackRunningStats false keeps no buffers and uses batch statistics in eval', () => {
    const m = fe.nn.batchNorm1d(2, { momentum: null, affine: false });
    const a = uniform(mulberry32(1), 6 * 2, -1, 2), b = uniform(mulberry32(2), 4 * 2, 0, 3);
    m.forward(fe.tensor(a, [6, 2]));
    m.forward(fe.tensor(b, [4, 2]));
    const sa = featureStats(a, 2), sb = featureStats(b, 2);
    expectClose(vals(m.runningMean!), [0, 1].map((i) => (sa.mean[i] + sb.mean[i]) / 2), TOL);
    expectClose(vals(m.runningVar!), [0, 1].map((i) => (sa.unbiased[i] + sb.unbiased[i]) / 2), TOL);
    expect(m.parameters()).toEqual([]);
    const free = fe.nn.batchNorm1d(2, { trackRunningStats: false });
    expect(Object.keys(free.stateDict())).toEqual(['weight', 'bias']);
    free.eval();
    const y = vals(free.forward(fe.tensor(a, [6, 2])));
    expectClose(y, a.map((v, i) => (v - sa.mean[i % 2]) / Math.sqrt(sa.biased[i % 2] + 1e-5)), TOL, 'batch statistics in eval');
  });

  it('batchNorm1d on [batch, length, features], channels-first [batch, features, length] and batchNorm2d channels-first agree with channels-last', () => {
    const x = uniform(mulberry32(9), 3 * 5 * 4, -1, 1);
    const last = fe.nn.batchNorm1d(4);
    const yl = last.forward(fe.tensor(x, [3, 5, 4]));
    const first = fe.nn.batchNorm1d(4, { dataFormat: 'channelsFirst' });
    const yf = first.forward(fe.transpose(fe.tensor(x, [3, 5, 4]), [0, 2, 1]));
    expectClose(vals(fe.transpose(yf, [0, 2, 1])), vals(yl), TOL);
    expectClose(vals(first.runningVar!), vals(last.runningVar!), TOL, 'running_var');
    const x4 = fe.tensor(uniform(mulberry32(10), 2 * 3 * 2 * 4), [2, 3, 2, 4]);
    const b2 = fe.nn.batchNorm2d(4), b2f = fe.nn.batchNorm2d(4, { dataFormat: 'channelsFirst' });
    expectClose(vals(fe.transpose(b2f.forward(fe.transpose(x4, [0, 3, 1, 2])), [0, 2, 3, 1])), vals(b2.forward(x4)), TOL, '2d');
  });

  it('batchNorm gradients (training and eval) match finite differences', () => {
    const g = new Gen(4);
    const m = fe.nn.batchNorm2d(2);
    expectGradcheck(([x, w, b]) => withFields(m, { weight: w, bias: b }, () => m.forward(x)), [g.uniform([2, 3, 2, 2], -2, 2), g.uniform([2]), g.uniform([2])]);
    m.eval();
    expectGradcheck(([x, w, b]) => withFields(m, { weight: w, bias: b }, () => m.forward(x)), [g.uniform([2, 2, 2, 2]), g.uniform([2]), g.uniform([2])]);
  });

  it('batchNorm errors: features, rank, one value per feature while training', () => {
    const m = fe.nn.batchNorm2d(3);
    expect(() => m.forward(fe.zeros([2, 3, 4, 4]))).toThrow(/BatchNorm2d\(3, .*expected 3 features on axis 3 of \[batch, height, width, features\], got input of shape \[2, 3, 4, 4\]/);
    expect(() => m.forward(fe.zeros([2, 3]))).toThrow(/BatchNorm2d\(3.*expected input \[batch, height, width, features\], got \[2, 3\]/);
    expect(() => fe.nn.batchNorm1d(3).forward(fe.zeros([1, 3]))).toThrow(/BatchNorm1d\(3.*expected more than 1 value per feature when training, got input of shape \[1, 3\]/);
    expect(fe.nn.batchNorm1d(3).eval().forward(fe.ones([1, 3])).shape).toEqual([1, 3]);
    expect(() => fe.nn.batchNorm1d(3, { momentum: 2 })).toThrow(/momentum must be a number in \[0, 1\] or null/);
  });

  it('layerNorm over the last axes (eps 1e-5, biased variance), elementwise affine, gradients', () => {
    const x = uniform(mulberry32(12), 2 * 3 * 4, -2, 2);
    const m = fe.nn.layerNorm([3, 4]);
    expect(m.weight!.shape).toEqual([3, 4]);
    m.weight!.assign(fe.tensor(uniform(mulberry32(13), 12), [3, 4]));
    m.bias!.assign(fe.tensor(uniform(mulberry32(14), 12), [3, 4]));
    const w = vals(m.weight!), b = vals(m.bias!);
    const want = new Float32Array(24);
    for (let r = 0; r < 2; r++) {
      const row = x.slice(r * 12, r * 12 + 12);
      const mu = row.reduce((s, v) => s + v, 0) / 12;
      const v = row.reduce((s, t) => s + (t - mu) ** 2, 0) / 12;
      row.forEach((t, i) => (want[r * 12 + i] = ((t - mu) / Math.sqrt(v + 1e-5)) * w[i] + b[i]));
    }
    expectClose(vals(m.forward(fe.tensor(x, [2, 3, 4]))), want, TOL);
    expect(fe.nn.layerNorm(4, { elementwiseAffine: false }).parameters()).toEqual([]);
    expect(fe.nn.layerNorm(4, { bias: false }).namedParameters().map(([k]) => k)).toEqual(['weight']);
    const g = new Gen(15);
    const ln = fe.nn.layerNorm(4);
    expectGradcheck(([t, wt, bt]) => withFields(ln, { weight: wt, bias: bt }, () => ln.forward(t)), [g.uniform([3, 4], -2, 2), g.uniform([4]), g.uniform([4])]);
    expect(() => m.forward(fe.zeros([2, 4, 3]))).toThrow(/LayerNorm\(\[3, 4\].*expected input of shape \[\*, 3, 4\], got \[2, 4, 3\]/);
  });

  it('activations match their formulas (PyTorch defaults: leakyRelu 0.01, elu 1, gelu exact)', () => {
    const xs = [-3, -1, -0.5, 0.25, 0.5, 1, 2];
    const x = fe.tensor(xs);
    const check = (m: fe.nn.Module, f: (v: number) => number, label: string) =>
      expectClose(vals((m as unknown as { forward(t: Tensor): Tensor }).forward(x)), xs.map(f), { rtol: 2e-5, atol: 2e-6 }, label);
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    check(fe.nn.relu(), (v) => Math.max(0, v), 'relu');
    check(fe.nn.tanh(), Math.tanh, 'tanh');
    check(fe.nn.sigmoid(), sig, 'sigmoid');
    check(fe.nn.silu(), (v) => v * sig(v), 'silu');
    check(fe.nn.leakyRelu(), (v) => (v > 0 ? v : 0.01 * v), 'leakyRelu');
    check(fe.nn.leakyRelu(0.2), (v) => (v > 0 ? v : 0.2 * v), 'leakyRelu 0.2');
    check(fe.nn.elu(), (v) => (v > 0 ? v : Math.exp(v) - 1), 'elu');
    check(fe.nn.elu(0.5), (v) => (v > 0 ? v : 0.5 * (Math.exp(v) - 1)), 'elu 0.5');
    check(fe.nn.gelu({ approximate: 'tanh' }), (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))), 'gelu tanh');
    // x·Φ(x) at points where Φ is known to 16 digits.
    expectClose(vals(fe.nn.gelu().forward(fe.tensor([-1, 0.5, 1, 2]))), [-0.15865525393145707, 0.34573123063700656, 0.8413447460685429, 1.9544997361036416], { rtol: 2e-6, atol: 1e-6 }, 'gelu');
    const t = fe.tensor(uniform(mulberry32(3), 2 * 3 * 4), [2, 3, 4]);
    const e = vals(fe.exp(t));
    const want = new Float32Array(24);
    for (let a = 0; a < 2; a++) for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let b = 0; b < 3; b++) s += e[a * 12 + b * 4 + c];
      for (let b = 0; b < 3; b++) want[a * 12 + b * 4 + c] = e[a * 12 + b * 4 + c] / s;
    }
    expectClose(vals(fe.nn.softmax(1).forward(t)), want, TOL, 'softmax(dim 1)');
    expectClose(vals(fe.nn.logSoftmax(1).forward(t)), want.map(Math.log), TOL, 'logSoftmax(dim 1)');
    const g = new Gen(7);
    for (const m of [fe.nn.gelu({ approximate: 'tanh' }), fe.nn.silu(), fe.nn.softmax(0), fe.nn.elu(0.7)]) {
      expectGradcheck(([v]) => (m as unknown as { forward(t: Tensor): Tensor }).forward(v), [g.awayFromZero([3, 4])]);
    }
  });

  it('dropout: active in train() (fraction p zeroed, the rest scaled by 1/(1 − p)), the identity in eval()', () => {
    fe.setRandomSeed(5);
    const m = fe.nn.dropout(0.3);
    const x = fe.add(fe.randomUniform([100, 100]), 1);
    const xv = vals(x), y = vals(m.forward(x));
    let zeros = 0;
    for (let i = 0; i < y.length; i++) {
      if (y[i] === 0) zeros++;
      else expect(Math.abs(y[i] - xv[i] / 0.7)).toBeLessThan(1e-5);
    }
    expect(Math.abs(zeros / y.length - 0.3)).toBeLessThan(0.02);
    m.eval();
    expect(m.forward(x)).toBe(x);
    m.train();
    expect(vals(fe.nn.dropout(1).forward(x)).every((v) => v === 0)).toBe(true);
    expect(vals(fe.nn.dropout(0).forward(x))).toEqual(xv);
    expect(fe.nn.functional.dropout(x, 0.5, false)).toBe(x);
    expect(() => fe.nn.dropout(1.5)).toThrow(/Dropout: p must be a number in \[0, 1\], got 1.5/);
  });

  it('flatten: startDim 1 by default, any range; torch.flatten defaults in the functional form', () => {
    const x = fe.zeros([2, 3, 4, 5]);
    expect(fe.nn.flatten().forward(x).shape).toEqual([2, 60]);
    expect(fe.nn.flatten(0, 1).forward(x).shape).toEqual([6, 4, 5]);
    expect(fe.nn.flatten(1, -2).forward(x).shape).toEqual([2, 12, 5]);
    expect(fe.nn.functional.flatten(x).shape).toEqual([120]);
    expect(() => fe.nn.flatten(2, 1).forward(x)).toThrow(/Flatten\(startDim=2, endDim=1\): startDim 2 comes after endDim 1/);
  });

  it('sequential runs its children in order; named form; at / get / length / iteration; errors say where', () => {
    fe.setRandomSeed(2);
    const seq = fe.nn.sequential(fe.nn.linear(4, 3), fe.nn.relu(), fe.nn.linear(3, 2));
    const x = fe.tensor(uniform(mulberry32(1), 5 * 4), [5, 4]);
    const l0 = seq.at(0) as fe.nn.Linear, l2 = seq.at(-1) as fe.nn.Linear;
    expectClose(vals(seq.forward(x) as Tensor), vals(l2.forward(fe.relu(l0.forward(x)))), TOL);
    expect(seq.length).toBe(3);
    expect([...seq].map((m) => m.moduleName())).toEqual(['Linear', 'ReLU', 'Linear']);
    expect(Object.keys(seq.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    const named = fe.nn.sequential({ fc: fe.nn.linear(4, 2), act: fe.nn.tanh() });
    expect(named.get('fc')).toBeInstanceOf(fe.nn.Linear);
    expect(Object.keys(named.stateDict())).toEqual(['fc.weight', 'fc.bias']);
    seq.append(fe.nn.softmax());
    expect(seq.length).toBe(4);
    expect(() => seq.forward(fe.zeros([5, 3]))).toThrow(/^Sequential\[0\]: Linear\(inFeatures=4.*expected input with last dimension 4, got \[5, 3\]/);
    expect(() => fe.nn.sequential(fe.nn.relu(), 3 as never)).toThrow(/Sequential: argument 1 is not a Module/);
    expect(() => seq.at(7)).toThrow(/index 7 is out of range for 4 modules/);
  });

  it('moduleList registers by index and has no forward', () => {
    const list = fe.nn.moduleList([fe.nn.linear(2, 2), fe.nn.linear(2, 2)]);
    list.append(fe.nn.linear(2, 1));
    list.insert(0, fe.nn.linear(3, 2));
    expect(list.length).toBe(4);
    expect(Object.keys(list.stateDict())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '2.weight', '2.bias', '3.weight', '3.bias']);
    expect((list.at(0) as fe.nn.Linear).inFeatures).toBe(3);
    let x = fe.ones([1, 3]);
    for (const m of list) x = (m as fe.nn.Linear).forward(x);
    expect(x.shape).toEqual([1, 1]);
    expect(() => list.forward()).toThrow(/ModuleList has no forward/);
  });

  it('unknown options throw, naming the module and what it takes', () => {
    expect(() => fe.nn.batchNorm2d(3, { epsilon: 1e-3 } as never)).toThrow(/BatchNorm2d\(3\): unknown option 'epsilon' \(expected 'eps', 'momentum', 'affine', 'trackRunningStats', 'dataFormat'\)/);
    expect(() => fe.nn.linear(2, 2, { useBias: false } as never)).toThrow(/unknown option 'useBias'/);
    expect(() => fe.nn.conv2d(2, 2, 3, { dataFormat: 'NCHW' } as never)).toThrow(/dataFormat must be 'channelsLast' or 'channelsFirst', got "NCHW"/);
  });
});
