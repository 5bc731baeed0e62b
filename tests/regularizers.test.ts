// Regularizers and constraints: penalties by hand, their place in the loss, constraints after
// each update, and the same training step as TensorFlow.js; saved and loaded both ways.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { BACKENDS, useBackend } from './helpers/backends';
import { mulberry32, maxDiff, uniform as uniformValues } from './helpers/reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const uniform = (n: number, seed: number) => uniformValues(mulberry32(seed), n);


describe.each(BACKENDS)('regularizers and constraints on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  it('penalties and constrained values computed by hand', () => {
    const w = fe.tensor([[1, -2], [3, -4]]);
    expect(fe.regularizers.l1({ l1: 0.5 }).apply(w).dataSync()[0]).toBeCloseTo(0.5 * 10, 6);
    expect(fe.regularizers.l2({ l2: 0.1 }).apply(w).dataSync()[0]).toBeCloseTo(0.1 * 30, 5);
    expect(fe.regularizers.l1l2({ l1: 0.5, l2: 0.1 }).apply(w).dataSync()[0]).toBeCloseTo(5 + 3, 5);
    expect(fe.regularizers.l1l2().getConfig()).toEqual({ l1: 0.01, l2: 0.01 });
    // Column norms of [[1, -2], [3, -4]] (axis 0): √10 and √20.
    const mx = fe.constraints.maxNorm({ maxValue: 2 }).apply(w).dataSync();
    const c0 = 2 / (Math.sqrt(10) + 1e-7), c1 = 2 / (Math.sqrt(20) + 1e-7);
    expect(maxDiff(mx, [1 * c0, -2 * c1, 3 * c0, -4 * c1])).toBeLessThan(1e-6);
    const un = fe.constraints.unitNorm({ axis: 1 }).apply(w).dataSync();
    expect(maxDiff(un, [1 / Math.sqrt(5), -2 / Math.sqrt(5), 3 / 5, -4 / 5])).toBeLessThan(1e-6);
    expect(Array.from(fe.constraints.nonNeg().apply(w).dataSync()).map((v) => v + 0)).toEqual([1, 0, 3, 0]);
    const mm = fe.constraints.minMaxNorm({ minValue: 4, maxValue: 4.2, rate: 0.5 }).apply(w).dataSync();
    const d0 = 0.5 * 4 + 0.5 * Math.sqrt(10), d1 = 0.5 * 4.2 + 0.5 * Math.sqrt(20);
    expect(maxDiff(mm, [d0 / Math.sqrt(10), (-2 * d1) / Math.sqrt(20), (3 * d0) / Math.sqrt(10), (-4 * d1) / Math.sqrt(20)])).toBeLessThan(1e-5);
    expect(() => fe.regularizers.l2({ l2: -1 })).toThrow(/l2 must be a non-negative number, got -1/);
    expect(() => fe.layers.dense({ units: 2, kernelConstraint: 'maxnorm' as never })).toThrow(/kernelConstraint: unknown constraint 'maxnorm'/);
    w.dispose();
  });

  it('the loss includes weight and activity penalties (activity divided by the batch size, as Keras)', () => {
    fe.setRandomSeed(1);
    const m = fe.sequential({
      layers: [fe.layers.dense({ units: 2, inputShape: [3], kernelRegularizer: fe.regularizers.l2({ l2: 0.05 }), biasRegularizer: 'l1', activityRegularizer: fe.regularizers.l1({ l1: 0.1 }) })],
    });
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const dense = m.layers[0];
    dense.setWeights([fe.tensor(uniform(6, 2), [3, 2]), fe.tensor([0.5, -0.25])]);
    const x = fe.tensor(uniform(12, 3), [4, 3]), y = fe.tensor(uniform(8, 4), [4, 2]);
    const pred = m.predict(x);
    const mse = fe.mean(fe.square(fe.sub(pred, y))).dataSync()[0];
    const k = dense.weights[0].dataSync();
    const penalty = 0.05 * Array.from(k).reduce((a, v) => a + v * v, 0) + 0.01 * 0.75 + (0.1 * Array.from(pred.dataSync()).reduce((a, v) => a + Math.abs(v), 0)) / 4;
    const loss = (m.evaluate(x, y) as fe.Tensor).dataSync()[0];
    expect(loss).toBeCloseTo(mse + penalty, 5);
    expect(dense.losses.map((t) => t.dataSync()[0]).reduce((a, b) => a + b, 0)).toBeCloseTo(0.05 * Array.from(k).reduce((a, v) => a + v * v, 0) + 0.0075, 5);
    fe.dispose([x, y, pred]);
    m.dispose();
  });

  it('one SGD step with l2 + maxNorm and l1 + nonNeg equals TensorFlow.js', async () => {
    const make = <L>(lib: { layers: { dense: (a: never) => L } }, reg: (kind: string) => unknown) => [
      lib.layers.dense({ units: 4, inputShape: [3], activation: 'tanh', name: 'r1', kernelRegularizer: reg('l2'), kernelConstraint: reg('maxNorm') } as never),
      lib.layers.dense({ units: 2, name: 'r2', kernelRegularizer: reg('l1'), biasConstraint: reg('nonNeg') } as never),
    ];
    const ours = fe.sequential({
      layers: make(fe, (k) => (k === 'l2' ? fe.regularizers.l2({ l2: 0.02 }) : k === 'l1' ? fe.regularizers.l1({ l1: 0.03 }) : k === 'maxNorm' ? fe.constraints.maxNorm({ maxValue: 0.9 }) : fe.constraints.nonNeg())) as fe.layers.Layer[],
    });
    const theirs = tf.sequential({
      layers: make(tf, (k) => (k === 'l2' ? tf.regularizers.l2({ l2: 0.02 }) : k === 'l1' ? tf.regularizers.l1({ l1: 0.03 }) : k === 'maxNorm' ? tf.constraints.maxNorm({ maxValue: 0.9 }) : tf.constraints.nonNeg())) as tf.layers.Layer[],
    });
    // Start inside the constraints: TensorFlow.js applies them in setWeights as well, Keras does not.
    const w = [uniform(12, 5).map((v) => 0.4 * v), Float32Array.from([0.1, -0.1, 0.2, 0]), uniform(8, 6), Float32Array.from([0.05, 0])];
    const shapes = [[3, 4], [4], [4, 2], [2]];
    ours.setWeights(w.map((v, i) => fe.tensor(v, shapes[i])));
    theirs.setWeights(w.map((v, i) => tf.tensor(v, shapes[i])));
    ours.compile({ optimizer: fe.train.sgd(0.3), loss: 'meanSquaredError' });
    theirs.compile({ optimizer: tf.train.sgd(0.3), loss: 'meanSquaredError' });
    const xv = uniform(15, 7), yv = uniform(10, 8);
    for (let i = 0; i < 2; i++) {
      const a = ours.trainOnBatch(fe.tensor(xv, [5, 3]), fe.tensor(yv, [5, 2])) as number;
      const b = (await theirs.trainOnBatch(tf.tensor(xv, [5, 3]), tf.tensor(yv, [5, 2]))) as number;
      expect(Math.abs(a - b)).toBeLessThan(1e-5);
    }
    const got = ours.getWeights().map((t) => t.dataSync());
    const want = theirs.getWeights().map((t) => t.dataSync());
    got.forEach((g, i) => expect(maxDiff(g, want[i]), `weight ${i}`).toBeLessThan(2e-6));
    // The constraints held.
    expect(Math.min(...Array.from(got[3]))).toBeGreaterThanOrEqual(0);
    ours.dispose();
  });

  it('saved and loaded with the model, both ways with TensorFlow.js', async () => {
    const m = fe.sequential({
      layers: [
        fe.layers.dense({ units: 2, inputShape: [3], kernelRegularizer: fe.regularizers.l1l2({ l1: 0.1, l2: 0.2 }), kernelConstraint: fe.constraints.minMaxNorm({ minValue: 0.5, maxValue: 2, rate: 0.7 }) }),
        fe.layers.embedding({ inputDim: 5, outputDim: 2, embeddingsConstraint: 'nonNeg' }),
      ].slice(0, 1),
    });
    let art: fe.io.ModelArtifacts | null = null;
    await m.save(fe.io.withSaveHandler(async (a) => {
      art = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } } as fe.io.SaveResult;
    }));
    const cfg = (art!.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[0].config;
    expect(cfg.kernel_regularizer).toEqual({ class_name: 'L1L2', config: { l1: 0.1, l2: 0.2 } });
    expect(cfg.kernel_constraint).toEqual({ class_name: 'MinMaxNorm', config: { min_value: 0.5, max_value: 2, rate: 0.7, axis: 0 } });
    const back = await fe.loadLayersModel(fe.io.fromMemory(art!));
    const dense = back.layers[0] as fe.layers.Dense;
    expect(dense.kernelRegularizer?.getConfig()).toEqual({ l1: 0.1, l2: 0.2 });
    expect(dense.kernelConstraint?.getConfig()).toEqual({ minValue: 0.5, maxValue: 2, rate: 0.7, axis: 0 });
    // TensorFlow.js reads them as its own.
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(art! as tf.io.ModelArtifacts));
    const tcfg = theirs.layers[0].getConfig() as { kernelRegularizer: { className: string; config: unknown }; kernelConstraint: { className: string } };
    expect(tcfg.kernelRegularizer).toEqual({ className: 'L1L2', config: { l1: 0.1, l2: 0.2 } });
    expect(tcfg.kernelConstraint.className).toBe('MinMaxNorm');
    // And what TensorFlow.js saves loads here with the regularizer acting.
    const t = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2], kernelRegularizer: tf.regularizers.l2({ l2: 0.5 }), kernelInitializer: 'ones' })] });
    let tart: tf.io.ModelArtifacts | null = null;
    await t.save(tf.io.withSaveHandler(async (a) => {
      tart = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const fromTf = await fe.loadLayersModel(fe.io.fromMemory(tart! as fe.io.ModelArtifacts));
    fromTf.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = fe.zeros([1, 2]), y = fe.zeros([1, 1]);
    // Zero data: the loss is the penalty alone, 0.5 · (1² + 1²).
    expect((fromTf.evaluate(x, y) as fe.Tensor).dataSync()[0]).toBeCloseTo(1, 6);
    fe.dispose([x, y]);
    for (const mm of [m, back, fromTf]) mm.dispose();
  });
});
