/** In-memory handlers, as tf.io.fromMemory and tf.io.withSaveHandler. */
import { getModelArtifactsInfoForJSON } from './artifacts';
import type { IOHandler, ModelArtifacts, SaveResult, TrainingConfig, WeightsManifestEntry } from './types';

/**
 * A handler that loads the given artifacts (tf.io.fromMemory). Also takes TensorFlow.js'
 * older form (modelTopology, weightSpecs, weightData, trainingConfig).
 */
export function fromMemory(
  artifacts: ModelArtifacts | Record<string, unknown>,
  weightSpecs?: WeightsManifestEntry[],
  weightData?: ArrayBuffer | ArrayBuffer[],
  trainingConfig?: TrainingConfig,
): IOHandler {
  const a = artifacts as ModelArtifacts;
  const full: ModelArtifacts =
    a && (a.modelTopology != null || a.weightSpecs != null) && weightSpecs === undefined
      ? a
      : { modelTopology: artifacts as Record<string, unknown>, weightSpecs, weightData, trainingConfig };
  return { load: async () => full };
}

/** A handler whose save passes the artifacts to `saveHandler` (tf.io.withSaveHandler). */
export function withSaveHandler(saveHandler: (artifacts: ModelArtifacts) => Promise<SaveResult>): IOHandler {
  return { save: (a) => saveHandler(a) };
}

/** A save handler that keeps the artifacts in memory (read them from `.artifacts`). */
export function toMemory(): IOHandler & { artifacts: ModelArtifacts | null } {
  const h = {
    artifacts: null as ModelArtifacts | null,
    save: async (a: ModelArtifacts): Promise<SaveResult> => {
      h.artifacts = a;
      return { modelArtifactsInfo: getModelArtifactsInfoForJSON(a) };
    },
  };
  return h;
}
