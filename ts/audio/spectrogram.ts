/**
 * The power (or magnitude) spectrogram of framed, windowed signals. Conventions as tf.signal:
 * periodic Hann window, frames that fit the signal. No gradients are recorded.
 */
import { frameCount, rfftBins } from '../backend/audio-geometry';
import { ENGINE } from '../engine';
import { fmt } from '../ops/util';
import { emptyTensor, Tensor } from '../tensor';
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
