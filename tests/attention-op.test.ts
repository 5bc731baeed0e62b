// The fused attention op (fe.dotProductAttention; one kernel call forward, one backward):
// values against a float64 reference written from the definition and against the same
// computation composed of ops, every mask, both algorithms, dropout from a seed; gradients by
// finite differences; the wasm kernel against the js one; errors; no leaks.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { attention, type DotProductAttentionOptions } from '../ts/ops/attention';
import { AttentionDropout, mix32 } from '../ts/backend/attention-types';
import { BACKENDS, settleGc, useBackend, wasmBuilt } from './helpers/backends';
import { expectGradcheck, Gen } from './helpers/gradcheck';
import { mulberry32, uniform } from './helpers/reference';

interface Dims { b: number; h: number; t: number; s: number; dk: number; dv: number }

interface Masks {
  queryMask?: Float32Array;
  keyMask?: Float32Array;
  /** With its shape. */
  mask?: { values: Float32Array; shape: number[] };
  isCausal?: boolean;
}

/** Attention from its definition, in float64: masked scores + (−1e9) rounded to float32, softmax, P·V. */
function reference(d: Dims, q: Float32Array, k: Float32Array, v: Float32Array, m: Masks, scale = 1 / Math.sqrt(d.dk)) {
  const out = new Float64Array(d.b * d.t * d.h * d.dv);
  const probs = new Float64Array(d.b * d.h * d.t * d.s);
  const ms = m.mask?.shape;
  for (let b = 0; b < d.b; b++) {
    for (let h = 0; h < d.h; h++) {
      for (let i = 0; i < d.t; i++) {
        const sc: number[] = [];
        for (let j = 0; j < d.s; j++) {
          let x = 0;
          for (let c = 0; c < d.dk; c++) x += q[((b * d.t + i) * d.h + h) * d.dk + c] * k[((b * d.s + j) * d.h + h) * d.dk + c];
          x *= scale;
          let keep = !(m.queryMask && m.queryMask[b * d.t + i] === 0) && !(m.keyMask && m.keyMask[b * d.s + j] === 0);
          if (m.isCausal && j > i) keep = false;
          if (m.mask && ms) {
            const mb = ms.length >= 3 && ms[0] !== 1 ? b : 0;
            const mh = ms.length === 4 && ms[1] !== 1 ? h : 0;
            const nh = ms.length === 4 ? ms[1] : 1;
            if (m.mask.values[((mb * nh + mh) * d.t + i) * d.s + j] === 0) keep = false;
          }
          sc.push(keep ? x : Math.fround(Math.fround(x) - 1e9));
        }
        const mx = Math.max(...sc);
        const e = sc.map((x) => Math.exp(x - mx));
        const sum = e.reduce((a, c) => a + c, 0);
        for (let j = 0; j < d.s; j++) {
          const p = e[j] / sum;
          probs[((b * d.h + h) * d.t + i) * d.s + j] = p;
          for (let c = 0; c < d.dv; c++) out[((b * d.t + i) * d.h + h) * d.dv + c] += p * v[((b * d.s + j) * d.h + h) * d.dv + c];
        }
      }
    }
  }
  return { out, probs };
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  let worst = 0, at = -1;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
    if (!(e <= worst)) { worst = e; at = i; }
  }
  expect(worst, `${what}: worst at ${at}: got ${got[at]}, want ${want[at]}`).toBeLessThanOrEqual(tol);
}

function binaryMask(rng: () => number, n: number, keep: number): Float32Array {
  return Float32Array.from({ length: n }, () => (rng() < keep ? 1 : 0));
}

function makeCase(d: Dims, seed: number) {
  const r = mulberry32(seed);
  return {
    q: uniform(r, d.b * d.t * d.h * d.dk, -1.5, 1.5),
    k: uniform(r, d.b * d.s * d.h * d.dk, -1.5, 1.5),
    v: uniform(r, d.b * d.s * d.h * d.dv, -1, 1),
    r,
  };
}

function maskVariants(d: Dims, r: () => number): [string, Masks][] {
  return [
    ['none', {}],
    ['query mask', { queryMask: binaryMask(r, d.b * d.t, 0.7) }],
    ['key mask', { keyMask: binaryMask(r, d.b * d.s, 0.6) }],
    ['mask [t, s]', { mask: { values: binaryMask(r, d.t * d.s, 0.6), shape: [d.t, d.s] } }],
    ['mask [b, t, s]', { mask: { values: binaryMask(r, d.b * d.t * d.s, 0.6), shape: [d.b, d.t, d.s] } }],
    ['mask [1, h, t, s]', { mask: { values: binaryMask(r, d.h * d.t * d.s, 0.6), shape: [1, d.h, d.t, d.s] } }],
    ['mask [b, h, t, s]', { mask: { values: binaryMask(r, d.b * d.h * d.t * d.s, 0.6), shape: [d.b, d.h, d.t, d.s] } }],
    ['causal', { isCausal: true }],
    ['everything', {
      isCausal: true, queryMask: binaryMask(r, d.b * d.t, 0.8), keyMask: binaryMask(r, d.b * d.s, 0.5),
      mask: { values: binaryMask(r, d.b * d.t * d.s, 0.7), shape: [d.b, d.t, d.s] },
    }],
  ];
}

/** The mask tensors of `m` (the caller disposes them). */
function maskTensors(d: Dims, m: Masks): DotProductAttentionOptions {
  return {
    isCausal: m.isCausal,
    queryMask: m.queryMask ? fe.tensor(m.queryMask, [d.b, d.t]) : null,
    keyMask: m.keyMask ? fe.tensor(m.keyMask, [d.b, d.s]) : null,
    mask: m.mask ? fe.tensor(m.mask.values, m.mask.shape) : null,
  };
}

const SHAPES: Dims[] = [
  { b: 1, h: 1, t: 1, s: 1, dk: 1, dv: 1 },
  { b: 2, h: 3, t: 5, s: 7, dk: 3, dv: 5 },
  { b: 2, h: 2, t: 9, s: 70, dk: 4, dv: 3 },
];

for (const backend of BACKENDS) {
  describe(`dotProductAttention on ${backend}`, () => {
    beforeAll(async () => {
      await useBackend(backend);
    });

    it('matches the float64 reference for every mask, both algorithms', () => {
      SHAPES.forEach((d, n) => {
        const { q, k, v, r } = makeCase(d, 10 + n);
        for (const [name, m] of maskVariants(d, r)) {
          const want = reference(d, q, k, v, m);
          for (const algorithm of ['stored', 'tiled'] as const) {
            fe.tidy(() => {
              const opts = { ...maskTensors(d, m), algorithm, returnScores: algorithm === 'stored' };
              const res = attention(fe.tensor(q, [d.b, d.t, d.h, d.dk]), fe.tensor(k, [d.b, d.s, d.h, d.dk]), fe.tensor(v, [d.b, d.s, d.h, d.dv]), opts);
              expect(res.output.shape).toEqual([d.b, d.t, d.h, d.dv]);
              expectClose(res.output.dataSync(), want.out, 1e-5, `${JSON.stringify(d)} ${name} ${algorithm} output`);
              if (res.scores) {
                expect(res.scores.shape).toEqual([d.b, d.h, d.t, d.s]);
                expectClose(res.scores.dataSync(), want.probs, 1e-5, `${name} scores`);
              }
            });
          }
        }
      });
    });

    it('gives a fully masked query row uniform weights (Keras masked softmax)', () => {
      fe.tidy(() => {
        // One head, query 0 masked: its output is the mean of the values; query 1 sees key 1 only.
        const q = fe.tensor([1, 2, 3, 4], [1, 2, 1, 2]);
        const k = fe.tensor([0.5, -1, 2, 0.25, -3, 1], [1, 3, 1, 2]);
        const v = fe.tensor([1, 10, 100], [1, 3, 1, 1]);
        const res = attention(q, k, v, {
          queryMask: fe.tensor([0, 1], [1, 2]), mask: fe.tensor([1, 1, 1, 0, 1, 0], [2, 3]), returnScores: true,
        });
        expectClose(res.output.dataSync(), [37, 10], 1e-6, 'output');
        expectClose(res.scores!.dataSync(), [1 / 3, 1 / 3, 1 / 3, 0, 1, 0], 1e-6, 'scores');
      });
    });

    it('equals the same computation composed of ops (matMul, softmax + masks as −1e9), values and gradients', () => {
      // The composition is TensorFlow.js' own; a fully masked query row (query mask 0) gets the
      // gradient autodiff gives through the added −1e9, as there.
      const d: Dims = { b: 2, h: 2, t: 6, s: 5, dk: 4, dv: 3 };
      const { q, k, v } = makeCase(d, 77);
      const qmask = Float32Array.from({ length: d.b * d.t }, (_, i) => (i % 4 === 1 ? 0 : 1));
      const kmask = Float32Array.from({ length: d.b * d.s }, (_, i) => (i % 3 === 2 ? 0 : 1));
      const adder = new Float32Array(d.b * d.t * d.s);
      for (let b = 0; b < d.b; b++) for (let i = 0; i < d.t; i++) for (let j = 0; j < d.s; j++) {
        const keep = qmask[b * d.t + i] && kmask[b * d.s + j] && j <= i;
        adder[(b * d.t + i) * d.s + j] = keep ? 0 : -1e9;
      }
      const grads = (fused: boolean) => {
        const vars = [fe.variable(fe.tensor(q, [d.b, d.t, d.h, d.dk])), fe.variable(fe.tensor(k, [d.b, d.s, d.h, d.dk])), fe.variable(fe.tensor(v, [d.b, d.s, d.h, d.dv]))];
        const w = fe.tensor(uniform(mulberry32(5), d.b * d.t * d.h * d.dv), [d.b, d.t, d.h, d.dv]);
        const out = fe.tidy(() => {
          const [qv, kv, vv] = vars;
          let o: fe.Tensor;
          if (fused) o = fe.dotProductAttention(qv, kv, vv, { isCausal: true, queryMask: fe.tensor(qmask, [d.b, d.t]), keyMask: fe.tensor(kmask, [d.b, d.s]) });
          else {
            const qh = fe.transpose(qv, [0, 2, 1, 3]), kh = fe.transpose(kv, [0, 2, 1, 3]), vh = fe.transpose(vv, [0, 2, 1, 3]);
            const sc = fe.mul(fe.matMul(qh, kh, false, true), 1 / Math.sqrt(d.dk));
            o = fe.transpose(fe.matMul(fe.softmax(fe.add(sc, fe.tensor(adder, [d.b, 1, d.t, d.s]))), vh), [0, 2, 1, 3]);
          }
          fe.sum(fe.mul(o, w)).backward();
          return o;
        });
        const res = { out: out.dataSync(), g: vars.map((x) => x.grad!.dataSync()) };
        [...vars, w, out].forEach((x) => x.dispose());
        return res;
      };
      const a = grads(true), b = grads(false);
      expectClose(a.out, b.out, 1e-5, 'output');
      a.g.forEach((g, i) => expectClose(g, b.g[i], 1e-5, `gradient ${i}`));
    });

    it('has gradients that match finite differences (both algorithms, masks, dropout, scores)', () => {
      const d: Dims = { b: 2, h: 2, t: 3, s: 4, dk: 3, dv: 2 };
      const gen = new Gen(31);
      const ins = [gen.uniform([d.b, d.t, d.h, d.dk]), gen.uniform([d.b, d.s, d.h, d.dk]), gen.uniform([d.b, d.s, d.h, d.dv])];
      const km = fe.tensor([1, 1, 0, 1, 1, 0, 1, 1], [d.b, d.s]);
      // No query row fully masked here: such a row is uniform whatever its scores, so finite
      // differences see 0 where autodiff (TensorFlow.js' too) sees the unmasked softmax's slope.
      const qm = fe.tensor([1, 1, 1, 1, 1, 1], [d.b, d.t]);
      try {
        for (const algorithm of ['stored', 'tiled'] as const) {
          expectGradcheck(([q, k, v]) => fe.dotProductAttention(q, k, v, { algorithm, keyMask: km, queryMask: qm, isCausal: true }), ins);
          expectGradcheck(([q, k, v]) => fe.dotProductAttention(q, k, v, { algorithm, dropout: 0.4, seed: 99 }), ins);
        }
        // The probabilities as an output of their own, alone and together with the output.
        expectGradcheck(([q, k, v]) => attention(q, k, v, { returnScores: true, keyMask: km }).scores!, ins, { wrt: [0, 1] });
        expectGradcheck(([q, k, v]) => {
          const r = attention(q, k, v, { returnScores: true, dropout: 0.3, seed: 4 });
          return fe.add(fe.sum(fe.square(r.scores!), [3]), fe.transpose(fe.sum(r.output, [3]), [0, 2, 1]));
        }, ins);
      } finally {
        km.dispose();
        qm.dispose();
      }
    });

    it('draws dropout from its seed: the same mask forward and backward, the expected fraction kept', () => {
      // Values one-hot per key: the output row is the dropped-out probability row itself.
      const d: Dims = { b: 2, h: 2, t: 40, s: 50, dk: 4, dv: 50 };
      const { q, k } = makeCase(d, 3);
      const v = new Float32Array(d.b * d.s * d.h * d.dv);
      for (let b = 0; b < d.b; b++) for (let j = 0; j < d.s; j++) for (let h = 0; h < d.h; h++) v[((b * d.s + j) * d.h + h) * d.dv + j] = 1;
      fe.tidy(() => {
        const args = [fe.tensor(q, [d.b, d.t, d.h, d.dk]), fe.tensor(k, [d.b, d.s, d.h, d.dk]), fe.tensor(v, [d.b, d.s, d.h, d.dv])] as const;
        const r = attention(...args, { dropout: 0.3, seed: 1234, returnScores: true });
        const again = fe.dotProductAttention(...args, { dropout: 0.3, seed: 1234, algorithm: 'stored' }).dataSync();
        const tiled = fe.dotProductAttention(...args, { dropout: 0.3, seed: 1234, algorithm: 'tiled' }).dataSync();
        const other = fe.dotProductAttention(...args, { dropout: 0.3, seed: 1235 }).dataSync();
        const out = r.output.dataSync(), p = r.scores!.dataSync();
        let dropped = 0, total = 0, differ = 0;
        const drop = new AttentionDropout(0.3, 1234);
        for (let b = 0; b < d.b; b++) for (let h = 0; h < d.h; h++) for (let i = 0; i < d.t; i++) {
          const key = drop.rowKey({ batch: d.b, heads: d.h, t: d.t } as never, b, h, i);
          for (let j = 0; j < d.s; j++) {
            const o = out[((b * d.t + i) * d.h + h) * d.dv + j], pj = p[((b * d.h + h) * d.t + i) * d.s + j];
            expect(Math.abs(o - pj * drop.factor(key, j))).toBeLessThan(1e-6);
            if (o === 0) dropped++;
            total++;
            if (o !== other[((b * d.t + i) * d.h + h) * d.dv + j]) differ++;
          }
        }
        expect(Math.abs(dropped / total - 0.3)).toBeLessThan(0.03);
        expect(differ / total).toBeGreaterThan(0.2);
        expect(Array.from(again)).toEqual(Array.from(out));
        // The tiled algorithm draws the same mask: the same zeros, the same values to rounding.
        expect(Array.from(tiled, (t) => t === 0)).toEqual(Array.from(out, (t) => t === 0));
        expectClose(tiled, out, 1e-6, 'tiled vs stored with dropout');
      });
      // The hash is the Rust kernel's (crates/ferrite-core/src/attention/tests.rs pins these).
      expect(mix32(1)).toBe(0x688990c0);
      expect(mix32(0xdeadbeef)).toBe(0xe628c683);
    });

    it('refuses bad arguments with errors naming the op and the shapes', () => {
      fe.tidy(() => {
        const q = fe.zeros([2, 3, 2, 4]), k = fe.zeros([2, 5, 2, 4]), v = fe.zeros([2, 5, 2, 6]);
        expect(() => fe.dotProductAttention(fe.zeros([2, 3, 8]), k, v)).toThrow(/query of rank 4 \[batch, length, heads, depth\], got \[2, 3, 8\]/);
        expect(() => fe.dotProductAttention(q, fe.zeros([2, 5, 2, 3]), v)).toThrow(/expected key of shape \[2, any, 2, 4\].*got \[2, 5, 2, 3\]/);
        expect(() => fe.dotProductAttention(q, k, fe.zeros([2, 4, 2, 6]))).toThrow(/expected value of shape \[2, 5, 2, any\]/);
        expect(() => fe.dotProductAttention(q, k, v, { mask: fe.ones([3, 4]) })).toThrow(/attention mask of shape \[3, 5\].*got \[3, 4\]/);
        expect(() => fe.dotProductAttention(q, k, v, { mask: fe.ones([3, 2, 3, 5]) })).toThrow(/batch 1 or 2 and heads 1 or 2/);
        expect(() => fe.dotProductAttention(q, k, v, { keyMask: fe.ones([2, 3]) })).toThrow(/key mask of shape \[2, 5\]/);
        expect(() => fe.dotProductAttention(q, k, v, { queryMask: fe.ones([3]) })).toThrow(/query mask of shape \[2, 3\]/);
        expect(() => fe.dotProductAttention(q, k, v, { dropout: 1 })).toThrow(/dropout must be in \[0, 1\), got 1/);
        expect(() => fe.dotProductAttention(q, k, v, { algorithm: 'flash' as never })).toThrow(/algorithm must be/);
        expect(() => attention(q, k, v, { algorithm: 'tiled', returnScores: true })).toThrow(/needs the stored algorithm/);
        expect(() => fe.dotProductAttention(q, k, v, { name: 'mha' , scale: NaN })).toThrow(/^mha: scale must be a finite number/);
      });
    });

    it('leaves no tensor behind (inference, training with both outputs, tiled)', async () => {
      const d: Dims = { b: 2, h: 2, t: 4, s: 6, dk: 3, dv: 2 };
      const { q, k, v } = makeCase(d, 8);
      const vars = [fe.variable(fe.tensor(q, [d.b, d.t, d.h, d.dk])), fe.variable(fe.tensor(k, [d.b, d.s, d.h, d.dk])), fe.variable(fe.tensor(v, [d.b, d.s, d.h, d.dv]))];
      const km = fe.tensor([1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0], [d.b, d.s]);
      await settleGc();
      const before = fe.memory().numTensors;
      for (const algorithm of ['stored', 'tiled'] as const) {
        fe.tidy(() => {
          const r = attention(vars[0], vars[1], vars[2], { algorithm, keyMask: fe.cast(km, 'int32'), returnScores: algorithm === 'stored', dropout: 0.2, seed: 1 });
          const loss = r.scores ? fe.add(fe.sum(r.output), fe.sum(fe.square(r.scores))) : fe.sum(r.output);
          loss.backward();
        });
        fe.noGrad(() => fe.tidy(() => attention(vars[0], vars[1], vars[2], { algorithm, returnScores: algorithm === 'stored' }).output));
      }
      vars.forEach((x) => { x.grad?.dispose(); x.grad = null; });
      await settleGc();
      expect(fe.memory().numTensors).toBe(before);
      [...vars, km].forEach((x) => x.dispose());
    });
  });
}

describe.runIf(wasmBuilt)('dotProductAttention: wasm kernel against the js kernel', () => {
  it('gives the same outputs and gradients on random inputs (long sequences, every option)', async () => {
    const cases: [Dims, Masks & { dropout?: number }, 'stored' | 'tiled'][] = [];
    const big: Dims = { b: 2, h: 3, t: 70, s: 130, dk: 16, dv: 9 };
    const r = mulberry32(42);
    for (const [, m] of maskVariants(big, r)) for (const alg of ['stored', 'tiled'] as const) cases.push([big, m, alg]);
    cases.push([{ b: 1, h: 2, t: 33, s: 65, dk: 5, dv: 16 }, { dropout: 0.25, keyMask: binaryMask(r, 65, 0.7) }, 'tiled']);
    cases.push([{ b: 1, h: 2, t: 33, s: 65, dk: 5, dv: 16 }, { dropout: 0.25, isCausal: true }, 'stored']);
    const run = async (backend: 'js' | 'wasm') => {
      await useBackend(backend);
      return cases.map(([d, m, algorithm], n) => {
        const { q, k, v } = makeCase(d, 200 + n);
        const vars = [fe.variable(fe.tensor(q, [d.b, d.t, d.h, d.dk])), fe.variable(fe.tensor(k, [d.b, d.s, d.h, d.dk])), fe.variable(fe.tensor(v, [d.b, d.s, d.h, d.dv]))];
        const res = fe.tidy(() => {
          const r2 = attention(vars[0], vars[1], vars[2], { ...maskTensors(d, m), algorithm, dropout: m.dropout, seed: 7, returnScores: algorithm === 'stored' });
          const w = fe.tensor(uniform(mulberry32(n), r2.output.size), r2.output.shape);
          let loss = fe.sum(fe.mul(r2.output, w));
          if (r2.scores) loss = fe.add(loss, fe.sum(fe.square(r2.scores)));
          loss.backward();
          return { out: r2.output.dataSync(), scores: r2.scores?.dataSync() ?? null };
        });
        const g = vars.map((x) => x.grad!.dataSync());
        vars.forEach((x) => x.dispose());
        return { ...res, g };
      });
    };
    const js = await run('js');
    const wasm = await run('wasm');
    js.forEach((a, n) => {
      const b = wasm[n];
      expectClose(b.out, a.out, 2e-5, `case ${n} output`);
      if (a.scores) expectClose(b.scores!, a.scores, 2e-5, `case ${n} scores`);
      a.g.forEach((g, i) => expectClose(b.g[i], g, 5e-5, `case ${n} gradient ${i}`));
    });
  });
});
