//! The C ABI of ferrite: every function the WebAssembly module exports, mirrored in
//! `ts/backend/wasm/exports.ts` (a test checks names and arities agree both ways).
//!
//! Conventions
//! - Pointers are byte offsets into linear memory (u32), 4-aligned; 0 means "none" where an
//!   argument is optional. Sizes and strides are element counts. Booleans are 0/1.
//! - Shapes and strides of N-d kernels are i32 arrays of length `rank` (≤ 8) in memory.
//! - `out` buffers must not overlap inputs, except that `ferrite_unary`, `ferrite_affine`
//!   and `ferrite_clip` may be called with out == x (in place).
//! - Enum arguments are op codes: the position in the lists below (the `*_OPS` arrays of
//!   exports.ts). An unknown op code, a rank above 8 or a negative dimension makes the call
//!   do nothing.
//!   - binary: add sub mul div pow maximum minimum squaredDifference equal notEqual greater
//!     greaterEqual less lessEqual atan2 mod floorDiv
//!   - unary: neg abs exp log sqrt rsqrt square reciprocal relu sigmoid tanh softplus sign
//!     floor ceil round step log1p elu selu gelu relu6 leakyRelu sin cos tan asin acos atan
//!     sinh cosh asinh acosh atanh expm1 erf
//!   - unary grad: relu sigmoid tanh leakyRelu elu selu gelu softplus relu6
//!   - reduce: sum max min prod; arg reduce: argMax argMin
//! - Nothing here allocates except `ferrite_alloc` and `ferrite_matmul` (its packing buffers,
//!   reused across calls; when they cannot be had it falls back to an unpacked loop).
//!   The convolution kernels of conv.rs and the attention kernels of attention.rs also keep
//!   reused scratch buffers.

// The ABI passes shapes as separate sizes.
#![allow(clippy::too_many_arguments)]

mod attention;
mod audio;
mod conv;
// 3-D and depthwise convolution, 3-D pooling, image resampling.
mod conv3d;
mod depthwise;
mod pool3d;
mod resize;
mod ctc;
mod fused;
mod mem;
mod optimizers;
mod ops;
mod rnn;
mod threads;

use ferrite_core::broadcast::{self, BinaryOp, MAX_RANK};
use ferrite_core::elementwise::{self as ew, InOut, UnaryGradOp, UnaryOp};
use ferrite_core::reduce::{ArgReduceOp, ReduceOp};
use ferrite_core::{gemm, indexing, losses, optim, reduce, softmax};
use mem::{batch_len, opt_mut, slice, slice_mut, strided_span, strides, Dims};
use std::alloc::Layout;

/// x → out over n f32, or one in-place buffer when out == x.
///
/// # Safety
/// Both blocks must be valid for n f32 and either identical or disjoint.
unsafe fn in_out<'a>(x: u32, out: u32, n: usize) -> InOut<'a> {
    unsafe {
        if x == out {
            InOut::InPlace(slice_mut(out, n))
        } else {
            InOut::Split(slice(x, n), slice_mut(out, n))
        }
    }
}

const ALIGN: usize = 16;

fn layout(bytes: u32) -> Option<Layout> {
    // Zero-byte requests get a real 16-byte block so every live pointer is distinct.
    Layout::from_size_align((bytes as usize).max(ALIGN), ALIGN).ok()
}

// ---- memory -------------------------------------------------------------------------------

/// A zero-filled, 16-byte aligned block of `bytes`; 0 when memory cannot grow (never aborts).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_alloc(bytes: u32) -> u32 {
    let Some(l) = layout(bytes) else { return 0 };
    // SAFETY: the layout has a non-zero size.
    let p = unsafe { std::alloc::alloc_zeroed(l) };
    p as usize as u32
}

/// As `ferrite_alloc`, but the contents are whatever the allocator had there: for outputs a
/// kernel overwrites completely, where zero-filling would be a wasted pass over memory.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_alloc_uninit(bytes: u32) -> u32 {
    let Some(l) = layout(bytes) else { return 0 };
    // SAFETY: the layout has a non-zero size.
    let p = unsafe { std::alloc::alloc(l) };
    p as usize as u32
}

/// Frees a block from `ferrite_alloc` or `ferrite_alloc_uninit`; `bytes` must be the size it
/// was allocated with.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_free(ptr: u32, bytes: u32) {
    if ptr == 0 {
        return;
    }
    if let Some(l) = layout(bytes) {
        // SAFETY: ptr came from ferrite_alloc(bytes), which used the same layout.
        unsafe { std::alloc::dealloc(ptr as usize as *mut u8, l) };
    }
}

// ---- data movement ------------------------------------------------------------------------

/// out[0..n) = value (f32).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_fill_f32(out: u32, value: f32, n: u32) {
    ew::fill_f32(unsafe { slice_mut(out, n as usize) }, value);
}

/// out[0..n) = value (i32).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_fill_i32(out: u32, value: i32, n: u32) {
    ew::fill_i32(unsafe { slice_mut(out, n as usize) }, value);
}

/// N-d copy of 4-byte elements (bit-exact):
/// dst[Σ i_d·dst_strides[d]] = src[Σ i_d·src_strides[d]] for every index i of `shape`.
/// Offsets are folded into `src`/`dst`; strides may be 0 (broadcast) or negative.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_strided_copy(src: u32, src_strides: u32, dst: u32, dst_strides: u32, shape: u32, rank: u32) {
    unsafe {
        let Some(d) = Dims::read(shape, rank) else { return };
        let (Some(ss), Some(ds)) = (strides(src_strides, d.rank), strides(dst_strides, d.rank)) else { return };
        let (ss, ds) = (&ss[..d.rank], &ds[..d.rank]);
        let Some((sp, sn, sb)) = strided_span(src, d.shape(), ss) else { return };
        let Some((dp, dn, db)) = strided_span(dst, d.shape(), ds) else { return };
        broadcast::strided_copy(slice::<u32>(sp, sn), sb, ss, slice_mut::<u32>(dp, dn), db, ds, d.shape());
    }
}

/// int32 out = float32 x truncated toward zero (saturating; NaN → 0).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_cast_f32_i32(x: u32, out: u32, n: u32) {
    let n = n as usize;
    unsafe { ew::cast_f32_i32(slice(x, n), slice_mut(out, n)) };
}

/// float32 out = int32 x (round to nearest).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_cast_i32_f32(x: u32, out: u32, n: u32) {
    let n = n as usize;
    unsafe { ew::cast_i32_f32(slice(x, n), slice_mut(out, n)) };
}

// ---- arithmetic ---------------------------------------------------------------------------

/// Batched sgemm: for t < batch, C_t = alpha·op(A_t)·op(B_t) + beta·C_t, with
/// A_t = a + t·stride_a elements (likewise B, C; stride 0 reuses one matrix). op(A) is m×k
/// (A stored k×m when trans_a), op(B) is k×n (B stored n×k when trans_b), all row-major.
/// beta = 0 ignores C's contents.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_matmul(
    a: u32, stride_a: u32, b: u32, stride_b: u32, c: u32, stride_c: u32,
    batch: u32, m: u32, n: u32, k: u32,
    trans_a: u32, trans_b: u32, alpha: f32, beta: f32,
) {
    let (m64, n64, k64) = (m as u64, n as u64, k as u64);
    let (Some(la), Some(lb), Some(lc)) = (
        batch_len(batch, stride_a, m64 * k64),
        batch_len(batch, stride_b, k64 * n64),
        batch_len(batch, stride_c, m64 * n64),
    ) else {
        return;
    };
    unsafe {
        gemm::sgemm_batched(
            batch as usize, m as usize, n as usize, k as usize, alpha,
            slice(a, la), stride_a as usize, trans_a != 0,
            slice(b, lb), stride_b as usize, trans_b != 0,
            beta, slice_mut(c, lc), stride_c as usize,
        );
    }
}

/// out = op(a, b) over `shape` (out contiguous, float32); a and b are read through their
/// strides (0 broadcasts an axis). op: binary op code.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_binary(op: u32, a: u32, a_strides: u32, b: u32, b_strides: u32, out: u32, shape: u32, rank: u32) {
    let Some(op) = BinaryOp::from_code(op) else { return };
    unsafe {
        let Some(d) = Dims::read(shape, rank) else { return };
        let (Some(sa), Some(sb)) = (strides(a_strides, d.rank), strides(b_strides, d.rank)) else { return };
        let (sa, sb) = (&sa[..d.rank], &sb[..d.rank]);
        let Some((ap, an, ab)) = strided_span(a, d.shape(), sa) else { return };
        let Some((bp, bn, bb)) = strided_span(b, d.shape(), sb) else { return };
        let out = slice_mut(out, d.len());
        broadcast::binary(op, slice(ap, an), ab, sa, slice(bp, bn), bb, sb, out, d.shape());
    }
}

/// out[i] = op(x[i]) for i < n; out may be x. alpha is the slope of leakyRelu and the α
/// of elu (callers pass the defaults). op: unary op code.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_unary(op: u32, x: u32, out: u32, n: u32, alpha: f32) {
    let Some(op) = UnaryOp::from_code(op) else { return };
    unsafe { ew::unary(op, in_out(x, out, n as usize), alpha) };
}

/// dx[i] = dy[i]·op'(…): `xy` is the forward output y for sigmoid and tanh, the forward
/// input x for the others. op: unary grad op code.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_unary_grad(op: u32, xy: u32, dy: u32, dx: u32, n: u32, alpha: f32) {
    let Some(op) = UnaryGradOp::from_code(op) else { return };
    let n = n as usize;
    unsafe { ew::unary_grad(op, slice(xy, n), slice(dy, n), slice_mut(dx, n), alpha) };
}

/// out[i] = x[i]·scale + shift; out may be x.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_affine(x: u32, out: u32, n: u32, scale: f32, shift: f32) {
    unsafe { ew::affine(in_out(x, out, n as usize), scale, shift) };
}

/// out[i] = min(max(x[i], lo), hi) (NaN stays NaN); out may be x.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_clip(x: u32, out: u32, n: u32, lo: f32, hi: f32) {
    unsafe { ew::clip(in_out(x, out, n as usize), lo, hi) };
}

/// out[i] = cond[i] != 0 ? a[i] : b[i], cond float32.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_where(cond: u32, a: u32, b: u32, out: u32, n: u32) {
    let n = n as usize;
    unsafe { ew::where_(slice(cond, n), slice(a, n), slice(b, n), slice_mut(out, n)) };
}

// ---- reductions ---------------------------------------------------------------------------

/// x [outer, axis, inner] reduced over axis → out [outer, inner]. op: reduce op code.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_reduce(op: u32, x: u32, out: u32, outer: u32, axis: u32, inner: u32) {
    let Some(op) = ReduceOp::from_code(op) else { return };
    let (o, a, i) = (outer as usize, axis as usize, inner as usize);
    unsafe { reduce::reduce(op, slice(x, o * a * i), slice_mut(out, o * i), o, a, i) };
}

/// int32 out [outer, inner] = index along axis of the max/min of x [outer, axis, inner];
/// first on ties; strict comparisons, so a NaN never replaces the running best; an empty
/// axis gives 0. op: arg reduce op code.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_arg_reduce(op: u32, x: u32, out: u32, outer: u32, axis: u32, inner: u32) {
    let Some(op) = ArgReduceOp::from_code(op) else { return };
    let (o, a, i) = (outer as usize, axis as usize, inner as usize);
    unsafe { reduce::arg_reduce(op, slice(x, o * a * i), slice_mut(out, o * i), o, a, i) };
}

// ---- softmax ------------------------------------------------------------------------------

/// out = softmax(x) over each row of [rows, cols].
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_softmax(x: u32, out: u32, rows: u32, cols: u32) {
    let (r, c) = (rows as usize, cols as usize);
    unsafe { softmax::softmax(slice(x, r * c), slice_mut(out, r * c), r, c) };
}

/// out = logSoftmax(x) over each row of [rows, cols].
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_log_softmax(x: u32, out: u32, rows: u32, cols: u32) {
    let (r, c) = (rows as usize, cols as usize);
    unsafe { softmax::log_softmax(slice(x, r * c), slice_mut(out, r * c), r, c) };
}

/// dx = y ⊙ (dy − Σ_row dy ⊙ y) for y = softmax(x).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_softmax_grad(y: u32, dy: u32, dx: u32, rows: u32, cols: u32) {
    let nn = rows as usize * cols as usize;
    unsafe { softmax::softmax_grad(slice(y, nn), slice(dy, nn), slice_mut(dx, nn), rows as usize, cols as usize) };
}

/// dx = dy − exp(y)·Σ_row dy for y = logSoftmax(x).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_log_softmax_grad(y: u32, dy: u32, dx: u32, rows: u32, cols: u32) {
    let nn = rows as usize * cols as usize;
    unsafe { softmax::log_softmax_grad(slice(y, nn), slice(dy, nn), slice_mut(dx, nn), rows as usize, cols as usize) };
}

// ---- indexing -----------------------------------------------------------------------------

/// out[o, j, i] = x[o, idx[j], i] for x [outer, axis_len, inner], idx int32 [num_idx];
/// 4-byte elements copied bit-exactly. Returns −1, or the first j with idx[j] outside
/// [0, axis_len) (then nothing is written).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_gather(x: u32, idx: u32, out: u32, outer: u32, axis_len: u32, inner: u32, num_idx: u32) -> i32 {
    let (o, a, i, j) = (outer as usize, axis_len as usize, inner as usize, num_idx as usize);
    unsafe {
        indexing::gather::<u32>(slice(x, o * a * i), slice(idx, j), slice_mut(out, o * j * i), o, a, i)
    }
}

/// dx[o, idx[j], i] += dy[o, j, i]; dx [outer, axis_len, inner] is not cleared. Indices
/// outside [0, axis_len) are skipped.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_scatter_add(dy: u32, idx: u32, dx: u32, outer: u32, axis_len: u32, inner: u32, num_idx: u32) {
    let (o, a, i, j) = (outer as usize, axis_len as usize, inner as usize, num_idx as usize);
    unsafe { indexing::scatter_add(slice(dy, o * j * i), slice(idx, j), slice_mut(dx, o * a * i), o, a, i) };
}

/// out [n, depth] float32: out[j, c] = idx[j] == c ? on_value : off_value, idx int32 [n].
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_one_hot(idx: u32, out: u32, n: u32, depth: u32, on_value: f32, off_value: f32) {
    let (n, d) = (n as usize, depth as usize);
    unsafe { indexing::one_hot(slice(idx, n), slice_mut(out, n * d), d, on_value, off_value) };
}

// ---- losses -------------------------------------------------------------------------------

/// Per element: loss = max(x, 0) − x·z + log(1 + e^−|x|); grad = sigmoid(x) − z.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_sigmoid_cross_entropy(logits: u32, labels: u32, loss: u32, grad: u32, n: u32) {
    let n = n as usize;
    unsafe { losses::sigmoid_cross_entropy(slice(logits, n), slice(labels, n), slice_mut(loss, n), slice_mut(grad, n)) };
}

/// logits, labels (float32, one-hot or soft) and grad [rows, cols], loss [rows]:
/// loss[r] = −Σ_c z·log softmax(x); grad = softmax(x)·Σ_c z − z.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_softmax_cross_entropy(logits: u32, labels: u32, loss: u32, grad: u32, rows: u32, cols: u32) {
    let (r, c) = (rows as usize, cols as usize);
    unsafe {
        losses::softmax_cross_entropy(slice(logits, r * c), slice(labels, r * c), slice_mut(loss, r), slice_mut(grad, r * c), r, c)
    };
}

/// As ferrite_softmax_cross_entropy with int32 class labels [rows]. Returns −1, or the
/// first row whose label is outside [0, cols) (then nothing is written).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_sparse_softmax_cross_entropy(logits: u32, labels: u32, loss: u32, grad: u32, rows: u32, cols: u32) -> i32 {
    let (r, c) = (rows as usize, cols as usize);
    unsafe {
        losses::sparse_softmax_cross_entropy(slice(logits, r * c), slice(labels, r), slice_mut(loss, r), slice_mut(grad, r * c), r, c)
    }
}

// ---- optimizers (in place on p and the state buffers) -----------------------------------

/// Adam (Keras form): m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p −= lr_t·m/(√v + ε),
/// lr_t = lr·√(1−β2^t)/(1−β1^t) computed by the caller.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_adam(p: u32, g: u32, m: u32, v: u32, n: u32, lr_t: f32, beta1: f32, beta2: f32, eps: f32) {
    let n = n as usize;
    unsafe { optim::adam(slice_mut(p, n), slice(g, n), slice_mut(m, n), slice_mut(v, n), lr_t, beta1, beta2, eps) };
}

/// SGD (Keras form). velocity 0: p −= lr·g. Otherwise v = momentum·v − lr·g and
/// p += nesterov ? momentum·v − lr·g : v.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_sgd(p: u32, g: u32, velocity: u32, n: u32, lr: f32, momentum: f32, nesterov: u32) {
    let n = n as usize;
    unsafe { optim::sgd(slice_mut(p, n), slice(g, n), opt_mut(velocity, n), lr, momentum, nesterov != 0) };
}

/// RMSprop (Keras / TF.js form): ms = ρ·ms + (1−ρ)·g²; with mg (centered, else 0):
/// mg = ρ·mg + (1−ρ)·g and denom = max(ms − mg², 0), else denom = ms;
/// step = lr·g/√(denom + ε); with mom (else 0): mom = momentum·mom + step, p −= mom;
/// else p −= step.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_rmsprop(p: u32, g: u32, ms: u32, mg: u32, mom: u32, n: u32, lr: f32, rho: f32, momentum: f32, eps: f32) {
    let n = n as usize;
    unsafe {
        optim::rmsprop(slice_mut(p, n), slice(g, n), slice_mut(ms, n), opt_mut(mg, n), opt_mut(mom, n), lr, rho, momentum, eps)
    };
}

// Keep the rank limit of the ABI and the core in step.
const _: () = assert!(MAX_RANK == 8);
