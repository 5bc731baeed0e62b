/**
 * The js backend's audio kernels, written to be read: float64 arithmetic, the definitions of
 * crates/ferrite-core/src/audio (same windows, FFT outputs, mel triangles, DCT scaling and
 * resampling filter).
 */
import type { Storage } from '../backend';
import { rfftBins, resampledLength, type SpectrogramGeometry } from '../audio-geometry';
import { f32View } from './views';

function fail(msg: string): never {
  throw new Error(`ferrite js backend: ${msg}`);
}

export function hannWindow(out: Storage, n: number, periodic: boolean): void {
  const W = f32View(out, n, 'hannWindow out');
  if (n === 1) {
    W[0] = 1;
    return;
  }
  const denom = periodic ? n : n - 1;
  for (let i = 0; i < n; i++) W[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / denom);
}

/** The real DFT of x[off, off + n) into re/im (n/2 + 1 bins): radix-2 for powers of two, else direct. */
class RealDft {
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;

  constructor(readonly n: number) {
    this.cos = new Float64Array(n);
    this.sin = new Float64Array(n);
    for (let m = 0; m < n; m++) {
      this.cos[m] = Math.cos((-2 * Math.PI * m) / n);
      this.sin[m] = Math.sin((-2 * Math.PI * m) / n);
    }
    this.re = new Float64Array(n);
    this.im = new Float64Array(n);
  }

  /** out[2k], out[2k + 1] = Re, Im of bin k. */
  run(x: ArrayLike<number>, out: Float64Array): void {
    const { n } = this;
    const bins = rfftBins(n);
    if (n <= 1) {
      out[0] = n === 1 ? x[0] : 0;
      out[1] = 0;
      return;
    }
    if ((n & (n - 1)) !== 0) {
      for (let k = 0; k < bins; k++) {
        let re = 0;
        let im = 0;
        for (let j = 0; j < n; j++) {
          const m = (j * k) % n;
          re += x[j] * this.cos[m];
          im += x[j] * this.sin[m];
        }
        out[2 * k] = re;
        out[2 * k + 1] = im;
      }
      return;
    }
    // Iterative radix-2 complex FFT of the real input.
    const { re, im } = this;
    const bits = Math.log2(n);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      re[r] = x[i];
      im[r] = 0;
    }
    for (let len = 2; len <= n; len *= 2) {
      const step = n / len;
      for (let start = 0; start < n; start += len) {
        for (let k = 0; k < len / 2; k++) {
          const wr = this.cos[k * step];
          const wi = this.sin[k * step];
          const p = start + k;
          const q = p + len / 2;
          const vr = re[q] * wr - im[q] * wi;
          const vi = re[q] * wi + im[q] * wr;
          re[q] = re[p] - vr;
          im[q] = im[p] - vi;
          re[p] += vr;
          im[p] += vi;
        }
      }
    }
    for (let k = 0; k < bins; k++) {
      out[2 * k] = re[k];
      out[2 * k + 1] = im[k];
    }
  }
}

export function rfft(x: Storage, out: Storage, rows: number, n: number): void {
  const bins = rfftBins(n);
  const X = f32View(x, rows * n, 'rfft x');
  const O = f32View(out, rows * 2 * bins, 'rfft out');
  const dft = new RealDft(n);
  const spec = new Float64Array(2 * bins);
  for (let r = 0; r < rows; r++) {
    dft.run(X.subarray(r * n, (r + 1) * n), spec);
    O.set(spec, r * 2 * bins);
  }
}

export function spectrogram(signal: Storage, window: Storage | null, out: Storage, g: SpectrogramGeometry): void {
  if (!(g.frameLength >= 1 && g.frameStep >= 1 && g.fftLength >= g.frameLength && (g.power === 1 || g.power === 2))) {
    fail(`spectrogram: bad geometry ${JSON.stringify(g)}`);
  }
  const bins = rfftBins(g.fftLength);
  const S = f32View(signal, g.batch * g.signalLength, 'spectrogram signal');
  const W = window ? f32View(window, g.frameLength, 'spectrogram window') : null;
  const O = f32View(out, g.batch * g.frames * bins, 'spectrogram out');
  const dft = new RealDft(g.fftLength);
  const buf = new Float64Array(g.fftLength);
  const spec = new Float64Array(2 * bins);
  for (let b = 0; b < g.batch; b++) {
    for (let f = 0; f < g.frames; f++) {
      buf.fill(0);
      const start = f * g.frameStep;
      for (let i = 0; i < g.frameLength && start + i < g.signalLength; i++) {
        buf[i] = S[b * g.signalLength + start + i] * (W ? W[i] : 1);
      }
      dft.run(buf, spec);
      const o = (b * g.frames + f) * bins;
      for (let k = 0; k < bins; k++) {
        const p = spec[2 * k] ** 2 + spec[2 * k + 1] ** 2;
        O[o + k] = g.power === 2 ? p : Math.sqrt(p);
      }
    }
  }
}

const hzToMel = (f: number) => 1127 * Math.log(1 + f / 700);

export function melWeightMatrix(
  out: Storage, numSpectrogramBins: number, numMelBins: number, sampleRate: number, lowerHz: number, upperHz: number,
): void {
  const ok = numSpectrogramBins >= 2 && numMelBins >= 1 && sampleRate > 0 && lowerHz >= 0 && lowerHz < upperHz &&
    upperHz <= sampleRate / 2 + 1e-9;
  if (!ok) fail(`melWeightMatrix: bad arguments (bins ${numSpectrogramBins}, mels ${numMelBins}, rate ${sampleRate}, ${lowerHz}–${upperHz} Hz)`);
  const O = f32View(out, numSpectrogramBins * numMelBins, 'melWeightMatrix out');
  const lo = hzToMel(lowerHz);
  const hi = hzToMel(upperHz);
  const edge = (i: number) => lo + ((hi - lo) * i) / (numMelBins + 1);
  O.fill(0, 0, numMelBins);
  for (let k = 1; k < numSpectrogramBins; k++) {
    const mel = hzToMel(((sampleRate / 2) * k) / (numSpectrogramBins - 1));
    for (let i = 0; i < numMelBins; i++) {
      const rise = (mel - edge(i)) / (edge(i + 1) - edge(i));
      const fall = (edge(i + 2) - mel) / (edge(i + 2) - edge(i + 1));
      O[k * numMelBins + i] = Math.max(0, Math.min(rise, fall));
    }
  }
}

export function dct(x: Storage, out: Storage, rows: number, n: number, k: number): void {
  if (k > n) fail(`dct: ${k} coefficients of ${n} points`);
  const X = f32View(x, rows * n, 'dct x');
  const O = f32View(out, rows * k, 'dct out');
  const scale = Math.sqrt(2 / n);
  for (let r = 0; r < rows; r++) {
    for (let q = 0; q < k; q++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += X[r * n + j] * Math.cos((Math.PI * q * (2 * j + 1)) / (2 * n));
      O[r * k + q] = scale * s;
    }
  }
}

// Resampling: Kaiser-windowed sinc (β = 8), 24 zero crossings, cut at 0.97 of the lower Nyquist.
const ZERO_CROSSINGS = 24;
const ROLLOFF = 0.97;
const BETA = 8;

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; term > 1e-14 * sum; k++) {
    term *= q / (k * k);
    sum += term;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export function resample(x: Storage, n: number, out: Storage, inRate: number, outRate: number): void {
  if (!(Number.isInteger(inRate) && inRate > 0 && Number.isInteger(outRate) && outRate > 0)) {
    fail(`resample: sample rates must be positive integers, got ${inRate} and ${outRate}`);
  }
  const m = resampledLength(n, inRate, outRate);
  const X = f32View(x, n, 'resample x');
  const O = f32View(out, m, 'resample out');
  if (inRate === outRate) {
    O.set(X);
    return;
  }
  const g = gcd(inRate, outRate);
  const up = outRate / g;
  const down = inRate / g;
  const fc = ROLLOFF * Math.min(1, up / down);
  const half = Math.ceil(ZERO_CROSSINGS / fc);
  const reach = ZERO_CROSSINGS / fc;
  const i0Beta = besselI0(BETA);
  const tap = (d: number) => {
    if (Math.abs(d) >= reach) return 0;
    const v = fc * d;
    const sinc = v === 0 ? 1 : Math.sin(Math.PI * v) / (Math.PI * v);
    const r = d / reach;
    return (fc * sinc * besselI0(BETA * Math.sqrt(1 - r * r))) / i0Beta;
  };
  const cache = new Map<number, Float64Array>();
  for (let j = 0; j < m; j++) {
    const pos = j * down;
    const i0 = Math.floor(pos / up);
    const phase = pos - i0 * up;
    let h = cache.get(phase);
    if (!h) {
      h = new Float64Array(2 * half);
      for (let q = 0; q < 2 * half; q++) h[q] = tap(phase / up - (q - half + 1));
      if (cache.size < 4096) cache.set(phase, h);
    }
    const first = i0 - half + 1;
    let acc = 0;
    for (let q = Math.max(0, -first); q < 2 * half && first + q < n; q++) acc += h[q] * X[first + q];
    O[j] = acc;
  }
}
