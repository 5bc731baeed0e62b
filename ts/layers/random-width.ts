/**
 * RandomWidth, as Keras: while training, each batch's images are resized to a width scaled by
 * a random factor in [1 + lower, 1 + upper] (factor f means [−f, f]); at inference the layer
 * passes images through. Channels-last images [batch, height, width, channels].
 */
import { resizeBilinear, resizeNearestNeighbor } from '../ops/image';
import { mulberry32, rngFor, type Rng } from '../ops/random';
import type { Tensor } from '../tensor';
import { CallContext, Layer, LayerArgs, SymbolicShape } from './layer';

export interface RandomWidthArgs extends LayerArgs {
  /** f (a width change in [−f, f]) or [lower, upper], each > −1. */
  factor: number | [number, number];
  /** Default 'bilinear'. */
  interpolation?: 'bilinear' | 'nearest';
  seed?: number;
}

export class RandomWidth extends Layer {
  static override readonly className = 'RandomWidth';
  readonly factor: number | [number, number];
  readonly interpolation: 'bilinear' | 'nearest';
  readonly seed?: number;
  private lower: number;
  private upper: number;
  private rng: Rng;

  constructor(args: RandomWidthArgs) {
    super(args);
    const who = `${this.name} (RandomWidth)`;
    const f = args?.factor;
    if (Array.isArray(f) && f.length === 2 && f.every((v) => Number.isFinite(v))) [this.lower, this.upper] = f;
    else if (typeof f === 'number' && f > 0) [this.lower, this.upper] = [-f, f];
    else throw new Error(`${who}: factor must be a positive number or [lower, upper], got ${JSON.stringify(f)}`);
    if (this.lower <= -1 || this.upper <= -1) throw new Error(`${who}: factor's bounds must be greater than −1, got ${JSON.stringify(f)}`);
    if (this.upper < this.lower) throw new Error(`${who}: factor's upper bound ${this.upper} is below its lower bound ${this.lower}`);
    this.factor = Array.isArray(f) ? [f[0], f[1]] : f;
    this.interpolation = args.interpolation ?? 'bilinear';
    if (this.interpolation !== 'bilinear' && this.interpolation !== 'nearest') {
      throw new Error(`${who}: interpolation must be 'bilinear' or 'nearest', got '${args.interpolation}'`);
    }
    this.seed = args.seed;
    this.rng = args.seed === undefined ? rngFor() : mulberry32(args.seed);
  }

  call(x: Tensor, ctx: CallContext): Tensor {
    if (x.rank !== 4) throw new Error(`${this.name} (RandomWidth): expected images [batch, height, width, channels], got [${x.shape.join(', ')}]`);
    if (!ctx.training) return x;
    const [, height, width] = x.shape;
    const scale = 1 + this.lower + (this.upper - this.lower) * this.rng();
    const newWidth = Math.max(1, Math.round(scale * width));
    const size: [number, number] = [height, newWidth];
    return this.interpolation === 'bilinear' ? resizeBilinear(x, size) : resizeNearestNeighbor(x, size);
  }

  /** The width varies from batch to batch while training. */
  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    return [s[0], s[1], null, s[3]];
  }

  override getConfig() {
    return { ...super.getConfig(), factor: this.factor, interpolation: this.interpolation, seed: this.seed ?? null };
  }
}

export const randomWidth = (args: RandomWidthArgs) => new RandomWidth(args);
