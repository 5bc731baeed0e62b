/**
 * ferrite: deep learning for TypeScript on a Rust/WebAssembly SIMD core.
 *
 *   import * as fe from 'ferrite-ml';
 *   await fe.ready();
 */
import './tensor-methods';
import './tensor-methods-tfjs';

export { ready, setBackend, getBackend, getBuild, getThreads, tidy, dispose, keep, memory } from './runtime';
export type { ReadyOptions, BackendName, WasmBuild, MemoryInfo } from './runtime';
export { Tensor, Variable } from './tensor';
export type { DType, Shape, NestedArray, TypedArray } from './tensor';
export { noGrad } from './autograd';
// Functional autograd, as TensorFlow.js (ts/gradients.ts).
export { grad, grads, valueAndGrad, valueAndGrads, variableGrads, customGrad } from './gradients';
export type { NamedTensorMap, CustomGradientResult, GradSaveFunc } from './gradients';

// Ops, with TensorFlow.js names and argument orders.
export {
  tensor, scalar, tensor1d, tensor2d, tensor3d, tensor4d, fill, zeros, ones, zerosLike, onesLike,
  randomNormal, randomUniform, truncatedNormal, range, variable,
  add, sub, mul, div, pow, maximum, minimum, squaredDifference,
  equal, notEqual, greater, greaterEqual, less, lessEqual,
  neg, abs, exp, log, log1p, sqrt, rsqrt, square, reciprocal, relu, relu6, sigmoid, tanh, softplus,
  elu, selu, gelu, leakyRelu, sign, floor, ceil, round, step, clipByValue,
  sum, mean, max, min, prod, argMax, argMin, logSumExp,
  reshape, flatten, expandDims, squeeze, transpose, slice, concat, stack, split, tile, pad, cast, clone,
  matMul, dot, softmax, logSoftmax, gather, oneHot, where, dropout,
  conv2d, conv1d, conv2dTranspose, conv2dBackpropInput, conv2dBackpropFilter, maxPool, avgPool,
  sigmoidCrossEntropyWithLogits, softmaxCrossEntropyWithLogits,
  setRandomSeed,
} from './ops/index';
// More TensorFlow.js ops: math, logical, scans, sorting, indexing, linear algebra, …
export {
  sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, expm1, erf, logSigmoid,
  atan2, mod, floorDiv, divNoNan, addN, isNaN, isInf, isFinite,
  logicalAnd, logicalOr, logicalXor, logicalNot, all, any,
  cumsum, cumprod,
  unstack, reverse, reverse1d, reverse2d, reverse3d, reverse4d, stridedSlice, mirrorPad, broadcastTo, diag, meshgrid,
  spaceToBatchND, batchToSpaceND, depthToSpace, concat1d, concat2d, concat3d, concat4d,
  slice1d, slice2d, slice3d, slice4d, pad1d, pad2d, pad3d, pad4d,
  tensor5d, tensor6d, eye, linspace, randomStandardNormal, randomUniformInt, randomGamma, rand, multinomial,
  gatherND, scatterND, tensorScatterUpdate, unsortedSegmentSum, sparseToDense, bincount, denseBincount,
  whereAsync, booleanMaskAsync, topk, unique, searchSorted, lowerBound, upperBound, setdiff1dAsync, inTopKAsync,
  einsum, outerProduct, linalg,
  moments, batchNorm, batchNorm2d, batchNorm3d, batchNorm4d, norm, euclideanNorm, localResponseNormalization, prelu,
  basicLSTMCell, multiRNNCell, movingAverage, bitwiseAnd, broadcastArgs, ensureShape, math, upcastType, sumOutType,
} from './ops/index';
export type { NormOrd } from './ops/index';
// 3-D, depthwise and separable convolutions, 3-D and 1-D pooling; fe.image.*.
export {
  conv3d, conv3dTranspose, depthwiseConv2d, separableConv2d, maxPool3d, avgPool3d, maxPool1d, avgPool1d,
} from './ops/index';
export * as image from './ops/image';

export * as layers from './layers/index';
export * as nn from './nn/index';
export { initializers } from './layers/initializers';
export { Sequential, sequential } from './models/sequential';
export type { SequentialArgs } from './models/sequential';
// Functional models: fe.input → layer.apply(symbolic) → fe.model({ inputs, outputs }).
export { LayersModel, model } from './models/functional';
export type { FitArgs, ModelArgs } from './models/functional';
export { History } from './models/training';
export type { CompileArgs } from './models/compile';
export { input, InputLayer } from './layers/input-layer';
export type { InputArgs } from './layers/input-layer';
export { SymbolicTensor } from './layers/symbolic';
export { regularizers, Regularizer, L1L2 } from './regularizers';
export { constraints, Constraint } from './constraints';
export * as serialization from './io/registry';
// Optimizers (fe.train: TensorFlow.js / Keras form; fe.optim: PyTorch form), schedules, schedulers.
export * from './optimizers/public';
export * as losses from './losses';
export * as metrics from './metrics';
export { Callback, EarlyStopping, NonFiniteLossError } from './callbacks';
export type { CallbackHooks, Logs } from './callbacks';
// fe.callbacks: earlyStopping, modelCheckpoint (ts/callbacks/model-checkpoint.ts), and
// reduceLROnPlateau, terminateOnNaN, csvLogger, learningRateScheduler (ts/callbacks/training-callbacks.ts).
import { callbacks as coreCallbacks } from './callbacks';
import { modelCheckpoint } from './callbacks/model-checkpoint';
import { trainingCallbacks } from './callbacks/training-callbacks';
export const callbacks = { ...coreCallbacks, modelCheckpoint, ...trainingCallbacks };
export { CSVLogger, LearningRateScheduler, ReduceLROnPlateau, TerminateOnNaN } from './callbacks/training-callbacks';
export type { CSVLoggerArgs, ReduceLROnPlateauArgs } from './callbacks/training-callbacks';
export { ModelCheckpoint } from './callbacks/model-checkpoint';
export type { ModelCheckpointArgs, CheckpointInfo } from './callbacks/model-checkpoint';
// Saving and loading in the TensorFlow.js layers format (ts/io).
export * as io from './io/index';
export { loadLayersModel } from './io/load';
export { models } from './io/model-from-json';

// Preprocessing, as Keras: fe.text.Tokenizer, fe.sequence.padSequences, fe.utils.toCategorical.
// Namespaces, so `fe.text.Tokenizer` is usable as a type too.
export * as text from './data/text/index';
export * as sequence from './data/sequence';
export * as utils from './data/utils';
// fe.data: tf.data datasets (arrays, generators, streamed CSV) for model.fitDataset.
export * as data from './data/dataset/index';

// CTC decoders and error rates (the loss is fe.losses.ctc), and audio features for speech.
export * as ctc from './ctc/index';
export * as audio from './audio/index';

// Fused attention and layer normalization ops (ts/ops/attention.ts, ts/ops/layer-norm.ts).
export { dotProductAttention, layerNorm } from './ops/index';
export { fused } from './ops/fused-public';
export type { FusedOpActivation, FusedMatMulArgs, FusedConv2dArgs } from './ops/fused-public';
export type { DotProductAttentionOptions, LayerNormOptions } from './ops/index';

// TensorFlow.js' runtime helpers: fe.util, fe.env, fe.buffer, fe.nextFrame, fe.print, fe.time, …
export * as util from './tfjs-util';
export { env, Environment, enableDebugMode, enableProdMode, time, disableDeprecationWarnings, deprecationWarn } from './env';
export { buffer, TensorBuffer } from './buffer';
export { nextFrame, print, version, disposeVariables } from './platform';

// tf.browser (fromPixels / toPixels) and tf.CustomCallback.
export * as browser from './browser-pixels';
export { CustomCallback } from './callbacks/custom-callback';
export type { CustomCallbackArgs } from './callbacks/custom-callback';
