/** Small core layers: Dropout, Flatten, Activation, Reshape. */
import * as ops from '../ops/index';
import type { Tensor } from '../tensor';
import { ActivationIdentifier, getActivation } from './activations';
import { mulberry32, rngFor, type Rng } from '../ops/random';
import { noiseShapeFor } from './noise';
import { CallContext, Layer, LayerArgs, SymbolicShape } from './layer';

export interface DropoutArgs extends LayerArgs {
  rate: number;
  noiseShape?: (number | null)[] | null;
  seed?: number;
}

/** Inverted dropout while training; the identity at inference. */
export class Dropout extends Layer {
  static override readonly className = 'Dropout';
  readonly rate: number;
  /** The mask's shape (null: the input's size on that axis), e.g. [null, 1, null] for one mask per sequence. */
  readonly noiseShape: (number | null)[] | null;
  readonly seed?: number;
  /** A seeded layer draws each call's mask from its own stream (different every call). */
  private rng: Rng;

  constructor(args: DropoutArgs) {
    super(args, 'dropout');
    if (!(args?.rate >= 0 && args.rate < 1)) {
      throw new Error(`${this.name} (Dropout): rate must be in [0, 1), got ${args?.rate}`);
    }
    this.rate = args.rate;
    this.noiseShape = args.noiseShape ? [...args.noiseShape] : null;
    this.seed = args.seed;
    this.rng = args.seed === undefined ? rngFor() : mulberry32(args.seed);
    this.supportsMasking = true;
  }

  call(x: Tensor, ctx: CallContext): Tensor {
    if (!ctx.training || this.rate === 0) return x;
    const shape = noiseShapeFor(`${this.name} (Dropout)`, this.noiseShape, x.shape);
    return ops.dropout(x, this.rate, shape, Math.floor(this.rng() * 4294967296));
  }

  override getConfig() {
    return { ...super.getConfig(), rate: this.rate, noiseShape: this.noiseShape, seed: this.seed ?? null };
  }
}

/** Flattens all axes but the batch axis. */
export class Flatten extends Layer {
  static override readonly className = 'Flatten';

  constructor(args: LayerArgs = {}) {
    super(args, 'flatten');
  }

  call(x: Tensor): Tensor {
    if (x.rank < 2) throw new Error(`${this.name} (Flatten): expected input of rank ≥ 2, got [${x.shape.join(', ')}]`);
    return ops.reshape(x, [x.shape[0], -1]);
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    const rest = s.slice(1);
    return [s[0], rest.some((d) => d === null) ? null : (rest as number[]).reduce((a, b) => a * b, 1)];
  }
}

export interface ActivationArgs extends LayerArgs {
  activation: ActivationIdentifier;
}

export class Activation extends Layer {
  static override readonly className = 'Activation';
  readonly activation: ActivationIdentifier;
  private fn: (x: Tensor) => Tensor;

  constructor(args: ActivationArgs) {
    super(args, 'activation');
    this.activation = args.activation;
    this.fn = getActivation(args.activation, this.name);
    this.supportsMasking = true;
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    return this.fn(x);
  }

  override getConfig() {
    return { ...super.getConfig(), activation: this.activation };
  }
}

export interface ReshapeArgs extends LayerArgs {
  targetShape: number[];
}

/** Reshapes each sample to targetShape (one entry may be −1). */
export class Reshape extends Layer {
  static override readonly className = 'Reshape';
  readonly targetShape: number[];

  constructor(args: ReshapeArgs) {
    super(args, 'reshape');
    this.targetShape = [...args.targetShape];
  }

  call(x: Tensor): Tensor {
    try {
      return ops.reshape(x, [x.shape[0], ...this.targetShape]);
    } catch {
      throw new Error(`${this.name} (Reshape): cannot reshape [${x.shape.join(', ')}] to [batch, ${this.targetShape.join(', ')}]`);
    }
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    const known = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const total = s.slice(1).every((d) => d !== null) ? (s.slice(1) as number[]).reduce((a, b) => a * b, 1) : null;
    return [s[0], ...this.targetShape.map((d) => (d === -1 ? (total === null ? null : total / known) : d))];
  }

  override getConfig() {
    return { ...super.getConfig(), targetShape: this.targetShape };
  }
}
