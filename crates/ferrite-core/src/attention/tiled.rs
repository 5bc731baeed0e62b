//! The tiled algorithm for long sequences: nothing of size t × s is ever stored.
//!
//! Forward, per block of queries: walk the keys in blocks, keeping for each query row the
//! running maximum m and normaliser l of its scores; a new block rescales the output
//! accumulated so far by exp(m_old − m_new) (the online softmax). At the end out /= l, and
//! (m, ln l) is kept: the log-sum-exp m + ln l in two parts, since near −1e9 (a fully masked
//! row) one float32 could not hold the ln l.
//! Backward, per (batch, head): D_i = dO_i·O_i (= Σ_j P_ij·dP_ij, dropout included); for each
//! key block and each query block, P = exp(scores − m − ln l) is recomputed, and dV, dK (of the
//! key block) and dQ (of the query block) accumulate.
//!
//! A causal block that lies wholly after its queries contributes exactly 0 to rows that
//! already have a kept key (exp(−1e9 + …) underflows to 0), and is skipped for them; a row
//! with no kept key at all must see every key (it comes out uniform), so then no block is
//! skipped.

use super::mask::{self, Dropout, MASKED};
use super::tile::{gemm, transpose, zero_rows, Mat};
use super::{ds_row, exp_sub2_in_place, exp_sub_in_place, row_max, scale_row, with_scratch, AttnDims, AttnError, AttnMasks, Io, TILED_KEY_BLOCK};

/// A row whose maximum (or log-sum-exp) is above this has a kept key.
const HAS_KEPT_KEY: f32 = MASKED / 2.0;

/// Rows i0..i1 of head h of batch b: out and lse.
///
/// # Safety
/// `io` holds q, k, v, out and lse of `d`'s sizes; no other task writes these rows.
pub(crate) unsafe fn forward_task(d: &AttnDims, m: &AttnMasks, io: Io, b: usize, h: usize, i0: usize, i1: usize) -> Result<(), AttnError> {
    let rows = i1 - i0;
    let (s, dk, dv) = (d.s, d.dk, d.dv);
    let bk_max = TILED_KEY_BLOCK.min(s.max(1));
    let drop = Dropout::new(d.dropout, d.seed);
    let (kt_len, sc_len) = (dk * bk_max, rows * bk_max);
    with_scratch(kt_len + sc_len + 2 * rows, |scratch| unsafe {
        let (kt, rest) = scratch.split_at_mut(kt_len);
        let (sc, rest) = rest.split_at_mut(sc_len);
        let (mx, l) = rest.split_at_mut(rows);
        mx.fill(f32::NEG_INFINITY);
        l.fill(0.0);
        let (qs, vs) = (d.qk_stride(), d.vo_stride());
        let out = io.out.add(d.o_at(b, i0, h));
        zero_rows(out, rows, dv, vs);
        let mut j0 = 0;
        while j0 < s {
            let bk = bk_max.min(s - j0);
            if !mask::causal_block_open(d, i1, j0) && mx.iter().all(|&x| x > HAS_KEPT_KEY) {
                break; // this and every later block lies wholly after the queries
            }
            transpose(io.k.add(d.k_at(b, j0, h)), bk, dk, qs, kt);
            gemm(rows, bk, dk, d.scale, Mat::rows(io.q.add(d.q_at(b, i0, h)), qs), kt.as_ptr(), bk, sc.as_mut_ptr(), bk, false);
            for r in 0..rows {
                let row = &mut sc[r * bk..(r + 1) * bk];
                mask::apply(d, m, b, h, i0 + r, j0, row);
                let new_max = mx[r].max(row_max(row));
                let c = if mx[r] == f32::NEG_INFINITY { 0.0 } else { crate::approx::exp1(mx[r] - new_max) };
                l[r] = l[r] * c + exp_sub_in_place(row, new_max);
                mx[r] = new_max;
                if c != 1.0 {
                    scale_row(core::slice::from_raw_parts_mut(out.add(r * vs), dv), c);
                }
                if let Some(dr) = drop {
                    dr.scale_row(dr.row_key(d, b, h, i0 + r), j0, row);
                }
            }
            gemm(rows, dv, bk, 1.0, Mat::rows(sc.as_ptr(), bk), io.v.add(d.v_at(b, j0, h)), vs, out, vs, true);
            j0 += bk;
        }
        for r in 0..rows {
            let lse = io.lse.add(d.lse_at(b, h, i0 + r));
            *lse = mx[r];
            if l[r] > 0.0 {
                scale_row(core::slice::from_raw_parts_mut(out.add(r * vs), dv), 1.0 / l[r]);
                *lse.add(1) = crate::approx::log1(l[r]);
            } else {
                *lse.add(1) = 0.0; // no keys at all (s = 0)
            }
        }
    })
}

/// Head h of batch b: dq, dk, dv from dout, recomputing P block by block.
///
/// # Safety
/// As `forward_task`, with out and lse as the forward pass left them, dout (or null) and
/// dq, dk, dv of `d`'s sizes.
pub(crate) unsafe fn backward_task(d: &AttnDims, m: &AttnMasks, io: Io, b: usize, h: usize) -> Result<(), AttnError> {
    let (t, s, dk, dv) = (d.t, d.s, d.dk, d.dv);
    let (qs, vs) = (d.qk_stride(), d.vo_stride());
    let (dq, dkp, dvp) = (io.dq.add(d.q_at(b, 0, h)), io.dk.add(d.k_at(b, 0, h)), io.dv.add(d.v_at(b, 0, h)));
    zero_rows(dq, t, dk, qs);
    zero_rows(dkp, s, dk, qs);
    zero_rows(dvp, s, dv, vs);
    if io.dout.is_null() || t == 0 || s == 0 {
        return Ok(());
    }
    let bq_max = super::TILED_QUERY_BLOCK.min(t);
    let bk_max = TILED_KEY_BLOCK.min(s);
    let drop = Dropout::new(d.dropout, d.seed);
    let blk = bq_max * bk_max;
    let pd_len = if drop.is_some() { blk } else { 0 };
    with_scratch(dk * bk_max + dv * bk_max + 2 * blk + pd_len + t, |scratch| unsafe {
        let (kt, rest) = scratch.split_at_mut(dk * bk_max);
        let (vt, rest) = rest.split_at_mut(dv * bk_max);
        let (p, rest) = rest.split_at_mut(blk);
        let (dp, rest) = rest.split_at_mut(blk);
        let (pd, dsum) = rest.split_at_mut(pd_len);
        let stats = core::slice::from_raw_parts(io.lse.add(d.lse_at(b, h, 0)), 2 * t);
        // D_i = dO_i · O_i.
        for i in 0..t {
            let o = core::slice::from_raw_parts(io.out.add(d.o_at(b, i, h)), dv);
            let g = core::slice::from_raw_parts(io.dout.add(d.o_at(b, i, h)), dv);
            dsum[i] = crate::softmax::dot(o, g);
        }
        let mut j0 = 0;
        while j0 < s {
            let bk = bk_max.min(s - j0);
            transpose(io.k.add(d.k_at(b, j0, h)), bk, dk, qs, kt);
            transpose(io.v.add(d.v_at(b, j0, h)), bk, dv, vs, vt);
            for i0 in (0..t).step_by(bq_max) {
                let i1 = (i0 + bq_max).min(t);
                let rows = i1 - i0;
                if !mask::causal_block_open(d, i1, j0) && (i0..i1).all(|i| stats[2 * i] > HAS_KEPT_KEY) {
                    continue;
                }
                let (p, dp) = (&mut p[..rows * bk], &mut dp[..rows * bk]);
                // P = exp(mask(scale·Q·Kᵀ) − m − ln l).
                gemm(rows, bk, dk, d.scale, Mat::rows(io.q.add(d.q_at(b, i0, h)), qs), kt.as_ptr(), bk, p.as_mut_ptr(), bk, false);
                for r in 0..rows {
                    let row = &mut p[r * bk..(r + 1) * bk];
                    mask::apply(d, m, b, h, i0 + r, j0, row);
                    exp_sub2_in_place(row, stats[2 * (i0 + r)], stats[2 * (i0 + r) + 1]);
                }
                let dout = io.dout.add(d.o_at(b, i0, h));
                // dV += dropout(P)ᵀ·dO; dP = dO·Vᵀ, through dropout.
                gemm(rows, bk, dv, 1.0, Mat::rows(dout, vs), vt.as_ptr(), bk, dp.as_mut_ptr(), bk, false);
                let a = match drop {
                    Some(dr) => {
                        for r in 0..rows {
                            let key = dr.row_key(d, b, h, i0 + r);
                            let range = r * bk..(r + 1) * bk;
                            dr.scaled_copy(key, j0, &p[range.clone()], &mut pd[range.clone()]);
                            dr.scale_row(key, j0, &mut dp[range]);
                        }
                        pd.as_ptr()
                    }
                    None => p.as_ptr(),
                };
                gemm(bk, dv, rows, 1.0, Mat::transposed(a, bk), dout, vs, dvp.add(j0 * vs), vs, true);
                // dS = P ⊙ (dP − D).
                for r in 0..rows {
                    ds_row(&p[r * bk..(r + 1) * bk], &mut dp[r * bk..(r + 1) * bk], dsum[i0 + r]);
                }
                // dQ += scale·dS·K; dK += scale·dSᵀ·Q.
                gemm(rows, dk, bk, d.scale, Mat::rows(dp.as_ptr(), bk), io.k.add(d.k_at(b, j0, h)), qs, dq.add(i0 * qs), qs, true);
                gemm(bk, dk, rows, d.scale, Mat::transposed(dp.as_ptr(), bk), io.q.add(d.q_at(b, i0, h)), qs, dkp.add(j0 * qs), qs, true);
            }
            j0 += bk;
        }
    })
}
