//! The C ABI of the fused bias + activation kernels (a Dense layer's output and its gradient).
//!
//! `act` is a bias-activation code: linear relu relu6 sigmoid tanh softplus elu selu gelu
//! (BIAS_ACTIVATIONS in exports.ts); an unknown code does nothing. Optional pointers are 0 for
//! none. No output may overlap an input.

use crate::mem::{opt_mut, slice, slice_mut};
use ferrite_core::fused::{self, BiasAct};

/// out[r, c] = act(x[r, c] + bias[c]) over [rows, cols]; `pre` (unless 0) receives x + bias.
/// `alpha` is elu's α.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_bias_act(act: u32, x: u32, bias: u32, out: u32, pre: u32, rows: u32, cols: u32, alpha: f32) {
    let Some(act) = BiasAct::from_code(act) else { return };
    let (rows, cols) = (rows as usize, cols as usize);
    let n = rows * cols;
    unsafe {
        let b = (bias != 0).then(|| slice(bias, cols));
        fused::bias_act(act, slice(x, n), b, slice_mut(out, n), opt_mut(pre, n), rows, cols, alpha);
    }
}

/// dx = dy·act'(…) over [rows, cols], from `xy` = the output y (linear, relu, sigmoid, tanh)
/// or the pre-activation x + bias (the others); `dbias` (unless 0) = Σ_rows dx.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_bias_act_grad(act: u32, xy: u32, dy: u32, dx: u32, dbias: u32, rows: u32, cols: u32, alpha: f32) {
    let Some(act) = BiasAct::from_code(act) else { return };
    let (rows, cols) = (rows as usize, cols as usize);
    let n = rows * cols;
    unsafe {
        fused::bias_act_grad(act, slice(xy, n), slice(dy, n), slice_mut(dx, n), opt_mut(dbias, cols), rows, cols, alpha);
    }
}
