//! Image resampling on NHWC data, as TensorFlow.js' cpu kernels compute it: bilinear and
//! nearest-neighbour resize (alignCorners, halfPixelCenters) with their gradients, and
//! crop-and-resize (boxes in normalised coordinates, extrapolation value outside the image)
//! with its gradient w.r.t. the image.
//!
//! Source coordinates are computed once per output row and column in f64 with TensorFlow.js'
//! formulas (so nearest-neighbour picks the same pixels); the interpolation runs in f32, SIMD
//! across a row or across channels. Bilinear resize is separable: each output row first
//! blends its two source rows (the whole row at once), then each pixel blends two columns of
//! that. Forward kernels work by output rows; gradients add into dx, image by image. Threads
//! take whole images (resize and its gradients).

use crate::parallel;
use crate::pool::{add, fill};
use crate::simd::F32x4;
use std::ops::Range;

/// Number of i32 values describing a `ResizeGeom` (the order of its fields).
pub const RESIZE_GEOM_LEN: usize = 8;

/// Number of i32 values describing a `CropGeom` (the order of its fields).
pub const CROP_GEOM_LEN: usize = 8;

const MAX_ELEMENTS: u64 = (u32::MAX / 4) as u64;

/// x [n, h, w, c] → out [n, oh, ow, c].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResizeGeom {
    pub n: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub oh: usize,
    pub ow: usize,
    pub align_corners: bool,
    pub half_pixel_centers: bool,
}

/// image [n, h, w, c], boxes [boxes, 4] (y1, x1, y2, x2), box_ind [boxes] →
/// out [boxes, ch, cw, c].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CropGeom {
    pub boxes: usize,
    pub n: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub ch: usize,
    pub cw: usize,
    pub nearest: bool,
}

fn read<const N: usize>(v: &[i32]) -> Option<[usize; N]> {
    if v.len() < N {
        return None;
    }
    let mut u = [0usize; N];
    for (d, &s) in u.iter_mut().zip(v) {
        *d = usize::try_from(s).ok()?;
    }
    Some(u)
}

fn fits(xs: &[usize]) -> bool {
    xs.iter().try_fold(1u64, |a, &b| a.checked_mul(b as u64)).is_some_and(|t| t <= MAX_ELEMENTS)
}

impl ResizeGeom {
    /// Reads [n, h, w, c, oh, ow, alignCorners, halfPixelCenters]. None when a value is
    /// negative, a flag is not 0/1, an empty input must fill a non-empty output, or a buffer
    /// would exceed 4 GiB.
    pub fn from_i32(v: &[i32]) -> Option<Self> {
        let u = read::<RESIZE_GEOM_LEN>(v)?;
        let g = ResizeGeom { n: u[0], h: u[1], w: u[2], c: u[3], oh: u[4], ow: u[5], align_corners: u[6] == 1, half_pixel_centers: u[7] == 1 };
        let ok = u[6] <= 1 && u[7] <= 1 && (g.h > 0 || g.oh == 0) && (g.w > 0 || g.ow == 0)
            && fits(&[g.n, g.h, g.w, g.c]) && fits(&[g.n, g.oh, g.ow, g.c]) && fits(&[g.oh, g.w, g.c]);
        ok.then_some(g)
    }
    pub fn x_len(&self) -> usize {
        self.n * self.h * self.w * self.c
    }
    pub fn out_len(&self) -> usize {
        self.n * self.oh * self.ow * self.c
    }
}

impl CropGeom {
    /// Reads [boxes, n, h, w, c, cropHeight, cropWidth, nearest]. None when a value is
    /// negative, the flag is not 0/1, a crop size is 0, or a buffer would exceed 4 GiB.
    pub fn from_i32(v: &[i32]) -> Option<Self> {
        let u = read::<CROP_GEOM_LEN>(v)?;
        let g = CropGeom { boxes: u[0], n: u[1], h: u[2], w: u[3], c: u[4], ch: u[5], cw: u[6], nearest: u[7] == 1 };
        let ok = u[7] <= 1 && g.ch > 0 && g.cw > 0 && fits(&[g.n, g.h, g.w, g.c]) && fits(&[g.boxes, g.ch, g.cw, g.c]) && fits(&[g.boxes, 4]);
        ok.then_some(g)
    }
    pub fn image_len(&self) -> usize {
        self.n * self.h * self.w * self.c
    }
    pub fn out_len(&self) -> usize {
        self.boxes * self.ch * self.cw * self.c
    }
}

/// One output coordinate along an axis: v[i0] + (v[i1] − v[i0])·t.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Lerp {
    i0: usize,
    i1: usize,
    t: f32,
}

/// in/out, or (in − 1)/(out − 1) with alignCorners (TensorFlow.js' effective sizes).
fn scale(input: usize, output: usize, align: bool) -> f64 {
    if align && output > 1 {
        (input - 1) as f64 / (output - 1) as f64
    } else {
        input as f64 / output as f64
    }
}

fn bilinear_axis(input: usize, output: usize, align: bool, half: bool) -> Vec<Lerp> {
    let r = scale(input, output, align);
    let last = input.saturating_sub(1) as f64;
    (0..output)
        .map(|o| {
            let src = if half { r * (o as f64 + 0.5) - 0.5 } else { r * o as f64 };
            let lo = src.floor().clamp(0.0, last);
            Lerp { i0: lo as usize, i1: src.ceil().clamp(0.0, last) as usize, t: (src - lo) as f32 }
        })
        .collect()
}

fn nearest_axis(input: usize, output: usize, align: bool, half: bool) -> Vec<usize> {
    let r = scale(input, output, align);
    let last = input.saturating_sub(1) as f64;
    (0..output)
        .map(|o| {
            let src = if half { r * (o as f64 + 0.5) } else { r * o as f64 };
            // src ≥ 0, so rounding half away from zero is JavaScript's Math.round.
            (if align { src.round() } else { src.floor() }).clamp(0.0, last) as usize
        })
        .collect()
}

/// dst = a + (b − a)·t elementwise.
#[inline(always)]
fn lerp_into(dst: &mut [f32], a: &[f32], b: &[f32], t: f32) {
    let vt = F32x4::splat(t);
    let n = dst.len();
    let (a, b) = (&a[..n], &b[..n]);
    let mut i = 0;
    while i + 4 <= n {
        let va = F32x4::from_slice(&a[i..i + 4]);
        let vb = F32x4::from_slice(&b[i..i + 4]);
        vb.sub(va).madd(vt, va).write_to(&mut dst[i..i + 4]);
        i += 4;
    }
    for j in i..n {
        dst[j] = a[j] + (b[j] - a[j]) * t;
    }
}

/// Runs `f(images' geometry, their part of x, their part of out)` over groups of whole images,
/// as parallel tasks when worth it: images never share an output element, and each is computed
/// alike in any group. `out` is per image `out_per_image` long (oh·ow·c forward, h·w·c for a
/// gradient, whose input `x` is then dy).
fn by_images(
    g: &ResizeGeom, x: &[f32], x_per_image: usize, out: &mut [f32], out_per_image: usize,
    f: impl Fn(&ResizeGeom, &[f32], &mut [f32]) + Sync,
) {
    // About 4 operations per channel of each output and input pixel.
    let work = parallel::element_ns(4 * g.n * (g.oh * g.ow + g.h * g.w) * g.c);
    parallel::for_each_row_band(out, g.n, out_per_image, work, |images, o| {
        f(&ResizeGeom { n: images.len(), ..*g }, &x[images.start * x_per_image..images.end * x_per_image], o)
    });
}

/// Elements of one image's input and output.
fn per_image(g: &ResizeGeom) -> (usize, usize) {
    (g.h * g.w * g.c, g.oh * g.ow * g.c)
}

/// out = resizeBilinear(x).
pub fn resize_bilinear(g: &ResizeGeom, x: &[f32], out: &mut [f32]) {
    let (xi, oi) = per_image(g);
    by_images(g, &x[..g.x_len()], xi, &mut out[..g.out_len()], oi, resize_bilinear_images);
}

fn resize_bilinear_images(g: &ResizeGeom, x: &[f32], out: &mut [f32]) {
    let (x, out) = (&x[..g.x_len()], &mut out[..g.out_len()]);
    if out.is_empty() {
        return;
    }
    let ys = bilinear_axis(g.h, g.oh, g.align_corners, g.half_pixel_centers);
    let xs = bilinear_axis(g.w, g.ow, g.align_corners, g.half_pixel_centers);
    let mut row = vec![0.0f32; g.w * g.c];
    bilinear_rows(g, x, &ys, &xs, 0..g.n * g.oh, &mut row, out);
}

/// Output rows `rows` (index n·oh + oy) of resize_bilinear; `row` is a scratch of w·c.
fn bilinear_rows(g: &ResizeGeom, x: &[f32], ys: &[Lerp], xs: &[Lerp], rows: Range<usize>, row: &mut [f32], out: &mut [f32]) {
    let (c, rl) = (g.c, g.w * g.c);
    for r in rows {
        let (n, ly) = (r / g.oh, ys[r % g.oh]);
        let img = &x[n * g.h * rl..(n + 1) * g.h * rl];
        lerp_into(row, &img[ly.i0 * rl..(ly.i0 + 1) * rl], &img[ly.i1 * rl..(ly.i1 + 1) * rl], ly.t);
        let dst = &mut out[r * g.ow * c..(r + 1) * g.ow * c];
        for (d, lx) in dst.chunks_exact_mut(c).zip(xs) {
            lerp_into(d, &row[lx.i0 * c..], &row[lx.i1 * c..], lx.t);
        }
    }
}

/// dx = the gradient of resize_bilinear (overwritten, not accumulated).
pub fn resize_bilinear_grad(g: &ResizeGeom, dy: &[f32], dx: &mut [f32]) {
    let (xi, oi) = per_image(g);
    by_images(g, &dy[..g.out_len()], oi, &mut dx[..g.x_len()], xi, resize_bilinear_grad_images);
}

fn resize_bilinear_grad_images(g: &ResizeGeom, dy: &[f32], dx: &mut [f32]) {
    let (dy, dx) = (&dy[..g.out_len()], &mut dx[..g.x_len()]);
    fill(dx, 0.0);
    if dy.is_empty() {
        return;
    }
    let ys = bilinear_axis(g.h, g.oh, g.align_corners, g.half_pixel_centers);
    let xs = bilinear_axis(g.w, g.ow, g.align_corners, g.half_pixel_centers);
    let (c, rl) = (g.c, g.w * g.c);
    let mut row = vec![0.0f32; rl];
    for n in 0..g.n {
        let dx_img = &mut dx[n * g.h * rl..(n + 1) * g.h * rl];
        for (oy, ly) in ys.iter().enumerate() {
            // The row's gradient spread over the source columns, then over the two source rows.
            fill(&mut row, 0.0);
            let src = &dy[(n * g.oh + oy) * g.ow * c..(n * g.oh + oy + 1) * g.ow * c];
            for (s, lx) in src.chunks_exact(c).zip(&xs) {
                add(&mut row[lx.i0 * c..lx.i0 * c + c], s, 1.0 - lx.t);
                add(&mut row[lx.i1 * c..lx.i1 * c + c], s, lx.t);
            }
            add(&mut dx_img[ly.i0 * rl..(ly.i0 + 1) * rl], &row, 1.0 - ly.t);
            add(&mut dx_img[ly.i1 * rl..(ly.i1 + 1) * rl], &row, ly.t);
        }
    }
}

/// out = resizeNearestNeighbor(x).
pub fn resize_nearest(g: &ResizeGeom, x: &[f32], out: &mut [f32]) {
    let (xi, oi) = per_image(g);
    by_images(g, &x[..g.x_len()], xi, &mut out[..g.out_len()], oi, resize_nearest_images);
}

fn resize_nearest_images(g: &ResizeGeom, x: &[f32], out: &mut [f32]) {
    let (x, out) = (&x[..g.x_len()], &mut out[..g.out_len()]);
    if out.is_empty() {
        return;
    }
    let ys = nearest_axis(g.h, g.oh, g.align_corners, g.half_pixel_centers);
    let xs = nearest_axis(g.w, g.ow, g.align_corners, g.half_pixel_centers);
    let c = g.c;
    for (r, dst) in out.chunks_exact_mut(g.ow * c).enumerate() {
        let src = &x[((r / g.oh) * g.h + ys[r % g.oh]) * g.w * c..];
        for (d, &ix) in dst.chunks_exact_mut(c).zip(&xs) {
            d.copy_from_slice(&src[ix * c..ix * c + c]);
        }
    }
}

/// dx = the gradient of resize_nearest: each dy added to its source pixel (overwritten).
pub fn resize_nearest_grad(g: &ResizeGeom, dy: &[f32], dx: &mut [f32]) {
    let (xi, oi) = per_image(g);
    by_images(g, &dy[..g.out_len()], oi, &mut dx[..g.x_len()], xi, resize_nearest_grad_images);
}

fn resize_nearest_grad_images(g: &ResizeGeom, dy: &[f32], dx: &mut [f32]) {
    let (dy, dx) = (&dy[..g.out_len()], &mut dx[..g.x_len()]);
    fill(dx, 0.0);
    if dy.is_empty() {
        return;
    }
    let ys = nearest_axis(g.h, g.oh, g.align_corners, g.half_pixel_centers);
    let xs = nearest_axis(g.w, g.ow, g.align_corners, g.half_pixel_centers);
    let c = g.c;
    for (r, src) in dy.chunks_exact(g.ow * c).enumerate() {
        let at = ((r / g.oh) * g.h + ys[r % g.oh]) * g.w * c;
        for (s, &ix) in src.chunks_exact(c).zip(&xs) {
            add(&mut dx[at + ix * c..at + ix * c + c], s, 1.0);
        }
    }
}

/// Where one output coordinate of a crop reads: None outside the image (extrapolated).
fn crop_axis(lo: f32, hi: f32, size: usize, crop: usize, nearest: bool) -> Vec<Option<Lerp>> {
    let last = size as f64 - 1.0;
    let (lo, hi) = (lo as f64, hi as f64);
    let step = if crop > 1 { (hi - lo) * last / (crop - 1) as f64 } else { 0.0 };
    (0..crop)
        .map(|i| {
            let v = if crop > 1 { lo * last + i as f64 * step } else { 0.5 * (lo + hi) * last };
            // Also rejects NaN coordinates.
            if !(v >= 0.0 && v <= last) {
                return None;
            }
            Some(if nearest {
                let r = v.round() as usize;
                Lerp { i0: r, i1: r, t: 0.0 }
            } else {
                let f = v.floor();
                Lerp { i0: f as usize, i1: v.ceil() as usize, t: (v - f) as f32 }
            })
        })
        .collect()
}

/// out = cropAndResize(image, boxes, box_ind): Err(b) for the first box whose index is
/// outside [0, n) (nothing written then).
pub fn crop_and_resize(g: &CropGeom, image: &[f32], boxes: &[f32], box_ind: &[i32], extrapolation: f32, out: &mut [f32]) -> Result<(), usize> {
    let (image, boxes, box_ind, out) = (&image[..g.image_len()], &boxes[..g.boxes * 4], &box_ind[..g.boxes], &mut out[..g.out_len()]);
    if let Some(b) = box_ind.iter().position(|&i| i < 0 || i as usize >= g.n) {
        return Err(b);
    }
    let (c, rl) = (g.c, g.w * g.c);
    if c == 0 {
        return Ok(());
    }
    for (b, dst) in out.chunks_exact_mut(g.ch * g.cw * c).enumerate() {
        let bx = &boxes[b * 4..b * 4 + 4];
        let ys = crop_axis(bx[0], bx[2], g.h, g.ch, g.nearest);
        let xs = crop_axis(bx[1], bx[3], g.w, g.cw, g.nearest);
        let img = &image[box_ind[b] as usize * g.h * rl..];
        for (d_row, ly) in dst.chunks_exact_mut(g.cw * c).zip(&ys) {
            let Some(ly) = ly else {
                fill(d_row, extrapolation);
                continue;
            };
            let (top, bot) = (&img[ly.i0 * rl..(ly.i0 + 1) * rl], &img[ly.i1 * rl..(ly.i1 + 1) * rl]);
            for (d, lx) in d_row.chunks_exact_mut(c).zip(&xs) {
                match lx {
                    None => fill(d, extrapolation),
                    Some(lx) => {
                        // As TensorFlow.js: blend columns within each row, then the rows.
                        for ch in 0..c {
                            let (tl, tr) = (top[lx.i0 * c + ch], top[lx.i1 * c + ch]);
                            let (bl, br) = (bot[lx.i0 * c + ch], bot[lx.i1 * c + ch]);
                            let (t, b) = (tl + (tr - tl) * lx.t, bl + (br - bl) * lx.t);
                            d[ch] = t + (b - t) * ly.t;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// d_image = the gradient of crop_and_resize w.r.t. the image (overwritten); box indices
/// must be valid (Err(b) as crop_and_resize otherwise).
pub fn crop_and_resize_grad_image(g: &CropGeom, dy: &[f32], boxes: &[f32], box_ind: &[i32], d_image: &mut [f32]) -> Result<(), usize> {
    let (dy, boxes, box_ind, d_image) = (&dy[..g.out_len()], &boxes[..g.boxes * 4], &box_ind[..g.boxes], &mut d_image[..g.image_len()]);
    if let Some(b) = box_ind.iter().position(|&i| i < 0 || i as usize >= g.n) {
        return Err(b);
    }
    fill(d_image, 0.0);
    let (c, rl) = (g.c, g.w * g.c);
    if c == 0 {
        return Ok(());
    }
    for (b, src) in dy.chunks_exact(g.ch * g.cw * c).enumerate() {
        let bx = &boxes[b * 4..b * 4 + 4];
        let ys = crop_axis(bx[0], bx[2], g.h, g.ch, g.nearest);
        let xs = crop_axis(bx[1], bx[3], g.w, g.cw, g.nearest);
        let img = &mut d_image[box_ind[b] as usize * g.h * rl..(box_ind[b] as usize + 1) * g.h * rl];
        for (s_row, ly) in src.chunks_exact(g.cw * c).zip(&ys) {
            let Some(ly) = ly else { continue };
            for (s, lx) in s_row.chunks_exact(c).zip(&xs) {
                let Some(lx) = lx else { continue };
                let (wt, wb) = (1.0 - ly.t, ly.t);
                let (wl, wr) = (1.0 - lx.t, lx.t);
                add(&mut img[ly.i0 * rl + lx.i0 * c..][..c], s, wt * wl);
                add(&mut img[ly.i0 * rl + lx.i1 * c..][..c], s, wt * wr);
                add(&mut img[ly.i1 * rl + lx.i0 * c..][..c], s, wb * wl);
                add(&mut img[ly.i1 * rl + lx.i1 * c..][..c], s, wb * wr);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Rng};

    /// TensorFlow.js' cpu resizeBilinear, transcribed: per pixel, f64 coordinates, the four
    /// neighbours blended along x, then y.
    fn naive_bilinear(g: &ResizeGeom, x: &[f32]) -> Vec<f32> {
        let ein = |i: usize, o: usize| if g.align_corners && o > 1 { (i - 1) as f64 } else { i as f64 };
        let eout = |o: usize| if g.align_corners && o > 1 { (o - 1) as f64 } else { o as f64 };
        let (ry, rx) = (ein(g.h, g.oh) / eout(g.oh), ein(g.w, g.ow) / eout(g.ow));
        let mut out = vec![];
        for n in 0..g.n {
            for r in 0..g.oh {
                let fy = if g.half_pixel_centers { ry * (r as f64 + 0.5) - 0.5 } else { ry * r as f64 };
                let (y0, y1) = (fy.floor().max(0.0), fy.ceil().min(g.h as f64 - 1.0));
                let ty = fy - y0;
                for col in 0..g.ow {
                    let fx = if g.half_pixel_centers { rx * (col as f64 + 0.5) - 0.5 } else { rx * col as f64 };
                    let (x0, x1) = (fx.floor().max(0.0), fx.ceil().min(g.w as f64 - 1.0));
                    let tx = fx - x0;
                    for ch in 0..g.c {
                        let at = |y: f64, xx: f64| x[((n * g.h + y as usize) * g.w + xx as usize) * g.c + ch] as f64;
                        let top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * tx;
                        let bot = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * tx;
                        out.push((top + (bot - top) * ty) as f32);
                    }
                }
            }
        }
        out
    }

    /// The adjoint of a linear map y = A x, from its action on basis vectors: dx = Aᵀ dy.
    fn adjoint(len_x: usize, dy: &[f32], f: impl Fn(&[f32]) -> Vec<f32>) -> Vec<f32> {
        (0..len_x)
            .map(|i| {
                let mut e = vec![0.0f32; len_x];
                e[i] = 1.0;
                f(&e).iter().zip(dy).map(|(&a, &b)| a as f64 * b as f64).sum::<f64>() as f32
            })
            .collect()
    }

    fn resize_cases() -> Vec<ResizeGeom> {
        let mut v = vec![];
        for (n, h, w, c, oh, ow) in [(1, 3, 4, 1, 6, 8), (2, 5, 3, 3, 2, 7), (1, 4, 4, 5, 4, 4), (1, 1, 1, 2, 3, 2), (1, 7, 5, 9, 3, 11), (2, 2, 3, 4, 1, 1)] {
            for (a, hp) in [(false, false), (true, false), (false, true)] {
                v.push(ResizeGeom { n, h, w, c, oh, ow, align_corners: a, half_pixel_centers: hp });
            }
        }
        v
    }

    #[test]
    fn bilinear_matches_tfjs_formula_and_its_gradient_is_the_adjoint() {
        for (i, g) in resize_cases().into_iter().enumerate() {
            let mut rng = Rng::new(1100 + i as u64);
            let x = rng.vec(g.x_len(), -1.0, 1.0);
            let dy = rng.vec(g.out_len(), -1.0, 1.0);
            let mut out = vec![f32::NAN; g.out_len()];
            resize_bilinear(&g, &x, &mut out);
            assert_close(&out, &naive_bilinear(&g, &x), 1e-6, 1e-6);
            let mut dx = vec![f32::NAN; g.x_len()];
            resize_bilinear_grad(&g, &dy, &mut dx);
            assert_close(&dx, &adjoint(g.x_len(), &dy, |e| naive_bilinear(&g, e)), 1e-5, 1e-5);
        }
    }

    #[test]
    fn nearest_picks_tfjs_pixels_and_its_gradient_is_the_adjoint() {
        // Hand-checked: 3 → 5 without flags picks floor(0.6·o) = 0, 0, 1, 1, 2; with
        // alignCorners round(0.5·o) = 0, 1, 1, 2, 2 (0.5 rounds up); half-pixel
        // floor(0.6·(o + 0.5)) = 0, 0, 1, 2, 2.
        assert_eq!(nearest_axis(3, 5, false, false), [0, 0, 1, 1, 2]);
        assert_eq!(nearest_axis(3, 5, true, false), [0, 1, 1, 2, 2]);
        assert_eq!(nearest_axis(3, 5, false, true), [0, 0, 1, 2, 2]);
        for (i, g) in resize_cases().into_iter().enumerate() {
            let mut rng = Rng::new(1200 + i as u64);
            let x = rng.vec(g.x_len(), -1.0, 1.0);
            let dy = rng.vec(g.out_len(), -1.0, 1.0);
            let (ys, xs) = (nearest_axis(g.h, g.oh, g.align_corners, g.half_pixel_centers), nearest_axis(g.w, g.ow, g.align_corners, g.half_pixel_centers));
            let naive = |x: &[f32]| {
                let mut out = vec![];
                for n in 0..g.n {
                    for &y in &ys {
                        for &xx in &xs {
                            out.extend_from_slice(&x[((n * g.h + y) * g.w + xx) * g.c..][..g.c]);
                        }
                    }
                }
                out
            };
            let mut out = vec![f32::NAN; g.out_len()];
            resize_nearest(&g, &x, &mut out);
            assert_eq!(out, naive(&x));
            let mut dx = vec![f32::NAN; g.x_len()];
            resize_nearest_grad(&g, &dy, &mut dx);
            assert_close(&dx, &adjoint(g.x_len(), &dy, naive), 1e-6, 1e-6);
        }
    }

    #[test]
    fn bilinear_hand_values() {
        // [0, 1, 2] upsampled to 5 with alignCorners: 0, 0.5, 1, 1.5, 2.
        let g = ResizeGeom { n: 1, h: 1, w: 3, c: 1, oh: 1, ow: 5, align_corners: true, half_pixel_centers: false };
        let mut out = [0.0; 5];
        resize_bilinear(&g, &[0.0, 1.0, 2.0], &mut out);
        assert_eq!(out, [0.0, 0.5, 1.0, 1.5, 2.0]);
        // Half-pixel centres 2 → 4: sources −0.25, 0.25, 0.75, 1.25 → 0, 0.25, 0.75, 1 (edges clamp).
        let g = ResizeGeom { n: 1, h: 1, w: 2, c: 1, oh: 1, ow: 4, align_corners: false, half_pixel_centers: true };
        let mut out = [0.0; 4];
        resize_bilinear(&g, &[0.0, 1.0], &mut out);
        assert_eq!(out, [0.0, 0.25, 0.75, 1.0]);
    }

    /// TensorFlow.js' cpu cropAndResize, transcribed.
    fn naive_crop(g: &CropGeom, image: &[f32], boxes: &[f32], ind: &[i32], extra: f32) -> Vec<f32> {
        let mut out = vec![];
        let (hh, ww) = (g.h as f64 - 1.0, g.w as f64 - 1.0);
        for b in 0..g.boxes {
            let [y1, x1, y2, x2] = [0, 1, 2, 3].map(|k| boxes[b * 4 + k] as f64);
            let hs = if g.ch > 1 { (y2 - y1) * hh / (g.ch - 1) as f64 } else { 0.0 };
            let ws = if g.cw > 1 { (x2 - x1) * ww / (g.cw - 1) as f64 } else { 0.0 };
            for y in 0..g.ch {
                let yi = if g.ch > 1 { y1 * hh + y as f64 * hs } else { 0.5 * (y1 + y2) * hh };
                for x in 0..g.cw {
                    let xi = if g.cw > 1 { x1 * ww + x as f64 * ws } else { 0.5 * (x1 + x2) * ww };
                    for ch in 0..g.c {
                        if yi < 0.0 || yi > hh || xi < 0.0 || xi > ww {
                            out.push(extra);
                            continue;
                        }
                        let at = |yy: f64, xx: f64| image[((ind[b] as usize * g.h + yy as usize) * g.w + xx as usize) * g.c + ch] as f64;
                        if g.nearest {
                            out.push(at(yi.round(), xi.round()) as f32);
                        } else {
                            let (t, l) = (yi.floor(), xi.floor());
                            let top = at(t, l) + (at(t, xi.ceil()) - at(t, l)) * (xi - l);
                            let bot = at(yi.ceil(), l) + (at(yi.ceil(), xi.ceil()) - at(yi.ceil(), l)) * (xi - l);
                            out.push((top + (bot - top) * (yi - t)) as f32);
                        }
                    }
                }
            }
        }
        out
    }

    #[test]
    fn crop_and_resize_matches_tfjs_formula_and_its_gradient_is_the_adjoint() {
        let boxes = [
            0.0, 0.0, 1.0, 1.0, // the whole image
            0.1, 0.2, 0.7, 0.9,
            0.8, 0.6, 0.2, 0.1, // flipped
            -0.3, 0.5, 1.4, 0.6, // partly outside: extrapolated rows
            0.25, 0.25, 0.25, 0.25, // a point
        ];
        let ind = [0, 1, 1, 0, 1];
        for nearest in [false, true] {
            for (ch, cw) in [(3, 4), (1, 1), (5, 2)] {
                let g = CropGeom { boxes: 5, n: 2, h: 5, w: 6, c: 3, ch, cw, nearest };
                let mut rng = Rng::new(1300 + ch as u64);
                let image = rng.vec(g.image_len(), -1.0, 1.0);
                let dy = rng.vec(g.out_len(), -1.0, 1.0);
                let mut out = vec![f32::NAN; g.out_len()];
                crop_and_resize(&g, &image, &boxes, &ind, -7.5, &mut out).unwrap();
                assert_close(&out, &naive_crop(&g, &image, &boxes, &ind, -7.5), 1e-6, 1e-6);
                let mut d = vec![f32::NAN; g.image_len()];
                crop_and_resize_grad_image(&g, &dy, &boxes, &ind, &mut d).unwrap();
                // Extrapolated values do not depend on the image: 0 in the linear part.
                let want = adjoint(g.image_len(), &dy, |e| naive_crop(&g, e, &boxes, &ind, 0.0));
                assert_close(&d, &want, 1e-5, 1e-5);
            }
        }
        let g = CropGeom { boxes: 1, n: 2, h: 2, w: 2, c: 1, ch: 1, cw: 1, nearest: false };
        let mut out = [0.0];
        assert_eq!(crop_and_resize(&g, &[0.0; 8], &[0.0; 4], &[2], 0.0, &mut out), Err(0));
        assert_eq!(crop_and_resize(&g, &[0.0; 8], &[0.0; 4], &[-1], 0.0, &mut out), Err(0));
    }

    #[test]
    fn geometry_is_validated() {
        assert!(ResizeGeom::from_i32(&[1, 2, 2, 1, 4, 4, 0, 1]).is_some());
        assert!(ResizeGeom::from_i32(&[1, 2, 2, 1, 4, 4, 2, 0]).is_none());
        assert!(ResizeGeom::from_i32(&[1, 0, 2, 1, 4, 4, 0, 0]).is_none());
        assert!(ResizeGeom::from_i32(&[1, 2, 2, -1, 4, 4, 0, 0]).is_none());
        assert!(ResizeGeom::from_i32(&[1, 2, 2, 1, 4, 4, 0]).is_none());
        assert!(CropGeom::from_i32(&[1, 1, 2, 2, 1, 3, 3, 0]).is_some());
        assert!(CropGeom::from_i32(&[1, 1, 2, 2, 1, 0, 3, 0]).is_none());
    }
}
