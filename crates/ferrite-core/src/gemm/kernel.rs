//! The register-blocked micro-kernels: an R×8 tile of C (R ≤ MR) from one A sliver and one
//! B sliver, written back with alpha/beta.
//!
//! Both operands are read through a pointer and a step per depth: packed panels step by MR
//! (A) and NR (B); operands read in place step by their leading dimension. A elements are
//! broadcast (`v128.load32_splat`), B is two `v128.load`s per depth step.

use super::blocks::{MR, NR};
use crate::simd::F32x4;

/// Where a tile goes and how it is combined: C[r, c] = alpha·acc[r, c] + beta·C[r, c]
/// (beta = 0 never reads C). `ldc` is C's row stride in elements.
#[derive(Clone, Copy)]
pub struct Out {
    pub c: *mut f32,
    pub ldc: usize,
    pub alpha: f32,
    pub beta: f32,
}

/// One R×8 tile over `kc` depth steps. A element (r, p) is at `a + p·a_step + r`, B elements
/// (p, 0..8) at `b + p·b_step`.
///
/// The loop runs on an end pointer with one depth step per iteration: unrolling it, or a
/// counter, makes V8 spill or add instructions to the loop.
///
/// # Safety
/// The A and B ranges above must be readable for p < kc, and `out.c` writable for R rows of
/// 8 columns with stride `out.ldc` (readable too when beta ≠ 0).
#[inline(always)]
unsafe fn tile<const R: usize>(kc: usize, a: *const f32, a_step: usize, b: *const f32, b_step: usize, out: Out) {
    let mut acc0 = [F32x4::zero(); R];
    let mut acc1 = [F32x4::zero(); R];
    unsafe {
        let mut ap = a;
        let mut bp = b;
        let end = b.add(kc * b_step);
        while bp != end {
            let b0 = F32x4::load(bp);
            let b1 = F32x4::load(bp.add(4));
            for r in 0..R {
                let av = F32x4::splat(*ap.add(r));
                acc0[r] = av.madd(b0, acc0[r]);
                acc1[r] = av.madd(b1, acc1[r]);
            }
            ap = ap.add(a_step);
            bp = bp.add(b_step);
        }
        let va = F32x4::splat(out.alpha);
        let vb = F32x4::splat(out.beta);
        for r in 0..R {
            let c = out.c.add(r * out.ldc);
            let (mut v0, mut v1) = (acc0[r], acc1[r]);
            if out.alpha != 1.0 {
                v0 = v0.mul(va);
                v1 = v1.mul(va);
            }
            if out.beta != 0.0 {
                v0 = F32x4::load(c).madd(vb, v0);
                v1 = F32x4::load(c.add(4)).madd(vb, v1);
            }
            v0.store(c);
            v1.store(c.add(4));
        }
    }
}

macro_rules! kernels {
    ($($name:ident = $r:literal),*) => {
        $(
            /// Out of line so that V8 allocates the tile's registers for this loop alone.
            #[inline(never)]
            unsafe fn $name(kc: usize, a: *const f32, a_step: usize, b: *const f32, b_step: usize, out: Out) {
                unsafe { tile::<$r>(kc, a, a_step, b, b_step, out) }
            }
        )*
    };
}
kernels!(k1 = 1, k2 = 2, k3 = 3, k4 = 4, k5 = 5);
#[cfg(target_feature = "relaxed-simd")]
kernels!(k6 = 6);

/// An `rows`×8 tile (1 ≤ rows ≤ MR), see `tile`. Edge rows get their own kernel, so a
/// partial tile costs only its own rows.
///
/// # Safety
/// As `tile` with R = rows.
#[inline(always)]
pub unsafe fn tile_rows(rows: usize, kc: usize, a: *const f32, a_step: usize, b: *const f32, b_step: usize, out: Out) {
    unsafe {
        match rows {
            1 => k1(kc, a, a_step, b, b_step, out),
            2 => k2(kc, a, a_step, b, b_step, out),
            3 => k3(kc, a, a_step, b, b_step, out),
            4 => k4(kc, a, a_step, b, b_step, out),
            5 => k5(kc, a, a_step, b, b_step, out),
            #[cfg(target_feature = "relaxed-simd")]
            6 => k6(kc, a, a_step, b, b_step, out),
            _ => unreachable!("tile of {rows} rows (MR = {MR})"),
        }
    }
}

/// A tile of `rows`×`cols` (cols ≤ 8): full-width tiles go straight to C; narrower ones
/// through a stack tile, then merged column by column.
///
/// # Safety
/// As `tile_rows`, with C writable only for `cols` columns.
#[inline(always)]
pub unsafe fn tile_any(rows: usize, cols: usize, kc: usize, a: *const f32, a_step: usize, b: *const f32, b_step: usize, out: Out) {
    unsafe {
        if cols == NR {
            tile_rows(rows, kc, a, a_step, b, b_step, out);
            return;
        }
        let mut tmp = [0.0f32; MR * NR];
        let t = Out { c: tmp.as_mut_ptr(), ldc: NR, alpha: out.alpha, beta: 0.0 };
        tile_rows(rows, kc, a, a_step, b, b_step, t);
        for r in 0..rows {
            let c = out.c.add(r * out.ldc);
            for j in 0..cols {
                let v = tmp[r * NR + j];
                *c.add(j) = if out.beta == 0.0 { v } else { out.beta * *c.add(j) + v };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row count, in-place and packed steps, alpha/beta, against a scalar sum.
    #[test]
    fn every_row_count_matches_scalar() {
        for rows in 1..=MR {
            for &kc in &[0usize, 1, 2, 7, 33] {
                for &(a_step, b_step) in &[(MR, NR), (MR + 3, NR + 5)] {
                    let a: Vec<f32> = (0..kc.max(1) * a_step).map(|t| (t % 5) as f32 - 2.0).collect();
                    let b: Vec<f32> = (0..kc.max(1) * b_step).map(|t| (t % 7) as f32 * 0.5).collect();
                    for &(alpha, beta) in &[(1.0f32, 0.0f32), (2.0, 0.0), (1.0, 1.0), (-0.5, 0.25)] {
                        let ldc = 11;
                        let c0: Vec<f32> = (0..rows * ldc).map(|t| if beta == 0.0 { f32::NAN } else { t as f32 }).collect();
                        for cols in [NR, 5, 1] {
                            let mut c = c0.clone();
                            let out = Out { c: c.as_mut_ptr(), ldc, alpha, beta };
                            unsafe { tile_any(rows, cols, kc, a.as_ptr(), a_step, b.as_ptr(), b_step, out) };
                            for r in 0..rows {
                                for j in 0..ldc {
                                    let got = c[r * ldc + j];
                                    if j >= cols {
                                        assert_eq!(got.to_bits(), c0[r * ldc + j].to_bits(), "untouched column {j}");
                                        continue;
                                    }
                                    let dot: f32 = (0..kc).map(|p| a[p * a_step + r] * b[p * b_step + j]).sum();
                                    let prev = if beta == 0.0 { 0.0 } else { beta * c0[r * ldc + j] };
                                    assert_eq!(got, alpha * dot + prev, "rows {rows} kc {kc} r {r} j {j}");
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
