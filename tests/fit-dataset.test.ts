/**
 * model.fitDataset / evaluateDataset: the same weights as fit on the same data and order (bit
 * for bit), the same weights as TensorFlow.js' fitDataset (to float32 rounding), Sequential and
 * functional models with inputs and targets as lists or maps, History, callbacks, validation,
 * batchesPerEpoch, early stopping, checkpoints, errors, and no tensor left behind.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as fe from 'ferrite-ml';
import { BACKENDS, settleGc, useBackend } from './helpers/backends';

interface Row {
  xs: number[];
  ys: number;
}

/** 30 samples of 4 features in 3 classes, a fixed function of the index. */
const rows: Row[] = Array.from({ length: 30 }, (_, i) => ({
  xs: [i / 30, (i % 7) / 7, Math.sin(i), ((i * 13) % 5) / 5 - 0.5],
  ys: (i + (i % 4 === 0 ? 1 : 0)) % 3,
}));
const oneHot = (c: number) => [0, 1, 2].map((k) => (k === c ? 1 : 0));

function classifier(): fe.Sequential {
  const m = fe.sequential({
    layers: [
      fe.layers.dense({ inputShape: [4], units: 6, activation: 'relu' }),
      fe.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  m.compile({ optimizer: fe.train.sgd(0.1), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

const weightsOf = (m: { getWeights(): fe.Tensor[] }) => m.getWeights().map((w) => Array.from(w.dataSync()));

describe.each(BACKENDS)('fitDataset on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('trains the same weights as fit on the same data and order, bit for bit, with the same History', async () => {
    fe.setRandomSeed(4);
    const a = classifier(), b = classifier();
    b.setWeights(a.getWeights());
    const x = fe.tensor(rows.map((r) => r.xs)), y = fe.tensor(rows.map((r) => r.ys));
    const vx = fe.slice(x, [0], [9]), vy = fe.slice(y, [0], [9]);
    const hFit = await a.fit(x, y, { epochs: 3, batchSize: 7, shuffle: false, verbose: 0, validationData: [vx, vy] });
    const ds = fe.data.array(rows).batch(7);
    const hData = await b.fitDataset(ds, { epochs: 3, verbose: 0, validationData: [vx, vy], validationBatchSize: 7 });
    expect(weightsOf(b)).toEqual(weightsOf(a));
    expect(hData.history).toEqual(hFit.history);
    expect(hData.epoch).toEqual([0, 1, 2]);
    expect(Object.keys(hData.history).sort()).toEqual(['acc', 'loss', 'val_acc', 'val_loss']);
    // evaluateDataset gives evaluate's numbers (batches of 7 both).
    const [l1, a1] = (await b.evaluateDataset(ds)) as fe.Tensor[];
    const [l2, a2] = b.evaluate(x, y, { batchSize: 7 }) as fe.Tensor[];
    expect([l1.dataSync()[0], a1.dataSync()[0]]).toEqual([l2.dataSync()[0], a2.dataSync()[0]]);
    fe.dispose([x, y, vx, vy, l1, a1, l2, a2]);
    a.dispose();
    b.dispose();
  });

  it('a validation dataset gives the same val_ logs as the same validation tensors', async () => {
    const a = classifier(), b = classifier();
    b.setWeights(a.getWeights());
    const val = rows.slice(20);
    const vx = fe.tensor(val.map((r) => r.xs)), vy = fe.tensor(val.map((r) => r.ys));
    const ds = fe.data.array(rows.slice(0, 20)).batch(5);
    const h1 = await a.fitDataset(ds, { epochs: 2, verbose: 0, validationData: [vx, vy], validationBatchSize: 4 });
    const h2 = await b.fitDataset(ds, { epochs: 2, verbose: 0, validationData: fe.data.array(val).batch(4) });
    expect(h2.history).toEqual(h1.history);
    // validationBatches: only the first batches of the validation dataset.
    const c = classifier();
    c.setWeights(a.getWeights());
    const first = (await c.evaluateDataset(fe.data.array(val).batch(4), { batches: 2 })) as fe.Tensor[];
    const direct = c.evaluate(fe.slice(vx, [0], [8]), fe.slice(vy, [0], [8]), { batchSize: 4 }) as fe.Tensor[];
    expect(first.map((t) => t.dataSync()[0])).toEqual(direct.map((t) => t.dataSync()[0]));
    fe.dispose([vx, vy, ...first, ...direct]);
  });

  it('functional models: inputs and targets as maps by name or lists, the same weights as fit', async () => {
    const build = () => {
      const a = fe.input({ shape: [3], name: 'a' });
      const b = fe.input({ shape: [1], name: 'b' });
      const h = fe.layers.dense({ units: 5, activation: 'tanh' }).apply(fe.layers.concatenate().apply([a, b]) as fe.SymbolicTensor) as fe.SymbolicTensor;
      const cls = fe.layers.dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(h) as fe.SymbolicTensor;
      const reg = fe.layers.dense({ units: 1, name: 'reg' }).apply(h) as fe.SymbolicTensor;
      const m = fe.model({ inputs: [a, b], outputs: [cls, reg] });
      m.compile({ optimizer: fe.train.sgd(0.05), loss: ['sparseCategoricalCrossentropy', 'meanSquaredError'] as never, metrics: ['accuracy'] });
      return m;
    };
    const m1 = build(), m2 = build(), m3 = build();
    m2.setWeights(m1.getWeights());
    m3.setWeights(m1.getWeights());
    const elems = rows.map((r, i) => ({
      xs: { a: fe.tensor(r.xs.slice(0, 3)), b: fe.tensor([r.xs[3]]) },
      ys: { cls: r.ys, reg: [i / 10] },
    }));
    const asLists = rows.map((r, i) => [[r.xs.slice(0, 3), [r.xs[3]]], [r.ys, [i / 10]]]);
    const xa = fe.tensor(rows.map((r) => r.xs.slice(0, 3))), xb = fe.tensor(rows.map((r) => [r.xs[3]]));
    const yc = fe.tensor(rows.map((r) => r.ys)), yr = fe.tensor(rows.map((_, i) => [i / 10]));
    const hFit = await m1.fit({ a: xa, b: xb }, { cls: yc, reg: yr }, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    const hMap = await m2.fitDataset(fe.data.array(elems).batch(8), { epochs: 2, verbose: 0 });
    const hList = await m3.fitDataset(fe.data.array(asLists).batch(8), { epochs: 2, verbose: 0 });
    expect(weightsOf(m2)).toEqual(weightsOf(m1));
    expect(weightsOf(m3)).toEqual(weightsOf(m1));
    expect(hMap.history).toEqual(hFit.history);
    expect(hList.history).toEqual(hFit.history);
    expect(Object.keys(hMap.history)).toContain('cls_loss');
    // A map missing an input names it.
    const missing = fe.data.array([{ xs: { a: [1, 2, 3] }, ys: { cls: 0, reg: [0] } }]).batch(1);
    await expect(m1.fitDataset(missing, { epochs: 1, verbose: 0 })).rejects.toThrow(/inputs 'b' is missing/);
    fe.dispose([xa, xb, yc, yr]);
    elems.forEach((e) => fe.dispose(e.xs));
  });

  it('nothing leaks across epochs: CSV and tensor pipelines, validation dataset, evaluateDataset', async () => {
    const m = classifier();
    const csvText = 'f0,f1,f2,f3,label\n' + rows.map((r) => [...r.xs, r.ys].join(',')).join('\n') + '\n';
    const fromCsv = fe.data.csv(new TextEncoder().encode(csvText), { columnConfigs: { label: { isLabel: true } } })
      .map((e) => {
        const { xs, ys } = e as { xs: Record<string, number>; ys: { label: number } };
        return { xs: fe.tensor(Object.values(xs)), ys: ys.label };
      })
      .shuffle(10, 1)
      .batch(6);
    const tensors = rows.map((r) => ({ xs: fe.tensor(r.xs), ys: fe.scalar(r.ys) }));
    const fromTensors = fe.data.array(tensors).map(({ xs, ys }) => ({ xs: fe.mul(xs, 2), ys })).batch(4).prefetch(2);
    await m.fitDataset(fromCsv, { epochs: 1, verbose: 0 }); // the optimizer's slots exist from now on
    // Earlier tests' dropped tensors are finalized now, not in the middle of the count below.
    await settleGc();
    const before = fe.memory();
    await m.fitDataset(fromCsv, { epochs: 3, verbose: 0, validationData: fromTensors });
    await m.fitDataset(fromTensors, { epochs: 2, verbose: 0, batchesPerEpoch: 3 });
    fe.dispose((await m.evaluateDataset(fromCsv)) as fe.Tensor[]);
    // Counted without collecting garbage: a tensor dropped without dispose() counts.
    expect(fe.memory().numTensors).toBe(before.numTensors);
    tensors.forEach((t) => fe.dispose(t));
  });
});

describe('fitDataset against TensorFlow.js', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await fe.setBackend('js');
  });

  it('trains the same weights as tf fitDataset (SGD, same data, same seeded shuffle), to float32 rounding', async () => {
    const tfModel = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [4], units: 6, activation: 'relu' }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    tfModel.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const ours = fe.sequential({
      layers: [
        fe.layers.dense({ inputShape: [4], units: 6, activation: 'relu' }),
        fe.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    ours.compile({ optimizer: fe.train.sgd(0.1), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    ours.setWeights(tfModel.getWeights().map((w) => fe.tensor(w.dataSync() as Float32Array, w.shape)));

    const elements = rows.map((r) => ({ xs: r.xs, ys: oneHot(r.ys) }));
    const val = elements.slice(0, 12);
    const tfHistory = await tfModel.fitDataset(tf.data.array(elements).shuffle(30, 'order').batch(7), {
      epochs: 4, verbose: 0, validationData: tf.data.array(val).batch(5),
    });
    const ourHistory = await ours.fitDataset(fe.data.array(elements).shuffle(30, 'order').batch(7), {
      epochs: 4, verbose: 0, validationData: fe.data.array(val).batch(5),
    });

    const theirs = tfModel.getWeights().map((w) => Array.from(w.dataSync()));
    const mine = weightsOf(ours);
    let maxDiff = 0;
    theirs.forEach((w, i) => w.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - mine[i][j])))));
    expect(maxDiff).toBeLessThan(2e-6);
    // The weights moved: the comparison is not of the initial ones.
    expect(mine[0]).not.toEqual(Array.from(ours.getWeights()[0].dataSync()).map(() => 0));
    for (const key of ['loss', 'acc', 'val_loss', 'val_acc']) {
      const t = tfHistory.history[key] as number[];
      expect(ourHistory.history[key].length, key).toBe(4);
      ourHistory.history[key].forEach((v, e) => expect(Math.abs(v - t[e]), `${key} epoch ${e}`).toBeLessThan(1e-5));
    }
    tfModel.dispose();
  });
});

describe('fitDataset options, callbacks and errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferrite-fitdataset-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeAll(() => fe.setBackend('js'));

  it('callbacks see every epoch and batch with its size; batch logs hold loss and metrics', async () => {
    const m = classifier();
    const events: string[] = [];
    await m.fitDataset(fe.data.array(rows).batch(8), {
      epochs: 2,
      verbose: 0,
      callbacks: {
        onTrainBegin: () => { events.push('train'); },
        onEpochBegin: (e) => { events.push(`epoch ${e}`); },
        onBatchEnd: (b, logs) => { events.push(`batch ${b} size ${logs!.size} ${'loss' in logs! && 'acc' in logs!}`); },
        onEpochEnd: (e, logs) => { events.push(`end ${e} ${Object.keys(logs!).join(',')}`); },
        onTrainEnd: () => { events.push('done'); },
      },
    });
    const epoch = (e: number) => [`epoch ${e}`, 'batch 0 size 8 true', 'batch 1 size 8 true', 'batch 2 size 8 true', 'batch 3 size 6 true', `end ${e} loss,acc`];
    expect(events).toEqual(['train', ...epoch(0), ...epoch(1), 'done']);
  });

  it('batchesPerEpoch runs one iterator on across epochs; running out warns and stops', async () => {
    const pulled: number[] = [];
    const counted = fe.data.generator(function* () {
      for (let i = 0; i < rows.length; i++) {
        pulled.push(i);
        yield rows[i];
      }
    }).batch(5); // 6 batches
    const m = classifier();
    const h = await m.fitDataset(counted.repeat(), { epochs: 3, batchesPerEpoch: 4, verbose: 0 });
    expect(h.epoch).toEqual([0, 1, 2]);
    // 12 batches of 5: the first pass (30 rows), then the second pass's first 30 rows.
    expect(pulled.slice(0, 30)).toEqual(rows.map((_, i) => i));
    expect(pulled.length).toBeGreaterThanOrEqual(60);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const seen: number[] = [];
    const short = await m.fitDataset(fe.data.array(rows).batch(5), {
      epochs: 3, batchesPerEpoch: 4, verbose: 0,
      callbacks: { onEpochEnd: (e) => { seen.push(e); } },
    });
    expect(short.epoch).toEqual([0, 1]); // 4 batches, then 2, then the data ran out
    expect(seen).toEqual([0, 1]);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/ran out of data.*batchesPerEpoch is 4.*repeat\(\)/));
    // Running out exactly at an epoch's end stops there: no epoch without batches (and logs).
    warn.mockClear();
    const exact = await m.fitDataset(fe.data.array(rows).batch(5), { epochs: 3, batchesPerEpoch: 3, verbose: 0 });
    expect(exact.epoch).toEqual([0, 1]);
    expect(exact.history.loss.length).toBe(2);
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });

  it('early stopping ends training; checkpoints are written each epoch; initialEpoch resumes the count', async () => {
    const m = classifier();
    const h = await m.fitDataset(fe.data.array(rows).batch(10), {
      epochs: 10, verbose: 0,
      // The loss falls each epoch, so "max" never improves after the first: stop after patience.
      callbacks: fe.callbacks.earlyStopping({ monitor: 'loss', mode: 'max', patience: 1 }),
    });
    expect(h.epoch).toEqual([0, 1]);
    const h2 = await m.fitDataset(fe.data.array(rows).batch(10), {
      epochs: 4, initialEpoch: 2, verbose: 0,
      callbacks: fe.callbacks.modelCheckpoint({ filepath: `file://${dir}/ckpt-{epoch}` }),
    });
    expect(h2.epoch).toEqual([2, 3]);
    expect(existsSync(join(dir, 'ckpt-3', 'model.json'))).toBe(true);
    expect(existsSync(join(dir, 'ckpt-4', 'model.json'))).toBe(true);
  });

  it('the progress bar knows the length when the dataset does', async () => {
    const out: string[] = [];
    const stdout = process.stdout as { isTTY?: boolean };
    const wasTTY = stdout.isTTY;
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      out.push(String(s));
      return true;
    });
    stdout.isTTY = true;
    try {
      const m = classifier();
      await m.fitDataset(fe.data.array(rows).batch(10), { epochs: 1, verbose: 1 });
      const known = out.join('');
      expect(known).toMatch(/3\/3 \[=+\]/);
      out.length = 0;
      await m.fitDataset(fe.data.generator(function* () { yield* rows; }).batch(10), { epochs: 1, verbose: 1 });
      const unknown = out.join('');
      expect(unknown).toMatch(/Epoch 1\/1/);
      expect(unknown).toMatch(/3 batches/);
      expect(unknown).not.toMatch(/NaN|undefined/);
    } finally {
      stdout.isTTY = wasTTY;
      write.mockRestore();
    }
  });

  it('an error inside map reaches fitDataset with its message, and the model trains afterwards', async () => {
    const m = classifier();
    const bad = fe.data.array(rows).map((r) => {
      if (r.ys === 2 && r.xs[0] > 0.5) throw new Error(`bad row ${r.xs[0].toFixed(3)}`);
      return r;
    }).batch(5);
    await expect(m.fitDataset(bad, { epochs: 1, verbose: 0 })).rejects.toThrow(/^bad row 0\.5/);
    const before = fe.memory().numTensors;
    await expect(m.fitDataset(bad, { epochs: 1, verbose: 0 })).rejects.toThrow('bad row');
    expect(fe.memory().numTensors).toBe(before);
    const h = await m.fitDataset(fe.data.array(rows).batch(5), { epochs: 1, verbose: 0 });
    expect(Number.isFinite(h.history.loss[0])).toBe(true);
  });

  it('rejects what it cannot use, naming it', async () => {
    const m = classifier();
    const ds = fe.data.array(rows).batch(5);
    await expect(m.fitDataset(fe.data.array(rows), { epochs: 1, verbose: 0 })).rejects.toThrow(/xs holds no tensor \(an array of length 4\); batch\(\) the dataset/);
    await expect(m.fitDataset(fe.data.array([{ xs: [1, 2], ys: 0 }]).batch(1), { epochs: 1, verbose: 0 })).rejects.toThrow(/expected input of shape \[null, 4\], got \[1, 2\]/);
    await expect(m.fitDataset(fe.data.array([[1, 2], [3, 4]]).batch(2), { epochs: 1, verbose: 0 })).rejects.toThrow(/element must be \{ xs, ys \} or \[xs, ys\].*got a float32 tensor of shape \[2, 2\]/);
    await expect(m.fitDataset(ds.repeat(), { epochs: 1, verbose: 0 })).rejects.toThrow(/never ends.*batchesPerEpoch/);
    await expect(m.fitDataset(ds, { epochs: 0 })).rejects.toThrow(/epochs must be a positive integer/);
    await expect(m.fitDataset(ds, { epochs: 1, validationSplit: 0.2 } as never)).rejects.toThrow(/validationSplit is not supported/);
    await expect(m.fitDataset(ds, { epochs: 1, classWeight: { 0: 2 } } as never)).rejects.toThrow(/fitDataset: classWeight for output 'dense_\d+' has no weight for classes 1, 2, which the targets contain/);
    await expect(m.fitDataset(ds, { epochs: 1, batchSize: 4 } as never)).rejects.toThrow(/unknown option 'batchSize'/);
    await expect(m.fitDataset(rows as never, { epochs: 1 })).rejects.toThrow(/expected an fe.data Dataset/);
    await expect(m.evaluateDataset(fe.data.array([]))).rejects.toThrow(/gave no batches/);
    const untrained = classifier();
    (untrained as unknown as { compiled: null }).compiled = null;
    await expect(untrained.fitDataset(ds, { epochs: 1 })).rejects.toThrow(/compile\(\) first/);
  });
});
