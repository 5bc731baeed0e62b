/**
 * The recurrent kernels of the Backend: a whole LSTM, GRU or SimpleRNN layer over a sequence,
 * forward or backward through time, in one call.
 *
 * Semantics (Keras / TensorFlow.js)
 * - x holds rows = steps·batch rows of inputDim features, batch-major ([batch, steps, in]) or
 *   time-major ([steps, batch, in]). y (returnSequences) uses the same layout with units
 *   features; otherwise y is the last output [batch, units].
 * - kernel [in, G·units], recurrentKernel [units, G·units], gate blocks side by side: LSTM
 *   (G = 4) i, f, c, o; GRU (G = 3) z, r, h; SimpleRNN (G = 1). bias [G·units], or [2, 3·units]
 *   (input bias, recurrent bias) for a GRU with resetAfter.
 *   LSTM:  [i f c̃ o] = [σ σ act σ](x·K + b + h'·U); c = f·c₋₁ + i·c̃; h = o·act(c)
 *   GRU:   z = σ(x_z + h'·U_z + b), r = σ(x_r + h'·U_r + b),
 *          hh = act(x_h + r·(h'·U_h + b_rec)) with resetAfter, act(x_h + (r·h')·U_h) without;
 *          h = z·h' + (1 − z)·hh
 *   Simple: h = act(x·K + b + h'·U)
 *   where σ is the recurrent activation and h' = h₋₁ · recurrentMask (or h₋₁).
 * - goBackwards processes the input from its last step; y's time axis is in processing order.
 * - mask [batch, steps] (0 = padding, input time): a masked step keeps the state and repeats
 *   the previous output.
 * - recurrentMask [batch, units]: recurrent dropout, already scaled by 1/(1 − rate).
 * - Initial states h0 (and c0) [batch, units] default to zeros.
 * - The forward pass fills `workspace` (rnnWorkspaceSize().forward elements) with what the
 *   backward pass needs; the backward pass also gets `scratch` (…backward elements). The
 *   layouts are the backend's own.
 */
import type { Storage } from './backend';

export type RnnCell = 'lstm' | 'gru' | 'simple';

/** Activation codes of the C ABI: the position in this list. */
export const RNN_ACTIVATIONS = ['linear', 'tanh', 'sigmoid', 'hardSigmoid', 'relu'] as const;
export type RnnActivation = (typeof RNN_ACTIVATIONS)[number];

export interface RnnConfig {
  cell: RnnCell;
  /** GRU only (Keras default true). */
  resetAfter: boolean;
  steps: number;
  batch: number;
  inputDim: number;
  units: number;
  batchMajor: boolean;
  returnSequences: boolean;
  goBackwards: boolean;
  activation: RnnActivation;
  recurrentActivation: RnnActivation;
}

export interface RnnForwardArgs {
  x: Storage;
  kernel: Storage;
  recurrentKernel: Storage;
  bias: Storage | null;
  h0: Storage | null;
  /** LSTM only. */
  c0: Storage | null;
  mask: Storage | null;
  recurrentMask: Storage | null;
  /** Outputs (overwritten). cN: LSTM only (required there). */
  y: Storage;
  hN: Storage;
  cN: Storage | null;
  workspace: Storage;
}

export interface RnnBackwardArgs {
  x: Storage;
  kernel: Storage;
  recurrentKernel: Storage;
  /** The layer's bias (backward reads only whether there is one). */
  bias: Storage | null;
  mask: Storage | null;
  recurrentMask: Storage | null;
  /** The forward pass's workspace. */
  workspace: Storage;
  /** Upstream gradients; null = zero. dy has y's shape; dcN LSTM only. */
  dy: Storage | null;
  dhN: Storage | null;
  dcN: Storage | null;
  /** Outputs (overwritten); null = not wanted. */
  dx: Storage | null;
  dKernel: Storage;
  dRecurrentKernel: Storage;
  dBias: Storage | null;
  dh0: Storage | null;
  dc0: Storage | null;
  scratch: Storage;
}

export function rnnGates(cell: RnnCell): number {
  return cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
}

/** Elements of the bias: G·units, or 2·3·units for a GRU with resetAfter. */
export function rnnBiasSize(cell: RnnCell, units: number, resetAfter: boolean): number {
  return cell === 'gru' && resetAfter ? 6 * units : rnnGates(cell) * units;
}

/** The cell code of the C ABI: 0 LSTM, 1 GRU resetAfter, 2 GRU reset before, 3 SimpleRNN. */
export function rnnCellCode(cfg: RnnConfig): number {
  return cfg.cell === 'lstm' ? 0 : cfg.cell === 'gru' ? (cfg.resetAfter ? 1 : 2) : 3;
}
