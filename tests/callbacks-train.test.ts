/**
 * fe.callbacks.reduceLROnPlateau, terminateOnNaN, csvLogger and learningRateScheduler, driven
 * through model.fit: the rates they set (and that the updates then use), where training stops
 * and what the weights are, the CSV written.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { BACKENDS, useBackend } from './helpers/backends';
import { expectClose } from './helpers/reference';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ferrite-callbacks-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One weight w, x = 1, y = 0, mean squared error: the gradient is 2w, so SGD gives w·(1 − 2·lr). */
function oneWeight(w0: number, optimizer: fe.Optimizer) {
  const m = fe.sequential({ layers: [fe.layers.dense({ units: 1, inputShape: [1], useBias: false })] });
  m.setWeights([fe.tensor([[w0]])]);
  m.compile({ optimizer, loss: 'meanSquaredError' });
  return m;
}
const weightOf = (m: fe.LayersModel) => m.getWeights()[0].dataSync()[0];

/** A callback that replaces one epoch log by scripted values (runs before the one under test). */
function scripted(key: string, values: number[]): fe.CallbackHooks {
  return { onEpochEnd: (epoch, logs) => void (logs![key] = values[epoch]) };
}

describe.each(BACKENDS)('training callbacks on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  const x = () => fe.tensor([[1]]);
  const y = () => fe.tensor([[0]]);

  it('learningRateScheduler sets the rate each epoch, and the updates use it', async () => {
    const m = oneWeight(1, fe.train.sgd(0.1));
    const seen: number[] = [];
    const h = await m.fit(x(), y(), {
      epochs: 3, verbose: 0,
      callbacks: [fe.callbacks.learningRateScheduler((epoch, lr) => (epoch === 0 ? lr : lr / 2)), { onEpochBegin: () => void seen.push(m.optimizer!.learningRate) }],
    });
    expect(seen).toEqual([0.1, 0.05, 0.025]);
    expectClose([weightOf(m)], [0.8 * 0.9 * 0.95], { rtol: 1e-6 });
    expect(h.history.loss.length).toBe(3);
  });

  it('reduceLROnPlateau: patience, minDelta, cooldown and minLr, as Keras', async () => {
    const m = oneWeight(0.5, fe.train.sgd(1e-6));
    m.optimizer!.learningRate = 1;
    const lrs: number[] = [];
    const losses = [1, 0.9, 0.895, 0.9, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85];
    await m.fit(x(), y(), {
      epochs: losses.length, verbose: 0,
      callbacks: [
        scripted('loss', losses),
        fe.callbacks.reduceLROnPlateau({ monitor: 'loss', factor: 0.5, patience: 2, minDelta: 0.01, cooldown: 1, minLr: 0.2 }),
        { onEpochEnd: () => void lrs.push(m.optimizer!.learningRate) },
      ],
    });
    // 0.895 is not an improvement (minDelta 0.01): epochs 2, 3 wait → halve at 3; epoch 4 improves
    // (cooldown); 5, 6 wait → halve at 6, cooldown at 7 (counted as waiting), 8 → 0.2 floor at 8; 9, 10 wait, at the floor.
    expect(lrs).toEqual([1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2]);
  });

  it('reduceLROnPlateau: \'auto\' maximizes accuracy-like logs; missing logs and schedules fail clearly', async () => {
    const m = oneWeight(0.5, fe.train.sgd(1e-6));
    m.optimizer!.learningRate = 1;
    const lrs: number[] = [];
    await m.fit(x(), y(), {
      epochs: 4, verbose: 0,
      callbacks: [scripted('val_acc', [0.5, 0.6, 0.6, 0.6]), fe.callbacks.reduceLROnPlateau({ monitor: 'val_acc', patience: 1 }), { onEpochEnd: () => void lrs.push(m.optimizer!.learningRate) }],
    });
    expectClose(lrs, [1, 1, 0.1, 0.01], { rtol: 1e-12 });
    await expect(m.fit(x(), y(), { epochs: 1, verbose: 0, callbacks: [fe.callbacks.reduceLROnPlateau()] })).rejects.toThrow(/metric 'val_loss' is not in the epoch logs \(loss\)/);
    const s = oneWeight(0.5, fe.train.sgd(fe.train.exponentialDecay(0.1, 10, 0.5)));
    await expect(s.fit(x(), y(), { epochs: 2, verbose: 0, callbacks: [scripted('loss', [1, 1]), fe.callbacks.reduceLROnPlateau({ monitor: 'loss', patience: 1 })] }))
      .rejects.toThrow(/comes from a ExponentialDecay schedule and cannot be set/);
    expect(() => fe.callbacks.reduceLROnPlateau({ factor: 1 })).toThrow(/factor must be in \[0, 1\)/);
  });

  it('terminateOnNaN: training ends at the first non-finite loss, the weights as before that batch; without it fit throws', async () => {
    const data = fe.tensor([[1], [1], [1], [1]]);
    const target = fe.tensor([[0], [0], [0], [0]]);
    let calls = 0;
    /** MSE, except NaN on its third call (the third batch). */
    const flaky = (yt: fe.Tensor, yp: fe.Tensor) => {
      const l = fe.mean(fe.square(fe.sub(yp, yt)));
      return ++calls === 3 ? fe.mul(l, NaN) : l;
    };
    const make = () => {
      calls = 0;
      const m = fe.sequential({ layers: [fe.layers.dense({ units: 1, inputShape: [1], useBias: false })] });
      m.setWeights([fe.tensor([[1]])]);
      m.compile({ optimizer: fe.train.sgd(0.1), loss: flaky });
      return m;
    };
    const m = make();
    const batchLosses: number[] = [];
    const stop = fe.callbacks.terminateOnNaN();
    const h = await m.fit(data, target, { epochs: 3, batchSize: 1, shuffle: false, verbose: 0, callbacks: [stop, { onBatchEnd: (_b, l) => void batchLosses.push(l!.loss) }] });
    expect(stop.stoppedAtBatch).toBe(2);
    expect(batchLosses.length).toBe(3);
    expect(Number.isNaN(batchLosses[2])).toBe(true);
    expect(h.epoch).toEqual([0]);
    expect(Number.isNaN(h.history.loss[0])).toBe(true);
    // two updates of w·(1 − 0.2), the NaN batch not applied
    expectClose([weightOf(m)], [0.64], { rtol: 1e-6 });

    const n = make();
    await expect(n.fit(data, target, { epochs: 3, batchSize: 1, shuffle: false, verbose: 0 })).rejects.toThrow(fe.NonFiniteLossError);
    expectClose([weightOf(n)], [0.64], { rtol: 1e-6 });
  });

  it('csvLogger writes epoch and the sorted log keys per epoch to a file; append continues it', async () => {
    const file = join(dir, `${backend}-log.csv`);
    writeFileSync(file, 'old contents\n');
    const m = oneWeight(1, fe.train.sgd(0.1));
    m.compile({ optimizer: fe.train.sgd(0.1), loss: 'meanSquaredError', metrics: ['mae'] });
    const logger = fe.callbacks.csvLogger(file);
    const h = await m.fit(x(), y(), { epochs: 3, verbose: 0, validationData: [x(), y()], callbacks: [logger] });
    const rows = (k: number) => [k, h.history.loss[k], h.history.mae[k], h.history.val_loss[k], h.history.val_mae[k]].join(',');
    const want = ['epoch,loss,mae,val_loss,val_mae', rows(0), rows(1), rows(2)].join('\n') + '\n';
    expect(readFileSync(file, 'utf8')).toBe(want);
    expect(logger.text).toBe(want);

    const again = fe.callbacks.csvLogger({ filename: file, append: true, separator: ';' });
    const h2 = await m.fit(x(), y(), { epochs: 1, verbose: 0, callbacks: [again] });
    expect(readFileSync(file, 'utf8')).toBe(want + `0;${h2.history.loss[0]};${h2.history.mae[0]}\n`);

    const mem = fe.callbacks.csvLogger();
    await m.fit(x(), y(), { epochs: 2, verbose: 0, callbacks: [mem] });
    expect(mem.text.split('\n')).toHaveLength(4);
    expect(mem.text.startsWith('epoch,loss,mae\n0,')).toBe(true);
    expect(() => fe.callbacks.csvLogger({ filename: file, seperator: ';' } as never)).toThrow(/unknown option 'seperator'/);
  });
});
