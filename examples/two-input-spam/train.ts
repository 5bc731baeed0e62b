/**
 * A model that needs the functional API: two inputs (subject and body of the SpamAssassin
 * emails) sharing one embedding, merged with concatenate, with a skip connection
 * (model.ts). Same 80/20 split as the demo. Reaches about 0.965 test accuracy; fails below 0.95.
 *
 * Run: npm run example:two-input   (options: --epochs N, --backend js|wasm)
 */
import * as fe from 'ferrite-ml';
import { option } from '../command-line';
import { loadSpamAssassinParts } from '../text-classifier/spam-data';
import { buildModel, fitTokenizer, tensorsFor } from './model';

const THRESHOLD = 0.95;

await fe.ready({ backend: option('backend', 'wasm') as 'wasm' | 'js' });
console.log(`backend: ${fe.getBackend()} (${fe.getBuild()})`);
fe.setRandomSeed(1);

const { train, test } = loadSpamAssassinParts(42);
console.log(`SpamAssassin: ${train.length} training and ${test.length} test emails; subjects and bodies as two inputs`);
const tokenizer = fitTokenizer(train);
const trainData = tensorsFor(tokenizer, train);
const testData = tensorsFor(tokenizer, test);

const model = buildModel();
model.summary();
model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
const epochs = Number(option('epochs', '8'));
await model.fit(trainData.x, trainData.y, {
  epochs,
  batchSize: 32,
  validationSplit: 0.1,
  callbacks: [fe.callbacks.earlyStopping({ monitor: 'val_acc', patience: 2, restoreBestWeights: true })],
});

const [loss, acc] = model.evaluate(testData.x, testData.y) as fe.Tensor[];
const accuracy = acc.dataSync()[0];
console.log(`test loss: ${loss.dataSync()[0].toFixed(4)}`);
console.log(`test accuracy: ${accuracy.toFixed(4)}`);
if (accuracy < THRESHOLD) {
  console.error(`test accuracy ${accuracy.toFixed(4)} is below ${THRESHOLD}`);
  process.exit(1);
}
