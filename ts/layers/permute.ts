/** Permute: reorders the axes of each sample; `dims` are 1-based (the batch axis stays first). */
import * as ops from '../ops/index';
import type { Tensor } from '../tensor';
import { CallContext, Layer, LayerArgs, SymbolicShape } from './layer';

export class Permute extends Layer {
  static override readonly className = 'Permute';
  readonly dims: number[];

  constructor(args: LayerArgs & { dims: number[] }) {
    super(args);
    const d = args?.dims;
    const ok = Array.isArray(d) && d.length > 0 && [...d].sort((a, b) => a - b).every((v, i) => v === i + 1);
    if (!ok) throw new Error(`${this.name} (Permute): dims must be a permutation of 1…n (the batch axis 0 stays), got ${JSON.stringify(d)}`);
    this.dims = [...d];
    this.supportsMasking = true;
  }

  private check(rank: number): void {
    if (rank !== this.dims.length + 1) {
      throw new Error(`${this.name} (Permute): dims ${JSON.stringify(this.dims)} need inputs of rank ${this.dims.length + 1}, got rank ${rank}`);
    }
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    this.check(x.rank);
    return ops.transpose(x, [0, ...this.dims]);
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    this.check(s.length);
    return [s[0], ...this.dims.map((d) => s[d])];
  }

  override getConfig() {
    return { ...super.getConfig(), dims: this.dims };
  }
}

export const permute = (args: LayerArgs & { dims: number[] }) => new Permute(args);
