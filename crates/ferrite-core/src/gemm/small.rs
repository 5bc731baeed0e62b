//! Unpacked sgemm for small or skinny problems (and the fallback when packing buffers cannot
//! be allocated): no allocation, SIMD along whichever operand is contiguous.

use super::pack::View;
use crate::simd::F32x4;

/// C = alpha·A·B + beta·C with A(i, p) = a.at(i, p), B(p, j) = bt.at(j, p), C m×n row-major.
pub fn gemm(m: usize, n: usize, k: usize, alpha: f32, a: View, bt: View, beta: f32, c: &mut [f32]) {
    let axpy_ok = bt.rs == 1; // rows of B are contiguous
    let dot_fast = a.cs == 1 && bt.cs == 1; // rows of A and columns of B are contiguous
    if axpy_ok && !(dot_fast && n < 4) {
        axpy_form(m, n, k, alpha, a, bt, beta, c);
    } else {
        dot_form(m, n, k, alpha, a, bt, beta, c);
    }
}

/// Row i of C accumulates alpha·A(i, p)·(row p of B): streams B rows, C row stays in cache.
fn axpy_form(m: usize, n: usize, k: usize, alpha: f32, a: View, bt: View, beta: f32, c: &mut [f32]) {
    for i in 0..m {
        let crow = &mut c[i * n..(i + 1) * n];
        crate::elementwise::scale_in_place(crow, beta);
        for p in 0..k {
            let s = alpha * a.at(i, p);
            let brow = &bt.data[p * bt.cs..p * bt.cs + n];
            axpy(s, brow, crow);
        }
    }
}

/// y += s·x
#[inline(always)]
fn axpy(s: f32, x: &[f32], y: &mut [f32]) {
    let vs = F32x4::splat(s);
    let mut yc = y.chunks_exact_mut(4);
    let mut xc = x.chunks_exact(4);
    for (yv, xv) in (&mut yc).zip(&mut xc) {
        vs.madd(F32x4::from_slice(xv), F32x4::from_slice(yv)).write_to(yv);
    }
    for (yv, &xv) in yc.into_remainder().iter_mut().zip(xc.remainder()) {
        *yv += s * xv;
    }
}

/// C(i, j) from the dot product of row i of A and column j of B.
fn dot_form(m: usize, n: usize, k: usize, alpha: f32, a: View, bt: View, beta: f32, c: &mut [f32]) {
    for i in 0..m {
        for j in 0..n {
            let d = if a.cs == 1 && bt.cs == 1 {
                dot(&a.data[i * a.rs..i * a.rs + k], &bt.data[j * bt.rs..j * bt.rs + k])
            } else {
                dot_strided(k, |p| a.at(i, p), |p| bt.at(j, p))
            };
            let dst = &mut c[i * n + j];
            *dst = if beta == 0.0 { alpha * d } else { beta * *dst + alpha * d };
        }
    }
}

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
