/** fe.nn: PyTorch-style modules and losses, thin over ferrite's layers and ops. */
export { Module } from './module';
export { Embedding, GRU, Linear, LSTM, RNN, embedding, gru, linear, lstm, rnn } from './layers';
export type { RecurrentForwardOptions, RecurrentOptions } from './layers';
export { crossEntropyLoss, mseLoss } from './losses';
export type { CrossEntropyOptions, LossModule, Reduction } from './losses';
export * as utils from './utils';
