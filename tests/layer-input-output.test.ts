/**
 * layer.input / output / outputShape / getInputAt / getOutputAt (tf.Layer's): the symbolic
 * tensors of a layer's calls, as used to cut a feature extractor out of a trained model.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { useBackend } from './helpers/backends';

describe('symbolic inputs and outputs of layers', () => {
  beforeAll(() => useBackend('js'));

  it('cuts a feature extractor out of a model: its predictions are the hidden layer\'s, by hand', () => {
    const x = fe.input({ shape: [3] });
    const hidden = fe.layers.dense({ units: 4, activation: 'relu', name: 'hidden' });
    const out = fe.layers.dense({ units: 2 }).apply(hidden.apply(x) as fe.SymbolicTensor) as fe.SymbolicTensor;
    const base = fe.model({ inputs: x, outputs: out });
    const features = fe.model({ inputs: base.inputs, outputs: base.getLayer('hidden').output });
    expect(base.getLayer('hidden').outputShape).toEqual([null, 4]);
    expect(hidden.input).toBe(x);
    expect(base.input).toBe(x);
    expect(base.output).toBe(out);
    const xs = fe.tensor([[1, -2, 0.5], [0.3, 0.2, -1]]);
    const [w, b] = hidden.getWeights().map((t) => t.arraySync() as number[] | number[][]);
    const expected = (xs.arraySync() as number[][]).map((row) => (b as number[]).map((bj, j) => Math.max(0, row.reduce((s, v, i) => s + v * (w as number[][])[i][j], bj))));
    const got = (features.predict(xs) as fe.Tensor).arraySync() as number[][];
    got.forEach((r, i) => r.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 5)));
  });

  it('a layer called twice has no single output; getOutputAt gives each, with lists kept', () => {
    const a = fe.input({ shape: [2] }), b = fe.input({ shape: [2] });
    const shared = fe.layers.dense({ units: 3 });
    const ya = shared.apply(a) as fe.SymbolicTensor, yb = shared.apply(b) as fe.SymbolicTensor;
    expect(() => shared.output).toThrow(/was called 2 times, so it has no single output; use getOutputAt\(nodeIndex\)/);
    expect(() => shared.input).toThrow(/use getInputAt\(nodeIndex\)/);
    expect(shared.getOutputAt(0)).toBe(ya);
    expect(shared.getOutputAt(1)).toBe(yb);
    expect(shared.getInputAt(1)).toBe(b);
    expect(shared.outputShape).toEqual([null, 3]);
    expect(() => shared.getOutputAt(2)).toThrow(/node index 2 out of range \(the layer was called 2 times\)/);
    const cat = fe.layers.concatenate();
    const c = cat.apply([ya, yb]) as fe.SymbolicTensor;
    expect(cat.input).toEqual([ya, yb]);
    expect(cat.output).toBe(c);
    expect(() => fe.layers.dense({ units: 1 }).output).toThrow(/has not been called on symbolic tensors \(fe\.input\), so it has no output tensor/);
  });

  it('a model used as a layer: call 0 is its own inputs → outputs, then its uses', () => {
    const i = fe.input({ shape: [2] });
    const inner = fe.model({ inputs: i, outputs: fe.layers.dense({ units: 2 }).apply(i) as fe.SymbolicTensor });
    const j = fe.input({ shape: [2] });
    const y = inner.apply(j) as fe.SymbolicTensor;
    expect(inner.getInputAt(0)).toBe(i);
    expect(inner.getInputAt(1)).toBe(j);
    expect(inner.getOutputAt(1)).toBe(y);
    expect(() => inner.output).toThrow(/called 2 times/);
    const seq = fe.sequential({ layers: [fe.layers.dense({ units: 5, inputShape: [4] })] });
    expect((seq.output as fe.SymbolicTensor).shape).toEqual([null, 5]);
  });
});
