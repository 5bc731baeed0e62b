/**
 * model.toJSON() and fe.models.modelFromJSON (tf.models.modelFromJSON): the topology round
 * trip builds the same model (same layers, shapes and, with the weights copied, the same
 * predictions); TensorFlow.js' own toJSON output loads; bad input is refused.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { useBackend } from './helpers/backends';

describe('model.toJSON and fe.models.modelFromJSON', () => {
  beforeAll(() => useBackend('js'));

  it('round-trips a functional model: same summary, same predictions with the weights copied', async () => {
    const a = fe.input({ shape: [4], name: 'a' }), b = fe.input({ shape: [3], name: 'b' });
    const h = fe.layers.concatenate().apply([fe.layers.dense({ units: 5, activation: 'relu' }).apply(a) as fe.SymbolicTensor, b]) as fe.SymbolicTensor;
    const out = fe.layers.dense({ units: 2, activation: 'softmax' }).apply(h) as fe.SymbolicTensor;
    const m = fe.model({ inputs: [a, b], outputs: out });
    const json = m.toJSON() as string;
    expect(typeof json).toBe('string');
    expect(JSON.parse(json).class_name).toMatch(/Model|Functional/);
    const copy = await fe.models.modelFromJSON(json);
    expect(copy.layers.map((l) => l.getClassName())).toEqual(m.layers.map((l) => l.getClassName()));
    expect(copy.countParams()).toBe(m.countParams());
    copy.setWeights(m.getWeights());
    const xa = fe.randomUniform([3, 4]), xb = fe.randomUniform([3, 3]);
    const p1 = (m.predict([xa, xb]) as fe.Tensor).dataSync(), p2 = (copy.predict([xa, xb]) as fe.Tensor).dataSync();
    expect(Array.from(p2)).toEqual(Array.from(p1));
    const obj = await fe.models.modelFromJSON({ modelTopology: m.toJSON(undefined, false) as Record<string, unknown> });
    expect(obj.countParams()).toBe(m.countParams());
  });

  it('loads the topology TensorFlow.js\' toJSON writes', async () => {
    const t = tf.sequential({ layers: [tf.layers.dense({ inputShape: [6], units: 3, activation: 'tanh' }), tf.layers.dense({ units: 1 })] });
    const m = await fe.models.modelFromJSON(t.toJSON() as string);
    expect(m.countParams()).toBe(t.countParams());
    expect(m.outputs[0].shape).toEqual([null, 1]);
  });

  it('refuses what it cannot build from, naming it', async () => {
    await expect(fe.models.modelFromJSON('{not json')).rejects.toThrow(/models\.modelFromJSON: the string is not JSON/);
    await expect(fe.models.modelFromJSON({ modelTopology: {}, weightsManifest: [] })).rejects.toThrow(/weightsManifest given; weights in files load with fe\.loadLayersModel/);
    await expect(fe.models.modelFromJSON({ layers: [] })).rejects.toThrow(/no class_name in the topology/);
  });
});
