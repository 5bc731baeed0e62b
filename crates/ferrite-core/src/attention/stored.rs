//! The stored algorithm: the forward pass writes the probabilities P [batch, heads, t, s],
//! the backward pass reads them. For short sequences (P is small) and whenever the caller
//! returns the attention scores.

use super::mask::{self, Dropout};
use super::tile::{gemm, transpose, zero_rows, Mat};
use super::{softmax_backward_row, softmax_row, with_scratch, AttnDims, AttnError, AttnMasks, Io};

/// Rows i0..i1 of head h of batch b: P = softmax(mask(scale·Q·Kᵀ)), out = dropout(P)·V.
///
/// # Safety
/// `io` holds q, k, v, out and probs of `d`'s sizes; no other task writes these rows.
pub(crate) unsafe fn forward_task(d: &AttnDims, m: &AttnMasks, io: Io, b: usize, h: usize, i0: usize, i1: usize) -> Result<(), AttnError> {
    let rows = i1 - i0;
    let (s, dk, dv) = (d.s, d.dk, d.dv);
    let drop = Dropout::new(d.dropout, d.seed);
    let kt_len = dk * s;
    let pd_len = if drop.is_some() { rows * s } else { 0 };
    with_scratch(kt_len + pd_len, |scratch| unsafe {
        let (kt, pd) = scratch.split_at_mut(kt_len);
        let probs = io.probs.add(d.p_at(b, h, i0));
        if s == 0 {
            zero_rows(io.out.add(d.o_at(b, i0, h)), rows, dv, d.vo_stride());
            return;
        }
        // Kᵀ of this head, so each score row is a sum of key rows scaled by query elements.
        transpose(io.k.add(d.k_at(b, 0, h)), s, dk, d.qk_stride(), kt);
        gemm(rows, s, dk, d.scale, Mat::rows(io.q.add(d.q_at(b, i0, h)), d.qk_stride()), kt.as_ptr(), s, probs, s, false);
        for r in 0..rows {
            let row = core::slice::from_raw_parts_mut(probs.add(r * s), s);
            mask::apply(d, m, b, h, i0 + r, 0, row);
            softmax_row(row);
        }
        let a = match drop {
            Some(dr) => {
                for r in 0..rows {
                    let row = core::slice::from_raw_parts(probs.add(r * s), s);
                    dr.scaled_copy(dr.row_key(d, b, h, i0 + r), 0, row, &mut pd[r * s..(r + 1) * s]);
                }
                pd.as_ptr()
            }
            None => probs as *const f32,
        };
        gemm(rows, dv, s, 1.0, Mat::rows(a, s), io.v.add(d.v_at(b, 0, h)), d.vo_stride(), io.out.add(d.o_at(b, i0, h)), d.vo_stride(), false);
    })
}

/// Head h of batch b: dq, dk, dv from dout (through dropout(P)·V) and dprobs (on P).
///
/// # Safety
/// As `forward_task`, with dout/dprobs (or null) and dq, dk, dv of `d`'s sizes.
pub(crate) unsafe fn backward_task(d: &AttnDims, m: &AttnMasks, io: Io, b: usize, h: usize) -> Result<(), AttnError> {
    let _ = m; // the masks act through P (masked probabilities are 0 or uniform)
    let (t, s, dk, dv) = (d.t, d.s, d.dk, d.dv);
    let drop = Dropout::new(d.dropout, d.seed);
    let has_dout = !io.dout.is_null();
    let vt_len = dv * s;
    let dp_len = t * s;
    let pd_len = if drop.is_some() && has_dout { t * s } else { 0 };
    with_scratch(vt_len + dp_len + pd_len, |scratch| unsafe {
        let (vt, rest) = scratch.split_at_mut(vt_len);
        let (dp, pd) = rest.split_at_mut(dp_len);
        let probs = io.probs.add(d.p_at(b, h, 0)) as *const f32;
        let (qs, vs) = (d.qk_stride(), d.vo_stride());
        // dP = dO·Vᵀ (gradient of the dropped-out probabilities), then through dropout.
        if has_dout && s > 0 && dv > 0 {
            transpose(io.v.add(d.v_at(b, 0, h)), s, dv, vs, vt);
            gemm(t, s, dv, 1.0, Mat::rows(io.dout.add(d.o_at(b, 0, h)), vs), vt.as_ptr(), s, dp.as_mut_ptr(), s, false);
        } else {
            dp.fill(0.0);
        }
        for i in 0..t {
            let p = core::slice::from_raw_parts(probs.add(i * s), s);
            let g = &mut dp[i * s..(i + 1) * s];
            if let Some(dr) = drop {
                let key = dr.row_key(d, b, h, i);
                if has_dout {
                    dr.scale_row(key, 0, g);
                    dr.scaled_copy(key, 0, p, &mut pd[i * s..(i + 1) * s]);
                }
            }
            if !io.dprobs.is_null() {
                let extra = core::slice::from_raw_parts(io.dprobs.add(d.p_at(b, h, i)), s);
                for (x, &e) in g.iter_mut().zip(extra) {
                    *x += e;
                }
            }
            // Softmax backward: dS = P ⊙ (dP − Σ P·dP).
            softmax_backward_row(p, g);
        }
        // dV = dropout(P)ᵀ·dO.
        if has_dout {
            let a = if drop.is_some() { pd.as_ptr() } else { probs };
            gemm(s, dv, t, 1.0, Mat::transposed(a, s), io.dout.add(d.o_at(b, 0, h)), vs, io.dv.add(d.v_at(b, 0, h)), vs, false);
        } else {
            zero_rows(io.dv.add(d.v_at(b, 0, h)), s, dv, vs);
        }
        // dQ = scale·dS·K, dK = scale·dSᵀ·Q.
        gemm(t, dk, s, d.scale, Mat::rows(dp.as_ptr(), s), io.k.add(d.k_at(b, 0, h)), qs, io.dq.add(d.q_at(b, 0, h)), qs, false);
        gemm(s, dk, t, d.scale, Mat::transposed(dp.as_ptr(), s), io.q.add(d.q_at(b, 0, h)), qs, io.dk.add(d.k_at(b, 0, h)), qs, false);
    })
}
