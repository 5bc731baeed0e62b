/** Weight initializers with Keras / TensorFlow.js names and semantics. */
import * as ops from '../ops/index';
import type { Tensor } from '../tensor';
import { Orthogonal } from './orthogonal';
import { Identity } from './identity-initializer';

export interface Initializer {
  readonly className: string;
  /** A fresh tensor of `shape`. */
  apply(shape: number[]): Tensor;
  getConfig(): Record<string, unknown>;
}

/** fan_in, fan_out as Keras computes them (receptive field × channels for conv kernels). */
export function computeFans(shape: number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  if (shape.length === 2) return [shape[0], shape[1]];
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

type Mode = 'fanIn' | 'fanOut' | 'fanAvg';
type Distribution = 'normal' | 'uniform' | 'truncatedNormal';

class VarianceScaling implements Initializer {
  constructor(
    readonly className: string,
    private scale: number,
    private mode: Mode,
    private distribution: Distribution,
    private seed?: number,
  ) {}
  apply(shape: number[]): Tensor {
    const [fanIn, fanOut] = computeFans(shape);
    const n = this.mode === 'fanIn' ? fanIn : this.mode === 'fanOut' ? fanOut : (fanIn + fanOut) / 2;
    const variance = this.scale / Math.max(1, n);
    if (this.distribution === 'uniform') {
      const limit = Math.sqrt(3 * variance);
      return ops.randomUniform(shape, -limit, limit, 'float32', this.seed);
    }
    if (this.distribution === 'truncatedNormal') {
      // Keras: stddev corrected for truncation at 2σ.
      return ops.truncatedNormal(shape, 0, Math.sqrt(variance) / 0.87962566103423978, 'float32', this.seed);
    }
    return ops.randomNormal(shape, 0, Math.sqrt(variance), 'float32', this.seed);
  }
  getConfig() {
    return { scale: this.scale, mode: this.mode, distribution: this.distribution, seed: this.seed ?? null };
  }
}

class Constant implements Initializer {
  constructor(readonly className: string, private value: number) {}
  apply(shape: number[]): Tensor {
    return ops.fill(shape, this.value);
  }
  getConfig() {
    return { value: this.value };
  }
}

class Random implements Initializer {
  constructor(
    readonly className: string,
    private kind: 'normal' | 'uniform' | 'truncatedNormal',
    private a: number,
    private b: number,
    private seed?: number,
  ) {}
  apply(shape: number[]): Tensor {
    if (this.kind === 'uniform') return ops.randomUniform(shape, this.a, this.b, 'float32', this.seed);
    if (this.kind === 'truncatedNormal') return ops.truncatedNormal(shape, this.a, this.b, 'float32', this.seed);
    return ops.randomNormal(shape, this.a, this.b, 'float32', this.seed);
  }
  getConfig() {
    return this.kind === 'uniform'
      ? { minval: this.a, maxval: this.b, seed: this.seed ?? null }
      : { mean: this.a, stddev: this.b, seed: this.seed ?? null };
  }
}

export interface SeedArgs { seed?: number }

export const initializers = {
  zeros: () => new Constant('Zeros', 0),
  ones: () => new Constant('Ones', 1),
  constant: (args: { value: number }) => new Constant('Constant', args.value),
  glorotUniform: (a: SeedArgs = {}) => new VarianceScaling('GlorotUniform', 1, 'fanAvg', 'uniform', a.seed),
  glorotNormal: (a: SeedArgs = {}) => new VarianceScaling('GlorotNormal', 1, 'fanAvg', 'truncatedNormal', a.seed),
  heUniform: (a: SeedArgs = {}) => new VarianceScaling('HeUniform', 2, 'fanIn', 'uniform', a.seed),
  heNormal: (a: SeedArgs = {}) => new VarianceScaling('HeNormal', 2, 'fanIn', 'truncatedNormal', a.seed),
  lecunUniform: (a: SeedArgs = {}) => new VarianceScaling('LecunUniform', 1, 'fanIn', 'uniform', a.seed),
  lecunNormal: (a: SeedArgs = {}) => new VarianceScaling('LecunNormal', 1, 'fanIn', 'truncatedNormal', a.seed),
  randomNormal: (a: { mean?: number; stddev?: number; seed?: number } = {}) =>
    new Random('RandomNormal', 'normal', a.mean ?? 0, a.stddev ?? 0.05, a.seed),
  randomUniform: (a: { minval?: number; maxval?: number; seed?: number } = {}) =>
    new Random('RandomUniform', 'uniform', a.minval ?? -0.05, a.maxval ?? 0.05, a.seed),
  truncatedNormal: (a: { mean?: number; stddev?: number; seed?: number } = {}) =>
    new Random('TruncatedNormal', 'truncatedNormal', a.mean ?? 0, a.stddev ?? 0.05, a.seed),
  varianceScaling: (a: { scale?: number; mode?: Mode; distribution?: Distribution; seed?: number } = {}) =>
    new VarianceScaling('VarianceScaling', a.scale ?? 1, a.mode ?? 'fanIn', a.distribution ?? 'truncatedNormal', a.seed),
  orthogonal: (a: { gain?: number; seed?: number } = {}) => new Orthogonal(a.gain, a.seed),
  // TensorFlow.js' spellings and its identity initializer
  leCunUniform: (a: SeedArgs = {}) => new VarianceScaling('LecunUniform', 1, 'fanIn', 'uniform', a.seed),
  leCunNormal: (a: SeedArgs = {}) => new VarianceScaling('LecunNormal', 1, 'fanIn', 'truncatedNormal', a.seed),
  identity: (a: { gain?: number } = {}) => new Identity(a.gain),
};

export type InitializerIdentifier = keyof typeof initializers;

/** Names compared without case or underscores: 'glorotUniform', 'glorot_uniform', 'GlorotUniform', 'leCunNormal'. */
const byLooseName = new Map(Object.keys(initializers).map((k) => [k.toLowerCase(), k]));

/** An initializer from a name ('glorotUniform', 'zeros', …; Keras snake_case and TensorFlow.js spellings too) or object. */
/** The name a config holds for an initializer: the name given, or the object's className. */
export function initializerName(i: string | Initializer): string {
  return typeof i === 'string' ? i : i.className;
}

export function getInitializer(id: InitializerIdentifier | string | Initializer, layer: string): Initializer {
  if (typeof id !== 'string') return id;
  const camel = byLooseName.get(id.replace(/_/g, '').toLowerCase()) ?? id;
  const factory = (initializers as unknown as Record<string, (() => Initializer) | undefined>)[camel];
  if (!factory || camel === 'constant') {
    throw new Error(`${layer}: unknown initializer '${id}' (expected one of ${Object.keys(initializers).join(', ')})`);
  }
  return factory();
}
