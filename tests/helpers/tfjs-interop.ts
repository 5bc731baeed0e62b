/**
 * Building the same model in ferrite and TensorFlow.js (cpu backend): random weights set on
 * both, predictions, and the artifacts each library saves, so tests can move models between
 * them.
 */
import * as tf from '@tensorflow/tfjs';
import * as fe from 'ferrite-ml';
import { mulberry32, uniform } from './reference';

/** Random values for a weight (variances positive). */
export function randomWeight(name: string, shape: number[], seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return /moving_variance/.test(name) ? uniform(mulberry32(seed), n, 0.5, 1.5) : uniform(mulberry32(seed), n, -0.6, 0.6);
}

/** Random values for every weight of both models (the same in both, in Keras order). */
export function sameRandomWeights(feModel: fe.LayersModel, tfModel: tf.LayersModel, seed: number): void {
  const values = feModel.weights.map((w, i) => randomWeight(w.name ?? '', w.shape, seed + i));
  feModel.setWeights(values.map((v, i) => fe.tensor(v, feModel.weights[i].shape)));
  tfModel.setWeights(values.map((v, i) => tf.tensor(v, tfModel.weights[i].shape as number[])));
}

export function fePredict(model: fe.LayersModel, values: Float32Array, shape: number[]): Float32Array {
  const t = fe.tensor(values, shape);
  const y = model.predict(t) as fe.Tensor;
  const out = Float32Array.from(y.dataSync());
  t.dispose();
  y.dispose();
  return out;
}

export function tfPredict(model: tf.LayersModel, values: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => Float32Array.from((model.predict(tf.tensor(values, shape)) as tf.Tensor).dataSync()));
}

export async function tfArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return saved!;
}

export async function feArtifacts(model: fe.LayersModel): Promise<fe.io.ModelArtifacts> {
  let saved: fe.io.ModelArtifacts | null = null;
  await model.save(fe.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: fe.io.getModelArtifactsInfoForJSON(a) };
  }));
  return saved!;
}

/** The artifacts as a file would carry them: the topology through JSON text. */
export function throughJson<T extends { weightData?: unknown }>(a: T): T {
  return { ...(JSON.parse(JSON.stringify({ ...a, weightData: undefined })) as T), weightData: a.weightData };
}

/** Throws with the worst difference unless |got − want| ≤ tol elementwise. */
export function expectNear(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  if (got.length !== want.length) throw new Error(`${what}: length ${got.length}, expected ${want.length}`);
  let worst = 0, at = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  if (!(worst <= tol)) throw new Error(`${what}: max |difference| ${worst} > ${tol} at ${at} (got ${got[at]}, want ${want[at]})`);
}
