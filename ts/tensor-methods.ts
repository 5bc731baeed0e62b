/**
 * Chainable methods on Tensor (x.add(y).relu().sum()), as TensorFlow.js and PyTorch users
 * expect, plus `backward()`. Installed on the prototype here to keep tensor.ts free of ops.
 */
import { backward as runBackward } from './autograd';
import * as ops from './ops/index';
import type { TensorOrNumber } from './ops/convert';
import { DType, Tensor } from './tensor';
import type { Padding } from './ops/conv-util';
import * as image from './ops/image';
import type { DimRoundingMode, Padding3d } from './ops/spatial-util';

/**
 * The chainable methods' types, merged into Tensor by tensor.ts. (An interface there rather
 * than a module augmentation here: augmentations do not survive bundling the .d.ts.)
 */
export interface TensorMethods {
  add(b: TensorOrNumber): Tensor;
  sub(b: TensorOrNumber): Tensor;
  mul(b: TensorOrNumber): Tensor;
  div(b: TensorOrNumber): Tensor;
  pow(b: TensorOrNumber): Tensor;
  maximum(b: TensorOrNumber): Tensor;
  minimum(b: TensorOrNumber): Tensor;
  squaredDifference(b: TensorOrNumber): Tensor;
  equal(b: TensorOrNumber): Tensor;
  notEqual(b: TensorOrNumber): Tensor;
  greater(b: TensorOrNumber): Tensor;
  greaterEqual(b: TensorOrNumber): Tensor;
  less(b: TensorOrNumber): Tensor;
  lessEqual(b: TensorOrNumber): Tensor;
  matMul(b: Tensor, transposeA?: boolean, transposeB?: boolean): Tensor;
  neg(): Tensor;
  abs(): Tensor;
  exp(): Tensor;
  log(): Tensor;
  log1p(): Tensor;
  sqrt(): Tensor;
  rsqrt(): Tensor;
  square(): Tensor;
  reciprocal(): Tensor;
  relu(): Tensor;
  relu6(): Tensor;
  sigmoid(): Tensor;
  tanh(): Tensor;
  softplus(): Tensor;
  elu(): Tensor;
  selu(): Tensor;
  gelu(): Tensor;
  leakyRelu(alpha?: number): Tensor;
  sign(): Tensor;
  floor(): Tensor;
  ceil(): Tensor;
  round(): Tensor;
  clipByValue(lo: number, hi: number): Tensor;
  sum(axis?: number | number[], keepDims?: boolean): Tensor;
  mean(axis?: number | number[], keepDims?: boolean): Tensor;
  max(axis?: number | number[], keepDims?: boolean): Tensor;
  min(axis?: number | number[], keepDims?: boolean): Tensor;
  prod(axis?: number | number[], keepDims?: boolean): Tensor;
  logSumExp(axis?: number | number[], keepDims?: boolean): Tensor;
  argMax(axis?: number): Tensor;
  argMin(axis?: number): Tensor;
  softmax(dim?: number): Tensor;
  logSoftmax(dim?: number): Tensor;
  reshape(shape: number[]): Tensor;
  flatten(): Tensor;
  expandDims(axis?: number): Tensor;
  squeeze(axis?: number[]): Tensor;
  transpose(perm?: number[]): Tensor;
  slice(begin: number | number[], size?: number | number[]): Tensor;
  gather(indices: Tensor | number[], axis?: number): Tensor;
  tile(reps: number[]): Tensor;
  pad(paddings: [number, number][], constantValue?: number): Tensor;
  cast(dtype: DType): Tensor;
  clone(): Tensor;
  // Convolution, pooling and image ops (ops/conv.ts, conv3d.ts, depthwise.ts, pool3d.ts, image.ts).
  conv2dTranspose(filter: Tensor, outputShape: [number, number, number, number] | [number, number, number],
    strides: [number, number] | number, pad: Padding, dilations?: [number, number] | number): Tensor;
  conv3d(filter: Tensor, strides?: [number, number, number] | number, pad?: Padding3d, dataFormat?: 'NDHWC' | 'NCDHW',
    dilations?: [number, number, number] | number): Tensor;
  conv3dTranspose(filter: Tensor, outputShape: [number, number, number, number, number] | [number, number, number, number],
    strides: [number, number, number] | number, pad: Padding3d): Tensor;
  depthwiseConv2d(filter: Tensor, strides?: [number, number] | number, pad?: Padding, dataFormat?: 'NHWC' | 'NCHW',
    dilations?: [number, number] | number, dimRoundingMode?: DimRoundingMode): Tensor;
  separableConv2d(depthwiseFilter: Tensor, pointwiseFilter: Tensor, strides?: [number, number] | number, pad?: 'valid' | 'same' | number,
    dilation?: [number, number] | number, dataFormat?: 'NHWC' | 'NCHW'): Tensor;
  maxPool3d(filterSize?: [number, number, number] | number, strides?: [number, number, number] | number, pad?: Padding3d,
    dimRoundingMode?: DimRoundingMode): Tensor;
  avgPool3d(filterSize?: [number, number, number] | number, strides?: [number, number, number] | number, pad?: Padding3d,
    dimRoundingMode?: DimRoundingMode): Tensor;
  resizeBilinear(size: [number, number], alignCorners?: boolean, halfPixelCenters?: boolean): Tensor;
  resizeNearestNeighbor(size: [number, number], alignCorners?: boolean, halfPixelCenters?: boolean): Tensor;
  /** Gradient of this tensor (a scalar, or given `gradient` of its shape) into every leaf's `.grad`. */
  backward(gradient?: Tensor): void;
}

const P = Tensor.prototype as unknown as Record<string, unknown>;
const binary = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'squaredDifference',
  'equal', 'notEqual', 'greater', 'greaterEqual', 'less', 'lessEqual'] as const;
for (const name of binary) P[name] = function (this: Tensor, b: TensorOrNumber) { return ops[name](this, b); };
const unary = ['neg', 'abs', 'exp', 'log', 'log1p', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'relu', 'relu6',
  'sigmoid', 'tanh', 'softplus', 'elu', 'selu', 'gelu', 'sign', 'floor', 'ceil', 'round'] as const;
for (const name of unary) P[name] = function (this: Tensor) { return ops[name](this); };
const reducers = ['sum', 'mean', 'max', 'min', 'prod', 'logSumExp'] as const;
for (const name of reducers) {
  P[name] = function (this: Tensor, axis?: number | number[], keepDims?: boolean) { return ops[name](this, axis, keepDims); };
}
P.leakyRelu = function (this: Tensor, alpha?: number) { return ops.leakyRelu(this, alpha); };
P.clipByValue = function (this: Tensor, lo: number, hi: number) { return ops.clipByValue(this, lo, hi); };
P.matMul = function (this: Tensor, b: Tensor, tA?: boolean, tB?: boolean) { return ops.matMul(this, b, tA, tB); };
P.argMax = function (this: Tensor, axis?: number) { return ops.argMax(this, axis); };
P.argMin = function (this: Tensor, axis?: number) { return ops.argMin(this, axis); };
P.softmax = function (this: Tensor, dim?: number) { return ops.softmax(this, dim); };
P.logSoftmax = function (this: Tensor, dim?: number) { return ops.logSoftmax(this, dim); };
P.reshape = function (this: Tensor, shape: number[]) { return ops.reshape(this, shape); };
P.flatten = function (this: Tensor) { return ops.flatten(this); };
P.expandDims = function (this: Tensor, axis?: number) { return ops.expandDims(this, axis); };
P.squeeze = function (this: Tensor, axis?: number[]) { return ops.squeeze(this, axis); };
P.transpose = function (this: Tensor, perm?: number[]) { return ops.transpose(this, perm); };
P.slice = function (this: Tensor, b: number | number[], s?: number | number[]) { return ops.slice(this, b, s); };
P.gather = function (this: Tensor, idx: Tensor | number[], axis?: number) { return ops.gather(this, idx, axis); };
P.tile = function (this: Tensor, reps: number[]) { return ops.tile(this, reps); };
P.pad = function (this: Tensor, p: [number, number][], v?: number) { return ops.pad(this, p, v); };
P.cast = function (this: Tensor, dtype: DType) { return ops.cast(this, dtype); };
P.clone = function (this: Tensor) { return ops.clone(this); };
P.backward = function (this: Tensor, gradient?: Tensor) {
  if (!gradient && this.size !== 1) {
    throw new Error(`backward: the tensor has shape [${this.shape.join(', ')}]; pass a gradient of that shape or reduce it to a scalar first`);
  }
  if (gradient && (gradient.rank !== this.rank || gradient.shape.some((d, i) => d !== this.shape[i]))) {
    throw new Error(`backward: gradient shape [${gradient.shape.join(', ')}] differs from the tensor's [${this.shape.join(', ')}]`);
  }
  runBackward(this, () => (gradient ? ops.clone(gradient) : ops.onesLike(this)), { add: ops.add, clone: ops.clone });
};

// ---- convolution, pooling and image ops -------------------------------------------------------
type Args<F> = F extends (x: never, ...rest: infer A) => Tensor ? A : never;
P.conv2dTranspose = function (this: Tensor, ...a: Args<typeof ops.conv2dTranspose>) { return ops.conv2dTranspose(this, ...a); };
P.conv3d = function (this: Tensor, ...a: Args<typeof ops.conv3d>) { return ops.conv3d(this, ...a); };
P.conv3dTranspose = function (this: Tensor, ...a: Args<typeof ops.conv3dTranspose>) { return ops.conv3dTranspose(this, ...a); };
P.depthwiseConv2d = function (this: Tensor, ...a: Args<typeof ops.depthwiseConv2d>) { return ops.depthwiseConv2d(this, ...a); };
P.separableConv2d = function (this: Tensor, ...a: Args<typeof ops.separableConv2d>) { return ops.separableConv2d(this, ...a); };
P.maxPool3d = function (this: Tensor, ...a: Args<typeof ops.maxPool3d>) { return ops.maxPool3d(this, ...a); };
P.avgPool3d = function (this: Tensor, ...a: Args<typeof ops.avgPool3d>) { return ops.avgPool3d(this, ...a); };
P.resizeBilinear = function (this: Tensor, ...a: Args<typeof image.resizeBilinear>) { return image.resizeBilinear(this, ...a); };
P.resizeNearestNeighbor = function (this: Tensor, ...a: Args<typeof image.resizeNearestNeighbor>) { return image.resizeNearestNeighbor(this, ...a); };
