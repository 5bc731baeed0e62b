//! Fused scaled dot-product attention, forward and backward, with Keras' mask semantics.
//!
//! Per batch b and head h: scores = scale·Q·Kᵀ (T × S), masked scores + (−1e9) (see `mask`),
//! P = softmax over the keys, dropout on P (from a seed), O = P·V. Layouts are those of the
//! projections in Keras' MultiHeadAttention, so no head is ever transposed out:
//! - q [batch, t, heads, dk], k [batch, s, heads, dk], v [batch, s, heads, dv];
//! - out [batch, t, heads, dv];
//! - probs [batch, heads, t, s] (the softmax before dropout), or lse [batch, heads, t, 2]: each
//!   row's log-sum-exp in two parts, (m, ln Σ exp(x − m)) with m the row maximum, so that rows
//!   of −1e9-shifted (fully masked) scores keep their precision;
//! - masks: query [batch, t], key/value [batch, s], attention [mask_batch, mask_heads, t, s]
//!   with mask_batch ∈ {1, batch}, mask_heads ∈ {1, heads}; nonzero keeps.
//!
//! Two algorithms:
//! - `stored` (short sequences, or when the caller wants the probabilities): the forward
//!   writes P, and the backward reads it back;
//! - `tiled` (long sequences): the forward walks the keys in blocks with an online softmax
//!   and keeps only each row's log-sum-exp; the backward recomputes each block's P from it
//!   (the memory-efficient algorithm of Rabe & Staats / FlashAttention).
//!
//! Work is cut into tasks that write disjoint outputs: the forward by (batch, head, query
//! block), the backward by (batch, head) — the key and value gradients sum over every query,
//! and a sum is never split across tasks. Each task uses its own scratch; the tasks are spread
//! over the threads (`crate::parallel`), with the same bits for any thread count.

mod mask;
mod rows;
mod stored;
mod tile;
mod tiled;

#[cfg(test)]
mod tests;

use crate::parallel;
use core::sync::atomic::{AtomicBool, Ordering};
use std::cell::RefCell;

pub(crate) use rows::{ds_row, exp_sub2_in_place, exp_sub_in_place, row_max, scale_row, softmax_backward_row, softmax_row};

/// Sizes and options of one attention call.
#[derive(Clone, Copy, Debug)]
pub struct AttnDims {
    pub batch: usize,
    pub heads: usize,
    /// Query length.
    pub t: usize,
    /// Key/value length.
    pub s: usize,
    /// Query/key depth per head.
    pub dk: usize,
    /// Value depth per head.
    pub dv: usize,
    /// Multiplies the dot products (Keras: 1/√dk).
    pub scale: f32,
    /// Keys after the query are excluded (key j ≤ query i is kept).
    pub causal: bool,
    /// Attention dropout rate in [0, 1).
    pub dropout: f32,
    pub seed: u32,
    /// Batch and head extents of the attention mask (1 broadcasts).
    pub mask_batch: usize,
    pub mask_heads: usize,
}

/// The optional masks (nonzero keeps).
#[derive(Clone, Copy, Default)]
pub struct AttnMasks<'a> {
    /// [batch, t]: a masked query attends to nothing (its row comes out uniform).
    pub query: Option<&'a [f32]>,
    /// [batch, s]: the value mask and key mask, combined.
    pub kv: Option<&'a [f32]>,
    /// [mask_batch, mask_heads, t, s].
    pub attn: Option<&'a [f32]>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum AttnError {
    /// Scratch memory could not be had.
    OutOfMemory,
    /// A gradient for the probabilities needs the stored algorithm (probabilities kept).
    ScoresNeedProbs,
    /// dropout outside [0, 1), or a mask extent other than 1 or batch/heads.
    BadArgs,
}

/// What the forward pass keeps for the backward pass.
pub enum SavedMut<'a> {
    /// [batch, heads, t, s]: the probabilities (the stored algorithm).
    Probs(&'a mut [f32]),
    /// [batch, heads, t, 2]: each row's log-sum-exp as (max, log-normaliser) (the tiled algorithm).
    Lse(&'a mut [f32]),
}

/// The forward pass's saved values, read by the backward pass.
pub enum Saved<'a> {
    Probs(&'a [f32]),
    Lse(&'a [f32]),
}

/// Query rows per forward task of the stored algorithm.
const STORED_QUERY_BLOCK: usize = 64;
/// Query and key rows per block of the tiled algorithm.
const TILED_QUERY_BLOCK: usize = 64;
const TILED_KEY_BLOCK: usize = 64;

impl AttnDims {
    fn check(&self) -> Result<(), AttnError> {
        let extent_ok = |e: usize, full: usize| e == 1 || e == full;
        let rate_ok = (0.0..1.0).contains(&self.dropout);
        if !(rate_ok && extent_ok(self.mask_batch, self.batch) && extent_ok(self.mask_heads, self.heads)) {
            return Err(AttnError::BadArgs);
        }
        Ok(())
    }
    fn q_len(&self) -> usize {
        self.batch * self.t * self.heads * self.dk
    }
    fn k_len(&self) -> usize {
        self.batch * self.s * self.heads * self.dk
    }
    fn v_len(&self) -> usize {
        self.batch * self.s * self.heads * self.dv
    }
    fn out_len(&self) -> usize {
        self.batch * self.t * self.heads * self.dv
    }
    fn probs_len(&self) -> usize {
        self.batch * self.heads * self.t * self.s
    }
    fn lse_len(&self) -> usize {
        2 * self.batch * self.heads * self.t
    }
}

fn check_masks(d: &AttnDims, m: &AttnMasks) {
    if let Some(q) = m.query {
        assert!(q.len() >= d.batch * d.t, "attention: query mask too short");
    }
    if let Some(k) = m.kv {
        assert!(k.len() >= d.batch * d.s, "attention: key/value mask too short");
    }
    if let Some(a) = m.attn {
        assert!(a.len() >= d.mask_batch * d.mask_heads * d.t * d.s, "attention: attention mask too short");
    }
}

/// Raw views of the tensors one call works on: tasks address their own rows and heads.
#[derive(Clone, Copy)]
pub(crate) struct Io {
    pub q: *const f32,
    pub k: *const f32,
    pub v: *const f32,
    /// The output (forward) or the saved output (backward, tiled only; else null).
    pub out: *mut f32,
    pub probs: *mut f32,
    pub lse: *mut f32,
    pub dout: *const f32,
    pub dprobs: *const f32,
    pub dq: *mut f32,
    pub dk: *mut f32,
    pub dv: *mut f32,
}

impl Io {
    fn empty() -> Io {
        let n = core::ptr::null_mut();
        Io {
            q: n, k: n, v: n, out: n, probs: n, lse: n,
            dout: core::ptr::null(), dprobs: core::ptr::null(), dq: n, dk: n, dv: n,
        }
    }
}

/// Row offsets in the [batch, len, heads, depth] layouts and the [batch, heads, t, …] ones.
impl AttnDims {
    #[inline]
    pub(crate) fn q_at(&self, b: usize, i: usize, h: usize) -> usize {
        ((b * self.t + i) * self.heads + h) * self.dk
    }
    #[inline]
    pub(crate) fn k_at(&self, b: usize, j: usize, h: usize) -> usize {
        ((b * self.s + j) * self.heads + h) * self.dk
    }
    #[inline]
    pub(crate) fn v_at(&self, b: usize, j: usize, h: usize) -> usize {
        ((b * self.s + j) * self.heads + h) * self.dv
    }
    #[inline]
    pub(crate) fn o_at(&self, b: usize, i: usize, h: usize) -> usize {
        ((b * self.t + i) * self.heads + h) * self.dv
    }
    #[inline]
    pub(crate) fn p_at(&self, b: usize, h: usize, i: usize) -> usize {
        ((b * self.heads + h) * self.t + i) * self.s
    }
    #[inline]
    pub(crate) fn lse_at(&self, b: usize, h: usize, i: usize) -> usize {
        2 * ((b * self.heads + h) * self.t + i)
    }
    /// Row strides of q/k (heads·dk) and v/out (heads·dv).
    #[inline]
    pub(crate) fn qk_stride(&self) -> usize {
        self.heads * self.dk
    }
    #[inline]
    pub(crate) fn vo_stride(&self) -> usize {
        self.heads * self.dv
    }
}

thread_local! {
    /// Per-thread scratch, grown on demand and reused across calls.
    static SCRATCH: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on `n` elements of scratch (contents unspecified).
pub(crate) fn with_scratch<R>(n: usize, f: impl FnOnce(&mut [f32]) -> R) -> Result<R, AttnError> {
    fn grow(v: &mut Vec<f32>, n: usize) -> Result<(), AttnError> {
        if v.len() < n {
            v.try_reserve(n - v.len()).map_err(|_| AttnError::OutOfMemory)?;
            v.resize(n, 0.0);
        }
        Ok(())
    }
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut v) => {
            grow(&mut v, n)?;
            Ok(f(&mut v[..n]))
        }
        Err(_) => {
            let mut v = Vec::new();
            grow(&mut v, n)?;
            Ok(f(&mut v[..n]))
        }
    })
}

// SAFETY: the pointers are only dereferenced by tasks that write disjoint outputs (see
// `forward` and `backward`), while the borrowed slices they come from live.
unsafe impl Send for Io {}
unsafe impl Sync for Io {}

/// Runs `units` independent units of work (each writes its own part of the outputs) as
/// parallel tasks when `work_ns`, the estimated one-thread time of them all, is worth it.
/// Every unit computes the same bits whatever thread runs it. Returns the first error.
fn run_tasks(units: usize, work_ns: usize, unit: impl Fn(usize) -> Result<(), AttnError> + Sync) -> Result<(), AttnError> {
    let out_of_memory = AtomicBool::new(false);
    parallel::run_units(units, parallel::tasks_for(work_ns, units), |u| {
        if !out_of_memory.load(Ordering::Relaxed) && unit(u).is_err() {
            out_of_memory.store(true, Ordering::Relaxed);
        }
    });
    // Scratch is the only thing a unit can fail to get.
    if out_of_memory.into_inner() { Err(AttnError::OutOfMemory) } else { Ok(()) }
}

/// Estimated one-thread time (ns) of a pass over `scores` scores with products of depth
/// `depth` (the sum of the products' depths per score): the products, plus the exp or the
/// softmax step on each score (~8 multiply-adds' worth).
fn attention_ns(scores: usize, depth: usize) -> usize {
    parallel::madd_ns(scores, depth + 8, 1)
}

/// The forward pass: out, and the probabilities or log-sum-exps (`saved`) for the backward.
pub fn forward(
    d: &AttnDims, m: &AttnMasks, q: &[f32], k: &[f32], v: &[f32], out: &mut [f32], saved: SavedMut,
) -> Result<(), AttnError> {
    d.check()?;
    assert!(q.len() >= d.q_len() && k.len() >= d.k_len() && v.len() >= d.v_len() && out.len() >= d.out_len(), "attention: a tensor is too short");
    check_masks(d, m);
    if d.batch * d.heads * d.t == 0 {
        return Ok(());
    }
    let mut io = Io::empty();
    io.q = q.as_ptr();
    io.k = k.as_ptr();
    io.v = v.as_ptr();
    io.out = out.as_mut_ptr();
    let (stored, block) = match saved {
        SavedMut::Probs(p) => {
            assert!(p.len() >= d.probs_len(), "attention: probs too short");
            io.probs = p.as_mut_ptr();
            (true, STORED_QUERY_BLOCK)
        }
        SavedMut::Lse(l) => {
            assert!(l.len() >= d.lse_len(), "attention: lse too short");
            io.lse = l.as_mut_ptr();
            (false, TILED_QUERY_BLOCK)
        }
    };
    let blocks = d.t.div_ceil(block);
    let scores = d.batch * d.heads * d.t * d.s;
    run_tasks(d.batch * d.heads * blocks, attention_ns(scores, d.dk + d.dv), |task| {
        let (bh, qb) = (task / blocks, task % blocks);
        let (b, h) = (bh / d.heads, bh % d.heads);
        let (i0, i1) = (qb * block, ((qb + 1) * block).min(d.t));
        // SAFETY: the task writes rows i0..i1 of head h of batch b only.
        unsafe {
            if stored {
                stored::forward_task(d, m, io, b, h, i0, i1)
            } else {
                tiled::forward_task(d, m, io, b, h, i0, i1)
            }
        }
    })
}

/// The backward pass: dq, dk, dv from the output's gradient `dout` and/or the probabilities'
/// gradient `dprobs` (either may be absent: a zero gradient). `out` is the forward output
/// (read by the tiled algorithm).
pub fn backward(
    d: &AttnDims, m: &AttnMasks, q: &[f32], k: &[f32], v: &[f32], out: &[f32], saved: Saved,
    dout: Option<&[f32]>, dprobs: Option<&[f32]>, dq: &mut [f32], dk: &mut [f32], dv: &mut [f32],
) -> Result<(), AttnError> {
    d.check()?;
    assert!(q.len() >= d.q_len() && k.len() >= d.k_len() && v.len() >= d.v_len(), "attention: an input is too short");
    assert!(dq.len() >= d.q_len() && dk.len() >= d.k_len() && dv.len() >= d.v_len(), "attention: a gradient is too short");
    check_masks(d, m);
    if let Some(g) = dout {
        assert!(g.len() >= d.out_len(), "attention: dout too short");
    }
    if let Some(g) = dprobs {
        assert!(g.len() >= d.probs_len(), "attention: dprobs too short");
    }
    let mut io = Io::empty();
    io.q = q.as_ptr();
    io.k = k.as_ptr();
    io.v = v.as_ptr();
    io.dout = dout.map_or(core::ptr::null(), |g| g.as_ptr());
    io.dprobs = dprobs.map_or(core::ptr::null(), |g| g.as_ptr());
    io.dq = dq.as_mut_ptr();
    io.dk = dk.as_mut_ptr();
    io.dv = dv.as_mut_ptr();
    let stored = match saved {
        Saved::Probs(p) => {
            assert!(p.len() >= d.probs_len(), "attention: probs too short");
            io.probs = p.as_ptr() as *mut f32;
            true
        }
        Saved::Lse(l) => {
            assert!(l.len() >= d.lse_len(), "attention: lse too short");
            if dprobs.is_some() {
                return Err(AttnError::ScoresNeedProbs);
            }
            assert!(out.len() >= d.out_len(), "attention: out too short");
            io.lse = l.as_ptr() as *mut f32;
            io.out = out.as_ptr() as *mut f32;
            false
        }
    };
    let scores = d.batch * d.heads * d.t * d.s;
    run_tasks(d.batch * d.heads, attention_ns(scores, 2 * (d.dk + d.dv)), |bh| {
        let (b, h) = (bh / d.heads, bh % d.heads);
        // SAFETY: the task writes head h of batch b of dq, dk and dv only.
        unsafe {
            if stored {
                stored::backward_task(d, m, io, b, h)
            } else {
                tiled::backward_task(d, m, io, b, h)
            }
        }
    })
}

