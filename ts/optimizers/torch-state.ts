/**
 * torch.optim's state_dict() / load_state_dict() for the PyTorch-form optimizers:
 *
 *   const sd = opt.stateDict();     // { state: { 0: { step, exp_avg, exp_avg_sq }, … }, paramGroups: [{ lr, betas, …, params: [0, 1, …] }] }
 *   opt2.loadStateDict(sd);         // same parameter list (by position), same shapes
 *
 * Parameters are numbered by their position in the optimizer's parameter list, as PyTorch's
 * are; state entries exist only for parameters that have been updated. Slot tensors are copies
 * (the caller owns them); loading copies their values in.
 */
import { ENGINE } from '../engine';
import { makeTensor, Tensor, type Variable } from '../tensor';

/** One parameter's state: the step count (where the optimizer keeps one) and its buffers. */
export type ParamState = { step?: number } & { [slot: string]: Tensor | number | undefined };

export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  /** One group: the options (as getConfig() gives them) and the parameters' indices. */
  paramGroups: (Record<string, unknown> & { params: number[] })[];
}

/** What an optimizer exposes to the state dict. */
export interface StateDictSource {
  readonly className: string;
  params: Variable[];
  stateMap: Map<number, import('../backend/backend').Storage[]>;
  getConfig(): Record<string, unknown>;
  slotNames(): string[];
  stepOf(v: Variable): number | undefined;
  setStep(v: Variable, step: number | undefined, hasState: boolean): void;
  /** Allocates v's slots (stateFor). */
  allocState(v: Variable): import('../backend/backend').Storage[];
  /** Sets one option from a loaded group (throws on an unknown key). */
  setOption(key: string, value: unknown): void;
}

export function stateDictOf(opt: StateDictSource): OptimizerStateDict {
  const b = ENGINE.get();
  const names = opt.slotNames();
  const state: Record<number, ParamState> = {};
  opt.params.forEach((v, i) => {
    const slots = opt.stateMap.get(v.id);
    const step = opt.stepOf(v);
    if (!slots && step === undefined) return;
    const entry: ParamState = {};
    if (step !== undefined) entry.step = step;
    (slots ?? []).slice(0, names.length).forEach((s, k) => {
      const copy = b.alloc(v.size);
      b.write(copy, b.readF32(s, 0, v.size));
      entry[names[k]] = makeTensor(copy, [...v.shape], 'float32');
    });
    state[i] = entry;
  });
  return { state, paramGroups: [{ ...opt.getConfig(), params: opt.params.map((_, i) => i) }] };
}

export function loadStateDictInto(opt: StateDictSource, sd: OptimizerStateDict): void {
  const who = `optim.${opt.className.toLowerCase()}.loadStateDict`;
  if (!sd || typeof sd !== 'object' || !sd.state || !Array.isArray(sd.paramGroups)) {
    throw new Error(`${who}: expected { state, paramGroups } as stateDict() gives, got ${sd === null ? 'null' : typeof sd}`);
  }
  if (sd.paramGroups.length !== 1) throw new Error(`${who}: expected 1 parameter group, got ${sd.paramGroups.length}`);
  const group = sd.paramGroups[0];
  const n = opt.params.length;
  if (!Array.isArray(group.params) || group.params.length !== n) {
    throw new Error(`${who}: the state dict holds ${Array.isArray(group.params) ? group.params.length : 'no'} parameters, this optimizer ${n}`);
  }
  const names = opt.slotNames();
  // Check everything before changing anything, so a bad dict leaves the optimizer as it was.
  for (const [key, entry] of Object.entries(sd.state)) {
    const i = Number(key);
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`${who}: state for parameter ${key}, but there are ${n} parameters`);
    for (const [slot, value] of Object.entries(entry)) {
      if (slot === 'step') {
        if (!Number.isInteger(value) || (value as number) < 0) throw new Error(`${who}: parameter ${i}'s step must be a non-negative integer, got ${String(value)}`);
        continue;
      }
      if (!names.includes(slot)) throw new Error(`${who}: parameter ${i} has state '${slot}', which ${opt.className} with these options does not keep (it keeps ${names.join(', ') || 'none'})`);
      const t = value as Tensor;
      const want = opt.params[i].shape;
      if (!(t instanceof Tensor) || t.shape.length !== want.length || t.shape.some((d, k) => d !== want[k])) {
        throw new Error(`${who}: parameter ${i}'s '${slot}' must be a tensor of shape [${want.join(', ')}], got ${t instanceof Tensor ? `[${t.shape.join(', ')}]` : typeof t}`);
      }
    }
  }
  const { params: _p, ...options } = group;
  void _p;
  for (const [key, value] of Object.entries(options)) opt.setOption(key, value);
  const b = ENGINE.get();
  opt.params.forEach((v, i) => {
    const entry = sd.state[i];
    opt.setStep(v, entry?.step as number | undefined, entry !== undefined);
    const old = opt.stateMap.get(v.id);
    if (old) {
      old.forEach((s) => b.free(s));
      opt.stateMap.delete(v.id);
    }
    if (!entry) return;
    const slots = opt.allocState(v);
    names.forEach((slot, k) => {
      const t = entry[slot] as Tensor | undefined;
      if (t) b.write(slots[k], t.dataSync() as Float32Array);
    });
  });
}
