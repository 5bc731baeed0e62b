//! ferrite-core: the numeric kernels of ferrite, on plain slices (no wasm glue), so the host
//! can unit-test them. SIMD code is written once against `simd::F32x4`, which maps to wasm
//! simd128 on wasm32 and to a lane-exact scalar emulation elsewhere.

// Kernels take shapes as separate sizes, and index several arrays by one loop variable.
#![allow(clippy::too_many_arguments, clippy::needless_range_loop)]
// The threaded builds wait and wake with memory.atomic.wait32 / notify (see parallel::wasm_pool).
#![cfg_attr(all(target_arch = "wasm32", target_feature = "atomics"), feature(stdarch_wasm_atomic_wait))]

pub mod approx;
pub mod attention;
pub mod audio;
pub mod broadcast;
pub mod conv;
pub mod conv3d;
pub mod depthwise;
pub mod ctc;
pub mod elementwise;
pub mod fixed_groups;
pub mod fused;
pub mod gemm;
pub mod indexing;
pub mod layer_norm;
pub mod losses;
pub mod optim;
pub mod optim_torch;
pub mod parallel;
pub mod pool;
pub mod pool3d;
pub mod reduce;
pub mod resize;
pub mod rnn;
pub mod scan;
pub mod simd;
pub mod softmax;
pub mod trig;

#[cfg(test)]
mod testutil;
