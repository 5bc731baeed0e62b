// fe.callbacks.modelCheckpoint and fe.io.loadCheckpoint: a training run stopped and resumed
// from a checkpoint ends with the same weights, bit for bit, as an uninterrupted one (with
// shuffling, dropout and Adam); the best-only mode saves exactly the improving epochs.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { formatCheckpointPath } from '../ts/callbacks/model-checkpoint';
import { BACKENDS, useBackend } from './helpers/backends';
import { mulberry32, uniform } from './helpers/reference';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ferrite-ckpt-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small 3-class problem: the class is the argmax of three fixed projections. */
function data(n: number, seed: number): { x: fe.Tensor; y: fe.Tensor } {
  const xs = uniform(mulberry32(seed), n * 6, -1, 1);
  const ys = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const s = [0, 1, 2].map((k) => xs[i * 6 + k] + 0.5 * xs[i * 6 + k + 3]);
    ys[i * 3 + s.indexOf(Math.max(...s))] = 1;
  }
  return { x: fe.tensor(xs, [n, 6]), y: fe.tensor(ys, [n, 3]) };
}

function make(): fe.Sequential {
  const m = fe.sequential({
    layers: [
      fe.layers.dense({ units: 12, activation: 'relu', inputShape: [6] }),
      fe.layers.dropout({ rate: 0.3 }),
      fe.layers.batchNormalization(),
      fe.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  m.compile({ optimizer: fe.train.adam(0.02), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

function weightsOf(model: fe.LayersModel): Float32Array[] {
  return model.getWeights().map((t) => {
    const v = Float32Array.from(t.dataSync());
    t.dispose();
    return v;
  });
}

const FIT = { batchSize: 8, validationSplit: 0.25, verbose: 0 as const };

describe.each(BACKENDS)('checkpoints on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('a run stopped after epoch 2 and resumed from its checkpoint ends with the uninterrupted run\'s weights, bit for bit', async () => {
    const { x, y } = data(64, 1);

    // Uninterrupted: 5 epochs.
    fe.setRandomSeed(7);
    const full = make();
    const ckFull = fe.callbacks.modelCheckpoint({ filepath: `file://${dir}/${backend}-full-{epoch:02d}` });
    const hFull = await full.fit(x, y, { ...FIT, epochs: 5, callbacks: [ckFull] });
    expect(readdirSync(dir).filter((d) => d.startsWith(`${backend}-full-`)).sort()).toEqual([1, 2, 3, 4, 5].map((e) => `${backend}-full-0${e}`));

    // Interrupted: the same run stops after 2 epochs…
    fe.setRandomSeed(7);
    const first = make();
    const ck = fe.callbacks.modelCheckpoint({ filepath: `file://${dir}/${backend}-part` });
    await first.fit(x, y, { ...FIT, epochs: 2, callbacks: [ck] });
    first.dispose();
    // The checkpoint is the uninterrupted run's after its second epoch, byte for byte.
    expect(readFileSync(`${dir}/${backend}-part/weights.bin`)).toEqual(readFileSync(`${dir}/${backend}-full-02/weights.bin`));

    // …other work moves the random stream on…
    fe.setRandomSeed(999);
    fe.randomNormal([100]).dispose();

    // …and a new process resumes.
    const resumed = await fe.io.loadCheckpoint(`file://${dir}/${backend}-part`);
    expect(resumed.epoch).toBe(1);
    expect(resumed.initialEpoch).toBe(2);
    expect(resumed.logs.loss).toBe(hFull.history.loss[1]);
    expect(resumed.model.optimizer!.iterations).toBe(2 * Math.ceil(48 / 8));
    expect(resumed.model.getUserDefinedMetadata()).toBeUndefined();
    const hRest = await resumed.model.fit(x, y, { ...FIT, epochs: 5, initialEpoch: resumed.initialEpoch });
    expect(hRest.epoch).toEqual([2, 3, 4]);
    expect(hRest.history.loss).toEqual(hFull.history.loss.slice(2));
    expect(hRest.history.val_loss).toEqual(hFull.history.val_loss.slice(2));
    expect(weightsOf(resumed.model)).toEqual(weightsOf(full));

    // Without the random state (shuffles and dropout masks differ) the result is not the same:
    // the comparison above is a real one.
    const other = await fe.io.loadCheckpoint(`file://${dir}/${backend}-part`, { restoreRandomState: false });
    await other.model.fit(x, y, { ...FIT, epochs: 5, initialEpoch: other.initialEpoch });
    expect(weightsOf(other.model)).not.toEqual(weightsOf(full));
  });

  it('saveBestOnly saves exactly the epochs where the monitored metric improved', async () => {
    const { x, y } = data(48, 2);
    for (const [monitor, mode] of [['val_loss', 'auto'], ['val_acc', 'auto'], ['loss', 'max']] as const) {
      fe.setRandomSeed(3);
      const model = make();
      const saved: { epoch: number; info: fe.CheckpointInfo }[] = [];
      const ck = fe.callbacks.modelCheckpoint({
        monitor, mode, saveBestOnly: true,
        filepath: fe.io.withSaveHandler(async (a) => {
          const info = (a.userDefinedMetadata!.ferrite as { checkpoint: fe.CheckpointInfo }).checkpoint;
          saved.push({ epoch: info.epoch, info });
          return { modelArtifactsInfo: fe.io.getModelArtifactsInfoForJSON(a) };
        }),
      });
      const h = await model.fit(x, y, { ...FIT, epochs: 6, callbacks: [ck] });
      const series = h.history[monitor];
      const maximize = mode === 'max' || monitor === 'val_acc';
      const want: number[] = [];
      let best = maximize ? -Infinity : Infinity;
      series.forEach((v, e) => {
        if (maximize ? v > best : v < best) {
          best = v;
          want.push(e);
        }
      });
      expect(saved.map((s) => s.epoch), monitor).toEqual(want);
      expect(saved[saved.length - 1].info.best).toBe(best);
      expect(ck.best).toBe(best);
    }
  });

  it('the file name takes {epoch} and log values as Keras formats them', async () => {
    expect(formatCheckpointPath('file://c/ep{epoch:03d}-{val_loss:.3f}-{acc}', 4, { val_loss: 0.123456, acc: 0.5 })).toBe('file://c/ep005-0.123-0.5');
    expect(() => formatCheckpointPath('file://c/{nope}', 0, { loss: 1 })).toThrow(/\{nope\} is not 'epoch' nor in the epoch logs \(loss\)/);
    const { x, y } = data(16, 3);
    const model = make();
    await model.fit(x, y, { ...FIT, epochs: 2, callbacks: [fe.callbacks.modelCheckpoint({ filepath: `file://${dir}/${backend}-fmt-{epoch}-{loss:.2f}` })] });
    expect(readdirSync(dir).filter((d) => d.startsWith(`${backend}-fmt-`)).length).toBe(2);
  });

  it('errors: a monitored metric that is not logged; loading a plain model as a checkpoint', async () => {
    const { x, y } = data(16, 4);
    const model = make();
    const ck = fe.callbacks.modelCheckpoint({ filepath: fe.io.toMemory(), saveBestOnly: true, monitor: 'val_auc' });
    await expect(model.fit(x, y, { ...FIT, epochs: 1, callbacks: [ck] })).rejects.toThrow(/metric 'val_auc' is not in the epoch logs/);
    await model.save(`file://${dir}/${backend}-plain`);
    await expect(fe.io.loadCheckpoint(`file://${dir}/${backend}-plain`)).rejects.toThrow(/not saved by fe.callbacks.modelCheckpoint/);
    expect(() => fe.callbacks.modelCheckpoint({ filepath: 3 as never })).toThrow(/filepath must be a URL string or an IOHandler/);
    expect(existsSync(`${dir}/${backend}-plain/model.json`)).toBe(true);
  });
});
