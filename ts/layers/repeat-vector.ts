/** RepeatVector: [batch, features] → [batch, n, features] (e.g. an encoder's summary fed to every decoder step). */
import * as ops from '../ops/index';
import type { Tensor } from '../tensor';
import { CallContext, Layer, LayerArgs, SymbolicShape } from './layer';

export interface RepeatVectorArgs extends LayerArgs {
  n: number;
}

export class RepeatVector extends Layer {
  static override readonly className = 'RepeatVector';
  readonly n: number;

  constructor(args: RepeatVectorArgs) {
    super(args, 'repeat_vector');
    if (!Number.isInteger(args?.n) || args.n < 1) {
      throw new Error(`${this.name} (RepeatVector): n must be a positive integer, got ${args?.n}`);
    }
    this.n = args.n;
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    if (x.rank !== 2) throw new Error(`${this.name} (RepeatVector): expected input of rank 2 [batch, features], got [${x.shape.join(', ')}]`);
    return ops.tile(ops.expandDims(x, 1), [1, this.n, 1]);
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    return [s[0], this.n, s[1]];
  }

  override getConfig() {
    return { ...super.getConfig(), n: this.n };
  }
}
