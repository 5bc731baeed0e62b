/**
 * fe.image: TensorFlow.js' image ops on [batch, height, width, channels] (resizes also on
 * [height, width, channels]): resizeBilinear and resizeNearestNeighbor (alignCorners,
 * halfPixelCenters; coordinates as TensorFlow.js computes them), flipLeftRight and
 * cropAndResize, with gradients w.r.t. the images.
 */
import { record } from '../autograd';
import { ENGINE } from '../engine';
import { nearestSourceIndices, type CropGeometry, type ResizeGeometry } from '../backend/spatial-geometry';
import { emptyTensor, Tensor } from '../tensor';
import { tensor } from './creation';
import { toTensor, TensorOrNumber } from './convert';
import { gather } from './indexing';
import { cast, reshape } from './shape';
import { freeTemps } from './spatial-util';
import { fmt } from './util';

function images(op: string, input: TensorOrNumber, ranks: number[]): Tensor {
  const x = toTensor(op, input);
  if (!ranks.includes(x.rank)) {
    const want = ranks.includes(3) ? 'rank 4 [batch, height, width, channels] or 3 [height, width, channels]' : 'rank 4 [batch, height, width, channels]';
    throw new Error(`${op}: expected images of ${want}, got ${fmt(x.shape)}`);
  }
  return x;
}

function sizeArg(op: string, size: unknown): [number, number] {
  if (!Array.isArray(size) || size.length !== 2 || !size.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${op}: size must be [newHeight, newWidth], non-negative integers, got ${JSON.stringify(size)}`);
  }
  return [size[0], size[1]];
}

function resizeGeometry(op: string, x4: Tensor, size: [number, number], alignCorners: boolean, halfPixelCenters: boolean): ResizeGeometry {
  if (typeof alignCorners !== 'boolean' || typeof halfPixelCenters !== 'boolean') {
    throw new Error(`${op}: alignCorners and halfPixelCenters must be booleans, got ${JSON.stringify([alignCorners, halfPixelCenters])}`);
  }
  if (alignCorners && halfPixelCenters) throw new Error(`${op}: if halfPixelCenters is true, alignCorners must be false`);
  const [n, h, w, c] = x4.shape;
  if ((h === 0 && size[0] > 0) || (w === 0 && size[1] > 0)) {
    throw new Error(`${op}: cannot resize images of shape ${fmt(x4.shape)} (an empty side) to ${fmt(size)}`);
  }
  return { batchSize: n, inHeight: h, inWidth: w, channels: c, outHeight: size[0], outWidth: size[1], alignCorners, halfPixelCenters };
}

type ResizeKind = 'bilinear' | 'nearest';

/** The recorded resize of float32 x [n, h, w, c]; its gradient is recorded too (its own adjoint). */
function resizeCore(kind: ResizeKind, op: string, x: Tensor, g: ResizeGeometry): Tensor {
  const out = emptyTensor([g.batchSize, g.outHeight, g.outWidth, g.channels]);
  if (out.size) {
    if (kind === 'bilinear') ENGINE.get().resizeBilinear(x.storage, out.storage, g);
    else ENGINE.get().resizeNearest(x.storage, out.storage, g);
  }
  return record(out, op, [x], (dy) => [resizeGradCore(kind, op, dy, g)]);
}

function resizeGradCore(kind: ResizeKind, op: string, dy: Tensor, g: ResizeGeometry): Tensor {
  const dx = emptyTensor([g.batchSize, g.inHeight, g.inWidth, g.channels]);
  if (dx.size) {
    if (kind === 'bilinear') ENGINE.get().resizeBilinearGrad(dy.storage, dx.storage, g);
    else ENGINE.get().resizeNearestGrad(dy.storage, dx.storage, g);
  }
  return record(dx, `${op}Grad`, [dy], (u) => [resizeCore(kind, op, u, g)]);
}

function resize(kind: ResizeKind, op: string, input: TensorOrNumber, size: [number, number], alignCorners: boolean, halfPixelCenters: boolean): Tensor {
  const x = images(op, input, [3, 4]);
  const sz = sizeArg(op, size);
  const x4 = x.rank === 4 ? x : reshape(x, [1, ...x.shape]);
  const g = resizeGeometry(op, x4, sz, alignCorners, halfPixelCenters);
  let out: Tensor;
  const temps: Tensor[] = [];
  if (x.dtype === 'float32') {
    out = resizeCore(kind, op, x4, g);
  } else if (kind === 'bilinear') {
    // As TensorFlow.js: integer images resize to float32.
    const xf = cast(x4, 'float32');
    temps.push(xf);
    out = resizeCore(kind, op, xf, g);
  } else {
    // Integer images keep their dtype and their exact values: pick rows, then columns.
    const rows = tensor(nearestSourceIndices(g.inHeight, g.outHeight, alignCorners, halfPixelCenters), [g.outHeight], 'int32');
    const cols = tensor(nearestSourceIndices(g.inWidth, g.outWidth, alignCorners, halfPixelCenters), [g.outWidth], 'int32');
    const picked = gather(x4, rows, 1);
    out = gather(picked, cols, 2);
    temps.push(rows, cols, picked);
  }
  if (x.rank === 4) {
    freeTemps(out, temps, [x]);
    return out;
  }
  const y = reshape(out, out.shape.slice(1));
  freeTemps(y, [x4, out, ...temps], [x]);
  return y;
}

/**
 * Bilinear resize, as tf.image.resizeBilinear(images, size, alignCorners, halfPixelCenters):
 * images [batch, height, width, channels] or [height, width, channels] → size [newHeight,
 * newWidth]; float32 out.
 */
export function resizeBilinear(images: TensorOrNumber, size: [number, number], alignCorners = false, halfPixelCenters = false): Tensor {
  return resize('bilinear', 'resizeBilinear', images, size, alignCorners, halfPixelCenters);
}

/** Nearest-neighbour resize, as tf.image.resizeNearestNeighbor (same arguments; keeps the dtype). */
export function resizeNearestNeighbor(images: TensorOrNumber, size: [number, number], alignCorners = false, halfPixelCenters = false): Tensor {
  return resize('nearest', 'resizeNearestNeighbor', images, size, alignCorners, halfPixelCenters);
}

/** x [n, h, w, c] with its width reversed (no gradient recorded). */
function flipRaw(x: Tensor): Tensor {
  const out = emptyTensor(x.shape, x.dtype);
  if (out.size) {
    const [, h, w, c] = x.shape;
    // Read each row from its last pixel backwards: a negative stride on the width.
    ENGINE.get().stridedCopy(x.storage, (w - 1) * c, [h * w * c, w * c, -c, 1], out.storage, 0, [h * w * c, w * c, c, 1], x.shape);
  }
  return out;
}

/** Mirrors images [batch, height, width, channels] left to right, as tf.image.flipLeftRight. */
export function flipLeftRight(image: TensorOrNumber): Tensor {
  const x = images('flipLeftRight', image, [4]);
  return record(flipRaw(x), 'flipLeftRight', [x], (dy) => [flipRaw(dy)]);
}

/**
 * Crops boxes out of images and resizes them, as tf.image.cropAndResize(image, boxes, boxInd,
 * cropSize, method, extrapolationValue): image [batch, height, width, channels], boxes
 * [numBoxes, 4] (y1, x1, y2, x2 in [0, 1] image coordinates; may exceed it or be flipped),
 * boxInd int32 [numBoxes] (the image of each box), cropSize [cropHeight, cropWidth] →
 * float32 [numBoxes, cropHeight, cropWidth, channels]; positions outside the image take
 * extrapolationValue. The gradient reaches the image (boxes get none, as in TensorFlow.js).
 */
export function cropAndResize(
  image: TensorOrNumber, boxes: Tensor, boxInd: Tensor, cropSize: [number, number],
  method: 'bilinear' | 'nearest' = 'bilinear', extrapolationValue = 0,
): Tensor {
  const op = 'cropAndResize';
  const im = images(op, image, [4]);
  if (!(boxes instanceof Tensor) || boxes.rank !== 2 || boxes.shape[1] !== 4) {
    throw new Error(`${op}: boxes must be a tensor of shape [numBoxes, 4], got ${boxes instanceof Tensor ? fmt(boxes.shape) : typeof boxes}`);
  }
  if (boxes.requiresGrad) throw new Error(`${op}: has no gradient w.r.t. boxes; pass boxes that do not require one`);
  const numBoxes = boxes.shape[0];
  if (!(boxInd instanceof Tensor) || boxInd.rank !== 1 || boxInd.shape[0] !== numBoxes || boxInd.dtype !== 'int32') {
    throw new Error(`${op}: boxInd must be an int32 tensor of shape [${numBoxes}], got ${boxInd instanceof Tensor ? `${boxInd.dtype} ${fmt(boxInd.shape)}` : typeof boxInd}`);
  }
  if (!Array.isArray(cropSize) || cropSize.length !== 2 || !cropSize.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new Error(`${op}: cropSize must be [cropHeight, cropWidth], positive integers, got ${JSON.stringify(cropSize)}`);
  }
  if (method !== 'bilinear' && method !== 'nearest') throw new Error(`${op}: method must be 'bilinear' or 'nearest', got '${method}'`);
  if (typeof extrapolationValue !== 'number') throw new Error(`${op}: extrapolationValue must be a number, got ${typeof extrapolationValue}`);
  const [n, h, w, c] = im.shape;
  const g: CropGeometry = { numBoxes, batchSize: n, height: h, width: w, channels: c, cropHeight: cropSize[0], cropWidth: cropSize[1], method };
  const x = im.dtype === 'float32' ? im : cast(im, 'float32');
  const bx = boxes.dtype === 'float32' ? boxes : cast(boxes, 'float32');
  const out = emptyTensor([numBoxes, cropSize[0], cropSize[1], c]);
  const bad = numBoxes ? ENGINE.get().cropAndResize(x.storage, bx.storage, boxInd.storage, out.storage, g, extrapolationValue) : -1;
  if (bad >= 0) {
    const value = boxInd.dataSync()[bad];
    out.dispose();
    freeTemps(out, [x, bx], [im, boxes]);
    throw new Error(`${op}: boxInd[${bad}] = ${value} is outside [0, ${n}) (the batch of images ${fmt(im.shape)})`);
  }
  const result = record(out, op, [x], (dy) => {
    const d = emptyTensor(x.shape);
    if (d.size) ENGINE.get().cropAndResizeGradImage(dy.storage, bx.storage, boxInd.storage, d.storage, g);
    return [d];
  });
  freeTemps(result, [x, bx], [im, boxes]);
  return result;
}
