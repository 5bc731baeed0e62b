//! 3-D max and average pooling on NDHWC data, forward and backward, SIMD across channels.
//! 1-D pooling ([n, w, c]) and 2-D pooling are the cases d = 1 (and h = 1) with a window of
//! 1 there.
//!
//! As pool.rs: window (oz, oy, ox) covers input planes oz·sd − pf .. + pd, rows
//! oy·sh − pt .. + ph and columns ox·sw − pl .. + pw, clipped to the input; padding never
//! takes part (a max ignores it, an average divides by the number of real elements). An
//! empty window gives −∞ (max) or 0 (average) and passes no gradient. Work is organised by
//! output rows (index n·od·oh + oz·oh + oy), each function taking a range of them; the
//! gradients add into dx, so threads take whole images (volumes), forward and backward.

use crate::parallel;
use crate::pool::{add, fill, nan_max, scale};
use crate::simd::F32x4;
use std::ops::Range;

/// Number of i32 values describing a `Pool3dGeom` (the order of its fields).
pub const POOL3D_GEOM_LEN: usize = 17;

/// x [n, d, h, w, c] → out [n, od, oh, ow, c]; window (pd, ph, pw), strides (sd, sh, sw),
/// front/top/left padding (pf, pt, pl).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool3dGeom {
    pub n: usize,
    pub d: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub od: usize,
    pub oh: usize,
    pub ow: usize,
    pub pd: usize,
    pub ph: usize,
    pub pw: usize,
    pub sd: usize,
    pub sh: usize,
    pub sw: usize,
    pub pf: usize,
    pub pt: usize,
    pub pl: usize,
}

/// A window clipped to the input: half-open ranges of planes, rows and columns.
#[derive(Clone, Copy)]
struct Window {
    z: (usize, usize),
    y: (usize, usize),
    x: (usize, usize),
}

impl Window {
    fn count(&self) -> usize {
        (self.z.1 - self.z.0) * (self.y.1 - self.y.0) * (self.x.1 - self.x.0)
    }
}

impl Pool3dGeom {
    /// Reads [n, d, h, w, c, od, oh, ow, pd, ph, pw, sd, sh, sw, pf, pt, pl]. None when a
    /// value is negative, a window size or stride is 0, or a buffer would exceed 4 GiB.
    pub fn from_i32(v: &[i32]) -> Option<Self> {
        if v.len() < POOL3D_GEOM_LEN {
            return None;
        }
        let mut u = [0usize; POOL3D_GEOM_LEN];
        for (d, &s) in u.iter_mut().zip(v) {
            *d = usize::try_from(s).ok()?;
        }
        let g = Pool3dGeom {
            n: u[0], d: u[1], h: u[2], w: u[3], c: u[4], od: u[5], oh: u[6], ow: u[7],
            pd: u[8], ph: u[9], pw: u[10], sd: u[11], sh: u[12], sw: u[13], pf: u[14], pt: u[15], pl: u[16],
        };
        if [g.pd, g.ph, g.pw, g.sd, g.sh, g.sw].contains(&0) {
            return None;
        }
        let lim = (u32::MAX / 4) as u64;
        let p = |xs: &[usize]| xs.iter().try_fold(1u64, |a, &b| a.checked_mul(b as u64)).filter(|&t| t <= lim);
        p(&[g.n, g.d, g.h, g.w, g.c])?;
        p(&[g.n, g.od, g.oh, g.ow, g.c])?;
        // Window positions o·s − p + k must stay far inside the index range.
        let reach = |o: usize, s: usize, k: usize, pad: usize| (o as u64) * (s as u64) + k as u64 + pad as u64 <= lim;
        if !reach(g.od, g.sd, g.pd, g.pf) || !reach(g.oh, g.sh, g.ph, g.pt) || !reach(g.ow, g.sw, g.pw, g.pl) {
            return None;
        }
        Some(g)
    }

    pub fn x_len(&self) -> usize {
        self.n * self.d * self.h * self.w * self.c
    }
    pub fn out_len(&self) -> usize {
        self.n * self.od * self.oh * self.ow * self.c
    }
    /// Output rows: n·od·oh.
    pub fn rows(&self) -> usize {
        self.n * self.od * self.oh
    }

    /// Calls `f(image, window, output offset)` for every output position of rows `rows`.
    #[inline(always)]
    fn each_window(&self, rows: Range<usize>, mut f: impl FnMut(usize, Window, usize)) {
        let clip = |o: usize, s: usize, p: usize, k: usize, size: usize| {
            let start = (o * s) as isize - p as isize;
            let lo = start.max(0) as usize;
            let hi = (start + k as isize).clamp(0, size as isize) as usize;
            (lo.min(hi), hi)
        };
        for row in rows {
            let (n, oz, oy) = (row / (self.od * self.oh), (row / self.oh) % self.od, row % self.oh);
            let z = clip(oz, self.sd, self.pf, self.pd, self.d);
            let y = clip(oy, self.sh, self.pt, self.ph, self.h);
            for ox in 0..self.ow {
                let x = clip(ox, self.sw, self.pl, self.pw, self.w);
                f(n, Window { z, y, x }, (row * self.ow + ox) * self.c);
            }
        }
    }

    /// Offset of pixel (z, y, x) of image n in x.
    #[inline(always)]
    fn at(&self, n: usize, z: usize, y: usize, x: usize) -> usize {
        (((n * self.d + z) * self.h + y) * self.w + x) * self.c
    }

    /// Calls `f(offset, tap number)` for each pixel of a window, in row-major order.
    #[inline(always)]
    fn each_pixel(&self, n: usize, win: Window, mut f: impl FnMut(usize, usize)) {
        let mut tap = 0;
        for z in win.z.0..win.z.1 {
            for y in win.y.0..win.y.1 {
                for x in win.x.0..win.x.1 {
                    f(self.at(n, z, y, x), tap);
                    tap += 1;
                }
            }
        }
    }

    /// The pixel offset of tap `t` of a window (row-major order).
    fn tap_offset(&self, n: usize, win: Window, t: usize) -> usize {
        let (wy, wx) = (win.y.1 - win.y.0, win.x.1 - win.x.0);
        self.at(n, win.z.0 + t / (wy * wx), win.y.0 + (t / wx) % wy, win.x.0 + t % wx)
    }
}

/// Runs `f(images' geometry, image range, their part of out)` over groups of whole images
/// (volumes), as parallel tasks when worth it: images never share an output element, and each
/// is computed alike in any group. `out_per_image` is out's length per image.
fn by_images(g: &Pool3dGeom, out: &mut [f32], out_per_image: usize, f: impl Fn(&Pool3dGeom, Range<usize>, &mut [f32]) + Sync) {
    let work = parallel::element_ns(g.out_len().saturating_mul(g.pd * g.ph * g.pw));
    parallel::for_each_row_band(out, g.n, out_per_image, work, |images, o| {
        f(&Pool3dGeom { n: images.len(), ..*g }, images, o)
    });
}

/// Elements of one image's input and output.
fn per_image(g: &Pool3dGeom) -> (usize, usize) {
    (g.d * g.h * g.w * g.c, g.od * g.oh * g.ow * g.c)
}

/// out = max over each window (NaN propagates).
pub fn max_pool3d(g: &Pool3dGeom, x: &[f32], out: &mut [f32]) {
    let (xi, oi) = per_image(g);
    by_images(g, &mut out[..g.out_len()], oi, |sub, r, o| max_rows(sub, &x[r.start * xi..r.end * xi], 0..sub.rows(), o));
}

/// Output rows `rows` of max_pool3d.
fn max_rows(g: &Pool3dGeom, x: &[f32], rows: Range<usize>, out: &mut [f32]) {
    let c = g.c;
    g.each_window(rows, |n, win, o| {
        let dst = &mut out[o..o + c];
        fill(dst, f32::NEG_INFINITY);
        g.each_pixel(n, win, |p, _| {
            let src = &x[p..p + c];
            let mut i = 0;
            while i + 4 <= c {
                let d = &mut dst[i..i + 4];
                F32x4::from_slice(d).max(F32x4::from_slice(&src[i..i + 4])).write_to(d);
                i += 4;
            }
            for j in i..c {
                dst[j] = nan_max(dst[j], src[j]);
            }
        });
    });
}

/// dx = the gradient of max_pool3d: each dy goes to the first maximum of its window
/// (overwritten, not accumulated). `x` is the forward input.
pub fn max_pool3d_grad(g: &Pool3dGeom, x: &[f32], dy: &[f32], dx: &mut [f32]) {
    let (xi, oi) = per_image(g);
    by_images(g, &mut dx[..g.x_len()], xi, |sub, r, d| {
        fill(d, 0.0);
        max_grad_rows(sub, &x[r.start * xi..r.end * xi], &dy[r.start * oi..r.end * oi], 0..sub.rows(), d);
    });
}

/// Adds the max-pooling gradient of output rows `rows` into dx.
fn max_grad_rows(g: &Pool3dGeom, x: &[f32], dy: &[f32], rows: Range<usize>, dx: &mut [f32]) {
    let c = g.c;
    g.each_window(rows, |n, win, o| {
        if win.count() == 0 {
            return;
        }
        let first = g.tap_offset(n, win, 0);
        let mut i = 0;
        // Four channels at a time: the running max and the tap where it was first seen (tap
        // numbers are small, so exact as floats).
        while i + 4 <= c {
            let mut best = F32x4::from_slice(&x[first + i..first + i + 4]);
            let mut at = F32x4::zero();
            g.each_pixel(n, win, |p, tap| {
                let v = F32x4::from_slice(&x[p + i..p + i + 4]);
                let better = v.gt(best);
                best = F32x4::select(better, v, best);
                at = F32x4::select(better, F32x4::splat(tap as f32), at);
            });
            for (lane, &t) in at.to_array().iter().enumerate() {
                dx[g.tap_offset(n, win, t as usize) + i + lane] += dy[o + i + lane];
            }
            i += 4;
        }
        for j in i..c {
            let (mut best, mut at) = (x[first + j], first);
            g.each_pixel(n, win, |p, _| {
                if x[p + j] > best {
                    best = x[p + j];
                    at = p;
                }
            });
            dx[at + j] += dy[o + j];
        }
    });
}

/// out = mean over each window's real (unpadded) elements.
pub fn avg_pool3d(g: &Pool3dGeom, x: &[f32], out: &mut [f32]) {
    let (xi, oi) = per_image(g);
    by_images(g, &mut out[..g.out_len()], oi, |sub, r, o| avg_rows(sub, &x[r.start * xi..r.end * xi], 0..sub.rows(), o));
}

/// Output rows `rows` of avg_pool3d.
fn avg_rows(g: &Pool3dGeom, x: &[f32], rows: Range<usize>, out: &mut [f32]) {
    let c = g.c;
    g.each_window(rows, |n, win, o| {
        let dst = &mut out[o..o + c];
        fill(dst, 0.0);
        g.each_pixel(n, win, |p, _| add(dst, &x[p..p + c], 1.0));
        let count = win.count();
        if count > 1 {
            scale(dst, 1.0 / count as f32);
        }
    });
}

/// dx = the gradient of avg_pool3d (overwritten, not accumulated).
pub fn avg_pool3d_grad(g: &Pool3dGeom, dy: &[f32], dx: &mut [f32]) {
    let (xi, oi) = per_image(g);
    by_images(g, &mut dx[..g.x_len()], xi, |sub, r, d| {
        fill(d, 0.0);
        avg_grad_rows(sub, &dy[r.start * oi..r.end * oi], 0..sub.rows(), d);
    });
}

/// Adds the average-pooling gradient of output rows `rows` into dx.
fn avg_grad_rows(g: &Pool3dGeom, dy: &[f32], rows: Range<usize>, dx: &mut [f32]) {
    let c = g.c;
    g.each_window(rows, |n, win, o| {
        let count = win.count();
        if count == 0 {
            return;
        }
        let s = 1.0 / count as f32;
        let src = &dy[o..o + c];
        g.each_pixel(n, win, |p, _| add(&mut dx[p..p + c], src, s));
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Rng};

    fn geom(n: usize, dhw: [usize; 3], c: usize, k: [usize; 3], s: [usize; 3], same: bool) -> Pool3dGeom {
        let out = |size: usize, k: usize, s: usize| {
            if same {
                let o = size.div_ceil(s);
                (o, ((o - 1) * s + k).saturating_sub(size) / 2)
            } else {
                ((size - k) / s + 1, 0)
            }
        };
        let (od, pf) = out(dhw[0], k[0], s[0]);
        let (oh, pt) = out(dhw[1], k[1], s[1]);
        let (ow, pl) = out(dhw[2], k[2], s[2]);
        Pool3dGeom {
            n, d: dhw[0], h: dhw[1], w: dhw[2], c, od, oh, ow, pd: k[0], ph: k[1], pw: k[2],
            sd: s[0], sh: s[1], sw: s[2], pf, pt, pl,
        }
    }

    /// Direct pooling and gradients: (max, max grad, avg, avg grad).
    fn naive(g: &Pool3dGeom, x: &[f32], dy: &[f32]) -> [Vec<f32>; 4] {
        let mut mx = vec![f32::NEG_INFINITY; g.out_len()];
        let mut av = vec![0f32; g.out_len()];
        let mut dmx = vec![0f32; g.x_len()];
        let mut dav = vec![0f32; g.x_len()];
        let inside = |o: usize, s: usize, k: usize, p: usize, size: usize| {
            let i = (o * s + k) as isize - p as isize;
            (i >= 0 && i < size as isize).then_some(i as usize)
        };
        for n in 0..g.n {
            for oz in 0..g.od {
                for oy in 0..g.oh {
                    for ox in 0..g.ow {
                        for ch in 0..g.c {
                            let o = (((n * g.od + oz) * g.oh + oy) * g.ow + ox) * g.c + ch;
                            let mut taps = vec![];
                            for kz in 0..g.pd {
                                let Some(iz) = inside(oz, g.sd, kz, g.pf, g.d) else { continue };
                                for ky in 0..g.ph {
                                    let Some(iy) = inside(oy, g.sh, ky, g.pt, g.h) else { continue };
                                    for kx in 0..g.pw {
                                        let Some(ix) = inside(ox, g.sw, kx, g.pl, g.w) else { continue };
                                        taps.push((((n * g.d + iz) * g.h + iy) * g.w + ix) * g.c + ch);
                                    }
                                }
                            }
                            if taps.is_empty() {
                                continue;
                            }
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
        }
        [mx, dmx, av, dav]
    }

    #[test]
    fn matches_direct_pooling_on_awkward_shapes() {
        let cases = [
            geom(1, [2, 4, 4], 1, [2, 2, 2], [2, 2, 2], false),
            geom(2, [3, 7, 5], 3, [2, 2, 2], [2, 2, 2], true),
            geom(1, [5, 9, 8], 5, [3, 3, 3], [2, 2, 2], true),
            geom(3, [4, 6, 7], 8, [2, 3, 2], [1, 1, 2], false),
            geom(1, [5, 5, 5], 9, [3, 3, 3], [1, 1, 1], true), // overlapping windows share inputs
            geom(1, [3, 3, 2], 4, [4, 3, 3], [3, 3, 3], true), // window larger than the input
            // 1-D pooling: [n, w, c] as d = h = 1.
            geom(2, [1, 1, 9], 3, [1, 1, 2], [1, 1, 2], false),
            geom(1, [1, 1, 10], 6, [1, 1, 3], [1, 1, 2], true),
            geom(3, [1, 1, 7], 5, [1, 1, 3], [1, 1, 1], true),
            geom(1, [1, 1, 1], 1, [1, 1, 1], [1, 1, 1], false),
            geom(2, [1, 1, 11], 4, [1, 1, 4], [1, 1, 3], false),
            // Empty windows (padding beyond the pool size).
            Pool3dGeom { n: 1, d: 2, h: 3, w: 3, c: 6, od: 2, oh: 3, ow: 3, pd: 1, ph: 2, pw: 2, sd: 1, sh: 2, sw: 2, pf: 0, pt: 2, pl: 0 },
        ];
        for (i, g) in cases.into_iter().enumerate() {
            let mut rng = Rng::new(900 + i as u64);
            // Few distinct values, so ties happen and the first-maximum rule is exercised.
            let x: Vec<f32> = (0..g.x_len()).map(|_| rng.below(5) as f32 - 2.0).collect();
            let dy = rng.vec(g.out_len(), -1.0, 1.0);
            let [mx, dmx, av, dav] = naive(&g, &x, &dy);
            let mut out = vec![f32::NAN; g.out_len()];
            max_pool3d(&g, &x, &mut out);
            assert_eq!(out, mx, "max case {i}");
            let mut dx = vec![f32::NAN; g.x_len()];
            max_pool3d_grad(&g, &x, &dy, &mut dx);
            assert_close(&dx, &dmx, 1e-6, 1e-6);
            avg_pool3d(&g, &x, &mut out);
            assert_close(&out, &av, 1e-6, 1e-6);
            avg_pool3d_grad(&g, &dy, &mut dx);
            assert_close(&dx, &dav, 1e-6, 1e-6);
        }
    }

    #[test]
    fn max_propagates_nan() {
        let g = geom(1, [2, 2, 1], 5, [2, 2, 1], [2, 2, 1], false);
        let mut x = vec![0.0f32; 20];
        x[6] = f32::NAN;
        x[19] = f32::NAN;
        let mut out = vec![0.0; 5];
        max_pool3d(&g, &x, &mut out);
        assert!(out[1].is_nan() && out[4].is_nan() && out[0] == 0.0);
    }

    #[test]
    fn geometry_is_validated() {
        let mut v = [1, 2, 4, 4, 3, 1, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0];
        assert!(Pool3dGeom::from_i32(&v).is_some());
        v[11] = 0;
        assert!(Pool3dGeom::from_i32(&v).is_none());
        v[11] = 2;
        v[14] = -1;
        assert!(Pool3dGeom::from_i32(&v).is_none());
        v[14] = 0;
        v[12] = 1 << 30;
        assert!(Pool3dGeom::from_i32(&v).is_none());
        assert!(Pool3dGeom::from_i32(&v[..16]).is_none());
    }
}
