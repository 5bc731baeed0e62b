/**
 * Seed 000 §4.2: a sequence classifier, as written there, trained on the SpamAssassin corpus.
 *
 *   padSequences(maxlen 100) → TimeDistributed(Embedding(1000, 16)) → LSTM(32)
 *   → Dense(classes, softmax); categorical cross-entropy, Adam, accuracy; fit(epochs, batch 32);
 *   evaluate on validation and test data.
 *
 * The seed's Dense(10) is its number of classes; this task has two (ham, spam), one-hot
 * encoded for the categorical cross-entropy. Tokens come from Keras' Tokenizer (1,000 words,
 * OOV token), as in seed 000 §4.1. Ends with `test accuracy: <number>` and fails below 0.95.
 *
 * Run: npm run example:lstm   (options: --epochs N, --backend js|wasm, --relaxed)
 */
import * as fe from 'ferrite-ml';
import { flag, option } from '../command-line';
import { loadSpamAssassin } from '../text-classifier/spam-data';

const THRESHOLD = 0.95;

await fe.ready({ backend: option('backend', 'wasm') as 'wasm' | 'js', relaxedSimd: flag('relaxed') });
console.log(`backend: ${fe.getBackend()} (${fe.getBuild()})`);
fe.setRandomSeed(1);

const { train, test } = loadSpamAssassin(42);
console.log(`SpamAssassin: ${train.length} training and ${test.length} test emails`);

// Data preprocessing: words → ids → sequences padded (and truncated) to 100 steps.
const maxLength = 100;
const tokenizer = new fe.text.Tokenizer({ numWords: 1000, oovToken: '<OOV>' });
tokenizer.fitOnTexts(train.map((e) => e.text));
const paddedSequences = (emails: typeof train) =>
  fe.tensor2d(fe.sequence.padSequences(tokenizer.textsToSequences(emails.map((e) => e.text)), { maxlen: maxLength }), undefined, 'int32');
const oneHotLabels = (emails: typeof train) => fe.tensor2d(fe.utils.toCategorical(emails.map((e) => e.label), 2));

// Validation: the last 10% of the training emails, as the seed evaluates on val data.
const nVal = Math.round(train.length * 0.1);
const fitEmails = train.slice(0, train.length - nVal), valEmails = train.slice(train.length - nVal);
const [x, y] = [paddedSequences(fitEmails), oneHotLabels(fitEmails)];
const [valX, valY] = [paddedSequences(valEmails), oneHotLabels(valEmails)];
const [testX, testY] = [paddedSequences(test), oneHotLabels(test)];

// The model.
const model = fe.sequential({
  layers: [
    fe.layers.timeDistributed({ layer: fe.layers.embedding({ inputDim: 1000, outputDim: 16, inputLength: maxLength }) }),
    fe.layers.lstm({ units: 32 }),
    fe.layers.dense({ units: 2, activation: 'softmax' }),
  ],
});
model.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam', metrics: ['accuracy'] });
model.summary();

// Training.
const epochs = Number(option('epochs', '10'));
const start = performance.now();
await model.fit(x, y, { epochs, batchSize: 32 });
const seconds = (performance.now() - start) / 1000;
console.log(`training: ${((fitEmails.length * epochs) / seconds).toFixed(0)} samples/s (${seconds.toFixed(1)} s)`);

// Validation and test.
const [valLoss, valAcc] = model.evaluate(valX, valY) as fe.Tensor[];
console.log(`validation loss: ${valLoss.dataSync()[0].toFixed(4)}, accuracy: ${valAcc.dataSync()[0].toFixed(4)}`);
const [testLoss, testAcc] = model.evaluate(testX, testY) as fe.Tensor[];
const accuracy = testAcc.dataSync()[0];
console.log(`test loss: ${testLoss.dataSync()[0].toFixed(4)}`);
console.log(`test accuracy: ${accuracy.toFixed(4)}`);
if (accuracy < THRESHOLD) {
  console.error(`below the expected ${THRESHOLD}`);
  process.exitCode = 1;
}
