/**
 * fe.optim (PyTorch form): sgd, adam, adamW, adagrad and rmsprop against PyTorch's documented
 * algorithms over several steps; fe.optim.lrScheduler against PyTorch's formulas step by step;
 * fe.nn.utils.clipGradNorm / clipGradValue against their definitions.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { BACKENDS, useBackend } from './helpers/backends';
import { expectClose, mulberry32, uniform } from './helpers/reference';

type Vec = number[];
const TOL = { rtol: 2e-5, atol: 1e-6 };

function gradients(n: number, steps: number, seed: number): Vec[] {
  const rng = mulberry32(seed);
  return Array.from({ length: steps }, () => Array.from(uniform(rng, n)));
}

/** Steps `make(params)` with the given gradients (null: no gradient that step); optional lr per step. */
function run(make: (params: fe.Variable[]) => fe.Optimizer, p0s: Vec[], grads: (Vec | null)[][], lrs?: number[]): Float32Array[] {
  const params = p0s.map((p) => fe.variable(fe.tensor(p)));
  const opt = make(params);
  grads.forEach((gs, s) => {
    if (lrs) opt.learningRate = lrs[s];
    params.forEach((p, i) => (p.grad = gs[i] ? fe.tensor(gs[i]!) : null));
    opt.step();
    opt.zeroGrad();
  });
  const out = params.map((p) => Float32Array.from(p.dataSync()));
  params.forEach((p) => p.dispose());
  opt.dispose();
  return out;
}

// ---- PyTorch's algorithms (torch.optim docs), float64 ----------------------------------

interface SgdO { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean }
function sgdRef(p0: Vec, grads: Vec[], o: SgdO, lrs?: number[]): Vec {
  const p = [...p0];
  let buf: Vec | null = null;
  grads.forEach((g0, s) => {
    const lr = lrs ? lrs[s] : o.lr;
    let g = g0.map((x, i) => x + o.weightDecay * p[i]);
    if (o.momentum !== 0) {
      buf = buf === null ? [...g] : buf.map((b, i) => o.momentum * b + (1 - o.dampening) * g[i]);
      g = o.nesterov ? g.map((x, i) => x + o.momentum * buf![i]) : [...buf];
    }
    p.forEach((_, i) => (p[i] -= lr * g[i]));
  });
  return p;
}

interface AdamO { lr: number; b1: number; b2: number; eps: number; weightDecay: number; amsgrad: boolean; decoupled: boolean }
function adamRef(p0: Vec, grads: (Vec | null)[], o: AdamO): Vec {
  const p = [...p0];
  const m = p.map(() => 0), v = p.map(() => 0), vmax = p.map(() => 0);
  let t = 0;
  for (const g0 of grads) {
    if (!g0) continue; // no gradient: no step for this parameter (its t does not advance)
    t++;
    if (o.decoupled) p.forEach((_, i) => (p[i] *= 1 - o.lr * o.weightDecay));
    const g = o.decoupled ? g0 : g0.map((x, i) => x + o.weightDecay * p[i]);
    const bc1 = 1 - o.b1 ** t, bc2 = 1 - o.b2 ** t;
    p.forEach((_, i) => {
      m[i] = o.b1 * m[i] + (1 - o.b1) * g[i];
      v[i] = o.b2 * v[i] + (1 - o.b2) * g[i] * g[i];
      vmax[i] = Math.max(vmax[i], v[i]);
      const denom = Math.sqrt(o.amsgrad ? vmax[i] : v[i]) / Math.sqrt(bc2) + o.eps;
      p[i] -= (o.lr / bc1) * (m[i] / denom);
    });
  }
  return p;
}

interface AdagradO { lr: number; lrDecay: number; weightDecay: number; init: number; eps: number }
function adagradRef(p0: Vec, grads: Vec[], o: AdagradO): Vec {
  const p = [...p0];
  const sum = p.map(() => o.init);
  grads.forEach((g0, s) => {
    const g = g0.map((x, i) => x + o.weightDecay * p[i]);
    const clr = o.lr / (1 + s * o.lrDecay);
    p.forEach((_, i) => {
      sum[i] += g[i] * g[i];
      p[i] -= (clr * g[i]) / (Math.sqrt(sum[i]) + o.eps);
    });
  });
  return p;
}

interface RmsO { lr: number; alpha: number; eps: number; weightDecay: number; momentum: number; centered: boolean }
function rmspropRef(p0: Vec, grads: Vec[], o: RmsO, lrs?: number[]): Vec {
  const p = [...p0];
  const sq = p.map(() => 0), ga = p.map(() => 0), buf = p.map(() => 0);
  grads.forEach((g0, s) => {
    const lr = lrs ? lrs[s] : o.lr;
    const g = g0.map((x, i) => x + o.weightDecay * p[i]);
    p.forEach((_, i) => {
      sq[i] = o.alpha * sq[i] + (1 - o.alpha) * g[i] * g[i];
      let avg = Math.sqrt(sq[i]);
      if (o.centered) {
        ga[i] = o.alpha * ga[i] + (1 - o.alpha) * g[i];
        avg = Math.sqrt(sq[i] - ga[i] * ga[i]);
      }
      avg += o.eps;
      if (o.momentum > 0) {
        buf[i] = o.momentum * buf[i] + g[i] / avg;
        p[i] -= lr * buf[i];
      } else {
        p[i] -= (lr * g[i]) / avg;
      }
    });
  });
  return p;
}

describe.each(BACKENDS)('fe.optim on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  const P0 = Array.from(uniform(mulberry32(3), 9));
  const G = gradients(9, 6, 4);
  const one = (g: Vec[]) => g.map((x) => [x]);

  it('sgd: plain, weight decay, momentum, dampening, nesterov; a scheduler-like lr change acts at once', () => {
    const base: SgdO = { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false };
    const variants: Partial<SgdO>[] = [{}, { weightDecay: 0.1 }, { momentum: 0.9 }, { momentum: 0.9, dampening: 0.5, weightDecay: 0.01 }, { momentum: 0.8, nesterov: true }];
    for (const v of variants) {
      const o = { ...base, ...v };
      const [got] = run((ps) => fe.optim.sgd(ps, { lr: o.lr, momentum: o.momentum, dampening: o.dampening, weightDecay: o.weightDecay, nesterov: o.nesterov }), [P0], one(G));
      expectClose(got, sgdRef(P0, G, o), TOL, JSON.stringify(v));
    }
    const lrs = [0.1, 0.05, 0.2, 0.01, 0.1, 0.03];
    const o = { ...base, momentum: 0.9 };
    const [got] = run((ps) => fe.optim.sgd(ps, { lr: 0.1, momentum: 0.9 }), [P0], one(G), lrs);
    expectClose(got, sgdRef(P0, G, o, lrs), TOL, 'changing lr: outside the buffer, as PyTorch');
    expect(fe.optim.sgd([fe.variable(fe.tensor([1]))]).learningRate).toBe(1e-3);
  });

  it('adam and adamW: L2 vs decoupled decay, amsgrad, PyTorch defaults; per-parameter step counts', () => {
    const base: AdamO = { lr: 0.01, b1: 0.9, b2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false, decoupled: false };
    const shrinking = G.map((g, s) => g.map((x) => x / (s + 1)));
    const cases: [string, Partial<AdamO>][] = [['adam', {}], ['adam', { weightDecay: 0.1 }], ['adam', { amsgrad: true }], ['adamW', { decoupled: true, weightDecay: 0.05 }], ['adamW', { decoupled: true, weightDecay: 0.01, amsgrad: true, b1: 0.8, b2: 0.99, eps: 1e-3 }]];
    for (const [name, v] of cases) {
      const o = { ...base, ...v };
      const make = (ps: fe.Variable[]) => (name === 'adam' ? fe.optim.adam : fe.optim.adamW)(ps, { lr: o.lr, betas: [o.b1, o.b2], eps: o.eps, weightDecay: o.weightDecay, amsgrad: o.amsgrad });
      const [got] = run(make, [P0], one(shrinking));
      expectClose(got, adamRef(P0, shrinking, o), TOL, `${name} ${JSON.stringify(v)}`);
    }
    const w = fe.optim.adamW([fe.variable(fe.tensor([1]))]);
    expect([w.learningRate, w.betas, w.eps, w.weightDecay, w.amsgrad]).toEqual([1e-3, [0.9, 0.999], 1e-8, 1e-2, false]);
    // The second parameter has no gradient in the first two steps: its bias correction starts later.
    const Q0 = [0.3, -0.7];
    const gq: (Vec | null)[] = [null, null, [0.5, -0.2], [0.1, 0.4], [-0.3, 0.2]];
    const steps = gq.map((g, s) => [G[s].slice(0, 2), g]);
    const [a, b] = run((ps) => fe.optim.adam(ps, { lr: 0.05 }), [P0.slice(0, 2), Q0], steps);
    expectClose(a, adamRef(P0.slice(0, 2), steps.map((s) => s[0]), { ...base, lr: 0.05 }), TOL, 'always stepped');
    expectClose(b, adamRef(Q0, gq, { ...base, lr: 0.05 }), TOL, 'stepped from step 3');
  });

  it('adagrad: lrDecay, weightDecay, initialAccumulatorValue, eps outside the root', () => {
    const base: AdagradO = { lr: 0.1, lrDecay: 0, weightDecay: 0, init: 0, eps: 1e-10 };
    for (const v of [{}, { lrDecay: 0.1 }, { weightDecay: 0.05, init: 0.2 }, { eps: 0.1 }] as Partial<AdagradO>[]) {
      const o = { ...base, ...v };
      const [got] = run((ps) => fe.optim.adagrad(ps, { lr: o.lr, lrDecay: o.lrDecay, weightDecay: o.weightDecay, initialAccumulatorValue: o.init, eps: o.eps }), [P0], one(G));
      expectClose(got, adagradRef(P0, G, o), TOL, JSON.stringify(v));
    }
    expect(fe.optim.adagrad([fe.variable(fe.tensor([1]))]).learningRate).toBe(1e-2);
  });

  it('rmsprop: alpha, centered, momentum (lr outside the buffer), weight decay', () => {
    const base: RmsO = { lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false };
    for (const v of [{}, { centered: true }, { momentum: 0.9 }, { centered: true, momentum: 0.5, weightDecay: 0.1, alpha: 0.9 }] as Partial<RmsO>[]) {
      const o = { ...base, ...v };
      const [got] = run((ps) => fe.optim.rmsprop(ps, { lr: o.lr, alpha: o.alpha, eps: o.eps, weightDecay: o.weightDecay, momentum: o.momentum, centered: o.centered }), [P0], one(G));
      expectClose(got, rmspropRef(P0, G, o), { rtol: 1e-4, atol: 1e-6 }, JSON.stringify(v));
    }
    const lrs = [0.01, 0.02, 0.005, 0.01, 0.001, 0.01];
    const o = { ...base, momentum: 0.9 };
    const [got] = run((ps) => fe.optim.rmsprop(ps, { momentum: 0.9 }), [P0], one(G), lrs);
    expectClose(got, rmspropRef(P0, G, o, lrs), { rtol: 1e-4, atol: 1e-6 }, 'changing lr');
  });

  it('paramGroups[0].lr reads and sets the rate, as param_groups', () => {
    const opt = fe.optim.sgd([fe.variable(fe.tensor([1]))], { lr: 0.5 });
    expect(opt.paramGroups[0].lr).toBe(0.5);
    opt.paramGroups[0].lr = 0.25;
    expect(opt.learningRate).toBe(0.25);
  });

  it('bad arguments fail as PyTorch does, clearly', () => {
    const p = [fe.variable(fe.tensor([1]))];
    expect(() => fe.optim.sgd([])).toThrow(/empty parameter list/);
    expect(() => fe.optim.sgd(p, { lr: -1 })).toThrow(/invalid learning rate -1/);
    expect(() => fe.optim.sgd(p, { nesterov: true })).toThrow(/nesterov momentum requires a momentum > 0 and zero dampening/);
    expect(() => fe.optim.sgd(p, { weight_decay: 0.1 } as never)).toThrow(/unknown option 'weight_decay' — did you mean 'weightDecay'/);
    expect(() => fe.optim.adam(p, { betas: [0.9, 1] })).toThrow(/betas must be two numbers in \[0, 1\)/);
    expect(() => fe.optim.adam([fe.tensor([1]) as never])).toThrow(/params\[0\] is not a variable/);
  });

  it('trains a linear regression with adamW and a cosine schedule, PyTorch style', () => {
    fe.setRandomSeed(1);
    const x = fe.tensor(uniform(mulberry32(8), 64 * 3, -1, 1), [64, 3]);
    const y = fe.add(fe.matMul(x, fe.tensor([[1.5], [-2], [0.5]])), 0.3);
    const lin = fe.nn.linear(3, 1);
    const opt = fe.optim.adamW(lin.parameters(), { lr: 0.1, weightDecay: 1e-4 });
    const sched = fe.optim.lrScheduler.cosineAnnealingLR(opt, { tMax: 200, etaMin: 0.001 });
    let last = Infinity;
    for (let i = 0; i < 200; i++) {
      opt.zeroGrad();
      const loss = fe.mean(fe.square(fe.sub(lin.forward(x), y)));
      loss.backward();
      opt.step();
      sched.step();
      last = loss.dataSync()[0];
      loss.dispose();
    }
    expect(last).toBeLessThan(1e-3);
    expectClose(sched.getLastLr(), [0.001], { rtol: 1e-9 });
  });
});

describe('fe.optim.lrScheduler against PyTorch\'s formulas', () => {
  beforeAll(() => useBackend('js'));
  const opt = (lr = 1, o: { momentum?: number } = {}) => fe.optim.sgd([fe.variable(fe.tensor([1]))], { lr, ...o });
  /** The rate after construction (step 0) and after each of `n` steps. */
  const trace = (s: { step(): void; getLastLr(): number[] }, n: number) => {
    const out = [s.getLastLr()[0]];
    for (let i = 0; i < n; i++) {
      s.step();
      out.push(s.getLastLr()[0]);
    }
    return out;
  };

  it('stepLR: baseLr · gamma^⌊t / stepSize⌋', () => {
    const o = opt(0.5);
    const s = fe.optim.lrScheduler.stepLR(o, { stepSize: 3, gamma: 0.1 });
    const want = Array.from({ length: 10 }, (_, t) => 0.5 * 0.1 ** Math.floor(t / 3));
    expectClose(trace(s, 9), want, { rtol: 1e-12 });
    expect(o.learningRate).toBeCloseTo(want[9], 15);
  });

  it('multiStepLR, exponentialLR, lambdaLR', () => {
    const m = fe.optim.lrScheduler.multiStepLR(opt(1), { milestones: [2, 5], gamma: 0.5 });
    expectClose(trace(m, 6), [1, 1, 0.5, 0.5, 0.5, 0.25, 0.25], { rtol: 1e-12 });
    const e = fe.optim.lrScheduler.exponentialLR(opt(2), { gamma: 0.9 });
    expectClose(trace(e, 4), [0, 1, 2, 3, 4].map((t) => 2 * 0.9 ** t), { rtol: 1e-12 });
    const l = fe.optim.lrScheduler.lambdaLR(opt(0.1), { lrLambda: (t) => 1 / (t + 1) });
    expectClose(trace(l, 3), [0.1, 0.05, 0.1 / 3, 0.025], { rtol: 1e-12 });
  });

  it('cosineAnnealingLR: η_min + (η_0 − η_min)(1 + cos(π t / tMax))/2, past tMax too', () => {
    const s = fe.optim.lrScheduler.cosineAnnealingLR(opt(0.1), { tMax: 10, etaMin: 0.001 });
    const want = Array.from({ length: 31 }, (_, t) => 0.001 + ((0.1 - 0.001) * (1 + Math.cos((Math.PI * t) / 10))) / 2);
    expectClose(trace(s, 30), want, { rtol: 1e-9, atol: 1e-15 });
  });

  /** PyTorch's OneCycleLR phases, written out from its documentation. */
  function oneCycleRef(maxLr: number, total: number, pct: number, div: number, finalDiv: number, cos: boolean, three: boolean) {
    const init = maxLr / div, min = init / finalDiv;
    const ann = (a: number, b: number, p: number) => (cos ? b + ((a - b) / 2) * (Math.cos(Math.PI * p) + 1) : (b - a) * p + a);
    const phases = three
      ? [[pct * total - 1, init, maxLr, 0.95, 0.85], [2 * pct * total - 2, maxLr, init, 0.85, 0.95], [total - 1, init, min, 0.95, 0.95]]
      : [[pct * total - 1, init, maxLr, 0.95, 0.85], [total - 1, maxLr, min, 0.85, 0.95]];
    return (t: number): [number, number] => {
      let start = 0;
      for (let i = 0; i < phases.length; i++) {
        const [end, l0, l1, m0, m1] = phases[i];
        if (t <= end || i === phases.length - 1) {
          const p = (t - start) / (end - start);
          return [ann(l0, l1, p), ann(m0, m1, p)];
        }
        start = end;
      }
      throw new Error('unreachable');
    };
  }

  it('oneCycleLR: rate and momentum by hand, then against the phases (cos, linear, three-phase)', () => {
    const o = opt(123, { momentum: 0.9 });
    const s = fe.optim.lrScheduler.oneCycleLR(o, { maxLr: 1, totalSteps: 10, divFactor: 10, finalDivFactor: 100 });
    expect(o.learningRate).toBeCloseTo(0.1, 15);
    expect(o.momentum).toBeCloseTo(0.95, 15);
    s.step();
    expect([o.learningRate, o.momentum]).toEqual([expect.closeTo(0.55, 12), expect.closeTo(0.9, 12)]);
    s.step();
    expect([o.learningRate, o.momentum]).toEqual([expect.closeTo(1, 12), expect.closeTo(0.85, 12)]);
    for (let i = 2; i < 9; i++) s.step();
    expect([o.learningRate, o.momentum]).toEqual([expect.closeTo(0.001, 12), expect.closeTo(0.95, 12)]);
    s.step(); // step 10 = totalSteps is allowed (PyTorch extrapolates the last phase)
    expect(() => s.step()).toThrow(/tried to step 11 times; the specified number of total steps is 10/);

    for (const [cos, three] of [[true, false], [false, false], [true, true], [false, true]]) {
      const ref = oneCycleRef(0.5, 40, 0.25, 25, 1e4, cos, three);
      const a = fe.optim.adam([fe.variable(fe.tensor([1]))], { lr: 9 });
      const sch = fe.optim.lrScheduler.oneCycleLR(a, { maxLr: 0.5, epochs: 4, stepsPerEpoch: 10, pctStart: 0.25, annealStrategy: cos ? 'cos' : 'linear', threePhase: three });
      for (let t = 0; t <= 40; t++) {
        if (t > 0) sch.step();
        const [lr, m] = ref(t);
        expect(a.learningRate, `lr at ${t} cos=${cos} three=${three}`).toBeCloseTo(lr, 12);
        expect(a.betas[0], `beta1 at ${t}`).toBeCloseTo(m, 12);
      }
    }
    const ada = fe.optim.adagrad([fe.variable(fe.tensor([1]))]);
    expect(() => fe.optim.lrScheduler.oneCycleLR(ada, { maxLr: 1, totalSteps: 5 })).toThrow(/no momentum or betas to cycle/);
    expect(() => fe.optim.lrScheduler.oneCycleLR(ada, { maxLr: 1 })).toThrow(/either totalSteps or both epochs and stepsPerEpoch/);
    const noCycle = fe.optim.lrScheduler.oneCycleLR(ada, { maxLr: 1, totalSteps: 5, cycleMomentum: false });
    expectClose(noCycle.getLastLr(), [0.04], { rtol: 1e-12 });
  });

  it('reduceLROnPlateau: patience counted strictly, relative threshold, cooldown, minLr', () => {
    const o = opt(1);
    const s = fe.optim.lrScheduler.reduceLROnPlateau(o, { factor: 0.5, patience: 2, threshold: 0.1 });
    const lrs: number[] = [];
    for (const m of [10, 9.5, 9.2, 9.1, 8, 8, 8, 8]) {
      s.step(m);
      lrs.push(o.learningRate);
    }
    // 9.5, 9.2, 9.1 are not below 10·(1 − 0.1): the third bad epoch (> patience 2) halves the rate
    expect(lrs).toEqual([1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25]);

    const o2 = opt(1);
    const c = fe.optim.lrScheduler.reduceLROnPlateau(o2, { mode: 'max', factor: 0.1, patience: 0, cooldown: 2, minLr: 0.005, thresholdMode: 'abs', threshold: 0 });
    const lrs2: number[] = [];
    for (const m of [1, 1, 1, 1, 1, 1, 1, 1]) {
      c.step(m);
      lrs2.push(o2.learningRate);
    }
    // reduce, rest 2 epochs, reduce, rest, then floored at minLr
    expectClose(lrs2, [1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.005], { rtol: 1e-12 });
    expect(c.getLastLr()).toEqual([0.005]);
    expect(() => c.step(NaN)).toThrow(/needs the metric as a number/);
    expect(() => fe.optim.lrScheduler.reduceLROnPlateau(o2, { factor: 1 })).toThrow(/factor must be in \[0, 1\)/);
  });

  it('schedulers refuse an optimizer driven by a schedule, and bad options', () => {
    const k = fe.train.sgd(fe.train.exponentialDecay(0.1, 10, 0.5));
    expect(() => fe.optim.lrScheduler.stepLR(k, { stepSize: 2 })).toThrow(/comes from a ExponentialDecay schedule/);
    expect(() => fe.optim.lrScheduler.stepLR(opt(), { step_size: 2 } as never)).toThrow(/unknown option 'step_size' — did you mean 'stepSize'/);
    expect(() => fe.optim.lrScheduler.cosineAnnealingLR(opt(), { tMax: 0 })).toThrow(/tMax must be a positive integer/);
  });

  it('works on fe.train optimizers too (the rate is the optimizer\'s learningRate)', () => {
    const k = fe.train.adam(0.1);
    const s = fe.optim.lrScheduler.stepLR(k, { stepSize: 1, gamma: 0.5 });
    s.step();
    s.step();
    expect(k.learningRate).toBeCloseTo(0.025, 15);
  });
});

describe.each(BACKENDS)('fe.nn.utils gradient clipping on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  function withGrads(gs: Vec[]): fe.Variable[] {
    return gs.map((g) => {
      const v = fe.variable(fe.zeros([g.length]));
      v.grad = fe.tensor(g);
      return v;
    });
  }
  const gradsOf = (vs: fe.Variable[]) => vs.map((v) => Array.from(v.grad!.dataSync()));

  it('clipGradNorm: the joint 2-norm; gradients scaled by maxNorm/(norm + 1e-6) when above', () => {
    const vs = withGrads([[3, 4], [12]]);
    const total = fe.nn.utils.clipGradNorm(vs, 6.5);
    expect(total).toBeCloseTo(13, 5);
    const c = 6.5 / (13 + 1e-6);
    gradsOf(vs).forEach((g, i) => expectClose(g, [[3 * c, 4 * c], [12 * c]][i], { rtol: 1e-6 }));
    const small = withGrads([[0.3, 0.4]]);
    expect(fe.nn.utils.clipGradNorm(small, 1)).toBeCloseTo(0.5, 6);
    expect(gradsOf(small)).toEqual([[Math.fround(0.3), Math.fround(0.4)]]);
  });

  it('clipGradNorm: inf, 1 and 3 norms; a parameter without gradient is skipped; errorIfNonfinite', () => {
    const vs = withGrads([[3, -4], [1]]);
    const noGrad = fe.variable(fe.tensor([5]));
    expect(fe.nn.utils.clipGradNorm([...vs, noGrad], 2, { normType: 'inf' })).toBeCloseTo(4, 6);
    const c = 2 / (4 + 1e-6);
    expectClose(gradsOf(vs).flat(), [3 * c, -4 * c, c], { rtol: 1e-6 });
    expect(noGrad.grad).toBeNull();
    expect(fe.nn.utils.clipGradNorm(withGrads([[3, -4], [1]]), 100, 1)).toBeCloseTo(8, 5);
    expect(fe.nn.utils.clipGradNorm(withGrads([[3, -4], [1]]), 100, { normType: 3 })).toBeCloseTo((27 + 64 + 1) ** (1 / 3), 4);
    expect(() => fe.nn.utils.clipGradNorm(withGrads([[NaN, 1]]), 1, { errorIfNonfinite: true })).toThrow(/total norm of order 2 of the gradients is NaN/);
    expect(fe.nn.utils.clipGradNorm([noGrad], 1)).toBe(0);
    expect(() => fe.nn.utils.clipGradNorm(vs, -1)).toThrow(/maxNorm must be a non-negative number/);
  });

  it('clipGradValue clips every element in place', () => {
    const vs = withGrads([[3, -0.2, -4], [0.5]]);
    fe.nn.utils.clipGradValue(vs, 0.5);
    expectClose(gradsOf(vs).flat(), [0.5, -0.2, -0.5, 0.5], { rtol: 1e-6 });
  });
});

describe('a negative rate left by a scheduler', () => {
  beforeAll(() => useBackend('js'));
  it('is accepted by the setter (PyTorch\'s linear oneCycleLR ends below 0) but refused by the next update', () => {
    const v = fe.variable(fe.tensor([1]));
    const o = fe.optim.sgd([v], { lr: 0.1 });
    o.learningRate = -0.01;
    v.grad = fe.tensor([1]);
    expect(() => o.step()).toThrow(/learning rate for update 1 is -0.01; it must be a non-negative number/);
    expect(Array.from(v.dataSync())).toEqual([1]);
    expect(o.iterations).toBe(0);
  });
});

describe('fe.optim steps and clipGradNorm hold no memory beyond the optimizer state (js backend counts live bytes)', () => {
  beforeAll(() => useBackend('js'));
  it('steady memory after the first step, freed on dispose', () => {
    const params = [fe.variable(fe.tensor(uniform(mulberry32(1), 12), [3, 4])), fe.variable(fe.tensor(uniform(mulberry32(2), 4)))];
    const grads = [fe.tensor(uniform(mulberry32(3), 12), [3, 4]), fe.tensor(uniform(mulberry32(4), 4))];
    const makers = [
      () => fe.optim.sgd(params, { lr: 0.1, momentum: 0.9, weightDecay: 0.01 }),
      () => fe.optim.adamW(params, { amsgrad: true }),
      () => fe.optim.adagrad(params, { initialAccumulatorValue: 0.1 }),
      () => fe.optim.rmsprop(params, { centered: true, momentum: 0.5 }),
    ];
    for (const make of makers) {
      const before = fe.memory();
      const opt = make();
      const sched = fe.optim.lrScheduler.oneCycleLR(opt, { maxLr: 0.1, totalSteps: 10, cycleMomentum: !(opt instanceof fe.TorchAdagrad) });
      const step = () => {
        params.forEach((p, i) => (p.grad = fe.clone(grads[i])));
        fe.nn.utils.clipGradNorm(params, 0.5);
        fe.nn.utils.clipGradValue(params, 0.1);
        opt.step();
        opt.zeroGrad();
        sched.step();
      };
      step();
      const after1 = fe.memory();
      for (let i = 0; i < 5; i++) step();
      expect(fe.memory().numTensors, opt.className).toBe(before.numTensors);
      expect(fe.memory().numBytes, `${opt.className}: bytes after 6 steps vs 1`).toBe(after1.numBytes);
      opt.dispose();
      expect(fe.memory().numBytes, `${opt.className}: after dispose`).toBe(before.numBytes);
    }
  });
});
