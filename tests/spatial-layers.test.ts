/**
 * The convolution, pooling, padding, cropping and image layers: outputs against TensorFlow.js
 * (same weights, 1e-5) and against direct computations, one SGD step against TensorFlow.js,
 * gradients by finite differences (input and every weight), saving and loading (ferrite →
 * ferrite, ferrite → TensorFlow.js, TensorFlow.js → ferrite), computeOutputShape against the
 * real output, regularizers and constraints, and errors naming the layer.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import type { Tensor } from 'ferrite-ml';
import { backends, expectGradcheck, Gen, useBackend } from './helpers/gradcheck';
import { mulberry32, uniform } from './helpers/reference';
import {
  expectNear, feArtifacts, fePredict, sameRandomWeights, tfArtifacts, tfPredict, throughJson,
} from './helpers/tfjs-interop';

/** A model built the same way in both libraries. */
interface Case {
  name: string;
  /** One sample's shape. */
  input: number[];
  fe: () => fe.layers.Layer[];
  tf: () => tf.layers.Layer[];
  /** TensorFlow.js cannot read its own file of this model back (it drops a key it needs). */
  tfCannotReload?: boolean;
  /** TensorFlow.js has no gradient for one of the layers, so it cannot train the model. */
  tfCannotTrain?: boolean;
}

const BATCH = 3;

const CASES: Case[] = [
  {
    name: 'Conv2DTranspose (strided same + relu, valid + tanh without bias)',
    input: [6, 5, 3],
    fe: () => [
      fe.layers.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', inputShape: [6, 5, 3] }),
      fe.layers.conv2dTranspose({ filters: 2, kernelSize: [2, 3], strides: [1, 2], activation: 'tanh', useBias: false }),
    ],
    tf: () => [
      tf.layers.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', inputShape: [6, 5, 3] }),
      tf.layers.conv2dTranspose({ filters: 2, kernelSize: [2, 3], strides: [1, 2], activation: 'tanh', useBias: false }),
    ],
  },
  {
    name: 'Conv3D, MaxPooling3D, AveragePooling3D',
    input: [4, 5, 6, 2],
    fe: () => [
      fe.layers.conv3d({ filters: 3, kernelSize: 2, padding: 'same', activation: 'relu', inputShape: [4, 5, 6, 2] }),
      fe.layers.maxPooling3d({ poolSize: 2, padding: 'same' }),
      fe.layers.conv3d({ filters: 4, kernelSize: [2, 1, 2], strides: [1, 2, 1], activation: 'sigmoid' }),
      fe.layers.averagePooling3d({ poolSize: [1, 2, 2], strides: 1 }),
    ],
    tf: () => [
      tf.layers.conv3d({ filters: 3, kernelSize: 2, padding: 'same', activation: 'relu', inputShape: [4, 5, 6, 2] }),
      tf.layers.maxPooling3d({ poolSize: 2, padding: 'same' }),
      tf.layers.conv3d({ filters: 4, kernelSize: [2, 1, 2], strides: [1, 2, 1], activation: 'sigmoid' }),
      tf.layers.averagePooling3d({ poolSize: [1, 2, 2], strides: 1 }),
    ],
  },
  {
    name: 'Conv3D, Conv3DTranspose (valid and same)',
    input: [2, 3, 4, 2],
    fe: () => [
      fe.layers.conv3d({ filters: 3, kernelSize: 2, padding: 'same', activation: 'elu', inputShape: [2, 3, 4, 2] }),
      fe.layers.conv3dTranspose({ filters: 2, kernelSize: [2, 3, 2], strides: 2, activation: 'sigmoid' }),
      fe.layers.conv3dTranspose({ filters: 3, kernelSize: 3, strides: [1, 2, 1], padding: 'same', activation: 'relu' }),
    ],
    tf: () => [
      tf.layers.conv3d({ filters: 3, kernelSize: 2, padding: 'same', activation: 'elu', inputShape: [2, 3, 4, 2] }),
      tf.layers.conv3dTranspose({ filters: 2, kernelSize: [2, 3, 2], strides: 2, activation: 'sigmoid' }) as tf.layers.Layer,
      tf.layers.conv3dTranspose({ filters: 3, kernelSize: 3, strides: [1, 2, 1], padding: 'same', activation: 'relu' }) as tf.layers.Layer,
    ],
    tfCannotTrain: true,
  },
  {
    name: 'DepthwiseConv2D (multiplier 2), SeparableConv2D',
    input: [7, 6, 3],
    fe: () => [
      fe.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu', inputShape: [7, 6, 3] }),
      fe.layers.separableConv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'elu' }),
      fe.layers.depthwiseConv2d({ kernelSize: [2, 1], useBias: false }),
    ],
    tf: () => [
      tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu', inputShape: [7, 6, 3] }),
      tf.layers.separableConv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'elu' }),
      tf.layers.depthwiseConv2d({ kernelSize: [2, 1], useBias: false }),
    ],
  },
  {
    name: 'SeparableConv2D with depthMultiplier 3',
    input: [6, 6, 2],
    fe: () => [fe.layers.separableConv2d({ filters: 3, kernelSize: 2, depthMultiplier: 3, activation: 'relu', inputShape: [6, 6, 2] })],
    tf: () => [tf.layers.separableConv2d({ filters: 3, kernelSize: 2, depthMultiplier: 3, activation: 'relu', inputShape: [6, 6, 2] })],
    // TensorFlow.js' SeparableConv2D.getConfig leaves depth_multiplier out.
    tfCannotReload: true,
  },
  {
    name: 'ConvLSTM2D (sequences, then the last output), Flatten',
    input: [3, 5, 5, 2],
    fe: () => [
      fe.layers.convLstm2d({ filters: 3, kernelSize: 3, padding: 'same', returnSequences: true, recurrentActivation: 'hardSigmoid', inputShape: [3, 5, 5, 2] }),
      fe.layers.convLstm2d({ filters: 2, kernelSize: 2, strides: 2, recurrentActivation: 'sigmoid', goBackwards: true }),
      fe.layers.flatten(),
    ],
    tf: () => [
      tf.layers.convLstm2d({ filters: 3, kernelSize: 3, padding: 'same', returnSequences: true, recurrentActivation: 'hardSigmoid', inputShape: [3, 5, 5, 2] }),
      tf.layers.convLstm2d({ filters: 2, kernelSize: 2, strides: 2, recurrentActivation: 'sigmoid', goBackwards: true }),
      tf.layers.flatten(),
    ],
  },
  {
    name: 'MaxPooling1D, AveragePooling1D, Conv1D, GlobalMaxPooling1D',
    input: [11, 4],
    fe: () => [
      fe.layers.maxPooling1d({ poolSize: 2, inputShape: [11, 4] }),
      fe.layers.averagePooling1d({ poolSize: 3, strides: 1, padding: 'same' }),
      fe.layers.conv1d({ filters: 3, kernelSize: 2 }),
      fe.layers.maxPool1d({ poolSize: 2, strides: 1 }),
      fe.layers.globalMaxPooling1d(),
    ],
    tf: () => [
      tf.layers.maxPooling1d({ poolSize: 2, inputShape: [11, 4] }),
      tf.layers.averagePooling1d({ poolSize: 3, strides: 1, padding: 'same' }),
      tf.layers.conv1d({ filters: 3, kernelSize: 2 }),
      tf.layers.maxPool1d({ poolSize: 2, strides: 1 }),
      tf.layers.globalMaxPooling1d(),
    ],
  },
  {
    name: 'ZeroPadding2D, UpSampling2D (nearest, bilinear), Cropping2D, CenterCrop',
    input: [5, 6, 2],
    fe: () => [
      fe.layers.zeroPadding2d({ padding: [[1, 2], [0, 3]], inputShape: [5, 6, 2] }),
      fe.layers.upSampling2d({ size: [2, 3] }),
      fe.layers.cropping2D({ cropping: [[1, 0], [2, 3]] }),
      fe.layers.upSampling2d({ size: 2, interpolation: 'bilinear' }),
      fe.layers.conv2d({ filters: 2, kernelSize: 3 }),
    ],
    tf: () => [
      tf.layers.zeroPadding2d({ padding: [[1, 2], [0, 3]], inputShape: [5, 6, 2] }),
      tf.layers.upSampling2d({ size: [2, 3] }),
      tf.layers.cropping2D({ cropping: [[1, 0], [2, 3]] }),
      tf.layers.upSampling2d({ size: [2, 2], interpolation: 'bilinear' }),
      tf.layers.conv2d({ filters: 2, kernelSize: 3 }),
    ],
  },
  {
    name: 'Conv2D, CenterCrop (10 × 12 to 4 × 6, where TensorFlow.js\' nearest crop-and-resize lands on the exact window)',
    input: [10, 12, 2],
    fe: () => [fe.layers.conv2d({ filters: 2, kernelSize: 1, inputShape: [10, 12, 2] }), fe.layers.centerCrop({ height: 4, width: 6 })],
    tf: () => [tf.layers.conv2d({ filters: 2, kernelSize: 1, inputShape: [10, 12, 2] }), tf.layers.centerCrop({ height: 4, width: 6 })],
    tfCannotTrain: true,
  },
];

function inputValues(c: Case, seed: number): { values: Float32Array; shape: number[] } {
  const shape = [BATCH, ...c.input];
  return { values: uniform(mulberry32(seed), shape.reduce((a, b) => a * b, 1), -1, 1), shape };
}

function models(c: Case, seed: number): { ours: fe.Sequential; theirs: tf.Sequential } {
  const ours = fe.sequential({ layers: c.fe() });
  const theirs = tf.sequential({ layers: c.tf() });
  sameRandomWeights(ours, theirs, seed);
  return { ours, theirs };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(backends)('layers against TensorFlow.js (%s)', (backend) => {
  beforeAll(async () => useBackend(backend));

  it.each(CASES.map((c, i) => [c.name, i] as const))('%s: same predictions, same output shape', (_n, i) => {
    const c = CASES[i];
    const { ours, theirs } = models(c, 10 * i + 1);
    const x = inputValues(c, i);
    expectNear(fePredict(ours, x.values, x.shape), tfPredict(theirs, x.values, x.shape), 1e-5, c.name);
    expect(ours.outputs[0].shape).toEqual(theirs.outputs[0].shape);
    ours.dispose();
    theirs.dispose();
  });

  it.each(CASES.filter((c) => !c.tfCannotTrain).map((c) => [c.name, CASES.indexOf(c)] as const))('%s: the same weights after one SGD step', async (_n, i) => {
    const c = CASES[i];
    const { ours, theirs } = models(c, 10 * i + 2);
    const x = inputValues(c, 50 + i);
    const outShape = [BATCH, ...(theirs.outputs[0].shape.slice(1) as number[])];
    const y = uniform(mulberry32(70 + i), outShape.reduce((a, b) => a * b, 1), -1, 1);
    ours.compile({ optimizer: fe.train.sgd(0.5), loss: 'meanSquaredError' });
    theirs.compile({ optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError' });
    const fx = fe.tensor(x.values, x.shape), fy = fe.tensor(y, outShape);
    const tx = tf.tensor(x.values, x.shape), ty = tf.tensor(y, outShape);
    const lossOurs = ours.trainOnBatch(fx, fy) as number;
    const lossTheirs = (await theirs.trainOnBatch(tx, ty)) as number;
    expect(lossOurs).toBeCloseTo(lossTheirs, 5);
    const wt = theirs.getWeights();
    ours.getWeights().forEach((w, j) => expectNear(w.dataSync(), wt[j].dataSync(), 1e-5, `${c.name}: weight ${j} (${ours.weights[j].name})`));
    tf.dispose([tx, ty]);
    fx.dispose();
    fy.dispose();
    ours.dispose();
    theirs.dispose();
  });

  it.each(CASES.map((c, i) => [c.name, i] as const))('%s: saved by ferrite, loaded by ferrite and by TensorFlow.js', async (_n, i) => {
    const c = CASES[i];
    const { ours, theirs } = models(c, 10 * i + 3);
    const x = inputValues(c, 100 + i);
    const want = fePredict(ours, x.values, x.shape);
    const artifacts = throughJson(await feArtifacts(ours));
    const again = await fe.loadLayersModel(fe.io.fromMemory(artifacts));
    expectNear(fePredict(again, x.values, x.shape), want, 0, `${c.name}: ferrite → ferrite`);
    expect(again.layers.map((l) => fe.io.serializeLayer(l))).toEqual(ours.layers.map((l) => fe.io.serializeLayer(l)));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    expectNear(tfPredict(loaded, x.values, x.shape), want, 1e-5, `${c.name}: ferrite → TensorFlow.js`);
    // The JSON has TensorFlow.js' class names and weight names (layer names aside).
    const theirsSaved = await tfArtifacts(theirs);
    const classes = (a: { modelTopology?: unknown }) => ((a.modelTopology as { config: { layers: { class_name: string }[] } }).config.layers).map((l) => l.class_name);
    expect(classes(artifacts)).toEqual(classes(theirsSaved));
    // Config keys: the ones TensorFlow.js writes, and no others but those it drops and needs
    // (SeparableConv2D's depth_multiplier) or cannot express (non-default dilation and output padding).
    const configs = (a: { modelTopology?: unknown }) => ((a.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers).map((l) => l.config);
    const theirsConfigs = configs(theirsSaved);
    configs(artifacts).forEach((cfg, j) => {
      const extra = Object.keys(cfg).filter((k) => !(k in theirsConfigs[j]) && !['depth_multiplier', 'output_padding', 'dilation_rate'].includes(k));
      expect(extra, `${c.name}: layer ${j} keys TensorFlow.js does not write`).toEqual([]);
      for (const k of ['filters', 'kernel_size', 'strides', 'padding', 'pool_size', 'depth_multiplier', 'size', 'interpolation', 'cropping', 'height', 'width', 'return_sequences', 'go_backwards', 'recurrent_activation', 'activation']) {
        if (k in theirsConfigs[j]) expect(cfg[k], `${c.name}: layer ${j} ${k}`).toEqual(theirsConfigs[j][k]);
      }
    });
    const weightKey = (s: { name: string; shape: number[] }) => `${s.name.split('/').slice(1).join('/')} [${s.shape.join(',')}]`;
    expect(artifacts.weightSpecs!.map(weightKey)).toEqual(theirsSaved.weightSpecs!.map(weightKey));
    loaded.dispose();
    ours.dispose();
    again.dispose();
    theirs.dispose();
  });

  it.each(CASES.filter((c) => !c.tfCannotReload).map((c) => [c.name, CASES.indexOf(c)] as const))(
    '%s: saved by TensorFlow.js, loaded by ferrite', async (_n, i) => {
      const c = CASES[i];
      const { ours, theirs } = models(c, 10 * i + 4);
      ours.dispose();
      const x = inputValues(c, 200 + i);
      const loaded = await fe.loadLayersModel(fe.io.fromMemory(throughJson(await tfArtifacts(theirs)) as fe.io.ModelArtifacts));
      expectNear(fePredict(loaded, x.values, x.shape), tfPredict(theirs, x.values, x.shape), 1e-5, `${c.name}: TensorFlow.js → ferrite`);
      loaded.dispose();
      theirs.dispose();
    });
});

// ---- layers whose semantics are Keras' (TensorFlow.js differs) -------------------------------

describe.each(backends)('Resizing and CenterCrop follow Keras (%s)', (backend) => {
  beforeAll(async () => useBackend(backend));

  /** Keras' resize: half-pixel centres; TensorFlow.js' Resizing aligns corners instead. */
  it('Resizing: half-pixel bilinear and nearest, cropToAspectRatio cuts the centred window first', () => {
    const x = fe.tensor(uniform(mulberry32(5), 2 * 6 * 9 * 3, -1, 1), [2, 6, 9, 3]);
    const plain = fe.layers.resizing({ height: 4, width: 5 });
    expectNear(plain.apply(x).dataSync(), fe.image.resizeBilinear(x, [4, 5], false, true).dataSync(), 0, 'bilinear');
    const nn = fe.layers.resizing({ height: 7, width: 4, interpolation: 'nearest' });
    expectNear(nn.apply(x).dataSync(), fe.image.resizeNearestNeighbor(x, [7, 4], false, true).dataSync(), 0, 'nearest');
    // 6 × 9 to a 4 × 4 target: the centred 6 × 6 window (columns 1..6), then resized.
    const crop = fe.layers.resizing({ height: 4, width: 4, cropToAspectRatio: true });
    const window = fe.slice(x, [0, 0, 1, 0], [2, 6, 6, 3]);
    expectNear(crop.apply(x).dataSync(), fe.image.resizeBilinear(window, [4, 4], false, true).dataSync(), 0, 'cropToAspectRatio');
    // And a single image.
    const one = fe.slice(x, [1, 0, 0, 0], [1, 6, 9, 3]).reshape([6, 9, 3]);
    expect(crop.apply(one).shape).toEqual([4, 4, 3]);
    expectNear(crop.apply(one).dataSync(), crop.apply(x).dataSync().slice(48), 0, 'single image');
    // Half-pixel bilinear by hand: [0, 1, 2, 3] to 2 wide reads 0.5 and 2.5 → 0.5, 2.5.
    const row = fe.tensor([0, 1, 2, 3], [1, 1, 4, 1]);
    expect(Array.from(fe.layers.resizing({ height: 1, width: 2 }).apply(row).dataSync())).toEqual([0.5, 2.5]);
  });

  it('CenterCrop cuts exactly (even and odd margins), and resizes when the input is smaller', () => {
    const v = Float32Array.from({ length: 7 * 8 }, (_, i) => i);
    const x = fe.tensor(v, [1, 7, 8, 1]);
    // 7 × 8 → 4 × 3: top ⌊3/2⌋ = 1, left ⌊5/2⌋ = 2.
    const y = fe.layers.centerCrop({ height: 4, width: 3 }).apply(x);
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4].flatMap((r) => [2, 3, 4].map((c) => r * 8 + c)));
    // int32 images give float32, as TensorFlow.js' and Keras' layers do.
    const yi = fe.layers.centerCrop({ height: 2, width: 2 }).apply(fe.tensor(Int32Array.from(v), [7, 8, 1], 'int32'));
    expect(yi.dtype).toBe('float32');
    expect(Array.from(yi.dataSync())).toEqual([2 * 8 + 3, 2 * 8 + 4, 3 * 8 + 3, 3 * 8 + 4]);
    // Smaller than the target: Keras' smart_resize (7 × 8 to 10 × 10: the centred 7 × 7, resized).
    const up = fe.layers.centerCrop({ height: 10, width: 10 }).apply(x);
    const want = fe.image.resizeBilinear(fe.slice(x, [0, 0, 0, 0], [1, 7, 7, 1]), [10, 10], false, true);
    expectNear(up.dataSync(), want.dataSync(), 0, 'upsize');
  });
});

// ---- gradients by finite differences: the input and every weight ------------------------------

/**
 * Checks d Σ(w ⊙ layer(x)) / d x with expectGradcheck, and d / d weight for every weight
 * against central differences of the same sum (weights set through setWeights).
 */
function layerGradcheck(make: () => fe.layers.Layer, inShape: number[], seed: number, tol = 2e-2): void {
  // Seeded initial weights: the check does not depend on which tests ran before.
  fe.setRandomSeed(seed);
  const layer = make();
  const g = new Gen(seed);
  const input = g.uniform(inShape);
  expectGradcheck(([x]) => layer.apply(x) as Tensor, [input], { rtol: tol });
  const x = fe.tensor(input.values, inShape);
  const base = layer.getWeights().map((w) => Float32Array.from(w.dataSync()));
  const shapes = layer.weights.map((w) => [...w.shape]);
  const wOut = fe.tidy(() => new Gen(seed + 1).uniform((layer.apply(x) as Tensor).shape).values);
  const loss = (): number => fe.tidy(() => {
    const y = (layer.apply(x) as Tensor).dataSync();
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * wOut[i];
    return s;
  });
  for (const v of layer.weights) {
    v.grad?.dispose();
    v.grad = null;
  }
  fe.tidy(() => {
    const y = layer.apply(x) as Tensor;
    fe.sum(fe.mul(y, fe.tensor(wOut, y.shape))).backward();
  });
  const analytic = layer.weights.map((v) => Float32Array.from(v.grad!.dataSync()));
  const set = (vals: Float32Array[]) => layer.setWeights(vals.map((a, i) => fe.tensor(a, shapes[i])));
  base.forEach((vals, wi) => {
    for (let j = 0; j < vals.length; j++) {
      const h = 1e-2;
      const plus = base.map((b) => Float32Array.from(b)), minus = base.map((b) => Float32Array.from(b));
      plus[wi][j] += h;
      minus[wi][j] -= h;
      set(plus);
      const lp = loss();
      set(minus);
      const lm = loss();
      const numeric = (lp - lm) / (plus[wi][j] - minus[wi][j]);
      const a = analytic[wi][j];
      if (!(Math.abs(a - numeric) <= 2e-3 + tol * Math.max(Math.abs(a), Math.abs(numeric)))) {
        throw new Error(`${layer.name}: weight ${layer.weights[wi].name} [${j}]: analytic ${a}, numeric ${numeric}`);
      }
    }
  });
  set(base);
  for (const v of layer.weights) {
    v.grad?.dispose();
    v.grad = null;
  }
  x.dispose();
}

describe.each(backends)('layer gradients by finite differences (%s)', (backend) => {
  beforeAll(async () => useBackend(backend));

  it('Conv3D (relu fused, and elu), Conv2DTranspose, Conv3DTranspose', () => {
    layerGradcheck(() => fe.layers.conv3d({ filters: 2, kernelSize: 2, padding: 'same', activation: 'elu' }), [2, 3, 3, 2, 2], 1);
    layerGradcheck(() => fe.layers.conv3d({ filters: 2, kernelSize: [2, 1, 2], strides: [1, 2, 1], dilationRate: 1 }), [1, 3, 4, 3, 2], 2);
    layerGradcheck(() => fe.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }), [2, 3, 2, 2], 3);
    layerGradcheck(() => fe.layers.conv2dTranspose({ filters: 3, kernelSize: 2, strides: 2, outputPadding: 1, dilationRate: 1 }), [1, 2, 3, 2], 4);
    layerGradcheck(() => fe.layers.conv3dTranspose({ filters: 2, kernelSize: 2, strides: [2, 1, 2], padding: 'valid' }), [1, 2, 2, 2, 2], 5);
  });

  it('DepthwiseConv2D, SeparableConv2D (dilated too)', () => {
    layerGradcheck(() => fe.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'sigmoid' }), [2, 4, 3, 2], 6);
    layerGradcheck(() => fe.layers.depthwiseConv2d({ kernelSize: 2, dilationRate: 2 }), [1, 5, 5, 3], 7);
    layerGradcheck(() => fe.layers.separableConv2d({ filters: 3, kernelSize: 2, depthMultiplier: 2, strides: 2, padding: 'same' }), [2, 4, 4, 2], 8);
  });

  it('ConvLSTM2D (sequences and states; masked steps)', () => {
    layerGradcheck(() => fe.layers.convLstm2d({ filters: 2, kernelSize: 2, padding: 'same', returnSequences: true }), [2, 3, 3, 3, 1], 9);
    layerGradcheck(() => fe.layers.convLstm2d({ filters: 1, kernelSize: [2, 1], goBackwards: true, activation: 'elu', recurrentActivation: 'hardSigmoid' }), [1, 2, 3, 2, 2], 10);
  });

  it('pooling, padding, cropping and image layers (input gradients)', () => {
    const g = new Gen(11);
    const step = () => 0.01;
    expectGradcheck(([x]) => fe.layers.maxPooling1d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x), [g.distinct([2, 7, 3])], { step });
    expectGradcheck(([x]) => fe.layers.averagePooling1d({ poolSize: 2, strides: 1 }).apply(x), [g.uniform([2, 5, 3])]);
    expectGradcheck(([x]) => fe.layers.globalMaxPooling1d().apply(x), [g.distinct([2, 4, 3])], { step });
    expectGradcheck(([x]) => fe.layers.maxPooling3d({ poolSize: [2, 2, 1] }).apply(x), [g.distinct([1, 2, 4, 3, 2])], { step });
    expectGradcheck(([x]) => fe.layers.averagePooling3d({ poolSize: 2, padding: 'same' }).apply(x), [g.uniform([1, 3, 3, 3, 2])]);
    expectGradcheck(([x]) => fe.layers.zeroPadding2d({ padding: [1, 2] }).apply(x), [g.uniform([2, 2, 3, 2])]);
    expectGradcheck(([x]) => fe.layers.cropping2D({ cropping: [[1, 0], [0, 2]] }).apply(x), [g.uniform([2, 3, 4, 2])]);
    expectGradcheck(([x]) => fe.layers.upSampling2d({ size: [2, 3], interpolation: 'bilinear' }).apply(x), [g.uniform([1, 2, 3, 2])]);
    expectGradcheck(([x]) => fe.layers.upSampling2d({ size: 2 }).apply(x), [g.uniform([1, 2, 3, 2])]);
    expectGradcheck(([x]) => fe.layers.resizing({ height: 3, width: 2, cropToAspectRatio: true }).apply(x), [g.uniform([1, 4, 5, 2])]);
    expectGradcheck(([x]) => fe.layers.centerCrop({ height: 2, width: 3 }).apply(x), [g.uniform([1, 4, 5, 2])]);
  });
});

// ---- shapes, masks, states, regularizers, constraints -------------------------------------------

describe('computeOutputShape, masks, states, regularizers and constraints', () => {
  beforeAll(async () => useBackend('js'));

  it('symbolic shapes (functional models) match the real outputs, unknown sizes stay null', () => {
    const layers: [fe.layers.Layer, number[]][] = [
      [fe.layers.conv3d({ filters: 3, kernelSize: [2, 3, 2], strides: [1, 2, 3], padding: 'valid', dilationRate: 1 }), [2, 5, 7, 8, 2]],
      [fe.layers.conv3d({ filters: 2, kernelSize: 3, padding: 'same', dilationRate: [2, 1, 1] }), [1, 6, 4, 5, 1]],
      [fe.layers.conv2dTranspose({ filters: 2, kernelSize: 4, strides: 3, padding: 'valid' }), [1, 3, 2, 2]],
      [fe.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', outputPadding: [1, 0] }), [1, 3, 4, 2]],
      [fe.layers.conv2dTranspose({ filters: 1, kernelSize: 2, dilationRate: 2, padding: 'valid' }), [1, 3, 3, 1]],
      [fe.layers.conv3dTranspose({ filters: 2, kernelSize: [1, 2, 3], strides: [2, 1, 2], padding: 'same' }), [1, 2, 3, 4, 3]],
      [fe.layers.depthwiseConv2d({ kernelSize: [3, 2], depthMultiplier: 3, strides: 2, padding: 'valid' }), [2, 7, 6, 2]],
      [fe.layers.separableConv2d({ filters: 5, kernelSize: 3, padding: 'same', dilationRate: 2 }), [1, 6, 7, 2]],
      [fe.layers.convLstm2d({ filters: 2, kernelSize: 3, returnSequences: true, returnState: true }), [2, 3, 5, 6, 1]],
      [fe.layers.convLstm2d({ filters: 2, kernelSize: 2, strides: 2, padding: 'same' }), [2, 2, 5, 5, 1]],
      [fe.layers.maxPooling1d({ poolSize: 3, strides: 2, padding: 'same' }), [2, 9, 3]],
      [fe.layers.averagePooling1d({ poolSize: 4 }), [2, 9, 3]],
      [fe.layers.globalMaxPooling1d(), [2, 9, 3]],
      [fe.layers.maxPooling3d({ poolSize: [3, 2, 2], strides: [1, 2, 3], padding: 'same' }), [1, 4, 5, 7, 2]],
      [fe.layers.averagePooling3d({}), [1, 4, 5, 7, 2]],
      [fe.layers.zeroPadding2d({ padding: 2 }), [1, 3, 4, 2]],
      [fe.layers.cropping2D({ cropping: [1, 2] }), [1, 5, 6, 2]],
      [fe.layers.upSampling2d({ size: [3, 2] }), [1, 2, 3, 1]],
      [fe.layers.resizing({ height: 3, width: 7 }), [2, 4, 4, 3]],
      [fe.layers.centerCrop({ height: 2, width: 3 }), [2, 4, 4, 3]],
    ];
    for (const [layer, shape] of layers) {
      const inp = fe.input({ shape: shape.slice(1) });
      const sym = layer.apply(inp);
      const real = layer.apply(fe.ones(shape));
      const symShapes = (Array.isArray(sym) ? sym : [sym]).map((s) => s.shape.slice(1));
      const realShapes = (Array.isArray(real) ? real : [real]).map((r) => r.shape.slice(1));
      expect(symShapes, layer.name).toEqual(realShapes);
      // Unknown spatial sizes give unknown output sizes; the channels stay known.
      const unknown = layer.computeOutputShape([null, ...shape.slice(1, -1).map(() => null), shape[shape.length - 1]]);
      const first = (Array.isArray(unknown[0]) ? unknown[0] : unknown) as (number | null)[];
      expect(first[0], layer.name).toBeNull();
    }
  });

  it('ConvLSTM2D: masked steps keep the state; initial states; returnState', () => {
    const layer = fe.layers.convLstm2d({ filters: 2, kernelSize: 2, padding: 'same', returnSequences: true, returnState: true });
    const x = fe.tensor(uniform(mulberry32(3), 2 * 4 * 3 * 3 * 1, -1, 1), [2, 4, 3, 3, 1]);
    const mask = fe.tensor([1, 1, 0, 1, 1, 0, 0, 0], [2, 4]);
    const [seq, h, c] = layer.apply(x, { mask }) as unknown as Tensor[];
    expect(seq.shape).toEqual([2, 4, 3, 3, 2]);
    const s = seq.arraySync() as number[][][][][];
    // Sample 0, step 2 is masked: its output repeats step 1's. Sample 1 stops after step 0.
    expect(s[0][2]).toEqual(s[0][1]);
    expect(s[1][3]).toEqual(s[1][0]);
    expect(fe.slice(seq, [1, 3], [1, 1]).reshape([3, 3, 2]).arraySync()).toEqual(fe.slice(h, [1], [1]).reshape([3, 3, 2]).arraySync());
    // Without the masked steps, the same final state.
    const [, h0] = layer.apply(fe.slice(x, [1, 0], [1, 1]), { initialState: undefined }) as unknown as Tensor[];
    expectNear(fe.slice(h, [1], [1]).dataSync(), h0.dataSync(), 1e-6, 'masked tail');
    // Continuing from returned states equals running the whole sequence.
    const [, hA, cA] = layer.apply(fe.slice(x, [0, 0], [2, 2])) as unknown as Tensor[];
    const [, hB] = layer.apply(fe.slice(x, [0, 2], [2, 2]), { initialState: [hA, cA] }) as unknown as Tensor[];
    const [, hAll] = layer.apply(x) as unknown as Tensor[];
    expectNear(hB.dataSync(), hAll.dataSync(), 1e-6, 'states carried');
    expect(c.shape).toEqual([2, 3, 3, 2]);
  });

  it('regularizers add to the loss and constraints hold after a step', () => {
    const conv = fe.layers.conv3d({ filters: 2, kernelSize: 2, kernelRegularizer: fe.regularizers.l2({ l2: 0.1 }), biasConstraint: 'nonNeg', biasInitializer: 'ones' });
    const dw = fe.layers.depthwiseConv2d({ kernelSize: 2, depthwiseRegularizer: 'l1', depthwiseConstraint: fe.constraints.maxNorm({ maxValue: 0.1, axis: [0, 1, 2] }) });
    const sep = fe.layers.separableConv2d({ filters: 2, kernelSize: 2, pointwiseRegularizer: fe.regularizers.l1({ l1: 0.5 }) });
    const lstm = fe.layers.convLstm2d({ filters: 2, kernelSize: 2, recurrentRegularizer: fe.regularizers.l2({ l2: 0.2 }) });
    conv.apply(fe.ones([1, 3, 3, 3, 1]));
    dw.apply(fe.ones([1, 3, 3, 2]));
    sep.apply(fe.ones([1, 3, 3, 2]));
    lstm.apply(fe.ones([1, 2, 3, 3, 1]));
    const sumSq = (t: Tensor) => Array.from(t.dataSync()).reduce((a, v) => a + v * v, 0);
    const sumAbs = (t: Tensor) => Array.from(t.dataSync()).reduce((a, v) => a + Math.abs(v), 0);
    expect(conv.losses[0].dataSync()[0]).toBeCloseTo(0.1 * sumSq(conv.weights[0]), 5);
    expect(dw.losses[0].dataSync()[0]).toBeCloseTo(0.01 * sumAbs(dw.weights[0]), 5);
    expect(sep.losses[0].dataSync()[0]).toBeCloseTo(0.5 * sumAbs(sep.weights[1]), 5);
    expect(lstm.losses[0].dataSync()[0]).toBeCloseTo(0.2 * sumSq(lstm.weights[1]), 5);
    // A model pushing the bias negative and the depthwise kernel large: the constraints win.
    const model = fe.sequential({ layers: [fe.layers.conv3d({ filters: 2, kernelSize: 1, biasConstraint: 'nonNeg', inputShape: [1, 2, 2, 1] })] });
    model.compile({ optimizer: fe.train.sgd(10), loss: 'meanSquaredError' });
    model.trainOnBatch(fe.ones([2, 1, 2, 2, 1]), fe.fill([2, 1, 2, 2, 2], -5));
    expect(Math.min(...model.weights[1].dataSync())).toBeGreaterThanOrEqual(0);
    const m2 = fe.sequential({ layers: [fe.layers.depthwiseConv2d({ kernelSize: 1, depthwiseConstraint: fe.constraints.maxNorm({ maxValue: 0.1, axis: [0, 1, 2] }), inputShape: [2, 2, 3] })] });
    m2.compile({ optimizer: fe.train.sgd(10), loss: 'meanSquaredError' });
    m2.trainOnBatch(fe.ones([2, 2, 2, 3]), fe.fill([2, 2, 2, 3], 50));
    for (const v of m2.weights[0].dataSync()) expect(Math.abs(v)).toBeLessThanOrEqual(0.1 + 1e-6);
    // Saved and loaded, the regularizers and constraints come back.
    const json = JSON.stringify(fe.io.serializeLayer(conv));
    expect(json).toMatch(/"kernel_regularizer":\{"class_name":"L1L2","config":\{"l1":0,"l2":0.1/);
    expect(json).toMatch(/"bias_constraint":\{"class_name":"NonNeg"/);
    const back = fe.io.deserializeLayer(JSON.parse(json));
    back.apply(fe.ones([1, 3, 3, 3, 1]));
    back.setWeights(conv.getWeights());
    expect(back.losses[0].dataSync()[0]).toBeCloseTo(conv.losses[0].dataSync()[0], 6);
  });
});

// ---- memory ------------------------------------------------------------------------------------

describe.each(backends)('eager calls free their intermediates (%s)', (backend) => {
  beforeAll(async () => useBackend(backend));

  // Without gradients to record (inference, as predict runs): with them, the tape holds what
  // backward needs until the step's scope ends.
  it('each layer leaves only its output (with every activation path: fused, bias + activation, other)', () => fe.noGrad(() => {
    const rows: [fe.layers.Layer, number[]][] = [
      [fe.layers.conv3d({ filters: 2, kernelSize: 2, activation: 'relu' }), [1, 3, 3, 3, 2]],
      [fe.layers.conv3d({ filters: 2, kernelSize: 2, activation: 'softmax' }), [1, 3, 3, 3, 2]],
      [fe.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 2, activation: 'tanh' }), [1, 3, 3, 2]],
      [fe.layers.conv3dTranspose({ filters: 2, kernelSize: 2, useBias: false }), [1, 2, 2, 2, 2]],
      [fe.layers.depthwiseConv2d({ kernelSize: 2, activation: 'softmax' }), [1, 3, 3, 2]],
      [fe.layers.separableConv2d({ filters: 3, kernelSize: 2, activation: 'elu' }), [1, 3, 3, 2]],
      [fe.layers.convLstm2d({ filters: 2, kernelSize: 2, returnSequences: true }), [1, 3, 3, 3, 1]],
      [fe.layers.maxPooling1d(), [2, 6, 3]],
      [fe.layers.averagePooling3d({ poolSize: 1 }), [1, 2, 2, 2, 1]],
      [fe.layers.zeroPadding2d(), [1, 2, 2, 1]],
      [fe.layers.cropping2D({ cropping: 1 }), [1, 3, 3, 1]],
      [fe.layers.upSampling2d({ interpolation: 'bilinear' }), [1, 2, 2, 1]],
      [fe.layers.resizing({ height: 2, width: 3, cropToAspectRatio: true }), [1, 4, 4, 1]],
      [fe.layers.centerCrop({ height: 5, width: 5 }), [1, 4, 4, 1]],
    ];
    for (const [layer, shape] of rows) {
      const x = fe.ones(shape);
      layer.apply(x); // builds the weights
      const start = fe.memory().numTensors;
      const y = layer.apply(x) as Tensor;
      expect(fe.memory().numTensors - start, layer.name).toBe(1);
      y.dispose();
      x.dispose();
      layer.dispose();
    }
  }));
});

// ---- errors --------------------------------------------------------------------------------------

describe('errors name the layer and the shapes', () => {
  beforeAll(async () => useBackend('js'));

  it('bad configurations', () => {
    expect(() => fe.layers.conv3d({ filters: 0, kernelSize: 2, name: 'c3' })).toThrow(/c3 \(Conv3D\): filters must be a positive integer, got 0/);
    expect(() => fe.layers.conv3d({ filters: 2, kernelSize: [2, 2], name: 'c3b' })).toThrow(/c3b \(Conv3D\): kernelSize must be a positive integer or 3 of them, got \[2,2\]/);
    expect(() => fe.layers.conv2dTranspose({ filters: 2, kernelSize: 2, padding: 'causal' as 'same', name: 'ct' })).toThrow(/ct \(Conv2DTranspose\): padding must be 'valid' or 'same', got 'causal'/);
    expect(() => fe.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, outputPadding: 2, name: 'ct2' })).toThrow(/ct2 \(Conv2DTranspose\): outputPadding must be 2 non-negative integers, each smaller than its stride \[2,2\]/);
    expect(() => fe.layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 1.5, name: 'dw' })).toThrow(/dw \(DepthwiseConv2D\): depthMultiplier must be a positive integer, got 1.5/);
    expect(() => fe.layers.separableConv2d({ filters: 2, kernelSize: 2, kernelInitializer: 'ones', name: 'sp' } as never)).toThrow(/sp \(SeparableConv2D\): kernelInitializer does not apply to SeparableConv2D; use depthwiseInitializer and pointwiseInitializer/);
    expect(() => fe.layers.conv3d({ filters: 2, kernelSize: 2, dataFormat: 'channelsFirst', name: 'cf' })).toThrow(/cf \(Conv3D\): only dataFormat 'channelsLast' is supported/);
    expect(() => fe.layers.convLstm2d({ filters: 2, kernelSize: 2, stateful: true, name: 'cl' })).toThrow(/cl \(ConvLSTM2D\): stateful recurrent layers are not supported/);
    expect(() => fe.layers.convLstm2d({ filters: 2, kernelSize: 2, dropout: 1, name: 'cl2' })).toThrow(/cl2 \(ConvLSTM2D\): dropout must be in \[0, 1\), got 1/);
    expect(() => fe.layers.maxPooling1d({ poolSize: [2, 2] as unknown as [number], name: 'mp' })).toThrow(/mp \(MaxPooling1D\): poolSize must be a positive integer or 1 of them/);
    expect(() => fe.layers.averagePooling3d({ padding: 'full' as 'same', name: 'ap' })).toThrow(/ap \(AveragePooling3D\): padding must be 'valid' or 'same', got 'full'/);
    expect(() => fe.layers.zeroPadding2d({ padding: [[1, 2], [3]] as never, name: 'zp' })).toThrow(/zp \(ZeroPadding2D\): padding must be a non-negative integer, \[height, width\] or \[\[top, bottom\], \[left, right\]\]/);
    expect(() => fe.layers.upSampling2d({ interpolation: 'bicubic' as 'nearest', name: 'up' })).toThrow(/up \(UpSampling2D\): interpolation must be 'nearest' or 'bilinear', got 'bicubic'/);
    expect(() => fe.layers.resizing({ height: 0, width: 2, name: 'rs' })).toThrow(/rs \(Resizing\): height must be a positive integer, got 0/);
    expect(() => fe.layers.centerCrop({ height: 2, width: 2.5, name: 'cc' })).toThrow(/cc \(CenterCrop\): width must be a positive integer, got 2.5/);
  });

  it('bad inputs, and the layer stays usable', () => {
    const conv = fe.layers.conv3d({ filters: 2, kernelSize: 2, name: 'c3i' });
    expect(() => conv.apply(fe.zeros([1, 4, 4, 2]))).toThrow(/c3i \(Conv3D\): expected inputs of rank 5 \[batch, depth, height, width, channels\] with known channels, got \[1, 4, 4, 2\]/);
    conv.apply(fe.zeros([1, 3, 3, 3, 2]));
    expect(() => conv.apply(fe.zeros([1, 3, 3, 3, 4]))).toThrow(/c3i \(Conv3D\): expected 2 input channels, got input of shape \[1, 3, 3, 3, 4\]/);
    expect(() => conv.apply(fe.zeros([1, 1, 3, 3, 2]))).toThrow(/c3i \(Conv3D\): the depth of the kernel, 2, is larger than the input's 1/);
    expect(conv.apply(fe.zeros([1, 2, 2, 2, 2])).shape).toEqual([1, 1, 1, 1, 2]);
    const dw = fe.layers.depthwiseConv2d({ kernelSize: 2, name: 'dwi' });
    expect(() => dw.apply(fe.zeros([1, 4, 4, 2, 1]))).toThrow(/dwi \(DepthwiseConv2D\): expected inputs of rank 4/);
    const ct = fe.layers.conv2dTranspose({ filters: 1, kernelSize: 2, name: 'cti' });
    ct.apply(fe.zeros([1, 2, 2, 3]));
    expect(() => ct.apply(fe.zeros([1, 2, 2, 2]))).toThrow(/cti \(Conv2DTranspose\): expected 3 input channels, got input of shape \[1, 2, 2, 2\]/);
    const lstm = fe.layers.convLstm2d({ filters: 2, kernelSize: 2, name: 'cli' });
    expect(() => lstm.apply(fe.zeros([1, 2, 3, 3]))).toThrow(/cli \(ConvLSTM2D\): expected input of rank 5 \[batch, time, height, width, channels\], got \[1, 2, 3, 3\]/);
    lstm.apply(fe.zeros([1, 2, 3, 3, 1]));
    expect(() => lstm.apply(fe.zeros([1, 2, 3, 3, 1]), { initialState: [fe.zeros([1, 3, 3, 2]), fe.zeros([1, 2, 2, 2])] }))
      .toThrow(/cli \(ConvLSTM2D\): initial state 0 must have shape \[1, 2, 2, 2\], got \[1, 3, 3, 2\]/);
    expect(() => lstm.apply(fe.zeros([1, 2, 3, 3, 1]), { mask: fe.ones([1, 3]) })).toThrow(/cli \(ConvLSTM2D\): expected a mask of shape \[1, 2\], got \[1, 3\]/);
    expect(() => fe.layers.maxPooling1d({ name: 'mpi' }).apply(fe.zeros([2, 4, 4, 1]))).toThrow(/mpi \(MaxPooling1D\): expected input of rank 3 \[batch, steps, features\]/);
    expect(() => fe.layers.maxPooling3d({ name: 'm3' }).apply(fe.zeros([2, 4, 4, 1]))).toThrow(/m3 \(MaxPooling3D\): expected input of rank 5/);
    expect(() => fe.layers.globalMaxPooling1d({ name: 'gm' }).computeOutputShape([null, 4])).toThrow(/gm \(GlobalMaxPooling1D\): expected input of rank 3/);
    expect(() => fe.layers.cropping2D({ cropping: [[2, 2], [0, 0]], name: 'cr' }).apply(fe.zeros([1, 4, 4, 1]))).toThrow(/cr \(Cropping2D\): cropping \[\[2,2\],\[0,0\]\] leaves nothing of a 4 × 4 input/);
    // Functional models learn it when the graph is built: the window does not fit.
    expect(() => fe.layers.conv3d({ filters: 1, kernelSize: [1, 3, 3], name: 'c3s' }).apply(fe.input({ shape: [4, 2, 5, 1] })))
      .toThrow(/c3s \(Conv3D\): the window of 3 is larger than the input's 2 \(use padding 'same' or a smaller window\)/);
    expect(() => fe.layers.maxPooling3d({ poolSize: 3, name: 'm3s' }).apply(fe.input({ shape: [4, 2, 5, 1] }))).toThrow(/m3s \(MaxPooling3D\): the window of 3 is larger than the input's 2/);
    expect(() => fe.layers.depthwiseConv2d({ kernelSize: 2, dilationRate: 3, name: 'dws' }).apply(fe.input({ shape: [3, 8, 1] })))
      .toThrow(/dws \(DepthwiseConv2D\): the window of 4 \(2 dilated\) is larger than the input's 3/);
    expect(() => fe.layers.upSampling2d({ name: 'upi' }).apply(fe.zeros([4, 4, 1]))).toThrow(/upi \(UpSampling2D\): expected input of rank 4/);
    expect(() => fe.layers.resizing({ height: 2, width: 2, name: 'rsi' }).apply(fe.zeros([4, 4]))).toThrow(/rsi \(Resizing\): expected images of rank 4 \[batch, height, width, channels\] or 3/);
  });

  it('loading rejects Keras options ferrite cannot act on', async () => {
    const spec = (className: string, config: Record<string, unknown>) => ({ class_name: className, config: { name: 'l', ...config } });
    const load = (s: unknown) => fe.io.deserializeLayer(s);
    expect(() => load(spec('Conv3D', { filters: 2, kernel_size: [2, 2, 2], groups: 2 }))).toThrow(/groups: 2 is not supported by ferrite/);
    expect(() => load(spec('Resizing', { height: 2, width: 2, pad_to_aspect_ratio: true }))).toThrow(/padToAspectRatio: true is not supported by ferrite/);
    expect(() => load(spec('GlobalMaxPooling1D', { keepdims: true }))).toThrow(/keepdims: true is not supported by ferrite/);
    expect(load(spec('Resizing', { height: 2, width: 3, pad_to_aspect_ratio: false, antialias: false, fill_mode: 'constant' })).getConfig()).toMatchObject({ height: 2, width: 3 });
    expect(load(spec('MaxPool3D', { pool_size: [1, 2, 2] })).className).toBe('MaxPooling3D');
    expect(load(spec('Convolution2DTranspose', { filters: 2, kernel_size: [2, 2] })).className).toBe('Conv2DTranspose');
  });
});
