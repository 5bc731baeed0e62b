/**
 * Image layers with TensorFlow.js' names and config keys, on [batch, height, width,
 * channels]:
 * - UpSampling2D (size, interpolation 'nearest' | 'bilinear'): as TensorFlow.js, a resize to
 *   size·input with alignCorners and halfPixelCenters off (so bilinear equals TensorFlow.js',
 *   not Keras' half-pixel resize);
 * - Resizing (height, width, interpolation, cropToAspectRatio) and CenterCrop (height,
 *   width): Keras' semantics — half-pixel resizing, cropToAspectRatio cutting the largest
 *   centred window of the target's aspect ratio first, CenterCrop cutting exactly (and
 *   resizing as Keras' smart_resize when the input is smaller than the target). Both also
 *   take a single image [height, width, channels].
 */
import * as ops from '../ops/index';
import * as image from '../ops/image';
import type { Tensor } from '../tensor';
import { checkChannelsLast, freeing, shapeText, tupleArg } from './conv-common';
import { CallContext, Layer, LayerArgs, SymbolicShape } from './layer';

export interface UpSampling2DLayerArgs extends LayerArgs {
  /** Row and column repetition factors (default [2, 2]). */
  size?: number | [number, number];
  dataFormat?: 'channelsLast' | 'channelsFirst';
  /** Default 'nearest'. */
  interpolation?: 'nearest' | 'bilinear';
}

/** Enlarges height and width by integer factors. */
export class UpSampling2D extends Layer {
  static override readonly className = 'UpSampling2D';
  readonly size: [number, number];
  readonly dataFormat = 'channelsLast' as const;
  readonly interpolation: 'nearest' | 'bilinear';

  constructor(args: UpSampling2DLayerArgs = {}) {
    super(args, 'up_sampling2d');
    this.size = tupleArg(this.who, 'size', args.size, 2, 2) as [number, number];
    checkChannelsLast(this.who, args.dataFormat);
    this.interpolation = args.interpolation ?? 'nearest';
    if (this.interpolation !== 'nearest' && this.interpolation !== 'bilinear') {
      throw new Error(`${this.who}: interpolation must be 'nearest' or 'bilinear', got '${String(args.interpolation)}'`);
    }
  }

  private get who(): string {
    return `${this.name} (${this.className})`;
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    if (x.rank !== 4) throw new Error(`${this.who}: expected input of rank 4 [batch, height, width, channels], got [${x.shape.join(', ')}]`);
    const size: [number, number] = [x.shape[1] * this.size[0], x.shape[2] * this.size[1]];
    return this.interpolation === 'nearest' ? image.resizeNearestNeighbor(x, size) : image.resizeBilinear(x, size);
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    if (s.length !== 4) throw new Error(`${this.who}: expected input of rank 4 [batch, height, width, channels], got ${shapeText(s)}`);
    return [s[0], s[1] === null ? null : s[1] * this.size[0], s[2] === null ? null : s[2] * this.size[1], s[3]];
  }

  override getConfig() {
    return { ...super.getConfig(), size: this.size, dataFormat: this.dataFormat, interpolation: this.interpolation };
  }
}

function sideArg(who: string, key: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1) throw new Error(`${who}: ${key} must be a positive integer, got ${String(v)}`);
  return v as number;
}

function imageRank(who: string, x: Tensor | SymbolicShape): void {
  const rank = Array.isArray(x) ? x.length : (x as Tensor).rank;
  if (rank !== 3 && rank !== 4) {
    const shape = Array.isArray(x) ? shapeText(x) : `[${(x as Tensor).shape.join(', ')}]`;
    throw new Error(`${who}: expected images of rank 4 [batch, height, width, channels] or 3 [height, width, channels], got ${shape}`);
  }
}

/** The centred window [top, left, height, width] of h × w with the aspect ratio of th × tw (Keras' smart_resize). */
function aspectWindow(h: number, w: number, th: number, tw: number): [number, number, number, number] {
  const ch = Math.min(h, Math.trunc(Math.fround(Math.fround(w * th) / tw)));
  const cw = Math.min(w, Math.trunc(Math.fround(Math.fround(h * tw) / th)));
  return [Math.trunc((h - ch) / 2), Math.trunc((w - cw) / 2), ch, cw];
}

/** x [n, h, w, c] (or [h, w, c]) cut to the window [top, left, height, width]. */
function cut(x: Tensor, [top, left, h, w]: [number, number, number, number]): Tensor {
  const r = x.rank;
  const begin = r === 4 ? [0, top, left, 0] : [top, left, 0];
  const size = r === 4 ? [x.shape[0], h, w, x.shape[3]] : [h, w, x.shape[2]];
  return ops.slice(x, begin, size);
}

/** Keras' half-pixel resize of x to [height, width], float32 out. */
function halfPixelResize(x: Tensor, size: [number, number], interpolation: 'bilinear' | 'nearest'): Tensor {
  return interpolation === 'bilinear' ? image.resizeBilinear(x, size, false, true) : image.resizeNearestNeighbor(x, size, false, true);
}

export interface ResizingLayerArgs extends LayerArgs {
  height: number;
  width: number;
  /** Default 'bilinear'. */
  interpolation?: 'bilinear' | 'nearest';
  /** Resize the largest centred window with the target's aspect ratio (no distortion). */
  cropToAspectRatio?: boolean;
}

/** Resizes images to [height, width]. */
export class Resizing extends Layer {
  static override readonly className = 'Resizing';
  readonly height: number;
  readonly width: number;
  readonly interpolation: 'bilinear' | 'nearest';
  readonly cropToAspectRatio: boolean;

  constructor(args: ResizingLayerArgs) {
    super(args, 'resizing');
    this.height = sideArg(this.who, 'height', args?.height);
    this.width = sideArg(this.who, 'width', args.width);
    this.interpolation = args.interpolation ?? 'bilinear';
    if (this.interpolation !== 'bilinear' && this.interpolation !== 'nearest') {
      throw new Error(`${this.who}: interpolation must be 'bilinear' or 'nearest', got '${String(args.interpolation)}'`);
    }
    if (args.cropToAspectRatio !== undefined && typeof args.cropToAspectRatio !== 'boolean') {
      throw new Error(`${this.who}: cropToAspectRatio must be a boolean, got ${JSON.stringify(args.cropToAspectRatio)}`);
    }
    this.cropToAspectRatio = args.cropToAspectRatio ?? false;
  }

  private get who(): string {
    return `${this.name} (${this.className})`;
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    imageRank(this.who, x);
    const size: [number, number] = [this.height, this.width];
    if (!this.cropToAspectRatio) return halfPixelResize(x, size, this.interpolation);
    const [h, w] = x.shape.slice(x.rank - 3, x.rank - 1);
    const c = cut(x, aspectWindow(h, w, this.height, this.width));
    return freeing(c, halfPixelResize(c, size, this.interpolation));
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    imageRank(this.who, s);
    return [...s.slice(0, s.length - 3), this.height, this.width, s[s.length - 1]];
  }

  override getConfig() {
    return { ...super.getConfig(), height: this.height, width: this.width, interpolation: this.interpolation, cropToAspectRatio: this.cropToAspectRatio };
  }
}

export interface CenterCropLayerArgs extends LayerArgs {
  height: number;
  width: number;
}

/** The centred [height, width] window of each image (float32 out). */
export class CenterCrop extends Layer {
  static override readonly className = 'CenterCrop';
  readonly height: number;
  readonly width: number;

  constructor(args: CenterCropLayerArgs) {
    super(args, 'center_crop');
    this.height = sideArg(this.who, 'height', args?.height);
    this.width = sideArg(this.who, 'width', args.width);
  }

  private get who(): string {
    return `${this.name} (${this.className})`;
  }

  call(x: Tensor, _ctx: CallContext): Tensor {
    imageRank(this.who, x);
    const [h, w] = x.shape.slice(x.rank - 3, x.rank - 1);
    const xf = x.dtype === 'float32' ? x : ops.cast(x, 'float32');
    let y: Tensor;
    if (h >= this.height && w >= this.width) {
      y = cut(xf, [Math.trunc((h - this.height) / 2), Math.trunc((w - this.width) / 2), this.height, this.width]);
    } else {
      // Smaller than the target: Keras resizes the largest centred window of its aspect ratio.
      const c = cut(xf, aspectWindow(h, w, this.height, this.width));
      y = freeing(c, halfPixelResize(c, [this.height, this.width], 'bilinear'));
    }
    return xf === x ? y : freeing(xf, y);
  }

  override computeOutputShape(s: SymbolicShape): SymbolicShape {
    imageRank(this.who, s);
    return [...s.slice(0, s.length - 3), this.height, this.width, s[s.length - 1]];
  }

  override getConfig() {
    return { ...super.getConfig(), height: this.height, width: this.width };
  }
}
