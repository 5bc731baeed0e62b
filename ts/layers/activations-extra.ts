/**
 * Activations TensorFlow.js and Keras accept by name beyond the core set of activations.ts:
 * mish, gelu_new (tanh approximation), silu (= swish), exponential, logSoftmax, leakyRelu
 * (slope 0.2, TensorFlow.js' default), hardSwish / hardSilu, logSigmoid.
 */
import * as ops from '../ops/index';
import type { Tensor } from '../tensor';

export type MoreActivation = 'mish' | 'gelu_new' | 'silu' | 'exponential' | 'logSoftmax' | 'leakyRelu' | 'hardSwish' | 'hardSilu' | 'logSigmoid';

export const moreActivations: Record<MoreActivation, (x: Tensor) => Tensor> = {
  // x · tanh(softplus(x))
  mish: (x) => ops.mul(x, ops.tanh(ops.softplus(x))),
  // TensorFlow.js' GeluNew: ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
  gelu_new: (x) => {
    const inner = ops.mul(ops.add(x, ops.mul(ops.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
    return ops.mul(ops.mul(x, 0.5), ops.add(ops.tanh(inner), 1));
  },
  silu: (x) => ops.mul(x, ops.sigmoid(x)),
  exponential: (x) => ops.exp(x),
  logSoftmax: (x) => ops.logSoftmax(x),
  leakyRelu: (x) => ops.leakyRelu(x, 0.2),
  // Keras: x · relu6(x + 3) / 6
  hardSwish: (x) => ops.mul(x, ops.mul(ops.relu6(ops.add(x, 3)), 1 / 6)),
  hardSilu: (x) => ops.mul(x, ops.mul(ops.relu6(ops.add(x, 3)), 1 / 6)),
  logSigmoid: (x) => ops.logSigmoid(x),
};
