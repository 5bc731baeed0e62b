/**
 * Shapes of the audio kernels (Backend.spectrogram, Backend.resample), shared by the backends
 * and the ops that call them. Conventions as tf.signal: frame f of a signal starts at sample
 * f·frameStep; samples past the end are zeros.
 */

export interface SpectrogramGeometry {
  /** Signals, each `signalLength` samples, contiguous. */
  batch: number;
  signalLength: number;
  frameLength: number;
  frameStep: number;
  /** ≥ frameLength; frames are zero-padded to it. */
  fftLength: number;
  /** Frames per signal. */
  frames: number;
  /** 1: magnitude |X|; 2: power |X|². */
  power: 1 | 2;
}

/** The i32 values the wasm kernel reads, in order. */
export function spectrogramGeometryValues(g: SpectrogramGeometry): number[] {
  return [g.batch, g.signalLength, g.frameLength, g.frameStep, g.fftLength, g.frames, g.power];
}

/** Frequency bins of a real FFT of n points: n/2 + 1. */
export function rfftBins(n: number): number {
  return Math.floor(n / 2) + 1;
}

/** Frames of a signal: all that fit (tf.signal.frame), or ceil(n / step) with padEnd. */
export function frameCount(n: number, frameLength: number, frameStep: number, padEnd: boolean): number {
  if (padEnd) return Math.ceil(n / frameStep);
  return n < frameLength ? 0 : 1 + Math.floor((n - frameLength) / frameStep);
}

/** Samples after resampling n samples from inRate to outRate: ceil(n·outRate / inRate). */
export function resampledLength(n: number, inRate: number, outRate: number): number {
  const num = n * outRate; // exact below 2^53
  const q = Math.floor(num / inRate);
  return q * inRate < num ? q + 1 : q;
}
