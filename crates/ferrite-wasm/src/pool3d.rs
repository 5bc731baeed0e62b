//! The C ABI of 3-D pooling (NDHWC; 1-D and 2-D pooling as d = h = 1).
//!
//! `geom` points to the 17 i32 values [n, d, h, w, c, od, oh, ow, pd, ph, pw, sd, sh, sw, pf,
//! pt, pl]; x holds n·d·h·w·c values, out n·od·oh·ow·c. Gradients are overwritten. Returns 0,
//! or −1 for an invalid geometry (nothing written).

use crate::mem::{slice, slice_mut};
use ferrite_core::pool3d::{self, Pool3dGeom, POOL3D_GEOM_LEN};

const BAD_GEOMETRY: i32 = -1;

unsafe fn geom(ptr: u32) -> Option<Pool3dGeom> {
    Pool3dGeom::from_i32(unsafe { slice::<i32>(ptr, POOL3D_GEOM_LEN) })
}

/// out = max over each window (padding ignored).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_max_pool3d(x: u32, out: u32, geom_ptr: u32) -> i32 {
    unsafe {
        let Some(g) = geom(geom_ptr) else { return BAD_GEOMETRY };
        pool3d::max_pool3d(&g, slice(x, g.x_len()), slice_mut(out, g.out_len()));
    }
    0
}

/// dx = the gradient of max pooling: each dy to the first maximum of its window of x.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_max_pool3d_grad(x: u32, dy: u32, dx: u32, geom_ptr: u32) -> i32 {
    unsafe {
        let Some(g) = geom(geom_ptr) else { return BAD_GEOMETRY };
        pool3d::max_pool3d_grad(&g, slice(x, g.x_len()), slice(dy, g.out_len()), slice_mut(dx, g.x_len()));
    }
    0
}

/// out = mean over each window's unpadded elements.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_avg_pool3d(x: u32, out: u32, geom_ptr: u32) -> i32 {
    unsafe {
        let Some(g) = geom(geom_ptr) else { return BAD_GEOMETRY };
        pool3d::avg_pool3d(&g, slice(x, g.x_len()), slice_mut(out, g.out_len()));
    }
    0
}

/// dx = the gradient of average pooling.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_avg_pool3d_grad(dy: u32, dx: u32, geom_ptr: u32) -> i32 {
    unsafe {
        let Some(g) = geom(geom_ptr) else { return BAD_GEOMETRY };
        pool3d::avg_pool3d_grad(&g, slice(dy, g.out_len()), slice_mut(dx, g.x_len()));
    }
    0
}
