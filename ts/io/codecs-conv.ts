/**
 * Saving and loading of the convolution, 1-D/3-D pooling, padding, cropping and image
 * layers in the TensorFlow.js / Keras format (spread into serialization.ts' table). Keys a
 * Keras file may carry that ferrite cannot act on are rejected when they would change the
 * layer, and dropped when they hold their default.
 */
import { Conv3D } from '../layers/conv3d';
import { Conv2DTranspose, Conv3DTranspose } from '../layers/conv-transpose';
import { ConvLSTM2D } from '../layers/conv-lstm';
import { ConvLSTM2DCell } from '../layers/conv-lstm-cell';
import { DepthwiseConv2D, SeparableConv2D } from '../layers/depthwise';
import { CenterCrop, Resizing, UpSampling2D } from '../layers/image-layers';
import type { Layer } from '../layers/layer';
import { Cropping2D, ZeroPadding2D } from '../layers/padding-cropping';
import { AveragePooling1D, GlobalMaxPooling1D, MaxPooling1D } from '../layers/pooling1d';
import { AveragePooling3D, MaxPooling3D } from '../layers/pooling3d';
import type { Config, LayerCodec } from './serialization';

/** The codec builders of serialization.ts (passed in, so this file does not import it at run time). */
export interface CodecKit {
  simple<T extends Layer>(make: (args: never) => T, check?: (a: Config, who: string) => void): LayerCodec;
  unsupported(who: string, what: string): never;
}

export function convLayerCodecs({ simple, unsupported }: CodecKit): Record<string, LayerCodec> {
  const noGroups = (a: Config, who: string) => {
    if (typeof a.groups === 'number' && a.groups !== 1) unsupported(who, `groups: ${a.groups}`);
    delete a.groups;
  };
  /** Drops a key holding its default; rejects any other value. */
  const onlyDefault = (a: Config, who: string, key: string, dflt: unknown) => {
    if (key in a && a[key] !== dflt) unsupported(who, `${key}: ${JSON.stringify(a[key])}`);
    delete a[key];
  };
  return {
    Conv3D: simple((a: never) => new Conv3D(a), noGroups),
    Conv2DTranspose: simple((a: never) => new Conv2DTranspose(a), noGroups),
    Conv3DTranspose: simple((a: never) => new Conv3DTranspose(a), noGroups),
    DepthwiseConv2D: simple((a: never) => new DepthwiseConv2D(a)),
    SeparableConv2D: simple((a: never) => new SeparableConv2D(a)),
    ConvLSTM2D: simple((a: never) => new ConvLSTM2D(a), (a) => {
      delete a.seed;
    }),
    ConvLSTM2DCell: simple((a: never) => new ConvLSTM2DCell(a), (a) => {
      delete a.seed;
    }),
    MaxPooling1D: simple((a: never) => new MaxPooling1D(a)),
    AveragePooling1D: simple((a: never) => new AveragePooling1D(a)),
    GlobalMaxPooling1D: simple((a: never) => new GlobalMaxPooling1D(a), (a, who) => {
      onlyDefault(a, who, 'keepdims', false);
      if (a.dataFormat !== undefined && a.dataFormat !== 'channelsLast') unsupported(who, `data_format '${String(a.dataFormat)}'`);
      delete a.dataFormat;
    }),
    MaxPooling3D: simple((a: never) => new MaxPooling3D(a)),
    AveragePooling3D: simple((a: never) => new AveragePooling3D(a)),
    ZeroPadding2D: simple((a: never) => new ZeroPadding2D(a)),
    Cropping2D: simple((a: never) => new Cropping2D(a)),
    UpSampling2D: simple((a: never) => new UpSampling2D(a)),
    Resizing: simple((a: never) => new Resizing(a), (a, who) => {
      // Keras 3's further options, at their defaults only.
      onlyDefault(a, who, 'padToAspectRatio', false);
      onlyDefault(a, who, 'antialias', false);
      onlyDefault(a, who, 'fillMode', 'constant');
      onlyDefault(a, who, 'fillValue', 0);
      onlyDefault(a, who, 'dataFormat', 'channelsLast');
    }),
    CenterCrop: simple((a: never) => new CenterCrop(a), (a, who) => onlyDefault(a, who, 'dataFormat', 'channelsLast')),
  };
}

/** TensorFlow.js' and Keras' other names for these classes. */
export const CONV_LAYER_ALIASES: Record<string, string> = {
  Convolution3D: 'Conv3D', Convolution2DTranspose: 'Conv2DTranspose', Convolution3DTranspose: 'Conv3DTranspose',
  Deconvolution2D: 'Conv2DTranspose', Deconvolution3D: 'Conv3DTranspose', SeparableConvolution2D: 'SeparableConv2D',
  MaxPool1D: 'MaxPooling1D', AvgPool1D: 'AveragePooling1D', AveragePool1D: 'AveragePooling1D', GlobalMaxPool1D: 'GlobalMaxPooling1D',
  MaxPool3D: 'MaxPooling3D', AvgPool3D: 'AveragePooling3D', AveragePool3D: 'AveragePooling3D',
};
