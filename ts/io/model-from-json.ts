/**
 * fe.models.modelFromJSON, as tf.models.modelFromJSON: a model from its topology JSON (what
 * model.toJSON() gives, or model.json's `modelTopology`), with freshly initialised weights.
 * Weights stored in files load with fe.loadLayersModel(url) instead.
 */
import type { LayersModel } from '../models/functional';
import { modelFromArtifacts } from './load';
import type { LoadOptions } from './types';

export async function modelFromJSON(
  modelAndWeightsConfig: Record<string, unknown> | string,
  customObjects?: LoadOptions['customObjects'],
): Promise<LayersModel> {
  const who = 'models.modelFromJSON';
  let json = modelAndWeightsConfig;
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`${who}: the string is not JSON (${(e as Error).message})`);
    }
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${who}: expected a model topology object, got ${Array.isArray(json) ? 'an array' : String(json)}`);
  if ('weightsManifest' in json && json.weightsManifest != null) {
    throw new Error(`${who}: weightsManifest given; weights in files load with fe.loadLayersModel(url) (this function builds the topology with fresh weights)`);
  }
  const topology = (json.modelTopology ?? json) as Record<string, unknown>;
  if (!topology.class_name && !topology.className && !topology.model_config) {
    throw new Error(`${who}: no class_name in the topology (expected { class_name: 'Sequential' | 'Model' | 'Functional', config } or { modelTopology })`);
  }
  return modelFromArtifacts({ modelTopology: topology }, { customObjects });
}

export const models = { modelFromJSON };
