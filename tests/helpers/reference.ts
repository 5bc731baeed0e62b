/**
 * Test helpers: a seeded RNG, random inputs, tolerant array comparison, stride helpers and
 * an arena that frees the storages a test allocated.
 */
import type { Backend, Storage } from '../../ts/backend/backend';

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rng = () => number;

/** n floats uniform in [lo, hi). */
export function uniform(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng();
  return out;
}

/** The largest |a[i] − b[i]| (throws when the lengths differ). */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxDiff: lengths differ (${a.length} and ${b.length})`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** n integers uniform in [lo, hi] (inclusive). */
export function randInts(rng: Rng, n: number, lo: number, hi: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor(rng() * (hi - lo + 1));
  return out;
}

/** n values drawn from `choices`. */
export function pick(rng: Rng, n: number, choices: readonly number[]): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = choices[Math.floor(rng() * choices.length)];
  return out;
}

/** n floats with |x| uniform in [lo, hi) and a random sign. */
export function awayFromZero(rng: Rng, n: number, lo: number, hi: number): Float32Array {
  const out = uniform(rng, n, lo, hi);
  for (let i = 0; i < n; i++) if (rng() < 0.5) out[i] = -out[i];
  return out;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Row-major strides of a contiguous array of `shape`. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

/** Strides that read a contiguous `inShape` broadcast (right-aligned) to `outShape`. */
export function broadcastStrides(inShape: readonly number[], outShape: readonly number[]): number[] {
  const own = contiguousStrides(inShape);
  const lead = outShape.length - inShape.length;
  return outShape.map((d, i) => {
    if (i < lead) return 0;
    const k = i - lead;
    if (inShape[k] === d) return d === 1 ? 0 : own[k];
    if (inShape[k] === 1) return 0;
    throw new Error(`cannot broadcast [${inShape}] to [${outShape}]`);
  });
}

/** Output shape of broadcasting two shapes (numpy rules). */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`incompatible shapes [${a}] and [${b}]`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

export interface Tolerance {
  /** Allowed |actual − expected| relative to |expected|. */
  rtol?: number;
  /** Allowed absolute difference: one number, or one per element. */
  atol?: number | ArrayLike<number>;
}

/**
 * Null when every element satisfies |a − e| ≤ atol + rtol·|e| (NaN matches NaN, infinities
 * must match exactly), else a message describing the first mismatches.
 */
export function mismatches(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance = {},
  label = '',
): string | null {
  if (actual.length !== expected.length) {
    return `${label}: length ${actual.length}, expected ${expected.length}`;
  }
  const rtol = tol.rtol ?? 0;
  const lines: string[] = [];
  let bad = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const atol = typeof tol.atol === 'number' ? tol.atol : tol.atol ? tol.atol[i] : 0;
    let ok: boolean;
    let allowed = NaN;
    if (Number.isNaN(e) || Number.isNaN(a)) ok = Number.isNaN(e) && Number.isNaN(a);
    else if (!Number.isFinite(e) || !Number.isFinite(a)) ok = a === e;
    else {
      allowed = atol + rtol * Math.abs(e);
      ok = Math.abs(a - e) <= allowed;
    }
    if (!ok) {
      bad++;
      if (lines.length < 6) {
        lines.push(`  [${i}] got ${a}, expected ${e} (diff ${Math.abs(a - e).toExponential(3)}, allowed ${allowed.toExponential(3)})`);
      }
    }
  }
  if (bad === 0) return null;
  return `${label}: ${bad} of ${actual.length} elements differ\n${lines.join('\n')}`;
}

/** Throws with a readable message unless `actual` matches `expected` within `tol`. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance = {},
  label = 'values',
): void {
  const msg = mismatches(actual, expected, tol, label);
  if (msg) throw new Error(msg);
}

/** Exact comparison (NaN matches NaN; −0 equals 0). */
export function expectEqual(actual: ArrayLike<number>, expected: ArrayLike<number>, label = 'values'): void {
  expectClose(actual, expected, { rtol: 0, atol: 0 }, label);
}

/** Storages allocated for one test, all freed by dispose(). */
export class Arena {
  private readonly live: Storage[] = [];
  constructor(readonly be: Backend) {}

  /** A float32 storage holding `data`, or `data` zeros when a number is given. */
  f32(data: ArrayLike<number> | number): Storage {
    if (typeof data === 'number') return this.track(this.be.alloc(data));
    const s = this.track(this.be.alloc(data.length));
    if (data.length > 0) this.be.write(s, data instanceof Float32Array ? data : Float32Array.from(data));
    return s;
  }

  /** An int32 storage holding `data`. */
  i32(data: ArrayLike<number>): Storage {
    const s = this.track(this.be.alloc(data.length));
    if (data.length > 0) this.be.write(s, data instanceof Int32Array ? data : Int32Array.from(data));
    return s;
  }

  read(s: Storage): Float32Array {
    return this.be.readF32(s);
  }

  readI32(s: Storage): Int32Array {
    return this.be.readI32(s);
  }

  dispose(): void {
    for (const s of this.live.splice(0)) this.be.free(s);
  }

  private track(s: Storage): Storage {
    this.live.push(s);
    return s;
  }
}

/** Float64 C = alpha·op(A)·op(B) + beta·C for one matrix, from the definition. */
export function naiveMatmul(
  a: ArrayLike<number>, b: ArrayLike<number>, c: ArrayLike<number>,
  m: number, n: number, k: number, transA: boolean, transB: boolean, alpha: number, beta: number,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const x = transA ? a[p * m + i] : a[i * k + p];
        const y = transB ? b[j * k + p] : b[p * n + j];
        s += x * y;
      }
      out[i * n + j] = alpha * s + (beta === 0 ? 0 : beta * c[i * n + j]);
    }
  }
  return out;
}
