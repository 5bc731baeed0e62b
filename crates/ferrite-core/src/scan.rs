//! Cumulative sums and products along one axis (tf.cumsum, tf.cumprod), with TensorFlow's
//! `exclusive` and `reverse` flags. The input is viewed as [outer, axis, inner]; each step of
//! the scan combines whole rows of `inner` elements, SIMD across them.

use crate::elementwise::map2;
use crate::simd::F32x4;

/// Scan op codes (the position is the ABI code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanOp {
    Sum,
    Prod,
}

impl ScanOp {
    pub const ALL: [ScanOp; 2] = [ScanOp::Sum, ScanOp::Prod];
    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }
    fn identity(self) -> f32 {
        match self {
            ScanOp::Sum => 0.0,
            ScanOp::Prod => 1.0,
        }
    }
}

/// out[o, j, i] = x[o, k0, i] ⊕ … over k ≤ j (k < j when exclusive; k ≥ j, or k > j, when
/// reverse), ⊕ = + or ×, accumulated in order along the axis (as a sequential loop would).
pub fn cumulative(op: ScanOp, x: &[f32], out: &mut [f32], outer: usize, axis: usize, inner: usize, exclusive: bool, reverse: bool) {
    let row = inner;
    let block = axis * inner;
    assert!(x.len() >= outer * block && out.len() >= outer * block);
    if row == 0 || axis == 0 {
        return;
    }
    let combine = |a: F32x4, b: F32x4| match op {
        ScanOp::Sum => a.add(b),
        ScanOp::Prod => a.mul(b),
    };
    for o in 0..outer {
        let xb = &x[o * block..(o + 1) * block];
        let ob = &mut out[o * block..(o + 1) * block];
        // Steps in scan order: position of the t-th row visited.
        let at = |t: usize| if reverse { axis - 1 - t } else { t };
        let first = at(0);
        if exclusive {
            ob[first * row..(first + 1) * row].fill(op.identity());
        } else {
            ob[first * row..(first + 1) * row].copy_from_slice(&xb[first * row..(first + 1) * row]);
        }
        for t in 1..axis {
            let (prev, cur) = (at(t - 1), at(t));
            // exclusive: out[cur] = out[prev] ⊕ x[prev]; inclusive: out[cur] = out[prev] ⊕ x[cur]
            let xs = if exclusive { prev } else { cur };
            let xrow = &xb[xs * row..(xs + 1) * row];
            let (lo, hi) = ob.split_at_mut(cur.max(prev) * row);
            let (src, dst) = if cur > prev { (&lo[prev * row..(prev + 1) * row], &mut hi[..row]) } else { (&hi[..row], &mut lo[cur * row..(cur + 1) * row]) };
            map2(src, xrow, dst, combine);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Rng};

    fn naive(op: ScanOp, x: &[f32], outer: usize, axis: usize, inner: usize, exclusive: bool, reverse: bool) -> Vec<f32> {
        let mut out = vec![0.0; x.len()];
        for o in 0..outer {
            for i in 0..inner {
                for j in 0..axis {
                    let mut acc = op.identity();
                    let ks: Vec<usize> = if reverse { (j..axis).rev().collect() } else { (0..=j).collect() };
                    for k in ks {
                        if exclusive && k == j {
                            continue;
                        }
                        let v = x[(o * axis + k) * inner + i];
                        acc = match op {
                            ScanOp::Sum => acc + v,
                            ScanOp::Prod => acc * v,
                        };
                    }
                    out[(o * axis + j) * inner + i] = acc;
                }
            }
        }
        out
    }

    #[test]
    fn matches_a_naive_scan_on_awkward_shapes() {
        let mut rng = Rng::new(21);
        for op in ScanOp::ALL {
            for &(outer, axis, inner) in &[(1, 1, 1), (1, 7, 1), (3, 5, 1), (2, 1, 9), (2, 6, 5), (1, 33, 4), (4, 3, 17), (1, 300, 1)] {
                for exclusive in [false, true] {
                    for reverse in [false, true] {
                        let (lo, hi) = if op == ScanOp::Prod { (0.8, 1.25) } else { (-2.0, 2.0) };
                        let x = rng.vec(outer * axis * inner, lo, hi);
                        let mut out = vec![f32::NAN; x.len()];
                        cumulative(op, &x, &mut out, outer, axis, inner, exclusive, reverse);
                        let want = naive(op, &x, outer, axis, inner, exclusive, reverse);
                        // same operations in the same order: equal up to nothing
                        assert_close(&out, &want, 0.0, 0.0);
                    }
                }
            }
        }
    }

    #[test]
    fn hand_values() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let mut out = [0.0; 4];
        cumulative(ScanOp::Sum, &x, &mut out, 1, 4, 1, false, false);
        assert_eq!(out, [1.0, 3.0, 6.0, 10.0]);
        cumulative(ScanOp::Sum, &x, &mut out, 1, 4, 1, true, false);
        assert_eq!(out, [0.0, 1.0, 3.0, 6.0]);
        cumulative(ScanOp::Sum, &x, &mut out, 1, 4, 1, false, true);
        assert_eq!(out, [10.0, 9.0, 7.0, 4.0]);
        cumulative(ScanOp::Sum, &x, &mut out, 1, 4, 1, true, true);
        assert_eq!(out, [9.0, 7.0, 4.0, 0.0]);
        cumulative(ScanOp::Prod, &x, &mut out, 1, 4, 1, false, false);
        assert_eq!(out, [1.0, 2.0, 6.0, 24.0]);
        cumulative(ScanOp::Prod, &x, &mut out, 1, 4, 1, true, true);
        assert_eq!(out, [24.0, 12.0, 4.0, 1.0]);
        // [2, 2] along axis 0 (inner 2)
        cumulative(ScanOp::Sum, &x, &mut out, 1, 2, 2, false, false);
        assert_eq!(out, [1.0, 2.0, 4.0, 6.0]);
    }
}
