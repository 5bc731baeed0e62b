//! Gather along an axis, its scatter-add gradient, and one-hot encoding.

use crate::elementwise::zip_in_place;
use crate::parallel::{self, SharedMut};

/// out[o, j, i] = x[o, idx[j], i] for x viewed as [outer, axis_len, inner]. Returns −1, or
/// the position j of the first index outside [0, axis_len) (then `out` is left untouched).
/// Elements are copied as they are (any 4-byte type).
pub fn gather<T: Copy + Send + Sync>(x: &[T], idx: &[i32], out: &mut [T], outer: usize, axis_len: usize, inner: usize) -> i32 {
    if let Some(bad) = idx.iter().position(|&j| j < 0 || j as usize >= axis_len) {
        return bad as i32;
    }
    let num = idx.len();
    if inner == 0 || outer == 0 {
        return -1;
    }
    let x = &x[..outer * axis_len * inner];
    let out = SharedMut::new(&mut out[..outer * num * inner]);
    // Threads: pieces of the index list (for every outer block); copies, so any cut gives
    // the same bits.
    parallel::run_ranges(num, parallel::element_ns(outer * num * inner), 1, |r| {
        for (o, xo) in x.chunks_exact(axis_len * inner).enumerate() {
            let base = o * num * inner;
            // SAFETY: rows r of block o belong to this task alone.
            let oo = unsafe { out.slice(base + r.start * inner..base + r.end * inner) };
            if inner == 1 {
                for (o, &j) in oo.iter_mut().zip(&idx[r.clone()]) {
                    *o = xo[j as usize];
                }
            } else {
                for (orow, &j) in oo.chunks_exact_mut(inner).zip(&idx[r.clone()]) {
                    let s = j as usize * inner;
                    orow.copy_from_slice(&xo[s..s + inner]);
                }
            }
        }
    });
    -1
}

/// dx[o, idx[j], i] += dy[o, j, i]. dx is not cleared; out-of-range indices are skipped.
/// (Repeated indices add up in order of j.)
pub fn scatter_add(dy: &[f32], idx: &[i32], dx: &mut [f32], outer: usize, axis_len: usize, inner: usize) {
    let num = idx.len();
    if inner == 0 || outer == 0 || num == 0 {
        return;
    }
    let dy = &dy[..outer * num * inner];
    let dx = SharedMut::new(&mut dx[..outer * axis_len * inner]);
    // Threads: each task owns a range of dx rows (an embedding's vocabulary) and adds, in
    // order of j, the gradient rows whose index falls in it: the same sums in the same order
    // as one thread.
    parallel::run_ranges(axis_len, parallel::element_ns(outer * num * inner), 1, |rows| {
        for (o, go) in dy.chunks_exact(num * inner).enumerate() {
            let base = o * axis_len * inner;
            // SAFETY: rows `rows` of block o belong to this task alone.
            let xo = unsafe { dx.slice(base + rows.start * inner..base + rows.end * inner) };
            for (grow, &j) in go.chunks_exact(inner).zip(idx) {
                if j < 0 || !rows.contains(&(j as usize)) {
                    continue;
                }
                let s = (j as usize - rows.start) * inner;
                zip_in_place(&mut xo[s..s + inner], grow, |a, b| a.add(b));
            }
        }
    });
}

/// out[j, c] = idx[j] == c ? on : off, out [n, depth].
pub fn one_hot(idx: &[i32], out: &mut [f32], depth: usize, on: f32, off: f32) {
    let n = idx.len();
    let out = &mut out[..n * depth];
    out.fill(off);
    if depth == 0 {
        return;
    }
    for (row, &j) in out.chunks_exact_mut(depth).zip(idx) {
        if j >= 0 && (j as usize) < depth {
            row[j as usize] = on;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gather_rows_and_scalars() {
        // x [2, 4, 3]
        let x: Vec<f32> = (0..24).map(|v| v as f32).collect();
        let idx = [3, 0, 3, 1, 2];
        let mut out = vec![0.0; 2 * 5 * 3];
        assert_eq!(gather(&x, &idx, &mut out, 2, 4, 3), -1);
        for o in 0..2 {
            for (j, &ix) in idx.iter().enumerate() {
                for i in 0..3 {
                    assert_eq!(out[(o * 5 + j) * 3 + i], x[(o * 4 + ix as usize) * 3 + i]);
                }
            }
        }
        // inner = 1 (gather along the last axis)
        let mut out = vec![0.0; 6 * 5];
        assert_eq!(gather(&x, &idx, &mut out, 6, 4, 1), -1);
        assert_eq!(&out[..5], &[3.0, 0.0, 3.0, 1.0, 2.0]);
        assert_eq!(&out[25..], &[23.0, 20.0, 23.0, 21.0, 22.0]);
    }

    #[test]
    fn gather_reports_first_bad_index() {
        let x = [1u32, 2, 3];
        let mut out = [7u32; 4];
        assert_eq!(gather(&x, &[0, 3, -1, 2], &mut out, 1, 3, 1), 1);
        assert_eq!(out, [7; 4]);
        assert_eq!(gather(&x, &[0, 1, -1], &mut out, 1, 3, 1), 2);
        assert_eq!(gather(&x, &[2, 2, 0, 1], &mut out, 1, 3, 1), -1);
        assert_eq!(out, [3, 3, 1, 2]);
    }

    #[test]
    fn scatter_add_accumulates_repeats() {
        // dy [2, 3, 5] into dx [2, 4, 5]
        let dy: Vec<f32> = (0..30).map(|v| v as f32 * 0.5).collect();
        let idx = [1, 3, 1];
        let mut dx = vec![1.0f32; 40];
        scatter_add(&dy, &idx, &mut dx, 2, 4, 5);
        let mut want = vec![1.0f32; 40];
        for o in 0..2 {
            for (j, &ix) in idx.iter().enumerate() {
                for i in 0..5 {
                    want[(o * 4 + ix as usize) * 5 + i] += dy[(o * 3 + j) * 5 + i];
                }
            }
        }
        assert_eq!(dx, want);
    }

    #[test]
    fn one_hot_rows() {
        let mut out = vec![9.0; 3 * 4];
        one_hot(&[2, 0, 7], &mut out, 4, 1.0, -0.5);
        assert_eq!(out, vec![-0.5, -0.5, 1.0, -0.5, 1.0, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5]);
    }
}
