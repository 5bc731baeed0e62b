/**
 * tf.cumsum and tf.cumprod along an axis, with TensorFlow's `exclusive` and `reverse`, and
 * their gradients (TensorFlow.js has none for cumprod; this one is exact also where x has
 * zeros).
 */
import type { ScanOp } from '../backend/backend';
import { record } from '../autograd';
import { ENGINE } from '../engine';
import { emptyTensor, sizeOf, Tensor } from '../tensor';
import { toTensor, type TensorInput } from './convert';
import { normalizeAxis } from './util';

interface Geometry {
  outer: number;
  axisLen: number;
  inner: number;
}

function geometry(x: Tensor, axis: number): Geometry {
  return { outer: sizeOf(x.shape.slice(0, axis)), axisLen: x.shape[axis], inner: sizeOf(x.shape.slice(axis + 1)) };
}

/** The scan kernel on float32 data. */
function scanRaw(op: ScanOp, x: Tensor, g: Geometry, exclusive: boolean, reverse: boolean): Tensor {
  const out = emptyTensor(x.shape);
  if (out.size) ENGINE.get().cumulative(op, x.storage, out.storage, g.outer, g.axisLen, g.inner, exclusive, reverse);
  return out;
}

/** Exact integer scan (int32 and bool inputs, as TensorFlow.js gives int32). */
function scanInt(op: ScanOp, x: Tensor, g: Geometry, exclusive: boolean, reverse: boolean): Tensor {
  const v = ENGINE.get().readI32(x.storage);
  const r = new Int32Array(v.length);
  for (let o = 0; o < g.outer; o++) {
    for (let i = 0; i < g.inner; i++) {
      let acc = op === 'sum' ? 0 : 1;
      for (let t = 0; t < g.axisLen; t++) {
        const at = (o * g.axisLen + (reverse ? g.axisLen - 1 - t : t)) * g.inner + i;
        const next = op === 'sum' ? (acc + v[at]) | 0 : Math.imul(acc, v[at]);
        r[at] = exclusive ? acc : next;
        acc = next;
      }
    }
  }
  const out = emptyTensor(x.shape, 'int32');
  if (out.size) ENGINE.get().write(out.storage, r);
  return out;
}

function args(op: string, input: TensorInput, axis: number): { x: Tensor; a: number; g: Geometry } {
  const x = toTensor(op, input);
  if (x.rank === 0) throw new Error(`${op}: expected a tensor of rank ≥ 1, got a scalar`);
  const a = normalizeAxis(op, axis, x.rank);
  return { x, a, g: geometry(x, a) };
}

/** Cumulative sum along `axis`, as tf.cumsum(x, axis = 0, exclusive = false, reverse = false). */
export function cumsum(input: TensorInput, axis = 0, exclusive = false, reverse = false): Tensor {
  const { x, g } = args('cumsum', input, axis);
  const y = x.dtype !== 'float32' ? scanInt('sum', x, g, exclusive, reverse) : scanRaw('sum', x, g, exclusive, reverse);
  // d/dx of a cumulative sum is the cumulative sum of dy the other way round.
  if (y.dtype === 'float32') record(y, 'cumsum', [x], (dy) => [scanRaw('sum', dy, g, exclusive, !reverse)]);
  if (x !== input && !y.gradFn) x.dispose();
  return y;
}

/** Cumulative product along `axis`, as tf.cumprod(x, axis = 0, exclusive = false, reverse = false). */
export function cumprod(input: TensorInput, axis = 0, exclusive = false, reverse = false): Tensor {
  const { x, g } = args('cumprod', input, axis);
  const y = x.dtype !== 'float32' ? scanInt('prod', x, g, exclusive, reverse) : scanRaw('prod', x, g, exclusive, reverse);
  if (y.dtype === 'float32') record(y, 'cumprod', [x], (dy) => [cumprodGrad(x, dy, g, exclusive, reverse)]);
  if (x !== input && !y.gradFn) x.dispose();
  return y;
}

/**
 * dx_i = Σ_j dy_j · ∂y_j/∂x_i for each line of the scan, in O(n) per line and exact where x
 * has zeros: before the first zero z (in scan order) it is Σ_{z>j≥i} dy_j·y_j / x_i; at z the
 * products skip x_z; after z it is 0. Exclusive scans are inclusive ones of the line shifted
 * by one. Computed in float64 on the host.
 */
function cumprodGrad(x: Tensor, dy: Tensor, g: Geometry, exclusive: boolean, reverse: boolean): Tensor {
  const b = ENGINE.get();
  const xv = b.readF32(x.storage);
  const dv = b.readF32(dy.storage);
  const dx = new Float32Array(xv.length);
  const n = g.axisLen;
  const line = new Float64Array(n);
  const dline = new Float64Array(n);
  const out = new Float64Array(n);
  for (let o = 0; o < g.outer; o++) {
    for (let i = 0; i < g.inner; i++) {
      const at = (t: number) => (o * n + (reverse ? n - 1 - t : t)) * g.inner + i;
      // In scan order; an exclusive scan is the inclusive scan of x[0..n−1) seeded by dy[1..n).
      const m = exclusive ? n - 1 : n;
      for (let t = 0; t < m; t++) {
        line[t] = xv[at(t)];
        dline[t] = dv[at(exclusive ? t + 1 : t)];
      }
      inclusiveProdGrad(line, dline, m, out);
      for (let t = 0; t < n; t++) dx[at(t)] = t < m ? out[t] : 0;
    }
  }
  const r = emptyTensor(x.shape);
  if (r.size) b.write(r.storage, dx);
  return r;
}

function inclusiveProdGrad(x: Float64Array, dy: Float64Array, n: number, out: Float64Array): void {
  let z = 0;
  while (z < n && x[z] !== 0) z++;
  // y_j = Π_{k≤j} x_k for j < z
  let p = 1;
  const y = new Float64Array(n);
  for (let j = 0; j < z; j++) {
    p *= x[j];
    y[j] = p;
  }
  let suffix = 0;
  for (let i = z - 1; i >= 0; i--) {
    suffix += dy[i] * y[i];
    out[i] = suffix / x[i];
  }
  if (z < n) {
    let q = z > 0 ? y[z - 1] : 1;
    let acc = dy[z] * q;
    for (let j = z + 1; j < n; j++) {
      q *= x[j];
      acc += dy[j] * q;
    }
    out[z] = acc;
    for (let i = z + 1; i < n; i++) out[i] = 0;
  }
}

