/**
 * Seedable random numbers: mulberry32 (the generator ../workloads uses) with Box–Muller for
 * normals. `setRandomSeed` makes initializers, dropout and shuffling reproducible.
 */

export type Rng = () => number;

/** A uniform [0, 1) generator from a 32-bit seed. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  // The position can be read and restored (checkpoints resume the same random stream).
  return Object.assign(next, { getState: () => a >>> 0, setState: (s: number) => { a = s | 0; } });
}

type StatefulRng = Rng & { getState(): number; setState(s: number): void };

let globalRng: Rng = mulberry32((Math.random() * 4294967296) >>> 0);

/** Seeds the generator behind initializers, dropout, shuffling and unseeded random ops. */
export function setRandomSeed(seed: number): void {
  globalRng = mulberry32(seed);
}

/** The shared generator's state (a 32-bit integer), e.g. to store in a checkpoint. */
export function getRandomState(): number {
  return (globalRng as StatefulRng).getState();
}

/** Restores the shared generator's state, in place (a generator already handed out follows it). */
export function setRandomState(state: number): void {
  if (!Number.isInteger(state)) throw new Error(`setRandomState: expected an integer state, got ${state}`);
  (globalRng as StatefulRng).setState(state);
}

/** @internal the shared generator, or a fresh one for an explicit seed. */
export function rngFor(seed?: number): Rng {
  return seed === undefined ? globalRng : mulberry32(seed);
}

/** Standard normal samples by Box–Muller. */
export function fillNormal(out: Float32Array, mean: number, stdDev: number, rng: Rng, truncated = false): void {
  for (let i = 0; i < out.length; ) {
    const u1 = 1 - rng(); // (0, 1]: log never sees 0
    const u2 = rng();
    const r = Math.sqrt(-2 * Math.log(u1));
    const z0 = r * Math.cos(2 * Math.PI * u2);
    const z1 = r * Math.sin(2 * Math.PI * u2);
    for (const z of [z0, z1]) {
      if (i >= out.length) break;
      if (truncated && Math.abs(z) > 2) continue; // as tf.truncatedNormal: redraw beyond 2σ
      out[i++] = mean + stdDev * z;
    }
  }
}

/** In-place Fisher–Yates shuffle. */
export function shuffleInPlace<T>(arr: T[] | Int32Array, rng: Rng = globalRng): void {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = arr[i];
    arr[i] = arr[j];
    arr[j] = tmp;
  }
}
