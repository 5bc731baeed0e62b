/**
 * Signal basics as tf.signal names them: windows, framing, the real FFT, resampling. They run
 * on the backend's kernels (crates/ferrite-core/src/audio) and record no gradients: they
 * prepare features, they are not layers.
 */
import { frameCount, resampledLength, rfftBins } from '../backend/audio-geometry';
import { ENGINE } from '../engine';
import * as ops from '../ops/index';
import { stridedCopy } from '../ops/shape';
import { fmt } from '../ops/util';
import { emptyTensor, Tensor, zeroTensor } from '../tensor';

/** A signal as a float32 tensor (a Float32Array or number[] becomes one, owned by the caller's scope). */
export type SignalLike = Tensor | Float32Array | number[];

/** The signal as a tensor, and whether it was made here (the caller disposes it then). */
export function asSignal(op: string, x: SignalLike): { t: Tensor; owned: boolean } {
  if (x instanceof Tensor) {
    if (x.dtype !== 'float32') throw new Error(`audio.${op}: expected a float32 signal, got ${x.dtype}`);
    if (x.rank < 1) throw new Error(`audio.${op}: expected a signal of rank ≥ 1, got a scalar`);
    return { t: x, owned: false };
  }
  if (x instanceof Float32Array || Array.isArray(x)) return { t: ops.tensor(Float32Array.from(x), [x.length]), owned: true };
  throw new Error(`audio.${op}: expected a Tensor, Float32Array or number[], got ${typeof x}`);
}

export function positiveInt(op: string, name: string, v: number): void {
  if (!(Number.isInteger(v) && v > 0)) throw new Error(`audio.${op}: ${name} must be a positive integer, got ${v}`);
}

/** The Hann window of `length` points: periodic (N = length, for spectra, the default) or symmetric. */
export function hannWindow(length: number, periodic = true): Tensor {
  positiveInt('hannWindow', 'length', length);
  const out = emptyTensor([length]);
  ENGINE.get().hannWindow(out.storage, length, periodic);
  return out;
}

/**
 * Frames of the last axis: [..., n] → [..., frames, frameLength], frame f starting at sample
 * f·frameStep. Without padEnd only whole frames (tf.signal.frame); with it ceil(n / frameStep)
 * frames, zero-padded past the end.
 */
export function frame(signal: SignalLike, frameLength: number, frameStep: number, padEnd = false): Tensor {
  positiveInt('frame', 'frameLength', frameLength);
  positiveInt('frame', 'frameStep', frameStep);
  const { t: x, owned } = asSignal('frame', signal);
  const n = x.shape[x.rank - 1];
  const lead = x.shape.slice(0, -1);
  const rows = lead.reduce((a, d) => a * d, 1);
  const frames = frameCount(n, frameLength, frameStep, padEnd);
  const out = padEnd ? zeroTensor([...lead, frames, frameLength]) : emptyTensor([...lead, frames, frameLength]);
  for (let f = 0; f < frames; f++) {
    const len = Math.min(frameLength, n - f * frameStep);
    if (len <= 0) continue;
    // Rows × len samples of frame f, for every leading index at once.
    stridedCopy(x, f * frameStep, [n, 1], out, f * frameLength, [frames * frameLength, 1], [rows, len]);
  }
  if (owned) x.dispose();
  return out;
}

/** The real FFT of the last axis: [..., n] → [..., n/2 + 1, 2] (real, imaginary); any n ≥ 1. */
export function rfft(signal: SignalLike): Tensor {
  const { t: x, owned } = asSignal('rfft', signal);
  const n = x.shape[x.rank - 1];
  if (n < 1) throw new Error(`audio.rfft: the last axis is empty (shape ${fmt(x.shape)})`);
  const rows = x.size / n;
  const out = emptyTensor([...x.shape.slice(0, -1), rfftBins(n), 2]);
  ENGINE.get().rfft(x.storage, out.storage, rows, n);
  if (owned) x.dispose();
  return out;
}

/** Band-limited resampling of a 1-D signal between integer rates: [n] → [ceil(n·outRate / inRate)]. */
export function resample(signal: SignalLike, inRate: number, outRate: number): Tensor {
  positiveInt('resample', 'inRate', inRate);
  positiveInt('resample', 'outRate', outRate);
  const { t: x, owned } = asSignal('resample', signal);
  if (x.rank !== 1) {
    if (owned) x.dispose();
    throw new Error(`audio.resample: expected a 1-D signal, got shape ${fmt(x.shape)}`);
  }
  const out = emptyTensor([resampledLength(x.size, inRate, outRate)]);
  if (x.size) ENGINE.get().resample(x.storage, x.size, out.storage, inRate, outRate);
  if (owned) x.dispose();
  return out;
}
