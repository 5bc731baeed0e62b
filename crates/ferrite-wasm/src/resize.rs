//! The C ABI of image resampling (NHWC).
//!
//! Resize: `geom` points to [n, h, w, c, oh, ow, alignCorners, halfPixelCenters] (8 i32);
//! x holds n·h·w·c values, out n·oh·ow·c. Crop-and-resize: `geom` points to [boxes, n, h, w,
//! c, cropHeight, cropWidth, nearest] (8 i32); boxes holds boxes·4 f32 (y1, x1, y2, x2),
//! box_ind boxes i32, out boxes·cropHeight·cropWidth·c. Gradients are overwritten. Returns 0,
//! −1 for an invalid geometry (nothing written), or for crop-and-resize b + 1 when box b's
//! image index is outside [0, n) (nothing written).

use crate::mem::{slice, slice_mut};
use ferrite_core::resize::{self, CropGeom, ResizeGeom, CROP_GEOM_LEN, RESIZE_GEOM_LEN};

const BAD_GEOMETRY: i32 = -1;

unsafe fn geom(ptr: u32) -> Option<ResizeGeom> {
    ResizeGeom::from_i32(unsafe { slice::<i32>(ptr, RESIZE_GEOM_LEN) })
}

unsafe fn crop_geom(ptr: u32) -> Option<CropGeom> {
    CropGeom::from_i32(unsafe { slice::<i32>(ptr, CROP_GEOM_LEN) })
}

fn box_status(r: Result<(), usize>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(b) => b as i32 + 1,
    }
}

/// out = bilinear resize of x.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_resize_bilinear(x: u32, out: u32, geom_ptr: u32) -> i32 {
    unsafe {
        let Some(g) = geom(geom_ptr) else { return BAD_GEOMETRY };
        resize::resize_bilinear(&g, slice(x, g.x_len()), slice_mut(out, g.out_len()));
    }
    0
}

/// dx = the gradient of the bilinear resize, given dy.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_resize_bilinear_grad(dy: u32, dx: u32, geom_ptr: u32) -> i32 {
    unsafe {
        let Some(g) = geom(geom_ptr) else { return BAD_GEOMETRY };
        resize::resize_bilinear_grad(&g, slice(dy, g.out_len()), slice_mut(dx, g.x_len()));
    }
    0
}

/// out = nearest-neighbour resize of x.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_resize_nearest(x: u32, out: u32, geom_ptr: u32) -> i32 {
    unsafe {
        let Some(g) = geom(geom_ptr) else { return BAD_GEOMETRY };
        resize::resize_nearest(&g, slice(x, g.x_len()), slice_mut(out, g.out_len()));
    }
    0
}

/// dx = the gradient of the nearest-neighbour resize, given dy.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_resize_nearest_grad(dy: u32, dx: u32, geom_ptr: u32) -> i32 {
    unsafe {
        let Some(g) = geom(geom_ptr) else { return BAD_GEOMETRY };
        resize::resize_nearest_grad(&g, slice(dy, g.out_len()), slice_mut(dx, g.x_len()));
    }
    0
}

/// out = crops of the images at boxes, resized (extrapolation outside the image).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_crop_and_resize(image: u32, boxes: u32, box_ind: u32, out: u32, geom_ptr: u32, extrapolation: f32) -> i32 {
    unsafe {
        let Some(g) = crop_geom(geom_ptr) else { return BAD_GEOMETRY };
        box_status(resize::crop_and_resize(
            &g, slice(image, g.image_len()), slice(boxes, g.boxes * 4), slice(box_ind, g.boxes), extrapolation,
            slice_mut(out, g.out_len()),
        ))
    }
}

/// d_image = the gradient of crop-and-resize w.r.t. the image, given dy.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_crop_and_resize_grad_image(dy: u32, boxes: u32, box_ind: u32, d_image: u32, geom_ptr: u32) -> i32 {
    unsafe {
        let Some(g) = crop_geom(geom_ptr) else { return BAD_GEOMETRY };
        box_status(resize::crop_and_resize_grad_image(
            &g, slice(dy, g.out_len()), slice(boxes, g.boxes * 4), slice(box_ind, g.boxes), slice_mut(d_image, g.image_len()),
        ))
    }
}
