/**
 * Masking, as Keras: steps whose features all equal maskValue are masked (downstream
 * mask-aware layers skip them) and zeroed.
 */
import * as ops from '../ops/index';
import type { Tensor } from '../tensor';
import { CallContext, Layer, LayerArgs, Mask } from './layer';

export class Masking extends Layer {
  static override readonly className = 'Masking';
  readonly maskValue: number;

  constructor(args: LayerArgs & { maskValue?: number } = {}) {
    super(args);
    this.maskValue = args.maskValue ?? 0;
    if (typeof this.maskValue !== 'number' || Number.isNaN(this.maskValue)) throw new Error(`${this.name} (Masking): maskValue must be a number, got ${args.maskValue}`);
    this.supportsMasking = true;
  }

  /** 1 where some feature differs from maskValue, per step: [batch, steps]. */
  private keep(x: Tensor): Tensor {
    if (x.rank < 2) throw new Error(`${this.name} (Masking): expected input of rank ≥ 2, got [${x.shape.join(', ')}]`);
    return ops.cast(ops.greater(ops.sum(ops.cast(ops.notEqual(x, this.maskValue), 'float32'), -1), 0), 'float32');
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    return ops.mul(x, ops.expandDims(this.keep(x), -1));
  }

  override computeMask(inputs: Tensor | Tensor[], _mask: Mask): Mask {
    return this.keep(Array.isArray(inputs) ? inputs[0] : inputs);
  }

  override getConfig() {
    return { ...super.getConfig(), maskValue: this.maskValue };
  }
}

export const masking = (args?: LayerArgs & { maskValue?: number }) => new Masking(args);
