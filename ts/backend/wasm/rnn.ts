/** The wasm backend's recurrent kernels: argument marshalling for crates/ferrite-wasm/src/rnn.rs. */
import type { Storage } from '../backend';
import {
  RNN_ACTIVATIONS, rnnCellCode, type RnnBackwardArgs, type RnnConfig, type RnnForwardArgs,
} from '../rnn-types';
import type { FerriteExports } from './exports';

const ptr = (s: Storage | null): number => (s ? (s as unknown as { ptr: number }).ptr : 0);

function act(name: string): number {
  const code = (RNN_ACTIVATIONS as readonly string[]).indexOf(name);
  if (code < 0) throw new Error(`ferrite: unknown recurrent activation '${name}' (expected ${RNN_ACTIVATIONS.join(', ')})`);
  return code;
}

function flags(cfg: RnnConfig): number {
  return (cfg.batchMajor ? 1 : 0) | (cfg.returnSequences ? 2 : 0) | (cfg.goBackwards ? 4 : 0);
}

export function rnnWorkspaceSize(x: FerriteExports, cfg: RnnConfig): { forward: number; backward: number } {
  const c = rnnCellCode(cfg);
  return {
    forward: x.ferrite_rnn_workspace_len(c, cfg.steps, cfg.batch, cfg.units, 0) >>> 0,
    backward: x.ferrite_rnn_workspace_len(c, cfg.steps, cfg.batch, cfg.units, 1) >>> 0,
  };
}

export function rnnForward(x: FerriteExports, cfg: RnnConfig, a: RnnForwardArgs): void {
  if (cfg.cell === 'lstm' && !a.cN) throw new Error('ferrite: rnnForward: an LSTM needs a cN output');
  x.ferrite_rnn_forward(
    rnnCellCode(cfg), ptr(a.x), ptr(a.kernel), ptr(a.recurrentKernel), ptr(a.bias), ptr(a.h0), ptr(a.c0),
    ptr(a.mask), ptr(a.recurrentMask), ptr(a.y), ptr(a.hN), ptr(a.cN), ptr(a.workspace),
    cfg.steps, cfg.batch, cfg.inputDim, cfg.units, flags(cfg), act(cfg.activation), act(cfg.recurrentActivation));
}

export function rnnBackward(x: FerriteExports, cfg: RnnConfig, a: RnnBackwardArgs): void {
  x.ferrite_rnn_backward(
    rnnCellCode(cfg), ptr(a.x), ptr(a.kernel), ptr(a.recurrentKernel), ptr(a.bias), ptr(a.mask), ptr(a.recurrentMask),
    ptr(a.workspace), ptr(a.dy), ptr(a.dhN), ptr(a.dcN),
    ptr(a.dx), ptr(a.dKernel), ptr(a.dRecurrentKernel), ptr(a.dBias), ptr(a.dh0), ptr(a.dc0), ptr(a.scratch),
    cfg.steps, cfg.batch, cfg.inputDim, cfg.units, flags(cfg), act(cfg.activation), act(cfg.recurrentActivation));
}
