import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { mulberry32 } from '../ts/ops/random';
import { batchesOf, disposeBatch, makeBatch } from '../examples/speech-digits/batches';
import { loadDigits, NUM_CLASSES, type DigitsData } from '../examples/speech-digits/dataset';
import { FEATURES, featureDim, wavFeatures } from '../examples/speech-digits/features';
import { DigitRecognizer } from '../examples/speech-digits/model';
import { score, trainStep } from '../examples/speech-digits/recognize';
import { DIGIT_WORDS, ensureEspeak, planDataset, synthesize, TEST_VARIANTS, TRAIN_VARIANTS } from '../examples/speech-digits/synth';
import { useBackend, wasmBuilt } from './helpers/backends';

// examples/speech-digits on a small slice: espeak-ng (installed with apt-get when missing and
// running as root) synthesizes 700 utterances into the example's cache; the full example
// trains a larger model on 4,000 and needs ≤ 0.10 digit error rate.
const cacheDir = fileURLToPath(new URL('../examples/speech-digits/.cache', import.meta.url));

describe('speech-digits example (espeak-ng → log-mel → BiLSTM → CTC)', () => {
  let data: DigitsData;
  beforeAll(async () => {
    await useBackend(wasmBuilt ? 'wasm' : 'js');
    data = await loadDigits({ seed: 5, trainCount: 600, testCount: 100, cacheDir, snrDb: [10, 30], log: () => {} });
  });

  it('plans digit strings of 1–5 words, test voices unseen in training', () => {
    const plan = planDataset(5, 600, 100);
    expect(planDataset(5, 600, 100)).toEqual(plan);
    for (const u of [...plan.train, ...plan.test]) {
      expect(u.digits.length).toBeGreaterThanOrEqual(1);
      expect(u.digits.length).toBeLessThanOrEqual(5);
      const words = u.text.split(' ');
      expect(words.map((w, i) => (w === 'oh' ? 0 : DIGIT_WORDS.indexOf(w)) === u.digits[i])).not.toContain(false);
    }
    const variant = (v: string) => v.split('+')[1];
    expect(new Set(plan.train.map((u) => variant(u.voice)))).toEqual(new Set(TRAIN_VARIANTS));
    expect(new Set(plan.test.map((u) => variant(u.voice)))).toEqual(new Set(TEST_VARIANTS));
    expect(TRAIN_VARIANTS.filter((v) => TEST_VARIANTS.includes(v))).toEqual([]);
  });

  it('turns a synthesized WAV into normalized, stacked log-mel frames', async () => {
    const plan = planDataset(5, 600, 100);
    const dir = await synthesize(plan, cacheDir, ensureEspeak(), () => {});
    const bytes = readFileSync(join(dir, plan.train[0].file));
    const wav = fe.audio.decodeWav(bytes);
    const seconds = wav.channels[0].length / wav.sampleRate;
    const f = wavFeatures(bytes, null);
    const mels = FEATURES.numMelBins;
    // 10 ms frames of 25 ms at 16 kHz, three per step.
    const frames = 1 + Math.floor((Math.ceil(seconds * 16000) - 400) / 160);
    expect(f.steps).toBe(Math.ceil(frames / FEATURES.stack));
    expect(f.data.length).toBe(f.steps * featureDim());
    // Each mel bin has mean 0 and variance 1 over the utterance's frames.
    for (const bin of [0, 17, mels - 1]) {
      let s = 0, s2 = 0;
      for (let t = 0; t < frames; t++) {
        const v = f.data[t * mels + bin];
        s += v;
        s2 += v * v;
      }
      expect(s / frames).toBeCloseTo(0, 3);
      expect(s2 / frames).toBeCloseTo(1, 2);
    }
    expect(Array.from(f.data.subarray(frames * mels)).every((v) => v === 0)).toBe(true);
  });

  it('learns to recognize held-out voices from 600 utterances', () => {
    fe.setRandomSeed(1);
    const model = new DigitRecognizer({ inputDim: featureDim(), classes: NUM_CLASSES, convFilters: 32, hidden: 32, dropout: 0 });
    const optimizer = fe.optim.adam(model.parameters(), { lr: 0.01 });
    const rng = mulberry32(2);
    const losses: number[] = [];
    for (let epoch = 0; epoch < 16; epoch++) {
      let total = 0;
      const batches = batchesOf(data.train, 16, rng);
      for (const group of batches) {
        const batch = makeBatch(group);
        total += trainStep(model, optimizer, batch);
        disposeBatch(batch);
      }
      losses.push(total / batches.length);
    }
    expect(losses[15]).toBeLessThan(0.1 * losses[0]);
    const s = score(model, data.test, 4);
    expect(s.greedy).toBeLessThanOrEqual(0.15);
    expect(s.beam).toBeLessThanOrEqual(0.15);
  });
});
