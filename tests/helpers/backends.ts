/** Which backends a suite runs on: js always, wasm (simd build) once it is built. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as fe from 'ferrite-ml';

export const wasmBuilt = existsSync(fileURLToPath(new URL('../../wasm/ferrite-ml-simd.wasm', import.meta.url)));

export const BACKENDS: ('js' | 'wasm')[] = wasmBuilt ? ['js', 'wasm'] : ['js'];

export async function useBackend(name: 'js' | 'wasm'): Promise<void> {
  if (name === 'js') await fe.setBackend('js');
  else await fe.ready({ backend: 'wasm', build: 'simd' });
}

/** W2's data generator (../shared/workloads.md): tokens < 500 decide the label. */
export function syntheticTokens(n: number, len: number, seed: number): { x: Int32Array; y: Float32Array } {
  let a = seed >>> 0;
  const rng = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const x = new Int32Array(n * len);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const p = 0.25 + 0.5 * rng();
    let low = 0;
    for (let j = 0; j < len; j++) {
      const v = rng() < p ? Math.floor(rng() * 500) : 500 + Math.floor(rng() * 500);
      x[i * len + j] = v;
      if (v < 500) low++;
    }
    y[i] = low > len - low ? 1 : 0;
  }
  return { x, y };
}

/**
 * Collects garbage and lets the finalizers run, so fe.memory() counts only reachable
 * tensors (vitest runs with --expose-gc; see vitest.config.ts).
 */
export async function settleGc(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('settleGc: run node with --expose-gc');
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 0));
  }
}
