//! Packing of A and B slivers into contiguous, cache-line aligned buffers.
//!
//! Both are one operation: for a matrix X read as X(i, p) = data[i·rs + p·cs], copy rows
//! i0..i0+w (w ≤ W) at depths p0..p0+kc into `dst[p·W + r]`. A is packed as X = A (W = MR),
//! B as X = Bᵀ (W = NR), so the micro-kernel reads one W-sliver per depth step. A transposed
//! operand only changes (rs, cs): nothing is ever copied to transpose it.
//!
//! B slivers are zero-padded to NR columns (the kernel always computes 8 columns; zeros keep
//! the discarded lanes finite). A slivers are not padded: edge tiles use a kernel with fewer
//! rows.

use crate::simd::F32x4;

/// A read-only strided matrix view: element (i, p) is `data[i * rs + p * cs]`.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
}

impl View<'_> {
    #[inline(always)]
    pub fn at(&self, i: usize, p: usize) -> f32 {
        self.data[i * self.rs + p * self.cs]
    }
}

/// 64 bytes, 64-aligned: packed slivers start on cache lines, so a B step (two vectors,
/// 32 bytes) never straddles two lines.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([f32; 16]);

/// A growable, 64-byte aligned f32 buffer.
#[derive(Default)]
pub struct PackBuf(Vec<Line>);

impl PackBuf {
    pub const fn new() -> Self {
        PackBuf(Vec::new())
    }
    /// The first `len` floats, growing the buffer if needed; None when memory cannot be had.
    pub fn get(&mut self, len: usize) -> Option<&mut [f32]> {
        let lines = len.div_ceil(16);
        if self.0.len() < lines {
            self.0.try_reserve_exact(lines - self.0.len()).ok()?;
            self.0.resize(lines, Line([0.0; 16]));
        }
        // SAFETY: Line is 16 f32 with no padding; the buffer holds ≥ len floats.
        Some(unsafe { std::slice::from_raw_parts_mut(self.0.as_mut_ptr() as *mut f32, len) })
    }
}

/// Packs one W-row sliver (see the module doc). `dst.len()` must be ≥ kc·W. Rows w..W are
/// zero-filled when `pad`.
#[inline(always)]
pub fn pack_sliver<const W: usize>(dst: &mut [f32], x: View, i0: usize, w: usize, p0: usize, kc: usize, pad: bool) {
    debug_assert!(w >= 1 && w <= W);
    let dst = &mut dst[..kc * W];
    if kc == 0 {
        return;
    }
    if x.rs == 1 {
        // The W rows are contiguous at each depth p.
        let src = &x.data[p0 * x.cs + i0..(p0 + kc - 1) * x.cs + i0 + w];
        if w == W && W.is_multiple_of(4) {
            for (p, d) in dst.chunks_exact_mut(W).enumerate() {
                let s = &src[p * x.cs..p * x.cs + W];
                for v in 0..W / 4 {
                    F32x4::from_slice(&s[4 * v..]).write_to(&mut d[4 * v..]);
                }
            }
        } else {
            for (p, d) in dst.chunks_exact_mut(W).enumerate() {
                let s = &src[p * x.cs..p * x.cs + w];
                // element by element: w < W is tiny, a copy_from_slice would call memcpy
                #[allow(clippy::manual_memcpy)]
                for r in 0..w {
                    d[r] = s[r];
                }
                if pad {
                    for r in w..W {
                        d[r] = 0.0;
                    }
                }
            }
        }
    } else if x.cs == 1 {
        // Each row is contiguous along p: 4×4 blocks (four rows × four depths) are loaded
        // as rows and stored transposed; leftover rows and depths one element at a time.
        let row = |r: usize| &x.data[(i0 + r) * x.rs + p0..(i0 + r) * x.rs + p0 + kc];
        let mut r = 0;
        while r + 4 <= w {
            let rows = [row(r), row(r + 1), row(r + 2), row(r + 3)];
            let mut p = 0;
            while p + 4 <= kc {
                let v = rows.map(|s| F32x4::from_slice(&s[p..]));
                let t = F32x4::transpose4(v[0], v[1], v[2], v[3]);
                for d in 0..4 {
                    t[d].write_to(&mut dst[(p + d) * W + r..]);
                }
                p += 4;
            }
            for p in p..kc {
                for q in 0..4 {
                    dst[p * W + r + q] = rows[q][p];
                }
            }
            r += 4;
        }
        for r in r..w {
            for (d, &v) in dst.chunks_exact_mut(W).zip(row(r)) {
                d[r] = v;
            }
        }
        if pad && w < W {
            for d in dst.chunks_exact_mut(W) {
                d[w..].fill(0.0);
            }
        }
    } else {
        for (p, d) in dst.chunks_exact_mut(W).enumerate() {
            for r in 0..w {
                d[r] = x.at(i0 + r, p0 + p);
            }
            if pad {
                d[w..].fill(0.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_all_layouts_with_padding() {
        // X is 5×3: X(i, p) = 10·i + p, stored row-major, column-major and with a gap.
        let rm: Vec<f32> = (0..15).map(|t| (10 * (t / 3) + t % 3) as f32).collect();
        let cm: Vec<f32> = (0..15).map(|t| (10 * (t % 5) + t / 5) as f32).collect();
        let gap: Vec<f32> = (0..30).map(|t| if t % 2 == 0 { (10 * (t / 6) + (t % 6) / 2) as f32 } else { -1.0 }).collect();
        let views = [
            View { data: &rm, rs: 3, cs: 1 },
            View { data: &cm, rs: 1, cs: 5 },
            View { data: &gap, rs: 6, cs: 2 },
        ];
        for v in views {
            let mut dst = vec![f32::NAN; 2 * 4];
            pack_sliver::<4>(&mut dst, v, 2, 3, 1, 2, true);
            assert_eq!(dst, vec![21.0, 31.0, 41.0, 0.0, 22.0, 32.0, 42.0, 0.0]);
            // full width, no padding needed
            let mut dst = vec![f32::NAN; 3 * 4];
            pack_sliver::<4>(&mut dst, v, 1, 4, 0, 3, false);
            assert_eq!(dst, vec![10.0, 20.0, 30.0, 40.0, 11.0, 21.0, 31.0, 41.0, 12.0, 22.0, 32.0, 42.0]);
            // unpadded: rows past w are left alone
            let mut dst = vec![f32::NAN; 4];
            pack_sliver::<4>(&mut dst, v, 0, 2, 2, 1, false);
            assert_eq!(&dst[..2], &[2.0, 12.0]);
            assert!(dst[2].is_nan() && dst[3].is_nan());
        }
    }

    #[test]
    fn row_slivers_of_every_width_and_depth() {
        // rows contiguous along p (the 4×4 transpose path and its leftovers)
        let (m, k) = (11, 13);
        let data: Vec<f32> = (0..m * k).map(|t| t as f32).collect();
        let x = View { data: &data, rs: k, cs: 1 };
        for w in 1..=8 {
            for kc in 0..=9 {
                let mut dst = vec![f32::NAN; kc * 8];
                pack_sliver::<8>(&mut dst, x, 2, w, 3, kc, true);
                for p in 0..kc {
                    for r in 0..8 {
                        let want = if r < w { x.at(2 + r, 3 + p) } else { 0.0 };
                        assert_eq!(dst[p * 8 + r], want, "w {w} kc {kc} p {p} r {r}");
                    }
                }
            }
        }
        let t = F32x4::transpose4(
            F32x4::new(0.0, 1.0, 2.0, 3.0), F32x4::new(4.0, 5.0, 6.0, 7.0),
            F32x4::new(8.0, 9.0, 10.0, 11.0), F32x4::new(12.0, 13.0, 14.0, 15.0),
        );
        assert_eq!(t.map(|v| v.to_array()), [[0.0, 4.0, 8.0, 12.0], [1.0, 5.0, 9.0, 13.0], [2.0, 6.0, 10.0, 14.0], [3.0, 7.0, 11.0, 15.0]]);
    }

    #[test]
    fn buffers_are_line_aligned() {
        let mut b = PackBuf::new();
        for len in [1, 17, 1000, 5] {
            let s = b.get(len).unwrap();
            assert_eq!(s.len(), len);
            assert_eq!(s.as_ptr() as usize % 64, 0);
        }
    }
}
