//! The C ABI of the thread pool (ferrite_core::parallel). Every build exports these; in the
//! single-threaded builds they report one thread and return at once. The host side is
//! ts/backend/wasm/threads/.
//!
//! Starting helpers (host): instantiate the threaded module on the shared memory in a worker,
//! give the instance its own stack (`__stack_pointer`) and TLS block (`__wasm_init_tls`), then
//! call `ferrite_worker_run(id, ferrite_threads_epoch())`, which returns only when
//! the pool is stopped. Once every helper is parked, `ferrite_threads_set(1 + helpers, spin,
//! caller_waits)`.

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
use ferrite_core::parallel::wasm_pool as pool;
use ferrite_core::parallel;

/// Bytes of the message area a failing helper writes its error into (UTF-8, NUL-padded).
const ERROR_BYTES: usize = 256;

// Written by the host, through memory; Rust only gives out its address.
#[allow(dead_code)]
#[repr(align(16))]
struct ErrorArea([u8; ERROR_BYTES]);

static mut ERROR_AREA: ErrorArea = ErrorArea([0; ERROR_BYTES]);

/// Sets the threads jobs may use (1 + parked helpers; 1 in single-threaded builds), the spin
/// iterations before an idle helper sleeps, and whether the calling thread may block while it
/// joins a job (1; 0 on a browser's main thread). Returns the thread count in effect.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_threads_set(threads: u32, spin: u32, caller_waits: u32) -> u32 {
    #[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
    return pool::set_threads(threads, spin, caller_waits != 0);
    #[cfg(not(all(target_arch = "wasm32", target_feature = "atomics")))]
    {
        let _ = (threads, spin, caller_waits);
        1
    }
}

/// The threads jobs may use now.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_threads_get() -> u32 {
    parallel::threads() as u32
}

/// Jobs handed out to helper threads since the module started (0 in single-threaded builds):
/// diagnostics, e.g. to check that a kernel splits.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_threads_jobs() -> u32 {
    #[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
    return pool::jobs();
    #[cfg(not(all(target_arch = "wasm32", target_feature = "atomics")))]
    0
}

/// The epoch a helper started now belongs to (pass it to `ferrite_worker_run`).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_threads_epoch() -> u32 {
    #[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
    return pool::epoch();
    #[cfg(not(all(target_arch = "wasm32", target_feature = "atomics")))]
    0
}

/// A helper's loop (call it on the helper's own instance): runs tasks until
/// `ferrite_threads_stop`. `id` ≥ 1.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_worker_run(id: u32, epoch: u32) {
    #[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
    pool::worker_loop(id, epoch);
    #[cfg(not(all(target_arch = "wasm32", target_feature = "atomics")))]
    let _ = (id, epoch);
}

/// Sends every helper out of `ferrite_worker_run`; jobs use one thread from now on.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_threads_stop() {
    #[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
    pool::stop();
}

/// The address of the area (256 bytes) where a failing helper writes its error message
/// before calling `ferrite_worker_failed`.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_threads_error_area() -> u32 {
    (&raw const ERROR_AREA) as usize as u32
}

/// Called on a helper whose task trapped: fails the job (the caller's call traps, and the
/// pool drops to one thread).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_worker_failed() {
    #[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
    pool::helper_failed();
}

/// Called after any trap on the caller, before the next call: waits for helpers to finish
/// the job the trap left and clears it. Returns 1 when a helper had failed (its message is
/// in the error area), else 0.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_threads_recover() -> u32 {
    #[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
    return pool::recover() as u32;
    #[cfg(not(all(target_arch = "wasm32", target_feature = "atomics")))]
    0
}

/// Diagnostics for the pool's tests: runs a job of `tasks` tasks; task t busy-loops `spin`
/// iterations, then writes the id of the thread that ran it (0 = caller) to the int32
/// `out[t]`. A task run by thread `trap_on` traps instead (0xFFFFFFFF: none).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_threads_probe(tasks: u32, spin: u32, trap_on: u32, out: u32) {
    let out = parallel::SharedMut::new(unsafe { crate::mem::slice_mut::<i32>(out, tasks as usize) });
    parallel::run(tasks as usize, |t| {
        let mut x = 0u32;
        for i in 0..spin {
            // Opaque to the optimizer, so the loop is not removed.
            x = core::hint::black_box(x.wrapping_add(i));
        }
        let id = parallel::worker_id() as u32;
        if id == trap_on {
            #[cfg(target_arch = "wasm32")]
            core::arch::wasm32::unreachable();
        }
        // SAFETY: each task writes its own element.
        unsafe { out.slice(t..t + 1)[0] = (id ^ (x & 0)) as i32 };
    });
}
