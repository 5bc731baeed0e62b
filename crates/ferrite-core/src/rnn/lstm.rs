//! LSTM (Keras gates i, f, c, o):
//!   [i f g o] = [ract ract act ract](x·K + b + h_{t−1}·U)
//!   c_t = f·c_{t−1} + i·g,  h_t = o·act(c_t)

use super::{
    add_assign, apply_rmask, batch_bands, carve, column_sums, init_state, ld, lanes, row_of, rows_of, st, transpose_columns, with_pair,
    Grads, Inputs, Pair, Upstream,
};
use crate::gemm::{sgemm, sgemm_band};
use crate::parallel::{self, SharedMut};

/// (forward, backward) workspace lengths in f32.
///
/// forward: gates [rows, 4u] (activated) | h_{t−1} (after rmask) [rows, u] | c_{t−1} [rows, u] |
///          act(c_t) [rows, u] | scratch: recurrent product [batch, 4u], h, c, h·rmask [batch, u]
/// backward: d pre-activations [rows, 4u] | scratch [batch, 4u] | dh, dc, dh_rec [batch, u] | Uᵀ [4u, u]
pub fn workspace_len(rows: usize, batch: usize, u: usize) -> (usize, usize) {
    (rows * 7 * u + batch * 7 * u, rows * 4 * u + batch * 7 * u + 4 * u * u)
}

/// Runs the sequence. y: [rows, u] when return_sequences, else [batch, u]; h_n, c_n [batch, u].
pub fn forward(
    p: &Inputs, h0: Option<&[f32]>, c0: Option<&[f32]>,
    y: &mut [f32], h_n: &mut [f32], c_n: &mut [f32], ws: &mut [f32],
) {
    with_pair!(p.act, p.ract, |pr| forward_impl(pr, p, h0, c0, y, h_n, c_n, ws))
}

fn forward_impl<P: Pair>(
    pr: P, p: &Inputs, h0: Option<&[f32]>, c0: Option<&[f32]>,
    y: &mut [f32], h_n: &mut [f32], c_n: &mut [f32], ws: &mut [f32],
) {
    let (seq, u, nin) = (p.seq, p.units, p.input);
    let (rows, nb, g4) = (seq.rows(), seq.batch, 4 * u);
    if nb == 0 || u == 0 {
        return;
    }
    let (wf, _) = workspace_len(rows, nb, u);
    let [gates, hprev, cprev, tc, rg, h, c, heff] =
        carve(&mut ws[..wf], [rows * g4, rows * u, rows * u, rows * u, nb * g4, nb * u, nb * u, nb * u]);
    // The input projection of every step at once.
    sgemm(rows, g4, nin, 1.0, p.x, false, p.kernel, false, 0.0, gates);
    if let Some(bias) = p.bias {
        // Threads: bands of rows (each row's sum is the same in any band).
        parallel::for_each_row_band(gates, rows, g4, parallel::element_ns(rows * g4), |_, band| {
            for row in band.chunks_exact_mut(g4) {
                add_assign(row, &bias[..g4]);
            }
        });
    }
    init_state(h, h0);
    init_state(c, c0);
    // The sequence in bands of the batch rows (threads: see `batch_bands`).
    let work = parallel::madd_ns(nb, g4, u) + parallel::element_ns(nb * g4 * 8);
    let (gates_s, hprev_s, cprev_s, tc_s) = (SharedMut::new(gates), SharedMut::new(hprev), SharedMut::new(cprev), SharedMut::new(tc));
    let (rg_s, h_s, c_s) = (SharedMut::new(rg), SharedMut::new(h), SharedMut::new(c));
    let (heff_s, y_s) = (SharedMut::new(heff), SharedMut::new(y));
    batch_bands(nb, work * seq.steps, |samples| {
        for s in 0..seq.steps {
            let (t, band) = (seq.time(s), samples.clone());
            // SAFETY: batch rows b ∈ band, and their sequence rows r = row(b, t) and
            // o = row(b, s), belong to this band alone.
            let (heffb, hb_all) = unsafe { (rows_of(&heff_s, &band, u), rows_of(&h_s, &band, u)) };
            apply_rmask(heffb, hb_all, p.rmask.map(|m| &m[band.start * u..band.end * u]));
            let rgb_all = unsafe { rows_of(&rg_s, &band, g4) };
            sgemm_band(nb, band.len(), g4, u, 1.0, heffb, p.recurrent, false, 0.0, rgb_all);
            for (i, b) in band.clone().enumerate() {
                let r = seq.row(b, t);
                let (hb, cb) = (&mut hb_all[i * u..(i + 1) * u], unsafe { row_of(&c_s, b, u) });
                unsafe { row_of(&hprev_s, r, u) }.copy_from_slice(&heffb[i * u..(i + 1) * u]);
                unsafe { row_of(&cprev_s, r, u) }.copy_from_slice(cb);
                if seq.live(p.mask, b, t) {
                    let g = unsafe { row_of(&gates_s, r, g4) };
                    let rgb = &rgb_all[i * g4..(i + 1) * g4];
                    let tcr = unsafe { row_of(&tc_s, r, u) };
                    lanes!(u, |j, w| {
                        let i = pr.ract(ld(g, j, w).add(ld(rgb, j, w)));
                        let f = pr.ract(ld(g, u + j, w).add(ld(rgb, u + j, w)));
                        let gg = pr.act(ld(g, 2 * u + j, w).add(ld(rgb, 2 * u + j, w)));
                        let o = pr.ract(ld(g, 3 * u + j, w).add(ld(rgb, 3 * u + j, w)));
                        st(i, g, j, w);
                        st(f, g, u + j, w);
                        st(gg, g, 2 * u + j, w);
                        st(o, g, 3 * u + j, w);
                        let cn = f.madd(ld(cb, j, w), i.mul(gg));
                        st(cn, cb, j, w);
                        let a = pr.act(cn);
                        st(a, tcr, j, w);
                        st(o.mul(a), hb, j, w);
                    });
                }
                if p.return_sequences {
                    unsafe { row_of(&y_s, seq.row(b, s), u) }.copy_from_slice(hb);
                }
            }
        }
    });
    let (h, c, y) = (unsafe { h_s.slice(0..h_s.len()) }, unsafe { c_s.slice(0..c_s.len()) }, unsafe { y_s.slice(0..y_s.len()) });
    h_n[..nb * u].copy_from_slice(h);
    c_n[..nb * u].copy_from_slice(c);
    if !p.return_sequences {
        y[..nb * u].copy_from_slice(h);
    }
}

/// Backpropagation through time from the workspace `ws` of the forward pass.
pub fn backward(p: &Inputs, ws: &[f32], up: Upstream, g: Grads, bws: &mut [f32]) {
    with_pair!(p.act, p.ract, |pr| backward_impl(pr, p, ws, up, g, bws))
}

fn backward_impl<P: Pair>(pr: P, p: &Inputs, ws: &[f32], up: Upstream, gr: Grads, bws: &mut [f32]) {
    let (seq, u, nin) = (p.seq, p.units, p.input);
    let (rows, nb, g4) = (seq.rows(), seq.batch, 4 * u);
    let Grads { dx, dkernel, drecurrent, dbias, dh0, dc0 } = gr;
    if nb == 0 || u == 0 {
        return;
    }
    let gates = &ws[..rows * g4];
    let hprev = &ws[rows * g4..rows * 5 * u];
    let cprev = &ws[rows * 5 * u..rows * 6 * u];
    let tc = &ws[rows * 6 * u..rows * 7 * u];
    let (_, wb) = workspace_len(rows, nb, u);
    let [dg, dgt, dh, dc, dhrec, ut] = carve(&mut bws[..wb], [rows * g4, nb * g4, nb * u, nb * u, nb * u, g4 * u]);
    transpose_columns(p.recurrent, u, g4, 0, g4, ut);
    let ut = &*ut;
    init_state(dh, up.dh_n);
    init_state(dc, up.dc_n);
    if let (Some(dy), false) = (up.dy, p.return_sequences) {
        add_assign(dh, &dy[..nb * u]);
    }
    // The sequence in bands of the batch rows (threads: see `batch_bands`).
    let work = parallel::madd_ns(nb, u, g4) + parallel::element_ns(nb * g4 * 6);
    let (dg_s, dgt_s, dh_s) = (SharedMut::new(dg), SharedMut::new(dgt), SharedMut::new(dh));
    let (dc_s, dhrec_s) = (SharedMut::new(dc), SharedMut::new(dhrec));
    batch_bands(nb, work * seq.steps, |samples| {
        for s in (0..seq.steps).rev() {
            let (t, band) = (seq.time(s), samples.clone());
            // SAFETY: batch rows b ∈ band and their sequence rows r = row(b, t) belong to
            // this band alone.
            let (dgt_band, dh_band) = unsafe { (rows_of(&dgt_s, &band, g4), rows_of(&dh_s, &band, u)) };
            for (k, b) in band.clone().enumerate() {
                let r = seq.row(b, t);
                let dhb = &mut dh_band[k * u..(k + 1) * u];
                if let (Some(dy), true) = (up.dy, p.return_sequences) {
                    let o = seq.row(b, s);
                    add_assign(dhb, &dy[o * u..(o + 1) * u]);
                }
                let dgtb = &mut dgt_band[k * g4..(k + 1) * g4];
                let dgr = unsafe { row_of(&dg_s, r, g4) };
                if !seq.live(p.mask, b, t) {
                    // State carried through: dh and dc flow on unchanged.
                    dgtb.iter_mut().for_each(|v| *v = 0.0);
                    dgr.iter_mut().for_each(|v| *v = 0.0);
                    continue;
                }
                let gt = &gates[r * g4..(r + 1) * g4];
                let (tcr, cpr) = (&tc[r * u..(r + 1) * u], &cprev[r * u..(r + 1) * u]);
                let dcb = unsafe { row_of(&dc_s, b, u) };
                lanes!(u, |j, w| {
                    let (i, f) = (ld(gt, j, w), ld(gt, u + j, w));
                    let (gg, o) = (ld(gt, 2 * u + j, w), ld(gt, 3 * u + j, w));
                    let a = ld(tcr, j, w);
                    let dhv = ld(dhb, j, w);
                    let dcv = dhv.mul(o).mul(pr.dact(a)).add(ld(dcb, j, w));
                    st(dcv.mul(gg).mul(pr.dract(i)), dgtb, j, w);
                    st(dcv.mul(ld(cpr, j, w)).mul(pr.dract(f)), dgtb, u + j, w);
                    st(dcv.mul(i).mul(pr.dact(gg)), dgtb, 2 * u + j, w);
                    st(dhv.mul(a).mul(pr.dract(o)), dgtb, 3 * u + j, w);
                    st(dcv.mul(f), dcb, j, w);
                });
                dgr.copy_from_slice(dgtb);
            }
            // h_{t−1} reaches step t only through the recurrent product.
            let dhrec_band = unsafe { rows_of(&dhrec_s, &band, u) };
            sgemm_band(nb, band.len(), u, g4, 1.0, dgt_band, ut, false, 0.0, dhrec_band);
            for (k, b) in band.clone().enumerate() {
                if seq.live(p.mask, b, t) {
                    let dhb = &mut dh_band[k * u..(k + 1) * u];
                    match p.rmask {
                        Some(m) => super::mul_into(dhb, &dhrec_band[k * u..(k + 1) * u], &m[b * u..(b + 1) * u]),
                        None => dhb.copy_from_slice(&dhrec_band[k * u..(k + 1) * u]),
                    }
                }
            }
        }
    });
    let (dg, dh, dc) = (unsafe { dg_s.slice(0..dg_s.len()) }, unsafe { dh_s.slice(0..dh_s.len()) }, unsafe { dc_s.slice(0..dc_s.len()) });
    if let Some(d) = dh0 {
        d[..nb * u].copy_from_slice(dh);
    }
    if let Some(d) = dc0 {
        d[..nb * u].copy_from_slice(dc);
    }
    // Weight gradients of all steps at once.
    if let Some(dx) = dx {
        sgemm(rows, nin, g4, 1.0, dg, false, p.kernel, true, 0.0, dx);
    }
    sgemm(nin, g4, rows, 1.0, p.x, true, dg, false, 0.0, dkernel);
    sgemm(u, g4, rows, 1.0, hprev, true, dg, false, 0.0, drecurrent);
    if let Some(db) = dbias {
        column_sums(dg, rows, g4, db);
    }
}
