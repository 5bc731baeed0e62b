/**
 * PyTorch-style optimizers (torch.optim) over a parameter list, with PyTorch's arguments,
 * defaults and update formulas (the lr outside the momentum buffers, ε outside the roots,
 * `weightDecay` an L2 term added to the gradient — decoupled for AdamW):
 *
 *   const opt = fe.optim.sgd(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
 *   opt.zeroGrad(); loss.backward(); opt.step();
 *
 * Options are camelCase (`weightDecay`, `lrDecay`, `initialAccumulatorValue`); an unknown one
 * throws. `opt.learningRate` (or `opt.paramGroups[0].lr`) reads and sets the rate, as
 * `param_groups[0]['lr']` does; fe.optim.lrScheduler.* set it for you.
 */
import type { Storage } from '../backend/backend';
import { ENGINE } from '../engine';
import { Tensor, Variable } from '../tensor';
import { checkOptionKeys, Optimizer } from './optimizer';
import { checkedOptions, checkStateDict, snapshotState, type OptimizerStateDict } from './torch-state';

/** One parameter group, as torch.optim's param_groups[0] (lr is live). */
export interface ParamGroup {
  params: Variable[];
  lr: number;
}

function nonNegative(cls: string, key: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${cls}: invalid ${key} ${String(v)} (must be ≥ 0)`);
  return v;
}

function checkParams(cls: string, params: unknown): Variable[] {
  const list = params && typeof (params as Iterable<unknown>)[Symbol.iterator] === 'function' ? [...(params as Iterable<unknown>)] : null;
  if (!list) throw new Error(`${cls}: params must be an array of variables (e.g. model.parameters()), got ${String(params)}`);
  if (list.length === 0) throw new Error(`${cls}: got an empty parameter list`);
  list.forEach((p, i) => {
    if (!(p instanceof Variable)) throw new Error(`${cls}: params[${i}] is not a variable (a weight from model.parameters())`);
  });
  return list as Variable[];
}

/** What the PyTorch-form optimizers share: params first, options checked, param groups. */
export abstract class TorchOptimizer extends Optimizer {
  constructor(cls: string, params: Iterable<Variable>, lr: unknown, options: object, allowed: readonly string[]) {
    checkOptionKeys(cls, options, allowed);
    const list = checkParams(cls, params);
    super(nonNegative(cls, 'learning rate', lr), {}, list);
  }

  /** torch.optim's param_groups: one group holding every parameter, its lr live. */
  get paramGroups(): ParamGroup[] {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const opt = this;
    return [{
      params: this.params,
      get lr() {
        return opt.learningRate;
      },
      set lr(v: number) {
        opt.learningRate = v;
      },
    }];
  }

  /** torch.optim's state_dict(): per-parameter step and buffers (copies), and the options. */
  stateDict(): OptimizerStateDict {
    return {
      state: snapshotState(this.params, this.stateMap, this.slotNames(), (v) => this.stepOf(v)),
      paramGroups: [{ ...(this.getConfig() as Record<string, unknown>), params: this.params.map((_, i) => i) }],
    };
  }

  /**
   * torch.optim's load_state_dict(): same parameter list by position, same shapes. Everything
   * is checked before anything changes, so a dict that does not fit leaves the optimizer as it was.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const who = `optim.${this.className.toLowerCase()}.loadStateDict`;
    const names = this.slotNames();
    checkStateDict(who, this.className, sd, this.params, names);
    const options = checkedOptions(who, sd.paramGroups[0], this.getConfig() as Record<string, unknown>, this.structuralOptions());
    for (const [key, value] of options) {
      if (key === 'lr') this.learningRate = value as number;
      else (this as unknown as Record<string, unknown>)[key] = value;
    }
    const b = ENGINE.get();
    this.params.forEach((v, i) => {
      const entry = sd.state[i];
      this.setStep(v, entry?.step as number | undefined, entry !== undefined);
      this.stateMap.get(v.id)?.forEach((s) => b.free(s));
      this.stateMap.delete(v.id);
      if (!entry) return;
      const slots = this.stateFor(v);
      names.forEach((slot, k) => {
        const t = entry[slot] as Tensor | undefined;
        if (t) b.write(slots[k], t.dataSync() as Float32Array);
      });
    });
  }

  /** PyTorch's names of the buffers slots() allocates, in slot order. */
  protected abstract slotNames(): string[];
  /** The parameter's update count where the optimizer keeps one (undefined: none). */
  protected stepOf(_v: Variable): number | undefined {
    return undefined;
  }
  /** Restores a parameter's update count (undefined: never updated); `hasState` when the dict has an entry. */
  protected setStep(_v: Variable, _step: number | undefined, _hasState: boolean): void {}
  /** Options whose change would change the buffers kept: a loaded group must agree on them. */
  protected structuralOptions(): Record<string, unknown> {
    return {};
  }

  /** Decay is part of the PyTorch kernels (L2 on the gradient, or AdamW's in the Adam kernel). */
  protected override decoupledWeightDecay(): number {
    return 0;
  }
}

export interface SGDOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/**
 * torch.optim.SGD: d = g + weightDecay·p; with momentum, buf = d at the first step, then
 * buf = momentum·buf + (1 − dampening)·d, and d = nesterov ? d + momentum·buf : buf; p −= lr·d.
 */
export class TorchSGD extends TorchOptimizer {
  readonly className = 'SGD';
  /** Mutable: oneCycleLR cycles it. */
  momentum: number;
  readonly dampening: number;
  declare readonly weightDecay: number;
  readonly nesterov: boolean;
  private started = new Set<number>();
  constructor(params: Iterable<Variable>, o: SGDOptions = {}) {
    super('optim.sgd', params, o.lr ?? 1e-3, o, ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov']);
    this.momentum = nonNegative('optim.sgd', 'momentum', o.momentum ?? 0);
    this.dampening = nonNegative('optim.sgd', 'dampening', o.dampening ?? 0);
    (this as { weightDecay: number }).weightDecay = nonNegative('optim.sgd', 'weightDecay', o.weightDecay ?? 0);
    this.nesterov = o.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new Error('optim.sgd: nesterov momentum requires a momentum > 0 and zero dampening');
    }
  }
  protected slots() {
    return this.momentum !== 0 ? 1 : 0;
  }
  protected slotNames() {
    return this.momentum !== 0 ? ['momentum_buffer'] : [];
  }
  protected override setStep(v: Variable, _t: number | undefined, hasState: boolean) {
    if (hasState && this.momentum !== 0) this.started.add(v.id);
    else this.started.delete(v.id);
  }
  protected override structuralOptions() {
    return { nesterov: this.nesterov };
  }
  protected update(p: Storage, g: Storage, s: Storage[], n: number, v: Variable) {
    const buf = this.momentum !== 0 ? s[0] : null;
    const first = buf !== null && !this.started.has(v.id);
    ENGINE.get().sgdTorch(p, g, buf, n, this.stepLr, this.momentum, this.dampening, this.nesterov, this.weightDecay, first);
    if (buf) this.started.add(v.id);
  }
  override getConfig() {
    return { lr: this.learningRate, momentum: this.momentum, dampening: this.dampening, weightDecay: this.weightDecay, nesterov: this.nesterov };
  }
}

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
}

/**
 * torch.optim.Adam (weightDecay: L2 added to the gradient) and AdamW (decoupled: p −= lr·wd·p
 * first): m, v moments; with amsgrad the running max of v; p −= lr/(1−β1^t) · m/(√v/√(1−β2^t) + ε).
 * t counts the updates each parameter received.
 */
export class TorchAdam extends TorchOptimizer {
  readonly className: 'Adam' | 'AdamW';
  /** Mutable: oneCycleLR cycles β1. */
  betas: [number, number];
  readonly eps: number;
  declare readonly weightDecay: number;
  readonly amsgrad: boolean;
  readonly decoupled: boolean;
  private steps = new Map<number, number>();
  constructor(params: Iterable<Variable>, o: AdamOptions = {}, decoupled = false) {
    const cls = decoupled ? 'optim.adamW' : 'optim.adam';
    super(cls, params, o.lr ?? 1e-3, o, ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad']);
    this.className = decoupled ? 'AdamW' : 'Adam';
    const betas = o.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2 || betas.some((b) => typeof b !== 'number' || !(b >= 0 && b < 1))) {
      throw new Error(`${cls}: betas must be two numbers in [0, 1), got ${JSON.stringify(o.betas)}`);
    }
    this.betas = [betas[0], betas[1]];
    this.eps = nonNegative(cls, 'eps', o.eps ?? 1e-8);
    (this as { weightDecay: number }).weightDecay = nonNegative(cls, 'weightDecay', o.weightDecay ?? (decoupled ? 1e-2 : 0));
    this.amsgrad = o.amsgrad ?? false;
    this.decoupled = decoupled;
  }
  protected slots() {
    return this.amsgrad ? 3 : 2;
  }
  protected slotNames() {
    return this.amsgrad ? ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] : ['exp_avg', 'exp_avg_sq'];
  }
  protected override stepOf(v: Variable) {
    return this.steps.get(v.id);
  }
  protected override setStep(v: Variable, t: number | undefined) {
    if (t === undefined) this.steps.delete(v.id);
    else this.steps.set(v.id, t);
  }
  protected override structuralOptions() {
    return { amsgrad: this.amsgrad };
  }
  protected update(p: Storage, g: Storage, s: Storage[], n: number, v: Variable) {
    const t = (this.steps.get(v.id) ?? 0) + 1;
    this.steps.set(v.id, t);
    const [b1, b2] = this.betas;
    const lr = this.stepLr;
    const wd = this.weightDecay;
    ENGINE.get().adamTorch(
      p, g, s[0], s[1], this.amsgrad ? s[2] : null, n,
      lr / (1 - b1 ** t), b1, b2, this.eps, Math.sqrt(1 - b2 ** t),
      this.decoupled ? 0 : wd, this.decoupled ? 1 - lr * wd : 1,
    );
  }
  override getConfig() {
    return { lr: this.learningRate, betas: [...this.betas], eps: this.eps, weightDecay: this.weightDecay, amsgrad: this.amsgrad };
  }
}

export interface AdagradOptions {
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
}

/**
 * torch.optim.Adagrad: d = g + weightDecay·p; sum += d²; p −= clr·d/(√sum + ε), with
 * clr = lr/(1 + (t−1)·lrDecay) and t the parameter's update count.
 */
export class TorchAdagrad extends TorchOptimizer {
  readonly className = 'Adagrad';
  readonly lrDecay: number;
  declare readonly weightDecay: number;
  readonly initialAccumulatorValue: number;
  readonly eps: number;
  private steps = new Map<number, number>();
  constructor(params: Iterable<Variable>, o: AdagradOptions = {}) {
    super('optim.adagrad', params, o.lr ?? 1e-2, o, ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps']);
    this.lrDecay = nonNegative('optim.adagrad', 'lrDecay', o.lrDecay ?? 0);
    (this as { weightDecay: number }).weightDecay = nonNegative('optim.adagrad', 'weightDecay', o.weightDecay ?? 0);
    this.initialAccumulatorValue = nonNegative('optim.adagrad', 'initialAccumulatorValue', o.initialAccumulatorValue ?? 0);
    this.eps = nonNegative('optim.adagrad', 'eps', o.eps ?? 1e-10);
  }
  protected slots() {
    return 1;
  }
  protected override slotInit() {
    return this.initialAccumulatorValue;
  }
  protected slotNames() {
    return ['sum'];
  }
  protected override stepOf(v: Variable) {
    return this.steps.get(v.id);
  }
  protected override setStep(v: Variable, t: number | undefined) {
    if (t === undefined) this.steps.delete(v.id);
    else this.steps.set(v.id, t);
  }
  protected update(p: Storage, g: Storage, s: Storage[], n: number, v: Variable) {
    const t = (this.steps.get(v.id) ?? 0) + 1;
    this.steps.set(v.id, t);
    const clr = this.stepLr / (1 + (t - 1) * this.lrDecay);
    ENGINE.get().adagradTorch(p, g, s[0], n, clr, this.eps, this.weightDecay);
  }
  override getConfig() {
    return { lr: this.learningRate, lrDecay: this.lrDecay, weightDecay: this.weightDecay, initialAccumulatorValue: this.initialAccumulatorValue, eps: this.eps };
  }
}

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
}

/**
 * torch.optim.RMSprop: d = g + weightDecay·p; sq = α·sq + (1−α)·d²; avg = √sq + ε (centered:
 * √(sq − ḡ²) + ε with ḡ the running mean of d); with momentum buf = momentum·buf + d/avg and
 * p −= lr·buf, else p −= lr·d/avg.
 */
export class TorchRMSprop extends TorchOptimizer {
  readonly className = 'RMSprop';
  readonly alpha: number;
  readonly eps: number;
  declare readonly weightDecay: number;
  /** Mutable: oneCycleLR cycles it. */
  momentum: number;
  readonly centered: boolean;
  constructor(params: Iterable<Variable>, o: RMSpropOptions = {}) {
    super('optim.rmsprop', params, o.lr ?? 1e-2, o, ['lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered']);
    this.alpha = nonNegative('optim.rmsprop', 'alpha', o.alpha ?? 0.99);
    this.eps = nonNegative('optim.rmsprop', 'eps', o.eps ?? 1e-8);
    (this as { weightDecay: number }).weightDecay = nonNegative('optim.rmsprop', 'weightDecay', o.weightDecay ?? 0);
    this.momentum = nonNegative('optim.rmsprop', 'momentum', o.momentum ?? 0);
    this.centered = o.centered ?? false;
  }
  protected slots() {
    return 1 + (this.centered ? 1 : 0) + (this.momentum > 0 ? 1 : 0);
  }
  protected slotNames() {
    return ['square_avg', ...(this.centered ? ['grad_avg'] : []), ...(this.momentum > 0 ? ['momentum_buffer'] : [])];
  }
  protected override structuralOptions() {
    return { centered: this.centered };
  }
  protected update(p: Storage, g: Storage, s: Storage[], n: number) {
    const gAvg = this.centered ? s[1] : null;
    const buf = this.momentum > 0 ? s[this.centered ? 2 : 1] : null;
    ENGINE.get().rmspropTorch(p, g, s[0], gAvg, buf, n, this.stepLr, this.alpha, this.eps, this.weightDecay, this.momentum);
  }
  override getConfig() {
    return { lr: this.learningRate, alpha: this.alpha, eps: this.eps, weightDecay: this.weightDecay, momentum: this.momentum, centered: this.centered };
  }
}

/** fe.optim factories: fe.optim.adam(model.parameters(), { lr: 1e-3, weightDecay: 1e-4 }). */
export const torchOptim = {
  sgd: (params: Iterable<Variable>, options?: SGDOptions) => new TorchSGD(params, options),
  adam: (params: Iterable<Variable>, options?: AdamOptions) => new TorchAdam(params, options, false),
  adamW: (params: Iterable<Variable>, options?: AdamOptions) => new TorchAdam(params, options, true),
  adagrad: (params: Iterable<Variable>, options?: AdagradOptions) => new TorchAdagrad(params, options),
  rmsprop: (params: Iterable<Variable>, options?: RMSpropOptions) => new TorchRMSprop(params, options),
};
