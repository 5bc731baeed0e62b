//! The C ABI of the convolution and pooling kernels (NHWC; filters [kh, kw, in, out]).
//!
//! `geom` points to i32 arrays in memory:
//! - conv: [n, h, w, c, oh, ow, f, kh, kw, sh, sw, dh, dw, pt, pl] (15 values)
//! - pool: [n, h, w, c, oh, ow, ph, pw, sh, sw, pt, pl] (12 values)
//!
//! Buffer sizes follow from the geometry: x n·h·w·c, filter kh·kw·c·f, out n·oh·ow·f (pool:
//! n·oh·ow·c). Gradients are overwritten, not accumulated. Every function returns 0 on
//! success, −1 for an invalid geometry (nothing written) and −2 when a scratch
//! buffer cannot be allocated (the output is then unspecified).

use crate::mem::{slice, slice_mut};
use ferrite_core::conv::{self, Conv2dGeom, ConvError, CONV2D_GEOM_LEN};
use ferrite_core::pool::{self, Pool2dGeom, POOL2D_GEOM_LEN};

const BAD_GEOMETRY: i32 = -1;
const OUT_OF_MEMORY: i32 = -2;

unsafe fn conv_geom(ptr: u32) -> Option<Conv2dGeom> {
    Conv2dGeom::from_i32(unsafe { slice::<i32>(ptr, CONV2D_GEOM_LEN) })
}

unsafe fn pool_geom(ptr: u32) -> Option<Pool2dGeom> {
    Pool2dGeom::from_i32(unsafe { slice::<i32>(ptr, POOL2D_GEOM_LEN) })
}

pub(crate) fn status(r: Result<(), ConvError>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(ConvError::OutOfMemory) => OUT_OF_MEMORY,
    }
}

/// out = conv2d(x, filter) + bias (bias 0: none), then max(·, 0) when relu = 1.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_conv2d(x: u32, filter: u32, bias: u32, out: u32, geom: u32, relu: u32) -> i32 {
    unsafe {
        let Some(g) = conv_geom(geom) else { return BAD_GEOMETRY };
        let bias = if bias == 0 { None } else { Some(slice(bias, g.f)) };
        status(conv::conv2d(
            &g, slice(x, g.x_len()), slice(filter, g.filter_len()), bias, relu != 0, slice_mut(out, g.out_len()),
        ))
    }
}

/// dx = the gradient of conv2d w.r.t. x, given dy [n, oh, ow, f].
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_conv2d_backprop_input(dy: u32, filter: u32, dx: u32, geom: u32) -> i32 {
    unsafe {
        let Some(g) = conv_geom(geom) else { return BAD_GEOMETRY };
        status(conv::conv2d_backprop_input(
            &g, slice(dy, g.out_len()), slice(filter, g.filter_len()), slice_mut(dx, g.x_len()),
        ))
    }
}

/// d_filter = the gradient of conv2d w.r.t. the filter, given x and dy.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_conv2d_backprop_filter(x: u32, dy: u32, d_filter: u32, geom: u32) -> i32 {
    unsafe {
        let Some(g) = conv_geom(geom) else { return BAD_GEOMETRY };
        status(conv::conv2d_backprop_filter(
            &g, slice(x, g.x_len()), slice(dy, g.out_len()), slice_mut(d_filter, g.filter_len()),
        ))
    }
}

/// out = max over each window (padding ignored).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_max_pool2d(x: u32, out: u32, geom: u32) -> i32 {
    unsafe {
        let Some(g) = pool_geom(geom) else { return BAD_GEOMETRY };
        pool::max_pool2d(&g, slice(x, g.x_len()), slice_mut(out, g.out_len()));
    }
    0
}

/// dx = the gradient of max pooling: each dy to the first maximum of its window of x.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_max_pool2d_grad(x: u32, dy: u32, dx: u32, geom: u32) -> i32 {
    unsafe {
        let Some(g) = pool_geom(geom) else { return BAD_GEOMETRY };
        pool::max_pool2d_grad(&g, slice(x, g.x_len()), slice(dy, g.out_len()), slice_mut(dx, g.x_len()));
    }
    0
}

/// out = mean over each window's unpadded elements.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_avg_pool2d(x: u32, out: u32, geom: u32) -> i32 {
    unsafe {
        let Some(g) = pool_geom(geom) else { return BAD_GEOMETRY };
        pool::avg_pool2d(&g, slice(x, g.x_len()), slice_mut(out, g.out_len()));
    }
    0
}

/// dx = the gradient of average pooling.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_avg_pool2d_grad(dy: u32, dx: u32, geom: u32) -> i32 {
    unsafe {
        let Some(g) = pool_geom(geom) else { return BAD_GEOMETRY };
        pool::avg_pool2d_grad(&g, slice(dy, g.out_len()), slice_mut(dx, g.x_len()));
    }
    0
}
