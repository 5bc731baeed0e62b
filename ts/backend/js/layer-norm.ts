/**
 * The js backend's layer normalization over the last axis of [rows, cols], float64
 * intermediates: the semantics of crates/ferrite-core/src/layer_norm.rs (standard, or Keras'
 * rms_scaling: y = x·r·γ with r from the centred variance).
 */
import type { Storage } from '../backend';
import { f32View } from './views';

export function layerNorm(
  x: Storage, gamma: Storage | null, beta: Storage | null, out: Storage, mean: Storage, rstd: Storage,
  rows: number, cols: number, epsilon: number, rms: boolean,
): void {
  const n = rows * cols;
  const X = f32View(x, n, 'layerNorm x'), Y = f32View(out, n, 'layerNorm out');
  const G = gamma ? f32View(gamma, cols, 'layerNorm gamma') : null;
  const B = beta ? f32View(beta, cols, 'layerNorm beta') : null;
  const M = f32View(mean, rows, 'layerNorm mean'), R = f32View(rstd, rows, 'layerNorm rstd');
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let mu = 0;
    for (let j = 0; j < cols; j++) mu += X[o + j];
    mu /= cols;
    let v = 0;
    for (let j = 0; j < cols; j++) v += (X[o + j] - mu) ** 2;
    v /= cols;
    const inv = 1 / Math.sqrt(v + epsilon);
    M[r] = mu;
    R[r] = inv;
    for (let j = 0; j < cols; j++) {
      const g = G ? G[j] : 1;
      Y[o + j] = rms ? X[o + j] * inv * g : (X[o + j] - mu) * inv * g + (B ? B[j] : 0);
    }
  }
}

export function layerNormGrad(
  x: Storage, gamma: Storage | null, dy: Storage, mean: Storage, rstd: Storage,
  dx: Storage | null, dgamma: Storage | null, dbeta: Storage | null, rows: number, cols: number, rms: boolean,
): void {
  const n = rows * cols;
  const X = f32View(x, n, 'layerNormGrad x'), DY = f32View(dy, n, 'layerNormGrad dy');
  const G = gamma ? f32View(gamma, cols, 'layerNormGrad gamma') : null;
  const M = f32View(mean, rows, 'layerNormGrad mean'), R = f32View(rstd, rows, 'layerNormGrad rstd');
  const DX = dx ? f32View(dx, n, 'layerNormGrad dx') : null;
  const dG = new Float64Array(cols), dB = new Float64Array(cols);
  const g = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols, mu = M[r], inv = R[r];
    for (let j = 0; j < cols; j++) g[j] = DY[o + j] * (G ? G[j] : 1);
    if (rms) {
      // dx = r·g − r³·(x − μ)·mean(g·x); dγ += dy·x·r.
      let c = 0;
      for (let j = 0; j < cols; j++) c += g[j] * X[o + j];
      c /= cols;
      for (let j = 0; j < cols; j++) {
        if (DX) DX[o + j] = inv * g[j] - inv * inv * inv * (X[o + j] - mu) * c;
        dG[j] += DY[o + j] * X[o + j] * inv;
      }
    } else {
      // x̂ = (x − μ)·r; dx = r·(g − mean(g) − x̂·mean(g·x̂)).
      let mg = 0, mgx = 0;
      for (let j = 0; j < cols; j++) {
        mg += g[j];
        mgx += g[j] * (X[o + j] - mu) * inv;
      }
      mg /= cols;
      mgx /= cols;
      for (let j = 0; j < cols; j++) {
        const xhat = (X[o + j] - mu) * inv;
        if (DX) DX[o + j] = inv * (g[j] - mg - xhat * mgx);
        dG[j] += DY[o + j] * xhat;
        dB[j] += DY[o + j];
      }
    }
  }
  if (dgamma) f32View(dgamma, cols, 'layerNormGrad dgamma').set(dG);
  if (dbeta) f32View(dbeta, cols, 'layerNormGrad dbeta').set(dB);
}
