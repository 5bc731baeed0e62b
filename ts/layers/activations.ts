/** Activation functions by name, as Keras / TensorFlow.js layers accept them. */
import * as ops from '../ops/index';
import type { Tensor } from '../tensor';
import { moreActivations, type MoreActivation } from './activations-extra';

export type ActivationIdentifier =
  | 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'softmax' | 'softplus' | 'elu' | 'selu'
  | 'gelu' | 'swish' | 'softsign' | 'hardSigmoid'
  | MoreActivation; // TensorFlow.js' and Keras' other names (activations-extra.ts)

const table: Record<ActivationIdentifier, (x: Tensor) => Tensor> = {
  linear: (x) => x,
  relu: (x) => ops.relu(x),
  relu6: (x) => ops.relu6(x),
  sigmoid: (x) => ops.sigmoid(x),
  tanh: (x) => ops.tanh(x),
  softmax: (x) => ops.softmax(x),
  softplus: (x) => ops.softplus(x),
  elu: (x) => ops.elu(x),
  selu: (x) => ops.selu(x),
  gelu: (x) => ops.gelu(x),
  swish: (x) => ops.mul(x, ops.sigmoid(x)),
  softsign: (x) => ops.div(x, ops.affine(ops.abs(x), 1, 1)),
  // Keras: clip(0.2·x + 0.5, 0, 1)
  hardSigmoid: (x) => ops.clipByValue(ops.affine(x, 0.2, 0.5), 0, 1),
  ...moreActivations,
};

/** Names compared without case or underscores: 'hard_sigmoid', 'hardSigmoid', 'HardSigmoid'. */
const byLooseName = new Map(Object.keys(table).map((k) => [k.replace(/_/g, '').toLowerCase(), k as ActivationIdentifier]));

export function getActivation(id: string | undefined | null, layer: string): (x: Tensor) => Tensor {
  const raw = id ?? 'linear';
  const name = (typeof raw === 'string' ? byLooseName.get(raw.replace(/_/g, '').toLowerCase()) : undefined) ?? (raw as ActivationIdentifier);
  const fn = table[name];
  if (!fn) throw new Error(`${layer}: unknown activation '${id}' (expected one of ${Object.keys(table).join(', ')})`);
  return fn;
}
