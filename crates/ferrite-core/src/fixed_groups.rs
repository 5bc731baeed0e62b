//! Sums over many items split over threads with the same bits for any thread count: the items
//! (images of a batch, rows of a matrix) are cut into groups of consecutive items by the shapes
//! alone, each group sums its items in order into a partial result of its own, and the
//! partials are added in group order, element by element. Threads claim groups as they go.
//! The filter gradients of depthwise and 3-D convolutions sum over images this way (each image
//! is padded once, by the group that owns it; a split of the result instead, ranges of filter
//! tiles, pads and reads every image once per thread); crate::reduce sums narrow columns over
//! groups of rows with `groups`.

use crate::conv::{with_scratch, ConvError};
use crate::parallel::{self, SharedMut};
use std::cell::RefCell;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

/// Fewer items are summed as one group.
const MIN_ITEMS: usize = 4;
/// At most this many groups, of at least 2 items: enough for threads to even out a slow core
/// (W4's batch of 32: 8 groups of 4), few enough that the partials stay small.
pub const MAX_GROUPS: usize = 8;
/// Floats of all partial results together (16 MiB) at most: a larger result gets fewer groups.
const PARTIALS_MAX: usize = 4 << 20;

thread_local! {
    /// The partial results (on the calling thread).
    static PARTIALS: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// How many groups `n` items with a result of `len` floats are cut into (1: not grouped), when
/// summing them all takes about `work_ns` on one thread. Depends on the shapes only, never on
/// the threads.
pub fn groups(n: usize, len: usize, work_ns: usize) -> usize {
    if n < MIN_ITEMS {
        return 1;
    }
    MAX_GROUPS.min(n / 2).min(PARTIALS_MAX / len.max(1)).min(parallel::parts_for(work_ns)).max(1)
}

/// out = the sum of `sum_items(items, partial)` over `groups` groups of consecutive items
/// of 0..n, added in group order. `sum_items` writes the sum over its items into `partial`
/// (out.len() floats, contents unspecified on entry). With one group it writes out directly.
pub fn sum_in_groups(
    n: usize, groups: usize, out: &mut [f32],
    sum_items: impl Fn(Range<usize>, &mut [f32]) -> Result<(), ConvError> + Sync,
) -> Result<(), ConvError> {
    let per = parallel::chunk_len(n, groups);
    let groups = n.div_ceil(per);
    if groups <= 1 {
        return sum_items(0..n, out);
    }
    let len = out.len();
    with_scratch(&PARTIALS, groups * len, |partials| {
        let parts = SharedMut::new(&mut partials[..]);
        let failed = AtomicBool::new(false);
        parallel::run(groups, |gi| {
            // SAFETY: group gi writes its own partial only.
            let part = unsafe { parts.slice(gi * len..(gi + 1) * len) };
            if sum_items(parallel::chunk_range(gi, per, n), part).is_err() {
                failed.store(true, Ordering::Relaxed);
            }
        });
        if failed.load(Ordering::Relaxed) {
            return Err(ConvError::OutOfMemory);
        }
        let (first, rest) = partials.split_at(len);
        // Each element adds the groups in order, whichever thread takes its range.
        parallel::for_each_range(out, 1, 4, |range, o| {
            o.copy_from_slice(&first[range.clone()]);
            for part in rest.chunks_exact(len) {
                for (d, s) in o.iter_mut().zip(&part[range.clone()]) {
                    *d += *s;
                }
            }
        });
        Ok(())
    })?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::{with_threads, with_threads_and_thresholds};

    #[test]
    fn groups_depend_on_the_items_and_the_result_size_only() {
        let ms = 1_000_000;
        assert_eq!(groups(1, 100, ms), 1);
        assert_eq!(groups(3, 100, ms), 1);
        assert_eq!(groups(4, 100, ms), 2);
        assert_eq!(groups(7, 100, ms), 3);
        assert_eq!(groups(32, 100, ms), 8);
        assert_eq!(groups(1000, 100, ms), 8);
        // A result of 1 Mi floats: at most 4 partials.
        assert_eq!(groups(32, 1 << 20, ms), 4);
        assert_eq!(groups(32, PARTIALS_MAX + 1, ms), 1);
        // Work below the thresholds: one group; else groups of at least MIN_TASK_NS.
        with_threads_and_thresholds(2, || {
            assert_eq!(groups(32, 100, parallel::MIN_PARALLEL_NS - 1), 1);
            assert_eq!(groups(32, 100, 3 * parallel::MIN_TASK_NS), 3);
            assert_eq!(groups(32, 100, ms), 8);
        });
    }

    #[test]
    fn adds_the_groups_in_order_for_any_thread_count() {
        // Values whose float sums depend on the order: the groups' sums must be added
        // first-to-last, each group summing its items first-to-last.
        let n = 11;
        let len = 37;
        let value = |img: usize, e: usize| ((img * 7919 + e * 104729) % 1000) as f32 * 1e-3 + if img % 3 == 0 { 1e4 } else { 0.0 };
        let groups = groups(n, len, 1_000_000);
        assert_eq!(groups, 5);
        let per = parallel::chunk_len(n, groups);
        let mut want = vec![0.0f32; len];
        for (e, w) in want.iter_mut().enumerate() {
            let mut total = None;
            for gi in 0..n.div_ceil(per) {
                let mut s = 0.0f32;
                for img in parallel::chunk_range(gi, per, n) {
                    s += value(img, e);
                }
                total = Some(total.map_or(s, |t: f32| t + s));
            }
            *w = total.unwrap();
        }
        for threads in [1, 2, 3] {
            let mut out = vec![f32::NAN; len];
            with_threads(threads, || {
                sum_in_groups(n, groups, &mut out, |items, part| {
                    part.fill(0.0);
                    for img in items {
                        for (e, p) in part.iter_mut().enumerate() {
                            *p += value(img, e);
                        }
                    }
                    Ok(())
                })
                .unwrap()
            });
            assert!(out.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()), "{threads} threads");
        }
    }

    #[test]
    fn a_failing_group_fails_the_sum() {
        let mut out = vec![0.0f32; 8];
        let r = with_threads(2, || {
            sum_in_groups(8, 4, &mut out, |items, part| {
                part.fill(1.0);
                if items.contains(&5) { Err(ConvError::OutOfMemory) } else { Ok(()) }
            })
        });
        assert_eq!(r, Err(ConvError::OutOfMemory));
    }
}
