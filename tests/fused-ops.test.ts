/**
 * fe.fused.matMul / conv2d / depthwiseConv2d against TensorFlow.js' tf.fused (cpu backend) for
 * every activation, bias shapes that take the one-kernel path and ones that do not; gradients
 * by finite differences; arguments given in vain are refused.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { BACKENDS, useBackend } from './helpers/backends';
import { expectGradcheck, Gen } from './helpers/gradcheck';
import { mulberry32, uniform, maxDiff } from './helpers/reference';

const ACTS: fe.FusedOpActivation[] = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'];

function vals(n: number, seed: number, lo = -2, hi = 2): Float32Array {
  return uniform(mulberry32(seed), n, lo, hi);
}


beforeAll(async () => {
  await tf.setBackend('cpu');
});

for (const backend of BACKENDS) {
  describe(`fe.fused on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    it('matMul equals tf.fused.matMul for every activation, transposes and bias shapes', () => {
      const a = vals(5 * 3, 1), b = vals(3 * 4, 2);
      for (const activation of ACTS) {
        for (const [biasShape, seed] of [[[4], 3], [[5, 1], 4], [[], 5], [null, 0]] as [number[] | null, number][]) {
          for (const transposeA of [false, true]) {
            const aShape = transposeA ? [3, 5] : [5, 3];
            const bias = biasShape ? vals(biasShape.reduce((x, y) => x * y, 1), seed) : null;
            const alpha = activation === 'prelu' ? vals(4, 6, 0.05, 0.5) : null;
            const extra = activation === 'leakyrelu' ? { leakyreluAlpha: 0.3 } : {};
            const ours = fe.fused.matMul({
              a: fe.tensor(a, aShape), b: fe.tensor(b, [3, 4]), transposeA, activation, ...extra,
              ...(bias ? { bias: fe.tensor(bias, biasShape!) } : {}), ...(alpha ? { preluActivationWeights: fe.tensor(alpha, [4]) } : {}),
            });
            const theirs = tf.fused.matMul({
              a: tf.tensor(a, aShape), b: tf.tensor(b, [3, 4]), transposeA, activation, ...extra,
              ...(bias ? { bias: tf.tensor(bias, biasShape!) } : {}), ...(alpha ? { preluActivationWeights: tf.tensor(alpha, [4]) } : {}),
            });
            expect(ours.shape).toEqual(theirs.shape);
            expect(maxDiff(ours.dataSync(), theirs.dataSync()), `${activation} bias ${JSON.stringify(biasShape)} transposeA ${transposeA}`).toBeLessThan(2e-6);
          }
        }
      }
    });

    it('conv2d and depthwiseConv2d equal tf.fused\'s', () => {
      const x = vals(2 * 5 * 6 * 3, 11), f = vals(3 * 3 * 3 * 4, 12, -0.5, 0.5), fd = vals(3 * 3 * 3 * 2, 13, -0.5, 0.5);
      for (const activation of ACTS) {
        for (const biased of [true, false]) {
          for (const [pad, strides] of [['same', 1], ['valid', 2]] as ['same' | 'valid', number][]) {
            const extra = activation === 'leakyrelu' ? { leakyreluAlpha: 0.1 } : {};
            const args = (lib: 'fe' | 'tf', outC: number, filter: Float32Array, fShape: number[]) => {
              const T = (v: Float32Array, s: number[]) => (lib === 'fe' ? fe.tensor(v, s) : tf.tensor(v, s));
              return {
                x: T(x, [2, 5, 6, 3]), filter: T(filter, fShape), strides, pad, activation, ...extra,
                ...(biased ? { bias: T(vals(outC, 14), [outC]) } : {}),
                ...(activation === 'prelu' ? { preluActivationWeights: T(vals(outC, 15, 0.05, 0.5), [outC]) } : {}),
              };
            };
            const c1 = fe.fused.conv2d(args('fe', 4, f, [3, 3, 3, 4]) as fe.FusedConv2dArgs);
            const c2 = tf.fused.conv2d(args('tf', 4, f, [3, 3, 3, 4]) as never);
            expect(c1.shape).toEqual(c2.shape);
            expect(maxDiff(c1.dataSync(), c2.dataSync()), `conv2d ${activation} ${biased} ${pad}`).toBeLessThan(1e-5);
            const d1 = fe.fused.depthwiseConv2d(args('fe', 6, fd, [3, 3, 3, 2]) as fe.FusedConv2dArgs);
            const d2 = tf.fused.depthwiseConv2d(args('tf', 6, fd, [3, 3, 3, 2]) as never);
            expect(d1.shape).toEqual(d2.shape);
            expect(maxDiff(d1.dataSync(), d2.dataSync()), `depthwise ${activation} ${biased} ${pad}`).toBeLessThan(1e-5);
          }
        }
      }
    });

    it('gradients match finite differences (a, b, bias, prelu weights; conv x, filter, bias)', () => {
      const g = new Gen(21);
      for (const activation of ['linear', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as fe.FusedOpActivation[]) {
        expectGradcheck(([a, b, bias, w]) => fe.fused.matMul({
          a, b, transposeB: true, bias, activation,
          ...(activation === 'prelu' ? { preluActivationWeights: w } : {}), ...(activation === 'leakyrelu' ? { leakyreluAlpha: 0.25 } : {}),
        }), [g.uniform([3, 4]), g.uniform([5, 4]), g.uniform([5]), g.uniform([5], 0.1, 0.5)], { wrt: activation === 'prelu' ? [0, 1, 2, 3] : [0, 1, 2] });
      }
      expectGradcheck(([x, f, bias]) => fe.fused.conv2d({ x, filter: f, strides: 1, pad: 'same', bias, activation: 'sigmoid' }),
        [g.uniform([1, 4, 3, 2]), g.uniform([2, 2, 2, 3]), g.uniform([3])]);
      expectGradcheck(([x, f, bias]) => fe.fused.depthwiseConv2d({ x, filter: f, strides: 1, pad: 'valid', bias, activation: 'elu' }),
        [g.uniform([1, 4, 3, 2]), g.uniform([2, 2, 2, 2]), g.uniform([4])]);
    });

    it('refuses arguments given in vain or wrong, naming them; leaves no tensor behind', () => {
      const a = fe.ones([2, 3]), b = fe.ones([3, 4]);
      expect(() => fe.fused.matMul({ a, b, leakyreluAlpha: 0.1 })).toThrow(/fused\.matMul: leakyreluAlpha given, but the activation is 'linear', not 'leakyrelu'/);
      expect(() => fe.fused.matMul({ a, b, activation: 'relu', preluActivationWeights: fe.ones([4]) })).toThrow(/preluActivationWeights given, but the activation is 'relu'/);
      expect(() => fe.fused.matMul({ a, b, activation: 'prelu' })).toThrow(/activation 'prelu' needs preluActivationWeights/);
      expect(() => fe.fused.matMul({ a, b, activation: 'tanh' as never })).toThrow(/unknown activation 'tanh' \(expected linear, relu, relu6, elu, sigmoid, leakyrelu, prelu\)/);
      expect(() => fe.fused.matMul({ a, b, bias: fe.ones([3]) })).toThrow(/fused\.matMul: bias of shape \[3\] does not broadcast to the result's shape \[2, 4\]/);
      expect(() => fe.fused.matMul({ a, b, transpose_b: true } as never)).toThrow(/unknown argument 'transpose_b'/);
      expect(() => fe.fused.conv2d({ x: fe.ones([1, 3, 3, 1]), filter: fe.ones([1, 1, 1, 1]), strides: 1, pad: 'same', dimRoundingMode: 'floor' })).toThrow(/dimRoundingMode is not supported/);
      const before = fe.memory().numTensors;
      const y = fe.fused.matMul({ a, b, bias: fe.tensor([[1], [2]]), activation: 'leakyrelu' });
      expect(fe.memory().numTensors).toBe(before + 2); // the bias made here and the result
      expect(Array.from(y.dataSync())).toEqual([4, 4, 4, 4, 5, 5, 5, 5]);
    });
  });
}
