/**
 * A small Transformer on the grapheme → phoneme task of examples/seq2seq-gru: the same CMUdict
 * words, the same split and the same scoring, set beside the seed's GRU.
 *
 * An encoder-decoder from keras-hub's layers (model.ts): 2 encoder and 2 decoder layers of
 * width 64, 4 heads, feed-forward 128. Trained 3 epochs with teacher forcing (Adam, warm-up then
 * cosine decay, batches of 128), tested by greedy decoding on the 2,000 held-out words and
 * scored as the GRU example scores: phoneme accuracy = 1 − phoneme error rate against the
 * closest listed pronunciation, word accuracy = exact matches.
 *
 * Ends with `test accuracy: <phoneme accuracy>` (≈ 0.90, against the GRU example's ≈ 0.85–0.86,
 * in about the same training time) and fails unless above 0.86.
 *
 * Run: npm run example:transformer   (options: --epochs N, --words N, --dim N, --layers N,
 *      --heads N, --ff N, --batch N, --lr X, --dropout X, --backend js|wasm, --relaxed)
 */
import * as fe from 'ferrite-ml';
import { flag, option } from '../command-line';
import { loadCmudict } from '../seq2seq-gru/cmudict-data';
import { buildModel, evaluate, train } from './model';

/** The GRU example's phoneme accuracy on the same test words (examples/seq2seq-gru). */
const GRU_ACCURACY = 0.86;

await fe.ready({ backend: option('backend', 'wasm') as 'wasm' | 'js', relaxedSimd: flag('relaxed') });
console.log(`backend: ${fe.getBackend()} (${fe.getBuild()})`);
fe.setRandomSeed(1);

const data = loadCmudict(7, 2000);
const words = Number(option('words', String(Infinity)));
const trainSet = data.train.slice(0, words), testSet = data.test;
console.log(`CMUdict: ${data.train.length + data.test.length} words; training on ${trainSet.length}, testing on ${testSet.length} held-out words; ${data.phonemes.length} phonemes`);

const dim = Number(option('dim', '64'));
const config = {
  phonemes: data.phonemes.length, dim,
  layers: Number(option('layers', '2')), heads: Number(option('heads', '4')),
  ff: Number(option('ff', String(2 * dim))), dropout: Number(option('dropout', '0')),
};
const g = buildModel(config);
console.log(`Transformer: ${config.layers} encoder + ${config.layers} decoder layers, d ${dim}, ${config.heads} heads, feed-forward ${config.ff}, dropout ${config.dropout}: ${g.model.countParams()} parameters`);

const epochs = Number(option('epochs', '3'));
const start = performance.now();
train(g, trainSet, {
  epochs, batchSize: Number(option('batch', '128')), peakLr: Number(option('lr', '3e-3')),
  onProgress: (e, b, n, loss) => process.stdout.write(`\repoch ${e + 1}/${epochs}: batch ${b}/${n}, loss ${loss.toFixed(4)}`),
  onEpoch: (e, loss, s) => console.log(`\repoch ${e + 1}/${epochs}: loss ${loss.toFixed(4)}, ${(trainSet.length / s).toFixed(0)} words/s (${s.toFixed(1)} s)`),
});
console.log(`training: ${((performance.now() - start) / 1000).toFixed(1)} s`);

const t1 = performance.now();
const score = evaluate(g, testSet);
console.log(`decoding ${testSet.length} words: ${((performance.now() - t1) / 1000).toFixed(1)} s`);
const spell = (ids: number[]) => ids.map((p) => data.phonemes[p - 1]).join(' ');
console.log('held-out examples:\n' + score.examples.map(([w, p, ref]) => `  ${w}: ${spell(p)}${spell(p) !== spell(ref) ? `   (listed: ${spell(ref)})` : ''}`).join('\n'));
console.log(`word accuracy: ${score.wordAccuracy.toFixed(4)}`);
console.log(`phoneme error rate: ${(1 - score.phonemeAccuracy).toFixed(4)}`);
console.log(`GRU example (seq2seq-gru) on the same words: ≈ 0.85–${GRU_ACCURACY}`);
console.log(`test accuracy: ${score.phonemeAccuracy.toFixed(4)}`);
if (!(score.phonemeAccuracy > GRU_ACCURACY)) {
  console.error(`not above the GRU example's ${GRU_ACCURACY}`);
  process.exitCode = 1;
}
