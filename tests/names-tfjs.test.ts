// Initializer and activation names in TensorFlow.js' spellings as well as Keras' (snake_case),
// wherever strings are accepted; activation values against TensorFlow.js' layers.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { BACKENDS, useBackend } from './helpers/backends';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const X = [[-3, -1.2, -0.3, 0, 0.4, 1.1, 2.5, 4]];

describe.each(BACKENDS)('names as TensorFlow.js on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  const tfNames = ['elu', 'hardSigmoid', 'linear', 'relu', 'relu6', 'selu', 'sigmoid', 'softmax', 'softplus', 'softsign', 'tanh', 'swish', 'mish', 'gelu', 'gelu_new'];
  for (const name of tfNames) {
    it(`activation '${name}' computes what TensorFlow.js' does`, () => {
      const want = (tf.layers.activation({ activation: name as never }).apply(tf.tensor2d(X)) as tf.Tensor).dataSync();
      const got = fe.tidy(() => Array.from((fe.layers.activation({ activation: name as never }).apply(fe.tensor(X)) as fe.Tensor).dataSync()));
      got.forEach((g, i) => expect(Math.abs(g - want[i]), `${name}[${i}]`).toBeLessThan(2e-6 * Math.max(1, Math.abs(want[i]))));
    });
  }

  it('Keras snake_case and other spellings name the same activation', () => {
    const run = (name: string) => fe.tidy(() => Array.from((fe.layers.activation({ activation: name as never }).apply(fe.tensor(X)) as fe.Tensor).dataSync()));
    expect(run('hard_sigmoid')).toEqual(run('hardSigmoid'));
    expect(run('silu')).toEqual(run('swish'));
    expect(run('log_softmax')).toEqual(run('logSoftmax'));
    expect(run('leaky_relu')).toEqual(run('leakyRelu'));
    expect(run('hard_swish')).toEqual(run('hardSwish'));
    expect(run('leaky_relu')[0]).toBeCloseTo(-0.6, 6);
    expect(run('hard_swish')[1]).toBeCloseTo((-1.2 * (3 - 1.2)) / 6, 6);
    expect(run('exponential')[3]).toBe(1);
    expect(() => run('nope')).toThrow(/unknown activation 'nope'/);
  });

  it('initializers by TensorFlow.js and Keras names: leCunNormal, lecun_normal, LeCunUniform, glorot_uniform, identity', () => {
    for (const name of ['leCunNormal', 'lecun_normal', 'lecunNormal', 'LeCunNormal', 'leCunUniform', 'lecun_uniform', 'glorot_uniform', 'he_normal', 'HeUniform']) {
      const layer = fe.layers.dense({ units: 64, inputShape: [200], kernelInitializer: name as never });
      const m = fe.sequential({ layers: [layer] });
      const w = m.getWeights()[0].dataSync();
      let s = 0;
      for (const v of w) s += v * v;
      const std = Math.sqrt(s / w.length);
      // fan_in 200: LeCun σ = √(1/200), He √(2/200), Glorot √(2/264)
      const want = name.toLowerCase().includes('lecun') ? Math.sqrt(1 / 200) : name.toLowerCase().includes('he') ? Math.sqrt(2 / 200) : Math.sqrt(2 / 264);
      expect(Math.abs(std - want) / want, name).toBeLessThan(0.05);
    }
    const a = fe.initializers.leCunNormal({ seed: 3 }).apply([4, 5]);
    const b = fe.initializers.lecunNormal({ seed: 3 }).apply([4, 5]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const eye = fe.initializers.identity({ gain: 2 }).apply([3, 3]);
    expect(Array.from(eye.dataSync())).toEqual([2, 0, 0, 0, 2, 0, 0, 0, 2]);
    expect(() => fe.initializers.identity().apply([2, 3])).toThrow(/needs a 2-D square shape, got \[2, 3\]/);
    const d = fe.layers.dense({ units: 3, inputShape: [3], kernelInitializer: 'identity', useBias: false });
    const m = fe.sequential({ layers: [d] });
    expect(Array.from(m.getWeights()[0].dataSync())).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    fe.dispose([a, b, eye]);
    expect(() => fe.sequential({ layers: [fe.layers.dense({ units: 2, inputShape: [2], kernelInitializer: 'nope' as never })] })).toThrow(/unknown initializer 'nope'/);
  });
});
