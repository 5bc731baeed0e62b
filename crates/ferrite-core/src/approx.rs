//! SIMD approximations of transcendental functions on `F32x4`.
//!
//! Maximum relative errors measured against f64 `std` by the tests below (dense linear sweeps
//! plus every 97th float bit pattern over the whole range, both signs; relative error counted
//! where the exact result is a normal float), with unfused multiply-add as in the simd128
//! build (the relaxed build fuses the polynomial steps; its errors are of the same size):
//! - `exp`: 8.1e-8 (8.4e-8 in the relaxed build). +inf above 88.72, 0 below −103.97, within one step in the subnormal
//!   range; NaN → NaN.
//! - `log`: 8.1e-8; absolute error ≤ 2.4e-8 on [0.7, 1.4]. Subnormals handled; log(0) = −inf,
//!   log(x < 0) = NaN, log(+inf) = +inf.
//! - `log1p`: 1.9e-7 (accurate for tiny x).
//! - `tanh`: 1.4e-7 (odd polynomial below |x| = 0.625, so tiny x are exact); ±1 for large |x|.
//! - `sigmoid`: 2.0e-7, including x < −88 where the result is subnormal.
//! - `phi` (standard normal CDF, for gelu): 4.0e-7 for x ≥ −13 (its normal range).
//! - `softplus`: 2.2e-7 over the whole range; log(1 + e^x) = x exactly above 17, e^x
//!   (subnormal below −87.3) far left, +inf at +inf, 0 at −inf.
//! - `gelu` = x·Φ(x): 5.3e-7 wherever the result is a normal float (x > −13.2); within
//!   16 subnormal steps below; gelu(x) = x above 5.4, 0 at −inf, +inf at +inf.
//!
//! NaN in gives NaN out for every function.

// Coefficients are kept as published, beyond f32 precision.
#![allow(clippy::excessive_precision)]

use crate::simd::{F32x4, I32x4};

const LOG2E: f32 = std::f32::consts::LOG2_E;
// ln 2 split so that n·LN2_HI is exact for |n| ≤ 2^9 (Cody–Waite).
const LN2_HI: f32 = 0.693_359_375;
const LN2_LO: f32 = -2.121_944_4e-4;
const SHIFTER: f32 = 12_582_912.0; // 1.5·2^23

#[inline(always)]
fn s(v: f32) -> F32x4 {
    F32x4::splat(v)
}

/// 2^n for integer lanes n in [−126, 127].
#[inline(always)]
fn pow2i(n: I32x4) -> F32x4 {
    n.add(I32x4::splat(127)).shl::<23>().bits()
}

/// e^r on [−ln2/2, ln2/2] (Cephes expf coefficients).
#[inline(always)]
fn exp_reduced(r: F32x4) -> F32x4 {
    let p = s(1.987_569_1e-4);
    let p = p.madd(r, s(1.398_199_9e-3));
    let p = p.madd(r, s(8.333_452e-3));
    let p = p.madd(r, s(4.166_579_6e-2));
    let p = p.madd(r, s(1.666_666_5e-1));
    let p = p.madd(r, s(5.000_000_1e-1));
    let r2 = r.mul(r);
    p.madd(r2, r).add(s(1.0))
}

/// e^x.
#[inline(always)]
pub fn exp(x: F32x4) -> F32x4 {
    // For |x| ≤ 87 (nearly always) 2^n is one normal power of two, and a NaN flows through.
    // n = round(x·log2 e) by a shifter of 1.5·2^23 + 127: the sum's low mantissa bits are
    // n + 127, the biased exponent of 2^n (this also avoids V8's slow float→int conversion).
    let t = x.madd(s(LOG2E), s(SHIFTER + 127.0));
    let nf = t.sub(s(SHIFTER + 127.0));
    let r = nf.mul(s(-LN2_HI)).add(x);
    let r = nf.mul(s(-LN2_LO)).add(r);
    let y = exp_reduced(r).mul(t.bits().shl::<23>().bits());
    // Other lanes are redone out of line. The common path is computed unconditionally: in
    // a branch, V8 would rebuild its constants on every iteration instead of hoisting them.
    let wide = x.abs().gt(s(87.0));
    if wide.any() {
        F32x4::select(wide, exp_wide(x), y)
    } else {
        y
    }
}

/// e^x for any x, including results that overflow or are subnormal.
#[inline(never)]
fn exp_wide(x: F32x4) -> F32x4 {
    // Clamping keeps n in [−150, 129] (a NaN is restored at the end).
    let xc = x.pmax(s(-104.0)).pmin(s(89.0));
    let t = xc.madd(s(LOG2E), s(SHIFTER));
    let nf = t.sub(s(SHIFTER));
    let r = nf.mul(s(-LN2_HI)).add(xc);
    let r = nf.mul(s(-LN2_LO)).add(r);
    let p = exp_reduced(r);
    // 2^n as two factors so that n outside the normal exponent range still scales correctly:
    // the last multiply rounds into subnormals or overflows to +inf.
    let n = t.bits().sub(I32x4::splat(0x4b40_0000));
    let n1 = n.shr::<1>();
    let n2 = n.sub(n1);
    let y = p.mul(pow2i(n1)).mul(pow2i(n2));
    F32x4::select(x.eq(x), y, x)
}

/// Natural logarithm.
#[inline(always)]
pub fn log(x: F32x4) -> F32x4 {
    // Subnormals: scale by 2^23 first.
    let tiny = x.lt(s(f32::MIN_POSITIVE));
    let xs = F32x4::select(tiny, x.mul(s(8_388_608.0)), x);
    let bits = xs.bits();
    let e = bits.shr::<23>().and(I32x4::splat(0xff)).sub(I32x4::splat(126));
    let e = e.to_f32().sub(F32x4::select(tiny, s(23.0), s(0.0)));
    // m in [0.5, 1)
    let m = bits.and(I32x4::splat(0x007f_ffff)).or(I32x4::splat(0x3f00_0000)).bits();
    // Move m to [√½, √2) so the polynomial argument is small.
    let lo = m.lt(s(std::f32::consts::FRAC_1_SQRT_2));
    let e = e.sub(F32x4::mask_to_one(lo));
    let m = m.add(m.and(lo)).sub(s(1.0));
    let z = m.mul(m);
    // Cephes logf coefficients.
    let y = s(7.037_683_6e-2);
    let y = y.madd(m, s(-1.151_461e-1));
    let y = y.madd(m, s(1.167_699_9e-1));
    let y = y.madd(m, s(-1.242_014_1e-1));
    let y = y.madd(m, s(1.424_932_3e-1));
    let y = y.madd(m, s(-1.666_805_8e-1));
    let y = y.madd(m, s(2.000_071_5e-1));
    let y = y.madd(m, s(-2.499_999_4e-1));
    let y = y.madd(m, s(3.333_333_1e-1));
    let y = y.mul(m).mul(z);
    let y = e.madd(s(LN2_LO), y);
    let y = z.madd(s(-0.5), y);
    let r = m.add(y);
    let r = e.madd(s(LN2_HI), r);
    let r = F32x4::select(x.eq(s(f32::INFINITY)), s(f32::INFINITY), r);
    let r = F32x4::select(x.eq(s(0.0)), s(f32::NEG_INFINITY), r);
    // x < 0 or NaN
    F32x4::select(x.ge(s(0.0)), r, s(f32::NAN))
}

/// ln(1 + x), accurate for tiny x: log(u)·x/(u−1) with u = 1 + x cancels the rounding of u.
#[inline(always)]
pub fn log1p(x: F32x4) -> F32x4 {
    let u = x.add(s(1.0));
    let d = u.sub(s(1.0));
    let r = log(u).mul(x.div(d));
    let r = F32x4::select(d.eq(s(0.0)), x, r);
    F32x4::select(x.eq(s(f32::INFINITY)), x, r)
}

/// 1 / (1 + e^−x), accurate in both tails.
#[inline(always)]
pub fn sigmoid(x: F32x4) -> F32x4 {
    let e = exp(x.abs().neg());
    let r = s(1.0).div(s(1.0).add(e));
    // x < 0: e/(1+e) keeps relative accuracy down into subnormals.
    F32x4::select(x.ge(s(0.0)), r, e.mul(r))
}

/// Hyperbolic tangent.
#[inline(always)]
pub fn tanh(x: F32x4) -> F32x4 {
    let a = x.abs();
    // Small |x|: odd polynomial (Cephes tanhf), no cancellation near 0.
    let z = x.mul(x);
    let p = s(-5.704_988_7e-3);
    let p = p.madd(z, s(2.063_908_9e-2));
    let p = p.madd(z, s(-5.373_971_6e-2));
    let p = p.madd(z, s(1.333_144_2e-1));
    let p = p.madd(z, s(-3.333_328_2e-1));
    let small = p.mul(z).madd(x, x);
    // Large |x|: 1 − 2/(e^{2|x|} + 1); tanh is 1 in f32 from |x| = 9.1 on, so clamping at 10
    // keeps e^{2|x|} finite (and exp on its fast path).
    let ac = a.pmin(s(10.0));
    let e = exp(ac.add(ac));
    let big = s(1.0).sub(s(2.0).div(e.add(s(1.0))));
    let sign = x.and(s(-0.0));
    // Both branches have the sign of x (this also keeps tanh(−0) = −0); a NaN fails the
    // comparison and takes the polynomial, which is NaN.
    F32x4::select(a.ge(s(0.625)), big, small).or(sign)
}

/// The lower tail ½·erfc(|x|/√2) of the standard normal as two factors (f, g), g = e^{−x²/2}
/// the only one that can underflow: multiplying by f first keeps x·f·g accurate where the
/// tail itself is subnormal. Inputs are clamped to ±20 (beyond, the tail is 0 in f32).
#[inline(always)]
fn normal_tail(x: F32x4) -> (F32x4, F32x4) {
    // erfc(z) for z ≥ 0 (Numerical Recipes erfcc, fractional error < 1.2e-7).
    let x = x.pmax(s(-20.0)).pmin(s(20.0));
    let z = x.abs().mul(s(std::f32::consts::FRAC_1_SQRT_2));
    let t = s(1.0).div(z.madd(s(0.5), s(1.0)));
    let p = s(0.170_872_77);
    let p = p.madd(t, s(-0.822_152_23));
    let p = p.madd(t, s(1.488_515_9));
    let p = p.madd(t, s(-1.135_203_98));
    let p = p.madd(t, s(0.278_868_07));
    let p = p.madd(t, s(-0.186_288_06));
    let p = p.madd(t, s(0.096_784_18));
    let p = p.madd(t, s(0.374_091_96));
    let p = p.madd(t, s(1.000_023_7));
    let p = p.madd(t, s(-1.265_512_2));
    // exp(−z² + p) with z² = x²/2 kept as hi + lo (Dekker split, no FMA needed): rounding
    // z² alone would cost ~1e-7·x² relative error in the far tail.
    let c = x.mul(s(4097.0));
    let xh = c.sub(c.sub(x));
    let xl = x.sub(xh);
    let hi = x.mul(x);
    let lo = xh.mul(xh).sub(hi).add(xh.mul(xl).mul(s(2.0))).add(xl.mul(xl));
    let f = t.mul(s(0.5)).mul(exp(p.sub(lo.mul(s(0.5)))));
    (f, exp(hi.mul(s(-0.5))))
}

/// Standard normal CDF Φ(x) = ½·erfc(−x/√2), with relative accuracy in the lower tail.
#[inline(always)]
pub fn phi(x: F32x4) -> F32x4 {
    let (f, g) = normal_tail(x);
    let half = f.mul(g);
    let y = F32x4::select(x.lt(s(0.0)), half, s(1.0).sub(half));
    F32x4::select(x.eq(x), y, x)
}

/// log(1 + e^x) = max(x, 0) + log1p(e^−|x|): no overflow, relative accuracy in both tails.
#[inline(always)]
pub fn softplus(x: F32x4) -> F32x4 {
    // the log1p term is NaN for a NaN x, whatever pmax gives
    x.pmax(s(0.0)).add(log1p(exp(x.abs().neg())))
}

/// gelu(x) = x·Φ(x) (the exact form, as TF.js `gelu` with approximate = false).
#[inline(always)]
pub fn gelu(x: F32x4) -> F32x4 {
    let (f, g) = normal_tail(x);
    let upper = x.mul(s(1.0).sub(f.mul(g)));
    // x·f first: the tail f·g may be subnormal where x·f·g is not. g = 0 means gelu = 0
    // (also for x = −inf, where x·f·g would be −inf·0).
    let lower = F32x4::select(g.eq(s(0.0)), s(0.0), x.mul(f).mul(g));
    let y = F32x4::select(x.lt(s(0.0)), lower, upper);
    F32x4::select(x.eq(x), y, x)
}

/// Scalar conveniences over lane 0.
#[inline(always)]
pub fn exp1(x: f32) -> f32 {
    exp(F32x4::splat(x)).lane0()
}
#[inline(always)]
pub fn log1(x: f32) -> f32 {
    log(F32x4::splat(x)).lane0()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points: a dense linear sweep over [lo, hi] plus specials.
    fn sweep(lo: f32, hi: f32, n: usize) -> Vec<f32> {
        (0..=n).map(|i| lo + (hi - lo) * (i as f32 / n as f32)).collect()
    }

    /// Every 97th float bit pattern in [lo, hi] (both positive), covering all exponents.
    fn bit_sweep(lo: f32, hi: f32) -> Vec<f32> {
        let (a, b) = (lo.to_bits(), hi.to_bits());
        (a..=b).step_by(97).map(f32::from_bits).collect()
    }

    /// Max relative error of `f` vs `g` over xs where the reference is a normal f32.
    fn max_rel(xs: &[f32], f: fn(F32x4) -> F32x4, g: fn(f64) -> f64) -> (f64, f32) {
        let mut worst = (0.0f64, 0.0f32);
        for c in xs.chunks(4) {
            let y = f(F32x4::load_partial(c, c[0])).to_array();
            for (i, &x) in c.iter().enumerate() {
                let r = g(x as f64);
                if !r.is_finite() || r.abs() < f32::MIN_POSITIVE as f64 || r.abs() > f32::MAX as f64 {
                    continue;
                }
                let e = ((y[i] as f64 - r) / r).abs();
                if e.is_nan() || e > worst.0 {
                    worst = (e, x);
                }
            }
        }
        worst
    }

    fn all_points() -> Vec<f32> {
        let mut xs = sweep(-120.0, 120.0, 2_000_000);
        let pos = bit_sweep(f32::from_bits(1), f32::MAX);
        xs.extend(pos.iter().copied());
        xs.extend(pos.iter().map(|v| -v));
        xs
    }

    fn check1(f: fn(F32x4) -> F32x4, x: f32) -> f32 {
        f(F32x4::splat(x)).lane0()
    }

    #[test]
    fn exp_accuracy() {
        let xs = all_points();
        let (e, at) = max_rel(&xs, exp, f64::exp);
        println!("exp max rel err {e:.3e} at {at}");
        assert!(e < 1.5e-7, "exp rel err {e} at {at}");
        // subnormal results: within one subnormal step
        for x in sweep(-103.9, -87.4, 100_000) {
            let y = check1(exp, x) as f64;
            let r = (x as f64).exp();
            assert!((y - r).abs() <= f32::from_bits(1) as f64, "exp({x}) = {y} vs {r}");
        }
        assert_eq!(check1(exp, f32::INFINITY), f32::INFINITY);
        assert_eq!(check1(exp, 88.8), f32::INFINITY);
        assert_eq!(check1(exp, 1e30), f32::INFINITY);
        assert_eq!(check1(exp, f32::NEG_INFINITY), 0.0);
        assert_eq!(check1(exp, -104.0), 0.0);
        assert_eq!(check1(exp, -1e30), 0.0);
        assert!(check1(exp, f32::NAN).is_nan());
        assert_eq!(check1(exp, 0.0), 1.0);
        assert!(check1(exp, 88.72) < f32::INFINITY);
    }

    #[test]
    fn log_accuracy() {
        let xs = bit_sweep(f32::from_bits(1), f32::MAX);
        let (e, at) = max_rel(&xs, log, f64::ln);
        println!("log max rel err {e:.3e} at {at}");
        // near 1 the result is tiny: measure absolute error there
        let mut abs = 0.0f64;
        for x in sweep(0.7, 1.4, 1_000_000) {
            abs = abs.max((check1(log, x) as f64 - (x as f64).ln()).abs());
        }
        println!("log max abs err near 1 {abs:.3e}");
        assert!(e < 1.5e-7 && abs < 5e-8, "log rel err {e} at {at}, abs {abs}");
        assert_eq!(check1(log, 0.0), f32::NEG_INFINITY);
        assert_eq!(check1(log, -0.0), f32::NEG_INFINITY);
        assert_eq!(check1(log, f32::INFINITY), f32::INFINITY);
        assert!(check1(log, -1.0).is_nan());
        assert!(check1(log, f32::NAN).is_nan());
        assert!(check1(log, f32::NEG_INFINITY).is_nan());
        assert_eq!(check1(log, 1.0), 0.0);
        let l = check1(log, f32::from_bits(1)) as f64;
        assert!((l - (f32::from_bits(1) as f64).ln()).abs() < 1e-5);
    }

    #[test]
    fn log1p_accuracy() {
        let mut xs = bit_sweep(f32::from_bits(1), f32::MAX);
        xs.extend(bit_sweep(f32::from_bits(1), 0.999_999).iter().map(|v| -v));
        let (e, at) = max_rel(&xs, log1p, f64::ln_1p);
        println!("log1p max rel err {e:.3e} at {at}");
        assert!(e < 3e-7, "log1p rel err {e} at {at}");
        assert_eq!(check1(log1p, -1.0), f32::NEG_INFINITY);
        assert_eq!(check1(log1p, f32::INFINITY), f32::INFINITY);
        assert!(check1(log1p, -2.0).is_nan());
        assert!(check1(log1p, f32::NAN).is_nan());
        assert_eq!(check1(log1p, 1e-30), 1e-30);
    }

    #[test]
    fn tanh_accuracy() {
        let xs = all_points();
        let (e, at) = max_rel(&xs, tanh, f64::tanh);
        println!("tanh max rel err {e:.3e} at {at}");
        assert!(e < 2.5e-7, "tanh rel err {e} at {at}");
        assert_eq!(check1(tanh, 1e-30), 1e-30);
        assert_eq!(check1(tanh, 100.0), 1.0);
        assert_eq!(check1(tanh, -100.0), -1.0);
        assert_eq!(check1(tanh, f32::INFINITY), 1.0);
        assert_eq!(check1(tanh, f32::NEG_INFINITY), -1.0);
        assert!(check1(tanh, f32::NAN).is_nan());
        assert!(check1(tanh, -0.0).is_sign_negative());
    }

    #[test]
    fn sigmoid_accuracy() {
        let xs = all_points();
        let (e, at) = max_rel(&xs, sigmoid, |x| 1.0 / (1.0 + (-x).exp()));
        println!("sigmoid max rel err {e:.3e} at {at}");
        assert!(e < 3e-7, "sigmoid rel err {e} at {at}");
        assert_eq!(check1(sigmoid, f32::INFINITY), 1.0);
        assert_eq!(check1(sigmoid, f32::NEG_INFINITY), 0.0);
        assert_eq!(check1(sigmoid, 0.0), 0.5);
        assert!(check1(sigmoid, f32::NAN).is_nan());
        assert!(check1(sigmoid, -100.0) > 0.0);
    }

    fn phi_ref(x: f64) -> f64 {
        // Φ via a high-precision erfc (W. J. Cody's rational approximations are overkill here;
        // integrate the density with Simpson's rule on a fine grid instead).
        fn density(t: f64) -> f64 {
            (-0.5 * t * t).exp() / (2.0 * std::f64::consts::PI).sqrt()
        }
        let (a, b, sign) = if x < 0.0 { (x - 10.0, x, 1.0) } else { (x, x + 10.0, -1.0) };
        let n = 20_000;
        let h = (b - a) / n as f64;
        let mut sum = density(a) + density(b);
        for i in 1..n {
            sum += density(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        let tail = sum * h / 3.0;
        if sign > 0.0 {
            tail
        } else {
            1.0 - tail
        }
    }

    /// Φ in f64 to ~1e-15: the erf series near 0, the erfc continued fraction in the tails.
    fn phi64(x: f64) -> f64 {
        let z = x.abs() * std::f64::consts::FRAC_1_SQRT_2;
        let erfc = if z < 2.5 {
            let (mut term, mut sum, z2) = (z, z, z * z);
            for n in 1..200 {
                term *= -z2 / n as f64;
                let t = term / (2 * n + 1) as f64;
                sum += t;
                if t.abs() < 1e-17 * sum.abs() {
                    break;
                }
            }
            1.0 - sum * 2.0 / std::f64::consts::PI.sqrt()
        } else {
            // erfc(z) = e^−z²/√π · 1/(z + 1/2/(z + 1/(z + 3/2/(z + …)))) by Lentz's method
            let tiny = 1e-300;
            let (mut f, mut c, mut d) = (z, z, 0.0);
            for n in 1..500 {
                let a = n as f64 * 0.5;
                d = z + a * d;
                d = if d == 0.0 { tiny } else { 1.0 / d };
                c = z + a / c;
                if c == 0.0 {
                    c = tiny;
                }
                let delta = c * d;
                f *= delta;
                if (delta - 1.0).abs() < 1e-16 {
                    break;
                }
            }
            (-z * z).exp() / std::f64::consts::PI.sqrt() / f
        };
        if x < 0.0 {
            0.5 * erfc
        } else {
            1.0 - 0.5 * erfc
        }
    }

    #[test]
    fn phi64_is_accurate() {
        // against the Simpson reference at a few points, and known values
        for &x in &[-12.0, -5.5, -2.6, -1.0, -0.1, 0.0, 0.3, 2.4, 6.0] {
            let (a, b) = (phi64(x), phi_ref(x));
            assert!(((a - b) / b).abs() < 1e-9, "phi64({x}) = {a} vs {b}");
        }
        assert!((phi64(-1.0) - 0.158_655_253_931_457_05).abs() < 1e-15);
    }

    /// Every 251st float bit pattern of both signs and a dense sweep of [lo, hi].
    fn all_points_sparse(lo: f32, hi: f32) -> Vec<f32> {
        let pos: Vec<f32> = (1u32..=f32::MAX.to_bits()).step_by(251).map(f32::from_bits).collect();
        let mut xs = sweep(lo, hi, 400_000);
        xs.extend(pos.iter().copied());
        xs.extend(pos.iter().map(|v| -v));
        xs
    }

    #[test]
    fn softplus_accuracy() {
        let xs = all_points_sparse(-100.0, 40.0);
        let (e, at) = max_rel(&xs, softplus, |x| x.max(0.0) + (-x.abs()).exp().ln_1p());
        println!("softplus max rel err {e:.3e} at {at}");
        assert!(e < 3e-7, "softplus rel err {e} at {at}");
        // subnormal results: within one subnormal step of e^x
        for x in sweep(-103.9, -87.4, 10_000) {
            let y = check1(softplus, x) as f64;
            assert!((y - (x as f64).exp()).abs() <= f32::from_bits(1) as f64, "softplus({x}) = {y}");
        }
        assert_eq!(check1(softplus, f32::INFINITY), f32::INFINITY);
        assert_eq!(check1(softplus, f32::NEG_INFINITY), 0.0);
        assert_eq!(check1(softplus, 1e30), 1e30);
        assert_eq!(check1(softplus, -1e30), 0.0);
        assert!(check1(softplus, f32::NAN).is_nan());
        assert_eq!(check1(softplus, f32::from_bits(1)), 2f32.ln());
    }

    #[test]
    fn gelu_accuracy() {
        let xs = all_points_sparse(-14.0, 8.0);
        let (e, at) = max_rel(&xs, gelu, |x| x * phi64(x));
        println!("gelu max rel err {e:.3e} at {at}");
        assert!(e < 6e-7, "gelu rel err {e} at {at}");
        // subnormal results
        for x in sweep(-14.5, -13.1, 20_000) {
            let y = check1(gelu, x) as f64;
            let r = x as f64 * phi64(x as f64);
            if r.abs() < f32::MIN_POSITIVE as f64 {
                assert!((y - r).abs() <= 16.0 * f32::from_bits(1) as f64, "gelu({x}) = {y} vs {r}");
            }
        }
        assert_eq!(check1(gelu, f32::INFINITY), f32::INFINITY);
        assert_eq!(check1(gelu, f32::NEG_INFINITY), 0.0);
        assert_eq!(check1(gelu, -1e30), 0.0);
        assert_eq!(check1(gelu, 1e30), 1e30);
        assert_eq!(check1(gelu, 0.0), 0.0);
        assert!(check1(gelu, f32::NAN).is_nan());
        let tiny = f32::from_bits(1000);
        assert_eq!(check1(gelu, tiny), tiny * 0.5);
    }

    #[test]
    fn phi_accuracy() {
        let xs = sweep(-13.0, 8.0, 5_000);
        let (e, at) = max_rel(&xs, phi, phi_ref);
        println!("phi max rel err {e:.3e} at {at}");
        assert!(e < 6e-7, "phi rel err {e} at {at}");
        assert_eq!(check1(phi, f32::INFINITY), 1.0);
        assert_eq!(check1(phi, f32::NEG_INFINITY), 0.0);
        assert!(check1(phi, f32::NAN).is_nan());
    }
}
