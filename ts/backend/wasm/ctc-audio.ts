/** The wasm backend's CTC and audio kernels: argument marshalling and status codes. */
import type { Storage } from '../backend';
import { rfftBins, spectrogramGeometryValues, type SpectrogramGeometry } from '../audio-geometry';
import type { FerriteExports } from './exports';

const ptr = (s: Storage | null): number => (s ? (s as unknown as { ptr: number }).ptr : 0);

function mb(memory: WebAssembly.Memory): string {
  return (memory.buffer.byteLength / 2 ** 20).toFixed(1);
}

/** Throws a clear error for a non-zero status of an audio kernel. */
function audioStatus(op: string, code: number, memory: WebAssembly.Memory, detail: () => string): void {
  if (code === 0) return;
  if (code === -2) throw new Error(`ferrite: ${op}: out of WebAssembly memory for scratch buffers (heap is ${mb(memory)} MB)`);
  throw new Error(`ferrite: ${op}: arguments out of range (${detail()})`);
}

export function ctcLoss(
  x: FerriteExports,
  logits: Storage, labels: Storage, inputLengths: Storage, labelLengths: Storage, loss: Storage, grad: Storage,
  batch: number, time: number, classes: number, maxLabel: number, blank: number, zeroInfinity: boolean,
): number {
  if (!(Number.isInteger(blank) && blank >= 0 && blank < classes)) {
    throw new Error(`ferrite: ctcLoss: blank ${blank} is outside [0, ${classes})`);
  }
  const r = x.ferrite_ctc_loss(
    ptr(logits), ptr(labels), ptr(inputLengths), ptr(labelLengths), ptr(loss), ptr(grad),
    batch, time, classes, maxLabel, blank, zeroInfinity ? 1 : 0);
  if (r === -2) throw new Error(`ferrite: ctcLoss: out of WebAssembly memory for its workspace (heap is ${mb(x.memory)} MB)`);
  if (r === -3) throw new Error(`ferrite: ctcLoss: blank ${blank} is outside [0, ${classes})`);
  return r;
}

export function hannWindow(x: FerriteExports, out: Storage, n: number, periodic: boolean): void {
  x.ferrite_hann_window(ptr(out), n, periodic ? 1 : 0);
}

export function rfft(x: FerriteExports, xs: Storage, out: Storage, rows: number, n: number): void {
  audioStatus('rfft', x.ferrite_rfft(ptr(xs), ptr(out), rows, n), x.memory, () => `rows ${rows}, n ${n}, ${rfftBins(n)} bins`);
}

/** `geomAt` writes the geometry values into wasm memory and returns their address. */
export function spectrogram(
  x: FerriteExports, signal: Storage, window: Storage | null, out: Storage, g: SpectrogramGeometry,
  geomAt: (values: number[]) => number,
): void {
  const code = x.ferrite_spectrogram(ptr(signal), ptr(window), ptr(out), geomAt(spectrogramGeometryValues(g)));
  audioStatus('spectrogram', code, x.memory, () => JSON.stringify(g));
}

export function melWeightMatrix(
  x: FerriteExports, out: Storage, bins: number, mels: number, sampleRate: number, lowerHz: number, upperHz: number,
): void {
  audioStatus('melWeightMatrix', x.ferrite_mel_weight_matrix(ptr(out), bins, mels, sampleRate, lowerHz, upperHz), x.memory,
    () => `bins ${bins}, mels ${mels}, rate ${sampleRate}, ${lowerHz}–${upperHz} Hz`);
}

export function dct(x: FerriteExports, xs: Storage, out: Storage, rows: number, n: number, k: number): void {
  audioStatus('dct', x.ferrite_dct(ptr(xs), ptr(out), rows, n, k), x.memory, () => `${k} coefficients of ${n} points`);
}

export function resample(x: FerriteExports, xs: Storage, n: number, out: Storage, inRate: number, outRate: number): void {
  if (!(Number.isInteger(inRate) && inRate > 0 && Number.isInteger(outRate) && outRate > 0)) {
    throw new Error(`ferrite: resample: sample rates must be positive integers, got ${inRate} and ${outRate}`);
  }
  audioStatus('resample', x.ferrite_resample(ptr(xs), n, ptr(out), inRate, outRate), x.memory, () => `${inRate} → ${outRate} Hz`);
}
