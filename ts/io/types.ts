/**
 * The TensorFlow.js layers-model format: model.json (topology + weights manifest) and binary
 * weight files. These types mirror tf.io's, so artifacts pass between ferrite and TensorFlow.js
 * unchanged (tf.io.fromMemory / withSaveHandler on either side).
 */

export type WeightDType = 'float32' | 'int32' | 'bool';

/** One tensor in the weight data: its bytes follow the previous entry's. */
export interface WeightsManifestEntry {
  name: string;
  shape: number[];
  dtype: WeightDType | string;
  /** 'model' (default) or 'optimizer' (optimizer state saved with includeOptimizer). */
  group?: string;
  /** Quantized storage written by the TensorFlow.js converter (dequantized on load). */
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number; original_dtype?: string };
}

/** One group of weights stored in one or more shard files, concatenated in order. */
export interface WeightsManifestGroupConfig {
  paths: string[];
  weights: WeightsManifestEntry[];
}

/** Keras' training config as TensorFlow.js writes it into model.json. */
export interface TrainingConfig {
  loss: string | string[] | Record<string, string>;
  metrics?: string[] | Record<string, string>;
  optimizer_config: { class_name: string; config: Record<string, unknown> };
  [key: string]: unknown;
}

/** What a handler saves or loads (tf.io.ModelArtifacts). */
export interface ModelArtifacts {
  modelTopology?: Record<string, unknown>;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  trainingConfig?: TrainingConfig;
  weightSpecs?: WeightsManifestEntry[];
  /** One buffer, or shards to be read as their concatenation. */
  weightData?: ArrayBuffer | ArrayBuffer[];
  userDefinedMetadata?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The content of model.json. */
export interface ModelJSON {
  modelTopology: Record<string, unknown>;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  trainingConfig?: TrainingConfig;
  weightsManifest: WeightsManifestGroupConfig[];
  userDefinedMetadata?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ModelArtifactsInfo {
  dateSaved: Date;
  modelTopologyType: 'JSON';
  modelTopologyBytes?: number;
  weightSpecsBytes?: number;
  weightDataBytes?: number;
}

export interface SaveResult {
  modelArtifactsInfo: ModelArtifactsInfo;
  responses?: unknown[];
  errors?: unknown[];
}

/** tf.io.IOHandler: where a model goes to (save) or comes from (load). */
export interface IOHandler {
  save?(artifacts: ModelArtifacts): Promise<SaveResult>;
  load?(): Promise<ModelArtifacts>;
}

export interface SaveConfig {
  /** Also save the optimizer's state and the compile() arguments, so training resumes exactly. */
  includeOptimizer?: boolean;
  /** Only the trainable weights (TensorFlow.js' option; such a file loads with strict: false). */
  trainableOnly?: boolean;
  /** Free-form JSON stored in model.json (tf.LayersModel.setUserDefinedMetadata). */
  userDefinedMetadata?: Record<string, unknown>;
}

export interface LoadOptions {
  /** Require the weights to match the model's exactly (default true). */
  strict?: boolean;
  /** For http(s):// URLs: options for fetch, or a fetch of your own (as tf.loadLayersModel). */
  requestInit?: RequestInit;
  fetchFunc?: typeof fetch;
  /** Custom layer classes: className → factory from a camelCase config. */
  customObjects?: Record<string, (config: Record<string, unknown>) => import('../layers/layer').Layer>;
}
