/**
 * fe.nn.utils: gradient clipping as torch.nn.utils, in place on the parameters' gradients
 * (call between loss.backward() and opt.step()).
 */
import { ENGINE } from '../engine';
import { combineNorms, pNorm } from '../optimizers/clipping';
import { Variable } from '../tensor';

function gradsOf(where: string, parameters: Variable | Iterable<Variable>): Variable[] {
  const list = parameters instanceof Variable ? [parameters] : parameters && typeof (parameters as Iterable<Variable>)[Symbol.iterator] === 'function' ? [...parameters] : null;
  if (!list) throw new Error(`${where}: parameters must be a variable or a list of them (e.g. model.parameters()), got ${String(parameters)}`);
  list.forEach((p, i) => {
    if (!(p instanceof Variable)) throw new Error(`${where}: parameters[${i}] is not a variable`);
  });
  return list.filter((p) => p.grad !== null);
}

export interface ClipGradNormOptions {
  /** The p of the p-norm: 2 (default), 1, any p > 0, or Infinity / 'inf' (largest |g|). */
  normType?: number | 'inf';
  /** Throw when the total norm is NaN or infinite (default false: the gradients are scaled anyway, as PyTorch). */
  errorIfNonfinite?: boolean;
}

/**
 * torch.nn.utils.clip_grad_norm_: the norm of all gradients together (as if concatenated);
 * when it exceeds maxNorm every gradient is multiplied by maxNorm / (norm + 1e-6).
 * Returns the total norm before clipping (a number).
 */
export function clipGradNorm(parameters: Variable | Iterable<Variable>, maxNorm: number, options: ClipGradNormOptions | number = {}): number {
  const where = 'nn.utils.clipGradNorm';
  const o = typeof options === 'number' ? { normType: options } : options;
  for (const k of Object.keys(o)) {
    if (k !== 'normType' && k !== 'errorIfNonfinite') throw new Error(`${where}: unknown option '${k}' (expected normType, errorIfNonfinite)`);
  }
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm) || maxNorm < 0) throw new Error(`${where}: maxNorm must be a non-negative number, got ${String(maxNorm)}`);
  const p = o.normType === 'inf' ? Infinity : o.normType ?? 2;
  if (typeof p !== 'number' || !(p > 0)) throw new Error(`${where}: normType must be a positive number or 'inf', got ${String(o.normType)}`);
  const params = gradsOf(where, parameters);
  if (params.length === 0) return 0;
  const b = ENGINE.get();
  const total = combineNorms(params.map((v) => pNorm(b, v.grad!.storage, v.grad!.size, p)), p);
  if (o.errorIfNonfinite && !Number.isFinite(total)) {
    throw new Error(`${where}: the total norm of order ${p} of the gradients is ${total}, so it cannot be clipped (errorIfNonfinite)`);
  }
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1 || Number.isNaN(coef)) {
    for (const v of params) b.affine(v.grad!.storage, v.grad!.storage, v.grad!.size, coef, 0);
  }
  return total;
}

/** torch.nn.utils.clip_grad_value_: every gradient element clipped to [−clipValue, clipValue]. */
export function clipGradValue(parameters: Variable | Iterable<Variable>, clipValue: number): void {
  const where = 'nn.utils.clipGradValue';
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) throw new Error(`${where}: clipValue must be a non-negative number, got ${String(clipValue)}`);
  const b = ENGINE.get();
  for (const v of gradsOf(where, parameters)) b.clip(v.grad!.storage, v.grad!.storage, v.grad!.size, -clipValue, clipValue);
}
