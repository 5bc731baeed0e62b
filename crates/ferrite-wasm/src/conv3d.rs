//! The C ABI of the 3-D convolution kernels (NDHWC; filters [kd, kh, kw, in, out]).
//!
//! `geom` points to the 21 i32 values [n, d, h, w, c, od, oh, ow, f, kd, kh, kw, sd, sh, sw,
//! dd, dh, dw, pf, pt, pl]. Buffer sizes follow from it: x n·d·h·w·c, filter kd·kh·kw·c·f,
//! out n·od·oh·ow·f. Gradients are overwritten, not accumulated. Every function returns 0 on
//! success, −1 for an invalid geometry (nothing written) and −2 when a scratch buffer cannot
//! be allocated (the output is then unspecified).

use crate::conv::status;
use crate::mem::{slice, slice_mut};
use ferrite_core::conv3d::{self, Conv3dGeom, CONV3D_GEOM_LEN};

const BAD_GEOMETRY: i32 = -1;

unsafe fn geom(ptr: u32) -> Option<Conv3dGeom> {
    Conv3dGeom::from_i32(unsafe { slice::<i32>(ptr, CONV3D_GEOM_LEN) })
}

/// out = conv3d(x, filter) + bias (bias 0: none), then max(·, 0) when relu = 1.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_conv3d(x: u32, filter: u32, bias: u32, out: u32, geom_ptr: u32, relu: u32) -> i32 {
    unsafe {
        let Some(g) = geom(geom_ptr) else { return BAD_GEOMETRY };
        let bias = if bias == 0 { None } else { Some(slice(bias, g.f)) };
        status(conv3d::conv3d(
            &g, slice(x, g.x_len()), slice(filter, g.filter_len()), bias, relu != 0, slice_mut(out, g.out_len()),
        ))
    }
}

/// dx = the gradient of conv3d w.r.t. x, given dy [n, od, oh, ow, f] (also the forward pass
/// of a transposed 3-D convolution).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_conv3d_backprop_input(dy: u32, filter: u32, dx: u32, geom_ptr: u32) -> i32 {
    unsafe {
        let Some(g) = geom(geom_ptr) else { return BAD_GEOMETRY };
        status(conv3d::conv3d_backprop_input(
            &g, slice(dy, g.out_len()), slice(filter, g.filter_len()), slice_mut(dx, g.x_len()),
        ))
    }
}

/// d_filter = the gradient of conv3d w.r.t. the filter, given x and dy.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_conv3d_backprop_filter(x: u32, dy: u32, d_filter: u32, geom_ptr: u32) -> i32 {
    unsafe {
        let Some(g) = geom(geom_ptr) else { return BAD_GEOMETRY };
        status(conv3d::conv3d_backprop_filter(
            &g, slice(x, g.x_len()), slice(dy, g.out_len()), slice_mut(d_filter, g.filter_len()),
        ))
    }
}
