//! Register and cache block sizes of the sgemm, with the reasons for each.
//!
//! Register block (MR×NR). V8 gives wasm code 15 xmm registers. The micro-kernel keeps MR·2
//! accumulators, the two B vectors of one depth step and one broadcast A element live; the
//! simd128 build also needs one temporary for the product before the add. The accumulators
//! must also outnumber the FMA latency × issue width (4 cycles × 2 pipes on Zen 4), or the
//! dependency chains stall the loop: 4×8 (8 chains) measured 35–40 GFLOPS where 5×8 and 6×8
//! reached 48 (simd128) and 56–58 (relaxed) on the same kernel-only test.
//! - relaxed-simd: 6×8 = 12 accumulators + 2 B + 1 A = 15 registers.
//! - simd128: 5×8 = 10 accumulators + 2 B + 1 A + 1 product = 14 (6×8 would spill).
//!
//! Cache blocks (Zen 4: 32 KiB L1d, 1 MiB L2 per core).
//! - KC = 256: one B micro-panel is KC·NR·4 = 8 KiB and one A micro-panel KC·MR·4 ≤ 6 KiB,
//!   so both stay in L1 while the B panel is reused across a column of tiles.
//! - MC = 120 rows (a multiple of 4, 5, 6 and 8): the packed A block is MC·KC·4 = 120 KiB, well
//!   inside L2 next to the B block's working part.
//! - NC = 2048 columns: the packed B block is KC·NC·4 = 2 MiB, streamed from L2/L3 once per
//!   A block. Up to n = 1024 one B block covers all columns.

/// Rows of the register block (A panels are MR rows wide).
#[cfg(target_feature = "relaxed-simd")]
pub const MR: usize = 6;
/// Rows of the register block (A panels are MR rows wide).
#[cfg(not(target_feature = "relaxed-simd"))]
pub const MR: usize = 5;
/// Columns of the register block: two F32x4 (B panels are NR columns wide).
pub const NR: usize = 8;
/// Depth of one packed block.
pub const KC: usize = 256;
/// Rows of A packed per block. Multiple of MR in both builds.
pub const MC: usize = 120;
/// Columns of B packed per block. Multiple of NR.
pub const NC: usize = 2048;

/// At most this many rows (B not transposed): C's rows accumulate whole rows of B, so B
/// streams through once in order (a register tile would walk B in 8-column slivers that
/// the prefetcher cannot follow across pages).
pub const AXPY_MAX_M: usize = 4;
/// At most this many rows: B is read in place (its rows are contiguous when it is not
/// transposed) instead of packed, since each packed B sliver would be reused only m/MR times.
pub const DIRECT_B_MAX_M: usize = 16;
/// … and up to this many rows when B is also at most DIRECT_B_MAX_N columns wide: wider rows
/// put every depth of a sliver in a new page and L1 set, and packing wins again.
pub const DIRECT_B_MAX_M_NARROW: usize = 48;
pub const DIRECT_B_MAX_N: usize = 512;
/// At most this many columns: a transposed A (stored k×m, so its MR-row slivers are
/// contiguous) is read in place instead of packed.
pub const DIRECT_A_MAX_N: usize = 48;

const _: () = assert!(MC.is_multiple_of(MR) && NC.is_multiple_of(NR) && NR == 8);
