/**
 * CTC: the loss against a brute-force sum over every alignment, its gradient against finite
 * differences, reductions and zeroInfinity by hand, wasm against js, the decoders against
 * brute force, error rates by hand, clear errors, and both training styles on a toy task.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import type { Tensor } from 'ferrite-ml';
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
    const x = fe.variable(logits);
    const loss = fe.losses.ctc({ logits: x, labels: [label], inputLengths: [time], labelLengths: [200] }, { reduction: 'sum' });
    const l = loss.dataSync()[0];
    expect(Number.isFinite(l)).toBe(true);
    expect(l).toBeGreaterThan(100);
    loss.backward();
    const g = x.grad!.dataSync();
    expect(g.every((v) => Number.isFinite(v))).toBe(true);
    // Each frame's gradient is softmax − posterior occupancy: it sums to zero.
    for (let t = 0; t < time; t += 37) expect(Math.abs(Array.from(g.slice(t * classes, (t + 1) * classes)).reduce((a, v) => a + v, 0))).toBeLessThan(1e-4);
  });

  it('tensor inputs (int32 or float32 lengths and labels) give the same loss as plain arrays', () => {
    const p = packCase(CASES[4], 11);
    const fromArrays = fe.losses.ctc({ logits: p.logitsT(), labels: p.labels(), inputLengths: p.inputLengths, labelLengths: p.labelLengths }, { reduction: 'none' }).dataSync();
    const fromTensors = fe.losses.ctc({
      logits: p.logitsT(), labels: fe.cast(p.labels(), 'float32'),
      inputLengths: fe.tensor(p.inputLengths, [p.batch], 'int32'), labelLengths: fe.tensor(p.labelLengths, [p.batch]),
    }, { reduction: 'none' }).dataSync();
    expect(Array.from(fromTensors)).toEqual(Array.from(fromArrays));
  });

  it('frees what it allocates: only the gradient survives a tidy step', () => {
    const p = packCase(CASES[4], 12);
    const x = fe.variable(p.logitsT());
    const labels = p.labels();
    const before = fe.memory().numTensors;
    fe.tidy(() => {
      fe.losses.ctc({ logits: x, labels, inputLengths: p.inputLengths, labelLengths: p.labelLengths }).backward();
    });
    expect(fe.memory().numTensors - before).toBe(1); // x.grad
    fe.tidy(() => { fe.losses.ctc({ logits: x, labels, inputLengths: p.inputLengths, labelLengths: p.labelLengths }, { reduction: 'none' }); });
    expect(fe.memory().numTensors - before).toBe(1);
  });

  it('bad input: clear errors naming ctcLoss with expected and actual, nothing leaked, still usable', () => {
    const logits = fe.variable(fe.tensor(Float32Array.from({ length: 24 }, (_, i) => Math.cos(i)), [2, 4, 3]));
    const ok = { logits, labels: [[1, 2], [2, 1]], inputLengths: [4, 4], labelLengths: [2, 2] };
    const shapes = [fe.zeros([4, 3]), fe.zeros([2, 2, 1], 'int32'), fe.zeros([2, 1], 'int32'), fe.zeros([2, 4, 3], 'int32')];
    const before = fe.memory().numTensors;
    const bad: [Partial<typeof ok> | Record<string, unknown>, object, RegExp][] = [
      [{ labels: [[1, 3], [2, 1]] }, {}, /^ctcLoss: sample 0: label \[0, 1\] = 3 is outside \[0, 3\)$/],
      [{ labels: [[1, 2], [-1, 1]] }, {}, /^ctcLoss: sample 1: label \[1, 0\] = -1 is outside \[0, 3\)$/],
      [{ labels: [[1, 0], [2, 1]] }, {}, /^ctcLoss: sample 0: label \[0, 1\] is the blank class 0$/],
      [{}, { blank: 2 }, /^ctcLoss: sample 0: label \[0, 1\] is the blank class 2$/],
      [{ inputLengths: [4, 5] }, {}, /^ctcLoss: sample 1: input length 5 is outside \[0, 4\] \(the logits' time axis\)$/],
      [{ inputLengths: [-1, 4] }, {}, /^ctcLoss: sample 0: input length -1 is outside \[0, 4\]/],
      [{ labelLengths: [3, 2] }, {}, /^ctcLoss: sample 0: label length 3 is outside \[0, 2\] \(the labels' second axis\)$/],
      [{ logits: shapes[0] }, {}, /^ctcLoss: logits must have shape \[batch, time, classes\], got \[4, 3\]$/],
      [{ logits: shapes[3] }, {}, /^ctcLoss: logits must be float32, got int32$/],
      [{ labels: shapes[1] }, {}, /^ctcLoss: labels must have shape \[2, maxLabel\] for logits \[2, 4, 3\], got \[2, 2, 1\]$/],
      [{ labels: [[1, 2]] }, {}, /^ctcLoss: labels must have shape \[2, maxLabel\] for logits \[2, 4, 3\], got \[1, 2\]$/],
      [{ labels: [[1, 2], [1]] }, {}, /^ctcLoss: labels rows must all have the same length \(pad them\): row 0 has 2, row 1 has 1$/],
      [{ inputLengths: [4] }, {}, /^ctcLoss: inputLengths must have shape \[2\], got \[1\]$/],
      [{ labelLengths: shapes[2] }, {}, /^ctcLoss: labelLengths must have shape \[2\], got \[2, 1\]$/],
      [{}, { blank: 3 }, /^ctcLoss: blank 3 is outside \[0, 3\) for logits of shape \[2, 4, 3\]$/],
      [{}, { reduction: 'avg' }, /^ctcLoss: reduction must be 'none', 'mean' or 'sum', got 'avg'$/],
    ];
    for (const [change, options, message] of bad) {
      expect(() => fe.losses.ctc({ ...ok, ...change } as typeof ok, options)).toThrow(message);
    }
    expect(fe.memory().numTensors).toBe(before);
    // Still usable: a valid call right after gives the brute-force values and a gradient.
    const loss = fe.losses.ctc(ok, { reduction: 'sum' });
    const v = logits.dataSync();
    relClose(loss.dataSync()[0], bruteForceNll(v.slice(0, 12), 4, 3, [1, 2], 0) + bruteForceNll(v.slice(12), 4, 3, [2, 1], 0), 1e-4, 'after errors');
    loss.backward();
    expect(logits.grad!.dataSync().some((g) => g !== 0)).toBe(true);
  });

  it('Keras-style loss: softmax outputs give the loss of their logits; targets padded with −1, optional input lengths', () => {
    const p = packCase(CASES[4], 13);
    const want = p.want.reduce((a, w, b) => a + w / Math.max(1, p.labelLengths[b]), 0) / p.batch;
    const labels = CASES[4].samples.map((s) => s.label);
    const ragged = fe.ctc.packTargets(labels, { inputLengths: p.inputLengths });
    expect(Array.from(ragged.dataSync())).toEqual([5, 3, 1, 3, 4, 2, 2, -1, 2, 1, -1, -1]);
    const fn = fe.ctc.lossFn({ withInputLengths: true });
    relClose(fn(ragged, p.logitsT()).dataSync()[0], want, 1e-4, 'logits');
    // A final softmax: its log is the log-softmax of the logits, so the loss is the same,
    // and so is the gradient w.r.t. the logits through the softmax.
    const x = fe.variable(p.logitsT());
    const viaSoftmax = fn(ragged, fe.softmax(x));
    relClose(viaSoftmax.dataSync()[0], want, 1e-4, 'softmax');
    viaSoftmax.backward();
    const gSoftmax = x.grad!.dataSync().slice();
    x.grad = null;
    fn(ragged, x).backward();
    const gLogits = x.grad!.dataSync();
    for (let i = 0; i < gLogits.length; i++) expect(Math.abs(gSoftmax[i] - gLogits[i])).toBeLessThan(1e-4);
    // One sample's targets may be a single row; without input lengths every frame counts.
    const one = fe.ctc.lossFn({ reduction: 'sum' })(fe.tensor([2, 1, -1]), fe.tensor(p.logits.slice(0, 20), [1, 5, 4]));
    relClose(one.dataSync()[0], bruteForceNll(p.logits.slice(0, 20), 5, 4, [2, 1], 0), 1e-4, 'one row');
    expect(() => fn(fe.tensor([[1, 2]]), p.logitsT())).toThrow(/^ctc loss: targets must have shape \[3, 1 \+ maxLabel\], got \[1, 2\]$/);
    expect(() => fe.ctc.packTargets([[1, -2]])).toThrow(/packTargets: label 0 has a negative class -2/);
    expect(() => fe.ctc.packTargets([[1, 2, 3]], { maxLabel: 2 })).toThrow(/label 0 has 3 classes, more than maxLabel = 2/);
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

  it.runIf(backends.includes('wasm'))('per-sample losses and gradient with blank 11, repeats, an impossible sample, zeroInfinity, mean', async () => {
    const rng = mulberry32(22);
    const [batch, time, classes, maxLabel] = [5, 30, 12, 12];
    const logits = Float32Array.from({ length: batch * time * classes }, () => 6 * (rng() - 0.5));
    // Labels from classes 0..10 in runs of three; sample 3's (1 1 1 2 2 2 3 3 3 4 4 4) needs
    // 12 frames plus one blank per repeat, 20, and has 19.
    const labels = Int32Array.from({ length: batch * maxLabel }, (_, i) => Math.floor(i / 3) % 11);
    const inputLengths = [30, 29, 17, 19, 1], labelLengths = [12, 7, 5, 12, 0];
    const run = async (b: 'js' | 'wasm') => {
      await useBackend(b);
      const x = fe.variable(fe.tensor(logits, [batch, time, classes]));
      const args = { logits: x, labels: fe.tensor(labels, [batch, maxLabel], 'int32'), inputLengths, labelLengths };
      const none = fe.losses.ctc(args, { blank: 11, reduction: 'none' }).dataSync().slice();
      fe.losses.ctc(args, { blank: 11, zeroInfinity: true }).backward();
      return { none, grad: x.grad!.dataSync() };
    };
    const js = await run('js');
    const wasm = await run('wasm');
    expect(js.none[3]).toBe(Infinity);
    expect(wasm.none[3]).toBe(Infinity);
    for (const b of [0, 1, 2, 4]) relClose(wasm.none[b], js.none[b], 1e-4, `sample ${b}`);
    for (let i = 0; i < js.grad.length; i++) {
      if (!(Math.abs(wasm.grad[i] - js.grad[i]) <= 1e-5)) throw new Error(`grad ${i}: wasm ${wasm.grad[i]}, js ${js.grad[i]}`);
    }
    expect(js.grad.slice(3 * time * classes, 4 * time * classes).every((g) => g === 0)).toBe(true);
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

  it('beamSearchDecode: blank 2, per-sample input lengths, every top path scored as −(its CTC loss)', () => {
    const rng = mulberry32(6);
    const [batch, time, classes, blank] = [3, 5, 4, 2];
    const logits = Float32Array.from({ length: batch * time * classes }, () => 4 * (rng() - 0.5));
    const inputLengths = [5, 3, 0];
    const r = fe.ctc.beamSearchDecode(fe.tensor(logits, [batch, time, classes]), { beamWidth: 128, topPaths: 4, blank, inputLengths });
    for (let b = 0; b < 2; b++) {
      const tb = inputLengths[b];
      const byLabel = new Map<string, number>();
      for (const a of allPaths(logSoftmax(logits.subarray(b * time * classes, (b * time + tb) * classes), tb, classes), tb, classes, blank)) {
        byLabel.set(a.labeling, (byLabel.get(a.labeling) ?? 0) + Math.exp(a.logP));
      }
      const ranked = [...byLabel.entries()].sort((x, y) => y[1] - x[1]);
      expect(r.paths[b].map((q) => q.join(','))).toEqual(ranked.slice(0, 4).map((e) => e[0]));
      for (let k = 0; k < 4; k++) {
        expect(r.logProbs[b][k]).toBeLessThanOrEqual(k ? r.logProbs[b][k - 1] : 0);
        const q = r.paths[b][k];
        const nll = fe.losses.ctc({
          logits: fe.tensor(logits.slice(b * time * classes, (b + 1) * time * classes), [1, time, classes]),
          labels: [q.length ? q : [0]], inputLengths: [tb], labelLengths: [q.length],
        }, { blank, reduction: 'none' }).dataSync()[0];
        relClose(r.logProbs[b][k], -nll, 1e-4, `sample ${b} path ${k}`);
      }
    }
    // No frames: the empty labeling, probability 1.
    expect(r.paths[2]).toEqual([[]]);
    expect(r.logProbs[2]).toEqual([0]);
    // A narrow beam still returns its paths best first.
    const narrow = fe.ctc.beamSearchDecode(fe.tensor(logits, [batch, time, classes]), { beamWidth: 3, topPaths: 3, blank });
    expect(narrow.logProbs[0].every((v, k, a) => k === 0 || v <= a[k - 1])).toBe(true);
  });

  it('decoders: clear errors for bad arguments', () => {
    const logits = fe.zeros([2, 4, 3]);
    expect(() => fe.ctc.greedyDecode(fe.zeros([4, 3]))).toThrow(/^greedyDecode: logits must have shape \[batch, time, classes\], got \[4, 3\]$/);
    expect(() => fe.ctc.greedyDecode(logits, { inputLengths: [5, 1] })).toThrow(/^greedyDecode: inputLengths\[0\] = 5 is outside \[0, 4\]$/);
    expect(() => fe.ctc.greedyDecode(logits, { inputLengths: [4] })).toThrow(/^greedyDecode: inputLengths must have 2 entries, got 1$/);
    expect(() => fe.ctc.beamSearchDecode(logits, { beamWidth: 0 })).toThrow(/^beamSearchDecode: beamWidth must be a positive integer, got 0$/);
    expect(() => fe.ctc.beamSearchDecode(logits, { beamWidth: 2, topPaths: 3 })).toThrow(/^beamSearchDecode: topPaths must be an integer in \[1, beamWidth = 2\], got 3$/);
    expect(() => fe.ctc.beamSearchDecode(logits, { blank: 5 })).toThrow(/^beamSearchDecode: blank 5 is outside \[0, 3\)$/);
    expect(fe.ctc.greedyDecode(logits, { inputLengths: fe.tensor([4, 0], [2], 'int32') }).sequences).toEqual([[], []]);
  });

  it('error rates: character (strings), word (token arrays), and empty references', () => {
    expect(fe.ctc.errorRate(['hello world', 'abc'], ['helo wrld', 'abd'])).toBeCloseTo(3 / 14, 12);
    const words = (t: string) => t.split(' ');
    expect(fe.ctc.errorRate([words('the cat sat'), words('on the mat')], [words('the cat sat down'), words('on mat')])).toBeCloseTo(2 / 6, 12);
    expect(fe.ctc.editDistance('', '')).toBe(0);
    expect(fe.ctc.editDistance('abc', '')).toBe(3);
    expect(fe.ctc.errorRate([[]], [[]])).toBe(0);
    expect(fe.ctc.errorRate([[]], [[1]])).toBe(Infinity);
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

  it('a fit with bad targets fails naming ctcLoss and leaves the model usable', async () => {
    fe.setRandomSeed(5);
    const d = toyData(16, 3);
    const model = fe.sequential({ layers: [fe.layers.timeDistributed({ layer: fe.layers.dense({ units: d.classes }), inputShape: [d.time, d.feat] })] });
    model.compile({ optimizer: fe.train.adam(0.05), loss: 'ctc' });
    fe.tidy(() => { model.predict(d.x); });
    const weights = model.weights.map((w) => w.dataSync().slice());
    const before = fe.memory().numTensors;
    const bad = fe.ctc.packTargets(d.labels.map((l, i) => (i === 5 ? [...l, d.classes] : l)));
    await expect(model.fit(d.x, bad, { epochs: 1, batchSize: 16, verbose: 0 })).rejects.toThrow(/^ctcLoss: sample \d+: label \[\d+, \d\] = 4 is outside \[0, 4\)$/);
    // Same as before the failed step, and nothing left behind.
    model.weights.forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(weights[i])));
    bad.dispose();
    expect(fe.memory().numTensors).toBe(before);
    const h = await model.fit(d.x, fe.ctc.packTargets(d.labels), { epochs: 3, batchSize: 8, verbose: 0 });
    const losses = h.history.loss as number[];
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[2]).toBeLessThan(losses[0]);
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
