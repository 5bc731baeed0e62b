/**
 * Optimizers update variables in place from their `.grad`, one fused kernel per variable.
 * Usable Keras-style (model.compile) and PyTorch-style (opt.zeroGrad(), loss.backward(),
 * opt.step()).
 */
import type { Storage } from '../backend/backend';
import { ENGINE } from '../engine';
import type { Tensor, Variable } from '../tensor';

export abstract class Optimizer {
  abstract readonly className: string;
  learningRate: number;
  /** Number of updates applied (Adam's t). */
  iterations = 0;
  /** Variables stepped by step()/zeroGrad() (PyTorch style). */
  params: Variable[];
  private state = new Map<number, Storage[]>();

  constructor(learningRate: number, params: Variable[] = []) {
    if (!(learningRate > 0) || !Number.isFinite(learningRate)) {
      throw new Error(`${new.target.name}: learningRate must be a positive number, got ${learningRate}`);
    }
    this.learningRate = learningRate;
    this.params = params;
  }

  /** How many state slots (of the variable's size) each variable needs. */
  protected abstract slots(): number;

  /** Applies one update to every variable with a gradient. */
  protected abstract update(p: Storage, g: Storage, state: Storage[], n: number): void;

  /** Updates `vars` (default: params) from their gradients; increments iterations once. */
  applyGradients(vars: Variable[] = this.params): void {
    this.iterations++;
    this.beforeStep();
    for (const v of vars) {
      // A variable without a gradient is skipped; one given with a gradient is updated even
      // if frozen since (compile() collected it, as Keras 2 and TensorFlow.js).
      if (!v.grad) continue;
      if (v.grad.size !== v.size) {
        throw new Error(`${this.className}: gradient of ${v.name ?? 'variable'} has ${v.grad.size} elements, expected ${v.size}`);
      }
      this.update(v.storage, v.grad.storage, this.stateFor(v), v.size);
      if (v.constraint) applyConstraint(v);
    }
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
   * tf.Optimizer.minimize: computes f's value, its gradients with respect to `varList`
   * (default: params), applies them. Returns the cost when `returnCost`.
   */
  minimize(f: () => Tensor, returnCost = false, varList: Variable[] = this.params): Tensor | null {
    this.zeroGrad(varList);
    const cost = f();
    cost.backward();
    this.applyGradients(varList);
    this.zeroGrad(varList);
    if (returnCost) return cost;
    cost.dispose();
    return null;
  }

  /** Per-step scalars (e.g. Adam's bias correction). */
  protected beforeStep(): void {}

  private stateFor(v: Variable): Storage[] {
    let s = this.state.get(v.id);
    if (!s) {
      const b = ENGINE.get();
      s = Array.from({ length: this.slots() }, () => b.alloc(v.size));
      this.state.set(v.id, s);
    }
    return s;
  }

  /** @internal state storages per variable id (for saving/restoring). */
  get stateMap(): Map<number, Storage[]> {
    return this.state;
  }

  /** Frees the optimizer state. */
  dispose(): void {
    const b = ENGINE.backend;
    if (b) for (const slots of this.state.values()) slots.forEach((s) => b.free(s));
    this.state.clear();
  }

  getConfig(): Record<string, unknown> {
    return { learningRate: this.learningRate };
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
