/**
 * examples/mnist-cnn in PyTorch style on a slice: seed 002 §4.2's CNNModel (fe.nn modules, no
 * dummy forward pass) trained with the seed's train() on 2,000 digits for one epoch, tested
 * with its test() on 500 others; its state dict survives a safetensors round trip. The full
 * example trains on 7,200 digits for 6 epochs and needs 0.97.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { loadMnist, SIZE } from '../examples/mnist-cnn/mnist-data';
import { CNNModel, testStep, trainStep } from '../examples/mnist-cnn/pytorch-model';
import { useBackend, wasmBuilt } from './helpers/backends';

describe('mnist-cnn example, PyTorch style', () => {
  beforeAll(() => useBackend(wasmBuilt ? 'wasm' : 'js'));

  it('trains the seed\'s CNNModel with train() / test() and keeps it through a state dict', () => {
    fe.setRandomSeed(1);
    const { train, test } = loadMnist(2, 500, 3);
    const n = 2000;
    const x = fe.tensor(train.images.subarray(0, n * SIZE * SIZE * 3), [n, SIZE, SIZE, 3]);
    const y = fe.tensor(train.labels.subarray(0, n), [n], 'int32');
    const model = new CNNModel(10);
    expect(model.parameters().length).toBe(10);
    const optimizer = fe.optim.adam(model.parameters(), { lr: 1e-3 });
    const criterion = fe.nn.crossEntropyLoss();
    const losses: number[] = [];
    for (let b = 0; b < n; b += 32) {
      losses.push(fe.tidy(() => trainStep(model, { input: fe.slice(x, [b], [Math.min(32, n - b)]), target: fe.slice(y, [b], [Math.min(32, n - b)]) }, optimizer, criterion)));
    }
    expect(losses[0]).toBeGreaterThan(2);
    expect(losses.slice(-10).reduce((a, v) => a + v, 0) / 10).toBeLessThan(0.8);
    const xt = fe.tensor(test.images, [test.count, SIZE, SIZE, 3]);
    const predict = (m: CNNModel) => fe.tidy(() => Array.from(fe.argMax(testStep(m, { input: xt, target: fe.tensor(test.labels, [test.count], 'int32') }), 1).dataSync()));
    const pred = predict(model);
    const accuracy = pred.filter((p, i) => p === test.labels[i]).length / test.count;
    expect(accuracy).toBeGreaterThan(0.84); // 0.878 on the wasm simd build
    expect(model.training).toBe(false); // test() switched to eval mode
    const copy = new CNNModel(10);
    copy.loadStateDict(fe.nn.stateDictFromBytes(fe.nn.stateDictToBytes(model.stateDict())));
    expect(predict(copy)).toEqual(pred);
  });
});
