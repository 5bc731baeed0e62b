/** Messages between the page and the training worker, and the data file's shape. */

/** public/data/spam.json: [text, label] pairs, label 1 for spam. */
export interface SpamData {
  source: string;
  maxChars: number;
  train: [string, number][];
  test: [string, number][];
}

/** 'auto' lets ferrite pick (relaxed, else simd, else js). */
export type BuildChoice = 'auto' | 'relaxed' | 'simd' | 'js';

/** Threads for ferrite's kernels: a count, or 'auto' (every core when the page is
 * cross-origin isolated, else one). */
export type ThreadsChoice = number | 'auto';

export type ToWorker =
  | { type: 'train'; dataUrl: string; build: BuildChoice; threads: ThreadsChoice; epochs: number; batchSize: number }
  | { type: 'predict'; id: number; text: string };

export type FromWorker =
  | { type: 'backend'; backend: string; build: string; threads: number }
  | { type: 'data'; nTrain: number; nValidation: number; nTest: number; vocabulary: number; ms: number }
  | { type: 'batch'; epoch: number; batch: number; steps: number; loss: number; acc: number }
  | {
      type: 'epoch'; epoch: number; epochs: number; loss: number; acc: number;
      valLoss: number; valAcc: number; samplesPerSec: number;
    }
  | {
      type: 'done'; testLoss: number; testAcc: number; seconds: number; samplesPerSec: number;
      /** FNV-1a of every weight's bits: the same for any thread count. */
      weightsDigest: string;
    }
  | { type: 'prediction'; id: number; spam: number; tokens: number }
  | { type: 'error'; message: string };
