import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  enableRelaxedSimdFlag, wasmRelaxedSimdSupported, wasmSimdSupported,
} from '../ts/backend/wasm/feature-detect';
import { defaultWasmUrls, loadWasmBytes, loadWasmModule, type WasmBuild } from '../ts/backend/wasm/loader';
import { createWasmBackend, type WasmBackend } from '../ts/backend/wasm/wasm-backend';

const root = fileURLToPath(new URL('..', import.meta.url));
const wasmPath = (build: WasmBuild) => `${root}wasm/ferrite-ml-${build}.wasm`;
const nodeMajor = Number(process.versions.node.split('.')[0]);
const featureDetect = `${root}ts/backend/wasm/feature-detect.ts`;
const wasmBackend = `${root}ts/backend/wasm/wasm-backend.ts`;

/** Runs an ES module snippet in a fresh Node process (fresh V8 flags); returns its JSON output. */
function inFreshNode(code: string): unknown {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: root, encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i]), `element ${i}: ${actual[i]} vs ${expected[i]}`)
      .toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[i])));
  }
}

/** 2×3 · 3×2, then a transposed, scaled and accumulated variant, checked by hand. */
function checkMatmul(be: WasmBackend): void {
  const a = be.alloc(6);
  const b = be.alloc(6);
  const c = be.alloc(4);
  be.write(a, new Float32Array([1, 2, 3, 4, 5, 6]));
  be.write(b, new Float32Array([7, 8, 9, 10, 11, 12]));
  be.matmul(a, 0, 0, b, 0, 0, c, 0, 0, 1, 2, 2, 3, false, false, 1, 0);
  close(be.readF32(c), [58, 64, 139, 154]);
  // Aᵀ·Bᵀ with A read as 3×2 stored 2×3… : op(A) = Aᵀ (3×2 → m=3,k=2), op(B) = Bᵀ (2×3)
  // A stored k×m = 2×3 = [[1,2,3],[4,5,6]]; B stored n×k = 3×2 = [[7,8],[9,10],[11,12]].
  // Aᵀ = [[1,4],[2,5],[3,6]], Bᵀ = [[7,9,11],[8,10,12]] → Aᵀ·Bᵀ = [[39,49,59],[54,68,82],[69,87,105]].
  const c9 = be.alloc(9);
  be.write(c9, new Float32Array(9).fill(1));
  be.matmul(a, 0, 0, b, 0, 0, c9, 0, 0, 1, 3, 3, 2, true, true, 2, 0.5);
  close(be.readF32(c9), [39, 49, 59, 54, 68, 82, 69, 87, 105].map((v) => 2 * v + 0.5));
  for (const s of [a, b, c, c9]) be.free(s);
}

function checkSoftmax(be: WasmBackend): void {
  const x = be.alloc(6);
  const y = be.alloc(6);
  be.write(x, new Float32Array([1, 2, 3, 1000, 1000, -Infinity]));
  be.softmax(x, y, 2, 3);
  close(be.readF32(y), [0.09003057, 0.24472847, 0.66524096, 0.5, 0.5, 0]);
  be.free(x);
  be.free(y);
}

/** A bigger product against a plain loop, so packing and edge blocks run. */
function checkLargeMatmul(be: WasmBackend): void {
  const m = 37, n = 53, k = 29;
  const A = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i));
  const B = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i));
  const ref = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += A[i * k + p] * B[p * n + j];
    ref[i * n + j] = s;
  }
  const a = be.alloc(m * k), b = be.alloc(k * n), c = be.alloc(m * n);
  be.write(a, A);
  be.write(b, B);
  be.matmul(a, 0, 0, b, 0, 0, c, 0, 0, 1, m, n, k, false, false, 1, 0);
  close(be.readF32(c), ref, 1e-4);
  for (const s of [a, b, c]) be.free(s);
}

describe('feature detection', () => {
  it('finds simd128 on Node', () => {
    expect(wasmSimdSupported()).toBe(true);
  });

  it('leaves relaxed SIMD off until the user opts in, in a fresh process', () => {
    const res = inFreshNode(`
      import { wasmRelaxedSimdSupported, enableRelaxedSimdFlag } from ${JSON.stringify(featureDetect)};
      const before = wasmRelaxedSimdSupported();
      const enabled = await enableRelaxedSimdFlag();
      console.log(JSON.stringify({ before, enabled, after: wasmRelaxedSimdSupported() }));
    `) as { before: boolean; enabled: boolean; after: boolean };
    if (nodeMajor < 22) expect(res.before).toBe(false);
    expect(res.enabled).toBe(true);
    expect(res.after).toBe(true);
  });

  it('createWasmBackend never sets the V8 flag without relaxedSimd: true', () => {
    const res = inFreshNode(`
      import { createWasmBackend } from ${JSON.stringify(wasmBackend)};
      import { wasmRelaxedSimdSupported } from ${JSON.stringify(featureDetect)};
      const plain = (await createWasmBackend()).build;
      const relaxedAfterPlain = wasmRelaxedSimdSupported();
      let forced = '';
      try { await createWasmBackend({ build: 'relaxed' }); } catch (e) { forced = e.message; }
      const optedIn = (await createWasmBackend({ relaxedSimd: true })).build;
      console.log(JSON.stringify({ plain, relaxedAfterPlain, forced, optedIn }));
    `) as { plain: string; relaxedAfterPlain: boolean; forced: string; optedIn: string };
    if (nodeMajor < 22) {
      expect(res.plain).toBe('simd');
      expect(res.relaxedAfterPlain).toBe(false);
      expect(res.forced).toMatch(/relaxed.*relaxedSimd: true/);
    }
    expect(res.optedIn).toBe('relaxed');
  });
});

describe('wasm backend', () => {
  const backends = {} as Record<WasmBuild, WasmBackend>;

  beforeAll(async () => {
    // This file runs in its own worker process, so the flag stays local to it.
    expect(await enableRelaxedSimdFlag()).toBe(true);
    backends.simd = await createWasmBackend({ build: 'simd' });
    backends.relaxed = await createWasmBackend({ build: 'relaxed' });
  });

  for (const build of ['simd', 'relaxed'] as const) {
    describe(`${build} build`, () => {
      it('reports its build', () => {
        expect(backends[build].name).toBe('wasm');
        expect(backends[build].build).toBe(build);
      });
      it('runs matmul', () => checkMatmul(backends[build]));
      it('runs a larger matmul', () => checkLargeMatmul(backends[build]));
      it('runs softmax', () => checkSoftmax(backends[build]));
    });
  }

  it('picks relaxed by default once relaxed SIMD is available', async () => {
    expect(wasmRelaxedSimdSupported()).toBe(true);
    expect((await createWasmBackend()).build).toBe('relaxed');
  });

  it('needs no imports (createWasmBackend would stub them)', async () => {
    for (const build of ['simd', 'relaxed'] as const) {
      const mod = await loadWasmModule(build, { path: wasmPath(build) });
      expect(WebAssembly.Module.imports(mod)).toEqual([]);
    }
  });

  it('round-trips float32 and int32 data with offsets', () => {
    const be = backends.simd;
    const s = be.alloc(5);
    expect(Array.from(be.readF32(s))).toEqual([0, 0, 0, 0, 0]);
    be.write(s, new Float32Array([1.5, -2]), 1);
    expect(Array.from(be.readF32(s))).toEqual([0, 1.5, -2, 0, 0]);
    be.write(s, new Int32Array([7, -8]), 3);
    expect(Array.from(be.readI32(s, 3))).toEqual([7, -8]);
    expect(Array.from(be.readF32(s, 1, 2))).toEqual([1.5, -2]);
    expect(() => be.write(s, new Float32Array(3), 3)).toThrow(/outside a storage of 5 elements/);
    be.free(s);
  });

  it('allocates zero-size storages', () => {
    const be = backends.simd;
    const s = be.alloc(0);
    expect(be.readF32(s).length).toBe(0);
    be.free(s);
  });

  it('passes shapes and strides through the scratch area (strided copy, broadcast binary)', () => {
    const be = backends.relaxed;
    const x = be.alloc(6), t = be.alloc(6), y = be.alloc(3), o = be.alloc(6);
    be.write(x, new Float32Array([1, 2, 3, 4, 5, 6])); // 2×3
    be.stridedCopy(x, 0, [1, 3], t, 0, [2, 1], [3, 2]); // transpose → 3×2
    expect(Array.from(be.readF32(t))).toEqual([1, 4, 2, 5, 3, 6]);
    be.stridedCopy(x, 1, [3, 1], t, 2, [2, 1], [2, 2]); // a 2×2 slice at an offset
    expect(Array.from(be.readF32(t))).toEqual([1, 4, 2, 3, 5, 6]);
    be.write(y, new Float32Array([10, 20, 30]));
    be.binary('add', x, [3, 1], y, [0, 1], o, [2, 3]);
    expect(Array.from(be.readF32(o))).toEqual([11, 22, 33, 14, 25, 36]);
    expect(() => be.binary('add', x, new Array(9).fill(0), y, new Array(9).fill(0), o, new Array(9).fill(1)))
      .toThrow(/rank 9 exceeds the maximum of 8/);
    expect(() => be.binary('nope' as 'add', x, [1], y, [1], o, [3])).toThrow(/unknown binary op 'nope'/);
    for (const s of [x, t, y, o]) be.free(s);
  });

  it('catches a double free', () => {
    const be = backends.simd;
    const s = be.alloc(4);
    be.free(s);
    expect(() => be.free(s)).toThrow(/already freed/);
    expect(() => be.readF32(s)).toThrow(/already freed/);
  });

  it('throws a clear error when out of memory, and keeps working', () => {
    const be = backends.simd;
    expect(() => be.alloc(875_000_000)).toThrow(
      /ferrite: out of WebAssembly memory allocating 3500000000 bytes \(heap is [\d.]+ MB\)/);
    expect(() => be.alloc(2_000_000_000)).toThrow(/out of WebAssembly memory allocating 8000000000 bytes/);
    checkMatmul(be);
    checkSoftmax(be);
  });

  it('keeps storages valid across memory growth', () => {
    const be = backends.relaxed;
    const early = be.alloc(4);
    be.write(early, new Float32Array([1, 2, 3, 4]));
    const before = be.heapBytes();
    const big: ReturnType<WasmBackend['alloc']>[] = [];
    while (be.heapBytes() < before + 64 * 2 ** 20) big.push(be.alloc(4 * 2 ** 20));
    expect(be.heapBytes()).toBeGreaterThan(before);
    expect(Array.from(be.readF32(early))).toEqual([1, 2, 3, 4]);
    be.write(big[big.length - 1], new Float32Array([9, 8]), 4 * 2 ** 20 - 2);
    expect(Array.from(be.readF32(big[big.length - 1], 4 * 2 ** 20 - 2))).toEqual([9, 8]);
    be.affine(early, early, 4, 2, 1);
    expect(Array.from(be.readF32(early))).toEqual([3, 5, 7, 9]);
    for (const s of big) be.free(s);
    be.free(early);
    // A kernel that grows memory itself (gemm packing) while views are cached.
    checkLargeMatmul(be);
  });
});

describe('loader', () => {
  it('finds the default files from the source tree', () => {
    const urls = defaultWasmUrls('simd').map((u) => u.href);
    expect(urls[0]).toBe(pathToFileURL(wasmPath('simd')).href);
  });

  it('loads from bytes, a path, a file URL and a per-build map', async () => {
    const bytes = await readFile(wasmPath('simd'));
    const viaBytes = await createWasmBackend({ build: 'simd', source: { bytes } });
    checkMatmul(viaBytes);
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    checkSoftmax(await createWasmBackend({ build: 'simd', source: { bytes: ab } }));
    checkMatmul(await createWasmBackend({ build: 'relaxed', source: { path: wasmPath('relaxed') } }));
    checkMatmul(await createWasmBackend({ build: 'simd', source: { url: pathToFileURL(wasmPath('simd')) } }));
    const perBuild = await createWasmBackend({ build: 'relaxed', source: { relaxed: { path: wasmPath('relaxed') } } });
    expect(perBuild.build).toBe('relaxed');
    checkSoftmax(perBuild);
    // A map without an entry for the chosen build falls back to the default file.
    checkSoftmax(await createWasmBackend({ build: 'simd', source: { relaxed: { path: '/nowhere.wasm' } } }));
    expect(Array.from(await loadWasmBytes('simd'))).toEqual(Array.from(bytes));
  });

  it('names the path and the build when a file is missing', async () => {
    await expect(createWasmBackend({ build: 'simd', source: { path: '/no/such/ferrite.wasm' } }))
      .rejects.toThrow(/'simd' WebAssembly build from \/no\/such\/ferrite\.wasm.*ENOENT/);
  });

  it('names the build when the bytes are not a wasm module', async () => {
    await expect(createWasmBackend({ build: 'simd', source: { bytes: new Uint8Array([1, 2, 3]) } }))
      .rejects.toThrow(/'simd' WebAssembly build from the given bytes/);
  });

  describe('over http', () => {
    let server: Server;
    let base = '';
    beforeAll(async () => {
      const simd = await readFile(wasmPath('simd'));
      server = createServer((req, res) => {
        if (req.url === '/ferrite.wasm' || req.url === '/plain.wasm') {
          res.writeHead(200, { 'content-type': req.url === '/plain.wasm' ? 'application/octet-stream' : 'application/wasm' });
          res.end(simd);
        } else {
          res.writeHead(404).end();
        }
      });
      await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

    it('compiles streamed and non-streamed responses', async () => {
      checkMatmul(await createWasmBackend({ build: 'simd', source: { url: `${base}/ferrite.wasm` } }));
      checkSoftmax(await createWasmBackend({ build: 'simd', source: { url: new URL(`${base}/plain.wasm`) } }));
      expect((await loadWasmBytes('simd', { url: `${base}/plain.wasm` })).length).toBeGreaterThan(1000);
    });

    it('names the URL on a 404', async () => {
      await expect(createWasmBackend({ build: 'relaxed', source: { url: `${base}/missing.wasm` } }))
        .rejects.toThrow(new RegExp(`'relaxed' WebAssembly build from ${base}/missing\\.wasm: HTTP 404`));
    });
  });
});
