//! Layer normalization over the last axis of [rows, cols], forward and backward in one pass
//! over each row (Keras' LayerNormalization; the trailing axes are flattened into cols).
//!
//! Per row, μ = mean(x), σ² = mean((x − μ)²) (two passes: accurate), r = 1/√(σ² + ε):
//! - standard: y = (x − μ)·r·γ + β;
//! - `rms` (Keras' rms_scaling): y = x·r·γ — Keras scales by the same r (from the centred
//!   variance) but does not subtract μ, and has no β.
//!
//! γ and β are optional (Keras' scale / center). The forward keeps μ and r per row for the
//! backward:
//!
//! - standard: x̂ = (x − μ)·r, g = dy·γ: dx = r·(g − mean(g) − x̂·mean(g·x̂));
//!   dγ = Σ_rows dy·x̂, dβ = Σ_rows dy;
//! - rms: g = dy·γ: dx = r·g − r³·(x − μ)·mean(g·x); dγ = Σ_rows dy·x·r.

use crate::elementwise::{ld, map2, st, zip_in_place};
use crate::parallel::{self, SharedMut};
use crate::simd::F32x4;
use core::ops::Range;

#[derive(Clone, Copy, Debug)]
pub struct LayerNormDims {
    pub rows: usize,
    pub cols: usize,
    pub epsilon: f32,
    pub rms: bool,
}

/// Σ x in four lanes.
fn sum(x: &[f32]) -> f32 {
    crate::softmax::sum(x)
}

/// Σ (x − μ)².
fn sum_sq_dev(x: &[f32], mu: f32) -> f32 {
    let vm = F32x4::splat(mu);
    let mut acc = F32x4::zero();
    let mut it = x.chunks_exact(4);
    for c in &mut it {
        let d = F32x4::from_slice(c).sub(vm);
        acc = d.madd(d, acc);
    }
    let mut s = acc.hsum();
    for &v in it.remainder() {
        s += (v - mu) * (v - mu);
    }
    s
}

/// out = x·a + c elementwise with per-column a and c (a = r·γ, c = β − μ·r·γ, …).
fn affine_row(x: &[f32], a: &[f32], c: Option<&[f32]>, out: &mut [f32]) {
    let n = x.len();
    let n4 = n - n % 4;
    for j in (0..n4).step_by(4) {
        let mut y = F32x4::from_slice(&x[j..]).mul(F32x4::from_slice(&a[j..]));
        if let Some(c) = c {
            y = y.add(F32x4::from_slice(&c[j..]));
        }
        y.write_to(&mut out[j..]);
    }
    for j in n4..n {
        out[j] = x[j] * a[j] + c.map_or(0.0, |c| c[j]);
    }
}

/// Forward: out, and μ and r per row (mean, rstd). Rows are split across threads.
pub fn forward(
    d: &LayerNormDims, x: &[f32], gamma: Option<&[f32]>, beta: Option<&[f32]>,
    out: &mut [f32], mean: &mut [f32], rstd: &mut [f32],
) {
    let (rows, n) = (d.rows, d.cols);
    assert!(x.len() >= rows * n && out.len() >= rows * n && mean.len() >= rows && rstd.len() >= rows);
    assert!(gamma.is_none_or(|g| g.len() >= n) && beta.is_none_or(|b| b.len() >= n));
    if n == 0 {
        return;
    }
    let (outs, means, rstds) = (SharedMut::new(out), SharedMut::new(mean), SharedMut::new(rstd));
    parallel::run_ranges(rows, parallel::element_ns(rows * n * 4), 1, |band| {
        // SAFETY: each task writes the rows of its band only.
        let (out, mean, rstd) = unsafe { (outs.slice(band.start * n..band.end * n), means.slice(band.clone()), rstds.slice(band.clone())) };
        forward_rows(d, &x[band.start * n..band.end * n], gamma, beta, out, mean, rstd);
    });
}

/// The forward pass over `mean.len()` rows.
fn forward_rows(
    d: &LayerNormDims, x: &[f32], gamma: Option<&[f32]>, beta: Option<&[f32]>,
    out: &mut [f32], mean: &mut [f32], rstd: &mut [f32],
) {
    let n = d.cols;
    // Per-row coefficients a[j] = r·γ[j], c[j] = β[j] − μ·a[j], built in one small buffer.
    let mut coef = vec![0.0f32; 2 * n];
    let (a, c) = coef.split_at_mut(n);
    for row in 0..mean.len() {
        let xr = &x[row * n..(row + 1) * n];
        let mu = sum(xr) / n as f32;
        let var = sum_sq_dev(xr, mu) / n as f32;
        let r = 1.0 / (var + d.epsilon).sqrt();
        mean[row] = mu;
        rstd[row] = r;
        for j in 0..n {
            a[j] = r * gamma.map_or(1.0, |g| g[j]);
        }
        let or = &mut out[row * n..(row + 1) * n];
        if d.rms {
            affine_row(xr, a, None, or);
        } else {
            for j in 0..n {
                c[j] = beta.map_or(0.0, |b| b[j]) - mu * a[j];
            }
            affine_row(xr, a, Some(c), or);
        }
    }
}

/// Σ g·(x − μ).
fn dot_centered(g: &[f32], x: &[f32], mu: f32) -> f32 {
    let vm = F32x4::splat(mu);
    let mut acc = F32x4::zero();
    let mut gi = g.chunks_exact(4);
    let mut xi = x.chunks_exact(4);
    for (gv, xv) in (&mut gi).zip(&mut xi) {
        acc = F32x4::from_slice(gv).madd(F32x4::from_slice(xv).sub(vm), acc);
    }
    let mut s = acc.hsum();
    for (&gv, &xv) in gi.remainder().iter().zip(xi.remainder()) {
        s += gv * (xv - mu);
    }
    s
}

/// acc[j] = f(acc[j], a[j], b[j]).
fn accumulate(acc: &mut [f32], a: &[f32], b: &[f32], f: impl Fn(F32x4, F32x4, F32x4) -> F32x4) {
    let n = acc.len();
    let mut j = 0;
    while j < n {
        let len = (n - j).min(4);
        st(f(ld(acc, j, len), ld(a, j, len), ld(b, j, len)), acc, j, len);
        j += 4;
    }
}

/// Backward: dx (unless None) and dγ, dβ (overwritten, unless None) from dy, x and the
/// forward's μ and r. Threads split dx by rows and dγ, dβ (sums over the rows) by columns,
/// so every sum runs over the rows in order whatever the split.
pub fn backward(
    d: &LayerNormDims, x: &[f32], gamma: Option<&[f32]>, dy: &[f32], mean: &[f32], rstd: &[f32],
    dx: Option<&mut [f32]>, dgamma: Option<&mut [f32]>, dbeta: Option<&mut [f32]>,
) {
    let (rows, n) = (d.rows, d.cols);
    assert!(x.len() >= rows * n && dy.len() >= rows * n && mean.len() >= rows && rstd.len() >= rows);
    assert!(gamma.is_none_or(|g| g.len() >= n));
    assert!(dgamma.as_deref().is_none_or(|g| g.len() >= n) && dbeta.as_deref().is_none_or(|b| b.len() >= n));
    let work = parallel::element_ns(rows * n * 4);
    if let Some(dx) = dx {
        if n > 0 {
            let dxs = SharedMut::new(dx);
            parallel::run_ranges(rows, work, 1, |band| {
                let span = band.start * n..band.end * n;
                // SAFETY: each task writes the rows of its band only.
                let dx = unsafe { dxs.slice(span.clone()) };
                dx_rows(d, &x[span.clone()], gamma, &dy[span], &mean[band.clone()], &rstd[band], dx);
            });
        }
    }
    // rms has no β: its gradient is 0.
    let dbeta = match dbeta {
        Some(b) if d.rms => {
            b[..n].fill(0.0);
            None
        }
        other => other,
    };
    if dgamma.is_none() && dbeta.is_none() {
        return;
    }
    let dgs = dgamma.map(|g| SharedMut::new(&mut g[..n]));
    let dbs = dbeta.map(|b| SharedMut::new(&mut b[..n]));
    parallel::run_ranges(n, work, 4, |cols| {
        // SAFETY: each task writes the columns of its range only.
        let dg = dgs.as_ref().map(|g| unsafe { g.slice(cols.clone()) });
        let db = dbs.as_ref().map(|b| unsafe { b.slice(cols.clone()) });
        param_grads(d, x, dy, mean, rstd, cols, dg, db);
    });
}

/// dx of `mean.len()` rows: r·(g − mean(g) − x̂·mean(g·x̂)), or for rms r·g − r³·(x − μ)·mean(g·x).
fn dx_rows(d: &LayerNormDims, x: &[f32], gamma: Option<&[f32]>, dy: &[f32], mean: &[f32], rstd: &[f32], dx: &mut [f32]) {
    let n = d.cols;
    let mut g = vec![0.0f32; n];
    let inv_n = 1.0 / n as f32;
    for row in 0..mean.len() {
        let xr = &x[row * n..(row + 1) * n];
        let dyr = &dy[row * n..(row + 1) * n];
        let (mu, r) = (mean[row], rstd[row]);
        let (vmu, vr) = (F32x4::splat(mu), F32x4::splat(r));
        match gamma {
            Some(gm) => map2(dyr, gm, &mut g, |a, b| a.mul(b)),
            None => g.copy_from_slice(dyr),
        }
        let dxr = &mut dx[row * n..(row + 1) * n];
        if d.rms {
            let c = crate::softmax::dot(&g, xr) * inv_n;
            let k = F32x4::splat(r * r * r * c);
            map2(&g, xr, dxr, |gv, xv| gv.mul(vr).sub(k.mul(xv.sub(vmu))));
        } else {
            let mean_g = crate::softmax::sum(&g) * inv_n;
            let mean_gxhat = dot_centered(&g, xr, mu) * r * inv_n;
            let (vmg, vmgx) = (F32x4::splat(mean_g), F32x4::splat(mean_gxhat));
            map2(&g, xr, dxr, |gv, xv| {
                let xhat = xv.sub(vmu).mul(vr);
                gv.sub(vmg).sub(xhat.mul(vmgx)).mul(vr)
            });
        }
    }
}

/// dγ = Σ_rows dy·x̂ (rms: Σ_rows dy·x·r) and dβ = Σ_rows dy over the columns `cols`
/// (overwritten), summed over the rows in order.
#[allow(clippy::too_many_arguments)]
fn param_grads(
    d: &LayerNormDims, x: &[f32], dy: &[f32], mean: &[f32], rstd: &[f32], cols: Range<usize>,
    mut dgamma: Option<&mut [f32]>, mut dbeta: Option<&mut [f32]>,
) {
    let n = d.cols;
    if let Some(g) = dgamma.as_deref_mut() {
        g.fill(0.0);
    }
    if let Some(b) = dbeta.as_deref_mut() {
        b.fill(0.0);
    }
    for row in 0..d.rows {
        let xr = &x[row * n + cols.start..row * n + cols.end];
        let dyr = &dy[row * n + cols.start..row * n + cols.end];
        let (vmu, vr) = (F32x4::splat(mean[row]), F32x4::splat(rstd[row]));
        if let Some(dg) = dgamma.as_deref_mut() {
            if d.rms {
                accumulate(dg, dyr, xr, |acc, dyv, xv| dyv.mul(xv).madd(vr, acc));
            } else {
                accumulate(dg, dyr, xr, |acc, dyv, xv| dyv.madd(xv.sub(vmu).mul(vr), acc));
            }
        }
        if let Some(db) = dbeta.as_deref_mut() {
            zip_in_place(db, dyr, |acc, dyv| acc.add(dyv));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Rng};

    /// Forward and backward in float64 straight from the formulas.
    fn reference(d: &LayerNormDims, x: &[f32], gamma: &[f32], beta: &[f32], dy: &[f32]) -> [Vec<f64>; 4] {
        let (rows, n) = (d.rows, d.cols);
        let mut y = vec![0.0; rows * n];
        let mut dx = vec![0.0; rows * n];
        let mut dg = vec![0.0; n];
        let mut db = vec![0.0; n];
        for row in 0..rows {
            let xr: Vec<f64> = x[row * n..(row + 1) * n].iter().map(|&v| v as f64).collect();
            let mu = xr.iter().sum::<f64>() / n as f64;
            let var = xr.iter().map(|v| (v - mu) * (v - mu)).sum::<f64>() / n as f64;
            let r = 1.0 / (var + d.epsilon as f64).sqrt();
            for j in 0..n {
                let gm = gamma[j] as f64;
                y[row * n + j] = if d.rms { xr[j] * r * gm } else { (xr[j] - mu) * r * gm + beta[j] as f64 };
            }
            // dx by central differences of the float64 forward (the reference for the formula).
            let f = |xs: &[f64], j_out: usize| -> f64 {
                let mu = xs.iter().sum::<f64>() / n as f64;
                let var = xs.iter().map(|v| (v - mu) * (v - mu)).sum::<f64>() / n as f64;
                let r = 1.0 / (var + d.epsilon as f64).sqrt();
                let gm = gamma[j_out] as f64;
                if d.rms { xs[j_out] * r * gm } else { (xs[j_out] - mu) * r * gm + beta[j_out] as f64 }
            };
            for j in 0..n {
                let mut xp = xr.clone();
                let mut xm = xr.clone();
                let h = 1e-6;
                xp[j] += h;
                xm[j] -= h;
                let mut g = 0.0;
                for k in 0..n {
                    g += dy[row * n + k] as f64 * (f(&xp, k) - f(&xm, k)) / (2.0 * h);
                }
                dx[row * n + j] = g;
                let xhat = if d.rms { xr[j] * r } else { (xr[j] - mu) * r };
                dg[j] += dy[row * n + j] as f64 * xhat;
                db[j] += dy[row * n + j] as f64;
            }
        }
        [y, dx, dg, db]
    }

    fn f32s(x: &[f64]) -> Vec<f32> {
        x.iter().map(|&v| v as f32).collect()
    }

    #[test]
    fn matches_reference_over_awkward_sizes() {
        let mut rng = Rng::new(3);
        for &(rows, cols) in &[(1, 1), (1, 2), (3, 5), (7, 4), (2, 64), (5, 67), (1, 129), (33, 9)] {
            for rms in [false, true] {
                let d = LayerNormDims { rows, cols, epsilon: 1e-3, rms };
                let x: Vec<f32> = rng.vec(rows * cols, -2.0, 3.0);
                let gamma = rng.vec(cols, 0.5, 1.5);
                let beta = rng.vec(cols, -1.0, 1.0);
                let dy = rng.vec(rows * cols, -1.0, 1.0);
                let [y, dx, dg, db] = reference(&d, &x, &gamma, &beta, &dy);
                let mut out = vec![f32::NAN; rows * cols];
                let (mut mean, mut rstd) = (vec![0.0; rows], vec![0.0; rows]);
                forward(&d, &x, Some(&gamma), if rms { None } else { Some(&beta) }, &mut out, &mut mean, &mut rstd);
                assert_close(&out, &f32s(&y), 1e-5, 1e-5);
                let mut gx = vec![f32::NAN; rows * cols];
                let (mut gg, mut gb) = (vec![f32::NAN; cols], vec![f32::NAN; cols]);
                backward(&d, &x, Some(&gamma), &dy, &mean, &rstd, Some(&mut gx), Some(&mut gg), if rms { None } else { Some(&mut gb) });
                assert_close(&gx, &f32s(&dx), 1e-3, 1e-4);
                assert_close(&gg, &f32s(&dg), 1e-4, 1e-5);
                if !rms {
                    assert_close(&gb, &f32s(&db), 1e-5, 1e-5);
                }
            }
        }
    }

    #[test]
    fn without_gamma_and_beta() {
        let d = LayerNormDims { rows: 2, cols: 3, epsilon: 0.0, rms: false };
        let x = [1.0, 2.0, 3.0, -1.0, -1.0, 5.0];
        let mut out = [0.0; 6];
        let (mut mean, mut rstd) = ([0.0; 2], [0.0; 2]);
        forward(&d, &x, None, None, &mut out, &mut mean, &mut rstd);
        // Row 0: μ 2, σ² 2/3: (x − 2)·√1.5.
        let s = 1.5f32.sqrt();
        assert_close(&out[..3], &[-s, 0.0, s], 1e-6, 1e-6);
        assert_close(&mean, &[2.0, 1.0], 1e-6, 0.0);
        // Row 1: μ 1, σ² = (4 + 4 + 16)/3 = 8.
        assert_close(&rstd[1..], &[1.0 / 8f32.sqrt()], 1e-6, 0.0);
        // The gradient of Σ y is 0 for standard normalization (Σ x̂ is constant).
        let mut dx = [f32::NAN; 6];
        backward(&d, &x, None, &[1.0; 6], &mean, &rstd, Some(&mut dx), None, None);
        assert_close(&dx, &[0.0; 6], 0.0, 1e-6);
    }
}
