/**
 * Seed 000 §4.1: a text classifier, as written there, trained on the SpamAssassin corpus.
 *
 *   Tokenizer(numWords 1000, OOV) → padSequences(maxlen 100) → Embedding(1000, 16)
 *   → GlobalAveragePooling1D → Dense(32, relu) → Dense(1, sigmoid); Adam, batch 32, 10 epochs.
 *
 * Run: npm run demo   (options: --epochs N, --backend js|wasm, --relaxed)
 */
import * as fe from 'ferrite-ml';
import { flag, option } from '../command-line';
import { loadSpamAssassin } from './spam-data';

await fe.ready({
  backend: option('backend', 'wasm') as 'wasm' | 'js',
  relaxedSimd: flag('relaxed'),
});
console.log(`backend: ${fe.getBackend()} (${fe.getBuild()})`);
fe.setRandomSeed(1);

const { train, test } = loadSpamAssassin(42);
console.log(`SpamAssassin: ${train.length} training and ${test.length} test emails, ${train.filter((e) => e.label).length} spam in training`);

// Data preprocessing, as in the seed.
const tokenizer = new fe.text.Tokenizer({ numWords: 1000, oovToken: '<OOV>' });
tokenizer.fitOnTexts(train.map((e) => e.text));
const toInputs = (emails: typeof train) =>
  fe.tensor2d(fe.sequence.padSequences(tokenizer.textsToSequences(emails.map((e) => e.text)), { maxlen: 100 }), undefined, 'int32');
const toLabels = (emails: typeof train) => fe.tensor2d(emails.map((e) => [e.label]));
const xTrain = toInputs(train), yTrain = toLabels(train);
const xTest = toInputs(test), yTest = toLabels(test);

// The model.
const model = fe.sequential({
  layers: [
    fe.layers.embedding({ inputDim: 1000, outputDim: 16, inputLength: 100 }),
    fe.layers.globalAveragePooling1d(),
    fe.layers.dense({ units: 32, activation: 'relu' }),
    fe.layers.dense({ units: 1, activation: 'sigmoid' }),
  ],
});
model.compile({ loss: 'binaryCrossentropy', optimizer: 'adam', metrics: ['accuracy'] });
model.summary();

// Training.
const epochs = Number(option('epochs', '10'));
const start = performance.now();
await model.fit(xTrain, yTrain, { epochs, batchSize: 32, validationSplit: 0.1 });
const seconds = (performance.now() - start) / 1000;
console.log(`training: ${((train.length * 0.9 * epochs) / seconds).toFixed(0)} samples/s (${seconds.toFixed(1)} s, validation included)`);

// Testing.
const [testLoss, testAcc] = model.evaluate(xTest, yTest) as fe.Tensor[];
console.log(`test loss: ${testLoss.dataSync()[0].toFixed(4)}`);
console.log(`test accuracy: ${testAcc.dataSync()[0].toFixed(4)}`);
