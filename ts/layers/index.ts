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
