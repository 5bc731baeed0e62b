//! Fused optimizer updates, in place on parameters and state, in the Keras / TensorFlow.js
//! form (the PyTorch forms are in optim_torch.rs).

use crate::elementwise::{ld, st};
use crate::parallel::{self, SharedMut};
use crate::simd::F32x4;

/// Runs an update over index ranges of its n parameters, as parallel tasks when worth it
/// (pieces of whole 64-element blocks: every element is updated alike in any piece).
pub(crate) fn by_ranges(n: usize, f: impl Fn(core::ops::Range<usize>) + Sync) {
    parallel::run_ranges(n, parallel::element_ns(n * 4), 64, f);
}

/// The piece `r` of an optional state buffer.
///
/// # Safety
/// As `SharedMut::slice`.
pub(crate) unsafe fn piece<'a>(s: &Option<SharedMut<'a, f32>>, r: core::ops::Range<usize>) -> Option<&'a mut [f32]> {
    s.as_ref().map(|s| unsafe { s.slice(r) })
}

#[inline(always)]
fn s(v: f32) -> F32x4 {
    F32x4::splat(v)
}

/// Adam: m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p −= lr_t·m/(√v + ε), with
/// lr_t = lr·√(1−β2^t)/(1−β1^t) from the caller.
pub fn adam(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], lr_t: f32, beta1: f32, beta2: f32, eps: f32) {
    let n = p.len();
    let (ps, ms, vs) = (SharedMut::new(p), SharedMut::new(&mut m[..n]), SharedMut::new(&mut v[..n]));
    by_ranges(n, |r| unsafe {
        // SAFETY: the ranges of distinct tasks are disjoint.
        adam_piece(ps.slice(r.clone()), &g[r.clone()], ms.slice(r.clone()), vs.slice(r), lr_t, beta1, beta2, eps)
    });
}

fn adam_piece(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], lr_t: f32, beta1: f32, beta2: f32, eps: f32) {
    let n = p.len();
    let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
    let (b1, c1, b2, c2) = (s(beta1), s(1.0 - beta1), s(beta2), s(1.0 - beta2));
    let (lr, ep) = (s(lr_t), s(eps));
    let mut i = 0;
    while i < n {
        let len = (n - i).min(4);
        let gv = ld(g, i, len);
        let mv = b1.mul(ld(m, i, len)).add(c1.mul(gv));
        let vv = b2.mul(ld(v, i, len)).add(c2.mul(gv.mul(gv)));
        let pv = ld(p, i, len).sub(lr.mul(mv).div(vv.sqrt().add(ep)));
        st(mv, m, i, len);
        st(vv, v, i, len);
        st(pv, p, i, len);
        i += 4;
    }
}

/// SGD: without velocity p −= lr·g; with it v = momentum·v − lr·g and
/// p += nesterov ? momentum·v − lr·g : v.
pub fn sgd(p: &mut [f32], g: &[f32], velocity: Option<&mut [f32]>, lr: f32, momentum: f32, nesterov: bool) {
    let n = p.len();
    let (ps, vel) = (SharedMut::new(p), velocity.map(|v| SharedMut::new(&mut v[..n])));
    by_ranges(n, |r| unsafe {
        // SAFETY: the ranges of distinct tasks are disjoint.
        sgd_piece(ps.slice(r.clone()), &g[r.clone()], piece(&vel, r), lr, momentum, nesterov)
    });
}

fn sgd_piece(p: &mut [f32], g: &[f32], velocity: Option<&mut [f32]>, lr: f32, momentum: f32, nesterov: bool) {
    let n = p.len();
    let g = &g[..n];
    let (lrv, mo) = (s(lr), s(momentum));
    let mut i = 0;
    match velocity {
        None => {
            while i < n {
                let len = (n - i).min(4);
                st(ld(p, i, len).sub(lrv.mul(ld(g, i, len))), p, i, len);
                i += 4;
            }
        }
        Some(vel) => {
            let vel = &mut vel[..n];
            while i < n {
                let len = (n - i).min(4);
                let step = lrv.mul(ld(g, i, len));
                let vv = mo.mul(ld(vel, i, len)).sub(step);
                let upd = if nesterov { mo.mul(vv).sub(step) } else { vv };
                st(vv, vel, i, len);
                st(ld(p, i, len).add(upd), p, i, len);
                i += 4;
            }
        }
    }
}

/// RMSprop (Keras / TF.js form): ms = ρ·ms + (1−ρ)·g²; centered (mg given):
/// mg = ρ·mg + (1−ρ)·g and denom = max(ms − mg², 0), else denom = ms;
/// step = lr·g/√(denom + ε) (ε inside the root); with `mom`: mom = momentum·mom + step,
/// p −= mom; else p −= step.
pub fn rmsprop(
    p: &mut [f32], g: &[f32], ms: &mut [f32], mg: Option<&mut [f32]>, mom: Option<&mut [f32]>,
    lr: f32, rho: f32, momentum: f32, eps: f32,
) {
    let n = p.len();
    let (ps, mss) = (SharedMut::new(p), SharedMut::new(&mut ms[..n]));
    let (mgs, moms) = (mg.map(|s| SharedMut::new(&mut s[..n])), mom.map(|s| SharedMut::new(&mut s[..n])));
    by_ranges(n, |r| unsafe {
        // SAFETY: the ranges of distinct tasks are disjoint.
        rmsprop_piece(
            ps.slice(r.clone()), &g[r.clone()], mss.slice(r.clone()), piece(&mgs, r.clone()), piece(&moms, r),
            lr, rho, momentum, eps,
        )
    });
}

fn rmsprop_piece(
    p: &mut [f32], g: &[f32], ms: &mut [f32], mut mg: Option<&mut [f32]>, mut mom: Option<&mut [f32]>,
    lr: f32, rho: f32, momentum: f32, eps: f32,
) {
    let n = p.len();
    let (g, ms) = (&g[..n], &mut ms[..n]);
    let (r, c, lrv, ep, mo) = (s(rho), s(1.0 - rho), s(lr), s(eps), s(momentum));
    let mut i = 0;
    while i < n {
        let len = (n - i).min(4);
        let gv = ld(g, i, len);
        let msv = r.mul(ld(ms, i, len)).add(c.mul(gv.mul(gv)));
        st(msv, ms, i, len);
        let denom = match mg.as_deref_mut() {
            Some(mg) => {
                let mgv = r.mul(ld(mg, i, len)).add(c.mul(gv));
                st(mgv, mg, i, len);
                // ms ≥ mg² in exact arithmetic; rounding must not make the root NaN
                msv.sub(mgv.mul(mgv)).max(F32x4::zero())
            }
            None => msv,
        };
        let step = lrv.mul(gv).div(denom.add(ep).sqrt());
        let upd = match mom.as_deref_mut() {
            Some(mom) => {
                let mv = mo.mul(ld(mom, i, len)).add(step);
                st(mv, mom, i, len);
                mv
            }
            None => step,
        };
        st(ld(p, i, len).sub(upd), p, i, len);
        i += 4;
    }
}


/// Adagrad (Keras / TF.js form): acc += g²; p −= lr·g/√(acc + ε) (ε inside the root).
pub fn adagrad(p: &mut [f32], g: &[f32], acc: &mut [f32], lr: f32, eps: f32) {
    let n = p.len();
    let (g, acc) = (&g[..n], &mut acc[..n]);
    let (lrv, ep) = (s(lr), s(eps));
    let mut i = 0;
    while i < n {
        let len = (n - i).min(4);
        let gv = ld(g, i, len);
        let av = ld(acc, i, len).add(gv.mul(gv));
        st(av, acc, i, len);
        st(ld(p, i, len).sub(lrv.mul(gv).div(av.add(ep).sqrt())), p, i, len);
        i += 4;
    }
}

/// Adadelta (Keras form, Zeiler 2012): acc_g = ρ·acc_g + (1−ρ)·g²;
/// d = √(acc_d + ε)/√(acc_g + ε)·g with the updated acc_g; acc_d = ρ·acc_d + (1−ρ)·d²;
/// p −= lr·d.
pub fn adadelta(p: &mut [f32], g: &[f32], acc_g: &mut [f32], acc_d: &mut [f32], lr: f32, rho: f32, eps: f32) {
    let n = p.len();
    let (g, acc_g, acc_d) = (&g[..n], &mut acc_g[..n], &mut acc_d[..n]);
    let (r, c, lrv, ep) = (s(rho), s(1.0 - rho), s(lr), s(eps));
    let mut i = 0;
    while i < n {
        let len = (n - i).min(4);
        let gv = ld(g, i, len);
        let ag = r.mul(ld(acc_g, i, len)).add(c.mul(gv.mul(gv)));
        let ad = ld(acc_d, i, len);
        let d = ad.add(ep).sqrt().div(ag.add(ep).sqrt()).mul(gv);
        st(ag, acc_g, i, len);
        st(r.mul(ad).add(c.mul(d.mul(d))), acc_d, i, len);
        st(ld(p, i, len).sub(lrv.mul(d)), p, i, len);
        i += 4;
    }
}

/// Adamax (Keras / TF.js form): m = β1·m + (1−β1)·g; u = max(β2·u, |g|);
/// p −= lr_t·m/(u + ε), with lr_t = lr/(1−β1^t) from the caller.
pub fn adamax(p: &mut [f32], g: &[f32], m: &mut [f32], u: &mut [f32], lr_t: f32, beta1: f32, beta2: f32, eps: f32) {
    let n = p.len();
    let (g, m, u) = (&g[..n], &mut m[..n], &mut u[..n]);
    let (b1, c1, b2, lrv, ep) = (s(beta1), s(1.0 - beta1), s(beta2), s(lr_t), s(eps));
    let mut i = 0;
    while i < n {
        let len = (n - i).min(4);
        let gv = ld(g, i, len);
        let mv = b1.mul(ld(m, i, len)).add(c1.mul(gv));
        let uv = b2.mul(ld(u, i, len)).max(gv.abs());
        st(mv, m, i, len);
        st(uv, u, i, len);
        st(ld(p, i, len).sub(lrv.mul(mv).div(uv.add(ep))), p, i, len);
        i += 4;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Rng};

    const N: usize = 11;

    fn grads(step: usize) -> Vec<f32> {
        Rng::new(100 + step as u64).vec(N, -1.0, 1.0)
    }

    #[test]
    fn adam_matches_scalar_over_steps() {
        // constants as the kernel sees them (f32)
        let (lr, b1, b2, eps) = (0.01f64, 0.9f32 as f64, 0.999f32 as f64, 1e-7f32 as f64);
        let mut p = Rng::new(14).vec(N, -1.0, 1.0);
        let (mut m, mut v) = (vec![0.0f32; N], vec![0.0f32; N]);
        let mut rp: Vec<f64> = p.iter().map(|&x| x as f64).collect();
        let (mut rm, mut rv) = (vec![0.0f64; N], vec![0.0f64; N]);
        for t in 1..=5 {
            let g = grads(t);
            let lr_t = lr * (1.0 - b2.powi(t as i32)).sqrt() / (1.0 - b1.powi(t as i32));
            adam(&mut p, &g, &mut m, &mut v, lr_t as f32, b1 as f32, b2 as f32, eps as f32);
            for i in 0..N {
                let gi = g[i] as f64;
                rm[i] = b1 * rm[i] + (1.0 - b1) * gi;
                rv[i] = b2 * rv[i] + (1.0 - b2) * gi * gi;
                rp[i] -= lr_t * rm[i] / (rv[i].sqrt() + eps);
            }
        }
        let f = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<_>>();
        assert_close(&p, &f(&rp), 1e-5, 1e-6);
        assert_close(&m, &f(&rm), 1e-5, 1e-7);
        assert_close(&v, &f(&rv), 1e-5, 1e-9);
    }

    #[test]
    fn sgd_variants_match_scalar() {
        for &(momentum, nesterov) in &[(0.0f32, false), (0.9, false), (0.9, true)] {
            let lr = 0.1f32;
            let mut p = Rng::new(15).vec(N, -1.0, 1.0);
            let mut vel = [0.0f32; N];
            let mut rp: Vec<f64> = p.iter().map(|&x| x as f64).collect();
            let mut rv = [0.0f64; N];
            for t in 1..=4 {
                let g = grads(t);
                let velocity = if momentum == 0.0 { None } else { Some(&mut vel[..]) };
                sgd(&mut p, &g, velocity, lr, momentum, nesterov);
                for i in 0..N {
                    let (gi, mo, lr) = (g[i] as f64, momentum as f64, lr as f64);
                    if momentum == 0.0 {
                        rp[i] -= lr * gi;
                    } else {
                        rv[i] = mo * rv[i] - lr * gi;
                        rp[i] += if nesterov { mo * rv[i] - lr * gi } else { rv[i] };
                    }
                }
            }
            assert_close(&p, &rp.iter().map(|&x| x as f32).collect::<Vec<_>>(), 1e-5, 1e-6);
        }
    }

    #[test]
    fn rmsprop_variants_match_scalar() {
        for &(centered, momentum) in &[(false, 0.0f32), (true, 0.0), (false, 0.9), (true, 0.5)] {
            let (lr, rho, eps) = (0.01f32, 0.9f32, 1e-7f32);
            let mut p = Rng::new(16).vec(N, -1.0, 1.0);
            let (mut ms, mut mg, mut mom) = (vec![0.0f32; N], vec![0.0f32; N], vec![0.0f32; N]);
            let mut rp: Vec<f64> = p.iter().map(|&x| x as f64).collect();
            let (mut rms, mut rmg, mut rmom) = (vec![0.0f64; N], vec![0.0f64; N], vec![0.0f64; N]);
            for t in 1..=5 {
                let g = grads(t);
                rmsprop(
                    &mut p, &g, &mut ms,
                    if centered { Some(&mut mg[..]) } else { None },
                    if momentum > 0.0 { Some(&mut mom[..]) } else { None },
                    lr, rho, momentum, eps,
                );
                for i in 0..N {
                    let (gi, rho, lr) = (g[i] as f64, rho as f64, lr as f64);
                    rms[i] = rho * rms[i] + (1.0 - rho) * gi * gi;
                    let mut denom = rms[i];
                    if centered {
                        rmg[i] = rho * rmg[i] + (1.0 - rho) * gi;
                        denom = (denom - rmg[i] * rmg[i]).max(0.0);
                    }
                    let step = lr * gi / (denom + eps as f64).sqrt();
                    if momentum > 0.0 {
                        rmom[i] = momentum as f64 * rmom[i] + step;
                        rp[i] -= rmom[i];
                    } else {
                        rp[i] -= step;
                    }
                }
            }
            // the centered denominator cancels: allow a looser tolerance there
            let tol = if centered { 1e-4 } else { 1e-5 };
            assert_close(&p, &rp.iter().map(|&x| x as f32).collect::<Vec<_>>(), tol, 1e-6);
        }
    }

    /// Sizes around the SIMD width: a single lane, partial vectors, several vectors + a tail.
    const SIZES: [usize; 6] = [1, 3, 4, 5, 11, 17];

    fn to_f32(v: &[f64]) -> Vec<f32> {
        v.iter().map(|&x| x as f32).collect()
    }

    fn grads_n(n: usize, step: usize) -> Vec<f32> {
        Rng::new(300 + step as u64).vec(n, -1.0, 1.0)
    }

    #[test]
    fn adagrad_matches_scalar_over_steps() {
        for &n in &SIZES {
            let (lr, eps) = (0.05f32, 1e-7f32);
            let mut p = Rng::new(20).vec(n, -1.0, 1.0);
            let mut acc = vec![0.1f32; n];
            let mut rp: Vec<f64> = p.iter().map(|&x| x as f64).collect();
            let mut racc = vec![0.1f32 as f64; n];
            for t in 1..=5 {
                let g = grads_n(n, t);
                adagrad(&mut p, &g, &mut acc, lr, eps);
                for i in 0..n {
                    let gi = g[i] as f64;
                    racc[i] += gi * gi;
                    rp[i] -= lr as f64 * gi / (racc[i] + eps as f64).sqrt();
                }
            }
            assert_close(&p, &to_f32(&rp), 1e-5, 1e-6);
            assert_close(&acc, &to_f32(&racc), 1e-5, 1e-7);
        }
    }

    #[test]
    fn adadelta_matches_scalar_over_steps() {
        for &n in &SIZES {
            for &eps in &[1e-7f32, 1e-2] {
                let (lr, rho) = (1.0f32, 0.95f32);
                let mut p = Rng::new(21).vec(n, -1.0, 1.0);
                let (mut ag, mut ad) = (vec![0.0f32; n], vec![0.0f32; n]);
                let mut rp: Vec<f64> = p.iter().map(|&x| x as f64).collect();
                let (mut rag, mut rad) = (vec![0.0f64; n], vec![0.0f64; n]);
                let (rho64, eps64) = (rho as f64, eps as f64);
                for t in 1..=6 {
                    let g = grads_n(n, t);
                    adadelta(&mut p, &g, &mut ag, &mut ad, lr, rho, eps);
                    for i in 0..n {
                        let gi = g[i] as f64;
                        rag[i] = rho64 * rag[i] + (1.0 - rho64) * gi * gi;
                        let d = (rad[i] + eps64).sqrt() / (rag[i] + eps64).sqrt() * gi;
                        rad[i] = rho64 * rad[i] + (1.0 - rho64) * d * d;
                        rp[i] -= lr as f64 * d;
                    }
                }
                assert_close(&p, &to_f32(&rp), 1e-5, 1e-6);
                assert_close(&ag, &to_f32(&rag), 1e-5, 1e-9);
                assert_close(&ad, &to_f32(&rad), 1e-4, 1e-12);
            }
        }
    }

    #[test]
    fn adamax_matches_scalar_over_steps() {
        for &n in &SIZES {
            let (lr, b1, b2, eps) = (0.002f64, 0.9f32 as f64, 0.999f32 as f64, 1e-7f32 as f64);
            let mut p = Rng::new(22).vec(n, -1.0, 1.0);
            let (mut m, mut u) = (vec![0.0f32; n], vec![0.0f32; n]);
            let mut rp: Vec<f64> = p.iter().map(|&x| x as f64).collect();
            let (mut rm, mut ru) = (vec![0.0f64; n], vec![0.0f64; n]);
            for t in 1..=5 {
                // a zero gradient somewhere: u must keep decaying there, p must not move on ε alone
                let mut g = grads_n(n, t);
                g[(t * 3) % n] = 0.0;
                let lr_t = lr / (1.0 - b1.powi(t as i32));
                adamax(&mut p, &g, &mut m, &mut u, lr_t as f32, b1 as f32, b2 as f32, eps as f32);
                for i in 0..n {
                    let gi = g[i] as f64;
                    rm[i] = b1 * rm[i] + (1.0 - b1) * gi;
                    ru[i] = (b2 * ru[i]).max(gi.abs());
                    rp[i] -= lr_t * rm[i] / (ru[i] + eps);
                }
            }
            assert_close(&p, &to_f32(&rp), 1e-5, 1e-6);
            assert_close(&m, &to_f32(&rm), 1e-5, 1e-7);
            assert_close(&u, &to_f32(&ru), 1e-5, 1e-7);
        }
    }
}
