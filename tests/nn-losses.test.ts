/**
 * fe.nn losses against PyTorch's formulas computed here in float64 (class weights,
 * ignoreIndex, label smoothing, posWeight, every reduction), their gradients by finite
 * differences, the functional forms, and their errors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import type { Tensor } from 'ferrite-ml';
import { backends, expectGradcheck, Gen, useBackend } from './helpers/gradcheck';
import { expectClose, mulberry32, uniform } from './helpers/reference';

const TOL = { rtol: 1e-5, atol: 1e-6 };
const vals = (t: Tensor) => Array.from(t.dataSync());
type Red = 'mean' | 'sum' | 'none';

function logSoftmaxRow(row: number[]): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
  return row.map((v) => v - lse);
}

function reduceRef(per: number[], reduction: Red, divisor = per.length): number[] {
  if (reduction === 'none') return per;
  const s = per.reduce((a, b) => a + b, 0);
  return [reduction === 'sum' ? s : s / divisor];
}

/** PyTorch's cross_entropy on class ids (label smoothing as aten's cross_entropy_loss_label_smoothing). */
function refCrossEntropy(logits: number[][], targets: number[], o: { weight?: number[]; ignore?: number; eps?: number; reduction: Red }): number[] {
  const C = logits[0].length, eps = o.eps ?? 0, ignore = o.ignore ?? -100;
  const per: number[] = [];
  let wsum = 0;
  logits.forEach((row, i) => {
    const t = targets[i];
    if (t === ignore) return per.push(0);
    const lp = logSoftmaxRow(row);
    const wt = o.weight ? o.weight[t] : 1;
    const smooth = -lp.reduce((s, v, c) => s + (o.weight ? o.weight[c] : 1) * v, 0);
    per.push((1 - eps) * -wt * lp[t] + (eps / C) * smooth);
    wsum += wt;
  });
  return reduceRef(per, o.reduction, wsum);
}

/** PyTorch's cross_entropy on class probabilities. */
function refCrossEntropyProbs(logits: number[][], probs: number[][], o: { weight?: number[]; eps?: number; reduction: Red }): number[] {
  const C = logits[0].length, eps = o.eps ?? 0;
  const per = logits.map((row, i) => {
    const lp = logSoftmaxRow(row);
    return -lp.reduce((s, v, c) => s + (o.weight ? o.weight[c] : 1) * ((1 - eps) * probs[i][c] + eps / C) * v, 0);
  });
  return reduceRef(per, o.reduction);
}

const rows = (flat: ArrayLike<number>, cols: number) => Array.from({ length: flat.length / cols }, (_, i) => Array.from(flat).slice(i * cols, i * cols + cols));

describe.each(backends)('fe.nn losses on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  const N = 6, C = 4;
  const logitsFlat = uniform(mulberry32(1), N * C, -3, 3);
  const logits = () => fe.tensor(logitsFlat, [N, C]);
  const targets = [0, 3, 1, 3, 2, -100];
  const weight = [0.5, 2, 1, 0.25];

  it('crossEntropyLoss: class ids with weights, ignoreIndex (default −100), label smoothing, every reduction', () => {
    const L = rows(logitsFlat, C);
    const ids = fe.tensor(targets, [N], 'int32');
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      for (const o of [{}, { weight }, { eps: 0.1 }, { weight, eps: 0.2 }, { ignore: 3 }]) {
        const opts = {
          reduction, ...(o.weight ? { weight: fe.tensor(o.weight) } : {}), ...(o.eps ? { labelSmoothing: o.eps } : {}),
          ...(o.ignore !== undefined ? { ignoreIndex: o.ignore } : {}),
        };
        const t = o.ignore !== undefined ? [0, 3, 1, 3, 2, 1] : targets;
        const got = fe.nn.crossEntropyLoss(opts)(logits(), o.ignore !== undefined ? fe.tensor(t, [N], 'int32') : ids);
        expectClose(vals(got), refCrossEntropy(L, t, { ...o, reduction }), TOL, `${reduction} ${JSON.stringify(o)}`);
      }
    }
    // float32 class ids work too; the fused path (no weights, nothing ignored) gives the same.
    const kept = [0, 3, 1, 3, 2, 1];
    expectClose(vals(fe.nn.crossEntropyLoss()(logits(), fe.tensor(kept))), refCrossEntropy(L, kept, { reduction: 'mean' }), TOL, 'float ids');
  });

  it('crossEntropyLoss: class probabilities with weights and label smoothing; on [batch, steps, classes]', () => {
    const L = rows(logitsFlat, C);
    const p = rows(uniform(mulberry32(2), N * C, 0, 1), C).map((r) => r.map((v) => v / r.reduce((a, b) => a + b, 0)));
    const pt = fe.tensor(p.flat(), [N, C]);
    for (const o of [{}, { weight }, { eps: 0.3 }, { weight, eps: 0.1 }]) {
      for (const reduction of ['mean', 'none'] as const) {
        const got = fe.nn.crossEntropyLoss({ reduction, ...(o.weight ? { weight: fe.tensor(o.weight) } : {}), ...(o.eps ? { labelSmoothing: o.eps } : {}) })(logits(), pt);
        expectClose(vals(got), refCrossEntropyProbs(L, p, { ...o, reduction }), TOL, `${reduction} ${JSON.stringify(o)}`);
      }
    }
    const seq = fe.nn.crossEntropyLoss({ reduction: 'none' })(fe.tensor(logitsFlat, [2, 3, C]), fe.tensor([0, 1, 2, 3, 0, 1], [2, 3], 'int32'));
    expect(seq.shape).toEqual([2, 3]);
    expectClose(vals(seq), refCrossEntropy(L, [0, 1, 2, 3, 0, 1], { reduction: 'none' }), TOL, 'sequence');
  });

  it('nllLoss on log-probabilities equals crossEntropyLoss on the logits; weights and ignoreIndex', () => {
    const lp = fe.logSoftmax(logits(), -1);
    const ids = fe.tensor(targets, [N], 'int32');
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      expectClose(vals(fe.nn.nllLoss({ reduction, weight: fe.tensor(weight) })(lp, ids)), vals(fe.nn.crossEntropyLoss({ reduction, weight: fe.tensor(weight) })(logits(), ids)), TOL, reduction);
    }
    // Hand-checked: targets 0 and 3 weigh 0.5 and 0.25: −(0.5·lp[0,0] + 0.25·lp[1,3]) / 0.75.
    const lpv = vals(lp);
    expect(fe.nn.nllLoss({ weight: fe.tensor(weight) })(fe.slice(lp, [0, 0], [2, C]), fe.tensor([0, 3], [2], 'int32')).item())
      .toBeCloseTo(-(0.5 * lpv[0] + 0.25 * lpv[C + 3]) / 0.75, 5);
  });

  it('bceLoss: −w·(y·log x + (1 − y)·log(1 − x)), logs clamped at −100 as PyTorch; weight broadcast', () => {
    const x = uniform(mulberry32(3), N * C, 0.02, 0.98), y = uniform(mulberry32(4), N * C, 0, 1);
    const per = Array.from(x, (v, i) => -(y[i] * Math.log(v) + (1 - y[i]) * Math.log(1 - v)));
    const xt = fe.tensor(x, [N, C]), yt = fe.tensor(y, [N, C]);
    expectClose(vals(fe.nn.bceLoss()(xt, yt)), reduceRef(per, 'mean'), TOL, 'mean');
    expectClose(vals(fe.nn.bceLoss({ reduction: 'none', weight: fe.tensor(weight) })(xt, yt)), per.map((v, i) => v * weight[i % C]), TOL, 'weighted');
    expectClose(vals(fe.nn.bceLoss({ reduction: 'none' })(fe.tensor([0, 1, 0, 1]), fe.tensor([0, 1, 1, 0]))), [0, 0, 100, 100], { atol: 1e-4 }, 'clamped');
    expect(() => fe.nn.bceLoss()(fe.tensor([0.5, 1.5]), fe.tensor([0, 1]))).toThrow(/bceLoss: every input must be a probability in \[0, 1\], got 1.5 at 1 \(use bceWithLogitsLoss for logits\)/);
  });

  it('bceWithLogitsLoss: posWeight per class and weight, stable for large logits', () => {
    const x = uniform(mulberry32(5), N * C, -4, 4), y = uniform(mulberry32(6), N * C, 0, 1);
    const pw = [1, 3, 0.5, 2];
    const ls = (v: number) => -Math.log1p(Math.exp(-v)); // log σ(v)
    const per = (p: number[] | null) => Array.from(x, (v, i) => -((p ? p[i % C] : 1) * y[i] * ls(v) + (1 - y[i]) * ls(-v)));
    const xt = fe.tensor(x, [N, C]), yt = fe.tensor(y, [N, C]);
    expectClose(vals(fe.nn.bceWithLogitsLoss()(xt, yt)), reduceRef(per(null), 'mean'), TOL, 'plain');
    expectClose(vals(fe.nn.bceWithLogitsLoss({ posWeight: fe.tensor(pw), reduction: 'sum' })(xt, yt)), reduceRef(per(pw), 'sum'), { rtol: 2e-5 }, 'posWeight');
    expectClose(vals(fe.nn.bceWithLogitsLoss({ posWeight: fe.tensor(pw), weight: fe.tensor(weight), reduction: 'none' })(xt, yt)), per(pw).map((v, i) => v * weight[i % C]), TOL, 'both');
    const big = vals(fe.nn.bceWithLogitsLoss({ reduction: 'none', posWeight: fe.tensor([2, 2]) })(fe.tensor([60, -60]), fe.tensor([0, 1])));
    expectClose(big, [60, 120], { rtol: 1e-6 }, 'large logits');
    // The same as bceLoss on sigmoid outputs.
    expectClose(vals(fe.nn.bceWithLogitsLoss()(xt, yt)), vals(fe.nn.bceLoss()(fe.sigmoid(xt), yt)), { rtol: 1e-4 }, 'vs bceLoss');
  });

  it('l1Loss, mseLoss, smoothL1Loss (beta) and huberLoss (delta) against their formulas', () => {
    const a = uniform(mulberry32(7), 40, -3, 3), b = uniform(mulberry32(8), 40, -3, 3);
    const d = Array.from(a, (v, i) => v - b[i]);
    const at = fe.tensor(a, [8, 5]), bt = fe.tensor(b, [8, 5]);
    const smooth = (beta: number) => d.map((v) => (Math.abs(v) < beta ? (0.5 * v * v) / beta : Math.abs(v) - 0.5 * beta));
    const huber = (delta: number) => d.map((v) => (Math.abs(v) < delta ? 0.5 * v * v : delta * (Math.abs(v) - 0.5 * delta)));
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      expectClose(vals(fe.nn.l1Loss({ reduction })(at, bt)), reduceRef(d.map(Math.abs), reduction), TOL, `l1 ${reduction}`);
      expectClose(vals(fe.nn.mseLoss({ reduction })(at, bt)), reduceRef(d.map((v) => v * v), reduction), TOL, `mse ${reduction}`);
      expectClose(vals(fe.nn.smoothL1Loss({ reduction })(at, bt)), reduceRef(smooth(1), reduction), TOL, `smoothL1 ${reduction}`);
      expectClose(vals(fe.nn.smoothL1Loss({ reduction, beta: 0.5 })(at, bt)), reduceRef(smooth(0.5), reduction), TOL, `smoothL1 0.5 ${reduction}`);
      expectClose(vals(fe.nn.huberLoss({ reduction, delta: 2 })(at, bt)), reduceRef(huber(2), reduction), TOL, `huber 2 ${reduction}`);
    }
    expectClose(vals(fe.nn.smoothL1Loss({ beta: 0 })(at, bt)), reduceRef(d.map(Math.abs), 'mean'), TOL, 'beta 0 is L1');
    // huber = beta·smoothL1 when delta = beta.
    expectClose(vals(fe.nn.huberLoss({ delta: 0.7 })(at, bt)), vals(fe.mul(fe.nn.smoothL1Loss({ beta: 0.7 })(at, bt), 0.7)), TOL, 'huber vs smoothL1');
  });

  it('loss gradients match finite differences', () => {
    const g = new Gen(10);
    const ids = fe.tensor([1, 0, 3, -100, 2], [5], 'int32');
    expectGradcheck(([x]) => fe.nn.crossEntropyLoss({ weight: fe.tensor(weight), labelSmoothing: 0.1 })(x, ids), [g.uniform([5, C], -2, 2)]);
    expectGradcheck(([x]) => fe.nn.crossEntropyLoss()(x, fe.tensor([1, 0, 3, 2, 2], [5], 'int32')), [g.uniform([5, C], -2, 2)]);
    expectGradcheck(([x]) => fe.nn.nllLoss({ reduction: 'sum' })(x, ids), [g.uniform([5, C], -3, -0.1)]);
    const y = fe.tensor(uniform(mulberry32(11), 12, 0, 1), [3, 4]);
    expectGradcheck(([x]) => fe.nn.bceLoss({ weight: fe.tensor(weight) })(x, y), [g.uniform([3, 4], 0.1, 0.9)], { step: () => 1e-3 });
    expectGradcheck(([x]) => fe.nn.bceWithLogitsLoss({ posWeight: fe.tensor(weight) })(x, y), [g.uniform([3, 4], -3, 3)]);
    expectGradcheck(([x]) => fe.nn.bceWithLogitsLoss()(x, y), [g.uniform([3, 4], -3, 3)]);
    // Differences kept away from the kinks (0 for L1, ±beta / ±delta for the smooth ones).
    const zero = fe.zeros([3, 4]);
    const off = g.awayFromZero([3, 4], 0.2, 3);
    for (let i = 0; i < off.values.length; i++) if (Math.abs(Math.abs(off.values[i]) - 1) < 0.1) off.values[i] *= 1.3;
    expectGradcheck(([x]) => fe.nn.l1Loss()(x, zero), [off]);
    expectGradcheck(([x]) => fe.nn.smoothL1Loss()(x, zero), [off]);
    expectGradcheck(([x]) => fe.nn.huberLoss({ reduction: 'sum' })(x, zero), [off]);
    expectGradcheck(([x, t]) => fe.nn.mseLoss()(x, t), [g.uniform([3, 4]), g.uniform([3, 4])]);
  });

  it('functional forms give the module forms\' values', () => {
    const F = fe.nn.functional;
    const ids = fe.tensor([0, 3, 1, 3, 2, 1], [N], 'int32');
    expect(F.crossEntropy(logits(), ids, { labelSmoothing: 0.1 }).item()).toBeCloseTo(fe.nn.crossEntropyLoss({ labelSmoothing: 0.1 })(logits(), ids).item(), 6);
    expect(F.nllLoss(fe.logSoftmax(logits()), ids).item()).toBeCloseTo(fe.nn.crossEntropyLoss()(logits(), ids).item(), 5);
    const a = fe.tensor([0.2, 0.7]), b = fe.tensor([0, 1]);
    expect(F.binaryCrossEntropy(a, b).item()).toBeCloseTo(fe.nn.bceLoss()(a, b).item(), 6);
    expect(F.binaryCrossEntropyWithLogits(a, b).item()).toBeCloseTo(fe.nn.bceWithLogitsLoss()(a, b).item(), 6);
    expect(F.l1Loss(a, b).item()).toBeCloseTo(0.25, 6);
    expect(F.mseLoss(a, b).item()).toBeCloseTo((0.04 + 0.09) / 2, 6);
    expect(F.smoothL1Loss(a, b, { beta: 0.5 }).item()).toBeCloseTo((0.04 + 0.09) / 2, 6);
    expect(F.huberLoss(a, b, { delta: 0.1 }).item()).toBeCloseTo((0.1 * (0.2 - 0.05) + 0.1 * (0.3 - 0.05)) / 2, 6);
  });

  it('loss errors name the loss and the shapes or values', () => {
    expect(() => fe.nn.mseLoss()(fe.zeros([2, 3]), fe.zeros([3, 2]))).toThrow(/mseLoss: output \[2, 3\] and target \[3, 2\] must have the same shape/);
    expect(() => fe.nn.huberLoss()(fe.zeros([2]), fe.zeros([3]))).toThrow(/huberLoss: output \[2\] and target \[3\]/);
    expect(() => fe.nn.crossEntropyLoss()(logits(), fe.tensor([0, 1, 2, 3, 4, 0], [N], 'int32'))).toThrow(/crossEntropyLoss: target 4 \(at 4\) is outside \[0, 4\) and is not ignoreIndex \(-100\)/);
    expect(() => fe.nn.crossEntropyLoss({ weight: fe.tensor([1, 2]) })(logits(), fe.tensor([0, 1, 2, 3, 0, 0], [N], 'int32'))).toThrow(/weight must have shape \[4\] \(one per class\), got \[2\]/);
    expect(() => fe.nn.nllLoss()(logits(), fe.tensor([0, 1], [2], 'int32'))).toThrow(/nllLoss: targets of shape \[2\] do not fit input of shape \[6, 4\]/);
    expect(() => fe.nn.l1Loss({ reduction: 'avg' } as never)).toThrow(/l1Loss: reduction must be 'mean', 'sum' or 'none', got "avg"/);
    expect(() => fe.nn.crossEntropyLoss({ label_smoothing: 0.1 } as never)).toThrow(/crossEntropyLoss: unknown option 'label_smoothing'/);
    expect(() => fe.nn.bceWithLogitsLoss({ posWeight: fe.ones([3]) })(fe.zeros([2, 4]), fe.zeros([2, 4]))).toThrow(/posWeight of shape \[3\] does not broadcast to the input's \[2, 4\]/);
    expect(() => fe.nn.smoothL1Loss({ beta: -1 })).toThrow(/beta must be a non-negative number/);
  });
});
