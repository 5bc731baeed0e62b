//! The C ABI of the fused optimizer updates beyond Adam, SGD and RMSprop (those are in
//! lib.rs): Adagrad, Adadelta and Adamax in the Keras / TensorFlow.js form, and the PyTorch
//! forms (torch.optim) of SGD, Adam/AdamW, Adagrad and RMSprop. All update p and their state
//! in place over n elements; optional state pointers are 0 for none; flags are 0/1.

use crate::mem::{opt_mut, slice, slice_mut};
use ferrite_core::{optim, optim_torch};

/// Adagrad (Keras / TF.js): acc += g²; p −= lr·g/√(acc + ε).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_adagrad(p: u32, g: u32, acc: u32, n: u32, lr: f32, eps: f32) {
    let n = n as usize;
    unsafe { optim::adagrad(slice_mut(p, n), slice(g, n), slice_mut(acc, n), lr, eps) };
}

/// Adadelta (Keras): acc_g = ρ·acc_g + (1−ρ)·g²; d = √(acc_d + ε)/√(acc_g + ε)·g;
/// acc_d = ρ·acc_d + (1−ρ)·d²; p −= lr·d.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_adadelta(p: u32, g: u32, acc_g: u32, acc_d: u32, n: u32, lr: f32, rho: f32, eps: f32) {
    let n = n as usize;
    unsafe { optim::adadelta(slice_mut(p, n), slice(g, n), slice_mut(acc_g, n), slice_mut(acc_d, n), lr, rho, eps) };
}

/// Adamax (Keras / TF.js): m = β1·m + (1−β1)·g; u = max(β2·u, |g|); p −= lr_t·m/(u + ε),
/// lr_t = lr/(1−β1^t) computed by the caller.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_adamax(p: u32, g: u32, m: u32, u: u32, n: u32, lr_t: f32, beta1: f32, beta2: f32, eps: f32) {
    let n = n as usize;
    unsafe { optim::adamax(slice_mut(p, n), slice(g, n), slice_mut(m, n), slice_mut(u, n), lr_t, beta1, beta2, eps) };
}

/// torch.optim.SGD: d = g + wd·p; buf (0: none) = d on the first step, else
/// momentum·buf + (1 − dampening)·d; d = nesterov ? d + momentum·buf : buf; p −= lr·d.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_sgd_torch(
    p: u32, g: u32, buf: u32, n: u32, lr: f32, momentum: f32, dampening: f32, nesterov: u32, weight_decay: f32, first: u32,
) {
    let n = n as usize;
    unsafe {
        optim_torch::sgd(slice_mut(p, n), slice(g, n), opt_mut(buf, n), lr, momentum, dampening, nesterov != 0, weight_decay, first != 0)
    };
}

/// torch.optim.Adam / AdamW: p *= keep; d = g + l2·p; m, v moments; v_max (0: none, amsgrad)
/// = max(v_max, v); p −= step_size·m/(√v/bc2_sqrt + ε).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_adam_torch(
    p: u32, g: u32, m: u32, v: u32, v_max: u32, n: u32,
    step_size: f32, beta1: f32, beta2: f32, eps: f32, bc2_sqrt: f32, l2: f32, keep: f32,
) {
    let n = n as usize;
    unsafe {
        optim_torch::adam(
            slice_mut(p, n), slice(g, n), slice_mut(m, n), slice_mut(v, n), opt_mut(v_max, n),
            step_size, beta1, beta2, eps, bc2_sqrt, l2, keep,
        )
    };
}

/// torch.optim.Adagrad: d = g + wd·p; sum += d²; p −= clr·d/(√sum + ε).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_adagrad_torch(p: u32, g: u32, sum: u32, n: u32, clr: f32, eps: f32, weight_decay: f32) {
    let n = n as usize;
    unsafe { optim_torch::adagrad(slice_mut(p, n), slice(g, n), slice_mut(sum, n), clr, eps, weight_decay) };
}

/// torch.optim.RMSprop: d = g + wd·p; sq = α·sq + (1−α)·d²; g_avg (0 unless centered);
/// avg = √(sq − g_avg²) + ε; buf (0 unless momentum > 0) = momentum·buf + d/avg, p −= lr·buf;
/// else p −= lr·d/avg.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_rmsprop_torch(
    p: u32, g: u32, sq: u32, g_avg: u32, buf: u32, n: u32, lr: f32, alpha: f32, eps: f32, weight_decay: f32, momentum: f32,
) {
    let n = n as usize;
    unsafe {
        optim_torch::rmsprop(
            slice_mut(p, n), slice(g, n), slice_mut(sq, n), opt_mut(g_avg, n), opt_mut(buf, n),
            lr, alpha, eps, weight_decay, momentum,
        )
    };
}
