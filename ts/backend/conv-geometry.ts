/**
 * Geometry of the 2-D convolution and pooling kernels (NHWC data, filters [kh, kw, in, out]
 * as Keras). Ops compute it (ts/ops/conv-util.ts); backends receive it whole. Only the top
 * and left padding are given: the bottom and right padding follow from the output size.
 */

/** x [batch, inHeight, inWidth, inChannels] ⊛ filter [filterHeight, filterWidth, inChannels, outChannels]. */
export interface Conv2dGeometry {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
}

/** x [batch, inHeight, inWidth, channels] → out [batch, outHeight, outWidth, channels]. */
export interface Pool2dGeometry {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

/** The 15 values the wasm kernels read: [n, h, w, c, oh, ow, f, kh, kw, sh, sw, dh, dw, pt, pl]. */
export function conv2dGeometryValues(g: Conv2dGeometry): number[] {
  return [
    g.batchSize, g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, g.outChannels,
    g.filterHeight, g.filterWidth, g.strideHeight, g.strideWidth, g.dilationHeight, g.dilationWidth,
    g.padTop, g.padLeft,
  ];
}

/** The 12 values the wasm kernels read: [n, h, w, c, oh, ow, ph, pw, sh, sw, pt, pl]. */
export function pool2dGeometryValues(g: Pool2dGeometry): number[] {
  return [
    g.batchSize, g.inHeight, g.inWidth, g.channels, g.outHeight, g.outWidth,
    g.filterHeight, g.filterWidth, g.strideHeight, g.strideWidth, g.padTop, g.padLeft,
  ];
}

export const convInputSize = (g: Conv2dGeometry) => g.batchSize * g.inHeight * g.inWidth * g.inChannels;
export const convFilterSize = (g: Conv2dGeometry) => g.filterHeight * g.filterWidth * g.inChannels * g.outChannels;
export const convOutputSize = (g: Conv2dGeometry) => g.batchSize * g.outHeight * g.outWidth * g.outChannels;
export const poolInputSize = (g: Pool2dGeometry) => g.batchSize * g.inHeight * g.inWidth * g.channels;
export const poolOutputSize = (g: Pool2dGeometry) => g.batchSize * g.outHeight * g.outWidth * g.channels;
