/** Resuming from a ModelCheckpoint: the model (compiled, optimizer state restored) and where it stopped. */
import type { CheckpointInfo } from '../callbacks/model-checkpoint';
import type { Logs } from '../callbacks';
import type { LayersModel } from '../models/functional';
import { setRandomState } from '../ops/random';
import { loadLayersModel } from './load';
import type { IOHandler, LoadOptions } from './types';

export interface LoadedCheckpoint {
  model: LayersModel;
  /** The epoch the checkpoint was saved after (0-based). */
  epoch: number;
  /** Pass to fit as initialEpoch to continue. */
  initialEpoch: number;
  logs: Logs;
  /** The best monitored value when it was saved (for modelCheckpoint's initialValueThreshold). */
  best: number | null;
}

/**
 * Loads a checkpoint written by fe.callbacks.modelCheckpoint and, unless
 * `restoreRandomState: false`, puts fe's random generator back where it was, so that
 * `fit(x, y, { epochs, initialEpoch })` repeats the uninterrupted run's shuffles and dropout.
 */
export async function loadCheckpoint(
  pathOrHandler: string | IOHandler,
  options: LoadOptions & { restoreRandomState?: boolean } = {},
): Promise<LoadedCheckpoint> {
  const model = await loadLayersModel(pathOrHandler, options);
  const info = (model.getUserDefinedMetadata()?.ferrite as { checkpoint?: CheckpointInfo } | undefined)?.checkpoint;
  if (!info || typeof info.epoch !== 'number') {
    model.dispose();
    throw new Error('loadCheckpoint: this model was not saved by fe.callbacks.modelCheckpoint (no checkpoint metadata); use fe.loadLayersModel');
  }
  // The checkpoint's bookkeeping is not the model's own metadata: later saves should not repeat it.
  const { ferrite: _ferrite, ...rest } = model.getUserDefinedMetadata() ?? {};
  model.setUserDefinedMetadata(Object.keys(rest).length ? rest : undefined);
  if (options.restoreRandomState ?? true) setRandomState(info.randomState);
  return { model, epoch: info.epoch, initialEpoch: info.epoch + 1, logs: info.logs ?? {}, best: info.best ?? null };
}
