//! Small strided matrix products and transposes for the attention kernels.
//!
//! Attention multiplies many small matrices (a head's 64×16 queries by its 16×64 keys) whose
//! rows sit strided in the [batch, time, heads, dim] tensors. These products run the sgemm's
//! register-blocked micro-kernel (gemm/kernel.rs: MR×8 tiles) with B and C read and written in
//! place by rows, and only A packed: MR rows at a time into a [k][MR] sliver, read through any
//! (row, column) strides — so Aᵀ costs nothing extra — and reused across every 8-column block
//! of C (edge columns, n not a multiple of 8, take 4-wide vectors, then scalars, so nothing is
//! read past the end of a row of B). Narrow products (C of fewer than 32 columns: the P·V and
//! dS·K of heads of depth 16) skip the packing, which would cost as much as the product, and
//! broadcast A from its strided rows in 4×8 blocks.

use crate::gemm::blocks::{MR, NR};
use crate::gemm::kernel::{tile_rows, Out};
use crate::simd::F32x4;
use std::cell::RefCell;

/// A read-only matrix: element (i, p) is at `ptr + i·rs + p·cs`.
#[derive(Clone, Copy)]
pub(crate) struct Mat {
    pub ptr: *const f32,
    pub rs: usize,
    pub cs: usize,
}

impl Mat {
    /// Rows contiguous (column stride 1) at row stride `rs`.
    pub fn rows(ptr: *const f32, rs: usize) -> Self {
        Mat { ptr, rs, cs: 1 }
    }
    /// The transpose of a matrix stored row-major at row stride `rs`.
    pub fn transposed(ptr: *const f32, rs: usize) -> Self {
        Mat { ptr, rs: 1, cs: rs }
    }
}

/// Columns of C from which A is packed: a sliver then serves at least 4 tiles of 8 columns.
const PACK_MIN_COLUMNS: usize = 4 * NR;

thread_local! {
    /// The packed A sliver, grown on demand (each thread has its own).
    static SLIVER: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// C = alpha·A·B, or C += alpha·A·B when `accumulate`: A is m×k, B is k×n with row p at
/// `b + p·ldb`, C is m×n with row i at `c + i·ldc` (rows of B and C contiguous).
///
/// # Safety
/// Every element the shapes and strides address must be valid; C must not overlap A or B.
pub(crate) unsafe fn gemm(
    m: usize, n: usize, k: usize, alpha: f32,
    a: Mat, b: *const f32, ldb: usize, c: *mut f32, ldc: usize, accumulate: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    if n < PACK_MIN_COLUMNS {
        unsafe { gemm_unpacked(m, n, k, alpha, a, b, ldb, c, ldc, accumulate) };
        return;
    }
    let n8 = n - n % NR;
    let beta = if accumulate { 1.0 } else { 0.0 };
    SLIVER.with(|cell| {
        // A re-entrant call (none today) would find the buffer busy: it gets one of its own.
        let mut own = Vec::new();
        let mut borrowed = cell.try_borrow_mut();
        let buf: &mut Vec<f32> = match borrowed.as_mut() {
            Ok(v) => v,
            Err(_) => &mut own,
        };
        if buf.len() < k * MR {
            buf.resize(k * MR, 0.0);
        }
        let mut i = 0;
        while i < m {
            let rows = (m - i).min(MR);
            unsafe {
                // sliver[p·MR + r] = A(i + r, p)
                for p in 0..k {
                    let src = a.ptr.add(i * a.rs + p * a.cs);
                    for r in 0..rows {
                        *buf.get_unchecked_mut(p * MR + r) = *src.add(r * a.rs);
                    }
                }
                let mut j = 0;
                while j < n8 {
                    let out = Out { c: c.add(i * ldc + j), ldc, alpha, beta };
                    tile_rows(rows, k, buf.as_ptr(), MR, b.add(j), ldb, out);
                    j += NR;
                }
                if n8 < n {
                    edge_columns(rows, n8, n, k, alpha, buf.as_ptr(), b, ldb, c.add(i * ldc), ldc, accumulate);
                }
            }
            i += rows;
        }
    });
}

/// Rows of C per register block of the unpacked product. Not the sgemm's MR (6 in the relaxed
/// build): each row of A here is one more address register, and at 6 rows V8 ran P·V of W7's
/// heads (64×16 by 64) 30% slower than at 4.
const UNPACKED_ROWS: usize = 4;

/// The product without packing: A read in place through its strides, one broadcast per
/// element, UNPACKED_ROWS rows × 8 columns of C per register block. For narrow C
/// (n < PACK_MIN_COLUMNS) a packed sliver would be reused by too few column blocks to pay for
/// its copy.
unsafe fn gemm_unpacked(
    m: usize, n: usize, k: usize, alpha: f32,
    a: Mat, b: *const f32, ldb: usize, c: *mut f32, ldc: usize, accumulate: bool,
) {
    let mut i = 0;
    unsafe {
        while i + UNPACKED_ROWS <= m {
            rows::<UNPACKED_ROWS>(i, n, k, alpha, a, b, ldb, c, ldc, accumulate);
            i += UNPACKED_ROWS;
        }
        match m - i {
            1 => rows::<1>(i, n, k, alpha, a, b, ldb, c, ldc, accumulate),
            2 => rows::<2>(i, n, k, alpha, a, b, ldb, c, ldc, accumulate),
            3 => rows::<3>(i, n, k, alpha, a, b, ldb, c, ldc, accumulate),
            _ => {}
        }
    }
}

/// Rows i0..i0+R of C, all columns.
#[inline(always)]
unsafe fn rows<const R: usize>(
    i0: usize, n: usize, k: usize, alpha: f32,
    a: Mat, b: *const f32, ldb: usize, c: *mut f32, ldc: usize, accumulate: bool,
) {
    let mut j = 0;
    unsafe {
        while j + 8 <= n {
            block::<R, 2>(i0, j, k, alpha, a, b, ldb, c, ldc, accumulate);
            j += 8;
        }
        if j + 4 <= n {
            block::<R, 1>(i0, j, k, alpha, a, b, ldb, c, ldc, accumulate);
            j += 4;
        }
        for j in j..n {
            for r in 0..R {
                let ar = a.ptr.add((i0 + r) * a.rs);
                let mut s = 0.0f32;
                for p in 0..k {
                    s += *ar.add(p * a.cs) * *b.add(p * ldb + j);
                }
                let dst = c.add((i0 + r) * ldc + j);
                *dst = if accumulate { *dst + alpha * s } else { alpha * s };
            }
        }
    }
}

/// The R × 4V block of C at (i0, j).
#[inline(always)]
unsafe fn block<const R: usize, const V: usize>(
    i0: usize, j: usize, k: usize, alpha: f32,
    a: Mat, b: *const f32, ldb: usize, c: *mut f32, ldc: usize, accumulate: bool,
) {
    unsafe {
        let mut acc = [[F32x4::zero(); V]; R];
        let arow: [*const f32; R] = core::array::from_fn(|r| a.ptr.add((i0 + r) * a.rs));
        let mut bp = b.add(j);
        let mut ap = 0;
        for _ in 0..k {
            let bv: [F32x4; V] = core::array::from_fn(|v| F32x4::load(bp.add(4 * v)));
            for r in 0..R {
                let av = F32x4::splat(*arow[r].add(ap));
                for v in 0..V {
                    acc[r][v] = av.madd(bv[v], acc[r][v]);
                }
            }
            bp = bp.add(ldb);
            ap += a.cs;
        }
        let va = F32x4::splat(alpha);
        for r in 0..R {
            let cp = c.add((i0 + r) * ldc + j);
            for v in 0..V {
                let mut x = if alpha == 1.0 { acc[r][v] } else { acc[r][v].mul(va) };
                if accumulate {
                    x = x.add(F32x4::load(cp.add(4 * v)));
                }
                x.store(cp.add(4 * v));
            }
        }
    }
}

/// Columns j0..n of `rows` rows of C from a packed sliver (A(r, p) at a[p·MR + r]): 4-wide
/// while 4 columns remain, then one at a time.
///
/// # Safety
/// As `gemm`, for these rows and columns.
unsafe fn edge_columns(
    rows: usize, j0: usize, n: usize, k: usize, alpha: f32,
    a: *const f32, b: *const f32, ldb: usize, c: *mut f32, ldc: usize, accumulate: bool,
) {
    let va = F32x4::splat(alpha);
    let mut j = j0;
    unsafe {
        while j + 4 <= n {
            for r in 0..rows {
                let mut acc = F32x4::zero();
                for p in 0..k {
                    acc = F32x4::splat(*a.add(p * MR + r)).madd(F32x4::load(b.add(p * ldb + j)), acc);
                }
                let dst = c.add(r * ldc + j);
                let mut x = acc.mul(va);
                if accumulate {
                    x = x.add(F32x4::load(dst));
                }
                x.store(dst);
            }
            j += 4;
        }
        for j in j..n {
            for r in 0..rows {
                let mut s = 0.0f32;
                for p in 0..k {
                    s += *a.add(p * MR + r) * *b.add(p * ldb + j);
                }
                let dst = c.add(r * ldc + j);
                *dst = if accumulate { *dst + alpha * s } else { alpha * s };
            }
        }
    }
}

/// dst (cols × rows, contiguous) = the transpose of `rows` rows of `cols` elements at row
/// stride `rs`: dst[c·rows + r] = src[r·rs + c].
///
/// # Safety
/// The source rows must be valid; dst must hold rows·cols elements.
pub(crate) unsafe fn transpose(src: *const f32, rows: usize, cols: usize, rs: usize, dst: &mut [f32]) {
    assert!(dst.len() >= rows * cols);
    for r in 0..rows {
        let row = unsafe { core::slice::from_raw_parts(src.add(r * rs), cols) };
        for (c, &x) in row.iter().enumerate() {
            unsafe { *dst.get_unchecked_mut(c * rows + r) = x };
        }
    }
}

/// Zeroes `rows` rows of `cols` elements at row stride `rs`.
///
/// # Safety
/// The rows must be valid for writing.
pub(crate) unsafe fn zero_rows(dst: *mut f32, rows: usize, cols: usize, rs: usize) {
    for r in 0..rows {
        unsafe { core::slice::from_raw_parts_mut(dst.add(r * rs), cols) }.fill(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Rng};

    /// Every shape edge (rows past MR, columns off 8 and 4, packed or not, k = 0), both A layouts, overwrite
    /// and accumulate, against a float64 sum.
    #[test]
    fn matches_a_plain_product() {
        let mut rng = Rng::new(5);
        for &(m, n, k) in &[(1, 1, 1), (7, 8, 3), (13, 19, 16), (5, 3, 0), (64, 64, 16), (6, 12, 65), (9, 45, 7), (3, 33, 0)] {
            for transposed in [false, true] {
                for accumulate in [false, true] {
                    let a = rng.vec(m * k, -1.0, 1.0);
                    let bm = rng.vec(k * n + 3, -1.0, 1.0);
                    let c0 = rng.vec(m * n, -1.0, 1.0);
                    // A stored m×k, or its transpose stored k×m.
                    let stored: Vec<f32> = if transposed { (0..k * m).map(|x| a[(x % m) * k + x / m]).collect() } else { a.clone() };
                    let mat = if transposed { Mat::transposed(stored.as_ptr(), m) } else { Mat::rows(stored.as_ptr(), k) };
                    let mut c = c0.clone();
                    unsafe { gemm(m, n, k, 0.5, mat, bm.as_ptr(), n, c.as_mut_ptr(), n, accumulate) };
                    let want: Vec<f32> = (0..m * n)
                        .map(|x| {
                            let (i, j) = (x / n, x % n);
                            let dot: f64 = (0..k).map(|p| a[i * k + p] as f64 * bm[p * n + j] as f64).sum();
                            (0.5 * dot + if accumulate { c0[x] as f64 } else { 0.0 }) as f32
                        })
                        .collect();
                    assert_close(&c, &want, 1e-5, 1e-5);
                }
            }
        }
    }
}
