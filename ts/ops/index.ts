/** All ops, with TensorFlow.js names and argument orders. */
export * from './creation';
export * from './binary';
export * from './unary';
export * from './reduction';
export * from './shape';
export * from './matmul';
export * from './conv';
export * from './pool';
export * from './softmax';
export * from './indexing';
export * from './fused-losses';
export * from './misc';
export * from './math';
export * from './logical';
export * from './scan';
export { rnn } from './rnn';
export type { RnnOpConfig, RnnOpOptions, RnnOpResult, RnnOpWeights } from './rnn';
export { setRandomSeed } from './random';
