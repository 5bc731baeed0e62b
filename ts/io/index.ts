/**
 * fe.io: saving and loading in the TensorFlow.js layers format, with tf.io's handler names.
 * model.save(url | handler) and fe.loadLayersModel(url | handler) take these.
 */
export { fromMemory, withSaveHandler, toMemory } from './memory';
export { fileSystem } from './file';
export { browserDownloads, browserFiles, browserIndexedDB, listIndexedDBModels, removeIndexedDBModel } from './browser';
export { http } from './http';
export type { HttpOptions } from './http';
export { getLoadHandler, getSaveHandler } from './router';
export { getModelArtifactsInfoForJSON } from './artifacts';
export { registerLayer, serializeLayer, deserializeLayer } from './serialization';
export { modelArtifacts } from './save';
export { modelFromArtifacts } from './load';
export { loadCheckpoint } from './checkpoint';
export type { LoadedCheckpoint } from './checkpoint';
export type {
  IOHandler, LoadOptions, ModelArtifacts, ModelArtifactsInfo, ModelJSON, SaveConfig, SaveResult, TrainingConfig,
  WeightsManifestEntry, WeightsManifestGroupConfig,
} from './types';
