//! Turning the ABI's (u32 byte offset, element count) pairs into Rust slices.
//!
//! Every function here trusts the caller's offsets and sizes: the TypeScript side owns the
//! heap and passes only blocks it allocated. A zero pointer or zero length gives an empty
//! slice (Rust slices must not start at null).

use ferrite_core::broadcast::{extent, MAX_RANK};

/// # Safety
/// `ptr..ptr + 4·n` must be valid, 4-aligned memory not mutably aliased for `'a`.
#[inline(always)]
pub unsafe fn slice<'a, T>(ptr: u32, n: usize) -> &'a [T] {
    if ptr == 0 || n == 0 {
        &[]
    } else {
        unsafe { core::slice::from_raw_parts(ptr as usize as *const T, n) }
    }
}

/// # Safety
/// `ptr..ptr + 4·n` must be valid, 4-aligned memory not otherwise aliased for `'a`.
#[inline(always)]
pub unsafe fn slice_mut<'a, T>(ptr: u32, n: usize) -> &'a mut [T] {
    if ptr == 0 || n == 0 {
        &mut []
    } else {
        unsafe { core::slice::from_raw_parts_mut(ptr as usize as *mut T, n) }
    }
}

/// `Some(slice)` unless `ptr` is 0.
///
/// # Safety
/// As `slice_mut`.
#[inline(always)]
pub unsafe fn opt_mut<'a, T>(ptr: u32, n: usize) -> Option<&'a mut [T]> {
    if ptr == 0 {
        None
    } else {
        Some(unsafe { slice_mut(ptr, n) })
    }
}

/// A shape and strides read from i32 arrays in memory (rank ≤ MAX_RANK).
pub struct Dims {
    pub rank: usize,
    pub shape: [usize; MAX_RANK],
}

impl Dims {
    /// None when rank > MAX_RANK or a dimension is negative.
    ///
    /// # Safety
    /// `shape_ptr` must hold `rank` i32.
    pub unsafe fn read(shape_ptr: u32, rank: u32) -> Option<Dims> {
        let rank = rank as usize;
        if rank > MAX_RANK {
            return None;
        }
        let raw: &[i32] = unsafe { slice(shape_ptr, rank) };
        if raw.len() != rank {
            return None;
        }
        let mut shape = [0usize; MAX_RANK];
        for (d, &v) in shape.iter_mut().zip(raw) {
            *d = usize::try_from(v).ok()?;
        }
        Some(Dims { rank, shape })
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape[..self.rank]
    }

    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }
}

/// Strides (in elements, i32 in memory) of `rank` axes.
///
/// # Safety
/// `ptr` must hold `rank` i32.
pub unsafe fn strides(ptr: u32, rank: usize) -> Option<[isize; MAX_RANK]> {
    let raw: &[i32] = unsafe { slice(ptr, rank) };
    if raw.len() != rank {
        return None;
    }
    let mut st = [0isize; MAX_RANK];
    for (d, &v) in st.iter_mut().zip(raw) {
        *d = v as isize;
    }
    Some(st)
}

/// The memory a strided operand touches: (slice start in bytes, length in elements, index of
/// element (0, …, 0) within it). None for an empty shape or an address below 0.
pub fn strided_span(ptr: u32, shape: &[usize], strides: &[isize]) -> Option<(u32, usize, usize)> {
    let (lo, hi) = extent(shape, strides)?;
    let start = ptr as i64 + lo as i64 * 4;
    if start <= 0 || start > u32::MAX as i64 {
        return None;
    }
    Some((start as u32, (hi - lo + 1) as usize, (-lo) as usize))
}

/// (batch − 1)·stride + size elements, or None if it does not fit the address space.
pub fn batch_len(batch: u32, stride: u32, size: u64) -> Option<usize> {
    if batch == 0 {
        return Some(0);
    }
    let len = (batch as u64 - 1) * stride as u64 + size;
    if len > (u32::MAX / 4) as u64 {
        None
    } else {
        Some(len as usize)
    }
}
