//! The blocked loop nest (BLIS order): columns of B in NC blocks → depth in KC blocks (B
//! block packed once) → rows of A in MC blocks (A block packed once) → NR-column slivers of
//! the B block → MR-row slivers of the A block → micro-kernel. A B sliver is reused from L1
//! across a column of tiles; the A block is reused from L2 across the B block.
//!
//! Either operand may instead be read in place when its slivers are already contiguous (B
//! not transposed: rows of B; A transposed: columns of A) and packing would not pay for
//! itself (see `blocks::DIRECT_*`). An in-place B still packs its last, narrower sliver, so
//! the kernel never reads past a row.

use super::blocks::{KC, MC, MR, NC, NR};
use super::kernel::{tile_any, Out};
use super::pack::{pack_sliver, PackBuf, View};

/// How the nest reads each operand.
#[derive(Clone, Copy)]
pub struct Plan {
    pub pack_a: bool,
    pub pack_b: bool,
}

/// B already packed by the caller (threads share one packed B): for depth block pc (a multiple
/// of KC) and sliver s, the kc×NR sliver at `data[pc·n_pad + (first + s)·kc·NR..]`, where
/// column 0 of the product is column `first·NR` of the packed matrix.
#[derive(Clone, Copy)]
pub struct Prepacked<'a> {
    pub data: &'a [f32],
    pub n_pad: usize,
    pub first: usize,
}

/// C = alpha·A·B + beta·C with A(i, p) = a.at(i, p), B(p, j) = bt.at(j, p), C m×n with row
/// stride `ldc`. An operand read in place must have unit `rs`. Returns false, having written
/// nothing, when a packing buffer cannot be allocated.
pub fn run(
    m: usize, n: usize, k: usize, alpha: f32, a: View, bt: View, beta: f32, c: &mut [f32], ldc: usize,
    plan: Plan, abuf: &mut PackBuf, bbuf: &mut PackBuf,
) -> bool {
    run_with(m, n, k, alpha, a, bt, beta, c, ldc, plan, abuf, bbuf, None)
}

/// As `run`, reading B from `prepacked` when given (then `plan.pack_b` and `bt` are unused
/// for B's values). Every element gets the same arithmetic either way: the kernels sum each
/// depth block from zero in order, whatever the tile and wherever the sliver comes from.
pub fn run_with(
    m: usize, n: usize, k: usize, alpha: f32, a: View, bt: View, beta: f32, c: &mut [f32], ldc: usize,
    plan: Plan, abuf: &mut PackBuf, bbuf: &mut PackBuf, prepacked: Option<Prepacked>,
) -> bool {
    debug_assert!(m > 0 && n > 0 && k > 0);
    debug_assert!(plan.pack_a || a.rs == 1);
    debug_assert!(plan.pack_b || bt.rs == 1 || prepacked.is_some());
    assert!(c.len() >= (m - 1) * ldc + n);
    let kc_max = k.min(KC);
    let a_len = if plan.pack_a { kc_max * m.min(MC).next_multiple_of(MR) } else { 0 };
    // In place, only the edge sliver is packed.
    let b_len = if prepacked.is_some() { 0 } else { kc_max * if plan.pack_b { n.min(NC).next_multiple_of(NR) } else { NR } };
    let Some(abuf) = abuf.get(a_len) else { return false };
    let Some(bbuf) = bbuf.get(b_len) else { return false };
    let cp = c.as_mut_ptr();

    for jc in (0..n).step_by(NC) {
        let nc = (n - jc).min(NC);
        for pc in (0..k).step_by(KC) {
            let kc = (k - pc).min(KC);
            // Later depth blocks accumulate onto the first one's result.
            let beta = if pc == 0 { beta } else { 1.0 };
            if prepacked.is_some() {
                // Nothing to pack.
            } else if plan.pack_b {
                for (t, jr) in (0..nc).step_by(NR).enumerate() {
                    pack_sliver::<NR>(&mut bbuf[t * kc * NR..], bt, jc + jr, (nc - jr).min(NR), pc, kc, true);
                }
            } else if !nc.is_multiple_of(NR) {
                let jr = nc - nc % NR;
                pack_sliver::<NR>(bbuf, bt, jc + jr, nc - jr, pc, kc, true);
            }
            for ic in (0..m).step_by(MC) {
                let mc = (m - ic).min(MC);
                if plan.pack_a {
                    for (t, ir) in (0..mc).step_by(MR).enumerate() {
                        pack_sliver::<MR>(&mut abuf[t * kc * MR..], a, ic + ir, (mc - ir).min(MR), pc, kc, false);
                    }
                }
                for (tj, jr) in (0..nc).step_by(NR).enumerate() {
                    let cols = (nc - jr).min(NR);
                    let (bp, b_step) = if let Some(pb) = prepacked {
                        (pb.data[pc * pb.n_pad + (pb.first + (jc + jr) / NR) * kc * NR..].as_ptr(), NR)
                    } else if plan.pack_b {
                        (bbuf[tj * kc * NR..].as_ptr(), NR)
                    } else if cols < NR {
                        (bbuf.as_ptr(), NR)
                    } else {
                        (bt.data[jc + jr + pc * bt.cs..].as_ptr(), bt.cs)
                    };
                    for (ti, ir) in (0..mc).step_by(MR).enumerate() {
                        let rows = (mc - ir).min(MR);
                        let (ap, a_step) = if plan.pack_a {
                            (abuf[ti * kc * MR..].as_ptr(), MR)
                        } else {
                            (a.data[ic + ir + pc * a.cs..].as_ptr(), a.cs)
                        };
                        // SAFETY: slivers cover kc steps of rows × 8 (packed, or in bounds of
                        // the operand: rows ≤ m − i, cols = 8 ≤ n − j); the C tile is inside c.
                        // (One call per tile: a loop over tiles around the kernel's loop gets
                        // unrolled by LLVM and then spills in V8.)
                        unsafe {
                            let out = Out { c: cp.add((ic + ir) * ldc + jc + jr), ldc, alpha, beta };
                            tile_any(rows, cols, kc, ap, a_step, bp, b_step, out);
                        }
                    }
                }
            }
        }
    }
    true
}
