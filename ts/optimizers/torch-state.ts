/**
 * torch.optim's state_dict() / load_state_dict() for the PyTorch-form optimizers (the methods
 * are on TorchOptimizer; these are their parts that need no access to it):
 *
 *   const sd = opt.stateDict();     // { state: { 0: { step, exp_avg, exp_avg_sq }, … }, paramGroups: [{ lr, betas, …, params: [0, 1, …] }] }
 *   opt2.loadStateDict(sd);         // same parameter list (by position), same shapes
 *
 * Parameters are numbered by their position in the optimizer's parameter list, as PyTorch's
 * are; state entries exist only for parameters that have been updated. Slot tensors are copies
 * (the caller owns them); loading copies their values in.
 */
import type { Storage } from '../backend/backend';
import { ENGINE } from '../engine';
import { makeTensor, Tensor, type Variable } from '../tensor';

/** One parameter's state: the step count (where the optimizer keeps one) and its buffers. */
export type ParamState = { step?: number } & { [slot: string]: Tensor | number | undefined };

export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  /** One group: the options (as getConfig() gives them) and the parameters' indices. */
  paramGroups: (Record<string, unknown> & { params: number[] })[];
}

/** Each updated parameter's step and copies of its buffers, by parameter index. */
export function snapshotState(
  params: Variable[], slots: Map<number, Storage[]>, names: string[], stepOf: (v: Variable) => number | undefined,
): Record<number, ParamState> {
  const b = ENGINE.get();
  const state: Record<number, ParamState> = {};
  params.forEach((v, i) => {
    const storages = slots.get(v.id);
    const step = stepOf(v);
    if (!storages && step === undefined) return;
    const entry: ParamState = {};
    if (step !== undefined) entry.step = step;
    (storages ?? []).slice(0, names.length).forEach((s, k) => {
      const copy = b.alloc(v.size);
      b.write(copy, b.readF32(s, 0, v.size));
      entry[names[k]] = makeTensor(copy, [...v.shape], 'float32');
    });
    state[i] = entry;
  });
  return state;
}

/** Throws, naming what, unless `sd` is a state dict for `params` with the buffers `names` (of optimizer `cls`). */
export function checkStateDict(who: string, cls: string, sd: OptimizerStateDict, params: Variable[], names: string[]): void {
  if (!sd || typeof sd !== 'object' || !sd.state || !Array.isArray(sd.paramGroups)) {
    throw new Error(`${who}: expected { state, paramGroups } as stateDict() gives, got ${sd === null ? 'null' : typeof sd}`);
  }
  if (sd.paramGroups.length !== 1) throw new Error(`${who}: expected 1 parameter group, got ${sd.paramGroups.length}`);
  const group = sd.paramGroups[0];
  const n = params.length;
  if (!Array.isArray(group.params) || group.params.length !== n) {
    throw new Error(`${who}: the state dict holds ${Array.isArray(group.params) ? group.params.length : 'no'} parameters, this optimizer ${n}`);
  }
  for (const [key, entry] of Object.entries(sd.state)) {
    const i = Number(key);
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`${who}: state for parameter ${key}, but there are ${n} parameters`);
    for (const [slot, value] of Object.entries(entry)) {
      if (slot === 'step') {
        if (!Number.isInteger(value) || (value as number) < 0) throw new Error(`${who}: parameter ${i}'s step must be a non-negative integer, got ${String(value)}`);
        continue;
      }
      if (!names.includes(slot)) throw new Error(`${who}: parameter ${i} has state '${slot}', which ${cls} with these options does not keep (it keeps ${names.join(', ') || 'none'})`);
      const t = value as Tensor;
      const want = params[i].shape;
      if (!(t instanceof Tensor) || t.shape.length !== want.length || t.shape.some((d, k) => d !== want[k])) {
        throw new Error(`${who}: parameter ${i}'s '${slot}' must be a tensor of shape [${want.join(', ')}], got ${t instanceof Tensor ? `[${t.shape.join(', ')}]` : typeof t}`);
      }
    }
  }
}

/**
 * The group's options checked against `config` (the optimizer's getConfig()): every key known,
 * of the same kind, and equal where `structural` says the buffers depend on it. Returns the
 * options to set (structural ones, being equal, are left out).
 */
export function checkedOptions(
  who: string, group: Record<string, unknown>, config: Record<string, unknown>, structural: Record<string, unknown>,
): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [key, value] of Object.entries(group)) {
    if (key === 'params') continue;
    if (!(key in config)) throw new Error(`${who}: unknown option '${key}' (${Object.keys(config).join(', ')})`);
    if (key in structural) {
      if (structural[key] !== value) throw new Error(`${who}: the state dict has ${key} ${JSON.stringify(value)}, this optimizer ${JSON.stringify(structural[key])}; create the optimizer with the same ${key}`);
      continue;
    }
    const current = config[key];
    const ok = Array.isArray(current)
      ? Array.isArray(value) && value.length === current.length && value.every((x) => typeof x === 'number' && Number.isFinite(x))
      : typeof value === typeof current && (typeof value !== 'number' || Number.isFinite(value));
    if (!ok) throw new Error(`${who}: option '${key}' must be like ${JSON.stringify(current)}, got ${JSON.stringify(value)}`);
    out.push([key, Array.isArray(value) ? [...value] : value]);
  }
  return out;
}
