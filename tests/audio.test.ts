/**
 * fe.audio: WAV reading and writing, and the feature pipeline (frames, Hann window, real FFT,
 * spectrogram, mel filterbank, log-mel, MFCC, normalization, resampling) against signals whose
 * answers can be worked out by hand, on both backends.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { BACKENDS, useBackend } from './helpers/backends';

const close = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what = '') => {
  expect(got.length, `${what} length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i])))) {
      throw new Error(`${what} element ${i}: got ${got[i]}, want ${want[i]}`);
    }
  }
};

const tone = (freq: number, rate: number, n: number, amp = 0.5) =>
  Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * freq * i) / rate));

const argmax = (v: ArrayLike<number>, from = 0, to = v.length) => {
  let best = from;
  for (let i = from; i < to; i++) if (v[i] > v[best]) best = i;
  return best;
};

const hzToMel = (f: number) => 2595 * Math.log10(1 + f / 700);
const melToHz = (m: number) => 700 * (10 ** (m / 2595) - 1);

describe.each(BACKENDS)('fe.audio on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('hannWindow: periodic and symmetric values', () => {
    close(fe.audio.hannWindow(4).dataSync(), [0, 0.5, 1, 0.5], 1e-6, 'periodic 4');
    close(fe.audio.hannWindow(5, false).dataSync(), [0, 0.5, 1, 0.5, 0], 1e-6, 'symmetric 5');
    close(fe.audio.hannWindow(1).dataSync(), [1], 0, 'length 1');
  });

  it('frame: counts and values, with and without padEnd, over a batch', () => {
    const x = fe.tensor([[0, 1, 2, 3, 4, 5, 6], [10, 11, 12, 13, 14, 15, 16]]);
    const f = fe.audio.frame(x, 3, 2);
    expect(f.shape).toEqual([2, 3, 3]);
    expect(Array.from(f.dataSync())).toEqual([0, 1, 2, 2, 3, 4, 4, 5, 6, 10, 11, 12, 12, 13, 14, 14, 15, 16]);
    const p = fe.audio.frame(x, 3, 2, true);
    expect(p.shape).toEqual([2, 4, 3]);
    expect(Array.from(p.dataSync()).slice(0, 12)).toEqual([0, 1, 2, 2, 3, 4, 4, 5, 6, 6, 0, 0]);
    expect(fe.audio.frame(new Float32Array(2), 3, 1).shape).toEqual([0, 3]);
  });

  it('rfft: impulse, DC, cosine, odd lengths', () => {
    // An impulse has a flat spectrum; a constant puts everything in bin 0.
    close(fe.audio.rfft([1, 0, 0, 0, 0, 0, 0, 0]).dataSync(), [1, 0, 1, 0, 1, 0, 1, 0, 1, 0], 1e-6, 'impulse');
    close(fe.audio.rfft([2, 2, 2, 2, 2]).dataSync(), [10, 0, 0, 0, 0, 0], 1e-5, 'dc, n = 5');
    // cos(2π·2i/16): bin 2 holds n/2 = 8 (real), every other bin 0.
    const n = 16;
    const c = Float32Array.from({ length: n }, (_, i) => Math.cos((2 * Math.PI * 2 * i) / n));
    const want = new Array(2 * (n / 2 + 1)).fill(0);
    want[4] = 8;
    close(fe.audio.rfft(c).dataSync(), want, 1e-5, 'cosine');
    // sin puts −n/2 in the imaginary part.
    const s = Float32Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * 3 * i) / n));
    const ws = new Array(2 * (n / 2 + 1)).fill(0);
    ws[7] = -8;
    close(fe.audio.rfft(s).dataSync(), ws, 1e-5, 'sine');
    expect(fe.audio.rfft(fe.zeros([3, 7])).shape).toEqual([3, 4, 2]);
  });

  it('spectrogram equals a naive DFT of Hann-windowed frames', () => {
    const rate = 8000;
    const x = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i * 0.37) + 0.3 * Math.cos(i * 1.9) + ((i * 7919) % 13) / 50);
    const frameLength = 50, frameStep = 30, fftLength = 64;
    const spec = fe.audio.spectrogram(x, { frameLength, frameStep, fftLength });
    const frames = 1 + Math.floor((300 - frameLength) / frameStep);
    expect(spec.shape).toEqual([frames, fftLength / 2 + 1]);
    const want: number[] = [];
    for (let f = 0; f < frames; f++) {
      for (let k = 0; k <= fftLength / 2; k++) {
        let re = 0, im = 0;
        for (let j = 0; j < frameLength; j++) {
          const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * j) / frameLength);
          const v = x[f * frameStep + j] * w;
          re += v * Math.cos((2 * Math.PI * k * j) / fftLength);
          im -= v * Math.sin((2 * Math.PI * k * j) / fftLength);
        }
        want.push(re * re + im * im);
      }
    }
    close(spec.dataSync(), want, 1e-4, 'power spectrogram');
    const mag = fe.audio.spectrogram(x, { frameLength, frameStep, fftLength, power: 1 }).dataSync();
    close(mag, want.map(Math.sqrt), 1e-4, 'magnitude');
    void rate;
  });

  it('a pure tone lands in its FFT bin and in the mel band centred nearest to it', () => {
    const rate = 16000, fftLength = 512;
    for (const freq of [440, 1000, 3000]) {
      const spec = fe.audio.spectrogram(tone(freq, rate, 4000), { frameLength: 400, frameStep: 160, fftLength });
      const row = spec.dataSync().slice(0, fftLength / 2 + 1);
      expect(argmax(row)).toBe(Math.round((freq * fftLength) / rate));
      const mels = 40, lower = 20, upper = 8000;
      const mel = fe.audio.melSpectrogram(tone(freq, rate, 4000), { sampleRate: rate, frameLength: 400, frameStep: 160, fftLength, numMelBins: mels, lowerHz: lower, upperHz: upper });
      expect(mel.shape).toEqual([spec.shape[0], mels]);
      const centres = Array.from({ length: mels }, (_, i) => melToHz(hzToMel(lower) + ((hzToMel(upper) - hzToMel(lower)) * (i + 1)) / (mels + 1)));
      const nearest = argmax(centres.map((c) => -Math.abs(hzToMel(c) - hzToMel(freq))));
      expect(argmax(mel.dataSync().slice(0, mels))).toBe(nearest);
    }
  });

  it('linearToMelWeightMatrix: no DC weight, triangles peaking near 1 at their centres, within [0, 1]', () => {
    const bins = 257, mels = 10, rate = 16000;
    const w = fe.audio.linearToMelWeightMatrix(mels, bins, rate, 100, 8000);
    expect(w.shape).toEqual([bins, mels]);
    const v = w.dataSync();
    for (let m = 0; m < mels; m++) expect(v[m]).toBe(0);
    expect(v.every((x) => x >= 0 && x <= 1)).toBe(true);
    const lo = 1127 * Math.log(1 + 100 / 700), hi = 1127 * Math.log(1 + 8000 / 700);
    for (let m = 0; m < mels; m++) {
      const col = Array.from({ length: bins }, (_, k) => v[k * mels + m]);
      const centreHz = 700 * (Math.exp((lo + ((hi - lo) * (m + 1)) / (mels + 1)) / 1127) - 1);
      expect(Math.abs(argmax(col) - (centreHz * (bins - 1)) / (rate / 2))).toBeLessThanOrEqual(1);
      expect(Math.max(...col)).toBeGreaterThan(0.5);
    }
  });

  it('linearToMelWeightMatrix equals the triangles computed here; rows sum to 1 between the first and last centres', () => {
    const bins = 33, mels = 6, rate = 8000, lower = 100, upper = 3500;
    const v = fe.audio.linearToMelWeightMatrix(mels, bins, rate, lower, upper).dataSync();
    const edge = (i: number) => hzToMel(lower) + ((hzToMel(upper) - hzToMel(lower)) * i) / (mels + 1);
    for (let k = 0; k < bins; k++) {
      const m = hzToMel((k * rate) / 2 / (bins - 1));
      let sum = 0;
      for (let i = 0; i < mels; i++) {
        const want = k === 0 ? 0 : Math.max(0, Math.min((m - edge(i)) / (edge(i + 1) - edge(i)), (edge(i + 2) - m) / (edge(i + 2) - edge(i + 1))));
        expect(Math.abs(v[k * mels + i] - want), `bin ${k} band ${i}`).toBeLessThan(1e-5);
        sum += v[k * mels + i];
      }
      // Neighbouring triangles cross at ½ and add up to 1 wherever two of them overlap.
      if (m >= edge(1) && m <= edge(mels)) expect(Math.abs(sum - 1), `row ${k} sum`).toBeLessThan(1e-5);
      if (m <= edge(0) || m >= edge(mels + 1)) expect(sum, `row ${k} outside the bands`).toBe(0);
    }
    // By hand: one band over 0–4000 Hz (mel 0 to 2146.06, centre 1073.03), bins at 0, 2000 and
    // 4000 Hz; 2000 Hz is mel 1521.36, on the falling side: (2146.06 − 1521.36) / 1073.03 = 0.58219.
    const one = fe.audio.linearToMelWeightMatrix(1, 3, 8000, 0, 4000).dataSync();
    expect(one[0]).toBe(0);
    expect(Math.abs(one[1] - 0.58219)).toBeLessThan(1e-5);
    expect(one[2]).toBe(0);
    // Defaults: 20 Hz to 4000 Hz, or to the Nyquist frequency when that is lower.
    close(fe.audio.linearToMelWeightMatrix(10, 129, 16000).dataSync(), fe.audio.linearToMelWeightMatrix(10, 129, 16000, 20, 4000).dataSync(), 0, 'defaults');
    close(fe.audio.linearToMelWeightMatrix(10, 129, 6000).dataSync(), fe.audio.linearToMelWeightMatrix(10, 129, 6000, 20, 3000).dataSync(), 0, 'defaults at 6 kHz');
  });

  it('logMelSpectrogram is log(mel + offset); silence stays finite', () => {
    const opts = { sampleRate: 8000, frameLength: 200, frameStep: 80, numMelBins: 20 };
    const x = tone(700, 8000, 1600);
    const mel = fe.audio.melSpectrogram(x, opts).dataSync();
    close(fe.audio.logMelSpectrogram(x, { ...opts, logOffset: 1e-3 }).dataSync(), Array.from(mel, (m) => Math.log(m + 1e-3)), 1e-4, 'log-mel');
    const silent = fe.audio.logMelSpectrogram(new Float32Array(1600), opts).dataSync();
    expect(silent.every((v) => Math.abs(v - Math.log(1e-6)) < 1e-3)).toBe(true);
  });

  it('mfcc: a constant log-mel has only coefficient 0, √(2/n)·n·c (TensorFlow scaling); a cosine row has its own coefficient', () => {
    const n = 8, c = 3;
    const out = fe.audio.mfcc(fe.fill([2, n], c), 5).dataSync();
    close(out, [Math.sqrt(2 * n) * c, 0, 0, 0, 0, Math.sqrt(2 * n) * c, 0, 0, 0, 0], 1e-5, 'constant');
    const q = 2;
    const row = Float32Array.from({ length: n }, (_, j) => Math.cos((Math.PI * q * (2 * j + 1)) / (2 * n)));
    const m = fe.audio.mfcc(fe.tensor(row, [1, n]), n).dataSync();
    const want = new Array(n).fill(0);
    want[q] = Math.sqrt(2 / n) * (n / 2);
    close(m, want, 1e-5, 'cosine row');
  });

  it('normalize: mean 0, variance 1 along time, per utterance', () => {
    const x = fe.tensor([[[1, 10], [3, 20], [5, 60]], [[0, 0], [0, 1], [0, 2]]]);
    const y = fe.audio.normalize(x, { epsilon: 0 });
    const v = y.dataSync();
    // utterance 0, dim 0: 1, 3, 5 → mean 3, variance 8/3
    const s = Math.sqrt(8 / 3);
    close([v[0], v[2], v[4]], [-2 / s, 0, 2 / s], 1e-5, 'utterance 0 dim 0');
    for (let b = 0; b < 2; b++) {
      for (let d = 1; d < 2; d++) {
        const col = [0, 1, 2].map((t) => v[b * 6 + t * 2 + d]);
        const mean = col.reduce((a, c) => a + c, 0) / 3;
        expect(Math.abs(mean)).toBeLessThan(1e-5);
        expect(Math.abs(col.reduce((a, c) => a + (c - mean) ** 2, 0) / 3 - 1)).toBeLessThan(1e-4);
      }
    }
  });

  it('resample keeps a tone at its frequency; the length is ceil(n·out/in)', () => {
    const inRate = 22050, outRate = 16000, freq = 1000;
    const x = tone(freq, inRate, 4410);
    const y = fe.audio.resample(x, inRate, outRate);
    expect(y.shape).toEqual([Math.ceil((4410 * outRate) / inRate)]);
    const spec = fe.audio.spectrogram(y, { frameLength: 1024, frameStep: 1024, fftLength: 1024 }).dataSync();
    expect(argmax(spec.slice(0, 513))).toBe(Math.round((freq * 1024) / outRate));
    // Away from the edges the resampled tone keeps its amplitude.
    const v = y.dataSync();
    const peak = Math.max(...Array.from(v.slice(500, 2700), Math.abs));
    expect(Math.abs(peak - 0.5)).toBeLessThan(0.02);
    close(fe.audio.resample(x, inRate, inRate).dataSync(), x, 1e-5, 'same rate');
  });

  it('bad arguments name the function and the values', () => {
    expect(() => fe.audio.frame([1, 2, 3], 0, 1)).toThrow(/audio\.frame: frameLength must be a positive integer, got 0/);
    expect(() => fe.audio.frame([1, 2, 3], 2, 1.5)).toThrow(/audio\.frame: frameStep must be a positive integer, got 1\.5/);
    expect(() => fe.audio.frame(fe.scalar(1), 2, 1)).toThrow(/audio\.frame: expected a signal of rank ≥ 1, got a scalar/);
    expect(() => fe.audio.spectrogram([1, 2, 3], { frameLength: -2, frameStep: 1 })).toThrow(/audio\.spectrogram: frameLength must be a positive integer, got -2/);
    expect(() => fe.audio.rfft(fe.scalar(1))).toThrow(/audio\.rfft: expected a signal of rank ≥ 1/);
    expect(() => fe.audio.hannWindow(0)).toThrow(/audio\.hannWindow: length must be a positive integer, got 0/);
    expect(() => fe.audio.spectrogram([1, 2, 3], { frameLength: 4, frameStep: 1, fftLength: 2 })).toThrow(/audio\.spectrogram: fftLength \(2\) must be ≥ frameLength \(4\)/);
    expect(() => fe.audio.spectrogram(fe.zeros([2, 2, 8]), { frameLength: 4, frameStep: 1 })).toThrow(/expected a signal \[n\] or \[batch, n\], got shape \[2, 2, 8\]/);
    expect(() => fe.audio.resample(fe.zeros([2, 8]), 8000, 16000)).toThrow(/audio\.resample: expected a 1-D signal, got shape \[2, 8\]/);
    expect(() => fe.audio.mfcc(fe.zeros([3, 4]), 5)).toThrow(/numCoefficients \(5\) exceeds the 4 mel bins/);
    expect(() => fe.audio.linearToMelWeightMatrix(10, 129, 8000, 100, 5000)).toThrow(/upperHz ≤ sampleRate \/ 2 \(4000\)/);
    expect(() => fe.audio.normalize(fe.zeros([3, 4]), { axis: 5 })).toThrow(/axis 5 is out of range/);
    expect(() => fe.audio.melSpectrogram([1, 2, 3, 4], { sampleRate: 8000, frameLength: 2, frameStep: 1, upperHz: 5000 })).toThrow(/upperHz ≤ sampleRate \/ 2 \(4000\), got 20 and 5000/);
    // Still usable afterwards.
    expect(fe.audio.hannWindow(2).dataSync().length).toBe(2);
  });

  it('each kernel agrees between wasm and js', async () => {
    const sig = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.11 * seed) + ((i * 7919 + seed) % 17) / 30 - 0.25);
    const run = () => ({
      rfft: [7, 16, 100, 1].map((n) => fe.audio.rfft(fe.tensor(sig(3 * n, n), [3, n])).dataSync()),
      spec: fe.audio.spectrogram(fe.tensor(sig(2 * 777, 5), [2, 777]), { frameLength: 99, frameStep: 41, fftLength: 128 }).dataSync(),
      specOdd: fe.audio.spectrogram(sig(500, 3), { frameLength: 45, frameStep: 20, fftLength: 45, window: null, power: 1 }).dataSync(),
      mel: fe.audio.linearToMelWeightMatrix(23, 201, 16000, 30, 7600).dataSync(),
      dct: fe.audio.mfcc(fe.tensor(sig(5 * 23, 2), [5, 23]), 13).dataSync(),
      resample: [[16000, 8000], [8000, 16000], [44100, 16000]].map(([a, b]) => fe.audio.resample(sig(333, a % 7), a, b).dataSync()),
    });
    const here = run();
    await useBackend(backend === 'js' ? 'wasm' : 'js');
    const other = run();
    await useBackend(backend);
    here.rfft.forEach((v, i) => close(v, other.rfft[i], 1e-4, `rfft ${i}`));
    close(here.spec, other.spec, 1e-4, 'spectrogram');
    close(here.specOdd, other.specOdd, 1e-4, 'spectrogram, odd FFT, no window');
    close(here.mel, other.mel, 1e-5, 'mel matrix');
    close(here.dct, other.dct, 1e-5, 'dct');
    here.resample.forEach((v, i) => close(v, other.resample[i], 1e-5, `resample ${i}`));
  });

  it('wasm and js agree on a log-mel pipeline (same kernels, independent code)', async () => {
    const x = Float32Array.from({ length: 3000 }, (_, i) => Math.sin(i * 0.05) * Math.cos(i * 0.013) + ((i * 31) % 7) / 40);
    const opts = { sampleRate: 16000, frameLength: 400, frameStep: 160, numMelBins: 40 };
    const here = fe.audio.mfcc(fe.audio.logMelSpectrogram(x, opts), 13).dataSync();
    await useBackend(backend === 'js' ? 'wasm' : 'js');
    const other = fe.audio.mfcc(fe.audio.logMelSpectrogram(x, opts), 13).dataSync();
    await useBackend(backend);
    close(here, other, 2e-3, 'mfcc');
  });
});

describe('WAV files', () => {
  it('16-bit PCM: encode → decode keeps samples to within the quantization step 1/32768', () => {
    const x = Float32Array.from({ length: 1001 }, (_, i) => Math.sin(i / 7) * (i % 2 ? 1 : 0.37));
    x.set([1, -1, 0, 1 - 1e-6, -1 + 1e-6, 0.5, 1 / 65536], 0);
    const bytes = fe.audio.encodeWav(x, 16000);
    expect(bytes.length).toBe(44 + 2 * x.length);
    const d = fe.audio.decodeWav(bytes);
    expect(d.sampleRate).toBe(16000);
    expect(d.channels.length).toBe(1);
    const y = d.channels[0];
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(y[i] - x[i]));
    expect(worst).toBeLessThanOrEqual(1 / 32768);
    // −1 and 0.5 are exact; +1 clips to the largest sample, 1 − 2⁻¹⁵.
    expect(Array.from(y.slice(0, 3))).toEqual([1 - 2 ** -15, -1, 0]);
    expect(y[5]).toBe(0.5);
    // Out-of-range input clips instead of wrapping.
    expect(Array.from(fe.audio.decodeWav(fe.audio.encodeWav(Float32Array.from([3, -3]), 8000)).channels[0])).toEqual([1 - 2 ** -15, -1]);
  });

  it('float32: exact; stereo de-interleaves; toMono averages', () => {
    const l = Float32Array.from([0.1, -0.25, 0.5]), r = Float32Array.from([0.3, 0.25, -1]);
    const bytes = fe.audio.encodeWav([l, r], 44100, { bitDepth: 32 });
    const d = fe.audio.decodeWav(bytes.buffer as ArrayBuffer);
    expect(Array.from(d.channels[0])).toEqual(Array.from(l));
    expect(Array.from(d.channels[1])).toEqual(Array.from(r));
    close(fe.audio.toMono(d.channels), [0.2, 0, -0.25], 1e-7, 'mono');
  });

  /** A hand-built WAV: header fields and raw sample bytes. */
  const wav = (format: number, channels: number, rate: number, bits: number, data: number[], extra: number[] = []) => {
    const fmtLen = 16 + extra.length;
    const b = new Uint8Array(12 + 8 + fmtLen + 8 + data.length);
    const dv = new DataView(b.buffer);
    const put = (at: number, s: string) => { for (let i = 0; i < 4; i++) b[at + i] = s.charCodeAt(i); };
    put(0, 'RIFF'); dv.setUint32(4, b.length - 8, true); put(8, 'WAVE');
    put(12, 'fmt '); dv.setUint32(16, fmtLen, true);
    dv.setUint16(20, format, true); dv.setUint16(22, channels, true); dv.setUint32(24, rate, true);
    dv.setUint32(28, (rate * channels * bits) / 8, true); dv.setUint16(32, (channels * bits) / 8, true); dv.setUint16(34, bits, true);
    b.set(extra, 36);
    put(36 + extra.length, 'data'); dv.setUint32(40 + extra.length, data.length, true);
    b.set(data, 44 + extra.length);
    return b;
  };

  it('8-bit (unsigned) and 24-bit PCM by hand', () => {
    expect(Array.from(fe.audio.decodeWav(wav(1, 1, 8000, 8, [128, 255, 0, 192])).channels[0])).toEqual([0, 127 / 128, -1, 0.5]);
    // 24-bit little endian: 0x400000 = 0.5, 0xC00000 = −0.5, 0x000001 = 2^-23
    const d = fe.audio.decodeWav(wav(1, 1, 8000, 24, [0x00, 0x00, 0x40, 0x00, 0x00, 0xc0, 0x01, 0x00, 0x00])).channels[0];
    expect(Array.from(d)).toEqual([0.5, -0.5, 2 ** -23]);
  });

  it('WAVE_FORMAT_EXTENSIBLE with a PCM sub-format', () => {
    const extra = new Array(24).fill(0);
    extra[0] = 22; // cbSize
    extra[8] = 1; // sub-format GUID starts with the PCM tag
    const d = fe.audio.decodeWav(wav(0xfffe, 1, 8000, 16, [0x00, 0x40, 0x00, 0xc0], extra));
    expect(Array.from(d.channels[0])).toEqual([0.5, -0.5]);
  });

  it('a streamed file (placeholder data size, as espeak-ng --stdout writes) reads to the end', () => {
    const b = wav(1, 1, 22050, 16, [0x00, 0x20, 0x00, 0xe0]);
    new DataView(b.buffer).setUint32(40, 0x7ffff000, true);
    expect(Array.from(fe.audio.decodeWav(b).channels[0])).toEqual([0.25, -0.25]);
  });

  it('clear errors: not RIFF, unsupported format, truncated data, missing chunks', () => {
    expect(() => fe.audio.decodeWav(new TextEncoder().encode('ID3 not a wav file'))).toThrow(/not a RIFF\/WAVE file .*starting 'ID3 '/);
    expect(() => fe.audio.decodeWav(wav(2, 1, 8000, 4, [0, 0]))).toThrow(/unsupported format tag 0x2 with 4 bits per sample/);
    expect(() => fe.audio.decodeWav(wav(3, 1, 8000, 16, [0, 0]))).toThrow(/unsupported float with 16 bits/);
    const full = wav(1, 1, 8000, 16, new Array(100).fill(0));
    expect(() => fe.audio.decodeWav(full.subarray(0, 80))).toThrow(/truncated file: the 'data' chunk declares 100 bytes but only 36 follow/);
    expect(() => fe.audio.decodeWav(full.subarray(0, 12))).toThrow(/no 'fmt ' chunk/);
    expect(() => fe.audio.decodeWav(full.subarray(0, 36))).toThrow(/no 'data' chunk/);
  });
});
