/**
 * CTC: the loss against a brute-force sum over every alignment, its gradient against finite
 * differences, reductions and zeroInfinity by hand, wasm against js, the decoders against
 * brute force, error rates by hand, clear errors, and both training styles on a toy task.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from '../ts/index';
import type { Tensor } from '../ts/index';
import { backends, expectGradcheck, Gen, mulberry32, useBackend } from './helpers/gradcheck';

/** log-softmax of each frame, float64. */
function logSoftmax(logits: ArrayLike<number>, time: number, classes: number): Float64Array {
  const out = new Float64Array(time * classes);
  for (let t = 0; t < time; t++) {
    let m = -Infinity;
    for (let c = 0; c < classes; c++) m = Math.max(m, logits[t * classes + c]);
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(logits[t * classes + c] - m);
    for (let c = 0; c < classes; c++) out[t * classes + c] = logits[t * classes + c] - m - Math.log(s);
  }
  return out;
}

/** CTC's collapse: merge repeats, then drop blanks. */
function collapse(path: number[], blank: number): number[] {
  const out: number[] = [];
  path.forEach((c, i) => {
    if (c !== blank && (i === 0 || path[i - 1] !== c)) out.push(c);
  });
  return out;
}

/** Every path of length `time` over `classes`, with its collapsed labeling and log-probability. */
function allPaths(lp: Float64Array, time: number, classes: number, blank: number): { labeling: string; logP: number }[] {
  const out: { labeling: string; logP: number }[] = [];
  const path = new Array<number>(time).fill(0);
  const total = classes ** time;
  for (let code = 0; code < total; code++) {
    let r = code, logP = 0;
    for (let t = 0; t < time; t++) {
      path[t] = r % classes;
      r = Math.floor(r / classes);
      logP += lp[t * classes + path[t]];
    }
    out.push({ labeling: collapse(path, blank).join(','), logP });
  }
  return out;
}

/** −log p(label | logits) by summing over every alignment (Infinity when none exists). */
function bruteForceNll(logits: ArrayLike<number>, time: number, classes: number, label: number[], blank: number): number {
  const lp = logSoftmax(logits, time, classes);
  const key = label.join(',');
  let p = 0;
  for (const a of allPaths(lp, time, classes, blank)) if (a.labeling === key) p += Math.exp(a.logP);
  return -Math.log(p);
}

interface Case {
  time: number;
  classes: number;
  blank: number;
  /** Per sample: its label and its input length (≤ time). */
  samples: { label: number[]; frames: number }[];
}

const CASES: Case[] = [
  { time: 1, classes: 2, blank: 0, samples: [{ label: [1], frames: 1 }, { label: [], frames: 1 }] },
  { time: 2, classes: 3, blank: 0, samples: [{ label: [1, 2], frames: 2 }, { label: [2], frames: 2 }, { label: [1], frames: 1 }] },
  { time: 3, classes: 2, blank: 0, samples: [{ label: [1, 1], frames: 3 }] },
  { time: 4, classes: 3, blank: 0, samples: [{ label: [1, 1], frames: 4 }, { label: [2, 1, 2], frames: 4 }, { label: [], frames: 3 }] },
  { time: 5, classes: 4, blank: 0, samples: [{ label: [3, 1, 3], frames: 5 }, { label: [2, 2], frames: 4 }, { label: [1], frames: 2 }] },
  { time: 4, classes: 4, blank: 3, samples: [{ label: [0, 2], frames: 4 }, { label: [1, 1, 0], frames: 4 }] },
  { time: 5, classes: 3, blank: 2, samples: [{ label: [0, 1, 0, 1], frames: 5 }, { label: [1], frames: 5 }] },
];

function packCase(c: Case, seed: number) {
  const batch = c.samples.length;
  const maxLabel = Math.max(1, ...c.samples.map((s) => s.label.length));
  const rng = mulberry32(seed);
  const logits = Float32Array.from({ length: batch * c.time * c.classes }, () => 3 * (rng() - 0.5));
  const labels = new Int32Array(batch * maxLabel).fill(c.blank === 0 ? 1 : 0); // padding: ignored
  c.samples.forEach((s, b) => s.label.forEach((v, j) => { labels[b * maxLabel + j] = v; }));
  return {
    batch, maxLabel, logits,
    logitsT: () => fe.tensor(logits, [batch, c.time, c.classes]),
    labels: () => fe.tensor(labels, [batch, maxLabel], 'int32'),
    inputLengths: c.samples.map((s) => s.frames),
    labelLengths: c.samples.map((s) => s.label.length),
    want: c.samples.map((s, b) =>
      bruteForceNll(logits.subarray(b * c.time * c.classes, (b * c.time + s.frames) * c.classes), s.frames, c.classes, s.label, c.blank)),
  };
}

const relClose = (got: number, want: number, tol: number, what: string) => {
  if (!(Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)))) throw new Error(`${what}: got ${got}, want ${want}`);
};

describe.each(backends)('CTC loss on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(CASES.map((c, i) => [`T ${c.time}, C ${c.classes}, blank ${c.blank}, labels ${c.samples.map((s) => `[${s.label}]/${s.frames}`).join(' ')}`, i] as const))(
    'matches the brute-force sum over all alignments: %s', (_name, i) => {
      const c = CASES[i];
      const p = packCase(c, 100 + i);
      const loss = fe.losses.ctc({ logits: p.logitsT(), labels: p.labels(), inputLengths: p.inputLengths, labelLengths: p.labelLengths },
        { blank: c.blank, reduction: 'none' }).dataSync();
      p.want.forEach((w, b) => relClose(loss[b], w, 1e-4, `sample ${b}`));
    });

  it('reductions: none, sum, mean (each divided by its label length, at least 1, then averaged)', () => {
    const c = CASES[3];
    const p = packCase(c, 7);
    const args = { logits: p.logitsT(), labels: p.labels(), inputLengths: p.inputLengths, labelLengths: p.labelLengths };
    const sum = fe.losses.ctc(args, { reduction: 'sum' }).dataSync()[0];
    const mean = fe.losses.ctc(args).dataSync()[0];
    relClose(sum, p.want.reduce((a, b) => a + b, 0), 1e-4, 'sum');
    relClose(mean, p.want.reduce((a, w, b) => a + w / Math.max(1, p.labelLengths[b]), 0) / p.batch, 1e-4, 'mean');
  });

  it('an impossible alignment is Infinity, or 0 with zeroInfinity (and no gradient from it)', () => {
    // [1, 1] needs 3 frames (a blank between the repeats); [1, 2, 1] needs 3; give 2.
    const logits = fe.variable(fe.tensor(Float32Array.from({ length: 2 * 2 * 3 }, (_, i) => Math.sin(i)), [2, 2, 3]));
    const args = { logits, labels: [[1, 1], [1, 2]], inputLengths: [2, 2], labelLengths: [2, 2] };
    const none = fe.losses.ctc(args, { reduction: 'none' }).dataSync();
    expect(none[0]).toBe(Infinity);
    expect(Number.isFinite(none[1])).toBe(true);
    const z = fe.losses.ctc(args, { reduction: 'sum', zeroInfinity: true });
    relClose(z.dataSync()[0], none[1], 1e-6, 'zeroInfinity sum');
    z.backward();
    const g = logits.grad!.dataSync();
    expect(Array.from(g.slice(0, 6))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(g.slice(6).some((v) => Math.abs(v) > 1e-3)).toBe(true);
  });

  it('gradient w.r.t. the logits matches finite differences (per-sample lengths, repeats, padding)', () => {
    const gen = new Gen(3);
    const x = gen.uniform([3, 6, 4], -1.5, 1.5);
    const labels = fe.tensor([[1, 1, 2], [3, 2, 0], [2, 0, 0]], [3, 3], 'int32');
    for (const reduction of ['sum', 'mean'] as const) {
      expectGradcheck(([l]) => fe.losses.ctc({ logits: l, labels, inputLengths: [6, 5, 3], labelLengths: [3, 2, 1] }, { reduction }), [x], { rtol: 2e-2, atol: 2e-3 });
    }
    expectGradcheck(([l]) => fe.sum(fe.mul(fe.losses.ctc({ logits: l, labels: [[2, 1]], inputLengths: [5], labelLengths: [2] }, { blank: 3, reduction: 'none' }), 1.7)),
      [gen.uniform([1, 5, 4], -1, 1)], { rtol: 2e-2, atol: 2e-3 });
  });

  it('long inputs stay finite (log space): T = 1000', () => {
    const rng = mulberry32(9);
    const time = 1000, classes = 6;
    const logits = fe.tensor(Float32Array.from({ length: time * classes }, () => 8 * (rng() - 0.5)), [1, time, classes]);
    const label = Array.from({ length: 200 }, (_, i) => 1 + (i % 5));
    const l = fe.losses.ctc({ logits, labels: [label], inputLengths: [time], labelLengths: [200] }, { reduction: 'none' }).dataSync()[0];
    expect(Number.isFinite(l)).toBe(true);
    expect(l).toBeGreaterThan(100);
  });

  it('bad input: clear errors naming ctcLoss, and the backend stays usable', () => {
    const logits = fe.zeros([2, 4, 3]);
    const ok = { logits, labels: [[1, 2], [2, 1]], inputLengths: [4, 4], labelLengths: [2, 2] };
    expect(() => fe.losses.ctc({ ...ok, labels: [[1, 3], [2, 1]] })).toThrow(/ctcLoss/);
    expect(() => fe.losses.ctc({ ...ok, labels: [[1, 0], [2, 1]] })).toThrow(/ctcLoss/);
    expect(() => fe.losses.ctc({ ...ok, inputLengths: [5, 4] })).toThrow(/ctcLoss/);
    expect(() => fe.losses.ctc({ ...ok, labelLengths: [3, 2] })).toThrow(/ctcLoss/);
    expect(() => fe.losses.ctc({ ...ok, logits: fe.zeros([4, 3]) })).toThrow(/ctcLoss: logits must have shape \[batch, time, classes\], got \[4, 3\]/);
    expect(() => fe.losses.ctc(ok, { blank: 3 })).toThrow(/blank 3 is outside \[0, 3\)/);
    expect(Number.isFinite(fe.losses.ctc(ok).dataSync()[0])).toBe(true);
  });
});

describe('CTC: wasm and js agree', () => {
  it.runIf(backends.includes('wasm'))('loss and gradient on T 50, batch 4, 12 classes', async () => {
    const rng = mulberry32(21);
    const logits = Float32Array.from({ length: 4 * 50 * 12 }, () => 4 * (rng() - 0.5));
    const labels = Int32Array.from({ length: 4 * 15 }, () => 1 + Math.floor(rng() * 11));
    const run = async (b: 'js' | 'wasm') => {
      await useBackend(b);
      const x = fe.variable(fe.tensor(logits, [4, 50, 12]));
      const loss = fe.losses.ctc({ logits: x, labels: fe.tensor(labels, [4, 15], 'int32'), inputLengths: [50, 47, 40, 33], labelLengths: [15, 12, 9, 1] }, { reduction: 'sum' });
      loss.backward();
      return { loss: loss.dataSync()[0], grad: x.grad!.dataSync() };
    };
    const js = await run('js');
    const wasm = await run('wasm');
    relClose(wasm.loss, js.loss, 1e-4, 'loss');
    for (let i = 0; i < js.grad.length; i++) {
      if (!(Math.abs(wasm.grad[i] - js.grad[i]) <= 1e-4)) throw new Error(`grad ${i}: wasm ${wasm.grad[i]}, js ${js.grad[i]}`);
    }
  });
});

describe.each(backends)('CTC decoders and error rates on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('greedyDecode: best class per frame, repeats merged, blanks dropped, per-sample lengths', () => {
    // argmax paths: sample 0 → 1 1 0 1 2 2 0 ; sample 1 → 2 0 2 2 (then frames past its length)
    const seq = [[1, 1, 0, 1, 2, 2, 0], [2, 0, 2, 2, 1, 1, 1]];
    const logits = fe.tensor(seq.flatMap((s) => s.flatMap((c) => [0, 1, 2].map((k) => (k === c ? 2 : 0)))), [2, 7, 3]);
    const r = fe.ctc.greedyDecode(logits, { inputLengths: [7, 4] });
    expect(r.sequences).toEqual([[1, 1, 2], [2, 2]]);
    expect(fe.ctc.greedyDecode(logits, { inputLengths: [7, 4], mergeRepeated: false }).sequences).toEqual([[1, 1, 1, 2, 2], [2, 2, 2]]);
    expect(fe.ctc.greedyDecode(logits, { blank: 2 }).sequences[0]).toEqual([1, 0, 1, 0]);
    const lp = logSoftmax(logits.dataSync().slice(0, 21), 7, 3);
    relClose(r.logProbs[0], seq[0].reduce((a, c, t) => a + lp[t * 3 + c], 0), 1e-5, 'greedy log-probability');
  });

  it('beamSearchDecode finds the most probable labeling (brute force), with its total log-probability; topPaths in order', () => {
    const rng = mulberry32(5);
    for (let trial = 0; trial < 4; trial++) {
      const time = 5, classes = 3;
      const logits = Float32Array.from({ length: time * classes }, () => 3 * (rng() - 0.5));
      const byLabel = new Map<string, number>();
      for (const a of allPaths(logSoftmax(logits, time, classes), time, classes, 0)) {
        byLabel.set(a.labeling, (byLabel.get(a.labeling) ?? 0) + Math.exp(a.logP));
      }
      const ranked = [...byLabel.entries()].sort((a, b) => b[1] - a[1]);
      const r = fe.ctc.beamSearchDecode(fe.tensor(logits, [1, time, classes]), { beamWidth: 64, topPaths: 3 });
      for (let k = 0; k < 3; k++) {
        expect(r.paths[0][k].join(',')).toBe(ranked[k][0]);
        relClose(r.logProbs[0][k], Math.log(ranked[k][1]), 1e-4, `top ${k} log-probability`);
      }
      // The best labeling's log-probability is −(its CTC loss).
      const best = r.paths[0][0];
      if (best.length) {
        const nll = fe.losses.ctc({ logits: fe.tensor(logits, [1, time, classes]), labels: [best], inputLengths: [time], labelLengths: [best.length] }, { reduction: 'none' }).dataSync()[0];
        relClose(r.logProbs[0][0], -nll, 1e-4, 'beam log-probability vs CTC loss');
      }
    }
  });

  it('editDistance and errorRate by hand', () => {
    expect(fe.ctc.editDistance('kitten', 'sitting')).toBe(3);
    expect(fe.ctc.editDistance([1, 2, 3], [1, 3])).toBe(1);
    expect(fe.ctc.editDistance([], [4, 4])).toBe(2);
    expect(fe.ctc.errorRate([[1, 2, 3], [4]], [[1, 3], [4, 5]])).toBeCloseTo(2 / 4, 10);
    expect(() => fe.ctc.errorRate([[1]], [])).toThrow(/1 references but 0 hypotheses/);
  });
});

/** A toy sequence task: frame features spell the label with blanks between (one-hot of the class, noisy). */
function toyData(n: number, seed: number) {
  const rng = mulberry32(seed);
  const time = 8, classes = 4, feat = 4;
  const x = new Float32Array(n * time * feat);
  const labels: number[][] = [];
  for (let i = 0; i < n; i++) {
    const len = 1 + Math.floor(rng() * 3);
    const label = Array.from({ length: len }, () => 1 + Math.floor(rng() * 3));
    labels.push(label);
    const frames = new Array(time).fill(0);
    label.forEach((c, j) => { frames[2 * j + 1] = c; });
    frames.forEach((c, t) => {
      for (let f = 0; f < feat; f++) x[(i * time + t) * feat + f] = (f === c ? 1 : 0) + 0.1 * (rng() - 0.5);
    });
  }
  return { x: fe.tensor(x, [n, time, feat]), labels, time, classes, feat };
}

describe('CTC training', () => {
  beforeAll(() => useBackend(backends.includes('wasm') ? 'wasm' : 'js'));

  it('Keras style: compile({ loss: "ctc" }) and ctc.lossFn with input lengths learn a toy task', async () => {
    fe.setRandomSeed(3);
    const d = toyData(64, 1);
    for (const loss of ['ctc', fe.ctc.lossFn({ withInputLengths: true })] as const) {
      const model = fe.sequential({ layers: [
        fe.layers.timeDistributed({ layer: fe.layers.dense({ units: 16, activation: 'relu' }), inputShape: [d.time, d.feat] }),
        fe.layers.timeDistributed({ layer: fe.layers.dense({ units: d.classes }) }),
      ] });
      model.compile({ optimizer: fe.train.adam(0.05), loss });
      const y = typeof loss === 'string' ? fe.ctc.packTargets(d.labels) : fe.ctc.packTargets(d.labels, { inputLengths: d.labels.map(() => d.time) });
      const h = await model.fit(d.x, y, { epochs: 40, batchSize: 16, verbose: 0 });
      const losses = h.history.loss as number[];
      expect(losses[losses.length - 1]).toBeLessThan(0.2 * losses[0]);
      const decoded = fe.ctc.greedyDecode(model.predict(d.x) as Tensor).sequences;
      expect(fe.ctc.errorRate(d.labels, decoded)).toBeLessThan(0.05);
    }
  });

  it('PyTorch style: parameters, adam, loss.backward(), step', () => {
    fe.setRandomSeed(4);
    const d = toyData(64, 2);
    const l1 = fe.layers.dense({ units: 16, activation: 'relu' }), l2 = fe.layers.dense({ units: d.classes });
    const forward = (x: Tensor) => l2.apply(l1.apply(x) as Tensor) as Tensor;
    fe.noGrad(() => fe.tidy(() => forward(d.x)));
    const opt = fe.optim.adam([...l1.trainableWeights, ...l2.trainableWeights], { lr: 0.05 });
    const labelLengths = d.labels.map((l) => l.length);
    const labels = d.labels.map((l) => [...l, 0, 0, 0].slice(0, 3));
    const inputLengths = d.labels.map(() => d.time);
    let first = 0, last = 0;
    for (let step = 0; step < 120; step++) {
      last = fe.tidy(() => {
        opt.zeroGrad();
        const loss = fe.losses.ctc({ logits: forward(d.x), labels, inputLengths, labelLengths });
        loss.backward();
        opt.step();
        return loss.dataSync()[0];
      });
      if (step === 0) first = last;
    }
    expect(last).toBeLessThan(0.1 * first);
    const decoded = fe.ctc.beamSearchDecode(fe.noGrad(() => forward(d.x)), { beamWidth: 8 }).paths.map((p) => p[0]);
    expect(fe.ctc.errorRate(d.labels, decoded)).toBeLessThan(0.05);
  });
});
