/**
 * A Dense layer's output in one kernel: act(x + bias) over the last axis, and in its gradient
 * dx = dy·act'(…) together with the bias gradient (the column sums of dx). The separate ops
 * (a broadcasting add, the activation, a reduction for the bias gradient) would each read and
 * write the whole activation tensor.
 */
import { needsGrad, record } from '../autograd';
import { biasActGradNeedsPre, type BiasActivation } from '../backend/backend';
import { ENGINE } from '../engine';
import { emptyTensor, Tensor } from '../tensor';

const FUSED: ReadonlySet<string> = new Set<BiasActivation>([
  'linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softplus', 'elu', 'selu', 'gelu',
]);

/** Whether `activation` (a Keras activation name) has a fused bias + activation kernel. */
export function isFusedActivation(activation: string): activation is BiasActivation {
  return FUSED.has(activation);
}

/**
 * act(x + bias) with bias [units] broadcast along the last axis of x [..., units]; bias null
 * applies the activation alone. Differentiable in x and bias.
 */
export function biasAddActivation(x: Tensor, bias: Tensor | null, activation: BiasActivation, op = 'biasAddActivation'): Tensor {
  if (!isFusedActivation(activation)) {
    throw new Error(`${op}: no fused kernel for activation '${activation}' (expected one of ${[...FUSED].join(', ')})`);
  }
  const cols = x.rank ? x.shape[x.rank - 1] : 1;
  if (x.dtype !== 'float32' || (bias && bias.dtype !== 'float32')) {
    throw new Error(`${op}: expected float32 inputs, got ${x.dtype}${bias ? ` and ${bias.dtype}` : ''}`);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== cols)) {
    throw new Error(`${op}: bias must have shape [${cols}] to match the last axis of [${x.shape.join(', ')}], got [${bias.shape.join(', ')}]`);
  }
  const rows = cols ? x.size / cols : 0;
  const inputs = bias ? [x, bias] : [x];
  const grad = needsGrad(inputs);
  const keepPre = grad && biasActGradNeedsPre(activation);
  const y = emptyTensor(x.shape);
  const pre = keepPre ? emptyTensor(x.shape) : null;
  if (y.size) ENGINE.get().biasAct(activation, x.storage, bias ? bias.storage : null, y.storage, pre ? pre.storage : null, rows, cols);
  if (!grad) return y;
  return record(y, op, inputs, (dy) => {
    const dx = emptyTensor(x.shape);
    const dBias = bias ? emptyTensor(bias.shape) : null;
    if (dBias && !dx.size) ENGINE.get().fill(dBias.storage, 0, cols);
    if (dx.size) {
      ENGINE.get().biasActGrad(activation, (pre ?? y).storage, dy.storage, dx.storage, dBias ? dBias.storage : null, rows, cols);
    }
    return dBias ? [dx, dBias] : [dx];
  });
}
