/**
 * fe.audio: reading WAV files and turning speech into features (log-mel spectrograms, MFCCs),
 * on the Rust core's FFT, mel and resampling kernels.
 */
export { decodeWav, encodeWav, toMono } from './wav';
export type { DecodedWav, EncodeWavOptions } from './wav';
export { frame, hannWindow, resample, rfft } from './signal';
export type { SignalLike } from './signal';
export { linearToMelWeightMatrix, logMelSpectrogram, melSpectrogram, mfcc, spectrogram, stft } from './spectrogram';
export type { LogMelOptions, MelOptions, SpectrogramOptions } from './spectrogram';
export { normalize } from './normalize';
export type { NormalizeOptions } from './normalize';
