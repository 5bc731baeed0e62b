/**
 * Every factory of TensorFlow.js 4.22's tf.layers, tf.train, tf.losses, tf.metrics,
 * tf.initializers, tf.regularizers and tf.constraints exists in ferrite under the same name
 * (what each does is tested in its own suite).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';

const NAMESPACES = ['layers', 'train', 'losses', 'metrics', 'initializers', 'regularizers', 'constraints'] as const;

describe('TensorFlow.js namespaces', () => {
  for (const ns of NAMESPACES) {
    it(`fe.${ns} has every function of tf.${ns}`, () => {
      const theirs = Object.entries(tf[ns] as Record<string, unknown>).filter(([, v]) => typeof v === 'function').map(([k]) => k);
      expect(theirs.length).toBeGreaterThan(2);
      const ours = (fe as unknown as Record<string, Record<string, unknown>>)[ns];
      expect(theirs.filter((k) => typeof ours?.[k] !== 'function')).toEqual([]);
    });
  }
});
