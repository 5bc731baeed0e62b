// The built wasm modules against the TypeScript mirror of their ABI: same function names,
// same arities, both ways; plus a few direct calls on each build.
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { EXPORT_ARITY, UNARY_OPS, type FerriteExports } from '../ts/backend/wasm/exports';

// Node 20 needs the flag for relaxed-simd; later versions have it on by default.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const builds = ['simd', 'relaxed', 'simd-threads', 'relaxed-threads'] as const;

function wasmPath(build: string): string {
  return fileURLToPath(new URL(`../wasm/ferrite-ml-${build}.wasm`, import.meta.url));
}

function load(build: string): { module: WebAssembly.Module; exports: FerriteExports } {
  const path = wasmPath(build);
  if (!existsSync(path)) throw new Error(`${path} is missing: run bash scripts/build-wasm.sh`);
  const module = new WebAssembly.Module(readFileSync(path));
  if (!build.endsWith('-threads')) {
    const instance = new WebAssembly.Instance(module, {});
    return { module, exports: instance.exports as unknown as FerriteExports };
  }
  // The threaded builds import their (shared) memory.
  const memory = new WebAssembly.Memory({ initial: 32, maximum: 65536, shared: true });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return { module, exports: { ...instance.exports, memory } as unknown as FerriteExports };
}

describe.each(builds)('ferrite-%s.wasm', (build) => {
  const { module, exports: fe } = load(build);

  it('exports exactly the functions of EXPORT_ARITY, with their arities', () => {
    // The threaded builds' linker exports (__wasm_init_tls, …) are not part of the ABI.
    const functions = WebAssembly.Module.exports(module)
      .filter((e) => e.kind === 'function' && !e.name.startsWith('__'))
      .map((e) => e.name)
      .sort();
    expect(functions).toEqual(Object.keys(EXPORT_ARITY).sort());
    const raw = fe as unknown as Record<string, unknown>;
    for (const [name, arity] of Object.entries(EXPORT_ARITY)) {
      expect(typeof raw[name], name).toBe('function');
      expect((raw[name] as (...args: number[]) => unknown).length, name).toBe(arity);
    }
    expect(fe.memory).toBeInstanceOf(WebAssembly.Memory);
  });

  it(build.endsWith('-threads') ? 'imports one shared memory' : 'imports nothing and runs on one thread', () => {
    const imports = WebAssembly.Module.imports(module);
    if (build.endsWith('-threads')) {
      expect(imports).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
      expect(fe.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    } else {
      expect(imports).toEqual([]);
      expect(fe.memory.buffer).not.toBeInstanceOf(SharedArrayBuffer);
      expect(fe.ferrite_threads_set(4, 0, 1)).toBe(1);
    }
    expect(fe.ferrite_threads_get()).toBe(1);
  });

  const f32 = (ptr: number, n: number) => new Float32Array(fe.memory.buffer, ptr, n);
  const i32 = (ptr: number, n: number) => new Int32Array(fe.memory.buffer, ptr, n);
  const allocF32 = (values: ArrayLike<number>) => {
    const ptr = fe.ferrite_alloc(values.length * 4);
    f32(ptr, values.length).set(values);
    return ptr;
  };

  it('allocates aligned, zeroed blocks and fills them', () => {
    const ptrs = [1, 7, 4096, 0].map((bytes) => fe.ferrite_alloc(bytes));
    for (const p of ptrs) {
      expect(p).toBeGreaterThan(0);
      expect(p % 16).toBe(0);
    }
    expect(new Set(ptrs).size).toBe(ptrs.length);
    const big = fe.ferrite_alloc(1 << 20);
    expect(f32(big, 1 << 18).every((v) => v === 0)).toBe(true);
    fe.ferrite_fill_f32(big, 2.5, 5);
    expect(Array.from(f32(big, 6))).toEqual([2.5, 2.5, 2.5, 2.5, 2.5, 0]);
    fe.ferrite_fill_i32(big, -7, 3);
    const bitsOf2_5 = new Int32Array(new Float32Array([2.5]).buffer)[0];
    expect(Array.from(i32(big, 4))).toEqual([-7, -7, -7, bitsOf2_5]);
    fe.ferrite_free(big, 1 << 20);
    [1, 7, 4096, 0].forEach((bytes, i) => fe.ferrite_free(ptrs[i], bytes));
  });

  it('returns 0 for a request memory cannot satisfy', () => {
    expect(fe.ferrite_alloc(0xfff0_0000)).toBe(0);
    // and still works afterwards
    const p = fe.ferrite_alloc(64);
    expect(p).toBeGreaterThan(0);
    fe.ferrite_free(p, 64);
  });

  it('multiplies a 3×2 by a 2×4 matrix', () => {
    const a = allocF32([1, 2, 3, 4, 5, 6]); // [[1,2],[3,4],[5,6]]
    const b = allocF32([1, 0, -1, 2, 0.5, 1, 2, -1]); // [[1,0,-1,2],[0.5,1,2,-1]]
    const c = allocF32(new Array(12).fill(Number.NaN));
    fe.ferrite_matmul(a, 0, b, 0, c, 0, 1, 3, 4, 2, 0, 0, 1, 0);
    expect(Array.from(f32(c, 12))).toEqual([2, 2, 3, 0, 5, 4, 5, 2, 8, 6, 7, 4]);
    // the transposed path: A stored 2×3, alpha = 2, beta = 1
    const at = allocF32([1, 3, 5, 2, 4, 6]);
    fe.ferrite_matmul(at, 0, b, 0, c, 0, 1, 3, 4, 2, 1, 0, 2, 1);
    expect(Array.from(f32(c, 12))).toEqual([6, 6, 9, 0, 15, 12, 15, 6, 24, 18, 21, 12]);
    for (const [p, bytes] of [[a, 24], [b, 32], [c, 48], [at, 24]]) fe.ferrite_free(p, bytes);
  });

  it('matches a naive product on a blocked size', () => {
    const [m, n, k] = [67, 45, 300];
    const A = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i));
    const B = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.7));
    const a = allocF32(A);
    const b = allocF32(B);
    const c = fe.ferrite_alloc(m * n * 4);
    fe.ferrite_matmul(a, 0, b, 0, c, 0, 1, m, n, k, 0, 0, 1, 0);
    const C = f32(c, m * n);
    let worst = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += A[i * k + p] * B[p * n + j];
        worst = Math.max(worst, Math.abs(C[i * n + j] - s));
      }
    }
    expect(worst).toBeLessThan(1e-4);
    fe.ferrite_free(a, m * k * 4);
    fe.ferrite_free(b, k * n * 4);
    fe.ferrite_free(c, m * n * 4);
  });

  it('computes exp within tolerance, with correct specials', () => {
    const xs = [0, 1, -1, 10, -10, 88, -87, 50.5, -0.001, Infinity, -Infinity, Number.NaN, 100, -110, -90];
    const x = allocF32(xs);
    const out = fe.ferrite_alloc(xs.length * 4);
    fe.ferrite_unary(UNARY_OPS.indexOf('exp'), x, out, xs.length, 0);
    const y = f32(out, xs.length);
    xs.forEach((v, i) => {
      const want = Math.fround(Math.exp(v));
      if (Number.isNaN(want)) expect(y[i]).toBeNaN();
      else if (!Number.isFinite(want) || want === 0) expect(y[i]).toBe(want);
      else if (want < 1.2e-38) expect(Math.abs(y[i] - want)).toBeLessThanOrEqual(1.5e-45); // subnormal
      else expect(Math.abs(y[i] - want) / want).toBeLessThan(3e-7);
    });
    fe.ferrite_free(x, xs.length * 4);
    fe.ferrite_free(out, xs.length * 4);
  });

  it('propagates NaN through every unary op but step, in both builds', () => {
    const x = allocF32([Number.NaN, 1, Number.NaN, -1, Number.NaN]);
    const out = fe.ferrite_alloc(20);
    UNARY_OPS.forEach((op, code) => {
      fe.ferrite_unary(code, x, out, 5, 0.2);
      const y = f32(out, 5);
      if (op === 'step') expect(y[0], op).toBe(0);
      else for (const i of [0, 2, 4]) expect(y[i], op).toBeNaN();
    });
    fe.ferrite_clip(x, out, 5, -0.5, 0.5);
    expect(Array.from(f32(out, 5))).toEqual([Number.NaN, 0.5, Number.NaN, -0.5, Number.NaN]);
    fe.ferrite_free(x, 20);
    fe.ferrite_free(out, 20);
  });

  it('reports the first bad gather index', () => {
    const x = allocF32([10, 20, 30]);
    const idx = fe.ferrite_alloc(16);
    i32(idx, 4).set([2, 0, 5, -1]);
    const out = fe.ferrite_alloc(16);
    expect(fe.ferrite_gather(x, idx, out, 1, 3, 1, 4)).toBe(2);
    expect(fe.ferrite_gather(x, idx, out, 1, 3, 1, 2)).toBe(-1);
    expect(Array.from(f32(out, 2))).toEqual([30, 10]);
  });
});
