/**
 * The js backend's recurrent kernels: the reference for crates/ferrite-core/src/rnn/, written
 * to be read. One step at a time, float64 intermediates, exact activations. Semantics in
 * ../rnn-types.ts.
 *
 * Forward workspace layout (float32, rows = steps·batch, G gates, u units):
 *   post-activation gates [rows, G·u] | h' (h₋₁ after the recurrent mask) [rows, u] |
 *   LSTM: c₋₁ [rows, u], c [rows, u]; GRU: aux [rows, u] (rh = h'·U_h + b_rec with resetAfter,
 *   else r·h'); SimpleRNN: nothing more (its one "gate" is h itself).
 */
import type { Storage } from '../backend';
import { rnnBiasSize, rnnGates, type RnnActivation, type RnnBackwardArgs, type RnnConfig, type RnnForwardArgs } from '../rnn-types';

type F = (v: number) => number;

const ACT: Record<RnnActivation, F> = {
  linear: (v) => v,
  tanh: Math.tanh,
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  hardSigmoid: (v) => Math.min(1, Math.max(0, 0.2 * v + 0.5)),
  relu: (v) => Math.max(0, v),
};

/** f'(x) written in terms of y = f(x). */
const DACT: Record<RnnActivation, F> = {
  linear: () => 1,
  tanh: (y) => 1 - y * y,
  sigmoid: (y) => y * (1 - y),
  hardSigmoid: (y) => (y > 0 && y < 1 ? 0.2 : 0),
  relu: (y) => (y > 0 ? 1 : 0),
};

function fns(cfg: RnnConfig): { act: F; ract: F; dact: F; dract: F } {
  const a = ACT[cfg.activation], r = ACT[cfg.recurrentActivation];
  if (!a || !r) throw new Error(`ferrite js backend: unknown recurrent activation '${!a ? cfg.activation : cfg.recurrentActivation}'`);
  return { act: a, ract: r, dact: DACT[cfg.activation], dract: DACT[cfg.recurrentActivation] };
}

const f32 = (s: Storage | null): Float32Array | null => (s ? (s as unknown as { f32: Float32Array }).f32 : null);

function geometry(cfg: RnnConfig) {
  const { steps, batch, units: u, inputDim: nin } = cfg;
  const G = rnnGates(cfg.cell);
  return {
    u, nin, G, GU: G * u, rows: steps * batch,
    row: (b: number, t: number) => (cfg.batchMajor ? b * steps + t : t * batch + b),
    time: (s: number) => (cfg.goBackwards ? steps - 1 - s : s),
  };
}

/** Throws unless each given storage holds at least its size. */
function checkSizes(op: string, pairs: [Storage | null, number, string][]): void {
  for (const [st, n, what] of pairs) {
    if (st && st.size < n) throw new Error(`ferrite js backend: ${op}: ${what} holds ${st.size} elements, needs ${n}`);
  }
}

function sizes(cfg: RnnConfig) {
  const { u, nin, GU, rows } = geometry(cfg);
  const state = cfg.batch * u;
  return {
    x: rows * nin, kernel: nin * GU, rec: u * GU, bias: rnnBiasSize(cfg.cell, u, cfg.resetAfter), state,
    mask: cfg.batch * cfg.steps, y: cfg.returnSequences ? rows * u : state, ws: rnnWorkspaceSize(cfg).forward,
  };
}

export function rnnWorkspaceSize(cfg: RnnConfig): { forward: number; backward: number } {
  const rows = cfg.steps * cfg.batch, u = cfg.units;
  const forward = cfg.cell === 'lstm' ? rows * 7 * u : cfg.cell === 'gru' ? rows * 5 * u : rows * 2 * u;
  // Backward keeps its own float64 arrays.
  return { forward, backward: 0 };
}

export function rnnForward(cfg: RnnConfig, a: RnnForwardArgs): void {
  const { u, nin, GU, rows, row, time } = geometry(cfg);
  const { act, ract } = fns(cfg);
  const { steps, batch } = cfg;
  const x = f32(a.x)!, K = f32(a.kernel)!, U = f32(a.recurrentKernel)!, bias = f32(a.bias);
  const mask = f32(a.mask), rmask = f32(a.recurrentMask);
  const y = f32(a.y)!, hN = f32(a.hN)!, cN = f32(a.cN), ws = f32(a.workspace)!;
  if (cfg.cell === 'lstm' && !cN) throw new Error('ferrite js backend: rnnForward: an LSTM needs a cN output');
  const n = sizes(cfg);
  checkSizes('rnnForward', [
    [a.x, n.x, 'x'], [a.kernel, n.kernel, 'kernel'], [a.recurrentKernel, n.rec, 'recurrentKernel'], [a.bias, n.bias, 'bias'],
    [a.h0, n.state, 'h0'], [a.c0, n.state, 'c0'], [a.mask, n.mask, 'mask'], [a.recurrentMask, n.state, 'recurrentMask'],
    [a.y, n.y, 'y'], [a.hN, n.state, 'hN'], [a.cN, n.state, 'cN'], [a.workspace, n.ws, 'workspace'],
  ]);
  const gru = cfg.cell === 'gru', ra = gru && cfg.resetAfter;
  const gatesAt = 0, hprevAt = rows * GU, auxAt = hprevAt + rows * u, cAt = auxAt + rows * u;

  const h = new Float64Array(batch * u), c = new Float64Array(batch * u);
  const h0 = f32(a.h0), c0 = f32(a.c0);
  for (let i = 0; i < batch * u; i++) {
    h[i] = h0 ? h0[i] : 0;
    c[i] = c0 ? c0[i] : 0;
  }
  const hp = new Float64Array(u), xw = new Float64Array(GU), hw = new Float64Array(GU);
  for (let s = 0; s < steps; s++) {
    const t = time(s);
    for (let b = 0; b < batch; b++) {
      const r = row(b, t);
      for (let j = 0; j < u; j++) {
        hp[j] = h[b * u + j] * (rmask ? rmask[b * u + j] : 1);
        ws[hprevAt + r * u + j] = hp[j];
      }
      if (cfg.cell === 'lstm') for (let j = 0; j < u; j++) ws[auxAt + r * u + j] = c[b * u + j];
      const live = !mask || mask[b * steps + t] !== 0;
      if (live) {
        // xw = x·K + b_in; hw = h'·U (+ b_rec with resetAfter)
        for (let k = 0; k < GU; k++) {
          let sx = bias ? bias[k] : 0;
          for (let i = 0; i < nin; i++) sx += x[r * nin + i] * K[i * GU + k];
          xw[k] = sx;
          let sh = ra && bias ? bias[GU + k] : 0;
          for (let i = 0; i < u; i++) sh += hp[i] * U[i * GU + k];
          hw[k] = sh;
        }
        const g = gatesAt + r * GU;
        for (let j = 0; j < u; j++) {
          const hb = b * u + j;
          if (cfg.cell === 'lstm') {
            const ig = ract(xw[j] + hw[j]), fg = ract(xw[u + j] + hw[u + j]);
            const cc = act(xw[2 * u + j] + hw[2 * u + j]), og = ract(xw[3 * u + j] + hw[3 * u + j]);
            ws[g + j] = ig; ws[g + u + j] = fg; ws[g + 2 * u + j] = cc; ws[g + 3 * u + j] = og;
            c[hb] = fg * c[hb] + ig * cc;
            ws[cAt + r * u + j] = c[hb];
            h[hb] = og * act(c[hb]);
          } else if (gru) {
            ws[g + j] = ract(xw[j] + hw[j]);
            ws[g + u + j] = ract(xw[u + j] + hw[u + j]);
          } else {
            h[hb] = act(xw[j] + hw[j]);
            ws[g + j] = h[hb];
          }
        }
        if (gru) {
          // The candidate needs every r first when the reset comes before the product.
          for (let j = 0; j < u; j++) {
            const z = ws[g + j], rr = ws[g + u + j];
            let pre: number;
            if (ra) {
              ws[auxAt + r * u + j] = hw[2 * u + j];
              pre = xw[2 * u + j] + rr * hw[2 * u + j];
            } else {
              ws[auxAt + r * u + j] = rr * hp[j];
              pre = xw[2 * u + j];
              for (let i = 0; i < u; i++) pre += ws[g + u + i] * hp[i] * U[i * GU + 2 * u + j];
            }
            const hh = act(pre);
            ws[g + 2 * u + j] = hh;
            h[b * u + j] = z * hp[j] + (1 - z) * hh;
          }
        }
      } else if (gru && !ra) {
        for (let j = 0; j < u; j++) ws[auxAt + r * u + j] = 0;
      }
      if (cfg.returnSequences) {
        const o = row(b, s);
        for (let j = 0; j < u; j++) y[o * u + j] = h[b * u + j];
      }
    }
  }
  for (let i = 0; i < batch * u; i++) {
    hN[i] = h[i];
    if (cN) cN[i] = c[i];
    if (!cfg.returnSequences) y[i] = h[i];
  }
}

export function rnnBackward(cfg: RnnConfig, a: RnnBackwardArgs): void {
  const { u, nin, GU, rows, row, time } = geometry(cfg);
  const { dact, dract } = fns(cfg);
  const { steps, batch } = cfg;
  const x = f32(a.x)!, K = f32(a.kernel)!, U = f32(a.recurrentKernel)!;
  const mask = f32(a.mask), rmask = f32(a.recurrentMask), ws = f32(a.workspace)!;
  const dy = f32(a.dy), dhN = f32(a.dhN), dcN = f32(a.dcN);
  const n = sizes(cfg);
  checkSizes('rnnBackward', [
    [a.x, n.x, 'x'], [a.kernel, n.kernel, 'kernel'], [a.recurrentKernel, n.rec, 'recurrentKernel'],
    [a.mask, n.mask, 'mask'], [a.recurrentMask, n.state, 'recurrentMask'], [a.workspace, n.ws, 'workspace'],
    [a.dy, n.y, 'dy'], [a.dhN, n.state, 'dhN'], [a.dcN, n.state, 'dcN'], [a.dx, n.x, 'dx'],
    [a.dKernel, n.kernel, 'dKernel'], [a.dRecurrentKernel, n.rec, 'dRecurrentKernel'], [a.dBias, n.bias, 'dBias'],
    [a.dh0, n.state, 'dh0'], [a.dc0, n.state, 'dc0'],
  ]);
  const gru = cfg.cell === 'gru', ra = gru && cfg.resetAfter;
  const gatesAt = 0, hprevAt = rows * GU, auxAt = hprevAt + rows * u, cAt = auxAt + rows * u;

  // Pre-activation gradients per row: dX feeds x, K and the input bias; dR feeds U, h₋₁ and the
  // recurrent bias. They differ only in a GRU's candidate block.
  const dX = new Float64Array(rows * GU), dR = new Float64Array(rows * GU);
  const dh = new Float64Array(batch * u), dc = new Float64Array(batch * u);
  for (let i = 0; i < batch * u; i++) {
    dh[i] = (dhN ? dhN[i] : 0) + (dy && !cfg.returnSequences ? dy[i] : 0);
    dc[i] = dcN ? dcN[i] : 0;
  }
  const dhp = new Float64Array(u), drh = new Float64Array(u);
  for (let s = steps - 1; s >= 0; s--) {
    const t = time(s);
    for (let b = 0; b < batch; b++) {
      if (dy && cfg.returnSequences) {
        const o = row(b, s);
        for (let j = 0; j < u; j++) dh[b * u + j] += dy[o * u + j];
      }
      if (mask && mask[b * steps + t] === 0) continue; // state carried: dh, dc flow on
      const r = row(b, t), g = gatesAt + r * GU, hp = hprevAt + r * u;
      dhp.fill(0);
      for (let j = 0; j < u; j++) {
        const hb = b * u + j, dhv = dh[hb];
        if (cfg.cell === 'lstm') {
          const ig = ws[g + j], fg = ws[g + u + j], cc = ws[g + 2 * u + j], og = ws[g + 3 * u + j];
          const ac = ACT[cfg.activation](ws[cAt + r * u + j]);
          const dcv = dc[hb] + dhv * og * dact(ac);
          dX[r * GU + j] = dcv * cc * dract(ig);
          dX[r * GU + u + j] = dcv * ws[auxAt + r * u + j] * dract(fg);
          dX[r * GU + 2 * u + j] = dcv * ig * dact(cc);
          dX[r * GU + 3 * u + j] = dhv * ac * dract(og);
          dc[hb] = dcv * fg;
        } else if (gru) {
          const z = ws[g + j], hh = ws[g + 2 * u + j];
          dX[r * GU + j] = dhv * (ws[hp + j] - hh) * dract(z);
          dX[r * GU + 2 * u + j] = dhv * (1 - z) * dact(hh);
          dhp[j] = dhv * z;
        } else {
          dX[r * GU + j] = dhv * dact(ws[g + j]);
        }
      }
      if (gru) {
        for (let j = 0; j < u; j++) {
          const rr = ws[g + u + j], dhh = dX[r * GU + 2 * u + j];
          if (ra) {
            dX[r * GU + u + j] = dhh * ws[auxAt + r * u + j] * dract(rr);
          } else {
            // d(r·h')_j = Σ_k dhh_k · U_h[j, k]
            let sum = 0;
            for (let k = 0; k < u; k++) sum += dX[r * GU + 2 * u + k] * U[j * GU + 2 * u + k];
            drh[j] = sum;
            dX[r * GU + u + j] = sum * ws[hp + j] * dract(rr);
            dhp[j] += sum * rr;
          }
        }
      }
      for (let k = 0; k < GU; k++) dR[r * GU + k] = dX[r * GU + k];
      if (ra) for (let j = 0; j < u; j++) dR[r * GU + 2 * u + j] = dX[r * GU + 2 * u + j] * ws[g + u + j];
      // h' reaches the step through the recurrent product (a reset-before GRU's candidate
      // columns are done above).
      const cols = gru && !ra ? 2 * u : GU;
      for (let j = 0; j < u; j++) {
        let sum = dhp[j];
        for (let k = 0; k < cols; k++) sum += dR[r * GU + k] * U[j * GU + k];
        dh[b * u + j] = sum * (rmask ? rmask[b * u + j] : 1);
      }
    }
  }
  const dh0 = f32(a.dh0), dc0 = f32(a.dc0);
  for (let i = 0; i < batch * u; i++) {
    if (dh0) dh0[i] = dh[i];
    if (dc0) dc0[i] = dc[i];
  }
  const dx = f32(a.dx), dK = f32(a.dKernel)!, dU = f32(a.dRecurrentKernel)!, dB = f32(a.dBias);
  if (dx) {
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < nin; i++) {
        let sum = 0;
        for (let k = 0; k < GU; k++) sum += dX[r * GU + k] * K[i * GU + k];
        dx[r * nin + i] = sum;
      }
    }
  }
  for (let i = 0; i < nin; i++) {
    for (let k = 0; k < GU; k++) {
      let sum = 0;
      for (let r = 0; r < rows; r++) sum += x[r * nin + i] * dX[r * GU + k];
      dK[i * GU + k] = sum;
    }
  }
  for (let j = 0; j < u; j++) {
    for (let k = 0; k < GU; k++) {
      // A reset-before GRU's candidate columns see r·h' (aux), the rest h'.
      const from = gru && !ra && k >= 2 * u ? auxAt : hprevAt;
      let sum = 0;
      for (let r = 0; r < rows; r++) sum += ws[from + r * u + j] * dR[r * GU + k];
      dU[j * GU + k] = sum;
    }
  }
  if (dB) {
    for (let k = 0; k < GU; k++) {
      let sx = 0, sr = 0;
      for (let r = 0; r < rows; r++) {
        sx += dX[r * GU + k];
        sr += dR[r * GU + k];
      }
      dB[k] = sx;
      if (ra) dB[GU + k] = sr;
    }
  }
}
