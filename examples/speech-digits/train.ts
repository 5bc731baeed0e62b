/**
 * A small speech recognizer trained with CTC: spoken digit strings ("four oh seven", 1 to 5
 * digits, "zero".."nine" or "oh") synthesized with espeak-ng in many voices, speeds, pitches
 * and word gaps, with white noise added; log-mel features → Conv1D → 2 × bidirectional LSTM →
 * Dense over blank + 10 digits, trained with fe.losses.ctc in a PyTorch-style loop, decoded with
 * fe.ctc.greedyDecode and fe.ctc.beamSearchDecode. The test set is spoken by espeak-ng voice
 * variants that training never hears.
 * Ends with `digit error rate: <beam-search digit error rate on the held-out voices>` and exits
 * with an error above 0.10.
 *
 * Needs espeak-ng (installed with apt-get when missing and running as root). The synthesized
 * WAV files are cached in examples/speech-digits/.cache (one directory per seed and size).
 *
 * Run: npm run example:speech   (options: --epochs N, --train N, --test N, --hidden N,
 *      --batch N, --lr X, --seed N, --beam N, --backend js|wasm, --relaxed)
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as fe from 'ferrite-ml';
import { flag, option } from '../command-line';
import { mulberry32 } from '../../ts/ops/random';
import { batchesOf, disposeBatch, makeBatch } from './batches';
import { classDigit, loadDigits, NUM_CLASSES, type Example } from './dataset';
import { featureDim } from './features';
import { DigitRecognizer } from './model';
import { score, trainStep } from './recognize';
import { TEST_VARIANTS, TRAIN_VARIANTS } from './synth';

const THRESHOLD = 0.1;

await fe.ready({ backend: option('backend', 'wasm') as 'wasm' | 'js', relaxedSimd: flag('relaxed') });
console.log(`backend: ${fe.getBackend()} (${fe.getBuild()})`);
const seed = Number(option('seed', '1'));
fe.setRandomSeed(seed);

// ---- data
const here = dirname(fileURLToPath(import.meta.url));
const data = await loadDigits({
  seed,
  trainCount: Number(option('train', '4000')),
  testCount: Number(option('test', '500')),
  cacheDir: join(here, '.cache'),
  snrDb: [10, 30],
}).catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
const meanSteps = (xs: Example[]) => xs.reduce((s, e) => s + e.steps, 0) / xs.length;
console.log(`train: ${data.train.length} utterances (voice variants ${TRAIN_VARIANTS.join(' ')}), `
  + `test: ${data.test.length} (held-out variants ${TEST_VARIANTS.join(' ')}); `
  + `${featureDim()} features per step, ${meanSteps(data.train).toFixed(0)} steps on average`);

// ---- model
const model = new DigitRecognizer({
  inputDim: featureDim(), classes: NUM_CLASSES, convFilters: 128, hidden: Number(option('hidden', '96')), dropout: 0.1,
});
const optimizer = fe.optim.adam(model.parameters(), { lr: Number(option('lr', '3e-3')) });
console.log(`DigitRecognizer: Conv1D(${model.o.convFilters}) → 2 × Bidirectional(LSTM(${model.o.hidden})) → Dense(${NUM_CLASSES}); ${model.countParams()} parameters`);

// ---- training
const epochs = Number(option('epochs', '10'));
const batchSize = Number(option('batch', '32'));
const beamWidth = Number(option('beam', '8'));
const rng = mulberry32(seed + 100);
const start = performance.now();
for (let epoch = 0; epoch < epochs; epoch++) {
  // The last epochs at a lower learning rate settle the weights.
  if (epochs > 3 && epoch === epochs - 2) optimizer.learningRate /= 4;
  const batches = batchesOf(data.train, batchSize, rng);
  let total = 0;
  const t0 = performance.now();
  batches.forEach((group, i) => {
    const batch = makeBatch(group);
    total += trainStep(model, optimizer, batch);
    disposeBatch(batch);
    if (process.stdout.isTTY && (i + 1) % 10 === 0) {
      process.stdout.write(`\repoch ${epoch + 1}/${epochs}: batch ${i + 1}/${batches.length}, loss ${(total / (i + 1)).toFixed(4)}`);
    }
  });
  const s = (performance.now() - t0) / 1000;
  const test = score(model, data.test, 0);
  console.log(`${process.stdout.isTTY ? '\r' : ''}epoch ${epoch + 1}/${epochs}: loss ${(total / batches.length).toFixed(4)}, `
    + `${(data.train.length / s).toFixed(1)} samples/s (${s.toFixed(1)} s), held-out greedy digit error rate ${test.greedy.toFixed(4)}`);
}
console.log(`training: ${((performance.now() - start) / 1000).toFixed(1)} s`);

// ---- testing on the held-out voices
const t0 = performance.now();
const scores = score(model, data.test, beamWidth);
const text = (label: number[]) => label.map(classDigit).join('') || '∅';
const wrong = scores.decoded.filter((d) => text(d.beam) !== text(d.example.label));
console.log(`decoding ${data.test.length} held-out utterances: ${((performance.now() - t0) / 1000).toFixed(1)} s; `
  + `${scores.decoded.length - wrong.length} exactly right`);
for (const d of wrong.slice(0, 5)) {
  const u = d.example.utterance;
  console.log(`  "${u.text}" (${u.voice}, ${u.speed} wpm) → greedy ${text(d.greedy)}, beam ${text(d.beam)}`);
}
console.log(`greedy decoding: digit error rate ${scores.greedy.toFixed(4)}`);
console.log(`beam search (width ${beamWidth}): digit error rate ${scores.beam.toFixed(4)}`);
const failed = !(scores.beam <= THRESHOLD);
if (failed) console.log(`FAILED: the digit error rate is above ${THRESHOLD}`);
console.log(`digit error rate: ${scores.beam.toFixed(4)}`);
if (failed) process.exitCode = 1;
