/** GlobalAveragePooling1D: mean over the steps axis of [batch, steps, features], mask-aware. */
import * as ops from '../ops/index';
import type { Tensor } from '../tensor';
import { CallContext, Layer, LayerArgs, SymbolicShape } from './layer';

export class GlobalAveragePooling1D extends Layer {
  static override readonly className = 'GlobalAveragePooling1D';

  constructor(args: LayerArgs = {}) {
    super(args, 'global_average_pooling1d');
    this.supportsMasking = true;
  }

  call(x: Tensor, ctx: CallContext): Tensor {
    if (x.rank !== 3) {
      throw new Error(`${this.name} (GlobalAveragePooling1D): expected input of rank 3 [batch, steps, features], got [${x.shape.join(', ')}]`);
    }
    if (!ctx.mask) return ops.mean(x, 1);
    // Keras: Σ x·mask / Σ mask over the steps (an all-masked row divides by 0 there too;
    // here it gives 0 rather than NaN).
    const m = ops.expandDims(ctx.mask, 2);
    const total = ops.sum(ops.mul(x, m), 1);
    const count = ops.maximum(ops.sum(m, 1), 1e-7);
    return ops.div(total, count);
  }

  override computeMask(): Tensor | null {
    return null;
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    return [s[0], s[2]];
  }
}
