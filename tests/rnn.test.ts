// The recurrent op (one fused kernel call forward, one backward): gradients through time by
// finite differences, every cell and option, on each backend; the wasm kernels against the js
// reference on random inputs.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { rnn, type RnnOpConfig } from '../ts/ops/rnn';
import { BACKENDS, useBackend, wasmBuilt } from './helpers/backends';
import { mulberry32, uniform } from './helpers/reference';

type Cell = 'lstm' | 'gru' | 'gru-before' | 'simple';
const CELLS: Cell[] = ['lstm', 'gru', 'gru-before', 'simple'];

interface Case {
  cell: Cell;
  steps: number;
  batch: number;
  input: number;
  units: number;
  returnSequences?: boolean;
  goBackwards?: boolean;
  timeMajor?: boolean;
  bias?: boolean;
  init?: boolean;
  mask?: boolean;
  rmask?: boolean;
  returnState?: boolean;
  activation?: 'tanh' | 'sigmoid' | 'linear';
  recurrentActivation?: 'sigmoid' | 'tanh';
}

interface Data {
  x: Float32Array; kernel: Float32Array; rec: Float32Array; bias: Float32Array | null;
  h0: Float32Array | null; c0: Float32Array | null; mask: Float32Array | null; rmask: Float32Array | null;
}

const gatesOf = (c: Cell) => (c === 'lstm' ? 4 : c === 'simple' ? 1 : 3);
const biasShape = (c: Case) => (c.cell === 'gru' ? [2, 3 * c.units] : [gatesOf(c.cell) * c.units]);
const xShape = (c: Case) => (c.timeMajor ? [c.steps, c.batch, c.input] : [c.batch, c.steps, c.input]);

function data(c: Case, seed: number): Data {
  const r = mulberry32(seed);
  const gu = gatesOf(c.cell) * c.units, n = c.batch * c.units;
  const mask = c.mask ? new Float32Array(c.batch * c.steps).fill(1) : null;
  if (mask) {
    // sample 0: padded at the start; sample 1: at the end; a step masked in the middle of the last.
    for (let t = 0; t < Math.min(2, c.steps - 1); t++) mask[t] = 0;
    if (c.batch > 1) mask[c.steps + c.steps - 1] = 0;
    if (c.batch > 2 && c.steps > 2) mask[(c.batch - 1) * c.steps + 1] = 0;
  }
  return {
    x: uniform(r, c.steps * c.batch * c.input, -1, 1),
    kernel: uniform(r, c.input * gu, -0.7, 0.7),
    rec: uniform(r, c.units * gu, -0.7, 0.7),
    bias: c.bias === false ? null : uniform(r, biasShape(c).reduce((a, b) => a * b), -0.5, 0.5),
    h0: c.init ? uniform(r, n, -0.8, 0.8) : null,
    c0: c.init && c.cell === 'lstm' ? uniform(r, n, -0.8, 0.8) : null,
    mask,
    rmask: c.rmask ? Float32Array.from(uniform(r, n, 0, 1), (v) => (v < 0.3 ? 0 : 1 / 0.7)) : null,
  };
}

function opConfig(c: Case): RnnOpConfig {
  return {
    cell: c.cell === 'gru-before' ? 'gru' : c.cell, resetAfter: c.cell !== 'gru-before', units: c.units,
    returnSequences: c.returnSequences, goBackwards: c.goBackwards, timeMajor: c.timeMajor, returnState: c.returnState,
    activation: c.activation, recurrentActivation: c.recurrentActivation,
  };
}

/** Tensors of the data: the differentiable ones as variables. */
function tensors(c: Case, d: Data) {
  const v = (a: Float32Array, shape: number[]) => fe.variable(fe.tensor(a, shape));
  const n = [c.batch, c.units];
  return {
    x: v(d.x, xShape(c)),
    kernel: v(d.kernel, [c.input, gatesOf(c.cell) * c.units]),
    rec: v(d.rec, [c.units, gatesOf(c.cell) * c.units]),
    bias: d.bias ? v(d.bias, biasShape(c)) : null,
    h0: d.h0 ? v(d.h0, n) : null,
    c0: d.c0 ? v(d.c0, n) : null,
    mask: d.mask ? fe.tensor(d.mask, [c.batch, c.steps]) : null,
    rmask: d.rmask ? fe.tensor(d.rmask, n) : null,
  };
}

type T = ReturnType<typeof tensors>;

function run(c: Case, t: T) {
  const init = t.h0 ? [t.h0, ...(t.c0 ? [t.c0] : [])] : null;
  return rnn(t.x, opConfig(c), { kernel: t.kernel, recurrentKernel: t.rec, bias: t.bias }, { initialState: init, mask: t.mask, recurrentMask: t.rmask });
}

/** Every output (y, then the states) flattened, for a weighted sum. */
function outputs(c: Case, t: T): fe.Tensor[] {
  const r = run(c, t);
  return [r.output, ...r.states];
}

function params(t: T): fe.Variable[] {
  return [t.x, t.kernel, t.rec, t.bias, t.h0, t.c0].filter((p): p is fe.Variable => p !== null);
}

/** L = Σ w·outputs in float64, from values read back. */
function lossValue(c: Case, t: T, w: Float32Array[]): number {
  return fe.noGrad(() => {
    let l = 0;
    outputs(c, t).forEach((o, i) => {
      const v = o.dataSync();
      for (let j = 0; j < v.length; j++) l += v[j] * w[i][j];
      o.dispose();
    });
    return l;
  });
}

function gradCheck(c: Case, seed: number): void {
  const d = data(c, seed);
  const t = tensors(c, d);
  const r = mulberry32(seed + 1);
  const outs = outputs(c, t);
  const w = outs.map((o) => uniform(r, o.size, -1, 1));
  const loss = outs.map((o, i) => fe.sum(fe.mul(o, fe.tensor(w[i], o.shape)))).reduce((a, b) => fe.add(a, b));
  loss.backward();
  const eps = 1e-2;
  for (const p of params(t)) {
    const g = p.grad!.dataSync();
    const vals = p.dataSync() as Float32Array;
    for (let i = 0; i < vals.length; i++) {
      const orig = vals[i];
      vals[i] = orig + eps;
      p.assign(fe.tensor(vals, p.shape));
      const lp = lossValue(c, t, w);
      vals[i] = orig - eps;
      p.assign(fe.tensor(vals, p.shape));
      const lm = lossValue(c, t, w);
      vals[i] = orig;
      p.assign(fe.tensor(vals, p.shape));
      const num = (lp - lm) / (2 * eps);
      const ok = Math.abs(g[i] - num) <= 3e-3 + 1e-2 * Math.abs(num);
      if (!ok) throw new Error(`${JSON.stringify(c)}: d/d${p.name ?? 'param'}[${i}] = ${g[i]}, finite differences ${num}`);
    }
  }
}

const base = { steps: 4, batch: 3, input: 3, units: 5 };

describe.each(BACKENDS)('recurrent op on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(CELLS)('%s: gradients through time match finite differences (sequences, states, initial state)', (cell) => {
    gradCheck({ cell, ...base, returnSequences: true, init: true, returnState: true }, 11);
  });

  it.each(CELLS)('%s: gradients with the last output only, no bias, time-major, going backwards', (cell) => {
    gradCheck({ cell, ...base, bias: false, timeMajor: true, goBackwards: true }, 12);
  });

  it.each(CELLS)('%s: gradients with masked steps (state carried through padding)', (cell) => {
    gradCheck({ cell, ...base, returnSequences: true, mask: true, init: true, returnState: true }, 13);
    gradCheck({ cell, ...base, mask: true, goBackwards: true }, 14);
  });

  it.each(CELLS)('%s: gradients with recurrent dropout and other activations', (cell) => {
    gradCheck({ cell, ...base, returnSequences: true, rmask: true }, 15);
    gradCheck({ cell, steps: 3, batch: 2, input: 2, units: 3, activation: 'sigmoid', recurrentActivation: 'tanh', returnState: true }, 16);
  });

  it('awkward sizes: one step, one unit, one sample', () => {
    for (const cell of CELLS) gradCheck({ cell, steps: 1, batch: 1, input: 1, units: 1, returnState: true, init: true }, 17);
  });

  it('a fully masked sample keeps its initial state and repeats it', () => {
    const c: Case = { cell: 'lstm', ...base, returnSequences: true, init: true, returnState: true };
    const d = data(c, 3);
    d.mask = new Float32Array(c.batch * c.steps).fill(1);
    d.mask.fill(0, c.steps, 2 * c.steps); // sample 1
    const t = tensors(c, d);
    const [y, h, cc] = outputs(c, t);
    const ys = y.arraySync() as number[][][];
    const h0 = Array.from(d.h0!.subarray(5, 10));
    for (let s = 0; s < c.steps; s++) ys[1][s].forEach((v, j) => expect(v).toBeCloseTo(h0[j], 6));
    expect(Array.from(h.dataSync().subarray(5, 10))).toEqual(Array.from(d.h0!.subarray(5, 10)));
    expect(Array.from(cc.dataSync().subarray(5, 10))).toEqual(Array.from(d.c0!.subarray(5, 10)));
  });

  it('rejects bad shapes with the expected and actual shapes', () => {
    const c: Case = { cell: 'gru', ...base };
    const t = tensors(c, data(c, 1));
    const cfg = { ...opConfig(c), name: 'my_gru' };
    expect(() => rnn(fe.zeros([3, 4, 2]), cfg, { kernel: t.kernel, recurrentKernel: t.rec, bias: t.bias }))
      .toThrow(/my_gru: expected kernel of shape \[2, 15\], got \[3, 15\]/);
    expect(() => rnn(t.x, cfg, { kernel: t.kernel, recurrentKernel: t.rec, bias: fe.zeros([15]) }))
      .toThrow(/my_gru: expected bias of shape \[2, 15\], got \[15\]/);
    expect(() => rnn(t.x, cfg, { kernel: t.kernel, recurrentKernel: t.rec }, { mask: fe.ones([3, 5]) }))
      .toThrow(/my_gru: expected a mask of shape \[3, 4\]/);
    expect(() => rnn(t.x, cfg, { kernel: t.kernel, recurrentKernel: t.rec }, { initialState: [fe.zeros([3, 5]), fe.zeros([3, 5])] }))
      .toThrow(/my_gru: expected 1 initial state tensor/);
    expect(() => rnn(fe.zeros([3, 4]), cfg, { kernel: t.kernel, recurrentKernel: t.rec })).toThrow(/my_gru: expected input of rank 3/);
  });
});

describe.runIf(wasmBuilt)('recurrent kernels: wasm against the js reference', () => {
  const cases: Case[] = [];
  for (const cell of CELLS) {
    cases.push(
      { cell, steps: 7, batch: 5, input: 6, units: 9, returnSequences: true, init: true, returnState: true },
      { cell, steps: 5, batch: 4, input: 3, units: 8, mask: true, goBackwards: true, timeMajor: true, returnState: true },
      { cell, steps: 3, batch: 2, input: 5, units: 13, rmask: true, bias: false, returnSequences: true },
      { cell, steps: 12, batch: 32, input: 16, units: 32, returnSequences: cell !== 'lstm' },
    );
  }

  /** Outputs and gradients of L = Σ w·outputs. */
  async function onBackend(name: 'js' | 'wasm', c: Case, seed: number): Promise<Float32Array[]> {
    await useBackend(name);
    const t = tensors(c, data(c, seed));
    const outs = outputs(c, t);
    const r = mulberry32(seed + 5);
    const loss = outs.map((o) => fe.sum(fe.mul(o, fe.tensor(uniform(r, o.size, -1, 1), o.shape)))).reduce((a, b) => fe.add(a, b));
    loss.backward();
    return [...outs.map((o) => o.dataSync() as Float32Array), ...params(t).map((p) => p.grad!.dataSync() as Float32Array)];
  }

  it.each(cases.map((c, i) => [i, c] as const))('case %i agrees', async (i, c) => {
    const js = await onBackend('js', c, 100 + i);
    const wasm = await onBackend('wasm', c, 100 + i);
    expect(wasm.length).toBe(js.length);
    js.forEach((ref, k) => {
      const got = wasm[k];
      expect(got.length).toBe(ref.length);
      const scale = Math.max(1, ...Array.from(ref, Math.abs));
      for (let j = 0; j < ref.length; j++) {
        if (Math.abs(got[j] - ref[j]) > 2e-5 * scale + 1e-4 * Math.abs(ref[j])) {
          throw new Error(`${JSON.stringify(c)}: array ${k}[${j}]: wasm ${got[j]}, js ${ref[j]}`);
        }
      }
    });
  });
});
