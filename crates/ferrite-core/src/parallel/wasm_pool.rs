//! The thread pool of the threaded wasm builds (`+atomics`, one shared memory).
//!
//! Every thread is an instance of the same module over the same memory: the instance the
//! library calls is worker 0 (the caller), the others are helpers that the host started and
//! parked in `worker_loop`. A job is published through statics in the shared memory:
//! - the task function (a `&dyn Fn(usize)`: its data lives on the caller's stack, its vtable
//!   in the data segment; function-table indices are the same in every instance),
//! - `TASKS` and `NEXT` (tasks are claimed one at a time with `fetch_add`, so a thread on a
//!   busy core simply does fewer),
//! - `WORKERS` (helpers with an id below it take part),
//! then `OPEN` and `GENERATION` are set to the job's generation. Helpers spin on
//! `GENERATION` for a while, then sleep on it with `memory.atomic.wait32`; the caller wakes
//! sleepers with `memory.atomic.notify`.
//!
//! The join waits only for helpers that actually entered the job: a helper counts itself in
//! `ACTIVE`, then checks the job is still `OPEN`. The caller takes tasks too; when none are
//! left it closes the job and waits until `ACTIVE` is 0. So a helper that is slow to wake
//! (its core busy with another process) costs nothing: the caller does its share. The caller
//! spins in that join, then — where the host says it may block (not on a browser's main
//! thread, where `wait` traps) — sleeps on `ACTIVE` until the last helper out notifies it.
//!
//! Failures: a helper that traps inside a task cannot unwind; its host code calls
//! `helper_failed`, which marks the job failed and leaves it. The caller then stops using
//! helpers (THREADS = 1) and traps, so the call fails as it would on one thread; the host
//! restarts the helpers. A trap on the caller leaves the job open: the host calls `recover`
//! before the next call into the module.

use core::arch::wasm32::{memory_atomic_notify, memory_atomic_wait32};
use core::cell::Cell;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering::*};

/// A value on a cache line of its own: the words below are written by one thread while others
/// poll them, and sharing a line (with each other or with unrelated data) would make every
/// write pull the line away from the pollers and back.
#[repr(align(128))]
struct Line<T>(T);

impl<T> core::ops::Deref for Line<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The futex word: the latest job's generation (even numbers; bumped by 2 per job and on
/// shutdown). Only the caller writes it.
static GENERATION: Line<AtomicU32> = Line(AtomicU32::new(0));
/// The generation of the job helpers may enter, or CLOSED.
static OPEN: Line<AtomicU32> = Line(AtomicU32::new(CLOSED));
const CLOSED: u32 = 1;
/// Helpers inside the current job.
static ACTIVE: Line<AtomicU32> = Line(AtomicU32::new(0));
/// Helpers asleep in `wait32` (the caller notifies only when some are).
static SLEEPERS: Line<AtomicU32> = Line(AtomicU32::new(0));
/// Next unclaimed task of the current job.
static NEXT: Line<AtomicU32> = Line(AtomicU32::new(0));
/// The rest of the current job, written before it is published: the task count, which
/// helpers take part, the task function (the two words of a `&dyn Fn(usize) + Sync`).
static TASKS: AtomicU32 = AtomicU32::new(0);
static WORKERS: AtomicU32 = AtomicU32::new(1);
static JOB_DATA: AtomicUsize = AtomicUsize::new(0);
static JOB_VTABLE: AtomicUsize = AtomicUsize::new(0);
/// Set by a helper whose task trapped.
static FAILED: AtomicU32 = AtomicU32::new(0);
/// Threads jobs may use: 1 + helpers parked in `worker_loop`.
static THREADS: AtomicU32 = AtomicU32::new(1);
/// Helpers return from `worker_loop` when this differs from the epoch they started in.
static EPOCH: AtomicU32 = AtomicU32::new(0);
/// Spin iterations before an idle helper sleeps.
static SPIN: AtomicU32 = AtomicU32::new(DEFAULT_SPIN);
/// Jobs handed out to helpers so far (diagnostics: tests check kernels do split).
static JOBS: AtomicU32 = AtomicU32::new(0);
/// Whether the caller may block in wait32 while a slow helper finishes its last task (not on
/// a browser's main thread, where wait traps): it then frees its core for that helper.
static CALLER_WAITS: AtomicU32 = AtomicU32::new(0);
/// Spin iterations of the caller's join before it waits (when it may).
const JOIN_SPIN: u32 = 20_000;

/// Roughly 100 µs of polling: long enough to span the gaps between the kernels of a training
/// step, short enough not to burn a core between batches.
pub const DEFAULT_SPIN: u32 = 200_000;

thread_local! {
    /// True on helpers, and on the caller while it runs a job: nested jobs run inline.
    static IN_JOB: Cell<bool> = const { Cell::new(false) };
    /// 0 on the caller, the helper's id on a helper.
    static WORKER_ID: Cell<u32> = const { Cell::new(0) };
}

type Task<'a> = &'a (dyn Fn(usize) + Sync);

pub fn threads() -> usize {
    if IN_JOB.with(Cell::get) {
        1
    } else {
        THREADS.load(Relaxed) as usize
    }
}

/// 0 on the caller, the helper's id on a helper.
pub fn worker_id() -> usize {
    WORKER_ID.with(Cell::get) as usize
}

fn wake_sleepers() {
    if SLEEPERS.load(SeqCst) > 0 {
        // SAFETY: GENERATION is a live static in the shared memory.
        unsafe { memory_atomic_notify(GENERATION.as_ptr() as *mut i32, u32::MAX) };
    }
}

/// Runs `task(t)` for t < tasks on up to `threads()` threads; see the module doc.
pub fn run(tasks: usize, task: Task) {
    let threads = threads();
    if tasks <= 1 || threads <= 1 {
        for t in 0..tasks {
            task(t);
        }
        return;
    }
    // SAFETY: a fat reference is two words; helpers rebuild it only while they are counted
    // in ACTIVE, and this function returns only when ACTIVE is 0.
    let [data, vtable]: [usize; 2] = unsafe { core::mem::transmute::<Task, [usize; 2]>(task) };
    JOB_DATA.store(data, Relaxed);
    JOB_VTABLE.store(vtable, Relaxed);
    TASKS.store(tasks as u32, Relaxed);
    NEXT.store(0, Relaxed);
    WORKERS.store(threads.min(tasks) as u32, Relaxed);
    IN_JOB.with(|f| f.set(true));
    JOBS.fetch_add(1, Relaxed);
    let generation = GENERATION.load(Relaxed).wrapping_add(2);
    OPEN.store(generation, SeqCst);
    // SeqCst pairs with the helpers' SLEEPERS increment: either we see a sleeper and wake
    // it, or its wait32 sees the new generation and does not sleep.
    GENERATION.store(generation, SeqCst);
    wake_sleepers();
    take_tasks(task, tasks as u32);
    close_and_join();
    IN_JOB.with(|f| f.set(false));
    if FAILED.load(Acquire) != 0 {
        // A helper trapped: stop using helpers and fail this call as it would have failed on
        // one thread. The host reads the message and restarts the helpers.
        THREADS.store(1, Relaxed);
        core::arch::wasm32::unreachable();
    }
}

#[inline(always)]
fn take_tasks(task: Task, tasks: u32) {
    loop {
        let t = NEXT.fetch_add(1, Relaxed);
        if t >= tasks {
            return;
        }
        task(t as usize);
    }
}

/// No helper may enter the job any more; waits for those inside to finish: spinning, then
/// (where the caller may block) sleeping on ACTIVE, so that a helper whose core was taken by
/// another process gets one back sooner.
fn close_and_join() {
    OPEN.store(CLOSED, SeqCst);
    let mut spins = 0;
    loop {
        let active = ACTIVE.load(SeqCst);
        if active == 0 {
            return;
        }
        if spins < JOIN_SPIN || CALLER_WAITS.load(Relaxed) == 0 {
            spins += 1;
            core::hint::spin_loop();
            continue;
        }
        // SAFETY: ACTIVE is a live static in the shared memory. Returns when the last helper
        // notifies, at once if the count already changed, or after 1 ms.
        unsafe { memory_atomic_wait32(ACTIVE.as_ptr() as *mut i32, active as i32, 1_000_000) };
    }
}

/// A helper leaves a job; the last one out wakes a caller that sleeps in the join.
fn leave_job() {
    if ACTIVE.fetch_sub(1, SeqCst) == 1 && CALLER_WAITS.load(Relaxed) != 0 {
        // SAFETY: ACTIVE is a live static in the shared memory.
        unsafe { memory_atomic_notify(ACTIVE.as_ptr() as *mut i32, 1) };
    }
}

/// A helper's life: wait for jobs, run tasks, until the pool's epoch changes.
pub fn worker_loop(id: u32, epoch: u32) {
    IN_JOB.with(|f| f.set(true));
    WORKER_ID.with(|w| w.set(id));
    let mut seen = GENERATION.load(Acquire);
    loop {
        let generation = wait_for_change(seen);
        seen = generation;
        if EPOCH.load(Acquire) != epoch {
            return;
        }
        if id >= WORKERS.load(Relaxed) {
            continue;
        }
        ACTIVE.fetch_add(1, SeqCst);
        if OPEN.load(SeqCst) != generation {
            // Closed already (the caller did every task), or a newer job is out: handle that
            // one on the next turn.
            leave_job();
            continue;
        }
        // The job cannot change while we are counted in ACTIVE.
        let (data, vtable) = (JOB_DATA.load(Relaxed), JOB_VTABLE.load(Relaxed));
        // SAFETY: the caller stored a live `Task` and waits for ACTIVE to reach 0.
        let task: Task = unsafe { core::mem::transmute::<[usize; 2], Task>([data, vtable]) };
        take_tasks(task, TASKS.load(Relaxed));
        leave_job();
    }
}

/// Spins, then sleeps, until GENERATION differs from `seen`; returns it.
fn wait_for_change(seen: u32) -> u32 {
    let spin = SPIN.load(Relaxed);
    let mut i = 0;
    loop {
        let g = GENERATION.load(Acquire);
        if g != seen {
            return g;
        }
        if i < spin {
            i += 1;
            core::hint::spin_loop();
            continue;
        }
        SLEEPERS.fetch_add(1, SeqCst);
        // SAFETY: GENERATION is a live static in the shared memory. Returns when notified,
        // or at once if the value already changed.
        unsafe { memory_atomic_wait32(GENERATION.as_ptr() as *mut i32, seen as i32, -1) };
        SLEEPERS.fetch_sub(1, SeqCst);
        i = 0;
    }
}

/// Jobs handed out to helpers so far.
pub fn jobs() -> u32 {
    JOBS.load(Relaxed)
}

/// Sets how many threads jobs may use (1 + helpers parked in `worker_loop`), how long
/// helpers spin before sleeping, and whether the caller may block in a join; returns the
/// thread count.
pub fn set_threads(n: u32, spin: u32, caller_waits: bool) -> u32 {
    let n = n.max(1);
    THREADS.store(n, Relaxed);
    SPIN.store(spin, Relaxed);
    CALLER_WAITS.store(caller_waits as u32, Relaxed);
    n
}

/// The epoch helpers started now belong to.
pub fn epoch() -> u32 {
    EPOCH.load(Acquire)
}

/// Sends every helper out of `worker_loop` and goes back to one thread.
pub fn stop() {
    THREADS.store(1, Relaxed);
    EPOCH.fetch_add(1, SeqCst);
    GENERATION.fetch_add(2, SeqCst);
    // SAFETY: GENERATION is a live static in the shared memory.
    unsafe { memory_atomic_notify(GENERATION.as_ptr() as *mut i32, u32::MAX) };
}

/// Called on a helper whose task trapped: marks the job failed and leaves it.
pub fn helper_failed() {
    FAILED.store(1, Release);
    leave_job();
}

/// After a trap on the caller: closes the job it left, lets the helpers inside finish their
/// tasks, and clears the job state, so the next call starts clean. Returns whether a helper
/// had failed.
pub fn recover() -> bool {
    close_and_join();
    IN_JOB.with(|f| f.set(false));
    FAILED.swap(0, AcqRel) != 0
}
