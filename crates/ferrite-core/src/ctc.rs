//! Connectionist temporal classification (Graves et al., 2006): the loss and its gradient
//! with respect to the logits, in one call, in log space.
//!
//! Per sample b: logits [T, C] (only the first `input_lengths[b]` frames count), a label of
//! `label_lengths[b]` classes (none of them the blank). The loss is the negative log of the
//! total probability of every frame-wise path that collapses (merge repeats, drop blanks) to
//! the label; the gradient w.r.t. the logits goes through the log-softmax over classes:
//!   d loss / d z[t, c] = softmax(z)[t, c] · Σ_k G[t, k] − G[t, c],
//! with G[t, k] the posterior occupancy of class k at frame t. Σ_k G is 1 in exact arithmetic;
//! using the computed sum keeps each gradient row summing to zero.
//!
//! The forward (α) and backward (β) recursions run over the label with blanks interleaved
//! (S = 2L + 1 states), four states per SIMD step: every state at frame t depends only on
//! frame t ± 1, so a row is one vector loop of 3-way log-sum-exps.

use crate::approx;
use crate::parallel::{self, SharedMut};
use crate::simd::F32x4;
use std::sync::atomic::{AtomicBool, Ordering};
use crate::softmax::log_softmax;

const NEG_INF: f32 = f32::NEG_INFINITY;

/// Sizes and options of one CTC call.
#[derive(Clone, Copy, Debug)]
pub struct CtcDims {
    pub batch: usize,
    /// Frames per sample in the logits buffer (T).
    pub time: usize,
    /// Classes, the blank included (C).
    pub classes: usize,
    /// Columns of the padded label buffer.
    pub max_label: usize,
    pub blank: usize,
    /// Impossible samples (infinite loss) get loss 0 instead of +inf.
    pub zero_infinity: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub enum CtcError {
    /// blank ≥ classes.
    BadBlank,
    /// The first sample whose lengths or labels are out of range: an input length outside
    /// [0, T], a label length outside [0, max_label], a label outside [0, C) or equal to blank.
    BadSample(usize),
    OutOfMemory,
}

/// Checks sample b's lengths and labels.
fn valid_sample(d: &CtcDims, b: usize, labels: &[i32], input_lengths: &[i32], label_lengths: &[i32]) -> bool {
    let (tl, ll) = (input_lengths[b], label_lengths[b]);
    if tl < 0 || tl as usize > d.time || ll < 0 || ll as usize > d.max_label {
        return false;
    }
    labels[b * d.max_label..b * d.max_label + ll as usize]
        .iter()
        .all(|&c| c >= 0 && (c as usize) < d.classes && c as usize != d.blank)
}

/// Row stride of the state buffers: S rounded up to the SIMD width, plus 2 pad lanes either side.
fn row_len(max_label: usize) -> usize {
    (2 * max_label + 1).div_ceil(4) * 4 + 4
}

/// Exponent arguments are clamped here: −inf states are common (blank states have no skip,
/// unreachable states stay −inf), and `approx::exp` leaves its fast path for |x| > 87.
const EXP_FLOOR: f32 = -87.0;

/// e^x for x ≤ 87 on the fast path, 0 below EXP_FLOOR (and for −inf); NaN stays NaN.
#[inline(always)]
fn exp_nonpos(x: F32x4) -> F32x4 {
    let floor = F32x4::splat(EXP_FLOOR);
    F32x4::select(x.lt(floor), F32x4::zero(), approx::exp(x.pmax(floor)))
}

/// log(e^a + e^b + e^c) per lane; −inf when all three are −inf.
#[inline(always)]
fn lse3(a: F32x4, b: F32x4, c: F32x4) -> F32x4 {
    // The largest term is e^0 = 1: only the other two need an exponential. With
    // hi = max(a, b): those two are min(a, b) and min(hi, c).
    let (hi, lo) = (a.max(b), a.min(b));
    let m = hi.max(c);
    let mid = hi.min(c);
    let none = m.eq(F32x4::splat(NEG_INF));
    let ms = F32x4::select(none, F32x4::zero(), m);
    // Clamped terms (e^−87 at most) cannot move a sum that holds a 1.
    let floor = F32x4::splat(EXP_FLOOR);
    let e = |v: F32x4| approx::exp(v.sub(ms).pmax(floor));
    let s = F32x4::splat(1.0).add(e(lo)).add(e(mid));
    F32x4::select(none, F32x4::splat(NEG_INF), ms.add(approx::log(s)))
}

fn lse2(a: f32, b: f32) -> f32 {
    let m = a.max(b);
    if m == NEG_INF {
        return NEG_INF;
    }
    m + approx::log1(approx::exp1(a - m) + approx::exp1(b - m))
}

/// The CTC loss of every sample into `loss` [batch] and its gradient w.r.t. the logits into
/// `grad` [batch, T, C] (frames past a sample's input length get 0). An impossible sample (its
/// label needs more frames than it has) gets loss +inf, or 0 with `zero_infinity`, and a zero
/// gradient either way. Nothing is written when an error is returned for bad arguments.
pub fn ctc_loss(
    d: &CtcDims, logits: &[f32], labels: &[i32], input_lengths: &[i32], label_lengths: &[i32],
    loss: &mut [f32], grad: &mut [f32],
) -> Result<(), CtcError> {
    let (t_max, c, lmax) = (d.time, d.classes, d.max_label);
    if d.blank >= c {
        return Err(CtcError::BadBlank);
    }
    let (logits, labels) = (&logits[..d.batch * t_max * c], &labels[..d.batch * lmax]);
    let (input_lengths, label_lengths) = (&input_lengths[..d.batch], &label_lengths[..d.batch]);
    if let Some(b) = (0..d.batch).find(|&b| !valid_sample(d, b, labels, input_lengths, label_lengths)) {
        return Err(CtcError::BadSample(b));
    }
    let r = row_len(lmax);
    // Threads: bands of samples, each with its own workspace (α for every frame, then five
    // rows: skip mask, emissions, β(t+1), β(t), occupancies); samples are independent.
    let need = (t_max + 5) * r;
    let work = parallel::element_ns(d.batch * t_max * (c + 2 * lmax + 1) * 8);
    let (losses, grads) = (SharedMut::new(&mut loss[..d.batch]), SharedMut::new(&mut grad[..d.batch * t_max * c]));
    let failed = AtomicBool::new(false);
    parallel::run_ranges(d.batch, work, 1, |samples| {
        let mut ws: Vec<f32> = Vec::new();
        if ws.try_reserve_exact(need).is_err() {
            failed.store(true, Ordering::Relaxed);
            return;
        }
        ws.resize(need, NEG_INF);
        let mut ext = vec![0usize; 2 * lmax + 1];
        for b in samples {
            let tb = input_lengths[b] as usize;
            let lb = label_lengths[b] as usize;
            let lab = &labels[b * lmax..b * lmax + lb];
            let x = &logits[b * t_max * c..(b + 1) * t_max * c];
            // SAFETY: sample b's gradient rows and loss belong to this task alone.
            let (g, l) = unsafe { (grads.slice(b * t_max * c..(b + 1) * t_max * c), losses.slice(b..b + 1)) };
            let nll = sample(d, tb, lab, x, g, &mut ws, r, &mut ext);
            l[0] = if nll == f32::INFINITY && d.zero_infinity { 0.0 } else { nll };
        }
    });
    if failed.load(Ordering::Relaxed) {
        return Err(CtcError::OutOfMemory);
    }
    Ok(())
}

/// One sample: returns its negative log-likelihood and writes its gradient rows.
fn sample(d: &CtcDims, tb: usize, lab: &[i32], x: &[f32], g: &mut [f32], ws: &mut [f32], r: usize, ext: &mut [usize]) -> f32 {
    let c = d.classes;
    let s_len = 2 * lab.len() + 1;
    g.fill(0.0);
    if tb == 0 {
        return if lab.is_empty() { 0.0 } else { f32::INFINITY };
    }
    // Extended label: blank, l1, blank, l2, …, blank.
    for s in 0..s_len {
        ext[s] = if s % 2 == 0 { d.blank } else { lab[s / 2] as usize };
    }
    let (alpha, rows) = ws.split_at_mut(d.time * r);
    let (skip, rows) = rows.split_at_mut(r);
    let (erow, rows) = rows.split_at_mut(r);
    let (mut bnext, rows) = rows.split_at_mut(r);
    let (mut bcur, gam) = rows.split_at_mut(r);
    let gam = &mut gam[..r];
    // skip[2 + s] = 0 where state s may be entered from s − 2 (a label differing from the
    // previous label), else −inf; the pads stay −inf.
    skip.fill(NEG_INF);
    for s in (3..s_len).step_by(2) {
        if ext[s] != ext[s - 2] {
            skip[2 + s] = 0.0;
        }
    }
    // Log-probabilities into the gradient rows (turned into the gradient at the end).
    log_softmax(&x[..tb * c], &mut g[..tb * c], tb, c);
    let w = r - 4; // states per row, a multiple of 4 (lanes ≥ S stay −inf)
    let gather = |erow: &mut [f32], lp: &[f32]| {
        for s in 0..s_len {
            erow[s] = lp[ext[s]];
        }
        erow[s_len..].fill(NEG_INF);
    };

    // α: row t at alpha[t·r + 2 ..], two −inf pads either side.
    for t in 0..tb {
        gather(erow, &g[t * c..(t + 1) * c]);
        let (done, rest) = alpha.split_at_mut(t * r);
        let cur = &mut rest[..r];
        cur.fill(NEG_INF);
        if t == 0 {
            cur[2] = erow[0];
            if s_len > 1 {
                cur[3] = erow[1];
            }
            continue;
        }
        let prev = &done[(t - 1) * r..t * r];
        for s in (0..w).step_by(4) {
            let a0 = F32x4::from_slice(&prev[s + 2..]);
            let a1 = F32x4::from_slice(&prev[s + 1..]);
            let a2 = F32x4::from_slice(&prev[s..]).add(F32x4::from_slice(&skip[s + 2..]));
            lse3(a0, a1, a2).add(F32x4::from_slice(&erow[s..])).write_to(&mut cur[s + 2..]);
        }
    }
    let last = &alpha[(tb - 1) * r..tb * r];
    let ll = if s_len > 1 { lse2(last[2 + s_len - 1], last[2 + s_len - 2]) } else { last[2] };
    if ll == NEG_INF || ll.is_nan() {
        g[..tb * c].fill(0.0);
        return if ll == NEG_INF { f32::INFINITY } else { f32::NAN };
    }

    // β'(t, s): log-probability of the rest of the label after frame t from state s (frame
    // t's emission excluded); b(t, s) = e(t, s) + β'(t, s) is kept for frame t − 1.
    let vll = F32x4::splat(ll);
    bnext.fill(NEG_INF);
    for t in (0..tb).rev() {
        gather(erow, &g[t * c..(t + 1) * c]);
        let beta = &mut bcur[..];
        if t == tb - 1 {
            beta.fill(NEG_INF);
            beta[s_len - 1] = 0.0;
            if s_len > 1 {
                beta[s_len - 2] = 0.0;
            }
        } else {
            for s in (0..w).step_by(4) {
                let b0 = F32x4::from_slice(&bnext[s..]);
                let b1 = F32x4::from_slice(&bnext[s + 1..]);
                let b2 = F32x4::from_slice(&bnext[s + 2..]).add(F32x4::from_slice(&skip[s + 4..]));
                lse3(b0, b1, b2).write_to(&mut beta[s..]);
            }
        }
        // Occupancy γ(t, s) = exp(α + β' − log p); then b = e + β' for frame t − 1.
        let arow = &alpha[t * r + 2..t * r + 2 + w];
        let mut total = F32x4::zero();
        for s in (0..w).step_by(4) {
            let bv = F32x4::from_slice(&beta[s..]);
            let gv = exp_nonpos(F32x4::from_slice(&arow[s..]).add(bv).sub(vll));
            gv.write_to(&mut gam[s..]);
            total = total.add(gv);
            bv.add(F32x4::from_slice(&erow[s..])).write_to(&mut beta[s..]);
        }
        beta[w..].fill(NEG_INF);
        let total = total.hsum();
        // grad = softmax · Σγ − G, from the log-probabilities in the row.
        let row = &mut g[t * c..(t + 1) * c];
        let vt = F32x4::splat(total);
        let mut it = row.chunks_exact_mut(4);
        for v in &mut it {
            exp_nonpos(F32x4::from_slice(v)).mul(vt).write_to(v);
        }
        let rest = it.into_remainder();
        exp_nonpos(F32x4::load_partial(rest, 0.0)).mul(vt).write_partial(rest);
        let mut blank_occ = 0.0f32;
        for s in (0..s_len).step_by(2) {
            blank_occ += gam[s];
        }
        row[d.blank] -= blank_occ;
        for s in (1..s_len).step_by(2) {
            row[ext[s]] -= gam[s];
        }
        std::mem::swap(&mut bnext, &mut bcur);
    }
    -ll
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Rng;

    /// Collapses a frame-wise path: merge repeats, drop blanks.
    fn collapse(path: &[usize], blank: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut prev = usize::MAX;
        for &p in path {
            if p != prev && p != blank {
                out.push(p);
            }
            prev = p;
        }
        out
    }

    /// −log Σ over all C^T paths that collapse to the label (f64 probabilities).
    fn brute_force(x: &[f32], t: usize, c: usize, label: &[usize], blank: usize) -> f64 {
        let mut probs = vec![0.0f64; t * c];
        for f in 0..t {
            let row = &x[f * c..(f + 1) * c];
            let m = row.iter().fold(f64::NEG_INFINITY, |a, &v| a.max(v as f64));
            let s: f64 = row.iter().map(|&v| (v as f64 - m).exp()).sum();
            for k in 0..c {
                probs[f * c + k] = (row[k] as f64 - m).exp() / s;
            }
        }
        let mut total = 0.0;
        let mut path = vec![0usize; t];
        let count = c.pow(t as u32);
        for mut code in 0..count {
            let mut p = 1.0;
            for f in 0..t {
                path[f] = code % c;
                code /= c;
                p *= probs[f * c + path[f]];
            }
            if collapse(&path, blank) == label {
                total += p;
            }
        }
        -total.ln()
    }

    /// −log p by the textbook forward recursion in probability space, f64 (short inputs only).
    fn forward_f64(x: &[f32], t: usize, c: usize, label: &[usize], blank: usize) -> f64 {
        let mut ext = vec![blank];
        for &k in label {
            ext.push(k);
            ext.push(blank);
        }
        let s_len = ext.len();
        let prob = |f: usize, k: usize| {
            let row = &x[f * c..(f + 1) * c];
            let z: f64 = row.iter().map(|&v| (v as f64).exp()).sum();
            (row[k] as f64).exp() / z
        };
        let mut a = vec![0.0f64; s_len];
        a[0] = prob(0, ext[0]);
        if s_len > 1 {
            a[1] = prob(0, ext[1]);
        }
        for f in 1..t {
            let mut n = vec![0.0f64; s_len];
            for s in 0..s_len {
                let mut v = a[s];
                if s >= 1 {
                    v += a[s - 1];
                }
                if s >= 2 && ext[s] != blank && ext[s] != ext[s - 2] {
                    v += a[s - 2];
                }
                n[s] = v * prob(f, ext[s]);
            }
            a = n;
        }
        let p = a[s_len - 1] + if s_len > 1 { a[s_len - 2] } else { 0.0 };
        -p.ln()
    }

    fn run(d: &CtcDims, x: &[f32], labels: &[i32], il: &[i32], ll: &[i32]) -> (Vec<f32>, Vec<f32>) {
        let mut loss = vec![f32::NAN; d.batch];
        let mut grad = vec![f32::NAN; d.batch * d.time * d.classes];
        ctc_loss(d, x, labels, il, ll, &mut loss, &mut grad).unwrap();
        (loss, grad)
    }

    fn dims(batch: usize, time: usize, classes: usize, max_label: usize, blank: usize) -> CtcDims {
        CtcDims { batch, time, classes, max_label, blank, zero_infinity: false }
    }

    #[test]
    fn lse3_and_exp_nonpos_against_f64() {
        let mut rng = Rng::new(13);
        let pick = |rng: &mut Rng| match rng.below(6) {
            0 => NEG_INF,
            1 => -200.0 + rng.uniform(-1.0, 1.0), // far below the others: clamped, no effect
            _ => rng.uniform(-30.0, 5.0),
        };
        for _ in 0..4000 {
            let v: Vec<[f32; 4]> = (0..3).map(|_| [pick(&mut rng), pick(&mut rng), pick(&mut rng), pick(&mut rng)]).collect();
            // Ties on some lanes.
            let mut v = v;
            v[1][0] = v[0][0];
            v[2][1] = v[0][1];
            let got = lse3(F32x4::from_array(v[0]), F32x4::from_array(v[1]), F32x4::from_array(v[2])).to_array();
            for l in 0..4 {
                let terms = [v[0][l] as f64, v[1][l] as f64, v[2][l] as f64];
                let m = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let want = if m == f64::NEG_INFINITY { m } else { m + terms.iter().map(|t| (t - m).exp()).sum::<f64>().ln() };
                if want == f64::NEG_INFINITY {
                    assert_eq!(got[l], NEG_INF, "{:?}", terms);
                } else {
                    assert!((got[l] as f64 - want).abs() <= 1e-6 * want.abs().max(1.0), "{:?}: {} vs {want}", terms, got[l]);
                }
            }
        }
        let nan = lse3(F32x4::splat(f32::NAN), F32x4::splat(0.0), F32x4::splat(NEG_INF)).to_array();
        assert!(nan.iter().all(|v| v.is_nan()));
        let e = exp_nonpos(F32x4::new(NEG_INF, -87.5, -86.0, 0.0)).to_array();
        assert_eq!(&e[..2], &[0.0, 0.0]);
        assert!(((e[2] as f64) / (-86.0f64).exp() - 1.0).abs() < 1e-6 && e[3] == 1.0);
        assert!(exp_nonpos(F32x4::splat(f32::NAN)).to_array().iter().all(|v| v.is_nan()));
    }

    #[test]
    fn matches_brute_force_on_tiny_cases() {
        let mut rng = Rng::new(7);
        let mut cases = 0;
        for &(t, c) in &[(1usize, 2usize), (1, 3), (2, 2), (3, 3), (4, 3), (5, 2), (5, 4), (6, 3), (7, 2)] {
            for blank in [0, c - 1] {
                for trial in 0..6 {
                    let lmax = 3;
                    let lb = rng.below(lmax.min(t) + 1);
                    // Labels from the non-blank classes, with repeats on some trials.
                    let mut label: Vec<usize> = Vec::new();
                    for j in 0..lb {
                        let mut k = rng.below(c - 1);
                        if k >= blank {
                            k += 1;
                        }
                        if trial % 2 == 0 && j > 0 {
                            k = label[j - 1];
                        }
                        label.push(k);
                    }
                    let x = rng.vec(t * c, -2.0, 2.0);
                    let mut padded = vec![-7i32; lmax];
                    for (j, &k) in label.iter().enumerate() {
                        padded[j] = k as i32;
                    }
                    let d = dims(1, t, c, lmax, blank);
                    let (loss, grad) = run(&d, &x, &padded, &[t as i32], &[lb as i32]);
                    let want = brute_force(&x, t, c, &label, blank);
                    let dp = forward_f64(&x, t, c, &label, blank);
                    assert!((dp - want).abs() <= 1e-9 * want.abs().max(1.0) || (dp.is_infinite() && want.is_infinite()));
                    if want.is_infinite() {
                        assert_eq!(loss[0], f32::INFINITY, "t={t} c={c} label={label:?}");
                        assert!(grad.iter().all(|&v| v == 0.0));
                    } else {
                        let rel = ((loss[0] as f64 - want) / want.abs().max(1e-3)).abs();
                        assert!(rel < 1e-4, "t={t} c={c} blank={blank} label={label:?}: {} vs {want}", loss[0]);
                        // Gradient rows sum to zero.
                        for f in 0..t {
                            let s: f32 = grad[f * c..(f + 1) * c].iter().sum();
                            assert!(s.abs() < 1e-5, "row sum {s}");
                        }
                    }
                    cases += 1;
                }
            }
        }
        assert!(cases > 100);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let mut rng = Rng::new(11);
        for &(t, c, label) in &[
            (4usize, 3usize, &[1i32, 2][..]),
            (5, 4, &[3, 3][..]),
            (6, 5, &[1, 2, 1][..]),
            (3, 2, &[][..]),
            (9, 6, &[5, 1, 1, 4][..]),
        ] {
            let lmax = label.len().max(1);
            let mut padded = vec![0i32; lmax];
            padded[..label.len()].copy_from_slice(label);
            let d = dims(1, t, c, lmax, 0);
            let x = rng.vec(t * c, -1.5, 1.5);
            let (_, grad) = run(&d, &x, &padded, &[t as i32], &[label.len() as i32]);
            let lab: Vec<usize> = label.iter().map(|&v| v as usize).collect();
            // Brute force where it is cheap, the f64 forward recursion beyond.
            let f = |x: &[f32]| if c.pow(t as u32) <= 5000 { brute_force(x, t, c, &lab, 0) } else { forward_f64(x, t, c, &lab, 0) };
            for i in 0..t * c {
                let h = 1e-2f32;
                let mut xp = x.clone();
                xp[i] += h;
                let mut xm = x.clone();
                xm[i] -= h;
                let num = (f(&xp) - f(&xm)) / ((xp[i] - xm[i]) as f64);
                assert!((grad[i] as f64 - num).abs() < 2e-4 + 1e-3 * num.abs(), "t={t} c={c} [{i}] {} vs {num}", grad[i]);
            }
        }
    }

    #[test]
    fn batch_with_lengths_padding_and_impossible_samples() {
        // Sample 0: full length; 1: shorter input (padding frames must get no gradient);
        // 2: empty label; 3: impossible (label of 3 with a repeat needs 4 frames, has 3);
        // 4: zero-length input and empty label.
        let (b, t, c, lmax) = (5usize, 6usize, 4usize, 3usize);
        let mut rng = Rng::new(3);
        let x = rng.vec(b * t * c, -2.0, 2.0);
        let labels = [1, 2, 3, 2, 1, -1, 0, 0, 0, 1, 1, 2, 9, 9, 9];
        let il = [6, 4, 5, 3, 0];
        let ll = [3, 2, 0, 3, 0];
        let mut d = dims(b, t, c, lmax, 0);
        let (loss, grad) = run(&d, &x, &labels, &il, &ll);
        for s in 0..b {
            let lab: Vec<usize> = labels[s * lmax..s * lmax + ll[s] as usize].iter().map(|&v| v as usize).collect();
            let tb = il[s] as usize;
            let xs = &x[s * t * c..s * t * c + tb * c];
            let want = if tb == 0 { if lab.is_empty() { 0.0 } else { f64::INFINITY } } else { brute_force(xs, tb, c, &lab, 0) };
            if want.is_infinite() {
                assert_eq!(loss[s], f32::INFINITY);
            } else {
                assert!(((loss[s] as f64) - want).abs() <= 1e-4 * want.abs().max(1.0), "sample {s}: {} vs {want}", loss[s]);
            }
            for f in tb..t {
                assert!(grad[(s * t + f) * c..(s * t + f + 1) * c].iter().all(|&v| v == 0.0));
            }
        }
        assert!(grad[3 * t * c..4 * t * c].iter().all(|&v| v == 0.0));
        d.zero_infinity = true;
        let (loss2, _) = run(&d, &x, &labels, &il, &ll);
        assert_eq!(loss2[3], 0.0);
        assert_eq!(loss2[0], loss[0]);
    }

    #[test]
    fn long_inputs_stay_finite() {
        // 2000 frames: probability-space recursions would underflow; log space does not.
        let (t, c) = (2000usize, 28usize);
        let mut rng = Rng::new(5);
        let x = rng.vec(t * c, -3.0, 3.0);
        let label: Vec<i32> = (0..40).map(|i| 1 + (i * 7 % 27) as i32).collect();
        let d = dims(1, t, c, label.len(), 0);
        let (loss, grad) = run(&d, &x, &label, &[t as i32], &[label.len() as i32]);
        assert!(loss[0].is_finite() && loss[0] > 1000.0, "{}", loss[0]);
        assert!(grad.iter().all(|v| v.is_finite()));
        for f in (0..t).step_by(97) {
            let s: f32 = grad[f * c..(f + 1) * c].iter().sum();
            assert!(s.abs() < 1e-4);
        }
    }

    #[test]
    fn rejects_bad_arguments() {
        let x = vec![0.0f32; 2 * 3 * 4];
        let mut loss = vec![0.0f32; 2];
        let mut grad = vec![0.0f32; 24];
        let mut d = dims(2, 3, 4, 2, 0);
        let il = [3, 3];
        let ok_ll = [2, 1];
        assert_eq!(ctc_loss(&d, &x, &[1, 2, 0, 4], &il, &ok_ll, &mut loss, &mut grad), Err(CtcError::BadSample(1)));
        assert_eq!(ctc_loss(&d, &x, &[1, 2, 0, 3], &il, &ok_ll, &mut loss, &mut grad), Err(CtcError::BadSample(1)));
        assert_eq!(ctc_loss(&d, &x, &[1, 2, 3, 3], &[4, 3], &ok_ll, &mut loss, &mut grad), Err(CtcError::BadSample(0)));
        assert_eq!(ctc_loss(&d, &x, &[1, 2, 3, 3], &il, &[2, 3], &mut loss, &mut grad), Err(CtcError::BadSample(1)));
        d.blank = 4;
        assert_eq!(ctc_loss(&d, &x, &[1, 2, 3, 3], &il, &ok_ll, &mut loss, &mut grad), Err(CtcError::BadBlank));
    }
}
