//! 2-D convolution on NHWC data with filters in Keras layout [kh, kw, in, out]: forward
//! (with bias and ReLU fused in), gradient w.r.t. the input and w.r.t. the filter, with
//! strides, dilations and any top/left padding (bottom/right follow from the output size).
//!
//! Seen as matrix products over the im2col matrix (row r = output pixel (n, oy, ox), column
//! = tap (ky, kx, c)), out = col · filter, d filter = colᵀ · dy and d col = dy · filterᵀ.
//! The kernels here are implicit GEMMs: the col matrix is never built. Each image is copied
//! once into a zero-padded buffer, and a 4×8 register tile (the shape of the sgemm
//! micro-kernel) accumulates straight from it:
//! - forward: 4 consecutive output pixels × 8 output channels, summed over the taps;
//! - filter gradient: 4 input channels of one tap × 8 output channels, summed over pixels;
//! - input gradient, stride 1: the forward kernel on dy with the flipped, transposed filter.
//! A 1×1 filter with stride 1 and no padding is one sgemm on x itself; the input gradient of
//! a strided convolution is sgemm (d col, a chunk of rows at a time) plus col2im.
//!
//! Threads (crate::parallel) split outputs only: the forward pass and the stride-1 input
//! gradient by images (or bands of output rows), the filter gradient by 4×8 filter tiles
//! (each still summed over every image in order), the strided input gradient by images.
use crate::gemm::sgemm;
use crate::parallel::{self, SharedMut};
use crate::simd::F32x4;
use std::cell::RefCell;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

/// Number of i32 values describing a `Conv2dGeom` (the order of its fields).
pub const CONV2D_GEOM_LEN: usize = 15;

/// The shape of one 2-D convolution: x [n, h, w, c], filter [kh, kw, c, f],
/// out [n, oh, ow, f]; strides (sh, sw), dilations (dh, dw), top/left padding (pt, pl).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dGeom {
    pub n: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub oh: usize,
    pub ow: usize,
    pub f: usize,
    pub kh: usize,
    pub kw: usize,
    pub sh: usize,
    pub sw: usize,
    pub dh: usize,
    pub dw: usize,
    pub pt: usize,
    pub pl: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvError {
    /// A scratch buffer (padded image, rearranged filter, col2im chunk) could not be allocated.
    OutOfMemory,
}

/// Largest element count of any buffer: byte offsets must fit a u32.
const MAX_ELEMENTS: u64 = (u32::MAX / 4) as u64;

/// Floats of a col2im chunk (192 KiB): the chunk stays in L2 between the sgemm and col2im.
const CHUNK_FLOATS: usize = 48 * 1024;

impl Conv2dGeom {
    /// Reads [n, h, w, c, oh, ow, f, kh, kw, sh, sw, dh, dw, pt, pl]. None when a value is
    /// negative, a kernel size, stride or dilation is 0, or a buffer would exceed 4 GiB.
    pub fn from_i32(v: &[i32]) -> Option<Self> {
        if v.len() < CONV2D_GEOM_LEN {
            return None;
        }
        let mut u = [0usize; CONV2D_GEOM_LEN];
        for (d, &s) in u.iter_mut().zip(v) {
            *d = usize::try_from(s).ok()?;
        }
        let g = Conv2dGeom {
            n: u[0], h: u[1], w: u[2], c: u[3], oh: u[4], ow: u[5], f: u[6], kh: u[7], kw: u[8],
            sh: u[9], sw: u[10], dh: u[11], dw: u[12], pt: u[13], pl: u[14],
        };
        if g.kh == 0 || g.kw == 0 || g.sh == 0 || g.sw == 0 || g.dh == 0 || g.dw == 0 {
            return None;
        }
        let p = |xs: &[usize]| xs.iter().try_fold(1u64, |a, &b| a.checked_mul(b as u64)).filter(|&t| t <= MAX_ELEMENTS);
        p(&[g.n, g.h, g.w, g.c])?;
        p(&[g.n, g.oh, g.ow, g.f])?;
        p(&[g.kh, g.kw, g.c, g.f])?;
        p(&[g.n, g.oh, g.ow, g.kh, g.kw, g.c])?;
        // The padded images the kernels read (forward and filter gradient; input gradient,
        // whose image is dy spread over the input's extent) must fit too.
        let span = |o: usize, s: usize, k: usize, d: usize| -> Option<usize> {
            let v = (o.max(1) as u64 - 1) * s as u64 + (k as u64 - 1) * d as u64 + 1;
            (v <= MAX_ELEMENTS).then_some(v as usize)
        };
        p(&[span(g.oh, g.sh, g.kh, g.dh)?, span(g.ow, g.sw, g.kw, g.dw)?, g.c.next_multiple_of(4) + 4])?;
        p(&[span(g.h, 1, g.kh, g.dh)?, span(g.w, 1, g.kw, g.dw)?, g.f.next_multiple_of(4) + 4])?;
        p(&[g.kh, g.kw, g.c.next_multiple_of(8), g.f.next_multiple_of(8)])?;
        Some(g)
    }

    pub fn x_len(&self) -> usize {
        self.n * self.h * self.w * self.c
    }
    pub fn filter_len(&self) -> usize {
        self.kh * self.kw * self.c * self.f
    }
    pub fn out_len(&self) -> usize {
        self.n * self.oh * self.ow * self.f
    }
    /// Depth of the matrix product: kh·kw·c.
    pub fn k(&self) -> usize {
        self.kh * self.kw * self.c
    }
    /// Rows of the matrix product: n·oh·ow.
    pub fn rows(&self) -> usize {
        self.n * self.oh * self.ow
    }
    /// x itself is the col matrix.
    fn pointwise(&self) -> bool {
        self.kh == 1 && self.kw == 1 && self.sh == 1 && self.sw == 1 && self.pt == 0 && self.pl == 0
            && self.oh == self.h && self.ow == self.w
    }
    fn chunk_rows(&self) -> usize {
        (CHUNK_FLOATS / self.k().max(1)).clamp(4, self.rows().max(4))
    }
}

thread_local! {
    /// Padded images and col2im chunks, grown on demand and reused across calls.
    pub(crate) static SCRATCH: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    /// Rearranged filters.
    pub(crate) static WEIGHTS: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

pub(crate) type Scratch = std::thread::LocalKey<RefCell<Vec<f32>>>;

/// Runs `f` on a scratch slice of `len` floats (contents unspecified).
pub(crate) fn with_scratch<R>(which: &'static Scratch, len: usize, f: impl FnOnce(&mut [f32]) -> R) -> Result<R, ConvError> {
    which.with(|cell| {
        let mut own = Vec::new();
        let mut guard = cell.try_borrow_mut();
        let buf: &mut Vec<f32> = match guard {
            Ok(ref mut b) => b,
            Err(_) => &mut own,
        };
        if buf.len() < len {
            if buf.try_reserve_exact(len - buf.len()).is_err() {
                return Err(ConvError::OutOfMemory);
            }
            buf.resize(len, 0.0);
        }
        Ok(f(&mut buf[..len]))
    })
}

/// Runs `image(i, out_i)` for every image i < n of a batch whose output is `per` floats per
/// image (out = [n, per]), as parallel tasks of whole images when `work_ns` (the estimated
/// one-thread time of the batch) is worth it. An image's output depends on that image alone,
/// so any split gives the same bits.
pub(crate) fn each_image(
    out: &mut [f32], n: usize, per: usize, work_ns: usize,
    image: impl Fn(usize, &mut [f32]) -> Result<(), ConvError> + Sync,
) -> Result<(), ConvError> {
    let out = SharedMut::new(&mut out[..n * per]);
    let failed = AtomicBool::new(false);
    parallel::run_units(n, parallel::tasks_for(work_ns, n), |i| {
        // SAFETY: image i's output belongs to this unit alone.
        if image(i, unsafe { out.slice(i * per..(i + 1) * per) }).is_err() {
            failed.store(true, Ordering::Relaxed);
        }
    });
    if failed.load(Ordering::Relaxed) {
        return Err(ConvError::OutOfMemory);
    }
    Ok(())
}

/// Forward: out = conv(x, filter) (+ bias[f]) (then max(·, 0) when `relu`).
pub fn conv2d(
    g: &Conv2dGeom, x: &[f32], filter: &[f32], bias: Option<&[f32]>, relu: bool, out: &mut [f32],
) -> Result<(), ConvError> {
    let (k, rows, f) = (g.k(), g.rows(), g.f);
    let x = &x[..g.x_len()];
    let filter = &filter[..g.filter_len()];
    let out = &mut out[..g.out_len()];
    let bias = bias.map(|b| &b[..f]);
    if out.is_empty() {
        return Ok(());
    }
    if k == 0 {
        out.fill(0.0);
        bias_relu(out, bias, relu, f);
        return Ok(());
    }
    if g.pointwise() {
        sgemm(rows, f, k, 1.0, x, false, filter, false, 0.0, out);
        bias_relu(out, bias, relu, f);
        return Ok(());
    }
    let src = Image { data: x, n: g.n, h: g.h, w: g.w, c: g.c };
    let plan = Plan {
        oh: g.oh, ow: g.ow, f, kh: g.kh, kw: g.kw, sh: g.sh, sw: g.sw, dh: g.dh, dw: g.dw,
        top: g.pt as isize, left: g.pl as isize,
    };
    with_scratch(&WEIGHTS, k * f.next_multiple_of(8), |wp| {
        panels(wp, k, f, |kk, j| filter[kk * f + j]);
        direct(&src, &plan, wp, bias, relu, out)
    })?
}

/// The filter as the kernels read it: panels of 8 output channels, panel t holding
/// dst[(t·k + kk)·8 + j] = at(kk, 8t + j) for kk < k (zero for columns ≥ n).
pub(crate) fn panels(dst: &mut [f32], k: usize, n: usize, at: impl Fn(usize, usize) -> f32) {
    for (t, panel) in dst[..k * n.next_multiple_of(8)].chunks_exact_mut(k * 8).enumerate() {
        for (kk, row) in panel.chunks_exact_mut(8).enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                let col = t * 8 + j;
                *v = if col < n { at(kk, col) } else { 0.0 };
            }
        }
    }
}

/// Gradient w.r.t. the filter: d_filter = colᵀ · dy (overwritten, not accumulated).
pub fn conv2d_backprop_filter(g: &Conv2dGeom, x: &[f32], dy: &[f32], d_filter: &mut [f32]) -> Result<(), ConvError> {
    let (k, rows, f, c) = (g.k(), g.rows(), g.f, g.c);
    let x = &x[..g.x_len()];
    let dy = &dy[..g.out_len()];
    let d_filter = &mut d_filter[..g.filter_len()];
    if d_filter.is_empty() {
        return Ok(());
    }
    if rows == 0 {
        d_filter.fill(0.0);
        return Ok(());
    }
    if g.pointwise() {
        sgemm(k, f, rows, 1.0, x, true, dy, false, 0.0, d_filter);
        return Ok(());
    }
    // Per image: the zero-padded input with channels padded to 4 (the kernel reads 4), dy
    // with columns padded to 8 when needed; each 4×8 tile of the filter gradient (4 input
    // channels of one tap × 8 output channels) sums its images in order. (Groups of images
    // over the threads, as conv3d and depthwise convolutions split theirs (crate::fixed_groups),
    // measured the same here: each thread's padding of every image costs little next to its
    // tiles.)
    let f8 = f.next_multiple_of(8);
    let (c4, tiles) = (c.next_multiple_of(4), filter_tile_count(g));
    let src = Image { data: x, n: g.n, h: g.h, w: g.w, c };
    let scratch = padded_len(g);
    // Threads take ranges of tiles, one per thread (every range pads and reads every image,
    // so more ranges would multiply that), each summing all the images in order.
    let tasks = match parallel::tasks_for(parallel::madd_ns(rows, g.kh * g.kw * c4, f8), tiles) {
        1 => 1,
        _ => parallel::threads().min(tiles),
    };
    let per = parallel::chunk_len(tiles, tasks);
    let out = SharedMut::new(d_filter);
    let failed = AtomicBool::new(false);
    parallel::run(tiles.div_ceil(per), |t| {
        let range = parallel::chunk_range(t, per, tiles);
        let done = with_scratch(&SCRATCH, scratch + range.len() * 32, |buf| {
            let (mine, acc) = buf.split_at_mut(scratch);
            sum_tiles(g, &src, dy, range.clone(), mine, acc);
            write_tiles(g, range.clone(), acc, &out);
        });
        if done.is_err() {
            failed.store(true, Ordering::Relaxed);
        }
    });
    if failed.load(Ordering::Relaxed) {
        return Err(ConvError::OutOfMemory);
    }
    Ok(())
}

/// 4×8 tiles of the filter gradient: taps × groups of 4 input channels × groups of 8 outputs.
fn filter_tile_count(g: &Conv2dGeom) -> usize {
    g.kh * g.kw * g.c.div_ceil(4) * g.f.div_ceil(8)
}

/// Floats of one image as the filter gradient reads it: zero-padded input with channels padded
/// to 4, then dy with columns padded to 8 (none when f is a multiple of 8: dy is read in place).
fn padded_len(g: &Conv2dGeom) -> usize {
    let (hp, wp) = padded_extent(g);
    let dy_len = if g.f % 8 == 0 { 0 } else { g.oh * g.ow * g.f.next_multiple_of(8) };
    hp * wp * g.c.next_multiple_of(4) + dy_len
}

/// Rows and columns of the padded input the filter gradient reads.
fn padded_extent(g: &Conv2dGeom) -> (usize, usize) {
    ((g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1, (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1)
}

/// dst [pix, f8] = src [pix, f] with columns f..f8 zero (nothing when dst is empty: f8 = f).
fn pad_columns(src: &[f32], f: usize, f8: usize, dst: &mut [f32]) {
    if dst.is_empty() {
        return;
    }
    for (d, s) in dst.chunks_exact_mut(f8).zip(src.chunks_exact(f)) {
        d[..f].copy_from_slice(s);
        d[f..].fill(0.0);
    }
}

/// Tile number → (tap, first input channel, first output channel), in the order taps, then
/// channel groups, then output groups.
fn tile_at(g: &Conv2dGeom, tile: usize) -> (usize, usize, usize) {
    let (nc4, nf8) = (g.c.div_ceil(4), g.f.div_ceil(8));
    let (f0, rest) = ((tile % nf8) * 8, tile / nf8);
    (rest / nc4, (rest % nc4) * 4, f0)
}

/// acc (32 floats per tile of `range`, row-major 4×8) = the filter-gradient tiles `range`
/// summed over the images in order, each image padded into `mine` (padded_len floats) first.
fn sum_tiles(g: &Conv2dGeom, src: &Image, dy: &[f32], range: Range<usize>, mine: &mut [f32], acc: &mut [f32]) {
    let (f, c4, f8) = (g.f, g.c.next_multiple_of(4), g.f.next_multiple_of(8));
    let (hp, wp) = padded_extent(g);
    let img = hp * wp * c4;
    let pix = g.oh * g.ow;
    let ldb = if f % 8 == 0 { f } else { f8 };
    let acc = &mut acc[..range.len() * 32];
    acc.fill(0.0);
    for n in 0..g.n {
        let dy_img = &dy[n * pix * f..(n + 1) * pix * f];
        let (pad, dyp) = mine.split_at_mut(img);
        pad_image(src, n, g.pt as isize, g.pl as isize, hp, wp, c4, pad);
        pad_columns(dy_img, f, f8, dyp);
        let b: &[f32] = if f % 8 == 0 { dy_img } else { dyp };
        for (i, tile) in range.clone().enumerate() {
            let (tap, c0, f0) = tile_at(g, tile);
            let (ky, kx) = (tap / g.kw, tap % g.kw);
            let a = (ky * g.dh * wp + kx * g.dw) * c4 + c0;
            // Reads pixels (oy·sh + ky·dh, ox·sw + kx·dw), channels c0..c0+4 of the
            // padded image and columns f0..f0+8 of b: all inside.
            let tt = unsafe { filter_tile(pad[a..].as_ptr(), g.sw * c4, g.sh * wp * c4, g.oh, g.ow, b[f0..].as_ptr(), ldb) };
            for (r, row) in tt.iter().enumerate() {
                let d = &mut acc[i * 32 + r * 8..i * 32 + r * 8 + 8];
                F32x4::from_slice(d).add(row[0]).write_to(&mut d[..4]);
                F32x4::from_slice(&d[4..]).add(row[1]).write_to(&mut d[4..]);
            }
        }
    }
}

/// Writes the tiles `range` of acc (as sum_tiles leaves it) into the filter gradient
/// [kh, kw, c, f] behind `out`.
fn write_tiles(g: &Conv2dGeom, range: Range<usize>, acc: &[f32], out: &SharedMut<f32>) {
    let (c, f) = (g.c, g.f);
    for (i, tile) in range.enumerate() {
        let (tap, c0, f0) = tile_at(g, tile);
        let w = (f - f0).min(8);
        for ch in c0..(c0 + 4).min(c) {
            let at = (tap * c + ch) * f + f0;
            let r = ch - c0;
            // SAFETY: each (tap, channel, output group) of the filter gradient is in one tile
            // only, and each tile is written by one task.
            unsafe { out.slice(at..at + w) }.copy_from_slice(&acc[i * 32 + r * 8..i * 32 + r * 8 + w]);
        }
    }
}

/// Gradient w.r.t. the input (overwritten, not accumulated). With stride 1 it is the
/// forward convolution of dy with the flipped, transposed filter; otherwise
/// dx = col2im(dy · filterᵀ).
pub fn conv2d_backprop_input(g: &Conv2dGeom, dy: &[f32], filter: &[f32], dx: &mut [f32]) -> Result<(), ConvError> {
    let (k, rows, f, c) = (g.k(), g.rows(), g.f, g.c);
    let dy = &dy[..g.out_len()];
    let filter = &filter[..g.filter_len()];
    let dx = &mut dx[..g.x_len()];
    if dx.is_empty() {
        return Ok(());
    }
    if g.pointwise() && f > 0 {
        sgemm(rows, k, f, 1.0, dy, false, filter, true, 0.0, dx);
        return Ok(());
    }
    if rows == 0 || f == 0 {
        dx.fill(0.0);
        return Ok(());
    }
    if g.sh == 1 && g.sw == 1 {
        // dx[iy, ix] = Σ dy[iy + pt − ky·dh, ix + pl − kx·dw] · filter[ky, kx]ᵀ
        //           = Σ dy_pad[iy + ky'·dh, ix + kx'·dw] · flipped[ky', kx'],  ky' = kh − 1 − ky.
        let src = Image { data: dy, n: g.n, h: g.oh, w: g.ow, c: f };
        let plan = Plan {
            oh: g.h, ow: g.w, f: c, kh: g.kh, kw: g.kw, sh: 1, sw: 1, dh: g.dh, dw: g.dw,
            top: ((g.kh - 1) * g.dh) as isize - g.pt as isize,
            left: ((g.kw - 1) * g.dw) as isize - g.pl as isize,
        };
        let (kk_len, kwf) = (g.kh * g.kw * f, g.kw * f);
        return with_scratch(&WEIGHTS, kk_len * c.next_multiple_of(8), |wf| {
            // Row (ky', kx', fo) of the flipped filter, column ci.
            panels(wf, kk_len, c, |r, ci| {
                let (ky, kx, fo) = (g.kh - 1 - r / kwf, g.kw - 1 - (r % kwf) / f, r % f);
                filter[((ky * g.kw + kx) * c + ci) * f + fo]
            });
            direct(&src, &plan, wf, None, false, dx)
        })?;
    }
    // Image by image (threads take whole images), in chunks of rows: an image's dx receives
    // only its own rows, in the same order whatever the split.
    let per_image = g.oh * g.ow;
    let chunk = g.chunk_rows().min(per_image);
    let img_len = g.h * g.w * c;
    let failed = AtomicBool::new(false);
    parallel::for_each_row_band(dx, g.n, img_len, parallel::madd_ns(rows, k, f), |images, dx| {
        dx.fill(0.0);
        let done = with_scratch(&SCRATCH, chunk * k, |dcol| {
            for n in images.clone() {
                let (mut r0, end) = (n * per_image, (n + 1) * per_image);
                while r0 < end {
                    let m = chunk.min(end - r0);
                    let dcol = &mut dcol[..m * k];
                    sgemm(m, k, f, 1.0, &dy[r0 * f..(r0 + m) * f], false, filter, true, 0.0, dcol);
                    col2im_add(g, dcol, r0, m, dx, images.start);
                    r0 += m;
                }
            }
        });
        if done.is_err() {
            failed.store(true, Ordering::Relaxed);
        }
    });
    if failed.load(Ordering::Relaxed) {
        return Err(ConvError::OutOfMemory);
    }
    Ok(())
}

/// One image batch [n, h, w, c] read by `direct`.
pub(crate) struct Image<'a> {
    pub(crate) data: &'a [f32],
    pub(crate) n: usize,
    pub(crate) h: usize,
    pub(crate) w: usize,
    pub(crate) c: usize,
}

/// A direct convolution: out [n, oh, ow, f] from the image shifted down/right by
/// (top, left) (negative: cropped) and zero-padded around.
struct Plan {
    oh: usize,
    ow: usize,
    f: usize,
    kh: usize,
    kw: usize,
    sh: usize,
    sw: usize,
    dh: usize,
    dw: usize,
    top: isize,
    left: isize,
}

/// The taps of one output pixel in the padded image, as the kernel walks them: `nky` rows
/// `ky_step` apart, each with `nkx` runs of `len` contiguous values `kx_step` apart.
struct Taps {
    nky: usize,
    nkx: usize,
    len: usize,
    kx_step: usize,
    ky_step: usize,
}

/// Accumulators of a 4×8 tile: row r holds columns 0..4 in `[r][0]`, 4..8 in `[r][1]`.
pub(crate) type Tile = [[F32x4; 2]; 4];

/// out = conv(src, filter) (+ bias, relu) without an im2col matrix: each image is copied once
/// into a zero-padded buffer, then every 4 consecutive output pixels × 8 output channels are
/// accumulated in registers straight from it. `panels` is the filter [kh, kw, c, f] as
/// `panels()` lays it out.
fn direct(
    src: &Image, p: &Plan, panels: &[f32], bias: Option<&[f32]>, relu: bool, out: &mut [f32],
) -> Result<(), ConvError> {
    let c = src.c;
    let k = p.kh * p.kw * c;
    assert!(panels.len() >= k * p.f.next_multiple_of(8));
    let hp = (p.oh - 1) * p.sh + (p.kh - 1) * p.dh + 1;
    let wp = (p.ow - 1) * p.sw + (p.kw - 1) * p.dw + 1;
    let img = hp * wp * c;
    // A partial tile at the end of a row reads up to 3 pixels past its last real one.
    let slack = 3 * p.sw * c;
    let taps = if p.dw == 1 {
        Taps { nky: p.kh, nkx: 1, len: p.kw * c, kx_step: 0, ky_step: p.dh * wp * c }
    } else {
        Taps { nky: p.kh, nkx: p.kw, len: c, kx_step: p.dw * c, ky_step: p.dh * wp * c }
    };
    let per_out = p.oh * p.ow * p.f;
    // Units of output: whole images, or bands of an image's output rows when there are more
    // tasks than images (each band pads its own copy of the image).
    let work = parallel::madd_ns(src.n * p.oh * p.ow, p.f.next_multiple_of(8), k);
    let tasks = parallel::tasks_for(work, src.n * p.oh);
    let bands = tasks.div_ceil(src.n.max(1)).clamp(1, p.oh.max(1));
    let band = parallel::chunk_len(p.oh, bands);
    let bands = p.oh.div_ceil(band);
    let out = SharedMut::new(&mut out[..src.n * per_out]);
    let failed = AtomicBool::new(false);
    parallel::run_units(src.n * bands, tasks, |u| {
        let (n, rows) = (u / bands, parallel::chunk_range(u % bands, band, p.oh));
        // SAFETY: rows `rows` of image n belong to this unit alone.
        let out_rows = unsafe { out.slice(n * per_out + rows.start * p.ow * p.f..n * per_out + rows.end * p.ow * p.f) };
        let done = with_scratch(&SCRATCH, img + slack, |pad| {
            pad[img..].fill(0.0);
            pad_image(src, n, p.top, p.left, hp, wp, c, &mut pad[..img]);
            for f0 in (0..p.f).step_by(8) {
                let nc = (p.f - f0).min(8);
                let b = bias.map(|b| &b[f0..f0 + nc]);
                for oy in rows.clone() {
                    let row = oy * p.sh * wp * c;
                    for ox0 in (0..p.ow).step_by(4) {
                        let nr = (p.ow - ox0).min(4);
                        let a = row + ox0 * p.sw * c;
                        // Reads pixel r's taps at a + r·sw·c + ky·ky_step + kx·kx_step + j
                        // (inside pad, slack included) and the panel of channels f0..f0+8.
                        let t = unsafe { conv_tile(pad[a..].as_ptr(), p.sw * c, &taps, panels[f0 * k..].as_ptr()) };
                        let at = ((oy - rows.start) * p.ow + ox0) * p.f + f0;
                        store_tile(&t, &mut out_rows[at..], p.f, nr, nc, b, relu);
                    }
                }
            }
        });
        if done.is_err() {
            failed.store(true, Ordering::Relaxed);
        }
    });
    if failed.load(Ordering::Relaxed) {
        return Err(ConvError::OutOfMemory);
    }
    Ok(())
}

/// dst [hp, wp, cs] = image n of src moved by (top, left), zeros elsewhere (and in channels
/// c..cs).
pub(crate) fn pad_image(src: &Image, n: usize, top: isize, left: isize, hp: usize, wp: usize, cs: usize, dst: &mut [f32]) {
    let (h, w, c) = (src.h, src.w, src.c);
    let img = &src.data[n * h * w * c..(n + 1) * h * w * c];
    // Destination columns [x0, x1) come from the source.
    let x0 = left.clamp(0, wp as isize) as usize;
    let x1 = (left + w as isize).clamp(x0 as isize, wp as isize) as usize;
    let sx0 = (x0 as isize - left) as usize;
    for (y, d) in dst[..hp * wp * cs].chunks_exact_mut(wp * cs).enumerate() {
        let sy = y as isize - top;
        if sy < 0 || sy >= h as isize || x0 == x1 {
            zero(d);
            continue;
        }
        let s = &img[(sy as usize * w + sx0) * c..];
        zero(&mut d[..x0 * cs]);
        zero(&mut d[x1 * cs..]);
        if cs == c {
            copy(&mut d[x0 * c..x1 * c], s);
        } else {
            for (i, dd) in d[x0 * cs..x1 * cs].chunks_exact_mut(cs).enumerate() {
                copy(&mut dd[..c], &s[i * c..]);
                zero(&mut dd[c..]);
            }
        }
    }
}

/// Σ over the taps of 4 output pixels (`pix` apart) of pixel values × 8 columns of b.
///
/// # Safety
/// Every read described by `t` from a + r·pix (r < 4), and 8 values of b per tap (the panel
/// of 8 output channels, one row per tap in order), must be in bounds.
#[inline(never)]
unsafe fn conv_tile(a: *const f32, pix: usize, t: &Taps, b: *const f32) -> Tile {
    let (mut c00, mut c01, mut c10, mut c11) = (F32x4::zero(), F32x4::zero(), F32x4::zero(), F32x4::zero());
    let (mut c20, mut c21, mut c30, mut c31) = (F32x4::zero(), F32x4::zero(), F32x4::zero(), F32x4::zero());
    unsafe {
        let mut b = b;
        let mut row = a;
        for _ in 0..t.nky {
            let mut seg = row;
            for _ in 0..t.nkx {
                let (mut p0, mut p1, mut p2, mut p3) = (seg, seg.add(pix), seg.add(2 * pix), seg.add(3 * pix));
                let end = seg.add(t.len);
                // One tap per iteration, not unrolled (unrolled bodies spill in V8).
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
                seg = seg.add(t.kx_step);
            }
            row = row.add(t.ky_step);
        }
    }
    [[c00, c01], [c10, c11], [c20, c21], [c30, c31]]
}

/// Σ over `rows` × `cols` pixels of 4 consecutive values at a (pixels `pix` apart, rows
/// `row` apart) × 8 values of b (one row of `ldb` per pixel, in order).
///
/// # Safety
/// All those reads must be in bounds.
#[inline(never)]
pub(crate) unsafe fn filter_tile(a: *const f32, pix: usize, row: usize, rows: usize, cols: usize, b: *const f32, ldb: usize) -> Tile {
    let (mut c00, mut c01, mut c10, mut c11) = (F32x4::zero(), F32x4::zero(), F32x4::zero(), F32x4::zero());
    let (mut c20, mut c21, mut c30, mut c31) = (F32x4::zero(), F32x4::zero(), F32x4::zero(), F32x4::zero());
    unsafe {
        let mut b = b;
        let mut arow = a;
        for _ in 0..rows {
            let mut p = arow;
            let end = p.add(cols * pix);
            while p != end {
                let b0 = F32x4::load(b);
                let b1 = F32x4::load(b.add(4));
                let a0 = F32x4::splat(*p);
                c00 = a0.madd(b0, c00);
                c01 = a0.madd(b1, c01);
                let a1 = F32x4::splat(*p.add(1));
                c10 = a1.madd(b0, c10);
                c11 = a1.madd(b1, c11);
                let a2 = F32x4::splat(*p.add(2));
                c20 = a2.madd(b0, c20);
                c21 = a2.madd(b1, c21);
                let a3 = F32x4::splat(*p.add(3));
                c30 = a3.madd(b0, c30);
                c31 = a3.madd(b1, c31);
                p = p.add(pix);
                b = b.add(ldb);
            }
            arow = arow.add(row);
        }
    }
    [[c00, c01], [c10, c11], [c20, c21], [c30, c31]]
}

/// Writes rows 0..nr, columns 0..nc of a tile to out (rows `ld` apart), adding bias and
/// applying relu.
#[inline(always)]
pub(crate) fn store_tile(t: &Tile, out: &mut [f32], ld: usize, nr: usize, nc: usize, bias: Option<&[f32]>, relu: bool) {
    let zero = F32x4::zero();
    let (b0, b1) = match bias {
        Some(b) if nc == 8 => (F32x4::from_slice(b), F32x4::from_slice(&b[4..])),
        Some(b) => (F32x4::load_partial(b, 0.0), F32x4::load_partial(b.get(4..).unwrap_or(&[]), 0.0)),
        None => (zero, zero),
    };
    for (r, acc) in t.iter().enumerate().take(nr) {
        let (mut v0, mut v1) = (acc[0].add(b0), acc[1].add(b1));
        if relu {
            v0 = v0.max(zero);
            v1 = v1.max(zero);
        }
        let d = &mut out[r * ld..r * ld + nc];
        if nc == 8 {
            v0.write_to(&mut d[..4]);
            v1.write_to(&mut d[4..]);
        } else {
            let mut vals = [0.0f32; 8];
            v0.write_to(&mut vals[..4]);
            v1.write_to(&mut vals[4..]);
            d.copy_from_slice(&vals[..nc]);
        }
    }
}

/// An output position (n, oy, ox), stepped in row-major order.
struct Pos {
    n: usize,
    oy: usize,
    ox: usize,
}

impl Pos {
    fn at(g: &Conv2dGeom, r: usize) -> Pos {
        let per_image = g.oh * g.ow;
        Pos { n: r / per_image, oy: (r % per_image) / g.ow, ox: r % g.ow }
    }
    #[inline(always)]
    fn step(&mut self, g: &Conv2dGeom) {
        self.ox += 1;
        if self.ox == g.ow {
            self.ox = 0;
            self.oy += 1;
            if self.oy == g.oh {
                self.oy = 0;
                self.n += 1;
            }
        }
    }
    /// Top-left input coordinate of the receptive field (may be negative: padding).
    #[inline(always)]
    fn origin(&self, g: &Conv2dGeom) -> (isize, isize) {
        ((self.oy * g.sh) as isize - g.pt as isize, (self.ox * g.sw) as isize - g.pl as isize)
    }
}

/// Adds rows r0..r0+m of a col-shaped gradient back into dx (the adjoint of im2col), where
/// `dx` starts at image `first_image`.
fn col2im_add(g: &Conv2dGeom, dcol: &[f32], r0: usize, m: usize, dx: &mut [f32], first_image: usize) {
    let (c, kwc) = (g.c, g.kw * g.c);
    let (img_len, row_len) = (g.h * g.w * c, g.w * c);
    let mut pos = Pos::at(g, r0);
    for src in dcol[..m * g.k()].chunks_exact(g.k()) {
        let img = &mut dx[(pos.n - first_image) * img_len..(pos.n - first_image + 1) * img_len];
        let (iy0, ix0) = pos.origin(g);
        let inside_x = ix0 >= 0 && ix0 as usize + (g.kw - 1) * g.dw < g.w;
        for (ky, s) in src.chunks_exact(kwc).enumerate() {
            let iy = iy0 + (ky * g.dh) as isize;
            if iy < 0 || iy >= g.h as isize {
                continue;
            }
            let dst = &mut img[iy as usize * row_len..(iy as usize + 1) * row_len];
            if inside_x && g.dw == 1 {
                add(&mut dst[ix0 as usize * c..], s);
                continue;
            }
            for (kx, ss) in s.chunks_exact(c).enumerate() {
                let ix = ix0 + (kx * g.dw) as isize;
                if ix >= 0 && ix < g.w as isize {
                    add(&mut dst[ix as usize * c..], ss);
                }
            }
        }
        pos.step(g);
    }
}

/// out[r, j] = relu?(out[r, j] + bias[j]) over rows of `f` values.
pub(crate) fn bias_relu(out: &mut [f32], bias: Option<&[f32]>, relu: bool, f: usize) {
    let zero = F32x4::zero();
    match bias {
        None if !relu => {}
        None => {
            let mut it = out.chunks_exact_mut(4);
            for v in &mut it {
                F32x4::from_slice(v).max(zero).write_to(v);
            }
            for v in it.into_remainder() {
                *v = v.max(0.0);
            }
        }
        Some(b) => {
            for row in out.chunks_exact_mut(f) {
                let mut rc = row.chunks_exact_mut(4);
                let mut bc = b.chunks_exact(4);
                for (v, bv) in (&mut rc).zip(&mut bc) {
                    let s = F32x4::from_slice(v).add(F32x4::from_slice(bv));
                    (if relu { s.max(zero) } else { s }).write_to(v);
                }
                for (v, &bv) in rc.into_remainder().iter_mut().zip(bc.remainder()) {
                    let s = *v + bv;
                    *v = if relu { s.max(0.0) } else { s };
                }
            }
        }
    }
}

/// dst[..] = src[..dst.len()], four lanes at a time (no memcpy call for short runs).
#[inline(always)]
pub(crate) fn copy(dst: &mut [f32], src: &[f32]) {
    let n = dst.len();
    let src = &src[..n];
    let mut i = 0;
    unsafe {
        while i + 4 <= n {
            F32x4::load(src.as_ptr().add(i)).store(dst.as_mut_ptr().add(i));
            i += 4;
        }
    }
    tail(&mut dst[i..], &src[i..], |_, s| s);
}

/// dst[..] += src[..dst.len()].
#[inline(always)]
pub(crate) fn add(dst: &mut [f32], src: &[f32]) {
    let n = src.len();
    let dst = &mut dst[..n];
    let mut i = 0;
    unsafe {
        while i + 4 <= n {
            let p = dst.as_mut_ptr().add(i);
            F32x4::load(p).add(F32x4::load(src.as_ptr().add(i))).store(p);
            i += 4;
        }
    }
    tail(&mut dst[i..], &src[i..], |d, s| d + s);
}

#[inline(always)]
pub(crate) fn zero(dst: &mut [f32]) {
    let n = dst.len();
    let mut i = 0;
    unsafe {
        while i + 4 <= n {
            F32x4::zero().store(dst.as_mut_ptr().add(i));
            i += 4;
        }
    }
    tail(&mut dst[i..], &[0.0; 3], |_, s| s);
}

/// The last 0–3 elements, unrolled so the compiler emits no loop (and no memcpy call).
#[inline(always)]
fn tail(dst: &mut [f32], src: &[f32], f: impl Fn(f32, f32) -> f32) {
    match dst.len() {
        0 => {}
        1 => dst[0] = f(dst[0], src[0]),
        2 => {
            dst[0] = f(dst[0], src[0]);
            dst[1] = f(dst[1], src[1]);
        }
        _ => {
            dst[0] = f(dst[0], src[0]);
            dst[1] = f(dst[1], src[1]);
            dst[2] = f(dst[2], src[2]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Rng};

    fn geom(n: usize, h: usize, w: usize, c: usize, f: usize, k: (usize, usize), s: (usize, usize), d: (usize, usize), same: bool) -> Conv2dGeom {
        // TensorFlow's 'same' / 'valid' output sizes and padding.
        let out = |size: usize, k: usize, s: usize, d: usize| {
            let ek = (k - 1) * d + 1;
            if same {
                let o = size.div_ceil(s);
                let total = ((o - 1) * s + ek).saturating_sub(size);
                (o, total / 2)
            } else {
                ((size - ek) / s + 1, 0)
            }
        };
        let (oh, pt) = out(h, k.0, s.0, d.0);
        let (ow, pl) = out(w, k.1, s.1, d.1);
        Conv2dGeom { n, h, w, c, oh, ow, f, kh: k.0, kw: k.1, sh: s.0, sw: s.1, dh: d.0, dw: d.1, pt, pl }
    }

    /// Input coordinate of output o and tap t, if inside.
    fn src(o: usize, t: usize, s: usize, d: usize, p: usize, size: usize) -> Option<usize> {
        let i = (o * s + t * d) as isize - p as isize;
        (i >= 0 && i < size as isize).then_some(i as usize)
    }

    /// Direct convolution and its two gradients in f64.
    fn naive(g: &Conv2dGeom, x: &[f32], w: &[f32], dy: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let mut out = vec![0f64; g.out_len()];
        let mut dx = vec![0f64; g.x_len()];
        let mut dw = vec![0f64; g.filter_len()];
        for n in 0..g.n {
            for oy in 0..g.oh {
                for ox in 0..g.ow {
                    for ky in 0..g.kh {
                        let Some(iy) = src(oy, ky, g.sh, g.dh, g.pt, g.h) else { continue };
                        for kx in 0..g.kw {
                            let Some(ix) = src(ox, kx, g.sw, g.dw, g.pl, g.w) else { continue };
                            for ci in 0..g.c {
                                let xi = ((n * g.h + iy) * g.w + ix) * g.c + ci;
                                for fo in 0..g.f {
                                    let wi = ((ky * g.kw + kx) * g.c + ci) * g.f + fo;
                                    let oi = ((n * g.oh + oy) * g.ow + ox) * g.f + fo;
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

    fn check(g: Conv2dGeom, seed: u64) {
        let mut rng = Rng::new(seed);
        let x = rng.vec(g.x_len(), -1.0, 1.0);
        let w = rng.vec(g.filter_len(), -1.0, 1.0);
        let dy = rng.vec(g.out_len(), -1.0, 1.0);
        let bias = rng.vec(g.f, -1.0, 1.0);
        let (want, want_dx, want_dw) = naive(&g, &x, &w, &dy);
        let tol = 1e-4 * (g.k().max(g.rows()) as f32).sqrt();

        let mut out = vec![f32::NAN; g.out_len()];
        conv2d(&g, &x, &w, None, false, &mut out).unwrap();
        assert_close(&out, &want, tol, tol);

        let mut fused = vec![f32::NAN; g.out_len()];
        conv2d(&g, &x, &w, Some(&bias), true, &mut fused).unwrap();
        let want_fused: Vec<f32> = want.iter().enumerate().map(|(i, &v)| (v + bias[i % g.f]).max(0.0)).collect();
        assert_close(&fused, &want_fused, tol, tol);

        let mut dx = vec![f32::NAN; g.x_len()];
        conv2d_backprop_input(&g, &dy, &w, &mut dx).unwrap();
        assert_close(&dx, &want_dx, tol, tol);

        let mut dw = vec![f32::NAN; g.filter_len()];
        conv2d_backprop_filter(&g, &x, &dy, &mut dw).unwrap();
        assert_close(&dw, &want_dw, tol, tol);
    }

    #[test]
    fn matches_direct_convolution_on_awkward_shapes() {
        let cases = [
            // n, h, w, c, f, kernel, stride, dilation, same
            geom(1, 5, 7, 3, 5, (3, 3), (1, 1), (1, 1), true),
            geom(2, 9, 6, 5, 7, (3, 2), (2, 2), (1, 1), true),
            geom(1, 9, 9, 2, 3, (3, 3), (2, 1), (1, 1), false),
            geom(3, 7, 8, 1, 1, (2, 3), (1, 3), (1, 1), true),
            geom(1, 11, 10, 3, 6, (3, 3), (1, 1), (2, 3), true),
            geom(2, 11, 12, 4, 4, (3, 2), (1, 1), (2, 2), false),
            geom(1, 6, 6, 5, 3, (1, 1), (1, 1), (1, 1), true), // pointwise: x is the col matrix
            geom(2, 7, 5, 3, 9, (1, 1), (2, 2), (1, 1), false), // strided 1×1
            geom(1, 4, 5, 3, 2, (4, 5), (1, 1), (1, 1), false), // kernel = input
            geom(1, 3, 3, 2, 2, (5, 5), (1, 1), (1, 1), true), // kernel larger than the input
            geom(1, 1, 9, 3, 4, (1, 3), (1, 2), (1, 1), true), // conv1d as height 1
            geom(2, 20, 20, 7, 5, (5, 5), (1, 1), (1, 1), true), // several chunks
            geom(1, 28, 28, 16, 32, (3, 3), (1, 1), (1, 1), true), // W6's layer, batch 1
            geom(5, 6, 7, 3, 9, (3, 3), (1, 1), (1, 1), true), // filter gradient in groups of images
            geom(9, 5, 4, 6, 16, (2, 3), (2, 1), (1, 1), false), // groups of 2 and 1, strided
        ];
        for (i, g) in cases.into_iter().enumerate() {
            check(g, 100 + i as u64);
        }
    }

    #[test]
    fn explicit_padding_and_empty_shapes() {
        // Asymmetric explicit padding: top 2, left 0, bottom/right from the output size.
        let g = Conv2dGeom { n: 2, h: 5, w: 6, c: 3, oh: 6, ow: 4, f: 2, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pt: 2, pl: 0 };
        check(g, 7);
        // No channels: out = bias, gradients zero.
        let g = Conv2dGeom { c: 0, ..g };
        let mut out = vec![f32::NAN; g.out_len()];
        conv2d(&g, &[], &[], Some(&[1.0, -2.0]), true, &mut out).unwrap();
        assert!(out.chunks(2).all(|r| r == [1.0, 0.0]));
        let mut dw = vec![f32::NAN; 0];
        conv2d_backprop_filter(&g, &[], &out, &mut dw).unwrap();
    }

    #[test]
    fn geometry_is_validated() {
        let mut v = [1, 5, 5, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1];
        assert!(Conv2dGeom::from_i32(&v).is_some());
        v[9] = 0;
        assert!(Conv2dGeom::from_i32(&v).is_none());
        v[9] = 1;
        v[0] = -1;
        assert!(Conv2dGeom::from_i32(&v).is_none());
        v[0] = 1 << 20;
        v[3] = 1 << 12;
        assert!(Conv2dGeom::from_i32(&v).is_none());
        assert!(Conv2dGeom::from_i32(&v[..14]).is_none());
        // Strides or dilations whose padded image would not fit the address space.
        let mut v = [1, 5, 5, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1];
        v[9] = 1 << 30;
        assert!(Conv2dGeom::from_i32(&v).is_none());
        v[9] = 1;
        v[12] = 1 << 29;
        assert!(Conv2dGeom::from_i32(&v).is_none());
    }
}
