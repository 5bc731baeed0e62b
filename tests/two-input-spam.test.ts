import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { buildModel, fitTokenizer, tensorsFor } from '../examples/two-input-spam/model';
import { loadSpamAssassinParts, subjectLine } from '../examples/text-classifier/spam-data';
import { useBackend, wasmBuilt } from './helpers/backends';

// The functional example (subject and body as two inputs, a shared embedding, concatenate and
// a skip connection) on a slice of SpamAssassin; `npm run example:two-input` trains on all of it.
describe('two-input SpamAssassin example', () => {
  beforeAll(() => useBackend(wasmBuilt ? 'wasm' : 'js'));

  it('reads the Subject header, folded lines joined', () => {
    expect(subjectLine('From: a\nSubject: Cheap\n  pills now\nTo: b\n\nbody')).toBe('Cheap pills now');
    expect(subjectLine('From: a\n\nSubject: not a header')).toBe('');
  });

  it('reaches ≥ 0.93 test accuracy from 2,000 training emails', async () => {
    fe.setRandomSeed(1);
    const { train, test } = loadSpamAssassinParts(42);
    const trainSlice = train.slice(0, 2000), testSlice = test.slice(0, 800);
    expect(trainSlice.filter((e) => e.subject !== '').length).toBeGreaterThan(1900);
    const tokenizer = fitTokenizer(trainSlice);
    const tr = tensorsFor(tokenizer, trainSlice), te = tensorsFor(tokenizer, testSlice);
    const model = buildModel();
    expect(model.inputNames).toEqual(['subject', 'body']);
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    await model.fit(tr.x, tr.y, { epochs: 6, batchSize: 32, verbose: 0 });
    const [, acc] = model.evaluate(te.x, te.y) as fe.Tensor[];
    expect(acc.dataSync()[0]).toBeGreaterThanOrEqual(0.93);
    fe.dispose([...Object.values(tr.x), tr.y, ...Object.values(te.x), te.y]);
    model.dispose();
  });
});
