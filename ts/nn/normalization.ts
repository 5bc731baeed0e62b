/**
 * nn.BatchNorm1d, nn.BatchNorm2d and nn.LayerNorm with PyTorch's semantics (batch norm composed from ops,
 * autograd giving its gradients; layer norm on the fused kernel of ops/layer-norm.ts):
 * - batch norm normalizes with the batch's mean and biased variance while training and moves
 *   running_mean / running_var toward the batch's mean and unbiased variance:
 *   running = (1 − momentum)·running + momentum·batch (momentum 0.1; null: the cumulative
 *   average over num_batches_tracked). In eval mode it uses the running statistics, or the
 *   batch's when trackRunningStats is false. Parameters weight (γ, ones) and bias (β, zeros)
 *   when affine; buffers running_mean, running_var, num_batches_tracked (int32).
 * - layer norm normalizes over the last normalizedShape.length axes (biased variance, eps
 *   1e-5) with elementwise weight and bias of normalizedShape.
 * The feature axis is the last one (channels-last), or axis 1 with dataFormat 'channelsFirst'.
 */
import { noGrad } from '../autograd';
import * as ops from '../ops/index';
import { layerNorm as fusedLayerNorm } from '../ops/layer-norm';
import { fmt } from '../ops/util';
import { Tensor, Variable } from '../tensor';
import { checkOptions, DataFormat, dataFormatOf, positiveInt } from './args';
import { constantVariable } from './init';
import { Module } from './module';

export interface BatchNormOptions {
  /** Default 1e-5. */
  eps?: number;
  /** Default 0.1; null: cumulative moving average. */
  momentum?: number | null;
  /** Learnable weight and bias (default true). */
  affine?: boolean;
  /** Keep running statistics for eval mode (default true). */
  trackRunningStats?: boolean;
  /** Where the features are: 'channelsLast' (default) or 'channelsFirst' (axis 1, as PyTorch). */
  dataFormat?: DataFormat;
}

const BN_OPTIONS = ['eps', 'momentum', 'affine', 'trackRunningStats', 'dataFormat'];

abstract class BatchNorm extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly dataFormat: DataFormat;
  weight: Variable | null;
  bias: Variable | null;

  constructor(name: string, numFeatures: number, opts: BatchNormOptions) {
    super();
    const who = `${name}(${numFeatures})`;
    checkOptions(who, opts, BN_OPTIONS);
    this.numFeatures = positiveInt(who, 'numFeatures', numFeatures);
    this.eps = opts.eps ?? 1e-5;
    if (!(typeof this.eps === 'number' && this.eps > 0)) throw new Error(`${who}: eps must be a positive number, got ${JSON.stringify(opts.eps)}`);
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    if (this.momentum !== null && !(typeof this.momentum === 'number' && this.momentum >= 0 && this.momentum <= 1)) {
      throw new Error(`${who}: momentum must be a number in [0, 1] or null, got ${JSON.stringify(opts.momentum)}`);
    }
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    this.dataFormat = dataFormatOf(who, opts.dataFormat);
    this.weight = this.affine ? constantVariable([numFeatures], 1, true, 'batch_norm/weight') : null;
    this.bias = this.affine ? constantVariable([numFeatures], 0, true, 'batch_norm/bias') : null;
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', constantVariable([numFeatures], 0, false, 'batch_norm/running_mean'));
      this.registerBuffer('running_var', constantVariable([numFeatures], 1, false, 'batch_norm/running_var'));
      this.registerBuffer('num_batches_tracked', constantVariable([], 0, false, 'batch_norm/num_batches_tracked', 'int32'));
    }
  }

  get runningMean(): Variable | null {
    return this.buffer('running_mean');
  }

  get runningVar(): Variable | null {
    return this.buffer('running_var');
  }

  get numBatchesTracked(): Variable | null {
    return this.buffer('num_batches_tracked');
  }

  /** The ranks this module takes and the layout it names in errors. */
  protected abstract expected(): { ranks: number[]; layout: string };

  /** The feature axis of x, after checking its rank and size. */
  private featureAxis(x: Tensor): number {
    const { ranks, layout } = this.expected();
    if (!ranks.includes(x.rank)) throw new Error(`${this.describe()}: expected input ${layout}, got ${fmt(x.shape)}`);
    const axis = this.dataFormat === 'channelsFirst' || x.rank === 2 ? 1 : x.rank - 1;
    if (x.shape[axis] !== this.numFeatures) {
      throw new Error(`${this.describe()}: expected ${this.numFeatures} features on axis ${axis} of ${layout}, got input of shape ${fmt(x.shape)}`);
    }
    return axis;
  }

  forward(x: Tensor): Tensor {
    const axis = this.featureAxis(x);
    const c = this.numFeatures;
    const reduceAxes = x.shape.map((_, i) => i).filter((i) => i !== axis);
    const bshape = x.shape.map((d, i) => (i === axis ? c : 1));
    const asB = (t: Tensor) => (axis === x.rank - 1 ? t : ops.reshape(t, bshape));
    const useBatch = this.training || !this.trackRunningStats;
    let normalized: Tensor;
    if (useBatch) {
      const count = x.size / c;
      if (this.training && count <= 1) {
        throw new Error(`${this.describe()}: expected more than 1 value per feature when training, got input of shape ${fmt(x.shape)}`);
      }
      const mean = ops.mean(x, reduceAxes, true);
      const centered = ops.sub(x, mean);
      const variance = ops.mean(ops.square(centered), reduceAxes, true);
      normalized = ops.mul(centered, ops.rsqrt(ops.add(variance, this.eps)));
      if (this.training && this.trackRunningStats) this.updateRunningStats(mean, variance, count);
    } else {
      const inv = ops.rsqrt(ops.add(this.runningVar!, this.eps));
      normalized = ops.mul(ops.sub(x, asB(this.runningMean!)), asB(inv));
    }
    let y = normalized;
    if (this.weight) y = ops.mul(y, asB(this.weight));
    if (this.bias) y = ops.add(y, asB(this.bias));
    return y;
  }

  private updateRunningStats(mean: Tensor, variance: Tensor, count: number): void {
    noGrad(() => {
      const tracked = this.numBatchesTracked!;
      const n = (tracked.dataSync()[0] ?? 0) + 1;
      const nt = ops.scalar(n, 'int32');
      tracked.assign(nt);
      nt.dispose();
      const factor = this.momentum ?? 1 / n;
      const move = (v: Variable, batch: Tensor, scale: number) => {
        const flat = ops.reshape(batch, [this.numFeatures]);
        const a = ops.mul(v, 1 - factor), b = ops.mul(flat, factor * scale);
        const next = ops.add(a, b);
        v.assign(next);
        for (const t of [flat, a, b, next]) t.dispose();
      };
      move(this.runningMean!, mean, 1);
      move(this.runningVar!, variance, count / (count - 1)); // unbiased
    });
  }

  override extraRepr(): string {
    const parts = [`${this.numFeatures}`, `eps=${this.eps}`, `momentum=${this.momentum}`, `affine=${this.affine}`, `trackRunningStats=${this.trackRunningStats}`];
    if (this.dataFormat !== 'channelsLast') parts.push(`dataFormat='${this.dataFormat}'`);
    return parts.join(', ');
  }
}

/**
 * nn.BatchNorm1d(numFeatures, { eps, momentum, affine, trackRunningStats, dataFormat }): x
 * [batch, features] or [batch, length, features] (channelsFirst: [batch, features, length]).
 */
export class BatchNorm1d extends BatchNorm {
  static readonly moduleName = 'BatchNorm1d';
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super('BatchNorm1d', numFeatures, opts);
  }
  protected expected() {
    return { ranks: [2, 3], layout: this.dataFormat === 'channelsFirst' ? '[batch, features] or [batch, features, length]' : '[batch, features] or [batch, length, features]' };
  }
}

/**
 * nn.BatchNorm2d(numFeatures, { eps, momentum, affine, trackRunningStats, dataFormat }): x
 * [batch, height, width, features] (channelsFirst: [batch, features, height, width]).
 */
export class BatchNorm2d extends BatchNorm {
  static readonly moduleName = 'BatchNorm2d';
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super('BatchNorm2d', numFeatures, opts);
  }
  protected expected() {
    return { ranks: [4], layout: this.dataFormat === 'channelsFirst' ? '[batch, features, height, width]' : '[batch, height, width, features]' };
  }
}

export interface LayerNormOptions {
  /** Default 1e-5. */
  eps?: number;
  /** Learnable weight (and bias) of normalizedShape (default true). */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine: a learnable bias too (default true). */
  bias?: boolean;
}

/** nn.LayerNorm(normalizedShape, { eps, elementwiseAffine, bias }): normalizes the last axes. */
export class LayerNorm extends Module {
  static readonly moduleName = 'LayerNorm';
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  weight: Variable | null;
  bias: Variable | null;

  constructor(normalizedShape: number | number[], opts: LayerNormOptions = {}) {
    super();
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
    const who = `LayerNorm(${JSON.stringify(normalizedShape)})`;
    checkOptions(who, opts, ['eps', 'elementwiseAffine', 'bias']);
    if (!Array.isArray(shape) || !shape.length) throw new Error(`${who}: normalizedShape must be a positive integer or a non-empty array of them`);
    shape.forEach((d) => positiveInt(who, 'normalizedShape', d));
    this.normalizedShape = [...shape];
    this.eps = opts.eps ?? 1e-5;
    if (!(typeof this.eps === 'number' && this.eps > 0)) throw new Error(`${who}: eps must be a positive number, got ${JSON.stringify(opts.eps)}`);
    this.elementwiseAffine = opts.elementwiseAffine ?? true;
    this.weight = this.elementwiseAffine ? constantVariable(shape, 1, true, 'layer_norm/weight') : null;
    this.bias = this.elementwiseAffine && (opts.bias ?? true) ? constantVariable(shape, 0, true, 'layer_norm/bias') : null;
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps, this.describe());
  }

  override extraRepr(): string {
    return `${fmt(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.elementwiseAffine}`;
  }
}

/** F.layer_norm(x, normalizedShape, weight, bias, eps). */
export function layerNorm(x: Tensor, normalizedShape: number[], weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5, who = 'layerNorm'): Tensor {
  const k = normalizedShape.length;
  const tail = x.shape.slice(x.rank - k);
  if (x.rank < k || tail.some((d, i) => d !== normalizedShape[i])) {
    throw new Error(`${who}: expected input of shape [*, ${normalizedShape.join(', ')}], got ${fmt(x.shape)}`);
  }
  // One fused kernel forward and backward over the trailing axes (ops/layer-norm.ts).
  return fusedLayerNorm(x, weight, bias, { epsilon: eps, axes: k, name: who });
}
