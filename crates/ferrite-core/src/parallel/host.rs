//! The host (non-wasm) runner, for unit tests: `with_threads(n, f)` runs `f` with jobs spread
//! over n scoped std threads, so every parallel kernel can be checked against its one-thread
//! result bit for bit. It also turns the work thresholds off, so that even small test shapes
//! are cut as finely as the kernel allows (`with_threads_and_thresholds` keeps them).
//! Outside these everything runs on the calling thread.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

thread_local! {
    static THREADS: Cell<usize> = const { Cell::new(1) };
    static WORKER_ID: Cell<usize> = const { Cell::new(0) };
    static THRESHOLDS: Cell<bool> = const { Cell::new(true) };
    /// Jobs this thread has spread over several threads (tests check their kernels split).
    static JOBS: Cell<usize> = const { Cell::new(0) };
}

/// How many jobs the calling thread has spread over several threads so far.
pub fn jobs_spread() -> usize {
    JOBS.with(Cell::get)
}

pub fn thresholds() -> bool {
    THRESHOLDS.with(Cell::get)
}

pub fn worker_id() -> usize {
    WORKER_ID.with(Cell::get)
}

pub fn threads() -> usize {
    THREADS.with(Cell::get)
}

/// Runs `f` with `n` threads available to the jobs it starts (nested jobs run inline), every
/// job cut as finely as its kernel allows.
pub fn with_threads<R>(n: usize, f: impl FnOnce() -> R) -> R {
    let before = THRESHOLDS.with(|t| t.replace(false));
    let r = with_threads_and_thresholds(n, f);
    THRESHOLDS.with(|t| t.set(before));
    r
}

/// As `with_threads`, with the work thresholds of the wasm builds.
pub fn with_threads_and_thresholds<R>(n: usize, f: impl FnOnce() -> R) -> R {
    let before = THREADS.with(|t| t.replace(n.max(1)));
    let r = f();
    THREADS.with(|t| t.set(before));
    r
}

pub fn run(tasks: usize, task: &(dyn Fn(usize) + Sync)) {
    let threads = threads();
    if tasks <= 1 || threads <= 1 {
        for t in 0..tasks {
            task(t);
        }
        return;
    }
    JOBS.with(|j| j.set(j.get() + 1));
    let next = AtomicUsize::new(0);
    let take = || loop {
        let t = next.fetch_add(1, Ordering::Relaxed);
        if t >= tasks {
            break;
        }
        task(t);
    };
    std::thread::scope(|s| {
        for id in 1..threads.min(tasks) {
            // Spawned threads start with THREADS = 1: jobs nested in a task run inline.
            s.spawn(move || {
                WORKER_ID.with(|w| w.set(id));
                take();
            });
        }
        // The caller runs as worker 0 with THREADS = 1 as well.
        with_threads(1, take);
    });
}
