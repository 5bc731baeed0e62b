//! Fused optimizer updates in the PyTorch form (torch.optim), in place on parameters and
//! state. They differ from the Keras forms of optim.rs where PyTorch differs: the learning
//! rate stays outside the momentum buffers (so a scheduler changing it acts at once), ε sits
//! outside the square roots, and `weight_decay` is an L2 term added to the gradient
//! (d = g + wd·p) — except AdamW, whose decay multiplies the parameter (`keep` below).
//! Each update runs over ranges of its parameters as parallel tasks when worth it (as optim.rs).

use crate::elementwise::{ld, st};
use crate::optim::{by_ranges, piece};
use crate::parallel::SharedMut;
use crate::simd::F32x4;

#[inline(always)]
fn s(v: f32) -> F32x4 {
    F32x4::splat(v)
}

/// torch.optim.SGD: d = g + wd·p; with `buf`: buf = d on the first step (`first`), else
/// buf = momentum·buf + (1 − dampening)·d, and d = nesterov ? d + momentum·buf : buf;
/// p −= lr·d.
pub fn sgd(
    p: &mut [f32], g: &[f32], buf: Option<&mut [f32]>,
    lr: f32, momentum: f32, dampening: f32, nesterov: bool, weight_decay: f32, first: bool,
) {
    let n = p.len();
    let (ps, bs) = (SharedMut::new(p), buf.map(|b| SharedMut::new(&mut b[..n])));
    // SAFETY: the ranges of distinct tasks are disjoint.
    by_ranges(n, |r| unsafe {
        sgd_piece(ps.slice(r.clone()), &g[r.clone()], piece(&bs, r), lr, momentum, dampening, nesterov, weight_decay, first)
    });
}

fn sgd_piece(
    p: &mut [f32], g: &[f32], buf: Option<&mut [f32]>,
    lr: f32, momentum: f32, dampening: f32, nesterov: bool, weight_decay: f32, first: bool,
) {
    let n = p.len();
    let g = &g[..n];
    let (lrv, mo, keep_g, wd) = (s(lr), s(momentum), s(1.0 - dampening), s(weight_decay));
    let mut i = 0;
    match buf {
        None => {
            while i < n {
                let len = (n - i).min(4);
                let pv = ld(p, i, len);
                let d = ld(g, i, len).add(wd.mul(pv));
                st(pv.sub(lrv.mul(d)), p, i, len);
                i += 4;
            }
        }
        Some(buf) => {
            let buf = &mut buf[..n];
            while i < n {
                let len = (n - i).min(4);
                let pv = ld(p, i, len);
                let d = ld(g, i, len).add(wd.mul(pv));
                let b = if first { d } else { mo.mul(ld(buf, i, len)).add(keep_g.mul(d)) };
                st(b, buf, i, len);
                let step = if nesterov { d.add(mo.mul(b)) } else { b };
                st(pv.sub(lrv.mul(step)), p, i, len);
                i += 4;
            }
        }
    }
}

/// torch.optim.Adam / AdamW: p *= keep (AdamW: keep = 1 − lr·wd, else 1); d = g + l2·p
/// (Adam's weight_decay, else 0); m = β1·m + (1−β1)·d; v = β2·v + (1−β2)·d²; with `v_max`
/// (amsgrad) v_max = max(v_max, v) is used in place of v; p −= step_size·m/(√v/bc2_sqrt + ε),
/// with step_size = lr/(1−β1^t) and bc2_sqrt = √(1−β2^t) from the caller.
pub fn adam(
    p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], v_max: Option<&mut [f32]>,
    step_size: f32, beta1: f32, beta2: f32, eps: f32, bc2_sqrt: f32, l2: f32, keep: f32,
) {
    let n = p.len();
    let (ps, ms, vs) = (SharedMut::new(p), SharedMut::new(&mut m[..n]), SharedMut::new(&mut v[..n]));
    let vms = v_max.map(|b| SharedMut::new(&mut b[..n]));
    // SAFETY: the ranges of distinct tasks are disjoint.
    by_ranges(n, |r| unsafe {
        adam_piece(
            ps.slice(r.clone()), &g[r.clone()], ms.slice(r.clone()), vs.slice(r.clone()), piece(&vms, r),
            step_size, beta1, beta2, eps, bc2_sqrt, l2, keep,
        )
    });
}

fn adam_piece(
    p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], mut v_max: Option<&mut [f32]>,
    step_size: f32, beta1: f32, beta2: f32, eps: f32, bc2_sqrt: f32, l2: f32, keep: f32,
) {
    let n = p.len();
    let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
    let (b1, c1, b2, c2) = (s(beta1), s(1.0 - beta1), s(beta2), s(1.0 - beta2));
    let (ss, ep, bc2, l2v, kp) = (s(step_size), s(eps), s(bc2_sqrt), s(l2), s(keep));
    let mut i = 0;
    while i < n {
        let len = (n - i).min(4);
        let pv = ld(p, i, len).mul(kp);
        let d = ld(g, i, len).add(l2v.mul(pv));
        let mv = b1.mul(ld(m, i, len)).add(c1.mul(d));
        let vv = b2.mul(ld(v, i, len)).add(c2.mul(d.mul(d)));
        st(mv, m, i, len);
        st(vv, v, i, len);
        let second = match v_max.as_deref_mut() {
            Some(vm) => {
                let x = ld(vm, i, len).max(vv);
                st(x, vm, i, len);
                x
            }
            None => vv,
        };
        let denom = second.sqrt().div(bc2).add(ep);
        st(pv.sub(ss.mul(mv).div(denom)), p, i, len);
        i += 4;
    }
}

/// torch.optim.Adagrad: d = g + wd·p; sum += d²; p −= clr·d/(√sum + ε), with
/// clr = lr/(1 + (t−1)·lr_decay) from the caller.
pub fn adagrad(p: &mut [f32], g: &[f32], sum: &mut [f32], clr: f32, eps: f32, weight_decay: f32) {
    let n = p.len();
    let (ps, ss) = (SharedMut::new(p), SharedMut::new(&mut sum[..n]));
    // SAFETY: the ranges of distinct tasks are disjoint.
    by_ranges(n, |r| unsafe { adagrad_piece(ps.slice(r.clone()), &g[r.clone()], ss.slice(r), clr, eps, weight_decay) });
}

fn adagrad_piece(p: &mut [f32], g: &[f32], sum: &mut [f32], clr: f32, eps: f32, weight_decay: f32) {
    let n = p.len();
    let (g, sum) = (&g[..n], &mut sum[..n]);
    let (lrv, ep, wd) = (s(clr), s(eps), s(weight_decay));
    let mut i = 0;
    while i < n {
        let len = (n - i).min(4);
        let pv = ld(p, i, len);
        let d = ld(g, i, len).add(wd.mul(pv));
        let sv = ld(sum, i, len).add(d.mul(d));
        st(sv, sum, i, len);
        st(pv.sub(lrv.mul(d).div(sv.sqrt().add(ep))), p, i, len);
        i += 4;
    }
}

/// torch.optim.RMSprop: d = g + wd·p; sq = α·sq + (1−α)·d²; centered (`g_avg`):
/// g_avg = α·g_avg + (1−α)·d and avg = √max(sq − g_avg², 0) + ε, else avg = √sq + ε;
/// with `buf` (momentum > 0): buf = momentum·buf + d/avg, p −= lr·buf; else p −= lr·d/avg.
pub fn rmsprop(
    p: &mut [f32], g: &[f32], sq: &mut [f32], g_avg: Option<&mut [f32]>, buf: Option<&mut [f32]>,
    lr: f32, alpha: f32, eps: f32, weight_decay: f32, momentum: f32,
) {
    let n = p.len();
    let (ps, sqs) = (SharedMut::new(p), SharedMut::new(&mut sq[..n]));
    let (gas, bs) = (g_avg.map(|b| SharedMut::new(&mut b[..n])), buf.map(|b| SharedMut::new(&mut b[..n])));
    // SAFETY: the ranges of distinct tasks are disjoint.
    by_ranges(n, |r| unsafe {
        rmsprop_piece(
            ps.slice(r.clone()), &g[r.clone()], sqs.slice(r.clone()), piece(&gas, r.clone()), piece(&bs, r),
            lr, alpha, eps, weight_decay, momentum,
        )
    });
}

fn rmsprop_piece(
    p: &mut [f32], g: &[f32], sq: &mut [f32], mut g_avg: Option<&mut [f32]>, mut buf: Option<&mut [f32]>,
    lr: f32, alpha: f32, eps: f32, weight_decay: f32, momentum: f32,
) {
    let n = p.len();
    let (g, sq) = (&g[..n], &mut sq[..n]);
    let (a, c, lrv, ep, wd, mo) = (s(alpha), s(1.0 - alpha), s(lr), s(eps), s(weight_decay), s(momentum));
    let mut i = 0;
    while i < n {
        let len = (n - i).min(4);
        let pv = ld(p, i, len);
        let d = ld(g, i, len).add(wd.mul(pv));
        let sv = a.mul(ld(sq, i, len)).add(c.mul(d.mul(d)));
        st(sv, sq, i, len);
        let var = match g_avg.as_deref_mut() {
            Some(ga) => {
                let gv = a.mul(ld(ga, i, len)).add(c.mul(d));
                st(gv, ga, i, len);
                // sq ≥ g_avg² in exact arithmetic; rounding must not make the root NaN
                sv.sub(gv.mul(gv)).max(F32x4::zero())
            }
            None => sv,
        };
        let step = d.div(var.sqrt().add(ep));
        let upd = match buf.as_deref_mut() {
            Some(b) => {
                let bv = mo.mul(ld(b, i, len)).add(step);
                st(bv, b, i, len);
                bv
            }
            None => step,
        };
        st(pv.sub(lrv.mul(upd)), p, i, len);
        i += 4;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Rng};

    /// Sizes around the SIMD width: a single lane, partial vectors, several vectors + a tail.
    const SIZES: [usize; 6] = [1, 3, 4, 5, 11, 17];

    fn grads(n: usize, step: usize) -> Vec<f32> {
        Rng::new(500 + step as u64).vec(n, -1.0, 1.0)
    }

    fn f64s(v: &[f32]) -> Vec<f64> {
        v.iter().map(|&x| x as f64).collect()
    }

    fn f32s(v: &[f64]) -> Vec<f32> {
        v.iter().map(|&x| x as f32).collect()
    }

    #[test]
    fn sgd_variants_match_scalar() {
        // (momentum, dampening, nesterov, weight decay); lr changes every step as a scheduler would.
        let variants = [(0.0f32, 0.0f32, false, 0.0f32), (0.0, 0.0, false, 0.1), (0.9, 0.0, false, 0.0),
            (0.9, 0.3, false, 0.01), (0.9, 0.0, true, 0.0), (0.5, 0.0, true, 0.05)];
        for &n in &SIZES {
            for &(mo, damp, nesterov, wd) in &variants {
                let mut p = Rng::new(30).vec(n, -1.0, 1.0);
                let mut buf = vec![f32::NAN; n]; // the first step must not read it
                let mut rp = f64s(&p);
                let mut rb = vec![0.0f64; n];
                for t in 1..=5 {
                    let g = grads(n, t);
                    let lr = 0.1 / t as f32;
                    let b = if mo == 0.0 { None } else { Some(&mut buf[..]) };
                    sgd(&mut p, &g, b, lr, mo, damp, nesterov, wd, t == 1);
                    let (mo, damp, wd, lr) = (mo as f64, damp as f64, wd as f64, lr as f64);
                    for i in 0..n {
                        let mut d = g[i] as f64 + wd * rp[i];
                        if mo != 0.0 {
                            rb[i] = if t == 1 { d } else { mo * rb[i] + (1.0 - damp) * d };
                            d = if nesterov { d + mo * rb[i] } else { rb[i] };
                        }
                        rp[i] -= lr * d;
                    }
                }
                assert_close(&p, &f32s(&rp), 1e-5, 1e-6);
                if mo != 0.0 {
                    assert_close(&buf, &f32s(&rb), 1e-5, 1e-6);
                }
            }
        }
    }

    #[test]
    fn adam_variants_match_scalar() {
        // (amsgrad, L2 weight decay, decoupled weight decay)
        let variants = [(false, 0.0f32, 0.0f32), (true, 0.0, 0.0), (false, 0.1, 0.0), (false, 0.0, 0.01), (true, 0.0, 0.01)];
        for &n in &SIZES {
            for &(amsgrad, l2, decoupled) in &variants {
                let (lr, b1, b2, eps) = (0.01f64, 0.9f32 as f64, 0.999f32 as f64, 1e-8f32 as f64);
                let mut p = Rng::new(31).vec(n, -1.0, 1.0);
                let (mut m, mut v, mut vm) = (vec![0.0f32; n], vec![0.0f32; n], vec![0.0f32; n]);
                let mut rp = f64s(&p);
                let (mut rm, mut rv, mut rvm) = (vec![0.0f64; n], vec![0.0f64; n], vec![0.0f64; n]);
                for t in 1..=6 {
                    // shrinking gradients, so amsgrad's max differs from v
                    let g: Vec<f32> = grads(n, t).iter().map(|x| x / t as f32).collect();
                    let bc1 = 1.0 - b1.powi(t as i32);
                    let bc2 = 1.0 - b2.powi(t as i32);
                    let keep = 1.0 - lr * decoupled as f64;
                    adam(
                        &mut p, &g, &mut m, &mut v, if amsgrad { Some(&mut vm[..]) } else { None },
                        (lr / bc1) as f32, b1 as f32, b2 as f32, eps as f32, bc2.sqrt() as f32, l2, keep as f32,
                    );
                    for i in 0..n {
                        rp[i] *= keep;
                        let d = g[i] as f64 + l2 as f64 * rp[i];
                        rm[i] = b1 * rm[i] + (1.0 - b1) * d;
                        rv[i] = b2 * rv[i] + (1.0 - b2) * d * d;
                        rvm[i] = rvm[i].max(rv[i]);
                        let second = if amsgrad { rvm[i] } else { rv[i] };
                        rp[i] -= lr / bc1 * rm[i] / (second.sqrt() / bc2.sqrt() + eps);
                    }
                }
                assert_close(&p, &f32s(&rp), 1e-5, 1e-6);
                assert_close(&m, &f32s(&rm), 1e-5, 1e-7);
                assert_close(&v, &f32s(&rv), 1e-4, 1e-9);
                if amsgrad {
                    assert_close(&vm, &f32s(&rvm), 1e-4, 1e-9);
                }
            }
        }
    }

    #[test]
    fn adagrad_matches_scalar() {
        for &n in &SIZES {
            for &wd in &[0.0f32, 0.1] {
                let eps = 1e-10f32;
                let mut p = Rng::new(32).vec(n, -1.0, 1.0);
                let mut sum = vec![0.0f32; n];
                let mut rp = f64s(&p);
                let mut rs = vec![0.0f64; n];
                for t in 1..=5 {
                    let mut g = grads(n, t);
                    g[t % n] = 0.0; // a zero gradient on the first step: 0/(0 + ε) = 0, not NaN
                    let clr = 0.1 / (1.0 + (t - 1) as f64 * 0.01);
                    adagrad(&mut p, &g, &mut sum, clr as f32, eps, wd);
                    for i in 0..n {
                        let d = g[i] as f64 + wd as f64 * rp[i];
                        rs[i] += d * d;
                        rp[i] -= clr * d / (rs[i].sqrt() + eps as f64);
                    }
                }
                assert_close(&p, &f32s(&rp), 1e-5, 1e-6);
                assert_close(&sum, &f32s(&rs), 1e-5, 1e-7);
            }
        }
    }

    #[test]
    fn rmsprop_variants_match_scalar() {
        // (centered, momentum, weight decay)
        let variants = [(false, 0.0f32, 0.0f32), (true, 0.0, 0.0), (false, 0.9, 0.0), (true, 0.5, 0.1)];
        for &n in &SIZES {
            for &(centered, mo, wd) in &variants {
                let (alpha, eps) = (0.99f32, 1e-8f32);
                let mut p = Rng::new(33).vec(n, -1.0, 1.0);
                let (mut sq, mut ga, mut buf) = (vec![0.0f32; n], vec![0.0f32; n], vec![0.0f32; n]);
                let mut rp = f64s(&p);
                let (mut rsq, mut rga, mut rbuf) = (vec![0.0f64; n], vec![0.0f64; n], vec![0.0f64; n]);
                for t in 1..=5 {
                    let g = grads(n, t);
                    let lr = 0.01 / t as f32;
                    rmsprop(
                        &mut p, &g, &mut sq,
                        if centered { Some(&mut ga[..]) } else { None },
                        if mo > 0.0 { Some(&mut buf[..]) } else { None },
                        lr, alpha, eps, wd, mo,
                    );
                    let (a, lr, mo) = (alpha as f64, lr as f64, mo as f64);
                    for i in 0..n {
                        let d = g[i] as f64 + wd as f64 * rp[i];
                        rsq[i] = a * rsq[i] + (1.0 - a) * d * d;
                        let mut var = rsq[i];
                        if centered {
                            rga[i] = a * rga[i] + (1.0 - a) * d;
                            var = (var - rga[i] * rga[i]).max(0.0);
                        }
                        let step = d / (var.sqrt() + eps as f64);
                        if mo > 0.0 {
                            rbuf[i] = mo * rbuf[i] + step;
                            rp[i] -= lr * rbuf[i];
                        } else {
                            rp[i] -= lr * step;
                        }
                    }
                }
                // the centered variance cancels: allow a looser tolerance there
                let tol = if centered { 1e-4 } else { 1e-5 };
                assert_close(&p, &f32s(&rp), tol, 1e-6);
            }
        }
    }
}
