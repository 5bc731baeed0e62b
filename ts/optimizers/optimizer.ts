/**
 * Optimizers update variables in place from their `.grad`, one fused kernel per variable.
 * Usable Keras-style (model.compile) and PyTorch-style (opt.zeroGrad(), loss.backward(),
 * opt.step()).
 */
import type { Storage } from '../backend/backend';
import { ENGINE } from '../engine';
import type { Tensor, Variable } from '../tensor';
import { variableGrads, variableGradsList } from '../gradients';
import { isVariableList, withGradients, withNamedGradients, type NamedGradients } from './named-gradients';

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
