/**
 * Preprocessing layers, as TensorFlow.js and Keras: Rescaling (x·scale + offset) and
 * CategoryEncoding (integer ids → one-hot, multi-hot or count vectors of numTokens).
 */
import * as ops from '../ops/index';
import type { Tensor } from '../tensor';
import { CallContext, Layer, LayerArgs, SymbolicShape } from './layer';

export class Rescaling extends Layer {
  static override readonly className = 'Rescaling';
  readonly scale: number;
  readonly offset: number;

  constructor(args: LayerArgs & { scale: number; offset?: number }) {
    super(args);
    if (typeof args?.scale !== 'number' || !Number.isFinite(args.scale)) throw new Error(`${this.name} (Rescaling): scale must be a number, got ${args?.scale}`);
    this.scale = args.scale;
    this.offset = args.offset ?? 0;
    if (!Number.isFinite(this.offset)) throw new Error(`${this.name} (Rescaling): offset must be a number, got ${args.offset}`);
    this.supportsMasking = true;
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    const f = x.dtype === 'float32' ? x : ops.cast(x, 'float32');
    return ops.add(ops.mul(f, this.scale), this.offset);
  }

  override getConfig() {
    return { ...super.getConfig(), scale: this.scale, offset: this.offset };
  }
}

export type CategoryOutputMode = 'oneHot' | 'multiHot' | 'count';

export interface CategoryEncodingArgs extends LayerArgs {
  numTokens: number;
  /** Default 'multiHot'. */
  outputMode?: CategoryOutputMode;
}

export class CategoryEncoding extends Layer {
  static override readonly className = 'CategoryEncoding';
  readonly numTokens: number;
  readonly outputMode: CategoryOutputMode;

  constructor(args: CategoryEncodingArgs) {
    super(args);
    if (!Number.isInteger(args?.numTokens) || args.numTokens < 1) throw new Error(`${this.name} (CategoryEncoding): numTokens must be a positive integer, got ${args?.numTokens}`);
    this.numTokens = args.numTokens;
    this.outputMode = args.outputMode ?? 'multiHot';
    if (!['oneHot', 'multiHot', 'count'].includes(this.outputMode)) {
      throw new Error(`${this.name} (CategoryEncoding): outputMode must be 'oneHot', 'multiHot' or 'count', got '${args.outputMode}'`);
    }
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    const who = `${this.name} (CategoryEncoding)`;
    let rows: number, perRow: number;
    if (this.outputMode === 'oneHot') {
      // One id per sample: [batch] or [batch, 1].
      if (!(x.rank === 1 || (x.rank === 2 && x.shape[1] === 1))) {
        throw new Error(`${who}: oneHot takes one id per sample, input [batch] or [batch, 1], got [${x.shape.join(', ')}]`);
      }
      rows = x.shape[0];
      perRow = 1;
    } else {
      if (x.rank < 1 || x.rank > 2) throw new Error(`${who}: expected input [batch] or [batch, ids], got [${x.shape.join(', ')}]`);
      rows = x.rank === 1 ? x.shape[0] : x.shape[0];
      perRow = x.rank === 1 ? 1 : x.shape[1];
    }
    const ids = x.dataSync();
    const out = new Float32Array(rows * this.numTokens);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < perRow; j++) {
        const v = ids[r * perRow + j];
        if (!Number.isInteger(v) || v < 0 || v >= this.numTokens) {
          throw new Error(`${who}: id ${v} (sample ${r}) is outside [0, ${this.numTokens}) — numTokens is ${this.numTokens}`);
        }
        const k = r * this.numTokens + v;
        out[k] = this.outputMode === 'count' ? out[k] + 1 : 1;
      }
    }
    return ops.tensor(out, [rows, this.numTokens]);
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    return [s[0], this.numTokens];
  }

  override getConfig() {
    return { ...super.getConfig(), numTokens: this.numTokens, outputMode: this.outputMode };
  }
}

export const rescaling = (args: LayerArgs & { scale: number; offset?: number }) => new Rescaling(args);
export const categoryEncoding = (args: CategoryEncodingArgs) => new CategoryEncoding(args);
