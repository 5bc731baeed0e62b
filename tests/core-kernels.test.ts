/**
 * The numeric core on the real wasm builds (simd and relaxed): sgemm over every edge tile and
 * transpose, around the cache blocks and on skinny shapes, against a float64 reference; the
 * SIMD approximations (exp, log, log1p, tanh, sigmoid, softplus, gelu) against Math.* over the
 * whole float range; the fused bias + activation kernels against the js backend, and the
 * biasAddActivation op (and Dense, which uses it) against finite differences and the
 * separate ops.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import type { Tensor } from 'ferrite-ml';
import { biasActGradNeedsPre, type Backend, type BiasActivation, type UnaryOp } from '../ts/backend/backend';
import { createJsBackend } from '../ts/backend/js/js-backend';
import { createWasmBackend } from '../ts/backend/wasm/wasm-backend';
import { biasAddActivation } from '../ts/ops/fused-dense';
import { backends, expectGradcheck, Gen, useBackend } from './helpers/gradcheck';
import { Arena, expectClose, mulberry32, naiveMatmul, uniform, type Rng } from './helpers/reference';

const built = (b: string) => existsSync(fileURLToPath(new URL(`../wasm/ferrite-ml-${b}.wasm`, import.meta.url)));
const BUILDS: { label: string; be: Backend }[] = [];
if (built('simd')) BUILDS.push({ label: 'wasm-simd', be: await createWasmBackend({ build: 'simd' }) });
if (built('relaxed')) BUILDS.push({ label: 'wasm-relaxed', be: await createWasmBackend({ build: 'relaxed', relaxedSimd: true }) });
const JS = createJsBackend();

const ACTS: BiasActivation[] = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softplus', 'elu', 'selu', 'gelu'];

// ---- sgemm ------------------------------------------------------------------------------

/** C = alpha·op(A)·op(B) + beta·C on `be`, checked against float64 within k·u of Σ|terms|. */
function checkGemm(
  be: Backend, rng: Rng, m: number, n: number, k: number, tA: boolean, tB: boolean, alpha = 1, beta = 0,
): void {
  const a = uniform(rng, m * k);
  const b = uniform(rng, k * n);
  const c0 = beta === 0 ? new Float32Array(m * n).fill(NaN) : uniform(rng, m * n);
  const h = new Arena(be);
  try {
    const c = h.f32(c0);
    be.matmul(h.f32(a), 0, 0, h.f32(b), 0, 0, c, 0, 0, 1, m, n, k, tA, tB, alpha, beta);
    const got = h.read(c);
    const want = naiveMatmul(a, b, beta === 0 ? new Float32Array(m * n) : c0, m, n, k, tA, tB, alpha, beta);
    const bound = naiveMatmul(a.map(Math.abs), b.map(Math.abs), c0.map((v) => (beta === 0 ? 0 : Math.abs(v))), m, n, k, tA, tB, Math.abs(alpha), Math.abs(beta));
    expectClose(got, want, { atol: bound.map((x) => (k + 2) * 1.2e-7 * x + 1e-30) }, `m ${m} n ${n} k ${k} transA ${tA} transB ${tB} alpha ${alpha} beta ${beta}`);
  } finally {
    h.dispose();
  }
}

const TRANSPOSES: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];

describe.skipIf(BUILDS.length === 0)('sgemm on the wasm builds', () => {
  for (const { label, be } of BUILDS) {
    it(`${label}: every m, n in 1…17 (each edge tile, one and two full tiles), all transposes`, () => {
      const rng = mulberry32(1);
      const ks = [1, 2, 3, 5, 8, 13, 31, 64];
      for (let m = 1; m <= 17; m++) {
        for (let n = 1; n <= 17; n++) {
          for (const [tA, tB] of TRANSPOSES) checkGemm(be, rng, m, n, ks[(m * 7 + n * 3) % ks.length], tA, tB);
        }
      }
    });

    it(`${label}: depths and rows around the cache blocks, alpha and beta`, () => {
      const rng = mulberry32(2);
      for (const k of [255, 256, 257, 513]) {
        for (const [tA, tB] of TRANSPOSES) checkGemm(be, rng, 13, 17, k, tA, tB, 1, 0);
      }
      for (const m of [119, 120, 121, 241]) {
        for (const [tA, tB] of TRANSPOSES) checkGemm(be, rng, m, 9, 20, tA, tB, -0.5, 0.75);
      }
      checkGemm(be, rng, 130, 2100, 40, false, true, 1, 1); // more than one column block
    });

    it(`${label}: skinny shapes (LSTM steps, batch-1 inference, narrow outputs)`, () => {
      const rng = mulberry32(3);
      const shapes = [[32, 128, 32], [32, 32, 128], [32, 128, 16], [1, 1024, 64], [2, 300, 33], [4, 64, 64], [64, 1, 33], [200, 3, 9], [48, 512, 24]];
      for (const [m, n, k] of shapes) {
        for (const [tA, tB] of TRANSPOSES) {
          checkGemm(be, rng, m, n, k, tA, tB);
          checkGemm(be, rng, m, n, k, tA, tB, 2, 1);
        }
      }
    });
  }
});

// ---- approximations ---------------------------------------------------------------------

/** Φ(x) in float64 to ~1e-15: the erf series near 0, the erfc continued fraction in the tails. */
function phi64(x: number): number {
  const z = Math.abs(x) * Math.SQRT1_2;
  let erfc: number;
  if (z < 2.5) {
    let term = z;
    let sum = z;
    for (let n = 1; n < 200; n++) {
      term *= (-z * z) / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    erfc = 1 - (sum * 2) / Math.sqrt(Math.PI);
  } else {
    // Lentz's method for z + 1/2/(z + 1/(z + 3/2/(z + …)))
    let f = z, c = z, d = 0;
    for (let n = 1; n < 500; n++) {
      const a = n / 2;
      d = 1 / (z + a * d);
      c = z + a / c;
      const delta = c * d;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    erfc = Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? erfc / 2 : 1 - erfc / 2;
}

const APPROX: { op: UnaryOp; ref: (x: number) => number; maxRel: number; domain?: (x: number) => boolean }[] = [
  { op: 'exp', ref: Math.exp, maxRel: 1.5e-7 },
  { op: 'log', ref: Math.log, maxRel: 1.5e-7 },
  { op: 'log1p', ref: Math.log1p, maxRel: 3e-7 },
  { op: 'tanh', ref: Math.tanh, maxRel: 2.5e-7 },
  { op: 'sigmoid', ref: (x) => 1 / (1 + Math.exp(-x)), maxRel: 3e-7 },
  { op: 'softplus', ref: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), maxRel: 3e-7 },
  { op: 'gelu', ref: (x) => (x === Infinity ? x : x === -Infinity ? 0 : x * phi64(x)), maxRel: 6e-7 },
];

/** Every 3001st float32 bit pattern of both signs (all exponents, subnormals included), a dense sweep of [-100, 100], the specials. */
function testPoints(): Float32Array {
  const bits: number[] = [];
  for (let b = 1; b < 0x7f800000; b += 3001) bits.push(b, b | 0x80000000);
  const pat = new Float32Array(new Uint32Array(bits).buffer);
  const dense = Float32Array.from({ length: 200_001 }, (_, i) => -100 + i * 1e-3);
  const specials = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 1.4e-45, -1.4e-45, 1.1754942e-38, 3.4028235e38, -3.4028235e38, 88.7, 89, -87.3, -103, -104];
  const out = new Float32Array(pat.length + dense.length + specials.length);
  out.set(pat);
  out.set(dense, pat.length);
  out.set(specials, pat.length + dense.length);
  return out;
}

describe.skipIf(BUILDS.length === 0)('approximations against Math.* over the whole float range', () => {
  const xs = testPoints();
  for (const { label, be } of BUILDS) {
    for (const { op, ref, maxRel } of APPROX) {
      it(`${label} ${op}: relative error ≤ ${maxRel} where the result is a normal float; specials and subnormals`, () => {
        const h = new Arena(be);
        let y: Float32Array;
        try {
          const out = h.f32(xs.length);
          be.unary(op, h.f32(xs), out, xs.length);
          y = h.read(out);
        } finally {
          h.dispose();
        }
        let worst = 0, worstAt = 0;
        const bad: string[] = [];
        for (let i = 0; i < xs.length; i++) {
          const x = xs[i];
          const r = ref(x);
          const got = y[i];
          if (Number.isNaN(r)) {
            if (!Number.isNaN(got)) bad.push(`${op}(${x}) = ${got}, expected NaN`);
            continue;
          }
          const r32 = Math.fround(r);
          if (!Number.isFinite(r32) || r32 === 0) {
            // overflow / underflow in float32, or an infinite input
            if (got !== r32 && !(Math.abs(got - r) <= 2 ** -149)) bad.push(`${op}(${x}) = ${got}, expected ${r32}`);
            continue;
          }
          if (Math.abs(r) < 2 ** -126) {
            // subnormal result: within a few subnormal steps
            if (!(Math.abs(got - r) <= 16 * 2 ** -149)) bad.push(`${op}(${x}) = ${got}, expected ≈ ${r} (subnormal)`);
            continue;
          }
          const e = Math.abs(got - r) / Math.abs(r);
          if (!(e <= worst)) {
            worst = Number.isNaN(e) ? Infinity : e;
            worstAt = x;
          }
        }
        expect(bad.slice(0, 5), 'specials / subnormals').toEqual([]);
        expect(worst, `${op} worst relative error at x = ${worstAt}`).toBeLessThanOrEqual(maxRel);
      });
    }
  }
});

// ---- fused bias + activation --------------------------------------------------------------

function biasActInputs(rng: Rng, rows: number, cols: number): { x: Float32Array; bias: Float32Array; dy: Float32Array } {
  const x = uniform(rng, rows * cols, -8, 8);
  // a few specials (not for the gradient comparison, which skips non-finite inputs)
  if (x.length > 7) {
    x[1] = 0;
    x[3] = -1e-30;
  }
  return { x, bias: uniform(rng, cols, -1, 1), dy: uniform(rng, rows * cols, -2, 2) };
}

describe.skipIf(BUILDS.length === 0)('fused bias + activation kernels: wasm matches js', () => {
  const shapes = [[1, 1], [3, 5], [4, 8], [7, 13], [5, 64], [2, 130]];
  for (const { label, be } of BUILDS) {
    for (const act of ACTS) {
      it(`${label} ${act}: forward (with and without bias, pre-activation), gradient and bias gradient`, () => {
        const rng = mulberry32(10 + ACTS.indexOf(act));
        for (const [rows, cols] of shapes) {
          const { x, bias, dy } = biasActInputs(rng, rows, cols);
          for (const withBias of [true, false]) {
            const run = (b: Backend) => {
              const h = new Arena(b);
              try {
                const y = h.f32(rows * cols), pre = h.f32(rows * cols);
                b.biasAct(act, h.f32(x), withBias ? h.f32(bias) : null, y, pre, rows, cols, 0.7);
                const dx = h.f32(rows * cols), db = h.f32(cols);
                b.biasActGrad(act, biasActGradNeedsPre(act) ? pre : y, h.f32(dy), dx, db, rows, cols, 0.7);
                return { y: h.read(y), pre: h.read(pre), dx: h.read(dx), db: h.read(db) };
              } finally {
                h.dispose();
              }
            };
            const w = run(be), j = run(JS);
            const tag = `${act} [${rows}, ${cols}] bias ${withBias}`;
            expectClose(w.pre, j.pre, { rtol: 0, atol: 0 }, `${tag} pre`);
            expectClose(w.y, j.y, { rtol: 1e-6, atol: 1e-7 }, `${tag} y`);
            expectClose(w.dx, j.dx, { rtol: 2e-6, atol: 2e-7 }, `${tag} dx`);
            expectClose(w.db, j.db, { rtol: 1e-5, atol: 1e-6 * rows }, `${tag} dbias`);
          }
        }
      });
    }
  }
});

/** The activation as separate ops (what Dense did before the fused kernel). */
function separate(act: BiasActivation, z: Tensor): Tensor {
  switch (act) {
    case 'linear': return z;
    case 'relu': return fe.relu(z);
    case 'relu6': return fe.relu6(z);
    case 'sigmoid': return fe.sigmoid(z);
    case 'tanh': return fe.tanh(z);
    case 'softplus': return fe.softplus(z);
    case 'elu': return fe.elu(z);
    case 'selu': return fe.selu(z);
    case 'gelu': return fe.gelu(z);
  }
}

for (const backend of backends) {
  describe(`biasAddActivation and Dense on ${backend}`, () => {
    it('gradients w.r.t. x and bias match finite differences for every activation', async () => {
      await useBackend(backend);
      const g = new Gen(7);
      for (const act of ACTS) {
        // |x| ≥ 0.2 and |bias| ≤ 0.05 keep x + bias clear of the kinks of relu and relu6
        const x = g.awayFromZero([3, 5], 0.2, 2);
        const bias = g.uniform([5], -0.05, 0.05);
        expectGradcheck(([a, b]) => biasAddActivation(a, b, act), [x, bias]);
        expectGradcheck(([a]) => biasAddActivation(a, null, act), [g.awayFromZero([2, 3, 4], 0.2, 2)]);
      }
    });

    it('Dense output and weight gradients equal matMul + add + activation as separate ops', async () => {
      await useBackend(backend);
      const rng = mulberry32(9);
      for (const act of ACTS) {
        fe.tidy(() => {
          const layer = fe.layers.dense({ units: 6, activation: act, inputShape: [4] });
          const x = fe.tensor(uniform(rng, 5 * 4, -2, 2), [5, 4]);
          const y = layer.apply(x) as Tensor;
          const [kernel, bias] = layer.getWeights();
          const want = separate(act, fe.add(fe.matMul(x, kernel), bias));
          expectClose(y.dataSync(), want.dataSync(), { rtol: 1e-6, atol: 1e-7 }, `${act} forward`);
          // gradients of Σ y·w through the layer and through the separate ops
          const w = fe.tensor(uniform(rng, 5 * 6), [5, 6]);
          const kv = fe.variable(kernel), bv = fe.variable(bias);
          fe.sum(fe.mul(separate(act, fe.add(fe.matMul(x, kv), bv)), w)).backward();
          const kf = fe.variable(kernel), bf = fe.variable(bias);
          fe.sum(fe.mul(biasAddActivation(fe.matMul(x, kf), bf, act), w)).backward();
          expectClose(kf.grad!.dataSync(), kv.grad!.dataSync(), { rtol: 1e-5, atol: 1e-6 }, `${act} kernel gradient`);
          expectClose(bf.grad!.dataSync(), bv.grad!.dataSync(), { rtol: 1e-5, atol: 1e-6 }, `${act} bias gradient`);
          for (const v of [kv, bv, kf, bf]) v.dispose();
        });
      }
    });

    it('bad bias shapes name the op and both shapes', async () => {
      await useBackend(backend);
      fe.tidy(() => {
        expect(() => biasAddActivation(fe.zeros([2, 3]), fe.zeros([4]), 'relu')).toThrow(/bias must have shape \[3\].*\[2, 3\].*got \[4\]/);
      });
    });
  });
}
