/**
 * Johannes Baagøe's Alea generator with its Mash seeding, as the `seedrandom` package gives it
 * (`seedrandom.alea`). TensorFlow.js seeds `Dataset.shuffle` with it, so a seeded ferrite
 * shuffle visits elements in the same order as TensorFlow.js' with the same seed.
 */

/** A uniform [0, 1) generator, with `int32()` as seedrandom's (a signed 32-bit integer). */
export interface Alea {
  (): number;
  int32(): number;
}

const TWO_TO_MINUS_32 = 2.3283064365386963e-10;

/** Mash: hashes strings into [0, 1); its state carries over from one call to the next. */
function mash(): (data: unknown) => number {
  let n = 0xefc8249d;
  return (data) => {
    const s = String(data);
    for (let i = 0; i < s.length; i++) {
      n += s.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = h >>> 0;
      h -= n;
      h *= n;
      n = h >>> 0;
      h -= n;
      n += h * 0x100000000;
    }
    return (n >>> 0) * TWO_TO_MINUS_32;
  };
}

/** A generator seeded by `seed` (any value; it is hashed as a string, as seedrandom does). */
export function alea(seed: unknown): Alea {
  const m = mash();
  let s0 = m(' ');
  let s1 = m(' ');
  let s2 = m(' ');
  let c = 1;
  s0 -= m(seed);
  if (s0 < 0) s0 += 1;
  s1 -= m(seed);
  if (s1 < 0) s1 += 1;
  s2 -= m(seed);
  if (s2 < 0) s2 += 1;
  const next = (): number => {
    const t = 2091639 * s0 + c * TWO_TO_MINUS_32;
    s0 = s1;
    s1 = s2;
    c = t | 0;
    s2 = t - c;
    return s2;
  };
  return Object.assign(next, { int32: () => (next() * 0x100000000) | 0 });
}
