//! The C ABI of the depthwise 2-D convolution kernels (NHWC; filters [kh, kw, c, m]).
//!
//! `geom` points to the 15 i32 values [n, h, w, c, m, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl].
//! Buffer sizes follow from it: x n·h·w·c, filter kh·kw·c·m, out n·oh·ow·c·m (channel
//! ci·m + q). Gradients are overwritten. Returns 0, −1 for an invalid geometry (nothing
//! written), −2 when a scratch buffer cannot be allocated.

use crate::conv::status;
use crate::mem::{slice, slice_mut};
use ferrite_core::depthwise::{self, DepthwiseGeom, DEPTHWISE_GEOM_LEN};

const BAD_GEOMETRY: i32 = -1;

unsafe fn geom(ptr: u32) -> Option<DepthwiseGeom> {
    DepthwiseGeom::from_i32(unsafe { slice::<i32>(ptr, DEPTHWISE_GEOM_LEN) })
}

/// out = depthwiseConv2d(x, filter) + bias[c·m] (bias 0: none), then max(·, 0) when relu = 1.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_depthwise_conv2d(x: u32, filter: u32, bias: u32, out: u32, geom_ptr: u32, relu: u32) -> i32 {
    unsafe {
        let Some(g) = geom(geom_ptr) else { return BAD_GEOMETRY };
        let bias = if bias == 0 { None } else { Some(slice(bias, g.c * g.m)) };
        status(depthwise::depthwise_conv2d(
            &g, slice(x, g.x_len()), slice(filter, g.filter_len()), bias, relu != 0, slice_mut(out, g.out_len()),
        ))
    }
}

/// dx = the gradient of depthwiseConv2d w.r.t. x, given dy.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_depthwise_conv2d_backprop_input(dy: u32, filter: u32, dx: u32, geom_ptr: u32) -> i32 {
    unsafe {
        let Some(g) = geom(geom_ptr) else { return BAD_GEOMETRY };
        status(depthwise::depthwise_conv2d_backprop_input(
            &g, slice(dy, g.out_len()), slice(filter, g.filter_len()), slice_mut(dx, g.x_len()),
        ))
    }
}

/// d_filter = the gradient of depthwiseConv2d w.r.t. the filter, given x and dy.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_depthwise_conv2d_backprop_filter(x: u32, dy: u32, d_filter: u32, geom_ptr: u32) -> i32 {
    unsafe {
        let Some(g) = geom(geom_ptr) else { return BAD_GEOMETRY };
        status(depthwise::depthwise_conv2d_backprop_filter(
            &g, slice(x, g.x_len()), slice(dy, g.out_len()), slice_mut(d_filter, g.filter_len()),
        ))
    }
}
