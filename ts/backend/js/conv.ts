/**
 * Convolution and pooling for the js backend: direct loops over NHWC data, float64
 * accumulators and one float32 rounding per stored value. Padding positions contribute
 * nothing (zero for convolutions; ignored by pooling, as TensorFlow).
 *
 * The innermost loop runs over the contiguous output channels of one filter row, so plain
 * JavaScript gets through it at a reasonable pace.
 */
import type { Conv2dGeometry, Pool2dGeometry } from '../conv-geometry';

/** Calls f(xOffset, filterRowOffset, outRowOffset) for every (output position, tap, channel) in range. */
function forEachTap(g: Conv2dGeometry, f: (xi: number, wi: number, oi: number) => void): void {
  const { inHeight: H, inWidth: W, inChannels: C, outChannels: F } = g;
  for (let n = 0; n < g.batchSize; n++) {
    for (let oy = 0; oy < g.outHeight; oy++) {
      for (let ox = 0; ox < g.outWidth; ox++) {
        const oi = ((n * g.outHeight + oy) * g.outWidth + ox) * F;
        for (let ky = 0; ky < g.filterHeight; ky++) {
          const iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < g.filterWidth; kx++) {
            const ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
            if (ix < 0 || ix >= W) continue;
            const xi = ((n * H + iy) * W + ix) * C;
            const wi = (ky * g.filterWidth + kx) * C * F;
            for (let c = 0; c < C; c++) f(xi + c, wi + c * F, oi);
          }
        }
      }
    }
  }
}

/** out = conv2d(x, w) (+ bias) (then max(·, 0) when relu). */
export function conv2d(
  g: Conv2dGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, relu: boolean, out: Float32Array,
): void {
  const F = g.outChannels;
  const rows = g.batchSize * g.outHeight * g.outWidth;
  const acc = new Float64Array(rows * F);
  forEachTap(g, (xi, wi, oi) => {
    const v = x[xi];
    for (let f = 0; f < F; f++) acc[oi + f] += v * w[wi + f];
  });
  for (let i = 0; i < acc.length; i++) {
    let s = acc[i] + (bias ? bias[i % F] : 0);
    if (relu && s < 0) s = 0;
    out[i] = s;
  }
}

/** dx = ∂/∂x of Σ dy ⊙ conv2d(x, w). */
export function conv2dBackpropInput(g: Conv2dGeometry, dy: Float32Array, w: Float32Array, dx: Float32Array): void {
  const F = g.outChannels;
  const acc = new Float64Array(g.batchSize * g.inHeight * g.inWidth * g.inChannels);
  forEachTap(g, (xi, wi, oi) => {
    let s = 0;
    for (let f = 0; f < F; f++) s += dy[oi + f] * w[wi + f];
    acc[xi] += s;
  });
  dx.set(acc);
}

/** dw = ∂/∂w of Σ dy ⊙ conv2d(x, w). */
export function conv2dBackpropFilter(g: Conv2dGeometry, x: Float32Array, dy: Float32Array, dw: Float32Array): void {
  const F = g.outChannels;
  const acc = new Float64Array(g.filterHeight * g.filterWidth * g.inChannels * F);
  forEachTap(g, (xi, wi, oi) => {
    const v = x[xi];
    for (let f = 0; f < F; f++) acc[wi + f] += v * dy[oi + f];
  });
  dw.set(acc);
}

/** Calls f(outOffset, list of input offsets of the window's real elements) per output pixel. */
function forEachWindow(g: Pool2dGeometry, f: (oi: number, taps: number[]) => void): void {
  const { inHeight: H, inWidth: W, channels: C } = g;
  const taps: number[] = [];
  for (let n = 0; n < g.batchSize; n++) {
    for (let oy = 0; oy < g.outHeight; oy++) {
      for (let ox = 0; ox < g.outWidth; ox++) {
        taps.length = 0;
        for (let ky = 0; ky < g.filterHeight; ky++) {
          const iy = oy * g.strideHeight - g.padTop + ky;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < g.filterWidth; kx++) {
            const ix = ox * g.strideWidth - g.padLeft + kx;
            if (ix >= 0 && ix < W) taps.push(((n * H + iy) * W + ix) * C);
          }
        }
        f(((n * g.outHeight + oy) * g.outWidth + ox) * C, taps);
      }
    }
  }
}

/** out = the maximum of each window (−∞ for an empty one; NaN propagates). */
export function maxPool2d(g: Pool2dGeometry, x: Float32Array, out: Float32Array): void {
  const C = g.channels;
  forEachWindow(g, (oi, taps) => {
    for (let c = 0; c < C; c++) {
      let m = -Infinity;
      for (const t of taps) {
        const v = x[t + c];
        if (v > m || Number.isNaN(v)) m = v;
        if (Number.isNaN(m)) break;
      }
      out[oi + c] = m;
    }
  });
}

/** dx: each dy goes to the first maximum of its window (row-major window order). */
export function maxPool2dGrad(g: Pool2dGeometry, x: Float32Array, dy: Float32Array, dx: Float32Array): void {
  const C = g.channels;
  const acc = new Float64Array(dx.length);
  forEachWindow(g, (oi, taps) => {
    if (!taps.length) return;
    for (let c = 0; c < C; c++) {
      let best = taps[0];
      for (const t of taps) if (x[t + c] > x[best + c]) best = t;
      acc[best + c] += dy[oi + c];
    }
  });
  dx.set(acc);
}

/** out = the mean of each window's real (unpadded) elements; 0 for an empty window. */
export function avgPool2d(g: Pool2dGeometry, x: Float32Array, out: Float32Array): void {
  const C = g.channels;
  forEachWindow(g, (oi, taps) => {
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (const t of taps) s += x[t + c];
      out[oi + c] = taps.length ? s / taps.length : 0;
    }
  });
}

/** dx: each dy spread evenly over its window's real elements. */
export function avgPool2dGrad(g: Pool2dGeometry, dy: Float32Array, dx: Float32Array): void {
  const C = g.channels;
  const acc = new Float64Array(dx.length);
  forEachWindow(g, (oi, taps) => {
    for (let c = 0; c < C; c++) {
      const share = dy[oi + c] / taps.length;
      for (const t of taps) acc[t + c] += share;
    }
  });
  dx.set(acc);
}
