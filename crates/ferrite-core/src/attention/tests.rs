//! Attention against a naive float64 reference over awkward sizes, both algorithms, every mask.

use super::mask::{Dropout, MASKED};
use super::*;
use crate::testutil::{assert_close, Rng};

/// Masks as owned vectors for a test case.
#[derive(Default, Clone)]
struct MaskSet {
    query: Option<Vec<f32>>,
    kv: Option<Vec<f32>>,
    attn: Option<Vec<f32>>,
}

impl MaskSet {
    fn view(&self) -> AttnMasks<'_> {
        AttnMasks { query: self.query.as_deref(), kv: self.kv.as_deref(), attn: self.attn.as_deref() }
    }
}

fn dims(batch: usize, heads: usize, t: usize, s: usize, dk: usize, dv: usize) -> AttnDims {
    AttnDims {
        batch, heads, t, s, dk, dv, scale: 1.0 / (dk.max(1) as f32).sqrt(), causal: false, dropout: 0.0, seed: 0,
        mask_batch: 1, mask_heads: 1,
    }
}

/// Whether score (b, h, i, j) is kept.
fn kept(d: &AttnDims, m: &MaskSet, b: usize, h: usize, i: usize, j: usize) -> bool {
    let q = m.query.as_ref().is_none_or(|q| q[b * d.t + i] != 0.0);
    let kv = m.kv.as_ref().is_none_or(|k| k[b * d.s + j] != 0.0);
    let at = m.attn.as_ref().is_none_or(|a| {
        let mb = if d.mask_batch == 1 { 0 } else { b };
        let mh = if d.mask_heads == 1 { 0 } else { h };
        a[((mb * d.mask_heads + mh) * d.t + i) * d.s + j] != 0.0
    });
    q && kv && at && (!d.causal || j <= i)
}

struct Reference {
    out: Vec<f64>,
    probs: Vec<f64>,
    dq: Vec<f64>,
    dk: Vec<f64>,
    dv: Vec<f64>,
}

/// Straight from the definitions, in float64 (a masked score is rounded as float32 after
/// adding −1e9, as the kernel and Keras do, so fully masked rows come out the same).
fn reference(d: &AttnDims, m: &MaskSet, q: &[f32], k: &[f32], v: &[f32], dout: Option<&[f32]>, dprobs: Option<&[f32]>) -> Reference {
    let (t, s, dk, dv) = (d.t, d.s, d.dk, d.dv);
    let drop = Dropout::new(d.dropout, d.seed);
    let mut r = Reference {
        out: vec![0.0; d.out_len()], probs: vec![0.0; d.probs_len()],
        dq: vec![0.0; d.q_len()], dk: vec![0.0; d.k_len()], dv: vec![0.0; d.v_len()],
    };
    for b in 0..d.batch {
        for h in 0..d.heads {
            for i in 0..t {
                let mut sc = vec![0.0f64; s];
                for j in 0..s {
                    let mut x = 0.0f64;
                    for c in 0..dk {
                        x += q[d.q_at(b, i, h) + c] as f64 * k[d.k_at(b, j, h) + c] as f64;
                    }
                    x *= d.scale as f64;
                    sc[j] = if kept(d, m, b, h, i, j) { x } else { (x as f32 + MASKED) as f64 };
                }
                let mx = sc.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = sc.iter().map(|x| (x - mx).exp()).collect();
                let sum: f64 = e.iter().sum();
                let p: Vec<f64> = e.iter().map(|x| x / sum).collect();
                let key = drop.map(|dr| dr.row_key(d, b, h, i));
                let f = |j: usize| drop.map_or(1.0, |dr| dr.factor(key.unwrap(), j) as f64);
                for j in 0..s {
                    r.probs[d.p_at(b, h, i) + j] = p[j];
                    for c in 0..dv {
                        r.out[d.o_at(b, i, h) + c] += p[j] * f(j) * v[d.v_at(b, j, h) + c] as f64;
                    }
                }
                // Backward of this row.
                let mut gp = vec![0.0f64; s];
                for j in 0..s {
                    if let Some(g) = dout {
                        let mut x = 0.0;
                        for c in 0..dv {
                            x += g[d.o_at(b, i, h) + c] as f64 * v[d.v_at(b, j, h) + c] as f64;
                        }
                        gp[j] = x * f(j);
                        for c in 0..dv {
                            r.dv[d.v_at(b, j, h) + c] += p[j] * f(j) * g[d.o_at(b, i, h) + c] as f64;
                        }
                    }
                    if let Some(g) = dprobs {
                        gp[j] += g[d.p_at(b, h, i) + j] as f64;
                    }
                }
                let dot: f64 = (0..s).map(|j| p[j] * gp[j]).sum();
                for j in 0..s {
                    let ds = p[j] * (gp[j] - dot) * d.scale as f64;
                    for c in 0..dk {
                        r.dq[d.q_at(b, i, h) + c] += ds * k[d.k_at(b, j, h) + c] as f64;
                        r.dk[d.k_at(b, j, h) + c] += ds * q[d.q_at(b, i, h) + c] as f64;
                    }
                }
            }
        }
    }
    r
}

fn f32s(x: &[f64]) -> Vec<f32> {
    x.iter().map(|&v| v as f32).collect()
}

struct Case {
    d: AttnDims,
    m: MaskSet,
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    dout: Vec<f32>,
    dprobs: Vec<f32>,
}

fn case(d: AttnDims, m: MaskSet, seed: u64) -> Case {
    let mut rng = Rng::new(seed);
    Case {
        q: rng.vec(d.q_len(), -1.5, 1.5),
        k: rng.vec(d.k_len(), -1.5, 1.5),
        v: rng.vec(d.v_len(), -1.0, 1.0),
        dout: rng.vec(d.out_len(), -1.0, 1.0),
        dprobs: rng.vec(d.probs_len(), -1.0, 1.0),
        d, m,
    }
}

/// Runs both algorithms (the tiled one unless `with_dprobs`) and compares everything.
fn check(c: &Case, with_dout: bool, with_dprobs: bool) {
    let d = &c.d;
    let dout = with_dout.then_some(&c.dout[..]);
    let dprobs = with_dprobs.then_some(&c.dprobs[..]);
    let want = reference(d, &c.m, &c.q, &c.k, &c.v, dout, dprobs);
    let (rtol, atol) = (2e-4, 2e-5);
    let ctx = format!("{d:?} masks q{} kv{} attn{}", c.m.query.is_some(), c.m.kv.is_some(), c.m.attn.is_some());

    // Stored.
    let mut out = vec![f32::NAN; d.out_len()];
    let mut probs = vec![f32::NAN; d.probs_len()];
    forward(d, &c.m.view(), &c.q, &c.k, &c.v, &mut out, SavedMut::Probs(&mut probs)).unwrap();
    assert_close(&out, &f32s(&want.out), rtol, atol);
    assert_close(&probs, &f32s(&want.probs), rtol, atol);
    let (mut dq, mut dk, mut dv) = (vec![f32::NAN; d.q_len()], vec![f32::NAN; d.k_len()], vec![f32::NAN; d.v_len()]);
    backward(d, &c.m.view(), &c.q, &c.k, &c.v, &out, Saved::Probs(&probs), dout, dprobs, &mut dq, &mut dk, &mut dv).unwrap();
    assert_close(&dq, &f32s(&want.dq), rtol, atol);
    assert_close(&dk, &f32s(&want.dk), rtol, atol);
    assert_close(&dv, &f32s(&want.dv), rtol, atol);
    if with_dprobs {
        return;
    }

    // Tiled.
    let mut out2 = vec![f32::NAN; d.out_len()];
    let mut lse = vec![f32::NAN; d.lse_len()];
    forward(d, &c.m.view(), &c.q, &c.k, &c.v, &mut out2, SavedMut::Lse(&mut lse)).unwrap();
    assert_close(&out2, &f32s(&want.out), rtol, atol);
    let (mut dq, mut dk, mut dv) = (vec![f32::NAN; d.q_len()], vec![f32::NAN; d.k_len()], vec![f32::NAN; d.v_len()]);
    backward(d, &c.m.view(), &c.q, &c.k, &c.v, &out2, Saved::Lse(&lse), dout, None, &mut dq, &mut dk, &mut dv).unwrap();
    assert_close(&dq, &f32s(&want.dq), rtol, atol);
    assert_close(&dk, &f32s(&want.dk), rtol, atol);
    assert_close(&dv, &f32s(&want.dv), rtol, atol);
    let _ = ctx;
}

/// (batch, heads, t, s, dk, dv): T ≠ S, T = 1, S = 1, sizes off the SIMD width and the blocks
/// (64 keys, 32/64 queries), value depth ≠ key depth.
const SHAPES: &[(usize, usize, usize, usize, usize, usize)] = &[
    (1, 1, 1, 1, 1, 1),
    (2, 3, 5, 7, 3, 5),
    (1, 2, 1, 9, 4, 4),
    (2, 1, 13, 70, 5, 3),
    (1, 2, 70, 33, 8, 16),
    (1, 1, 3, 130, 16, 9),
    (3, 2, 33, 65, 16, 16),
    (1, 1, 67, 1, 2, 7),
];

#[test]
fn matches_reference_without_masks() {
    for (n, &(b, h, t, s, dk, dv)) in SHAPES.iter().enumerate() {
        let c = case(dims(b, h, t, s, dk, dv), MaskSet::default(), 10 + n as u64);
        check(&c, true, false);
        check(&c, true, true);
        check(&c, false, true);
    }
}

fn random_mask(rng: &mut Rng, n: usize, keep: f32) -> Vec<f32> {
    (0..n).map(|_| if rng.uniform(0.0, 1.0) < keep { 1.0 } else { 0.0 }).collect()
}

#[test]
fn matches_reference_with_every_mask() {
    let mut rng = Rng::new(7);
    for (n, &(b, h, t, s, dk, dv)) in SHAPES.iter().enumerate() {
        for variant in 0..6 {
            let mut d = dims(b, h, t, s, dk, dv);
            let mut m = MaskSet::default();
            match variant {
                0 => m.query = Some(random_mask(&mut rng, b * t, 0.7)),
                1 => m.kv = Some(random_mask(&mut rng, b * s, 0.6)),
                2 => {
                    d.mask_batch = b;
                    m.attn = Some(random_mask(&mut rng, b * t * s, 0.6));
                }
                3 => {
                    d.mask_heads = h;
                    m.attn = Some(random_mask(&mut rng, h * t * s, 0.5));
                }
                4 => d.causal = true,
                _ => {
                    // Everything at once; some rows end up fully masked (uniform).
                    d.causal = true;
                    d.mask_batch = b;
                    d.mask_heads = h;
                    m.query = Some(random_mask(&mut rng, b * t, 0.8));
                    m.kv = Some(random_mask(&mut rng, b * s, 0.5));
                    m.attn = Some(random_mask(&mut rng, b * h * t * s, 0.7));
                }
            }
            let c = case(d, m, 100 + 10 * n as u64 + variant);
            check(&c, true, false);
            check(&c, true, true);
        }
    }
}

#[test]
fn a_fully_masked_row_is_uniform() {
    let mut d = dims(1, 1, 2, 5, 3, 2);
    d.causal = false;
    let m = MaskSet { query: Some(vec![0.0, 1.0]), ..Default::default() };
    let c = case(d, m, 3);
    let mut out = vec![0.0; d.out_len()];
    let mut probs = vec![0.0; d.probs_len()];
    forward(&d, &c.m.view(), &c.q, &c.k, &c.v, &mut out, SavedMut::Probs(&mut probs)).unwrap();
    assert_close(&probs[..5], &[0.2; 5], 1e-6, 0.0);
    // The output of the masked query is the mean of the values.
    for ch in 0..2 {
        let mean: f32 = (0..5).map(|j| c.v[j * 2 + ch]).sum::<f32>() / 5.0;
        assert!((out[ch] - mean).abs() < 1e-6);
    }
}

#[test]
fn causal_blocks_skip_only_where_exact() {
    // Long causal sequences cross several key blocks; rows 0.. of a batch whose first keys are
    // masked out by the key mask have no kept key in early blocks and must not skip.
    let (b, h, t, s) = (2, 2, 150, 150);
    let mut d = dims(b, h, t, s, 8, 8);
    d.causal = true;
    let mut kv = vec![1.0; b * s];
    for j in 0..100 {
        kv[s + j] = 0.0; // batch 1: keys 0..100 masked: queries < 100 have no kept key
    }
    let c = case(d, MaskSet { kv: Some(kv), ..Default::default() }, 5);
    check(&c, true, false);
}

#[test]
fn dropout_matches_reference_and_keeps_the_expected_fraction() {
    for (n, &(b, h, t, s, dk, dv)) in SHAPES.iter().enumerate() {
        let mut d = dims(b, h, t, s, dk, dv);
        d.dropout = 0.3;
        d.seed = 1234 + n as u32;
        let c = case(d, MaskSet::default(), 50 + n as u64);
        check(&c, true, false);
        check(&c, true, true);
    }
    // About 1 − p of the factors are kept, and a different seed draws a different mask.
    let d = AttnDims { dropout: 0.25, seed: 9, ..dims(4, 4, 64, 64, 1, 1) };
    let dr = Dropout::new(d.dropout, d.seed).unwrap();
    let other = Dropout::new(d.dropout, d.seed + 1).unwrap();
    let (mut kept, mut differ, mut total) = (0, 0, 0);
    for b in 0..4 {
        for h in 0..4 {
            for i in 0..64 {
                for j in 0..64 {
                    let f = dr.factor(dr.row_key(&d, b, h, i), j);
                    kept += (f != 0.0) as usize;
                    differ += (f != other.factor(other.row_key(&d, b, h, i), j)) as usize;
                    total += 1;
                    if f != 0.0 {
                        assert!((f - 1.0 / 0.75).abs() < 1e-6);
                    }
                }
            }
        }
    }
    let frac = kept as f64 / total as f64;
    assert!((frac - 0.75).abs() < 0.01, "kept fraction {frac}");
    assert!(differ as f64 / total as f64 > 0.3);
}

#[test]
fn dropout_hash_is_pinned() {
    // The js backend (ts/backend/js/attention.ts) implements the same hash; these values are
    // asserted there too.
    assert_eq!(super::mask::mix(0), 0);
    assert_eq!(super::mask::mix(1), 0x6889_90c0);
    assert_eq!(super::mask::mix(0xdead_beef), 0xe628_c683);
}

#[test]
fn bad_arguments_are_refused() {
    let mut d = dims(1, 1, 2, 2, 2, 2);
    let z = vec![0.0; 8];
    let mut out = vec![0.0; 4];
    let mut lse = vec![0.0; 4];
    d.dropout = 1.0;
    assert_eq!(forward(&d, &AttnMasks::default(), &z, &z, &z, &mut out, SavedMut::Lse(&mut lse)), Err(AttnError::BadArgs));
    d.dropout = 0.0;
    d.mask_heads = 3;
    assert_eq!(forward(&d, &AttnMasks::default(), &z, &z, &z, &mut out, SavedMut::Lse(&mut lse)), Err(AttnError::BadArgs));
    d.mask_heads = 1;
    let (mut a, mut b2, mut c2) = (vec![0.0; 4], vec![0.0; 4], vec![0.0; 4]);
    assert_eq!(
        backward(&d, &AttnMasks::default(), &z, &z, &z, &out, Saved::Lse(&lse), None, Some(&z), &mut a, &mut b2, &mut c2),
        Err(AttnError::ScoresNeedProbs)
    );
}

/// Every output of both algorithms, forward and backward, as bits.
fn all_bits(c: &Case) -> Vec<u32> {
    let d = &c.d;
    let mut bits = Vec::new();
    let mut push = |v: &[f32]| bits.extend(v.iter().map(|x| x.to_bits()));
    let mut out = vec![f32::NAN; d.out_len()];
    let mut probs = vec![f32::NAN; d.probs_len()];
    forward(d, &c.m.view(), &c.q, &c.k, &c.v, &mut out, SavedMut::Probs(&mut probs)).unwrap();
    let (mut dq, mut dk, mut dv) = (vec![f32::NAN; d.q_len()], vec![f32::NAN; d.k_len()], vec![f32::NAN; d.v_len()]);
    backward(d, &c.m.view(), &c.q, &c.k, &c.v, &out, Saved::Probs(&probs), Some(&c.dout), Some(&c.dprobs), &mut dq, &mut dk, &mut dv).unwrap();
    for v in [&out, &probs, &dq, &dk, &dv] {
        push(v);
    }
    let mut lse = vec![f32::NAN; d.lse_len()];
    forward(d, &c.m.view(), &c.q, &c.k, &c.v, &mut out, SavedMut::Lse(&mut lse)).unwrap();
    backward(d, &c.m.view(), &c.q, &c.k, &c.v, &out, Saved::Lse(&lse), Some(&c.dout), None, &mut dq, &mut dk, &mut dv).unwrap();
    for v in [&out, &lse, &dq, &dk, &dv] {
        push(v);
    }
    bits
}

/// 2, 3 and 5 threads give the bits of one (the work is cut finely: `with_threads` drops the
/// thresholds), with masks, the causal rule and dropout, at sizes that do not divide evenly.
#[test]
fn threads_give_the_same_bits() {
    use crate::parallel::{jobs_spread, with_threads};
    for (n, &(batch, heads, t, s, dk, dv)) in [(2, 3, 70, 33, 5, 3), (3, 1, 5, 130, 16, 9), (1, 1, 1, 1, 1, 1)].iter().enumerate() {
        let mut d = dims(batch, heads, t, s, dk, dv);
        d.causal = n == 0;
        d.dropout = if n == 1 { 0.25 } else { 0.0 };
        d.seed = 9;
        let mut rng = Rng::new(40 + n as u64);
        let m = MaskSet { query: Some(random_mask(&mut rng, batch * t, 0.8)), kv: Some(random_mask(&mut rng, batch * s, 0.8)), attn: None };
        let c = case(d, m, 50 + n as u64);
        let one = with_threads(1, || all_bits(&c));
        for threads in [2, 3, 5] {
            let before = jobs_spread();
            let got = with_threads(threads, || all_bits(&c));
            assert!(batch * heads == 1 || jobs_spread() > before, "{d:?}: nothing was split over {threads} threads");
            assert_eq!(got.len(), one.len());
            if let Some(i) = got.iter().zip(&one).position(|(a, b)| a != b) {
                panic!("{d:?}: element {i} differs with {threads} threads");
            }
        }
    }
}
