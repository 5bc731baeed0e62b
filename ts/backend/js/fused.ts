/** Fused bias + activation (a Dense layer's output) and its gradient, for the js backend. */
import type { BiasActivation } from '../backend';
import { unaryDerivative, unaryFn } from './math';

/** out[r, c] = act(x[r, c] + bias[c]); pre (unless null) = x + bias (rounded to float32 first). */
export function biasAct(
  act: BiasActivation, X: Float32Array, B: Float32Array | null, O: Float32Array, P: Float32Array | null,
  rows: number, cols: number, alpha: number | undefined,
): void {
  const f = act === 'linear' ? null : unaryFn(act, alpha);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) {
      const v = B ? Math.fround(X[o + c] + B[c]) : X[o + c];
      if (P) P[o + c] = v;
      O[o + c] = f ? f(v) : v;
    }
  }
}

/** dx = dy · act'(xOrY); dBias (unless null) = column sums of dx (float64, rounded once). */
export function biasActGrad(
  act: BiasActivation, XY: Float32Array, DY: Float32Array, DX: Float32Array, DB: Float32Array | null,
  rows: number, cols: number, alpha: number | undefined,
): void {
  // relu'(x) read from y: y > 0 exactly where x > 0, so the same test serves
  const df = act === 'linear' ? null : unaryDerivative(act, alpha);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) DX[o + c] = df ? DY[o + c] * df(XY[o + c]) : DY[o + c];
  }
  if (DB) {
    for (let c = 0; c < cols; c++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += DX[r * cols + c];
      DB[c] = s;
    }
  }
}
