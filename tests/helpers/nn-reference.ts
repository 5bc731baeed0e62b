/**
 * Straightforward references for the fe.nn tests, written from PyTorch's documented formulas
 * in PyTorch's own layouts (NCHW data; Conv2d weight [out, in/groups, kh, kw],
 * ConvTranspose2d weight [in, out/groups, kh, kw], Linear weight [out, in]), with converters
 * from ferrite's layouts, so the tests check the semantics and the documented layout mapping.
 */

export type Arr = Float32Array | number[];

// ---- layouts --------------------------------------------------------------------------------

/** NHWC → NCHW. */
export function nhwcToNchw(x: Arr, [n, h, w, c]: number[]): Float32Array {
  const out = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let z = 0; z < w; z++) for (let k = 0; k < c; k++) {
    out[((b * c + k) * h + y) * w + z] = x[((b * h + y) * w + z) * c + k];
  }
  return out;
}

/** NCHW → NHWC. */
export function nchwToNhwc(x: Arr, [n, c, h, w]: number[]): Float32Array {
  const out = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let z = 0; z < w; z++) {
    out[((b * h + y) * w + z) * c + k] = x[((b * c + k) * h + y) * w + z];
  }
  return out;
}

/** A ferrite conv weight [kh, kw, a, b] as PyTorch's [b, a, kh, kw] (Conv2d: a = in/g, b = out). */
export function kerasToTorchConv(wt: Arr, [kh, kw, a, b]: number[]): Float32Array {
  const out = new Float32Array(kh * kw * a * b);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < a; i++) for (let o = 0; o < b; o++) {
    out[((o * a + i) * kh + y) * kw + x] = wt[((y * kw + x) * a + i) * b + o];
  }
  return out;
}

// ---- convolutions ---------------------------------------------------------------------------

export interface ConvGeom {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

/** PyTorch's Conv2d: x [n, c, h, w], weight [o, c/g, kh, kw], bias [o]. */
export function torchConv2d(x: Arr, [n, c, h, w]: number[], wt: Arr, [o, cg, kh, kw]: number[], bias: Arr | null, g: ConvGeom) {
  const [sh, sw] = g.stride, [ph, pw] = g.padding, [dh, dw] = g.dilation;
  const oh = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  const og = o / g.groups;
  const out = new Float32Array(n * o * oh * ow);
  for (let b = 0; b < n; b++) for (let oc = 0; oc < o; oc++) {
    const grp = Math.floor(oc / og);
    for (let y = 0; y < oh; y++) for (let z = 0; z < ow; z++) {
      let s = bias ? bias[oc] : 0;
      for (let ic = 0; ic < cg; ic++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
        const iy = y * sh - ph + ky * dh, ix = z * sw - pw + kx * dw;
        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
        s += x[((b * c + grp * cg + ic) * h + iy) * w + ix] * wt[((oc * cg + ic) * kh + ky) * kw + kx];
      }
      out[((b * o + oc) * oh + y) * ow + z] = s;
    }
  }
  return { out, shape: [n, o, oh, ow] };
}

/** PyTorch's ConvTranspose2d: x [n, c, h, w], weight [c, o/g, kh, kw], bias [o]. */
export function torchConvTranspose2d(
  x: Arr, [n, c, h, w]: number[], wt: Arr, [, og, kh, kw]: number[], bias: Arr | null, g: ConvGeom & { outputPadding: [number, number] },
) {
  const [sh, sw] = g.stride, [ph, pw] = g.padding, [dh, dw] = g.dilation, [oph, opw] = g.outputPadding;
  const oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1;
  const ow = (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1;
  const o = og * g.groups, cg = c / g.groups;
  const out = new Float32Array(n * o * oh * ow);
  for (let b = 0; b < n; b++) for (let oc = 0; oc < o; oc++) for (let y = 0; y < oh; y++) for (let z = 0; z < ow; z++) {
    out[((b * o + oc) * oh + y) * ow + z] = bias ? bias[oc] : 0;
  }
  for (let b = 0; b < n; b++) for (let ic = 0; ic < c; ic++) {
    const grp = Math.floor(ic / cg);
    for (let iy = 0; iy < h; iy++) for (let ix = 0; ix < w; ix++) {
      const v = x[((b * c + ic) * h + iy) * w + ix];
      for (let j = 0; j < og; j++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
        const y = iy * sh - ph + ky * dh, z = ix * sw - pw + kx * dw;
        if (y < 0 || y >= oh || z < 0 || z >= ow) continue;
        const oc = grp * og + j;
        out[((b * o + oc) * oh + y) * ow + z] += v * wt[((ic * og + j) * kh + ky) * kw + kx];
      }
    }
  }
  return { out, shape: [n, o, oh, ow] };
}

// ---- pooling --------------------------------------------------------------------------------

/** PyTorch's output size of one pooled axis (with ceil_mode's last-window rule). */
export function poolOut(size: number, k: number, s: number, p: number, ceil: boolean): number {
  let out = Math.floor((size + 2 * p - k + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

/**
 * PyTorch's max_pool2d / avg_pool2d on x [n, c, h, w], written as its CPU kernels compute it:
 * window [start, start + k) clipped to [−p, size + p) for the average's divisor (count_include_pad)
 * and to [0, size) for the elements.
 */
export function torchPool2d(
  kind: 'max' | 'avg', x: Arr, [n, c, h, w]: number[], k: [number, number], s: [number, number], p: [number, number],
  ceil: boolean, countIncludePad: boolean,
) {
  const oh = poolOut(h, k[0], s[0], p[0], ceil), ow = poolOut(w, k[1], s[1], p[1], ceil);
  const out = new Float32Array(n * c * oh * ow);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < oh; y++) for (let z = 0; z < ow; z++) {
    let hs = y * s[0] - p[0], ws = z * s[1] - p[1];
    let he = Math.min(hs + k[0], h + p[0]), we = Math.min(ws + k[1], w + p[1]);
    const padded = (he - hs) * (we - ws);
    hs = Math.max(hs, 0);
    ws = Math.max(ws, 0);
    he = Math.min(he, h);
    we = Math.min(we, w);
    let acc = kind === 'max' ? -Infinity : 0;
    for (let iy = hs; iy < he; iy++) for (let ix = ws; ix < we; ix++) {
      const v = x[((b * c + ch) * h + iy) * w + ix];
      acc = kind === 'max' ? Math.max(acc, v) : acc + v;
    }
    out[((b * c + ch) * oh + y) * ow + z] = kind === 'max' ? acc : acc / (countIncludePad ? padded : (he - hs) * (we - ws));
  }
  return { out, shape: [n, c, oh, ow] };
}

/** PyTorch's adaptive_{max,avg}_pool2d: windows [⌊i·in/out⌋, ⌈(i+1)·in/out⌉). */
export function torchAdaptivePool2d(kind: 'max' | 'avg', x: Arr, [n, c, h, w]: number[], oh: number, ow: number) {
  const out = new Float32Array(n * c * oh * ow);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < oh; y++) for (let z = 0; z < ow; z++) {
    const hs = Math.floor((y * h) / oh), he = Math.ceil(((y + 1) * h) / oh);
    const ws = Math.floor((z * w) / ow), we = Math.ceil(((z + 1) * w) / ow);
    let acc = kind === 'max' ? -Infinity : 0;
    for (let iy = hs; iy < he; iy++) for (let ix = ws; ix < we; ix++) {
      const v = x[((b * c + ch) * h + iy) * w + ix];
      acc = kind === 'max' ? Math.max(acc, v) : acc + v;
    }
    out[((b * c + ch) * oh + y) * ow + z] = kind === 'max' ? acc : acc / ((he - hs) * (we - ws));
  }
  return { out, shape: [n, c, oh, ow] };
}
