/** Shared by the orchestrator, the worker and the workloads. */

/** One measured (or failed) number. latest.json is an array of these. */
export interface Result {
  workload: string;
  library: string;
  build: string;
  threads: number;
  metric: string;
  /** null: failed (see error) or not measured (see note). */
  value: number | null;
  unit?: string;
  /** Shown under the results table. */
  note?: string;
  /** Timing details, kept in the JSON only. */
  detail?: string;
  error?: string;
  /** Which direction is better; ratios are shown only for metrics that set it. */
  better?: 'higher' | 'lower';
  /** How many timed samples the value summarises. */
  samples?: number;
}

/** A result as a workload emits it; the worker fills in workload/library/build/threads. */
export type Emitted = Omit<Result, 'workload' | 'library' | 'build' | 'threads'> & { threads?: number };

/** Marks result lines on a worker's stdout. */
export const RESULT_MARK = '@@bench-result ';

/** mulberry32 exactly as in workloads.md: floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function errorMessage(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 300);
}

/** The library/build pairs, in table order. The threaded builds run twice: on 1 thread and
 * on every core (`-N`), so their ratio is the speedup threads give within one build. */
export const CASES = [
  { library: 'ferrite', build: 'wasm-relaxed' },
  { library: 'ferrite', build: 'wasm-simd' },
  { library: 'ferrite', build: 'wasm-relaxed-threads-1' },
  { library: 'ferrite', build: 'wasm-relaxed-threads-N' },
  { library: 'ferrite', build: 'wasm-simd-threads-1' },
  { library: 'ferrite', build: 'wasm-simd-threads-N' },
  { library: 'ferrite', build: 'js' },
  { library: 'tfjs', build: 'wasm' },
  { library: 'tfjs', build: 'cpu' },
] as const;

export type LibraryName = (typeof CASES)[number]['library'];
export type BuildName = (typeof CASES)[number]['build'];

/** The alternating builds (lib/alternate.ts): for the workloads that measure thread scaling. */
export const ALTERNATING_CASES = [
  { library: 'ferrite', build: 'wasm-relaxed-threads-A' },
  { library: 'ferrite', build: 'wasm-simd-threads-A' },
] as const;

/** The 1-thread / all-cores pairs of the threaded builds: [build, 1-thread case, N-thread case]. */
export const THREAD_PAIRS = [
  ['relaxed-threads', 'wasm-relaxed-threads-1', 'wasm-relaxed-threads-N'],
  ['simd-threads', 'wasm-simd-threads-1', 'wasm-simd-threads-N'],
] as const;

/** Plain-JavaScript kernels (about 1 GFLOPS). */
export const isPlainJs = (library: string, build: string) =>
  (library === 'ferrite' && build === 'js') || (library === 'tfjs' && build === 'cpu');
