/**
 * fe.optim's stateDict() / loadStateDict() (torch.optim's state_dict / load_state_dict):
 * buffers as PyTorch names them, checked by hand after one step; an optimizer loaded from a
 * state dict continues exactly as the one it came from; bad dicts throw and change nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { BACKENDS, useBackend } from './helpers/backends';
import { mulberry32, uniform } from './helpers/reference';

type Make = (params: fe.Variable[]) => fe.TorchOptimizer;
const SHAPES = [[3, 2], [5]];

function gradsFor(step: number): fe.Tensor[] {
  const rng = mulberry32(100 + step);
  return SHAPES.map((s) => fe.tensor(Array.from(uniform(rng, s.reduce((a, b) => a * b, 1))), s));
}

function freshParams(): fe.Variable[] {
  const rng = mulberry32(7);
  return SHAPES.map((s) => fe.variable(fe.tensor(Array.from(uniform(rng, s.reduce((a, b) => a * b, 1))), s)));
}

function stepWith(opt: fe.TorchOptimizer, params: fe.Variable[], step: number, only?: number): void {
  const gs = gradsFor(step);
  params.forEach((p, i) => (p.grad = only === undefined || only === i ? gs[i] : (gs[i].dispose(), null)));
  opt.step();
  opt.zeroGrad();
}

const CASES: [string, Make][] = [
  ['sgd (momentum, nesterov)', (p) => fe.optim.sgd(p, { lr: 0.1, momentum: 0.9, nesterov: true })],
  ['adam (amsgrad)', (p) => fe.optim.adam(p, { lr: 0.01, amsgrad: true, weightDecay: 0.01 })],
  ['adamW', (p) => fe.optim.adamW(p, { lr: 0.01 })],
  ['adagrad (lrDecay)', (p) => fe.optim.adagrad(p, { lr: 0.1, lrDecay: 0.05, initialAccumulatorValue: 0.1 })],
  ['rmsprop (centered, momentum)', (p) => fe.optim.rmsprop(p, { lr: 0.01, centered: true, momentum: 0.5 })],
];

for (const backend of BACKENDS) {
  describe(`fe.optim state dicts on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    it('holds PyTorch\'s buffers after one step, as computed by hand', () => {
      const g = gradsFor(0).map((t) => Array.from(t.dataSync()));
      const p = freshParams();
      const adam = fe.optim.adam(p, { lr: 0.01, betas: [0.8, 0.9] });
      stepWith(adam, p, 0);
      const sd = adam.stateDict();
      expect(Object.keys(sd.state)).toEqual(['0', '1']);
      expect(sd.state[0].step).toBe(1);
      const m = (sd.state[0].exp_avg as fe.Tensor).dataSync(), v = (sd.state[0].exp_avg_sq as fe.Tensor).dataSync();
      g[0].forEach((x, i) => {
        expect(m[i]).toBeCloseTo(0.2 * x, 6);
        expect(v[i]).toBeCloseTo(0.1 * x * x, 6);
      });
      expect((sd.state[1].exp_avg as fe.Tensor).shape).toEqual([5]);
      expect(sd.paramGroups).toEqual([{ lr: 0.01, betas: [0.8, 0.9], eps: 1e-8, weightDecay: 0, amsgrad: false, params: [0, 1] }]);
      const sgdParams = freshParams();
      const sgd = fe.optim.sgd(sgdParams, { lr: 0.1, momentum: 0.9 });
      stepWith(sgd, sgdParams, 0, 1); // only parameter 1 gets a gradient
      const s2 = sgd.stateDict();
      expect(Object.keys(s2.state)).toEqual(['1']); // PyTorch keeps no state for a parameter never updated
      expect(Array.from((s2.state[1].momentum_buffer as fe.Tensor).dataSync())).toEqual(Array.from(Float32Array.from(g[1])));
      [adam, sgd].forEach((o) => o.dispose());
      [...p, ...sgdParams].forEach((t) => t.dispose());
    });

    for (const [name, make] of CASES) {
      it(`${name}: a loaded optimizer continues bit for bit as the original`, () => {
        const a = freshParams();
        const optA = make(a);
        for (let s = 0; s < 3; s++) stepWith(optA, a, s, s === 0 ? 1 : undefined);
        const sd = optA.stateDict();
        // A second set of parameters with A's values, and a fresh optimizer of other options loaded from A's dict.
        const b = a.map((v) => fe.variable(v.clone()));
        const optB = make(b);
        optB.learningRate = 123; // the dict's lr replaces it
        optB.loadStateDict(sd);
        expect(optB.learningRate).toBe(optA.learningRate);
        // The dict's tensors are copies: disposing them changes neither optimizer.
        for (const e of Object.values(sd.state)) for (const t of Object.values(e)) if (t instanceof fe.Tensor) t.dispose();
        for (let s = 3; s < 6; s++) {
          stepWith(optA, a, s);
          stepWith(optB, b, s);
        }
        a.forEach((v, i) => expect(Array.from(b[i].dataSync())).toEqual(Array.from(v.dataSync())));
        // Without the state, the same steps give other weights (the check can fail).
        const c = freshParams();
        const optC = make(c);
        for (let s = 3; s < 6; s++) stepWith(optC, c, s);
        expect(Array.from(c[0].dataSync())).not.toEqual(Array.from(a[0].dataSync()));
        [optA, optB, optC].forEach((o) => o.dispose());
        [...a, ...b, ...c].forEach((t) => t.dispose());
      });
    }

    it('refuses a dict that does not fit, naming what, and leaves the optimizer as it was', () => {
      const p = freshParams();
      const opt = fe.optim.adam(p, { lr: 0.01 });
      stepWith(opt, p, 0);
      const good = opt.stateDict();
      const before = opt.stateDict();
      const other = fe.optim.adam([p[0]], { lr: 0.01 });
      expect(() => other.loadStateDict(good)).toThrow(/optim\.adam\.loadStateDict: the state dict holds 2 parameters, this optimizer 1/);
      expect(() => opt.loadStateDict({ ...good, state: { 0: { ...good.state[0], exp_avg: fe.zeros([2, 3]) } } })).toThrow(/parameter 0's 'exp_avg' must be a tensor of shape \[3, 2\], got \[2, 3\]/);
      expect(() => opt.loadStateDict({ ...good, state: { 0: { ...good.state[0], momentum_buffer: fe.zeros([3, 2]) } } })).toThrow(/has state 'momentum_buffer', which Adam with these options does not keep \(it keeps exp_avg, exp_avg_sq\)/);
      expect(() => opt.loadStateDict({ ...good, state: { 5: good.state[0] } })).toThrow(/state for parameter 5, but there are 2 parameters/);
      expect(() => opt.loadStateDict({ ...good, paramGroups: [{ ...good.paramGroups[0], lr: 0.5, amsgrad: true }] })).toThrow(/the state dict has amsgrad true, this optimizer false/);
      expect(() => opt.loadStateDict({ ...good, paramGroups: [{ ...good.paramGroups[0], lr: 0.5, eps: 'small' }] })).toThrow(/option 'eps' must be like 1e-8, got "small"/);
      expect(opt.learningRate).toBe(0.01); // the lr before the bad key was not taken
      expect(() => opt.loadStateDict({ ...good, paramGroups: [{ ...good.paramGroups[0], momentum: 0.9 }] })).toThrow(/unknown option 'momentum'/);
      expect(() => opt.loadStateDict({ ...good, state: { 0: { ...good.state[0], step: -1 } } })).toThrow(/parameter 0's step must be a non-negative integer, got -1/);
      expect(() => opt.loadStateDict(null as never)).toThrow(/expected \{ state, paramGroups \}/);
      const after = opt.stateDict();
      expect(after.state[0].step).toBe(before.state[0].step);
      expect(Array.from((after.state[0].exp_avg as fe.Tensor).dataSync())).toEqual(Array.from((before.state[0].exp_avg as fe.Tensor).dataSync()));
      stepWith(opt, p, 1); // still usable
      expect(opt.stateDict().state[0].step).toBe(2);
      [opt, other].forEach((o) => o.dispose());
      p.forEach((t) => t.dispose());
    });
  });
}
