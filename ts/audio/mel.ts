/**
 * Mel features from spectrograms: the mel filterbank (HTK mel scale, as tf.signal), mel and
 * log-mel spectrograms, and MFCCs. No gradients are recorded.
 */
import { noGrad } from '../autograd';
import { ENGINE } from '../engine';
import * as ops from '../ops/index';
import { fmt } from '../ops/util';
import { tidy } from '../runtime';
import { emptyTensor, Tensor } from '../tensor';
import { positiveInt, type SignalLike } from './signal';
import { spectrogram, type SpectrogramOptions } from './spectrogram';

/**
 * The mel filterbank [numSpectrogramBins, numMelBins] (tf.signal.linearToMelWeightMatrix
 * argument order): triangles equally spaced on the HTK mel scale 2595·log10(1 + f/700) between
 * lowerHz and upperHz, band i rising from edge i to 1 at edge i + 1 and falling to 0 at edge
 * i + 2; the DC bin gets no weight. upperHz defaults to 4000 Hz, or the Nyquist frequency if lower.
 */
export function linearToMelWeightMatrix(
  numMelBins: number, numSpectrogramBins: number, sampleRate: number, lowerHz = 20, upperHz?: number,
): Tensor {
  positiveInt('linearToMelWeightMatrix', 'numMelBins', numMelBins);
  if (!(Number.isInteger(numSpectrogramBins) && numSpectrogramBins >= 2)) {
    throw new Error(`audio.linearToMelWeightMatrix: numSpectrogramBins must be an integer ≥ 2, got ${numSpectrogramBins}`);
  }
  if (!(sampleRate > 0)) throw new Error(`audio.linearToMelWeightMatrix: sampleRate must be positive, got ${sampleRate}`);
  const upper = upperHz ?? Math.min(4000, sampleRate / 2);
  if (!(lowerHz >= 0 && lowerHz < upper && upper <= sampleRate / 2)) {
    throw new Error(`audio.linearToMelWeightMatrix: need 0 ≤ lowerHz < upperHz ≤ sampleRate / 2 (${sampleRate / 2}), got ${lowerHz} and ${upper}`);
  }
  const out = emptyTensor([numSpectrogramBins, numMelBins]);
  ENGINE.get().melWeightMatrix(out.storage, numSpectrogramBins, numMelBins, sampleRate, lowerHz, upper);
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
  const mels = o.numMelBins ?? 40;
  positiveInt('melSpectrogram', 'numMelBins', mels);
  const spec = spectrogram(signal, o);
  const bins = spec.shape[spec.rank - 1];
  try {
    return noGrad(() => tidy(() => {
      const weights = linearToMelWeightMatrix(mels, bins, o.sampleRate, o.lowerHz ?? 20, o.upperHz ?? o.sampleRate / 2);
      return ops.reshape(ops.matMul(ops.reshape(spec, [-1, bins]), weights), [...spec.shape.slice(0, -1), mels]);
    }));
  } finally {
    spec.dispose();
  }
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
    throw new Error(`audio.mfcc: expected a float32 tensor [..., numMelBins], got ${logMel instanceof Tensor ? `${logMel.dtype} ${fmt(logMel.shape)}` : typeof logMel}`);
  }
  const n = logMel.shape[logMel.rank - 1];
  positiveInt('mfcc', 'numCoefficients', numCoefficients);
  if (numCoefficients > n) throw new Error(`audio.mfcc: numCoefficients (${numCoefficients}) exceeds the ${n} mel bins`);
  const out = emptyTensor([...logMel.shape.slice(0, -1), numCoefficients]);
  if (out.size) ENGINE.get().dct(logMel.storage, out.storage, logMel.size / n, n, numCoefficients);
  return out;
}
