/**
 * Reverse-mode autodiff over a dynamic tape: every differentiable op whose inputs need a
 * gradient hangs a GradNode on its output. `backward()` walks those nodes in reverse
 * topological order and accumulates into the leaves' `.grad` (PyTorch semantics);
 * `gradientsOf()` returns the gradients of chosen tensors without touching any `.grad`
 * (the functional form behind fe.grads, fe.variableGrads and optimizer.minimize).
 */
import { ENGINE } from './engine';
import type { GradNode, Tensor } from './tensor';

/** True when the op should record a node: grads are on and some input needs one. */
export function needsGrad(inputs: readonly Tensor[]): boolean {
  if (!ENGINE.gradEnabled) return false;
  for (const t of inputs) if (t.requiresGrad) return true;
  return false;
}

/** Attaches a gradient node to `out` when any input needs a gradient. Returns `out`. */
export function record(
  out: Tensor,
  op: string,
  inputs: readonly Tensor[],
  backward: (dy: Tensor) => (Tensor | null)[],
): Tensor {
  if (needsGrad(inputs)) {
    const node: GradNode = { op, inputs, backward };
    out.gradFn = node;
    out.requiresGrad = true;
  }
  return out;
}

/** Runs `fn` without recording gradients (inference, metrics, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = ENGINE.gradEnabled;
  ENGINE.gradEnabled = false;
  try {
    return fn();
  } finally {
    ENGINE.gradEnabled = prev;
  }
}

/** The two ops the reverse pass needs (passed in to keep this file free of op imports). */
export interface GradOps {
  add(a: Tensor, b: Tensor): Tensor;
  clone(a: Tensor): Tensor;
}

/**
 * The reverse pass from `root` (seeded by `makeSeed()`), computing the gradient of every
 * tensor `isTarget` accepts; targets are not walked through (their own inputs get nothing).
 * Returns the targets' gradients by tensor id, each a tensor of its own that survives the
 * pass; every other intermediate gradient is freed.
 */
export function gradientsOf(
  root: Tensor,
  makeSeed: () => Tensor,
  isTarget: (t: Tensor) => boolean,
  ops: GradOps,
): Map<number, Tensor> {
  const order = reachingOrder(root, isTarget);
  const result = new Map<number, Tensor>();
  if (!order.length) return result;
  const scope = ENGINE.startScope();
  const prevGrad = ENGINE.gradEnabled;
  ENGINE.gradEnabled = false; // gradients of gradients are not recorded
  const created = new Set<number>();
  try {
    const grads = new Map<number, Tensor>();
    const seed = makeSeed();
    grads.set(root.id, seed);
    for (let idx = order.length - 1; idx >= 0; idx--) {
      const t = order[idx];
      const dy = grads.get(t.id);
      if (!dy) continue;
      grads.delete(t.id);
      if (isTarget(t)) {
        result.set(t.id, dy);
        continue;
      }
      const inputGrads = t.gradFn!.backward(dy);
      const inputs = t.gradFn!.inputs;
      for (let j = 0; j < inputs.length; j++) {
        const g = inputGrads[j];
        const x = inputs[j];
        if (!g || !x.requiresGrad) continue;
        if (g.shape.length !== x.shape.length || g.shape.some((d, k) => d !== x.shape[k])) {
          throw new Error(
            `backward: gradient of ${t.gradFn!.op} input ${j} has shape [${g.shape.join(', ')}], expected [${x.shape.join(', ')}]`,
          );
        }
        const prev = grads.get(x.id);
        grads.set(x.id, prev ? ops.add(prev, g) : g);
      }
    }
    for (const t of scope.tracked) created.add(t.id);
    // A gradient may be shared (an op can pass dy through to several inputs) or be a tensor
    // from outside the pass (a custom gradient returning a saved tensor): each target gets
    // a tensor of its own.
    const seen = new Set<number>();
    for (const [id, g] of result) {
      const own = seen.has(g.id) || !created.has(g.id) ? ops.clone(g) : g;
      seen.add(own.id);
      result.set(id, own);
    }
  } catch (e) {
    result.clear();
    throw e;
  } finally {
    ENGINE.gradEnabled = prevGrad;
    ENGINE.endScope(scope, new Set([...result.values()].map((g) => g.id)));
  }
  return result;
}

/**
 * Computes d(root)/d(leaf) for every leaf reachable from `root` that requires a gradient,
 * adding into `leaf.grad`. Every intermediate gradient is freed at the end; only the
 * leaves' `.grad` survive.
 */
export function backward(root: Tensor, makeSeed: () => Tensor, ops: GradOps): void {
  if (!root.requiresGrad) {
    throw new Error('backward: the tensor does not depend on any tensor with requiresGrad (nothing to differentiate)');
  }
  const leaves = new Map<number, Tensor>();
  const grads = gradientsOf(root, makeSeed, (t) => {
    if (t.gradFn) return false;
    leaves.set(t.id, t);
    return true;
  }, ops);
  for (const [id, g] of grads) {
    const leaf = leaves.get(id)!;
    if (leaf.grad) {
      const sum = ops.add(leaf.grad, g);
      leaf.grad.dispose();
      g.dispose();
      leaf.grad = sum;
    } else {
      leaf.grad = g;
    }
    leaf.grad.keepAlive = true;
  }
}

/**
 * Tensors on a recorded path from root to a target, inputs before outputs (targets are
 * leaves of the walk). Empty when no target is reachable.
 */
function reachingOrder(root: Tensor, isTarget: (t: Tensor) => boolean): Tensor[] {
  // Iterative DFS: models can be deep, recursion could overflow.
  const order: Tensor[] = [];
  const reaches = new Map<number, boolean>();
  const stack: [Tensor, number][] = [[root, 0]];
  const rootIsTarget = isTarget(root);
  reaches.set(root.id, false);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t] = top;
    const targetHere = t === root ? rootIsTarget : false;
    const inputs = t.gradFn && !targetHere ? t.gradFn.inputs : [];
    if (top[1] < inputs.length) {
      const child = inputs[top[1]++];
      if (!child.requiresGrad) continue;
      if (child.isDisposed) {
        throw new Error(
          `backward: tensor ${child.id} [${child.shape.join(', ')}] on the path to the loss was disposed ` +
            '(e.g. by the tidy that created it): call backward() inside that tidy',
        );
      }
      if (reaches.has(child.id)) continue;
      if (isTarget(child)) {
        reaches.set(child.id, true);
        order.push(child);
        continue;
      }
      reaches.set(child.id, false);
      stack.push([child, 0]);
    } else {
      stack.pop();
      let r = targetHere;
      if (!r && t.gradFn) for (const c of t.gradFn.inputs) if (reaches.get(c.id)) { r = true; break; }
      reaches.set(t.id, r);
      if (r) order.push(t);
    }
  }
  return order;
}
