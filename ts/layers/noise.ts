/**
 * Regularization layers active only while training (identity at inference), as Keras:
 * SpatialDropout1D (whole channels), GaussianNoise (x + N(0, stddev)), GaussianDropout
 * (x · N(1, rate/(1−rate))), AlphaDropout (keeps SELU's mean and variance).
 */
import * as ops from '../ops/index';
import { mulberry32, rngFor, type Rng } from '../ops/random';
import type { Tensor } from '../tensor';
import { CallContext, Layer, LayerArgs } from './layer';

function rate(who: string, r: number | undefined): number {
  if (!(typeof r === 'number' && r >= 0 && r < 1)) throw new Error(`${who}: rate must be in [0, 1), got ${r}`);
  return r;
}

/** A seeded layer draws from its own stream (different every call); else from fe's. */
function streamFor(seed: number | undefined): Rng {
  return seed === undefined ? rngFor() : mulberry32(seed);
}

/** Draws a fresh 32-bit seed for an op from a layer's stream. */
function nextSeed(rng: Rng): number {
  return Math.floor(rng() * 4294967296);
}

export interface NoiseArgs extends LayerArgs {
  rate: number;
  seed?: number;
}

/** Drops whole channels of [batch, steps, channels] (one draw per sample and channel). */
export class SpatialDropout1D extends Layer {
  static override readonly className = 'SpatialDropout1D';
  readonly rate: number;
  readonly seed?: number;
  private rng: Rng;
  constructor(args: NoiseArgs) {
    super(args);
    this.rate = rate(`${this.name} (SpatialDropout1D)`, args?.rate);
    this.seed = args.seed;
    this.rng = streamFor(args.seed);
    this.supportsMasking = true;
  }
  call(x: Tensor, ctx: CallContext): Tensor {
    if (x.rank !== 3) throw new Error(`${this.name} (SpatialDropout1D): expected input of rank 3 [batch, steps, channels], got [${x.shape.join(', ')}]`);
    if (!ctx.training || this.rate === 0) return x;
    return ops.dropout(x, this.rate, [x.shape[0], 1, x.shape[2]], nextSeed(this.rng));
  }
  override getConfig() {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed ?? null };
  }
}

/** Adds zero-mean Gaussian noise while training. */
export class GaussianNoise extends Layer {
  static override readonly className = 'GaussianNoise';
  readonly stddev: number;
  readonly seed?: number;
  private rng: Rng;
  constructor(args: LayerArgs & { stddev: number; seed?: number }) {
    super(args);
    if (!(typeof args?.stddev === 'number' && args.stddev >= 0)) throw new Error(`${this.name} (GaussianNoise): stddev must be a number ≥ 0, got ${args?.stddev}`);
    this.stddev = args.stddev;
    this.seed = args.seed;
    this.rng = streamFor(args.seed);
    this.supportsMasking = true;
  }
  call(x: Tensor, ctx: CallContext): Tensor {
    if (!ctx.training || this.stddev === 0) return x;
    return ops.add(x, ops.randomNormal(x.shape, 0, this.stddev, 'float32', nextSeed(this.rng)));
  }
  override getConfig() {
    return { ...super.getConfig(), stddev: this.stddev, seed: this.seed ?? null };
  }
}

/** Multiplies by Gaussian noise of mean 1 and variance rate/(1 − rate) while training. */
export class GaussianDropout extends Layer {
  static override readonly className = 'GaussianDropout';
  readonly rate: number;
  readonly seed?: number;
  private rng: Rng;
  constructor(args: NoiseArgs) {
    super(args);
    this.rate = rate(`${this.name} (GaussianDropout)`, args?.rate);
    this.seed = args.seed;
    this.rng = streamFor(args.seed);
    this.supportsMasking = true;
  }
  call(x: Tensor, ctx: CallContext): Tensor {
    if (!ctx.training || this.rate === 0) return x;
    const std = Math.sqrt(this.rate / (1 - this.rate));
    return ops.mul(x, ops.randomNormal(x.shape, 1, std, 'float32', nextSeed(this.rng)));
  }
  override getConfig() {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed ?? null };
  }
}

/** SELU's fixed point: dropped units take the activation's negative saturation value. */
const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/**
 * Dropout that keeps a SELU network's mean and variance (Keras): dropped units become
 * α' = −α·scale, then the output is a·x + b with a = ((1−p)(1 + p·α'²))^−½, b = −a·α'·p.
 */
export class AlphaDropout extends Layer {
  static override readonly className = 'AlphaDropout';
  readonly rate: number;
  readonly noiseShape: (number | null)[] | null;
  readonly seed?: number;
  private rng: Rng;
  constructor(args: NoiseArgs & { noiseShape?: (number | null)[] | null }) {
    super(args);
    this.rate = rate(`${this.name} (AlphaDropout)`, args?.rate);
    this.noiseShape = args.noiseShape ? [...args.noiseShape] : null;
    this.seed = args.seed;
    this.rng = streamFor(args.seed);
    this.supportsMasking = true;
  }
  call(x: Tensor, ctx: CallContext): Tensor {
    if (!ctx.training || this.rate === 0) return x;
    const shape = noiseShapeFor(`${this.name} (AlphaDropout)`, this.noiseShape, x.shape);
    const p = this.rate;
    const alphaP = -SELU_ALPHA * SELU_SCALE;
    const r = mulberry32(nextSeed(this.rng));
    const n = shape.reduce((a, d) => a * d, 1);
    const keep = new Float32Array(n);
    for (let i = 0; i < n; i++) keep[i] = r() >= p ? 1 : 0;
    const kept = ops.tensor(keep, shape);
    const a = 1 / Math.sqrt((1 - p) * (1 + p * alphaP * alphaP));
    const b = -a * alphaP * p;
    // x·kept + α'·(1 − kept), then a·(…) + b.
    const dropped = ops.add(ops.mul(x, kept), ops.mul(ops.sub(1, kept), alphaP));
    return ops.add(ops.mul(dropped, a), b);
  }
  override getConfig() {
    return { ...super.getConfig(), rate: this.rate, noiseShape: this.noiseShape, seed: this.seed ?? null };
  }
}

/** A noise shape with nulls filled from the input's shape, checked to broadcast. */
export function noiseShapeFor(who: string, noise: (number | null)[] | null | undefined, shape: number[]): number[] {
  if (!noise) return shape;
  if (noise.length !== shape.length) throw new Error(`${who}: noiseShape [${noise.join(', ')}] must have the input's rank ${shape.length}`);
  return noise.map((d, i) => {
    const v = d ?? shape[i];
    if (v !== 1 && v !== shape[i]) throw new Error(`${who}: noiseShape [${noise.map((q) => q ?? 'null').join(', ')}] does not broadcast to the input [${shape.join(', ')}]`);
    return v;
  });
}

export const spatialDropout1d = (args: NoiseArgs) => new SpatialDropout1D(args);
export const gaussianNoise = (args: LayerArgs & { stddev: number; seed?: number }) => new GaussianNoise(args);
export const gaussianDropout = (args: NoiseArgs) => new GaussianDropout(args);
export const alphaDropout = (args: NoiseArgs & { noiseShape?: (number | null)[] | null }) => new AlphaDropout(args);
