/**
 * The projections of multi-head attention (Keras' EinsumDense equations 'abc,cde->abde' and
 * 'abcd,cde->abe'): x's trailing `bound` axes are contracted with w's leading ones, plus a
 * bias over w's remaining axes. Whatever the ranks, this is one 2-D product of
 * [rows, k] by [k, n] — forward, and each gradient — with no copy of x, w or the output
 * (reshaping would copy them here).
 */
import { needsGrad, record } from '../autograd';
import { ENGINE } from '../engine';
import { emptyTensor, Tensor } from '../tensor';
import { fmt } from './util';

/**
 * y [...free, ...out] = Σ x [...free, ...bound] · w [...bound, ...out] (+ bias [...out]).
 * `bound` (default 1) is how many trailing axes of x w's leading axes match.
 */
export function projection(x: Tensor, w: Tensor, bias: Tensor | null = null, bound = 1, name = 'projection'): Tensor {
  if (!Number.isInteger(bound) || bound < 1 || bound > x.rank || bound > w.rank) {
    throw new Error(`${name}: cannot contract ${bound} axes of ${fmt(x.shape)} with ${fmt(w.shape)}`);
  }
  const boundShape = w.shape.slice(0, bound);
  if (x.shape.slice(x.rank - bound).some((d, i) => d !== boundShape[i])) {
    throw new Error(`${name}: expected input with trailing dimensions ${fmt(boundShape)}, got ${fmt(x.shape)}`);
  }
  if (x.dtype !== 'float32' || w.dtype !== 'float32') throw new Error(`${name}: expected float32 inputs, got ${x.dtype} and ${w.dtype}`);
  const outShape = w.shape.slice(bound);
  const k = boundShape.reduce((a, b) => a * b, 1);
  const n = outShape.reduce((a, b) => a * b, 1);
  const rows = k ? x.size / k : x.shape.slice(0, x.rank - bound).reduce((a, b) => a * b, 1);
  if (bias && (bias.size !== n || bias.dtype !== 'float32')) {
    throw new Error(`${name}: expected a bias of shape ${fmt(outShape)}, got ${fmt(bias.shape)}`);
  }
  const b = ENGINE.get();
  const y = emptyTensor([...x.shape.slice(0, x.rank - bound), ...outShape]);
  if (y.size) {
    if (bias) b.stridedCopy(bias.storage, 0, [0, 1], y.storage, 0, [n, 1], [rows, n]);
    b.matmul(x.storage, 0, 0, w.storage, 0, 0, y.storage, 0, 0, 1, rows, n, k, false, false, 1, bias ? 1 : 0);
  }
  const inputs = bias ? [x, w, bias] : [x, w];
  if (!needsGrad(inputs)) return y;
  return record(y, name, inputs, (dy) => {
    const kb = ENGINE.get();
    let dx: Tensor | null = null, dw: Tensor | null = null, db: Tensor | null = null;
    if (x.requiresGrad) {
      dx = emptyTensor(x.shape);
      if (dx.size) kb.matmul(dy.storage, 0, 0, w.storage, 0, 0, dx.storage, 0, 0, 1, rows, k, n, false, true, 1, 0);
    }
    if (w.requiresGrad) {
      dw = emptyTensor(w.shape);
      if (dw.size) kb.matmul(x.storage, 0, 0, dy.storage, 0, 0, dw.storage, 0, 0, 1, k, n, rows, true, false, 1, 0);
    }
    if (bias?.requiresGrad) {
      db = emptyTensor(bias.shape);
      if (db.size) kb.reduce('sum', dy.storage, db.storage, 1, rows, n);
    }
    return bias ? [dx, dw, db] : [dx, dw];
  });
}
