//! Single-precision matrix multiply (sgemm), BLIS-style: B is packed into NR-column panels
//! per KC×NC block, A into MR-row panels per MC×KC block, and a 4×8 SIMD micro-kernel
//! computes each C tile from one A and one B panel. Edges are zero-padded in packing;
//! transposes only change the strides packing reads with. Small or skinny problems skip
//! packing (see `small`).

pub mod blocks;
pub mod kernel;
pub mod pack;
mod small;

#[cfg(test)]
mod tests;

use blocks::{KC, MC, MR, NC, NR, SMALL_WORK};
use kernel::{micro_kernel, store_tile};
use pack::{pack_panel, View};
use std::cell::RefCell;

pub(crate) use small::dot;

/// C = alpha·op(A)·op(B) + beta·C, all row-major and contiguous: op(A) is m×k (A stored k×m
/// when `trans_a`), op(B) is k×n (B stored n×k when `trans_b`), C is m×n.
/// beta = 0 ignores C's previous contents, NaN included.
pub fn sgemm(
    m: usize, n: usize, k: usize, alpha: f32,
    a: &[f32], trans_a: bool, b: &[f32], trans_b: bool,
    beta: f32, c: &mut [f32],
) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    if m == 0 || n == 0 {
        return;
    }
    let c = &mut c[..m * n];
    if k == 0 || alpha == 0.0 {
        crate::elementwise::scale_in_place(c, beta);
        return;
    }
    let av = if trans_a { View { data: a, rs: 1, cs: m } } else { View { data: a, rs: k, cs: 1 } };
    // Bᵀ: element (j, p) is B(p, j).
    let bt = if trans_b { View { data: b, rs: k, cs: 1 } } else { View { data: b, rs: 1, cs: n } };
    if m * n * k <= SMALL_WORK || m < MR || n < 4 || !packed(m, n, k, alpha, av, bt, beta, c) {
        small::gemm(m, n, k, alpha, av, bt, beta, c);
    }
}

/// Batched sgemm: for each b < batch, C_b = alpha·op(A_b)·op(B_b) + beta·C_b with
/// A_b = a[b·stride_a..], B_b = b[b·stride_b..], C_b = c[b·stride_c..] (stride 0 reuses).
pub fn sgemm_batched(
    batch: usize, m: usize, n: usize, k: usize, alpha: f32,
    a: &[f32], stride_a: usize, trans_a: bool,
    b: &[f32], stride_b: usize, trans_b: bool,
    beta: f32, c: &mut [f32], stride_c: usize,
) {
    if batch == 0 {
        return;
    }
    // One shared B under a stack of contiguous A and C is a single taller product.
    if batch > 1 && stride_b == 0 && !trans_a && stride_a == m * k && stride_c == m * n {
        sgemm(batch * m, n, k, alpha, a, false, b, trans_b, beta, c);
        return;
    }
    for t in 0..batch {
        sgemm(
            m, n, k, alpha,
            &a[t * stride_a..], trans_a, &b[t * stride_b..], trans_b,
            beta, &mut c[t * stride_c..],
        );
    }
}

thread_local! {
    /// Packing buffers, grown on demand and reused across calls.
    static PACK: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Grows `v` to at least `len` elements; false when memory cannot be had.
fn ensure(v: &mut Vec<f32>, len: usize) -> bool {
    if v.len() < len {
        if v.try_reserve_exact(len - v.len()).is_err() {
            return false;
        }
        v.resize(len, 0.0);
    }
    true
}

fn round_up(x: usize, to: usize) -> usize {
    x.div_ceil(to) * to
}

/// The packed loop nest. Returns false (having written nothing) when the packing buffers
/// cannot be allocated.
fn packed(m: usize, n: usize, k: usize, alpha: f32, av: View, bt: View, beta: f32, c: &mut [f32]) -> bool {
    PACK.with(|cell| {
        let Ok(mut bufs) = cell.try_borrow_mut() else { return false };
        let (abuf, bbuf) = &mut *bufs;
        let kc_max = k.min(KC);
        if !ensure(abuf, kc_max * round_up(m, MR).min(MC)) || !ensure(bbuf, kc_max * round_up(n, NR).min(NC)) {
            return false;
        }
        for jc in (0..n).step_by(NC) {
            let nc = (n - jc).min(NC);
            for pc in (0..k).step_by(KC) {
                let kc = (k - pc).min(KC);
                for (t, jr) in (0..nc).step_by(NR).enumerate() {
                    pack_panel::<NR>(&mut bbuf[t * kc * NR..], bt, jc + jr, (nc - jr).min(NR), pc, kc);
                }
                // Later depth blocks accumulate onto the first one's result.
                let beta_eff = if pc == 0 { beta } else { 1.0 };
                for ic in (0..m).step_by(MC) {
                    let mc = (m - ic).min(MC);
                    for (t, ir) in (0..mc).step_by(MR).enumerate() {
                        pack_panel::<MR>(&mut abuf[t * kc * MR..], av, ic + ir, (mc - ir).min(MR), pc, kc);
                    }
                    for (tj, jr) in (0..nc).step_by(NR).enumerate() {
                        let bp = &bbuf[tj * kc * NR..(tj + 1) * kc * NR];
                        let nr = (nc - jr).min(NR);
                        for (ti, ir) in (0..mc).step_by(MR).enumerate() {
                            let ap = &abuf[ti * kc * MR..(ti + 1) * kc * MR];
                            let mr = (mc - ir).min(MR);
                            let tile = micro_kernel(kc, ap, bp);
                            let at = (ic + ir) * n + jc + jr;
                            store_tile(&tile, &mut c[at..], n, mr, nr, alpha, beta_eff);
                        }
                    }
                }
            }
        }
        true
    })
}
