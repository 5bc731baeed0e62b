//! Row-wise softmax and log-softmax over [rows, cols] and their gradients.

use crate::approx;
use crate::elementwise::{map1, map2};
use crate::parallel;
use crate::simd::F32x4;

/// Max of a row (NaN if any element is NaN; −inf for an empty row).
#[inline]
pub(crate) fn row_max(x: &[f32]) -> f32 {
    let mut acc = F32x4::splat(f32::NEG_INFINITY);
    let mut it = x.chunks_exact(4);
    for v in &mut it {
        acc = acc.max(F32x4::from_slice(v));
    }
    acc.max(F32x4::load_partial(it.remainder(), f32::NEG_INFINITY)).hmax()
}

/// out = exp(x − mx); returns Σ out.
#[inline]
pub(crate) fn exp_shifted(x: &[f32], mx: f32, out: &mut [f32]) -> f32 {
    let vm = F32x4::splat(mx);
    map1(x, out, |v| approx::exp(v.sub(vm)));
    sum(out)
}

/// Σ exp(x − mx) without storing.
#[inline]
pub(crate) fn sum_exp_shifted(x: &[f32], mx: f32) -> f32 {
    let vm = F32x4::splat(mx);
    let mut acc = F32x4::zero();
    let mut it = x.chunks_exact(4);
    for v in &mut it {
        acc = acc.add(approx::exp(F32x4::from_slice(v).sub(vm)));
    }
    let rest = it.remainder();
    if !rest.is_empty() {
        // padding lanes are −inf → exp gives 0
        acc = acc.add(approx::exp(F32x4::load_partial(rest, f32::NEG_INFINITY).sub(vm)));
    }
    acc.hsum()
}

#[inline]
pub(crate) fn sum(x: &[f32]) -> f32 {
    let mut acc = F32x4::zero();
    let mut it = x.chunks_exact(4);
    for v in &mut it {
        acc = acc.add(F32x4::from_slice(v));
    }
    acc.add(F32x4::load_partial(it.remainder(), 0.0)).hsum()
}

#[inline]
pub(crate) fn dot(x: &[f32], y: &[f32]) -> f32 {
    crate::gemm::dot(x, y)
}

#[inline]
pub(crate) fn scale(x: &mut [f32], s: f32) {
    let vs = F32x4::splat(s);
    let mut it = x.chunks_exact_mut(4);
    for v in &mut it {
        F32x4::from_slice(v).mul(vs).write_to(v);
    }
    for v in it.into_remainder() {
        *v *= s;
    }
}

/// Estimated one-thread time of a row-wise pass over n values (a few passes per row).
fn row_work(n: usize) -> usize {
    parallel::element_ns(n * 3)
}

/// out = softmax(x) per row (max-subtracted).
pub fn softmax(x: &[f32], out: &mut [f32], rows: usize, cols: usize) {
    if cols == 0 {
        return;
    }
    parallel::for_each_row_band(out, rows, cols, row_work(rows * cols), |r, o| {
        softmax_rows(&x[r.start * cols..r.end * cols], o, r.len(), cols)
    });
}

fn softmax_rows(x: &[f32], out: &mut [f32], rows: usize, cols: usize) {
    for (xr, or) in x[..rows * cols].chunks_exact(cols).zip(out[..rows * cols].chunks_exact_mut(cols)) {
        let mx = row_max(xr);
        let s = exp_shifted(xr, mx, or);
        scale(or, 1.0 / s);
    }
}

/// out = x − logΣexp(x) per row.
pub fn log_softmax(x: &[f32], out: &mut [f32], rows: usize, cols: usize) {
    if cols == 0 {
        return;
    }
    parallel::for_each_row_band(out, rows, cols, row_work(rows * cols), |r, o| {
        log_softmax_rows(&x[r.start * cols..r.end * cols], o, r.len(), cols)
    });
}

fn log_softmax_rows(x: &[f32], out: &mut [f32], rows: usize, cols: usize) {
    for (xr, or) in x[..rows * cols].chunks_exact(cols).zip(out[..rows * cols].chunks_exact_mut(cols)) {
        // (x − max) − log Σ: folding max into the log-sum first would round it at max's
        // magnitude (e.g. 1000 + 2e-4).
        let vm = F32x4::splat(row_max(xr));
        let ls = F32x4::splat(approx::log1(sum_exp_shifted(xr, vm.lane0())));
        map1(xr, or, |v| v.sub(vm).sub(ls));
    }
}

/// dx = y ⊙ (dy − Σ_row dy ⊙ y) for y = softmax(x).
pub fn softmax_grad(y: &[f32], dy: &[f32], dx: &mut [f32], rows: usize, cols: usize) {
    if cols == 0 {
        return;
    }
    parallel::for_each_row_band(dx, rows, cols, row_work(rows * cols), |r, d| {
        let band = r.start * cols..r.end * cols;
        softmax_grad_rows(&y[band.clone()], &dy[band], d, r.len(), cols)
    });
}

fn softmax_grad_rows(y: &[f32], dy: &[f32], dx: &mut [f32], rows: usize, cols: usize) {
    let n = rows * cols;
    for ((yr, gr), dr) in y[..n].chunks_exact(cols).zip(dy[..n].chunks_exact(cols)).zip(dx[..n].chunks_exact_mut(cols)) {
        let s = F32x4::splat(dot(yr, gr));
        map2(yr, gr, dr, |yv, gv| yv.mul(gv.sub(s)));
    }
}

/// dx = dy − exp(y) · Σ_row dy for y = logSoftmax(x).
pub fn log_softmax_grad(y: &[f32], dy: &[f32], dx: &mut [f32], rows: usize, cols: usize) {
    if cols == 0 {
        return;
    }
    parallel::for_each_row_band(dx, rows, cols, row_work(rows * cols), |r, d| {
        let band = r.start * cols..r.end * cols;
        log_softmax_grad_rows(&y[band.clone()], &dy[band], d, r.len(), cols)
    });
}

fn log_softmax_grad_rows(y: &[f32], dy: &[f32], dx: &mut [f32], rows: usize, cols: usize) {
    let n = rows * cols;
    for ((yr, gr), dr) in y[..n].chunks_exact(cols).zip(dy[..n].chunks_exact(cols)).zip(dx[..n].chunks_exact_mut(cols)) {
        let s = F32x4::splat(sum(gr));
        map2(yr, gr, dr, |yv, gv| gv.sub(approx::exp(yv).mul(s)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Rng};

    fn ref_softmax(x: &[f32], cols: usize) -> Vec<f32> {
        let mut out = Vec::new();
        for r in x.chunks(cols) {
            let mx = r.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v as f64));
            let s: f64 = r.iter().map(|&v| (v as f64 - mx).exp()).sum();
            out.extend(r.iter().map(|&v| ((v as f64 - mx).exp() / s) as f32));
        }
        out
    }

    fn ref_log_softmax(x: &[f32], cols: usize) -> Vec<f32> {
        let mut out = Vec::new();
        for r in x.chunks(cols) {
            let mx = r.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v as f64));
            let lse = mx + r.iter().map(|&v| (v as f64 - mx).exp()).sum::<f64>().ln();
            out.extend(r.iter().map(|&v| (v as f64 - lse) as f32));
        }
        out
    }

    #[test]
    fn softmax_and_log_softmax() {
        let mut rng = Rng::new(10);
        for &(rows, cols) in &[(1, 1), (3, 2), (2, 5), (4, 7), (5, 33), (2, 1000)] {
            let mut x = rng.vec(rows * cols, -10.0, 10.0);
            if cols > 1 {
                x[0] = 100.0;
                x[1] = -100.0;
            }
            if rows > 1 {
                // a row far from 0
                x[cols..2 * cols].iter_mut().for_each(|v| *v += 1000.0);
            }
            let mut out = vec![f32::NAN; rows * cols];
            softmax(&x, &mut out, rows, cols);
            assert_close(&out, &ref_softmax(&x, cols), 2e-6, 1e-9);
            log_softmax(&x, &mut out, rows, cols);
            assert_close(&out, &ref_log_softmax(&x, cols), 2e-6, 2e-6);
        }
    }

    #[test]
    fn gradients() {
        let mut rng = Rng::new(11);
        for &(rows, cols) in &[(1, 1), (3, 5), (2, 9), (3, 64)] {
            let x = rng.vec(rows * cols, -3.0, 3.0);
            let dy = rng.vec(rows * cols, -1.0, 1.0);
            let y = ref_softmax(&x, cols);
            let mut dx = vec![f32::NAN; rows * cols];
            softmax_grad(&y, &dy, &mut dx, rows, cols);
            let mut want = Vec::new();
            for (yr, gr) in y.chunks(cols).zip(dy.chunks(cols)) {
                let s: f64 = yr.iter().zip(gr).map(|(&a, &b)| a as f64 * b as f64).sum();
                want.extend(yr.iter().zip(gr).map(|(&a, &b)| (a as f64 * (b as f64 - s)) as f32));
            }
            assert_close(&dx, &want, 1e-5, 1e-6);
            let ly = ref_log_softmax(&x, cols);
            log_softmax_grad(&ly, &dy, &mut dx, rows, cols);
            let mut want = Vec::new();
            for (yr, gr) in ly.chunks(cols).zip(dy.chunks(cols)) {
                let s: f64 = gr.iter().map(|&b| b as f64).sum();
                want.extend(yr.iter().zip(gr).map(|(&a, &b)| (b as f64 - (a as f64).exp() * s) as f32));
            }
            assert_close(&dx, &want, 1e-5, 1e-6);
        }
    }
}
