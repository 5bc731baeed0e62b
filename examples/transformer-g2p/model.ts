/**
 * The grapheme → phoneme Transformer of train.ts: the model, its batches, one training epoch,
 * greedy decoding and the GRU example's scoring (shared with tests/transformer-g2p.test.ts).
 *
 * An encoder-decoder in Keras style from keras-hub's layers: letters → TokenAndPositionEmbedding
 * → TransformerEncoder × N; phonemes so far → TokenAndPositionEmbedding → TransformerDecoder × N
 * (causal self-attention, cross-attention to the letters) → Dense over the end mark and the
 * phonemes. Padding masks come from the embeddings' Keras masks (maskZero).
 */
import * as fe from 'ferrite-ml';
import { mulberry32 } from '../../ts/ops/random';
import { editDistance, type Entry } from '../seq2seq-gru/cmudict-data';

/** Letters 1–26 (0 padding); decoder tokens: 0 padding, 1 start, 2… phonemes; classes: 0 end of word, 1… phonemes. */
export const MAX_LETTERS = 14, MAX_PHONEMES = 20, START = 1, IGNORE = -1;
const letter = (ch: string) => 1 + ch.charCodeAt(0) - 65;
const phonemeToken = (p: number) => 1 + p;

export interface G2PConfig {
  phonemes: number;
  dim: number;
  layers: number;
  heads: number;
  ff: number;
  dropout: number;
}

export interface G2PModel {
  /** [letters, phonemes so far] → logits [batch, steps, 1 + phonemes]. */
  model: fe.LayersModel;
  /** letters → encoded letters (the same layers). */
  encoder: fe.LayersModel;
  /** [phonemes so far, encoded letters, letter mask] → logits (the same layers). */
  decoder: fe.LayersModel;
  classes: number;
}

export function buildModel(c: G2PConfig): G2PModel {
  const classes = 1 + c.phonemes;
  const letters = fe.input({ shape: [null], dtype: 'int32', name: 'letters' });
  const prefix = fe.input({ shape: [null], dtype: 'int32', name: 'phonemes_so_far' });
  let enc = fe.layers.tokenAndPositionEmbedding({ vocabularySize: 27, sequenceLength: MAX_LETTERS, embeddingDim: c.dim, maskZero: true }).apply(letters) as fe.SymbolicTensor;
  for (let i = 0; i < c.layers; i++) enc = fe.layers.transformerEncoder({ intermediateDim: c.ff, numHeads: c.heads, dropout: c.dropout }).apply(enc) as fe.SymbolicTensor;
  const phonemeEmbedding = fe.layers.tokenAndPositionEmbedding({ vocabularySize: 2 + c.phonemes, sequenceLength: MAX_PHONEMES + 1, embeddingDim: c.dim, maskZero: true });
  const decoders = Array.from({ length: c.layers }, () => fe.layers.transformerDecoder({ intermediateDim: c.ff, numHeads: c.heads, dropout: c.dropout }));
  const head = fe.layers.dense({ units: classes });
  /** The decoder stack attending to `encoded` (its padding mask by keyword, else its Keras mask). */
  const decoderOn = (encoded: fe.SymbolicTensor, encoderPaddingMask?: fe.SymbolicTensor) => {
    let dec = phonemeEmbedding.apply(prefix) as fe.SymbolicTensor;
    for (const d of decoders) dec = d.apply([dec, encoded], encoderPaddingMask ? { encoderPaddingMask } : {}) as fe.SymbolicTensor;
    return head.apply(dec) as fe.SymbolicTensor;
  };
  const model = fe.model({ inputs: [letters, prefix], outputs: decoderOn(enc), name: 'g2p_transformer' });
  // For decoding: the encoder once per word, then the decoder (the same layers) once per phoneme.
  const encoder = fe.model({ inputs: letters, outputs: enc, name: 'g2p_encoder' });
  const encoded = fe.input({ shape: [null, c.dim], name: 'encoded' });
  const encodedMask = fe.input({ shape: [null], name: 'encoded_mask' });
  const decoder = fe.model({ inputs: [prefix, encoded, encodedMask], outputs: decoderOn(encoded, encodedMask), name: 'g2p_decoder' });
  return { model, encoder, decoder, classes };
}

export interface Batch {
  /** Letters [batch, letters]. */
  x: fe.Tensor;
  /** Decoder input: start, then the phonemes [batch, phonemes + 1]. */
  prefix: fe.Tensor;
  /** The next phoneme at each step, then the end mark (0); IGNORE on padding. */
  target: fe.Tensor;
}

export function makeBatch(entries: Entry[]): Batch {
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

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  peakLr: number;
  /** Called after each epoch with its mean loss and seconds. */
  onEpoch?: (epoch: number, loss: number, seconds: number) => void;
  /** Called every 200 batches. */
  onProgress?: (epoch: number, batch: number, batches: number, loss: number) => void;
}

/**
 * Teacher forcing with a cross-entropy that ignores the padding; Adam (β2 0.98) with a linear
 * warm-up and a cosine decay to a tenth of the peak; batches of words of similar length, in
 * shuffled order.
 */
export function train(g: G2PModel, words: Entry[], o: TrainOptions): void {
  const { model, classes } = g;
  const optimizer = fe.optim.adam(model.parameters(), { lr: o.peakLr, betas: [0.9, 0.98] });
  const criterion = fe.nn.crossEntropyLoss({ ignoreIndex: IGNORE });
  const totalSteps = o.epochs * Math.ceil(words.length / o.batchSize);
  const warmup = Math.min(400, Math.floor(totalSteps / 10));
  const learningRate = (step: number) =>
    step < warmup ? (o.peakLr * (step + 1)) / warmup : o.peakLr * (0.1 + 0.45 * (1 + Math.cos((Math.PI * (step - warmup)) / Math.max(1, totalSteps - warmup))));
  const step = (batch: Batch): number =>
    fe.tidy(() => {
      optimizer.zeroGrad();
      const out = model.apply([batch.x, batch.prefix], { training: true }) as fe.Tensor;
      const loss = criterion(fe.reshape(out, [-1, classes]), fe.reshape(batch.target, [-1]));
      loss.backward();
      optimizer.step();
      return loss.item();
    });
  const random = mulberry32(11);
  let n = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const order = words.map((e) => ({ e, key: e.word.length + e.prons[0].length + random() }));
    order.sort((a, b) => a.key - b.key);
    const batches: Entry[][] = [];
    for (let i = 0; i < order.length; i += o.batchSize) batches.push(order.slice(i, i + o.batchSize).map((x) => x.e));
    for (let i = batches.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [batches[i], batches[j]] = [batches[j], batches[i]];
    }
    let total = 0;
    const t0 = performance.now();
    batches.forEach((b, i) => {
      optimizer.learningRate = learningRate(n++);
      const batch = makeBatch(b);
      total += step(batch);
      fe.dispose([batch.x, batch.prefix, batch.target]);
      if ((i + 1) % 200 === 0) o.onProgress?.(epoch, i + 1, batches.length, total / (i + 1));
    });
    o.onEpoch?.(epoch, total / batches.length, (performance.now() - t0) / 1000);
  }
  optimizer.zeroGrad();
}

/** Greedy decoding: the letters encoded once, then one phoneme per decoder pass (ids 1… as CMUdict's). */
export function decode(g: G2PModel, entries: Entry[]): number[][] {
  const out: number[][] = entries.map(() => []);
  const done = entries.map(() => false);
  const nl = Math.max(...entries.map((e) => e.word.length));
  const x = new Int32Array(entries.length * nl);
  entries.forEach((e, b) => [...e.word].forEach((ch, i) => { x[b * nl + i] = letter(ch); }));
  const xs = fe.tensor(x, [entries.length, nl], 'int32');
  const mask = fe.tidy(() => fe.cast(fe.notEqual(xs, 0), 'float32'));
  const memory = g.encoder.predict(xs) as fe.Tensor;
  const prefixes = entries.map(() => [START]);
  for (let step = 0; step < MAX_PHONEMES && done.some((d) => !d); step++) {
    const len = step + 1;
    const p = new Int32Array(entries.length * len);
    prefixes.forEach((q, b) => q.forEach((v, i) => { p[b * len + i] = v; }));
    const next = fe.tidy(() => {
      const y = g.decoder.predict([fe.tensor(p, [entries.length, len], 'int32'), memory, mask]) as fe.Tensor;
      return fe.argMax(fe.slice(y, [0, len - 1, 0], [entries.length, 1, g.classes]), -1).dataSync();
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

export interface Score {
  /** 1 − phoneme error rate (edit distance to the closest listed pronunciation). */
  phonemeAccuracy: number;
  wordAccuracy: number;
  /** (word, predicted, closest listed) for the first few words. */
  examples: [string, number[], number[]][];
}

/** The GRU example's scoring, on words decoded in groups of one length (little padding). */
export function evaluate(g: G2PModel, words: Entry[], group = 500): Score {
  let errors = 0, refLength = 0, exact = 0;
  const examples: [string, number[], number[]][] = [];
  const byLength = [...words].sort((a, b) => a.word.length - b.word.length);
  for (let i = 0; i < byLength.length; i += group) {
    const part = byLength.slice(i, i + group);
    const predicted = decode(g, part);
    part.forEach((e, k) => {
      const best = e.prons.map((p) => ({ p, d: editDistance(predicted[k], p) })).sort((a, b) => a.d - b.d)[0];
      errors += best.d;
      refLength += best.p.length;
      if (best.d === 0) exact++;
      if (examples.length < 8 && i === 0) examples.push([e.word, predicted[k], best.p]);
    });
  }
  return { phonemeAccuracy: 1 - errors / refLength, wordAccuracy: exact / words.length, examples };
}
