use super::*;
use crate::testutil::{assert_close, Rng};

/// f64 reference: C = alpha·op(A)·op(B) + beta·C (beta = 0 ignores C).
fn reference(
    m: usize, n: usize, k: usize, alpha: f32, a: &[f32], ta: bool, b: &[f32], tb: bool,
    beta: f32, c: &[f32],
) -> Vec<f32> {
    let mut out = vec![0.0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut s = 0.0f64;
            for p in 0..k {
                let av = if ta { a[p * m + i] } else { a[i * k + p] };
                let bv = if tb { b[j * k + p] } else { b[p * n + j] };
                s += av as f64 * bv as f64;
            }
            let prev = if beta == 0.0 { 0.0 } else { beta as f64 * c[i * n + j] as f64 };
            out[i * n + j] = (alpha as f64 * s + prev) as f32;
        }
    }
    out
}

fn check(m: usize, n: usize, k: usize, ta: bool, tb: bool, alpha: f32, beta: f32, rng: &mut Rng) {
    let a = rng.vec(m * k, -1.0, 1.0);
    let b = rng.vec(k * n, -1.0, 1.0);
    let c0: Vec<f32> = if beta == 0.0 { vec![f32::NAN; m * n] } else { rng.vec(m * n, -1.0, 1.0) };
    let want = reference(m, n, k, alpha, &a, ta, &b, tb, beta, &c0);
    let mut c = c0.clone();
    sgemm(m, n, k, alpha, &a, ta, &b, tb, beta, &mut c);
    // Error of a length-k f32 sum of products in [-1, 1].
    let tol = 2e-6 * (k as f32).sqrt().max(1.0) * alpha.abs().max(1.0);
    assert_close(&c, &want, 1e-5, tol);
}

#[test]
fn all_shapes_and_transposes() {
    let sizes = [1usize, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 130];
    let mut rng = Rng::new(1);
    for (si, &m) in sizes.iter().enumerate() {
        for (sj, &n) in sizes.iter().enumerate() {
            // a rotating subset of k keeps the run short but covers every size
            for &k in &[sizes[(si + sj) % sizes.len()], sizes[(si * 3 + sj * 5 + 7) % sizes.len()]] {
                for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                    check(m, n, k, ta, tb, 1.0, 0.0, &mut rng);
                }
            }
        }
    }
}

#[test]
fn alpha_beta() {
    let mut rng = Rng::new(2);
    for &(m, n, k) in &[(1, 1, 1), (3, 5, 7), (17, 33, 9), (65, 31, 130), (40, 40, 300)] {
        for (ta, tb) in [(false, false), (true, true), (false, true), (true, false)] {
            for &(alpha, beta) in &[(1.0, 1.0), (2.5, 0.0), (-0.5, 0.75), (1.0, -1.0), (0.0, 0.5), (0.0, 0.0)] {
                check(m, n, k, ta, tb, alpha, beta, &mut rng);
            }
        }
    }
}

#[test]
fn large_crosses_every_block() {
    let mut rng = Rng::new(3);
    check(200, 300, 257, false, false, 1.0, 0.0, &mut rng);
    check(200, 300, 257, true, true, 0.5, 2.0, &mut rng);
    // k > KC, m > MC, n > NC: several depth, row and column blocks
    check(MC + 5, NC + 9, KC * 2 + 3, false, true, 1.0, 1.0, &mut rng);
}

#[test]
fn k_zero_scales_c() {
    let mut c = vec![1.0f32, f32::NAN];
    sgemm(1, 2, 0, 1.0, &[], false, &[], false, 0.0, &mut c);
    assert_eq!(c, vec![0.0, 0.0]);
    let mut c = vec![1.0f32, 2.0];
    sgemm(1, 2, 0, 1.0, &[], false, &[], false, 3.0, &mut c);
    assert_eq!(c, vec![3.0, 6.0]);
}

#[test]
fn batched_with_strides() {
    let mut rng = Rng::new(4);
    let (batch, m, n, k) = (3, 9, 17, 33);
    for (ta, tb) in [(false, false), (true, true), (false, true)] {
        for &(sa, sb) in &[(m * k, k * n), (0, k * n), (m * k, 0), (0, 0)] {
            let a = rng.vec(m * k * batch, -1.0, 1.0);
            let b = rng.vec(k * n * batch, -1.0, 1.0);
            let c0 = rng.vec(m * n * batch, -1.0, 1.0);
            let mut c = c0.clone();
            sgemm_batched(batch, m, n, k, 1.5, &a, sa, ta, &b, sb, tb, 0.5, &mut c, m * n);
            for t in 0..batch {
                let want = reference(
                    m, n, k, 1.5, &a[t * sa..], ta, &b[t * sb..], tb, 0.5, &c0[t * m * n..],
                );
                assert_close(&c[t * m * n..(t + 1) * m * n], &want, 1e-5, 2e-5);
            }
        }
    }
}
