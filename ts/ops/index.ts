/** All ops, with TensorFlow.js names and argument orders. */
export * from './creation';
export * from './binary';
export * from './unary';
export * from './reduction';
export * from './shape';
export * from './matmul';
export * from './conv';
export * from './pool';
// 3-D and depthwise convolutions, 3-D and 1-D pooling (fe.image lives in ./image).
export * from './conv3d';
export * from './depthwise';
export * from './pool3d';
export * from './softmax';
export * from './indexing';
export * from './fused-losses';
export * from './misc';
export { rnn } from './rnn';
export type { RnnOpConfig, RnnOpOptions, RnnOpResult, RnnOpWeights } from './rnn';
export { setRandomSeed } from './random';
export { attention, dotProductAttention, STORED_MAX_SCORES } from './attention';
export type { AttentionOptions, AttentionResult, DotProductAttentionOptions } from './attention';
export { layerNorm } from './layer-norm';
export type { LayerNormOptions } from './layer-norm';
export { projection } from './projection';
