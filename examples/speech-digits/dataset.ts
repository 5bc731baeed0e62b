/**
 * The spoken-digits data set: synthesized (or read from the cache), noise added with a seeded
 * generator, turned into features. Labels are the digits as classes 1–10 (class 0 is the CTC
 * blank).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../../ts/ops/random';
import { wavFeatures, type Features, type FeatureOptions, FEATURES } from './features';
import { ensureEspeak, planDataset, synthesize, type Utterance } from './synth';

export const BLANK = 0;
export const NUM_CLASSES = 11;
export const digitClass = (d: number) => d + 1;
export const classDigit = (c: number) => c - 1;

export interface Example extends Features {
  /** Classes 1–10 (digit + 1). */
  label: number[];
  utterance: Utterance;
}

export interface DigitsData {
  train: Example[];
  test: Example[];
}

export interface DatasetOptions {
  seed: number;
  trainCount: number;
  testCount: number;
  cacheDir: string;
  /** White noise at a signal-to-noise ratio drawn uniformly from this range, in dB. */
  snrDb: [number, number];
  features?: FeatureOptions;
  log?: (s: string) => void;
}

export async function loadDigits(o: DatasetOptions): Promise<DigitsData> {
  const log = o.log ?? console.log;
  const version = ensureEspeak();
  const plan = planDataset(o.seed, o.trainCount, o.testCount);
  const dir = await synthesize(plan, o.cacheDir, version, log);
  const t0 = performance.now();
  const rng = mulberry32(o.seed ^ 0x5eed);
  const load = (u: Utterance): Example => {
    const snrDb = o.snrDb[0] + (o.snrDb[1] - o.snrDb[0]) * rng();
    const f = wavFeatures(readFileSync(join(dir, u.file)), { snrDb, rng }, o.features ?? FEATURES);
    return { ...f, label: u.digits.map(digitClass), utterance: u };
  };
  const data = { train: plan.train.map(load), test: plan.test.map(load) };
  log(`features: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return data;
}
