/** Layer factories with TensorFlow.js names: fe.layers.dense({units: 32}), … */
import { Activation, ActivationArgs, Dropout, DropoutArgs, Flatten, Reshape, ReshapeArgs } from './core';
import { Dense, DenseArgs } from './dense';
import { Embedding, EmbeddingArgs } from './embedding';
import type { LayerArgs } from './layer';
import { GlobalAveragePooling1D } from './pooling1d';

export const dense = (args: DenseArgs) => new Dense(args);
export const embedding = (args: EmbeddingArgs) => new Embedding(args);
export const globalAveragePooling1d = (args?: LayerArgs) => new GlobalAveragePooling1D(args);
export const dropout = (args: DropoutArgs) => new Dropout(args);
export const flatten = (args?: LayerArgs) => new Flatten(args);
export const activation = (args: ActivationArgs) => new Activation(args);
export const reshape = (args: ReshapeArgs) => new Reshape(args);

export { Activation, Dense, Dropout, Embedding, Flatten, GlobalAveragePooling1D, Reshape };
export { Layer } from './layer';
export type { CallContext, LayerArgs, SymbolicShape } from './layer';
export type { ActivationArgs, DenseArgs, DropoutArgs, EmbeddingArgs, ReshapeArgs };

// Recurrent layers and their wrappers (recurrent.ts, wrappers.ts, repeat-vector.ts).
import { GRU, LSTM, RNN, SimpleRNN, type GRULayerArgs, type LSTMLayerArgs, type RNNCallArgs, type RNNLayerArgs, type SimpleRNNLayerArgs } from './recurrent';
import { Bidirectional, TimeDistributed, type BidirectionalArgs, type BidirectionalMergeMode, type TimeDistributedArgs } from './wrappers';
import { RepeatVector, type RepeatVectorArgs } from './repeat-vector';

export const lstm = (args: LSTMLayerArgs) => new LSTM(args);
export const gru = (args: GRULayerArgs) => new GRU(args);
export const simpleRNN = (args: SimpleRNNLayerArgs) => new SimpleRNN(args);
export const bidirectional = (args: BidirectionalArgs) => new Bidirectional(args);
export const timeDistributed = (args: TimeDistributedArgs) => new TimeDistributed(args);
export const repeatVector = (args: RepeatVectorArgs) => new RepeatVector(args);

export { Bidirectional, GRU, LSTM, RepeatVector, RNN, SimpleRNN, TimeDistributed };
export type {
  BidirectionalArgs, BidirectionalMergeMode, GRULayerArgs, LSTMLayerArgs, RepeatVectorArgs, RNNCallArgs, RNNLayerArgs,
  SimpleRNNLayerArgs, TimeDistributedArgs,
};

// Convolutions, 2-D pooling and batch normalization (conv.ts, pooling2d.ts, normalization.ts).
import { Conv1D, Conv2D, type ConvLayerArgs } from './conv';
import {
  AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D,
  type GlobalPooling2DArgs, type Pooling2DArgs,
} from './pooling2d';
import { BatchNormalization, type BatchNormalizationArgs } from './normalization';

export const conv2d = (args: ConvLayerArgs) => new Conv2D(args);
export const conv1d = (args: ConvLayerArgs) => new Conv1D(args);
export const maxPooling2d = (args?: Pooling2DArgs) => new MaxPooling2D(args);
export const averagePooling2d = (args?: Pooling2DArgs) => new AveragePooling2D(args);
export const globalMaxPooling2d = (args?: GlobalPooling2DArgs) => new GlobalMaxPooling2D(args);
export const globalAveragePooling2d = (args?: GlobalPooling2DArgs) => new GlobalAveragePooling2D(args);
export const batchNormalization = (args?: BatchNormalizationArgs) => new BatchNormalization(args);
/** TensorFlow.js aliases. */
export const maxPool2d = maxPooling2d;
export const avgPool2d = averagePooling2d;
export const avgPooling2d = averagePooling2d;
export const globalMaxPool2d = globalMaxPooling2d;
export const globalAvgPool2d = globalAveragePooling2d;

export { AveragePooling2D, BatchNormalization, Conv1D, Conv2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D };
export type { BatchNormalizationArgs, ConvLayerArgs, GlobalPooling2DArgs, Pooling2DArgs };

// Merge layers (merge.ts) and the functional graph's input layer (input-layer.ts).
export { add, subtract, multiply, average, maximum, minimum, concatenate, dot } from './merge';
export { Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot } from './merge';
export type { ConcatenateArgs, DotArgs } from './merge';
import { InputLayer, type InputLayerArgs } from './input-layer';
/** tf.layers.inputLayer: an InputLayer to add first to a Sequential. */
export const inputLayer = (args: InputLayerArgs) => new InputLayer(args);
export { InputLayer };
export type { InputLayerArgs };
/** tf.layers.input is tf.input. */
export { input } from './input-layer';
export type { ApplyArgs, CallKwargs, Mask } from './layer';
export { SymbolicTensor } from './symbolic';

// Convolutions beyond Conv1D/Conv2D, 1-D and 3-D pooling, padding, cropping and image layers
// (conv3d.ts, conv-transpose.ts, depthwise.ts, conv-lstm.ts, pooling1d.ts, pooling3d.ts,
// padding-cropping.ts, image-layers.ts).
import { Conv3D, type Conv3DLayerArgs } from './conv3d';
import { Conv2DTranspose, Conv3DTranspose, type ConvTransposeLayerArgs } from './conv-transpose';
import { DepthwiseConv2D, SeparableConv2D, type DepthwiseConv2DLayerArgs, type SeparableConvLayerArgs } from './depthwise';
import { ConvLSTM2D, type ConvLSTM2DArgs } from './conv-lstm';
import { AveragePooling1D, GlobalMaxPooling1D, MaxPooling1D, type Pooling1DLayerArgs } from './pooling1d';
import { AveragePooling3D, MaxPooling3D, type Pooling3DLayerArgs } from './pooling3d';
import { Cropping2D, ZeroPadding2D, type Cropping2DLayerArgs, type ZeroPadding2DLayerArgs } from './padding-cropping';
import {
  CenterCrop, Resizing, UpSampling2D, type CenterCropLayerArgs, type ResizingLayerArgs, type UpSampling2DLayerArgs,
} from './image-layers';

export const conv3d = (args: Conv3DLayerArgs) => new Conv3D(args);
export const conv2dTranspose = (args: ConvTransposeLayerArgs) => new Conv2DTranspose(args);
export const conv3dTranspose = (args: ConvTransposeLayerArgs) => new Conv3DTranspose(args);
export const depthwiseConv2d = (args: DepthwiseConv2DLayerArgs) => new DepthwiseConv2D(args);
export const separableConv2d = (args: SeparableConvLayerArgs) => new SeparableConv2D(args);
export const convLstm2d = (args: ConvLSTM2DArgs) => new ConvLSTM2D(args);
export { convLstm2dCell, ConvLSTM2DCell, type ConvLSTM2DCellArgs } from './conv-lstm-cell';
export const maxPooling1d = (args?: Pooling1DLayerArgs) => new MaxPooling1D(args);
export const averagePooling1d = (args?: Pooling1DLayerArgs) => new AveragePooling1D(args);
export const globalMaxPooling1d = (args?: LayerArgs) => new GlobalMaxPooling1D(args);
export const maxPooling3d = (args?: Pooling3DLayerArgs) => new MaxPooling3D(args);
export const averagePooling3d = (args?: Pooling3DLayerArgs) => new AveragePooling3D(args);
export const zeroPadding2d = (args?: ZeroPadding2DLayerArgs) => new ZeroPadding2D(args);
export const cropping2D = (args?: Cropping2DLayerArgs) => new Cropping2D(args);
export const upSampling2d = (args?: UpSampling2DLayerArgs) => new UpSampling2D(args);
export const resizing = (args: ResizingLayerArgs) => new Resizing(args);
export const centerCrop = (args: CenterCropLayerArgs) => new CenterCrop(args);
/** TensorFlow.js aliases. */
export const maxPool1d = maxPooling1d;
export const avgPool1d = averagePooling1d;
export const avgPooling1d = averagePooling1d;
export const globalMaxPool1d = globalMaxPooling1d;
export const avgPool3d = averagePooling3d;
export const avgPooling3d = averagePooling3d;

export {
  AveragePooling1D, AveragePooling3D, CenterCrop, Conv2DTranspose, Conv3D, Conv3DTranspose, ConvLSTM2D, Cropping2D, DepthwiseConv2D,
  GlobalMaxPooling1D, MaxPooling1D, MaxPooling3D, Resizing, SeparableConv2D, UpSampling2D, ZeroPadding2D,
};
export type {
  CenterCropLayerArgs, Conv3DLayerArgs, ConvLSTM2DArgs, ConvTransposeLayerArgs, Cropping2DLayerArgs, DepthwiseConv2DLayerArgs,
  Pooling1DLayerArgs, Pooling3DLayerArgs, ResizingLayerArgs, SeparableConvLayerArgs, UpSampling2DLayerArgs, ZeroPadding2DLayerArgs,
};
// Activation layers, noise and regularization layers, masking, permute, preprocessing layers,
// and recurrent cells with rnn({ cell }).
export { reLU, leakyReLU, prelu, elu, thresholdedReLU, softmax, ReLU, LeakyReLU, PReLU, ELU, ThresholdedReLU, Softmax } from './advanced-activations';
export type { ReLULayerArgs, LeakyReLULayerArgs, PReLULayerArgs } from './advanced-activations';
export { spatialDropout1d, gaussianNoise, gaussianDropout, alphaDropout, SpatialDropout1D, GaussianNoise, GaussianDropout, AlphaDropout } from './noise';
export type { NoiseArgs } from './noise';
export { masking, Masking } from './masking';
export { permute, Permute } from './permute';
export { rescaling, categoryEncoding, Rescaling, CategoryEncoding } from './preprocessing';
export type { CategoryEncodingArgs, CategoryOutputMode } from './preprocessing';
export {
  rnn, simpleRNNCell, lstmCell, gruCell, stackedRNNCells,
  CellRNN, RNNCell, SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells,
} from './recurrent-cells';
export type { CellArgs, CellRNNArgs, GRUCellArgs, LSTMCellArgs } from './recurrent-cells';

// Attention and Transformers (multi-head-attention.ts, layer-normalization.ts).
import { MultiHeadAttention, type MultiHeadAttentionArgs, type MultiHeadAttentionCallArgs } from './multi-head-attention';
import { LayerNormalization, type LayerNormalizationArgs } from './layer-normalization';
export const multiHeadAttention = (args: MultiHeadAttentionArgs) => new MultiHeadAttention(args);
export const layerNormalization = (args?: LayerNormalizationArgs) => new LayerNormalization(args);
export { LayerNormalization, MultiHeadAttention };
export type { LayerNormalizationArgs, MultiHeadAttentionArgs, MultiHeadAttentionCallArgs };
import { PositionEmbedding, SinePositionEncoding, TokenAndPositionEmbedding, type PositionEmbeddingArgs, type SinePositionEncodingArgs, type TokenAndPositionEmbeddingArgs } from './position-embedding';
import { TransformerDecoder, TransformerEncoder, type TransformerArgs } from './transformer';
export const positionEmbedding = (args: PositionEmbeddingArgs) => new PositionEmbedding(args);
export const sinePositionEncoding = (args?: SinePositionEncodingArgs) => new SinePositionEncoding(args);
export const tokenAndPositionEmbedding = (args: TokenAndPositionEmbeddingArgs) => new TokenAndPositionEmbedding(args);
export const transformerEncoder = (args: TransformerArgs) => new TransformerEncoder(args);
export const transformerDecoder = (args: TransformerArgs) => new TransformerDecoder(args);
export { PositionEmbedding, SinePositionEncoding, TokenAndPositionEmbedding, TransformerDecoder, TransformerEncoder };
export type { PositionEmbeddingArgs, SinePositionEncodingArgs, TokenAndPositionEmbeddingArgs, TransformerArgs };
export { randomWidth, RandomWidth } from './random-width';
export type { RandomWidthArgs } from './random-width';
