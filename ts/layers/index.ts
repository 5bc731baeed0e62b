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
