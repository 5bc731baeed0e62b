//! The C ABI of the recurrent kernels (ferrite_core::rnn): a whole LSTM, GRU or SimpleRNN
//! layer, forward or backward through time, in one call.
//!
//! Arguments common to all three exports
//! - cell: 0 LSTM, 1 GRU with reset_after (Keras default, bias [2, 3u]), 2 GRU with the reset
//!   before the recurrent product (bias [3u]), 3 SimpleRNN. G = 4, 3, 3, 1 gates.
//! - flags: bit 0 batch-major rows ([batch, steps, input]; else [steps, batch, input]),
//!   bit 1 return_sequences, bit 2 go_backwards.
//! - act, ract: activation codes 0 linear, 1 tanh, 2 sigmoid, 3 hardSigmoid, 4 relu.
//! - Pointers of optional buffers are 0 when absent. Outputs must not overlap inputs or each
//!   other. An unknown cell or activation code makes the call do nothing.
//!
//! Shapes (rows = steps·batch): x [rows, input], kernel [input, G·u], recurrent [u, G·u],
//! bias [G·u] (GRU reset_after [2, 3u]), h0 c0 h_n c_n rmask [batch, u], mask [batch, steps],
//! y [rows, u] with return_sequences else [batch, u]; ws and bws as ferrite_rnn_workspace_len.

use crate::mem::{slice, slice_mut};
use ferrite_core::rnn::{self, Act, Cell, Grads, Inputs, Seq, Upstream};

fn cell_of(code: u32) -> Option<Cell> {
    Some(match code {
        0 => Cell::Lstm,
        1 => Cell::Gru { reset_after: true },
        2 => Cell::Gru { reset_after: false },
        3 => Cell::Simple,
        _ => return None,
    })
}

fn gates(cell: Cell) -> usize {
    match cell {
        Cell::Lstm => 4,
        Cell::Gru { .. } => 3,
        Cell::Simple => 1,
    }
}

fn bias_len(cell: Cell, u: usize) -> usize {
    match cell {
        Cell::Gru { reset_after: true } => 6 * u,
        c => gates(c) * u,
    }
}

/// # Safety
/// As `slice`, for an optional block.
unsafe fn opt<'a>(ptr: u32, n: usize) -> Option<&'a [f32]> {
    if ptr == 0 {
        None
    } else {
        Some(unsafe { slice(ptr, n) })
    }
}

/// # Safety
/// As `slice_mut`, for an optional block.
unsafe fn opt_mut<'a>(ptr: u32, n: usize) -> Option<&'a mut [f32]> {
    if ptr == 0 {
        None
    } else {
        Some(unsafe { slice_mut(ptr, n) })
    }
}

struct Dims {
    cell: Cell,
    seq: Seq,
    input: usize,
    units: usize,
    act: Act,
    ract: Act,
    return_sequences: bool,
}

impl Dims {
    fn read(cell: u32, steps: u32, batch: u32, input: u32, units: u32, flags: u32, act: u32, ract: u32) -> Option<Dims> {
        let seq = Seq {
            steps: steps as usize,
            batch: batch as usize,
            batch_major: flags & 1 != 0,
            go_backwards: flags & 4 != 0,
        };
        Some(Dims {
            cell: cell_of(cell)?,
            seq,
            input: input as usize,
            units: units as usize,
            act: Act::from_code(act)?,
            ract: Act::from_code(ract)?,
            return_sequences: flags & 2 != 0,
        })
    }
    fn y_len(&self) -> usize {
        if self.return_sequences {
            self.seq.rows() * self.units
        } else {
            self.seq.batch * self.units
        }
    }
    fn state_len(&self) -> usize {
        self.seq.batch * self.units
    }
    fn ws(&self) -> (usize, usize) {
        rnn::workspace_len(self.cell, self.seq.steps, self.seq.batch, self.units)
    }
    /// # Safety
    /// The pointers must hold the documented shapes.
    unsafe fn inputs<'a>(&self, x: u32, kernel: u32, recurrent: u32, bias: u32, mask: u32, rmask: u32) -> Inputs<'a> {
        let (g, u) = (gates(self.cell), self.units);
        unsafe {
            Inputs {
                seq: self.seq,
                input: self.input,
                units: u,
                act: self.act,
                ract: self.ract,
                x: slice(x, self.seq.rows() * self.input),
                kernel: slice(kernel, self.input * g * u),
                recurrent: slice(recurrent, u * g * u),
                bias: opt(bias, bias_len(self.cell, u)),
                mask: opt(mask, self.seq.batch * self.seq.steps),
                rmask: opt(rmask, self.state_len()),
                return_sequences: self.return_sequences,
            }
        }
    }
}

/// Length in f32 of the forward (which = 0) or backward (which = 1) workspace of a cell.
/// 0 for an unknown cell code.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_rnn_workspace_len(cell: u32, steps: u32, batch: u32, units: u32, which: u32) -> u32 {
    let Some(c) = cell_of(cell) else { return 0 };
    let (f, b) = rnn::workspace_len(c, steps as usize, batch as usize, units as usize);
    (if which == 0 { f } else { b }) as u32
}

/// The forward pass over the whole sequence: writes y, h_n (and c_n for an LSTM) and the
/// workspace ws that ferrite_rnn_backward reads. h0, c0, bias, mask, rmask optional.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_rnn_forward(
    cell: u32, x: u32, kernel: u32, recurrent: u32, bias: u32, h0: u32, c0: u32, mask: u32, rmask: u32,
    y: u32, h_n: u32, c_n: u32, ws: u32,
    steps: u32, batch: u32, input: u32, units: u32, flags: u32, act: u32, ract: u32,
) {
    let Some(d) = Dims::read(cell, steps, batch, input, units, flags, act, ract) else { return };
    let n = d.state_len();
    unsafe {
        let p = d.inputs(x, kernel, recurrent, bias, mask, rmask);
        let (y, h_n) = (slice_mut(y, d.y_len()), slice_mut(h_n, n));
        let ws = slice_mut(ws, d.ws().0);
        match d.cell {
            Cell::Lstm => rnn::lstm::forward(&p, opt(h0, n), opt(c0, n), y, h_n, slice_mut(c_n, n), ws),
            Cell::Gru { reset_after } => rnn::gru::forward(&p, reset_after, opt(h0, n), y, h_n, ws),
            Cell::Simple => rnn::simple::forward(&p, opt(h0, n), y, h_n, ws),
        }
    }
}

/// Backpropagation through time from the forward pass's ws: given dy (same shape as y), dh_n
/// and dc_n (each optional: 0 = zero), writes dkernel, drecurrent and those of dx, dbias, dh0,
/// dc0 that are given (non-zero). bias says whether the layer has one (its values are unused).
/// bws is scratch.
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_rnn_backward(
    cell: u32, x: u32, kernel: u32, recurrent: u32, bias: u32, mask: u32, rmask: u32, ws: u32,
    dy: u32, dh_n: u32, dc_n: u32,
    dx: u32, dkernel: u32, drecurrent: u32, dbias: u32, dh0: u32, dc0: u32, bws: u32,
    steps: u32, batch: u32, input: u32, units: u32, flags: u32, act: u32, ract: u32,
) {
    let Some(d) = Dims::read(cell, steps, batch, input, units, flags, act, ract) else { return };
    let (n, g, u) = (d.state_len(), gates(d.cell), d.units);
    let (wf, wb) = d.ws();
    unsafe {
        let p = d.inputs(x, kernel, recurrent, bias, mask, rmask);
        let up = Upstream { dy: opt(dy, d.y_len()), dh_n: opt(dh_n, n), dc_n: opt(dc_n, n) };
        let grads = Grads {
            dx: opt_mut(dx, d.seq.rows() * d.input),
            dkernel: slice_mut(dkernel, d.input * g * u),
            drecurrent: slice_mut(drecurrent, u * g * u),
            dbias: opt_mut(dbias, bias_len(d.cell, u)),
            dh0: opt_mut(dh0, n),
            dc0: opt_mut(dc0, n),
        };
        let (ws, bws) = (slice(ws, wf), slice_mut(bws, wb));
        match d.cell {
            Cell::Lstm => rnn::lstm::backward(&p, ws, up, grads, bws),
            Cell::Gru { reset_after } => rnn::gru::backward(&p, reset_after, ws, up, grads, bws),
            Cell::Simple => rnn::simple::backward(&p, ws, up, grads, bws),
        }
    }
}
