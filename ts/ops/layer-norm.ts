/**
 * Layer normalization over the trailing axes as one fused op (one backend call forward, one
 * backward): the kernel behind Keras' LayerNormalization and PyTorch's layer_norm.
 */
import { needsGrad, record } from '../autograd';
import { ENGINE } from '../engine';
import { emptyTensor, Tensor } from '../tensor';
import { fmt } from './util';

export interface LayerNormOptions {
  /** Added to the variance (Keras' default 1e-3; PyTorch's 1e-5). */
  epsilon?: number;
  /** How many trailing axes are normalized together (default 1: the last). */
  axes?: number;
  /** Keras' rms_scaling: y = x·r·γ with r = 1/√(σ² + ε) (no centring, no β). */
  rms?: boolean;
  /** Names the caller (a layer) in error messages. */
  name?: string;
}

/**
 * y = (x − μ)/√(σ² + ε)·γ + β, μ and σ² over the trailing `axes` axes of x; γ and β (or null)
 * have the shape of those axes.
 */
export function layerNorm(x: Tensor, gamma: Tensor | null = null, beta: Tensor | null = null, opts: LayerNormOptions = {}): Tensor {
  const who = opts.name ?? 'layerNorm';
  const axes = opts.axes ?? 1;
  const epsilon = opts.epsilon ?? 1e-3;
  const rms = opts.rms ?? false;
  if (!(x instanceof Tensor)) throw new Error(`${who}: expected a tensor`);
  if (x.dtype !== 'float32') throw new Error(`${who}: expected a float32 input, got ${x.dtype}`);
  if (!Number.isInteger(axes) || axes < 1 || axes > x.rank) {
    throw new Error(`${who}: axes must be an integer in [1, ${x.rank}] (trailing axes to normalize) for input ${fmt(x.shape)}, got ${axes}`);
  }
  if (!(typeof epsilon === 'number' && epsilon >= 0)) throw new Error(`${who}: epsilon must be a non-negative number, got ${opts.epsilon}`);
  if (rms && beta) throw new Error(`${who}: rms scaling has no beta (it does not centre)`);
  const normShape = x.shape.slice(x.rank - axes);
  const cols = normShape.reduce((a, b) => a * b, 1);
  const rows = cols ? x.size / cols : 0;
  for (const [what, p] of [['gamma', gamma], ['beta', beta]] as const) {
    if (p && (p.size !== cols || p.dtype !== 'float32')) {
      throw new Error(`${who}: expected ${what} of shape ${fmt(normShape)} (float32), got ${fmt(p.shape)} (${p.dtype})`);
    }
  }
  const b = ENGINE.get();
  const y = emptyTensor(x.shape);
  const mean = emptyTensor([rows]), rstd = emptyTensor([rows]);
  if (x.size) b.layerNorm(x.storage, gamma?.storage ?? null, beta?.storage ?? null, y.storage, mean.storage, rstd.storage, rows, cols, epsilon, rms);
  const inputs = [x, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
  if (!needsGrad(inputs)) {
    mean.dispose();
    rstd.dispose();
    return y;
  }
  return record(y, 'layerNorm', inputs, (dy) => {
    const k = ENGINE.get();
    const dx = x.requiresGrad ? emptyTensor(x.shape) : null;
    const dg = gamma?.requiresGrad ? emptyTensor(gamma.shape) : null;
    const db = beta?.requiresGrad ? emptyTensor(beta.shape) : null;
    if (x.size) {
      k.layerNormGrad(x.storage, gamma?.storage ?? null, dy.storage, mean.storage, rstd.storage,
        dx?.storage ?? null, dg?.storage ?? null, db?.storage ?? null, rows, cols, rms);
    } else {
      for (const t of [dx, dg, db]) if (t && t.size) k.fill(t.storage, 0, t.size);
    }
    const grads: (Tensor | null)[] = [dx];
    if (gamma) grads.push(dg);
    if (beta) grads.push(db);
    return grads;
  });
}
