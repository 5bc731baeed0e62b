/**
 * Saving and loading of the attention and Transformer layers in the TensorFlow.js / Keras
 * format (spread into serialization.ts' table): MultiHeadAttention with TensorFlow.js' config
 * keys (query_shape / value_shape / key_shape build the weights when a file is loaded, as
 * TensorFlow.js' fromConfig does), LayerNormalization, and keras-hub's PositionEmbedding,
 * SinePositionEncoding, TokenAndPositionEmbedding, TransformerEncoder and TransformerDecoder.
 * Keys of newer Keras files that change nothing in ferrite are dropped; others that ferrite
 * cannot act on are rejected.
 */
import type { Layer } from '../layers/layer';
import { LayerNormalization } from '../layers/layer-normalization';
import { MultiHeadAttention } from '../layers/multi-head-attention';
import { PositionEmbedding, SinePositionEncoding, TokenAndPositionEmbedding } from '../layers/position-embedding';
import { TransformerDecoder, TransformerEncoder } from '../layers/transformer';
import type { Config, LayerCodec } from './serialization';

/** The codec builders of serialization.ts (passed in, so this file does not import it at run time). */
export interface AttentionCodecKit {
  simple<T extends Layer>(make: (args: never) => T, check?: (a: Config, who: string) => void): LayerCodec;
  unsupported(who: string, what: string): never;
}

export function attentionLayerCodecs({ simple, unsupported }: AttentionCodecKit): Record<string, LayerCodec> {
  return {
    MultiHeadAttention: simple((a: never) => new MultiHeadAttention(a), (a) => {
      // Keras 3: whether to use a fused attention kernel; ferrite's always is.
      delete a.flashAttention;
    }),
    LayerNormalization: simple((a: never) => new LayerNormalization(a)),
    PositionEmbedding: simple((a: never) => new PositionEmbedding(a)),
    SinePositionEncoding: simple((a: never) => new SinePositionEncoding(a)),
    TokenAndPositionEmbedding: simple((a: never) => new TokenAndPositionEmbedding(a), (a, who) => {
      if (a.tieWeights === false) unsupported(who, 'tie_weights: false');
    }),
    TransformerEncoder: simple((a: never) => new TransformerEncoder(a)),
    TransformerDecoder: simple((a: never) => new TransformerDecoder(a)),
  };
}
