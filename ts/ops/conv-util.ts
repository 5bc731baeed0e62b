/**
 * Output sizes and padding of convolutions and pooling, as TensorFlow computes them:
 * - 'valid': no padding; out = ⌊(in − effectiveKernel) / stride⌋ + 1.
 * - 'same': out = ⌈in / stride⌉, padded by max((out − 1)·stride + effectiveKernel − in, 0),
 *   the smaller half on top/left.
 * - a number p: p on every side; explicit [[0, 0], [top, bottom], [left, right], [0, 0]].
 * effectiveKernel = (kernel − 1)·dilation + 1.
 */
import type { Conv2dGeometry, Pool2dGeometry } from '../backend/conv-geometry';
import { fmt } from './util';

export type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];
export type Padding = 'valid' | 'same' | number | ExplicitPadding;

/** A number or a pair (height, width), checked to be positive integers. */
export function pair(op: string, what: string, v: number | readonly number[] | undefined, dflt: number): [number, number] {
  const p: number[] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [...v];
  if (p.length !== 2 || !p.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new Error(`${op}: ${what} must be a positive integer or a pair of them, got ${JSON.stringify(v)}`);
  }
  return [p[0], p[1]];
}

export interface Dim {
  out: number;
  padBefore: number;
}

/** Output size and leading padding of one spatial axis. */
export function axis(op: string, name: string, size: number, kernel: number, stride: number, dilation: number,
  pad: 'valid' | 'same' | [number, number]): Dim {
  const ek = (kernel - 1) * dilation + 1;
  if (pad === 'same') {
    const out = Math.ceil(size / stride);
    return { out, padBefore: Math.floor(Math.max((out - 1) * stride + ek - size, 0) / 2) };
  }
  const [before, after] = pad === 'valid' ? [0, 0] : pad;
  if (!Number.isInteger(before) || !Number.isInteger(after) || before < 0 || after < 0) {
    throw new Error(`${op}: padding must be non-negative integers, got ${before} and ${after} on the ${name}`);
  }
  const padded = size + before + after;
  if (padded < ek) {
    const dil = dilation > 1 ? ` (${ek} dilated)` : '';
    throw new Error(
      `${op}: the ${name} of the kernel, ${kernel}${dil}, is larger than the ${pad === 'valid' ? 'input' : 'padded input'}'s ${padded}` +
        (pad === 'valid' ? " (use padding 'same' or a smaller kernel)" : ''));
  }
  return { out: Math.floor((padded - ek) / stride) + 1, padBefore: before };
}

export function axisPads(op: string, pad: Padding): ['valid' | 'same' | [number, number], 'valid' | 'same' | [number, number]] {
  if (pad === 'valid' || pad === 'same') return [pad, pad];
  if (typeof pad === 'number') return [[pad, pad], [pad, pad]];
  if (Array.isArray(pad) && pad.length === 4 && pad.every((p) => Array.isArray(p) && p.length === 2)) {
    if (pad[0][0] || pad[0][1] || pad[3][0] || pad[3][1]) {
      throw new Error(`${op}: explicit padding of the batch and channel axes must be 0, got ${JSON.stringify(pad)}`);
    }
    return [[pad[1][0], pad[1][1]], [pad[2][0], pad[2][1]]];
  }
  throw new Error(`${op}: padding must be 'valid', 'same', a number or [[0, 0], [top, bottom], [left, right], [0, 0]], got ${JSON.stringify(pad)}`);
}

/** Geometry of conv2d(x [n, h, w, c], filter [kh, kw, c, f]). */
export function conv2dGeometry(
  op: string, xShape: readonly number[], filterShape: readonly number[],
  strides: [number, number], pad: Padding, dilations: [number, number],
): Conv2dGeometry {
  if (xShape.length !== 4) throw new Error(`${op}: expected input of rank 4 [batch, height, width, channels], got ${fmt(xShape)}`);
  if (filterShape.length !== 4) {
    throw new Error(`${op}: expected a filter of rank 4 [filterHeight, filterWidth, inChannels, outChannels], got ${fmt(filterShape)}`);
  }
  const [n, h, w, c] = xShape;
  const [kh, kw, fc, f] = filterShape;
  if (fc !== c) {
    throw new Error(`${op}: the input has ${c} channels but the filter ${fmt(filterShape)} expects ${fc} (input shape ${fmt(xShape)})`);
  }
  if (kh < 1 || kw < 1) throw new Error(`${op}: the filter ${fmt(filterShape)} has an empty spatial size`);
  const [ph, pw] = axisPads(op, pad);
  const y = axis(op, 'height', h, kh, strides[0], dilations[0], ph);
  const x = axis(op, 'width', w, kw, strides[1], dilations[1], pw);
  return {
    batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: y.out, outWidth: x.out, outChannels: f,
    filterHeight: kh, filterWidth: kw, strideHeight: strides[0], strideWidth: strides[1],
    dilationHeight: dilations[0], dilationWidth: dilations[1], padTop: y.padBefore, padLeft: x.padBefore,
  };
}

/** Geometry of 2-D pooling of x [n, h, w, c] with a window of filterSize. */
export function pool2dGeometry(
  op: string, xShape: readonly number[], filterSize: [number, number], strides: [number, number], pad: Padding,
): Pool2dGeometry {
  if (xShape.length !== 4) throw new Error(`${op}: expected input of rank 4 [batch, height, width, channels], got ${fmt(xShape)}`);
  const [n, h, w, c] = xShape;
  const [ph, pw] = axisPads(op, pad);
  for (const [p, k, name] of [[ph, filterSize[0], 'height'], [pw, filterSize[1], 'width']] as const) {
    // A window entirely in the padding would have nothing to pool.
    if (Array.isArray(p) && (p[0] >= k || p[1] >= k)) {
      throw new Error(`${op}: padding ${p[0]}, ${p[1]} on the ${name} must be smaller than the pool size ${k}`);
    }
  }
  const y = axis(op, 'height', h, filterSize[0], strides[0], 1, ph);
  const x = axis(op, 'width', w, filterSize[1], strides[1], 1, pw);
  return {
    batchSize: n, inHeight: h, inWidth: w, channels: c, outHeight: y.out, outWidth: x.out,
    filterHeight: filterSize[0], filterWidth: filterSize[1], strideHeight: strides[0], strideWidth: strides[1],
    padTop: y.padBefore, padLeft: x.padBefore,
  };
}
