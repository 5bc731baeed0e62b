/** Accepting numbers, booleans and arrays where tensors are expected, as TensorFlow.js does. */
import { DType, Tensor } from '../tensor';
import { scalar, tensor, type TensorLike } from './creation';

export type TensorOrNumber = Tensor | number;
/** A tensor, or values a tensor is made from (numbers, booleans, nested arrays, typed arrays). */
export type TensorInput = Tensor | TensorLike;

export function toTensor(op: string, x: TensorInput, like?: DType): Tensor {
  if (x instanceof Tensor) {
    if (x.isDisposed) throw new Error(`${op}: input tensor ${x.id} is disposed`);
    return x;
  }
  if (typeof x === 'number') return scalar(x, like ?? 'float32');
  if (typeof x === 'boolean') return scalar(x, 'bool');
  if (Array.isArray(x) || ArrayBuffer.isView(x)) return tensor(x);
  throw new Error(`${op}: expected a Tensor, a number, a boolean or an array, got ${x === null ? 'null' : typeof x}`);
}
