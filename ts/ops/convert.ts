/** Accepting numbers where tensors are expected, as TensorFlow.js does. */
import { DType, Tensor } from '../tensor';
import { scalar } from './creation';

export type TensorOrNumber = Tensor | number;

export function toTensor(op: string, x: TensorOrNumber, like?: DType): Tensor {
  if (x instanceof Tensor) {
    if (x.isDisposed) throw new Error(`${op}: input tensor ${x.id} is disposed`);
    return x;
  }
  if (typeof x === 'number') return scalar(x, like ?? 'float32');
  throw new Error(`${op}: expected a Tensor or a number, got ${x === null ? 'null' : typeof x}`);
}
