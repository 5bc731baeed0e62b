/**
 * fe.train optimizers (Keras / TensorFlow.js form): Adagrad, Adadelta, Adamax, AdamW, Keras 3's
 * clipNorm / clipValue / globalClipNorm / weightDecay, learning-rate schedules, config and saved
 * state — each update against a naive float64 reference over several steps, against
 * TensorFlow.js where it has the optimizer, schedules against their formulas by hand.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { BACKENDS, useBackend } from './helpers/backends';
import { expectClose, mulberry32, uniform } from './helpers/reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Vec = number[];
const TOL = { rtol: 2e-5, atol: 1e-6 };

/** Gradients for `steps` steps of an `n`-element parameter, from a seeded stream. */
function gradients(n: number, steps: number, seed: number): Vec[] {
  const rng = mulberry32(seed);
  return Array.from({ length: steps }, () => Array.from(uniform(rng, n)));
}

/** Applies `grads` one step at a time to variables made from `p0s`; returns their values. */
function run(opt: fe.Optimizer, p0s: Vec[], grads: Vec[][]): Float32Array[] {
  const vars = p0s.map((p0, i) => fe.variable(fe.tensor(p0), true, `w${i}`));
  for (const gs of grads) {
    vars.forEach((v, i) => (v.grad = fe.tensor(gs[i])));
    opt.applyGradients(vars);
    for (const v of vars) {
      v.grad!.dispose();
      v.grad = null;
    }
  }
  const out = vars.map((v) => Float32Array.from(v.dataSync()));
  vars.forEach((v) => v.dispose());
  opt.dispose();
  return out;
}

/** One variable: run(opt, [p0], grads as single-variable steps). */
function run1(opt: fe.Optimizer, p0: Vec, grads: Vec[]): Float32Array {
  return run(opt, [p0], grads.map((g) => [g]))[0];
}

/** The same steps through TensorFlow.js' optimizer. */
function runTf(opt: tf.Optimizer, p0: Vec, grads: Vec[]): Float32Array {
  const v = tf.variable(tf.tensor(p0), true, `tfvar${Math.random()}`);
  for (const g of grads) {
    const gt = tf.tensor(g);
    opt.applyGradients({ [v.name]: gt });
    gt.dispose();
  }
  const out = Float32Array.from(v.dataSync());
  v.dispose();
  opt.dispose();
  return out;
}

// ---- naive references (float64) -------------------------------------------------------

function adagradRef(p0: Vec, grads: Vec[], lrAt: (t: number) => number, init = 0.1, eps = 1e-7): Vec {
  const p = [...p0];
  const acc = p.map(() => init);
  grads.forEach((g, t) => p.forEach((_, i) => {
    acc[i] += g[i] * g[i];
    p[i] -= (lrAt(t) * g[i]) / Math.sqrt(acc[i] + eps);
  }));
  return p;
}

function adadeltaRef(p0: Vec, grads: Vec[], lr: number, rho: number, eps: number): Vec {
  const p = [...p0];
  const ag = p.map(() => 0);
  const ad = p.map(() => 0);
  for (const g of grads) {
    p.forEach((_, i) => {
      ag[i] = rho * ag[i] + (1 - rho) * g[i] * g[i];
      const d = (Math.sqrt(ad[i] + eps) / Math.sqrt(ag[i] + eps)) * g[i];
      ad[i] = rho * ad[i] + (1 - rho) * d * d;
      p[i] -= lr * d;
    });
  }
  return p;
}

function adamaxRef(p0: Vec, grads: Vec[], lr: number, b1: number, b2: number, eps: number, decay = 0): Vec {
  const p = [...p0];
  const m = p.map(() => 0);
  const u = p.map(() => 0);
  grads.forEach((g, s) => {
    const t = s + 1;
    const lrT = lr / (1 + decay * s) / (1 - b1 ** t);
    p.forEach((_, i) => {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      u[i] = Math.max(b2 * u[i], Math.abs(g[i]));
      p[i] -= (lrT * m[i]) / (u[i] + eps);
    });
  });
  return p;
}

/** Keras Adam, with Keras 3's decoupled weight decay applied first (AdamW). */
function adamRef(p0: Vec, grads: Vec[], lr: number, b1: number, b2: number, eps: number, wd = 0): Vec {
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g, s) => {
    const t = s + 1;
    const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    p.forEach((_, i) => {
      p[i] -= p[i] * wd * lr;
      m[i] += (g[i] - m[i]) * (1 - b1);
      v[i] += (g[i] * g[i] - v[i]) * (1 - b2);
      p[i] -= (m[i] * alpha) / (Math.sqrt(v[i]) + eps);
    });
  });
  return p;
}

function sgdRef(p0: Vec, grads: Vec[], lrAt: (t: number) => number, wd = 0): Vec {
  const p = [...p0];
  grads.forEach((g, t) => p.forEach((_, i) => {
    p[i] -= p[i] * wd * lrAt(t);
    p[i] -= lrAt(t) * g[i];
  }));
  return p;
}

const norm = (g: Vec) => Math.sqrt(g.reduce((s, x) => s + x * x, 0));

describe.each(BACKENDS)('fe.train optimizers on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  const P0 = Array.from(uniform(mulberry32(1), 7));
  const G = gradients(7, 6, 2);

  it('adagrad: six steps against the formula and against TensorFlow.js', () => {
    const ours = run1(fe.train.adagrad(0.05), P0, G);
    expectClose(ours, adagradRef(P0, G, () => 0.05), TOL, 'formula');
    expectClose(ours, runTf(tf.train.adagrad(0.05), P0, G), TOL, 'TensorFlow.js');
    const init = run1(fe.train.adagrad(0.05, 0.5), P0, G);
    expectClose(init, adagradRef(P0, G, () => 0.05, 0.5), TOL, 'initialAccumulatorValue 0.5');
    expectClose(init, runTf(tf.train.adagrad(0.05, 0.5), P0, G), TOL, 'TensorFlow.js, initial 0.5');
    const eps = run1(fe.train.adagrad({ learningRate: 0.05, epsilon: 0.1 }), P0, G);
    expectClose(eps, adagradRef(P0, G, () => 0.05, 0.1, 0.1), TOL, 'epsilon 0.1');
  });

  it('adadelta: Keras form (the updated accumulator divides), six steps against the formula; first step by hand', () => {
    expectClose(run1(fe.train.adadelta(1, 0.95, 1e-6), [1], [[2]]), [0.9955278752], { rtol: 1e-6 }, 'first step');
    expectClose(run1(fe.train.adadelta(1, 0.9, 1e-6), P0, G), adadeltaRef(P0, G, 1, 0.9, 1e-6), TOL, 'formula');
    expectClose(run1(fe.train.adadelta(), P0, G), adadeltaRef(P0, G, 0.001, 0.95, 1e-7), TOL, 'defaults');
  });

  it('adamax: six steps against the formula and TensorFlow.js, with and without decay', () => {
    const ours = run1(fe.train.adamax(0.01), P0, G);
    expectClose(ours, adamaxRef(P0, G, 0.01, 0.9, 0.999, 1e-7), TOL, 'formula');
    expectClose(ours, runTf(tf.train.adamax(0.01, 0.9, 0.999, 1e-7), P0, G), TOL, 'TensorFlow.js');
    const decayed = run1(fe.train.adamax(0.01, 0.8, 0.99, 1e-7, 0.3), P0, G);
    expectClose(decayed, adamaxRef(P0, G, 0.01, 0.8, 0.99, 1e-7, 0.3), TOL, 'decay formula');
    expectClose(decayed, runTf(tf.train.adamax(0.01, 0.8, 0.99, 1e-7, 0.3), P0, G), TOL, 'decay TensorFlow.js');
  });

  it('adamW: decoupled weight decay before each Adam step (Keras 3), defaults 0.001 / 0.004', () => {
    const w = fe.train.adamW(0.01, 0.1);
    expect(w.weightDecay).toBe(0.1);
    expectClose(run1(w, P0, G), adamRef(P0, G, 0.01, 0.9, 0.999, 1e-7, 0.1), TOL, 'adamW formula');
    const d = fe.train.adamW();
    expect([d.learningRate, d.weightDecay, d.epsilon]).toEqual([0.001, 0.004, 1e-7]);
    // weight decay alone, zero gradients: p·(1 − lr·wd) per step
    expectClose(run1(fe.train.adamW(0.1, 0.5), [2, -4], [[0, 0], [0, 0]]), [2 * 0.95 ** 2, -4 * 0.95 ** 2], { rtol: 1e-6 }, 'decay only');
    // Adam with Keras' weightDecay option is the same optimizer
    expectClose(run1(fe.train.adam(0.01, 0.9, 0.999, 1e-7, { weightDecay: 0.1 }), P0, G), adamRef(P0, G, 0.01, 0.9, 0.999, 1e-7, 0.1), TOL, 'adam + weightDecay');
  });

  it('adam with amsgrad (Keras 3): the running maximum of v divides; shrinking gradients tell it from Adam', () => {
    const shrinking = G.map((g, s) => g.map((x) => x / (s + 1) ** 2));
    const p = [...P0];
    const m = p.map(() => 0), v = p.map(() => 0), vhat = p.map(() => 0);
    shrinking.forEach((g, s) => {
      const t = s + 1;
      const alpha = (0.01 * Math.sqrt(1 - 0.5 ** t)) / (1 - 0.9 ** t);
      p.forEach((_, i) => {
        m[i] += (g[i] - m[i]) * 0.1;
        v[i] += (g[i] * g[i] - v[i]) * 0.5;
        vhat[i] = Math.max(vhat[i], v[i]);
        p[i] -= (m[i] * alpha) / (Math.sqrt(vhat[i]) + 1e-7);
      });
    });
    const ours = run1(fe.train.adam({ learningRate: 0.01, beta2: 0.5, amsgrad: true }), P0, shrinking);
    expectClose(ours, p, TOL, 'amsgrad');
    const plain = run1(fe.train.adam(0.01, 0.9, 0.5), P0, shrinking);
    expect(Math.max(...Array.from(ours, (x, i) => Math.abs(x - plain[i])))).toBeGreaterThan(1e-4);
  });

  it('weightDecay on SGD, and excludeFromWeightDecay by variable and by name', () => {
    const grads = G.map((g) => [g, g]);
    const opt = fe.train.sgd(0.1, { weightDecay: 0.2 });
    const [a, b] = run(opt, [P0, P0], grads);
    expectClose(a, sgdRef(P0, G, () => 0.1, 0.2), TOL, 'decayed');
    expectClose(b, sgdRef(P0, G, () => 0.1, 0.2), TOL, 'decayed too');
    const byName = fe.train.sgd(0.1, { weightDecay: 0.2 });
    byName.excludeFromWeightDecay({ varNames: ['w1'] });
    const [c, d] = run(byName, [P0, P0], grads);
    expectClose(c, sgdRef(P0, G, () => 0.1, 0.2), TOL, 'w0 decayed');
    expectClose(d, sgdRef(P0, G, () => 0.1), TOL, 'w1 excluded by name');
    const byVar = fe.train.sgd(0.1, { weightDecay: 0.2 });
    const v = fe.variable(fe.tensor([1, 2]));
    byVar.excludeFromWeightDecay({ varList: [v] });
    v.grad = fe.tensor([0, 0]);
    byVar.applyGradients([v]);
    expect(Array.from(v.dataSync())).toEqual([1, 2]);
    v.grad.dispose();
    v.dispose();
  });

  it('clipNorm rescales each gradient above the norm; below it leaves it; clipValue clips elements', () => {
    const big = [[3, 4], [0.3, 0.4]]; // norms 5 and 0.5
    const [a, b] = run(fe.train.sgd(1, { clipNorm: 1 }), [[0, 0], [0, 0]], [big]);
    expectClose(a, [-0.6, -0.8], { rtol: 1e-6 }, 'norm 5 → 1');
    expectClose(b, [-0.3, -0.4], { rtol: 1e-6 }, 'norm 0.5 kept');
    const [c] = run(fe.train.sgd(1, { clipValue: 0.5 }), [[0, 0, 0]], [[[3, -0.2, -4]]]);
    expectClose(c, [-0.5, 0.2, 0.5], { rtol: 1e-6 }, 'clipValue');
    // with Adam, several steps: the clipped gradient feeds the moments
    const clipped = G.map((g) => (norm(g) > 0.8 ? g.map((x) => (x * 0.8) / norm(g)) : g));
    expectClose(run1(fe.train.adam(0.01, 0.9, 0.999, 1e-7, { clipNorm: 0.8 }), P0, G), adamRef(P0, clipped, 0.01, 0.9, 0.999, 1e-7), TOL, 'adam clipNorm');
  });

  it('globalClipNorm rescales all gradients together by their joint norm', () => {
    const [a, b] = run(fe.train.sgd(1, { globalClipNorm: 2.5 }), [[0, 0], [0]], [[[3, 4], [0]]]);
    expectClose(a, [-1.5, -2], { rtol: 1e-6 }, 'joint norm 5 → 2.5');
    expectClose(b, [0], { atol: 0 });
    const [c, d] = run(fe.train.sgd(1, { globalClipNorm: 10 }), [[0, 0], [0]], [[[3, 4], [12]]]);
    expectClose(c, [-3 * 10 / 13, -4 * 10 / 13], { rtol: 1e-6 }, 'joint norm 13 → 10');
    expectClose(d, [-12 * 10 / 13], { rtol: 1e-6 });
  });

  it('clipping works on copies: the variables keep their own gradients', () => {
    const v = fe.variable(fe.tensor([3, 4]));
    v.grad = fe.tensor([3, 4]);
    fe.train.sgd(1, { clipNorm: 1 }).applyGradients([v]);
    expect(Array.from(v.grad.dataSync())).toEqual([3, 4]);
    expectClose(v.dataSync(), [2.4, 3.2], { rtol: 1e-6 });
    v.grad.dispose();
    v.dispose();
  });

  it('a NaN gradient with clipping throws before any update and names the option', () => {
    const v = fe.variable(fe.tensor([1, 1]));
    const w = fe.variable(fe.tensor([5]));
    v.grad = fe.tensor([NaN, 1]);
    w.grad = fe.tensor([1]);
    const opt = fe.train.sgd(1, { globalClipNorm: 1 });
    expect(() => opt.applyGradients([w, v])).toThrow(/global gradient norm.*NaN/);
    expect(Array.from(w.dataSync())).toEqual([5]);
    expect(opt.iterations).toBe(0);
    expect(() => fe.train.sgd(1, { clipNorm: 1 }).applyGradients([w, v])).toThrow(/clipNorm/);
    for (const x of [v, w]) {
      x.grad!.dispose();
      x.dispose();
    }
  });

  it('bad options fail clearly', () => {
    expect(() => fe.train.sgd(0.1, { clipNorm: 1, clipValue: 1 })).toThrow(/only one of clipNorm, clipValue and globalClipNorm/);
    expect(() => fe.train.sgd(0.1, { clipNorm: 0 })).toThrow(/clipNorm must be a positive number, got 0/);
    expect(() => fe.train.adam(0.1, 0.9, 0.999, 1e-7, { clip_norm: 1 } as never)).toThrow(/unknown option 'clip_norm' — did you mean 'clipNorm'/);
    expect(() => fe.train.adam({ learningRate: 0.1, beta: 0.9 } as never)).toThrow(/unknown option 'beta'/);
    expect(() => fe.train.sgd(-1)).toThrow(/learningRate must be a non-negative number/);
    expect(() => fe.train.adamax(0.1, 1)).toThrow(/beta1 must be in \[0, 1\)/);
    expect(() => fe.train.adadelta(1, 1.5)).toThrow(/rho must be in \[0, 1\]/);
    expect(() => fe.train.adagrad(0.1, -1)).toThrow(/initialAccumulatorValue/);
    expect(() => fe.train.adamW(0.1, -0.1)).toThrow(/weightDecay must be a non-negative number/);
  });

  it('compile() names: TensorFlow.js defaults for adagrad / adadelta / adamax, Keras 3 for adamw', () => {
    const model = fe.sequential({ layers: [fe.layers.dense({ units: 1, inputShape: [2] })] });
    const cases: [string, string, Record<string, unknown>][] = [
      ['adagrad', 'Adagrad', { learningRate: 0.01, initialAccumulatorValue: 0.1, epsilon: 1e-7 }],
      ['adadelta', 'Adadelta', { learningRate: 1, rho: 0.95, epsilon: 1e-7 }],
      ['adamax', 'Adamax', { learningRate: 0.002, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0 }],
      ['AdamW', 'AdamW', { learningRate: 0.001, weightDecay: 0.004, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }],
    ];
    for (const [id, cls, config] of cases) {
      model.compile({ optimizer: id, loss: 'meanSquaredError' });
      expect(model.optimizer!.className).toBe(cls);
      expect(model.optimizer!.getConfig()).toEqual(config);
    }
  });
});

describe('learning-rate schedules (Keras 3 formulas) by hand', () => {
  const at = (s: fe.LearningRateSchedule, steps: number[]) => steps.map((t) => s.at(t));

  it('exponentialDecay, continuous and staircase', () => {
    const s = fe.train.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
    expectClose(at(s, [0, 5, 10, 25]), [0.1, 0.0707106781, 0.05, 0.0176776695], { rtol: 1e-8 });
    const st = fe.train.exponentialDecay(0.1, 10, 0.5, true);
    expectClose(at(st, [0, 5, 9, 10, 25]), [0.1, 0.1, 0.1, 0.05, 0.025], { rtol: 1e-12 });
  });

  it('cosineDecay without warm-up (alpha floor, held after decaySteps) and with a linear warm-up', () => {
    const s = fe.train.cosineDecay({ initialLearningRate: 0.1, decaySteps: 10, alpha: 0.1 });
    expectClose(at(s, [0, 5, 10, 20]), [0.1, 0.055, 0.01, 0.01], { rtol: 1e-9 });
    const w = fe.train.cosineDecay({ initialLearningRate: 0, decaySteps: 10, warmupTarget: 0.2, warmupSteps: 4 });
    expectClose(at(w, [0, 1, 2, 4, 9, 14, 100]), [0, 0.05, 0.1, 0.2, 0.1, 0, 0], { atol: 1e-12 });
    expect(() => fe.train.cosineDecay({ initialLearningRate: 0.1, decaySteps: 10, warmupSteps: 3 })).toThrow(/warmupTarget/);
  });

  it('piecewiseConstantDecay: values[i] up to and including boundaries[i]', () => {
    const s = fe.train.piecewiseConstantDecay([3, 6], [1, 0.5, 0.1]);
    expect(at(s, [0, 3, 4, 6, 7, 100])).toEqual([1, 1, 0.5, 0.5, 0.1, 0.1]);
    expect(() => fe.train.piecewiseConstantDecay([3, 6], [1, 0.5])).toThrow(/one more element than boundaries/);
    expect(() => fe.train.piecewiseConstantDecay([6, 3], [1, 0.5, 0.1])).toThrow(/increase strictly/);
  });

  it('inverseTimeDecay and polynomialDecay (capped, and cycling)', () => {
    expectClose(at(fe.train.inverseTimeDecay(0.1, 2, 0.5), [0, 4]), [0.1, 0.05], { rtol: 1e-12 });
    expectClose(at(fe.train.inverseTimeDecay(0.1, 2, 0.5, true), [3]), [0.1 / 1.5], { rtol: 1e-12 });
    const p = fe.train.polynomialDecay({ initialLearningRate: 0.1, decaySteps: 10, endLearningRate: 0.01, power: 2 });
    expectClose(at(p, [0, 5, 20]), [0.1, 0.0325, 0.01], { rtol: 1e-12 });
    const c = fe.train.polynomialDecay({ initialLearningRate: 0.1, decaySteps: 10, endLearningRate: 0.01, power: 2, cycle: true });
    expectClose(at(c, [0, 15]), [0.1, 0.015625], { rtol: 1e-12 });
  });

  it('bad arguments fail clearly', () => {
    expect(() => fe.train.exponentialDecay(0.1, 0, 0.5)).toThrow(/decaySteps must be a positive number, got 0/);
    expect(() => fe.train.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decay_rate: 0.5 } as never)).toThrow(/unknown option 'decay_rate'/);
  });
});

describe.each(BACKENDS)('a schedule as an optimizer\'s learning rate on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('update t uses schedule(t); learningRate reads the next one; setting it is refused', () => {
    const opt = fe.train.sgd(fe.train.piecewiseConstantDecay([2], [0.1, 0.01]));
    const v = fe.variable(fe.tensor([1]));
    const seen: number[] = [];
    for (let t = 0; t < 4; t++) {
      seen.push(opt.learningRate);
      v.grad = fe.tensor([1]);
      opt.applyGradients([v]);
      v.grad.dispose();
      v.grad = null;
    }
    expect(seen).toEqual([0.1, 0.1, 0.1, 0.01]);
    expectClose(v.dataSync(), [0.69], { rtol: 1e-6 });
    expect(() => (opt.learningRate = 0.5)).toThrow(/comes from a PiecewiseConstantDecay schedule/);
    v.dispose();
  });

  it('Adagrad and Adam follow a cosine schedule step by step', () => {
    const P0 = [0.5, -0.25, 1];
    const G = gradients(3, 8, 9);
    const sched = fe.train.cosineDecay({ initialLearningRate: 0.2, decaySteps: 5, alpha: 0.05 });
    expectClose(run1(fe.train.adagrad(sched), P0, G), adagradRef(P0, G, (t) => sched.at(t)), TOL, 'adagrad');
    // Adam by hand with a changing lr
    const p = [...P0];
    const m = p.map(() => 0);
    const v = p.map(() => 0);
    G.forEach((g, s) => {
      const t = s + 1;
      const alpha = (sched.at(s) * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);
      p.forEach((_, i) => {
        m[i] = 0.9 * m[i] + 0.1 * g[i];
        v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
        p[i] -= (alpha * m[i]) / (Math.sqrt(v[i]) + 1e-7);
      });
    });
    expectClose(run1(fe.train.adam({ learningRate: sched }), P0, G), p, TOL, 'adam');
  });
});

describe.each(BACKENDS)('saving the new optimizers with the model on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  function makeModel(opt: fe.Optimizer) {
    const model = fe.sequential({ layers: [fe.layers.dense({ units: 4, activation: 'tanh', inputShape: [3] }), fe.layers.dense({ units: 2 })] });
    model.compile({ optimizer: opt, loss: 'meanSquaredError' });
    model.build();
    model.setWeights(model.weights.map((w, i) => fe.tensor(uniform(mulberry32(40 + i), w.size, -0.5, 0.5), w.shape)));
    return model;
  }

  const weightsOf = (m: fe.LayersModel) => m.getWeights().map((t) => {
    const v = Float32Array.from(t.dataSync());
    t.dispose();
    return v;
  });

  const x = () => fe.tensor(uniform(mulberry32(5), 6 * 3, -1, 1), [6, 3]);
  const y = () => fe.tensor(uniform(mulberry32(6), 6 * 2, -1, 1), [6, 2]);

  const CASES: [string, () => fe.Optimizer, string[]][] = [
    ['Adagrad', () => fe.train.adagrad(0.1, 0.2), ['accumulator']],
    ['Adadelta', () => fe.train.adadelta(1, 0.9), ['accum_grad', 'accum_var']],
    ['Adamax', () => fe.train.adamax(0.01, 0.9, 0.99, 1e-7, 0.1), ['m', 'v']],
    ['AdamW', () => fe.train.adamW(0.01, 0.1, 0.9, 0.999, 1e-7, { clipNorm: 0.5 }), ['m', 'v']],
    ['Adam', () => fe.train.adam({ learningRate: fe.train.exponentialDecay(0.05, 2, 0.5), globalClipNorm: 1 }), ['m', 'v']],
    ['Adam', () => fe.train.adam({ learningRate: 0.02, amsgrad: true }), ['m', 'v', 'vhat']],
    ['SGD', () => fe.train.momentum(fe.train.cosineDecay({ initialLearningRate: 0, decaySteps: 4, warmupTarget: 0.1, warmupSteps: 2 }), 0.9, false, { clipValue: 0.1 }), ['momentum']],
  ];

  it.each(CASES)('%s (%#): saved and loaded, it trains on exactly as the original; state under TensorFlow.js names', async (_name, make, slots) => {
    const model = makeModel(make());
    const [xs, ys] = [x(), y()];
    for (let i = 0; i < 3; i++) model.trainOnBatch(xs, ys);
    const h = fe.io.toMemory();
    await model.save(h, { includeOptimizer: true });
    const art = h.artifacts!;
    const names = art.weightSpecs!.filter((s) => s.group === 'optimizer').map((s) => s.name);
    const vars = ['dense', 'dense'].length * 2; // kernel and bias of two layers
    expect(names[0]).toBe('iter');
    expect(names.slice(1).map((n) => n.split('/').pop())).toEqual(slots.flatMap((s) => Array(vars).fill(s)));
    const loaded = await fe.loadLayersModel(fe.io.fromMemory(art));
    expect(loaded.optimizer!.className).toBe(model.optimizer!.className);
    expect(loaded.optimizer!.getConfig()).toEqual(model.optimizer!.getConfig());
    expect(loaded.optimizer!.iterations).toBe(3);
    // Momentum's velocity is saved as TensorFlow.js' accumulation (÷ lr, then × lr when
    // loaded): exact up to float32 rounding. Every other state is saved as it is.
    const tol = _name === 'SGD' ? { rtol: 1e-6, atol: 1e-7 } : { atol: 0 };
    for (let i = 0; i < 3; i++) expectClose([loaded.trainOnBatch(xs, ys) as number], [model.trainOnBatch(xs, ys) as number], tol, `loss ${i}`);
    weightsOf(loaded).forEach((w, i) => expectClose(w, weightsOf(model)[i], tol, `weight ${i}`));
  });

  it('Adagrad state moves to TensorFlow.js and back: the next steps agree', async () => {
    const model = makeModel(fe.train.adagrad(0.1));
    const [xs, ys] = [x(), y()];
    model.trainOnBatch(xs, ys);
    model.trainOnBatch(xs, ys);
    const h = fe.io.toMemory();
    await model.save(h, { includeOptimizer: true });
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(h.artifacts as tf.io.ModelArtifacts));
    expect(theirs.optimizer.getClassName()).toBe('Adagrad');
    const tx = tf.tensor(xs.dataSync(), [6, 3]), ty = tf.tensor(ys.dataSync(), [6, 2]);
    await theirs.fit(tx, ty, { epochs: 2, batchSize: 6, shuffle: false, verbose: 0 });
    model.trainOnBatch(xs, ys);
    model.trainOnBatch(xs, ys);
    const tfW = theirs.getWeights().map((w) => Float32Array.from(w.dataSync()));
    weightsOf(model).forEach((w, i) => expectClose(w, tfW[i], { atol: 2e-5 }, `weight ${i}`));
    let back: tf.io.ModelArtifacts | null = null;
    await theirs.save(tf.io.withSaveHandler(async (a) => {
      back = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }), { includeOptimizer: true });
    const ours = await fe.loadLayersModel(fe.io.fromMemory(back! as fe.io.ModelArtifacts));
    expect(ours.optimizer!.iterations).toBe(4);
    await theirs.fit(tx, ty, { epochs: 1, batchSize: 6, shuffle: false, verbose: 0 });
    ours.trainOnBatch(xs, ys);
    const tfW2 = theirs.getWeights().map((w) => Float32Array.from(w.dataSync()));
    weightsOf(ours).forEach((w, i) => expectClose(w, tfW2[i], { atol: 2e-5 }, `back, weight ${i}`));
    theirs.dispose();
  });

  it('a Keras 3 optimizer config (snake_case, schedule, clip options) loads', async () => {
    const model = makeModel(fe.train.sgd(0.1));
    const h = fe.io.toMemory();
    await model.save(h, { includeOptimizer: true });
    const art = h.artifacts!;
    art.trainingConfig!.optimizer_config = {
      class_name: 'AdamW',
      config: {
        learning_rate: { class_name: 'CosineDecay', config: { initial_learning_rate: 0.01, decay_steps: 100, alpha: 0, warmup_target: null, warmup_steps: 0 } },
        weight_decay: 0.01, beta_1: 0.8, beta_2: 0.99, epsilon: 1e-6, clipnorm: 2, clipvalue: null, global_clipnorm: null,
      },
    };
    const loaded = await fe.loadLayersModel(fe.io.fromMemory(art));
    const opt = loaded.optimizer as fe.AdamW;
    expect(opt.className).toBe('AdamW');
    expect([opt.weightDecay, opt.beta1, opt.beta2, opt.epsilon, opt.clipNorm, opt.clipValue]).toEqual([0.01, 0.8, 0.99, 1e-6, 2, null]);
    expect(opt.learningRateSchedule!.className).toBe('CosineDecay');
    expectClose([opt.learningRate], [0.01], { rtol: 1e-12 });
  });

  it('fe.optim (PyTorch form) optimizers are refused by includeOptimizer, clearly', async () => {
    const model = fe.sequential({ layers: [fe.layers.dense({ units: 1, inputShape: [2] })] });
    model.build();
    model.compile({ optimizer: fe.optim.adam(model.parameters()), loss: 'meanSquaredError' });
    await expect(model.save(fe.io.toMemory(), { includeOptimizer: true })).rejects.toThrow(/PyTorch form.*cannot be saved/);
  });
});

describe('optimizer steps hold no memory beyond their state (js backend counts live bytes)', () => {
  beforeAll(() => useBackend('js'));

  it('every optimizer, with clipping, weight decay and schedules: steady memory after the first step, freed on dispose', () => {
    const makers: (() => fe.Optimizer)[] = [
      () => fe.train.adagrad(0.1, 0.1, { clipNorm: 1 }),
      () => fe.train.adadelta(1, 0.9, 1e-6, { globalClipNorm: 1 }),
      () => fe.train.adamax(0.01, 0.9, 0.999, 1e-7, 0, { clipValue: 0.1 }),
      () => fe.train.adamW({ learningRate: fe.train.cosineDecay(0.1, 10), amsgrad: true, clipNorm: 0.5 }),
      () => fe.train.momentum(0.1, 0.9, true, { weightDecay: 0.1 }),
      () => fe.train.rmsprop(0.01, 0.9, 0.5, 1e-7, true),
    ];
    const vars = [fe.variable(fe.tensor(uniform(mulberry32(1), 40), [8, 5])), fe.variable(fe.tensor(uniform(mulberry32(2), 5)))];
    const grads = [fe.tensor(uniform(mulberry32(3), 40), [8, 5]), fe.tensor(uniform(mulberry32(4), 5))];
    for (const make of makers) {
      const before = fe.memory();
      const opt = make();
      const step = () => {
        vars.forEach((v, i) => (v.grad = grads[i]));
        opt.applyGradients(vars);
        vars.forEach((v) => (v.grad = null));
      };
      step();
      const after1 = fe.memory();
      for (let i = 0; i < 5; i++) step();
      const after6 = fe.memory();
      expect(after6.numTensors, opt.className).toBe(before.numTensors);
      expect(after6.numBytes, `${opt.className}: bytes after 6 steps vs 1`).toBe(after1.numBytes);
      opt.dispose();
      expect(fe.memory().numBytes, `${opt.className}: bytes after dispose`).toBe(before.numBytes);
    }
  });
});

describe('getConfig / fromConfig', () => {
  beforeAll(() => useBackend('js'));
  it('every fe.train optimizer comes back from its config, schedule and Keras options included', () => {
    const opts: fe.Optimizer[] = [
      fe.train.sgd(0.1, { clipValue: 0.5 }), fe.train.momentum(0.1, 0.8, true), fe.train.adam({ learningRate: 0.01, amsgrad: true, clipNorm: 2 }),
      fe.train.adamW(fe.train.piecewiseConstantDecay([10], [0.1, 0.01]), 0.02), fe.train.rmsprop(0.01, 0.8, 0.3, 1e-6, true, { weightDecay: 0.1 }),
      fe.train.adagrad(0.2, 0.3, { globalClipNorm: 3 }), fe.train.adadelta(1, 0.9, 1e-6), fe.train.adamax(0.01, 0.8, 0.99, 1e-6, 0.1),
    ];
    for (const o of opts) {
      const cls = o.constructor as unknown as { fromConfig(c: Record<string, unknown>): fe.Optimizer };
      const back = cls.fromConfig(o.getConfig());
      expect(back.className, o.className).toBe(o.className);
      expect(back.getConfig(), o.className).toEqual(o.getConfig());
      // TensorFlow.js' calling form: fromConfig(cls, config)
      expect((cls.fromConfig as unknown as (c: unknown, x: unknown) => fe.Optimizer)(cls, o.getConfig()).getConfig()).toEqual(o.getConfig());
    }
    expect(fe.Adagrad.fromConfig({ learning_rate: 0.3, initial_accumulator_value: 0.2 }).getConfig()).toEqual({ learningRate: 0.3, initialAccumulatorValue: 0.2, epsilon: 1e-7 });
  });
});
