//! A 4-lane f32 vector (`F32x4`) and its i32 companion (`I32x4`).
//!
//! On wasm32 they wrap `core::arch::wasm32::v128`; elsewhere they are `[f32; 4]` / `[i32; 4]`
//! emulations with the same lane semantics (NaN-propagating `min`/`max`, `pmin`/`pmax` as
//! `b < a ? b : a`, round-half-even `round`, saturating truncation), so host tests exercise
//! exactly the algorithms the wasm build runs. `madd` is fused only in the relaxed-simd build.
//!
//! `pmin`/`pmax` are the cheap ones, but with a NaN operand their result is unspecified: in
//! the relaxed-simd build LLVM may lower them to `relaxed_min`/`relaxed_max`, which return
//! either operand. Use them only where a NaN is handled separately; `min`/`max` always
//! propagate NaN.
//!
//! Comparisons return lane masks (all bits set or clear) as `F32x4`; combine them with the
//! bitwise ops and consume them with `select`.

// Method names follow the wasm intrinsics; no operator overloading keeps each op explicit.
#![allow(clippy::should_implement_trait)]

pub use imp::{F32x4, I32x4};

#[cfg(target_arch = "wasm32")]
mod imp {
    use core::arch::wasm32::*;

    #[derive(Clone, Copy)]
    #[repr(transparent)]
    pub struct F32x4(v128);

    #[derive(Clone, Copy)]
    #[repr(transparent)]
    pub struct I32x4(v128);

    impl F32x4 {
        #[inline(always)]
        pub fn splat(v: f32) -> Self {
            F32x4(f32x4_splat(v))
        }
        #[inline(always)]
        pub fn new(a: f32, b: f32, c: f32, d: f32) -> Self {
            F32x4(f32x4(a, b, c, d))
        }
        #[inline(always)]
        pub fn zero() -> Self {
            F32x4(f32x4_splat(0.0))
        }
        /// # Safety
        /// `p` must be valid for reading 4 f32 (any alignment).
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> Self {
            F32x4(v128_load(p as *const v128))
        }
        /// # Safety
        /// `p` must be valid for writing 4 f32 (any alignment).
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            v128_store(p as *mut v128, self.0)
        }
        #[inline(always)]
        pub fn to_array(self) -> [f32; 4] {
            let mut out = [0.0f32; 4];
            unsafe { self.store(out.as_mut_ptr()) };
            out
        }
        #[inline(always)]
        pub fn from_array(a: [f32; 4]) -> Self {
            unsafe { Self::load(a.as_ptr()) }
        }
        #[inline(always)]
        pub fn lane0(self) -> f32 {
            f32x4_extract_lane::<0>(self.0)
        }
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            F32x4(f32x4_add(self.0, o.0))
        }
        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            F32x4(f32x4_sub(self.0, o.0))
        }
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            F32x4(f32x4_mul(self.0, o.0))
        }
        #[inline(always)]
        pub fn div(self, o: Self) -> Self {
            F32x4(f32x4_div(self.0, o.0))
        }
        /// self·b + c; one fused instruction in the relaxed-simd build.
        #[inline(always)]
        pub fn madd(self, b: Self, c: Self) -> Self {
            #[cfg(target_feature = "relaxed-simd")]
            {
                F32x4(f32x4_relaxed_madd(self.0, b.0, c.0))
            }
            #[cfg(not(target_feature = "relaxed-simd"))]
            {
                F32x4(f32x4_add(f32x4_mul(self.0, b.0), c.0))
            }
        }
        /// NaN if either lane is NaN; min(-0, +0) = -0.
        #[inline(always)]
        pub fn min(self, o: Self) -> Self {
            F32x4(f32x4_min(self.0, o.0))
        }
        /// NaN if either lane is NaN; max(-0, +0) = +0.
        #[inline(always)]
        pub fn max(self, o: Self) -> Self {
            F32x4(f32x4_max(self.0, o.0))
        }
        /// `o < self ? o : self`; NaN result unspecified (see the module doc).
        #[inline(always)]
        pub fn pmin(self, o: Self) -> Self {
            F32x4(f32x4_pmin(self.0, o.0))
        }
        /// `self < o ? o : self`; NaN result unspecified (see the module doc).
        #[inline(always)]
        pub fn pmax(self, o: Self) -> Self {
            F32x4(f32x4_pmax(self.0, o.0))
        }
        #[inline(always)]
        pub fn abs(self) -> Self {
            F32x4(f32x4_abs(self.0))
        }
        #[inline(always)]
        pub fn neg(self) -> Self {
            F32x4(f32x4_neg(self.0))
        }
        #[inline(always)]
        pub fn sqrt(self) -> Self {
            F32x4(f32x4_sqrt(self.0))
        }
        #[inline(always)]
        pub fn floor(self) -> Self {
            F32x4(f32x4_floor(self.0))
        }
        #[inline(always)]
        pub fn ceil(self) -> Self {
            F32x4(f32x4_ceil(self.0))
        }
        /// Round half to even.
        #[inline(always)]
        pub fn round(self) -> Self {
            F32x4(f32x4_nearest(self.0))
        }
        #[inline(always)]
        pub fn lt(self, o: Self) -> Self {
            F32x4(f32x4_lt(self.0, o.0))
        }
        #[inline(always)]
        pub fn le(self, o: Self) -> Self {
            F32x4(f32x4_le(self.0, o.0))
        }
        #[inline(always)]
        pub fn gt(self, o: Self) -> Self {
            F32x4(f32x4_gt(self.0, o.0))
        }
        #[inline(always)]
        pub fn ge(self, o: Self) -> Self {
            F32x4(f32x4_ge(self.0, o.0))
        }
        #[inline(always)]
        pub fn eq(self, o: Self) -> Self {
            F32x4(f32x4_eq(self.0, o.0))
        }
        #[inline(always)]
        pub fn ne(self, o: Self) -> Self {
            F32x4(f32x4_ne(self.0, o.0))
        }
        #[inline(always)]
        pub fn and(self, o: Self) -> Self {
            F32x4(v128_and(self.0, o.0))
        }
        #[inline(always)]
        pub fn or(self, o: Self) -> Self {
            F32x4(v128_or(self.0, o.0))
        }
        #[inline(always)]
        pub fn xor(self, o: Self) -> Self {
            F32x4(v128_xor(self.0, o.0))
        }
        /// self & !o
        #[inline(always)]
        pub fn andnot(self, o: Self) -> Self {
            F32x4(v128_andnot(self.0, o.0))
        }
        /// Lanes of `a` where `mask` is set, else of `b`.
        #[inline(always)]
        pub fn select(mask: Self, a: Self, b: Self) -> Self {
            F32x4(v128_bitselect(a.0, b.0, mask.0))
        }
        #[inline(always)]
        pub fn any(self) -> bool {
            v128_any_true(self.0)
        }
        /// Truncation toward zero, saturating, NaN → 0.
        #[inline(always)]
        pub fn to_i32(self) -> I32x4 {
            I32x4(i32x4_trunc_sat_f32x4(self.0))
        }
        #[inline(always)]
        pub fn bits(self) -> I32x4 {
            I32x4(self.0)
        }
        #[inline(always)]
        pub fn hsum(self) -> f32 {
            let a = self.to_array();
            (a[0] + a[2]) + (a[1] + a[3])
        }
        /// Rows → columns of a 4×4 block: out[d] = (r0[d], r1[d], r2[d], r3[d]).
        #[inline(always)]
        pub fn transpose4(r0: Self, r1: Self, r2: Self, r3: Self) -> [Self; 4] {
            let t0 = i32x4_shuffle::<0, 4, 1, 5>(r0.0, r1.0);
            let t1 = i32x4_shuffle::<2, 6, 3, 7>(r0.0, r1.0);
            let t2 = i32x4_shuffle::<0, 4, 1, 5>(r2.0, r3.0);
            let t3 = i32x4_shuffle::<2, 6, 3, 7>(r2.0, r3.0);
            [
                F32x4(i64x2_shuffle::<0, 2>(t0, t2)),
                F32x4(i64x2_shuffle::<1, 3>(t0, t2)),
                F32x4(i64x2_shuffle::<0, 2>(t1, t3)),
                F32x4(i64x2_shuffle::<1, 3>(t1, t3)),
            ]
        }
    }

    impl I32x4 {
        #[inline(always)]
        pub fn splat(v: i32) -> Self {
            I32x4(i32x4_splat(v))
        }
        /// # Safety
        /// `p` must be valid for reading 4 i32.
        #[inline(always)]
        pub unsafe fn load(p: *const i32) -> Self {
            I32x4(v128_load(p as *const v128))
        }
        /// # Safety
        /// `p` must be valid for writing 4 i32.
        #[inline(always)]
        pub unsafe fn store(self, p: *mut i32) {
            v128_store(p as *mut v128, self.0)
        }
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            I32x4(i32x4_add(self.0, o.0))
        }
        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            I32x4(i32x4_sub(self.0, o.0))
        }
        #[inline(always)]
        pub fn and(self, o: Self) -> Self {
            I32x4(v128_and(self.0, o.0))
        }
        #[inline(always)]
        pub fn or(self, o: Self) -> Self {
            I32x4(v128_or(self.0, o.0))
        }
        #[inline(always)]
        pub fn shl<const N: u32>(self) -> Self {
            I32x4(i32x4_shl(self.0, N))
        }
        /// Arithmetic shift right.
        #[inline(always)]
        pub fn shr<const N: u32>(self) -> Self {
            I32x4(i32x4_shr(self.0, N))
        }
        #[inline(always)]
        pub fn to_f32(self) -> F32x4 {
            F32x4(f32x4_convert_i32x4(self.0))
        }
        #[inline(always)]
        pub fn bits(self) -> F32x4 {
            F32x4(self.0)
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    #[derive(Clone, Copy, Debug)]
    pub struct F32x4([f32; 4]);

    #[derive(Clone, Copy, Debug)]
    pub struct I32x4([i32; 4]);

    #[inline(always)]
    fn map(a: F32x4, f: impl Fn(f32) -> f32) -> F32x4 {
        F32x4([f(a.0[0]), f(a.0[1]), f(a.0[2]), f(a.0[3])])
    }
    #[inline(always)]
    fn zip(a: F32x4, b: F32x4, f: impl Fn(f32, f32) -> f32) -> F32x4 {
        F32x4([f(a.0[0], b.0[0]), f(a.0[1], b.0[1]), f(a.0[2], b.0[2]), f(a.0[3], b.0[3])])
    }
    #[inline(always)]
    fn bitzip(a: F32x4, b: F32x4, f: impl Fn(u32, u32) -> u32) -> F32x4 {
        zip(a, b, |x, y| f32::from_bits(f(x.to_bits(), y.to_bits())))
    }
    #[inline(always)]
    fn cmp(a: F32x4, b: F32x4, f: impl Fn(f32, f32) -> bool) -> F32x4 {
        zip(a, b, |x, y| f32::from_bits(if f(x, y) { u32::MAX } else { 0 }))
    }
    #[inline(always)]
    fn imap(a: I32x4, f: impl Fn(i32) -> i32) -> I32x4 {
        I32x4([f(a.0[0]), f(a.0[1]), f(a.0[2]), f(a.0[3])])
    }
    #[inline(always)]
    fn izip(a: I32x4, b: I32x4, f: impl Fn(i32, i32) -> i32) -> I32x4 {
        I32x4([f(a.0[0], b.0[0]), f(a.0[1], b.0[1]), f(a.0[2], b.0[2]), f(a.0[3], b.0[3])])
    }

    impl F32x4 {
        #[inline(always)]
        pub fn splat(v: f32) -> Self {
            F32x4([v; 4])
        }
        #[inline(always)]
        pub fn new(a: f32, b: f32, c: f32, d: f32) -> Self {
            F32x4([a, b, c, d])
        }
        #[inline(always)]
        pub fn zero() -> Self {
            F32x4([0.0; 4])
        }
        /// # Safety
        /// `p` must be valid for reading 4 f32 (any alignment).
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> Self {
            F32x4((p as *const [f32; 4]).read_unaligned())
        }
        /// # Safety
        /// `p` must be valid for writing 4 f32 (any alignment).
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            (p as *mut [f32; 4]).write_unaligned(self.0)
        }
        #[inline(always)]
        pub fn to_array(self) -> [f32; 4] {
            self.0
        }
        #[inline(always)]
        pub fn from_array(a: [f32; 4]) -> Self {
            F32x4(a)
        }
        #[inline(always)]
        pub fn lane0(self) -> f32 {
            self.0[0]
        }
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            zip(self, o, |a, b| a + b)
        }
        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            zip(self, o, |a, b| a - b)
        }
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            zip(self, o, |a, b| a * b)
        }
        #[inline(always)]
        pub fn div(self, o: Self) -> Self {
            zip(self, o, |a, b| a / b)
        }
        /// self·b + c (unfused, as the simd128 build).
        #[inline(always)]
        pub fn madd(self, b: Self, c: Self) -> Self {
            self.mul(b).add(c)
        }
        #[inline(always)]
        pub fn min(self, o: Self) -> Self {
            zip(self, o, |a, b| {
                if a.is_nan() || b.is_nan() {
                    f32::NAN
                } else if a == b {
                    f32::from_bits(a.to_bits() | b.to_bits())
                } else if a < b {
                    a
                } else {
                    b
                }
            })
        }
        #[inline(always)]
        pub fn max(self, o: Self) -> Self {
            zip(self, o, |a, b| {
                if a.is_nan() || b.is_nan() {
                    f32::NAN
                } else if a == b {
                    f32::from_bits(a.to_bits() & b.to_bits())
                } else if a > b {
                    a
                } else {
                    b
                }
            })
        }
        #[inline(always)]
        pub fn pmin(self, o: Self) -> Self {
            zip(self, o, |a, b| if b < a { b } else { a })
        }
        #[inline(always)]
        pub fn pmax(self, o: Self) -> Self {
            zip(self, o, |a, b| if a < b { b } else { a })
        }
        #[inline(always)]
        pub fn abs(self) -> Self {
            map(self, f32::abs)
        }
        #[inline(always)]
        pub fn neg(self) -> Self {
            map(self, |a| -a)
        }
        #[inline(always)]
        pub fn sqrt(self) -> Self {
            map(self, f32::sqrt)
        }
        #[inline(always)]
        pub fn floor(self) -> Self {
            map(self, f32::floor)
        }
        #[inline(always)]
        pub fn ceil(self) -> Self {
            map(self, f32::ceil)
        }
        #[inline(always)]
        pub fn round(self) -> Self {
            map(self, f32::round_ties_even)
        }
        #[inline(always)]
        pub fn lt(self, o: Self) -> Self {
            cmp(self, o, |a, b| a < b)
        }
        #[inline(always)]
        pub fn le(self, o: Self) -> Self {
            cmp(self, o, |a, b| a <= b)
        }
        #[inline(always)]
        pub fn gt(self, o: Self) -> Self {
            cmp(self, o, |a, b| a > b)
        }
        #[inline(always)]
        pub fn ge(self, o: Self) -> Self {
            cmp(self, o, |a, b| a >= b)
        }
        #[inline(always)]
        pub fn eq(self, o: Self) -> Self {
            cmp(self, o, |a, b| a == b)
        }
        #[inline(always)]
        pub fn ne(self, o: Self) -> Self {
            cmp(self, o, |a, b| a != b)
        }
        #[inline(always)]
        pub fn and(self, o: Self) -> Self {
            bitzip(self, o, |a, b| a & b)
        }
        #[inline(always)]
        pub fn or(self, o: Self) -> Self {
            bitzip(self, o, |a, b| a | b)
        }
        #[inline(always)]
        pub fn xor(self, o: Self) -> Self {
            bitzip(self, o, |a, b| a ^ b)
        }
        #[inline(always)]
        pub fn andnot(self, o: Self) -> Self {
            bitzip(self, o, |a, b| a & !b)
        }
        #[inline(always)]
        pub fn select(mask: Self, a: Self, b: Self) -> Self {
            a.and(mask).or(b.andnot(mask))
        }
        #[inline(always)]
        pub fn any(self) -> bool {
            self.0.iter().any(|v| v.to_bits() != 0)
        }
        #[inline(always)]
        pub fn to_i32(self) -> I32x4 {
            I32x4([self.0[0] as i32, self.0[1] as i32, self.0[2] as i32, self.0[3] as i32])
        }
        #[inline(always)]
        pub fn bits(self) -> I32x4 {
            I32x4(self.0.map(|v| v.to_bits() as i32))
        }
        #[inline(always)]
        pub fn hsum(self) -> f32 {
            (self.0[0] + self.0[2]) + (self.0[1] + self.0[3])
        }
        #[inline(always)]
        pub fn transpose4(r0: Self, r1: Self, r2: Self, r3: Self) -> [Self; 4] {
            let r = [r0.0, r1.0, r2.0, r3.0];
            [0, 1, 2, 3].map(|d| F32x4([r[0][d], r[1][d], r[2][d], r[3][d]]))
        }
    }

    impl I32x4 {
        #[inline(always)]
        pub fn splat(v: i32) -> Self {
            I32x4([v; 4])
        }
        /// # Safety
        /// `p` must be valid for reading 4 i32.
        #[inline(always)]
        pub unsafe fn load(p: *const i32) -> Self {
            I32x4((p as *const [i32; 4]).read_unaligned())
        }
        /// # Safety
        /// `p` must be valid for writing 4 i32.
        #[inline(always)]
        pub unsafe fn store(self, p: *mut i32) {
            (p as *mut [i32; 4]).write_unaligned(self.0)
        }
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            izip(self, o, i32::wrapping_add)
        }
        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            izip(self, o, i32::wrapping_sub)
        }
        #[inline(always)]
        pub fn and(self, o: Self) -> Self {
            izip(self, o, |a, b| a & b)
        }
        #[inline(always)]
        pub fn or(self, o: Self) -> Self {
            izip(self, o, |a, b| a | b)
        }
        #[inline(always)]
        pub fn shl<const N: u32>(self) -> Self {
            imap(self, |a| a.wrapping_shl(N))
        }
        #[inline(always)]
        pub fn shr<const N: u32>(self) -> Self {
            imap(self, |a| a.wrapping_shr(N))
        }
        #[inline(always)]
        pub fn to_f32(self) -> F32x4 {
            F32x4(self.0.map(|v| v as f32))
        }
        #[inline(always)]
        pub fn bits(self) -> F32x4 {
            F32x4(self.0.map(|v| f32::from_bits(v as u32)))
        }
    }
}

impl F32x4 {
    /// The first four elements of `s`.
    #[inline(always)]
    pub fn from_slice(s: &[f32]) -> Self {
        assert!(s.len() >= 4);
        unsafe { Self::load(s.as_ptr()) }
    }
    /// Writes the four lanes to the start of `s`.
    #[inline(always)]
    pub fn write_to(self, s: &mut [f32]) {
        assert!(s.len() >= 4);
        unsafe { self.store(s.as_mut_ptr()) }
    }
    /// Up to four elements of `s`, the missing lanes set to `fill`.
    #[inline(always)]
    pub fn load_partial(s: &[f32], fill: f32) -> Self {
        let mut a = [fill; 4];
        let n = s.len().min(4);
        a[..n].copy_from_slice(&s[..n]);
        Self::from_array(a)
    }
    /// Writes the first `min(4, s.len())` lanes to `s`.
    #[inline(always)]
    pub fn write_partial(self, s: &mut [f32]) {
        let a = self.to_array();
        let n = s.len().min(4);
        s[..n].copy_from_slice(&a[..n]);
    }
    /// 1.0 where the mask is set, else 0.0.
    #[inline(always)]
    pub fn mask_to_one(mask: Self) -> Self {
        mask.and(F32x4::splat(1.0))
    }
    #[inline(always)]
    pub fn hmax(self) -> f32 {
        let a = self.to_array();
        let v = F32x4::splat(a[0]).max(F32x4::splat(a[1]));
        let w = F32x4::splat(a[2]).max(F32x4::splat(a[3]));
        v.max(w).lane0()
    }
    #[inline(always)]
    pub fn hmin(self) -> f32 {
        let a = self.to_array();
        let v = F32x4::splat(a[0]).min(F32x4::splat(a[1]));
        let w = F32x4::splat(a[2]).min(F32x4::splat(a[3]));
        v.min(w).lane0()
    }
    #[inline(always)]
    pub fn hprod(self) -> f32 {
        let a = self.to_array();
        (a[0] * a[2]) * (a[1] * a[3])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lane_semantics() {
        let a = F32x4::new(1.0, f32::NAN, -0.0, 3.0);
        let b = F32x4::new(2.0, 1.0, 0.0, f32::NAN);
        let mn = a.min(b).to_array();
        assert_eq!(mn[0], 1.0);
        assert!(mn[1].is_nan() && mn[3].is_nan());
        assert!(mn[2] == 0.0 && mn[2].is_sign_negative());
        let mx = a.max(b).to_array();
        assert!(mx[2] == 0.0 && mx[2].is_sign_positive());
        // pmax keeps a NaN in self, not in the other operand
        let p = a.pmax(b).to_array();
        assert!(p[1].is_nan());
        assert_eq!(p[3], 3.0);
        let r = F32x4::new(0.5, 1.5, 2.5, -2.5).round().to_array();
        assert_eq!(r, [0.0, 2.0, 2.0, -2.0]);
        let t = F32x4::new(f32::NAN, 3e9, -3e9, -2.7).to_i32();
        let mut ti = [0i32; 4];
        unsafe { t.store(ti.as_mut_ptr()) };
        assert_eq!(ti, [0, i32::MAX, i32::MIN, -2]);
        let s = F32x4::select(a.gt(F32x4::splat(0.0)), F32x4::splat(7.0), F32x4::splat(8.0));
        assert_eq!(s.to_array(), [7.0, 8.0, 8.0, 7.0]);
        assert_eq!(F32x4::new(1.0, 2.0, 3.0, 4.0).hsum(), 10.0);
        assert!(F32x4::new(1.0, f32::NAN, 3.0, 4.0).hmax().is_nan());
        assert_eq!(F32x4::new(1.0, 5.0, 3.0, 4.0).hmax(), 5.0);
        assert_eq!(F32x4::new(1.0, 5.0, -3.0, 4.0).hmin(), -3.0);
    }

    #[test]
    fn partial_load_store() {
        let v = F32x4::load_partial(&[1.0, 2.0], 9.0);
        assert_eq!(v.to_array(), [1.0, 2.0, 9.0, 9.0]);
        let mut out = [0.0f32; 3];
        F32x4::new(4.0, 5.0, 6.0, 7.0).write_partial(&mut out);
        assert_eq!(out, [4.0, 5.0, 6.0]);
    }
}
