//! Fused, numerically stable losses on logits, each giving the per-element (or per-row) loss
//! and the gradient with respect to the logits.

use crate::approx;
use crate::elementwise::st;
use crate::elementwise::ld;
use crate::parallel::{self, SharedMut};
use crate::simd::F32x4;
use crate::softmax::{exp_shifted, row_max, scale};

/// Runs `f(rows range, loss rows, grad rows)` over bands of rows, as parallel tasks when
/// worth it (every row is computed alike wherever the cut falls).
fn by_rows(loss: &mut [f32], grad: &mut [f32], rows: usize, cols: usize, f: impl Fn(core::ops::Range<usize>, &mut [f32], &mut [f32]) + Sync) {
    let (loss, grad) = (SharedMut::new(&mut loss[..rows]), SharedMut::new(&mut grad[..rows * cols]));
    parallel::run_ranges(rows, parallel::element_ns(rows * cols * 4), 1, |r| {
        // SAFETY: the row bands of distinct tasks are disjoint.
        unsafe { f(r.clone(), loss.slice(r.clone()), grad.slice(r.start * cols..r.end * cols)) }
    });
}

/// loss = max(x, 0) − x·z + log(1 + e^−|x|); grad = sigmoid(x) − z.
pub fn sigmoid_cross_entropy(logits: &[f32], labels: &[f32], loss: &mut [f32], grad: &mut [f32]) {
    let n = loss.len();
    // Cut at multiples of 4: pieces of whole vectors.
    let (ls, gs) = (SharedMut::new(loss), SharedMut::new(&mut grad[..n]));
    parallel::run_ranges(n, parallel::element_ns(n * 4), 64, |r| {
        // SAFETY: the ranges of distinct tasks are disjoint.
        unsafe { sigmoid_ce_chunk(&logits[r.clone()], &labels[r.clone()], ls.slice(r.clone()), gs.slice(r)) }
    });
}

fn sigmoid_ce_chunk(logits: &[f32], labels: &[f32], loss: &mut [f32], grad: &mut [f32]) {
    let n = loss.len();
    let (x, z, grad) = (&logits[..n], &labels[..n], &mut grad[..n]);
    let zero = F32x4::zero();
    let mut i = 0;
    while i < n {
        let len = (n - i).min(4);
        let xv = ld(x, i, len);
        let zv = ld(z, i, len);
        let l = xv.pmax(zero).sub(xv.mul(zv)).add(approx::log1p(approx::exp(xv.abs().neg())));
        st(l, loss, i, len);
        st(approx::sigmoid(xv).sub(zv), grad, i, len);
        i += 4;
    }
}

/// Softmax cross-entropy with dense labels z [rows, cols]:
/// loss[r] = −Σ_c z·log softmax(x); grad = softmax(x)·Σ_c z − z. Terms with z = 0 add
/// nothing even where log softmax is −inf.
pub fn softmax_cross_entropy(logits: &[f32], labels: &[f32], loss: &mut [f32], grad: &mut [f32], rows: usize, cols: usize) {
    if cols == 0 {
        loss[..rows].fill(0.0);
        return;
    }
    by_rows(loss, grad, rows, cols, |r, loss, grad| {
        let band = r.start * cols..r.end * cols;
        softmax_ce_rows(&logits[band.clone()], &labels[band], loss, grad, cols)
    });
}

fn softmax_ce_rows(logits: &[f32], labels: &[f32], loss: &mut [f32], grad: &mut [f32], cols: usize) {
    let rows_iter = logits.chunks_exact(cols).zip(labels.chunks_exact(cols)).zip(grad.chunks_exact_mut(cols));
    for (((x, z), g), l) in rows_iter.zip(loss.iter_mut()) {
        let mx = row_max(x);
        let s = exp_shifted(x, mx, g);
        // log softmax = (x − max) − log Σ, never rounded at max's magnitude
        let (vm, ls) = (F32x4::splat(mx), F32x4::splat(approx::log1(s)));
        let zero = F32x4::zero();
        let (mut lacc, mut zacc) = (zero, zero);
        let mut i = 0;
        while i < cols {
            let len = (cols - i).min(4);
            let zv = ld(z, i, len);
            let logp = ld(x, i, len).sub(vm).sub(ls);
            lacc = lacc.add(F32x4::select(zv.ne(zero), zv.mul(logp), zero));
            zacc = zacc.add(zv);
            i += 4;
        }
        *l = -lacc.hsum();
        let k = F32x4::splat(zacc.hsum() / s);
        let mut i = 0;
        while i < cols {
            let len = (cols - i).min(4);
            st(ld(g, i, len).mul(k).sub(ld(z, i, len)), g, i, len);
            i += 4;
        }
    }
}

/// As `softmax_cross_entropy` with class labels [rows]. Returns −1, or the first row whose
/// label is outside [0, cols) (then nothing is written).
pub fn sparse_softmax_cross_entropy(logits: &[f32], labels: &[i32], loss: &mut [f32], grad: &mut [f32], rows: usize, cols: usize) -> i32 {
    let labels = &labels[..rows];
    if let Some(bad) = labels.iter().position(|&c| c < 0 || c as usize >= cols) {
        return bad as i32;
    }
    if cols == 0 {
        return -1;
    }
    by_rows(loss, grad, rows, cols, |r, loss, grad| {
        sparse_ce_rows(&logits[r.start * cols..r.end * cols], &labels[r], loss, grad, cols)
    });
    -1
}

fn sparse_ce_rows(logits: &[f32], labels: &[i32], loss: &mut [f32], grad: &mut [f32], cols: usize) {
    let rows_iter = logits.chunks_exact(cols).zip(grad.chunks_exact_mut(cols));
    for (((x, g), l), &c) in rows_iter.zip(loss.iter_mut()).zip(labels) {
        let mx = row_max(x);
        let s = exp_shifted(x, mx, g);
        *l = approx::log1(s) - (x[c as usize] - mx);
        scale(g, 1.0 / s);
        g[c as usize] -= 1.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Rng};

    #[test]
    fn sigmoid_ce_matches_formula_and_is_stable() {
        let mut rng = Rng::new(12);
        let mut x = rng.vec(37, -8.0, 8.0);
        x[0] = 100.0;
        x[1] = -100.0;
        x[2] = 0.0;
        let z: Vec<f32> = (0..37).map(|i| if i % 3 == 0 { 1.0 } else if i % 3 == 1 { 0.0 } else { 0.3 }).collect();
        let (mut loss, mut grad) = (vec![f32::NAN; 37], vec![f32::NAN; 37]);
        sigmoid_cross_entropy(&x, &z, &mut loss, &mut grad);
        let mut wl = Vec::new();
        let mut wg = Vec::new();
        for (&xv, &zv) in x.iter().zip(&z) {
            let (xv, zv) = (xv as f64, zv as f64);
            // −z·log σ(x) − (1−z)·log(1−σ(x)) written with log-sigmoids
            let log_sig = |t: f64| if t > 0.0 { -(-t).exp().ln_1p() } else { t - t.exp().ln_1p() };
            wl.push((-zv * log_sig(xv) - (1.0 - zv) * log_sig(-xv)) as f32);
            wg.push((1.0 / (1.0 + (-xv).exp()) - zv) as f32);
        }
        assert_close(&loss, &wl, 1e-5, 1e-6);
        assert_close(&grad, &wg, 1e-6, 1e-7);
        assert!(loss.iter().chain(&grad).all(|v| v.is_finite()));
        // x = 100, z = 1: log(1 + e^−100), a subnormal
        assert!(loss[0] > 0.0 && loss[0] < 1e-43);
    }

    fn reference(x: &[f32], z: &[f32], cols: usize) -> (Vec<f32>, Vec<f32>) {
        let (mut loss, mut grad) = (Vec::new(), Vec::new());
        for (xr, zr) in x.chunks(cols).zip(z.chunks(cols)) {
            let mx = xr.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v as f64));
            let lse = mx + xr.iter().map(|&v| (v as f64 - mx).exp()).sum::<f64>().ln();
            let zs: f64 = zr.iter().map(|&v| v as f64).sum();
            loss.push(-xr.iter().zip(zr).map(|(&a, &b)| b as f64 * (a as f64 - lse)).sum::<f64>() as f32);
            grad.extend(xr.iter().zip(zr).map(|(&a, &b)| ((a as f64 - lse).exp() * zs - b as f64) as f32));
        }
        (loss, grad)
    }

    #[test]
    fn softmax_ce_dense_and_sparse() {
        let mut rng = Rng::new(13);
        for &(rows, cols) in &[(1, 1), (2, 3), (5, 10), (3, 33)] {
            let mut x = rng.vec(rows * cols, -5.0, 5.0);
            let labels: Vec<i32> = (0..rows).map(|_| rng.below(cols) as i32).collect();
            if cols > 2 {
                x[0] = 100.0;
                x[1] = -100.0;
                x[2] = -100.0;
            }
            if rows > 1 {
                x[cols..2 * cols].iter_mut().for_each(|v| *v += 1000.0);
            }
            let mut z = vec![0.0f32; rows * cols];
            for (r, &c) in labels.iter().enumerate() {
                z[r * cols + c as usize] = 1.0;
            }
            let (wl, wg) = reference(&x, &z, cols);
            let (mut loss, mut grad) = (vec![f32::NAN; rows], vec![f32::NAN; rows * cols]);
            softmax_cross_entropy(&x, &z, &mut loss, &mut grad, rows, cols);
            assert_close(&loss, &wl, 1e-5, 1e-5);
            assert_close(&grad, &wg, 1e-5, 1e-6);
            let (mut loss2, mut grad2) = (vec![f32::NAN; rows], vec![f32::NAN; rows * cols]);
            assert_eq!(sparse_softmax_cross_entropy(&x, &labels, &mut loss2, &mut grad2, rows, cols), -1);
            assert_close(&loss2, &wl, 1e-5, 1e-5);
            assert_close(&grad2, &wg, 1e-5, 1e-6);
            assert!(loss.iter().chain(&grad).all(|v| v.is_finite()));
            // soft labels
            let soft: Vec<f32> = z.iter().map(|&v| 0.8 * v + 0.2 / cols as f32).collect();
            let (wl, wg) = reference(&x, &soft, cols);
            softmax_cross_entropy(&x, &soft, &mut loss, &mut grad, rows, cols);
            assert_close(&loss, &wl, 1e-5, 1e-5);
            assert_close(&grad, &wg, 1e-5, 1e-6);
        }
    }

    #[test]
    fn sparse_reports_bad_row() {
        let x = [0.0f32; 6];
        let (mut loss, mut grad) = ([0.0f32; 2], [0.0f32; 6]);
        assert_eq!(sparse_softmax_cross_entropy(&x, &[1, 3], &mut loss, &mut grad, 2, 3), 1);
        assert_eq!(sparse_softmax_cross_entropy(&x, &[-1, 0], &mut loss, &mut grad, 2, 3), 0);
    }

    #[test]
    fn extreme_logit_rows() {
        // a −inf logit with z = 0 contributes nothing
        let x = [f32::NEG_INFINITY, 0.0, 1.0];
        let z = [0.0, 0.0, 1.0];
        let (mut loss, mut grad) = ([0.0f32; 1], [0.0f32; 3]);
        softmax_cross_entropy(&x, &z, &mut loss, &mut grad, 1, 3);
        assert!(loss[0].is_finite() && grad.iter().all(|v| v.is_finite()));
        assert_close(&loss, &[(1.0f64 + (-1.0f64).exp()).ln() as f32], 1e-6, 1e-7);
    }
}
