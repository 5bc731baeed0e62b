// Shape inference for every layer: the shape a layer reports for symbolic inputs
// (computeOutputShape, what functional models are built from) is the shape it computes on
// real tensors, with the batch left unknown. Add a row for every new layer.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { useBackend } from './helpers/backends';

interface Row {
  name: string;
  make: () => fe.layers.Layer;
  /** Input shapes without the batch axis (several for merge layers). */
  inputs: number[][];
  dtype?: 'int32';
  /** Keyword arguments of apply (plain values). */
  kwargs?: Record<string, unknown>;
  /** Inputs given by keyword (name → index in `inputs`), e.g. attention's value; the others are positional. */
  keywordInputs?: Record<string, number>;
}

const ROWS: Row[] = [
  { name: 'dense', make: () => fe.layers.dense({ units: 3 }), inputs: [[5]] },
  { name: 'dense on rank 3', make: () => fe.layers.dense({ units: 3 }), inputs: [[4, 5]] },
  { name: 'embedding', make: () => fe.layers.embedding({ inputDim: 10, outputDim: 4 }), inputs: [[6]], dtype: 'int32' },
  { name: 'globalAveragePooling1d', make: () => fe.layers.globalAveragePooling1d(), inputs: [[6, 4]] },
  { name: 'dropout', make: () => fe.layers.dropout({ rate: 0.5 }), inputs: [[6, 4]] },
  { name: 'flatten', make: () => fe.layers.flatten(), inputs: [[3, 4, 2]] },
  { name: 'activation', make: () => fe.layers.activation({ activation: 'relu' }), inputs: [[3]] },
  { name: 'reshape', make: () => fe.layers.reshape({ targetShape: [2, -1] }), inputs: [[3, 4]] },
  { name: 'repeatVector', make: () => fe.layers.repeatVector({ n: 3 }), inputs: [[4]] },
  { name: 'conv2d valid, strides 2', make: () => fe.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2 }), inputs: [[9, 8, 2]] },
  { name: 'conv2d same, dilated', make: () => fe.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', dilationRate: 2 }), inputs: [[7, 6, 2]] },
  { name: 'conv1d causal', make: () => fe.layers.conv1d({ filters: 2, kernelSize: 3, padding: 'causal' }), inputs: [[7, 3]] },
  { name: 'maxPooling2d', make: () => fe.layers.maxPooling2d({ poolSize: 2 }), inputs: [[7, 6, 2]] },
  { name: 'averagePooling2d same', make: () => fe.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }), inputs: [[7, 6, 2]] },
  { name: 'globalMaxPooling2d', make: () => fe.layers.globalMaxPooling2d(), inputs: [[4, 4, 3]] },
  { name: 'globalAveragePooling2d', make: () => fe.layers.globalAveragePooling2d(), inputs: [[4, 4, 3]] },
  { name: 'batchNormalization', make: () => fe.layers.batchNormalization(), inputs: [[4, 3]] },
  { name: 'lstm', make: () => fe.layers.lstm({ units: 3 }), inputs: [[5, 2]] },
  { name: 'lstm returnSequences, returnState', make: () => fe.layers.lstm({ units: 3, returnSequences: true, returnState: true }), inputs: [[5, 2]] },
  { name: 'gru', make: () => fe.layers.gru({ units: 3, returnSequences: true }), inputs: [[5, 2]] },
  { name: 'simpleRNN returnState', make: () => fe.layers.simpleRNN({ units: 3, returnState: true }), inputs: [[5, 2]] },
  { name: 'bidirectional concat', make: () => fe.layers.bidirectional({ layer: fe.layers.lstm({ units: 3, returnSequences: true }) }), inputs: [[5, 2]] },
  { name: 'bidirectional sum, returnState', make: () => fe.layers.bidirectional({ layer: fe.layers.gru({ units: 3, returnState: true }), mergeMode: 'sum' }), inputs: [[5, 2]] },
  { name: 'timeDistributed(dense)', make: () => fe.layers.timeDistributed({ layer: fe.layers.dense({ units: 2 }) }), inputs: [[5, 3]] },
  { name: 'add', make: () => fe.layers.add(), inputs: [[4], [4]] },
  { name: 'add with broadcasting', make: () => fe.layers.add(), inputs: [[3, 4], [1, 4]] },
  { name: 'subtract', make: () => fe.layers.subtract(), inputs: [[4], [4]] },
  { name: 'multiply', make: () => fe.layers.multiply(), inputs: [[2, 4], [2, 4], [2, 4]] },
  { name: 'average', make: () => fe.layers.average(), inputs: [[4], [4]] },
  { name: 'maximum', make: () => fe.layers.maximum(), inputs: [[4], [4]] },
  { name: 'minimum', make: () => fe.layers.minimum(), inputs: [[4], [4]] },
  { name: 'concatenate', make: () => fe.layers.concatenate(), inputs: [[3], [5]] },
  { name: 'concatenate axis 1', make: () => fe.layers.concatenate({ axis: 1 }), inputs: [[2, 3], [4, 3]] },
  { name: 'dot axes 1', make: () => fe.layers.dot({ axes: 1 }), inputs: [[4], [4]] },
  { name: 'dot axes [2, 2]', make: () => fe.layers.dot({ axes: [2, 2] }), inputs: [[3, 4], [5, 4]] },
  { name: 'dot axes [1, 2], normalized', make: () => fe.layers.dot({ axes: [1, 2], normalize: true }), inputs: [[3, 4], [5, 3]] },
  // Convolution, pooling, padding, cropping and image layers (tests/spatial-layers.test.ts has more).
  { name: 'conv3d strided', make: () => fe.layers.conv3d({ filters: 2, kernelSize: [2, 3, 2], strides: [1, 2, 3] }), inputs: [[5, 7, 8, 2]] },
  { name: 'conv2dTranspose same, strides 2', make: () => fe.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same' }), inputs: [[3, 4, 2]] },
  { name: 'conv2dTranspose valid, outputPadding', make: () => fe.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, outputPadding: 1 }), inputs: [[3, 4, 2]] },
  { name: 'conv3dTranspose', make: () => fe.layers.conv3dTranspose({ filters: 2, kernelSize: 2, strides: [2, 1, 3] }), inputs: [[2, 3, 2, 1]] },
  { name: 'depthwiseConv2d multiplier 3', make: () => fe.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 3, strides: 2 }), inputs: [[7, 6, 2]] },
  { name: 'separableConv2d same', make: () => fe.layers.separableConv2d({ filters: 4, kernelSize: 3, padding: 'same' }), inputs: [[5, 6, 2]] },
  { name: 'convLstm2d returnSequences, returnState', make: () => fe.layers.convLstm2d({ filters: 2, kernelSize: 3, returnSequences: true, returnState: true }), inputs: [[3, 5, 6, 1]] },
  { name: 'rnn(convLstm2dCell) returnSequences, returnState', make: () => fe.layers.rnn({ cell: fe.layers.convLstm2dCell({ filters: 2, kernelSize: 3, strides: 2 }), returnSequences: true, returnState: true }), inputs: [[3, 7, 6, 1]] },
  { name: 'maxPooling1d same', make: () => fe.layers.maxPooling1d({ poolSize: 3, strides: 2, padding: 'same' }), inputs: [[7, 3]] },
  { name: 'averagePooling1d', make: () => fe.layers.averagePooling1d({ poolSize: 2 }), inputs: [[7, 3]] },
  { name: 'globalMaxPooling1d', make: () => fe.layers.globalMaxPooling1d(), inputs: [[7, 3]] },
  { name: 'maxPooling3d', make: () => fe.layers.maxPooling3d({ poolSize: 2 }), inputs: [[4, 5, 6, 2]] },
  { name: 'averagePooling3d same', make: () => fe.layers.averagePooling3d({ poolSize: [2, 3, 2], padding: 'same' }), inputs: [[4, 5, 6, 2]] },
  { name: 'zeroPadding2d', make: () => fe.layers.zeroPadding2d({ padding: [[1, 2], [3, 0]] }), inputs: [[4, 5, 2]] },
  { name: 'cropping2D', make: () => fe.layers.cropping2D({ cropping: [[1, 0], [2, 1]] }), inputs: [[4, 5, 2]] },
  { name: 'upSampling2d bilinear', make: () => fe.layers.upSampling2d({ size: [2, 3], interpolation: 'bilinear' }), inputs: [[3, 4, 2]] },
  { name: 'resizing', make: () => fe.layers.resizing({ height: 5, width: 3 }), inputs: [[4, 6, 3]] },
  { name: 'centerCrop', make: () => fe.layers.centerCrop({ height: 2, width: 3 }), inputs: [[4, 6, 3]] },
  { name: 'reLU', make: () => fe.layers.reLU({ maxValue: 1 }), inputs: [[3, 2]] },
  { name: 'leakyReLU', make: () => fe.layers.leakyReLU(), inputs: [[3]] },
  { name: 'prelu sharedAxes', make: () => fe.layers.prelu({ sharedAxes: [1] }), inputs: [[3, 2]] },
  { name: 'elu', make: () => fe.layers.elu(), inputs: [[3]] },
  { name: 'thresholdedReLU', make: () => fe.layers.thresholdedReLU(), inputs: [[3]] },
  { name: 'softmax axis 1', make: () => fe.layers.softmax({ axis: 1 }), inputs: [[3, 2]] },
  { name: 'spatialDropout1d', make: () => fe.layers.spatialDropout1d({ rate: 0.3 }), inputs: [[3, 2]] },
  { name: 'gaussianNoise', make: () => fe.layers.gaussianNoise({ stddev: 0.3 }), inputs: [[3, 2]] },
  { name: 'gaussianDropout', make: () => fe.layers.gaussianDropout({ rate: 0.3 }), inputs: [[3, 2]] },
  { name: 'alphaDropout', make: () => fe.layers.alphaDropout({ rate: 0.3 }), inputs: [[3, 2]] },
  { name: 'masking', make: () => fe.layers.masking(), inputs: [[3, 2]] },
  { name: 'permute', make: () => fe.layers.permute({ dims: [2, 3, 1] }), inputs: [[3, 2, 4]] },
  { name: 'rescaling', make: () => fe.layers.rescaling({ scale: 2 }), inputs: [[3, 2]] },
  { name: 'categoryEncoding', make: () => fe.layers.categoryEncoding({ numTokens: 4 }), inputs: [[3]], dtype: 'int32' },
  { name: 'rnn(lstmCell) returnState', make: () => fe.layers.rnn({ cell: fe.layers.lstmCell({ units: 3 }), returnState: true }), inputs: [[4, 2]] },
  { name: 'rnn(stacked) returnSequences', make: () => fe.layers.rnn({ cell: [fe.layers.gruCell({ units: 3 }), fe.layers.simpleRNNCell({ units: 2 })], returnSequences: true }), inputs: [[4, 2]] },
  { name: 'multiHeadAttention self', make: () => fe.layers.multiHeadAttention({ numHeads: 2, keyDim: 3 }), inputs: [[5, 4], [5, 4]], keywordInputs: { value: 1 } },
  { name: 'multiHeadAttention cross, key, outputShape', make: () => fe.layers.multiHeadAttention({ numHeads: 2, keyDim: 3, valueDim: 2, outputShape: [3, 2] }), inputs: [[5, 4], [7, 6], [7, 3]], keywordInputs: { value: 1, key: 2 } },
  { name: 'multiHeadAttention returnAttentionScores', make: () => fe.layers.multiHeadAttention({ numHeads: 3, keyDim: 2 }), inputs: [[5, 4], [6, 4]], keywordInputs: { value: 1 }, kwargs: { returnAttentionScores: true } },
  { name: 'multiHeadAttention over axes 1, 2', make: () => fe.layers.multiHeadAttention({ numHeads: 2, keyDim: 2, attentionAxes: [1, 2] }), inputs: [[3, 2, 4], [2, 2, 4]], keywordInputs: { value: 1 } },
  { name: 'layerNormalization', make: () => fe.layers.layerNormalization(), inputs: [[3, 4]] },
  { name: 'layerNormalization axes [1, 2], rms', make: () => fe.layers.layerNormalization({ axis: [1, 2], rmsScaling: true }), inputs: [[3, 4, 2]] },
  { name: 'positionEmbedding', make: () => fe.layers.positionEmbedding({ sequenceLength: 8 }), inputs: [[5, 4]] },
  { name: 'sinePositionEncoding', make: () => fe.layers.sinePositionEncoding(), inputs: [[5, 4]] },
  { name: 'tokenAndPositionEmbedding', make: () => fe.layers.tokenAndPositionEmbedding({ vocabularySize: 10, sequenceLength: 8, embeddingDim: 4 }), inputs: [[6]], dtype: 'int32' },
  { name: 'transformerEncoder', make: () => fe.layers.transformerEncoder({ intermediateDim: 6, numHeads: 2 }), inputs: [[5, 4]] },
  { name: 'transformerDecoder', make: () => fe.layers.transformerDecoder({ intermediateDim: 6, numHeads: 2 }), inputs: [[5, 4]] },
  { name: 'transformerDecoder with encoder sequence', make: () => fe.layers.transformerDecoder({ intermediateDim: 6, numHeads: 2 }), inputs: [[5, 4], [7, 6]] },
];

describe('computeOutputShape agrees with the computed output, for every layer', () => {
  beforeAll(async () => useBackend('js'));

  it.each(ROWS.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const batch = 2;
    const byKeyword = new Set(Object.values(row.keywordInputs ?? {}));
    /** Positional inputs (one or a list) and the kwargs, with the keyword inputs taken from `all`. */
    const split = <T,>(all: T[]): [T | T[], Record<string, unknown>] => {
      const pos = all.filter((_, i) => !byKeyword.has(i));
      const kw: Record<string, unknown> = { ...row.kwargs };
      for (const [k, i] of Object.entries(row.keywordInputs ?? {})) kw[k] = all[i];
      return [pos.length === 1 ? pos[0] : pos, kw];
    };
    const symbolic = row.inputs.map((s) => fe.input({ shape: s, dtype: row.dtype }));
    const layer = row.make();
    const [symIn, symKw] = split(symbolic);
    const out = layer.apply(symIn as fe.SymbolicTensor, symKw);
    const outShapes = (Array.isArray(out) ? out : [out]).map((t) => t.shape);
    const real = row.inputs.map((s) => (row.dtype ? fe.zeros([batch, ...s], 'int32') : fe.randomUniform([batch, ...s], 0.1, 1)));
    const [realIn, realKw] = split(real);
    const got = layer.apply(realIn as fe.Tensor, realKw);
    const gotShapes = (Array.isArray(got) ? got : [got]).map((t) => t.shape);
    expect(outShapes.map((s) => s[0])).toEqual(outShapes.map(() => null));
    expect(outShapes.map((s) => s.slice(1))).toEqual(gotShapes.map((s) => s.slice(1)));
    expect(gotShapes.every((s) => s[0] === batch)).toBe(true);
    fe.dispose([...real, ...(Array.isArray(got) ? got : [got])]);
    layer.dispose();
  });
});
