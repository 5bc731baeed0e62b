/**
 * WAV (RIFF/WAVE) decoding and encoding on the host: PCM 8/16/24/32-bit integer and IEEE float
 * 32/64, plain or WAVE_FORMAT_EXTENSIBLE. Samples come out as float32 in [−1, 1).
 */

export interface DecodedWav {
  sampleRate: number;
  /** One array per channel, de-interleaved. */
  channels: Float32Array[];
}

const PCM = 1;
const IEEE_FLOAT = 3;
const EXTENSIBLE = 0xfffe;
/** Streaming writers (espeak-ng --stdout, ffmpeg to a pipe) put a placeholder this large in the size fields. */
const STREAMED_SIZE = 0x7fff0000;

function fourCC(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
}

function asBytes(input: Uint8Array | ArrayBuffer): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  throw new Error(`audio.decodeWav: expected a Uint8Array or an ArrayBuffer, got ${typeof input}`);
}

/** Decodes a WAV file's bytes. Throws a clear error for anything it cannot read exactly. */
export function decodeWav(input: Uint8Array | ArrayBuffer): DecodedWav {
  const b = asBytes(input);
  if (b.length < 12 || fourCC(b, 0) !== 'RIFF' || fourCC(b, 8) !== 'WAVE') {
    throw new Error(`audio.decodeWav: not a RIFF/WAVE file (${b.length} bytes${b.length >= 4 ? `, starting '${fourCC(b, 0)}'` : ''})`);
  }
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let fmt: { tag: number; channels: number; rate: number; blockAlign: number; bits: number } | null = null;
  let at = 12;
  while (at + 8 <= b.length) {
    const id = fourCC(b, at);
    const declared = dv.getUint32(at + 4, true);
    const body = at + 8;
    const available = b.length - body;
    if (id === 'fmt ') {
      if (declared < 16 || available < 16) throw new Error(`audio.decodeWav: the 'fmt ' chunk has ${Math.min(declared, available)} bytes, expected at least 16`);
      let tag = dv.getUint16(body, true);
      const bits = dv.getUint16(body + 14, true);
      if (tag === EXTENSIBLE) {
        if (declared < 40 || available < 40) throw new Error('audio.decodeWav: WAVE_FORMAT_EXTENSIBLE without its 40-byte format');
        tag = dv.getUint16(body + 24, true); // the sub-format GUID starts with the format tag
      }
      fmt = { tag, channels: dv.getUint16(body + 2, true), rate: dv.getUint32(body + 4, true), blockAlign: dv.getUint16(body + 12, true), bits };
    } else if (id === 'data') {
      if (!fmt) throw new Error("audio.decodeWav: the 'data' chunk comes before any 'fmt ' chunk");
      let size = declared;
      if (declared > available) {
        if (declared < STREAMED_SIZE) {
          throw new Error(`audio.decodeWav: truncated file: the 'data' chunk declares ${declared} bytes but only ${available} follow`);
        }
        size = available; // written to a stream: the real length was unknown
      }
      return { sampleRate: fmt.rate, channels: samples(b, dv, body, size, fmt) };
    }
    if (declared > available) break;
    at = body + declared + (declared & 1); // chunks are padded to even sizes
  }
  throw new Error(fmt ? "audio.decodeWav: no 'data' chunk" : "audio.decodeWav: no 'fmt ' chunk");
}

function samples(
  b: Uint8Array, dv: DataView, at: number, size: number,
  f: { tag: number; channels: number; rate: number; blockAlign: number; bits: number },
): Float32Array[] {
  const { tag, channels, bits } = f;
  const width = bits / 8;
  const ok = (tag === PCM && [8, 16, 24, 32].includes(bits)) || (tag === IEEE_FLOAT && (bits === 32 || bits === 64));
  if (!ok) {
    const what = tag === PCM ? 'PCM' : tag === IEEE_FLOAT ? 'float' : `format tag 0x${tag.toString(16)}`;
    throw new Error(`audio.decodeWav: unsupported ${what} with ${bits} bits per sample (supported: PCM 8/16/24/32-bit, float 32/64-bit)`);
  }
  if (channels < 1) throw new Error(`audio.decodeWav: ${channels} channels`);
  if (!(f.rate > 0)) throw new Error(`audio.decodeWav: sample rate ${f.rate}`);
  const frame = width * channels;
  const n = Math.floor(size / frame);
  const out = Array.from({ length: channels }, () => new Float32Array(n));
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < channels; c++) {
      const p = at + i * frame + c * width;
      let v: number;
      if (tag === IEEE_FLOAT) v = bits === 32 ? dv.getFloat32(p, true) : dv.getFloat64(p, true);
      else if (bits === 8) v = (b[p] - 128) / 128; // 8-bit PCM is unsigned
      else if (bits === 16) v = dv.getInt16(p, true) / 32768;
      else if (bits === 24) v = (((b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) << 8) >> 8) / 8388608;
      else v = dv.getInt32(p, true) / 2147483648;
      out[c][i] = v;
    }
  }
  return out;
}

export interface EncodeWavOptions {
  /** 16 (PCM, the default) or 32 (IEEE float). */
  bitDepth?: 16 | 32;
}

/** A WAV file of the given channels (equal lengths): 16-bit PCM (clipped to [−1, 1 − 2⁻¹⁵]) or float32. */
export function encodeWav(channels: Float32Array | Float32Array[], sampleRate: number, options: EncodeWavOptions = {}): Uint8Array {
  const chs = Array.isArray(channels) ? channels : [channels];
  const bitDepth = options.bitDepth ?? 16;
  if (bitDepth !== 16 && bitDepth !== 32) throw new Error(`audio.encodeWav: bitDepth must be 16 or 32, got ${bitDepth}`);
  if (chs.length < 1) throw new Error('audio.encodeWav: no channels');
  const n = chs[0].length;
  if (chs.some((c) => c.length !== n)) throw new Error(`audio.encodeWav: channels differ in length (${chs.map((c) => c.length).join(', ')})`);
  if (!(Number.isInteger(sampleRate) && sampleRate > 0)) throw new Error(`audio.encodeWav: sampleRate must be a positive integer, got ${sampleRate}`);
  const width = bitDepth / 8;
  const dataBytes = n * chs.length * width;
  const out = new Uint8Array(44 + dataBytes);
  const dv = new DataView(out.buffer);
  const put = (at: number, s: string) => { for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i); };
  put(0, 'RIFF');
  dv.setUint32(4, 36 + dataBytes, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  dv.setUint32(16, 16, true);
  dv.setUint16(20, bitDepth === 16 ? PCM : IEEE_FLOAT, true);
  dv.setUint16(22, chs.length, true);
  dv.setUint32(24, sampleRate, true);
  dv.setUint32(28, sampleRate * chs.length * width, true);
  dv.setUint16(32, chs.length * width, true);
  dv.setUint16(34, bitDepth, true);
  put(36, 'data');
  dv.setUint32(40, dataBytes, true);
  let p = 44;
  for (let i = 0; i < n; i++) {
    for (const c of chs) {
      if (bitDepth === 32) dv.setFloat32(p, c[i], true);
      // The decoder's scale (v / 32768), so a round trip is off by at most half a step (one at +1).
      else dv.setInt16(p, Math.max(-32768, Math.min(32767, Math.round(c[i] * 32768))), true);
      p += width;
    }
  }
  return out;
}

/** The average of the channels. */
export function toMono(channels: Float32Array[]): Float32Array {
  if (!channels.length) throw new Error('audio.toMono: no channels');
  const n = channels[0].length;
  if (channels.some((c) => c.length !== n)) throw new Error(`audio.toMono: channels differ in length (${channels.map((c) => c.length).join(', ')})`);
  if (channels.length === 1) return Float32Array.from(channels[0]);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const c of channels) s += c[i];
    out[i] = s / channels.length;
  }
  return out;
}
