use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

#[test]
fn every_task_runs_once_for_any_thread_count() {
    for threads in [1, 2, 3, 8] {
        for tasks in [0, 1, 2, 5, 64] {
            let counts: Vec<AtomicUsize> = (0..tasks).map(|_| AtomicUsize::new(0)).collect();
            with_threads(threads, || run(tasks, |t| {
                counts[t].fetch_add(1, Ordering::Relaxed);
            }));
            assert!(counts.iter().all(|c| c.load(Ordering::Relaxed) == 1), "threads {threads} tasks {tasks}");
        }
    }
}

#[test]
fn tasks_spread_over_threads_and_nested_jobs_run_inline() {
    let ids = Mutex::new(std::collections::HashSet::new());
    let inner_threads = Mutex::new(Vec::new());
    with_threads(3, || {
        assert_eq!(threads(), 3);
        run(12, |_| {
            ids.lock().unwrap().insert(std::thread::current().id());
            inner_threads.lock().unwrap().push(threads());
            // A job started inside a task runs on this thread, in order.
            let order = Mutex::new(Vec::new());
            run(4, |u| order.lock().unwrap().push(u));
            assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3]);
            std::thread::sleep(std::time::Duration::from_millis(2));
        });
    });
    assert!(ids.lock().unwrap().len() >= 2, "one thread ran every task");
    assert!(inner_threads.lock().unwrap().iter().all(|&t| t == 1));
    assert_eq!(threads(), 1, "with_threads restores the count");
}

#[test]
fn chunks_cover_the_output_exactly() {
    for threads in [1, 2, 3] {
        for (n, chunk) in [(0, 4), (1, 4), (10, 3), (16, 4), (17, 16)] {
            let mut out = vec![usize::MAX; n];
            with_threads(threads, || for_each_chunk(&mut out, chunk, |t, piece| {
                assert!(piece.len() <= chunk && !piece.is_empty());
                for (i, v) in piece.iter_mut().enumerate() {
                    *v = t * chunk + i;
                }
            }));
            assert_eq!(out, (0..n).collect::<Vec<_>>(), "threads {threads} n {n} chunk {chunk}");
        }
    }
}

#[test]
fn task_counts_follow_the_thresholds() {
    assert_eq!(tasks_for(usize::MAX, 100), 1, "one thread: one task");
    with_threads(3, || assert_eq!(tasks_for(1, 100), 3 * TASKS_PER_THREAD, "tests cut everything"));
    with_threads_and_thresholds(2, || {
        assert_eq!(tasks_for(MIN_PARALLEL_NS - 1, 100), 1);
        assert_eq!(tasks_for(MIN_PARALLEL_NS, 100), MIN_PARALLEL_NS / MIN_TASK_NS);
        assert_eq!(tasks_for(usize::MAX / 2, 100), 2 * TASKS_PER_THREAD);
        assert_eq!(tasks_for(usize::MAX / 2, 3), 3);
        assert_eq!(tasks_for(usize::MAX / 2, 1), 1);
    });
    assert_eq!(chunk_len(10, 3), 4);
    assert_eq!(chunk_len_aligned(10, 3, 8), 8);
    assert_eq!(chunk_range(2, 4, 10), 8..10);
    assert_eq!(chunk_range(3, 4, 10), 10..10);
}
