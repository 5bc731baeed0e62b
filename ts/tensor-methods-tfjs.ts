/**
 * The rest of TensorFlow.js' chained tensor methods (x.sin(), x.cumsum(1), x.as2D(r, c),
 * x.conv2d(filter, …), …): each is the op of the same name with the tensor as first
 * argument, except where TensorFlow.js says otherwise (x.concat(others), x.stack(other),
 * x.where(condition, b), reshapeAs, asType/toFloat/toInt/toBool, as1D…as5D, asScalar).
 * Installed on the prototype here; tests/tensor-methods.test.ts checks this list against
 * TensorFlow.js' own.
 *
 * The convolution, 3-D pooling and image methods (conv2dTranspose, conv3d, depthwiseConv2d,
 * separableConv2d, maxPool3d, avgPool3d, resizeBilinear, resizeNearestNeighbor) are installed
 * with their ops in tensor-methods.ts. Not yet methods (no op in ferrite yet): dilation2d,
 * pool, fft, ifft, rfft, irfft.
 */
import * as ops from './ops/index';
import type { TensorInput } from './ops/convert';
import type { NormOrd } from './ops/normalization';
import { DType, Tensor, Variable } from './tensor';
import { TensorBuffer } from './buffer';

type Pad = 'valid' | 'same' | number;
type Pair = [number, number] | number;

/** Merged into Tensor by tensor.ts, as TensorMethods. */
export interface TensorMethodsTfjs {
  // element-wise math
  sin(): Tensor; cos(): Tensor; tan(): Tensor; asin(): Tensor; acos(): Tensor; atan(): Tensor;
  sinh(): Tensor; cosh(): Tensor; asinh(): Tensor; acosh(): Tensor; atanh(): Tensor;
  expm1(): Tensor; erf(): Tensor; logSigmoid(): Tensor;
  isNaN(): Tensor; isInf(): Tensor; isFinite(): Tensor;
  atan2(b: TensorInput): Tensor; mod(b: TensorInput): Tensor; floorDiv(b: TensorInput): Tensor; divNoNan(b: TensorInput): Tensor;
  step(alpha?: number): Tensor;
  prelu(alpha: TensorInput): Tensor;
  // logical
  logicalAnd(b: TensorInput): Tensor; logicalOr(b: TensorInput): Tensor; logicalXor(b: TensorInput): Tensor; logicalNot(): Tensor;
  all(axis?: number | number[] | null, keepDims?: boolean): Tensor;
  any(axis?: number | number[] | null, keepDims?: boolean): Tensor;
  // scans, norms, statistics
  cumsum(axis?: number, exclusive?: boolean, reverse?: boolean): Tensor;
  cumprod(axis?: number, exclusive?: boolean, reverse?: boolean): Tensor;
  norm(ord?: NormOrd, axis?: number | number[] | null, keepDims?: boolean): Tensor;
  euclideanNorm(axis?: number | number[] | null, keepDims?: boolean): Tensor;
  batchNorm(mean: TensorInput, variance: TensorInput, offset?: TensorInput | null, scale?: TensorInput | null, varianceEpsilon?: number): Tensor;
  localResponseNormalization(depthRadius?: number, bias?: number, alpha?: number, beta?: number): Tensor;
  // shape
  as1D(): Tensor; as2D(rows: number, columns: number): Tensor; as3D(rows: number, columns: number, depth: number): Tensor;
  as4D(rows: number, columns: number, depth: number, depth2: number): Tensor;
  as5D(rows: number, columns: number, depth: number, depth2: number, depth3: number): Tensor;
  asScalar(): Tensor;
  reshapeAs(x: Tensor): Tensor;
  asType(dtype: DType): Tensor; toFloat(): Tensor; toInt(): Tensor; toBool(): Tensor;
  unstack(axis?: number): Tensor[];
  split(numOrSizeSplits: number | number[], axis?: number): Tensor[];
  reverse(axis?: number | number[]): Tensor;
  stridedSlice(begin: number[], end: number[], strides?: number[], beginMask?: number, endMask?: number, ellipsisMask?: number, newAxisMask?: number, shrinkAxisMask?: number): Tensor;
  mirrorPad(paddings: [number, number][], mode: 'reflect' | 'symmetric'): Tensor;
  broadcastTo(shape: number[]): Tensor;
  concat(x: Tensor | Tensor[], axis?: number): Tensor;
  stack(x: Tensor, axis?: number): Tensor;
  spaceToBatchND(blockShape: number[], paddings: [number, number][]): Tensor;
  batchToSpaceND(blockShape: number[], crops: [number, number][]): Tensor;
  depthToSpace(blockSize: number, dataFormat?: 'NHWC' | 'NCHW'): Tensor;
  onesLike(): Tensor; zerosLike(): Tensor;
  // indexing and ordering
  where(condition: TensorInput, b: TensorInput): Tensor;
  oneHot(depth: number, onValue?: number, offValue?: number, dtype?: DType): Tensor;
  topk(k?: number, sorted?: boolean): { values: Tensor; indices: Tensor };
  unique(axis?: number): { values: Tensor; indices: Tensor };
  unsortedSegmentSum(segmentIds: TensorInput, numSegments: number): Tensor;
  // linear algebra, convolution, pooling
  dot(b: Tensor): Tensor;
  conv1d(filter: Tensor, stride: number, pad: Pad | 'causal', dataFormat?: 'NWC' | 'NCW', dilation?: number, dimRoundingMode?: string): Tensor;
  conv2d(filter: Tensor, strides: Pair, pad: Pad, dataFormat?: 'NHWC' | 'NCHW', dilations?: Pair, dimRoundingMode?: string): Tensor;
  maxPool(filterSize: Pair, strides: Pair, pad: Pad, dimRoundingMode?: string): Tensor;
  avgPool(filterSize: Pair, strides: Pair, pad: Pad, dimRoundingMode?: string): Tensor;
  // Tensor class methods of TensorFlow.js
  /** A TensorBuffer holding a copy of the values. */
  bufferSync(): TensorBuffer;
  buffer(): Promise<TensorBuffer>;
  /** A trainable variable initialised with this tensor's values. */
  variable(trainable?: boolean, name?: string, dtype?: DType): Variable;
  throwIfDisposed(): void;
  /** Row-major strides of the shape without its last axis (as TensorFlow.js). */
  readonly strides: number[];
}

const P = Tensor.prototype as unknown as Record<string, unknown>;
const self = (name: string) => function (this: Tensor, ...args: unknown[]) {
  return (ops as unknown as Record<string, (...a: unknown[]) => unknown>)[name](this, ...args);
};

for (const name of [
  'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'asinh', 'acosh', 'atanh', 'expm1', 'erf', 'logSigmoid',
  'isNaN', 'isInf', 'isFinite', 'atan2', 'mod', 'floorDiv', 'divNoNan', 'step', 'prelu',
  'logicalAnd', 'logicalOr', 'logicalXor', 'logicalNot', 'all', 'any',
  'cumsum', 'cumprod', 'norm', 'euclideanNorm', 'batchNorm', 'localResponseNormalization',
  'unstack', 'split', 'reverse', 'stridedSlice', 'mirrorPad', 'broadcastTo', 'spaceToBatchND', 'batchToSpaceND',
  'depthToSpace', 'onesLike', 'zerosLike', 'oneHot', 'topk', 'unique', 'unsortedSegmentSum', 'dot',
]) {
  P[name] = self(name);
}

/** ferrite's convolutions and pools round output sizes one way; say so instead of ignoring the mode. */
function noRounding(op: string, mode: unknown): void {
  if (mode !== undefined && mode !== null) {
    throw new Error(`${op}: dimRoundingMode is not supported (got '${String(mode)}'); pass an explicit 'valid'/'same' padding`);
  }
}

P.conv1d = function (this: Tensor, filter: Tensor, stride: number, pad: Pad | 'causal', dataFormat?: 'NWC' | 'NCW', dilation?: number, dimRoundingMode?: string) {
  noRounding('conv1d', dimRoundingMode);
  return ops.conv1d(this, filter, stride, pad, dataFormat, dilation);
};
P.conv2d = function (this: Tensor, filter: Tensor, strides: Pair, pad: Pad, dataFormat?: 'NHWC' | 'NCHW', dilations?: Pair, dimRoundingMode?: string) {
  noRounding('conv2d', dimRoundingMode);
  return ops.conv2d(this, filter, strides as [number, number], pad, dataFormat, dilations as [number, number]);
};
for (const name of ['maxPool', 'avgPool'] as const) {
  P[name] = function (this: Tensor, filterSize: Pair, strides: Pair, pad: Pad, dimRoundingMode?: string) {
    noRounding(name, dimRoundingMode);
    return ops[name](this, filterSize as [number, number], strides as [number, number], pad);
  };
}

function asRank(t: Tensor, shape: number[], name: string): Tensor {
  if (shape.some((d) => !Number.isInteger(d))) throw new Error(`${name}: expected integer sizes, got [${shape.join(', ')}]`);
  return ops.reshape(t, shape);
}
P.as1D = function (this: Tensor) { return ops.reshape(this, [this.size]); };
P.as2D = function (this: Tensor, r: number, c: number) { return asRank(this, [r, c], 'as2D'); };
P.as3D = function (this: Tensor, r: number, c: number, d: number) { return asRank(this, [r, c, d], 'as3D'); };
P.as4D = function (this: Tensor, r: number, c: number, d: number, d2: number) { return asRank(this, [r, c, d, d2], 'as4D'); };
P.as5D = function (this: Tensor, r: number, c: number, d: number, d2: number, d3: number) { return asRank(this, [r, c, d, d2, d3], 'as5D'); };
P.asScalar = function (this: Tensor) {
  if (this.size !== 1) throw new Error(`asScalar: the tensor has ${this.size} elements (shape [${this.shape.join(', ')}]), expected 1`);
  return ops.reshape(this, []);
};
P.reshapeAs = function (this: Tensor, x: Tensor) { return ops.reshape(this, x.shape); };
P.asType = function (this: Tensor, dtype: DType) { return ops.cast(this, dtype); };
P.toFloat = function (this: Tensor) { return ops.cast(this, 'float32'); };
P.toInt = function (this: Tensor) { return ops.cast(this, 'int32'); };
P.toBool = function (this: Tensor) { return ops.cast(this, 'bool'); };
P.concat = function (this: Tensor, x: Tensor | Tensor[], axis?: number) {
  return ops.concat([this, ...(Array.isArray(x) ? x : [x])], axis);
};
P.stack = function (this: Tensor, x: Tensor, axis?: number) { return ops.stack([this, x], axis); };
P.where = function (this: Tensor, condition: TensorInput, b: TensorInput) { return ops.where(condition, this, b); };
P.oneHot = function (this: Tensor, depth: number, onValue?: number, offValue?: number, dtype?: DType) {
  return ops.oneHot(this, depth, onValue, offValue, dtype);
};

P.bufferSync = function (this: Tensor) { return new TensorBuffer(this.shape, this.dtype, this.dataSync()); };
P.buffer = async function (this: Tensor) { return new TensorBuffer(this.shape, this.dtype, this.dataSync()); };
P.variable = function (this: Tensor, trainable = true, name?: string, dtype?: DType) {
  if (dtype && dtype !== this.dtype) {
    const c = ops.cast(this, dtype);
    const v = ops.variable(c, trainable, name);
    c.dispose();
    return v;
  }
  return ops.variable(this, trainable, name);
};
P.throwIfDisposed = function (this: Tensor) {
  if (this.isDisposed) throw new Error(`Tensor is disposed (tensor ${this.id} [${this.shape.join(', ')}])`);
};
Object.defineProperty(Tensor.prototype, 'strides', {
  get(this: Tensor) {
    const s: number[] = [];
    let acc = 1;
    for (let i = this.rank - 1; i > 0; i--) {
      acc *= this.shape[i];
      s.unshift(acc);
    }
    return s;
  },
  configurable: true,
});
