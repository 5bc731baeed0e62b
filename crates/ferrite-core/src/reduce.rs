//! Reductions over the middle axis of x viewed as [outer, axis, inner] → out [outer, inner].

use crate::elementwise::zip_in_place;
use crate::fixed_groups;
use crate::parallel;
use crate::simd::F32x4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceOp {
    Sum, Max, Min, Prod,
}

impl ReduceOp {
    pub const ALL: [ReduceOp; 4] = [ReduceOp::Sum, ReduceOp::Max, ReduceOp::Min, ReduceOp::Prod];
    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgReduceOp {
    ArgMax, ArgMin,
}

impl ArgReduceOp {
    pub const ALL: [ArgReduceOp; 2] = [ArgReduceOp::ArgMax, ArgReduceOp::ArgMin];
    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }
}

/// Reduces x [outer, axis, inner] over `axis`. An empty axis gives the identity
/// (0, −inf, +inf, 1). max/min propagate NaN.
pub fn reduce(op: ReduceOp, x: &[f32], out: &mut [f32], outer: usize, axis: usize, inner: usize) {
    match op {
        ReduceOp::Sum => reduce_with(x, out, outer, axis, inner, 0.0, |a, b| a.add(b), F32x4::hsum),
        ReduceOp::Max => reduce_with(x, out, outer, axis, inner, f32::NEG_INFINITY, |a, b| a.max(b), F32x4::hmax),
        ReduceOp::Min => reduce_with(x, out, outer, axis, inner, f32::INFINITY, |a, b| a.min(b), F32x4::hmin),
        ReduceOp::Prod => reduce_with(x, out, outer, axis, inner, 1.0, |a, b| a.mul(b), F32x4::hprod),
    }
}

#[inline(always)]
fn reduce_with(
    x: &[f32], out: &mut [f32], outer: usize, axis: usize, inner: usize, identity: f32,
    f: impl Fn(F32x4, F32x4) -> F32x4 + Copy + Sync, horizontal: impl Fn(F32x4) -> f32 + Copy + Sync,
) {
    let out = &mut out[..outer * inner];
    let x = &x[..outer * axis * inner];
    if inner == 0 || outer == 0 {
        return;
    }
    if axis == 0 {
        out.fill(identity);
        return;
    }
    // Threads (crate::parallel) split the outputs only: each is reduced along the whole axis,
    // in order, whatever the split.
    let work = parallel::element_ns(outer * axis * inner);
    if inner == 1 {
        parallel::for_each_row_band(out, outer, 1, work, |r, o| {
            reduce_rows(&x[r.start * axis..r.end * axis], o, axis, identity, f, horizontal)
        });
        return;
    }
    if outer == 1 && inner < COL_PIECE {
        // One narrow block (a bias gradient: 25,088 rows × 16 columns): groups of its rows.
        let groups = fixed_groups::groups(axis, inner, work);
        if groups > 1 {
            return reduce_row_groups(x, out, axis, inner, groups, f);
        }
    }
    // Whole blocks of `inner` outputs, or (few blocks) pieces of their columns. Every task
    // streams all `axis` rows of its block, so a piece must be wide (COL_PIECE floats, 1 KiB of
    // each row) for its rows to be mostly its own cache lines: two threads each summing half
    // of 32 or 64 columns over 25,088 rows both pulled in every line, and ran 2–4× slower
    // than one thread. Pieces start at multiples of 16 floats (a cache line).
    let max_pieces = (inner / COL_PIECE).max(1);
    let tasks = parallel::tasks_for(work, outer * max_pieces);
    let col_parts = tasks.div_ceil(outer).clamp(1, max_pieces);
    let cols = parallel::chunk_len_aligned(inner, col_parts, 16);
    let col_parts = inner.div_ceil(cols);
    let shared = parallel::SharedMut::new(out);
    parallel::run_units(outer * col_parts, tasks, |u| {
        let (o, c) = (u / col_parts, parallel::chunk_range(u % col_parts, cols, inner));
        let block = &x[o * axis * inner..(o + 1) * axis * inner];
        // SAFETY: the (block, columns) pieces of distinct units are disjoint.
        let orow = unsafe { shared.slice(o * inner + c.start..o * inner + c.end) };
        orow.copy_from_slice(&block[c.clone()]);
        for xrow in block.chunks_exact(inner).skip(1) {
            zip_in_place(orow, &xrow[c.clone()], f);
        }
    });
}

/// Columns of the widest piece a task reduces over all the rows of a block.
const COL_PIECE: usize = 256;

/// out [inner] = x [axis, inner] reduced over its rows in `groups` groups of consecutive rows
/// (fixed by the shape, crate::fixed_groups): each group reduces its rows in order into a
/// partial of its own, then the partials combine in group order. Threads take groups, each
/// reading rows no other reads. Every thread count makes the same operations in the same order.
/// (The partials stay on the stack: at most MAX_GROUPS × COL_PIECE floats.)
fn reduce_row_groups(
    x: &[f32], out: &mut [f32], axis: usize, inner: usize, groups: usize, f: impl Fn(F32x4, F32x4) -> F32x4 + Copy + Sync,
) {
    let per = parallel::chunk_len(axis, groups);
    let groups = axis.div_ceil(per);
    let mut partials = [0.0f32; fixed_groups::MAX_GROUPS * COL_PIECE];
    let parts = parallel::SharedMut::new(&mut partials[..groups * inner]);
    parallel::run(groups, |gi| {
        let rows = parallel::chunk_range(gi, per, axis);
        // SAFETY: group gi writes its own partial only.
        let p = unsafe { parts.slice(gi * inner..(gi + 1) * inner) };
        p.copy_from_slice(&x[rows.start * inner..(rows.start + 1) * inner]);
        for xrow in x[(rows.start + 1) * inner..rows.end * inner].chunks_exact(inner) {
            zip_in_place(p, xrow, f);
        }
    });
    out.copy_from_slice(&partials[..inner]);
    for p in partials[inner..groups * inner].chunks_exact(inner) {
        zip_in_place(out, p, f);
    }
}

/// Contiguous rows of `axis` values, each reduced to one output: four vector accumulators
/// (independent chains, so the loop runs at load speed rather than at the latency of one
/// add), combined at the end.
#[inline(always)]
fn reduce_rows(
    x: &[f32], out: &mut [f32], axis: usize, identity: f32,
    f: impl Fn(F32x4, F32x4) -> F32x4 + Copy, horizontal: impl Fn(F32x4) -> f32,
) {
    for (o, row) in out.iter_mut().zip(x.chunks_exact(axis)) {
        let mut acc = [F32x4::splat(identity); 4];
        let mut it = row.chunks_exact(16);
        for v in &mut it {
            for q in 0..4 {
                acc[q] = f(acc[q], F32x4::from_slice(&v[4 * q..]));
            }
        }
        let mut rest = it.remainder().chunks_exact(4);
        for v in &mut rest {
            acc[0] = f(acc[0], F32x4::from_slice(v));
        }
        acc[1] = f(acc[1], F32x4::load_partial(rest.remainder(), identity));
        *o = horizontal(f(f(acc[0], acc[1]), f(acc[2], acc[3])));
    }
}

/// Index of the max (argMax) or min (argMin) along `axis`, first one on ties. Comparisons
/// are strict, so a NaN never replaces the running best (a NaN first element stays the
/// answer). An empty axis gives 0.
pub fn arg_reduce(op: ArgReduceOp, x: &[f32], out: &mut [i32], outer: usize, axis: usize, inner: usize) {
    let better = match op {
        ArgReduceOp::ArgMax => |v: f32, best: f32| v > best,
        ArgReduceOp::ArgMin => |v: f32, best: f32| v < best,
    };
    let out = &mut out[..outer * inner];
    out.fill(0);
    if axis == 0 || inner == 0 {
        return;
    }
    // Threads: bands of outer blocks (each output is found by the same scan in any band).
    let work = parallel::element_ns(outer * axis * inner);
    parallel::for_each_row_band(out, outer, inner, work, |r, o| {
        arg_reduce_blocks(&x[r.start * axis * inner..r.end * axis * inner], o, axis, inner, better)
    });
}

fn arg_reduce_blocks(x: &[f32], out: &mut [i32], axis: usize, inner: usize, better: impl Fn(f32, f32) -> bool) {
    let mut best = vec![0.0f32; inner];
    for (orow, block) in out.chunks_exact_mut(inner).zip(x.chunks_exact(axis * inner)) {
        best.copy_from_slice(&block[..inner]);
        for (a, xrow) in block.chunks_exact(inner).enumerate().skip(1) {
            for ((b, o), &v) in best.iter_mut().zip(orow.iter_mut()).zip(xrow) {
                if better(v, *b) {
                    *b = v;
                    *o = a as i32;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Rng};

    fn reference(op: ReduceOp, x: &[f32], outer: usize, axis: usize, inner: usize) -> Vec<f32> {
        let mut out = Vec::new();
        for o in 0..outer {
            for i in 0..inner {
                let vals = (0..axis).map(|a| x[(o * axis + a) * inner + i] as f64);
                out.push(match op {
                    ReduceOp::Sum => vals.sum::<f64>(),
                    ReduceOp::Prod => vals.product::<f64>(),
                    ReduceOp::Max => vals.fold(f64::NEG_INFINITY, f64::max),
                    ReduceOp::Min => vals.fold(f64::INFINITY, f64::min),
                } as f32);
            }
        }
        out
    }

    #[test]
    fn reductions_along_first_middle_last_axis() {
        let mut rng = Rng::new(9);
        // [outer, axis, inner] covering axis first (outer=1), middle and last (inner=1)
        let shapes = [(1, 7, 5), (1, 1, 9), (3, 9, 6), (4, 33, 1), (1, 130, 1), (5, 1, 1), (2, 3, 17), (6, 0, 3), (3, 15, 1), (2, 16, 1), (2, 17, 1), (1, 1000, 1)];
        for op in ReduceOp::ALL {
            for &(outer, axis, inner) in &shapes {
                let lo = if op == ReduceOp::Prod { 0.5 } else { -2.0 };
                let x = rng.vec(outer * axis * inner, lo, 2.0);
                let mut out = vec![f32::NAN; outer * inner];
                reduce(op, &x, &mut out, outer, axis, inner);
                assert_close(&out, &reference(op, &x, outer, axis, inner), 1e-5, 1e-5);
            }
        }
    }

    #[test]
    fn max_propagates_nan() {
        let x = [1.0, f32::NAN, 3.0, 2.0, 5.0, 1.0];
        let mut out = [0.0; 2];
        reduce(ReduceOp::Max, &x, &mut out, 2, 3, 1);
        assert!(out[0].is_nan());
        assert_eq!(out[1], 5.0);
        reduce(ReduceOp::Max, &x, &mut out, 1, 3, 2);
        assert_eq!(out[0], 5.0);
        assert!(out[1].is_nan());
    }

    #[test]
    fn arg_reductions() {
        // [2, 4, 3]
        let x = [
            1.0, 5.0, 2.0, 7.0, 5.0, -1.0, 7.0, 0.0, 9.0, 0.0, 5.0, 9.0, //
            3.0, 3.0, 3.0, 3.0, 3.0, 3.0, -4.0, 3.0, f32::NAN, 3.0, 3.0, 3.0,
        ];
        let mut out = [0i32; 6];
        arg_reduce(ArgReduceOp::ArgMax, &x, &mut out, 2, 4, 3);
        assert_eq!(out, [1, 0, 2, 0, 0, 0]);
        arg_reduce(ArgReduceOp::ArgMin, &x, &mut out, 2, 4, 3);
        assert_eq!(out, [3, 2, 1, 2, 0, 0]);
        // a NaN first element stays; an empty axis gives 0
        arg_reduce(ArgReduceOp::ArgMax, &[f32::NAN, 1.0, 2.0], &mut out[..1], 1, 3, 1);
        assert_eq!(out[0], 0);
        let mut out2 = [9i32; 2];
        arg_reduce(ArgReduceOp::ArgMin, &[], &mut out2, 1, 0, 2);
        assert_eq!(out2, [0, 0]);
        let mut out1 = [0i32; 1];
        arg_reduce(ArgReduceOp::ArgMax, &[2.0, 9.0, 9.0, 1.0, 3.0], &mut out1, 1, 5, 1);
        assert_eq!(out1, [1]);
    }
}
