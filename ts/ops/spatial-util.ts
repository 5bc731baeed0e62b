/**
 * Output sizes and padding of 3-D convolutions and pooling and of depthwise convolutions, as
 * TensorFlow computes them (conv-util.ts has the rules), plus TensorFlow.js' dimRoundingMode:
 * with a numeric pad p, out = mode((in + 2p − effectiveKernel) / stride + 1) for mode
 * 'floor' | 'round' | 'ceil' (default floor).
 */
import type { Conv3dGeometry, DepthwiseGeometry, Pool3dGeometry } from '../backend/spatial-geometry';
import type { Tensor } from '../tensor';
import { axis, axisPads, type Dim, type Padding } from './conv-util';
import { toTensor, type TensorOrNumber } from './convert';
import { fmt } from './util';

/** A float32 tensor argument of `op` (numbers become scalars), or a clear error. */
export function floatInput(op: string, x: TensorOrNumber, what = 'input'): Tensor {
  const t = toTensor(op, x);
  if (t.dtype !== 'float32') throw new Error(`${op}: expected a float32 ${what}, got ${t.dtype}`);
  return t;
}

export type DimRoundingMode = 'floor' | 'round' | 'ceil';
/** 3-D padding: 'valid', 'same' or a number on every side. */
export type Padding3d = 'valid' | 'same' | number;

/** A number or `n` of them, checked to be positive integers. */
export function tupleOf(op: string, what: string, v: number | readonly number[] | undefined, n: number, dflt: number): number[] {
  const t: number[] = v === undefined ? new Array<number>(n).fill(dflt) : typeof v === 'number' ? new Array<number>(n).fill(v) : [...v];
  if (t.length !== n || !t.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new Error(`${op}: ${what} must be a positive integer or ${n} of them, got ${JSON.stringify(v)}`);
  }
  return t;
}

export function checkRounding(op: string, pad: unknown, mode: DimRoundingMode | undefined): void {
  if (mode === undefined) return;
  if (mode !== 'floor' && mode !== 'round' && mode !== 'ceil') {
    throw new Error(`${op}: dimRoundingMode must be 'floor', 'round' or 'ceil', got ${JSON.stringify(mode)}`);
  }
  if (typeof pad !== 'number' || !Number.isInteger(pad)) {
    throw new Error(`${op}: pad must be an integer when using dimRoundingMode '${mode}', got ${JSON.stringify(pad)}`);
  }
}

/** One spatial axis: TensorFlow's rules, or dimRoundingMode with a numeric pad. */
function outAxis(
  op: string, name: string, size: number, kernel: number, stride: number, dilation: number,
  pad: 'valid' | 'same' | [number, number], mode: DimRoundingMode | undefined,
): Dim {
  if (mode === undefined || !Array.isArray(pad)) return axis(op, name, size, kernel, stride, dilation, pad);
  const ek = (kernel - 1) * dilation + 1;
  const out = Math[mode]((size + pad[0] + pad[1] - ek) / stride + 1);
  if (!(out >= 1)) {
    throw new Error(`${op}: the ${name} of the kernel, ${ek}, is larger than the padded input's ${size + pad[0] + pad[1]}`);
  }
  return { out, padBefore: pad[0] };
}

function pads3d(op: string, pad: Padding3d): ('valid' | 'same' | [number, number])[] {
  if (pad === 'valid' || pad === 'same') return [pad, pad, pad];
  if (typeof pad === 'number' && Number.isInteger(pad) && pad >= 0) return [[pad, pad], [pad, pad], [pad, pad]];
  throw new Error(`${op}: pad must be 'valid', 'same' or a non-negative integer, got ${JSON.stringify(pad)}`);
}

const NAMES = ['depth', 'height', 'width'] as const;

/** Geometry of conv3d(x [n, d, h, w, c], filter [fd, fh, fw, c, f]). */
export function conv3dGeometry(
  op: string, xShape: readonly number[], filterShape: readonly number[], strides: number[], pad: Padding3d, dilations: number[],
): Conv3dGeometry {
  if (xShape.length !== 5) throw new Error(`${op}: expected input of rank 5 [batch, depth, height, width, channels], got ${fmt(xShape)}`);
  if (filterShape.length !== 5) {
    throw new Error(`${op}: expected a filter of rank 5 [filterDepth, filterHeight, filterWidth, inChannels, outChannels], got ${fmt(filterShape)}`);
  }
  const [n, d, h, w, c] = xShape;
  const [fd, fh, fw, fc, f] = filterShape;
  if (fc !== c) throw new Error(`${op}: the input has ${c} channels but the filter ${fmt(filterShape)} expects ${fc} (input shape ${fmt(xShape)})`);
  if (fd < 1 || fh < 1 || fw < 1) throw new Error(`${op}: the filter ${fmt(filterShape)} has an empty spatial size`);
  const p = pads3d(op, pad);
  const [z, y, x] = [0, 1, 2].map((i) => axis(op, NAMES[i], xShape[i + 1], filterShape[i], strides[i], dilations[i], p[i]));
  return {
    batchSize: n, inDepth: d, inHeight: h, inWidth: w, inChannels: c, outDepth: z.out, outHeight: y.out, outWidth: x.out,
    outChannels: f, filterDepth: fd, filterHeight: fh, filterWidth: fw,
    strideDepth: strides[0], strideHeight: strides[1], strideWidth: strides[2],
    dilationDepth: dilations[0], dilationHeight: dilations[1], dilationWidth: dilations[2],
    padFront: z.padBefore, padTop: y.padBefore, padLeft: x.padBefore,
  };
}

/** Geometry of 3-D pooling of x [n, d, h, w, c] with a window of filterSize. */
export function pool3dGeometry(
  op: string, xShape: readonly number[], filterSize: number[], strides: number[], pad: Padding3d, mode?: DimRoundingMode,
): Pool3dGeometry {
  if (xShape.length !== 5) throw new Error(`${op}: expected input of rank 5 [batch, depth, height, width, channels], got ${fmt(xShape)}`);
  checkRounding(op, pad, mode);
  const p = pads3d(op, pad);
  for (let i = 0; i < 3; i++) {
    const q = p[i];
    // A window entirely in the padding would have nothing to pool.
    if (Array.isArray(q) && q[0] >= filterSize[i]) {
      throw new Error(`${op}: padding ${q[0]} on the ${NAMES[i]} must be smaller than the pool size ${filterSize[i]}`);
    }
  }
  const [z, y, x] = [0, 1, 2].map((i) => outAxis(op, NAMES[i], xShape[i + 1], filterSize[i], strides[i], 1, p[i], mode));
  return {
    batchSize: xShape[0], inDepth: xShape[1], inHeight: xShape[2], inWidth: xShape[3], channels: xShape[4],
    outDepth: z.out, outHeight: y.out, outWidth: x.out, filterDepth: filterSize[0], filterHeight: filterSize[1], filterWidth: filterSize[2],
    strideDepth: strides[0], strideHeight: strides[1], strideWidth: strides[2], padFront: z.padBefore, padTop: y.padBefore, padLeft: x.padBefore,
  };
}

/** Geometry of 1-D pooling of x [n, steps, c] as 3-D pooling of [n, 1, 1, steps, c]. */
export function pool1dGeometry(op: string, xShape: readonly number[], size: number, stride: number, pad: Padding3d): Pool3dGeometry {
  const [n, w, c] = xShape;
  const p = pads3d(op, pad)[0];
  if (Array.isArray(p) && p[0] >= size) throw new Error(`${op}: padding ${p[0]} on the steps must be smaller than the pool size ${size}`);
  const x = axis(op, 'steps', w, size, stride, 1, p);
  return {
    batchSize: n, inDepth: 1, inHeight: 1, inWidth: w, channels: c, outDepth: 1, outHeight: 1, outWidth: x.out,
    filterDepth: 1, filterHeight: 1, filterWidth: size, strideDepth: 1, strideHeight: 1, strideWidth: stride,
    padFront: 0, padTop: 0, padLeft: x.padBefore,
  };
}

/** Geometry of depthwiseConv2d(x [n, h, w, c], filter [fh, fw, c, m]). */
export function depthwiseGeometry(
  op: string, xShape: readonly number[], filterShape: readonly number[], strides: [number, number], pad: Padding,
  dilations: [number, number], mode?: DimRoundingMode,
): DepthwiseGeometry {
  if (xShape.length !== 4) throw new Error(`${op}: expected input of rank 4 [batch, height, width, channels], got ${fmt(xShape)}`);
  if (filterShape.length !== 4) {
    throw new Error(`${op}: expected a filter of rank 4 [filterHeight, filterWidth, inChannels, channelMultiplier], got ${fmt(filterShape)}`);
  }
  const [n, h, w, c] = xShape;
  const [fh, fw, fc, m] = filterShape;
  if (fc !== c) throw new Error(`${op}: the input has ${c} channels but the filter ${fmt(filterShape)} expects ${fc} (input shape ${fmt(xShape)})`);
  if (fh < 1 || fw < 1 || m < 1) throw new Error(`${op}: the filter ${fmt(filterShape)} has an empty size`);
  checkRounding(op, pad, mode);
  const [ph, pw] = axisPads(op, pad);
  const y = outAxis(op, 'height', h, fh, strides[0], dilations[0], ph, mode);
  const x = outAxis(op, 'width', w, fw, strides[1], dilations[1], pw, mode);
  return {
    batchSize: n, inHeight: h, inWidth: w, inChannels: c, channelMultiplier: m, outHeight: y.out, outWidth: x.out,
    filterHeight: fh, filterWidth: fw, strideHeight: strides[0], strideWidth: strides[1],
    dilationHeight: dilations[0], dilationWidth: dilations[1], padTop: y.padBefore, padLeft: x.padBefore,
  };
}

/**
 * Frees the intermediate tensors of a composite op once its result is computed, unless the
 * result was recorded for a gradient (then the tape still reads them; the enclosing scope
 * frees them). Tensors the caller gave (`inputs`) are never freed.
 */
export function freeTemps(result: { gradFn: unknown }, temps: readonly ({ dispose(): void } | null)[], inputs: readonly unknown[]): void {
  if (result.gradFn) return;
  for (const t of temps) if (t && !inputs.includes(t) && (t as unknown) !== result) t.dispose();
}
