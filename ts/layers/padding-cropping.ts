/**
 * ZeroPadding2D and Cropping2D with TensorFlow.js' names and config keys, on [batch, height,
 * width, channels]: padding / cropping given as a number (every side), [symmetricHeight,
 * symmetricWidth] or [[top, bottom], [left, right]].
 */
import * as ops from '../ops/index';
import type { Tensor } from '../tensor';
import { checkChannelsLast, shapeText } from './conv-common';
import { CallContext, Layer, LayerArgs, SymbolicShape } from './layer';

type Sides = [[number, number], [number, number]];
export type SidesArg = number | [number, number] | [[number, number], [number, number]];

/** The three TF.js forms as [[top, bottom], [left, right]] of non-negative integers. */
function sidesArg(who: string, key: string, v: unknown, dflt: Sides): Sides {
  if (v === undefined || v === null) return dflt;
  const ok = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;
  if (ok(v)) return [[v as number, v as number], [v as number, v as number]];
  if (Array.isArray(v) && v.length === 2) {
    if (ok(v[0]) && ok(v[1])) return [[v[0], v[0]], [v[1], v[1]]];
    if (v.every((p) => Array.isArray(p) && p.length === 2 && ok(p[0]) && ok(p[1]))) return [[v[0][0], v[0][1]], [v[1][0], v[1][1]]];
  }
  throw new Error(`${who}: ${key} must be a non-negative integer, [height, width] or [[top, bottom], [left, right]], got ${JSON.stringify(v)}`);
}

function checkRank4(who: string, x: Tensor): void {
  if (x.rank !== 4) throw new Error(`${who}: expected input of rank 4 [batch, height, width, channels], got [${x.shape.join(', ')}]`);
}

function checkShape4(who: string, s: SymbolicShape): void {
  if (s.length !== 4) throw new Error(`${who}: expected input of rank 4 [batch, height, width, channels], got ${shapeText(s)}`);
}

export interface ZeroPadding2DLayerArgs extends LayerArgs {
  /** Default 1 on every side. */
  padding?: SidesArg;
  dataFormat?: 'channelsLast' | 'channelsFirst';
}

/** Zeros around the height and width. */
export class ZeroPadding2D extends Layer {
  static override readonly className = 'ZeroPadding2D';
  readonly padding: Sides;
  readonly dataFormat = 'channelsLast' as const;

  constructor(args: ZeroPadding2DLayerArgs = {}) {
    super(args, 'zero_padding2d');
    this.padding = sidesArg(this.who, 'padding', args.padding, [[1, 1], [1, 1]]);
    checkChannelsLast(this.who, args.dataFormat);
  }

  private get who(): string {
    return `${this.name} (${this.className})`;
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    checkRank4(this.who, x);
    const [[t, b], [l, r]] = this.padding;
    return ops.pad(x, [[0, 0], [t, b], [l, r], [0, 0]]);
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    checkShape4(this.who, s);
    const [[t, b], [l, r]] = this.padding;
    return [s[0], s[1] === null ? null : s[1] + t + b, s[2] === null ? null : s[2] + l + r, s[3]];
  }

  override getConfig() {
    return { ...super.getConfig(), padding: this.padding, dataFormat: this.dataFormat };
  }
}

export interface Cropping2DLayerArgs extends LayerArgs {
  /** Rows and columns removed (default none). */
  cropping?: SidesArg;
  dataFormat?: 'channelsLast' | 'channelsFirst';
}

/** Removes rows and columns at the edges. */
export class Cropping2D extends Layer {
  static override readonly className = 'Cropping2D';
  readonly cropping: Sides;
  readonly dataFormat = 'channelsLast' as const;

  constructor(args: Cropping2DLayerArgs = {}) {
    super(args, 'cropping2d');
    this.cropping = sidesArg(this.who, 'cropping', args.cropping, [[0, 0], [0, 0]]);
    checkChannelsLast(this.who, args.dataFormat);
  }

  private get who(): string {
    return `${this.name} (${this.className})`;
  }

  /** The cropped height and width, or a clear error when nothing would be left. */
  private kept(h: number | null, w: number | null): [number | null, number | null] {
    const [[t, b], [l, r]] = this.cropping;
    const out: [number | null, number | null] = [h === null ? null : h - t - b, w === null ? null : w - l - r];
    if ((out[0] !== null && out[0] < 1) || (out[1] !== null && out[1] < 1)) {
      throw new Error(`${this.who}: cropping ${JSON.stringify(this.cropping)} leaves nothing of a ${h} × ${w} input`);
    }
    return out;
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    checkRank4(this.who, x);
    const [h, w] = this.kept(x.shape[1], x.shape[2]) as [number, number];
    return ops.slice(x, [0, this.cropping[0][0], this.cropping[1][0], 0], [x.shape[0], h, w, x.shape[3]]);
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    checkShape4(this.who, s);
    return [s[0], ...this.kept(s[1], s[2]), s[3]];
  }

  override getConfig() {
    return { ...super.getConfig(), cropping: this.cropping, dataFormat: this.dataFormat };
  }
}
