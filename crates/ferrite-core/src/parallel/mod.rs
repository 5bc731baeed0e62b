//! Splitting a kernel's output across threads, with the same bits for any thread count.
//!
//! A kernel that wants threads cuts its *output* into tasks (row bands, tiles, chunks of
//! elements, samples) and calls `run(tasks, |t| …)`: task t computes exactly its part, by
//! the same instructions in the same order whatever thread runs it. Never split a reduction
//! (the K of a product, a sum over a batch) across tasks: the rounding would then depend on
//! the split. Which thread runs which task, and how many tasks there are, must not change
//! any element's arithmetic (vector bodies vs scalar tails included: cut at multiples of the
//! vector width, or use kernels whose tails compute like their bodies).
//!
//! Parallelising a kernel — usually a few lines around its existing loop:
//! ```ignore
//! use crate::parallel;
//! // Rows of an output [rows, cols]: each task gets its band of rows, slices its inputs.
//! parallel::for_each_row_band(out, rows, cols, parallel::element_ns(rows * cols), |band, o| {
//!     kernel_rows(&x[band.start * cols..band.end * cols], o, band.len(), cols)
//! });
//! // Elements (maps): chunks of whole 64-element blocks.
//! parallel::for_each_range(out, parallel::ELEMENTS_PER_NS, 64, |r, o| map(&x[r], o));
//! // Several outputs per index (optimizers, losses): index ranges and `SharedMut`s.
//! let (ps, ms) = (SharedMut::new(p), SharedMut::new(m));
//! parallel::run_ranges(n, parallel::element_ns(n * 4), 64, |r| unsafe { step(ps.slice(r.clone()), ms.slice(r)) });
//! // Units (images, filter tiles) grouped into tasks, each with its own scratch.
//! let tasks = parallel::tasks_for(parallel::madd_ns(m, n, k), units);
//! parallel::run_units(units, tasks, |u| { … });
//! ```
//! - `tasks_for(work_ns, max)` says how many tasks the work is worth (1 when a dispatch would
//!   cost more than it saves; see the thresholds below); `max` bounds it by the parts the
//!   output can be cut into. The helpers above call it themselves.
//! - `SharedMut` hands tasks `&mut` pieces of one output (2-D tiles, scattered rows); each
//!   task must touch only its own elements.
//! - Per-thread scratch: `thread_local!` works (each thread has its own); nested `run` calls
//!   made inside a task run inline on that thread.
//! - Test it: `with_threads(n, f)` (host) cuts every job as finely as allowed; `kernel_tests.rs`
//!   checks each parallel kernel gives the bits of one thread for 2, 3 and 5 threads.
//!
//! Where the threads come from:
//! - threaded wasm builds (`+atomics`): the shared-memory pool of `wasm_pool` (started by the
//!   host: see `ts/backend/wasm/threads/`);
//! - single-threaded wasm builds: everything runs inline (`threads()` is the constant 1, so
//!   the compiler removes the parallel paths);
//! - the host (unit tests): `with_threads(n, f)` runs `f` with n scoped std threads.

use core::marker::PhantomData;
use core::ops::Range;

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
pub mod wasm_pool;
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
use wasm_pool as imp;

#[cfg(not(target_arch = "wasm32"))]
mod host;
#[cfg(not(target_arch = "wasm32"))]
pub use host::{jobs_spread, with_threads, with_threads_and_thresholds};
#[cfg(not(target_arch = "wasm32"))]
use host as imp;

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
mod imp {
    #[inline(always)]
    pub fn threads() -> usize {
        1
    }
    #[inline(always)]
    pub fn run(tasks: usize, task: &(dyn Fn(usize) + Sync)) {
        for t in 0..tasks {
            task(t);
        }
    }
    #[inline(always)]
    pub fn worker_id() -> usize {
        0
    }
}

/// Whether the work thresholds apply (the host's unit tests turn them off).
#[cfg(target_arch = "wasm32")]
#[inline(always)]
fn thresholds() -> bool {
    true
}
#[cfg(not(target_arch = "wasm32"))]
use host::thresholds;

// ---- thresholds ----------------------------------------------------------------------------
//
// Measured on the 2-core machine of bench/README.md ("Threads"): handing a job to a helper
// that is spinning and joining it costs about 2–4 µs in the threaded builds (a helper asleep
// in wait32 takes 20–60 µs to wake). A task must bring each extra thread several times that,
// or the dispatch eats the gain; below MIN_PARALLEL_NS a kernel runs on one thread.

/// Estimated one-thread time (ns) below which a kernel stays on one thread.
pub const MIN_PARALLEL_NS: usize = 20_000;
/// Smallest estimated time (ns) of one task.
pub const MIN_TASK_NS: usize = 10_000;
/// Tasks per thread when there is work enough: a thread slowed by a busy core then takes
/// fewer tasks instead of holding up the join.
pub const TASKS_PER_THREAD: usize = 4;

/// Work rates for the estimates (one thread, this machine kind).
/// Multiply-adds per ns in the register-blocked products (sgemm, convolutions): ~40 GFLOPS.
pub const MADDS_PER_NS: usize = 20;
/// Elements per ns of a simple element-wise map or row reduction (memory-bound).
pub const ELEMENTS_PER_NS: usize = 2;

/// Estimated one-thread time (ns) of m·n·k multiply-adds in a register-blocked kernel
/// (computed in 64 bits: the product overflows 32-bit usize on wasm32).
pub fn madd_ns(m: usize, n: usize, k: usize) -> usize {
    let madds = (m as u64).saturating_mul(n as u64).saturating_mul(k as u64);
    (madds / MADDS_PER_NS as u64).min(usize::MAX as u64) as usize
}

/// Estimated one-thread time (ns) of a simple pass over `elements` values.
pub fn element_ns(elements: usize) -> usize {
    elements / ELEMENTS_PER_NS
}

/// Threads jobs started now may use (1 inside a task, and in single-threaded builds).
#[inline(always)]
pub fn threads() -> usize {
    imp::threads()
}

/// Which thread runs the calling code: 0 on the caller (and in single-threaded builds), 1.. on
/// helpers. For diagnostics only: results must not depend on it.
pub fn worker_id() -> usize {
    imp::worker_id()
}

/// How many tasks `work_ns` (the estimated one-thread time of the whole job) is worth, at
/// most `max_parts`: 1 when it is below MIN_PARALLEL_NS or there is one thread.
#[inline]
pub fn tasks_for(work_ns: usize, max_parts: usize) -> usize {
    let threads = threads();
    if threads <= 1 || max_parts <= 1 {
        return 1;
    }
    if !thresholds() {
        return (threads * TASKS_PER_THREAD).min(max_parts);
    }
    if work_ns < MIN_PARALLEL_NS {
        return 1;
    }
    (work_ns / MIN_TASK_NS).min(threads * TASKS_PER_THREAD).min(max_parts).max(1)
}

/// How many parts of at least MIN_TASK_NS `work_ns` is worth whatever the thread count: 1
/// below MIN_PARALLEL_NS. For splits that must not depend on the threads (sums in a fixed
/// order, crate::fixed_groups); tasks_for is the split of outputs.
pub fn parts_for(work_ns: usize) -> usize {
    if !thresholds() {
        return usize::MAX;
    }
    if work_ns < MIN_PARALLEL_NS {
        return 1;
    }
    (work_ns / MIN_TASK_NS).max(1)
}

/// Runs `task(t)` for every t < tasks, spread over the threads (the caller is one of them),
/// and returns when all have run. Tasks must write disjoint outputs; which thread runs which
/// task is unspecified.
#[inline]
pub fn run(tasks: usize, task: impl Fn(usize) + Sync) {
    if tasks == 1 {
        task(0);
        return;
    }
    imp::run(tasks, &task);
}

/// Runs `body(u)` for every unit u < units (images, rows, tiles: parts of the output), as
/// `tasks` tasks of consecutive units; inline, in order, when `tasks` ≤ 1.
pub fn run_units(units: usize, tasks: usize, body: impl Fn(usize) + Sync) {
    if tasks <= 1 || units <= 1 {
        for u in 0..units {
            body(u);
        }
        return;
    }
    let per = chunk_len(units, tasks);
    run(units.div_ceil(per), |t| {
        for u in chunk_range(t, per, units) {
            body(u);
        }
    });
}

/// Items per task when `n` items are cut into `tasks` tasks (the last may be shorter).
pub fn chunk_len(n: usize, tasks: usize) -> usize {
    n.div_ceil(tasks.max(1)).max(1)
}

/// As `chunk_len`, rounded up to a multiple of `align` (vector width, tile size).
pub fn chunk_len_aligned(n: usize, tasks: usize, align: usize) -> usize {
    chunk_len(n, tasks).next_multiple_of(align.max(1))
}

/// The items of task t when `n` items are cut into pieces of `chunk`.
pub fn chunk_range(t: usize, chunk: usize, n: usize) -> Range<usize> {
    (t * chunk).min(n)..((t + 1) * chunk).min(n)
}

/// Calls `f(i, piece)` for the pieces of `out` of `chunk` elements (the last may be
/// shorter), as parallel tasks.
pub fn for_each_chunk<T: Send>(out: &mut [T], chunk: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    let chunk = chunk.max(1);
    let n = out.len();
    let tasks = n.div_ceil(chunk);
    if tasks <= 1 {
        if n > 0 {
            f(0, out);
        }
        return;
    }
    let shared = SharedMut::new(out);
    // SAFETY: the pieces of distinct tasks are disjoint.
    run(tasks, |t| f(t, unsafe { shared.slice(chunk_range(t, chunk, n)) }));
}

/// Cuts `out` into chunks of whole `align`-element blocks (the last takes the rest) as parallel
/// tasks when a pass over it is worth it at `elements_per_ns` (its estimated one-thread
/// speed), else makes one call with everything. `f(range, piece)` gets each chunk's element
/// range in `out` (to slice the inputs with) and the chunk.
pub fn for_each_range<T: Send>(
    out: &mut [T], elements_per_ns: usize, align: usize, f: impl Fn(Range<usize>, &mut [T]) + Sync,
) {
    let n = out.len();
    let tasks = tasks_for(n / elements_per_ns.max(1), n / align.max(1));
    if tasks <= 1 {
        f(0..n, out);
        return;
    }
    let chunk = chunk_len_aligned(n, tasks, align);
    for_each_chunk(out, chunk, |t, piece| f(chunk_range(t, chunk, n), piece));
}

/// For row-wise kernels: cuts `out` ([rows, row_len], row-major) into bands of whole rows as
/// parallel tasks when `work_ns` (the estimated one-thread time of all rows) is worth it,
/// else calls `f(0..rows, out)`. `f(rows range, band)` slices its inputs with the range.
pub fn for_each_row_band<T: Send>(
    out: &mut [T], rows: usize, row_len: usize, work_ns: usize, f: impl Fn(Range<usize>, &mut [T]) + Sync,
) {
    let out = &mut out[..rows * row_len];
    let tasks = tasks_for(work_ns, rows);
    if tasks <= 1 || row_len == 0 {
        f(0..rows, out);
        return;
    }
    let per = chunk_len(rows, tasks);
    for_each_chunk(out, per * row_len, |t, band| f(chunk_range(t, per, rows), band));
}

/// Cuts the index range 0..n into pieces of whole `align` blocks as parallel tasks when
/// `work_ns` (the estimated one-thread time of all n) is worth it, else calls `f(0..n)`.
/// For kernels that write several outputs per index (give them `SharedMut`s).
pub fn run_ranges(n: usize, work_ns: usize, align: usize, f: impl Fn(Range<usize>) + Sync) {
    let tasks = tasks_for(work_ns, n / align.max(1));
    if tasks <= 1 {
        f(0..n);
        return;
    }
    let chunk = chunk_len_aligned(n, tasks, align);
    run(n.div_ceil(chunk), |t| f(chunk_range(t, chunk, n)));
}

/// A mutable slice that the tasks of one job write in disjoint parts (tiles, strided rows).
pub struct SharedMut<'a, T> {
    ptr: *mut T,
    len: usize,
    _borrow: PhantomData<&'a mut [T]>,
}

// SAFETY: tasks touch disjoint elements (the contract of `slice` / `ptr`).
unsafe impl<T: Send> Sync for SharedMut<'_, T> {}
unsafe impl<T: Send> Send for SharedMut<'_, T> {}

impl<'a, T> SharedMut<'a, T> {
    pub fn new(s: &'a mut [T]) -> Self {
        SharedMut { ptr: s.as_mut_ptr(), len: s.len(), _borrow: PhantomData }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The elements in `r`.
    ///
    /// # Safety
    /// No other task may read or write any element of `r` while the returned slice lives.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn slice(&self, r: Range<usize>) -> &'a mut [T] {
        assert!(r.start <= r.end && r.end <= self.len, "SharedMut: {r:?} outside {} elements", self.len);
        unsafe { core::slice::from_raw_parts_mut(self.ptr.add(r.start), r.end - r.start) }
    }

    /// The whole slice's first element, for kernels that write through raw pointers.
    ///
    /// # Safety
    /// As `slice`: each task writes only elements no other task touches.
    pub unsafe fn ptr(&self) -> *mut T {
        self.ptr
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod kernel_tests;
