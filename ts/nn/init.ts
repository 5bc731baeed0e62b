/**
 * PyTorch's default initialization for the fe.nn modules (from fe.setRandomSeed's stream):
 * Linear and convolution weights kaiming_uniform(a = √5), i.e. U(−1/√fanIn, 1/√fanIn), and
 * biases U(−1/√fanIn, 1/√fanIn); fanIn = inputs per output (in/groups · kernel area; for a
 * transposed convolution PyTorch takes out/groups · kernel area).
 */
import { noGrad } from '../autograd';
import { fill, randomUniform, variable } from '../ops/creation';
import type { Variable } from '../tensor';

/** A trainable Variable drawn from U(−bound, bound). */
export function uniformParameter(shape: number[], bound: number, name: string): Variable {
  return noGrad(() => {
    const t = randomUniform(shape, -bound, bound);
    const v = variable(t, true, name);
    t.dispose();
    return v;
  });
}

/** A Variable filled with `value` (trainable: a parameter; not: a buffer). */
export function constantVariable(shape: number[], value: number, trainable: boolean, name: string, dtype: 'float32' | 'int32' = 'float32'): Variable {
  return noGrad(() => {
    const t = fill(shape, value, dtype);
    const v = variable(t, trainable, name);
    t.dispose();
    return v;
  });
}

/** PyTorch's bound 1/√fanIn (0 for an empty fan-in, where PyTorch leaves the bias at zero). */
export function fanInBound(fanIn: number): number {
  return fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
}
