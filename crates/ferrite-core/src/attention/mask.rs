//! Which scores a row keeps (Keras' mask semantics) and which probabilities dropout keeps.
//!
//! A score is kept when its query's mask, its key's mask, the attention mask and the causal
//! rule (key ≤ query) all allow it. Excluded scores get −1e9 *added* before the softmax, as
//! Keras' and TensorFlow.js' masked softmax do: a row with some kept key gives the others
//! exactly 0, and a row with none comes out uniform.
//!
//! Dropout decides each (batch, head, query, key) from a counter-based hash of a seed, so
//! the backward pass regenerates the forward pass's mask instead of storing it, and the js
//! backend (ts/backend/js/attention.ts) draws the very same mask.

use super::{AttnDims, AttnMasks};

/// What a masked score gets added.
pub(crate) const MASKED: f32 = -1e9;

/// Adds MASKED to the excluded scores of query i (batch b, head h) against keys
/// j0..j0 + row.len().
pub(crate) fn apply(d: &AttnDims, m: &AttnMasks, b: usize, h: usize, i: usize, j0: usize, row: &mut [f32]) {
    let len = row.len();
    if m.query.is_some_and(|q| q[b * d.t + i] == 0.0) {
        for x in row.iter_mut() {
            *x += MASKED;
        }
        return;
    }
    // Keys from j0 + causal_from on lie after query i.
    let causal_from = if d.causal { (i + 1).saturating_sub(j0).min(len) } else { len };
    let kv = m.kv.map(|k| &k[b * d.s + j0..b * d.s + j0 + len]);
    let attn = m.attn.map(|a| {
        let mb = if d.mask_batch == 1 { 0 } else { b };
        let mh = if d.mask_heads == 1 { 0 } else { h };
        let at = ((mb * d.mask_heads + mh) * d.t + i) * d.s + j0;
        &a[at..at + len]
    });
    for x in &mut row[causal_from..] {
        *x += MASKED;
    }
    if kv.is_none() && attn.is_none() {
        return;
    }
    for (j, x) in row[..causal_from].iter_mut().enumerate() {
        let keep = kv.is_none_or(|k| k[j] != 0.0) && attn.is_none_or(|a| a[j] != 0.0);
        if !keep {
            *x += MASKED;
        }
    }
}

/// Whether any key of j0..j0 + len may be kept for some query of i0..i1 (false only when the
/// causal rule alone excludes the whole block).
pub(crate) fn causal_block_open(d: &AttnDims, i1: usize, j0: usize) -> bool {
    !d.causal || j0 < i1
}

/// A 32-bit integer hash (Wellons' lowbias32): every input bit affects every output bit.
#[inline(always)]
pub(crate) fn mix(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^= x >> 16;
    x
}

/// Attention dropout with rate p: a probability is kept with probability 1 − p and then
/// scaled by 1/(1 − p).
#[derive(Clone, Copy)]
pub(crate) struct Dropout {
    /// A hash below this drops (⌊p·2³²⌋).
    threshold: u32,
    /// 1/(1 − p), in float32.
    pub scale: f32,
    seed: u32,
}

impl Dropout {
    /// None when the rate is 0 (nothing to drop).
    pub fn new(rate: f32, seed: u32) -> Option<Dropout> {
        if rate <= 0.0 {
            return None;
        }
        let threshold = (rate as f64 * 4_294_967_296.0).floor().min(u32::MAX as f64) as u32;
        Some(Dropout { threshold, scale: 1.0 / (1.0 - rate), seed })
    }

    /// The key of score row (b·heads + h)·t + i (wrapping 32-bit arithmetic).
    #[inline]
    pub fn row_key(&self, d: &AttnDims, b: usize, h: usize, i: usize) -> u32 {
        let row = ((b * d.heads + h) as u32).wrapping_mul(d.t as u32).wrapping_add(i as u32);
        mix(self.seed ^ mix(row.wrapping_add(0x9e37_79b9)))
    }

    /// The factor of key j in a row: 0 (dropped) or `scale`.
    #[inline(always)]
    pub fn factor(&self, row_key: u32, j: usize) -> f32 {
        if mix(row_key.wrapping_add((j as u32).wrapping_mul(0x9e37_79b9))) >= self.threshold { self.scale } else { 0.0 }
    }

    /// row[jj] ·= factor(row_key, j0 + jj).
    pub fn scale_row(&self, row_key: u32, j0: usize, row: &mut [f32]) {
        for (jj, x) in row.iter_mut().enumerate() {
            *x *= self.factor(row_key, j0 + jj);
        }
    }

    /// dst[jj] = src[jj]·factor(row_key, j0 + jj).
    pub fn scaled_copy(&self, row_key: u32, j0: usize, src: &[f32], dst: &mut [f32]) {
        for (jj, (d, &s)) in dst.iter_mut().zip(src).enumerate() {
            *d = s * self.factor(row_key, j0 + jj);
        }
    }
}
