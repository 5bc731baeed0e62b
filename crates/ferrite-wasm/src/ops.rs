//! The C ABI of the ops added for TensorFlow.js parity (tf.cumsum, tf.cumprod, …).

use crate::mem::{slice, slice_mut};
use ferrite_core::scan::{self, ScanOp};

/// Cumulative sum (op 0) or product (op 1) of x viewed as [outer, axis, inner] along the
/// axis: flags bit 0 exclusive, bit 1 reverse (as tf.cumsum). out must not overlap x.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_cumulative(op: u32, x: u32, out: u32, outer: u32, axis: u32, inner: u32, flags: u32) {
    let Some(op) = ScanOp::from_code(op) else { return };
    let (outer, axis, inner) = (outer as usize, axis as usize, inner as usize);
    let Some(n) = outer.checked_mul(axis).and_then(|v| v.checked_mul(inner)) else { return };
    unsafe { scan::cumulative(op, slice(x, n), slice_mut(out, n), outer, axis, inner, flags & 1 != 0, flags & 2 != 0) };
}
