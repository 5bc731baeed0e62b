//! Single-precision matrix multiply (sgemm), BLIS-style.
//!
//! - `blocks`: register and cache block sizes (and why).
//! - `kernel`: the MR×8 register-blocked micro-kernels (one per row count, for edge tiles).
//! - `pack`: packing of A and B slivers into aligned, contiguous buffers.
//! - `nest`: the cache-blocked loop nest.
//! - `small`: unpacked forms for one-row and narrow products, and the no-memory fallback.
//! - `parallel`: the loop nest cut into tasks over C for several threads (same bits).
//!
//! Transposed operands are handled by the strides packing (or the kernel) reads with; nothing
//! is transposed by copying. alpha/beta let gradients accumulate in place.

pub mod blocks;
pub mod kernel;
pub mod nest;
pub mod pack;
pub mod parallel;
mod small;

#[cfg(test)]
mod tests;

use blocks::{AXPY_MAX_M, DIRECT_A_MAX_N, DIRECT_B_MAX_M, DIRECT_B_MAX_M_NARROW, DIRECT_B_MAX_N};
use nest::Plan;
use pack::{PackBuf, View};
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
    let dot_fast = av.cs == 1 && bt.cs == 1;
    // A few rows of A (batch-1 inference): stream B's rows once, or take dot products.
    if m <= AXPY_MAX_M && bt.rs == 1 {
        return parallel::columns(m, n, k, bt, c, |nn, btj, cj| small::axpy_form(m, nn, k, alpha, av, btj, beta, cj, n));
    }
    if (m == 1 || n < 4) && dot_fast {
        return parallel::columns(m, n, k, bt, c, |nn, btj, cj| small::dot_form(m, nn, k, alpha, av, btj, beta, cj, n));
    }
    let plan = Plan {
        pack_a: !(av.rs == 1 && n <= DIRECT_A_MAX_N),
        pack_b: !(bt.rs == 1 && (m <= DIRECT_B_MAX_M || (m <= DIRECT_B_MAX_M_NARROW && n <= DIRECT_B_MAX_N))),
    };
    let tasks = parallel::tasks_for(m, n, k);
    if tasks > 1 && parallel::run(m, n, k, alpha, av, bt, beta, c, n, plan, tasks) {
        return;
    }
    let done = PACK.with(|cell| match cell.try_borrow_mut() {
        Ok(mut bufs) => {
            let (abuf, bbuf) = &mut *bufs;
            nest::run(m, n, k, alpha, av, bt, beta, c, n, plan, abuf, bbuf)
        }
        Err(_) => false,
    });
    if !done {
        small::gemm(m, n, k, alpha, av, bt, beta, c);
    }
}

/// One band of rows of an m-row product C = alpha·A·op(B) + beta·C, computed exactly as
/// `sgemm(m, …)` computes those rows, so that a caller's threads can cut a product by rows
/// and get the bits of the whole (the recurrent layers do, one band of the batch per task).
/// `a` holds the band's `rows` rows of A (not transposed, row stride k), `c` its rows of C
/// (row stride n). Products of at most AXPY_MAX_M rows with B not transposed are computed in
/// groups of rows by sgemm: those must be asked for whole (rows = m).
pub fn sgemm_band(
    m: usize, rows: usize, n: usize, k: usize, alpha: f32, a: &[f32], b: &[f32], trans_b: bool,
    beta: f32, c: &mut [f32],
) {
    assert!(rows <= m && a.len() >= rows * k && b.len() >= k * n && c.len() >= rows * n);
    let bt = if trans_b { View { data: b, rs: k, cs: 1 } } else { View { data: b, rs: 1, cs: n } };
    if (m <= AXPY_MAX_M && bt.rs == 1) || rows == m {
        assert!(rows == m, "sgemm_band: a product of {m} rows is computed whole");
        return sgemm(m, n, k, alpha, a, false, b, trans_b, beta, c);
    }
    if rows == 0 || n == 0 {
        return;
    }
    let c = &mut c[..rows * n];
    if k == 0 || alpha == 0.0 {
        crate::elementwise::scale_in_place(c, beta);
        return;
    }
    let av = View { data: a, rs: k, cs: 1 };
    // The same choice of form as sgemm makes for all m rows; both forms compute each element
    // alone (dot_form by element, the nest by register tile: its sums do not depend on where
    // the tiles start).
    if (m == 1 || n < 4) && bt.cs == 1 {
        return small::dot_form(rows, n, k, alpha, av, bt, beta, c, n);
    }
    let plan = Plan { pack_a: true, pack_b: true };
    let done = PACK.with(|cell| match cell.try_borrow_mut() {
        Ok(mut bufs) => {
            let (abuf, bbuf) = &mut *bufs;
            nest::run(rows, n, k, alpha, av, bt, beta, c, n, plan, abuf, bbuf)
        }
        Err(_) => false,
    });
    if !done {
        small::gemm(rows, n, k, alpha, av, bt, beta, c);
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
    // Products too small to split, but many of them: one task per group of products, when
    // their outputs are disjoint.
    if batch > 1 && stride_c >= m * n && parallel::tasks_for(m, n, k) <= 1 {
        let work = crate::parallel::madd_ns(batch * m, n, k);
        let tasks = crate::parallel::tasks_for(work, batch);
        if tasks > 1 {
            let per = crate::parallel::chunk_len(batch, tasks);
            let cs = crate::parallel::SharedMut::new(c);
            crate::parallel::run(batch.div_ceil(per), |g| {
                for t in crate::parallel::chunk_range(g, per, batch) {
                    // SAFETY: C_t is c[t·stride_c..][..m·n], disjoint from the others.
                    let ct = unsafe { cs.slice(t * stride_c..t * stride_c + m * n) };
                    sgemm(m, n, k, alpha, &a[t * stride_a..], trans_a, &b[t * stride_b..], trans_b, beta, ct);
                }
            });
            return;
        }
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
    /// Packing buffers (A, B), grown on demand and reused across calls.
    static PACK: RefCell<(PackBuf, PackBuf)> = const { RefCell::new((PackBuf::new(), PackBuf::new())) };
}
