/** Conversions between model.json + weight files and in-memory artifacts (as tf.io's io_utils). */
import type { ModelArtifacts, ModelArtifactsInfo, ModelJSON, WeightsManifestEntry, WeightsManifestGroupConfig } from './types';
import { entryBytes, joinWeightData } from './weights';

function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** Sizes of the artifacts, as tf.io.getModelArtifactsInfoForJSON. */
export function getModelArtifactsInfoForJSON(a: ModelArtifacts): ModelArtifactsInfo {
  return {
    dateSaved: new Date(),
    modelTopologyType: 'JSON',
    modelTopologyBytes: a.modelTopology == null ? 0 : byteLength(JSON.stringify(a.modelTopology)),
    weightSpecsBytes: a.weightSpecs == null ? 0 : byteLength(JSON.stringify(a.weightSpecs)),
    weightDataBytes: a.weightData == null ? 0 : joinWeightData(a.weightData).byteLength,
  };
}

/** model.json's content for artifacts whose weights are stored at `paths`. */
export function modelJSONFor(a: ModelArtifacts, paths: string[]): ModelJSON {
  const manifest: WeightsManifestGroupConfig[] = [{ paths, weights: a.weightSpecs ?? [] }];
  const json: ModelJSON = {
    modelTopology: a.modelTopology ?? {},
    format: a.format,
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy ?? null,
    weightsManifest: manifest,
  };
  if (a.trainingConfig != null) json.trainingConfig = a.trainingConfig;
  if (a.userDefinedMetadata != null) json.userDefinedMetadata = a.userDefinedMetadata;
  return json;
}

/** Parses model.json text, with a clear error naming the source. */
export function parseModelJSON(text: string, source: string): ModelJSON {
  let json: ModelJSON;
  try {
    json = JSON.parse(text) as ModelJSON;
  } catch (e) {
    throw new Error(`${source} is not valid JSON: ${(e as Error).message}`);
  }
  if (!json || typeof json !== 'object' || !json.modelTopology) {
    throw new Error(`${source} has no modelTopology: not a TensorFlow.js layers model.json`);
  }
  if (json.weightsManifest != null && !Array.isArray(json.weightsManifest)) {
    throw new Error(`${source}: weightsManifest must be a list of { paths, weights } groups`);
  }
  return json;
}

/**
 * Artifacts from model.json and a reader of the weight files its manifest names (each read
 * once, shards concatenated in manifest order).
 */
export async function artifactsFromJSON(json: ModelJSON, readPath: (path: string) => Promise<ArrayBuffer>): Promise<ModelArtifacts> {
  const a: ModelArtifacts = {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
  };
  if (json.trainingConfig != null) a.trainingConfig = json.trainingConfig;
  if (json.userDefinedMetadata != null) a.userDefinedMetadata = json.userDefinedMetadata;
  if (json.weightsManifest != null) {
    const specs: WeightsManifestEntry[] = [];
    const buffers: ArrayBuffer[] = [];
    for (const group of json.weightsManifest) {
      if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) {
        throw new Error('model.json: each weightsManifest group needs paths and weights lists');
      }
      specs.push(...group.weights);
      const parts: ArrayBuffer[] = [];
      for (const p of group.paths) parts.push(await readPath(p));
      // Each group's files hold exactly its weights: a mismatch is a truncated or wrong file.
      const need = group.weights.reduce((n, e) => n + entryBytes(e), 0);
      const have = parts.reduce((n, b) => n + b.byteLength, 0);
      if (have !== need) {
        const files = group.paths.map((p) => `'${p}'`).join(', ');
        throw new Error(
          `weights file ${files} ${have < need ? 'is truncated' : 'is longer than its manifest says'}: ` +
            `it has ${have} bytes, the manifest's ${group.weights.length} tensors need ${need}`,
        );
      }
      buffers.push(...parts);
    }
    a.weightSpecs = specs;
    a.weightData = buffers;
    a.weightSources = json.weightsManifest.flatMap((g) => g.paths);
  }
  return a;
}
