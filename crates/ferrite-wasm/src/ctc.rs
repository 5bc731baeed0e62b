//! The C ABI of the CTC loss (ferrite_core::ctc).

use crate::mem::{slice, slice_mut};
use ferrite_core::ctc::{self, CtcDims, CtcError};

/// logits f32 [batch, time, classes]; labels i32 [batch, max_label] (padded); input_lengths,
/// label_lengths i32 [batch]. Writes loss f32 [batch] (the negative log-likelihood per sample;
/// +inf for an impossible sample, or 0 when zero_infinity = 1) and grad f32 [batch, time,
/// classes] = d loss[b] / d logits (0 past each input length and for impossible samples).
/// Returns −1 on success; the first invalid sample (lengths or labels out of range, or a label
/// equal to blank); −2 when scratch memory cannot be had; −3 when blank ≥ classes.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_ctc_loss(
    logits: u32, labels: u32, input_lengths: u32, label_lengths: u32, loss: u32, grad: u32,
    batch: u32, time: u32, classes: u32, max_label: u32, blank: u32, zero_infinity: u32,
) -> i32 {
    let d = CtcDims {
        batch: batch as usize, time: time as usize, classes: classes as usize, max_label: max_label as usize,
        blank: blank as usize, zero_infinity: zero_infinity != 0,
    };
    let n = d.batch * d.time * d.classes;
    let r = unsafe {
        ctc::ctc_loss(
            &d, slice(logits, n), slice(labels, d.batch * d.max_label), slice(input_lengths, d.batch),
            slice(label_lengths, d.batch), slice_mut(loss, d.batch), slice_mut(grad, n),
        )
    };
    match r {
        Ok(()) => -1,
        Err(CtcError::BadSample(b)) => b as i32,
        Err(CtcError::OutOfMemory) => -2,
        Err(CtcError::BadBlank) => -3,
    }
}
