/** fe.nn: PyTorch-style modules and losses, thin over ferrite's layers and ops. */
export { Module } from './module';
export { Embedding, GRU, Linear, LSTM, RNN, embedding, gru, linear, lstm, rnn } from './layers';
export type { RecurrentForwardOptions, RecurrentOptions } from './layers';
export { crossEntropyLoss, mseLoss } from './losses';
export type { CrossEntropyOptions, LossModule, Reduction } from './losses';
// Attention (attention.ts): nn.MultiheadAttention and nn.TransformerEncoderLayer on the fused kernel.
export { MultiheadAttention, TransformerEncoderLayer } from './attention';
export type { MultiheadAttentionForwardOptions, MultiheadAttentionOptions, TransformerEncoderLayerForwardOptions, TransformerEncoderLayerOptions } from './attention';
import { MultiheadAttention, TransformerEncoderLayer, type MultiheadAttentionOptions, type TransformerEncoderLayerOptions } from './attention';
export const multiheadAttention = (embedDim: number, numHeads: number, opts?: MultiheadAttentionOptions) => new MultiheadAttention(embedDim, numHeads, opts);
export const transformerEncoderLayer = (dModel: number, nhead: number, opts?: TransformerEncoderLayerOptions) => new TransformerEncoderLayer(dModel, nhead, opts);
