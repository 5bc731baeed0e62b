use super::blocks::{KC, MC, MR, NC, NR};
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

/// Error bound of a length-k f32 sum of products in [-1, 1].
fn tol(k: usize, alpha: f32) -> f32 {
    2e-6 * (k as f32).sqrt().max(1.0) * alpha.abs().max(1.0)
}

/// One product through `sgemm` (or, with `plan`, through the loop nest with that plan).
fn check_with(m: usize, n: usize, k: usize, ta: bool, tb: bool, alpha: f32, beta: f32, plan: Option<Plan>, rng: &mut Rng) {
    let a = rng.vec(m * k, -1.0, 1.0);
    let b = rng.vec(k * n, -1.0, 1.0);
    let c0: Vec<f32> = if beta == 0.0 { vec![f32::NAN; m * n] } else { rng.vec(m * n, -1.0, 1.0) };
    let want = reference(m, n, k, alpha, &a, ta, &b, tb, beta, &c0);
    let mut c = c0.clone();
    match plan {
        None => sgemm(m, n, k, alpha, &a, ta, &b, tb, beta, &mut c),
        Some(plan) => {
            let av = if ta { View { data: &a, rs: 1, cs: m } } else { View { data: &a, rs: k, cs: 1 } };
            let bt = if tb { View { data: &b, rs: k, cs: 1 } } else { View { data: &b, rs: 1, cs: n } };
            let (mut x, mut y) = (PackBuf::new(), PackBuf::new());
            assert!(nest::run(m, n, k, alpha, av, bt, beta, &mut c, n, plan, &mut x, &mut y));
        }
    }
    assert_close(&c, &want, 1e-5, tol(k, alpha));
}

fn check(m: usize, n: usize, k: usize, ta: bool, tb: bool, alpha: f32, beta: f32, rng: &mut Rng) {
    check_with(m, n, k, ta, tb, alpha, beta, None, rng);
}

const TRANSPOSES: [(bool, bool); 4] = [(false, false), (true, false), (false, true), (true, true)];

/// Every m and n from 1 to 2·NR + 1 (every edge tile of both dimensions, one and two full
/// tiles), each with every transpose combination and a rotating depth.
#[test]
fn every_edge_tile_and_transpose() {
    let mut rng = Rng::new(1);
    let ks = [1usize, 2, 3, 5, 8, 13, 31, 64];
    let top = 2 * NR.max(MR) + 1;
    for m in 1..=top {
        for n in 1..=top {
            let k = ks[(m * 7 + n * 3) % ks.len()];
            for (ta, tb) in TRANSPOSES {
                check(m, n, k, ta, tb, 1.0, 0.0, &mut rng);
            }
        }
    }
}

/// The loop nest itself with every packing plan (in place where the layout allows it), so
/// every plan is covered whatever the thresholds pick.
#[test]
fn every_plan_and_layout() {
    let mut rng = Rng::new(11);
    let shapes = [(1, 1, 1), (2, 9, 3), (MR, NR, 7), (MR + 1, NR + 1, 17), (17, 23, 40), (33, 64, 65), (2 * MR + 1, 2 * NR + 1, 2 * KC + 1)];
    for &(m, n, k) in &shapes {
        for (ta, tb) in TRANSPOSES {
            for pack_a in [true, false] {
                for pack_b in [true, false] {
                    // in place needs unit stride along the sliver: A transposed, B not
                    if (!pack_a && !ta) || (!pack_b && tb) {
                        continue;
                    }
                    for &(alpha, beta) in &[(1.0, 0.0), (-0.5, 0.75)] {
                        check_with(m, n, k, ta, tb, alpha, beta, Some(Plan { pack_a, pack_b }), &mut rng);
                    }
                }
            }
        }
    }
}

#[test]
fn sizes_around_the_cache_blocks() {
    let mut rng = Rng::new(3);
    // depth 1 … 2·KC + 1 crosses zero, one and two depth blocks; rows up to 2·MC + 1
    for &k in &[KC - 1, KC, KC + 1, 2 * KC + 1] {
        check(9, 17, k, false, false, 1.0, 0.0, &mut rng);
        check(9, 17, k, true, true, 1.0, 0.5, &mut rng);
    }
    for &m in &[MC - 1, MC, MC + 1, 2 * MC + 1] {
        check(m, 19, 20, false, false, 1.0, 0.0, &mut rng);
        check(m, 19, 20, true, false, 1.0, 0.0, &mut rng);
    }
    check(200, 300, 257, false, false, 1.0, 0.0, &mut rng);
    check(200, 300, 257, true, true, 0.5, 2.0, &mut rng);
    // k > KC, m > MC, n > NC: several depth, row and column blocks
    check(MC + 5, NC + 9, KC * 2 + 3, false, true, 1.0, 1.0, &mut rng);
    check(MC + 5, NC + 9, KC + 3, true, false, 1.0, 0.0, &mut rng);
}

#[test]
fn skinny_and_gemv_shapes() {
    let mut rng = Rng::new(5);
    // LSTM steps (forward and both gradients), batch-1 inference, narrow outputs
    let shapes = [(32, 128, 32), (32, 32, 128), (32, 128, 16), (1, 1024, 64), (1, 37, 130), (64, 1, 33), (3, 2, 50), (200, 3, 9)];
    for &(m, n, k) in &shapes {
        for (ta, tb) in TRANSPOSES {
            check(m, n, k, ta, tb, 1.0, 0.0, &mut rng);
            check(m, n, k, ta, tb, 2.0, 1.0, &mut rng);
        }
    }
}

#[test]
fn alpha_beta() {
    let mut rng = Rng::new(2);
    for &(m, n, k) in &[(1, 1, 1), (3, 5, 7), (17, 33, 9), (65, 31, 130), (40, 40, 300)] {
        for (ta, tb) in TRANSPOSES {
            for &(alpha, beta) in &[(1.0, 1.0), (2.5, 0.0), (-0.5, 0.75), (1.0, -1.0), (0.0, 0.5), (0.0, 0.0)] {
                check(m, n, k, ta, tb, alpha, beta, &mut rng);
            }
        }
    }
}

#[test]
fn beta_zero_ignores_nan_and_beta_one_accumulates() {
    // gradients accumulate in place: C += A·B twice equals 2·A·B
    let mut rng = Rng::new(7);
    let (m, n, k) = (37, 29, 300);
    let a = rng.vec(m * k, -1.0, 1.0);
    let b = rng.vec(k * n, -1.0, 1.0);
    let mut c = vec![f32::NAN; m * n];
    sgemm(m, n, k, 1.0, &a, false, &b, false, 0.0, &mut c);
    sgemm(m, n, k, 1.0, &a, false, &b, false, 1.0, &mut c);
    let want = reference(m, n, k, 2.0, &a, false, &b, false, 0.0, &[]);
    assert_close(&c, &want, 1e-5, 2.0 * tol(k, 1.0));
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

#[test]
fn unpacked_fallback_matches() {
    // the path taken when packing buffers cannot be allocated
    let mut rng = Rng::new(8);
    for &(m, n, k) in &[(1, 1, 1), (7, 9, 5), (33, 2, 17), (20, 20, 20)] {
        for (ta, tb) in TRANSPOSES {
            let a = rng.vec(m * k, -1.0, 1.0);
            let b = rng.vec(k * n, -1.0, 1.0);
            let c0 = rng.vec(m * n, -1.0, 1.0);
            let av = if ta { View { data: &a, rs: 1, cs: m } } else { View { data: &a, rs: k, cs: 1 } };
            let bt = if tb { View { data: &b, rs: k, cs: 1 } } else { View { data: &b, rs: 1, cs: n } };
            let mut c = c0.clone();
            small::gemm(m, n, k, 0.5, av, bt, 2.0, &mut c);
            assert_close(&c, &reference(m, n, k, 0.5, &a, ta, &b, tb, 2.0, &c0), 1e-5, tol(k, 1.0));
        }
    }
}

/// Products split over 2, 3 and 5 threads give the bits of one thread: every path (row bands
/// with a shared packed B, column bands, in-place operands, depth groups, many small products).
#[test]
fn same_bits_for_any_thread_count() {
    use crate::parallel::with_threads;
    let mut rng = Rng::new(16);
    let shapes = [
        (1, 300, 700), (3, 64, 900), (7, 129, 333), (32, 128, 3136), (64, 64, 64),
        (97, 13, 257), (130, 301, 260), (16, 200, 3200), (300, 16, 128), (513, 40, 17),
        // Row bands of ROW_BAND_TILES tiles (the last one shorter); axpy columns ≥ 1024 wide.
        (701, 37, 60), (2, 2100, 50),
    ];
    for (m, n, k) in shapes {
        for (ta, tb) in TRANSPOSES {
            for (alpha, beta) in [(1.0f32, 0.0f32), (0.5, 1.0)] {
                let a = rng.vec(m * k, -1.0, 1.0);
                let b = rng.vec(k * n, -1.0, 1.0);
                let c0 = rng.vec(m * n, -1.0, 1.0);
                let run = |threads: usize| {
                    let mut c = c0.clone();
                    with_threads(threads, || sgemm(m, n, k, alpha, &a, ta, &b, tb, beta, &mut c));
                    c
                };
                let one = run(1);
                for threads in [2, 3, 5] {
                    let got = run(threads);
                    let same = one.iter().zip(&got).all(|(x, y)| x.to_bits() == y.to_bits());
                    assert!(same, "{m}×{n}×{k} ta {ta} tb {tb} alpha {alpha} beta {beta}: {threads} threads differ");
                }
            }
        }
    }
    // Depth groups: a shared B larger than one group (k·n above SHARED_B_MAX floats).
    let (m, n, k) = (40, 2056, 2100);
    let a = rng.vec(m * k, -1.0, 1.0);
    let b = rng.vec(k * n, -1.0, 1.0);
    let mut one = vec![0.0; m * n];
    sgemm(m, n, k, 1.0, &a, false, &b, false, 0.0, &mut one);
    let mut two = vec![f32::NAN; m * n];
    with_threads(3, || sgemm(m, n, k, 1.0, &a, false, &b, false, 0.0, &mut two));
    assert!(one.iter().zip(&two).all(|(x, y)| x.to_bits() == y.to_bits()), "depth groups differ");
    // Many small products (one task per group of products).
    let (batch, m, n, k) = (40, 9, 11, 70);
    let a = rng.vec(batch * m * k, -1.0, 1.0);
    let b = rng.vec(batch * k * n, -1.0, 1.0);
    let run = |threads: usize| {
        let mut c = vec![f32::NAN; batch * m * n];
        with_threads(threads, || sgemm_batched(batch, m, n, k, 1.0, &a, m * k, true, &b, k * n, false, 0.0, &mut c, m * n));
        c
    };
    let one = run(1);
    assert_eq!(run(1).len(), one.len());
    for threads in [2, 3] {
        assert!(one.iter().zip(&run(threads)).all(|(x, y)| x.to_bits() == y.to_bits()), "batched, {threads} threads");
    }
}
