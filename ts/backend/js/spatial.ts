/**
 * The js backend's 3-D and depthwise convolutions, 3-D pooling and image resampling: direct
 * loops from the definitions, float64 accumulators, one float32 rounding per stored value.
 * Padding positions contribute nothing (zeros for convolutions; ignored by pooling).
 * Resampling uses TensorFlow.js' coordinate formulas (crates/ferrite-core/src/resize.rs).
 */
import type { Storage } from '../backend';
import {
  conv3dFilterSize, conv3dInputSize, conv3dOutputSize, cropImageSize, cropOutputSize, depthwiseFilterSize,
  depthwiseInputSize, depthwiseOutputSize, pool3dInputSize, pool3dOutputSize, resizeInputSize, resizeOutputSize,
  nearestSourceIndices, type Conv3dGeometry, type CropGeometry, type DepthwiseGeometry, type Pool3dGeometry,
  type ResizeGeometry,
} from '../spatial-geometry';
import { f32View, i32View } from './views';

// ---- 3-D convolution --------------------------------------------------------------------

/** Calls f(xOffset, filterRowOffset, outRowOffset) for every (output position, tap, channel) in range. */
function forEachTap3d(g: Conv3dGeometry, f: (xi: number, wi: number, oi: number) => void): void {
  const { inDepth: D, inHeight: H, inWidth: W, inChannels: C, outChannels: F } = g;
  for (let n = 0; n < g.batchSize; n++) {
    for (let oz = 0; oz < g.outDepth; oz++) {
      for (let oy = 0; oy < g.outHeight; oy++) {
        for (let ox = 0; ox < g.outWidth; ox++) {
          const oi = (((n * g.outDepth + oz) * g.outHeight + oy) * g.outWidth + ox) * F;
          for (let kz = 0; kz < g.filterDepth; kz++) {
            const iz = oz * g.strideDepth - g.padFront + kz * g.dilationDepth;
            if (iz < 0 || iz >= D) continue;
            for (let ky = 0; ky < g.filterHeight; ky++) {
              const iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < g.filterWidth; kx++) {
                const ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
                if (ix < 0 || ix >= W) continue;
                const xi = (((n * D + iz) * H + iy) * W + ix) * C;
                const wi = ((kz * g.filterHeight + ky) * g.filterWidth + kx) * C * F;
                for (let c = 0; c < C; c++) f(xi + c, wi + c * F, oi);
              }
            }
          }
        }
      }
    }
  }
}

export function conv3d(x: Storage, filter: Storage, bias: Storage | null, out: Storage, g: Conv3dGeometry, relu: boolean): void {
  const X = f32View(x, conv3dInputSize(g), 'conv3d x');
  const Wt = f32View(filter, conv3dFilterSize(g), 'conv3d filter');
  const O = f32View(out, conv3dOutputSize(g), 'conv3d out');
  const B = bias ? f32View(bias, g.outChannels, 'conv3d bias') : null;
  const F = g.outChannels;
  const acc = new Float64Array(O.length);
  forEachTap3d(g, (xi, wi, oi) => {
    const v = X[xi];
    for (let f = 0; f < F; f++) acc[oi + f] += v * Wt[wi + f];
  });
  for (let i = 0; i < acc.length; i++) {
    const s = acc[i] + (B ? B[i % F] : 0);
    O[i] = relu && s < 0 ? 0 : s;
  }
}

export function conv3dBackpropInput(dy: Storage, filter: Storage, dx: Storage, g: Conv3dGeometry): void {
  const DY = f32View(dy, conv3dOutputSize(g), 'conv3dBackpropInput dy');
  const Wt = f32View(filter, conv3dFilterSize(g), 'conv3dBackpropInput filter');
  const DX = f32View(dx, conv3dInputSize(g), 'conv3dBackpropInput dx');
  const F = g.outChannels;
  const acc = new Float64Array(DX.length);
  forEachTap3d(g, (xi, wi, oi) => {
    let s = 0;
    for (let f = 0; f < F; f++) s += DY[oi + f] * Wt[wi + f];
    acc[xi] += s;
  });
  DX.set(acc);
}

export function conv3dBackpropFilter(x: Storage, dy: Storage, dFilter: Storage, g: Conv3dGeometry): void {
  const X = f32View(x, conv3dInputSize(g), 'conv3dBackpropFilter x');
  const DY = f32View(dy, conv3dOutputSize(g), 'conv3dBackpropFilter dy');
  const DW = f32View(dFilter, conv3dFilterSize(g), 'conv3dBackpropFilter dFilter');
  const F = g.outChannels;
  const acc = new Float64Array(DW.length);
  forEachTap3d(g, (xi, wi, oi) => {
    const v = X[xi];
    for (let f = 0; f < F; f++) acc[wi + f] += v * DY[oi + f];
  });
  DW.set(acc);
}

// ---- depthwise convolution ---------------------------------------------------------------

/** Calls f(xOffset, filterOffset, outOffset) for each (output position, tap) in range; the m channels of input channel c follow. */
function forEachDepthwiseTap(g: DepthwiseGeometry, f: (xi: number, wi: number, oi: number) => void): void {
  const { inHeight: H, inWidth: W, inChannels: C, channelMultiplier: M } = g;
  for (let n = 0; n < g.batchSize; n++) {
    for (let oy = 0; oy < g.outHeight; oy++) {
      for (let ox = 0; ox < g.outWidth; ox++) {
        const oi = ((n * g.outHeight + oy) * g.outWidth + ox) * C * M;
        for (let ky = 0; ky < g.filterHeight; ky++) {
          const iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < g.filterWidth; kx++) {
            const ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
            if (ix < 0 || ix >= W) continue;
            f(((n * H + iy) * W + ix) * C, (ky * g.filterWidth + kx) * C * M, oi);
          }
        }
      }
    }
  }
}

export function depthwiseConv2d(x: Storage, filter: Storage, bias: Storage | null, out: Storage, g: DepthwiseGeometry, relu: boolean): void {
  const X = f32View(x, depthwiseInputSize(g), 'depthwiseConv2d x');
  const Wt = f32View(filter, depthwiseFilterSize(g), 'depthwiseConv2d filter');
  const O = f32View(out, depthwiseOutputSize(g), 'depthwiseConv2d out');
  const CM = g.inChannels * g.channelMultiplier;
  const B = bias ? f32View(bias, CM, 'depthwiseConv2d bias') : null;
  const M = g.channelMultiplier;
  const acc = new Float64Array(O.length);
  forEachDepthwiseTap(g, (xi, wi, oi) => {
    for (let j = 0; j < CM; j++) acc[oi + j] += X[xi + Math.floor(j / M)] * Wt[wi + j];
  });
  for (let i = 0; i < acc.length; i++) {
    const s = acc[i] + (B ? B[i % CM] : 0);
    O[i] = relu && s < 0 ? 0 : s;
  }
}

export function depthwiseConv2dBackpropInput(dy: Storage, filter: Storage, dx: Storage, g: DepthwiseGeometry): void {
  const DY = f32View(dy, depthwiseOutputSize(g), 'depthwiseConv2dBackpropInput dy');
  const Wt = f32View(filter, depthwiseFilterSize(g), 'depthwiseConv2dBackpropInput filter');
  const DX = f32View(dx, depthwiseInputSize(g), 'depthwiseConv2dBackpropInput dx');
  const CM = g.inChannels * g.channelMultiplier;
  const M = g.channelMultiplier;
  const acc = new Float64Array(DX.length);
  forEachDepthwiseTap(g, (xi, wi, oi) => {
    for (let j = 0; j < CM; j++) acc[xi + Math.floor(j / M)] += DY[oi + j] * Wt[wi + j];
  });
  DX.set(acc);
}

export function depthwiseConv2dBackpropFilter(x: Storage, dy: Storage, dFilter: Storage, g: DepthwiseGeometry): void {
  const X = f32View(x, depthwiseInputSize(g), 'depthwiseConv2dBackpropFilter x');
  const DY = f32View(dy, depthwiseOutputSize(g), 'depthwiseConv2dBackpropFilter dy');
  const DW = f32View(dFilter, depthwiseFilterSize(g), 'depthwiseConv2dBackpropFilter dFilter');
  const CM = g.inChannels * g.channelMultiplier;
  const M = g.channelMultiplier;
  const acc = new Float64Array(DW.length);
  forEachDepthwiseTap(g, (xi, wi, oi) => {
    for (let j = 0; j < CM; j++) acc[wi + j] += X[xi + Math.floor(j / M)] * DY[oi + j];
  });
  DW.set(acc);
}

// ---- 3-D pooling -------------------------------------------------------------------------

/** Calls f(outOffset, input offsets of the window's real elements, row-major) per output position. */
function forEachWindow3d(g: Pool3dGeometry, f: (oi: number, taps: number[]) => void): void {
  const { inDepth: D, inHeight: H, inWidth: W, channels: C } = g;
  const taps: number[] = [];
  for (let n = 0; n < g.batchSize; n++) {
    for (let oz = 0; oz < g.outDepth; oz++) {
      for (let oy = 0; oy < g.outHeight; oy++) {
        for (let ox = 0; ox < g.outWidth; ox++) {
          taps.length = 0;
          for (let kz = 0; kz < g.filterDepth; kz++) {
            const iz = oz * g.strideDepth - g.padFront + kz;
            if (iz < 0 || iz >= D) continue;
            for (let ky = 0; ky < g.filterHeight; ky++) {
              const iy = oy * g.strideHeight - g.padTop + ky;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < g.filterWidth; kx++) {
                const ix = ox * g.strideWidth - g.padLeft + kx;
                if (ix >= 0 && ix < W) taps.push((((n * D + iz) * H + iy) * W + ix) * C);
              }
            }
          }
          f((((n * g.outDepth + oz) * g.outHeight + oy) * g.outWidth + ox) * C, taps);
        }
      }
    }
  }
}

export function maxPool3d(x: Storage, out: Storage, g: Pool3dGeometry): void {
  const X = f32View(x, pool3dInputSize(g), 'maxPool3d x');
  const O = f32View(out, pool3dOutputSize(g), 'maxPool3d out');
  const C = g.channels;
  forEachWindow3d(g, (oi, taps) => {
    for (let c = 0; c < C; c++) {
      let m = -Infinity;
      for (const t of taps) {
        const v = X[t + c];
        if (v > m || Number.isNaN(v)) m = v;
        if (Number.isNaN(m)) break;
      }
      O[oi + c] = m;
    }
  });
}

export function maxPool3dGrad(x: Storage, dy: Storage, dx: Storage, g: Pool3dGeometry): void {
  const X = f32View(x, pool3dInputSize(g), 'maxPool3dGrad x');
  const DY = f32View(dy, pool3dOutputSize(g), 'maxPool3dGrad dy');
  const DX = f32View(dx, pool3dInputSize(g), 'maxPool3dGrad dx');
  const C = g.channels;
  const acc = new Float64Array(DX.length);
  forEachWindow3d(g, (oi, taps) => {
    if (!taps.length) return;
    for (let c = 0; c < C; c++) {
      let best = taps[0];
      for (const t of taps) if (X[t + c] > X[best + c]) best = t;
      acc[best + c] += DY[oi + c];
    }
  });
  DX.set(acc);
}

export function avgPool3d(x: Storage, out: Storage, g: Pool3dGeometry): void {
  const X = f32View(x, pool3dInputSize(g), 'avgPool3d x');
  const O = f32View(out, pool3dOutputSize(g), 'avgPool3d out');
  const C = g.channels;
  forEachWindow3d(g, (oi, taps) => {
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (const t of taps) s += X[t + c];
      O[oi + c] = taps.length ? s / taps.length : 0;
    }
  });
}

export function avgPool3dGrad(dy: Storage, dx: Storage, g: Pool3dGeometry): void {
  const DY = f32View(dy, pool3dOutputSize(g), 'avgPool3dGrad dy');
  const DX = f32View(dx, pool3dInputSize(g), 'avgPool3dGrad dx');
  const C = g.channels;
  const acc = new Float64Array(DX.length);
  forEachWindow3d(g, (oi, taps) => {
    for (let c = 0; c < C; c++) {
      const share = DY[oi + c] / taps.length;
      for (const t of taps) acc[t + c] += share;
    }
  });
  DX.set(acc);
}

// ---- resampling ----------------------------------------------------------------------------

/** in/out, or (in − 1)/(out − 1) with alignCorners (TensorFlow.js' effective sizes). */
function scale(input: number, output: number, align: boolean): number {
  return align && output > 1 ? (input - 1) / (output - 1) : input / output;
}

/** Per output coordinate: the two source indices and the weight of the second. */
function bilinearAxis(input: number, output: number, align: boolean, half: boolean): { i0: number; i1: number; t: number }[] {
  const r = scale(input, output, align);
  return Array.from({ length: output }, (_, o) => {
    const src = half ? r * (o + 0.5) - 0.5 : r * o;
    const lo = Math.min(Math.max(0, Math.floor(src)), input - 1);
    return { i0: lo, i1: Math.min(Math.max(0, Math.ceil(src)), input - 1), t: src - lo };
  });
}

export function resizeBilinear(x: Storage, out: Storage, g: ResizeGeometry): void {
  const X = f32View(x, resizeInputSize(g), 'resizeBilinear x');
  const O = f32View(out, resizeOutputSize(g), 'resizeBilinear out');
  const ys = bilinearAxis(g.inHeight, g.outHeight, g.alignCorners, g.halfPixelCenters);
  const xs = bilinearAxis(g.inWidth, g.outWidth, g.alignCorners, g.halfPixelCenters);
  const { inHeight: H, inWidth: W, channels: C } = g;
  let o = 0;
  for (let n = 0; n < g.batchSize; n++) {
    for (const ly of ys) {
      for (const lx of xs) {
        for (let c = 0; c < C; c++) {
          const at = (y: number, xx: number) => X[((n * H + y) * W + xx) * C + c];
          const top = at(ly.i0, lx.i0) + (at(ly.i0, lx.i1) - at(ly.i0, lx.i0)) * lx.t;
          const bottom = at(ly.i1, lx.i0) + (at(ly.i1, lx.i1) - at(ly.i1, lx.i0)) * lx.t;
          O[o++] = top + (bottom - top) * ly.t;
        }
      }
    }
  }
}

export function resizeBilinearGrad(dy: Storage, dx: Storage, g: ResizeGeometry): void {
  const DY = f32View(dy, resizeOutputSize(g), 'resizeBilinearGrad dy');
  const DX = f32View(dx, resizeInputSize(g), 'resizeBilinearGrad dx');
  const ys = bilinearAxis(g.inHeight, g.outHeight, g.alignCorners, g.halfPixelCenters);
  const xs = bilinearAxis(g.inWidth, g.outWidth, g.alignCorners, g.halfPixelCenters);
  const { inHeight: H, inWidth: W, channels: C } = g;
  const acc = new Float64Array(DX.length);
  let o = 0;
  for (let n = 0; n < g.batchSize; n++) {
    for (const ly of ys) {
      for (const lx of xs) {
        for (let c = 0; c < C; c++) {
          const v = DY[o++];
          const at = (y: number, xx: number) => ((n * H + y) * W + xx) * C + c;
          acc[at(ly.i0, lx.i0)] += v * (1 - ly.t) * (1 - lx.t);
          acc[at(ly.i0, lx.i1)] += v * (1 - ly.t) * lx.t;
          acc[at(ly.i1, lx.i0)] += v * ly.t * (1 - lx.t);
          acc[at(ly.i1, lx.i1)] += v * ly.t * lx.t;
        }
      }
    }
  }
  DX.set(acc);
}

export function resizeNearest(x: Storage, out: Storage, g: ResizeGeometry): void {
  const X = f32View(x, resizeInputSize(g), 'resizeNearestNeighbor x');
  const O = f32View(out, resizeOutputSize(g), 'resizeNearestNeighbor out');
  const ys = nearestSourceIndices(g.inHeight, g.outHeight, g.alignCorners, g.halfPixelCenters);
  const xs = nearestSourceIndices(g.inWidth, g.outWidth, g.alignCorners, g.halfPixelCenters);
  const { inHeight: H, inWidth: W, channels: C } = g;
  let o = 0;
  for (let n = 0; n < g.batchSize; n++) {
    for (const y of ys) {
      for (const xx of xs) {
        for (let c = 0; c < C; c++) O[o++] = X[((n * H + y) * W + xx) * C + c];
      }
    }
  }
}

export function resizeNearestGrad(dy: Storage, dx: Storage, g: ResizeGeometry): void {
  const DY = f32View(dy, resizeOutputSize(g), 'resizeNearestNeighborGrad dy');
  const DX = f32View(dx, resizeInputSize(g), 'resizeNearestNeighborGrad dx');
  const ys = nearestSourceIndices(g.inHeight, g.outHeight, g.alignCorners, g.halfPixelCenters);
  const xs = nearestSourceIndices(g.inWidth, g.outWidth, g.alignCorners, g.halfPixelCenters);
  const { inHeight: H, inWidth: W, channels: C } = g;
  const acc = new Float64Array(DX.length);
  let o = 0;
  for (let n = 0; n < g.batchSize; n++) {
    for (const y of ys) {
      for (const xx of xs) {
        for (let c = 0; c < C; c++) acc[((n * H + y) * W + xx) * C + c] += DY[o++];
      }
    }
  }
  DX.set(acc);
}

/** Where one output coordinate of a crop reads (null: outside the image, extrapolated). */
function cropAxis(lo: number, hi: number, size: number, crop: number, nearest: boolean): ({ i0: number; i1: number; t: number } | null)[] {
  const last = size - 1;
  const step = crop > 1 ? ((hi - lo) * last) / (crop - 1) : 0;
  return Array.from({ length: crop }, (_, i) => {
    const v = crop > 1 ? lo * last + i * step : 0.5 * (lo + hi) * last;
    if (!(v >= 0 && v <= last)) return null;
    if (nearest) return { i0: Math.round(v), i1: Math.round(v), t: 0 };
    return { i0: Math.floor(v), i1: Math.ceil(v), t: v - Math.floor(v) };
  });
}

/** The first box whose image index is outside [0, batch), or -1. */
function badBox(I: Int32Array, batch: number): number {
  for (let b = 0; b < I.length; b++) if (!(I[b] >= 0 && I[b] < batch)) return b;
  return -1;
}

export function cropAndResize(
  image: Storage, boxes: Storage, boxInd: Storage, out: Storage, g: CropGeometry, extrapolation: number,
): number {
  const IM = f32View(image, cropImageSize(g), 'cropAndResize image');
  const BX = f32View(boxes, g.numBoxes * 4, 'cropAndResize boxes');
  const I = i32View(boxInd, g.numBoxes, 'cropAndResize boxInd');
  const O = f32View(out, cropOutputSize(g), 'cropAndResize out');
  const bad = badBox(I, g.batchSize);
  if (bad >= 0) return bad;
  const { height: H, width: W, channels: C } = g;
  let o = 0;
  for (let b = 0; b < g.numBoxes; b++) {
    const ys = cropAxis(BX[4 * b], BX[4 * b + 2], H, g.cropHeight, g.method === 'nearest');
    const xs = cropAxis(BX[4 * b + 1], BX[4 * b + 3], W, g.cropWidth, g.method === 'nearest');
    for (const ly of ys) {
      for (const lx of xs) {
        for (let c = 0; c < C; c++) {
          if (!ly || !lx) {
            O[o++] = extrapolation;
            continue;
          }
          const at = (y: number, xx: number) => IM[((I[b] * H + y) * W + xx) * C + c];
          const top = at(ly.i0, lx.i0) + (at(ly.i0, lx.i1) - at(ly.i0, lx.i0)) * lx.t;
          const bottom = at(ly.i1, lx.i0) + (at(ly.i1, lx.i1) - at(ly.i1, lx.i0)) * lx.t;
          O[o++] = top + (bottom - top) * ly.t;
        }
      }
    }
  }
  return -1;
}

export function cropAndResizeGradImage(dy: Storage, boxes: Storage, boxInd: Storage, dImage: Storage, g: CropGeometry): number {
  const DY = f32View(dy, cropOutputSize(g), 'cropAndResizeGradImage dy');
  const BX = f32View(boxes, g.numBoxes * 4, 'cropAndResizeGradImage boxes');
  const I = i32View(boxInd, g.numBoxes, 'cropAndResizeGradImage boxInd');
  const DI = f32View(dImage, cropImageSize(g), 'cropAndResizeGradImage dImage');
  const bad = badBox(I, g.batchSize);
  if (bad >= 0) return bad;
  const { height: H, width: W, channels: C } = g;
  const acc = new Float64Array(DI.length);
  let o = 0;
  for (let b = 0; b < g.numBoxes; b++) {
    const ys = cropAxis(BX[4 * b], BX[4 * b + 2], H, g.cropHeight, g.method === 'nearest');
    const xs = cropAxis(BX[4 * b + 1], BX[4 * b + 3], W, g.cropWidth, g.method === 'nearest');
    for (const ly of ys) {
      for (const lx of xs) {
        for (let c = 0; c < C; c++) {
          const v = DY[o++];
          if (!ly || !lx) continue;
          const at = (y: number, xx: number) => ((I[b] * H + y) * W + xx) * C + c;
          acc[at(ly.i0, lx.i0)] += v * (1 - ly.t) * (1 - lx.t);
          acc[at(ly.i0, lx.i1)] += v * (1 - ly.t) * lx.t;
          acc[at(ly.i1, lx.i0)] += v * ly.t * (1 - lx.t);
          acc[at(ly.i1, lx.i1)] += v * ly.t * lx.t;
        }
      }
    }
  }
  DI.set(acc);
  return -1;
}
