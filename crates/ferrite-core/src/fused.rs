//! Bias add + activation in one pass (a Dense layer's output), and its gradient with the bias
//! gradient in the same pass: the [rows, cols] activations are read and written once instead
//! of once per op.

use crate::approx;
use crate::elementwise::{self as ew, ld, st, zip_in_place};
use crate::parallel::{self, SharedMut};
use crate::simd::F32x4;

/// The activations a fused Dense output supports (the position is the ABI code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BiasAct {
    Linear, Relu, Relu6, Sigmoid, Tanh, Softplus, Elu, Selu, Gelu,
}

impl BiasAct {
    pub const ALL: [BiasAct; 9] = {
        use BiasAct::*;
        [Linear, Relu, Relu6, Sigmoid, Tanh, Softplus, Elu, Selu, Gelu]
    };
    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }
    /// Whether the gradient reads the pre-activation x + bias; otherwise it reads the output y
    /// (linear, relu, sigmoid, tanh), so the pre-activation need not be kept.
    pub fn grad_needs_pre(self) -> bool {
        !matches!(self, BiasAct::Linear | BiasAct::Relu | BiasAct::Sigmoid | BiasAct::Tanh)
    }
}

/// Runs `$body` with `$f` bound to the forward function of `$act` (one monomorphic loop per
/// activation).
macro_rules! with_forward {
    ($act:expr, $alpha:expr, |$f:ident| $body:expr) => {{
        let a = F32x4::splat($alpha);
        match $act {
            BiasAct::Linear => { let $f = |v: F32x4| v; $body }
            BiasAct::Relu => { let $f = |v: F32x4| v.max(F32x4::zero()); $body }
            BiasAct::Relu6 => { let $f = ew::relu6; $body }
            BiasAct::Sigmoid => { let $f = approx::sigmoid; $body }
            BiasAct::Tanh => { let $f = approx::tanh; $body }
            BiasAct::Softplus => { let $f = approx::softplus; $body }
            BiasAct::Elu => { let $f = |v: F32x4| ew::elu(v, a); $body }
            BiasAct::Selu => { let $f = ew::selu; $body }
            BiasAct::Gelu => { let $f = approx::gelu; $body }
        }
    }};
}

/// `$g` bound to (x or y, dy) → dx for `$act` (see `grad_needs_pre`).
macro_rules! with_grad {
    ($act:expr, $alpha:expr, |$g:ident| $body:expr) => {{
        let a = F32x4::splat($alpha);
        match $act {
            BiasAct::Linear => { let $g = |_: F32x4, dy: F32x4| dy; $body }
            // relu'(x) from y: y > 0 exactly where x > 0
            BiasAct::Relu => { let $g = ew::relu_grad; $body }
            BiasAct::Relu6 => { let $g = ew::relu6_grad; $body }
            BiasAct::Sigmoid => { let $g = ew::sigmoid_grad; $body }
            BiasAct::Tanh => { let $g = ew::tanh_grad; $body }
            BiasAct::Softplus => { let $g = ew::softplus_grad; $body }
            BiasAct::Elu => { let $g = |x: F32x4, dy: F32x4| ew::elu_grad(x, dy, a); $body }
            BiasAct::Selu => { let $g = ew::selu_grad; $body }
            BiasAct::Gelu => { let $g = ew::gelu_grad; $body }
        }
    }};
}

/// out[r, c] = act(x[r, c] + bias[c]) over [rows, cols] (no bias: act(x)); `pre`, when given,
/// receives x + bias. `alpha` is elu's α.
pub fn bias_act(
    act: BiasAct, x: &[f32], bias: Option<&[f32]>, out: &mut [f32], pre: Option<&mut [f32]>,
    rows: usize, cols: usize, alpha: f32,
) {
    let n = rows * cols;
    assert!(x.len() >= n && out.len() >= n);
    let b = bias.map(|b| &b[..cols]);
    // Threads: bands of rows (crate::parallel); each element is computed alike in any band.
    let tasks = parallel::tasks_for(parallel::element_ns(n * 2), rows);
    if tasks > 1 {
        let per = parallel::chunk_len(rows, tasks);
        let (os, ps) = (SharedMut::new(&mut out[..n]), pre.map(|p| SharedMut::new(&mut p[..n])));
        parallel::run(rows.div_ceil(per), |t| {
            let r = parallel::chunk_range(t, per, rows);
            let band = r.start * cols..r.end * cols;
            // SAFETY: the row bands of distinct tasks are disjoint.
            let (o, p) = unsafe { (os.slice(band.clone()), ps.as_ref().map(|p| p.slice(band.clone()))) };
            bias_act(act, &x[band], b, o, p, r.len(), cols, alpha);
        });
        return;
    }
    let p = pre.map(|p| &mut p[..n]);
    with_forward!(act, alpha, |f| match (b, p) {
        (Some(b), Some(p)) => forward_rows::<true, true>(f, x, b, out, p, rows, cols),
        (Some(b), None) => forward_rows::<true, false>(f, x, b, out, &mut [], rows, cols),
        (None, Some(p)) => forward_rows::<false, true>(f, x, &[], out, p, rows, cols),
        (None, None) => forward_rows::<false, false>(f, x, &[], out, &mut [], rows, cols),
    })
}

/// The forward loop, one variant per (bias, pre) so the row loop has no branches.
#[inline(always)]
fn forward_rows<const BIAS: bool, const PRE: bool>(
    f: impl Fn(F32x4) -> F32x4, x: &[f32], bias: &[f32], out: &mut [f32], pre: &mut [f32], rows: usize, cols: usize,
) {
    let c4 = cols - cols % 4;
    for r in 0..rows {
        let o = r * cols;
        let (xr, or) = (&x[o..o + cols], &mut out[o..o + cols]);
        let pr: &mut [f32] = if PRE { &mut pre[o..o + cols] } else { &mut [] };
        // SAFETY: j + 4 ≤ c4 ≤ cols, the length of every row slice (and of bias).
        unsafe {
            let mut j = 0;
            while j < c4 {
                let mut v = F32x4::load(xr.as_ptr().add(j));
                if BIAS {
                    v = v.add(F32x4::load(bias.as_ptr().add(j)));
                }
                if PRE {
                    v.store(pr.as_mut_ptr().add(j));
                }
                f(v).store(or.as_mut_ptr().add(j));
                j += 4;
            }
        }
        if c4 < cols {
            let len = cols - c4;
            let mut v = ld(xr, c4, len);
            if BIAS {
                v = v.add(ld(bias, c4, len));
            }
            if PRE {
                st(v, pr, c4, len);
            }
            st(f(v), or, c4, len);
        }
    }
}

/// dx[r, c] = dy[r, c]·act'(…) over [rows, cols], reading `xy` = the output y or the
/// pre-activation (see `BiasAct::grad_needs_pre`); `dbias`, when given, is set to Σ_r dx[r, ·].
/// At kinks the TF.js choice holds (relu'(0) = 0, relu6' = 1 on (0, 6]).
pub fn bias_act_grad(
    act: BiasAct, xy: &[f32], dy: &[f32], dx: &mut [f32], dbias: Option<&mut [f32]>,
    rows: usize, cols: usize, alpha: f32,
) {
    let n = rows * cols;
    assert!(xy.len() >= n && dy.len() >= n && dx.len() >= n);
    // Threads: dx in bands of rows, then dbias as column sums of dx in row order, from 0 —
    // the very additions the one-thread loop makes as it goes.
    let tasks = parallel::tasks_for(parallel::element_ns(n * 2), rows);
    if tasks > 1 {
        let per = parallel::chunk_len(rows, tasks);
        parallel::for_each_chunk(&mut dx[..n], per * cols, |t, d| {
            let r = parallel::chunk_range(t, per, rows);
            let band = r.start * cols..r.end * cols;
            bias_act_grad(act, &xy[band.clone()], &dy[band], d, None, r.len(), cols, alpha);
        });
        if let Some(db) = dbias {
            let (dx, dbs) = (&dx[..n], SharedMut::new(&mut db[..cols]));
            parallel::run_ranges(cols, parallel::element_ns(n), 4, |c| {
                // SAFETY: the column ranges of distinct tasks are disjoint.
                let d = unsafe { dbs.slice(c.clone()) };
                d.fill(0.0);
                for row in dx.chunks_exact(cols) {
                    zip_in_place(d, &row[c.clone()], |a, b| a.add(b));
                }
            });
        }
        return;
    }
    with_grad!(act, alpha, |g| match dbias {
        Some(db) => {
            let db = &mut db[..cols];
            db.fill(0.0);
            grad_rows::<true>(g, xy, dy, dx, db, rows, cols)
        }
        None => grad_rows::<false>(g, xy, dy, dx, &mut [], rows, cols),
    })
}

#[inline(always)]
fn grad_rows<const DBIAS: bool>(
    g: impl Fn(F32x4, F32x4) -> F32x4, xy: &[f32], dy: &[f32], dx: &mut [f32], db: &mut [f32], rows: usize, cols: usize,
) {
    let c4 = cols - cols % 4;
    for r in 0..rows {
        let o = r * cols;
        let (xr, gr, dr) = (&xy[o..o + cols], &dy[o..o + cols], &mut dx[o..o + cols]);
        // SAFETY: j + 4 ≤ c4 ≤ cols, the length of every row slice (and of db when used).
        unsafe {
            let mut j = 0;
            while j < c4 {
                let d = g(F32x4::load(xr.as_ptr().add(j)), F32x4::load(gr.as_ptr().add(j)));
                d.store(dr.as_mut_ptr().add(j));
                if DBIAS {
                    let bp = db.as_mut_ptr().add(j);
                    F32x4::load(bp).add(d).store(bp);
                }
                j += 4;
            }
        }
        if c4 < cols {
            let len = cols - c4;
            let d = g(ld(xr, c4, len), ld(gr, c4, len));
            st(d, dr, c4, len);
            if DBIAS {
                st(ld(db, c4, len).add(d), db, c4, len);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elementwise::{unary, unary_grad, InOut, UnaryGradOp, UnaryOp};
    use crate::testutil::{assert_close, Rng};

    fn unary_of(act: BiasAct) -> Option<(UnaryOp, UnaryGradOp)> {
        Some(match act {
            BiasAct::Linear => return None,
            BiasAct::Relu => (UnaryOp::Relu, UnaryGradOp::Relu),
            BiasAct::Relu6 => (UnaryOp::Relu6, UnaryGradOp::Relu6),
            BiasAct::Sigmoid => (UnaryOp::Sigmoid, UnaryGradOp::Sigmoid),
            BiasAct::Tanh => (UnaryOp::Tanh, UnaryGradOp::Tanh),
            BiasAct::Softplus => (UnaryOp::Softplus, UnaryGradOp::Softplus),
            BiasAct::Elu => (UnaryOp::Elu, UnaryGradOp::Elu),
            BiasAct::Selu => (UnaryOp::Selu, UnaryGradOp::Selu),
            BiasAct::Gelu => (UnaryOp::Gelu, UnaryGradOp::Gelu),
        })
    }

    /// The fused kernels equal the separate ones bit for bit: bias add, then the unary op;
    /// the unary gradient, then column sums.
    #[test]
    fn fused_equals_separate_ops() {
        let mut rng = Rng::new(21);
        let alpha = 0.7;
        for act in BiasAct::ALL {
            for &(rows, cols) in &[(1, 1), (3, 5), (4, 8), (7, 13), (2, 33)] {
                let n = rows * cols;
                let x = rng.vec(n, -7.0, 7.0);
                let bias = rng.vec(cols, -1.0, 1.0);
                let dy = rng.vec(n, -2.0, 2.0);
                for with_bias in [true, false] {
                    let b = with_bias.then_some(&bias[..]);
                    let z: Vec<f32> = (0..n).map(|i| x[i] + if with_bias { bias[i % cols] } else { 0.0 }).collect();
                    let mut y = vec![f32::NAN; n];
                    let mut pre = vec![f32::NAN; n];
                    bias_act(act, &x, b, &mut y, Some(&mut pre), rows, cols, alpha);
                    assert_eq!(pre, z, "{act:?} pre-activation");
                    let mut y2 = vec![f32::NAN; n];
                    bias_act(act, &x, b, &mut y2, None, rows, cols, alpha);
                    assert_eq!(y.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), y2.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
                    let xy = if act.grad_needs_pre() { &pre } else { &y };
                    let mut dx = vec![f32::NAN; n];
                    let mut db = vec![f32::NAN; cols];
                    bias_act_grad(act, xy, &dy, &mut dx, Some(&mut db), rows, cols, alpha);
                    let mut dx2 = vec![f32::NAN; n];
                    bias_act_grad(act, xy, &dy, &mut dx2, None, rows, cols, alpha);
                    assert_eq!(dx, dx2);
                    let (want_y, want_dx) = match unary_of(act) {
                        None => (z.clone(), dy.clone()),
                        Some((op, gop)) => {
                            let mut wy = vec![0.0; n];
                            unary(op, InOut::Split(&z, &mut wy), alpha);
                            let mut wdx = vec![0.0; n];
                            // relu's unary gradient reads x; the fused one reads y (same mask)
                            unary_grad(gop, if matches!(act, BiasAct::Relu) { &z } else { xy }, &dy, &mut wdx, alpha);
                            (wy, wdx)
                        }
                    };
                    assert_eq!(y.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), want_y.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), "{act:?} forward");
                    assert_eq!(dx, want_dx, "{act:?} gradient");
                    let want_db: Vec<f32> = (0..cols).map(|c| (0..rows).map(|r| want_dx[r * cols + c] as f64).sum::<f64>() as f32).collect();
                    assert_close(&db, &want_db, 1e-6, 1e-6);
                }
            }
        }
    }

    /// Gradients against central differences of the fused forward in f64 terms.
    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = Rng::new(22);
        let (rows, cols, alpha) = (3, 6, 0.5);
        for act in BiasAct::ALL {
            let x = rng.vec(rows * cols, -3.0, 3.0);
            let bias = rng.vec(cols, -0.5, 0.5);
            let dy = rng.vec(rows * cols, -1.0, 1.0);
            let mut y = vec![0.0; rows * cols];
            let mut pre = vec![0.0; rows * cols];
            bias_act(act, &x, Some(&bias), &mut y, Some(&mut pre), rows, cols, alpha);
            let mut dx = vec![0.0; rows * cols];
            let mut db = vec![0.0; cols];
            bias_act_grad(act, if act.grad_needs_pre() { &pre } else { &y }, &dy, &mut dx, Some(&mut db), rows, cols, alpha);
            // L = Σ dy·y; dL/dx by central differences of one element at a time
            let loss = |x: &[f32], b: &[f32]| -> f64 {
                let mut out = vec![0.0; rows * cols];
                bias_act(act, x, Some(b), &mut out, None, rows, cols, alpha);
                out.iter().zip(&dy).map(|(&o, &g)| o as f64 * g as f64).sum()
            };
            let h = 1e-2f32;
            for i in 0..rows * cols {
                if matches!(act, BiasAct::Relu | BiasAct::Relu6) && (pre[i].abs() < 0.05 || (pre[i] - 6.0).abs() < 0.05) {
                    continue; // too close to a kink
                }
                let (mut xp, mut xm) = (x.clone(), x.clone());
                xp[i] += h;
                xm[i] -= h;
                let fd = (loss(&xp, &bias) - loss(&xm, &bias)) / (2.0 * h as f64);
                assert!((fd - dx[i] as f64).abs() < 2e-3 * (1.0 + fd.abs()), "{act:?} dx[{i}] = {} vs {fd}", dx[i]);
            }
            for c in 0..cols {
                let (mut bp, mut bm) = (bias.clone(), bias.clone());
                bp[c] += h;
                bm[c] -= h;
                let fd = (loss(&x, &bp) - loss(&x, &bm)) / (2.0 * h as f64);
                let near_kink = (0..rows).any(|r| {
                    let p = pre[r * cols + c];
                    matches!(act, BiasAct::Relu | BiasAct::Relu6) && (p.abs() < 0.05 || (p - 6.0).abs() < 0.05)
                });
                if !near_kink {
                    assert!((fd - db[c] as f64).abs() < 3e-3 * (1.0 + fd.abs()), "{act:?} dbias[{c}] = {} vs {fd}", db[c]);
                }
            }
        }
    }

    #[test]
    fn specials_pass_through() {
        let x = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0];
        for act in BiasAct::ALL {
            let mut y = [0.0f32; 4];
            bias_act(act, &x, None, &mut y, None, 1, 4, 1.0);
            assert!(y[0].is_nan(), "{act:?}(NaN)");
            let want_inf = match act {
                BiasAct::Sigmoid | BiasAct::Tanh => 1.0,
                BiasAct::Relu6 => 6.0,
                _ => f32::INFINITY,
            };
            assert_eq!(y[1], want_inf, "{act:?}(+inf)");
        }
    }
}
