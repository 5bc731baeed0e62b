//! Small strided matrix products and transposes for the attention kernels.
//!
//! Attention multiplies many small matrices (a head's 64×16 queries by its 16×64 keys) whose
//! rows sit strided in the [batch, time, heads, dim] tensors. Packing them for the sgemm
//! would cost more than the product, so these products read their operands in place:
//! A through any (row, column) strides, one scalar broadcast per element; B and C by
//! contiguous rows at a row stride. A register block is 4 rows × 8 columns (eight
//! accumulators, within V8's 15 vector registers); edges take 1–3 rows, 4 columns, then
//! scalars.

use crate::simd::F32x4;

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

/// C = alpha·A·B, or C += alpha·A·B when `accumulate`: A is m×k, B is k×n with row p at
/// `b + p·ldb`, C is m×n with row i at `c + i·ldc` (rows of B and C contiguous).
///
/// # Safety
/// Every element the shapes and strides address must be valid; C must not overlap A or B.
pub(crate) unsafe fn gemm(
    m: usize, n: usize, k: usize, alpha: f32,
    a: Mat, b: *const f32, ldb: usize, c: *mut f32, ldc: usize, accumulate: bool,
) {
    let mut i = 0;
    unsafe {
        while i + 4 <= m {
            rows::<4>(i, n, k, alpha, a, b, ldb, c, ldc, accumulate);
            i += 4;
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
            dst[c * rows + r] = x;
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
