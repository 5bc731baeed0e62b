/**
 * fe.nn: PyTorch-style modules, losses and state dicts over ferrite's ops and kernels.
 * Classes carry PyTorch's names (fe.nn.Conv2d); the lower-case factories make them
 * (fe.nn.conv2d(3, 16, 3, { padding: 1 })). Data is channels-last unless a module is made with
 * { dataFormat: 'channelsFirst' }.
 */
import { ELU, GELU, GeluApproximate, LeakyReLU, LogSoftmax, ReLU, SiLU, Sigmoid, Softmax, Tanh } from './activation';
import { Dropout, Flatten } from './basic';
import { ModuleList, Sequential } from './containers';
import { Identity, Linear, LinearOptions } from './linear';
import { BatchNorm1d, BatchNorm2d, BatchNormOptions, LayerNorm, LayerNormOptions } from './normalization';
import type { DataFormat, IntOrPair } from './args';
import { AdaptiveAvgPool2d, AdaptiveMaxPool2d, AdaptiveSize, AvgPool2d, AvgPool2dOptions, MaxPool2d, Pool2dOptions } from './pooling';
import type { Module } from './module';

export { Module } from './module';
export type { LoadStateDictResult, StateDict } from './module';
export type { DataFormat, IntOrPair } from './args';
export { Embedding, GRU, LSTM, RNN, embedding, gru, lstm, rnn } from './recurrent';
export type { RecurrentForwardOptions, RecurrentOptions } from './recurrent';
export { Identity, Linear } from './linear';
export type { LinearOptions } from './linear';
export { Conv1d, Conv2d, ConvTranspose2d, conv1d, conv2d, convTranspose2d } from './conv';
export type { Conv2dArgs, ConvOptions, ConvPadding, ConvTranspose2dArgs, ConvTransposeOptions } from './conv';
export { AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d } from './pooling';
export type { AdaptiveSize, AvgPool2dOptions, Pool2dOptions } from './pooling';
export { BatchNorm1d, BatchNorm2d, LayerNorm } from './normalization';
export type { BatchNormOptions, LayerNormOptions } from './normalization';
export { Dropout, Flatten } from './basic';
export { ELU, GELU, LeakyReLU, LogSoftmax, ReLU, SiLU, Sigmoid, Softmax, Tanh } from './activation';
export type { GeluApproximate } from './activation';
export { ModuleList, Sequential } from './containers';
export { bceLoss, bceWithLogitsLoss, crossEntropyLoss, huberLoss, l1Loss, mseLoss, nllLoss, smoothL1Loss } from './losses';
export type { CrossEntropyOptions, LossModule, NllLossOptions, Reduction } from './losses';
export * as functional from './functional';
export * as utils from './utils';
export { load, save, stateDictFromBytes, stateDictFromJSON, stateDictMetadata, stateDictToBytes, stateDictToJSON } from './state-dict-io';
export type { StateDictJSON } from './state-dict-io';
export { fromPyTorchLayout, toPyTorchLayout } from './pytorch-layout';

// Factories, PyTorch's constructors in lower case.
export const linear = (inFeatures: number, outFeatures: number, opts?: LinearOptions) => new Linear(inFeatures, outFeatures, opts);
export const identity = () => new Identity();
export const maxPool2d = (kernelSize: IntOrPair, strideOrOptions?: IntOrPair | Pool2dOptions) => new MaxPool2d(kernelSize, strideOrOptions);
export const avgPool2d = (kernelSize: IntOrPair, strideOrOptions?: IntOrPair | AvgPool2dOptions) => new AvgPool2d(kernelSize, strideOrOptions);
export const adaptiveAvgPool2d = (outputSize: AdaptiveSize, opts?: { dataFormat?: DataFormat }) => new AdaptiveAvgPool2d(outputSize, opts);
export const adaptiveMaxPool2d = (outputSize: AdaptiveSize, opts?: { dataFormat?: DataFormat }) => new AdaptiveMaxPool2d(outputSize, opts);
export const batchNorm1d = (numFeatures: number, opts?: BatchNormOptions) => new BatchNorm1d(numFeatures, opts);
export const batchNorm2d = (numFeatures: number, opts?: BatchNormOptions) => new BatchNorm2d(numFeatures, opts);
export const layerNorm = (normalizedShape: number | number[], opts?: LayerNormOptions) => new LayerNorm(normalizedShape, opts);
export const dropout = (p?: number) => new Dropout(p);
export const flatten = (startDim?: number, endDim?: number) => new Flatten(startDim, endDim);
export const relu = () => new ReLU();
export const tanh = () => new Tanh();
export const sigmoid = () => new Sigmoid();
export const silu = () => new SiLU();
export const gelu = (opts?: { approximate?: GeluApproximate }) => new GELU(opts);
export const leakyRelu = (negativeSlope?: number) => new LeakyReLU(negativeSlope);
export const elu = (alpha?: number) => new ELU(alpha);
export const softmax = (dim?: number) => new Softmax(dim);
export const logSoftmax = (dim?: number) => new LogSoftmax(dim);
export const sequential = (...modules: Module[] | [Record<string, Module>]) => new Sequential(...modules);
export const moduleList = (modules?: Iterable<Module>) => new ModuleList(modules);

// Attention (attention.ts): nn.MultiheadAttention and nn.TransformerEncoderLayer on the fused kernels.
import { MultiheadAttention, TransformerEncoderLayer, type MultiheadAttentionOptions, type TransformerEncoderLayerOptions } from './attention';
export { MultiheadAttention, TransformerEncoderLayer };
export type { MultiheadAttentionForwardOptions, MultiheadAttentionOptions, TransformerEncoderLayerForwardOptions, TransformerEncoderLayerOptions } from './attention';
export const multiheadAttention = (embedDim: number, numHeads: number, opts?: MultiheadAttentionOptions) => new MultiheadAttention(embedDim, numHeads, opts);
export const transformerEncoderLayer = (dModel: number, nhead: number, opts?: TransformerEncoderLayerOptions) => new TransformerEncoderLayer(dModel, nhead, opts);
