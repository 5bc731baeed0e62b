/**
 * Gradients given to an optimizer apart from the variables' `.grad`: TensorFlow.js' forms of
 * applyGradients ({ [variableName]: gradient } or [{ name, tensor }]) and the gradients
 * minimize computes. They are installed as the variables' `.grad` for the one update (the
 * optimizer's ordinary path, clipping included), and the previous `.grad` restored.
 */
import { ENGINE } from '../engine';
import { Tensor, Variable } from '../tensor';

export interface NamedTensor {
  name: string;
  tensor: Tensor | null | undefined;
}
export type NamedGradients = { [name: string]: Tensor | null | undefined } | NamedTensor[];

export function isVariableList(x: unknown): x is Variable[] {
  return Array.isArray(x) && x.every((v) => v instanceof Variable);
}

/** Runs `apply(vars)` with each variable's `.grad` set to the given gradient for the call. */
export function withGradients(vars: Variable[], grads: (Tensor | null | undefined)[], apply: (vars: Variable[]) => void): void {
  const pairs: [Variable, Tensor][] = [];
  vars.forEach((v, i) => {
    const g = grads[i];
    if (g) pairs.push([v, g]);
  });
  const previous = pairs.map(([v]) => v.grad);
  try {
    pairs.forEach(([v, g]) => (v.grad = g));
    apply(pairs.map(([v]) => v));
  } finally {
    pairs.forEach(([v], i) => (v.grad = previous[i]));
  }
}

/** Resolves TensorFlow.js-style named gradients to live variables and applies them. */
export function withNamedGradients(where: string, named: NamedGradients, apply: (vars: Variable[]) => void): void {
  if (named === null || typeof named !== 'object') {
    throw new Error(`${where}.applyGradients: expected variables, a map from variable name to gradient, or [{ name, tensor }]`);
  }
  const entries: [string, Tensor | null | undefined][] = Array.isArray(named)
    ? named.map((e) => {
        if (!e || typeof e.name !== 'string') {
          throw new Error(`${where}.applyGradients: expected [{ name, tensor }] entries or variables, got ${JSON.stringify(e)}`);
        }
        return [e.name, e.tensor];
      })
    : Object.entries(named);
  const byName = new Map<string, Variable[]>();
  for (const v of ENGINE.liveVariables()) {
    if (!(v instanceof Variable) || v.name === undefined) continue;
    const list = byName.get(v.name) ?? [];
    list.push(v);
    byName.set(v.name, list);
  }
  const vars: Variable[] = [];
  const grads: Tensor[] = [];
  for (const [name, g] of entries) {
    if (g === null || g === undefined) continue;
    if (!(g instanceof Tensor)) throw new Error(`${where}.applyGradients: the gradient of '${name}' is not a tensor`);
    const found = byName.get(name);
    if (!found) throw new Error(`${where}.applyGradients: no live variable is named '${name}'`);
    if (found.length > 1) throw new Error(`${where}.applyGradients: ${found.length} live variables are named '${name}'; pass the variables instead`);
    const v = found[0];
    if (g.size !== v.size) {
      throw new Error(`${where}.applyGradients: the gradient of '${name}' has shape [${g.shape.join(', ')}], the variable [${v.shape.join(', ')}]`);
    }
    vars.push(v);
    grads.push(g);
  }
  withGradients(vars, grads, apply);
}
