/**
 * Spectrograms and the features speech models eat: power spectrogram (STFT), mel filterbank,
 * log-mel, MFCC. Conventions as tf.signal (HTK mel scale, periodic Hann window, frames that
 * fit the signal). No gradients are recorded.
 */
import { frameCount, rfftBins } from '../backend/audio-geometry';
import { ENGINE } from '../engine';
import { noGrad } from '../autograd';
import * as ops from '../ops/index';
import { fmt } from '../ops/util';
import { emptyTensor, Tensor } from '../tensor';
import { tidy } from '../runtime';
import { asSignal, hannWindow, positiveInt, type SignalLike } from './signal';

export interface SpectrogramOptions {
  /** Samples per frame. */
  frameLength: number;
  /** Samples between frame starts. */
  frameStep: number;
  /** FFT size ≥ frameLength (frames are zero-padded to it); default the next power of two. */
  fftLength?: number;
  /** 'hann' (default, periodic), null for none, or a float32 tensor [frameLength]. */
  window?: 'hann' | null | Tensor;
  /** 2: power |X|² (default); 1: magnitude |X|. */
  power?: 1 | 2;
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * |STFT|^power of [n] or [batch, n] signals: [frames, fftLength/2 + 1] or [batch, frames, bins].
 * Signals shorter than one frame give zero frames.
 */
export function spectrogram(signal: SignalLike, options: SpectrogramOptions): Tensor {
  const o = options ?? ({} as SpectrogramOptions);
  positiveInt('spectrogram', 'frameLength', o.frameLength);
  positiveInt('spectrogram', 'frameStep', o.frameStep);
  const fftLength = o.fftLength ?? nextPow2(o.frameLength);
  positiveInt('spectrogram', 'fftLength', fftLength);
  if (fftLength < o.frameLength) {
    throw new Error(`audio.spectrogram: fftLength (${fftLength}) must be ≥ frameLength (${o.frameLength})`);
  }
  const power = o.power ?? 2;
  if (power !== 1 && power !== 2) throw new Error(`audio.spectrogram: power must be 1 or 2, got ${power}`);
  const { t: x, owned } = asSignal('spectrogram', signal);
  try {
    if (x.rank > 2) throw new Error(`audio.spectrogram: expected a signal [n] or [batch, n], got shape ${fmt(x.shape)}`);
    const batch = x.rank === 2 ? x.shape[0] : 1;
    const n = x.shape[x.rank - 1];
    const frames = frameCount(n, o.frameLength, o.frameStep, false);
    const bins = rfftBins(fftLength);
    let window: Tensor | null = null;
    let ownWindow = false;
    const w = o.window === undefined ? 'hann' : o.window;
    if (w === 'hann') {
      window = hannWindow(o.frameLength);
      ownWindow = true;
    } else if (w instanceof Tensor) {
      if (w.rank !== 1 || w.size !== o.frameLength || w.dtype !== 'float32') {
        throw new Error(`audio.spectrogram: window must be float32 [${o.frameLength}], got ${w.dtype} ${fmt(w.shape)}`);
      }
      window = w;
    } else if (w !== null) {
      throw new Error(`audio.spectrogram: window must be 'hann', null or a tensor, got ${String(w)}`);
    }
    const out = emptyTensor(x.rank === 2 ? [batch, frames, bins] : [frames, bins]);
    if (out.size) {
      ENGINE.get().spectrogram(x.storage, window ? window.storage : null, out.storage, {
        batch, signalLength: n, frameLength: o.frameLength, frameStep: o.frameStep, fftLength, frames, power,
      });
    }
    if (ownWindow) window!.dispose();
    return out;
  } finally {
    if (owned) x.dispose();
  }
}

/** tf.signal's name for the same thing. */
export const stft = spectrogram;

/**
 * The mel filterbank [numSpectrogramBins, numMelBins] (tf.signal.linearToMelWeightMatrix):
 * triangles equally spaced on the HTK mel scale between lowerHz and upperHz; the DC bin gets
 * no weight.
 */
export function linearToMelWeightMatrix(
  numMelBins = 20, numSpectrogramBins = 129, sampleRate = 8000, lowerHz = 125, upperHz = 3800,
): Tensor {
  positiveInt('linearToMelWeightMatrix', 'numMelBins', numMelBins);
  if (!(Number.isInteger(numSpectrogramBins) && numSpectrogramBins >= 2)) {
    throw new Error(`audio.linearToMelWeightMatrix: numSpectrogramBins must be an integer ≥ 2, got ${numSpectrogramBins}`);
  }
  if (!(sampleRate > 0)) throw new Error(`audio.linearToMelWeightMatrix: sampleRate must be positive, got ${sampleRate}`);
  if (!(lowerHz >= 0 && lowerHz < upperHz && upperHz <= sampleRate / 2)) {
    throw new Error(`audio.linearToMelWeightMatrix: need 0 ≤ lowerHz < upperHz ≤ sampleRate / 2 (${sampleRate / 2}), got ${lowerHz} and ${upperHz}`);
  }
  const out = emptyTensor([numSpectrogramBins, numMelBins]);
  ENGINE.get().melWeightMatrix(out.storage, numSpectrogramBins, numMelBins, sampleRate, lowerHz, upperHz);
  return out;
}

export interface MelOptions extends SpectrogramOptions {
  sampleRate: number;
  /** Mel bands (default 40). */
  numMelBins?: number;
  /** Lowest and highest band edges in Hz (default 20 and sampleRate / 2). */
  lowerHz?: number;
  upperHz?: number;
}

/** The mel spectrogram: spectrogram × mel filterbank, [..., frames, numMelBins]. */
export function melSpectrogram(signal: SignalLike, options: MelOptions): Tensor {
  const o = options ?? ({} as MelOptions);
  if (!(o.sampleRate > 0)) throw new Error(`audio.melSpectrogram: sampleRate must be positive, got ${o.sampleRate}`);
  const spec = spectrogram(signal, o);
  const bins = spec.shape[spec.rank - 1];
  const mels = o.numMelBins ?? 40;
  const weights = linearToMelWeightMatrix(mels, bins, o.sampleRate, o.lowerHz ?? 20, o.upperHz ?? o.sampleRate / 2);
  const out = noGrad(() => tidy(() => ops.reshape(ops.matMul(ops.reshape(spec, [-1, bins]), weights), [...spec.shape.slice(0, -1), mels])));
  spec.dispose();
  weights.dispose();
  return out;
}

export interface LogMelOptions extends MelOptions {
  /** Added before the log so silence stays finite (default 1e-6). */
  logOffset?: number;
}

/** log(melSpectrogram + logOffset), [..., frames, numMelBins]. */
export function logMelSpectrogram(signal: SignalLike, options: LogMelOptions): Tensor {
  const offset = options?.logOffset ?? 1e-6;
  if (!(offset > 0)) throw new Error(`audio.logMelSpectrogram: logOffset must be positive, got ${offset}`);
  const mel = melSpectrogram(signal, options);
  const out = noGrad(() => ops.log(ops.add(mel, offset)));
  mel.dispose();
  return out;
}

/**
 * MFCCs of log-mel spectrograms [..., numMelBins] → [..., numCoefficients]: the DCT-II scaled
 * as tf.signal.mfccs_from_log_mel_spectrograms, c_q = √(2/n)·Σ_j x_j·cos(πq(2j + 1)/2n).
 */
export function mfcc(logMel: Tensor, numCoefficients = 13): Tensor {
  if (!(logMel instanceof Tensor) || logMel.rank < 1 || logMel.dtype !== 'float32') {
    throw new Error(`audio.mfcc: expected a float32 tensor [..., numMelBins]${logMel instanceof Tensor ? `, got ${logMel.dtype} ${fmt(logMel.shape)}` : ''}`);
  }
  const n = logMel.shape[logMel.rank - 1];
  positiveInt('mfcc', 'numCoefficients', numCoefficients);
  if (numCoefficients > n) throw new Error(`audio.mfcc: numCoefficients (${numCoefficients}) exceeds the ${n} mel bins`);
  const out = emptyTensor([...logMel.shape.slice(0, -1), numCoefficients]);
  if (out.size) ENGINE.get().dct(logMel.storage, out.storage, logMel.size / n, n, numCoefficients);
  return out;
}
