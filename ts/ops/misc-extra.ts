/**
 * Smaller TensorFlow.js ops: basicLSTMCell, multiRNNCell, movingAverage, bitwiseAnd,
 * broadcastArgs, ensureShape, fe.math.confusionMatrix, and the dtype helpers upcastType /
 * sumOutType.
 */
import { DType, Tensor } from '../tensor';
import { add, div, mul, pow, sub } from './binary';
import { composite } from './composite';
import { toTensor, type TensorInput } from './convert';
import { tensor } from './creation';
import { matMul } from './matmul';
import { concat, slice } from './shape';
import { sigmoid, tanh } from './unary';
import { broadcastShapes, fmt, shapesEqual } from './util';

/**
 * One step of a basic LSTM cell, as tf.basicLSTMCell(forgetBias, lstmKernel, lstmBias, data,
 * c, h): gates i, j, f, o from [data, h]·kernel + bias; returns [newC, newH].
 */
export function basicLSTMCell(
  forgetBias: TensorInput, lstmKernel: TensorInput, lstmBias: TensorInput, data: TensorInput, c: TensorInput, h: TensorInput,
): [Tensor, Tensor] {
  return composite(() => {
    const x = toTensor('basicLSTMCell', data), hh = toTensor('basicLSTMCell', h);
    const res = add(matMul(concat([x, hh], 1), toTensor('basicLSTMCell', lstmKernel)), toTensor('basicLSTMCell', lstmBias));
    const [batch, cols4] = res.shape;
    if (cols4 % 4 !== 0) throw new Error(`basicLSTMCell: the kernel gives ${cols4} columns, not 4 gates`);
    const n = cols4 / 4;
    const gate = (k: number) => slice(res, [0, k * n], [batch, n]);
    const [i, j, f, o] = [gate(0), gate(1), gate(2), gate(3)];
    const newC = add(mul(sigmoid(i), tanh(j)), mul(toTensor('basicLSTMCell', c), sigmoid(add(toTensor('basicLSTMCell', forgetBias), f))));
    const newH = mul(tanh(newC), sigmoid(o));
    return [newC, newH];
  }) as [Tensor, Tensor];
}

export type LSTMCellFunc = (data: Tensor, c: Tensor, h: Tensor) => [Tensor, Tensor];

/** Stacked LSTM cells, as tf.multiRNNCell(cells, data, c, h): returns [newC[], newH[]]. */
export function multiRNNCell(lstmCells: LSTMCellFunc[], data: TensorInput, c: TensorInput[], h: TensorInput[]): [Tensor[], Tensor[]] {
  if (c.length !== lstmCells.length || h.length !== lstmCells.length) {
    throw new Error(`multiRNNCell: ${lstmCells.length} cells need as many c and h states, got ${c.length} and ${h.length}`);
  }
  let input = toTensor('multiRNNCell', data);
  const newC: Tensor[] = [], newH: Tensor[] = [];
  lstmCells.forEach((cell, i) => {
    const [ci, hi] = cell(input, toTensor('multiRNNCell', c[i]), toTensor('multiRNNCell', h[i]));
    newC.push(ci);
    newH.push(hi);
    input = hi;
  });
  return [newC, newH];
}

/**
 * v + (x − v)·(1 − decay), divided by 1 − decay^step when zeroDebias (as tf.movingAverage).
 */
export function movingAverage(v: TensorInput, x: TensorInput, decay: number | Tensor, step?: number | Tensor, zeroDebias = true): Tensor {
  if (zeroDebias && (step === undefined || step === null)) throw new Error('movingAverage: zeroDebias needs the step');
  return composite(() => {
    const vt = toTensor('movingAverage', v), xt = toTensor('movingAverage', x);
    if (!shapesEqual(vt.shape, xt.shape)) throw new Error(`movingAverage: v ${fmt(vt.shape)} and x ${fmt(xt.shape)} must have the same shape`);
    const d = toTensor('movingAverage', decay);
    let update = mul(sub(xt, vt), sub(1, d));
    if (zeroDebias) update = div(update, sub(1, pow(d, toTensor('movingAverage', step as number | Tensor))));
    return add(vt, update);
  });
}

/** Bitwise AND of int32 tensors of the same shape (as tf.bitwiseAnd). */
export function bitwiseAnd(x: TensorInput, y: TensorInput): Tensor {
  const a = toTensor('bitwiseAnd', x, 'int32'), b = toTensor('bitwiseAnd', y, 'int32');
  if (a.dtype !== 'int32' || b.dtype !== 'int32') throw new Error(`bitwiseAnd: expected int32 tensors, got ${a.dtype} and ${b.dtype}`);
  if (!shapesEqual(a.shape, b.shape)) throw new Error(`bitwiseAnd: x ${fmt(a.shape)} and y ${fmt(b.shape)} must have the same shape`);
  const p = a.dataSync(), q = b.dataSync();
  const r = new Int32Array(p.length);
  for (let i = 0; i < r.length; i++) r[i] = p[i] & q[i];
  return tensor(r, a.shape, 'int32');
}

/** The broadcast of two shapes given as 1-D int32 tensors (as tf.broadcastArgs). */
export function broadcastArgs(s0: TensorInput, s1: TensorInput): Tensor {
  const a = toTensor('broadcastArgs', s0, 'int32'), b = toTensor('broadcastArgs', s1, 'int32');
  if (a.rank !== 1 || b.rank !== 1) throw new Error(`broadcastArgs: shapes must be 1-D, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  return tensor(Int32Array.from(broadcastShapes('broadcastArgs', Array.from(a.dataSync()), Array.from(b.dataSync()))), undefined, 'int32');
}

/** x itself when its shape matches (null matching any size), else an error (as tf.ensureShape). */
export function ensureShape(x: Tensor, shape: (number | null)[]): Tensor {
  const ok = x.rank === shape.length && shape.every((d, i) => d === null || d === undefined || d === x.shape[i]);
  if (!ok) throw new Error(`ensureShape: the shape of the tensor ${fmt(x.shape)} is not compatible with the expected shape [${shape.join(', ')}]`);
  return x;
}

/**
 * counts[i][j] = the number of samples with label i predicted as j, int32 [numClasses,
 * numClasses] (as tf.math.confusionMatrix).
 */
function confusionMatrix(labels: TensorInput, predictions: TensorInput, numClasses: number): Tensor {
  const l = toTensor('confusionMatrix', labels, 'int32'), p = toTensor('confusionMatrix', predictions, 'int32');
  if (l.rank !== 1 || p.rank !== 1 || l.size !== p.size) {
    throw new Error(`confusionMatrix: labels ${fmt(l.shape)} and predictions ${fmt(p.shape)} must be 1-D of the same length`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`confusionMatrix: numClasses must be a positive integer, got ${numClasses}`);
  const lv = l.dataSync(), pv = p.dataSync();
  const out = new Int32Array(numClasses * numClasses);
  for (let i = 0; i < lv.length; i++) {
    const [a, b] = [lv[i], pv[i]];
    if (!(a >= 0 && a < numClasses && b >= 0 && b < numClasses && Number.isInteger(a) && Number.isInteger(b))) {
      throw new Error(`confusionMatrix: label ${a} or prediction ${b} (sample ${i}) is outside [0, ${numClasses})`);
    }
    out[a * numClasses + b]++;
  }
  return tensor(out, [numClasses, numClasses], 'int32');
}

export const math = { confusionMatrix };

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2 };

/** The dtype both types fit in: float32 > int32 > bool (as tf.upcastType). */
export function upcastType(a: DType, b: DType): DType {
  for (const t of [a, b]) if (!(t in RANK)) throw new Error(`upcastType: unknown dtype '${String(t)}'`);
  return RANK[a] >= RANK[b] ? a : b;
}

/** The dtype of a sum of elements of dtype t: bool and int32 sum to int32 (as tf.sumOutType). */
export function sumOutType(t: DType): DType {
  return upcastType(t, 'int32');
}
