//! Depthwise 2-D convolution on NHWC data with filters [kh, kw, c, m] (TensorFlow's layout):
//! output channel ci·m + q is input channel ci convolved with filter [·, ·, ci, q]. Forward
//! (bias and ReLU fused in), gradient w.r.t. the input and w.r.t. the filter, with strides,
//! dilations and any top/left padding.
//!
//! Channels are the SIMD dimension. Each image is copied once into a zero-padded buffer with
//! every input channel repeated m times (so input and output channels line up, padded to a
//! multiple of 8), and a 4-pixel × 8-channel register tile accumulates over the taps:
//! - forward: 4 consecutive output pixels, summed over the taps;
//! - input gradient, any stride: split by stride phase as in conv3d.rs (the inputs of one
//!   phase are a stride-1 correlation of dy, padded in front, with that phase's taps), then
//!   the m copies of each input channel are summed;
//! - filter gradient: 4 taps × 8 channels, summed over the output pixels.
//!
//! Work is organised by independent output blocks: output rows (forward, input gradient) and
//! filter tiles (filter gradient), each computed by one function over a range. Threads take
//! whole images (forward, input gradient) or groups of images whose filter-gradient sums are
//! added in a fixed order (crate::fixed_groups).

use crate::conv::{each_image, pad_image, store_tile, with_scratch, ConvError, Image, Tile, SCRATCH, WEIGHTS};
use crate::conv3d::{Axis, Phase};
use crate::fixed_groups;
use crate::parallel;
use crate::simd::F32x4;
use std::ops::Range;

/// Number of i32 values describing a `DepthwiseGeom` (the order of its fields).
pub const DEPTHWISE_GEOM_LEN: usize = 15;

const MAX_ELEMENTS: u64 = (u32::MAX / 4) as u64;

/// x [n, h, w, c], filter [kh, kw, c, m], out [n, oh, ow, c·m]; strides (sh, sw), dilations
/// (dh, dw), top/left padding (pt, pl).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepthwiseGeom {
    pub n: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub m: usize,
    pub oh: usize,
    pub ow: usize,
    pub kh: usize,
    pub kw: usize,
    pub sh: usize,
    pub sw: usize,
    pub dh: usize,
    pub dw: usize,
    pub pt: usize,
    pub pl: usize,
}

impl DepthwiseGeom {
    /// Reads [n, h, w, c, m, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl]. None when a value is
    /// negative, a kernel size, stride, dilation or the multiplier is 0, or a buffer would
    /// exceed 4 GiB.
    pub fn from_i32(v: &[i32]) -> Option<Self> {
        if v.len() < DEPTHWISE_GEOM_LEN {
            return None;
        }
        let mut u = [0usize; DEPTHWISE_GEOM_LEN];
        for (d, &s) in u.iter_mut().zip(v) {
            *d = usize::try_from(s).ok()?;
        }
        let g = DepthwiseGeom {
            n: u[0], h: u[1], w: u[2], c: u[3], m: u[4], oh: u[5], ow: u[6], kh: u[7], kw: u[8],
            sh: u[9], sw: u[10], dh: u[11], dw: u[12], pt: u[13], pl: u[14],
        };
        if [g.m, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw].contains(&0) {
            return None;
        }
        let p = |xs: &[u64]| xs.iter().try_fold(1u64, |a, &b| a.checked_mul(b)).filter(|&t| t <= MAX_ELEMENTS);
        let cm8 = (g.c as u64).checked_mul(g.m as u64)?.next_multiple_of(8);
        p(&[g.n as u64, g.h as u64, g.w as u64, cm8])?;
        p(&[g.n as u64, g.oh as u64, g.ow as u64, cm8])?;
        p(&[g.kh as u64, g.kw as u64, cm8])?;
        let span = |o: usize, s: usize, k: usize, d: usize| (o.max(1) as u64 - 1) * s as u64 + (k as u64 - 1) * d as u64 + 1;
        let back = |i: usize, o: usize, k: usize, s: usize, d: usize, pad: usize| {
            ((i as u64 + pad as u64) / s as u64 + 1).max(o as u64) + (k as u64 - 1) * d as u64 / s as u64 + 3
        };
        p(&[span(g.oh, g.sh, g.kh, g.dh), span(g.ow, g.sw, g.kw, g.dw) + 3 * g.sw as u64, cm8])?;
        p(&[back(g.h, g.oh, g.kh, g.sh, g.dh, g.pt), back(g.w, g.ow, g.kw, g.sw, g.dw, g.pl), cm8])?;
        Some(g)
    }

    pub fn x_len(&self) -> usize {
        self.n * self.h * self.w * self.c
    }
    pub fn filter_len(&self) -> usize {
        self.kh * self.kw * self.c * self.m
    }
    pub fn out_len(&self) -> usize {
        self.n * self.oh * self.ow * self.c * self.m
    }
    fn cm(&self) -> usize {
        self.c * self.m
    }
    fn axes(&self) -> [Axis; 2] {
        [
            Axis { i: self.h, o: self.oh, k: self.kh, s: self.sh, dil: self.dh, p: self.pt },
            Axis { i: self.w, o: self.ow, k: self.kw, s: self.sw, dil: self.dw, p: self.pl },
        ]
    }
}

/// dst [hp, wp, cs] = image n of src with each channel repeated m times, moved by (top, left),
/// zeros elsewhere (and in channels c·m..cs).
fn pad_expanded(src: &Image, n: usize, m: usize, top: usize, left: usize, hp: usize, wp: usize, cs: usize, dst: &mut [f32]) {
    if m == 1 {
        pad_image(src, n, top as isize, left as isize, hp, wp, cs, dst);
        return;
    }
    let (h, w, c) = (src.h, src.w, src.c);
    let img = &src.data[n * h * w * c..(n + 1) * h * w * c];
    for (y, row) in dst[..hp * wp * cs].chunks_exact_mut(wp * cs).enumerate() {
        row.fill(0.0);
        let Some(sy) = y.checked_sub(top).filter(|&sy| sy < h) else { continue };
        for x in left..(left + w).min(wp) {
            let s = &img[(sy * w + x - left) * c..(sy * w + x - left + 1) * c];
            let d = &mut row[x * cs..x * cs + c * m];
            for (dd, &v) in d.chunks_exact_mut(m).zip(s) {
                dd.fill(v);
            }
        }
    }
}

/// Σ over `taps` (offset in a, row of w) of 4 pixels (`pix` apart) × 8 channels, elementwise.
///
/// # Safety
/// Reads a + off + r·pix + 0..8 (r < 4) and w + row + 0..8 for every tap: all in bounds.
#[inline(never)]
unsafe fn taps_tile(a: *const f32, pix: usize, taps: &[(usize, usize)], w: *const f32) -> Tile {
    let (mut c00, mut c01, mut c10, mut c11) = (F32x4::zero(), F32x4::zero(), F32x4::zero(), F32x4::zero());
    let (mut c20, mut c21, mut c30, mut c31) = (F32x4::zero(), F32x4::zero(), F32x4::zero(), F32x4::zero());
    unsafe {
        for &(off, row) in taps {
            let w0 = F32x4::load(w.add(row));
            let w1 = F32x4::load(w.add(row + 4));
            let p = a.add(off);
            c00 = F32x4::load(p).madd(w0, c00);
            c01 = F32x4::load(p.add(4)).madd(w1, c01);
            let p = p.add(pix);
            c10 = F32x4::load(p).madd(w0, c10);
            c11 = F32x4::load(p.add(4)).madd(w1, c11);
            let p = p.add(pix);
            c20 = F32x4::load(p).madd(w0, c20);
            c21 = F32x4::load(p.add(4)).madd(w1, c21);
            let p = p.add(pix);
            c30 = F32x4::load(p).madd(w0, c30);
            c31 = F32x4::load(p.add(4)).madd(w1, c31);
        }
    }
    [[c00, c01], [c10, c11], [c20, c21], [c30, c31]]
}

/// The filter as [kh·kw, cm8] rows (channels ci·m + q, zeros past c·m).
fn filter_rows(g: &DepthwiseGeom, filter: &[f32], dst: &mut [f32]) {
    let (cm, cm8) = (g.cm(), g.cm().next_multiple_of(8));
    for (d, s) in dst.chunks_exact_mut(cm8).zip(filter.chunks_exact(cm)) {
        d[..cm].copy_from_slice(s);
        d[cm..].fill(0.0);
    }
}

/// Forward: out = depthwiseConv2d(x, filter) (+ bias[c·m]) (then max(·, 0) when `relu`).
pub fn depthwise_conv2d(
    g: &DepthwiseGeom, x: &[f32], filter: &[f32], bias: Option<&[f32]>, relu: bool, out: &mut [f32],
) -> Result<(), ConvError> {
    let (cm, cm8) = (g.cm(), g.cm().next_multiple_of(8));
    let x = &x[..g.x_len()];
    let filter = &filter[..g.filter_len()];
    let out = &mut out[..g.out_len()];
    let bias = bias.map(|b| &b[..cm]);
    if out.is_empty() {
        return Ok(());
    }
    let [ya, xa] = g.axes();
    let (hp, wp) = (ya.span(), xa.span());
    let img = hp * wp * cm8;
    let slack = 3 * g.sw * cm8;
    let mut taps = Vec::with_capacity(g.kh * g.kw);
    for ky in 0..g.kh {
        for kx in 0..g.kw {
            taps.push(((ky * g.dh * wp + kx * g.dw) * cm8, (ky * g.kw + kx) * cm8));
        }
    }
    let src = Image { data: x, n: g.n, h: g.h, w: g.w, c: g.c };
    let per_out = g.oh * g.ow * cm;
    let work = parallel::madd_ns(g.n * g.oh * g.ow, g.kh * g.kw, cm8);
    with_scratch(&WEIGHTS, g.kh * g.kw * cm8, |wts| {
        filter_rows(g, filter, wts);
        let wts = &*wts;
        // Threads take whole images.
        each_image(out, g.n, per_out, work, |n, out_img| with_scratch(&SCRATCH, img + slack, |pad| {
            pad[img..].fill(0.0);
            pad_expanded(&src, n, g.m, g.pt, g.pl, hp, wp, cm8, &mut pad[..img]);
            forward_rows(g, pad, wp, &taps, wts, bias, relu, 0..g.oh, out_img);
        }))
    })?
}

/// Output rows `rows` of one image from its padded, expanded copy.
fn forward_rows(
    g: &DepthwiseGeom, pad: &[f32], wp: usize, taps: &[(usize, usize)], wts: &[f32], bias: Option<&[f32]>, relu: bool,
    rows: Range<usize>, out_img: &mut [f32],
) {
    let (cm, cm8) = (g.cm(), g.cm().next_multiple_of(8));
    let pix = g.sw * cm8;
    let reach = taps.last().map_or(0, |t| t.0) + 3 * pix + 8;
    for oy in rows {
        let base = oy * g.sh * wp * cm8;
        for c0 in (0..cm).step_by(8) {
            let nc = (cm - c0).min(8);
            let b = bias.map(|b| &b[c0..c0 + nc]);
            for ox0 in (0..g.ow).step_by(4) {
                let nr = (g.ow - ox0).min(4);
                let a = base + ox0 * pix + c0;
                assert!(a + reach <= pad.len() && taps.last().map_or(0, |t| t.1) + c0 + 8 <= wts.len());
                let t = unsafe { taps_tile(pad[a..].as_ptr(), pix, taps, wts[c0..].as_ptr()) };
                store_tile(&t, &mut out_img[(oy * g.ow + ox0) * cm + c0..], cm, nr, nc, b, relu);
            }
        }
    }
}

/// Gradient w.r.t. the input (overwritten, not accumulated).
pub fn depthwise_conv2d_backprop_input(g: &DepthwiseGeom, dy: &[f32], filter: &[f32], dx: &mut [f32]) -> Result<(), ConvError> {
    let (cm, cm8) = (g.cm(), g.cm().next_multiple_of(8));
    let dy = &dy[..g.out_len()];
    let filter = &filter[..g.filter_len()];
    let dx = &mut dx[..g.x_len()];
    if dx.is_empty() {
        return Ok(());
    }
    if g.oh * g.ow == 0 {
        dx.fill(0.0);
        return Ok(());
    }
    let axes = g.axes();
    let (ey, ex) = (axes[0].back_span(), axes[1].back_span() + 3);
    let img = ey * ex * cm8;
    // With m > 1, a row of the expanded gradient [w, c·m] before its m copies are summed.
    let row_buf = if g.m == 1 { 0 } else { g.w * cm };
    let phases: [Vec<Phase>; 2] = axes.map(|a| (0..a.s).map(|r| a.phase(r)).collect());
    let src = Image { data: dy, n: g.n, h: g.oh, w: g.ow, c: cm };
    let work = parallel::madd_ns(g.n * g.oh * g.ow, g.kh * g.kw, cm8);
    with_scratch(&WEIGHTS, g.kh * g.kw * cm8, |wts| {
        filter_rows(g, filter, wts);
        let wts = &*wts;
        // Threads take whole images.
        each_image(dx, g.n, g.h * g.w * g.c, work, |n, dx_img| with_scratch(&SCRATCH, img + row_buf, |buf| {
            let (pad, row) = buf.split_at_mut(img);
            pad_image(&src, n, axes[0].lead() as isize, axes[1].lead() as isize, ey, ex, cm8, pad);
            backprop_input_rows(g, pad, ex, &phases, wts, 0..g.h, row, dx_img);
        }))
    })?
}

/// Rows `rows` of one image's input gradient from its padded dy.
fn backprop_input_rows(
    g: &DepthwiseGeom, pad: &[f32], ex: usize, phases: &[Vec<Phase>; 2], wts: &[f32], rows: Range<usize>,
    row_buf: &mut [f32], dx_img: &mut [f32],
) {
    let (c, cm, cm8) = (g.c, g.cm(), g.cm().next_multiple_of(8));
    let mut taps = Vec::with_capacity(g.kh * g.kw);
    for iy in rows {
        let jy = iy + g.pt;
        let (ry, qy) = (jy % g.sh, jy / g.sh);
        let dst = &mut dx_img[iy * g.w * c..(iy + 1) * g.w * c];
        // The expanded row (m > 1) or dx's row itself.
        let (out, ld): (&mut [f32], usize) = if g.m == 1 { (&mut *dst, c) } else { (&mut *row_buf, cm) };
        for (rx, px) in phases[1].iter().enumerate() {
            taps.clear();
            for &(ky, oy) in &phases[0][ry].taps {
                for &(kx, ox) in &px.taps {
                    taps.push(((oy * ex + ox) * cm8, (ky * g.kw + kx) * cm8));
                }
            }
            if taps.is_empty() {
                for qx in px.q.clone() {
                    let ix = qx * g.sw + rx - g.pl;
                    out[ix * ld..(ix + 1) * ld].fill(0.0);
                }
                continue;
            }
            let reach = taps.iter().map(|t| t.0).max().unwrap_or(0) + 3 * cm8 + 8;
            let base = qy * ex * cm8;
            for c0 in (0..cm).step_by(8) {
                let nc = (cm - c0).min(8);
                for qx0 in px.q.clone().step_by(4) {
                    let nr = (px.q.end - qx0).min(4);
                    let a = base + qx0 * cm8 + c0;
                    assert!(a + reach <= pad.len() && (g.kh * g.kw - 1) * cm8 + c0 + 8 <= wts.len());
                    let t = unsafe { taps_tile(pad[a..].as_ptr(), cm8, &taps, wts[c0..].as_ptr()) };
                    let ix0 = qx0 * g.sw + rx - g.pl;
                    store_tile(&t, &mut out[ix0 * ld + c0..], g.sw * ld, nr, nc, None, false);
                }
            }
        }
        if g.m > 1 {
            for (d, s) in dst.iter_mut().zip(row_buf.chunks_exact(g.m)) {
                *d = s.iter().sum();
            }
        }
    }
}

/// Gradient w.r.t. the filter (overwritten, not accumulated).
pub fn depthwise_conv2d_backprop_filter(g: &DepthwiseGeom, x: &[f32], dy: &[f32], d_filter: &mut [f32]) -> Result<(), ConvError> {
    let (cm, cm8) = (g.cm(), g.cm().next_multiple_of(8));
    let x = &x[..g.x_len()];
    let dy = &dy[..g.out_len()];
    let d_filter = &mut d_filter[..g.filter_len()];
    if d_filter.is_empty() {
        return Ok(());
    }
    let pix = g.oh * g.ow;
    if g.n * pix == 0 {
        d_filter.fill(0.0);
        return Ok(());
    }
    let [ya, xa] = g.axes();
    let (hp, wp) = (ya.span(), xa.span());
    let img = hp * wp * cm8;
    let dy_len = if cm % 8 == 0 { 0 } else { pix * cm8 };
    let acc_len = g.kh * g.kw * cm8;
    let src = Image { data: x, n: g.n, h: g.h, w: g.w, c: g.c };
    // A batch goes in groups of images over the threads (crate::fixed_groups).
    let work = parallel::madd_ns(g.n * pix, g.kh * g.kw, cm8);
    let groups = fixed_groups::groups(g.n, d_filter.len(), work);
    fixed_groups::sum_in_groups(g.n, groups, d_filter, |images, d_filter| with_scratch(&SCRATCH, img + dy_len + acc_len, |buf| {
        let (pad, rest) = buf.split_at_mut(img);
        let (dyp, acc) = rest.split_at_mut(dy_len);
        acc.fill(0.0);
        for n in images {
            pad_expanded(&src, n, g.m, g.pt, g.pl, hp, wp, cm8, pad);
            let dy_img = &dy[n * pix * cm..(n + 1) * pix * cm];
            let b: &[f32] = if dy_len == 0 {
                dy_img
            } else {
                for (d, s) in dyp.chunks_exact_mut(cm8).zip(dy_img.chunks_exact(cm)) {
                    d[..cm].copy_from_slice(s);
                    d[cm..].fill(0.0);
                }
                dyp
            };
            let tiles = g.kh * g.kw.div_ceil(4) * (cm8 / 8);
            filter_tiles(g, pad, wp, b, 0..tiles, acc);
        }
        for (d, s) in d_filter.chunks_exact_mut(cm).zip(acc.chunks_exact(cm8)) {
            d.copy_from_slice(&s[..cm]);
        }
    }))
}

/// Adds one image's share to filter-gradient tiles `tiles` (index (ky·⌈kw/4⌉ + kx/4)·cm8/8
/// + c0/8: up to 4 taps of one kernel row × 8 channels of acc [kh·kw, cm8]).
fn filter_tiles(g: &DepthwiseGeom, pad: &[f32], wp: usize, b: &[f32], tiles: Range<usize>, acc: &mut [f32]) {
    let cm8 = g.cm().next_multiple_of(8);
    let (blocks, groups) = (cm8 / 8, g.kw.div_ceil(4));
    for tile in tiles {
        let (c0, group) = (tile % blocks * 8, tile / blocks);
        let (ky, kx0) = (group / groups, group % groups * 4);
        let nt = (g.kw - kx0).min(4);
        // Taps past the kernel repeat the first one; their sums are dropped.
        let offs: [usize; 4] = std::array::from_fn(|t| (ky * g.dh * wp + (kx0 + if t < nt { t } else { 0 }) * g.dw) * cm8 + c0);
        let far = offs.iter().max().copied().unwrap_or(0) + ((g.oh - 1) * g.sh * wp + (g.ow - 1) * g.sw) * cm8 + 8;
        assert!(far <= pad.len() && (g.oh * g.ow - 1) * cm8 + c0 + 8 <= b.len());
        let t = unsafe { tap_sums(pad.as_ptr(), offs, g.sw * cm8, g.sh * wp * cm8, g.oh, g.ow, b[c0..].as_ptr(), cm8) };
        for (i, s) in t.iter().enumerate().take(nt) {
            let d = &mut acc[(ky * g.kw + kx0 + i) * cm8 + c0..][..8];
            F32x4::from_slice(d).add(s[0]).write_to(&mut d[..4]);
            F32x4::from_slice(&d[4..]).add(s[1]).write_to(&mut d[4..]);
        }
    }
}

/// For 4 taps t: Σ over rows × cols output pixels of a[offs[t] + pixel] ⊙ b[pixel] over 8
/// channels (pixels `pix` apart, rows `row` apart in a; one row of `ldb` per pixel in b).
///
/// # Safety
/// All those reads must be in bounds.
#[inline(never)]
unsafe fn tap_sums(a: *const f32, offs: [usize; 4], pix: usize, row: usize, rows: usize, cols: usize, b: *const f32, ldb: usize) -> Tile {
    let (mut c00, mut c01, mut c10, mut c11) = (F32x4::zero(), F32x4::zero(), F32x4::zero(), F32x4::zero());
    let (mut c20, mut c21, mut c30, mut c31) = (F32x4::zero(), F32x4::zero(), F32x4::zero(), F32x4::zero());
    unsafe {
        let mut b = b;
        for r in 0..rows {
            let start = a.add(r * row);
            let (mut p0, mut p1, mut p2, mut p3) = (start.add(offs[0]), start.add(offs[1]), start.add(offs[2]), start.add(offs[3]));
            for _ in 0..cols {
                let b0 = F32x4::load(b);
                let b1 = F32x4::load(b.add(4));
                c00 = F32x4::load(p0).madd(b0, c00);
                c01 = F32x4::load(p0.add(4)).madd(b1, c01);
                c10 = F32x4::load(p1).madd(b0, c10);
                c11 = F32x4::load(p1.add(4)).madd(b1, c11);
                c20 = F32x4::load(p2).madd(b0, c20);
                c21 = F32x4::load(p2.add(4)).madd(b1, c21);
                c30 = F32x4::load(p3).madd(b0, c30);
                c31 = F32x4::load(p3.add(4)).madd(b1, c31);
                p0 = p0.add(pix);
                p1 = p1.add(pix);
                p2 = p2.add(pix);
                p3 = p3.add(pix);
                b = b.add(ldb);
            }
        }
    }
    [[c00, c01], [c10, c11], [c20, c21], [c30, c31]]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Rng};

    fn geom(n: usize, h: usize, w: usize, c: usize, m: usize, k: (usize, usize), s: (usize, usize), d: (usize, usize), same: bool) -> DepthwiseGeom {
        let out = |size: usize, k: usize, s: usize, d: usize| {
            let ek = (k - 1) * d + 1;
            if same {
                let o = size.div_ceil(s);
                (o, ((o - 1) * s + ek).saturating_sub(size) / 2)
            } else {
                ((size - ek) / s + 1, 0)
            }
        };
        let (oh, pt) = out(h, k.0, s.0, d.0);
        let (ow, pl) = out(w, k.1, s.1, d.1);
        DepthwiseGeom { n, h, w, c, m, oh, ow, kh: k.0, kw: k.1, sh: s.0, sw: s.1, dh: d.0, dw: d.1, pt, pl }
    }

    /// Direct depthwise convolution and its gradients in f64.
    fn naive(g: &DepthwiseGeom, x: &[f32], w: &[f32], dy: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let mut out = vec![0f64; g.out_len()];
        let mut dx = vec![0f64; g.x_len()];
        let mut dw = vec![0f64; g.filter_len()];
        let cm = g.c * g.m;
        for n in 0..g.n {
            for oy in 0..g.oh {
                for ox in 0..g.ow {
                    for ky in 0..g.kh {
                        let iy = (oy * g.sh + ky * g.dh) as isize - g.pt as isize;
                        if iy < 0 || iy >= g.h as isize {
                            continue;
                        }
                        for kx in 0..g.kw {
                            let ix = (ox * g.sw + kx * g.dw) as isize - g.pl as isize;
                            if ix < 0 || ix >= g.w as isize {
                                continue;
                            }
                            for ci in 0..g.c {
                                let xi = ((n * g.h + iy as usize) * g.w + ix as usize) * g.c + ci;
                                for q in 0..g.m {
                                    let wi = (ky * g.kw + kx) * cm + ci * g.m + q;
                                    let oi = ((n * g.oh + oy) * g.ow + ox) * cm + ci * g.m + q;
                                    out[oi] += x[xi] as f64 * w[wi] as f64;
                                    dx[xi] += dy[oi] as f64 * w[wi] as f64;
                                    dw[wi] += dy[oi] as f64 * x[xi] as f64;
                                }
                            }
                        }
                    }
                }
            }
        }
        let f = |v: Vec<f64>| v.into_iter().map(|t| t as f32).collect();
        (f(out), f(dx), f(dw))
    }

    fn check(g: DepthwiseGeom, seed: u64) {
        let mut rng = Rng::new(seed);
        let x = rng.vec(g.x_len(), -1.0, 1.0);
        let w = rng.vec(g.filter_len(), -1.0, 1.0);
        let dy = rng.vec(g.out_len(), -1.0, 1.0);
        let bias = rng.vec(g.c * g.m, -1.0, 1.0);
        let (want, want_dx, want_dw) = naive(&g, &x, &w, &dy);
        let tol = 1e-4 * ((g.kh * g.kw).max(g.n * g.oh * g.ow) as f32).sqrt();
        let mut out = vec![f32::NAN; g.out_len()];
        depthwise_conv2d(&g, &x, &w, None, false, &mut out).unwrap();
        assert_close(&out, &want, tol, tol);
        depthwise_conv2d(&g, &x, &w, Some(&bias), true, &mut out).unwrap();
        let cm = g.c * g.m;
        let want_fused: Vec<f32> = want.iter().enumerate().map(|(i, &v)| (v + bias[i % cm]).max(0.0)).collect();
        assert_close(&out, &want_fused, tol, tol);
        let mut dx = vec![f32::NAN; g.x_len()];
        depthwise_conv2d_backprop_input(&g, &dy, &w, &mut dx).unwrap();
        assert_close(&dx, &want_dx, tol, tol);
        let mut dw = vec![f32::NAN; g.filter_len()];
        depthwise_conv2d_backprop_filter(&g, &x, &dy, &mut dw).unwrap();
        assert_close(&dw, &want_dw, tol, tol);
    }

    #[test]
    fn matches_direct_convolution_on_awkward_shapes() {
        let cases = [
            // n, h, w, c, m, kernel, stride, dilation, same
            geom(1, 5, 7, 3, 1, (3, 3), (1, 1), (1, 1), true),
            geom(2, 9, 6, 5, 2, (3, 2), (2, 2), (1, 1), true),
            geom(1, 9, 9, 8, 1, (3, 3), (2, 1), (1, 1), false),
            geom(3, 7, 8, 1, 1, (2, 3), (1, 3), (1, 1), true),
            geom(1, 11, 10, 3, 3, (3, 3), (1, 1), (2, 3), true),
            geom(2, 11, 12, 4, 4, (3, 2), (2, 3), (2, 2), false), // stride and dilation together
            geom(1, 6, 6, 16, 1, (1, 1), (1, 1), (1, 1), true),
            geom(1, 4, 5, 3, 2, (4, 5), (1, 1), (1, 1), false), // kernel = input
            geom(1, 3, 3, 2, 1, (5, 5), (1, 1), (1, 1), true), // kernel larger than the input
            geom(1, 1, 9, 7, 1, (1, 3), (1, 2), (1, 1), true),
            geom(2, 13, 14, 17, 1, (5, 6), (3, 2), (1, 1), true), // 17 channels, kw > 4
            geom(1, 8, 8, 9, 5, (2, 2), (4, 4), (1, 1), false), // stride > kernel: phases without taps
            geom(7, 6, 5, 5, 2, (3, 3), (1, 1), (1, 1), true), // filter gradient in groups of images
        ];
        for (i, g) in cases.into_iter().enumerate() {
            check(g, 700 + i as u64);
        }
    }

    #[test]
    fn geometry_is_validated() {
        let mut v = [1, 5, 5, 3, 2, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1];
        assert!(DepthwiseGeom::from_i32(&v).is_some());
        v[4] = 0;
        assert!(DepthwiseGeom::from_i32(&v).is_none());
        v[4] = 2;
        v[9] = -1;
        assert!(DepthwiseGeom::from_i32(&v).is_none());
        v[9] = 1 << 30;
        assert!(DepthwiseGeom::from_i32(&v).is_none());
        assert!(DepthwiseGeom::from_i32(&v[..14]).is_none());
    }
}
