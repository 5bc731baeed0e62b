// fe.nn.MultiheadAttention and fe.nn.TransformerEncoderLayer against PyTorch's formulas written
// out by hand (both layouts, kdim/vdim, key padding and attention masks in PyTorch's
// conventions, causal, averaged or per-head weights); finite-difference gradients; training
// with backward()/step(); errors; no leaks.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { BACKENDS, settleGc, useBackend } from './helpers/backends';
import { expectGradcheck, Gen } from './helpers/gradcheck';
import { mulberry32, uniform } from './helpers/reference';

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  let worst = 0, at = -1;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
    if (!(e <= worst)) { worst = e; at = i; }
  }
  expect(worst, `${what}: worst at ${at}: got ${got[at]}, want ${want[at]}`).toBeLessThanOrEqual(tol);
}

const arr = (t: fe.Tensor) => Array.from(t.dataSync());

/**
 * PyTorch's multi_head_attention_forward for batch-first [n, t, e] inputs, in float64, with
 * ferrite's [in, out] weights: q = x·Wq + bq …; masked pairs get −∞ (keep[b][h][i][j] false).
 */
function reference(
  q: number[], k: number[], v: number[], n: number, t: number, s: number, e: number, kd: number, vd: number, heads: number,
  w: { wq: number[]; wk: number[]; wv: number[]; b: number[] | null; wo: number[]; bo: number[] | null },
  keep: (b: number, h: number, i: number, j: number) => boolean,
) {
  const hd = e / heads;
  const proj = (x: number[], rows: number, din: number, wt: number[], boff: number) => {
    const out = new Float64Array(rows * e);
    for (let r = 0; r < rows; r++) for (let c = 0; c < e; c++) {
      let acc = w.b ? w.b[boff + c] : 0;
      for (let d = 0; d < din; d++) acc += x[r * din + d] * wt[d * e + c];
      out[r * e + c] = acc;
    }
    return out;
  };
  const Q = proj(q, n * t, e, w.wq, 0), K = proj(k, n * s, kd, w.wk, e), V = proj(v, n * s, vd, w.wv, 2 * e);
  const ctx = new Float64Array(n * t * e);
  const weights = new Float64Array(n * heads * t * s);
  for (let b = 0; b < n; b++) for (let h = 0; h < heads; h++) for (let i = 0; i < t; i++) {
    const sc = Array.from({ length: s }, (_, j) => {
      if (!keep(b, h, i, j)) return -Infinity;
      let x = 0;
      for (let d = 0; d < hd; d++) x += Q[(b * t + i) * e + h * hd + d] * K[(b * s + j) * e + h * hd + d];
      return x / Math.sqrt(hd);
    });
    const mx = Math.max(...sc);
    const ex = sc.map((x) => Math.exp(x - mx));
    const z = ex.reduce((a, c) => a + c, 0);
    for (let j = 0; j < s; j++) {
      const p = ex[j] / z;
      weights[((b * heads + h) * t + i) * s + j] = p;
      for (let d = 0; d < hd; d++) ctx[(b * t + i) * e + h * hd + d] += p * V[(b * s + j) * e + h * hd + d];
    }
  }
  const out = new Float64Array(n * t * e);
  for (let r = 0; r < n * t; r++) for (let c = 0; c < e; c++) {
    let acc = w.bo ? w.bo[c] : 0;
    for (let d = 0; d < e; d++) acc += ctx[r * e + d] * w.wo[d * e + c];
    out[r * e + c] = acc;
  }
  return { out, weights };
}

/** [n, l, f] ↔ [l, n, f]. */
function swap01(x: ArrayLike<number>, a: number, b: number, f: number): number[] {
  const out = new Array<number>(a * b * f);
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) for (let c = 0; c < f; c++) out[(j * a + i) * f + c] = x[(i * b + j) * f + c];
  return out;
}

function weightsOf(m: fe.nn.MultiheadAttention) {
  const e = m.embedDim;
  let wq: number[], wk: number[], wv: number[];
  if (m.inProjWeight) {
    const w = arr(m.inProjWeight);
    const cols = (o: number) => Array.from({ length: e * e }, (_, x) => w[Math.floor(x / e) * 3 * e + o + (x % e)]);
    [wq, wk, wv] = [cols(0), cols(e), cols(2 * e)];
  } else {
    [wq, wk, wv] = [arr(m.qProjWeight!), arr(m.kProjWeight!), arr(m.vProjWeight!)];
  }
  return { wq, wk, wv, b: m.inProjBias ? arr(m.inProjBias) : null, wo: arr(m.outProj.weight), bo: m.outProj.bias ? arr(m.outProj.bias) : null };
}

/** Random values for every parameter (biases away from zero). */
function randomize(m: fe.nn.Module, seed: number): void {
  m.parameters().forEach((p, i) => p.assign(fe.tensor(uniform(mulberry32(seed + i), p.size, -0.6, 0.6), p.shape)));
}

for (const backend of BACKENDS) {
  describe(`fe.nn attention modules on ${backend}`, () => {
    beforeAll(async () => {
      await useBackend(backend);
    });

    it('MultiheadAttention follows PyTorch: layouts, kdim/vdim, key padding and attention masks, causal, weights', () => {
      const [n, t, s, e, heads] = [2, 3, 4, 6, 2];
      for (const [batchFirst, kd, vd] of [[true, 6, 6], [false, 5, 7]] as const) {
        const m = fe.nn.multiheadAttention(e, heads, { batchFirst, kdim: kd, vdim: vd });
        randomize(m, 10);
        const r = mulberry32(3);
        const qv = Array.from(uniform(r, n * t * e)), kv = Array.from(uniform(r, n * s * kd)), vv = Array.from(uniform(r, n * s * vd));
        const pad = [0, 0, 1, 0, 0, 1, 0, 0]; // PyTorch: nonzero = padding
        const am = Array.from({ length: n * heads * t * s }, (_, x) => (x % 5 === 3 ? 1 : 0));
        const cases: [string, fe.nn.MultiheadAttentionForwardOptions, (b: number, h: number, i: number, j: number) => boolean][] = [
          ['no mask', {}, () => true],
          ['key padding (int32)', { keyPaddingMask: fe.tensor(pad, [n, s], 'int32') }, (b, _h, _i, j) => pad[b * s + j] === 0],
          ['key padding (float −∞)', { keyPaddingMask: fe.tensor(pad.map((p) => (p ? -Infinity : 0)), [n, s]) }, (b, _h, _i, j) => pad[b * s + j] === 0],
          ['key padding (bool)', { keyPaddingMask: fe.tensor(pad.map((p) => p === 1), [n, s], 'bool') }, (b, _h, _i, j) => pad[b * s + j] === 0],
          ['attnMask [n·h, t, s]', { attnMask: fe.tensor(am, [n * heads, t, s], 'int32') }, (b, h, i, j) => am[((b * heads + h) * t + i) * s + j] === 0],
          ['causal + attnMask [t, s]', { isCausal: true, attnMask: fe.tensor(am.slice(0, t * s), [t, s], 'int32') }, (_b, _h, i, j) => j <= i && am[i * s + j] === 0],
        ];
        for (const [name, opts, keep] of cases) {
          fe.tidy(() => {
            const toLayout = (x: number[], l: number, f: number) => (batchFirst ? fe.tensor(x, [n, l, f]) : fe.tensor(swap01(x, n, l, f), [l, n, f]));
            const [out, w] = m.forward(toLayout(qv, t, e), toLayout(kv, s, kd), toLayout(vv, s, vd), { ...opts, averageAttnWeights: false });
            const want = reference(qv, kv, vv, n, t, s, e, kd, vd, heads, weightsOf(m), keep);
            const got = batchFirst ? arr(out) : swap01(arr(out), t, n, e);
            expectClose(got, want.out, 1e-5, `${name} output (batchFirst ${batchFirst})`);
            expect(w!.shape).toEqual([n, heads, t, s]);
            expectClose(arr(w!), want.weights, 1e-5, `${name} weights`);
            const [, avg] = m.forward(toLayout(qv, t, e), toLayout(kv, s, kd), toLayout(vv, s, vd), opts);
            const wantAvg = Array.from({ length: n * t * s }, (_, x) => {
              const b = Math.floor(x / (t * s)), rest = x % (t * s);
              let acc = 0;
              for (let h = 0; h < heads; h++) acc += want.weights[(b * heads + h) * t * s + rest];
              return acc / heads;
            });
            expectClose(arr(avg!), wantAvg, 1e-5, `${name} averaged weights`);
            expect(m.forward(toLayout(qv, t, e), toLayout(kv, s, kd), toLayout(vv, s, vd), { ...opts, needWeights: false })[1]).toBeNull();
          });
        }
      }
    });

    it('initialises as PyTorch: Xavier-uniform in-projection, Linear-default out-projection, zero biases', () => {
      fe.setRandomSeed(2);
      const m = fe.nn.multiheadAttention(32, 4);
      expect(m.inProjWeight!.shape).toEqual([32, 96]);
      const maxAbs = (t: fe.Tensor) => Math.max(...arr(t).map(Math.abs));
      expect(maxAbs(m.inProjWeight!)).toBeLessThanOrEqual(Math.sqrt(6 / (32 + 96)));
      expect(maxAbs(m.inProjWeight!)).toBeGreaterThan(0.9 * Math.sqrt(6 / (32 + 96)));
      expect(maxAbs(m.outProj.weight)).toBeLessThanOrEqual(1 / Math.sqrt(32));
      expect(arr(m.inProjBias!).every((x) => x === 0) && arr(m.outProj.bias!).every((x) => x === 0)).toBe(true);
      expect(m.namedParameters().map(([k, p]) => `${k} [${p.shape}]`)).toEqual(['in_proj_weight [32,96]', 'in_proj_bias [96]', 'out_proj.weight [32,32]', 'out_proj.bias [32]']);
      const layer = fe.nn.transformerEncoderLayer(8, 2, { dimFeedforward: 16 });
      expect(layer.namedParameters().map(([k]) => k)).toEqual([
        'self_attn.in_proj_weight', 'self_attn.in_proj_bias', 'self_attn.out_proj.weight', 'self_attn.out_proj.bias',
        'linear1.weight', 'linear1.bias', 'linear2.weight', 'linear2.bias', 'norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias',
      ]);
      layer.dispose();
      m.dispose();
    });

    it('TransformerEncoderLayer is PyTorch’s block (post-norm and pre-norm), and its gradients match finite differences', () => {
      for (const normFirst of [false, true]) {
        const layer = fe.nn.transformerEncoderLayer(4, 2, { dimFeedforward: 6, batchFirst: true, normFirst, activation: 'gelu' });
        randomize(layer, 40);
        layer.eval();
        const r = mulberry32(9);
        const xv = uniform(r, 2 * 3 * 4);
        const pad = fe.tensor([0, 0, 1, 0, 0, 0], [2, 3], 'int32');
        fe.tidy(() => {
          const x = fe.tensor(xv, [2, 3, 4]);
          const got = layer.forward(x, { srcKeyPaddingMask: pad });
          // The same block from the module's own pieces.
          const ln = (y: fe.Tensor, norm: { weight: fe.Tensor | null; bias: fe.Tensor | null }) => {
            const mean = fe.mean(y, -1, true), c = fe.sub(y, mean);
            return fe.add(fe.mul(fe.mul(c, fe.rsqrt(fe.add(fe.mean(fe.square(c), -1, true), 1e-5))), norm.weight!), norm.bias!);
          };
          const lin = (y: fe.Tensor, p: { weight: fe.Tensor; bias: fe.Tensor | null }) => fe.add(fe.matMul(y, p.weight), p.bias!);
          const sa = (y: fe.Tensor) => layer.selfAttn.forward(y, y, y, { keyPaddingMask: pad, needWeights: false })[0];
          const ffn = (y: fe.Tensor) => lin(fe.gelu(lin(y, layer.linear1)), layer.linear2);
          let want: fe.Tensor;
          if (normFirst) {
            const h = fe.add(x, sa(ln(x, layer.norm1)));
            want = fe.add(h, ffn(ln(h, layer.norm2)));
          } else {
            const h = ln(fe.add(x, sa(x)), layer.norm1);
            want = ln(fe.add(h, ffn(h)), layer.norm2);
          }
          expectClose(arr(got), arr(want), 1e-5, `normFirst ${normFirst}`);
        });
        const gen = new Gen(3);
        expectGradcheck(([x]) => layer.forward(x, { srcKeyPaddingMask: pad }), [gen.uniform([2, 3, 4])], { step: () => 2e-3 });
        pad.dispose();
      }
    });

    it('trains with backward() and step(), and leaves no tensor behind', async () => {
      fe.setRandomSeed(5);
      const layer = fe.nn.transformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true, dropout: 0.1 });
      const head = fe.nn.linear(8, 1);
      const params = [...layer.parameters(), ...head.parameters()];
      const opt = fe.optim.adam(params, { lr: 0.01 });
      const r = mulberry32(2);
      const x = fe.tensor(uniform(r, 32 * 5 * 8), [32, 5, 8]);
      const y = fe.tidy(() => fe.reshape(fe.sum(fe.slice(x, [0, 0, 0], [32, 1, 8]), [1, 2]), [32, 1]));
      const step = () => fe.tidy(() => {
        layer.train();
        opt.zeroGrad();
        const out = head.forward(fe.mean(layer.forward(x), 1));
        const loss = fe.mean(fe.square(fe.sub(out, y)));
        loss.backward();
        opt.step();
        return loss.item();
      });
      const first = step();
      opt.zeroGrad();
      await settleGc();
      const before = fe.memory().numTensors;
      let last = first;
      for (let i = 0; i < 60; i++) last = step();
      opt.zeroGrad();
      await settleGc();
      expect(fe.memory().numTensors).toBe(before);
      expect(last).toBeLessThan(first * 0.5);
      fe.dispose([x, y]);
    });

    it('refuses bad arguments with errors naming the module', () => {
      expect(() => fe.nn.multiheadAttention(6, 4)).toThrow(/MultiheadAttention\(6, 4\): embedDim must be divisible by numHeads/);
      expect(() => fe.nn.multiheadAttention(8, 2, { addBiasKv: true })).toThrow(/addBiasKv is not supported/);
      expect(() => fe.nn.multiheadAttention(8, 2, { bogus: 1 } as never)).toThrow(/unknown option 'bogus'/);
      const m = fe.nn.multiheadAttention(4, 2, { batchFirst: true });
      fe.tidy(() => {
        const x = fe.ones([2, 3, 4]);
        expect(() => m.forward(x, x, fe.ones([2, 3, 5]))).toThrow(/expected value of shape \[batch, length, features\] with 4 features, got \[2, 3, 5\]/);
        expect(() => m.forward(x, x, x, { keyPaddingMask: fe.ones([2, 4], 'int32') })).toThrow(/expected keyPaddingMask of shape \[2, 3\]/);
        expect(() => m.forward(x, x, x, { attnMask: fe.fill([3, 3], 0.5) })).toThrow(/only 0 and -Infinity are supported, got 0.5/);
        expect(() => m.forward(x, x, x, { attnMask: fe.ones([3, 3, 3], 'int32') })).toThrow(/expected attnMask of shape \[3, 3\] or \[4, 3, 3\]/);
      });
      expect(() => fe.nn.transformerEncoderLayer(4, 2, { activation: 'tanh' as never })).toThrow(/activation must be 'relu' or 'gelu'/);
    });
  });
}
