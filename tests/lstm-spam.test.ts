import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { loadSpamAssassin } from '../examples/text-classifier/spam-data';
import { useBackend, wasmBuilt } from './helpers/backends';

// Seed 000 §4.2 on a slice of the real SpamAssassin corpus (examples/lstm-classifier trains on
// all of it and needs ≥ 0.95).
describe('seed 000 §4.2 LSTM classifier on SpamAssassin', () => {
  beforeAll(() => useBackend(wasmBuilt ? 'wasm' : 'js'));

  it('reaches ≥ 0.92 test accuracy from 1,500 training emails', async () => {
    fe.setRandomSeed(1);
    const { train, test } = loadSpamAssassin(42);
    const trainSlice = train.slice(0, 1500), testSlice = test.slice(0, 600);
    const tokenizer = new fe.text.Tokenizer({ numWords: 1000, oovToken: '<OOV>' });
    tokenizer.fitOnTexts(trainSlice.map((e) => e.text));
    const inputs = (emails: typeof train) =>
      fe.tensor2d(fe.sequence.padSequences(tokenizer.textsToSequences(emails.map((e) => e.text)), { maxlen: 100 }), undefined, 'int32');
    const labels = (emails: typeof train) => fe.tensor2d(fe.utils.toCategorical(emails.map((e) => e.label), 2));
    const model = fe.sequential({
      layers: [
        fe.layers.timeDistributed({ layer: fe.layers.embedding({ inputDim: 1000, outputDim: 16, inputLength: 100 }) }),
        fe.layers.lstm({ units: 32 }),
        fe.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    model.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam', metrics: ['accuracy'] });
    await model.fit(inputs(trainSlice), labels(trainSlice), { epochs: 6, batchSize: 32, verbose: 0 });
    const [, acc] = model.evaluate(inputs(testSlice), labels(testSlice)) as fe.Tensor[];
    expect(acc.dataSync()[0]).toBeGreaterThanOrEqual(0.92);
  });
});
