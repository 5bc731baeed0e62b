/**
 * The training worker: everything ferrite does runs here, off the page's main thread, so the
 * page stays responsive while the model trains. The page sends `train` once and `predict` any
 * time after; the worker answers with progress messages (see protocol.ts).
 *
 * Seed 000 §4.1: Tokenizer(1000, OOV) → padSequences(100) → Embedding(1000, 16)
 * → GlobalAveragePooling1D → Dense(32, relu) → Dense(1, sigmoid); Adam, binary cross-entropy.
 */
import * as fe from 'ferrite-ml';
import type { BuildChoice, FromWorker, SpamData, ThreadsChoice, ToWorker } from './protocol';

const MAXLEN = 100;
const post = (m: FromWorker) => (self as unknown as Worker).postMessage(m);

let tokenizer: InstanceType<typeof fe.text.Tokenizer> | null = null;
let model: fe.Sequential | null = null;
let training: Promise<void> | null = null; // predictions wait for training to end

async function start(build: BuildChoice, threads: ThreadsChoice): Promise<void> {
  // The package finds its .wasm files and its helper-thread script itself (the bundler emits
  // them next to this script). Threads need a cross-origin isolated page (the COOP and COEP
  // headers of vite.config.ts); elsewhere ferrite runs on one thread and says why.
  if (build === 'js') await fe.ready({ backend: 'js' });
  else if (build === 'auto') await fe.ready({ threads });
  else await fe.ready({ backend: 'wasm', build, threads });
  post({ type: 'backend', backend: fe.getBackend() ?? '?', build: fe.getBuild() ?? '?', threads: fe.getThreads() });
}

/** FNV-1a (32-bit) over the bits of every weight, as hex. */
function digest(weights: fe.Tensor[]): string {
  let h = 0x811c9dc5;
  for (const w of weights) {
    const bytes = new Uint8Array(new Float32Array(w.dataSync()).buffer);
    for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

function inputs(texts: string[]): fe.Tensor {
  const seqs = tokenizer!.textsToSequences(texts);
  return fe.tensor2d(fe.sequence.padSequences(seqs, { maxlen: MAXLEN }), [texts.length, MAXLEN], 'int32');
}

async function train(msg: Extract<ToWorker, { type: 'train' }>): Promise<void> {
  await start(msg.build, msg.threads);
  fe.setRandomSeed(1);

  const t0 = performance.now();
  const res = await fetch(msg.dataUrl);
  if (!res.ok) throw new Error(`cannot fetch ${msg.dataUrl}: HTTP ${res.status}`);
  const data = (await res.json()) as SpamData;
  tokenizer = new fe.text.Tokenizer({ numWords: 1000, oovToken: '<OOV>' });
  tokenizer.fitOnTexts(data.train.map(([t]) => t));
  const xTrain = inputs(data.train.map(([t]) => t));
  const yTrain = fe.tensor2d(data.train.map(([, l]) => [l]));
  const xTest = inputs(data.test.map(([t]) => t));
  const yTest = fe.tensor2d(data.test.map(([, l]) => [l]));
  const validationSplit = 0.1;
  const nValidation = data.train.length - Math.floor(data.train.length * (1 - validationSplit));
  post({
    type: 'data', nTrain: data.train.length - nValidation, nValidation, nTest: data.test.length,
    vocabulary: Object.keys(tokenizer.wordIndex).length, ms: performance.now() - t0,
  });

  model = fe.sequential({
    layers: [
      fe.layers.embedding({ inputDim: 1000, outputDim: 16, inputLength: MAXLEN }),
      fe.layers.globalAveragePooling1d(),
      fe.layers.dense({ units: 32, activation: 'relu' }),
      fe.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  });
  model.compile({ loss: 'binaryCrossentropy', optimizer: 'adam', metrics: ['accuracy'] });

  // Samples per second count training steps only (not validation), epoch by epoch.
  let epochNow = 0, epochStart = 0, stepsEnd = 0, seen = 0, trainMs = 0, trainSamples = 0;
  const steps = Math.ceil((data.train.length - nValidation) / msg.batchSize);
  const started = performance.now();
  await model.fit(xTrain, yTrain, {
    epochs: msg.epochs, batchSize: msg.batchSize, validationSplit, verbose: 0,
    callbacks: {
      onEpochBegin: (epoch) => { epochNow = epoch; epochStart = performance.now(); seen = 0; },
      onBatchEnd: (batch, logs) => {
        seen += logs?.size ?? 0;
        stepsEnd = performance.now();
        post({ type: 'batch', epoch: epochNow, batch, steps, loss: logs!.loss, acc: logs!.acc });
      },
      onEpochEnd: (epoch, logs) => {
        const ms = stepsEnd - epochStart;
        trainMs += ms;
        trainSamples += seen;
        post({
          type: 'epoch', epoch, epochs: msg.epochs, loss: logs!.loss, acc: logs!.acc,
          valLoss: logs!.val_loss, valAcc: logs!.val_acc, samplesPerSec: seen / (ms / 1000),
        });
      },
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const [testLoss, testAcc] = model.evaluate(xTest, yTest) as fe.Tensor[];
  post({
    type: 'done', testLoss: testLoss.dataSync()[0], testAcc: testAcc.dataSync()[0], seconds,
    samplesPerSec: trainSamples / (trainMs / 1000), weightsDigest: digest(model.getWeights()),
  });
  fe.dispose([xTrain, yTrain, xTest, yTest, testLoss, testAcc]);
}

function predict(msg: Extract<ToWorker, { type: 'predict' }>): void {
  if (!model || !tokenizer) throw new Error('predict: the model has not been trained yet');
  const tokens = tokenizer.textsToSequences([msg.text])[0].length;
  const spam = fe.tidy(() => model!.predict(inputs([msg.text])).dataSync()[0]);
  post({ type: 'prediction', id: msg.id, spam, tokens });
}

self.onmessage = async (e: MessageEvent<ToWorker>) => {
  try {
    if (e.data.type === 'train') {
      if (training) throw new Error('train: this worker has trained already; start a new worker to train again');
      training = train(e.data);
      await training;
    } else if (e.data.type === 'predict') {
      await training;
      predict(e.data);
    }
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  }
};
