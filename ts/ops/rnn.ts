/**
 * Recurrent layers as one op each: the whole sequence runs in one backend call and records one
 * autograd node, whose backward is one fused backpropagation-through-time call producing
 * dx, dKernel, dRecurrentKernel, dBias, dh0 and dc0. Semantics: ../backend/rnn-types.ts.
 */
import { needsGrad, record } from '../autograd';
import type { RnnActivation, RnnCell, RnnConfig } from '../backend/rnn-types';
import { RNN_ACTIVATIONS, rnnBiasSize, rnnGates } from '../backend/rnn-types';
import { ENGINE } from '../engine';
import { emptyTensor, Tensor, zeroTensor } from '../tensor';
import { reshape, slice, stridedCopy } from './shape';
import { fmt } from './util';

export interface RnnOpConfig {
  cell: RnnCell;
  units: number;
  /** GRU only; default true (Keras). */
  resetAfter?: boolean;
  /** Default 'tanh'. */
  activation?: RnnActivation;
  /** Default 'sigmoid'. */
  recurrentActivation?: RnnActivation;
  /** Output every step's h (default false: the last one). */
  returnSequences?: boolean;
  goBackwards?: boolean;
  /** x is [steps, batch, in] (default false: [batch, steps, in]). */
  timeMajor?: boolean;
  /** Also return the final states, differentiable (default false). */
  returnState?: boolean;
  /** Names the caller (a layer) in error messages. */
  name?: string;
}

export interface RnnOpWeights {
  /** [in, G·units] */
  kernel: Tensor;
  /** [units, G·units] */
  recurrentKernel: Tensor;
  /** [G·units] ([2, 3·units] for a GRU with resetAfter), or null. */
  bias?: Tensor | null;
}

export interface RnnOpOptions {
  /** [h0] or [h0, c0] (LSTM), each [batch, units]. */
  initialState?: Tensor[] | null;
  /** [batch, steps], 0 = padding. */
  mask?: Tensor | null;
  /** Recurrent dropout: [batch, units], already scaled by 1/(1 − rate). */
  recurrentMask?: Tensor | null;
}

export interface RnnOpResult {
  /** [batch, steps, units] (time-major: [steps, batch, units]) or [batch, units]. */
  output: Tensor;
  /** [hN] or [hN, cN] when returnState, else []. */
  states: Tensor[];
}

function expect(name: string, what: string, t: Tensor, shape: number[]): void {
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${name}: expected ${what} of shape ${fmt(shape)}, got ${fmt(t.shape)}`);
  }
  if (t.dtype !== 'float32') throw new Error(`${name}: expected ${what} to be float32, got ${t.dtype}`);
}

/** The config the backend sees, after checking every input's shape. */
function configure(c: RnnOpConfig, x: Tensor, w: RnnOpWeights, o: RnnOpOptions): RnnConfig {
  const name = c.name ?? c.cell;
  if (x.rank !== 3) {
    throw new Error(`${name}: expected input of rank 3 ${c.timeMajor ? '[steps, batch, features]' : '[batch, steps, features]'}, got ${fmt(x.shape)}`);
  }
  if (x.dtype !== 'float32') throw new Error(`${name}: expected float32 input, got ${x.dtype}`);
  const [steps, batch] = c.timeMajor ? [x.shape[0], x.shape[1]] : [x.shape[1], x.shape[0]];
  const inputDim = x.shape[2], u = c.units;
  if (!Number.isInteger(u) || u < 1) throw new Error(`${name}: units must be a positive integer, got ${u}`);
  const resetAfter = c.resetAfter ?? true;
  const cfg: RnnConfig = {
    cell: c.cell, resetAfter, steps, batch, inputDim, units: u,
    batchMajor: !c.timeMajor, returnSequences: c.returnSequences ?? false, goBackwards: c.goBackwards ?? false,
    activation: c.activation ?? 'tanh', recurrentActivation: c.recurrentActivation ?? 'sigmoid',
  };
  for (const a of [cfg.activation, cfg.recurrentActivation]) {
    if (!(RNN_ACTIVATIONS as readonly string[]).includes(a)) {
      throw new Error(`${name}: activation '${a}' is not supported in a recurrent cell (expected ${RNN_ACTIVATIONS.join(', ')})`);
    }
  }
  if (steps < 1) throw new Error(`${name}: the input has no time steps: ${fmt(x.shape)}`);
  const gu = rnnGates(c.cell) * u;
  expect(name, 'kernel', w.kernel, [inputDim, gu]);
  expect(name, 'recurrent kernel', w.recurrentKernel, [u, gu]);
  if (w.bias) {
    const biasShape = c.cell === 'gru' && resetAfter ? [2, gu] : [gu];
    if (w.bias.size !== rnnBiasSize(c.cell, u, resetAfter) || w.bias.dtype !== 'float32') {
      throw new Error(`${name}: expected bias of shape ${fmt(biasShape)}, got ${fmt(w.bias.shape)}`);
    }
  }
  const nStates = c.cell === 'lstm' ? 2 : 1;
  if (o.initialState && o.initialState.length) {
    if (o.initialState.length !== nStates) {
      throw new Error(`${name}: expected ${nStates} initial state tensor${nStates > 1 ? 's' : ''} ([h, c] for an LSTM), got ${o.initialState.length}`);
    }
    o.initialState.forEach((s, i) => expect(name, `initial state ${i}`, s, [batch, u]));
  }
  if (o.mask) {
    if (o.mask.rank !== 2 || o.mask.shape[0] !== batch || o.mask.shape[1] !== steps) {
      throw new Error(`${name}: expected a mask of shape ${fmt([batch, steps])} [batch, steps], got ${fmt(o.mask.shape)}`);
    }
  }
  if (o.recurrentMask) expect(name, 'recurrent dropout mask', o.recurrentMask, [batch, u]);
  return cfg;
}

/** A copy of `size` elements of `src` from element `at` as a tensor of `shape` (no gradient). */
function piece(src: Tensor, at: number, shape: number[]): Tensor {
  const out = emptyTensor(shape);
  if (out.size) stridedCopy(src, at, [1], out, 0, [1], [out.size]);
  return out;
}

/**
 * Runs an LSTM / GRU / SimpleRNN layer over a whole sequence x ([batch, steps, in], or
 * [steps, batch, in] with timeMajor).
 */
export function rnn(x: Tensor, c: RnnOpConfig, w: RnnOpWeights, o: RnnOpOptions = {}): RnnOpResult {
  const cfg = configure(c, x, w, o);
  const b = ENGINE.get();
  const { batch, units: u } = cfg;
  const lstm = cfg.cell === 'lstm';
  const yShape = cfg.returnSequences ? [...x.shape.slice(0, 2), u] : [batch, u];
  const y = emptyTensor(yShape);
  const hN = emptyTensor([batch, u]);
  const cN = lstm ? emptyTensor([batch, u]) : null;
  const sizes = b.rnnWorkspaceSize(cfg);
  const ws = emptyTensor([sizes.forward]);
  const mask = o.mask && o.mask.dtype !== 'float32' ? castMask(o.mask) : o.mask ?? null;
  const [h0, c0] = o.initialState?.length ? o.initialState : [null, null];
  const bias = w.bias ?? null;
  b.rnnForward(cfg, {
    x: x.storage, kernel: w.kernel.storage, recurrentKernel: w.recurrentKernel.storage, bias: bias?.storage ?? null,
    h0: h0?.storage ?? null, c0: c0?.storage ?? null, mask: mask?.storage ?? null,
    recurrentMask: o.recurrentMask?.storage ?? null,
    y: y.storage, hN: hN.storage, cN: cN?.storage ?? null, workspace: ws.storage,
  });
  const inputs: Tensor[] = [x, w.kernel, w.recurrentKernel];
  if (bias) inputs.push(bias);
  if (h0) inputs.push(h0);
  if (c0) inputs.push(c0);
  const wantStates = c.returnState ?? false;
  const states = [hN, ...(cN ? [cN] : [])];
  if (!needsGrad(inputs)) {
    ws.dispose();
    if (mask && mask !== o.mask) mask.dispose();
    if (!wantStates) states.forEach((s) => s.dispose());
    return { output: y, states: wantStates ? states : [] };
  }

  const backward = (dy: Tensor | null, dhN: Tensor | null, dcN: Tensor | null): (Tensor | null)[] => {
    const k = ENGINE.get();
    // The backward kernel accumulates into these over the time steps: they start at zero.
    const dx = x.requiresGrad ? zeroTensor(x.shape) : null;
    const dK = zeroTensor(w.kernel.shape), dU = zeroTensor(w.recurrentKernel.shape);
    const dB = bias ? zeroTensor(bias.shape) : null;
    const dh0 = h0 ? zeroTensor(h0.shape) : null, dc0 = c0 ? zeroTensor(c0.shape) : null;
    const scratch = zeroTensor([k.rnnWorkspaceSize(cfg).backward]);
    k.rnnBackward(cfg, {
      x: x.storage, kernel: w.kernel.storage, recurrentKernel: w.recurrentKernel.storage, bias: bias?.storage ?? null,
      mask: mask?.storage ?? null, recurrentMask: o.recurrentMask?.storage ?? null, workspace: ws.storage,
      dy: dy?.storage ?? null, dhN: dhN?.storage ?? null, dcN: dcN?.storage ?? null,
      dx: dx?.storage ?? null, dKernel: dK.storage, dRecurrentKernel: dU.storage, dBias: dB?.storage ?? null,
      dh0: dh0?.storage ?? null, dc0: dc0?.storage ?? null, scratch: scratch.storage,
    });
    scratch.dispose();
    const grads: (Tensor | null)[] = [dx, dK, dU];
    if (bias) grads.push(dB);
    if (h0) grads.push(dh0);
    if (c0) grads.push(dc0);
    return grads;
  };

  if (!wantStates) {
    hN.dispose();
    cN?.dispose();
    return { output: record(y, cfg.cell, inputs, (dy) => backward(dy, null, null)), states: [] };
  }
  // Several differentiable outputs share one node: it is recorded on their concatenation, and
  // each output is a (recorded) slice of it, so autograd sums their gradients into one dPacked.
  const parts = [y, hN, ...(cN ? [cN] : [])];
  const total = parts.reduce((s, t) => s + t.size, 0);
  const packed = emptyTensor([total]);
  let at = 0;
  for (const t of parts) {
    if (t.size) stridedCopy(t, 0, [1], packed, at, [1], [t.size]);
    at += t.size;
  }
  parts.forEach((t) => t.dispose());
  record(packed, cfg.cell, inputs, (dp) => {
    const dy = piece(dp, 0, yShape);
    const dhN = piece(dp, dy.size, [batch, u]);
    const dcN = lstm ? piece(dp, dy.size + batch * u, [batch, u]) : null;
    const grads = backward(dy, dhN, dcN);
    dy.dispose();
    dhN.dispose();
    dcN?.dispose();
    return grads;
  });
  const outs: Tensor[] = [];
  at = 0;
  for (const shape of [yShape, [batch, u], ...(lstm ? [[batch, u]] : [])]) {
    const n = shape.reduce((p, d) => p * d, 1);
    outs.push(reshape(slice(packed, [at], [n]), shape));
    at += n;
  }
  return { output: outs[0], states: outs.slice(1) };
}

function castMask(m: Tensor): Tensor {
  const out = emptyTensor(m.shape);
  if (m.size) ENGINE.get().castI32ToF32(m.storage, out.storage, m.size);
  return out;
}
