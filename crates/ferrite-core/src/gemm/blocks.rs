//! Register and cache block sizes of the packed sgemm.

/// Rows of the micro-tile (A panels are MR rows wide).
pub const MR: usize = 4;
/// Columns of the micro-tile: two F32x4 (B panels are NR columns wide). 4×8 keeps
/// 8 accumulators + 2 B vectors + 1 A splat within the ~15 vector registers V8 gives wasm.
pub const NR: usize = 8;
/// Depth of one packed block: a B micro-panel (KC·NR floats = 8 KiB) stays in L1.
pub const KC: usize = 256;
/// Rows of A packed per block (MC·KC floats = 128 KiB, in L2). Multiple of MR.
pub const MC: usize = 128;
/// Columns of B packed per block (KC·NC floats = 2 MiB). Multiple of NR.
pub const NC: usize = 2048;

/// Below this many multiply-adds packing costs more than it saves.
pub const SMALL_WORK: usize = 8 * 8 * 64;
