//! Packing of A and B into contiguous, zero-padded micro-panels.
//!
//! Both are the same operation: for a matrix X read as X(i, p) = data[i·rs + p·cs], copy
//! rows i0..i0+w (w ≤ W) and depths p0..p0+kc into `dst[p·W + r]`, padding rows w..W with
//! zeros. A is packed as X = A (W = MR), B as X = Bᵀ (W = NR), so the micro-kernel reads
//! one W-vector per depth step. Transposed operands only change (rs, cs).

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

/// Packs one W-row panel (see the module doc). `dst.len()` must be ≥ kc·W.
pub fn pack_panel<const W: usize>(dst: &mut [f32], x: View, i0: usize, w: usize, p0: usize, kc: usize) {
    debug_assert!(w >= 1 && w <= W);
    let dst = &mut dst[..kc * W];
    if x.rs == 1 && x.cs != 1 {
        // W consecutive rows are contiguous for each depth p.
        for (p, d) in dst.chunks_exact_mut(W).enumerate() {
            let start = (p0 + p) * x.cs + i0;
            d[..w].copy_from_slice(&x.data[start..start + w]);
            d[w..].fill(0.0);
        }
    } else if x.cs == 1 {
        // Each row is contiguous along p.
        for r in 0..w {
            let start = (i0 + r) * x.rs + p0;
            let row = &x.data[start..start + kc];
            for (d, &v) in dst.chunks_exact_mut(W).zip(row) {
                d[r] = v;
            }
        }
        if w < W {
            for d in dst.chunks_exact_mut(W) {
                d[w..].fill(0.0);
            }
        }
    } else {
        for (p, d) in dst.chunks_exact_mut(W).enumerate() {
            for r in 0..W {
                d[r] = if r < w { x.at(i0 + r, p0 + p) } else { 0.0 };
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
            pack_panel::<4>(&mut dst, v, 2, 3, 1, 2);
            assert_eq!(dst, vec![21.0, 31.0, 41.0, 0.0, 22.0, 32.0, 42.0, 0.0]);
        }
    }
}
