//! The 4×8 register-blocked micro-kernel and the write-back of its tile into C.

use super::blocks::{MR, NR};
use crate::simd::F32x4;

/// Accumulators of one MR×NR tile: row r holds columns 0..4 in `[r][0]`, 4..8 in `[r][1]`.
pub type Tile = [[F32x4; 2]; MR];

/// Σ_p a[p·MR + r] · b[p·NR + c] over p < kc, for packed panels `a` (kc·MR) and `b` (kc·NR).
/// Kept out of line: a small function lets V8 keep all accumulators in registers.
#[inline(never)]
pub fn micro_kernel(kc: usize, a: &[f32], b: &[f32]) -> Tile {
    assert!(a.len() >= kc * MR && b.len() >= kc * NR);
    let (mut c00, mut c01, mut c10, mut c11) = (F32x4::zero(), F32x4::zero(), F32x4::zero(), F32x4::zero());
    let (mut c20, mut c21, mut c30, mut c31) = (F32x4::zero(), F32x4::zero(), F32x4::zero(), F32x4::zero());
    // Pointer loop on an end pointer, one depth step per iteration (no manual unrolling:
    // unrolled bodies spill in V8's register allocator).
    unsafe {
        let mut ap = a.as_ptr();
        let mut bp = b.as_ptr();
        let end = bp.add(kc * NR);
        while bp != end {
            let b0 = F32x4::load(bp);
            let b1 = F32x4::load(bp.add(4));
            let a0 = F32x4::splat(*ap);
            c00 = a0.madd(b0, c00);
            c01 = a0.madd(b1, c01);
            let a1 = F32x4::splat(*ap.add(1));
            c10 = a1.madd(b0, c10);
            c11 = a1.madd(b1, c11);
            let a2 = F32x4::splat(*ap.add(2));
            c20 = a2.madd(b0, c20);
            c21 = a2.madd(b1, c21);
            let a3 = F32x4::splat(*ap.add(3));
            c30 = a3.madd(b0, c30);
            c31 = a3.madd(b1, c31);
            ap = ap.add(MR);
            bp = bp.add(NR);
        }
    }
    [[c00, c01], [c10, c11], [c20, c21], [c30, c31]]
}

/// C[r, c] = alpha·tile[r, c] + beta·C[r, c] for r < mr, c < nr, C row-major with row stride
/// `ldc` starting at c[0]. beta = 0 never reads C (so NaN garbage there is ignored).
#[inline(always)]
pub fn store_tile(tile: &Tile, c: &mut [f32], ldc: usize, mr: usize, nr: usize, alpha: f32, beta: f32) {
    let va = F32x4::splat(alpha);
    let vb = F32x4::splat(beta);
    if nr == NR {
        for (r, acc) in tile.iter().enumerate().take(mr) {
            let row = &mut c[r * ldc..r * ldc + NR];
            for (h, v) in acc.iter().enumerate() {
                let dst = &mut row[h * 4..h * 4 + 4];
                let out = if beta == 0.0 {
                    v.mul(va)
                } else {
                    F32x4::from_slice(dst).mul(vb).add(v.mul(va))
                };
                out.write_to(dst);
            }
        }
    } else {
        for (r, acc) in tile.iter().enumerate().take(mr) {
            let row = &mut c[r * ldc..r * ldc + nr];
            let mut vals = [0.0f32; NR];
            acc[0].write_to(&mut vals[..4]);
            acc[1].write_to(&mut vals[4..]);
            for (d, &v) in row.iter_mut().zip(&vals) {
                *d = if beta == 0.0 { alpha * v } else { beta * *d + alpha * v };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_matches_scalar() {
        let kc = 7;
        let a: Vec<f32> = (0..kc * MR).map(|t| (t % 5) as f32 - 2.0).collect();
        let b: Vec<f32> = (0..kc * NR).map(|t| (t % 7) as f32 * 0.5).collect();
        let tile = micro_kernel(kc, &a, &b);
        for r in 0..MR {
            for c in 0..NR {
                let want: f32 = (0..kc).map(|p| a[p * MR + r] * b[p * NR + c]).sum();
                assert_eq!(tile[r][c / 4].to_array()[c % 4], want);
            }
        }
        let mut out = vec![f32::NAN; 3 * 10];
        store_tile(&tile, &mut out, 10, 3, 5, 2.0, 0.0);
        assert_eq!(out[10 + 4], 2.0 * tile[1][1].to_array()[0]);
        assert!(out[5].is_nan());
    }
}
