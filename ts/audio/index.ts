/**
 * fe.audio: reading WAV files and turning speech into features (log-mel spectrograms, MFCCs),
 * on the Rust core's FFT, mel and resampling kernels.
 */
export { decodeWav, encodeWav, toMono } from './wav';
export type { DecodedWav, EncodeWavOptions } from './wav';
export { frame, hannWindow, resample, rfft } from './signal';
export type { SignalLike } from './signal';
export { spectrogram, stft } from './spectrogram';
export type { SpectrogramOptions } from './spectrogram';
export { linearToMelWeightMatrix, logMelSpectrogram, melSpectrogram, mfcc } from './mel';
export type { LogMelOptions, MelOptions } from './mel';
export { normalize } from './normalize';
export type { NormalizeOptions } from './normalize';
