//! 2-D max and average pooling on NHWC data, forward and backward, SIMD across channels.
//!
//! Window (oy, ox) covers input rows oy·sh − pt .. + ph and columns ox·sw − pl .. + pw,
//! clipped to the input: padding never takes part (TensorFlow's semantics: a max ignores it,
//! an average divides by the number of real elements). An empty window gives −∞ (max) or
//! 0 (average) and passes no gradient.

use crate::parallel;
use crate::simd::F32x4;

/// Number of i32 values describing a `Pool2dGeom` (the order of its fields).
pub const POOL2D_GEOM_LEN: usize = 12;

/// x [n, h, w, c] → out [n, oh, ow, c]; window (ph, pw), strides (sh, sw), top/left padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2dGeom {
    pub n: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub oh: usize,
    pub ow: usize,
    pub ph: usize,
    pub pw: usize,
    pub sh: usize,
    pub sw: usize,
    pub pt: usize,
    pub pl: usize,
}

impl Pool2dGeom {
    /// Reads [n, h, w, c, oh, ow, ph, pw, sh, sw, pt, pl]. None when a value is negative, a
    /// window size or stride is 0, or a buffer would exceed 4 GiB.
    pub fn from_i32(v: &[i32]) -> Option<Self> {
        if v.len() < POOL2D_GEOM_LEN {
            return None;
        }
        let mut u = [0usize; POOL2D_GEOM_LEN];
        for (d, &s) in u.iter_mut().zip(v) {
            *d = usize::try_from(s).ok()?;
        }
        let g = Pool2dGeom {
            n: u[0], h: u[1], w: u[2], c: u[3], oh: u[4], ow: u[5], ph: u[6], pw: u[7],
            sh: u[8], sw: u[9], pt: u[10], pl: u[11],
        };
        if g.ph == 0 || g.pw == 0 || g.sh == 0 || g.sw == 0 {
            return None;
        }
        let lim = (u32::MAX / 4) as u64;
        let p = |xs: &[usize]| xs.iter().try_fold(1u64, |a, &b| a.checked_mul(b as u64)).filter(|&t| t <= lim);
        p(&[g.n, g.h, g.w, g.c])?;
        p(&[g.n, g.oh, g.ow, g.c])?;
        // Window positions oy·sh − pt + ph must stay far inside the index range.
        let reach = |o: usize, s: usize, k: usize, pad: usize| (o as u64) * (s as u64) + k as u64 + pad as u64 <= lim;
        if !reach(g.oh, g.sh, g.ph, g.pt) || !reach(g.ow, g.sw, g.pw, g.pl) {
            return None;
        }
        Some(g)
    }

    pub fn x_len(&self) -> usize {
        self.n * self.h * self.w * self.c
    }
    pub fn out_len(&self) -> usize {
        self.n * self.oh * self.ow * self.c
    }

    /// Whether the windows tile the input: no overlap, no padding, nothing left over.
    fn tiles_exactly(&self) -> bool {
        self.ph == self.sh && self.pw == self.sw && self.pt == 0 && self.pl == 0
            && self.oh * self.ph == self.h && self.ow * self.pw == self.w
    }

    /// The window of output (oy, ox) clipped to the input: (y0, y1, x0, x1), half-open.
    #[inline(always)]
    fn window(&self, oy: usize, ox: usize) -> (usize, usize, usize, usize) {
        let clip = |o: usize, s: usize, p: usize, k: usize, size: usize| {
            let start = (o * s) as isize - p as isize;
            let lo = start.max(0) as usize;
            let hi = (start + k as isize).clamp(0, size as isize) as usize;
            (lo.min(hi), hi)
        };
        let (y0, y1) = clip(oy, self.sh, self.pt, self.ph, self.h);
        let (x0, x1) = clip(ox, self.sw, self.pl, self.pw, self.w);
        (y0, y1, x0, x1)
    }

    /// Calls `f(image index, (y0, y1, x0, x1), output offset)` for every output position.
    #[inline(always)]
    fn each_window(&self, mut f: impl FnMut(usize, (usize, usize, usize, usize), usize)) {
        let mut o = 0;
        for n in 0..self.n {
            for oy in 0..self.oh {
                for ox in 0..self.ow {
                    f(n, self.window(oy, ox), o);
                    o += self.c;
                }
            }
        }
    }
}

/// Runs `f(images' geometry, image range, their part of out)` over groups of whole images, as
/// parallel tasks when worth it (crate::parallel): images never share an output element, and
/// each is computed alike in any group. `out_per_image` is out's length per image; `work`
/// the one-thread estimate (ns) of all images.
fn by_images(
    g: &Pool2dGeom, out: &mut [f32], out_per_image: usize, work: usize,
    f: impl Fn(&Pool2dGeom, core::ops::Range<usize>, &mut [f32]) + Sync,
) {
    parallel::for_each_row_band(out, g.n, out_per_image, work, |images, o| {
        f(&Pool2dGeom { n: images.len(), ..*g }, images, o)
    });
}

/// Estimated one-thread time of visiting every window's elements.
fn window_work(g: &Pool2dGeom) -> usize {
    parallel::element_ns(g.out_len().saturating_mul(g.ph * g.pw))
}

/// out = max over each window (NaN propagates).
pub fn max_pool2d(g: &Pool2dGeom, x: &[f32], out: &mut [f32]) {
    let (xi, oi) = (g.h * g.w * g.c, g.oh * g.ow * g.c);
    by_images(g, &mut out[..g.out_len()], oi, window_work(g), |sub, r, o| {
        max_pool2d_images(sub, &x[r.start * xi..r.end * xi], o)
    });
}

fn max_pool2d_images(g: &Pool2dGeom, x: &[f32], out: &mut [f32]) {
    let (x, out) = (&x[..g.x_len()], &mut out[..g.out_len()]);
    if out.is_empty() {
        return;
    }
    let (c, img) = (g.c, g.h * g.w * g.c);
    g.each_window(|n, (y0, y1, x0, x1), o| {
        let dst = &mut out[o..o + c];
        fill(dst, f32::NEG_INFINITY);
        for iy in y0..y1 {
            let row = n * img + iy * g.w * c;
            for ix in x0..x1 {
                let src = &x[row + ix * c..row + ix * c + c];
                let mut i = 0;
                while i + 4 <= c {
                    let d = &mut dst[i..i + 4];
                    F32x4::from_slice(d).max(F32x4::from_slice(&src[i..i + 4])).write_to(d);
                    i += 4;
                }
                for j in i..c {
                    dst[j] = nan_max(dst[j], src[j]);
                }
            }
        }
    });
}

/// dx = the gradient of max_pool2d: each dy goes to the first maximum of its window
/// (overwritten, not accumulated). `x` is the forward input.
pub fn max_pool2d_grad(g: &Pool2dGeom, x: &[f32], dy: &[f32], dx: &mut [f32]) {
    let (xi, oi) = (g.h * g.w * g.c, g.oh * g.ow * g.c);
    by_images(g, &mut dx[..g.x_len()], xi, window_work(g), |sub, r, d| {
        max_pool2d_grad_images(sub, &x[r.start * xi..r.end * xi], &dy[r.start * oi..r.end * oi], d)
    });
}

fn max_pool2d_grad_images(g: &Pool2dGeom, x: &[f32], dy: &[f32], dx: &mut [f32]) {
    let (x, dy, dx) = (&x[..g.x_len()], &dy[..g.out_len()], &mut dx[..g.x_len()]);
    if g.tiles_exactly() && g.c % 4 == 0 && !dy.is_empty() {
        max_pool2d_grad_tiled(g, x, dy, dx);
        return;
    }
    fill(dx, 0.0);
    if dy.is_empty() {
        return;
    }
    let (c, img) = (g.c, g.h * g.w * g.c);
    g.each_window(|n, (y0, y1, x0, x1), o| {
        if y0 == y1 || x0 == x1 {
            return;
        }
        let first = n * img + (y0 * g.w + x0) * c;
        let mut i = 0;
        // Four channels at a time: the running max and the window tap where it was seen
        // (tap numbers are small, so exact as floats).
        let ww = x1 - x0;
        while i + 4 <= c {
            let mut best = F32x4::from_slice(&x[first + i..first + i + 4]);
            let mut at = F32x4::zero();
            let mut tap = 0.0f32;
            for iy in y0..y1 {
                for ix in x0..x1 {
                    let off = n * img + (iy * g.w + ix) * c;
                    let v = F32x4::from_slice(&x[off + i..off + i + 4]);
                    let better = v.gt(best);
                    best = F32x4::select(better, v, best);
                    at = F32x4::select(better, F32x4::splat(tap), at);
                    tap += 1.0;
                }
            }
            let at = at.to_array();
            for (lane, &t) in at.iter().enumerate() {
                let t = t as usize;
                let off = n * img + ((y0 + t / ww) * g.w + x0 + t % ww) * c;
                dx[off + i + lane] += dy[o + i + lane];
            }
            i += 4;
        }
        for j in i..c {
            let (mut best, mut at) = (x[first + j], first);
            for iy in y0..y1 {
                for ix in x0..x1 {
                    let off = n * img + (iy * g.w + ix) * c;
                    if x[off + j] > best {
                        best = x[off + j];
                        at = off;
                    }
                }
            }
            dx[at + j] += dy[o + j];
        }
    });
}

/// max_pool2d_grad when every input element lies in exactly one window: each is written once
/// (dy where it is its window's first maximum, else 0), four channels at a time, with no
/// clearing pass and no scatter.
fn max_pool2d_grad_tiled(g: &Pool2dGeom, x: &[f32], dy: &[f32], dx: &mut [f32]) {
    let (c, img) = (g.c, g.h * g.w * g.c);
    let zero = F32x4::zero();
    g.each_window(|n, (y0, y1, x0, x1), o| {
        for i in (0..c).step_by(4) {
            let first = n * img + (y0 * g.w + x0) * c + i;
            // The first maximum (as in the general path): the tap number where a strictly
            // greater value was last seen.
            let mut best = F32x4::from_slice(&x[first..first + 4]);
            let mut at = zero;
            let mut tap = 0.0f32;
            for iy in y0..y1 {
                for ix in x0..x1 {
                    let off = n * img + (iy * g.w + ix) * c + i;
                    let v = F32x4::from_slice(&x[off..off + 4]);
                    let better = v.gt(best);
                    best = F32x4::select(better, v, best);
                    at = F32x4::select(better, F32x4::splat(tap), at);
                    tap += 1.0;
                }
            }
            let g_in = F32x4::from_slice(&dy[o + i..o + i + 4]);
            let mut tap = 0.0f32;
            for iy in y0..y1 {
                for ix in x0..x1 {
                    let off = n * img + (iy * g.w + ix) * c + i;
                    F32x4::select(at.eq(F32x4::splat(tap)), g_in, zero).write_to(&mut dx[off..off + 4]);
                    tap += 1.0;
                }
            }
        }
    });
}

/// out = mean over each window's real (unpadded) elements.
pub fn avg_pool2d(g: &Pool2dGeom, x: &[f32], out: &mut [f32]) {
    let (xi, oi) = (g.h * g.w * g.c, g.oh * g.ow * g.c);
    by_images(g, &mut out[..g.out_len()], oi, window_work(g), |sub, r, o| {
        avg_pool2d_images(sub, &x[r.start * xi..r.end * xi], o)
    });
}

fn avg_pool2d_images(g: &Pool2dGeom, x: &[f32], out: &mut [f32]) {
    let (x, out) = (&x[..g.x_len()], &mut out[..g.out_len()]);
    if out.is_empty() {
        return;
    }
    let (c, img) = (g.c, g.h * g.w * g.c);
    g.each_window(|n, (y0, y1, x0, x1), o| {
        let dst = &mut out[o..o + c];
        fill(dst, 0.0);
        for iy in y0..y1 {
            let row = n * img + iy * g.w * c;
            for ix in x0..x1 {
                add(dst, &x[row + ix * c..row + ix * c + c], 1.0);
            }
        }
        let count = (y1 - y0) * (x1 - x0);
        if count > 1 {
            let s = 1.0 / count as f32;
            scale(dst, s);
        }
    });
}

/// dx = the gradient of avg_pool2d (overwritten, not accumulated).
pub fn avg_pool2d_grad(g: &Pool2dGeom, dy: &[f32], dx: &mut [f32]) {
    let (xi, oi) = (g.h * g.w * g.c, g.oh * g.ow * g.c);
    by_images(g, &mut dx[..g.x_len()], xi, window_work(g), |sub, r, d| {
        avg_pool2d_grad_images(sub, &dy[r.start * oi..r.end * oi], d)
    });
}

fn avg_pool2d_grad_images(g: &Pool2dGeom, dy: &[f32], dx: &mut [f32]) {
    let (dy, dx) = (&dy[..g.out_len()], &mut dx[..g.x_len()]);
    fill(dx, 0.0);
    if dy.is_empty() {
        return;
    }
    let (c, img) = (g.c, g.h * g.w * g.c);
    g.each_window(|n, (y0, y1, x0, x1), o| {
        let count = (y1 - y0) * (x1 - x0);
        if count == 0 {
            return;
        }
        let s = 1.0 / count as f32;
        let src = &dy[o..o + c];
        for iy in y0..y1 {
            let row = n * img + iy * g.w * c;
            for ix in x0..x1 {
                add(&mut dx[row + ix * c..row + ix * c + c], src, s);
            }
        }
    });
}

#[inline(always)]
pub(crate) fn nan_max(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() { f32::NAN } else { a.max(b) }
}

#[inline(always)]
pub(crate) fn fill(dst: &mut [f32], v: f32) {
    let mut it = dst.chunks_exact_mut(4);
    for d in &mut it {
        F32x4::splat(v).write_to(d);
    }
    for d in it.into_remainder() {
        *d = v;
    }
}

/// dst += s·src
#[inline(always)]
pub(crate) fn add(dst: &mut [f32], src: &[f32], s: f32) {
    let vs = F32x4::splat(s);
    let mut dc = dst.chunks_exact_mut(4);
    let mut sc = src.chunks_exact(4);
    for (d, v) in (&mut dc).zip(&mut sc) {
        vs.madd(F32x4::from_slice(v), F32x4::from_slice(d)).write_to(d);
    }
    for (d, &v) in dc.into_remainder().iter_mut().zip(sc.remainder()) {
        *d += s * v;
    }
}

#[inline(always)]
pub(crate) fn scale(dst: &mut [f32], s: f32) {
    let vs = F32x4::splat(s);
    let mut it = dst.chunks_exact_mut(4);
    for d in &mut it {
        F32x4::from_slice(d).mul(vs).write_to(d);
    }
    for d in it.into_remainder() {
        *d *= s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Rng};

    fn geom(n: usize, h: usize, w: usize, c: usize, k: (usize, usize), s: (usize, usize), same: bool) -> Pool2dGeom {
        let out = |size: usize, k: usize, s: usize| {
            if same {
                let o = size.div_ceil(s);
                (o, ((o - 1) * s + k).saturating_sub(size) / 2)
            } else {
                ((size - k) / s + 1, 0)
            }
        };
        let (oh, pt) = out(h, k.0, s.0);
        let (ow, pl) = out(w, k.1, s.1);
        Pool2dGeom { n, h, w, c, oh, ow, ph: k.0, pw: k.1, sh: s.0, sw: s.1, pt, pl }
    }

    /// Direct pooling and gradients in f64: (max, max grad, avg, avg grad).
    fn naive(g: &Pool2dGeom, x: &[f32], dy: &[f32]) -> [Vec<f32>; 4] {
        let mut mx = vec![f32::NEG_INFINITY; g.out_len()];
        let mut av = vec![0f32; g.out_len()];
        let mut dmx = vec![0f32; g.x_len()];
        let mut dav = vec![0f32; g.x_len()];
        for n in 0..g.n {
            for oy in 0..g.oh {
                for ox in 0..g.ow {
                    for ch in 0..g.c {
                        let o = ((n * g.oh + oy) * g.ow + ox) * g.c + ch;
                        let mut taps = vec![];
                        for ky in 0..g.ph {
                            for kx in 0..g.pw {
                                let iy = (oy * g.sh + ky) as isize - g.pt as isize;
                                let ix = (ox * g.sw + kx) as isize - g.pl as isize;
                                if iy >= 0 && ix >= 0 && (iy as usize) < g.h && (ix as usize) < g.w {
                                    taps.push(((n * g.h + iy as usize) * g.w + ix as usize) * g.c + ch);
                                }
                            }
                        }
                        if taps.is_empty() {
                            continue;
                        }
                        // Row-major window order: the first maximum wins.
                        let best = *taps.iter().reduce(|a, b| if x[*b] > x[*a] { b } else { a }).unwrap();
                        mx[o] = x[best];
                        dmx[best] += dy[o];
                        let sum: f64 = taps.iter().map(|&t| x[t] as f64).sum();
                        av[o] = (sum / taps.len() as f64) as f32;
                        for &t in &taps {
                            dav[t] += dy[o] / taps.len() as f32;
                        }
                    }
                }
            }
        }
        [mx, dmx, av, dav]
    }

    #[test]
    fn matches_direct_pooling_on_awkward_shapes() {
        let cases = [
            geom(1, 4, 4, 1, (2, 2), (2, 2), false),
            geom(2, 7, 5, 3, (2, 2), (2, 2), true),
            geom(1, 9, 8, 5, (3, 3), (2, 2), true),
            geom(3, 6, 7, 8, (3, 2), (1, 2), false),
            geom(1, 5, 5, 9, (3, 3), (1, 1), true), // overlapping windows share inputs
            geom(2, 28, 28, 16, (2, 2), (2, 2), false), // windows tile the input: the direct-write gradient
            geom(1, 6, 4, 8, (3, 2), (3, 2), false),
            geom(1, 3, 2, 4, (3, 3), (3, 3), true), // window larger than the input
            Pool2dGeom { n: 1, h: 3, w: 3, c: 6, oh: 3, ow: 3, ph: 2, pw: 2, sh: 2, sw: 2, pt: 2, pl: 0 }, // empty windows
        ];
        for (i, g) in cases.into_iter().enumerate() {
            let mut rng = Rng::new(300 + i as u64);
            // Few distinct values, so ties happen and the first-maximum rule is exercised.
            let x: Vec<f32> = (0..g.x_len()).map(|_| rng.below(5) as f32 - 2.0).collect();
            let dy = rng.vec(g.out_len(), -1.0, 1.0);
            let [mx, dmx, av, dav] = naive(&g, &x, &dy);
            let mut out = vec![f32::NAN; g.out_len()];
            max_pool2d(&g, &x, &mut out);
            assert_eq!(out, mx, "max case {i}");
            let mut dx = vec![f32::NAN; g.x_len()];
            max_pool2d_grad(&g, &x, &dy, &mut dx);
            assert_close(&dx, &dmx, 1e-6, 1e-6);
            avg_pool2d(&g, &x, &mut out);
            assert_close(&out, &av, 1e-6, 1e-6);
            avg_pool2d_grad(&g, &dy, &mut dx);
            assert_close(&dx, &dav, 1e-6, 1e-6);
        }
    }

    #[test]
    fn max_propagates_nan() {
        let g = geom(1, 2, 2, 5, (2, 2), (2, 2), false);
        let mut x = vec![0.0f32; 20];
        x[6] = f32::NAN; // pixel 1, channel 1
        x[19] = f32::NAN; // pixel 3, channel 4 (the scalar tail)
        let mut out = vec![0.0; 5];
        max_pool2d(&g, &x, &mut out);
        assert!(out[1].is_nan() && out[4].is_nan() && out[0] == 0.0);
    }

    #[test]
    fn geometry_is_validated() {
        let mut v = [1, 4, 4, 3, 2, 2, 2, 2, 2, 2, 0, 0];
        assert!(Pool2dGeom::from_i32(&v).is_some());
        v[8] = 0;
        assert!(Pool2dGeom::from_i32(&v).is_none());
        v[8] = 2;
        v[10] = -1;
        assert!(Pool2dGeom::from_i32(&v).is_none());
        v[10] = 0;
        v[8] = 1 << 30;
        assert!(Pool2dGeom::from_i32(&v).is_none());
    }
}
