/** All ops, with TensorFlow.js names and argument orders. */
export * from './creation';
export * from './binary';
export * from './unary';
export * from './reduction';
export * from './shape';
export * from './matmul';
export * from './softmax';
export * from './indexing';
export * from './fused-losses';
export * from './misc';
export { setRandomSeed } from './random';
