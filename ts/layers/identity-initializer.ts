/** The Identity initializer of TensorFlow.js / Keras: gain · I for a 2-D square shape. */
import * as ops from '../ops/index';
import type { Tensor } from '../tensor';
import type { Initializer } from './initializers';

export class Identity implements Initializer {
  readonly className = 'Identity';
  constructor(private gain = 1) {}
  apply(shape: number[]): Tensor {
    if (shape.length !== 2 || shape[0] !== shape[1]) {
      throw new Error(`Identity initializer: needs a 2-D square shape, got [${shape.join(', ')}]`);
    }
    const eye = ops.eye(shape[0]);
    if (this.gain === 1) return eye;
    const scaled = ops.mul(eye, this.gain);
    eye.dispose();
    return scaled;
  }
  getConfig() {
    return { gain: this.gain };
  }
}
