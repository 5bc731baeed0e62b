//! SimpleRNN: h_t = act(x·K + b + h'·U), h' = h_{t−1} (after rmask).

use super::{add_assign, apply_rmask, carve, column_sums, init_state, ld, lanes, st, Grads, Inputs, Upstream};
use crate::gemm::sgemm;

/// (forward, backward) workspace lengths in f32.
///
/// forward: h_t [rows, u] | h' [rows, u] | scratch: recurrent product, h, h' [batch, u]
/// backward: d pre-activations [rows, u] | scratch: [batch, u] ×3
pub fn workspace_len(rows: usize, batch: usize, u: usize) -> (usize, usize) {
    (rows * 2 * u + batch * 3 * u, rows * u + batch * 3 * u)
}

/// Runs the sequence. y: [rows, u] when return_sequences, else [batch, u]; h_n [batch, u].
pub fn forward(p: &Inputs, h0: Option<&[f32]>, y: &mut [f32], h_n: &mut [f32], ws: &mut [f32]) {
    let (seq, u, nin) = (p.seq, p.units, p.input);
    let (rows, nb) = (seq.rows(), seq.batch);
    if nb == 0 || u == 0 {
        return;
    }
    let (wf, _) = workspace_len(rows, nb, u);
    let [hs, hprev, rg, h, heff] = carve(&mut ws[..wf], [rows * u, rows * u, nb * u, nb * u, nb * u]);
    sgemm(rows, u, nin, 1.0, p.x, false, p.kernel, false, 0.0, hs);
    if let Some(bias) = p.bias {
        for r in 0..rows {
            add_assign(&mut hs[r * u..(r + 1) * u], &bias[..u]);
        }
    }
    init_state(h, h0);
    let act = p.act;
    for s in 0..seq.steps {
        let t = seq.time(s);
        apply_rmask(heff, h, p.rmask);
        sgemm(nb, u, u, 1.0, heff, false, p.recurrent, false, 0.0, rg);
        for b in 0..nb {
            let r = seq.row(b, t);
            hprev[r * u..(r + 1) * u].copy_from_slice(&heff[b * u..(b + 1) * u]);
            let hb = &mut h[b * u..(b + 1) * u];
            if seq.live(p.mask, b, t) {
                let (hr, rgb) = (&mut hs[r * u..(r + 1) * u], &rg[b * u..(b + 1) * u]);
                lanes!(u, |j, w| {
                    let v = act.apply(ld(hr, j, w).add(ld(rgb, j, w)));
                    st(v, hr, j, w);
                    st(v, hb, j, w);
                });
            }
            if p.return_sequences {
                let o = seq.row(b, s);
                y[o * u..(o + 1) * u].copy_from_slice(hb);
            }
        }
    }
    h_n[..nb * u].copy_from_slice(h);
    if !p.return_sequences {
        y[..nb * u].copy_from_slice(h);
    }
}

/// Backpropagation through time from the workspace `ws` of the forward pass.
pub fn backward(p: &Inputs, ws: &[f32], up: Upstream, gr: Grads, bws: &mut [f32]) {
    let (seq, u, nin) = (p.seq, p.units, p.input);
    let (rows, nb) = (seq.rows(), seq.batch);
    let Grads { dx, dkernel, drecurrent, dbias, dh0, dc0: _ } = gr;
    if nb == 0 || u == 0 {
        return;
    }
    let hs = &ws[..rows * u];
    let hprev = &ws[rows * u..rows * 2 * u];
    let (_, wb) = workspace_len(rows, nb, u);
    let [dg, dgt, dh, dhrec] = carve(&mut bws[..wb], [rows * u, nb * u, nb * u, nb * u]);
    init_state(dh, up.dh_n);
    if let (Some(dy), false) = (up.dy, p.return_sequences) {
        add_assign(dh, &dy[..nb * u]);
    }
    let act = p.act;
    for s in (0..seq.steps).rev() {
        let t = seq.time(s);
        for b in 0..nb {
            let r = seq.row(b, t);
            let dhb = &mut dh[b * u..(b + 1) * u];
            if let (Some(dy), true) = (up.dy, p.return_sequences) {
                let o = seq.row(b, s);
                add_assign(dhb, &dy[o * u..(o + 1) * u]);
            }
            let dgtb = &mut dgt[b * u..(b + 1) * u];
            if !seq.live(p.mask, b, t) {
                dgtb.iter_mut().for_each(|v| *v = 0.0);
            } else {
                let hr = &hs[r * u..(r + 1) * u];
                lanes!(u, |j, w| st(ld(dhb, j, w).mul(act.grad_from_y(ld(hr, j, w))), dgtb, j, w));
            }
            dg[r * u..(r + 1) * u].copy_from_slice(dgtb);
        }
        sgemm(nb, u, u, 1.0, dgt, false, p.recurrent, true, 0.0, dhrec);
        for b in 0..nb {
            if seq.live(p.mask, b, t) {
                let dhb = &mut dh[b * u..(b + 1) * u];
                match p.rmask {
                    Some(m) => super::mul_into(dhb, &dhrec[b * u..(b + 1) * u], &m[b * u..(b + 1) * u]),
                    None => dhb.copy_from_slice(&dhrec[b * u..(b + 1) * u]),
                }
            }
        }
    }
    if let Some(d) = dh0 {
        d[..nb * u].copy_from_slice(dh);
    }
    if let Some(dx) = dx {
        sgemm(rows, nin, u, 1.0, dg, false, p.kernel, true, 0.0, dx);
    }
    sgemm(nin, u, rows, 1.0, p.x, true, dg, false, 0.0, dkernel);
    sgemm(u, u, rows, 1.0, hprev, true, dg, false, 0.0, drecurrent);
    if let Some(db) = dbias {
        column_sums(dg, rows, u, db);
    }
}
