import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { loadSpamAssassin } from '../examples/text-classifier/spam-data';
import { useBackend, wasmBuilt } from './helpers/backends';

// Seed 000 §4.1 on a slice of the real SpamAssassin corpus (the demo trains on all of it).
describe('seed 000 text classifier on SpamAssassin', () => {
  beforeAll(() => useBackend(wasmBuilt ? 'wasm' : 'js'));

  it('reaches ≥ 0.93 test accuracy from 2,000 training emails', async () => {
    fe.setRandomSeed(1);
    const { train, test } = loadSpamAssassin(42);
    const trainSlice = train.slice(0, 2000), testSlice = test.slice(0, 800);
    const tokenizer = new fe.text.Tokenizer({ numWords: 1000, oovToken: '<OOV>' });
    tokenizer.fitOnTexts(trainSlice.map((e) => e.text));
    expect(tokenizer.wordIndex['<OOV>']).toBe(1);
    const inputs = (emails: typeof train) =>
      fe.tensor2d(fe.sequence.padSequences(tokenizer.textsToSequences(emails.map((e) => e.text)), { maxlen: 100 }), undefined, 'int32');
    const labels = (emails: typeof train) => fe.tensor2d(emails.map((e) => [e.label]));
    const model = fe.sequential({
      layers: [
        fe.layers.embedding({ inputDim: 1000, outputDim: 16, inputLength: 100 }),
        fe.layers.globalAveragePooling1d(),
        fe.layers.dense({ units: 32, activation: 'relu' }),
        fe.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    model.compile({ loss: 'binaryCrossentropy', optimizer: 'adam', metrics: ['accuracy'] });
    await model.fit(inputs(trainSlice), labels(trainSlice), { epochs: 10, batchSize: 32, verbose: 0 });
    const [, acc] = model.evaluate(inputs(testSlice), labels(testSlice)) as fe.Tensor[];
    expect(acc.dataSync()[0]).toBeGreaterThanOrEqual(0.93);
  });
});
