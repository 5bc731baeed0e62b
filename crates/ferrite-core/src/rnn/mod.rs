//! Recurrent layers over a whole sequence, forward and backward through time, one call each:
//! the input projection of every step is one sgemm, each step adds one small recurrent sgemm,
//! and the gate non-linearities and state updates run fused, row by row, with SIMD.
//!
//! Conventions shared by `lstm`, `gru` and `simple`
//! - x holds `steps·batch` rows of `input` features, batch-major ([batch, steps, input], as
//!   Keras) or time-major ([steps, batch, input]); `Seq::row(b, t)` maps a sample and a time to
//!   its row. Outputs with a time axis (y when `return_sequences`) use the same layout.
//! - Weights in Keras layouts: kernel [input, G·units], recurrent kernel [units, G·units], gate
//!   blocks side by side (LSTM i, f, c, o; GRU z, r, h).
//! - `go_backwards` processes the input from the last step to the first; y's time axis is in
//!   processing order (as Keras: y[s] is the output after s + 1 steps).
//! - mask [batch, steps] (always batch-major, input time), 0 = padding: a masked step leaves
//!   the state unchanged and its output repeats the previous one (Keras semantics).
//! - rmask [batch, units] (recurrent dropout, already scaled): the cell sees h_{t−1}·rmask in
//!   place of h_{t−1} (Keras / TensorFlow.js).
//! - The forward pass saves what backward needs in `ws` (sizes from `workspace_len`); backward
//!   takes a second scratch `bws`. Nothing allocates except the sgemm packing buffers.

pub mod gru;
pub mod lstm;
pub mod simple;

#[cfg(test)]
mod tests;

use crate::parallel::{self, SharedMut};
use crate::simd::F32x4;
use core::ops::Range;

/// Activations the recurrent kernels fuse. Codes: the position in this list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    Linear,
    Tanh,
    Sigmoid,
    /// Keras / TensorFlow.js: clip(0.2·x + 0.5, 0, 1).
    HardSigmoid,
    Relu,
}

// Coefficients are kept as published, beyond f32 precision.
#[allow(clippy::excessive_precision)]
/// tanh as a rational function (the odd/even minimax pair Eigen and XLA use): no exp, one
/// division; absolute error below 1e-6 (tested), exact sign, ±1 beyond |x| ≈ 7.9.
#[inline(always)]
pub fn fast_tanh(x: F32x4) -> F32x4 {
    let s = F32x4::splat;
    let xc = x.pmax(s(-7.905_311_107_635_498)).pmin(s(7.905_311_107_635_498));
    let x2 = xc.mul(xc);
    let p = x2.madd(s(-2.760_768_477_423_55e-16), s(2.000_187_904_824_77e-13));
    let p = x2.madd(p, s(-8.604_671_522_137_35e-11));
    let p = x2.madd(p, s(5.122_297_090_371_14e-8));
    let p = x2.madd(p, s(1.485_722_357_179_79e-5));
    let p = x2.madd(p, s(6.372_619_288_754_36e-4));
    let p = x2.madd(p, s(4.893_524_558_917_86e-3));
    let q = x2.madd(s(1.198_258_394_667_02e-6), s(1.185_347_056_866_54e-4));
    let q = x2.madd(q, s(2.268_434_632_439e-3));
    let q = x2.madd(q, s(4.893_525_185_543_85e-3));
    let y = xc.mul(p).div(q);
    // A NaN input stays NaN (pmin/pmax may drop it).
    F32x4::select(x.eq(x), y, x)
}

/// σ(x) = ½·tanh(x/2) + ½ (absolute error below 1e-6).
#[inline(always)]
pub fn fast_sigmoid(x: F32x4) -> F32x4 {
    let h = F32x4::splat(0.5);
    fast_tanh(x.mul(h)).madd(h, h)
}

impl Act {
    pub fn from_code(code: u32) -> Option<Act> {
        Some(match code {
            0 => Act::Linear,
            1 => Act::Tanh,
            2 => Act::Sigmoid,
            3 => Act::HardSigmoid,
            4 => Act::Relu,
            _ => return None,
        })
    }

    #[inline(always)]
    pub fn apply(self, x: F32x4) -> F32x4 {
        match self {
            Act::Linear => x,
            Act::Tanh => fast_tanh(x),
            Act::Sigmoid => fast_sigmoid(x),
            Act::HardSigmoid => x.mul(F32x4::splat(0.2)).add(F32x4::splat(0.5)).max(F32x4::zero()).min(F32x4::splat(1.0)),
            Act::Relu => x.max(F32x4::zero()),
        }
    }

    /// f'(x) from y = f(x).
    #[inline(always)]
    pub fn grad_from_y(self, y: F32x4) -> F32x4 {
        let one = F32x4::splat(1.0);
        match self {
            Act::Linear => one,
            Act::Tanh => one.sub(y.mul(y)),
            Act::Sigmoid => y.mul(one.sub(y)),
            Act::HardSigmoid => {
                let inside = y.gt(F32x4::zero()).and(y.lt(one));
                F32x4::splat(0.2).and(inside)
            }
            Act::Relu => F32x4::mask_to_one(y.gt(F32x4::zero())),
        }
    }

    pub fn apply1(self, x: f32) -> f32 {
        self.apply(F32x4::splat(x)).lane0()
    }

    pub fn grad1(self, y: f32) -> f32 {
        self.grad_from_y(F32x4::splat(y)).lane0()
    }
}

/// The shape of a sequence and how its rows are laid out.
#[derive(Clone, Copy, Debug)]
pub struct Seq {
    pub steps: usize,
    pub batch: usize,
    /// Rows ordered [batch, steps] (else [steps, batch]).
    pub batch_major: bool,
    pub go_backwards: bool,
}

impl Seq {
    #[inline(always)]
    pub fn row(&self, b: usize, t: usize) -> usize {
        if self.batch_major {
            b * self.steps + t
        } else {
            t * self.batch + b
        }
    }
    /// The input time processed at step s.
    #[inline(always)]
    pub fn time(&self, s: usize) -> usize {
        if self.go_backwards {
            self.steps - 1 - s
        } else {
            s
        }
    }
    pub fn rows(&self) -> usize {
        self.steps * self.batch
    }
    /// Whether sample b is processed at input time t (no mask: always).
    #[inline(always)]
    pub fn live(&self, mask: Option<&[f32]>, b: usize, t: usize) -> bool {
        match mask {
            Some(m) => m[b * self.steps + t] != 0.0,
            None => true,
        }
    }
}

/// The inputs every cell's forward and backward pass reads.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    pub seq: Seq,
    pub input: usize,
    pub units: usize,
    /// The cell activation (LSTM c and h, GRU h candidate, SimpleRNN h); Keras default tanh.
    pub act: Act,
    /// The gates' activation (LSTM i, f, o; GRU z, r); Keras default sigmoid. Unused by SimpleRNN.
    pub ract: Act,
    /// [rows, input] in `seq`'s layout.
    pub x: &'a [f32],
    /// [input, G·units]
    pub kernel: &'a [f32],
    /// [units, G·units]
    pub recurrent: &'a [f32],
    /// [G·units] ([2, 3·units] for a GRU with reset_after); None without bias.
    pub bias: Option<&'a [f32]>,
    /// [batch, steps]
    pub mask: Option<&'a [f32]>,
    /// [batch, units]
    pub rmask: Option<&'a [f32]>,
    /// y is [rows, units] in `seq`'s layout; else the last output [batch, units].
    pub return_sequences: bool,
}

/// Gradients flowing into a backward pass (None = zero).
#[derive(Clone, Copy, Default)]
pub struct Upstream<'a> {
    /// Same shape as y.
    pub dy: Option<&'a [f32]>,
    /// [batch, units]
    pub dh_n: Option<&'a [f32]>,
    /// [batch, units] (LSTM only)
    pub dc_n: Option<&'a [f32]>,
}

/// What a backward pass writes (None = not wanted). Every given buffer is overwritten.
pub struct Grads<'a> {
    /// [rows, input]
    pub dx: Option<&'a mut [f32]>,
    pub dkernel: &'a mut [f32],
    pub drecurrent: &'a mut [f32],
    pub dbias: Option<&'a mut [f32]>,
    /// [batch, units]
    pub dh0: Option<&'a mut [f32]>,
    /// [batch, units] (LSTM only)
    pub dc0: Option<&'a mut [f32]>,
}

/// The activation pair of a fused loop, monomorphised for Keras' default (tanh, sigmoid) and
/// dispatched at run time otherwise.
pub(crate) trait Pair: Copy + Sync {
    fn act(self, x: F32x4) -> F32x4;
    fn ract(self, x: F32x4) -> F32x4;
    fn dact(self, y: F32x4) -> F32x4;
    fn dract(self, y: F32x4) -> F32x4;
}

#[derive(Clone, Copy)]
pub(crate) struct TanhSigmoid;

impl Pair for TanhSigmoid {
    #[inline(always)]
    fn act(self, x: F32x4) -> F32x4 {
        fast_tanh(x)
    }
    #[inline(always)]
    fn ract(self, x: F32x4) -> F32x4 {
        fast_sigmoid(x)
    }
    #[inline(always)]
    fn dact(self, y: F32x4) -> F32x4 {
        F32x4::splat(1.0).sub(y.mul(y))
    }
    #[inline(always)]
    fn dract(self, y: F32x4) -> F32x4 {
        y.mul(F32x4::splat(1.0).sub(y))
    }
}

#[derive(Clone, Copy)]
pub(crate) struct AnyPair(pub Act, pub Act);

impl Pair for AnyPair {
    #[inline(always)]
    fn act(self, x: F32x4) -> F32x4 {
        self.0.apply(x)
    }
    #[inline(always)]
    fn ract(self, x: F32x4) -> F32x4 {
        self.1.apply(x)
    }
    #[inline(always)]
    fn dact(self, y: F32x4) -> F32x4 {
        self.0.grad_from_y(y)
    }
    #[inline(always)]
    fn dract(self, y: F32x4) -> F32x4 {
        self.1.grad_from_y(y)
    }
}

/// Evaluates `$body` with `$p` bound to the pair value for (act, ract).
macro_rules! with_pair {
    ($act:expr, $ract:expr, |$p:ident| $body:expr) => {
        match ($act, $ract) {
            ($crate::rnn::Act::Tanh, $crate::rnn::Act::Sigmoid) => {
                let $p = $crate::rnn::TanhSigmoid;
                $body
            }
            (a, r) => {
                let $p = $crate::rnn::AnyPair(a, r);
                $body
            }
        }
    };
}
pub(crate) use with_pair;

/// Which recurrent cell; sizes of workspaces depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    Lstm,
    /// GRU; `reset_after` as Keras (true: bias [2, 3u], reset applied after the recurrent product).
    Gru { reset_after: bool },
    Simple,
}

/// (forward workspace, backward workspace) lengths in f32 for a cell and sequence.
pub fn workspace_len(cell: Cell, steps: usize, batch: usize, units: usize) -> (usize, usize) {
    let (rows, u, b) = (steps * batch, units, batch);
    match cell {
        Cell::Lstm => lstm::workspace_len(rows, b, u),
        Cell::Gru { reset_after } => gru::workspace_len(rows, b, u, reset_after),
        Cell::Simple => simple::workspace_len(rows, b, u),
    }
}

// ---- small SIMD helpers over rows of length n (any n; the tail uses partial vectors) ----------

/// Runs `$body` for j = 0, 4, 8, … with w = 4, then once with w < 4 for a tail. A macro, not
/// a closure: the body is inlined twice, so w is the constant 4 in the main loop.
macro_rules! lanes {
    ($n:expr, |$j:ident, $w:ident| $body:expr) => {{
        let n: usize = $n;
        let mut $j = 0usize;
        while $j + 4 <= n {
            let $w = 4usize;
            $body;
            $j += 4;
        }
        if $j < n {
            let $w = n - $j;
            $body;
        }
    }};
}
pub(crate) use lanes;

#[inline(always)]
pub(crate) fn ld(s: &[f32], j: usize, w: usize) -> F32x4 {
    if w == 4 {
        assert!(j + 4 <= s.len());
        // SAFETY: checked just above.
        unsafe { F32x4::load(s.as_ptr().add(j)) }
    } else {
        F32x4::load_partial(&s[j..j + w], 0.0)
    }
}

#[inline(always)]
pub(crate) fn st(v: F32x4, s: &mut [f32], j: usize, w: usize) {
    if w == 4 {
        assert!(j + 4 <= s.len());
        // SAFETY: checked just above.
        unsafe { v.store(s.as_mut_ptr().add(j)) }
    } else {
        v.write_partial(&mut s[j..j + w])
    }
}

/// dst = a + b.
#[inline(always)]
pub(crate) fn add_into(dst: &mut [f32], a: &[f32], b: &[f32]) {
    lanes!(dst.len(), |j, w| st(ld(a, j, w).add(ld(b, j, w)), dst, j, w));
}

/// dst += a.
#[inline(always)]
pub(crate) fn add_assign(dst: &mut [f32], a: &[f32]) {
    lanes!(dst.len(), |j, w| st(ld(dst, j, w).add(ld(a, j, w)), dst, j, w));
}

/// dst = a·b.
#[inline(always)]
pub(crate) fn mul_into(dst: &mut [f32], a: &[f32], b: &[f32]) {
    lanes!(dst.len(), |j, w| st(ld(a, j, w).mul(ld(b, j, w)), dst, j, w));
}

/// out[c] = Σ_r g[r·cols + c] (column sums of a rows × cols matrix), in row order; threads
/// take ranges of at least 256 columns (multiples of 4: the same lanes; narrower ranges make
/// every task read every cache line of g, see crate::reduce).
pub(crate) fn column_sums(g: &[f32], rows: usize, cols: usize, out: &mut [f32]) {
    let out = SharedMut::new(&mut out[..cols]);
    parallel::run_ranges(cols, parallel::element_ns(rows * cols), 256, |c| {
        // SAFETY: the column ranges of distinct tasks are disjoint.
        let o = unsafe { out.slice(c.clone()) };
        o.iter_mut().for_each(|v| *v = 0.0);
        for r in 0..rows {
            add_assign(o, &g[r * cols + c.start..r * cols + c.end]);
        }
    });
}

/// Writes columns [c0, c0 + w) of a rows × cols matrix, transposed, into a contiguous w × rows
/// one: a recurrent kernel's gate blocks as the backward pass multiplies by them, so that each
/// step's product reads them in place instead of packing them again.
pub(crate) fn transpose_columns(src: &[f32], rows: usize, cols: usize, c0: usize, w: usize, dst: &mut [f32]) {
    for r in 0..rows {
        for (c, &v) in src[r * cols + c0..r * cols + c0 + w].iter().enumerate() {
            dst[c * rows + r] = v;
        }
    }
}

/// Copies columns [c0, c0 + w) of a rows × cols matrix into a contiguous rows × w one.
pub(crate) fn copy_columns(src: &[f32], rows: usize, cols: usize, c0: usize, w: usize, dst: &mut [f32]) {
    for r in 0..rows {
        dst[r * w..(r + 1) * w].copy_from_slice(&src[r * cols + c0..r * cols + c0 + w]);
    }
}

/// Writes a contiguous rows × w matrix into columns [c0, c0 + w) of a rows × cols one.
pub(crate) fn put_columns(src: &[f32], rows: usize, cols: usize, c0: usize, w: usize, dst: &mut [f32]) {
    for r in 0..rows {
        dst[r * cols + c0..r * cols + c0 + w].copy_from_slice(&src[r * w..(r + 1) * w]);
    }
}

// ---- threads -------------------------------------------------------------------------------

/// Fewest batch rows per band: a band's recurrent products run in register tiles of MR rows,
/// and a narrower band would spend most of them on a short edge tile.
const MIN_BAND_ROWS: usize = 16;

/// Runs a whole sequence over bands of the batch rows, as parallel tasks when `work_ns` (the
/// sequence's estimated one-thread time) is worth it: `f(band)` runs every step for rows
/// `band`. A sample's state depends only on its own earlier state (each row of h multiplies U
/// alone, masks and dropout are per row), so the bands never wait for each other between
/// steps: one job per call, not one per step. Each band computes its rows of every recurrent
/// product with gemm::sgemm_band (the bits of the whole product) and their gates, so every
/// element is computed alike whatever the bands. A batch small enough for sgemm to compute in
/// groups of rows stays whole.
pub(crate) fn batch_bands(nb: usize, work_ns: usize, f: impl Fn(Range<usize>) + Sync) {
    let tasks = if nb <= crate::gemm::blocks::AXPY_MAX_M { 1 } else { parallel::tasks_for(work_ns, nb / MIN_BAND_ROWS) };
    if tasks <= 1 {
        return f(0..nb);
    }
    let per = parallel::chunk_len(nb, tasks);
    parallel::run(nb.div_ceil(per), |t| f(parallel::chunk_range(t, per, nb)));
}

/// Row r (`width` values) of a matrix the tasks of a sequence share.
///
/// # Safety
/// No other task may touch row r while the slice lives.
#[inline(always)]
pub(crate) unsafe fn row_of<'a>(m: &SharedMut<'a, f32>, r: usize, width: usize) -> &'a mut [f32] {
    unsafe { m.slice(r * width..(r + 1) * width) }
}

/// Rows `band` of a matrix the tasks of a sequence share.
///
/// # Safety
/// As `row_of`, for every row of the band.
#[inline(always)]
pub(crate) unsafe fn rows_of<'a>(m: &SharedMut<'a, f32>, band: &Range<usize>, width: usize) -> &'a mut [f32] {
    unsafe { m.slice(band.start * width..band.end * width) }
}

/// Splits `ws` into consecutive mutable parts of the given lengths.
pub(crate) fn carve<'a, const N: usize>(mut ws: &'a mut [f32], lens: [usize; N]) -> [&'a mut [f32]; N] {
    let total: usize = lens.iter().sum();
    assert!(ws.len() >= total, "rnn workspace of {} floats, need {}", ws.len(), total);
    let mut out: [&'a mut [f32]; N] = std::array::from_fn(|_| <&mut [f32]>::default());
    for (o, &l) in out.iter_mut().zip(lens.iter()) {
        let (head, tail) = std::mem::take(&mut ws).split_at_mut(l);
        *o = head;
        ws = tail;
    }
    out
}

/// The initial state rows: a copy of `init`, or zeros.
pub(crate) fn init_state(dst: &mut [f32], init: Option<&[f32]>) {
    match init {
        Some(s) => dst.copy_from_slice(&s[..dst.len()]),
        None => dst.iter_mut().for_each(|v| *v = 0.0),
    }
}

/// dst = h·rmask row by row (rmask [batch, units]), or a copy of h.
pub(crate) fn apply_rmask(dst: &mut [f32], h: &[f32], rmask: Option<&[f32]>) {
    match rmask {
        Some(m) => mul_into(dst, &h[..dst.len()], &m[..dst.len()]),
        None => dst.copy_from_slice(&h[..dst.len()]),
    }
}
