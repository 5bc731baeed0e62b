//! Unpacked products for the shapes a register tile cannot fill, and the fallback when the
//! packing buffers cannot be allocated: no allocation, SIMD along whichever operand is
//! contiguous.
//! - `row_times_matrix`: one row of A times B with contiguous rows (batch-1 inference): four
//!   rows of B per pass over C's row, so C is loaded and stored once per four depth steps.
//! - `dot_form`: C(i, j) as a dot product (n = 1 and other narrow products whose A rows and
//!   B columns are contiguous).
//! - `axpy_form`: the general fallback.

use super::pack::View;
use crate::simd::F32x4;

/// C = alpha·A·B + beta·C, choosing the form by layout (see the module doc).
pub fn gemm(m: usize, n: usize, k: usize, alpha: f32, a: View, bt: View, beta: f32, c: &mut [f32]) {
    let rows_b = bt.rs == 1; // rows of B are contiguous
    let dot_fast = a.cs == 1 && bt.cs == 1; // rows of A and columns of B are contiguous
    if rows_b && !(dot_fast && n < 4) {
        axpy_form(m, n, k, alpha, a, bt, beta, c, n);
    } else {
        dot_form(m, n, k, alpha, a, bt, beta, c, n);
    }
}

/// Rows i of C (m×n, row stride ldc) accumulate alpha·A(i, p)·(row p of B) (B's rows
/// contiguous: `bt.rs` = 1). Up to four rows of C at once, so each pass over B serves all of
/// them. Each element's arithmetic depends on its column only through whether it is in the
/// last n % 4 (scalar) columns, so column ranges starting at multiples of 4 may be computed
/// apart (the threads do).
pub fn axpy_form(m: usize, n: usize, k: usize, alpha: f32, a: View, bt: View, beta: f32, c: &mut [f32], ldc: usize) {
    debug_assert!(bt.rs == 1);
    let mut i = 0;
    while i < m {
        let rows = (m - i).min(4);
        let cs = &mut c[i * ldc..(i + rows - 1) * ldc + n];
        for row in 0..rows {
            crate::elementwise::scale_in_place(&mut cs[row * ldc..row * ldc + n], beta);
        }
        match rows {
            1 => rows_axpy::<1, 4>(i, n, k, alpha, a, bt, cs, ldc),
            2 => rows_axpy::<2, 4>(i, n, k, alpha, a, bt, cs, ldc),
            3 => rows_axpy::<3, 2>(i, n, k, alpha, a, bt, cs, ldc),
            _ => rows_axpy::<4, 2>(i, n, k, alpha, a, bt, cs, ldc),
        }
        i += rows;
    }
}

/// C rows i0..i0+R (`c`, row stride ldc) += alpha·A(i0 + r, p)·B(p, ·): P depths per pass over
/// a block of C's columns small enough to stay in L1, so B streams through once.
#[inline(always)]
fn rows_axpy<const R: usize, const P: usize>(i0: usize, n: usize, k: usize, alpha: f32, a: View, bt: View, c: &mut [f32], ldc: usize) {
    const JB: usize = 1024;
    assert!(c.len() >= (R - 1) * ldc + n && (k == 0 || bt.data.len() >= (k - 1) * bt.cs + n));
    for jb in (0..n).step_by(JB) {
        let w = (n - jb).min(JB);
        let mut p = 0;
        while p + P <= k {
            pass::<R, P>(i0, p, jb, w, ldc, alpha, a, bt, c);
            p += P;
        }
        for p in p..k {
            pass::<R, 1>(i0, p, jb, w, ldc, alpha, a, bt, c);
        }
    }
}

/// One pass of `rows_axpy` over depths p..p+P and columns jb..jb+w (C's row stride `n`).
#[inline(always)]
fn pass<const R: usize, const P: usize>(i0: usize, p: usize, jb: usize, w: usize, n: usize, alpha: f32, a: View, bt: View, c: &mut [f32]) {
    let s: [[f32; P]; R] = core::array::from_fn(|r| core::array::from_fn(|d| alpha * a.at(i0 + r, p + d)));
    let vs = s.map(|row| row.map(F32x4::splat));
    let w4 = w - w % 4;
    // SAFETY: B rows p..p+P and C rows 0..R hold columns jb..jb+w (checked by the caller).
    unsafe {
        let b: [*const f32; P] = core::array::from_fn(|d| bt.data.as_ptr().add((p + d) * bt.cs + jb));
        let cr: [*mut f32; R] = core::array::from_fn(|r| c.as_mut_ptr().add(r * n + jb));
        let mut j = 0;
        while j < w4 {
            let bv: [F32x4; P] = core::array::from_fn(|d| F32x4::load(b[d].add(j)));
            for r in 0..R {
                let mut acc = F32x4::load(cr[r].add(j));
                for d in 0..P {
                    acc = vs[r][d].madd(bv[d], acc);
                }
                acc.store(cr[r].add(j));
            }
            j += 4;
        }
        for j in w4..w {
            for r in 0..R {
                let mut acc = *cr[r].add(j);
                for d in 0..P {
                    acc += s[r][d] * *b[d].add(j);
                }
                *cr[r].add(j) = acc;
            }
        }
    }
}

/// C(i, j) (row stride ldc) from the dot product of row i of A and column j of B.
pub fn dot_form(m: usize, n: usize, k: usize, alpha: f32, a: View, bt: View, beta: f32, c: &mut [f32], ldc: usize) {
    for i in 0..m {
        for j in 0..n {
            let d = if a.cs == 1 && bt.cs == 1 {
                dot(&a.data[i * a.rs..i * a.rs + k], &bt.data[j * bt.rs..j * bt.rs + k])
            } else {
                dot_strided(k, |p| a.at(i, p), |p| bt.at(j, p))
            };
            let dst = &mut c[i * ldc + j];
            *dst = if beta == 0.0 { alpha * d } else { beta * *dst + alpha * d };
        }
    }
}

/// Σ x[i]·y[i] over the shorter length, in four lanes.
#[inline(always)]
pub(crate) fn dot(x: &[f32], y: &[f32]) -> f32 {
    let mut acc = F32x4::zero();
    let mut xc = x.chunks_exact(4);
    let mut yc = y.chunks_exact(4);
    for (xv, yv) in (&mut xc).zip(&mut yc) {
        acc = F32x4::from_slice(xv).madd(F32x4::from_slice(yv), acc);
    }
    let tail = F32x4::load_partial(xc.remainder(), 0.0).mul(F32x4::load_partial(yc.remainder(), 0.0));
    acc.add(tail).hsum()
}

#[inline(always)]
fn dot_strided(k: usize, x: impl Fn(usize) -> f32, y: impl Fn(usize) -> f32) -> f32 {
    let mut acc = F32x4::zero();
    let mut p = 0;
    while p + 4 <= k {
        let xv = F32x4::new(x(p), x(p + 1), x(p + 2), x(p + 3));
        let yv = F32x4::new(y(p), y(p + 1), y(p + 2), y(p + 3));
        acc = xv.madd(yv, acc);
        p += 4;
    }
    let mut s = acc.hsum();
    while p < k {
        s += x(p) * y(p);
        p += 1;
    }
    s
}
