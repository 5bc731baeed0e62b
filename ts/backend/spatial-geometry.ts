/**
 * Geometry of the 3-D and depthwise convolution, 3-D pooling and image resampling kernels
 * (channels-last data; filters in Keras layouts). Ops compute it; backends receive it whole.
 * As conv-geometry.ts: only the leading (front/top/left) padding is given, the trailing
 * padding follows from the output size.
 */

/** x [batch, inDepth, inHeight, inWidth, inChannels] ⊛ filter [fd, fh, fw, inChannels, outChannels]. */
export interface Conv3dGeometry {
  batchSize: number;
  inDepth: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outDepth: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterDepth: number;
  filterHeight: number;
  filterWidth: number;
  strideDepth: number;
  strideHeight: number;
  strideWidth: number;
  dilationDepth: number;
  dilationHeight: number;
  dilationWidth: number;
  padFront: number;
  padTop: number;
  padLeft: number;
}

/**
 * x [batch, inHeight, inWidth, inChannels] with filter [fh, fw, inChannels, channelMultiplier]
 * → out [batch, outHeight, outWidth, inChannels·channelMultiplier] (channel c·m + q).
 */
export interface DepthwiseGeometry {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  channelMultiplier: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
}

/** x [batch, inDepth, inHeight, inWidth, channels] → out [batch, outDepth, outHeight, outWidth, channels]. */
export interface Pool3dGeometry {
  batchSize: number;
  inDepth: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  outDepth: number;
  outHeight: number;
  outWidth: number;
  filterDepth: number;
  filterHeight: number;
  filterWidth: number;
  strideDepth: number;
  strideHeight: number;
  strideWidth: number;
  padFront: number;
  padTop: number;
  padLeft: number;
}

/** images [batch, inHeight, inWidth, channels] → [batch, outHeight, outWidth, channels]. */
export interface ResizeGeometry {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  outHeight: number;
  outWidth: number;
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

/** image [batch, height, width, channels], boxes [numBoxes, 4] → [numBoxes, cropHeight, cropWidth, channels]. */
export interface CropGeometry {
  numBoxes: number;
  batchSize: number;
  height: number;
  width: number;
  channels: number;
  cropHeight: number;
  cropWidth: number;
  method: 'bilinear' | 'nearest';
}

/** The 21 values the wasm kernels read (crates/ferrite-core/src/conv3d.rs). */
export function conv3dGeometryValues(g: Conv3dGeometry): number[] {
  return [
    g.batchSize, g.inDepth, g.inHeight, g.inWidth, g.inChannels, g.outDepth, g.outHeight, g.outWidth, g.outChannels,
    g.filterDepth, g.filterHeight, g.filterWidth, g.strideDepth, g.strideHeight, g.strideWidth,
    g.dilationDepth, g.dilationHeight, g.dilationWidth, g.padFront, g.padTop, g.padLeft,
  ];
}

/** The 15 values the wasm kernels read (crates/ferrite-core/src/depthwise.rs). */
export function depthwiseGeometryValues(g: DepthwiseGeometry): number[] {
  return [
    g.batchSize, g.inHeight, g.inWidth, g.inChannels, g.channelMultiplier, g.outHeight, g.outWidth,
    g.filterHeight, g.filterWidth, g.strideHeight, g.strideWidth, g.dilationHeight, g.dilationWidth, g.padTop, g.padLeft,
  ];
}

/** The 17 values the wasm kernels read (crates/ferrite-core/src/pool3d.rs). */
export function pool3dGeometryValues(g: Pool3dGeometry): number[] {
  return [
    g.batchSize, g.inDepth, g.inHeight, g.inWidth, g.channels, g.outDepth, g.outHeight, g.outWidth,
    g.filterDepth, g.filterHeight, g.filterWidth, g.strideDepth, g.strideHeight, g.strideWidth,
    g.padFront, g.padTop, g.padLeft,
  ];
}

/** The 8 values the wasm kernels read (crates/ferrite-core/src/resize.rs). */
export function resizeGeometryValues(g: ResizeGeometry): number[] {
  return [g.batchSize, g.inHeight, g.inWidth, g.channels, g.outHeight, g.outWidth, g.alignCorners ? 1 : 0, g.halfPixelCenters ? 1 : 0];
}

/** The 8 values the wasm kernels read (crates/ferrite-core/src/resize.rs). */
export function cropGeometryValues(g: CropGeometry): number[] {
  return [g.numBoxes, g.batchSize, g.height, g.width, g.channels, g.cropHeight, g.cropWidth, g.method === 'nearest' ? 1 : 0];
}

export const conv3dInputSize = (g: Conv3dGeometry) => g.batchSize * g.inDepth * g.inHeight * g.inWidth * g.inChannels;
export const conv3dFilterSize = (g: Conv3dGeometry) => g.filterDepth * g.filterHeight * g.filterWidth * g.inChannels * g.outChannels;
export const conv3dOutputSize = (g: Conv3dGeometry) => g.batchSize * g.outDepth * g.outHeight * g.outWidth * g.outChannels;
export const depthwiseInputSize = (g: DepthwiseGeometry) => g.batchSize * g.inHeight * g.inWidth * g.inChannels;
export const depthwiseFilterSize = (g: DepthwiseGeometry) => g.filterHeight * g.filterWidth * g.inChannels * g.channelMultiplier;
export const depthwiseOutputSize = (g: DepthwiseGeometry) =>
  g.batchSize * g.outHeight * g.outWidth * g.inChannels * g.channelMultiplier;
export const pool3dInputSize = (g: Pool3dGeometry) => g.batchSize * g.inDepth * g.inHeight * g.inWidth * g.channels;
export const pool3dOutputSize = (g: Pool3dGeometry) => g.batchSize * g.outDepth * g.outHeight * g.outWidth * g.channels;
export const resizeInputSize = (g: ResizeGeometry) => g.batchSize * g.inHeight * g.inWidth * g.channels;
export const resizeOutputSize = (g: ResizeGeometry) => g.batchSize * g.outHeight * g.outWidth * g.channels;
export const cropImageSize = (g: CropGeometry) => g.batchSize * g.height * g.width * g.channels;
export const cropOutputSize = (g: CropGeometry) => g.numBoxes * g.cropHeight * g.cropWidth * g.channels;

/**
 * The source index of each output coordinate of a nearest-neighbour resize along one axis, as
 * TensorFlow.js computes it: src = scale·o (+ scale/2 with halfPixelCenters), rounded
 * (alignCorners) or floored, clamped to the input; scale = in/out, or (in − 1)/(out − 1)
 * with alignCorners.
 */
export function nearestSourceIndices(input: number, output: number, alignCorners: boolean, halfPixelCenters: boolean): number[] {
  const r = alignCorners && output > 1 ? (input - 1) / (output - 1) : input / output;
  return Array.from({ length: output }, (_, o) => {
    const src = halfPixelCenters ? r * (o + 0.5) : r * o;
    return Math.max(0, Math.min(input - 1, alignCorners ? Math.round(src) : Math.floor(src)));
  });
}
