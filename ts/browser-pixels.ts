/**
 * fe.browser, as tf.browser: fromPixels turns an image (ImageData, a canvas, an <img>, a
 * <video>, an ImageBitmap, or any { width, height, data } RGBA object) into an int32 tensor
 * [height, width, channels]; toPixels turns a [height, width, 1|3|4] tensor (floats in [0, 1]
 * or ints in [0, 255]) into RGBA bytes, drawn on a canvas when one is given.
 */
import { tensor } from './ops/creation';
import { fmt } from './ops/util';
import type { Tensor } from './tensor';

/** What fromPixels reads: RGBA bytes with their size. */
interface PixelSource {
  width: number;
  height: number;
  data: ArrayLike<number>;
}

type Drawable = { width: number; height: number } & object;

function rgbaOf(source: unknown): PixelSource {
  if (source === null || typeof source !== 'object') throw new Error(`fromPixels: expected an image, got ${source === null ? 'null' : typeof source}`);
  const s = source as { data?: unknown; width?: unknown; height?: unknown; videoWidth?: number; videoHeight?: number; naturalWidth?: number; naturalHeight?: number; getContext?: unknown };
  if (s.data && typeof s.width === 'number' && typeof s.height === 'number' && typeof (s.data as ArrayLike<number>).length === 'number') {
    const src = s as PixelSource;
    if (src.data.length !== src.width * src.height * 4) {
      throw new Error(`fromPixels: ${src.width}×${src.height} pixels need ${src.width * src.height * 4} RGBA bytes, got ${src.data.length}`);
    }
    return src;
  }
  const doc = (globalThis as { document?: { createElement(t: string): unknown } }).document;
  const OffscreenCanvasCtor = (globalThis as { OffscreenCanvas?: new (w: number, h: number) => unknown }).OffscreenCanvas;
  const width = s.videoWidth || s.naturalWidth || (s.width as number);
  const height = s.videoHeight || s.naturalHeight || (s.height as number);
  if (!(width > 0 && height > 0)) throw new Error('fromPixels: the image has no size yet (is it loaded?)');
  // A canvas reads its own pixels; anything else is drawn on a scratch canvas first.
  let canvas = typeof s.getContext === 'function' ? (s as unknown) : null;
  if (!canvas) {
    canvas = OffscreenCanvasCtor ? new OffscreenCanvasCtor(width, height) : doc?.createElement('canvas');
    if (!canvas) throw new Error('fromPixels: there is no canvas here to read the image with; pass ImageData or { width, height, data }');
    (canvas as Drawable & { width: number; height: number }).width = width;
    (canvas as Drawable & { height: number }).height = height;
  }
  const ctx = (canvas as { getContext(t: string, o?: unknown): unknown }).getContext('2d', { willReadFrequently: true }) as {
    drawImage(i: unknown, x: number, y: number, w: number, h: number): void;
    getImageData(x: number, y: number, w: number, h: number): PixelSource;
  } | null;
  if (!ctx) throw new Error('fromPixels: cannot get a 2-D context to read the image');
  if (canvas !== source) ctx.drawImage(source, 0, 0, width, height);
  return ctx.getImageData(0, 0, width, height);
}

/** tf.browser.fromPixels(image, numChannels = 3): int32 [height, width, numChannels]. */
export function fromPixels(image: unknown, numChannels = 3): Tensor {
  if (numChannels !== 1 && numChannels !== 3 && numChannels !== 4) throw new Error(`fromPixels: numChannels must be 1, 3 or 4, got ${numChannels}`);
  const { width, height, data } = rgbaOf(image);
  const out = new Int32Array(width * height * numChannels);
  for (let p = 0, o = 0; p < width * height; p++) for (let c = 0; c < numChannels; c++) out[o++] = data[p * 4 + c];
  return tensor(out, [height, width, numChannels], 'int32');
}

/** tf.browser.fromPixelsAsync. */
export async function fromPixelsAsync(image: unknown, numChannels = 3): Promise<Tensor> {
  return fromPixels(image, numChannels);
}

/**
 * tf.browser.toPixels(img, canvas?): RGBA bytes of a [height, width] or [height, width, 1|3|4]
 * tensor — float32 in [0, 1] or int32 in [0, 255], as TensorFlow.js requires — drawn on the
 * canvas when given.
 */
export async function toPixels(img: Tensor, canvas?: unknown): Promise<Uint8ClampedArray> {
  if (img.rank !== 2 && img.rank !== 3) throw new Error(`toPixels: expected [height, width] or [height, width, channels], got ${fmt(img.shape)}`);
  const [height, width] = img.shape;
  const depth = img.rank === 2 ? 1 : img.shape[2];
  if (![1, 3, 4].includes(depth)) throw new Error(`toPixels: the last axis must have 1, 3 or 4 channels, got ${depth}`);
  const v = img.dataSync();
  const isFloat = img.dtype === 'float32';
  const out = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const px = (c: number) => {
      const x = v[p * depth + c];
      if (isFloat ? !(x >= 0 && x <= 1) : !(x >= 0 && x <= 255)) {
        throw new Error(`toPixels: value ${x} at pixel ${p} is outside ${isFloat ? '[0, 1] (float32)' : '[0, 255] (int32)'}`);
      }
      return isFloat ? Math.round(x * 255) : x;
    };
    const r = px(0);
    out[p * 4] = r;
    out[p * 4 + 1] = depth === 1 ? r : px(1);
    out[p * 4 + 2] = depth === 1 ? r : px(2);
    out[p * 4 + 3] = depth === 4 ? px(3) : 255;
  }
  if (canvas) {
    const c = canvas as { width: number; height: number; getContext(t: string): { putImageData(d: unknown, x: number, y: number): void } | null };
    c.width = width;
    c.height = height;
    const ctx = c.getContext('2d');
    const ImageDataCtor = (globalThis as { ImageData?: new (d: Uint8ClampedArray, w: number, h: number) => unknown }).ImageData;
    if (!ctx || !ImageDataCtor) throw new Error('toPixels: cannot draw on this canvas (no 2-D context or ImageData here)');
    ctx.putImageData(new ImageDataCtor(out, width, height), 0, 0);
  }
  return out;
}
