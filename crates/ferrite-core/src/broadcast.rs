//! N-d strided kernels (rank ≤ MAX_RANK): binary ops with broadcasting (stride 0) into a
//! contiguous output, and the strided copy behind transpose/slice/concat/tile/pad.
//!
//! Operands are given as a slice, the index of their element (0, …, 0) in it (`base`) and
//! signed strides, so negative strides work. Shapes are first simplified: size-1 axes are
//! dropped and neighbouring axes that every operand walks contiguously are merged, so the
//! innermost loop is as long as possible and usually runs a SIMD fast path.

use crate::elementwise::{map1, map2};
use crate::parallel;
use crate::simd::F32x4;
use crate::trig;

pub const MAX_RANK: usize = 8;

/// Binary op codes (the position is the ABI code). Comparisons give 1.0 / 0.0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add, Sub, Mul, Div, Pow, Maximum, Minimum, SquaredDifference,
    Equal, NotEqual, Greater, GreaterEqual, Less, LessEqual,
    // atan2(a, b); a mod b with b's sign (tf.mod); floor(a / b) (tf.floorDiv)
    Atan2, Mod, FloorDiv,
}

impl BinaryOp {
    pub const ALL: [BinaryOp; 17] = {
        use BinaryOp::*;
        [
            Add, Sub, Mul, Div, Pow, Maximum, Minimum, SquaredDifference,
            Equal, NotEqual, Greater, GreaterEqual, Less, LessEqual,
            Atan2, Mod, FloorDiv,
        ]
    };
    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }
}

/// (lowest, highest) element offset touched by `shape` walked with `strides`, or None when
/// the shape is empty.
pub fn extent(shape: &[usize], strides: &[isize]) -> Option<(isize, isize)> {
    let (mut lo, mut hi) = (0isize, 0isize);
    for (&n, &s) in shape.iter().zip(strides) {
        if n == 0 {
            return None;
        }
        let span = (n as isize - 1) * s;
        if span < 0 {
            lo += span;
        } else {
            hi += span;
        }
    }
    Some((lo, hi))
}

/// Row-major contiguous strides of `shape`.
pub fn contiguous_strides(shape: &[usize]) -> [isize; MAX_RANK] {
    let mut st = [0isize; MAX_RANK];
    let mut acc = 1isize;
    for d in (0..shape.len()).rev() {
        st[d] = acc;
        acc *= shape[d] as isize;
    }
    st
}

/// A simplified iteration space over K operands.
#[derive(Clone, Copy)]
struct Dims<const K: usize> {
    rank: usize,
    shape: [usize; MAX_RANK],
    strides: [[isize; MAX_RANK]; K],
}

impl<const K: usize> Dims<K> {
    /// None when the shape has no elements.
    fn new(shape: &[usize], strides: [&[isize]; K]) -> Option<Self> {
        assert!(shape.len() <= MAX_RANK);
        let mut d = Dims { rank: 0, shape: [1; MAX_RANK], strides: [[0; MAX_RANK]; K] };
        for (ax, &n) in shape.iter().enumerate() {
            if n == 0 {
                return None;
            }
            if n == 1 {
                continue;
            }
            if d.rank > 0 {
                let last = d.rank - 1;
                // Merge into the previous axis when every operand steps through both as one.
                if (0..K).all(|o| d.strides[o][last] == strides[o][ax] * n as isize) {
                    d.shape[last] *= n;
                    for o in 0..K {
                        d.strides[o][last] = strides[o][ax];
                    }
                    continue;
                }
            }
            d.shape[d.rank] = n;
            for o in 0..K {
                d.strides[o][d.rank] = strides[o][ax];
            }
            d.rank += 1;
        }
        if d.rank == 0 {
            d.rank = 1; // a single element
        }
        Some(d)
    }

    fn inner_len(&self) -> usize {
        self.shape[self.rank - 1]
    }

    fn inner_stride(&self, o: usize) -> isize {
        self.strides[o][self.rank - 1]
    }

    /// Calls f with each operand's offset of the start of every innermost row.
    #[inline(always)]
    fn for_each_row(&self, base: [isize; K], f: impl FnMut([isize; K])) {
        self.for_each_outer(self.rank - 1, base, f)
    }

    /// Calls f with each operand's offset for every index of the first `outer` axes.
    #[inline(always)]
    fn for_each_outer(&self, outer: usize, base: [isize; K], mut f: impl FnMut([isize; K])) {
        let mut idx = [0usize; MAX_RANK];
        let mut off = base;
        loop {
            f(off);
            // odometer increment over the outer axes
            let mut ax = outer;
            loop {
                if ax == 0 {
                    return;
                }
                ax -= 1;
                idx[ax] += 1;
                for o in 0..K {
                    off[o] += self.strides[o][ax];
                }
                if idx[ax] < self.shape[ax] {
                    break;
                }
                for o in 0..K {
                    off[o] -= self.strides[o][ax] * self.shape[ax] as isize;
                }
                idx[ax] = 0;
            }
        }
    }
}

/// out = op(a, b) over `shape` (out contiguous), a and b read through their strides.
pub fn binary(
    op: BinaryOp,
    a: &[f32], a_base: usize, a_strides: &[isize],
    b: &[f32], b_base: usize, b_strides: &[isize],
    out: &mut [f32], shape: &[usize],
) {
    let args = Operands { a, a_base, a_strides, b, b_base, b_strides, shape };
    let one = F32x4::splat(1.0);
    let m = F32x4::mask_to_one;
    match op {
        BinaryOp::Add => binary_with(args, out, |x, y| x.add(y)),
        BinaryOp::Sub => binary_with(args, out, |x, y| x.sub(y)),
        BinaryOp::Mul => binary_with(args, out, |x, y| x.mul(y)),
        BinaryOp::Div => binary_with(args, out, |x, y| x.div(y)),
        BinaryOp::Pow => binary_with(args, out, |x, y| {
            let (xa, ya) = (x.to_array(), y.to_array());
            F32x4::from_array([0, 1, 2, 3].map(|i| pow(xa[i], ya[i])))
        }),
        BinaryOp::Maximum => binary_with(args, out, |x, y| x.max(y)),
        BinaryOp::Minimum => binary_with(args, out, |x, y| x.min(y)),
        BinaryOp::SquaredDifference => binary_with(args, out, |x, y| {
            let d = x.sub(y);
            d.mul(d)
        }),
        BinaryOp::Equal => binary_with(args, out, |x, y| m(x.eq(y))),
        BinaryOp::NotEqual => binary_with(args, out, |x, y| x.ne(y).and(one)),
        BinaryOp::Greater => binary_with(args, out, |x, y| m(x.gt(y))),
        BinaryOp::GreaterEqual => binary_with(args, out, |x, y| m(x.ge(y))),
        BinaryOp::Less => binary_with(args, out, |x, y| m(x.lt(y))),
        BinaryOp::LessEqual => binary_with(args, out, |x, y| m(x.le(y))),
        BinaryOp::Atan2 => binary_with(args, out, trig::atan2),
        BinaryOp::Mod => binary_with(args, out, |x, y| trig::lanes2(x, y, trig::floor_mod)),
        BinaryOp::FloorDiv => binary_with(args, out, |x, y| x.div(y).floor()),
    }
}

/// x^y as JavaScript's Math.pow: unlike C's powf, pow(1, NaN) and pow(±1, ±inf) are NaN.
fn pow(x: f32, y: f32) -> f32 {
    if y.is_nan() || (y.is_infinite() && x.abs() == 1.0) {
        f32::NAN
    } else {
        x.powf(y)
    }
}

#[derive(Clone, Copy)]
struct Operands<'a> {
    a: &'a [f32],
    a_base: usize,
    a_strides: &'a [isize],
    b: &'a [f32],
    b_base: usize,
    b_strides: &'a [isize],
    shape: &'a [usize],
}

#[inline(always)]
fn binary_with(args: Operands, out: &mut [f32], f: impl Fn(F32x4, F32x4) -> F32x4 + Copy + Sync) {
    let rank = args.shape.len();
    let os = contiguous_strides(args.shape);
    let Some(d) = Dims::new(args.shape, [&os[..rank], args.a_strides, args.b_strides]) else {
        return;
    };
    let len = d.inner_len();
    let (sa, sb) = (d.inner_stride(1), d.inner_stride(2));
    let (a, b) = (args.a, args.b);
    // One innermost row (or a piece of it) whose operands start at a[ao], b[bo].
    let row = |o: &mut [f32], ao: isize, bo: isize| {
        let (ai, bi, len) = (ao as usize, bo as usize, o.len());
        match (sa, sb) {
            (1, 1) => map2(&a[ai..ai + len], &b[bi..bi + len], o, f),
            (0, 1) => {
                let va = F32x4::splat(a[ai]);
                map1(&b[bi..bi + len], o, |y| f(va, y))
            }
            (1, 0) => {
                let vb = F32x4::splat(b[bi]);
                map1(&a[ai..ai + len], o, |x| f(x, vb))
            }
            (0, 0) => o.fill(f(F32x4::splat(a[ai]), F32x4::splat(b[bi])).lane0()),
            _ => {
                let at = |t: usize| a[(ao + t as isize * sa) as usize];
                let bt = |t: usize| b[(bo + t as isize * sb) as usize];
                let mut t = 0;
                for chunk in o.chunks_mut(4) {
                    let mut xa = [0.0f32; 4];
                    let mut xb = [0.0f32; 4];
                    for l in 0..chunk.len() {
                        xa[l] = at(t + l);
                        xb[l] = bt(t + l);
                    }
                    f(F32x4::from_array(xa), F32x4::from_array(xb)).write_partial(chunk);
                    t += 4;
                }
            }
        }
    };
    let base = [0, args.a_base as isize, args.b_base as isize];
    // Threads (crate::parallel): the rows of the outermost axis, or pieces of a single row.
    // Every element is computed alike wherever the cut falls.
    let total: usize = d.shape[..d.rank].iter().product();
    let parts = if d.rank == 1 { len / 64 } else { d.shape[0] };
    let tasks = parallel::tasks_for(parallel::element_ns(total), parts);
    if tasks <= 1 {
        d.for_each_row(base, |[oo, ao, bo]| row(&mut out[oo as usize..oo as usize + len], ao, bo));
    } else if d.rank == 1 {
        parallel::for_each_range(&mut out[..len], parallel::ELEMENTS_PER_NS, 64, |r, o| {
            row(o, base[1] + r.start as isize * sa, base[2] + r.start as isize * sb)
        });
    } else {
        let (n0, chunk) = (d.shape[0], parallel::chunk_len(d.shape[0], tasks));
        let shared = parallel::SharedMut::new(out);
        parallel::run(n0.div_ceil(chunk), |t| {
            let r = parallel::chunk_range(t, chunk, n0);
            let mut sub = d;
            sub.shape[0] = r.len();
            let start = r.start as isize;
            let sub_base = [0, 1, 2].map(|o| base[o] + start * d.strides[o][0]);
            sub.for_each_row(sub_base, |[oo, ao, bo]| {
                // SAFETY: the rows of distinct tasks are disjoint parts of out.
                row(unsafe { shared.slice(oo as usize..oo as usize + len) }, ao, bo)
            });
        });
    }
}

/// dst[dst_base + Σ i·dst_strides] = src[src_base + Σ i·src_strides] for every index i of
/// `shape`; 4-byte elements copied bit for bit.
pub fn strided_copy(
    src: &[u32], src_base: usize, src_strides: &[isize],
    dst: &mut [u32], dst_base: usize, dst_strides: &[isize],
    shape: &[usize],
) {
    let Some(d) = Dims::new(shape, [dst_strides, src_strides]) else {
        return;
    };
    let base = [dst_base as isize, src_base as isize];
    // Threads (crate::parallel): ranges of the outermost axis (of 64-element blocks when it is
    // the only one), when its blocks of dst cannot interleave (a copy computes nothing; any
    // cut gives the same bits).
    let total: usize = d.shape[..d.rank].iter().product();
    let inner_extent: isize = (1..d.rank).map(|ax| d.strides[0][ax].abs() * (d.shape[ax] as isize - 1)).sum::<isize>() + 1;
    let (parts, align) = if d.rank == 1 { (d.shape[0] / 64, 64) } else { (d.shape[0], 1) };
    let parts = if d.strides[0][0].abs() >= inner_extent { parts } else { 1 };
    let tasks = parallel::tasks_for(parallel::element_ns(total), parts);
    if tasks <= 1 {
        return copy_dims(src, dst, &d, base);
    }
    let (n0, chunk) = (d.shape[0], parallel::chunk_len_aligned(d.shape[0], tasks, align));
    let dst_len = dst.len();
    let shared = parallel::SharedMut::new(dst);
    parallel::run(n0.div_ceil(chunk), |t| {
        let r = parallel::chunk_range(t, chunk, n0);
        let mut sub = d;
        sub.shape[0] = r.len();
        let sub_base = [0, 1].map(|o| base[o] + r.start as isize * d.strides[o][0]);
        // SAFETY: the blocks of dst under distinct ranges of the outermost axis are disjoint
        // (checked above); each task writes its own through the strides.
        copy_dims(src, unsafe { shared.slice(0..dst_len) }, &sub, sub_base);
    });
}

/// strided_copy over the iteration space `d` from offsets `base` ([dst, src]).
fn copy_dims(src: &[u32], dst: &mut [u32], d: &Dims<2>, base: [isize; 2]) {
    let d = *d;
    let [dst_base, src_base] = base;
    let len = d.inner_len();
    let (sd, ss) = (d.inner_stride(0), d.inner_stride(1));
    if d.rank >= 2 && len >= TILE && d.shape[d.rank - 2] >= TILE && !matches!((sd, ss), (1, 1) | (1, 0)) {
        // Transpose-like: walk the last two axes in tiles so reads and writes both stay in cache.
        let rows = d.shape[d.rank - 2];
        let (rd, rs) = (d.strides[0][d.rank - 2], d.strides[1][d.rank - 2]);
        d.for_each_outer(d.rank - 2, [dst_base, src_base], |[dof, sof]| {
            for r0 in (0..rows).step_by(TILE) {
                for c0 in (0..len).step_by(TILE) {
                    for r in r0..(r0 + TILE).min(rows) {
                        let (dr, sr) = (dof + r as isize * rd, sof + r as isize * rs);
                        for c in c0..(c0 + TILE).min(len) {
                            dst[(dr + c as isize * sd) as usize] = src[(sr + c as isize * ss) as usize];
                        }
                    }
                }
            }
        });
        return;
    }
    d.for_each_row([dst_base, src_base], |[dof, sof]| {
        let (di, si) = (dof as usize, sof as usize);
        match (sd, ss) {
            (1, 1) => dst[di..di + len].copy_from_slice(&src[si..si + len]),
            (1, 0) => dst[di..di + len].fill(src[si]),
            _ => {
                for t in 0..len as isize {
                    dst[(dof + t * sd) as usize] = src[(sof + t * ss) as usize];
                }
            }
        }
    });
}

/// Tile edge of the blocked strided copy (small: power-of-two strides alias in cache sets).
const TILE: usize = 16;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Rng};

    /// Element offset of multi-index `idx` under `strides`.
    fn offset(idx: &[usize], strides: &[isize]) -> isize {
        idx.iter().zip(strides).map(|(&i, &s)| i as isize * s).sum()
    }

    fn for_each_index(shape: &[usize], mut f: impl FnMut(&[usize])) {
        let n: usize = shape.iter().product();
        let mut idx = vec![0usize; shape.len()];
        for _ in 0..n {
            f(&idx);
            for d in (0..shape.len()).rev() {
                idx[d] += 1;
                if idx[d] < shape[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
    }

    fn scalar_op(op: BinaryOp, x: f32, y: f32) -> f32 {
        let b = |c: bool| c as i32 as f32;
        match op {
            BinaryOp::Add => x + y,
            BinaryOp::Sub => x - y,
            BinaryOp::Mul => x * y,
            BinaryOp::Div => x / y,
            BinaryOp::Pow => pow(x, y),
            BinaryOp::Maximum => if x.is_nan() || y.is_nan() { f32::NAN } else { x.max(y) },
            BinaryOp::Minimum => if x.is_nan() || y.is_nan() { f32::NAN } else { x.min(y) },
            BinaryOp::SquaredDifference => (x - y) * (x - y),
            BinaryOp::Equal => b(x == y),
            BinaryOp::NotEqual => b(x != y),
            BinaryOp::Greater => b(x > y),
            BinaryOp::GreaterEqual => b(x >= y),
            BinaryOp::Less => b(x < y),
            BinaryOp::LessEqual => b(x <= y),
            BinaryOp::Atan2 => (x as f64).atan2(y as f64) as f32,
            // naive references: Python-style modulo in f64, floor of the f32 quotient
            BinaryOp::Mod => {
                let (a, m) = (x as f64, y as f64);
                let r = a - (a / m).floor() * m;
                (if r != 0.0 && (r < 0.0) != (m < 0.0) { r + m } else { r }) as f32
            }
            BinaryOp::FloorDiv => (x / y).floor(),
        }
    }

    /// Broadcasts `in_shape` (right-aligned, size-1 or missing axes) to `shape`: strides.
    fn bcast_strides(in_shape: &[usize], shape: &[usize]) -> Vec<isize> {
        let cs = contiguous_strides(in_shape);
        let pad = shape.len() - in_shape.len();
        (0..shape.len())
            .map(|d| if d < pad || in_shape[d - pad] == 1 { 0 } else { cs[d - pad] })
            .collect()
    }

    fn check_binary(op: BinaryOp, shape: &[usize], ashape: &[usize], bshape: &[usize], rng: &mut Rng) {
        let na: usize = ashape.iter().product();
        let nb: usize = bshape.iter().product();
        let mut a = rng.vec(na, -3.0, 3.0);
        let b = rng.vec(nb, -3.0, 3.0);
        if op == BinaryOp::Pow {
            a.iter_mut().for_each(|v| *v = v.abs() + 0.1);
        }
        // some exact ties for the comparisons
        if nb > 0 && na > 0 {
            a[0] = b[0];
        }
        let (sa, sb) = (bcast_strides(ashape, shape), bcast_strides(bshape, shape));
        let n: usize = shape.iter().product();
        let mut out = vec![f32::NAN; n];
        binary(op, &a, 0, &sa, &b, 0, &sb, &mut out, shape);
        let mut want = Vec::with_capacity(n);
        for_each_index(shape, |i| want.push(scalar_op(op, a[offset(i, &sa) as usize], b[offset(i, &sb) as usize])));
        // atan2 is a polynomial approximation; the others are exact or one rounding
        let (rtol, atol) = if op == BinaryOp::Atan2 { (1e-6, 1e-7) } else { (2e-7, 0.0) };
        assert_close(&out, &want, rtol, atol);
    }

    #[test]
    fn binary_broadcast_cases() {
        let mut rng = Rng::new(7);
        let cases: &[(&[usize], &[usize], &[usize])] = &[
            (&[1], &[1], &[1]),
            (&[7], &[7], &[7]),
            (&[13], &[13], &[1]),
            (&[13], &[], &[13]),
            (&[5, 3], &[5, 3], &[3]),
            (&[5, 3], &[5, 1], &[5, 3]),
            (&[4, 1, 6], &[4, 1, 6], &[1, 1, 6]),
            (&[2, 3, 5, 7], &[2, 1, 5, 7], &[3, 1, 1]),
            (&[3, 4, 9], &[3, 4, 1], &[9]),
            (&[2, 1, 2, 1, 2, 1, 2, 3], &[2, 1, 2, 1, 2, 1, 2, 3], &[1, 3]),
            (&[6, 9], &[1], &[1]),
        ];
        for op in BinaryOp::ALL {
            for (shape, ash, bsh) in cases {
                check_binary(op, shape, ash, bsh, &mut rng);
            }
        }
    }

    #[test]
    fn binary_transposed_and_negative_strides() {
        let mut rng = Rng::new(8);
        // a is a transposed 5×6 view, b a reversed row
        let a = rng.vec(30, -1.0, 1.0);
        let b = rng.vec(6, -1.0, 1.0);
        let mut out = vec![0.0; 30];
        binary(BinaryOp::Sub, &a, 0, &[1, 5], &b, 5, &[0, -1], &mut out, &[5, 6]);
        for i in 0..5 {
            for j in 0..6 {
                assert_eq!(out[i * 6 + j], a[j * 5 + i] - b[5 - j]);
            }
        }
    }

    #[test]
    fn rank_zero_is_one_element() {
        let mut out = [0.0f32];
        binary(BinaryOp::Mul, &[3.0], 0, &[], &[-2.0], 0, &[], &mut out, &[]);
        assert_eq!(out, [-6.0]);
        let mut dst = [0u32];
        strided_copy(&[7], 0, &[], &mut dst, 0, &[], &[]);
        assert_eq!(dst, [7]);
        assert_eq!(extent(&[], &[]), Some((0, 0)));
    }

    #[test]
    fn pow_follows_javascript() {
        let a = [1.0, -1.0, 2.0, 4.0, 1.0, 0.0];
        let b = [f32::NAN, f32::INFINITY, 0.5, -0.5, 0.0, -1.0];
        let mut out = [0.0; 6];
        binary(BinaryOp::Pow, &a, 0, &[1], &b, 0, &[1], &mut out, &[6]);
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(&out[2..], &[2f32.sqrt(), 0.5, 1.0, f32::INFINITY]);
    }

    #[test]
    fn nan_propagation_in_min_max() {
        let a = [f32::NAN, 1.0, 2.0, 3.0, f32::NAN];
        let b = [0.0, f32::NAN, 1.0, 5.0, 0.0];
        let mut out = [0.0; 5];
        binary(BinaryOp::Maximum, &a, 0, &[1], &b, 0, &[1], &mut out, &[5]);
        assert!(out[0].is_nan() && out[1].is_nan() && out[4].is_nan());
        assert_eq!(&out[2..4], &[2.0, 5.0]);
    }

    #[test]
    fn strided_copy_cases() {
        let src: Vec<u32> = (0..120).collect();
        // transpose [4,5,6] → [6,4,5]
        let shape = [6usize, 4, 5];
        let ss = [1isize, 30, 6];
        let ds = contiguous_strides(&shape);
        let mut dst = vec![0u32; 120];
        strided_copy(&src, 0, &ss, &mut dst, 0, &ds[..3], &shape);
        for_each_index(&shape, |i| {
            assert_eq!(dst[offset(i, &ds[..3]) as usize], src[offset(i, &ss) as usize]);
        });
        // a large transpose takes the tiled path (with ragged tiles)
        let (r, c) = (70usize, 45usize);
        let big: Vec<u32> = (0..(r * c) as u32).collect();
        let mut out = vec![0u32; r * c];
        strided_copy(&big, 0, &[1, c as isize], &mut out, 0, &[r as isize, 1], &[c, r]);
        for i in 0..c {
            for j in 0..r {
                assert_eq!(out[i * r + j], big[j * c + i]);
            }
        }
        // batched transpose with a reversed batch axis
        let mut out = vec![0u32; 2 * r * c / 2];
        let half: Vec<u32> = (0..(r * c) as u32).collect();
        strided_copy(&half, r / 2 * c, &[-((r / 2 * c) as isize), 1, c as isize], &mut out, 0, &[(r / 2 * c) as isize, r as isize / 2, 1], &[2, c, r / 2]);
        for b in 0..2 {
            for i in 0..c {
                for j in 0..r / 2 {
                    assert_eq!(out[b * (r / 2 * c) + i * (r / 2) + j], half[(1 - b) * (r / 2 * c) + j * c + i]);
                }
            }
        }
        // slice + offset into a padded destination
        let mut dst = vec![u32::MAX; 8 * 9];
        strided_copy(&src, 7, &[10, 1], &mut dst, 10, &[9, 1], &[3, 4]);
        for r in 0..3 {
            for c in 0..4 {
                assert_eq!(dst[10 + r * 9 + c], 7 + (r * 10 + c) as u32);
            }
        }
        assert_eq!(dst[9], u32::MAX);
        // broadcast with 0 strides (tile a row) and a reversal
        let mut dst = vec![0u32; 3 * 5];
        strided_copy(&src, 4, &[0, -1], &mut dst, 0, &[5, 1], &[3, 5]);
        assert_eq!(&dst[..5], &[4, 3, 2, 1, 0]);
        assert_eq!(&dst[10..], &[4, 3, 2, 1, 0]);
        // scalar fill
        let mut dst = vec![0u32; 7];
        strided_copy(&src, 9, &[0], &mut dst, 0, &[1], &[7]);
        assert_eq!(dst, vec![9; 7]);
        // NaN payloads survive
        let nan_bits = [0x7fc0_1234u32, 0xffff_ffff];
        let mut dst = [0u32; 2];
        strided_copy(&nan_bits, 0, &[1], &mut dst, 0, &[1], &[2]);
        assert_eq!(dst, nan_bits);
        // empty shape copies nothing
        strided_copy(&src, 0, &[1, 1], &mut dst, 0, &[1, 1], &[0, 3]);
    }

    #[test]
    fn extent_handles_signs() {
        assert_eq!(extent(&[3, 4], &[4, 1]), Some((0, 11)));
        assert_eq!(extent(&[3, 4], &[-4, 0]), Some((-8, 0)));
        assert_eq!(extent(&[3, 0], &[1, 1]), None);
    }
}
