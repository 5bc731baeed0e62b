/**
 * WAV bytes → the model's input frames: mono, resampled to 16 kHz, white noise at a random
 * signal-to-noise ratio, log-mel spectrogram (25 ms windows every 10 ms), normalized per
 * utterance, then `stack` consecutive frames concatenated into one (fewer, wider time steps:
 * the recurrent layers then run `stack` times fewer steps).
 */
import * as fe from 'ferrite-ml';

const audio = fe.audio;

export interface FeatureOptions {
  sampleRate: number;
  frameLength: number;
  frameStep: number;
  numMelBins: number;
  lowerHz: number;
  upperHz: number;
  /** Frames concatenated into one time step. */
  stack: number;
}

export const FEATURES: FeatureOptions = {
  sampleRate: 16000, frameLength: 400, frameStep: 160, numMelBins: 40, lowerHz: 60, upperHz: 7600, stack: 3,
};

/** Feature size of one time step. */
export const featureDim = (o: FeatureOptions = FEATURES) => o.numMelBins * o.stack;

export interface Features {
  /** [steps, featureDim] row-major. */
  data: Float32Array;
  steps: number;
}

/** Standard normal samples (Box–Muller) from a uniform generator. */
function gaussian(rng: () => number): number {
  const u = 1 - rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Adds white noise so that signal power / noise power = 10^(snrDb/10). */
export function addNoise(x: Float32Array, snrDb: number, rng: () => number): Float32Array {
  let power = 0;
  for (let i = 0; i < x.length; i++) power += x[i] * x[i];
  power /= Math.max(1, x.length);
  const sigma = Math.sqrt(power / 10 ** (snrDb / 10));
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] + sigma * gaussian(rng);
  return out;
}

/** Concatenates groups of `k` frames [frames, d] → [ceil(frames / k), k·d], zero-padding the last. */
export function stackFrames(x: Float32Array, frames: number, d: number, k: number): Features {
  const steps = Math.ceil(frames / k);
  const out = new Float32Array(steps * k * d);
  out.set(x.subarray(0, frames * d));
  return { data: out, steps };
}

/** The features of one utterance; `noise` adds white noise at snrDb before the spectrogram. */
export function wavFeatures(bytes: Uint8Array, noise: { snrDb: number; rng: () => number } | null, o: FeatureOptions = FEATURES): Features {
  let frames = 0;
  const logMel = fe.tidy(() => {
    const wav = fe.audio.decodeWav(bytes);
    const mono = fe.audio.toMono(wav.channels);
    let signal = wav.sampleRate === o.sampleRate ? mono : fe.audio.resample(mono, wav.sampleRate, o.sampleRate).dataSync() as Float32Array;
    if (noise) signal = addNoise(signal, noise.snrDb, noise.rng);
    const mel = fe.audio.logMelSpectrogram(signal, {
      sampleRate: o.sampleRate, frameLength: o.frameLength, frameStep: o.frameStep,
      numMelBins: o.numMelBins, lowerHz: o.lowerHz, upperHz: o.upperHz,
    });
    frames = mel.shape[0];
    return fe.audio.normalize(mel).dataSync() as Float32Array;
  });
  return stackFrames(logMel, frames, o.numMelBins, o.stack);
}
