/**
 * The Orthogonal initializer (Keras / TensorFlow.js): the Q factor of the QR decomposition of
 * a standard normal matrix, signs fixed so that R's diagonal is positive, times `gain`.
 * Keras' default for recurrent kernels.
 */
import { tensor } from '../ops/creation';
import { fillNormal, rngFor } from '../ops/random';
import type { Tensor } from '../tensor';
import type { Initializer } from './initializers';

/**
 * An orthonormal [rows, cols] matrix (orthonormal columns when rows ≥ cols, rows otherwise)
 * from `normal` ([max, min] standard normal samples), by modified Gram–Schmidt in float64.
 * Gram–Schmidt gives QR with R's diagonal positive, which is Keras' sign convention.
 */
export function orthonormal(rows: number, cols: number, normal: Float32Array): Float64Array {
  const n = Math.max(rows, cols), m = Math.min(rows, cols);
  // q holds m column vectors of length n, column-major.
  const q = Float64Array.from(normal.subarray(0, n * m));
  for (let j = 0; j < m; j++) {
    const cj = q.subarray(j * n, (j + 1) * n);
    // Twice: one pass of modified Gram–Schmidt can lose orthogonality in float rounding.
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        const ck = q.subarray(k * n, (k + 1) * n);
        let dot = 0;
        for (let i = 0; i < n; i++) dot += ck[i] * cj[i];
        for (let i = 0; i < n; i++) cj[i] -= dot * ck[i];
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += cj[i] * cj[i];
    norm = Math.sqrt(norm);
    // A (numerically) dependent column: any unit vector orthogonal to the others will do.
    if (norm < 1e-12) throw new Error('orthogonal: the random matrix is singular; use another seed');
    for (let i = 0; i < n; i++) cj[i] /= norm;
  }
  // Lay out as rows × cols row-major: q's columns are the columns (rows ≥ cols) or the rows.
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = rows >= cols ? q[c * n + r] : q[r * n + c];
  }
  return out;
}

export class Orthogonal implements Initializer {
  readonly className = 'Orthogonal';
  constructor(private gain = 1, private seed?: number) {}

  apply(shape: number[]): Tensor {
    if (shape.length < 2) {
      throw new Error(`orthogonal: needs a shape of rank ≥ 2, got [${shape.join(', ')}]`);
    }
    // Keras flattens all but the last axis.
    const cols = shape[shape.length - 1];
    const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const normal = new Float32Array(rows * cols);
    fillNormal(normal, 0, 1, rngFor(this.seed));
    const q = orthonormal(rows, cols, normal);
    const out = new Float32Array(rows * cols);
    for (let i = 0; i < out.length; i++) out[i] = this.gain * q[i];
    return tensor(out, shape);
  }

  getConfig() {
    return { gain: this.gain, seed: this.seed ?? null };
  }
}
