/**
 * The fused optimizer kernels added for Adagrad, Adadelta, Adamax (Keras / TensorFlow.js form)
 * and the PyTorch forms of SGD, Adam/AdamW, Adagrad and RMSprop: every backend against
 * hand-computed first steps and against the formulas over several steps, then each wasm build
 * against the js backend on random inputs of awkward sizes.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Backend, Storage } from '../ts/backend/backend';
import { createJsBackend } from '../ts/backend/js/js-backend';
import { Arena, expectClose, mulberry32, uniform, type Tolerance } from './helpers/reference';

const f32 = Math.fround;

async function wasmBackends(): Promise<{ label: string; be: Backend }[]> {
  const out: { label: string; be: Backend }[] = [];
  const mod = await import('../ts/backend/wasm/wasm-backend');
  for (const build of ['simd', 'relaxed'] as const) {
    if (!existsSync(fileURLToPath(new URL(`../wasm/ferrite-ml-${build}.wasm`, import.meta.url)))) continue;
    out.push({ label: `wasm-${build}`, be: await mod.createWasmBackend(build === 'relaxed' ? { build, relaxedSimd: true } : { build }) });
  }
  return out;
}

const JS = createJsBackend();
const WASM = await wasmBackends();
const BACKENDS = [{ label: 'js', be: JS as Backend }, ...WASM];

function withArena<T>(be: Backend, body: (h: Arena) => T): T {
  const h = new Arena(be);
  try {
    return body(h);
  } finally {
    h.dispose();
  }
}

// ---- references: float64 math, state rounded to float32 as the kernels store it ---------

type Vec = number[];

function adagradRef(p0: Vec, grads: Vec[], lr: number, init: number, eps: number) {
  const p = p0.map(f32);
  const acc = p.map(() => f32(init));
  for (const g of grads) {
    for (let i = 0; i < p.length; i++) {
      acc[i] = f32(acc[i] + g[i] * g[i]);
      p[i] = f32(p[i] - (lr * g[i]) / Math.sqrt(acc[i] + eps));
    }
  }
  return { p, acc };
}

function adadeltaRef(p0: Vec, grads: Vec[], lr: number, rho: number, eps: number) {
  const p = p0.map(f32);
  const ag = p.map(() => 0);
  const ad = p.map(() => 0);
  for (const g of grads) {
    for (let i = 0; i < p.length; i++) {
      ag[i] = f32(rho * ag[i] + (1 - rho) * g[i] * g[i]);
      const d = (Math.sqrt(ad[i] + eps) / Math.sqrt(ag[i] + eps)) * g[i];
      ad[i] = f32(rho * ad[i] + (1 - rho) * d * d);
      p[i] = f32(p[i] - lr * d);
    }
  }
  return { p, ag, ad };
}

function adamaxRef(p0: Vec, grads: Vec[], lr: number, b1: number, b2: number, eps: number) {
  const p = p0.map(f32);
  const m = p.map(() => 0);
  const u = p.map(() => 0);
  grads.forEach((g, s) => {
    const lrT = lr / (1 - b1 ** (s + 1));
    for (let i = 0; i < p.length; i++) {
      m[i] = f32(b1 * m[i] + (1 - b1) * g[i]);
      u[i] = f32(Math.max(b2 * u[i], Math.abs(g[i])));
      p[i] = f32(p[i] - (lrT * m[i]) / (u[i] + eps));
    }
  });
  return { p, m, u };
}

interface SgdTorchOpts { momentum: number; dampening: number; nesterov: boolean; wd: number }
function sgdTorchRef(p0: Vec, grads: Vec[], lrs: number[], o: SgdTorchOpts) {
  const p = p0.map(f32);
  const buf = p.map(() => 0);
  grads.forEach((g, s) => {
    for (let i = 0; i < p.length; i++) {
      let d = g[i] + o.wd * p[i];
      if (o.momentum !== 0) {
        buf[i] = f32(s === 0 ? d : o.momentum * buf[i] + (1 - o.dampening) * d);
        d = o.nesterov ? d + o.momentum * buf[i] : buf[i];
      }
      p[i] = f32(p[i] - lrs[s] * d);
    }
  });
  return { p, buf };
}

interface AdamTorchOpts { lr: number; b1: number; b2: number; eps: number; l2: number; decoupled: number; amsgrad: boolean }
function adamTorchRef(p0: Vec, grads: Vec[], o: AdamTorchOpts) {
  const p = p0.map(f32);
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const vm = p.map(() => 0);
  grads.forEach((g, s) => {
    const t = s + 1;
    const bc1 = 1 - o.b1 ** t;
    const bc2 = 1 - o.b2 ** t;
    for (let i = 0; i < p.length; i++) {
      const pi = p[i] * (1 - o.lr * o.decoupled);
      const d = g[i] + o.l2 * pi;
      m[i] = f32(o.b1 * m[i] + (1 - o.b1) * d);
      v[i] = f32(o.b2 * v[i] + (1 - o.b2) * d * d);
      vm[i] = Math.max(vm[i], v[i]);
      const second = o.amsgrad ? vm[i] : v[i];
      p[i] = f32(pi - ((o.lr / bc1) * m[i]) / (Math.sqrt(second) / Math.sqrt(bc2) + o.eps));
    }
  });
  return { p, m, v, vm };
}

function adamTorchStep(be: Backend, h: Arena, st: { p: Storage; m: Storage; v: Storage; vm: Storage | null }, g: ArrayLike<number>, t: number, n: number, o: AdamTorchOpts) {
  const bc1 = 1 - o.b1 ** t;
  const bc2 = 1 - o.b2 ** t;
  be.adamTorch(st.p, h.f32(g), st.m, st.v, st.vm, n, o.lr / bc1, o.b1, o.b2, o.eps, Math.sqrt(bc2), o.l2, 1 - o.lr * o.decoupled);
}

function adagradTorchRef(p0: Vec, grads: Vec[], lr: number, lrDecay: number, eps: number, wd: number) {
  const p = p0.map(f32);
  const sum = p.map(() => 0);
  grads.forEach((g, s) => {
    const clr = lr / (1 + s * lrDecay);
    for (let i = 0; i < p.length; i++) {
      const d = g[i] + wd * p[i];
      sum[i] = f32(sum[i] + d * d);
      p[i] = f32(p[i] - (clr * d) / (Math.sqrt(sum[i]) + eps));
    }
  });
  return { p, sum };
}

interface RmsTorchOpts { alpha: number; eps: number; wd: number; momentum: number; centered: boolean }
function rmspropTorchRef(p0: Vec, grads: Vec[], lrs: number[], o: RmsTorchOpts) {
  const p = p0.map(f32);
  const sq = p.map(() => 0);
  const ga = p.map(() => 0);
  const buf = p.map(() => 0);
  grads.forEach((g, s) => {
    for (let i = 0; i < p.length; i++) {
      const d = g[i] + o.wd * p[i];
      sq[i] = f32(o.alpha * sq[i] + (1 - o.alpha) * d * d);
      let variance = sq[i];
      if (o.centered) {
        ga[i] = f32(o.alpha * ga[i] + (1 - o.alpha) * d);
        variance = Math.max(variance - ga[i] * ga[i], 0);
      }
      const step = d / (Math.sqrt(variance) + o.eps);
      if (o.momentum > 0) {
        buf[i] = f32(o.momentum * buf[i] + step);
        p[i] = f32(p[i] - lrs[s] * buf[i]);
      } else {
        p[i] = f32(p[i] - lrs[s] * step);
      }
    }
  });
  return { p, sq, ga, buf };
}

// ---- part 1: every backend against hand-computed values and the formulas ---------------

const P0 = [0.5, -1, 2, 0, 0.25];
const GRADS = [
  [0.1, -0.2, 0.3, 0, 1],
  [0.2, 0.1, -0.3, 0.5, 1],
  [-0.1, -0.2, 0.3, 0.5, 1],
  [0.3, 0.2, 0.1, -0.5, 1],
  [0.05, -0.4, 0.2, 0.5, 1],
];
const N = P0.length;
const TOL: Tolerance = { rtol: 1e-5, atol: 1e-6 };
/** Learning rates changing every step, as a scheduler would change them. */
const LRS = [0.1, 0.05, 0.08, 0.02, 0.01];

for (const { label, be } of BACKENDS) {
  describe(`${label}: optimizer kernels by hand and against the formulas`, () => {
    const test = (name: string, body: (h: Arena) => void) => it(name, () => withArena(be, body));

    test('adagrad: one step by hand (accumulator starts at 0.1)', (h) => {
      const p = h.f32([1]);
      const acc = h.f32([0.1]);
      be.adagrad(p, h.f32([0.5]), acc, 1, 0.1, 1e-7);
      expectClose(h.read(acc), [0.35], { rtol: 1e-6 });
      expectClose(h.read(p), [0.9154845866], { rtol: 1e-6 });
    });

    test('adadelta: one step by hand (the updated accumulator divides)', (h) => {
      const p = h.f32([1]);
      const ag = h.f32(1);
      const ad = h.f32(1);
      be.adadelta(p, h.f32([2]), ag, ad, 1, 1, 0.95, 1e-6);
      expectClose(h.read(ag), [0.2], { rtol: 1e-6 });
      expectClose(h.read(p), [0.9955278752], { rtol: 1e-6 });
      expectClose(h.read(ad), [9.99995e-7], { rtol: 1e-4 });
    });

    test('adamax: the first step moves each parameter by lr against its gradient', (h) => {
      const p = h.f32([1, 1]);
      be.adamax(p, h.f32([0.5, -2]), h.f32(2), h.f32(2), 2, 0.002 / (1 - 0.9), 0.9, 0.999, 1e-7);
      expectClose(h.read(p), [0.998, 1.002], { atol: 1e-6 });
    });

    test('adagrad, adadelta, adamax: five steps against the formulas', (h) => {
      for (const eps of [1e-7, 0.05]) {
        const p = h.f32(P0);
        const acc = h.f32(new Array(N).fill(0.1));
        for (const g of GRADS) be.adagrad(p, h.f32(g), acc, N, 0.05, eps);
        const a = adagradRef(P0, GRADS, 0.05, 0.1, eps);
        expectClose(h.read(p), a.p, TOL, `adagrad p eps ${eps}`);
        expectClose(h.read(acc), a.acc, TOL, `adagrad acc eps ${eps}`);

        const pd = h.f32(P0);
        const ag = h.f32(N);
        const ad = h.f32(N);
        for (const g of GRADS) be.adadelta(pd, h.f32(g), ag, ad, N, 1, 0.9, eps);
        const d = adadeltaRef(P0, GRADS, 1, 0.9, eps);
        expectClose(h.read(pd), d.p, TOL, `adadelta p eps ${eps}`);
        expectClose(h.read(ag), d.ag, TOL, `adadelta accG eps ${eps}`);
        expectClose(h.read(ad), d.ad, TOL, `adadelta accD eps ${eps}`);

        const pm = h.f32(P0);
        const m = h.f32(N);
        const u = h.f32(N);
        GRADS.forEach((g, s) => be.adamax(pm, h.f32(g), m, u, N, 0.01 / (1 - 0.9 ** (s + 1)), 0.9, 0.999, eps));
        const x = adamaxRef(P0, GRADS, 0.01, 0.9, 0.999, eps);
        expectClose(h.read(pm), x.p, TOL, `adamax p eps ${eps}`);
        expectClose(h.read(m), x.m, TOL, `adamax m eps ${eps}`);
        expectClose(h.read(u), x.u, TOL, `adamax u eps ${eps}`);
      }
    });

    test('sgdTorch: momentum with dampening, nesterov and weight decay by hand', (h) => {
      const p = h.f32([1]);
      const buf = h.f32([123]); // the first step overwrites the buffer with d
      be.sgdTorch(p, h.f32([0.5]), buf, 1, 0.1, 0.9, 0.5, false, 0, true);
      expectClose(h.read(buf), [0.5], { rtol: 1e-6 }, 'first buffer');
      expectClose(h.read(p), [0.95], { rtol: 1e-6 }, 'dampened step 1');
      be.sgdTorch(p, h.f32([0.5]), buf, 1, 0.1, 0.9, 0.5, false, 0, false);
      expectClose(h.read(p), [0.88], { rtol: 1e-6 }, 'dampened step 2 (buf 0.7)');

      const pn = h.f32([1]);
      const bn = h.f32(1);
      be.sgdTorch(pn, h.f32([0.5]), bn, 1, 0.1, 0.9, 0, true, 0, true);
      expectClose(h.read(pn), [0.905], { rtol: 1e-6 }, 'nesterov step 1');
      be.sgdTorch(pn, h.f32([0.5]), bn, 1, 0.1, 0.9, 0, true, 0, false);
      expectClose(h.read(pn), [0.7695], { rtol: 1e-6 }, 'nesterov step 2');

      const pw = h.f32([2]);
      be.sgdTorch(pw, h.f32([0]), null, 1, 0.5, 0, 0, false, 0.1, true);
      expectClose(h.read(pw), [1.9], { rtol: 1e-6 }, 'weight decay alone');
    });

    test('sgdTorch: six variants over five steps with a changing lr against the formula', (h) => {
      const variants: SgdTorchOpts[] = [
        { momentum: 0, dampening: 0, nesterov: false, wd: 0 },
        { momentum: 0, dampening: 0, nesterov: false, wd: 0.1 },
        { momentum: 0.9, dampening: 0, nesterov: false, wd: 0 },
        { momentum: 0.9, dampening: 0.3, nesterov: false, wd: 0.01 },
        { momentum: 0.9, dampening: 0, nesterov: true, wd: 0 },
        { momentum: 0.5, dampening: 0, nesterov: true, wd: 0.05 },
      ];
      for (const o of variants) {
        const p = h.f32(P0);
        const buf = o.momentum ? h.f32(N) : null;
        GRADS.forEach((g, s) => be.sgdTorch(p, h.f32(g), buf, N, LRS[s], o.momentum, o.dampening, o.nesterov, o.wd, s === 0));
        const want = sgdTorchRef(P0, GRADS, LRS, o);
        expectClose(h.read(p), want.p, TOL, `p ${JSON.stringify(o)}`);
        if (buf) expectClose(h.read(buf), want.buf, TOL, `buf ${JSON.stringify(o)}`);
      }
    });

    test('adamTorch: the first step moves by about lr; AdamW shrinks the weights first', (h) => {
      const p = h.f32([1, 1]);
      be.adamTorch(p, h.f32([0.5, -2]), h.f32(2), h.f32(2), null, 2, 0.01 / 0.1, 0.9, 0.999, 1e-8, Math.sqrt(0.001), 0, 1);
      expectClose(h.read(p), [0.99, 1.01], { atol: 1e-6 });
      const pw = h.f32([1, 1]);
      be.adamTorch(pw, h.f32([0.5, -2]), h.f32(2), h.f32(2), null, 2, 0.01 / 0.1, 0.9, 0.999, 1e-8, Math.sqrt(0.001), 0, 1 - 0.01 * 0.5);
      expectClose(h.read(pw), [0.985, 1.005], { atol: 1e-6 });
    });

    test('adamTorch: Adam, amsgrad, L2 decay, AdamW (+ amsgrad) over six steps against the formula', (h) => {
      // shrinking gradients, so amsgrad's running max differs from v
      const grads = [...GRADS, GRADS[0]].map((g, s) => g.map((x) => x / (s + 1)));
      const base = { lr: 0.01, b1: 0.9, b2: 0.999, eps: 1e-8 };
      const variants: AdamTorchOpts[] = [
        { ...base, l2: 0, decoupled: 0, amsgrad: false },
        { ...base, l2: 0, decoupled: 0, amsgrad: true },
        { ...base, l2: 0.1, decoupled: 0, amsgrad: false },
        { ...base, l2: 0, decoupled: 0.01, amsgrad: false },
        { ...base, l2: 0, decoupled: 0.01, amsgrad: true, eps: 0.05 },
      ];
      for (const o of variants) {
        const st = { p: h.f32(P0), m: h.f32(N), v: h.f32(N), vm: o.amsgrad ? h.f32(N) : null };
        grads.forEach((g, s) => adamTorchStep(be, h, st, g, s + 1, N, o));
        const want = adamTorchRef(P0, grads, o);
        const what = JSON.stringify(o);
        expectClose(h.read(st.p), want.p, TOL, `p ${what}`);
        expectClose(h.read(st.m), want.m, TOL, `m ${what}`);
        expectClose(h.read(st.v), want.v, TOL, `v ${what}`);
        if (st.vm) expectClose(h.read(st.vm), want.vm, TOL, `vMax ${what}`);
      }
    });

    test('adagradTorch: one step by hand, five against the formula', (h) => {
      const p = h.f32([1]);
      be.adagradTorch(p, h.f32([0.5]), h.f32(1), 1, 0.1, 1e-10, 0);
      expectClose(h.read(p), [0.9], { rtol: 1e-6 });
      for (const [lrDecay, wd] of [[0, 0], [0.1, 0.05]]) {
        const pt = h.f32(P0);
        const sum = h.f32(N);
        GRADS.forEach((g, s) => be.adagradTorch(pt, h.f32(g), sum, N, 0.1 / (1 + s * lrDecay), 1e-10, wd));
        const want = adagradTorchRef(P0, GRADS, 0.1, lrDecay, 1e-10, wd);
        expectClose(h.read(pt), want.p, TOL, `p lrDecay ${lrDecay} wd ${wd}`);
        expectClose(h.read(sum), want.sum, TOL, `sum lrDecay ${lrDecay} wd ${wd}`);
      }
    });

    test('rmspropTorch: one step by hand, four variants against the formula', (h) => {
      const p = h.f32([1]);
      be.rmspropTorch(p, h.f32([0.5]), h.f32(1), null, null, 1, 0.01, 0.99, 1e-8, 0, 0);
      expectClose(h.read(p), [0.9], { rtol: 1e-6 });
      const variants: RmsTorchOpts[] = [
        { alpha: 0.99, eps: 1e-8, wd: 0, momentum: 0, centered: false },
        { alpha: 0.99, eps: 1e-8, wd: 0, momentum: 0, centered: true },
        { alpha: 0.9, eps: 1e-8, wd: 0, momentum: 0.9, centered: false },
        { alpha: 0.9, eps: 0.05, wd: 0.1, momentum: 0.5, centered: true },
      ];
      for (const o of variants) {
        const pt = h.f32(P0);
        const sq = h.f32(N);
        const ga = o.centered ? h.f32(N) : null;
        const buf = o.momentum ? h.f32(N) : null;
        GRADS.forEach((g, s) => be.rmspropTorch(pt, h.f32(g), sq, ga, buf, N, LRS[s] / 10, o.alpha, o.eps, o.wd, o.momentum));
        const want = rmspropTorchRef(P0, GRADS, LRS.map((l) => l / 10), o);
        const what = JSON.stringify(o);
        // the centered variance cancels: allow a looser tolerance there
        const tol = o.centered ? { rtol: 1e-4, atol: 1e-6 } : TOL;
        expectClose(h.read(pt), want.p, tol, `p ${what}`);
        expectClose(h.read(sq), want.sq, TOL, `sq ${what}`);
        if (ga) expectClose(h.read(ga), want.ga, TOL, `gAvg ${what}`);
        if (buf) expectClose(h.read(buf), want.buf, tol, `buf ${what}`);
      }
    });
  });
}

describe('js: optimizer kernel errors', () => {
  it('momentum without a buffer is refused, not silently plain SGD', () => {
    withArena(JS, (h) => {
      expect(() => JS.sgdTorch(h.f32([1]), h.f32([1]), null, 1, 0.1, 0.9, 0, false, 0, true)).toThrow(/momentum/);
      expect(() => JS.rmspropTorch(h.f32([1]), h.f32([1]), h.f32(1), null, null, 1, 0.1, 0.9, 1e-8, 0, 0.9)).toThrow(/momentum/);
    });
  });
  it('a storage shorter than n is refused', () => {
    withArena(JS, (h) => {
      expect(() => JS.adagrad(h.f32(3), h.f32(3), h.f32(2), 3, 0.1, 1e-7)).toThrow(/needs 3 elements/);
    });
  });
});

// ---- part 2: each wasm build against the js backend on random inputs ------------------

const SIZES = [1, 3, 5, 17, 33, 65, 1000];

for (const { label, be: wasm } of WASM) {
  it(`${label} matches js: every optimizer kernel over five steps on random parameters`, () => {
    const rng = mulberry32(77);
    for (const n of SIZES) {
      const p0 = uniform(rng, n);
      const gs = Array.from({ length: 5 }, () => uniform(rng, n));
      const run = (be: Backend) => withArena(be, (h) => {
        const res: Record<string, Float32Array> = {};
        const p = h.f32(p0);
        const acc = h.f32(new Float32Array(n).fill(0.1));
        for (const g of gs) be.adagrad(p, h.f32(g), acc, n, 0.05, 1e-7);
        Object.assign(res, { adagradP: h.read(p), adagradAcc: h.read(acc) });

        const pd = h.f32(p0);
        const ag = h.f32(n);
        const ad = h.f32(n);
        for (const g of gs) be.adadelta(pd, h.f32(g), ag, ad, n, 1, 0.95, 1e-7);
        Object.assign(res, { adadeltaP: h.read(pd), adadeltaAccG: h.read(ag), adadeltaAccD: h.read(ad) });

        const pm = h.f32(p0);
        const m = h.f32(n);
        const u = h.f32(n);
        gs.forEach((g, s) => be.adamax(pm, h.f32(g), m, u, n, 0.002 / (1 - 0.9 ** (s + 1)), 0.9, 0.999, 1e-7));
        Object.assign(res, { adamaxP: h.read(pm), adamaxM: h.read(m), adamaxU: h.read(u) });

        for (const [mo, damp, nest, wd] of [[0, 0, false, 0.01], [0.9, 0.1, false, 0], [0.9, 0, true, 0.01]] as const) {
          const ps = h.f32(p0);
          const buf = mo ? h.f32(n) : null;
          gs.forEach((g, s) => be.sgdTorch(ps, h.f32(g), buf, n, LRS[s], mo, damp, nest, wd, s === 0));
          res[`sgdTorch ${mo} ${damp} ${nest} ${wd}`] = h.read(ps);
        }

        for (const [amsgrad, l2, dec] of [[false, 0, 0], [true, 0.01, 0], [true, 0, 0.01]] as const) {
          const o = { lr: 0.001, b1: 0.9, b2: 0.999, eps: 1e-8, l2, decoupled: dec, amsgrad };
          const st = { p: h.f32(p0), m: h.f32(n), v: h.f32(n), vm: amsgrad ? h.f32(n) : null };
          gs.forEach((g, s) => adamTorchStep(be, h, st, g, s + 1, n, o));
          res[`adamTorch p ${amsgrad} ${l2} ${dec}`] = h.read(st.p);
          res[`adamTorch v ${amsgrad} ${l2} ${dec}`] = h.read(st.v);
        }

        const pa = h.f32(p0);
        const sum = h.f32(n);
        gs.forEach((g, s) => be.adagradTorch(pa, h.f32(g), sum, n, 0.01 / (1 + s * 0.1), 1e-10, 0.01));
        Object.assign(res, { adagradTorchP: h.read(pa), adagradTorchSum: h.read(sum) });

        for (const [centered, mo] of [[false, 0], [true, 0.9]] as const) {
          const pr = h.f32(p0);
          const sq = h.f32(n);
          const ga = centered ? h.f32(n) : null;
          const buf = mo ? h.f32(n) : null;
          for (const g of gs) be.rmspropTorch(pr, h.f32(g), sq, ga, buf, n, 0.001, 0.99, 1e-8, 0.01, mo);
          res[`rmspropTorch ${centered} ${mo}`] = h.read(pr);
        }
        return res;
      });
      const w = run(wasm);
      const j = run(JS);
      for (const key of Object.keys(j)) expectClose(w[key], j[key], { rtol: 1e-4, atol: 1e-6 }, `${key} n=${n}`);
    }
  });
}
