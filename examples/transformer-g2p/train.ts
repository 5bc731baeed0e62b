/**
 * A small Transformer on the grapheme → phoneme task of examples/seq2seq-gru: the same CMUdict
 * words, the same split and the same scoring, to set beside the seed's GRU.
 *
 * An encoder-decoder in Keras style, built from keras-hub's layers: letters →
 * TokenAndPositionEmbedding → TransformerEncoder × N; phonemes so far → TokenAndPositionEmbedding
 * → TransformerDecoder × N (causal self-attention, cross-attention to the letters) → Dense over
 * the phonemes and the end mark. Padding masks come from the embeddings' Keras masks
 * (maskZero). Trained with teacher forcing, a cross-entropy that ignores the padding, Adam with
 * a warm-up and a cosine decay; tested by greedy decoding on the held-out words, scored as the
 * GRU example scores (phoneme accuracy = 1 − phoneme error rate against the closest listed
 * pronunciation; word accuracy = exact matches).
 *
 * Ends with `test accuracy: <phoneme accuracy>` and fails below the GRU example's 0.86.
 *
 * Run: npm run example:transformer   (options: --epochs N, --words N, --dim N, --layers N,
 *      --heads N, --ff N, --batch N, --lr X, --dropout X, --backend js|wasm, --relaxed)
 */
import * as fe from 'ferrite-ml';
import { flag, option } from '../command-line';
import { mulberry32 } from '../../ts/ops/random';
import { editDistance, loadCmudict, type Entry } from '../seq2seq-gru/cmudict-data';

/** The GRU example's phoneme accuracy on the same test words (examples/seq2seq-gru). */
const GRU_ACCURACY = 0.86;

await fe.ready({ backend: option('backend', 'wasm') as 'wasm' | 'js', relaxedSimd: flag('relaxed') });
console.log(`backend: ${fe.getBackend()} (${fe.getBuild()})`);
fe.setRandomSeed(1);

// ---- data: letters 1–26 (0 padding); decoder tokens: 0 padding, 1 start, 2… phonemes;
// output classes: 0 end of word, 1… phonemes (as the GRU example's).
const data = loadCmudict(7, 2000);
const words = Number(option('words', String(Infinity)));
const trainSet = data.train.slice(0, words), testSet = data.test;
const MAX_LETTERS = 14, MAX_PHONEMES = 20, START = 1, IGNORE = -1;
const letter = (ch: string) => 1 + ch.charCodeAt(0) - 65;
const phonemeToken = (p: number) => 1 + p;
const classes = 1 + data.phonemes.length;
console.log(`CMUdict: ${data.train.length + data.test.length} words; training on ${trainSet.length}, testing on ${testSet.length} held-out words; ${data.phonemes.length} phonemes`);

// ---- the model
const dim = Number(option('dim', '96'));
const layers = Number(option('layers', '2'));
const heads = Number(option('heads', '4'));
const ff = Number(option('ff', String(2 * dim)));
const dropout = Number(option('dropout', '0.1'));

const letters = fe.input({ shape: [null], dtype: 'int32', name: 'letters' });
const prefix = fe.input({ shape: [null], dtype: 'int32', name: 'phonemes_so_far' });
let enc = fe.layers.tokenAndPositionEmbedding({ vocabularySize: 27, sequenceLength: MAX_LETTERS, embeddingDim: dim, maskZero: true }).apply(letters) as fe.SymbolicTensor;
for (let i = 0; i < layers; i++) enc = fe.layers.transformerEncoder({ intermediateDim: ff, numHeads: heads, dropout }).apply(enc) as fe.SymbolicTensor;
const phonemeEmbedding = fe.layers.tokenAndPositionEmbedding({ vocabularySize: 2 + data.phonemes.length, sequenceLength: MAX_PHONEMES + 1, embeddingDim: dim, maskZero: true });
const decoders = Array.from({ length: layers }, () => fe.layers.transformerDecoder({ intermediateDim: ff, numHeads: heads, dropout }));
const head = fe.layers.dense({ units: classes });
/** The decoder stack on the phonemes so far, attending to `encoded` (its padding mask by keyword, or its Keras mask). */
const decoderOn = (encoded: fe.SymbolicTensor, encoderPaddingMask?: fe.SymbolicTensor) => {
  let dec = phonemeEmbedding.apply(prefix) as fe.SymbolicTensor;
  for (const d of decoders) dec = d.apply([dec, encoded], encoderPaddingMask ? { encoderPaddingMask } : {}) as fe.SymbolicTensor;
  return head.apply(dec) as fe.SymbolicTensor;
};
const model = fe.model({ inputs: [letters, prefix], outputs: decoderOn(enc), name: 'g2p_transformer' });
// For decoding: the encoder once per word, then the decoder (the same layers) once per phoneme.
const encoder = fe.model({ inputs: letters, outputs: enc, name: 'g2p_encoder' });
const encoded = fe.input({ shape: [null, dim], name: 'encoded' });
const encodedMask = fe.input({ shape: [null], name: 'encoded_mask' });
const decoder = fe.model({ inputs: [prefix, encoded, encodedMask], outputs: decoderOn(encoded, encodedMask), name: 'g2p_decoder' });
console.log(`Transformer: ${layers} encoder + ${layers} decoder layers, d ${dim}, ${heads} heads, feed-forward ${ff}, dropout ${dropout}: ${model.countParams()} parameters`);

/** One batch: letters [batch, maxLetters], decoder input and targets [batch, maxPhonemes + 1]. */
function makeBatch(entries: Entry[]): { x: fe.Tensor; prefix: fe.Tensor; target: fe.Tensor } {
  const nl = Math.max(...entries.map((e) => e.word.length));
  const np = Math.max(...entries.map((e) => e.prons[0].length)) + 1;
  const x = new Int32Array(entries.length * nl), p = new Int32Array(entries.length * np), t = new Int32Array(entries.length * np).fill(IGNORE);
  entries.forEach((e, b) => {
    [...e.word].forEach((ch, i) => { x[b * nl + i] = letter(ch); });
    const pron = e.prons[0];
    p[b * np] = START;
    pron.forEach((ph, i) => {
      p[b * np + i + 1] = phonemeToken(ph);
      t[b * np + i] = ph;
    });
    t[b * np + pron.length] = 0; // end of word
  });
  return {
    x: fe.tensor(x, [entries.length, nl], 'int32'),
    prefix: fe.tensor(p, [entries.length, np], 'int32'),
    target: fe.tensor(t, [entries.length, np], 'int32'),
  };
}

// ---- training: teacher forcing, the cross-entropy ignores padded steps
const epochs = Number(option('epochs', '3'));
const batchSize = Number(option('batch', '64'));
const peakLr = Number(option('lr', '2e-3'));
const optimizer = fe.optim.adam(model.parameters(), { lr: peakLr, betas: [0.9, 0.98] });
const criterion = fe.nn.crossEntropyLoss({ ignoreIndex: IGNORE });
const stepsPerEpoch = Math.ceil(trainSet.length / batchSize);
const totalSteps = epochs * stepsPerEpoch, warmup = Math.min(400, Math.floor(totalSteps / 10));
/** Linear warm-up, then a cosine decay to a tenth of the peak. */
const learningRate = (step: number) =>
  step < warmup ? (peakLr * (step + 1)) / warmup : peakLr * (0.1 + 0.45 * (1 + Math.cos((Math.PI * (step - warmup)) / Math.max(1, totalSteps - warmup))));

function trainStep(batch: { x: fe.Tensor; prefix: fe.Tensor; target: fe.Tensor }): number {
  return fe.tidy(() => {
    optimizer.zeroGrad();
    const out = model.apply([batch.x, batch.prefix], { training: true }) as fe.Tensor;
    const loss = criterion(fe.reshape(out, [-1, classes]), fe.reshape(batch.target, [-1]));
    loss.backward();
    optimizer.step();
    return loss.item();
  });
}

const random = mulberry32(11);
const start = performance.now();
let step = 0;
for (let epoch = 0; epoch < epochs; epoch++) {
  // Words of similar length batched together (less padding), batches in shuffled order.
  const order = trainSet.map((e) => ({ e, key: e.word.length + e.prons[0].length + random() }));
  order.sort((a, b) => a.key - b.key);
  const batches: Entry[][] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(order.slice(i, i + batchSize).map((o) => o.e));
  for (let i = batches.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [batches[i], batches[j]] = [batches[j], batches[i]];
  }
  let total = 0;
  const t0 = performance.now();
  batches.forEach((b, i) => {
    optimizer.learningRate = learningRate(step++);
    const batch = makeBatch(b);
    total += trainStep(batch);
    fe.dispose([batch.x, batch.prefix, batch.target]);
    if ((i + 1) % 200 === 0) process.stdout.write(`\repoch ${epoch + 1}/${epochs}: batch ${i + 1}/${batches.length}, loss ${(total / (i + 1)).toFixed(4)}`);
  });
  const s = (performance.now() - t0) / 1000;
  console.log(`\repoch ${epoch + 1}/${epochs}: loss ${(total / batches.length).toFixed(4)}, ${(trainSet.length / s).toFixed(0)} words/s (${s.toFixed(1)} s)`);
}
console.log(`training: ${((performance.now() - start) / 1000).toFixed(1)} s`);

// ---- testing: greedy decoding; the letters are encoded once, then one phoneme per decoder pass
function decode(entries: Entry[]): number[][] {
  const out: number[][] = entries.map(() => []);
  const done = entries.map(() => false);
  const nl = Math.max(...entries.map((e) => e.word.length));
  const x = new Int32Array(entries.length * nl);
  entries.forEach((e, b) => [...e.word].forEach((ch, i) => { x[b * nl + i] = letter(ch); }));
  const xs = fe.tensor(x, [entries.length, nl], 'int32');
  const mask = fe.tidy(() => fe.cast(fe.notEqual(xs, 0), 'float32'));
  const memory = encoder.predict(xs) as fe.Tensor;
  const prefixes = entries.map(() => [START]);
  for (let step = 0; step < MAX_PHONEMES && done.some((d) => !d); step++) {
    const len = step + 1;
    const p = new Int32Array(entries.length * len);
    prefixes.forEach((q, b) => q.forEach((v, i) => { p[b * len + i] = v; }));
    const next = fe.tidy(() => {
      const y = decoder.predict([fe.tensor(p, [entries.length, len], 'int32'), memory, mask]) as fe.Tensor;
      return fe.argMax(fe.slice(y, [0, len - 1, 0], [entries.length, 1, classes]), -1).dataSync();
    });
    entries.forEach((_, b) => {
      const ph = next[b];
      if (!done[b]) {
        if (ph === 0) done[b] = true;
        else out[b].push(ph);
      }
      prefixes[b].push(done[b] ? 0 : phonemeToken(ph));
    });
  }
  fe.dispose([xs, mask, memory]);
  return out;
}

let errors = 0, refLength = 0, exact = 0;
const examples: string[] = [];
const t1 = performance.now();
// Words of one length together: little padding.
const byLength = [...testSet].sort((a, b) => a.word.length - b.word.length);
for (let i = 0; i < byLength.length; i += 500) {
  const group = byLength.slice(i, i + 500);
  const predicted = decode(group);
  group.forEach((e, k) => {
    // Score against the closest listed pronunciation.
    const best = e.prons.map((p) => ({ p, d: editDistance(predicted[k], p) })).sort((a, b) => a.d - b.d)[0];
    errors += best.d;
    refLength += best.p.length;
    if (best.d === 0) exact++;
    if (examples.length < 8) examples.push(`  ${e.word}: ${predicted[k].map((p) => data.phonemes[p - 1]).join(' ')}${best.d ? `   (listed: ${best.p.map((p) => data.phonemes[p - 1]).join(' ')})` : ''}`);
  });
}
console.log(`decoding ${testSet.length} words: ${((performance.now() - t1) / 1000).toFixed(1)} s`);
console.log('held-out examples:\n' + examples.join('\n'));
const phonemeAccuracy = 1 - errors / refLength;
console.log(`word accuracy: ${(exact / testSet.length).toFixed(4)}`);
console.log(`phoneme error rate: ${(errors / refLength).toFixed(4)}`);
console.log(`GRU example (seq2seq-gru): ${GRU_ACCURACY}`);
console.log(`test accuracy: ${phonemeAccuracy.toFixed(4)}`);
const threshold = Number(option('threshold', String(GRU_ACCURACY)));
if (phonemeAccuracy <= threshold) {
  console.error(`not above ${threshold}`);
  process.exitCode = 1;
}
