//! Element-wise kernels over contiguous arrays: unary ops and their gradients, affine, clip,
//! where, fill, casts. Every op is written once on `F32x4`; array tails go through a
//! zero-padded vector so tails and bodies compute identically.

use crate::approx;
use crate::parallel::{self, ELEMENTS_PER_NS};
use crate::trig;
use crate::simd::{F32x4, I32x4};

/// Unary op codes (the position is the ABI code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg, Abs, Exp, Log, Sqrt, Rsqrt, Square, Reciprocal,
    Relu, Sigmoid, Tanh, Softplus, Sign, Floor, Ceil, Round,
    Step, Log1p, Elu, Selu, Gelu, Relu6, LeakyRelu,
    // trigonometric, hyperbolic and error functions (trig.rs)
    Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh, Expm1, Erf,
}

impl UnaryOp {
    pub const ALL: [UnaryOp; 36] = {
        use UnaryOp::*;
        [
            Neg, Abs, Exp, Log, Sqrt, Rsqrt, Square, Reciprocal, Relu, Sigmoid, Tanh, Softplus,
            Sign, Floor, Ceil, Round, Step, Log1p, Elu, Selu, Gelu, Relu6, LeakyRelu,
            Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh, Expm1, Erf,
        ]
    };
    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }
}

/// Unary gradient op codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryGradOp {
    Relu, Sigmoid, Tanh, LeakyRelu, Elu, Selu, Gelu, Softplus, Relu6,
}

impl UnaryGradOp {
    pub const ALL: [UnaryGradOp; 9] = {
        use UnaryGradOp::*;
        [Relu, Sigmoid, Tanh, LeakyRelu, Elu, Selu, Gelu, Softplus, Relu6]
    };
    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }
}

pub const SELU_ALPHA: f32 = 1.673_263_2;
pub const SELU_SCALE: f32 = 1.050_701;
const INV_SQRT_2PI: f32 = 0.398_942_3;

// ---- loop helpers ------------------------------------------------------------------------

/// Loads lanes i..i+len (len ≤ 4) of `s`, zero-padded.
#[inline(always)]
pub(crate) fn ld(s: &[f32], i: usize, len: usize) -> F32x4 {
    if len == 4 {
        F32x4::from_slice(&s[i..i + 4])
    } else {
        F32x4::load_partial(&s[i..i + len], 0.0)
    }
}

/// Stores the first `len` lanes of `v` at s[i..].
#[inline(always)]
pub(crate) fn st(v: F32x4, s: &mut [f32], i: usize, len: usize) {
    if len == 4 {
        v.write_to(&mut s[i..i + 4])
    } else {
        v.write_partial(&mut s[i..i + len])
    }
}

/// out[i] = f(x[i]) for i < out.len().
#[inline(always)]
pub(crate) fn map1(x: &[f32], out: &mut [f32], f: impl Fn(F32x4) -> F32x4) {
    let x = &x[..out.len()];
    // Four independent vectors per iteration: the approximations are long dependency chains
    // (polynomial, then a divide), and interleaving them keeps the SIMD units busy.
    let mut x16 = x.chunks_exact(16);
    let mut o16 = out.chunks_exact_mut(16);
    for (xv, ov) in (&mut x16).zip(&mut o16) {
        let y0 = f(F32x4::from_slice(&xv[0..4]));
        let y1 = f(F32x4::from_slice(&xv[4..8]));
        let y2 = f(F32x4::from_slice(&xv[8..12]));
        let y3 = f(F32x4::from_slice(&xv[12..16]));
        y0.write_to(&mut ov[0..4]);
        y1.write_to(&mut ov[4..8]);
        y2.write_to(&mut ov[8..12]);
        y3.write_to(&mut ov[12..16]);
    }
    let mut xc = x16.remainder().chunks_exact(4);
    let mut oc = o16.into_remainder().chunks_exact_mut(4);
    for (xv, ov) in (&mut xc).zip(&mut oc) {
        f(F32x4::from_slice(xv)).write_to(ov);
    }
    let rest = oc.into_remainder();
    if !rest.is_empty() {
        f(F32x4::load_partial(xc.remainder(), 0.0)).write_partial(rest);
    }
}

/// The data of a one-input element-wise kernel: separate input and output, or one buffer
/// updated in place.
pub enum InOut<'a> {
    Split(&'a [f32], &'a mut [f32]),
    InPlace(&'a mut [f32]),
}

impl InOut<'_> {
    /// Runs `f` on the whole, or on chunks of it as parallel tasks when the pass is big
    /// enough (crate::parallel). Every element is computed alike in any chunk (tails go
    /// through a padded vector), so the bits do not depend on the split.
    pub fn split_for_threads(self, elements_per_ns: usize, f: impl Fn(InOut) + Sync) {
        match self {
            InOut::InPlace(xs) => parallel::for_each_range(xs, elements_per_ns, 64, |_, c| f(InOut::InPlace(c))),
            InOut::Split(x, out) => parallel::for_each_range(out, elements_per_ns, 64, |r, o| f(InOut::Split(&x[r], o))),
        }
    }
}

/// map1 over either form of `InOut`.
#[inline(always)]
fn map_io(io: InOut, f: impl Fn(F32x4) -> F32x4) {
    match io {
        InOut::Split(x, out) => map1(x, out, f),
        InOut::InPlace(xs) => {
            let mut it = xs.chunks_exact_mut(4);
            for v in &mut it {
                f(F32x4::from_slice(v)).write_to(v);
            }
            let rest = it.into_remainder();
            if !rest.is_empty() {
                f(F32x4::load_partial(rest, 0.0)).write_partial(rest);
            }
        }
    }
}

/// out[i] = f(a[i], b[i]) for i < out.len().
#[inline(always)]
pub(crate) fn map2(a: &[f32], b: &[f32], out: &mut [f32], f: impl Fn(F32x4, F32x4) -> F32x4) {
    let n = out.len();
    let (a, b) = (&a[..n], &b[..n]);
    let mut ac = a.chunks_exact(4);
    let mut bc = b.chunks_exact(4);
    let mut oc = out.chunks_exact_mut(4);
    for ((av, bv), ov) in (&mut ac).zip(&mut bc).zip(&mut oc) {
        f(F32x4::from_slice(av), F32x4::from_slice(bv)).write_to(ov);
    }
    let rest = oc.into_remainder();
    if !rest.is_empty() {
        let av = F32x4::load_partial(ac.remainder(), 0.0);
        let bv = F32x4::load_partial(bc.remainder(), 0.0);
        f(av, bv).write_partial(rest);
    }
}

/// out[i] = f(a[i], b[i], c[i]) for i < out.len().
#[inline(always)]
pub(crate) fn map3(a: &[f32], b: &[f32], c: &[f32], out: &mut [f32], f: impl Fn(F32x4, F32x4, F32x4) -> F32x4) {
    let n = out.len();
    let (a, b, c) = (&a[..n], &b[..n], &c[..n]);
    let mut i = 0;
    while i < n {
        let len = (n - i).min(4);
        st(f(ld(a, i, len), ld(b, i, len), ld(c, i, len)), out, i, len);
        i += 4;
    }
}

/// y[i] = f(y[i], x[i]).
#[inline(always)]
pub(crate) fn zip_in_place(y: &mut [f32], x: &[f32], f: impl Fn(F32x4, F32x4) -> F32x4) {
    let x = &x[..y.len()];
    let mut yc = y.chunks_exact_mut(4);
    let mut xc = x.chunks_exact(4);
    for (yv, xv) in (&mut yc).zip(&mut xc) {
        f(F32x4::from_slice(yv), F32x4::from_slice(xv)).write_to(yv);
    }
    let rest = yc.into_remainder();
    if !rest.is_empty() {
        let v = f(F32x4::load_partial(rest, 0.0), F32x4::load_partial(xc.remainder(), 0.0));
        v.write_partial(rest);
    }
}

// ---- simple kernels ----------------------------------------------------------------------

pub fn fill_f32(out: &mut [f32], value: f32) {
    out.fill(value);
}

pub fn fill_i32(out: &mut [i32], value: i32) {
    out.fill(value);
}

/// c *= beta, where beta = 0 writes zeros without reading c.
pub fn scale_in_place(c: &mut [f32], beta: f32) {
    if beta == 0.0 {
        c.fill(0.0);
    } else if beta != 1.0 {
        let vb = F32x4::splat(beta);
        let mut it = c.chunks_exact_mut(4);
        for v in &mut it {
            F32x4::from_slice(v).mul(vb).write_to(v);
        }
        for v in it.into_remainder() {
            *v *= beta;
        }
    }
}

/// float32 → int32, truncating toward zero; saturates, NaN → 0.
pub fn cast_f32_i32(x: &[f32], out: &mut [i32]) {
    parallel::for_each_range(out, ELEMENTS_PER_NS, 64, |r, o| cast_f32_i32_chunk(&x[r], o));
}

fn cast_f32_i32_chunk(x: &[f32], out: &mut [i32]) {
    let x = &x[..out.len()];
    let mut xc = x.chunks_exact(4);
    let mut oc = out.chunks_exact_mut(4);
    for (xv, ov) in (&mut xc).zip(&mut oc) {
        // SAFETY: ov has exactly 4 elements.
        unsafe { F32x4::from_slice(xv).to_i32().store(ov.as_mut_ptr()) };
    }
    for (o, &v) in oc.into_remainder().iter_mut().zip(xc.remainder()) {
        *o = v as i32;
    }
}

/// int32 → float32 (round to nearest).
pub fn cast_i32_f32(x: &[i32], out: &mut [f32]) {
    parallel::for_each_range(out, ELEMENTS_PER_NS, 64, |r, o| cast_i32_f32_chunk(&x[r], o));
}

fn cast_i32_f32_chunk(x: &[i32], out: &mut [f32]) {
    let x = &x[..out.len()];
    let mut xc = x.chunks_exact(4);
    let mut oc = out.chunks_exact_mut(4);
    for (xv, ov) in (&mut xc).zip(&mut oc) {
        assert!(xv.len() == 4);
        // SAFETY: xv has exactly 4 elements.
        let v = unsafe { I32x4::load(xv.as_ptr()) };
        v.to_f32().write_to(ov);
    }
    for (o, &v) in oc.into_remainder().iter_mut().zip(xc.remainder()) {
        *o = v as f32;
    }
}

/// out = x·scale + shift.
pub fn affine(io: InOut, scale: f32, shift: f32) {
    let (vs, vt) = (F32x4::splat(scale), F32x4::splat(shift));
    io.split_for_threads(ELEMENTS_PER_NS, |io| map_io(io, |v| v.madd(vs, vt)));
}

/// out = min(max(x, lo), hi); NaN stays NaN.
pub fn clip(io: InOut, lo: f32, hi: f32) {
    let (vl, vh) = (F32x4::splat(lo), F32x4::splat(hi));
    io.split_for_threads(ELEMENTS_PER_NS, |io| map_io(io, |v| v.max(vl).min(vh)));
}

/// out = cond != 0 ? a : b (a NaN cond counts as true).
pub fn where_(cond: &[f32], a: &[f32], b: &[f32], out: &mut [f32]) {
    let z = F32x4::zero();
    parallel::for_each_range(out, ELEMENTS_PER_NS, 64, |r, o| {
        map3(&cond[r.clone()], &a[r.clone()], &b[r], o, |c, x, y| F32x4::select(c.ne(z), x, y))
    });
}

// ---- unary ops ---------------------------------------------------------------------------

#[inline(always)]
fn s(v: f32) -> F32x4 {
    F32x4::splat(v)
}

/// e^x − 1 (absolute error ~1e-7 near 0).
#[inline(always)]
fn expm1(x: F32x4) -> F32x4 {
    approx::exp(x).sub(s(1.0))
}

// Activations and their derivatives, shared with the fused bias + activation kernels.

#[inline(always)]
pub(crate) fn elu(v: F32x4, alpha: F32x4) -> F32x4 {
    F32x4::select(v.gt(s(0.0)), v, alpha.mul(expm1(v)))
}

#[inline(always)]
pub(crate) fn selu(v: F32x4) -> F32x4 {
    let neg = s(SELU_ALPHA).mul(expm1(v));
    F32x4::select(v.gt(s(0.0)), v, neg).mul(s(SELU_SCALE))
}

#[inline(always)]
pub(crate) fn relu6(v: F32x4) -> F32x4 {
    v.max(s(0.0)).min(s(6.0))
}

/// dy·relu'(x), relu'(0) = 0 (as TF.js); dy·0 is 0 even for infinite dy.
#[inline(always)]
pub(crate) fn relu_grad(x: F32x4, g: F32x4) -> F32x4 {
    F32x4::select(x.gt(s(0.0)), g, s(0.0))
}

/// as TF.js: relu6' = 1 on (0, 6]
#[inline(always)]
pub(crate) fn relu6_grad(x: F32x4, g: F32x4) -> F32x4 {
    F32x4::select(x.gt(s(0.0)).and(x.le(s(6.0))), g, s(0.0))
}

#[inline(always)]
pub(crate) fn sigmoid_grad(y: F32x4, g: F32x4) -> F32x4 {
    g.mul(y).mul(s(1.0).sub(y))
}

#[inline(always)]
pub(crate) fn tanh_grad(y: F32x4, g: F32x4) -> F32x4 {
    g.mul(s(1.0).sub(y.mul(y)))
}

#[inline(always)]
pub(crate) fn elu_grad(x: F32x4, g: F32x4, alpha: F32x4) -> F32x4 {
    F32x4::select(x.gt(s(0.0)), g, g.mul(alpha).mul(approx::exp(x)))
}

#[inline(always)]
pub(crate) fn selu_grad(x: F32x4, g: F32x4) -> F32x4 {
    let d = F32x4::select(x.gt(s(0.0)), s(1.0), s(SELU_ALPHA).mul(approx::exp(x)));
    g.mul(d.mul(s(SELU_SCALE)))
}

#[inline(always)]
pub(crate) fn gelu_grad(x: F32x4, g: F32x4) -> F32x4 {
    let pdf = approx::exp(x.mul(x).mul(s(-0.5))).mul(s(INV_SQRT_2PI));
    let xpdf = F32x4::select(pdf.eq(s(0.0)), s(0.0), x.mul(pdf));
    g.mul(approx::phi(x).add(xpdf))
}

#[inline(always)]
pub(crate) fn softplus_grad(x: F32x4, g: F32x4) -> F32x4 {
    g.mul(approx::sigmoid(x))
}

/// out[i] = op(x[i]); `alpha` is the slope of leakyRelu and the α of elu.
pub fn unary(op: UnaryOp, io: InOut, alpha: f32) {
    io.split_for_threads(ELEMENTS_PER_NS, |io| unary_chunk(op, io, alpha));
}

fn unary_chunk(op: UnaryOp, io: InOut, alpha: f32) {
    let a = s(alpha);
    let zero = s(0.0);
    let one = s(1.0);
    match op {
        UnaryOp::Neg => map_io(io, |v| v.neg()),
        UnaryOp::Abs => map_io(io, |v| v.abs()),
        UnaryOp::Exp => map_io(io, approx::exp),
        UnaryOp::Log => map_io(io, approx::log),
        UnaryOp::Sqrt => map_io(io, |v| v.sqrt()),
        UnaryOp::Rsqrt => map_io(io, |v| one.div(v.sqrt())),
        UnaryOp::Square => map_io(io, |v| v.mul(v)),
        UnaryOp::Reciprocal => map_io(io, |v| one.div(v)),
        UnaryOp::Relu => map_io(io, |v| v.max(zero)),
        UnaryOp::Sigmoid => map_io(io, approx::sigmoid),
        UnaryOp::Tanh => map_io(io, approx::tanh),
        UnaryOp::Softplus => map_io(io, approx::softplus),
        UnaryOp::Sign => map_io(io, |v| {
            // ±0 and NaN pass through
            F32x4::select(v.gt(zero), one, F32x4::select(v.lt(zero), s(-1.0), v))
        }),
        UnaryOp::Floor => map_io(io, |v| v.floor()),
        UnaryOp::Ceil => map_io(io, |v| v.ceil()),
        UnaryOp::Round => map_io(io, |v| v.round()),
        UnaryOp::Step => map_io(io, |v| F32x4::mask_to_one(v.gt(zero))),
        UnaryOp::Log1p => map_io(io, approx::log1p),
        UnaryOp::Elu => map_io(io, |v| elu(v, a)),
        UnaryOp::Selu => map_io(io, selu),
        UnaryOp::Gelu => map_io(io, approx::gelu),
        UnaryOp::Relu6 => map_io(io, relu6),
        UnaryOp::LeakyRelu => map_io(io, |v| F32x4::select(v.gt(zero), v, v.mul(a))),
        UnaryOp::Sin => map_io(io, trig::sin),
        UnaryOp::Cos => map_io(io, trig::cos),
        UnaryOp::Tan => map_io(io, trig::tan),
        UnaryOp::Asin => map_io(io, trig::asin),
        UnaryOp::Acos => map_io(io, trig::acos),
        UnaryOp::Atan => map_io(io, trig::atan),
        UnaryOp::Sinh => map_io(io, trig::sinh),
        UnaryOp::Cosh => map_io(io, trig::cosh),
        UnaryOp::Asinh => map_io(io, trig::asinh),
        UnaryOp::Acosh => map_io(io, trig::acosh),
        UnaryOp::Atanh => map_io(io, trig::atanh),
        UnaryOp::Expm1 => map_io(io, trig::expm1),
        UnaryOp::Erf => map_io(io, trig::erf),
    }
}

/// dx[i] = dy[i]·op'(…): `xy` is the op's output y for sigmoid and tanh, its input x
/// otherwise. At kinks the TF.js choice holds: relu'(0) = 0, relu6' = 1 on (0, 6]. Where the
/// derivative is a zero branch dx is 0 even for infinite dy.
pub fn unary_grad(op: UnaryGradOp, xy: &[f32], dy: &[f32], dx: &mut [f32], alpha: f32) {
    parallel::for_each_range(dx, ELEMENTS_PER_NS, 64, |r, d| unary_grad_chunk(op, &xy[r.clone()], &dy[r], d, alpha));
}

fn unary_grad_chunk(op: UnaryGradOp, xy: &[f32], dy: &[f32], dx: &mut [f32], alpha: f32) {
    let a = s(alpha);
    let zero = s(0.0);
    match op {
        UnaryGradOp::Relu => map2(xy, dy, dx, relu_grad),
        UnaryGradOp::Sigmoid => map2(xy, dy, dx, sigmoid_grad),
        UnaryGradOp::Tanh => map2(xy, dy, dx, tanh_grad),
        UnaryGradOp::LeakyRelu => map2(xy, dy, dx, |x, g| F32x4::select(x.gt(zero), g, g.mul(a))),
        UnaryGradOp::Elu => map2(xy, dy, dx, |x, g| elu_grad(x, g, a)),
        UnaryGradOp::Selu => map2(xy, dy, dx, selu_grad),
        UnaryGradOp::Gelu => map2(xy, dy, dx, gelu_grad),
        UnaryGradOp::Softplus => map2(xy, dy, dx, softplus_grad),
        UnaryGradOp::Relu6 => map2(xy, dy, dx, relu6_grad),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Rng};

    /// Φ(x) by Simpson integration of the normal density over the nearer tail.
    fn phi64(x: f64) -> f64 {
        let f = |t: f64| (-0.5 * t * t).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let (a, b) = if x < 0.0 { (x - 10.0, x) } else { (x, x + 10.0) };
        let n = 4000;
        let h = (b - a) / n as f64;
        let mut sum = f(a) + f(b);
        for i in 1..n {
            sum += f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        let tail = sum * h / 3.0;
        if x < 0.0 {
            tail
        } else {
            1.0 - tail
        }
    }

    fn unary_ref(op: UnaryOp, x: f64, alpha: f64) -> f64 {
        let (sa, ss) = (SELU_ALPHA as f64, SELU_SCALE as f64);
        match op {
            UnaryOp::Neg => -x,
            UnaryOp::Abs => x.abs(),
            UnaryOp::Exp => x.exp(),
            UnaryOp::Log => x.ln(),
            UnaryOp::Sqrt => x.sqrt(),
            UnaryOp::Rsqrt => 1.0 / x.sqrt(),
            UnaryOp::Square => x * x,
            UnaryOp::Reciprocal => 1.0 / x,
            UnaryOp::Relu => x.max(0.0),
            UnaryOp::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            UnaryOp::Tanh => x.tanh(),
            UnaryOp::Softplus => x.max(0.0) + (-x.abs()).exp().ln_1p(),
            UnaryOp::Sign => x.signum() * if x == 0.0 { 0.0 } else { 1.0 },
            UnaryOp::Floor => x.floor(),
            UnaryOp::Ceil => x.ceil(),
            UnaryOp::Round => x.round_ties_even(),
            UnaryOp::Step => (x > 0.0) as i32 as f64,
            UnaryOp::Log1p => x.ln_1p(),
            UnaryOp::Elu => if x > 0.0 { x } else { alpha * x.exp_m1() },
            UnaryOp::Selu => ss * if x > 0.0 { x } else { sa * x.exp_m1() },
            UnaryOp::Gelu => x * phi64(x),
            UnaryOp::Relu6 => x.clamp(0.0, 6.0),
            UnaryOp::LeakyRelu => if x > 0.0 { x } else { alpha * x },
            UnaryOp::Sin => x.sin(),
            UnaryOp::Cos => x.cos(),
            UnaryOp::Tan => x.tan(),
            UnaryOp::Asin => x.asin(),
            UnaryOp::Acos => x.acos(),
            UnaryOp::Atan => x.atan(),
            UnaryOp::Sinh => x.sinh(),
            UnaryOp::Cosh => x.cosh(),
            UnaryOp::Asinh => x.asinh(),
            UnaryOp::Acosh => x.acosh(),
            UnaryOp::Atanh => x.atanh(),
            UnaryOp::Expm1 => x.exp_m1(),
            UnaryOp::Erf => 2.0 * phi64(x * std::f64::consts::SQRT_2) - 1.0,
        }
    }

    #[test]
    fn unary_ops_match_reference() {
        let mut rng = Rng::new(5);
        for op in UnaryOp::ALL {
            for &n in &[1usize, 3, 4, 5, 16, 17, 19, 30, 35, 1000] {
                let mut x = rng.vec(n, -8.0, 8.0);
                if matches!(op, UnaryOp::Log | UnaryOp::Sqrt | UnaryOp::Rsqrt) {
                    x.iter_mut().for_each(|v| *v = v.abs() + 1e-3);
                }
                if op == UnaryOp::Log1p {
                    x.iter_mut().for_each(|v| *v = v.abs() - 0.9);
                }
                let alpha = 0.3;
                let mut out = vec![f32::NAN; n];
                unary(op, InOut::Split(&x, &mut out), alpha);
                let mut inplace = x.clone();
                unary(op, InOut::InPlace(&mut inplace), alpha);
                assert_eq!(out.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), inplace.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
                let want: Vec<f32> = x.iter().map(|&v| unary_ref(op, v as f64, alpha as f64) as f32).collect();
                // approximations: a few ulp relative, plus ~1e-7 absolute (expm1, gelu tail)
                assert_close(&out, &want, 1e-6, 3e-7);
            }
        }
    }

    #[test]
    fn unary_specials() {
        let x = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0, 0.0, 100.0, -100.0];
        let mut out = [0.0f32; 7];
        unary(UnaryOp::Softplus, InOut::Split(&x, &mut out), 0.0);
        assert!(out[0].is_nan());
        assert_eq!(&out[1..3], &[f32::INFINITY, 0.0]);
        assert_close(&out[3..6], &[2f32.ln(), 2f32.ln(), 100.0], 2e-7, 0.0);
        assert!((out[6] as f64 - (-100f64).exp()).abs() <= 1.5e-45); // e^−100, subnormal
        unary(UnaryOp::Gelu, InOut::Split(&x, &mut out), 0.0);
        assert!(out[0].is_nan());
        assert_eq!(&out[1..5], &[f32::INFINITY, 0.0, 0.0, 0.0]);
        unary(UnaryOp::Relu, InOut::Split(&x, &mut out), 0.0);
        assert!(out[0].is_nan());
        assert_eq!(&out[1..], &[f32::INFINITY, 0.0, 0.0, 0.0, 100.0, 0.0]);
        assert!(out[3].is_sign_positive());
        unary(UnaryOp::Sign, InOut::Split(&x, &mut out), 0.0);
        assert!(out[0].is_nan());
        assert_eq!(&out[1..], &[1.0, -1.0, 0.0, 0.0, 1.0, -1.0]);
        unary(UnaryOp::Sigmoid, InOut::Split(&x, &mut out), 0.0);
        assert_eq!(&out[1..6], &[1.0, 0.0, 0.5, 0.5, 1.0]);
        assert!(out[6] > 0.0 && out[6] < 1e-43);
    }

    #[test]
    fn unary_grads_match_finite_differences_and_formulas() {
        let mut rng = Rng::new(6);
        let alpha = 0.2f32;
        for op in UnaryGradOp::ALL {
            for &n in &[1usize, 6, 33] {
                let x = rng.vec(n, -5.0, 5.0);
                let dy = rng.vec(n, -2.0, 2.0);
                let fwd = match op {
                    UnaryGradOp::Relu => UnaryOp::Relu,
                    UnaryGradOp::Sigmoid => UnaryOp::Sigmoid,
                    UnaryGradOp::Tanh => UnaryOp::Tanh,
                    UnaryGradOp::LeakyRelu => UnaryOp::LeakyRelu,
                    UnaryGradOp::Elu => UnaryOp::Elu,
                    UnaryGradOp::Selu => UnaryOp::Selu,
                    UnaryGradOp::Gelu => UnaryOp::Gelu,
                    UnaryGradOp::Softplus => UnaryOp::Softplus,
                    UnaryGradOp::Relu6 => UnaryOp::Relu6,
                };
                let takes_y = matches!(op, UnaryGradOp::Sigmoid | UnaryGradOp::Tanh);
                let mut y = vec![0.0; n];
                unary(fwd, InOut::Split(&x, &mut y), alpha);
                let mut dx = vec![f32::NAN; n];
                unary_grad(op, if takes_y { &y } else { &x }, &dy, &mut dx, alpha);
                // central differences in f64 of the reference
                let want: Vec<f32> = x
                    .iter()
                    .zip(&dy)
                    .map(|(&xv, &g)| {
                        let (xv, h) = (xv as f64, 1e-5);
                        let d = (unary_ref(fwd, xv + h, alpha as f64) - unary_ref(fwd, xv - h, alpha as f64)) / (2.0 * h);
                        (g as f64 * d) as f32
                    })
                    .collect();
                assert_close(&dx, &want, 1e-4, 1e-5);
            }
        }
    }

    #[test]
    fn simple_kernels() {
        let x: Vec<f32> = (0..11).map(|i| i as f32 - 5.3).collect();
        let mut out = vec![0.0; 11];
        affine(InOut::Split(&x, &mut out), 2.0, 1.0);
        assert_close(&out, &x.iter().map(|v| v * 2.0 + 1.0).collect::<Vec<_>>(), 1e-7, 0.0);
        clip(InOut::Split(&x, &mut out), -1.0, 2.0);
        assert_eq!(out, x.iter().map(|v| v.clamp(-1.0, 2.0)).collect::<Vec<_>>());
        let mut y = x.clone();
        clip(InOut::InPlace(&mut y), -1.0, 2.0);
        assert_eq!(y, out);
        affine(InOut::InPlace(&mut y), 0.5, 0.0);
        assert_eq!(y, out.iter().map(|v| v * 0.5).collect::<Vec<_>>());
        let cond: Vec<f32> = (0..11).map(|i| (i % 3) as f32).collect();
        let b = vec![9.0; 11];
        where_(&cond, &x, &b, &mut out);
        for i in 0..11 {
            assert_eq!(out[i], if i % 3 != 0 { x[i] } else { 9.0 });
        }
        let mut ints = vec![0i32; 11];
        cast_f32_i32(&x, &mut ints);
        assert_eq!(ints, x.iter().map(|&v| v as i32).collect::<Vec<_>>());
        let mut back = vec![0.0; 11];
        cast_i32_f32(&ints, &mut back);
        assert_eq!(back, ints.iter().map(|&v| v as f32).collect::<Vec<_>>());
        let mut odd = [f32::NAN, 3e9, -3e9, -2.7, 2.7];
        let mut oi = [7i32; 5];
        cast_f32_i32(&odd, &mut oi);
        assert_eq!(oi, [0, i32::MAX, i32::MIN, -2, 2]);
        fill_f32(&mut odd, 1.5);
        assert_eq!(odd, [1.5; 5]);
        fill_i32(&mut oi, -4);
        assert_eq!(oi, [-4; 5]);
        let mut c = vec![f32::NAN; 7];
        scale_in_place(&mut c, 0.0);
        assert_eq!(c, vec![0.0; 7]);
    }
}
