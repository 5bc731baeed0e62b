//! SIMD trigonometric, hyperbolic and error functions on `F32x4` (the unary ops sin … erf and
//! the binary atan2), Cephes-style: a range reduction, then a short polynomial.
//!
//! Accuracy (tests below, against f64 `std` or a numerical integral): relative error within
//! 1e-6 plus 1e-7 absolute over the inputs' normal range. sin/cos/tan reduce by π/2 in three
//! parts (Cody–Waite), exact for |x| ≤ 8192; larger or non-finite lanes are recomputed in f64
//! out of line. NaN in gives NaN out.
//!
//! The public functions are not inlined: the element-wise loops call each from several places,
//! and one copy keeps the module small (these ops are not on training's hot paths).

// Coefficients are kept as published, beyond f32 precision.
#![allow(clippy::excessive_precision)]

use crate::approx;
use crate::simd::F32x4;

const FRAC_PI_2: f32 = std::f32::consts::FRAC_PI_2;
const PI: f32 = std::f32::consts::PI;
const LN_2: f32 = std::f32::consts::LN_2;
// π/2 in three parts: k·P1 and k·P2 are exact for |k| < 2^13.
const P1: f32 = 1.570_312_5;
const P2: f32 = 4.837_512_969_970_703_125e-4;
const P3: f32 = 7.549_789_954_891_882e-8;
const SHIFTER: f32 = 12_582_912.0; // 1.5·2^23: adding it rounds to an integer in the low bits
const TRIG_FAST_LIMIT: f32 = 8192.0;

#[inline(always)]
fn s(v: f32) -> F32x4 {
    F32x4::splat(v)
}

/// The sign bit of each lane.
#[inline(always)]
fn sign_of(x: F32x4) -> F32x4 {
    x.and(s(-0.0))
}

/// sin(r) and cos(r) for r in [−π/4, π/4] (Cephes sinf/cosf polynomials).
#[inline(always)]
fn sin_cos_reduced(r: F32x4) -> (F32x4, F32x4) {
    let z = r.mul(r);
    let sp = s(-1.951_529_589_1e-4).madd(z, s(8.332_160_873_6e-3)).madd(z, s(-1.666_665_461_1e-1));
    let sin = sp.mul(z).madd(r, r);
    let cp = s(2.443_315_711_809_948e-5).madd(z, s(-1.388_731_625_493_765e-3)).madd(z, s(4.166_664_568_298_827e-2));
    let cos = cp.mul(z).mul(z).add(z.madd(s(-0.5), s(1.0)));
    (sin, cos)
}

/// x = k·π/2 + r: (r, k mod 4 as a float lane 0..3).
#[inline(always)]
fn reduce_half_pi(x: F32x4) -> (F32x4, F32x4) {
    let t = x.madd(s(std::f32::consts::FRAC_2_PI), s(SHIFTER));
    let k = t.sub(s(SHIFTER));
    let r = k.mul(s(-P1)).add(x);
    let r = k.mul(s(-P2)).add(r);
    let r = k.mul(s(-P3)).add(r);
    // The low mantissa bits of t hold k (mod 2^22, in two's complement around 2^22).
    let q = t.bits().and(crate::simd::I32x4::splat(3)).to_f32();
    (r, q)
}

/// Lanes with |x| beyond the reduction's exact range (or non-finite): f64 out of line.
#[inline(never)]
fn scalar_fallback(x: F32x4, fast: F32x4, f: fn(f64) -> f64) -> F32x4 {
    let wide = x.abs().gt(s(TRIG_FAST_LIMIT)).or(x.ne(x));
    let (xa, fa, wa) = (x.to_array(), fast.to_array(), wide.to_array());
    F32x4::from_array([0, 1, 2, 3].map(|i| if wa[i].to_bits() != 0 { f(xa[i] as f64) as f32 } else { fa[i] }))
}

#[inline(always)]
fn needs_fallback(x: F32x4) -> bool {
    // NaN fails the comparison: include it explicitly.
    x.abs().gt(s(TRIG_FAST_LIMIT)).or(x.ne(x)).any()
}

#[inline(never)]
pub fn sin(x: F32x4) -> F32x4 {
    let (r, q) = reduce_half_pi(x);
    let (sr, cr) = sin_cos_reduced(r);
    // q = 0: sin r, 1: cos r, 2: −sin r, 3: −cos r
    let odd = q.eq(s(1.0)).or(q.eq(s(3.0)));
    let neg = q.ge(s(2.0)).and(s(-0.0));
    let y = F32x4::select(odd, cr, sr).xor(neg);
    let y = F32x4::select(x.eq(s(0.0)), x, y); // sin(−0) = −0
    if needs_fallback(x) { scalar_fallback(x, y, f64::sin) } else { y }
}

#[inline(never)]
pub fn cos(x: F32x4) -> F32x4 {
    let (r, q) = reduce_half_pi(x);
    let (sr, cr) = sin_cos_reduced(r);
    // q = 0: cos r, 1: −sin r, 2: −cos r, 3: sin r
    let odd = q.eq(s(1.0)).or(q.eq(s(3.0)));
    let neg = q.eq(s(1.0)).or(q.eq(s(2.0))).and(s(-0.0));
    let y = F32x4::select(odd, sr, cr).xor(neg);
    if needs_fallback(x) { scalar_fallback(x, y, f64::cos) } else { y }
}

#[inline(never)]
pub fn tan(x: F32x4) -> F32x4 {
    let (r, q) = reduce_half_pi(x);
    let (sr, cr) = sin_cos_reduced(r);
    // even q: sin r / cos r; odd q: −cos r / sin r
    let odd = q.eq(s(1.0)).or(q.eq(s(3.0)));
    let y = F32x4::select(odd, cr.neg().div(sr), sr.div(cr));
    let y = F32x4::select(x.eq(s(0.0)), x, y); // tan(−0) = −0
    if needs_fallback(x) { scalar_fallback(x, y, f64::tan) } else { y }
}

/// atan(a) for a ≥ 0 (Cephes atanf: reduction at tan(π/8) and tan(3π/8)).
#[inline(always)]
fn atan_nonneg(a: F32x4) -> F32x4 {
    let big = a.gt(s(2.414_213_562_373_095));
    let mid = a.gt(s(0.414_213_562_373_095)).andnot(big);
    let y0 = F32x4::select(big, s(FRAC_PI_2), F32x4::select(mid, s(std::f32::consts::FRAC_PI_4), s(0.0)));
    let xr = F32x4::select(big, s(-1.0).div(a), F32x4::select(mid, a.sub(s(1.0)).div(a.add(s(1.0))), a));
    let z = xr.mul(xr);
    let p = s(8.053_744_495_38e-2).madd(z, s(-1.387_768_560_32e-1)).madd(z, s(1.997_771_064_78e-1)).madd(z, s(-3.333_294_915_39e-1));
    p.mul(z).madd(xr, xr).add(y0)
}

#[inline(never)]
pub fn atan(x: F32x4) -> F32x4 {
    atan_nonneg(x.abs()).or(sign_of(x))
}

/// atan2(y, x) as JavaScript's Math.atan2 (signed zeros and infinities included).
#[inline(never)]
pub fn atan2(y: F32x4, x: F32x4) -> F32x4 {
    let (ax, ay) = (x.abs(), y.abs());
    let mx = ax.pmax(ay);
    let mn = ax.pmin(ay);
    let inf = s(f32::INFINITY);
    let r = mn.div(mx);
    let r = F32x4::select(mx.eq(s(0.0)), s(0.0), r);
    let r = F32x4::select(mx.eq(inf), F32x4::select(mn.eq(inf), s(1.0), s(0.0)), r);
    let a = atan_nonneg(r);
    let a = F32x4::select(ay.gt(ax), s(FRAC_PI_2).sub(a), a);
    // x < 0, −0 included: copysign(1, x) < 0
    let a = F32x4::select(s(1.0).or(sign_of(x)).lt(s(0.0)), s(PI).sub(a), a);
    let res = a.or(sign_of(y));
    F32x4::select(x.eq(x).and(y.eq(y)), res, s(f32::NAN))
}

/// asin(t) for |t| ≤ 0.5 (Cephes asinf polynomial).
#[inline(always)]
fn asin_small(t: F32x4) -> F32x4 {
    let z = t.mul(t);
    let p = s(4.216_319_904_8e-2)
        .madd(z, s(2.418_131_104_9e-2))
        .madd(z, s(4.547_002_599_8e-2))
        .madd(z, s(7.495_300_268_6e-2))
        .madd(z, s(1.666_675_242_2e-1));
    p.mul(z).madd(t, t)
}

#[inline(never)]
pub fn asin(x: F32x4) -> F32x4 {
    let a = x.abs();
    let big = a.gt(s(0.5));
    // |x| > 0.5: asin a = π/2 − 2·asin √((1 − a)/2) (NaN beyond 1 from the root).
    let t = F32x4::select(big, s(1.0).sub(a).mul(s(0.5)).sqrt(), a);
    let p = asin_small(t);
    let y = F32x4::select(big, s(FRAC_PI_2).sub(p.add(p)), p);
    y.or(sign_of(x))
}

#[inline(never)]
pub fn acos(x: F32x4) -> F32x4 {
    let hi = x.gt(s(0.5));
    let lo = x.lt(s(-0.5));
    // x > 0.5: 2·asin √((1 − x)/2); x < −0.5: π − 2·asin √((1 + x)/2); else π/2 − asin x.
    let t = F32x4::select(hi, s(1.0).sub(x).mul(s(0.5)).sqrt(), F32x4::select(lo, s(1.0).add(x).mul(s(0.5)).sqrt(), x));
    let p = asin_small(t);
    let twice = p.add(p);
    F32x4::select(hi, twice, F32x4::select(lo, s(PI).sub(twice), s(FRAC_PI_2).sub(p)))
}

/// e^x − 1, accurate for small |x| (Taylor series below 0.5).
#[inline(never)]
pub fn expm1(x: F32x4) -> F32x4 {
    let p = s(1.0 / 362_880.0)
        .madd(x, s(1.0 / 40_320.0))
        .madd(x, s(1.0 / 5_040.0))
        .madd(x, s(1.0 / 720.0))
        .madd(x, s(1.0 / 120.0))
        .madd(x, s(1.0 / 24.0))
        .madd(x, s(1.0 / 6.0))
        .madd(x, s(0.5));
    let small = p.mul(x).madd(x, x);
    let big = approx::exp(x).sub(s(1.0));
    // a NaN fails the comparison and takes the series, which is NaN
    F32x4::select(x.abs().ge(s(0.5)), big, small)
}

/// e^{|x|} for |x| > 9 as (½·e^{|x|/2})·e^{|x|/2}: finite up to sinh's and cosh's own overflow.
#[inline(always)]
fn half_exp_wide(a: F32x4) -> F32x4 {
    let h = approx::exp(a.mul(s(0.5)));
    h.mul(s(0.5)).mul(h)
}

#[inline(never)]
pub fn sinh(x: F32x4) -> F32x4 {
    let a = x.abs();
    let e = expm1(a.pmin(s(9.0)));
    // sinh a = (e^a − 1 + (e^a − 1)/e^a)/2, no cancellation near 0
    let near = e.add(e.div(e.add(s(1.0)))).mul(s(0.5));
    let y = F32x4::select(a.gt(s(9.0)), half_exp_wide(a), near);
    // pmin leaves a NaN lane unspecified: pass NaN through explicitly
    F32x4::select(x.eq(x), y.or(sign_of(x)), x)
}

#[inline(never)]
pub fn cosh(x: F32x4) -> F32x4 {
    let a = x.abs();
    let e = approx::exp(a.pmin(s(9.0)));
    let near = e.add(s(1.0).div(e)).mul(s(0.5));
    let y = F32x4::select(a.gt(s(9.0)), half_exp_wide(a), near);
    F32x4::select(x.eq(x), y, x)
}

#[inline(never)]
pub fn asinh(x: F32x4) -> F32x4 {
    let a = x.abs();
    // log1p(a + a²/(1 + √(1 + a²))) is accurate from tiny a on; beyond 1e4, ln 2a.
    let ac = a.pmin(s(1e4));
    let a2 = ac.mul(ac);
    let near = approx::log1p(ac.add(a2.div(s(1.0).add(a2.add(s(1.0)).sqrt()))));
    let far = approx::log(a).add(s(LN_2));
    let y = F32x4::select(a.gt(s(1e4)), far, near);
    F32x4::select(x.eq(x), y.or(sign_of(x)), x)
}

#[inline(never)]
pub fn acosh(x: F32x4) -> F32x4 {
    // log1p(t + √(t·(x + 1))) with t = x − 1: accurate near 1; beyond 1e4, ln 2x.
    let xc = x.pmin(s(1e4));
    let t = xc.sub(s(1.0));
    let near = approx::log1p(t.add(t.mul(xc.add(s(1.0))).sqrt()));
    let far = approx::log(x).add(s(LN_2));
    let y = F32x4::select(x.gt(s(1e4)), far, near);
    // x < 1 (and NaN): NaN
    F32x4::select(x.ge(s(1.0)), y, s(f32::NAN))
}

#[inline(never)]
pub fn atanh(x: F32x4) -> F32x4 {
    let a = x.abs();
    // ½·log1p(2a/(1 − a)): ±inf at ±1, NaN beyond (log1p of a value below −1)
    let y = approx::log1p(a.add(a).div(s(1.0).sub(a))).mul(s(0.5));
    y.or(sign_of(x))
}

/// The error function: its Maclaurin series below 0.5, 1 − 2·Φ(−|x|·√2) above.
#[inline(never)]
pub fn erf(x: F32x4) -> F32x4 {
    let a = x.abs();
    let z = a.mul(a);
    // 2/√π · Σ (−1)^n a^{2n+1} / (n!(2n + 1)), n ≤ 6
    let p = s(1.0 / 9_360.0)
        .madd(z, s(-1.0 / 1_320.0))
        .madd(z, s(1.0 / 216.0))
        .madd(z, s(-1.0 / 42.0))
        .madd(z, s(1.0 / 10.0))
        .madd(z, s(-1.0 / 3.0))
        .madd(z, s(1.0));
    let small = p.mul(a).mul(s(std::f32::consts::FRAC_2_SQRT_PI));
    let tail = approx::phi(a.mul(s(-std::f32::consts::SQRT_2)));
    let big = s(1.0).sub(tail.add(tail));
    let y = F32x4::select(a.ge(s(0.5)), big, small);
    F32x4::select(x.eq(x), y.or(sign_of(x)), x)
}

/// One lane at a time, for the binary ops that need exact remainders.
#[inline(always)]
pub fn lanes2(a: F32x4, b: F32x4, f: impl Fn(f32, f32) -> f32) -> F32x4 {
    let (x, y) = (a.to_array(), b.to_array());
    F32x4::from_array([0, 1, 2, 3].map(|i| f(x[i], y[i])))
}

/// a mod b with the sign of b, as tf.mod (exact: through fmod).
pub fn floor_mod(a: f32, b: f32) -> f32 {
    let r = a % b;
    if r != 0.0 && ((r < 0.0) != (b < 0.0)) { r + b } else { r }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Rng};

    fn map(f: fn(F32x4) -> F32x4, x: &[f32]) -> Vec<f32> {
        let mut out = vec![f32::NAN; x.len()];
        crate::elementwise::map1(x, &mut out, f);
        out
    }

    /// erf by Simpson integration of the Gaussian in f64.
    fn erf64(x: f64) -> f64 {
        let n = 20_000;
        let h = x / n as f64;
        let f = |t: f64| (-t * t).exp();
        let mut sum = f(0.0) + f(x);
        for i in 1..n {
            sum += f(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        sum * h / 3.0 * 2.0 / std::f64::consts::PI.sqrt()
    }

    fn check(name: &str, f: fn(F32x4) -> F32x4, r: fn(f64) -> f64, lo: f32, hi: f32, rtol: f32, atol: f32) {
        let mut rng = Rng::new(name.len() as u64 * 31 + 7);
        for &n in &[1usize, 3, 4, 5, 17, 31, 1000] {
            let x = rng.vec(n, lo, hi);
            let want: Vec<f32> = x.iter().map(|&v| r(v as f64) as f32).collect();
            let got = map(f, &x);
            for i in 0..n {
                let ok = if want[i].is_nan() { got[i].is_nan() } else if want[i].is_infinite() { got[i] == want[i] } else {
                    (got[i] - want[i]).abs() <= atol + rtol * want[i].abs()
                };
                assert!(ok, "{name}({}) = {}, want {}", x[i], got[i], want[i]);
            }
        }
    }

    #[test]
    fn functions_match_f64_over_their_ranges() {
        let (rt, at) = (1e-6, 1e-7);
        check("sin", sin, f64::sin, -10.0, 10.0, rt, at);
        check("sin wide", sin, f64::sin, -8000.0, 8000.0, rt, 2e-7);
        check("sin huge", sin, f64::sin, -1e7, 1e7, rt, at);
        check("cos", cos, f64::cos, -10.0, 10.0, rt, at);
        check("cos wide", cos, f64::cos, -8000.0, 8000.0, rt, 2e-7);
        check("tan", tan, f64::tan, -1.5, 1.5, 2e-6, at);
        check("tan wide", tan, f64::tan, -100.0, 100.0, 3e-6, 2e-7);
        check("asin", asin, f64::asin, -1.0, 1.0, rt, at);
        check("asin out of range", asin, f64::asin, 1.0001, 3.0, rt, at);
        check("acos", acos, f64::acos, -1.0, 1.0, rt, at);
        check("acos out of range", acos, f64::acos, -3.0, -1.0001, rt, at);
        check("atan", atan, f64::atan, -5.0, 5.0, rt, at);
        check("atan wide", atan, f64::atan, -1e6, 1e6, rt, at);
        check("sinh", sinh, f64::sinh, -5.0, 5.0, rt, at);
        check("sinh wide", sinh, f64::sinh, -89.0, 89.0, 2e-6, at);
        check("cosh", cosh, f64::cosh, -5.0, 5.0, rt, at);
        check("cosh wide", cosh, f64::cosh, -89.0, 89.0, 2e-6, at);
        check("asinh", asinh, f64::asinh, -5.0, 5.0, rt, at);
        check("asinh wide", asinh, f64::asinh, -1e8, 1e8, rt, at);
        check("acosh", acosh, f64::acosh, 1.0, 5.0, rt, at);
        check("acosh wide", acosh, f64::acosh, 1.0, 1e8, rt, at);
        check("acosh below 1", acosh, f64::acosh, -3.0, 0.999, rt, at);
        check("atanh", atanh, f64::atanh, -0.999, 0.999, rt, at);
        check("atanh out of range", atanh, f64::atanh, 1.001, 3.0, rt, at);
        check("expm1", expm1, f64::exp_m1, -3.0, 3.0, rt, at);
        check("expm1 small", expm1, f64::exp_m1, -1e-3, 1e-3, rt, 0.0);
        check("erf", erf, erf64, -4.0, 4.0, rt, 2e-7);
        check("erf small", erf, erf64, -0.6, 0.6, rt, 0.0);
    }

    #[test]
    fn tiny_arguments_keep_relative_accuracy() {
        let x = [1e-30f32, -3e-20, 1e-10, -2e-5, 1e-38, 0.0];
        for (name, f, r) in [
            ("sin", sin as fn(F32x4) -> F32x4, f64::sin as fn(f64) -> f64),
            ("tan", tan, f64::tan),
            ("asin", asin, f64::asin),
            ("atan", atan, f64::atan),
            ("sinh", sinh, f64::sinh),
            ("asinh", asinh, f64::asinh),
            ("atanh", atanh, f64::atanh),
            ("expm1", expm1, f64::exp_m1),
        ] {
            let got = map(f, &x);
            let want: Vec<f32> = x.iter().map(|&v| r(v as f64) as f32).collect();
            assert_close(&got, &want, 3e-7, 0.0);
            assert!(got[5] == 0.0, "{name}(0)");
        }
    }

    #[test]
    fn specials() {
        let (inf, nan) = (f32::INFINITY, f32::NAN);
        let x = [nan, inf, -inf, -0.0];
        let got = map(sin, &x);
        assert!(got[0].is_nan() && got[1].is_nan() && got[2].is_nan());
        assert!(got[3] == 0.0 && got[3].is_sign_negative());
        assert_eq!(map(cos, &x)[3], 1.0);
        assert_eq!(&map(atan, &x)[1..3], &[FRAC_PI_2, -FRAC_PI_2]);
        assert_eq!(&map(sinh, &x)[1..3], &[inf, -inf]);
        assert_eq!(&map(cosh, &x)[1..4], &[inf, inf, 1.0]);
        assert_eq!(&map(erf, &x)[1..3], &[1.0, -1.0]);
        assert_eq!(&map(expm1, &x)[1..3], &[inf, -1.0]);
        assert_eq!(&map(asinh, &x)[1..3], &[inf, -inf]);
        assert_eq!(map(acosh, &[inf, 1.0]), vec![inf, 0.0]);
        assert_eq!(map(atanh, &[1.0, -1.0]), vec![inf, -inf]);
        for f in [sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, expm1, erf] {
            assert!(map(f, &[nan])[0].is_nan());
        }
    }

    #[test]
    fn atan2_matches_javascript() {
        let mut rng = Rng::new(12);
        let ys = rng.vec(203, -4.0, 4.0);
        let xs = rng.vec(203, -4.0, 4.0);
        let mut want = Vec::new();
        let mut got = Vec::new();
        for (y, x) in ys.iter().zip(&xs) {
            want.push((*y as f64).atan2(*x as f64) as f32);
            got.push(atan2(F32x4::splat(*y), F32x4::splat(*x)).lane0());
        }
        assert_close(&got, &want, 1e-6, 1e-7);
        let (inf, nan) = (f32::INFINITY, f32::NAN);
        let cases = [
            (0.0, 0.0), (0.0, -0.0), (-0.0, 0.0), (-0.0, -0.0), (1.0, 0.0), (-1.0, 0.0), (0.0, -1.0), (-0.0, -1.0),
            (inf, inf), (inf, -inf), (-inf, inf), (-inf, -inf), (1.0, inf), (1.0, -inf), (inf, 1.0), (nan, 1.0), (1.0, nan),
            (3e-39, 1.0), (1e30, 1e-30),
        ];
        for (y, x) in cases {
            let w = (y as f64).atan2(x as f64) as f32;
            let g = atan2(F32x4::splat(y), F32x4::splat(x)).lane0();
            if w.is_nan() {
                assert!(g.is_nan(), "atan2({y}, {x}) = {g}");
            } else {
                assert!((g - w).abs() <= 1e-7 * w.abs() + 1e-45 && g.is_sign_negative() == w.is_sign_negative(), "atan2({y}, {x}) = {g}, want {w}");
            }
        }
    }

    #[test]
    fn floor_mod_has_the_divisors_sign() {
        assert_eq!(floor_mod(-5.0, 3.0), 1.0);
        assert_eq!(floor_mod(5.0, -3.0), -1.0);
        assert_eq!(floor_mod(5.5, 2.0), 1.5);
        assert_eq!(floor_mod(-5.5, 2.0), 0.5);
        assert_eq!(floor_mod(6.0, 3.0), 0.0);
        assert!(floor_mod(1.0, 0.0).is_nan());
        // exact where a − floor(a/b)·b would round
        assert_eq!(floor_mod(16_777_215.0, 0.1), (16_777_215.0f32 % 0.1f32));
    }
}
