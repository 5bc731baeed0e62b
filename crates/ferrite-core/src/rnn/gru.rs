//! GRU (Keras gates z, r, h), with h' = h_{t−1} (after rmask, as Keras):
//!   reset_after (Keras default; bias [2, 3u]: input bias, recurrent bias):
//!     [xz xr xh] = x·K + b_in,  [rz rr rh] = h'·U + b_rec
//!     z = ract(xz + rz), r = ract(xr + rr), hh = act(xh + r·rh)
//!   reset before (bias [3u]):
//!     z = ract(xz + h'·U_z), r = ract(xr + h'·U_r), hh = act(xh + (r·h')·U_h)
//!   h_t = z·h' + (1 − z)·hh

use super::{
    add_assign, apply_rmask, batch_bands, carve, column_sums, copy_columns, init_state, ld, lanes, put_columns, row_of, rows_of, st, transpose_columns,
    with_pair, Grads, Inputs, Pair, Upstream,
};
use crate::gemm::{sgemm, sgemm_band};
use crate::parallel::{self, SharedMut};
use crate::simd::F32x4;
use core::ops::Range;

/// (forward, backward) workspace lengths in f32.
///
/// forward: gates [rows, 3u] (z, r, hh) | h' [rows, u] | aux [rows, u] (reset_after: rh; else
///          r·h') | scratch: recurrent product [batch, 3u], h, h' [batch, u];
///          reset before also U_zr [u, 2u], U_h [u, u], r·h' and its product [batch, u]
/// backward (reset_after): dx-side [rows, 3u] | recurrent-side [rows, 3u] | [batch, 3u] |
///          dh, dh direct, dh_rec [batch, u] | Uᵀ [3u, u]
/// backward (reset before): dx-side [rows, 3u] | dh-candidate [rows, u] | [batch, 2u] | [batch, u] ×5 |
///          U_zrᵀ, U_hᵀ, dU_h [u, 3u] in all
pub fn workspace_len(rows: usize, batch: usize, u: usize, reset_after: bool) -> (usize, usize) {
    if reset_after {
        (rows * 5 * u + batch * 5 * u, rows * 6 * u + batch * 6 * u + 3 * u * u)
    } else {
        (rows * 5 * u + batch * 7 * u + 3 * u * u, rows * 4 * u + batch * 7 * u + 4 * u * u)
    }
}

/// Runs the sequence. y: [rows, u] when return_sequences, else [batch, u]; h_n [batch, u].
pub fn forward(p: &Inputs, reset_after: bool, h0: Option<&[f32]>, y: &mut [f32], h_n: &mut [f32], ws: &mut [f32]) {
    with_pair!(p.act, p.ract, |pr| forward_impl(pr, p, reset_after, h0, y, h_n, ws))
}

fn forward_impl<P: Pair>(
    pr: P, p: &Inputs, ra: bool, h0: Option<&[f32]>, y: &mut [f32], h_n: &mut [f32], ws: &mut [f32],
) {
    let (seq, u, nin) = (p.seq, p.units, p.input);
    let (rows, nb, g3) = (seq.rows(), seq.batch, 3 * u);
    if nb == 0 || u == 0 {
        return;
    }
    let (wf, _) = workspace_len(rows, nb, u, ra);
    let extra = if ra { [0; 4] } else { [2 * u * u, u * u, nb * u, nb * u] };
    let [gates, hprev, aux, rg, h, heff, uzr, uh, rhs, rgh] = carve(
        &mut ws[..wf],
        [rows * g3, rows * u, rows * u, nb * g3, nb * u, nb * u, extra[0], extra[1], extra[2], extra[3]],
    );
    sgemm(rows, g3, nin, 1.0, p.x, false, p.kernel, false, 0.0, gates);
    let (bin, brec) = match p.bias {
        Some(b) if ra => (Some(&b[..g3]), Some(&b[g3..2 * g3])),
        Some(b) => (Some(&b[..g3]), None),
        None => (None, None),
    };
    if let Some(bias) = bin {
        // Threads: bands of rows (each row's sum is the same in any band).
        parallel::for_each_row_band(gates, rows, g3, parallel::element_ns(rows * g3), |_, band| {
            for row in band.chunks_exact_mut(g3) {
                add_assign(row, bias);
            }
        });
    }
    if !ra {
        copy_columns(p.recurrent, u, g3, 0, 2 * u, uzr);
        copy_columns(p.recurrent, u, g3, 2 * u, u, uh);
    }
    init_state(h, h0);
    // The sequence in bands of the batch rows (threads: see `batch_bands`).
    let work = parallel::madd_ns(nb, g3, u) + parallel::element_ns(nb * g3 * 8);
    let (gates_s, hprev_s, aux_s, rg_s) = (SharedMut::new(gates), SharedMut::new(hprev), SharedMut::new(aux), SharedMut::new(rg));
    let (h_s, heff_s, rhs_s, rgh_s, y_s) = (SharedMut::new(h), SharedMut::new(heff), SharedMut::new(rhs), SharedMut::new(rgh), SharedMut::new(y));
    let (uzr, uh) = (&*uzr, &*uh);
    batch_bands(nb, work * seq.steps, |samples| {
        for s in 0..seq.steps {
            let (t, band) = (seq.time(s), samples.clone());
            let n = band.len();
            // SAFETY: batch rows b ∈ band, and their sequence rows r = row(b, t) and
            // o = row(b, s), belong to this band alone.
            let (heffb, hband) = unsafe { (rows_of(&heff_s, &band, u), rows_of(&h_s, &band, u)) };
            apply_rmask(heffb, hband, p.rmask.map(|m| &m[band.start * u..band.end * u]));
            let rgw = if ra { g3 } else { 2 * u };
            let rgband = unsafe { rows_of(&rg_s, &band, rgw) };
            if ra {
                sgemm_band(nb, n, g3, u, 1.0, heffb, p.recurrent, false, 0.0, rgband);
                if let Some(br) = brec {
                    for k in 0..n {
                        add_assign(&mut rgband[k * g3..(k + 1) * g3], br);
                    }
                }
            } else {
                // z and r first: the candidate's recurrent product needs r.
                sgemm_band(nb, n, 2 * u, u, 1.0, heffb, uzr, false, 0.0, rgband);
            }
            for (k, b) in band.clone().enumerate() {
                let r = seq.row(b, t);
                let hp = &heffb[k * u..(k + 1) * u];
                unsafe { row_of(&hprev_s, r, u) }.copy_from_slice(hp);
                let live = seq.live(p.mask, b, t);
                let g = unsafe { row_of(&gates_s, r, g3) };
                let ax = unsafe { row_of(&aux_s, r, u) };
                if ra {
                    if !live {
                        continue;
                    }
                    let rgb = &rgband[k * g3..(k + 1) * g3];
                    let hb = &mut hband[k * u..(k + 1) * u];
                    lanes!(u, |j, w| {
                        let z = pr.ract(ld(g, j, w).add(ld(rgb, j, w)));
                        let rr = pr.ract(ld(g, u + j, w).add(ld(rgb, u + j, w)));
                        let rh = ld(rgb, 2 * u + j, w);
                        let hh = pr.act(rr.madd(rh, ld(g, 2 * u + j, w)));
                        st(z, g, j, w);
                        st(rr, g, u + j, w);
                        st(hh, g, 2 * u + j, w);
                        st(rh, ax, j, w);
                        let hv = ld(hp, j, w);
                        // z·h' + (1 − z)·hh = hh + z·(h' − hh)
                        st(z.madd(hv.sub(hh), hh), hb, j, w);
                    });
                } else {
                    let rs = unsafe { row_of(&rhs_s, b, u) };
                    if !live {
                        // Zeros: backward's U_h product reads every row of aux.
                        rs.iter_mut().for_each(|v| *v = 0.0);
                        ax.iter_mut().for_each(|v| *v = 0.0);
                        continue;
                    }
                    let rgb = &rgband[k * 2 * u..(k + 1) * 2 * u];
                    lanes!(u, |j, w| {
                        let z = pr.ract(ld(g, j, w).add(ld(rgb, j, w)));
                        let rr = pr.ract(ld(g, u + j, w).add(ld(rgb, u + j, w)));
                        st(z, g, j, w);
                        st(rr, g, u + j, w);
                        let v = rr.mul(ld(hp, j, w));
                        st(v, rs, j, w);
                        st(v, ax, j, w);
                    });
                }
            }
            if !ra {
                let (rhsb, rghb) = unsafe { (rows_of(&rhs_s, &band, u), rows_of(&rgh_s, &band, u)) };
                sgemm_band(nb, n, u, u, 1.0, rhsb, uh, false, 0.0, rghb);
                for (k, b) in band.clone().enumerate() {
                    let r = seq.row(b, t);
                    if !seq.live(p.mask, b, t) {
                        continue;
                    }
                    let g = unsafe { row_of(&gates_s, r, g3) };
                    let (hp, rgb) = (&heffb[k * u..(k + 1) * u], &rghb[k * u..(k + 1) * u]);
                    let hb = &mut hband[k * u..(k + 1) * u];
                    lanes!(u, |j, w| {
                        let z = ld(g, j, w);
                        let hh = pr.act(ld(g, 2 * u + j, w).add(ld(rgb, j, w)));
                        st(hh, g, 2 * u + j, w);
                        st(z.madd(ld(hp, j, w).sub(hh), hh), hb, j, w);
                    });
                }
            }
            if p.return_sequences {
                for (k, b) in band.clone().enumerate() {
                    unsafe { row_of(&y_s, seq.row(b, s), u) }.copy_from_slice(&hband[k * u..(k + 1) * u]);
                }
            }
        }
    });
    let (h, y) = (unsafe { h_s.slice(0..h_s.len()) }, unsafe { y_s.slice(0..y_s.len()) });
    h_n[..nb * u].copy_from_slice(h);
    if !p.return_sequences {
        y[..nb * u].copy_from_slice(h);
    }
}

/// Backpropagation through time from the workspace `ws` of the forward pass. dbias is [2, 3u]
/// with reset_after, else [3u].
pub fn backward(p: &Inputs, reset_after: bool, ws: &[f32], up: Upstream, g: Grads, bws: &mut [f32]) {
    with_pair!(p.act, p.ract, |pr| if reset_after {
        backward_after(pr, p, ws, up, g, bws)
    } else {
        backward_before(pr, p, ws, up, g, bws)
    })
}

/// dh at the start of the backward loop: dh_n plus dy when y is the last output.
fn start_dh(p: &Inputs, up: &Upstream, dh: &mut [f32]) {
    init_state(dh, up.dh_n);
    if let (Some(dy), false) = (up.dy, p.return_sequences) {
        add_assign(dh, &dy[..dh.len()]);
    }
}

/// dh of sample b at step s, plus dy[s] when y is the whole sequence.
#[inline(always)]
fn add_dy(p: &Inputs, up: &Upstream, dhb: &mut [f32], b: usize, s: usize) {
    if let (Some(dy), true) = (up.dy, p.return_sequences) {
        let (u, o) = (p.units, p.seq.row(b, s));
        add_assign(dhb, &dy[o * u..(o + 1) * u]);
    }
}

/// dh of the band's live samples = (direct part + recurrent part)·rmask; `dh`, `direct` and
/// `rec` hold the band's rows.
fn finish_dh(p: &Inputs, t: usize, band: Range<usize>, dh: &mut [f32], direct: &[f32], rec: &[f32]) {
    let u = p.units;
    for (k, b) in band.enumerate() {
        if !p.seq.live(p.mask, b, t) {
            continue;
        }
        let dhb = &mut dh[k * u..(k + 1) * u];
        let (d, r) = (&direct[k * u..(k + 1) * u], &rec[k * u..(k + 1) * u]);
        match p.rmask {
            Some(m) => {
                let m = &m[b * u..(b + 1) * u];
                lanes!(u, |j, w| st(ld(d, j, w).add(ld(r, j, w)).mul(ld(m, j, w)), dhb, j, w));
            }
            None => super::add_into(dhb, d, r),
        }
    }
}

fn backward_after<P: Pair>(pr: P, p: &Inputs, ws: &[f32], up: Upstream, gr: Grads, bws: &mut [f32]) {
    let (seq, u, nin) = (p.seq, p.units, p.input);
    let (rows, nb, g3) = (seq.rows(), seq.batch, 3 * u);
    let Grads { dx, dkernel, drecurrent, dbias, dh0, dc0: _ } = gr;
    if nb == 0 || u == 0 {
        return;
    }
    let gates = &ws[..rows * g3];
    let hprev = &ws[rows * g3..rows * 4 * u];
    let aux = &ws[rows * 4 * u..rows * 5 * u];
    let (_, wb) = workspace_len(rows, nb, u, true);
    let [dgx, dgr, dgt, dh, dhd, dhrec, ut] = carve(&mut bws[..wb], [rows * g3, rows * g3, nb * g3, nb * u, nb * u, nb * u, g3 * u]);
    transpose_columns(p.recurrent, u, g3, 0, g3, ut);
    let ut = &*ut;
    start_dh(p, &up, dh);
    // The sequence in bands of the batch rows (threads: see `batch_bands`).
    let work = parallel::madd_ns(nb, u, g3) + parallel::element_ns(nb * g3 * 6);
    let (dgx_s, dgr_s, dgt_s) = (SharedMut::new(dgx), SharedMut::new(dgr), SharedMut::new(dgt));
    let (dh_s, dhd_s, dhrec_s) = (SharedMut::new(dh), SharedMut::new(dhd), SharedMut::new(dhrec));
    batch_bands(nb, work * seq.steps, |samples| {
        for s in (0..seq.steps).rev() {
            let (t, band) = (seq.time(s), samples.clone());
            // SAFETY: batch rows b ∈ band and their sequence rows r = row(b, t) belong to
            // this band alone.
            let (dhband, dgtband, dhdband) = unsafe { (rows_of(&dh_s, &band, u), rows_of(&dgt_s, &band, g3), rows_of(&dhd_s, &band, u)) };
            for (k, b) in band.clone().enumerate() {
                let r = seq.row(b, t);
                let dhb = &mut dhband[k * u..(k + 1) * u];
                add_dy(p, &up, dhb, b, s);
                let dgtb = &mut dgtband[k * g3..(k + 1) * g3];
                let dxr = unsafe { row_of(&dgx_s, r, g3) };
                let dgrr = unsafe { row_of(&dgr_s, r, g3) };
                if !seq.live(p.mask, b, t) {
                    dgtb.iter_mut().for_each(|v| *v = 0.0);
                    dxr.iter_mut().for_each(|v| *v = 0.0);
                    dgrr.iter_mut().for_each(|v| *v = 0.0);
                    continue;
                }
                let g = &gates[r * g3..(r + 1) * g3];
                let (hp, ax) = (&hprev[r * u..(r + 1) * u], &aux[r * u..(r + 1) * u]);
                let dhdb = &mut dhdband[k * u..(k + 1) * u];
                lanes!(u, |j, w| {
                    let (z, rr, hh) = (ld(g, j, w), ld(g, u + j, w), ld(g, 2 * u + j, w));
                    let dhv = ld(dhb, j, w);
                    let dz = dhv.mul(ld(hp, j, w).sub(hh)).mul(pr.dract(z));
                    let dhh = dhv.mul(F32x4::splat(1.0).sub(z)).mul(pr.dact(hh));
                    let dr = dhh.mul(ld(ax, j, w)).mul(pr.dract(rr));
                    st(dz, dxr, j, w);
                    st(dr, dxr, u + j, w);
                    st(dhh, dxr, 2 * u + j, w);
                    st(dz, dgtb, j, w);
                    st(dr, dgtb, u + j, w);
                    st(dhh.mul(rr), dgtb, 2 * u + j, w);
                    st(dhv.mul(z), dhdb, j, w);
                });
                dgrr.copy_from_slice(dgtb);
            }
            let dhrecband = unsafe { rows_of(&dhrec_s, &band, u) };
            sgemm_band(nb, band.len(), u, g3, 1.0, dgtband, ut, false, 0.0, dhrecband);
            finish_dh(p, t, band, dhband, dhdband, dhrecband);
        }
    });
    let (dgx, dgr, dh) = (unsafe { dgx_s.slice(0..dgx_s.len()) }, unsafe { dgr_s.slice(0..dgr_s.len()) }, unsafe { dh_s.slice(0..dh_s.len()) });
    if let Some(d) = dh0 {
        d[..nb * u].copy_from_slice(dh);
    }
    if let Some(dx) = dx {
        sgemm(rows, nin, g3, 1.0, dgx, false, p.kernel, true, 0.0, dx);
    }
    sgemm(nin, g3, rows, 1.0, p.x, true, dgx, false, 0.0, dkernel);
    sgemm(u, g3, rows, 1.0, hprev, true, dgr, false, 0.0, drecurrent);
    if let Some(db) = dbias {
        let (bi, br) = db.split_at_mut(g3);
        column_sums(dgx, rows, g3, bi);
        column_sums(dgr, rows, g3, br);
    }
}

fn backward_before<P: Pair>(pr: P, p: &Inputs, ws: &[f32], up: Upstream, gr: Grads, bws: &mut [f32]) {
    let (seq, u, nin) = (p.seq, p.units, p.input);
    let (rows, nb, g3) = (seq.rows(), seq.batch, 3 * u);
    let Grads { dx, dkernel, drecurrent, dbias, dh0, dc0: _ } = gr;
    if nb == 0 || u == 0 {
        return;
    }
    let gates = &ws[..rows * g3];
    let hprev = &ws[rows * g3..rows * 4 * u];
    let aux = &ws[rows * 4 * u..rows * 5 * u];
    let (_, wb) = workspace_len(rows, nb, u, false);
    let [dgx, dgh, dzr, dht, dh, dhd, drh, dhrec, uzrt, uht, duh] = carve(
        &mut bws[..wb],
        [rows * g3, rows * u, nb * 2 * u, nb * u, nb * u, nb * u, nb * u, nb * u, 2 * u * u, u * u, u * u],
    );
    transpose_columns(p.recurrent, u, g3, 0, 2 * u, uzrt);
    transpose_columns(p.recurrent, u, g3, 2 * u, u, uht);
    start_dh(p, &up, dh);
    // The sequence in bands of the batch rows (threads: see `batch_bands`).
    let work = parallel::madd_ns(nb, u, g3) + parallel::element_ns(nb * g3 * 6);
    let (dgx_s, dgh_s, dzr_s, dht_s) = (SharedMut::new(dgx), SharedMut::new(dgh), SharedMut::new(dzr), SharedMut::new(dht));
    let (dh_s, dhd_s, drh_s, dhrec_s) = (SharedMut::new(dh), SharedMut::new(dhd), SharedMut::new(drh), SharedMut::new(dhrec));
    let (uzrt, uht) = (&*uzrt, &*uht);
    batch_bands(nb, work * seq.steps, |samples| {
        for s in (0..seq.steps).rev() {
            let (t, band) = (seq.time(s), samples.clone());
            let n = band.len();
            // SAFETY: batch rows b ∈ band and their sequence rows r = row(b, t) belong to
            // this band alone.
            let (dhband, dhtband) = unsafe { (rows_of(&dh_s, &band, u), rows_of(&dht_s, &band, u)) };
            // Pass 1: the candidate's pre-activation gradient, which the reset gate needs.
            for (k, b) in band.clone().enumerate() {
                let r = seq.row(b, t);
                let dhb = &mut dhband[k * u..(k + 1) * u];
                add_dy(p, &up, dhb, b, s);
                let dhtb = &mut dhtband[k * u..(k + 1) * u];
                if !seq.live(p.mask, b, t) {
                    dhtb.iter_mut().for_each(|v| *v = 0.0);
                    continue;
                }
                let g = &gates[r * g3..(r + 1) * g3];
                lanes!(u, |j, w| {
                    let (z, hh) = (ld(g, j, w), ld(g, 2 * u + j, w));
                    let dhh = ld(dhb, j, w).mul(F32x4::splat(1.0).sub(z)).mul(pr.dact(hh));
                    st(dhh, dhtb, j, w);
                });
            }
            let drhband = unsafe { rows_of(&drh_s, &band, u) };
            sgemm_band(nb, n, u, u, 1.0, dhtband, uht, false, 0.0, drhband);
            // Pass 2: z and r.
            let (dzrband, dhdband) = unsafe { (rows_of(&dzr_s, &band, 2 * u), rows_of(&dhd_s, &band, u)) };
            for (k, b) in band.clone().enumerate() {
                let r = seq.row(b, t);
                let dzrb = &mut dzrband[k * 2 * u..(k + 1) * 2 * u];
                let dxr = unsafe { row_of(&dgx_s, r, g3) };
                let dghr = unsafe { row_of(&dgh_s, r, u) };
                if !seq.live(p.mask, b, t) {
                    dzrb.iter_mut().for_each(|v| *v = 0.0);
                    dxr.iter_mut().for_each(|v| *v = 0.0);
                    dghr.iter_mut().for_each(|v| *v = 0.0);
                    continue;
                }
                let g = &gates[r * g3..(r + 1) * g3];
                let hp = &hprev[r * u..(r + 1) * u];
                let (dhb, dhtb, drhb) = (&dhband[k * u..(k + 1) * u], &dhtband[k * u..(k + 1) * u], &drhband[k * u..(k + 1) * u]);
                let dhdb = &mut dhdband[k * u..(k + 1) * u];
                lanes!(u, |j, w| {
                    let (z, rr, hh) = (ld(g, j, w), ld(g, u + j, w), ld(g, 2 * u + j, w));
                    let (dhv, hv, drv) = (ld(dhb, j, w), ld(hp, j, w), ld(drhb, j, w));
                    let dz = dhv.mul(hv.sub(hh)).mul(pr.dract(z));
                    let dr = drv.mul(hv).mul(pr.dract(rr));
                    st(dz, dxr, j, w);
                    st(dr, dxr, u + j, w);
                    st(dz, dzrb, j, w);
                    st(dr, dzrb, u + j, w);
                    st(dhv.mul(z).add(drv.mul(rr)), dhdb, j, w);
                });
                dxr[2 * u..].copy_from_slice(dhtb);
                dghr.copy_from_slice(dhtb);
            }
            let dhrecband = unsafe { rows_of(&dhrec_s, &band, u) };
            sgemm_band(nb, n, u, 2 * u, 1.0, dzrband, uzrt, false, 0.0, dhrecband);
            finish_dh(p, t, band, dhband, dhdband, dhrecband);
        }
    });
    let (dgx, dgh, dh) = (unsafe { dgx_s.slice(0..dgx_s.len()) }, unsafe { dgh_s.slice(0..dgh_s.len()) }, unsafe { dh_s.slice(0..dh_s.len()) });
    if let Some(d) = dh0 {
        d[..nb * u].copy_from_slice(dh);
    }
    if let Some(dx) = dx {
        sgemm(rows, nin, g3, 1.0, dgx, false, p.kernel, true, 0.0, dx);
    }
    sgemm(nin, g3, rows, 1.0, p.x, true, dgx, false, 0.0, dkernel);
    // U_z, U_r see h'; U_h sees r·h'. The first product's candidate columns are replaced.
    sgemm(u, g3, rows, 1.0, hprev, true, dgx, false, 0.0, drecurrent);
    sgemm(u, u, rows, 1.0, aux, true, dgh, false, 0.0, duh);
    put_columns(duh, u, g3, 2 * u, u, drecurrent);
    if let Some(db) = dbias {
        column_sums(dgx, rows, g3, db);
    }
}
