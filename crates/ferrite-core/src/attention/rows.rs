//! Row passes over the scores: the softmax (max, exp and sum, normalise), the probabilities
//! from a saved log-sum-exp, and the softmax's backward step.
//!
//! A head of W7 (64 × 64 scores, depth 16) spends as long in these passes as in two of its
//! six matrix products, so each is one SIMD pass with independent accumulators: a single
//! accumulator would chain every vector of a row through the add's (or max's) latency.

use crate::approx::{exp, exp1};
use crate::simd::F32x4;

/// The row's maximum. With a NaN in the row the result is unspecified (any element or NaN):
/// the softmax turns such a row into NaN all the same, since exp(NaN − m) is NaN.
#[inline]
pub(crate) fn row_max(row: &[f32]) -> f32 {
    // pmax is one instruction where the NaN-propagating max is eight in V8.
    let ninf = F32x4::splat(f32::NEG_INFINITY);
    let (mut a0, mut a1, mut a2, mut a3) = (ninf, ninf, ninf, ninf);
    let mut it16 = row.chunks_exact(16);
    for c in &mut it16 {
        a0 = a0.pmax(F32x4::from_slice(&c[0..4]));
        a1 = a1.pmax(F32x4::from_slice(&c[4..8]));
        a2 = a2.pmax(F32x4::from_slice(&c[8..12]));
        a3 = a3.pmax(F32x4::from_slice(&c[12..16]));
    }
    let mut it = it16.remainder().chunks_exact(4);
    for c in &mut it {
        a0 = a0.pmax(F32x4::from_slice(c));
    }
    let mut m = a0.pmax(a1).pmax(a2.pmax(a3)).to_array().into_iter().fold(f32::NEG_INFINITY, pmax1);
    for &x in it.remainder() {
        m = pmax1(m, x);
    }
    m
}

#[inline(always)]
fn pmax1(a: f32, b: f32) -> f32 {
    if a < b { b } else { a }
}

/// Row softmax in place (rows of −1e9-shifted scores stay finite).
pub(crate) fn softmax_row(row: &mut [f32]) {
    let mx = row_max(row);
    let sum = exp_sub_in_place(row, mx);
    scale_row(row, 1.0 / sum);
}

/// row ·= s.
#[inline]
pub(crate) fn scale_row(row: &mut [f32], s: f32) {
    let vs = F32x4::splat(s);
    let mut it = row.chunks_exact_mut(4);
    for c in &mut it {
        F32x4::from_slice(c).mul(vs).write_to(c);
    }
    for x in it.into_remainder() {
        *x *= s;
    }
}

/// row[j] = exp(row[j] − shift); returns Σ row.
pub(crate) fn exp_sub_in_place(row: &mut [f32], shift: f32) -> f32 {
    let vs = F32x4::splat(shift);
    // Four independent vectors per iteration: exp is a long dependency chain, and interleaving
    // four of them keeps the SIMD units busy (as elementwise::map1).
    let (mut a0, mut a1, mut a2, mut a3) = (F32x4::zero(), F32x4::zero(), F32x4::zero(), F32x4::zero());
    let mut it16 = row.chunks_exact_mut(16);
    for c in &mut it16 {
        let e0 = exp(F32x4::from_slice(&c[0..4]).sub(vs));
        let e1 = exp(F32x4::from_slice(&c[4..8]).sub(vs));
        let e2 = exp(F32x4::from_slice(&c[8..12]).sub(vs));
        let e3 = exp(F32x4::from_slice(&c[12..16]).sub(vs));
        e0.write_to(&mut c[0..4]);
        e1.write_to(&mut c[4..8]);
        e2.write_to(&mut c[8..12]);
        e3.write_to(&mut c[12..16]);
        a0 = a0.add(e0);
        a1 = a1.add(e1);
        a2 = a2.add(e2);
        a3 = a3.add(e3);
    }
    let mut it = it16.into_remainder().chunks_exact_mut(4);
    for c in &mut it {
        let e = exp(F32x4::from_slice(c).sub(vs));
        e.write_to(c);
        a0 = a0.add(e);
    }
    let mut sum = a0.add(a1).add(a2.add(a3)).hsum();
    for x in it.into_remainder() {
        *x = exp1(*x - shift);
        sum += *x;
    }
    sum
}

/// row[j] = exp((row[j] − m) − ln_l): probabilities from the two-part log-sum-exp.
pub(crate) fn exp_sub2_in_place(row: &mut [f32], m: f32, ln_l: f32) {
    let (vm, vl) = (F32x4::splat(m), F32x4::splat(ln_l));
    let mut it = row.chunks_exact_mut(4);
    for c in &mut it {
        exp(F32x4::from_slice(c).sub(vm).sub(vl)).write_to(c);
    }
    for x in it.into_remainder() {
        *x = exp1((*x - m) - ln_l);
    }
}

/// The softmax's backward step on one row: g = p ⊙ (g − Σ p·g).
pub(crate) fn softmax_backward_row(p: &[f32], g: &mut [f32]) {
    let dot = crate::softmax::dot(p, g);
    ds_row(p, g, dot);
}

/// g = p ⊙ (g − d).
pub(crate) fn ds_row(p: &[f32], g: &mut [f32], d: f32) {
    let vd = F32x4::splat(d);
    let n4 = p.len().min(g.len()) / 4 * 4;
    for (gc, pc) in g[..n4].chunks_exact_mut(4).zip(p[..n4].chunks_exact(4)) {
        F32x4::from_slice(pc).mul(F32x4::from_slice(gc).sub(vd)).write_to(gc);
    }
    for (x, &pj) in g[n4..].iter_mut().zip(&p[n4..]) {
        *x = pj * (*x - d);
    }
}
