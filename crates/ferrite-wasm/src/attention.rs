//! The C ABI of fused attention (ferrite_core::attention) and layer normalization
//! (ferrite_core::layer_norm).
//!
//! Attention's `geom` points to 10 i32: [batch, heads, t, s, dk, dv, flags, seed, mask_batch,
//! mask_heads], flags bit 0 = causal; the seed is read as u32. Layouts (see the core module):
//! q [batch, t, heads, dk], k [batch, s, heads, dk], v [batch, s, heads, dv], out [batch, t,
//! heads, dv]; masks (0: none) query [batch, t], key/value [batch, s], attention [mask_batch,
//! mask_heads, t, s]. Exactly one of `probs` [batch, heads, t, s] (the stored algorithm) and
//! `lse` [batch, heads, t, 2] (the tiled one) is non-zero. Both functions return 0 on success,
//! −1 for bad arguments (dropout outside [0, 1), mask extents, a missing or double saved
//! buffer), −2 when scratch memory cannot be had, −3 when a probabilities gradient is given
//! to the tiled algorithm.

use crate::mem::{slice, slice_mut};
use ferrite_core::attention::{self, AttnDims, AttnError, AttnMasks, Saved, SavedMut};
use ferrite_core::layer_norm::{self, LayerNormDims};

const BAD_ARGS: i32 = -1;
const OUT_OF_MEMORY: i32 = -2;
const SCORES_NEED_PROBS: i32 = -3;

fn status(r: Result<(), AttnError>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(AttnError::BadArgs) => BAD_ARGS,
        Err(AttnError::OutOfMemory) => OUT_OF_MEMORY,
        Err(AttnError::ScoresNeedProbs) => SCORES_NEED_PROBS,
    }
}

/// The dims from the geometry array, or None for a negative size.
unsafe fn dims(geom: u32, scale: f32, dropout: f32) -> Option<AttnDims> {
    let g: &[i32] = unsafe { slice(geom, 10) };
    if g.len() != 10 {
        return None;
    }
    let u = |i: usize| usize::try_from(g[i]).ok();
    Some(AttnDims {
        batch: u(0)?, heads: u(1)?, t: u(2)?, s: u(3)?, dk: u(4)?, dv: u(5)?,
        scale, causal: g[6] & 1 != 0, dropout, seed: g[7] as u32,
        mask_batch: u(8)?, mask_heads: u(9)?,
    })
}

unsafe fn masks<'a>(d: &AttnDims, qmask: u32, kvmask: u32, amask: u32) -> AttnMasks<'a> {
    let opt = |p: u32, n: usize| if p == 0 { None } else { Some(unsafe { slice::<f32>(p, n) }) };
    AttnMasks {
        query: opt(qmask, d.batch * d.t),
        kv: opt(kvmask, d.batch * d.s),
        attn: opt(amask, d.mask_batch * d.mask_heads * d.t * d.s),
    }
}

/// out = attention(q, k, v), keeping probs or lse for the backward pass.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_attention_forward(
    geom: u32, scale: f32, dropout: f32, q: u32, k: u32, v: u32, qmask: u32, kvmask: u32, amask: u32,
    out: u32, probs: u32, lse: u32,
) -> i32 {
    unsafe {
        let Some(d) = dims(geom, scale, dropout) else { return BAD_ARGS };
        let (bh, qn, kn) = (d.batch * d.heads, d.batch * d.t * d.heads, d.batch * d.s * d.heads);
        let saved = match (probs, lse) {
            (p, 0) if p != 0 => SavedMut::Probs(slice_mut(p, bh * d.t * d.s)),
            (0, l) if l != 0 => SavedMut::Lse(slice_mut(l, 2 * bh * d.t)),
            _ => return BAD_ARGS,
        };
        status(attention::forward(
            &d, &masks(&d, qmask, kvmask, amask), slice(q, qn * d.dk), slice(k, kn * d.dk), slice(v, kn * d.dv),
            slice_mut(out, qn * d.dv), saved,
        ))
    }
}

/// dq, dk, dv (overwritten) from dout and/or dprobs (0: a zero gradient). `out` is the forward
/// output (read by the tiled algorithm; may be 0 for the stored one).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_attention_backward(
    geom: u32, scale: f32, dropout: f32, q: u32, k: u32, v: u32, qmask: u32, kvmask: u32, amask: u32,
    out: u32, probs: u32, lse: u32, dout: u32, dprobs: u32, dq: u32, dk: u32, dv: u32,
) -> i32 {
    unsafe {
        let Some(d) = dims(geom, scale, dropout) else { return BAD_ARGS };
        let (bh, qn, kn) = (d.batch * d.heads, d.batch * d.t * d.heads, d.batch * d.s * d.heads);
        let saved = match (probs, lse) {
            (p, 0) if p != 0 => Saved::Probs(slice(p, bh * d.t * d.s)),
            (0, l) if l != 0 => Saved::Lse(slice(l, 2 * bh * d.t)),
            _ => return BAD_ARGS,
        };
        let opt = |p: u32, n: usize| if p == 0 { None } else { Some(slice::<f32>(p, n)) };
        status(attention::backward(
            &d, &masks(&d, qmask, kvmask, amask), slice(q, qn * d.dk), slice(k, kn * d.dk), slice(v, kn * d.dv),
            slice(out, qn * d.dv), saved, opt(dout, qn * d.dv), opt(dprobs, bh * d.t * d.s),
            slice_mut(dq, qn * d.dk), slice_mut(dk, kn * d.dk), slice_mut(dv, kn * d.dv),
        ))
    }
}

/// out = layer_norm(x) over [rows, cols] with γ, β (0: none); mean and rstd [rows] are kept
/// for the backward. rms = 1: Keras' rms_scaling (y = x·r·γ).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_layer_norm(
    x: u32, gamma: u32, beta: u32, out: u32, mean: u32, rstd: u32, rows: u32, cols: u32, epsilon: f32, rms: u32,
) {
    let d = LayerNormDims { rows: rows as usize, cols: cols as usize, epsilon, rms: rms != 0 };
    let n = d.rows * d.cols;
    unsafe {
        let opt = |p: u32| if p == 0 { None } else { Some(slice::<f32>(p, d.cols)) };
        layer_norm::forward(
            &d, slice(x, n), opt(gamma), opt(beta), slice_mut(out, n), slice_mut(mean, d.rows), slice_mut(rstd, d.rows),
        );
    }
}

/// dx, dγ, dβ (overwritten; 0: not wanted) of layer_norm from dy.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_layer_norm_grad(
    x: u32, gamma: u32, dy: u32, mean: u32, rstd: u32, dx: u32, dgamma: u32, dbeta: u32, rows: u32, cols: u32, rms: u32,
) {
    let d = LayerNormDims { rows: rows as usize, cols: cols as usize, epsilon: 0.0, rms: rms != 0 };
    let n = d.rows * d.cols;
    unsafe {
        let opt_mut = |p: u32, len: usize| if p == 0 { None } else { Some(slice_mut::<f32>(p, len)) };
        layer_norm::backward(
            &d, slice(x, n), if gamma == 0 { None } else { Some(slice(gamma, d.cols)) }, slice(dy, n),
            slice(mean, d.rows), slice(rstd, d.rows), opt_mut(dx, n), opt_mut(dgamma, d.cols), opt_mut(dbeta, d.cols),
        );
    }
}
