/**
 * The js backend's optimizer updates beyond Adam, SGD and RMSprop: Adagrad, Adadelta and
 * Adamax in the Keras / TensorFlow.js form, and the PyTorch forms of SGD, Adam/AdamW, Adagrad
 * and RMSprop (formulas on the Backend interface). Plain loops, float64 intermediates, one
 * float32 rounding when a value is stored.
 */
import type { Storage } from '../backend';
import { f32View } from './views';

export function adagrad(p: Storage, g: Storage, acc: Storage, n: number, lr: number, eps: number): void {
  const P = f32View(p, n, 'adagrad p');
  const G = f32View(g, n, 'adagrad g');
  const A = f32View(acc, n, 'adagrad acc');
  for (let i = 0; i < n; i++) {
    A[i] += G[i] * G[i];
    P[i] -= (lr * G[i]) / Math.sqrt(A[i] + eps);
  }
}

export function adadelta(p: Storage, g: Storage, accG: Storage, accD: Storage, n: number, lr: number, rho: number, eps: number): void {
  const P = f32View(p, n, 'adadelta p');
  const G = f32View(g, n, 'adadelta g');
  const AG = f32View(accG, n, 'adadelta accG');
  const AD = f32View(accD, n, 'adadelta accD');
  for (let i = 0; i < n; i++) {
    AG[i] = rho * AG[i] + (1 - rho) * G[i] * G[i];
    const d = (Math.sqrt(AD[i] + eps) / Math.sqrt(AG[i] + eps)) * G[i];
    AD[i] = rho * AD[i] + (1 - rho) * d * d;
    P[i] -= lr * d;
  }
}

export function adamax(p: Storage, g: Storage, m: Storage, u: Storage, n: number, lrT: number, beta1: number, beta2: number, eps: number): void {
  const P = f32View(p, n, 'adamax p');
  const G = f32View(g, n, 'adamax g');
  const M = f32View(m, n, 'adamax m');
  const U = f32View(u, n, 'adamax u');
  for (let i = 0; i < n; i++) {
    M[i] = beta1 * M[i] + (1 - beta1) * G[i];
    U[i] = Math.max(beta2 * U[i], Math.abs(G[i]));
    P[i] -= (lrT * M[i]) / (U[i] + eps);
  }
}

export function sgdTorch(
  p: Storage, g: Storage, buf: Storage | null, n: number,
  lr: number, momentum: number, dampening: number, nesterov: boolean, weightDecay: number, first: boolean,
): void {
  const P = f32View(p, n, 'sgdTorch p');
  const G = f32View(g, n, 'sgdTorch g');
  const B = buf ? f32View(buf, n, 'sgdTorch buf') : null;
  if (!B && momentum !== 0) throw new Error('ferrite js backend: sgdTorch: momentum ≠ 0 needs a momentum buffer');
  for (let i = 0; i < n; i++) {
    let d = G[i] + weightDecay * P[i];
    if (B) {
      B[i] = first ? d : momentum * B[i] + (1 - dampening) * d;
      d = nesterov ? d + momentum * B[i] : B[i];
    }
    P[i] -= lr * d;
  }
}

export function adamTorch(
  p: Storage, g: Storage, m: Storage, v: Storage, vMax: Storage | null, n: number,
  stepSize: number, beta1: number, beta2: number, eps: number, bc2Sqrt: number, l2: number, keep: number,
): void {
  const P = f32View(p, n, 'adamTorch p');
  const G = f32View(g, n, 'adamTorch g');
  const M = f32View(m, n, 'adamTorch m');
  const V = f32View(v, n, 'adamTorch v');
  const VM = vMax ? f32View(vMax, n, 'adamTorch vMax') : null;
  for (let i = 0; i < n; i++) {
    const pi = P[i] * keep;
    const d = G[i] + l2 * pi;
    M[i] = beta1 * M[i] + (1 - beta1) * d;
    V[i] = beta2 * V[i] + (1 - beta2) * d * d;
    let second = V[i];
    if (VM) {
      VM[i] = Math.max(VM[i], V[i]);
      second = VM[i];
    }
    P[i] = pi - (stepSize * M[i]) / (Math.sqrt(second) / bc2Sqrt + eps);
  }
}

export function adagradTorch(p: Storage, g: Storage, sum: Storage, n: number, clr: number, eps: number, weightDecay: number): void {
  const P = f32View(p, n, 'adagradTorch p');
  const G = f32View(g, n, 'adagradTorch g');
  const S = f32View(sum, n, 'adagradTorch sum');
  for (let i = 0; i < n; i++) {
    const d = G[i] + weightDecay * P[i];
    S[i] += d * d;
    P[i] -= (clr * d) / (Math.sqrt(S[i]) + eps);
  }
}

export function rmspropTorch(
  p: Storage, g: Storage, sq: Storage, gAvg: Storage | null, buf: Storage | null, n: number,
  lr: number, alpha: number, eps: number, weightDecay: number, momentum: number,
): void {
  const P = f32View(p, n, 'rmspropTorch p');
  const G = f32View(g, n, 'rmspropTorch g');
  const SQ = f32View(sq, n, 'rmspropTorch sq');
  const GA = gAvg ? f32View(gAvg, n, 'rmspropTorch gAvg') : null;
  const B = buf ? f32View(buf, n, 'rmspropTorch buf') : null;
  if (!B && momentum !== 0) throw new Error('ferrite js backend: rmspropTorch: momentum ≠ 0 needs a momentum buffer');
  for (let i = 0; i < n; i++) {
    const d = G[i] + weightDecay * P[i];
    SQ[i] = alpha * SQ[i] + (1 - alpha) * d * d;
    let variance = SQ[i];
    if (GA) {
      GA[i] = alpha * GA[i] + (1 - alpha) * d;
      // sq ≥ gAvg² in exact arithmetic; clamp so rounding cannot give √(negative) = NaN.
      variance = Math.max(variance - GA[i] * GA[i], 0);
    }
    const step = d / (Math.sqrt(variance) + eps);
    if (B) {
      B[i] = momentum * B[i] + step;
      P[i] -= lr * B[i];
    } else {
      P[i] -= lr * step;
    }
  }
}
