//! The loop nest cut into tasks over C (crate::parallel): a grid of row bands (multiples of
//! MR rows) × column bands (multiples of NR columns), never the depth K. Each task runs
//! `nest::run_with` on its rectangle, and the kernels sum each depth block of each element
//! from zero in the same order whatever the rectangle, so C has the same bits for any
//! thread count.
//!
//! With more than one row band, B is packed once for all of them, by all threads, into a
//! shared buffer (a task per group of slivers), then the bands are computed (a second job);
//! depth blocks go in groups whose packed B stays under SHARED_B_MAX floats. With a single row
//! band (few rows) each column band packs its own slivers and one job does everything.

use super::blocks::{KC, MC, MR, NR};
use super::nest::{self, Plan, Prepacked};
use super::pack::{pack_sliver, PackBuf, View};
use crate::parallel::{self, SharedMut};
use std::cell::RefCell;

/// Floats of shared packed B per depth group (16 MiB).
const SHARED_B_MAX: usize = 4 << 20;

/// Register tiles (MR rows each) per row band when a product is cut by rows. 2 threads ÷ 1,
/// same-process turns (medians), against the earlier bands of up to one MC block:
/// 256³ 1.34× → 1.61×, 512³ 1.90× → 1.96×, 1024³ 1.65× → 1.82×, 1000³ 1.83× → 2.02×,
/// 3136×128×32 1.74× → 1.90×. One tile per band (each B sliver from L2 for a single tile)
/// was slower than two.
const ROW_BAND_TILES: usize = 2;

thread_local! {
    /// The shared packed B (on the calling thread).
    static SHARED_B: RefCell<PackBuf> = const { RefCell::new(PackBuf::new()) };
}

/// Fewest columns per task of the row-streaming (axpy) form: it reads B row by row, and a
/// task's piece of each row must span a page or more for the prefetcher to keep up (pieces of
/// 208 columns made 1×1024×1024 about 2× slower on 2 threads than on one). This keeps batch-1
/// products up to 2047 columns on one thread; they are memory-bound anyway.
pub const AXPY_MIN_COLS: usize = 1024;

/// The unpacked small-row products (gemm::small) over column ranges: `f(width, Bᵀ from column
/// j0, C from column j0)` per range, ranges starting at multiples of 16 columns and at least
/// `min_cols` wide, so every element keeps its arithmetic (small.rs: only the last n % 4
/// columns differ).
pub fn columns(
    m: usize, n: usize, k: usize, bt: View, c: &mut [f32], min_cols: usize,
    f: impl Fn(usize, View, &mut [f32]) + Sync,
) {
    let tasks = parallel::tasks_for(parallel::madd_ns(m, n, k), n / min_cols.max(16));
    if tasks <= 1 {
        return f(n, bt, c);
    }
    let cols = parallel::chunk_len_aligned(n, tasks, 16);
    let c = SharedMut::new(&mut c[..(m - 1) * n + n]);
    parallel::run(n.div_ceil(cols), |t| {
        let r = parallel::chunk_range(t, cols, n);
        let btj = View { data: &bt.data[r.start * bt.rs..], ..bt };
        // SAFETY: the slice spans the other tasks' columns in the rows between, but this task
        // reads and writes only columns r (the kernels address rows with stride n).
        let cj = unsafe { c.slice(r.start..(m - 1) * n + r.end) };
        f(r.len(), btj, cj);
    });
}

/// Tasks worth a product of m×n×k multiply-adds (1: run on one thread).
pub fn tasks_for(m: usize, n: usize, k: usize) -> usize {
    let tiles = m.div_ceil(MR) * n.div_ceil(NR);
    parallel::tasks_for(parallel::madd_ns(m, n, k), tiles)
}

/// C = alpha·A·B + beta·C as `nest::run`, over `tasks` tasks. Returns false, having written
/// nothing, when the shared packing buffer cannot be allocated. (A task whose own packing
/// buffer cannot be had computes its rectangle with plain loops: correct, slower.)
pub fn run(
    m: usize, n: usize, k: usize, alpha: f32, a: View, bt: View, beta: f32, c: &mut [f32], ldc: usize,
    plan: Plan, tasks: usize,
) -> bool {
    let (row_tiles, col_slivers) = (m.div_ceil(MR), n.div_ceil(NR));
    let threads = parallel::threads().max(1);
    // At most one MC block of rows, and ≥ 4 slivers of columns per thread (a weight gradient:
    // few rows, a long depth): one band of columns per thread. Each packs its own slivers of B
    // one depth block at a time, and they stay in its cache; row bands would share one packed
    // B of k·n floats, written once and streamed back from memory by every band (16×128 with
    // depth 3200: 1.06–1.3× on 2 threads that way, 1.6–1.8× in column bands). Each band packs
    // all of A again, at most MC rows, so there is one band per thread, not more.
    // Enough rows: bands of ROW_BAND_TILES register tiles, at most one per MIN_TASK_NS of work
    // and at least one per thread. Threads claim bands as they go, so small bands even out a
    // core that runs slower for a while, and the last band leaves the other threads idle only
    // briefly. A band's slice of packed A stays in L1 across every sliver of B, which comes
    // from the shared packed B in L2 (see ROW_BAND_TILES). Few rows and few columns: bands of
    // tiles, and the columns cut as well.
    let (row_bands, col_bands) = if m <= MC && col_slivers >= 4 * threads && tasks >= threads {
        (1, threads)
    } else if tasks >= threads && row_tiles >= 2 * threads {
        let most = (parallel::madd_ns(m, n, k) / parallel::MIN_TASK_NS).max(threads);
        (row_tiles.div_ceil(ROW_BAND_TILES).min(most), 1)
    } else {
        let row_bands = tasks.min(row_tiles);
        (row_bands, tasks.div_ceil(row_bands).min(col_slivers))
    };
    let band_cols = parallel::chunk_len(col_slivers, col_bands) * NR;
    let col_bands = n.div_ceil(band_cols);
    // Row band r: tiles r·T/R .. (r+1)·T/R (sizes differ by at most one tile).
    let band_start = move |r: usize| (r * row_tiles / row_bands * MR).min(m);
    let c = SharedMut::new(&mut c[..(m - 1) * ldc + n]);
    // Task t's rectangle of C over depths p0..p0+kd, B from `pb` if given.
    let rect = |t: usize, p0: usize, kd: usize, beta: f32, pb: Option<&[f32]>| {
        let (r, j0) = (t / col_bands, (t % col_bands) * band_cols);
        let (i0, nn) = (band_start(r), band_cols.min(n - j0));
        let mm = band_start(r + 1) - i0;
        let av = View { data: &a.data[i0 * a.rs + p0 * a.cs..], ..a };
        let bv = View { data: &bt.data[j0 * bt.rs + p0 * bt.cs..], ..bt };
        let prepacked = pb.map(|data| Prepacked { data, n_pad: n.next_multiple_of(NR), first: j0 / NR });
        // SAFETY: the rectangles of distinct tasks are disjoint: rows i0.. of C with stride
        // ldc, columns j0..j0+nn. (The slice spans other tasks' columns in the rows between;
        // the nest reads and writes only its own, through the stride.)
        let cr = unsafe { c.slice(i0 * ldc + j0..(i0 + mm - 1) * ldc + j0 + nn) };
        let done = super::PACK.with(|cell| match cell.try_borrow_mut() {
            Ok(mut bufs) => {
                let (abuf, bbuf) = &mut *bufs;
                nest::run_with(mm, nn, kd, alpha, av, bv, beta, cr, ldc, plan, abuf, bbuf, prepacked)
            }
            Err(_) => false,
        });
        if !done {
            plain_rect(mm, nn, kd, alpha, av, bv, beta, cr, ldc);
        }
    };
    let tasks = row_bands * col_bands;
    if row_bands == 1 || !plan.pack_b {
        parallel::run(tasks, |t| rect(t, 0, k, beta, None));
        return true;
    }
    SHARED_B.with(|cell| {
        let Ok(mut shared) = cell.try_borrow_mut() else { return false };
        let n_pad = n.next_multiple_of(NR);
        // Depth blocks per group, so that a group's packed B fits SHARED_B_MAX.
        let group_depth = ((SHARED_B_MAX / n_pad / KC).max(1) * KC).min(k.next_multiple_of(KC));
        let Some(buf) = shared.get(group_depth.min(k) * n_pad) else { return false };
        let pack_tasks = parallel::tasks_for(parallel::element_ns(group_depth.min(k) * n_pad), col_slivers);
        let slivers_per_task = parallel::chunk_len(col_slivers, pack_tasks);
        for g0 in (0..k).step_by(group_depth) {
            let gk = group_depth.min(k - g0);
            let packed = SharedMut::new(&mut buf[..gk * n_pad]);
            parallel::run(col_slivers.div_ceil(slivers_per_task), |t| {
                for s in parallel::chunk_range(t, slivers_per_task, col_slivers) {
                    let (j, w) = (s * NR, NR.min(n - s * NR));
                    for pc in (0..gk).step_by(KC) {
                        let kc = KC.min(gk - pc);
                        // SAFETY: sliver s of depth block pc is written by this task alone.
                        let dst = unsafe { packed.slice(pc * n_pad + s * kc * NR..pc * n_pad + (s + 1) * kc * NR) };
                        pack_sliver::<NR>(dst, bt, j, w, g0 + pc, kc, true);
                    }
                }
            });
            let packed: &[f32] = &buf[..gk * n_pad];
            // Later groups accumulate onto the first one's result, as later depth blocks do.
            let beta = if g0 == 0 { beta } else { 1.0 };
            parallel::run(tasks, |t| rect(t, g0, gk, beta, Some(packed)));
        }
        true
    })
}

/// C = alpha·A·B + beta·C by plain loops (C m×n with row stride ldc): a task's fallback when
/// its packing buffer cannot be allocated.
fn plain_rect(m: usize, n: usize, k: usize, alpha: f32, a: View, bt: View, beta: f32, c: &mut [f32], ldc: usize) {
    for i in 0..m {
        for j in 0..n {
            let mut s = 0.0f32;
            for p in 0..k {
                s += a.at(i, p) * bt.at(j, p);
            }
            let dst = &mut c[i * ldc + j];
            *dst = if beta == 0.0 { alpha * s } else { beta * *dst + alpha * s };
        }
    }
}
