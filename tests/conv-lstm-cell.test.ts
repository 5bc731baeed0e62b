/**
 * fe.layers.convLstm2dCell: one step against TensorFlow.js' ConvLSTM2DCell with the same
 * weights; rnn({ cell }) over a sequence equal to convLstm2d with the same weights (states,
 * returnSequences, goBackwards, masks); gradients by finite differences; dropout masks kept
 * within a sequence; save/load; errors.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { BACKENDS, useBackend } from './helpers/backends';
import { expectGradcheck, Gen } from './helpers/gradcheck';
import { mulberry32, uniform, maxDiff } from './helpers/reference';


const vals = (n: number, seed: number, lo = -1, hi = 1) => uniform(mulberry32(seed), n, lo, hi);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

for (const backend of BACKENDS) {
  describe(`convLstm2dCell on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    it('one step equals TensorFlow.js\' ConvLSTM2DCell with the same weights', () => {
      for (const args of [
        { filters: 3, kernelSize: 3, padding: 'same' as const },
        { filters: 2, kernelSize: [2, 3] as [number, number], strides: 2, activation: 'relu' as const },
      ]) {
        const ours = fe.layers.convLstm2dCell({ ...args, recurrentActivation: 'sigmoid' });
        const theirs = tf.layers.convLstm2dCell({ ...args, recurrentActivation: 'sigmoid' }) as unknown as tf.layers.Layer & { call(x: tf.Tensor[], k: object): tf.Tensor[] };
        const xShape = [2, 5, 6, 2];
        ours.build(xShape);
        theirs.build(xShape);
        const st = ours.stateShape(xShape) as number[];
        const weights = ours.getWeights().map((w, i) => vals(w.size, 10 + i, -0.5, 0.5));
        ours.setWeights(weights.map((v, i) => fe.tensor(v, ours.weights[i].shape)));
        theirs.setWeights(weights.map((v, i) => tf.tensor(v, theirs.weights[i].shape as number[])));
        const x = vals(2 * 5 * 6 * 2, 1), h = vals(st.reduce((a, b) => a * b, 1), 2), c = vals(st.reduce((a, b) => a * b, 1), 3);
        const got = ours.apply([fe.tensor(x, xShape), fe.tensor(h, st), fe.tensor(c, st)]) as fe.Tensor[];
        const want = theirs.call([tf.tensor(x, xShape), tf.tensor(h, st), tf.tensor(c, st)], {}) as tf.Tensor[];
        expect(got.map((t) => t.shape)).toEqual(want.map((t) => t.shape));
        got.forEach((t, i) => expect(maxDiff(t.dataSync(), want[i].dataSync()), `${JSON.stringify(args)} output ${i}`).toBeLessThan(1e-5));
      }
    });

    it('rnn({ cell }) over a sequence equals convLstm2d with the same weights (states, goBackwards, masks)', () => {
      const x = fe.tensor(vals(2 * 4 * 5 * 5 * 2, 5), [2, 4, 5, 5, 2]);
      const mask = fe.tensor([[1, 1, 0, 1], [1, 0, 0, 0]], [2, 4]);
      for (const goBackwards of [false, true]) {
        const layer = fe.layers.convLstm2d({ filters: 3, kernelSize: 3, padding: 'same', returnSequences: true, returnState: true, goBackwards });
        const viaCell = fe.layers.rnn({ cell: fe.layers.convLstm2dCell({ filters: 3, kernelSize: 3, padding: 'same' }), returnSequences: true, returnState: true, goBackwards });
        const a = layer.apply(x, { mask }) as unknown as fe.Tensor[];
        const b = viaCell.apply(x, { mask }) as unknown as fe.Tensor[];
        viaCell.setWeights(layer.getWeights());
        const a2 = layer.apply(x, { mask }) as unknown as fe.Tensor[];
        const b2 = viaCell.apply(x, { mask }) as unknown as fe.Tensor[];
        expect(b2.map((t) => t.shape)).toEqual([[2, 4, 5, 5, 3], [2, 5, 5, 3], [2, 5, 5, 3]]);
        a2.forEach((t, i) => expect(maxDiff(b2[i].dataSync(), t.dataSync()), `goBackwards ${goBackwards} output ${i}`).toBeLessThan(1e-5));
        expect(maxDiff(a[0].dataSync(), b[0].dataSync())).toBeGreaterThan(1e-3); // different weights differ: the check can fail
        // Symbolic shapes agree with the computed ones.
        const sym = viaCell.apply(fe.input({ shape: [4, 5, 5, 2] })) as fe.SymbolicTensor[];
        expect(sym.map((t) => t.shape)).toEqual([[null, 4, 5, 5, 3], [null, 5, 5, 3], [null, 5, 5, 3]]);
      }
    });

    it('gradients match finite differences (input and states; the kernel through rnn)', () => {
      const g = new Gen(31);
      const cell = fe.layers.convLstm2dCell({ filters: 2, kernelSize: 2, padding: 'same', recurrentActivation: 'sigmoid' });
      cell.build([1, 3, 3, 2]);
      expectGradcheck(([x, h, c]) => {
        const [out, , cNew] = cell.call([x, h, c], { training: false, mask: null }) as fe.Tensor[];
        return fe.add(out, fe.mul(cNew, 0.5));
      }, [g.uniform([1, 3, 3, 2]), g.uniform([1, 3, 3, 2]), g.uniform([1, 3, 3, 2])], { wrt: [0, 1, 2] });
      // The weights' gradients through rnn, trained by a step of SGD against finite differences of the loss.
      const model = fe.sequential({ layers: [fe.layers.rnn({ cell: fe.layers.convLstm2dCell({ filters: 2, kernelSize: 2, padding: 'same' }), inputShape: [3, 3, 3, 1] }), fe.layers.flatten(), fe.layers.dense({ units: 1 })] });
      const xs = fe.tensor(vals(2 * 3 * 3 * 3, 40), [2, 3, 3, 3, 1]), ys = fe.tensor([0.5, -0.5], [2, 1]);
      const lossOf = () => fe.tidy(() => fe.losses.meanSquaredError(ys, model.predict(xs) as fe.Tensor).dataSync()[0]);
      const w0 = model.weights[0];
      const grads = fe.variableGrads(() => fe.losses.meanSquaredError(ys, model.apply(xs) as fe.Tensor), [w0]).grads;
      const analytic = grads[w0.name!].dataSync();
      const base = Float32Array.from(w0.dataSync());
      for (const j of [0, 3, 7]) {
        const hStep = 1e-2;
        const plus = Float32Array.from(base); plus[j] += hStep;
        w0.assign(fe.tensor(plus, w0.shape)); const lp = lossOf();
        const minus = Float32Array.from(base); minus[j] -= hStep;
        w0.assign(fe.tensor(minus, w0.shape)); const lm = lossOf();
        w0.assign(fe.tensor(base, w0.shape));
        expect(Math.abs(analytic[j] - (lp - lm) / (2 * hStep)), `kernel[${j}]`).toBeLessThan(2e-3);
      }
    });

    it('dropout masks stay for a sequence and change with reset', () => {
      fe.setRandomSeed(3);
      const cell = fe.layers.convLstm2dCell({ filters: 2, kernelSize: 1, dropout: 0.5, recurrentDropout: 0.5 });
      const x = fe.ones([1, 2, 2, 1]), h = fe.ones([1, 2, 2, 2]), c = fe.zeros([1, 2, 2, 2]);
      const run = (training: boolean) => Array.from((cell.apply([x, h, c], { training }) as fe.Tensor[])[0].dataSync());
      const inference = run(false);
      const t1 = run(true), t2 = run(true);
      expect(t2).toEqual(t1); // the same masks until reset
      expect(t1).not.toEqual(inference);
      let changed = false;
      for (let i = 0; i < 5 && !changed; i++) {
        cell.resetDropoutMask();
        cell.resetRecurrentDropoutMask();
        changed = JSON.stringify(run(true)) !== JSON.stringify(t1);
      }
      expect(changed).toBe(true);
      expect(run(false)).toEqual(inference);
    });

    it('saves and loads inside rnn, and refuses bad input, naming it', async () => {
      const model = fe.sequential({ layers: [fe.layers.rnn({ cell: fe.layers.convLstm2dCell({ filters: 2, kernelSize: 3, strides: 2 }), inputShape: [2, 7, 7, 1] })] });
      let saved: fe.io.ModelArtifacts | null = null;
      await model.save(fe.io.withSaveHandler(async (a) => {
        saved = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }));
      expect(saved!.weightSpecs!.map((s) => s.name)).toEqual(['rnn_1/kernel', 'rnn_1/recurrent_kernel', 'rnn_1/bias'].map((n) => n.replace('rnn_1', model.layers[0].name)));
      const loaded = await fe.loadLayersModel(fe.io.fromMemory(saved!));
      const x = fe.tensor(vals(2 * 7 * 7, 9), [1, 2, 7, 7, 1]);
      expect(Array.from((loaded.predict(x) as fe.Tensor).dataSync())).toEqual(Array.from((model.predict(x) as fe.Tensor).dataSync()));
      const cell = fe.layers.convLstm2dCell({ filters: 2, kernelSize: 3 });
      expect(() => cell.apply([fe.ones([1, 4, 4, 1])])).toThrow(/expected \[input, h, c\] \(3 tensors\), got 1/);
      expect(() => cell.apply([fe.ones([1, 4, 4, 1]), fe.ones([1, 4, 4, 2]), fe.ones([1, 2, 2, 2])])).toThrow(/state h must have shape \[1, 2, 2, 2\], got \[1, 4, 4, 2\]/);
      expect(() => fe.layers.convLstm2dCell({ filters: 2, kernelSize: 3, returnSequences: true } as never)).toThrow(/returnSequences belong to the layer that runs the cell/);
      expect(() => fe.layers.stackedRNNCells({ cells: [fe.layers.convLstm2dCell({ filters: 2, kernelSize: 3 })] })).toThrow(/has spatial states/);
      expect(() => fe.layers.rnn({ cell: fe.layers.convLstm2dCell({ filters: 2, kernelSize: 3 }) }).apply(fe.ones([1, 2, 3]))).toThrow(/expected input of rank 5/);
    });
  });
}
