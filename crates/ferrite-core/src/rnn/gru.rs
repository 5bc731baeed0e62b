//! GRU (Keras gates z, r, h), with h' = h_{t−1} (after rmask, as Keras):
//!   reset_after (Keras default; bias [2, 3u]: input bias, recurrent bias):
//!     [xz xr xh] = x·K + b_in,  [rz rr rh] = h'·U + b_rec
//!     z = ract(xz + rz), r = ract(xr + rr), hh = act(xh + r·rh)
//!   reset before (bias [3u]):
//!     z = ract(xz + h'·U_z), r = ract(xr + h'·U_r), hh = act(xh + (r·h')·U_h)
//!   h_t = z·h' + (1 − z)·hh

use super::{
    add_assign, apply_rmask, carve, column_sums, copy_columns, init_state, ld, lanes, put_columns, st,
    with_pair, Grads, Inputs, Pair, Upstream,
};
use crate::gemm::sgemm;
use crate::simd::F32x4;

/// (forward, backward) workspace lengths in f32.
///
/// forward: gates [rows, 3u] (z, r, hh) | h' [rows, u] | aux [rows, u] (reset_after: rh; else
///          r·h') | scratch: recurrent product [batch, 3u], h, h' [batch, u];
///          reset before also U_zr [u, 2u], U_h [u, u], r·h' and its product [batch, u]
/// backward (reset_after): dx-side [rows, 3u] | recurrent-side [rows, 3u] | [batch, 3u] |
///          dh, dh direct, dh_rec [batch, u]
/// backward (reset before): dx-side [rows, 3u] | dh-candidate [rows, u] | [batch, 2u] | [batch, u] ×5 |
///          U_zr, U_h, dU_h [u, 3u] in all
pub fn workspace_len(rows: usize, batch: usize, u: usize, reset_after: bool) -> (usize, usize) {
    if reset_after {
        (rows * 5 * u + batch * 5 * u, rows * 6 * u + batch * 6 * u)
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
        for r in 0..rows {
            add_assign(&mut gates[r * g3..(r + 1) * g3], bias);
        }
    }
    if !ra {
        copy_columns(p.recurrent, u, g3, 0, 2 * u, uzr);
        copy_columns(p.recurrent, u, g3, 2 * u, u, uh);
    }
    init_state(h, h0);
    for s in 0..seq.steps {
        let t = seq.time(s);
        apply_rmask(heff, h, p.rmask);
        if ra {
            sgemm(nb, g3, u, 1.0, heff, false, p.recurrent, false, 0.0, rg);
            if let Some(br) = brec {
                for b in 0..nb {
                    add_assign(&mut rg[b * g3..(b + 1) * g3], br);
                }
            }
        } else {
            // z and r first: the candidate's recurrent product needs r.
            sgemm(nb, 2 * u, u, 1.0, heff, false, uzr, false, 0.0, &mut rg[..nb * 2 * u]);
        }
        for b in 0..nb {
            let r = seq.row(b, t);
            let hp = &heff[b * u..(b + 1) * u];
            hprev[r * u..(r + 1) * u].copy_from_slice(hp);
            let live = seq.live(p.mask, b, t);
            let g = &mut gates[r * g3..(r + 1) * g3];
            let ax = &mut aux[r * u..(r + 1) * u];
            if ra {
                if !live {
                    continue;
                }
                let rgb = &rg[b * g3..(b + 1) * g3];
                let hb = &mut h[b * u..(b + 1) * u];
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
                let rs = &mut rhs[b * u..(b + 1) * u];
                if !live {
                    // Zeros: backward's U_h product reads every row of aux.
                    rs.iter_mut().for_each(|v| *v = 0.0);
                    ax.iter_mut().for_each(|v| *v = 0.0);
                    continue;
                }
                let rgb = &rg[b * 2 * u..(b + 1) * 2 * u];
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
            sgemm(nb, u, u, 1.0, rhs, false, uh, false, 0.0, rgh);
            for b in 0..nb {
                let r = seq.row(b, t);
                if !seq.live(p.mask, b, t) {
                    continue;
                }
                let g = &mut gates[r * g3..(r + 1) * g3];
                let (hp, rgb) = (&heff[b * u..(b + 1) * u], &rgh[b * u..(b + 1) * u]);
                let hb = &mut h[b * u..(b + 1) * u];
                lanes!(u, |j, w| {
                    let z = ld(g, j, w);
                    let hh = pr.act(ld(g, 2 * u + j, w).add(ld(rgb, j, w)));
                    st(hh, g, 2 * u + j, w);
                    st(z.madd(ld(hp, j, w).sub(hh), hh), hb, j, w);
                });
            }
        }
        if p.return_sequences {
            for b in 0..nb {
                let o = seq.row(b, s);
                y[o * u..(o + 1) * u].copy_from_slice(&h[b * u..(b + 1) * u]);
            }
        }
    }
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

/// dh of live samples = (direct part + recurrent part)·rmask.
fn finish_dh(p: &Inputs, t: usize, dh: &mut [f32], direct: &[f32], rec: &[f32]) {
    let u = p.units;
    for b in 0..p.seq.batch {
        if !p.seq.live(p.mask, b, t) {
            continue;
        }
        let dhb = &mut dh[b * u..(b + 1) * u];
        let (d, r) = (&direct[b * u..(b + 1) * u], &rec[b * u..(b + 1) * u]);
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
    let [dgx, dgr, dgt, dh, dhd, dhrec] = carve(&mut bws[..wb], [rows * g3, rows * g3, nb * g3, nb * u, nb * u, nb * u]);
    start_dh(p, &up, dh);
    for s in (0..seq.steps).rev() {
        let t = seq.time(s);
        for b in 0..nb {
            let r = seq.row(b, t);
            let dhb = &mut dh[b * u..(b + 1) * u];
            add_dy(p, &up, dhb, b, s);
            let dgtb = &mut dgt[b * g3..(b + 1) * g3];
            let dxr = &mut dgx[r * g3..(r + 1) * g3];
            if !seq.live(p.mask, b, t) {
                dgtb.iter_mut().for_each(|v| *v = 0.0);
                dxr.iter_mut().for_each(|v| *v = 0.0);
                dgr[r * g3..(r + 1) * g3].iter_mut().for_each(|v| *v = 0.0);
                continue;
            }
            let g = &gates[r * g3..(r + 1) * g3];
            let (hp, ax) = (&hprev[r * u..(r + 1) * u], &aux[r * u..(r + 1) * u]);
            let dhdb = &mut dhd[b * u..(b + 1) * u];
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
            dgr[r * g3..(r + 1) * g3].copy_from_slice(dgtb);
        }
        sgemm(nb, u, g3, 1.0, dgt, false, p.recurrent, true, 0.0, dhrec);
        finish_dh(p, t, dh, dhd, dhrec);
    }
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
    let [dgx, dgh, dzr, dht, dh, dhd, drh, dhrec, uzr, uh, duh] = carve(
        &mut bws[..wb],
        [rows * g3, rows * u, nb * 2 * u, nb * u, nb * u, nb * u, nb * u, nb * u, 2 * u * u, u * u, u * u],
    );
    copy_columns(p.recurrent, u, g3, 0, 2 * u, uzr);
    copy_columns(p.recurrent, u, g3, 2 * u, u, uh);
    start_dh(p, &up, dh);
    for s in (0..seq.steps).rev() {
        let t = seq.time(s);
        // Pass 1: the candidate's pre-activation gradient, which the reset gate needs.
        for b in 0..nb {
            let r = seq.row(b, t);
            let dhb = &mut dh[b * u..(b + 1) * u];
            add_dy(p, &up, dhb, b, s);
            let dhtb = &mut dht[b * u..(b + 1) * u];
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
        sgemm(nb, u, u, 1.0, dht, false, uh, true, 0.0, drh);
        // Pass 2: z and r.
        for b in 0..nb {
            let r = seq.row(b, t);
            let dzrb = &mut dzr[b * 2 * u..(b + 1) * 2 * u];
            let dxr = &mut dgx[r * g3..(r + 1) * g3];
            if !seq.live(p.mask, b, t) {
                dzrb.iter_mut().for_each(|v| *v = 0.0);
                dxr.iter_mut().for_each(|v| *v = 0.0);
                dgh[r * u..(r + 1) * u].iter_mut().for_each(|v| *v = 0.0);
                continue;
            }
            let g = &gates[r * g3..(r + 1) * g3];
            let hp = &hprev[r * u..(r + 1) * u];
            let (dhb, dhtb, drhb) = (&dh[b * u..(b + 1) * u], &dht[b * u..(b + 1) * u], &drh[b * u..(b + 1) * u]);
            let dhdb = &mut dhd[b * u..(b + 1) * u];
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
            dgh[r * u..(r + 1) * u].copy_from_slice(dhtb);
        }
        sgemm(nb, u, 2 * u, 1.0, dzr, false, uzr, true, 0.0, dhrec);
        finish_dh(p, t, dh, dhd, dhrec);
    }
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
