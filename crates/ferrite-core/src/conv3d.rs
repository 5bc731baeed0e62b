//! 3-D convolution on NDHWC data with filters in Keras layout [kd, kh, kw, in, out]: forward
//! (with bias and ReLU fused in), gradient w.r.t. the input (which is also the forward pass of
//! a transposed convolution) and w.r.t. the filter, with strides, dilations and any
//! front/top/left padding (back/bottom/right follow from the output size).
//!
//! The scheme of conv.rs, one dimension up: each image is copied once into a zero-padded
//! buffer and 4 consecutive output pixels × 8 output channels accumulate in registers straight
//! from it (no im2col matrix). The taps of one output pixel are a list of contiguous runs of
//! the padded image (`Runs`), so the same micro-kernel serves every case:
//! - forward: a run per (kz, ky) row of the kernel (per tap when the width is dilated);
//! - input gradient, any stride: dx is split by stride phase. Along one axis, input position
//!   i receives dy[o] through tap k when o·s + k·dil = i + p; writing i + p = q·s + r, the
//!   taps with k·dil ≡ r (mod s) reach o = q − ⌊k·dil / s⌋. So the inputs of phase r are a
//!   stride-1 correlation over q of dy (padded in front by ⌊(K − 1)·dil / s⌋) with that
//!   phase's taps, flipped: a direct convolution per phase, written to every s-th input;
//! - filter gradient: conv.rs' 4-channel × 8-output tile summed over output pixels.
//!
//! Work is organised by independent output blocks: rows of the output (forward, input
//! gradient) or tiles of the filter gradient, each computed by one function over a range.
//! Threads take whole volumes (forward, input gradient) or groups of volumes whose
//! filter-gradient sums are added in a fixed order (crate::fixed_groups).

use crate::conv::{
    each_image, filter_tile, pad_image, panels, store_tile, with_scratch, ConvError, Image, Tile, SCRATCH, WEIGHTS,
};
use crate::gemm::sgemm;
use crate::fixed_groups;
use crate::parallel;
use crate::simd::F32x4;
use std::ops::Range;

/// Number of i32 values describing a `Conv3dGeom` (the order of its fields).
pub const CONV3D_GEOM_LEN: usize = 21;

/// Largest element count of any buffer: byte offsets must fit a u32.
const MAX_ELEMENTS: u64 = (u32::MAX / 4) as u64;

/// The shape of one 3-D convolution: x [n, d, h, w, c], filter [kd, kh, kw, c, f],
/// out [n, od, oh, ow, f]; strides (sd, sh, sw), dilations (dd, dh, dw), front/top/left
/// padding (pf, pt, pl).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv3dGeom {
    pub n: usize,
    pub d: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub od: usize,
    pub oh: usize,
    pub ow: usize,
    pub f: usize,
    pub kd: usize,
    pub kh: usize,
    pub kw: usize,
    pub sd: usize,
    pub sh: usize,
    pub sw: usize,
    pub dd: usize,
    pub dh: usize,
    pub dw: usize,
    pub pf: usize,
    pub pt: usize,
    pub pl: usize,
}

/// One spatial axis of a convolution: input size, output size, kernel size, stride,
/// dilation and leading padding.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Axis {
    pub i: usize,
    pub o: usize,
    pub k: usize,
    pub s: usize,
    pub dil: usize,
    pub p: usize,
}

/// The taps of one stride phase along one axis: (kernel index, offset in dy padded by
/// `lead()`), offsets ascending; and the range of q (input i = q·s + r − p) of the phase.
pub(crate) struct Phase {
    pub taps: Vec<(usize, usize)>,
    pub q: Range<usize>,
}

impl Axis {
    /// Extent of the padded input the forward kernels read.
    pub fn span(&self) -> usize {
        (self.o.max(1) - 1) * self.s + (self.k - 1) * self.dil + 1
    }
    /// Zeros in front of dy in the transposed direction: ⌊(k − 1)·dil / s⌋.
    pub fn lead(&self) -> usize {
        (self.k - 1) * self.dil / self.s
    }
    /// Extent of dy padded for the transposed direction (every q of every phase, all taps).
    pub fn back_span(&self) -> usize {
        let q_end = if self.i == 0 { 0 } else { (self.i - 1 + self.p) / self.s + 1 };
        q_end.max(self.o) + self.lead()
    }
    /// Stride phase r < s in the transposed direction.
    pub fn phase(&self, r: usize) -> Phase {
        let lead = self.lead();
        let mut taps: Vec<(usize, usize)> =
            (0..self.k).filter(|&k| (k * self.dil) % self.s == r).map(|k| (k, lead - k * self.dil / self.s)).collect();
        taps.reverse();
        let lo = self.p.saturating_sub(r).div_ceil(self.s);
        let top = self.i + self.p; // one past the last i + p
        let hi = if top > r { (top - 1 - r) / self.s + 1 } else { 0 };
        Phase { taps, q: lo..hi.max(lo) }
    }
}

impl Conv3dGeom {
    /// Reads [n, d, h, w, c, od, oh, ow, f, kd, kh, kw, sd, sh, sw, dd, dh, dw, pf, pt, pl].
    /// None when a value is negative, a kernel size, stride or dilation is 0, or a buffer
    /// would exceed 4 GiB.
    pub fn from_i32(v: &[i32]) -> Option<Self> {
        if v.len() < CONV3D_GEOM_LEN {
            return None;
        }
        let mut u = [0usize; CONV3D_GEOM_LEN];
        for (d, &s) in u.iter_mut().zip(v) {
            *d = usize::try_from(s).ok()?;
        }
        let g = Conv3dGeom {
            n: u[0], d: u[1], h: u[2], w: u[3], c: u[4], od: u[5], oh: u[6], ow: u[7], f: u[8],
            kd: u[9], kh: u[10], kw: u[11], sd: u[12], sh: u[13], sw: u[14], dd: u[15], dh: u[16], dw: u[17],
            pf: u[18], pt: u[19], pl: u[20],
        };
        if [g.kd, g.kh, g.kw, g.sd, g.sh, g.sw, g.dd, g.dh, g.dw].contains(&0) {
            return None;
        }
        let p = |xs: &[usize]| xs.iter().try_fold(1u64, |a, &b| a.checked_mul(b as u64)).filter(|&t| t <= MAX_ELEMENTS);
        p(&[g.n, g.d, g.h, g.w, g.c])?;
        p(&[g.n, g.od, g.oh, g.ow, g.f])?;
        p(&[g.kd, g.kh, g.kw, g.c.next_multiple_of(8), g.f.next_multiple_of(8)])?;
        // Spans of the padded buffers (computed in u64 so huge strides cannot overflow).
        let span = |a: &Axis| -> Option<usize> {
            let v = (a.o.max(1) as u64 - 1) * a.s as u64 + (a.k as u64 - 1) * a.dil as u64 + 1;
            (v <= MAX_ELEMENTS).then_some(v as usize)
        };
        let back = |a: &Axis| -> Option<usize> {
            let v = ((a.i as u64 + a.p as u64) / a.s as u64 + 1).max(a.o as u64) + (a.k as u64 - 1) * a.dil as u64 / a.s as u64 + 3;
            (v <= MAX_ELEMENTS).then_some(v as usize)
        };
        let [z, y, x] = g.axes();
        p(&[span(&z)?, span(&y)?, span(&x)? + 3 * g.sw, g.c.next_multiple_of(4)])?;
        p(&[back(&z)?, back(&y)?, back(&x)?, g.f])?;
        Some(g)
    }

    pub fn x_len(&self) -> usize {
        self.n * self.d * self.h * self.w * self.c
    }
    pub fn filter_len(&self) -> usize {
        self.kd * self.kh * self.kw * self.c * self.f
    }
    pub fn out_len(&self) -> usize {
        self.n * self.od * self.oh * self.ow * self.f
    }
    fn taps(&self) -> usize {
        self.kd * self.kh * self.kw
    }
    /// The depth, height and width axes.
    pub(crate) fn axes(&self) -> [Axis; 3] {
        [
            Axis { i: self.d, o: self.od, k: self.kd, s: self.sd, dil: self.dd, p: self.pf },
            Axis { i: self.h, o: self.oh, k: self.kh, s: self.sh, dil: self.dh, p: self.pt },
            Axis { i: self.w, o: self.ow, k: self.kw, s: self.sw, dil: self.dw, p: self.pl },
        ]
    }
    /// x itself is the col matrix.
    fn pointwise(&self) -> bool {
        self.taps() == 1 && self.sd == 1 && self.sh == 1 && self.sw == 1 && self.pf == 0 && self.pt == 0 && self.pl == 0
            && self.od == self.d && self.oh == self.h && self.ow == self.w
    }
}

/// Contiguous runs (offset, length) of a padded image that one output pixel reads, in the
/// order the filter panel lists its rows.
pub(crate) struct Runs(pub Vec<(usize, usize)>);

impl Runs {
    /// Appends a run, merging it into the last one when they are contiguous.
    pub fn push(&mut self, off: usize, len: usize) {
        if let Some(last) = self.0.last_mut() {
            if last.0 + last.1 == off {
                last.1 += len;
                return;
            }
        }
        self.0.push((off, len));
    }
}

/// Σ over `runs` of 4 output pixels (`pix` apart) of pixel values × 8 columns of b.
///
/// # Safety
/// Every read a + off + r·pix + j (r < 4, j < len) of every run, and 8 values of b per value
/// read (one row of the panel each, in order), must be in bounds.
#[inline(never)]
pub(crate) unsafe fn runs_tile(a: *const f32, pix: usize, runs: &[(usize, usize)], b: *const f32) -> Tile {
    let (mut c00, mut c01, mut c10, mut c11) = (F32x4::zero(), F32x4::zero(), F32x4::zero(), F32x4::zero());
    let (mut c20, mut c21, mut c30, mut c31) = (F32x4::zero(), F32x4::zero(), F32x4::zero(), F32x4::zero());
    unsafe {
        let mut b = b;
        for &(off, len) in runs {
            let mut p0 = a.add(off);
            let (mut p1, mut p2, mut p3) = (p0.add(pix), p0.add(2 * pix), p0.add(3 * pix));
            let end = p0.add(len);
            // One value per iteration, not unrolled (unrolled bodies spill in V8).
            while p0 != end {
                let b0 = F32x4::load(b);
                let b1 = F32x4::load(b.add(4));
                let a0 = F32x4::splat(*p0);
                c00 = a0.madd(b0, c00);
                c01 = a0.madd(b1, c01);
                let a1 = F32x4::splat(*p1);
                c10 = a1.madd(b0, c10);
                c11 = a1.madd(b1, c11);
                let a2 = F32x4::splat(*p2);
                c20 = a2.madd(b0, c20);
                c21 = a2.madd(b1, c21);
                let a3 = F32x4::splat(*p3);
                c30 = a3.madd(b0, c30);
                c31 = a3.madd(b1, c31);
                p0 = p0.add(1);
                p1 = p1.add(1);
                p2 = p2.add(1);
                p3 = p3.add(1);
                b = b.add(8);
            }
        }
    }
    [[c00, c01], [c10, c11], [c20, c21], [c30, c31]]
}

/// dst [dp, hp, wp, cs] = image n of x [n, d, h, w, c] moved by (front, top, left), zeros
/// elsewhere (and in channels c..cs).
fn pad_volume(x: &[f32], dims: [usize; 4], n: usize, lead: [usize; 3], ext: [usize; 3], cs: usize, dst: &mut [f32]) {
    let [d, h, w, c] = dims;
    let [dp, hp, wp] = ext;
    let planes = Image { data: x, n: x.len() / (h * w * c).max(1), h, w, c };
    for (z, plane) in dst[..dp * hp * wp * cs].chunks_exact_mut(hp * wp * cs).enumerate() {
        let sz = z as isize - lead[0] as isize;
        if sz < 0 || sz >= d as isize || h * w * c == 0 {
            plane.fill(0.0);
        } else {
            pad_image(&planes, n * d + sz as usize, lead[1] as isize, lead[2] as isize, hp, wp, cs, plane);
        }
    }
}

/// Forward: out = conv3d(x, filter) (+ bias[f]) (then max(·, 0) when `relu`).
pub fn conv3d(
    g: &Conv3dGeom, x: &[f32], filter: &[f32], bias: Option<&[f32]>, relu: bool, out: &mut [f32],
) -> Result<(), ConvError> {
    let (c, f) = (g.c, g.f);
    let k = g.taps() * c;
    let x = &x[..g.x_len()];
    let filter = &filter[..g.filter_len()];
    let out = &mut out[..g.out_len()];
    let bias = bias.map(|b| &b[..f]);
    if out.is_empty() {
        return Ok(());
    }
    if k == 0 {
        out.fill(0.0);
        crate::conv::bias_relu(out, bias, relu, f);
        return Ok(());
    }
    if g.pointwise() {
        sgemm(g.n * g.d * g.h * g.w, f, c, 1.0, x, false, filter, false, 0.0, out);
        crate::conv::bias_relu(out, bias, relu, f);
        return Ok(());
    }
    let [z, y, xa] = g.axes();
    let ext = [z.span(), y.span(), xa.span()];
    let img = ext[0] * ext[1] * ext[2] * c;
    // A partial tile at the end of a row reads up to 3 pixels past its last real one.
    let slack = 3 * g.sw * c;
    let mut runs = Runs(Vec::new());
    for kz in 0..g.kd {
        for ky in 0..g.kh {
            for kx in 0..g.kw {
                runs.push(((kz * g.dd * ext[1] + ky * g.dh) * ext[2] + kx * g.dw) * c, c);
            }
        }
    }
    let per_out = g.od * g.oh * g.ow * f;
    let work = parallel::madd_ns(g.n * g.od * g.oh * g.ow, k, f.next_multiple_of(8));
    with_scratch(&WEIGHTS, k * f.next_multiple_of(8), |wp| {
        panels(wp, k, f, |kk, j| filter[kk * f + j]);
        let wp = &*wp;
        // Threads take whole volumes.
        each_image(out, g.n, per_out, work, |n, out_img| with_scratch(&SCRATCH, img + slack, |pad| {
            pad[img..].fill(0.0);
            pad_volume(x, [g.d, g.h, g.w, c], n, [g.pf, g.pt, g.pl], ext, c, &mut pad[..img]);
            forward_rows(g, pad, ext, &runs.0, wp, bias, relu, 0..g.od * g.oh, out_img);
        }))
    })?
}

/// Output rows `rows` (index oz·oh + oy) of one image from its padded copy `pad`.
fn forward_rows(
    g: &Conv3dGeom, pad: &[f32], ext: [usize; 3], runs: &[(usize, usize)], panels: &[f32], bias: Option<&[f32]>,
    relu: bool, rows: Range<usize>, out_img: &mut [f32],
) {
    let (c, f) = (g.c, g.f);
    let k = g.taps() * c;
    for f0 in (0..f).step_by(8) {
        let nc = (f - f0).min(8);
        let b = bias.map(|b| &b[f0..f0 + nc]);
        for row in rows.clone() {
            let (oz, oy) = (row / g.oh, row % g.oh);
            let base = ((oz * g.sd * ext[1] + oy * g.sh) * ext[2]) * c;
            for ox0 in (0..g.ow).step_by(4) {
                let nr = (g.ow - ox0).min(4);
                let a = base + ox0 * g.sw * c;
                // Reads the runs of pixels a + r·sw·c (inside pad, slack included) and the
                // panel of channels f0..f0+8.
                assert!(a + runs.last().map_or(0, |r| r.0 + r.1) + 3 * g.sw * c <= pad.len());
                let t = unsafe { runs_tile(pad[a..].as_ptr(), g.sw * c, runs, panels[f0 * k..].as_ptr()) };
                store_tile(&t, &mut out_img[(row * g.ow + ox0) * f + f0..], f, nr, nc, b, relu);
            }
        }
    }
}

/// One stride phase (rz, ry, rx) of the input gradient: its runs over dy padded, where its
/// panel starts in the weights buffer, and the q ranges of its outputs.
struct PhasePlan {
    runs: Vec<(usize, usize)>,
    panel: usize,
    empty: bool,
}

/// Gradient w.r.t. the input (overwritten, not accumulated): for each stride phase, a direct
/// convolution of dy with that phase's flipped, transposed taps (see the module comment).
pub fn conv3d_backprop_input(g: &Conv3dGeom, dy: &[f32], filter: &[f32], dx: &mut [f32]) -> Result<(), ConvError> {
    let (c, f) = (g.c, g.f);
    let dy = &dy[..g.out_len()];
    let filter = &filter[..g.filter_len()];
    let dx = &mut dx[..g.x_len()];
    if dx.is_empty() {
        return Ok(());
    }
    if g.pointwise() && f > 0 {
        sgemm(g.n * g.d * g.h * g.w, c, f, 1.0, dy, false, filter, true, 0.0, dx);
        return Ok(());
    }
    if g.od * g.oh * g.ow == 0 || f == 0 {
        dx.fill(0.0);
        return Ok(());
    }
    let axes = g.axes();
    let [za, ya, xa] = axes;
    // dy padded in front by each axis' lead, with 3 pixels of slack after each row.
    let ext = [za.back_span(), ya.back_span(), xa.back_span() + 3];
    let img = ext[0] * ext[1] * ext[2] * f;
    let phases: [Vec<Phase>; 3] = axes.map(|a| (0..a.s).map(|r| a.phase(r)).collect());
    let c8 = c.next_multiple_of(8);
    let mut plans = Vec::with_capacity(g.sd * g.sh * g.sw);
    let mut at = 0;
    for pz in &phases[0] {
        for py in &phases[1] {
            for px in &phases[2] {
                let mut runs = Runs(Vec::new());
                for &(_, oz) in &pz.taps {
                    for &(_, oy) in &py.taps {
                        for &(_, ox) in &px.taps {
                            runs.push(((oz * ext[1] + oy) * ext[2] + ox) * f, f);
                        }
                    }
                }
                let ntaps = pz.taps.len() * py.taps.len() * px.taps.len();
                plans.push(PhasePlan { runs: runs.0, panel: at, empty: ntaps == 0 });
                at += ntaps * f * c8;
            }
        }
    }
    with_scratch(&WEIGHTS, at, |wts| {
        // Panel of each phase: rows (tap, fo) in walk order, columns ci.
        let mut i = 0;
        for pz in &phases[0] {
            for py in &phases[1] {
                for px in &phases[2] {
                    let (ty, tx) = (py.taps.len(), px.taps.len());
                    let rows = pz.taps.len() * ty * tx * f;
                    let plan = &plans[i];
                    i += 1;
                    if rows == 0 {
                        continue;
                    }
                    panels(&mut wts[plan.panel..plan.panel + rows * c8], rows, c, |kk, ci| {
                        let (t, fo) = (kk / f, kk % f);
                        let (kz, ky, kx) = (pz.taps[t / (ty * tx)].0, py.taps[(t / tx) % ty].0, px.taps[t % tx].0);
                        filter[((((kz * g.kh + ky) * g.kw + kx) * c) + ci) * f + fo]
                    });
                }
            }
        }
        let wts = &*wts;
        let leads = axes.map(|a| a.lead());
        let work = parallel::madd_ns(g.n * g.od * g.oh * g.ow, g.taps() * f, c8);
        // Threads take whole volumes.
        each_image(dx, g.n, g.d * g.h * g.w * c, work, |n, dx_img| with_scratch(&SCRATCH, img, |pad| {
            pad_volume(dy, [g.od, g.oh, g.ow, f], n, leads, ext, f, pad);
            backprop_input_rows(g, pad, ext, &phases, &plans, wts, 0..g.d * g.h, dx_img);
        }))
    })?
}

/// Rows `rows` (index iz·h + iy) of one image's input gradient from its padded dy.
fn backprop_input_rows(
    g: &Conv3dGeom, pad: &[f32], ext: [usize; 3], phases: &[Vec<Phase>; 3], plans: &[PhasePlan], wts: &[f32],
    rows: Range<usize>, dx_img: &mut [f32],
) {
    let (c, f) = (g.c, g.f);
    let c8 = c.next_multiple_of(8);
    let row_len = g.w * c;
    for row in rows {
        let (iz, iy) = (row / g.h, row % g.h);
        let (jz, jy) = (iz + g.pf, iy + g.pt);
        let (rz, qz, ry, qy) = (jz % g.sd, jz / g.sd, jy % g.sh, jy / g.sh);
        let dst = &mut dx_img[row * row_len..(row + 1) * row_len];
        for rx in 0..g.sw {
            let plan = &plans[(rz * g.sh + ry) * g.sw + rx];
            let q = phases[2][rx].q.clone();
            if plan.empty {
                for qx in q {
                    let ix = qx * g.sw + rx - g.pl;
                    dst[ix * c..(ix + 1) * c].fill(0.0);
                }
                continue;
            }
            let k = plan.runs.iter().map(|r| r.1).sum::<usize>();
            let base = (qz * ext[1] + qy) * ext[2] * f;
            for c0 in (0..c).step_by(8) {
                let nc = (c - c0).min(8);
                let panel = &wts[plan.panel + c0 / 8 * k * 8..];
                for qx0 in q.clone().step_by(4) {
                    let nr = (q.end - qx0).min(4);
                    let a = base + qx0 * f;
                    assert!(a + plan.runs.last().map_or(0, |r| r.0 + r.1) + 3 * f <= pad.len() && panel.len() >= k * 8);
                    let t = unsafe { runs_tile(pad[a..].as_ptr(), f, &plan.runs, panel.as_ptr()) };
                    let ix0 = qx0 * g.sw + rx - g.pl;
                    store_tile(&t, &mut dst[ix0 * c + c0..], g.sw * c, nr, nc, None, false);
                }
            }
            debug_assert!(c8 >= c);
        }
    }
}

/// Gradient w.r.t. the filter: d_filter = Σ over pixels of x-taps ⊗ dy (overwritten).
pub fn conv3d_backprop_filter(g: &Conv3dGeom, x: &[f32], dy: &[f32], d_filter: &mut [f32]) -> Result<(), ConvError> {
    let (c, f) = (g.c, g.f);
    let x = &x[..g.x_len()];
    let dy = &dy[..g.out_len()];
    let d_filter = &mut d_filter[..g.filter_len()];
    if d_filter.is_empty() {
        return Ok(());
    }
    let pix = g.od * g.oh * g.ow;
    if g.n * pix == 0 {
        d_filter.fill(0.0);
        return Ok(());
    }
    if g.pointwise() {
        sgemm(c, f, g.n * pix, 1.0, x, true, dy, false, 0.0, d_filter);
        return Ok(());
    }
    // Per image: the padded input with channels padded to 4 (the kernel reads 4), dy with
    // columns padded to 8 when needed, and the sum over images in `acc`. A batch goes in
    // groups of images over the threads (crate::fixed_groups).
    let (c4, f8) = (c.next_multiple_of(4), f.next_multiple_of(8));
    let [z, y, xa] = g.axes();
    let ext = [z.span(), y.span(), xa.span()];
    let img = ext[0] * ext[1] * ext[2] * c4;
    let dy_len = if f % 8 == 0 { 0 } else { pix * f8 };
    let acc_len = g.taps() * c4 * f8;
    let work = parallel::madd_ns(g.n * pix, g.taps() * c4, f8);
    let groups = fixed_groups::groups(g.n, d_filter.len(), work);
    fixed_groups::sum_in_groups(g.n, groups, d_filter, |images, d_filter| with_scratch(&SCRATCH, img + dy_len + acc_len, |buf| {
        let (pad, rest) = buf.split_at_mut(img);
        let (dyp, acc) = rest.split_at_mut(dy_len);
        acc.fill(0.0);
        for n in images {
            pad_volume(x, [g.d, g.h, g.w, c], n, [g.pf, g.pt, g.pl], ext, c4, pad);
            let dy_img = &dy[n * pix * f..(n + 1) * pix * f];
            let (b, ldb): (&[f32], usize) = if dy_len == 0 {
                (dy_img, f)
            } else {
                for (d, s) in dyp.chunks_exact_mut(f8).zip(dy_img.chunks_exact(f)) {
                    d[..f].copy_from_slice(s);
                    d[f..].fill(0.0);
                }
                (dyp, f8)
            };
            filter_tiles(g, pad, ext, b, ldb, 0..g.taps() * (c4 / 4), acc);
        }
        for (t, d) in d_filter.chunks_exact_mut(c * f).enumerate() {
            for (ch, dd) in d.chunks_exact_mut(f).enumerate() {
                dd.copy_from_slice(&acc[(t * c4 + ch) * f8..(t * c4 + ch) * f8 + f]);
            }
        }
    }))
}

/// Adds one image's share to the filter-gradient tiles `tiles` (index tap·c4/4 + c0/4, each
/// 4 input channels × all output channels of acc [taps, c4, f8]).
fn filter_tiles(g: &Conv3dGeom, pad: &[f32], ext: [usize; 3], b: &[f32], ldb: usize, tiles: Range<usize>, acc: &mut [f32]) {
    let (c4, f8) = (g.c.next_multiple_of(4), g.f.next_multiple_of(8));
    let (plane, row) = (ext[1] * ext[2] * c4, ext[2] * c4);
    let per_oz = g.oh * g.ow * ldb;
    for tile in tiles {
        let (tap, c0) = (tile / (c4 / 4), tile % (c4 / 4) * 4);
        let (kz, ky, kx) = (tap / (g.kh * g.kw), (tap / g.kw) % g.kh, tap % g.kw);
        for f0 in (0..g.f).step_by(8) {
            let mut sum: Tile = [[F32x4::zero(); 2]; 4];
            for oz in 0..g.od {
                let a = (oz * g.sd + kz * g.dd) * plane + ky * g.dh * row + kx * g.dw * c4 + c0;
                // Reads pixels (oy·sh + ky·dh, ox·sw + kx·dw) of plane oz·sd + kz·dd, channels
                // c0..c0+4, and columns f0..f0+8 of dy's rows for oz: all inside.
                assert!(a + (g.oh - 1) * g.sh * row + (g.ow - 1) * g.sw * c4 + 4 <= pad.len());
                assert!(oz * per_oz + (g.oh * g.ow - 1) * ldb + f0 + 8 <= b.len());
                let t = unsafe {
                    filter_tile(pad[a..].as_ptr(), g.sw * c4, g.sh * row, g.oh, g.ow, b[oz * per_oz + f0..].as_ptr(), ldb)
                };
                for (s, v) in sum.iter_mut().zip(t) {
                    s[0] = s[0].add(v[0]);
                    s[1] = s[1].add(v[1]);
                }
            }
            let at = (tap * c4 + c0) * f8 + f0;
            for (r, s) in sum.iter().enumerate() {
                let d = &mut acc[at + r * f8..at + r * f8 + 8];
                F32x4::from_slice(d).add(s[0]).write_to(&mut d[..4]);
                F32x4::from_slice(&d[4..]).add(s[1]).write_to(&mut d[4..]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Rng};

    /// TensorFlow's 'same' / 'valid' output size and leading padding of one axis.
    fn out(size: usize, k: usize, s: usize, d: usize, same: bool) -> (usize, usize) {
        let ek = (k - 1) * d + 1;
        if same {
            let o = size.div_ceil(s);
            (o, ((o - 1) * s + ek).saturating_sub(size) / 2)
        } else {
            ((size - ek) / s + 1, 0)
        }
    }

    fn geom(n: usize, dhw: [usize; 3], c: usize, f: usize, k: [usize; 3], s: [usize; 3], dil: [usize; 3], same: bool) -> Conv3dGeom {
        let (od, pf) = out(dhw[0], k[0], s[0], dil[0], same);
        let (oh, pt) = out(dhw[1], k[1], s[1], dil[1], same);
        let (ow, pl) = out(dhw[2], k[2], s[2], dil[2], same);
        Conv3dGeom {
            n, d: dhw[0], h: dhw[1], w: dhw[2], c, od, oh, ow, f, kd: k[0], kh: k[1], kw: k[2],
            sd: s[0], sh: s[1], sw: s[2], dd: dil[0], dh: dil[1], dw: dil[2], pf, pt, pl,
        }
    }

    fn src(o: usize, t: usize, s: usize, d: usize, p: usize, size: usize) -> Option<usize> {
        let i = (o * s + t * d) as isize - p as isize;
        (i >= 0 && i < size as isize).then_some(i as usize)
    }

    /// Direct convolution and its two gradients in f64.
    fn naive(g: &Conv3dGeom, x: &[f32], w: &[f32], dy: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let mut out = vec![0f64; g.out_len()];
        let mut dx = vec![0f64; g.x_len()];
        let mut dw = vec![0f64; g.filter_len()];
        for n in 0..g.n {
            for oz in 0..g.od {
                for oy in 0..g.oh {
                    for ox in 0..g.ow {
                        for kz in 0..g.kd {
                            let Some(iz) = src(oz, kz, g.sd, g.dd, g.pf, g.d) else { continue };
                            for ky in 0..g.kh {
                                let Some(iy) = src(oy, ky, g.sh, g.dh, g.pt, g.h) else { continue };
                                for kx in 0..g.kw {
                                    let Some(ix) = src(ox, kx, g.sw, g.dw, g.pl, g.w) else { continue };
                                    for ci in 0..g.c {
                                        let xi = (((n * g.d + iz) * g.h + iy) * g.w + ix) * g.c + ci;
                                        for fo in 0..g.f {
                                            let wi = ((((kz * g.kh + ky) * g.kw + kx) * g.c) + ci) * g.f + fo;
                                            let oi = (((n * g.od + oz) * g.oh + oy) * g.ow + ox) * g.f + fo;
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
            }
        }
        let f = |v: Vec<f64>| v.into_iter().map(|t| t as f32).collect();
        (f(out), f(dx), f(dw))
    }

    fn check(g: Conv3dGeom, seed: u64) {
        let mut rng = Rng::new(seed);
        let x = rng.vec(g.x_len(), -1.0, 1.0);
        let w = rng.vec(g.filter_len(), -1.0, 1.0);
        let dy = rng.vec(g.out_len(), -1.0, 1.0);
        let bias = rng.vec(g.f, -1.0, 1.0);
        let (want, want_dx, want_dw) = naive(&g, &x, &w, &dy);
        let tol = 1e-4 * ((g.taps() * g.c).max(g.n * g.od * g.oh * g.ow) as f32).sqrt();

        let mut out = vec![f32::NAN; g.out_len()];
        conv3d(&g, &x, &w, None, false, &mut out).unwrap();
        assert_close(&out, &want, tol, tol);

        let mut fused = vec![f32::NAN; g.out_len()];
        conv3d(&g, &x, &w, Some(&bias), true, &mut fused).unwrap();
        let want_fused: Vec<f32> = want.iter().enumerate().map(|(i, &v)| (v + bias[i % g.f]).max(0.0)).collect();
        assert_close(&fused, &want_fused, tol, tol);

        let mut dx = vec![f32::NAN; g.x_len()];
        conv3d_backprop_input(&g, &dy, &w, &mut dx).unwrap();
        assert_close(&dx, &want_dx, tol, tol);

        let mut dw = vec![f32::NAN; g.filter_len()];
        conv3d_backprop_filter(&g, &x, &dy, &mut dw).unwrap();
        assert_close(&dw, &want_dw, tol, tol);
    }

    #[test]
    fn matches_direct_convolution_on_awkward_shapes() {
        let cases = [
            // n, [d, h, w], c, f, kernel, stride, dilation, same
            geom(1, [3, 4, 5], 2, 3, [2, 2, 2], [1, 1, 1], [1, 1, 1], false),
            geom(2, [5, 6, 7], 3, 5, [3, 3, 3], [1, 1, 1], [1, 1, 1], true),
            geom(1, [7, 5, 9], 5, 9, [3, 2, 3], [2, 2, 2], [1, 1, 1], true),
            geom(2, [6, 7, 5], 1, 1, [2, 3, 2], [3, 1, 2], [1, 1, 1], true),
            geom(1, [9, 8, 10], 3, 4, [3, 3, 2], [1, 1, 1], [2, 2, 3], true),
            geom(1, [8, 9, 7], 4, 6, [2, 2, 2], [2, 3, 2], [2, 1, 3], false),
            geom(1, [4, 5, 6], 6, 3, [1, 1, 1], [1, 1, 1], [1, 1, 1], true), // pointwise
            geom(2, [5, 7, 5], 3, 9, [1, 1, 1], [2, 2, 2], [1, 1, 1], false), // strided 1×1×1
            geom(1, [3, 4, 5], 3, 2, [3, 4, 5], [1, 1, 1], [1, 1, 1], false), // kernel = input
            geom(1, [2, 3, 3], 2, 2, [4, 5, 5], [1, 1, 1], [1, 1, 1], true), // kernel larger than the input
            geom(1, [1, 1, 9], 3, 4, [1, 1, 3], [1, 1, 2], [1, 1, 1], true), // conv1d as a volume
            geom(1, [1, 9, 9], 8, 16, [1, 3, 3], [1, 2, 2], [1, 1, 1], true), // conv2d with stride 2
            geom(1, [6, 7, 7], 8, 8, [2, 4, 4], [4, 3, 2], [1, 1, 1], true), // stride > kernel size in depth
            geom(5, [3, 4, 5], 3, 5, [2, 2, 2], [1, 1, 1], [1, 1, 1], true), // filter gradient in groups of images
            geom(1, [5, 5, 5], 2, 3, [2, 2, 2], [5, 5, 5], [1, 1, 1], false), // phases without taps
        ];
        for (i, g) in cases.into_iter().enumerate() {
            check(g, 500 + i as u64);
        }
    }

    #[test]
    fn explicit_padding_and_empty_shapes() {
        // Asymmetric explicit padding: front 1, top 2, left 0.
        let g = Conv3dGeom {
            n: 2, d: 4, h: 5, w: 6, c: 3, od: 5, oh: 6, ow: 4, f: 2, kd: 2, kh: 3, kw: 3,
            sd: 1, sh: 1, sw: 1, dd: 1, dh: 1, dw: 1, pf: 1, pt: 2, pl: 0,
        };
        check(g, 7);
        // Strided with more padding than the kernel reaches at the start.
        let g = Conv3dGeom { sd: 2, sh: 2, sw: 3, od: 3, oh: 4, ow: 2, ..g };
        check(g, 8);
        // No channels: out = bias, gradients zero.
        let g = Conv3dGeom { c: 0, ..g };
        let mut out = vec![f32::NAN; g.out_len()];
        conv3d(&g, &[], &[], Some(&[1.0, -2.0]), true, &mut out).unwrap();
        assert!(out.chunks(2).all(|r| r == [1.0, 0.0]));
    }

    #[test]
    fn stride_phases_cover_every_tap_once() {
        for (k, s, dil, p, i) in [(3, 2, 1, 1, 7), (4, 3, 2, 0, 9), (1, 4, 1, 0, 5), (5, 2, 3, 4, 6)] {
            let a = Axis { i, o: 0, k, s, dil, p };
            let mut seen = vec![0; k];
            let mut inputs = vec![0; i];
            for r in 0..s {
                let ph = a.phase(r);
                for &(t, off) in &ph.taps {
                    seen[t] += 1;
                    assert_eq!(off, a.lead() - t * dil / s);
                }
                assert!(ph.taps.windows(2).all(|w| w[0].1 < w[1].1));
                for q in ph.q {
                    inputs[q * s + r - p] += 1;
                }
            }
            assert!(seen.iter().all(|&n| n == 1), "taps {seen:?}");
            assert!(inputs.iter().all(|&n| n == 1), "inputs {inputs:?}");
        }
    }

    #[test]
    fn geometry_is_validated() {
        let mut v = [1, 4, 5, 5, 3, 4, 5, 5, 4, 2, 3, 3, 1, 1, 1, 1, 1, 1, 0, 1, 1];
        assert!(Conv3dGeom::from_i32(&v).is_some());
        v[12] = 0;
        assert!(Conv3dGeom::from_i32(&v).is_none());
        v[12] = 1;
        v[0] = -1;
        assert!(Conv3dGeom::from_i32(&v).is_none());
        v[0] = 1 << 20;
        v[4] = 1 << 12;
        assert!(Conv3dGeom::from_i32(&v).is_none());
        assert!(Conv3dGeom::from_i32(&v[..20]).is_none());
        let mut v = [1, 4, 5, 5, 3, 4, 5, 5, 4, 2, 3, 3, 1, 1, 1, 1, 1, 1, 0, 1, 1];
        v[14] = 1 << 30;
        assert!(Conv3dGeom::from_i32(&v).is_none());
    }
}
