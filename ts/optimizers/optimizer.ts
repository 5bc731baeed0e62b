/**
 * Optimizers update variables in place from their `.grad`, one fused kernel per variable.
 * Usable Keras-style (model.compile) and PyTorch-style (opt.zeroGrad(), loss.backward(),
 * opt.step()).
 *
 * Every optimizer takes Keras 3's gradient options: `clipNorm` (each gradient rescaled to at
 * most this L2 norm), `globalClipNorm` (all gradients rescaled together), `clipValue` (each
 * element clipped to ±clipValue) — at most one of them — and `weightDecay` (decoupled:
 * p −= lr·weightDecay·p before each update). The learning rate may be a number or a
 * LearningRateSchedule of the step count.
 */
import type { Storage } from '../backend/backend';
import { ENGINE } from '../engine';
import type { Tensor, Variable } from '../tensor';
import { variableGrads, variableGradsList } from '../gradients';
import { sumOfSquares } from './clipping';
import { isVariableList, withGradients, withNamedGradients, type NamedGradients } from './named-gradients';
import { LearningRateSchedule } from './schedules';

export type LearningRate = number | LearningRateSchedule;

/** Keras 3's options common to every optimizer (camelCase). */
export interface OptimizerOptions {
  /** Rescale each gradient whose L2 norm exceeds this to that norm. */
  clipNorm?: number;
  /** Clip each gradient element to [−clipValue, clipValue]. */
  clipValue?: number;
  /** Rescale all gradients together when their joint L2 norm exceeds this. */
  globalClipNorm?: number;
  /** Decoupled weight decay: p −= lr·weightDecay·p before each update. */
  weightDecay?: number;
}

export const OPTIMIZER_OPTION_KEYS = ['clipNorm', 'clipValue', 'globalClipNorm', 'weightDecay'] as const;

/** Throws on an option a function does not know: a misspelt option must not be ignored. */
export function checkOptionKeys(where: string, options: object | undefined, allowed: readonly string[]): void {
  if (!options) return;
  if (typeof options !== 'object' || Array.isArray(options)) throw new Error(`${where}: options must be an object, got ${JSON.stringify(options)}`);
  for (const k of Object.keys(options)) {
    if (allowed.includes(k)) continue;
    const camel = k.replace(/_+(\w)/g, (_m, c: string) => c.toUpperCase());
    const hint = camel !== k && allowed.includes(camel) ? ` — did you mean '${camel}'?` : '';
    throw new Error(`${where}: unknown option '${k}'${hint} (expected ${allowed.join(', ')})`);
  }
}

function optionalPositive(where: string, key: string, v: number | undefined, allowZero = false): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new Error(`${where}: ${key} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${String(v)}`);
  }
  return v;
}

export abstract class Optimizer {
  abstract readonly className: string;
  /** Number of updates applied (Adam's t). */
  iterations = 0;
  /** Variables stepped by step()/zeroGrad() (PyTorch style). */
  params: Variable[];
  readonly clipNorm: number | null;
  readonly clipValue: number | null;
  readonly globalClipNorm: number | null;
  readonly weightDecay: number | null;
  private lrValue: number;
  private readonly schedule: LearningRateSchedule | null;
  /** The learning rate of the update being applied (set by applyGradients). */
  protected stepLr = 0;
  private state = new Map<number, Storage[]>();
  private decayExcludedIds = new Set<number>();
  private decayExcludedNames: RegExp | null = null;

  constructor(learningRate: LearningRate, options: OptimizerOptions = {}, params: Variable[] = []) {
    const name = new.target.name;
    checkOptionKeys(name, options, OPTIMIZER_OPTION_KEYS);
    if (learningRate instanceof LearningRateSchedule) {
      this.schedule = learningRate;
      this.lrValue = NaN;
    } else {
      this.schedule = null;
      this.lrValue = Optimizer.checkRate(name, learningRate);
    }
    this.clipNorm = optionalPositive(name, 'clipNorm', options.clipNorm);
    this.clipValue = optionalPositive(name, 'clipValue', options.clipValue);
    this.globalClipNorm = optionalPositive(name, 'globalClipNorm', options.globalClipNorm);
    this.weightDecay = optionalPositive(name, 'weightDecay', options.weightDecay, true);
    const clips = [this.clipNorm, this.clipValue, this.globalClipNorm].filter((c) => c !== null).length;
    if (clips > 1) {
      throw new Error(
        `${name}: only one of clipNorm, clipValue and globalClipNorm can be set, got clipNorm=${options.clipNorm}, ` +
          `clipValue=${options.clipValue}, globalClipNorm=${options.globalClipNorm}`,
      );
    }
    this.params = params;
  }

  private static checkRate(where: string, lr: unknown): number {
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
      throw new Error(`${where}: learningRate must be a non-negative number or a learning-rate schedule, got ${String(lr)}`);
    }
    return lr;
  }

  /** The learning rate of the next update (a schedule's value at `iterations`). */
  get learningRate(): number {
    return this.schedule ? this.schedule.at(this.iterations) : this.lrValue;
  }

  /**
   * Sets the learning rate (schedulers and callbacks do); not when it comes from a schedule.
   * A negative rate is accepted here (PyTorch's linear oneCycleLR ends one step past its
   * minimum, below zero, after the last update) but refused by the next update.
   */
  set learningRate(lr: number) {
    if (this.schedule) {
      throw new Error(
        `${this.className}: the learning rate comes from a ${this.schedule.className} schedule and cannot be set; ` +
          'create the optimizer with a number to set it (e.g. from a callback)',
      );
    }
    if (typeof lr !== 'number' || !Number.isFinite(lr)) throw new Error(`${this.className}: learningRate must be a finite number, got ${String(lr)}`);
    this.lrValue = lr;
  }

  /** The schedule given as learningRate, or null. */
  get learningRateSchedule(): LearningRateSchedule | null {
    return this.schedule;
  }

  /** How many state slots (of the variable's size) each variable needs. */
  protected abstract slots(): number;

  /** The initial value of state slot `i` (default 0). */
  protected slotInit(_i: number): number {
    return 0;
  }

  /** Applies one update to every variable with a gradient. */
  protected abstract update(p: Storage, g: Storage, state: Storage[], n: number, v: Variable): void;

  /**
   * Keras 3: exclude variables from weightDecay, given as variables or as name patterns (a
   * variable whose name matches any of `varNames` is excluded).
   */
  excludeFromWeightDecay(args: { varList?: Variable[]; varNames?: string[] } = {}): void {
    checkOptionKeys(`${this.className}.excludeFromWeightDecay`, args, ['varList', 'varNames']);
    this.decayExcludedIds = new Set((args.varList ?? []).map((v) => v.id));
    this.decayExcludedNames = args.varNames?.length ? new RegExp(args.varNames.join('|')) : null;
  }

  /**
   * The decoupled weight decay factor for `v` this step (0: none): weightDecay unless `v` was
   * excluded. The PyTorch-form optimizers apply theirs in their kernels and return 0.
   */
  protected decoupledWeightDecay(v: Variable): number {
    if (!this.weightDecay || this.decayExcludedIds.has(v.id)) return 0;
    return this.decayExcludedNames && this.decayExcludedNames.test(v.name ?? '') ? 0 : this.weightDecay;
  }

  /**
   * Updates `vars` (default: params) from their gradients; increments iterations once.
   * Also takes TensorFlow.js' forms: a map from variable name to gradient, or a list of
   * { name, tensor } (see named-gradients.ts).
   */
  applyGradients(vars: Variable[] | NamedGradients = this.params): void {
    if (!isVariableList(vars)) {
      withNamedGradients(this.className, vars, (list) => this.applyGradients(list));
      return;
    }
    // A variable without a gradient is skipped; one given with a gradient is updated even if
    // frozen since (compile() collected it, as Keras 2 and TensorFlow.js).
    const todo = vars.filter((v) => v.grad);
    for (const v of todo) {
      if (v.grad!.size !== v.size) {
        throw new Error(`${this.className}: gradient of ${v.name ?? 'variable'} has ${v.grad!.size} elements, expected ${v.size}`);
      }
    }
    const lr = this.learningRate;
    if (!(lr >= 0 && Number.isFinite(lr))) {
      throw new Error(`${this.className}: the learning rate for update ${this.iterations + 1} is ${lr}; it must be a non-negative number (no update was applied)`);
    }
    const b = ENGINE.get();
    const grads = this.clippedGradients(todo);
    try {
      this.stepLr = lr;
      this.iterations++;
      this.beforeStep();
      todo.forEach((v, i) => {
        const wd = this.decoupledWeightDecay(v);
        if (wd) b.affine(v.storage, v.storage, v.size, 1 - this.stepLr * wd, 0);
        this.update(v.storage, grads[i].storage, this.stateFor(v), v.size, v);
        if (v.constraint) applyConstraint(v);
      });
    } finally {
      for (const g of grads) if (g.scratch) b.free(g.storage);
    }
  }

  /**
   * The gradients after clipNorm / globalClipNorm / clipValue (Keras 3 order and formulas),
   * in scratch storages where they change (the variables' own gradients are left as they are).
   * A non-finite norm throws before anything is updated.
   */
  private clippedGradients(vars: Variable[]): { storage: Storage; scratch: boolean }[] {
    const b = ENGINE.get();
    const plain = vars.map((v) => ({ storage: v.grad!.storage, scratch: false }));
    const scaled = (scales: number[]) =>
      plain.map((g, i) => {
        if (scales[i] === 1) return g;
        const out = b.allocUninit(vars[i].size);
        b.affine(g.storage, out, vars[i].size, scales[i], 0);
        return { storage: out, scratch: true };
      });
    const finiteNorm = (norm: number, what: string) => {
      if (!Number.isFinite(norm)) {
        throw new Error(`${this.className}: ${what} is ${norm}; the gradients hold NaN or Infinity (no update was applied)`);
      }
      return norm;
    };
    if (this.clipNorm !== null) {
      const c = this.clipNorm;
      return scaled(vars.map((v, i) => {
        const norm = finiteNorm(Math.sqrt(sumOfSquares(b, plain[i].storage, v.size)), `the gradient norm of ${v.name ?? 'a variable'} (clipNorm)`);
        return norm > c ? c / norm : 1;
      }));
    }
    if (this.globalClipNorm !== null) {
      const c = this.globalClipNorm;
      const norm = finiteNorm(Math.sqrt(vars.reduce((s, v, i) => s + sumOfSquares(b, plain[i].storage, v.size), 0)), 'the global gradient norm (globalClipNorm)');
      const scale = norm > c ? c / norm : 1;
      return scaled(vars.map(() => scale));
    }
    if (this.clipValue !== null) {
      return plain.map((g, i) => {
        const out = b.allocUninit(vars[i].size);
        b.clip(g.storage, out, vars[i].size, -this.clipValue!, this.clipValue!);
        return { storage: out, scratch: true };
      });
    }
    return plain;
  }

  /** PyTorch style: update params from their gradients. */
  step(): void {
    this.applyGradients(this.params);
  }

  /** PyTorch style: clear the gradients of `vars` (default: params). */
  zeroGrad(vars: Variable[] = this.params): void {
    for (const v of vars) {
      if (v.grad) {
        v.grad.dispose();
        v.grad = null;
      }
    }
  }

  /**
   * tf.Optimizer.minimize: computes f's value (a scalar) and its gradients with respect to
   * `varList` (default: params, else every trainable variable), applies them. Returns the
   * cost when `returnCost`. f may use fe.tidy: what the gradient needs is kept until it is
   * taken. The variables' `.grad` are left as they were.
   */
  minimize(f: () => Tensor, returnCost = false, varList?: Variable[]): Tensor | null {
    const list = varList ?? (this.params.length ? this.params : undefined);
    const { value, vars, grads } = variableGradsList(`${this.className}.minimize`, f, list);
    try {
      withGradients(vars, grads, (withGrad) => this.applyGradients(withGrad));
    } finally {
      grads.forEach((g) => g?.dispose());
    }
    if (returnCost) return value;
    value.dispose();
    return null;
  }

  /** tf.Optimizer.computeGradients: variableGrads(f, varList). */
  computeGradients(f: () => Tensor, varList?: Variable[]): { value: Tensor; grads: { [name: string]: Tensor } } {
    return variableGrads(f, varList);
  }

  /** Per-step scalars (e.g. Adam's bias correction), after `iterations` was incremented. */
  protected beforeStep(): void {}

  /** The state slots of `v`, allocated (and grown when slots() grew) on first use. */
  protected stateFor(v: Variable): Storage[] {
    let s = this.state.get(v.id);
    const want = this.slots();
    if (!s) {
      s = [];
      this.state.set(v.id, s);
    }
    if (s.length < want) {
      const b = ENGINE.get();
      for (let i = s.length; i < want; i++) {
        const slot = b.alloc(v.size);
        const init = this.slotInit(i);
        if (init !== 0) b.fill(slot, init, v.size);
        s.push(slot);
      }
    }
    return s;
  }

  /** @internal state storages per variable id (for saving/restoring). */
  get stateMap(): Map<number, Storage[]> {
    return this.state;
  }

  /** @internal how many state slots each variable has (for saving/restoring). */
  stateSlotCount(): number {
    return this.slots();
  }

  /** Frees the optimizer state. */
  dispose(): void {
    const b = ENGINE.backend;
    if (b) for (const slots of this.state.values()) slots.forEach((s) => b.free(s));
    this.state.clear();
  }

  /** TensorFlow.js' config (camelCase), with Keras 3's options when they are set. */
  getConfig(): Record<string, unknown> {
    const lr = this.schedule ? { className: this.schedule.className, config: this.schedule.getConfig() } : this.lrValue;
    const out: Record<string, unknown> = { learningRate: lr };
    if (this.clipNorm !== null) out.clipnorm = this.clipNorm;
    if (this.clipValue !== null) out.clipvalue = this.clipValue;
    if (this.globalClipNorm !== null) out.globalClipnorm = this.globalClipNorm;
    if (this.weightDecay !== null) out.weightDecay = this.weightDecay;
    return out;
  }
}

/** A weight's constraint (maxNorm, nonNeg, …) applied after its update, as Keras. */
function applyConstraint(v: Variable): void {
  const scope = ENGINE.startScope();
  try {
    v.assign(v.constraint!.apply(v));
  } finally {
    ENGINE.endScope(scope, new Set());
  }
}
