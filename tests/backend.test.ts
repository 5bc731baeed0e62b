/**
 * Backend conformance. Part 1 checks every backend against hand-computed values and
 * formulas written here; part 2 checks each wasm build against the js backend on random
 * inputs over awkward shapes. The wasm builds run when wasm/ferrite-*.wasm exist (then they
 * must load); otherwise only the js backend runs and the wasm variants are reported skipped.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type {
  ArgReduceOp, Backend, BinaryOp, ReduceOp, Storage, UnaryGradOp, UnaryOp,
} from '../ts/backend/backend';
import { createJsBackend } from '../ts/backend/js/js-backend';
import {
  Arena, awayFromZero, broadcastShape, broadcastStrides, contiguousStrides, expectClose, expectEqual,
  mulberry32, naiveMatmul, pick, randInts, sizeOf, uniform, type Rng, type Tolerance,
} from './helpers/reference';

// ---- which backends run ---------------------------------------------------------------

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WASM_BUILDS = ['simd', 'relaxed'] as const;
/** A variable, so this file compiles and runs whether or not the wasm backend exists. */
const WASM_BACKEND_MODULE = '../ts/backend/wasm/wasm-backend.ts';

interface Variant {
  label: string;
  be: Backend;
}

interface WasmLoad {
  variants: Variant[];
  /** Problems that fail the suite: some wasm/ferrite-*.wasm exists, so wasm must load. */
  errors: string[];
  /** Problems that only skip the wasm variants: nothing is built yet. */
  skipped: string[];
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function loadWasm(): Promise<WasmLoad> {
  const built = WASM_BUILDS.filter((b) => existsSync(join(ROOT, 'wasm', `ferrite-ml-${b}.wasm`)));
  const out: WasmLoad = { variants: [], errors: [], skipped: [] };
  const problem = (msg: string) => (built.length > 0 ? out.errors : out.skipped).push(msg);
  if (built.length === 0) out.skipped.push('no wasm/ferrite-*.wasm in the repository (run `npm run build:wasm`)');
  let create: (opts: { build: string; relaxedSimd?: boolean }) => Promise<Backend>;
  try {
    const mod = (await import(/* @vite-ignore */ WASM_BACKEND_MODULE)) as { createWasmBackend?: typeof create };
    if (typeof mod.createWasmBackend !== 'function') throw new Error('it does not export createWasmBackend');
    create = mod.createWasmBackend;
  } catch (e) {
    problem(`cannot import ts/backend/wasm/wasm-backend.ts: ${message(e)}`);
    return out;
  }
  for (const build of WASM_BUILDS) {
    try {
      // relaxedSimd lets the backend set Node 20's --experimental-wasm-relaxed-simd flag.
      const be = await create(build === 'relaxed' ? { build, relaxedSimd: true } : { build });
      out.variants.push({ label: `wasm-${build}`, be });
    } catch (e) {
      problem(`createWasmBackend({ build: '${build}' }) failed: ${message(e)}`);
    }
  }
  return out;
}

const JS = createJsBackend();
const WASM = await loadWasm();
const BACKENDS: Variant[] = [{ label: 'js', be: JS }, ...WASM.variants];

describe('backends', () => {
  it('js backend identifies itself', () => {
    expect(JS.name).toBe('js');
    expect(JS.build).toBe('js');
  });
  if (WASM.errors.length > 0) {
    it('wasm builds load (wasm/ferrite-*.wasm exists, so they must)', () => {
      throw new Error(WASM.errors.join('\n'));
    });
  }
  for (const { label, be } of WASM.variants) {
    it(`${label} identifies itself`, () => {
      expect(be.name).toBe('wasm');
      expect(be.build).toBe(label.slice('wasm-'.length));
    });
    it(`${label}: alloc is zero-filled; allocUninit is poisoned in the test suites (FERRITE_POISON_UNINIT)`, () => {
      expect(process.env.FERRITE_POISON_UNINIT).toBe('1');
      const dirty = be.alloc(37);
      be.write(dirty, new Float32Array(37).fill(5));
      be.free(dirty);
      const z = be.alloc(37);
      const u = be.allocUninit(37);
      try {
        expect(Array.from(be.readF32(z))).toEqual(new Array(37).fill(0));
        expect(be.readF32(u).every((v) => Number.isNaN(v))).toBe(true);
      } finally {
        be.free(z);
        be.free(u);
      }
    });
  }
  if (WASM.skipped.length > 0 && WASM.errors.length === 0) {
    it.skip(`wasm variants skipped: ${WASM.skipped.join('; ')}`, () => {});
  }
});

/** `it` with an arena of storages on `be`, freed after the test. */
function caseOn(be: Backend) {
  return (name: string, body: (h: Arena) => void) =>
    it(name, () => {
      const h = new Arena(be);
      try {
        body(h);
      } finally {
        h.dispose();
      }
    });
}

const f32 = Math.fround;
const range = (n: number, start = 0) => Array.from({ length: n }, (_, i) => start + i);

// ---- reference formulas for the optimizers (float64 math, float32 state) ----------------

function adamSteps(p0: number[], grads: number[][], lr: number, b1: number, b2: number, eps: number) {
  const p = p0.map(f32);
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g, s) => {
    const t = s + 1;
    const lrT = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    for (let i = 0; i < p.length; i++) {
      m[i] = f32(b1 * m[i] + (1 - b1) * g[i]);
      v[i] = f32(b2 * v[i] + (1 - b2) * g[i] * g[i]);
      p[i] = f32(p[i] - (lrT * m[i]) / (Math.sqrt(v[i]) + eps));
    }
  });
  return { p, m, v };
}

function lrTAt(t: number, lr: number, b1: number, b2: number): number {
  return (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
}

function sgdSteps(p0: number[], grads: number[][], lr: number, momentum: number, nesterov: boolean) {
  const p = p0.map(f32);
  const vel = p.map(() => 0);
  for (const g of grads) {
    for (let i = 0; i < p.length; i++) {
      if (momentum === 0) {
        p[i] = f32(p[i] - lr * g[i]);
        continue;
      }
      vel[i] = f32(momentum * vel[i] - lr * g[i]);
      p[i] = f32(p[i] + (nesterov ? momentum * vel[i] - lr * g[i] : vel[i]));
    }
  }
  return { p, vel };
}

function rmspropSteps(
  p0: number[], grads: number[][], lr: number, rho: number, momentum: number, eps: number, centered: boolean,
) {
  const p = p0.map(f32);
  const ms = p.map(() => 0);
  const mg = p.map(() => 0);
  const mom = p.map(() => 0);
  for (const g of grads) {
    for (let i = 0; i < p.length; i++) {
      ms[i] = f32(rho * ms[i] + (1 - rho) * g[i] * g[i]);
      let denom = ms[i];
      if (centered) {
        mg[i] = f32(rho * mg[i] + (1 - rho) * g[i]);
        denom = Math.max(ms[i] - mg[i] * mg[i], 0);
      }
      const step = (lr * g[i]) / Math.sqrt(denom + eps);
      if (momentum > 0) {
        mom[i] = f32(momentum * mom[i] + step);
        p[i] = f32(p[i] - mom[i]);
      } else {
        p[i] = f32(p[i] - step);
      }
    }
  }
  return { p, ms, mg, mom };
}

// ======================================================================================
// Part 1: every backend against hand-computed values
// ======================================================================================

for (const { label, be } of BACKENDS) {
  describe(`${label}: hand-computed values`, () => {
    const test = caseOn(be);
    /** For transcendental results: float32 rounding (js) or an approximation (wasm). */
    const approx: Tolerance = be.name === 'js' ? { rtol: 2e-6, atol: 1e-7 } : { rtol: 3e-5, atol: 1e-6 };

    // ---- memory -------------------------------------------------------------------------

    test('alloc is zero-filled, also when reusing freed memory', (h) => {
      for (const n of [1, 3, 17, 1000]) {
        const s = be.alloc(n);
        be.fill(s, 7, n);
        be.free(s);
        const t = h.f32(n);
        expectEqual(h.read(t), new Float32Array(n), `alloc(${n})`);
      }
    });

    test('write and read, with offsets, as float32 and int32', (h) => {
      const s = h.f32(6);
      be.write(s, new Float32Array([1.5, -2.25]), 2);
      expectEqual(h.read(s), [0, 0, 1.5, -2.25, 0, 0]);
      expectEqual(be.readF32(s, 2, 2), [1.5, -2.25], 'readF32(s, 2, 2)');
      expectEqual(be.readF32(s, 3), [-2.25, 0, 0], 'readF32(s, 3)');
      be.write(s, new Int32Array([-7, 2 ** 30]), 4);
      expectEqual(be.readI32(s, 4), [-7, 2 ** 30], 'readI32');
      // int32 and float32 views share the bits
      be.write(s, new Float32Array([1]), 0);
      expect(be.readI32(s, 0, 1)[0]).toBe(0x3f800000);
    });

    test('fill float32 and int32, only the first n elements', (h) => {
      const s = h.f32(5);
      be.fill(s, -0.5, 3);
      expectEqual(h.read(s), [-0.5, -0.5, -0.5, 0, 0]);
      be.fill(s, 123456789, 2, true);
      expectEqual(be.readI32(s, 0, 2), [123456789, 123456789], 'int fill');
      expectEqual(be.readF32(s, 2), [-0.5, 0, 0], 'untouched');
    });

    test('heapBytes covers the live storages', (h) => {
      h.f32(1 << 18); // 1 MiB
      expect(be.heapBytes()).toBeGreaterThanOrEqual(1 << 20);
    });

    test('an impossible alloc throws an Error and the backend stays usable', (h) => {
      expect(() => be.alloc(2 ** 40)).toThrow(Error);
      const s = h.f32([1, 2, 3]);
      expectEqual(h.read(s), [1, 2, 3]);
    });

    // ---- data movement ------------------------------------------------------------------

    test('stridedCopy: transpose, broadcast (stride 0), offsets, rank 0, empty', (h) => {
      // [3,2] viewed from a row-major [2,3]: transpose
      const src = h.f32([1, 2, 3, 4, 5, 6]);
      const dst = h.f32(6);
      be.stridedCopy(src, 0, [1, 3], dst, 0, [2, 1], [3, 2]);
      expectEqual(h.read(dst), [1, 4, 2, 5, 3, 6], 'transpose');
      // broadcast a row to [2,3]
      be.stridedCopy(src, 0, [0, 1], dst, 0, [3, 1], [2, 3]);
      expectEqual(h.read(dst), [1, 2, 3, 1, 2, 3], 'broadcast');
      // slice [1:3] of the second row into the middle of a buffer
      const mid = h.f32(5);
      be.stridedCopy(src, 4, [1], mid, 1, [1], [2]);
      expectEqual(h.read(mid), [0, 5, 6, 0, 0], 'slice with offsets');
      // rank 0 copies one element
      be.stridedCopy(src, 5, [], mid, 4, [], []);
      expectEqual(h.read(mid), [0, 5, 6, 0, 6], 'rank 0');
      // a zero-sized axis copies nothing
      be.stridedCopy(src, 0, [1, 1], mid, 0, [1, 1], [0, 3]);
      expectEqual(h.read(mid), [0, 5, 6, 0, 6], 'empty');
      // bits are copied exactly (int32 data)
      const ints = h.i32([-1, 2 ** 31 - 1, -(2 ** 31)]);
      const intsOut = h.f32(3);
      be.stridedCopy(ints, 0, [1], intsOut, 0, [1], [3]);
      expectEqual(be.readI32(intsOut), [-1, 2 ** 31 - 1, -(2 ** 31)], 'int32 bits');
      const nan = h.f32(1);
      be.write(nan, new Int32Array([0x7fc00123])); // a NaN with a payload
      be.stridedCopy(nan, 0, [], intsOut, 1, [], []);
      expect(be.readI32(intsOut, 1, 1)[0]).toBe(0x7fc00123);
    });

    test('casts: float32 → int32 truncates toward zero; int32 → float32', (h) => {
      const x = h.f32([1.7, -1.7, 2.5, -0.2, 0, 3, -3, 123456.9]);
      const out = h.f32(8);
      be.castF32ToI32(x, out, 8);
      expectEqual(be.readI32(out), [1, -1, 2, 0, 0, 3, -3, 123456]);
      const ints = h.i32([-3, 0, 7, 16777217]);
      const back = h.f32(4);
      be.castI32ToF32(ints, back, 4);
      expectEqual(h.read(back), [-3, 0, 7, 16777216]);
    });

    // ---- matmul ---------------------------------------------------------------------------

    const A = [1, 2, 3, 4, 5, 6]; // 2×3
    const At = [1, 4, 2, 5, 3, 6]; // its transpose, 3×2
    const B = [7, 8, 9, 10, 11, 12]; // 3×2
    const Bt = [7, 9, 11, 8, 10, 12]; // 2×3
    const AB = [58, 64, 139, 154];

    test('matmul 2×3 · 3×2 in every transpose form', (h) => {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          const c = h.f32(4);
          be.matmul(h.f32(tA ? At : A), 0, 0, h.f32(tB ? Bt : B), 0, 0, c, 0, 0, 1, 2, 2, 3, tA, tB, 1, 0);
          expectEqual(h.read(c), AB, `transA=${tA} transB=${tB}`);
        }
      }
    });

    test('matmul alpha and beta; beta = 0 ignores NaN in C', (h) => {
      const c = h.f32([1, 2, 3, 4]);
      be.matmul(h.f32(A), 0, 0, h.f32(B), 0, 0, c, 0, 0, 1, 2, 2, 3, false, false, 2, 0.5);
      expectEqual(h.read(c), [116.5, 129, 279.5, 310], 'alpha 2, beta 0.5');
      const nan = h.f32([NaN, NaN, NaN, NaN]);
      be.matmul(h.f32(A), 0, 0, h.f32(B), 0, 0, nan, 0, 0, 1, 2, 2, 3, false, false, 1, 0);
      expectEqual(h.read(nan), AB, 'beta 0 over NaN');
    });

    test('matmul batches: shared A or B (stride 0), offsets, gaps left untouched', (h) => {
      const B2 = [1, 0, 0, 1, 1, 1]; // A·B2 = [[4, 5], [10, 11]]
      const a = h.f32([99, ...A]);
      const b = h.f32([...B, ...B2]);
      const c = h.f32(10);
      be.fill(c, -1, 10);
      be.matmul(a, 1, 0, b, 0, 6, c, 1, 5, 2, 2, 2, 3, false, false, 1, 0);
      expectEqual(h.read(c), [-1, 58, 64, 139, 154, -1, 4, 5, 10, 11], 'shared A');
      // two As (the second is 2·A), one B
      const a2 = h.f32([...A, ...A.map((x) => 2 * x)]);
      const c2 = h.f32(8);
      be.matmul(a2, 0, 6, h.f32(B), 0, 0, c2, 0, 4, 2, 2, 2, 3, false, false, 1, 0);
      expectEqual(h.read(c2), [...AB, ...AB.map((x) => 2 * x)], 'shared B');
    });

    test('matmul with k = 0 gives beta·C', (h) => {
      const c = h.f32([2, 4]);
      be.matmul(h.f32(1), 0, 0, h.f32(1), 0, 0, c, 0, 0, 1, 1, 2, 0, false, false, 1, 0.5);
      expectEqual(h.read(c), [1, 2]);
    });

    // ---- element-wise -------------------------------------------------------------------

    test('binary: broadcasting add of [2,1,3] + [1,4,1]', (h) => {
      const a = h.f32([1, 2, 3, 4, 5, 6]);
      const b = h.f32([10, 20, 30, 40]);
      const out = h.f32(24);
      be.binary('add', a, [3, 0, 1], b, [0, 1, 0], out, [2, 4, 3]);
      expectEqual(h.read(out), [
        11, 12, 13, 21, 22, 23, 31, 32, 33, 41, 42, 43,
        14, 15, 16, 24, 25, 26, 34, 35, 36, 44, 45, 46,
      ]);
    });

    test('binary: every op on hand values', (h) => {
      const av = [1, -2, 3, 0.5, 2, 2];
      const bv = [2, 4, -1, 0.5, 3, 2];
      const expected: Record<BinaryOp, number[]> = {
        add: [3, 2, 2, 1, 5, 4],
        sub: [-1, -6, 4, 0, -1, 0],
        mul: [2, -8, -3, 0.25, 6, 4],
        div: [0.5, -0.5, -3, 1, 2 / 3, 1],
        pow: [1, 16, 1 / 3, Math.SQRT1_2, 8, 4],
        maximum: [2, 4, 3, 0.5, 3, 2],
        minimum: [1, -2, -1, 0.5, 2, 2],
        squaredDifference: [1, 36, 16, 0, 1, 0],
        equal: [0, 0, 0, 1, 0, 1],
        notEqual: [1, 1, 1, 0, 1, 0],
        greater: [0, 0, 1, 0, 0, 0],
        greaterEqual: [0, 0, 1, 1, 0, 1],
        less: [1, 1, 0, 0, 1, 0],
        lessEqual: [1, 1, 0, 1, 1, 1],
        atan2: av.map((y, i) => Math.atan2(y, bv[i])),
        mod: [1, 2, 0, 0, 2, 0], // the sign of the divisor, as tf.mod
        floorDiv: [0, -1, -3, 1, 0, 1],
      };
      const a = h.f32(av);
      const b = h.f32(bv);
      const out = h.f32(6);
      for (const [op, want] of Object.entries(expected) as [BinaryOp, number[]][]) {
        be.binary(op, a, [1], b, [1], out, [6]);
        expectClose(h.read(out), want, op === 'pow' || op === 'atan2' ? approx : { rtol: 1e-7 }, op);
      }
    });

    test('binary: scalar broadcast on either side, and rank 0', (h) => {
      const v = h.f32([1, 2, 3]);
      const s = h.f32([10]);
      const out = h.f32(3);
      be.binary('mul', v, [1], s, [0], out, [3]);
      expectEqual(h.read(out), [10, 20, 30], 'vector · scalar');
      be.binary('sub', s, [0], v, [1], out, [3]);
      expectEqual(h.read(out), [9, 8, 7], 'scalar − vector');
      be.binary('div', s, [], v, [], out, []);
      expectEqual(be.readF32(out, 0, 1), [10], 'rank 0');
    });

    test('unary: every op on hand values', (h) => {
      const cases: [UnaryOp, number | undefined, number[], number[]][] = [
        ['neg', undefined, [1, -2, 0], [-1, 2, 0]],
        ['abs', undefined, [-3, 2, 0], [3, 2, 0]],
        ['exp', undefined, [0, 1, -1], [1, Math.E, 1 / Math.E]],
        ['log', undefined, [1, Math.E, 0.5], [0, 1, -Math.LN2]],
        ['sqrt', undefined, [4, 2, 0], [2, Math.SQRT2, 0]],
        ['rsqrt', undefined, [4, 0.25], [0.5, 2]],
        ['square', undefined, [-3, 0.5], [9, 0.25]],
        ['reciprocal', undefined, [4, -0.5], [0.25, -2]],
        ['relu', undefined, [-1, 0, 2], [0, 0, 2]],
        ['sigmoid', undefined, [0, 2, -2], [0.5, 0.8807970779778823, 0.11920292202211755]],
        ['tanh', undefined, [0, 1, -0.5], [0, 0.7615941559557649, -0.46211715726000974]],
        ['softplus', undefined, [0, 1, 100, -100], [Math.LN2, 1.3132616875182228, 100, 3.720075976020836e-44]],
        ['sign', undefined, [-3, 0, 2], [-1, 0, 1]],
        ['floor', undefined, [1.5, -1.5, 2], [1, -2, 2]],
        ['ceil', undefined, [1.5, -1.5, 2], [2, -1, 2]],
        ['round', undefined, [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 1.4, -1.6, 3], [0, 2, 2, 0, -2, -2, 1, -2, 3]],
        ['step', undefined, [-1, 0, 2], [0, 0, 1]],
        ['log1p', undefined, [0, 1e-10, 1], [0, 1e-10, Math.LN2]],
        ['elu', 1, [-1, 2, 0], [1 / Math.E - 1, 2, 0]],
        ['elu', 0.5, [-1, 2], [0.5 * (1 / Math.E - 1), 2]],
        ['selu', undefined, [1, -1, 0], [1.0507009873554805, -1.1113307378125625, 0]],
        ['gelu', undefined, [0, 1, -1, 3, -3], [0, 0.8413447460685429, -0.15865525393145707, 2.99595030590511, -0.00404969409489031]],
        ['relu6', undefined, [-1, 3, 7, 6], [0, 3, 6, 6]],
        ['leakyRelu', 0.2, [-2, 3, 0], [-0.4, 3, 0]],
        ['leakyRelu', 0.1, [-2, 3], [-0.2, 3]],
      ];
      for (const [op, alpha, xs, want] of cases) {
        const x = h.f32(xs);
        const out = h.f32(xs.length);
        be.unary(op, x, out, xs.length, alpha);
        expectClose(h.read(out), want, approx, `${op}(${xs.join(', ')})${alpha === undefined ? '' : ` alpha ${alpha}`}`);
      }
    });

    test('unaryGrad: every op on hand values', (h) => {
      const cases: [UnaryGradOp, number | undefined, number[], number[], number[]][] = [
        // op, alpha, x (or y), dy, dx
        ['relu', undefined, [-1, 2], [3, 3], [0, 3]],
        ['sigmoid', undefined, [0.5, 0.25], [1, 2], [0.25, 0.375]],
        ['tanh', undefined, [0.5, 0], [1, 2], [0.75, 2]],
        ['leakyRelu', 0.2, [-1, 2], [1, 1], [0.2, 1]],
        ['elu', 1, [-1, 1], [1, 2], [1 / Math.E, 2]],
        ['elu', 0.5, [-1], [2], [1 / Math.E]],
        ['selu', undefined, [-1, 1], [1, 1], [0.646768603034814, 1.0507009873554805]],
        ['gelu', undefined, [0, 1, -1], [1, 1, 2], [0.5, 1.0833154705876864, -2 * 0.08331547058768629]],
        ['softplus', undefined, [0, 2], [1, 2], [0.5, 2 * 0.8807970779778823]],
        ['relu6', undefined, [-1, 3, 7], [1, 1, 1], [0, 1, 0]],
      ];
      for (const [op, alpha, xs, dys, want] of cases) {
        const dx = h.f32(xs.length);
        be.unaryGrad(op, h.f32(xs), h.f32(dys), dx, xs.length, alpha);
        expectClose(h.read(dx), want, approx, `${op}'`);
      }
    });

    test('affine, clip, where', (h) => {
      const x = h.f32([1, 2, -3]);
      const out = h.f32(3);
      be.affine(x, out, 3, 2, 1);
      expectEqual(h.read(out), [3, 5, -5], 'affine');
      be.clip(h.f32([-5, 0.5, 5]), out, 3, -1, 1);
      expectEqual(h.read(out), [-1, 0.5, 1], 'clip');
      const o4 = h.f32(4);
      be.where(h.f32([1, 0, 0.5, 0]), h.f32([1, 2, 3, 4]), h.f32([10, 20, 30, 40]), o4, 4);
      expectEqual(h.read(o4), [1, 20, 3, 40], 'where');
    });

    // ---- reductions ---------------------------------------------------------------------

    test('reduce along each axis of a [2,3,4] tensor', (h) => {
      const x = h.f32(range(24, 1));
      const views: [string, number, number, number, Record<'sum' | 'max' | 'min', number[]>][] = [
        ['axis 0', 1, 2, 12, {
          sum: range(12).map((j) => 2 * j + 14),
          max: range(12, 13),
          min: range(12, 1),
        }],
        ['axis 1', 2, 3, 4, {
          sum: [15, 18, 21, 24, 51, 54, 57, 60],
          max: [9, 10, 11, 12, 21, 22, 23, 24],
          min: [1, 2, 3, 4, 13, 14, 15, 16],
        }],
        ['axis 2', 6, 4, 1, {
          sum: [10, 26, 42, 58, 74, 90],
          max: [4, 8, 12, 16, 20, 24],
          min: [1, 5, 9, 13, 17, 21],
        }],
        ['all', 1, 24, 1, { sum: [300], max: [24], min: [1] }],
      ];
      for (const [name, outer, axis, inner, want] of views) {
        const out = h.f32(outer * inner);
        for (const op of ['sum', 'max', 'min'] as const) {
          be.reduce(op, x, out, outer, axis, inner);
          expectEqual(h.read(out), want[op], `${op} ${name}`);
        }
        // prod by the naive formula (all values are exact integers below 2^24)
        const prod = new Array<number>(outer * inner).fill(1);
        for (let o = 0; o < outer; o++) {
          for (let r = 0; r < axis; r++) {
            for (let i = 0; i < inner; i++) prod[o * inner + i] *= (o * axis + r) * inner + i + 1;
          }
        }
        if (name !== 'all') {
          be.reduce('prod', x, out, outer, axis, inner);
          expectEqual(h.read(out), prod, `prod ${name}`);
        }
      }
    });

    test('argMax / argMin take the first index on ties', (h) => {
      const x = h.f32([1, 3, 3, 2, 2, 1]); // [[1,3,3],[2,2,1]]
      const rows = h.f32(2);
      be.argReduce('argMax', x, rows, 2, 3, 1);
      expectEqual(be.readI32(rows), [1, 0], 'argMax along rows');
      be.argReduce('argMin', x, rows, 2, 3, 1);
      expectEqual(be.readI32(rows), [0, 2], 'argMin along rows');
      const cols = h.f32(3);
      be.argReduce('argMax', x, cols, 1, 2, 3);
      expectEqual(be.readI32(cols), [1, 0, 0], 'argMax along columns');
      be.argReduce('argMin', x, cols, 1, 2, 3);
      expectEqual(be.readI32(cols), [0, 1, 1], 'argMin along columns');
    });

    // ---- softmax ------------------------------------------------------------------------

    const SM = [0.09003057317038046, 0.24472847105479767, 0.6652409557748219];
    const LSM = [-2.40760596444438, -1.4076059644443801, -0.4076059644443803];

    test('softmax and logSoftmax of [1, 2, 3], and of large logits', (h) => {
      const x = h.f32([1, 2, 3, 1000, 1000, 1000]);
      const out = h.f32(6);
      be.softmax(x, out, 2, 3);
      expectClose(h.read(out), [...SM, 1 / 3, 1 / 3, 1 / 3], approx, 'softmax');
      be.logSoftmax(x, out, 2, 3);
      expectClose(h.read(out), [...LSM, -Math.log(3), -Math.log(3), -Math.log(3)], approx, 'logSoftmax');
    });

    test('softmaxGrad and logSoftmaxGrad by their formulas', (h) => {
      const dyv = [0.5, -1, 2];
      const dx = h.f32(3);
      be.softmaxGrad(h.f32(SM), h.f32(dyv), dx, 1, 3);
      const dot = dyv.reduce((s, d, j) => s + d * SM[j], 0);
      expectClose(h.read(dx), SM.map((y, j) => y * (dyv[j] - dot)), approx, 'softmaxGrad');
      be.logSoftmaxGrad(h.f32(LSM), h.f32(dyv), dx, 1, 3);
      const sum = dyv.reduce((s, d) => s + d, 0);
      expectClose(h.read(dx), dyv.map((d, j) => d - SM[j] * sum), approx, 'logSoftmaxGrad');
    });

    // ---- indexing -----------------------------------------------------------------------

    test('gather along the middle axis; a bad index returns its position', (h) => {
      const x = h.f32(range(12)); // [2, 3, 2]
      const out = h.f32(12);
      expect(be.gather(x, h.i32([2, 0, 2]), out, 2, 3, 2, 3)).toBe(-1);
      expectEqual(h.read(out), [4, 5, 0, 1, 4, 5, 10, 11, 6, 7, 10, 11]);
      expect(be.gather(x, h.i32([0, 3, -1]), out, 2, 3, 2, 3)).toBe(1);
      expect(be.gather(x, h.i32([-1, 0]), out, 2, 3, 2, 2)).toBe(0);
      expect(be.gather(x, h.i32([1, 2, 5]), out, 2, 3, 2, 3)).toBe(2);
    });

    test('scatterAdd accumulates repeated indices and keeps dx', (h) => {
      const dx = h.f32([1, 1, 1, 1, 1, 1]);
      be.scatterAdd(h.f32([1, 2, 3, 4, 5, 6]), h.i32([2, 0, 2]), dx, 1, 3, 2, 3);
      expectEqual(h.read(dx), [4, 5, 1, 1, 7, 9]);
    });

    test('oneHot; out-of-range indices give all-off rows', (h) => {
      const out = h.f32(12);
      be.oneHot(h.i32([0, 2, -1, 3]), out, 4, 3, 1, 0);
      expectEqual(h.read(out), [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
      be.oneHot(h.i32([1, 0]), out, 2, 3, 5, -1);
      expectEqual(be.readF32(out, 0, 6), [-1, 5, -1, 5, -1, -1]);
    });

    // ---- fused losses -------------------------------------------------------------------

    test('sigmoidCrossEntropy stays finite at logits ±100', (h) => {
      const xs = [100, 100, -100, -100, 0, 0, 2];
      const zs = [1, 0, 1, 0, 1, 0.3, 0.5];
      const loss = h.f32(7);
      const grad = h.f32(7);
      be.sigmoidCrossEntropy(h.f32(xs), h.f32(zs), loss, grad, 7);
      expectClose(h.read(loss), [0, 100, 100, 0, Math.LN2, Math.LN2, 1.1269280110429725], approx, 'loss');
      expectClose(h.read(grad), [0, 1, -1, 0, -0.5, 0.2, 0.8807970779778823 - 0.5], approx, 'grad');
    });

    test('softmaxCrossEntropy with one-hot and soft labels, large logits', (h) => {
      const x = h.f32([1, 2, 3, 1000, 0, -1000]);
      const loss = h.f32(2);
      const grad = h.f32(6);
      be.softmaxCrossEntropy(x, h.f32([0, 0, 1, 0.5, 0.5, 0]), loss, grad, 2, 3);
      expectClose(h.read(loss), [-LSM[2], 500], approx, 'loss');
      expectClose(h.read(grad), [SM[0], SM[1], SM[2] - 1, 0.5, -0.5, 0], approx, 'grad');
    });

    test('sparseSoftmaxCrossEntropy; a bad label returns its row', (h) => {
      const x = h.f32([1, 2, 3, 1000, 0, -1000]);
      const loss = h.f32(2);
      const grad = h.f32(6);
      expect(be.sparseSoftmaxCrossEntropy(x, h.i32([2, 0]), loss, grad, 2, 3)).toBe(-1);
      expectClose(h.read(loss), [-LSM[2], 0], approx, 'loss');
      expectClose(h.read(grad), [SM[0], SM[1], SM[2] - 1, 0, 0, 0], approx, 'grad');
      expect(be.sparseSoftmaxCrossEntropy(x, h.i32([0, 3]), loss, grad, 2, 3)).toBe(1);
      expect(be.sparseSoftmaxCrossEntropy(x, h.i32([-1, 0]), loss, grad, 2, 3)).toBe(0);
    });

    // ---- optimizers -----------------------------------------------------------------------

    const optTol: Tolerance = { rtol: 1e-5, atol: 1e-6 };
    const p0 = [0.5, -1, 2, 0, 0.25];
    const grads = [
      [0.1, -0.2, 0.3, 0, 1],
      [0.2, 0.1, -0.3, 0.5, 1],
      [-0.1, -0.2, 0.3, 0.5, 1],
      [0.3, 0.2, 0.1, -0.5, 1],
      [0.05, -0.4, 0.2, 0.5, 1],
    ];
    const n = p0.length;

    test('adam: first step moves each parameter by about lr against its gradient', (h) => {
      const p = h.f32([1, 1]);
      be.adam(p, h.f32([0.5, -2]), h.f32(2), h.f32(2), 2, lrTAt(1, 0.01, 0.9, 0.999), 0.9, 0.999, 1e-7);
      expectClose(h.read(p), [0.99, 1.01], { atol: 1e-6 });
    });

    // A large epsilon too, so where ε enters the formula shows.
    test('adam: five steps against the formula', (h) => {
      for (const eps of [1e-7, 0.05]) {
        const p = h.f32(p0);
        const m = h.f32(n);
        const v = h.f32(n);
        grads.forEach((g, s) => {
          be.adam(p, h.f32(g), m, v, n, lrTAt(s + 1, 0.01, 0.9, 0.999), 0.9, 0.999, eps);
        });
        const want = adamSteps(p0, grads, 0.01, 0.9, 0.999, eps);
        expectClose(h.read(p), want.p, optTol, `p, eps ${eps}`);
        expectClose(h.read(m), want.m, optTol, `m, eps ${eps}`);
        expectClose(h.read(v), want.v, optTol, `v, eps ${eps}`);
      }
    });

    test('sgd: two momentum / nesterov steps by hand', (h) => {
      for (const [nesterov, after] of [[false, [0.95, 0.855]], [true, [0.905, 0.7695]]] as const) {
        const p = h.f32([1]);
        const vel = h.f32(1);
        const g = h.f32([0.5]);
        be.sgd(p, g, vel, 1, 0.1, 0.9, nesterov);
        expectClose(h.read(p), [after[0]], { rtol: 1e-6 }, `nesterov=${nesterov} step 1`);
        be.sgd(p, g, vel, 1, 0.1, 0.9, nesterov);
        expectClose(h.read(p), [after[1]], { rtol: 1e-6 }, `nesterov=${nesterov} step 2`);
      }
    });

    test('sgd: plain, momentum and nesterov, five steps against the formula', (h) => {
      for (const [momentum, nesterov] of [[0, false], [0.9, false], [0.9, true]] as const) {
        const p = h.f32(p0);
        const vel = momentum > 0 ? h.f32(n) : null;
        for (const g of grads) be.sgd(p, h.f32(g), vel, n, 0.05, momentum, nesterov);
        const want = sgdSteps(p0, grads, 0.05, momentum, nesterov);
        const what = `momentum ${momentum} nesterov ${nesterov}`;
        expectClose(h.read(p), want.p, optTol, `p, ${what}`);
        if (vel) expectClose(h.read(vel), want.vel, optTol, `velocity, ${what}`);
      }
    });

    test('rmsprop: plain, centered, momentum, centered + momentum against the formula', (h) => {
      const variants = [[false, 0, 1e-7], [true, 0, 1e-7], [false, 0.5, 1e-7], [true, 0.5, 1e-7], [false, 0, 0.05], [true, 0.5, 0.05]] as const;
      for (const [centered, momentum, eps] of variants) {
        const p = h.f32(p0);
        const ms = h.f32(n);
        const mg = centered ? h.f32(n) : null;
        const mom = momentum > 0 ? h.f32(n) : null;
        for (const g of grads) be.rmsprop(p, h.f32(g), ms, mg, mom, n, 0.01, 0.9, momentum, eps);
        const want = rmspropSteps(p0, grads, 0.01, 0.9, momentum, eps, centered);
        const what = `centered ${centered} momentum ${momentum} eps ${eps}`;
        expectClose(h.read(p), want.p, optTol, `p, ${what}`);
        expectClose(h.read(ms), want.ms, optTol, `ms, ${what}`);
        if (mg) expectClose(h.read(mg), want.mg, optTol, `mg, ${what}`);
        if (mom) expectClose(h.read(mom), want.mom, optTol, `mom, ${what}`);
      }
    });
  });
}

// ---- conventions of the js backend that the interface leaves open ----------------------

describe('js: defaults and bookkeeping', () => {
  const test = caseOn(JS);

  test('heapBytes counts exactly the live storages', () => {
    const before = JS.heapBytes();
    const s = JS.alloc(100);
    expect(JS.heapBytes()).toBe(before + 400);
    JS.free(s);
    expect(JS.heapBytes()).toBe(before);
    expect(() => JS.free(s)).toThrow(/freed/);
    expect(() => JS.readF32(s)).toThrow(/freed/);
  });

  test('alpha defaults: elu 1, leakyRelu 0.2', (h) => {
    const out = h.f32(1);
    JS.unary('elu', h.f32([-1]), out, 1);
    expectClose(h.read(out), [1 / Math.E - 1], { rtol: 1e-6 });
    JS.unary('leakyRelu', h.f32([-1]), out, 1);
    expectClose(h.read(out), [-0.2], { rtol: 1e-6 });
  });

  test('kinks: relu\'(0) = 0, relu6\' = 1 on (0, 6]', (h) => {
    const dx = h.f32(5);
    JS.unaryGrad('relu6', h.f32([0, 6, 6.5, 1e-3, -1e-3]), h.f32([1, 1, 1, 1, 1]), dx, 5);
    expectEqual(h.read(dx), [0, 1, 0, 1, 0]);
    JS.unaryGrad('relu', h.f32([0, 1e-3]), h.f32([1, 1]), dx, 2);
    expectEqual(JS.readF32(dx, 0, 2), [0, 1]);
  });

  test('castF32ToI32 saturates out-of-range values and maps NaN to 0', (h) => {
    const out = h.f32(4);
    JS.castF32ToI32(h.f32([3e9, -3e9, NaN, -0.99]), out, 4);
    expectEqual(JS.readI32(out), [2147483647, -2147483648, 0, 0]);
  });

  test('centered rmsprop clamps ms − mg² at 0 instead of taking √(negative)', (h) => {
    const p = h.f32([1]);
    // state where rounding (here: forced) left mg² > ms
    JS.rmsprop(p, h.f32([0]), h.f32([0.01]), h.f32([0.2]), null, 1, 0.1, 0.9, 0, 1e-7);
    expectEqual(h.read(p), [1]);
  });

  test('stridedCopy accepts negative strides (reversal)', (h) => {
    const out = h.f32(3);
    JS.stridedCopy(h.f32([1, 2, 3]), 2, [-1], out, 0, [1], [3]);
    expectEqual(h.read(out), [3, 2, 1]);
  });

  test('out-of-bounds kernel arguments throw', (h) => {
    const x = h.f32(4);
    expect(() => JS.unary('exp', x, x, 5)).toThrow(/outside/);
    expect(() => JS.stridedCopy(x, 0, [2], x, 0, [1], [3])).toThrow(/outside/);
  });
});

// ======================================================================================
// Part 2: each wasm build against the js backend on random inputs
// ======================================================================================

/** Runs `body` on a backend with a fresh arena; the result must be plain arrays. */
function runOn<T>(be: Backend, body: (h: Arena) => T): T {
  const h = new Arena(be);
  try {
    return body(h);
  } finally {
    h.dispose();
  }
}

/** Element-wise ops: inputs drawn from a domain where the op is defined and well conditioned. */
const UNARY_CASES: { op: UnaryOp; alpha?: number; gen: (rng: Rng, n: number) => Float32Array; tol: Tolerance }[] = (() => {
  const exact: Tolerance = { rtol: 1e-6 };
  const transcendental: Tolerance = { rtol: 3e-5, atol: 1e-30 };
  const wide = (lo: number, hi: number) => (rng: Rng, n: number) => uniform(rng, n, lo, hi);
  /** Half-integers and integers mixed with random values, to hit rounding ties. */
  const ties = (rng: Rng, n: number) => {
    const out = uniform(rng, n, -10, 10);
    for (let i = 0; i < n; i += 2) out[i] = Math.round(out[i] * 2) / 2;
    return out;
  };
  const withSpecials = (lo: number, hi: number, specials: number[]) => (rng: Rng, n: number) => {
    const out = uniform(rng, n, lo, hi);
    for (let i = 0; i < Math.min(n, specials.length); i++) out[(i * 7) % n] = specials[i];
    return out;
  };
  return [
    { op: 'neg', gen: wide(-10, 10), tol: exact },
    { op: 'abs', gen: wide(-10, 10), tol: exact },
    { op: 'exp', gen: withSpecials(-80, 80, [0, 100, -110]), tol: transcendental },
    { op: 'log', gen: wide(1e-3, 1e3), tol: { rtol: 3e-5, atol: 1e-6 } },
    { op: 'sqrt', gen: wide(0, 100), tol: exact },
    { op: 'rsqrt', gen: wide(1e-3, 100), tol: { rtol: 2e-6 } },
    { op: 'square', gen: wide(-10, 10), tol: exact },
    { op: 'reciprocal', gen: (rng, n) => awayFromZero(rng, n, 1e-2, 100), tol: { rtol: 2e-6 } },
    { op: 'relu', gen: withSpecials(-5, 5, [0]), tol: exact },
    { op: 'sigmoid', gen: withSpecials(-30, 30, [0, 100, -100]), tol: transcendental },
    { op: 'tanh', gen: withSpecials(-10, 10, [0, 1e-4, -1e-4, 30, -30]), tol: { rtol: 3e-5, atol: 1e-7 } },
    { op: 'softplus', gen: withSpecials(-30, 30, [0, 100, -100]), tol: transcendental },
    { op: 'sign', gen: withSpecials(-5, 5, [0]), tol: exact },
    { op: 'floor', gen: ties, tol: exact },
    { op: 'ceil', gen: ties, tol: exact },
    { op: 'round', gen: ties, tol: exact },
    { op: 'step', gen: withSpecials(-5, 5, [0]), tol: exact },
    { op: 'log1p', gen: withSpecials(-0.9, 100, [0, 1e-6, -1e-6]), tol: { rtol: 3e-5, atol: 1e-7 } },
    { op: 'elu', alpha: 1, gen: wide(-10, 10), tol: { rtol: 3e-5, atol: 1e-7 } },
    { op: 'elu', alpha: 0.3, gen: wide(-10, 10), tol: { rtol: 3e-5, atol: 1e-7 } },
    { op: 'selu', gen: wide(-10, 10), tol: { rtol: 3e-5, atol: 1e-7 } },
    { op: 'gelu', gen: wide(-8, 8), tol: { rtol: 3e-5, atol: 1e-6 } },
    { op: 'relu6', gen: withSpecials(-3, 9, [0, 6]), tol: exact },
    { op: 'leakyRelu', alpha: 0.2, gen: wide(-5, 5), tol: exact },
    { op: 'leakyRelu', alpha: 0.01, gen: wide(-5, 5), tol: exact },
    { op: 'sin', gen: withSpecials(-20, 20, [0, 1e-6, Math.PI, 1e5, -3e6]), tol: { rtol: 1e-6, atol: 1e-7 } },
    { op: 'cos', gen: withSpecials(-20, 20, [0, 1e-6, Math.PI / 2, 1e5, -3e6]), tol: { rtol: 1e-6, atol: 1e-7 } },
    { op: 'tan', gen: withSpecials(-1.5, 1.5, [0, 1e-6, 10, -100]), tol: { rtol: 3e-6, atol: 1e-7 } },
    { op: 'asin', gen: withSpecials(-1, 1, [0, 1, -1, 1e-6, 0.5, 2]), tol: { rtol: 1e-6, atol: 1e-7 } },
    { op: 'acos', gen: withSpecials(-1, 1, [0, 1, -1, 0.5, -0.5, 2]), tol: { rtol: 1e-6, atol: 1e-7 } },
    { op: 'atan', gen: withSpecials(-10, 10, [0, 1e-6, 1e6, -1e6]), tol: { rtol: 1e-6, atol: 1e-7 } },
    { op: 'sinh', gen: withSpecials(-10, 10, [0, 1e-6, 80, -80]), tol: { rtol: 2e-6, atol: 1e-7 } },
    { op: 'cosh', gen: withSpecials(-10, 10, [0, 1e-6, 80, -80]), tol: { rtol: 2e-6, atol: 1e-7 } },
    { op: 'asinh', gen: withSpecials(-100, 100, [0, 1e-6, 1e6, -1e6]), tol: { rtol: 1e-6, atol: 1e-7 } },
    { op: 'acosh', gen: withSpecials(1, 100, [1, 1.000001, 1e6, 0.5]), tol: { rtol: 1e-6, atol: 1e-7 } },
    { op: 'atanh', gen: withSpecials(-0.999, 0.999, [0, 1e-6, 1, -1, 2]), tol: { rtol: 1e-6, atol: 1e-7 } },
    { op: 'expm1', gen: withSpecials(-10, 10, [0, 1e-6, -1e-6, 0.4, 100]), tol: { rtol: 1e-6, atol: 1e-7 } },
    { op: 'erf', gen: withSpecials(-4, 4, [0, 1e-6, -1e-6, 0.3, 10]), tol: { rtol: 1e-6, atol: 2e-7 } },
  ];
})();

const UNARY_GRAD_CASES: { op: UnaryGradOp; alpha?: number; gen: (rng: Rng, n: number) => Float32Array }[] = [
  { op: 'relu', gen: (rng, n) => uniform(rng, n, -5, 5) },
  { op: 'sigmoid', gen: (rng, n) => uniform(rng, n, 0, 1) }, // y
  { op: 'tanh', gen: (rng, n) => uniform(rng, n, -1, 1) }, // y
  { op: 'leakyRelu', alpha: 0.2, gen: (rng, n) => uniform(rng, n, -5, 5) },
  { op: 'elu', alpha: 1, gen: (rng, n) => uniform(rng, n, -10, 5) },
  { op: 'elu', alpha: 0.3, gen: (rng, n) => uniform(rng, n, -10, 5) },
  { op: 'selu', gen: (rng, n) => uniform(rng, n, -10, 5) },
  { op: 'gelu', gen: (rng, n) => uniform(rng, n, -8, 8) },
  { op: 'softplus', gen: (rng, n) => uniform(rng, n, -30, 30) },
  { op: 'relu6', gen: (rng, n) => uniform(rng, n, -3, 9) },
];

const BINARY_OPS: BinaryOp[] = [
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'squaredDifference',
  'equal', 'notEqual', 'greater', 'greaterEqual', 'less', 'lessEqual',
  'atan2', 'mod', 'floorDiv',
];
const COMPARISONS = new Set<BinaryOp>(['equal', 'notEqual', 'greater', 'greaterEqual', 'less', 'lessEqual']);

/** Inputs for a binary op: a and b as contiguous arrays of the given sizes. */
function binaryInputs(op: BinaryOp, rng: Rng, na: number, nb: number): [Float32Array, Float32Array] {
  if (COMPARISONS.has(op)) {
    const vals = [-1, -0.5, 0, 0.5, 1]; // small set, so ties are common
    return [pick(rng, na, vals), pick(rng, nb, vals)];
  }
  if (op === 'pow') return [uniform(rng, na, 0.1, 4), uniform(rng, nb, -3, 3)];
  if (op === 'div' || op === 'mod' || op === 'floorDiv') return [uniform(rng, na, -10, 10), awayFromZero(rng, nb, 0.25, 4)];
  return [uniform(rng, na, -10, 10), uniform(rng, nb, -10, 10)];
}

function binaryTol(op: BinaryOp): Tolerance {
  if (COMPARISONS.has(op)) return { rtol: 0 };
  if (op === 'pow') return { rtol: 3e-5, atol: 1e-30 };
  if (op === 'add' || op === 'sub') return { rtol: 1e-6, atol: 1e-6 };
  if (op === 'atan2') return { rtol: 1e-6, atol: 1e-7 };
  if (op === 'mod') return { rtol: 1e-6, atol: 1e-6 };
  return { rtol: 1e-6 };
}

const SIZES = [1, 3, 5, 17, 33, 65, 1000];

for (const { label, be: wasm } of WASM.variants) {
  describe(`${label} matches js on random inputs`, () => {
    /** The same body on both backends: [wasm result, js result]. */
    const both = <T>(body: (h: Arena, be: Backend) => T): [T, T] => [
      runOn(wasm, (h) => body(h, wasm)),
      runOn(JS, (h) => body(h, JS)),
    ];

    it('stridedCopy: permutations, slices, broadcasts, rank 0 and rank 8', () => {
      const rng = mulberry32(1);
      const cases: { shape: number[]; perm?: number[]; srcOffset?: number; bcast?: boolean }[] = [
        { shape: [] },
        { shape: [1] },
        { shape: [65] },
        { shape: [3, 5, 17], perm: [2, 0, 1] },
        { shape: [33, 17], perm: [1, 0] },
        { shape: [2, 1, 33], perm: [2, 1, 0], srcOffset: 3 },
        { shape: [5, 17], bcast: true },
        { shape: [2, 1, 3, 1, 2, 1, 2, 3], perm: [7, 6, 5, 4, 3, 2, 1, 0] },
        { shape: [2, 3, 1, 2, 2, 1, 3, 2], bcast: true, srcOffset: 1 },
      ];
      for (const { shape, perm, srcOffset = 0, bcast } of cases) {
        const total = sizeOf(shape);
        const srcData = Int32Array.from(randInts(rng, total + srcOffset, -(2 ** 31), 2 ** 31 - 1));
        // source strides: permuted layout, or zeros on every other axis (broadcast)
        let srcStrides: number[];
        if (perm) {
          const permShape = perm.map((d) => shape[d]);
          const ps = contiguousStrides(permShape);
          srcStrides = shape.map((_, d) => ps[perm.indexOf(d)]);
        } else if (bcast) {
          srcStrides = contiguousStrides(shape).map((s, d) => (d % 2 === 0 ? 0 : s));
        } else {
          srcStrides = contiguousStrides(shape);
        }
        const dstStrides = contiguousStrides(shape);
        const [w, j] = both((h, be) => {
          const src = h.i32(srcData);
          const dst = h.f32(total + 2);
          be.fill(dst, -7, total + 2, true);
          be.stridedCopy(src, srcOffset, srcStrides, dst, 1, dstStrides, shape);
          return be.readI32(dst);
        });
        expectEqual(w, j, `shape [${shape}] src strides [${srcStrides}]`);
      }
    });

    it('casts', () => {
      const rng = mulberry32(2);
      const x = uniform(rng, 1000, -1e4, 1e4);
      for (let i = 0; i < 1000; i += 3) x[i] = Math.round(x[i] * 2) / 2;
      const ints = randInts(rng, 1000, -(2 ** 31), 2 ** 31 - 1);
      const [w, j] = both((h, be) => {
        const a = h.f32(x);
        const out = h.f32(1000);
        be.castF32ToI32(a, out, 1000);
        const i32 = be.readI32(out);
        be.castI32ToF32(h.i32(ints), out, 1000);
        return [i32, h.read(out)] as const;
      });
      expectEqual(w[0], j[0], 'castF32ToI32');
      expectEqual(w[1], j[1], 'castI32ToF32');
    });

    it('fill, write, read at awkward offsets', () => {
      const rng = mulberry32(3);
      for (const n of SIZES) {
        const data = uniform(rng, n);
        const [w, j] = both((h, be) => {
          const s = h.f32(n + 5);
          be.fill(s, 0.25, n + 3);
          be.write(s, data, 2);
          return [h.read(s), be.readF32(s, 1, n)] as const;
        });
        expectEqual(w[0], j[0], `n=${n}`);
        expectEqual(w[1], j[1], `n=${n} partial read`);
      }
    });

    /** Compares wasm and js matmul; the tolerance grows with k (and the magnitude of the terms). */
    function checkMatmul(
      rng: Rng, batch: number, m: number, n: number, k: number, tA: boolean, tB: boolean,
      alpha: number, beta: number, shareA: boolean, shareB: boolean, label: string,
    ) {
      const aOff = 1;
      const bOff = 2;
      const cOff = 3;
      const sA = shareA ? 0 : m * k + 1;
      const sB = shareB ? 0 : k * n + 2;
      const sC = m * n + 3;
      const aLen = aOff + (shareA ? 1 : batch) * Math.max(sA, m * k);
      const bLen = bOff + (shareB ? 1 : batch) * Math.max(sB, k * n);
      const cLen = cOff + batch * sC;
      const aData = uniform(rng, aLen);
      const bData = uniform(rng, bLen);
      const cData = uniform(rng, cLen);
      if (beta === 0) cData.fill(NaN); // must be ignored
      const run = (be: Backend, absolute: boolean) =>
        runOn(be, (h) => {
          const abs = (x: Float32Array) => (absolute ? x.map(Math.abs) : x);
          const c = h.f32(absolute && beta === 0 ? cData.map(() => 0) : abs(cData));
          be.matmul(
            h.f32(abs(aData)), aOff, sA, h.f32(abs(bData)), bOff, sB, c, cOff, sC,
            batch, m, n, k, tA, tB, absolute ? Math.abs(alpha) : alpha, absolute ? Math.abs(beta) : beta,
          );
          return h.read(c);
        });
      const w = run(wasm, false);
      const j = run(JS, false);
      // |alpha|·|A|·|B| + |beta|·|C| bounds the terms; float32 sums err by ≲ k·u of that.
      const bound = run(JS, true);
      const atol = bound.map((x) => (k + 2) * 1.2e-7 * x);
      // gaps between the C matrices are left untouched
      expectClose(w, j, { atol }, `${label} batch ${batch} m ${m} n ${n} k ${k} transA ${tA} transB ${tB} alpha ${alpha} beta ${beta}`);
    }

    it('matmul: every transpose combination over awkward sizes', () => {
      const rng = mulberry32(4);
      const dims = [1, 3, 5, 17, 33, 65];
      for (const m of dims) {
        for (const n of dims) {
          for (const k of dims) {
            if ((m + n + k) % 3 !== 0 && m * n * k > 30) continue; // a spread-out subset
            for (const tA of [false, true]) {
              for (const tB of [false, true]) checkMatmul(rng, 1, m, n, k, tA, tB, 1, 0, false, false, 'single');
            }
          }
        }
      }
    });

    it('matmul: larger than the cache blocks', () => {
      const rng = mulberry32(5);
      for (const [m, n, k] of [[70, 129, 300], [1, 257, 65], [257, 1, 65], [130, 66, 513]]) {
        for (const tA of [false, true]) {
          for (const tB of [false, true]) checkMatmul(rng, 1, m, n, k, tA, tB, 1, 0, false, false, 'large');
        }
      }
    });

    it('matmul: alpha, beta, batches with stride 0', () => {
      const rng = mulberry32(6);
      const shapes = [[1, 1, 1], [3, 5, 17], [17, 33, 5], [33, 3, 65], [65, 17, 33]];
      for (const [m, n, k] of shapes) {
        for (const tA of [false, true]) {
          for (const tB of [false, true]) {
            checkMatmul(rng, 1, m, n, k, tA, tB, 0.5, 0, false, false, 'alpha');
            checkMatmul(rng, 1, m, n, k, tA, tB, 1.5, -0.75, false, false, 'alpha beta');
            checkMatmul(rng, 3, m, n, k, tA, tB, 1, 0, false, false, 'batch');
            checkMatmul(rng, 3, m, n, k, tA, tB, 1, 1, true, false, 'batch shared A');
            checkMatmul(rng, 3, m, n, k, tA, tB, -2, 0.5, false, true, 'batch shared B');
          }
        }
      }
      checkMatmul(rng, 2, 3, 5, 0, false, false, 1, 0.5, false, false, 'k = 0');
    });

    it('binary: every op, contiguous, over awkward sizes', () => {
      const rng = mulberry32(7);
      for (const op of BINARY_OPS) {
        for (const n of SIZES) {
          const [a, b] = binaryInputs(op, rng, n, n);
          const [w, j] = both((h, be) => {
            const out = h.f32(n);
            be.binary(op, h.f32(a), [1], h.f32(b), [1], out, [n]);
            return h.read(out);
          });
          expectClose(w, j, binaryTol(op), `${op} n=${n}`);
        }
      }
    });

    it('binary: every op, broadcast and strided', () => {
      const rng = mulberry32(8);
      const pairs: [number[], number[]][] = [
        [[2, 1, 3], [1, 4, 1]],
        [[5, 1], [1, 17]],
        [[33], [1]],
        [[1], [65]],
        [[17, 33], [33]],
        [[3, 17], [3, 1]],
        [[3, 1, 5, 1, 2], [1, 4, 1, 3, 1]],
        [[2, 1, 2, 1, 2, 1, 2, 3], [1, 2, 1, 2, 1, 2, 1, 3]],
        [[], []],
      ];
      for (const op of BINARY_OPS) {
        for (const [sa, sb] of pairs) {
          const shape = broadcastShape(sa, sb);
          const [a, b] = binaryInputs(op, rng, sizeOf(sa), sizeOf(sb));
          const as = broadcastStrides(sa, shape);
          const bs = broadcastStrides(sb, shape);
          const total = sizeOf(shape);
          const [w, j] = both((h, be) => {
            const out = h.f32(total);
            be.binary(op, h.f32(a), as, h.f32(b), bs, out, shape);
            return h.read(out);
          });
          expectClose(w, j, binaryTol(op), `${op} [${sa}] with [${sb}]`);
        }
        // a transposed (non-contiguous) left input: a stored [17, 5], read as [5, 17]
        const [a, b] = binaryInputs(op, rng, 85, 85);
        const [w, j] = both((h, be) => {
          const out = h.f32(85);
          be.binary(op, h.f32(a), [1, 5], h.f32(b), [17, 1], out, [5, 17]);
          return h.read(out);
        });
        expectClose(w, j, binaryTol(op), `${op} transposed input`);
      }
    });

    it('binary: pow with negative bases and integer exponents', () => {
      const rng = mulberry32(9);
      const a = uniform(rng, 65, -4, 4);
      const b = pick(rng, 65, [-2, -1, 0, 1, 2, 3]);
      const [w, j] = both((h, be) => {
        const out = h.f32(65);
        be.binary('pow', h.f32(a), [1], h.f32(b), [1], out, [65]);
        return h.read(out);
      });
      expectClose(w, j, { rtol: 3e-5 }, 'pow');
    });

    it('unary: every op over awkward sizes', () => {
      const rng = mulberry32(10);
      for (const { op, alpha, gen, tol } of UNARY_CASES) {
        for (const n of SIZES) {
          const x = gen(rng, n);
          const [w, j] = both((h, be) => {
            const out = h.f32(n);
            be.unary(op, h.f32(x), out, n, alpha);
            return h.read(out);
          });
          expectClose(w, j, tol, `${op}${alpha === undefined ? '' : ` alpha ${alpha}`} n=${n}`);
        }
      }
    });

    it('unary: in place (out = x)', () => {
      const rng = mulberry32(11);
      const x = uniform(rng, 33, -3, 3);
      const [w, j] = both((h, be) => {
        const s = h.f32(x);
        be.unary('tanh', s, s, 33);
        return h.read(s);
      });
      expectClose(w, j, { rtol: 3e-5, atol: 1e-7 }, 'tanh in place');
    });

    it('unaryGrad: every op over awkward sizes', () => {
      const rng = mulberry32(12);
      for (const { op, alpha, gen } of UNARY_GRAD_CASES) {
        for (const n of SIZES) {
          const x = gen(rng, n);
          const dy = uniform(rng, n);
          const [w, j] = both((h, be) => {
            const dx = h.f32(n);
            be.unaryGrad(op, h.f32(x), h.f32(dy), dx, n, alpha);
            return h.read(dx);
          });
          expectClose(w, j, { rtol: 3e-5, atol: 1e-6 }, `${op}'${alpha === undefined ? '' : ` alpha ${alpha}`} n=${n}`);
        }
      }
    });

    it('affine, clip, where', () => {
      const rng = mulberry32(13);
      for (const n of SIZES) {
        const x = uniform(rng, n, -5, 5);
        const a = uniform(rng, n);
        const b = uniform(rng, n);
        const cond = pick(rng, n, [0, 1, 0.5, -0]);
        const [w, j] = both((h, be) => {
          const out = h.f32(n);
          be.affine(h.f32(x), out, n, 1.7, -0.3);
          const aff = h.read(out);
          be.clip(h.f32(x), out, n, -1.5, 2);
          const clip = h.read(out);
          be.where(h.f32(cond), h.f32(a), h.f32(b), out, n);
          return [aff, clip, h.read(out)] as const;
        });
        expectClose(w[0], j[0], { rtol: 1e-6, atol: 1e-6 }, `affine n=${n}`);
        expectEqual(w[1], j[1], `clip n=${n}`);
        expectEqual(w[2], j[2], `where n=${n}`);
      }
    });

    const REDUCE_VIEWS: [number, number, number][] = [
      [1, 1, 1], [1, 65, 1], [3, 17, 1], [1, 5, 33], [17, 3, 5], [5, 33, 17], [65, 1, 3], [2, 1000, 1], [3, 64 + 1, 64 + 1],
    ];

    it('reduce: sum, max, min, prod over [outer, axis, inner]', () => {
      const rng = mulberry32(14);
      for (const [outer, axis, inner] of REDUCE_VIEWS) {
        const total = outer * axis * inner;
        for (const op of ['sum', 'max', 'min', 'prod'] as ReduceOp[]) {
          // prod: factors near ±1 so the product stays in range
          const x = op === 'prod' ? awayFromZero(rng, total, 0.9, 1.1) : uniform(rng, total, -10, 10);
          const [w, j] = both((h, be) => {
            const out = h.f32(outer * inner);
            be.reduce(op, h.f32(x), out, outer, axis, inner);
            return h.read(out);
          });
          let tol: Tolerance = { rtol: 0 };
          if (op === 'sum') {
            const absSum = runOn(JS, (h) => {
              const out = h.f32(outer * inner);
              JS.reduce('sum', h.f32(x.map(Math.abs)), out, outer, axis, inner);
              return h.read(out);
            });
            tol = { atol: absSum.map((s) => (axis + 1) * 1.2e-7 * s) };
          } else if (op === 'prod') {
            tol = { rtol: (axis + 1) * 1.2e-7 };
          }
          expectClose(w, j, tol, `${op} [${outer}, ${axis}, ${inner}]`);
        }
      }
    });

    it('argReduce with ties and with random values', () => {
      const rng = mulberry32(15);
      for (const [outer, axis, inner] of REDUCE_VIEWS) {
        const total = outer * axis * inner;
        for (const x of [pick(rng, total, [-1, 0, 1, 2]), uniform(rng, total)]) {
          for (const op of ['argMax', 'argMin'] as ArgReduceOp[]) {
            const [w, j] = both((h, be) => {
              const out = h.f32(outer * inner);
              be.argReduce(op, h.f32(x), out, outer, axis, inner);
              return be.readI32(out);
            });
            expectEqual(w, j, `${op} [${outer}, ${axis}, ${inner}]`);
          }
        }
      }
    });

    const ROWS_COLS: [number, number][] = [[1, 1], [1, 3], [3, 5], [17, 17], [5, 33], [3, 65], [2, 1000], [65, 10]];

    it('softmax and logSoftmax, also with large offsets', () => {
      const rng = mulberry32(16);
      for (const [rows, cols] of ROWS_COLS) {
        for (const shift of [0, 1000, -1000]) {
          const x = uniform(rng, rows * cols, -10 + shift, 10 + shift);
          const [w, j] = both((h, be) => {
            const out = h.f32(rows * cols);
            be.softmax(h.f32(x), out, rows, cols);
            const sm = h.read(out);
            be.logSoftmax(h.f32(x), out, rows, cols);
            return [sm, h.read(out)] as const;
          });
          const what = `[${rows}, ${cols}] shift ${shift}`;
          expectClose(w[0], j[0], { rtol: 3e-5, atol: 1e-9 }, `softmax ${what}`);
          expectClose(w[1], j[1], { rtol: 3e-5, atol: 3e-6 }, `logSoftmax ${what}`);
        }
      }
    });

    it('softmaxGrad and logSoftmaxGrad', () => {
      const rng = mulberry32(17);
      for (const [rows, cols] of ROWS_COLS) {
        const x = uniform(rng, rows * cols, -5, 5);
        const dy = uniform(rng, rows * cols);
        const [y, ly] = runOn(JS, (h) => {
          const out = h.f32(rows * cols);
          JS.softmax(h.f32(x), out, rows, cols);
          const sm = h.read(out);
          JS.logSoftmax(h.f32(x), out, rows, cols);
          return [sm, h.read(out)];
        });
        const [w, j] = both((h, be) => {
          const dx = h.f32(rows * cols);
          be.softmaxGrad(h.f32(y), h.f32(dy), dx, rows, cols);
          const g = h.read(dx);
          be.logSoftmaxGrad(h.f32(ly), h.f32(dy), dx, rows, cols);
          return [g, h.read(dx)] as const;
        });
        expectClose(w[0], j[0], { rtol: 3e-5, atol: 1e-6 }, `softmaxGrad [${rows}, ${cols}]`);
        expectClose(w[1], j[1], { rtol: 3e-5, atol: 1e-5 }, `logSoftmaxGrad [${rows}, ${cols}]`);
      }
    });

    it('gather, scatterAdd, oneHot', () => {
      const rng = mulberry32(18);
      const views: [number, number, number, number][] = [
        [1, 1, 1, 1], [1, 1000, 16, 33], [3, 5, 17, 7], [17, 3, 1, 65], [2, 65, 33, 5], [5, 17, 3, 1],
      ];
      for (const [outer, axisLen, inner, numIdx] of views) {
        const x = uniform(rng, outer * axisLen * inner);
        const idx = randInts(rng, numIdx, 0, axisLen - 1);
        const dy = uniform(rng, outer * numIdx * inner);
        const bad = Int32Array.from(idx);
        const badAt = Math.floor(numIdx / 2);
        bad[badAt] = rng() < 0.5 ? -1 : axisLen;
        const what = `[${outer}, ${axisLen}, ${inner}] × ${numIdx}`;
        const [w, j] = both((h, be) => {
          const out = h.f32(outer * numIdx * inner);
          const ok = be.gather(h.f32(x), h.i32(idx), out, outer, axisLen, inner, numIdx);
          const g = h.read(out);
          const badResult = be.gather(h.f32(x), h.i32(bad), out, outer, axisLen, inner, numIdx);
          const dx = h.f32(outer * axisLen * inner);
          be.fill(dx, 0.5, outer * axisLen * inner);
          be.scatterAdd(h.f32(dy), h.i32(idx), dx, outer, axisLen, inner, numIdx);
          const oh = h.f32(numIdx * axisLen);
          be.oneHot(h.i32(bad), oh, numIdx, axisLen, 0.9, 0.1 / axisLen);
          return { ok, g, badResult, dx: h.read(dx), oh: h.read(oh) };
        });
        expect(w.ok, `gather ${what}`).toBe(-1);
        expect(j.ok).toBe(-1);
        expectEqual(w.g, j.g, `gather ${what}`);
        expect(w.badResult, `gather with a bad index at ${badAt}, ${what}`).toBe(badAt);
        expect(j.badResult).toBe(badAt);
        expectClose(w.dx, j.dx, { rtol: 1e-6, atol: 1e-6 }, `scatterAdd ${what}`);
        expectEqual(w.oh, j.oh, `oneHot ${what}`);
      }
    });

    it('sigmoidCrossEntropy on wide logits and soft labels', () => {
      const rng = mulberry32(19);
      for (const n of SIZES) {
        const x = uniform(rng, n, -30, 30);
        for (let i = 0; i < n; i += 5) x[i] = [100, -100, 0, 1e4, -1e4][(i / 5) % 5];
        const z = uniform(rng, n, 0, 1);
        for (let i = 1; i < n; i += 3) z[i] = Math.round(z[i]);
        const [w, j] = both((h, be) => {
          const loss = h.f32(n);
          const grad = h.f32(n);
          be.sigmoidCrossEntropy(h.f32(x), h.f32(z), loss, grad, n);
          return [h.read(loss), h.read(grad)] as const;
        });
        // loss = max(x,0) − x·z + …: cancellation costs ~ulp(|x|)
        expectClose(w[0], j[0], { rtol: 3e-5, atol: x.map((v) => 1e-6 * (1 + Math.abs(v))) }, `loss n=${n}`);
        expectClose(w[1], j[1], { rtol: 3e-5, atol: 1e-6 }, `grad n=${n}`);
        for (const v of w[0]) expect(Number.isFinite(v)).toBe(true);
      }
    });

    it('softmaxCrossEntropy (one-hot and soft labels) and sparseSoftmaxCrossEntropy', () => {
      const rng = mulberry32(20);
      for (const [rows, cols] of ROWS_COLS) {
        const x = uniform(rng, rows * cols, -10, 10);
        if (rows * cols > 2) x[1] = 500; // one large logit
        const labels = randInts(rng, rows, 0, cols - 1);
        const oneHot = new Float32Array(rows * cols);
        labels.forEach((c, r) => (oneHot[r * cols + c] = 1));
        const soft = uniform(rng, rows * cols, 0, 1);
        for (let r = 0; r < rows; r++) {
          let s = 0;
          for (let c = 0; c < cols; c++) s += soft[r * cols + c];
          for (let c = 0; c < cols; c++) soft[r * cols + c] /= s;
        }
        const badLabels = Int32Array.from(labels);
        const badRow = rows - 1;
        badLabels[badRow] = cols;
        const [w, j] = both((h, be) => {
          const loss = h.f32(rows);
          const grad = h.f32(rows * cols);
          const res: Float32Array[] = [];
          for (const z of [oneHot, soft]) {
            be.softmaxCrossEntropy(h.f32(x), h.f32(z), loss, grad, rows, cols);
            res.push(h.read(loss), h.read(grad));
          }
          const ok = be.sparseSoftmaxCrossEntropy(h.f32(x), h.i32(labels), loss, grad, rows, cols);
          res.push(h.read(loss), h.read(grad));
          const bad = be.sparseSoftmaxCrossEntropy(h.f32(x), h.i32(badLabels), loss, grad, rows, cols);
          return { res, ok, bad };
        });
        const what = `[${rows}, ${cols}]`;
        const names = ['one-hot loss', 'one-hot grad', 'soft loss', 'soft grad', 'sparse loss', 'sparse grad'];
        names.forEach((name, i) => {
          const tol = name.endsWith('loss') ? { rtol: 3e-5, atol: 1e-5 } : { rtol: 3e-5, atol: 1e-6 };
          expectClose(w.res[i], j.res[i], tol, `${name} ${what}`);
        });
        expect(w.ok).toBe(-1);
        expect(w.bad, `sparse with a bad label in row ${badRow}`).toBe(badRow);
        expect(j.bad).toBe(badRow);
      }
    });

    it('adam, sgd, rmsprop: five steps on random parameters', () => {
      const rng = mulberry32(21);
      const tol: Tolerance = { rtol: 1e-5, atol: 1e-6 };
      for (const n of SIZES) {
        const p0 = uniform(rng, n);
        const gs = Array.from({ length: 5 }, () => uniform(rng, n));
        const [w, j] = both((h, be) => {
          const res: Record<string, Float32Array> = {};
          for (const eps of [1e-7, 0.05]) {
            const p = h.f32(p0);
            const m = h.f32(n);
            const v = h.f32(n);
            gs.forEach((g, s) => be.adam(p, h.f32(g), m, v, n, lrTAt(s + 1, 1e-3, 0.9, 0.999), 0.9, 0.999, eps));
            res[`adam p eps ${eps}`] = h.read(p);
            res[`adam m eps ${eps}`] = h.read(m);
            res[`adam v eps ${eps}`] = h.read(v);
          }
          // sgd
          for (const [mo, nest] of [[0, false], [0.9, false], [0.9, true]] as const) {
            const ps = h.f32(p0);
            const vel = mo > 0 ? h.f32(n) : null;
            for (const g of gs) be.sgd(ps, h.f32(g), vel, n, 0.1, mo, nest);
            res[`sgd p momentum ${mo} nesterov ${nest}`] = h.read(ps);
            if (vel) res[`sgd velocity momentum ${mo} nesterov ${nest}`] = h.read(vel);
          }
          // rmsprop
          for (const centered of [false, true]) {
            for (const mo of [0, 0.9]) {
              for (const eps of [1e-7, 0.05]) {
                const pr = h.f32(p0);
                const ms = h.f32(n);
                const mg = centered ? h.f32(n) : null;
                const mom = mo > 0 ? h.f32(n) : null;
                for (const g of gs) be.rmsprop(pr, h.f32(g), ms, mg, mom, n, 1e-3, 0.9, mo, eps);
                const what = `centered ${centered} momentum ${mo} eps ${eps}`;
                res[`rmsprop p ${what}`] = h.read(pr);
                res[`rmsprop ms ${what}`] = h.read(ms);
                if (mg) res[`rmsprop mg ${what}`] = h.read(mg);
                if (mom) res[`rmsprop mom ${what}`] = h.read(mom);
              }
            }
          }
          return res;
        });
        for (const key of Object.keys(j)) expectClose(w[key], j[key], tol, `${key} n=${n}`);
      }
    });

    it('storages from one backend do not mix with freed ones', () => {
      // freeing and reallocating many sizes keeps contents independent
      const rng = mulberry32(22);
      const held: [Storage, Float32Array][] = [];
      try {
        for (let round = 0; round < 50; round++) {
          const n = SIZES[Math.floor(rng() * SIZES.length)];
          const data = uniform(rng, n);
          const s = wasm.alloc(n);
          expectEqual(wasm.readF32(s), new Float32Array(n), `fresh alloc(${n}) round ${round}`);
          wasm.write(s, data);
          held.push([s, data]);
          if (rng() < 0.5) {
            const [old] = held.splice(Math.floor(rng() * held.length), 1);
            wasm.free(old[0]);
          }
        }
        for (const [s, data] of held) expectEqual(wasm.readF32(s), data, 'kept contents');
      } finally {
        for (const [s] of held) wasm.free(s);
      }
    });
  });
}
