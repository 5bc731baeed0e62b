/**
 * Reverse-mode autodiff over a dynamic tape: every differentiable op whose inputs need a
 * gradient hangs a GradNode on its output; `backward()` walks those nodes in reverse
 * topological order and accumulates into the leaves' `.grad` (PyTorch semantics).
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

/**
 * Computes d(root)/d(leaf) for every leaf reachable from `root` that requires a gradient,
 * adding into `leaf.grad`. Runs in its own scope: every intermediate gradient is freed at
 * the end, only the leaves' `.grad` survive. `ops` are passed in to keep this file free of
 * op imports.
 */
export function backward(
  root: Tensor,
  makeSeed: () => Tensor,
  ops: { add(a: Tensor, b: Tensor): Tensor; clone(a: Tensor): Tensor },
): void {
  if (!root.requiresGrad) {
    throw new Error('backward: the tensor does not depend on any tensor with requiresGrad (nothing to differentiate)');
  }
  const order = topologicalOrder(root);
  const scope = ENGINE.startScope();
  const kept = new Set<number>();
  const prevGrad = ENGINE.gradEnabled;
  ENGINE.gradEnabled = false; // gradients of gradients are not recorded
  try {
    const grads = new Map<number, Tensor>();
    grads.set(root.id, makeSeed());
    for (let idx = order.length - 1; idx >= 0; idx--) {
      const t = order[idx];
      const dy = grads.get(t.id);
      if (!dy) continue;
      grads.delete(t.id);
      if (!t.gradFn) {
        // A leaf: accumulate into .grad. A gradient tensor may be shared (an op can pass dy
        // through to several inputs), so a leaf always gets a tensor of its own.
        const own = kept.has(dy.id) ? ops.clone(dy) : dy;
        if (t.grad) {
          const sum = ops.add(t.grad, own);
          t.grad.dispose();
          t.grad = sum;
        } else {
          t.grad = own;
        }
        t.grad.keepAlive = true;
        kept.add(t.grad.id);
        continue;
      }
      const inputGrads = t.gradFn.backward(dy);
      const inputs = t.gradFn.inputs;
      for (let j = 0; j < inputs.length; j++) {
        const g = inputGrads[j];
        const x = inputs[j];
        if (!g || !x.requiresGrad) continue;
        if (g.shape.length !== x.shape.length || g.shape.some((d, k) => d !== x.shape[k])) {
          throw new Error(
            `backward: gradient of ${t.gradFn.op} input ${j} has shape [${g.shape.join(', ')}], expected [${x.shape.join(', ')}]`,
          );
        }
        const prev = grads.get(x.id);
        grads.set(x.id, prev ? ops.add(prev, g) : g);
      }
    }
  } finally {
    ENGINE.gradEnabled = prevGrad;
    ENGINE.endScope(scope, kept);
  }
}

/** Tensors reachable from root through recorded ops, inputs before outputs. */
function topologicalOrder(root: Tensor): Tensor[] {
  // Iterative DFS: models can be deep, recursion could overflow.
  const order: Tensor[] = [];
  const visited = new Set<number>();
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root.id);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const inputs = top[0].gradFn ? top[0].gradFn.inputs : [];
    if (top[1] < inputs.length) {
      const child = inputs[top[1]++];
      if (child.requiresGrad && child.isDisposed) {
        throw new Error(
          `backward: tensor ${child.id} [${child.shape.join(', ')}] on the path to the loss was disposed ` +
            '(e.g. by the tidy that created it): call backward() inside that tidy',
        );
      }
      if (child.requiresGrad && !visited.has(child.id)) {
        visited.add(child.id);
        stack.push([child, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  return order;
}
