/**
 * Functional autograd, as TensorFlow.js: fe.grad, fe.grads, fe.valueAndGrad,
 * fe.valueAndGrads, fe.variableGrads and fe.customGrad.
 *
 * The function is run under a gradient tape (engine.ts): a `tidy` inside it keeps what the
 * recorded gradient closures still read until the gradients are taken, then frees it.
 * Gradients of gradients are not recorded (no higher-order derivatives).
 */
import { gradientsOf, noGrad, record } from './autograd';
import { ENGINE } from './engine';
import { Tensor, Variable } from './tensor';
import { add, clone, onesLike } from './ops/index';
import { tensor, type TensorLike } from './ops/creation';
import { fmt, shapesEqual } from './ops/util';

export type NamedTensorMap = { [name: string]: Tensor };

const GRAD_OPS = { add, clone };

function toInput(where: string, x: Tensor | TensorLike): Tensor {
  if (x instanceof Tensor) {
    if (x.isDisposed) throw new Error(`${where}: input tensor ${x.id} is disposed`);
    return x;
  }
  if (typeof x === 'number' || Array.isArray(x) || ArrayBuffer.isView(x)) return tensor(x);
  throw new Error(`${where}: expected a Tensor, a number or an array, got ${x === null ? 'null' : typeof x}`);
}

/**
 * Runs f under a tape, with `xs` differentiable, and returns its value and the gradients of
 * value (seeded by dy, default ones) with respect to each x (null where none flows). Every
 * tensor f created is freed except the value; the value carries no gradient record.
 */
export function gradients(
  where: string,
  f: () => Tensor,
  xs: readonly Tensor[],
  dy?: Tensor | null,
): { value: Tensor; grads: (Tensor | null)[] } {
  const saved = xs.map((x) => x.requiresGrad);
  const prevEnabled = ENGINE.gradEnabled;
  const tape = ENGINE.startTape();
  const scope = ENGINE.startScope();
  const keep = new Set<number>();
  let value: Tensor | undefined;
  let createdInF = false;
  const grads: (Tensor | null)[] = xs.map(() => null);
  try {
    xs.forEach((x) => (x.requiresGrad = true));
    ENGINE.gradEnabled = true;
    value = f();
    ENGINE.gradEnabled = prevEnabled;
    tape.recording = false;
    if (!(value instanceof Tensor)) {
      throw new Error(`${where}: the result y returned by f() must be a tensor, got ${value === null ? 'null' : typeof value}`);
    }
    if (dy && !shapesEqual(dy.shape, value.shape)) {
      throw new Error(`${where}: the shape of dy ${fmt(dy.shape)} must match the shape ${fmt(value.shape)} returned by f()`);
    }
    keep.add(value.id);
    if (value.requiresGrad) {
      const v = value;
      const targets = new Set(xs.map((x) => x.id));
      const byId = gradientsOf(v, () => (dy ? clone(dy) : onesLike(v)), (t) => targets.has(t.id), GRAD_OPS);
      xs.forEach((x, i) => {
        const g = byId.get(x.id);
        if (!g) return;
        // The same tensor given twice gets its gradient twice, each a tensor of its own.
        grads[i] = grads.indexOf(g) >= 0 ? clone(g) : g;
        keep.add(grads[i]!.id);
      });
    }
  } catch (e) {
    keep.clear();
    grads.forEach((g) => g?.dispose());
    throw e;
  } finally {
    ENGINE.gradEnabled = prevEnabled;
    xs.forEach((x, i) => (x.requiresGrad = saved[i]));
    createdInF = value instanceof Tensor && tape.created.has(value.id);
    ENGINE.endScope(scope, keep);
    ENGINE.endTape(tape, keep);
  }
  // The value's gradient record points into what the tape just freed: detach it (unless f
  // returned a tensor it did not create).
  if (createdInF && !xs.includes(value)) {
    value.gradFn = null;
    value.requiresGrad = false;
  }
  return { value, grads };
}

function checkGrads(where: string, grads: (Tensor | null)[]): Tensor[] {
  if (grads.some((g) => g === null)) {
    grads.forEach((g) => g?.dispose());
    throw new Error(
      `${where}: cannot compute the gradient of y = f(x) with respect to x. Make sure that the f you passed ` +
        'encloses all operations that lead from x to y (and that they are differentiable).',
    );
  }
  return grads as Tensor[];
}

function dyTensor(where: string, dy: Tensor | TensorLike | undefined | null): { dy: Tensor | null; own: boolean } {
  if (dy === undefined || dy === null) return { dy: null, own: false };
  const t = toInput(where, dy);
  return { dy: t, own: t !== dy };
}

/**
 * fe.grad(f): the function x ↦ df/dx (f of one tensor). The optional dy weights f's output
 * (default ones, i.e. the gradient of sum(f(x))).
 */
export function grad(f: (x: Tensor) => Tensor): (x: Tensor | TensorLike, dy?: Tensor | TensorLike) => Tensor {
  if (typeof f !== 'function') throw new Error('grad: the f passed in grad(f) must be a function');
  return (x, dy) => {
    const { value, grads } = valueAndGradsOf('grad', (xs) => f(xs[0]), [x], dy);
    value.dispose();
    return grads[0];
  };
}

/** fe.grads(f): the function [x1, x2, …] ↦ [df/dx1, df/dx2, …]. */
export function grads(f: (...args: Tensor[]) => Tensor): (args: (Tensor | TensorLike)[], dy?: Tensor | TensorLike) => Tensor[] {
  if (typeof f !== 'function') throw new Error('grads: the f passed in grads(f) must be a function');
  return (args, dy) => {
    const { value, grads: g } = valueAndGradsOf('grads', (xs) => f(...xs), args, dy);
    value.dispose();
    return g;
  };
}

/** fe.valueAndGrad(f): x ↦ { value: f(x), grad: df/dx }. */
export function valueAndGrad(f: (x: Tensor) => Tensor): (x: Tensor | TensorLike, dy?: Tensor | TensorLike) => { value: Tensor; grad: Tensor } {
  if (typeof f !== 'function') throw new Error('valueAndGrad: the f passed in valueAndGrad(f) must be a function');
  return (x, dy) => {
    const { value, grads: g } = valueAndGradsOf('valueAndGrad', (xs) => f(xs[0]), [x], dy);
    return { value, grad: g[0] };
  };
}

/** fe.valueAndGrads(f): [x1, …] ↦ { value: f(x1, …), grads: [df/dx1, …] }. */
export function valueAndGrads(f: (...args: Tensor[]) => Tensor): (args: (Tensor | TensorLike)[], dy?: Tensor | TensorLike) => { value: Tensor; grads: Tensor[] } {
  if (typeof f !== 'function') throw new Error('valueAndGrads: the f passed in valueAndGrads(f) must be a function');
  return (args, dy) => valueAndGradsOf('valueAndGrads', (xs) => f(...xs), args, dy);
}

function valueAndGradsOf(
  where: string,
  f: (xs: Tensor[]) => Tensor,
  args: (Tensor | TensorLike)[],
  dyArg: Tensor | TensorLike | undefined,
): { value: Tensor; grads: Tensor[] } {
  if (!Array.isArray(args)) throw new Error(`${where}: the args passed in ${where}(f)(args) must be an array of tensors`);
  const xs = args.map((a) => toInput(where, a));
  const { dy, own } = dyTensor(where, dyArg);
  try {
    const { value, grads: g } = gradients(where, () => f(xs), xs, dy);
    try {
      return { value, grads: checkGrads(where, g) };
    } catch (e) {
      value.dispose();
      throw e;
    }
  } finally {
    xs.forEach((x, i) => { if (x !== args[i]) x.dispose(); });
    if (own) dy!.dispose();
  }
}

/** Trainable variables alive now (the default of variableGrads and minimize). */
export function trainableVariables(): Variable[] {
  return ENGINE.liveVariables().filter((v): v is Variable => v instanceof Variable && v.trainable);
}

/**
 * The variables' gradients as a list aligned with `varList` (null where none flows), and
 * f's value; f must return a scalar. `varList` defaults to every trainable variable.
 */
export function variableGradsList(where: string, f: () => Tensor, varList?: Variable[]): { value: Tensor; vars: Variable[]; grads: (Tensor | null)[]; nonTrainable: Variable[] } {
  if (typeof f !== 'function') throw new Error(`${where}: the f passed must be a function`);
  if (varList !== undefined && varList !== null) {
    if (!Array.isArray(varList) || varList.some((v) => !(v instanceof Variable))) {
      throw new Error(`${where}: varList must be an array of variables (fe.variable)`);
    }
  }
  const all = varList ?? trainableVariables();
  const vars = all.filter((v) => v.trainable);
  const nonTrainable = varList ? varList.filter((v) => !v.trainable) : [];
  if (!vars.length) {
    throw new Error(
      `${where}: expects at least one of the input variables to be trainable, but none of the ${all.length} variables is trainable`,
    );
  }
  const { value, grads: g } = gradients(where, f, vars);
  if (value.rank !== 0) {
    value.dispose();
    g.forEach((t) => t?.dispose());
    throw new Error(`${where}: the f passed must return a scalar, but it returned a rank-${value.rank} tensor of shape ${fmt(value.shape)}`);
  }
  if (!g.some((t) => t !== null)) {
    value.dispose();
    throw new Error(
      `${where}: cannot find a connection between any variable and the result of the loss function y = f(x). ` +
        'Make sure the operations that use variables are inside the function f passed.',
    );
  }
  return { value, vars, grads: g, nonTrainable };
}

/**
 * fe.variableGrads(f, varList?): f's value (a scalar) and its gradients with respect to the
 * trainable variables of varList (default: every trainable variable), keyed by variable
 * name. Variables no gradient reaches are left out; non-trainable ones given in varList map
 * to null (as TensorFlow.js).
 */
export function variableGrads(f: () => Tensor, varList?: Variable[]): { value: Tensor; grads: { [name: string]: Tensor } } {
  const { value, vars, grads: g, nonTrainable } = variableGradsList('variableGrads', f, varList);
  const named: { [name: string]: Tensor } = {};
  const fail = (name: string) => {
    value.dispose();
    g.forEach((t) => t?.dispose());
    throw new Error(`variableGrads: two variables are named '${name}'; give them distinct names`);
  };
  vars.forEach((v, i) => {
    const t = g[i];
    if (!t) return;
    if (v.name! in named) fail(v.name!);
    named[v.name!] = t;
  });
  for (const v of nonTrainable) (named as Record<string, Tensor | null>)[v.name!] = null;
  return { value, grads: named };
}

export type GradSaveFunc = (save: Tensor[]) => void;
export interface CustomGradientResult {
  value: Tensor;
  gradFunc: (dy: Tensor, saved: Tensor[]) => Tensor | Tensor[];
}

/**
 * fe.customGrad(f): an op with a gradient of its own. f receives the inputs and a `save`
 * function as last argument, and returns { value, gradFunc(dy, saved) } where gradFunc
 * returns one gradient per input. The forward computation is not recorded.
 */
export function customGrad(f: (...args: (Tensor | GradSaveFunc)[]) => CustomGradientResult): (...args: Tensor[]) => Tensor {
  if (typeof f !== 'function') throw new Error('customGrad: the f passed in customGrad(f) must be a function');
  return (...inputs: Tensor[]) => {
    if (!inputs.every((t) => t instanceof Tensor)) {
      throw new Error('customGrad: the args passed in customGrad(f)(x1, x2, …) must all be tensors');
    }
    let saved: Tensor[] = [];
    const save: GradSaveFunc = (ts) => {
      if (!Array.isArray(ts) || !ts.every((t) => t instanceof Tensor)) {
        throw new Error('customGrad: save(tensors) expects an array of tensors');
      }
      saved = ts;
    };
    const scope = ENGINE.startScope();
    let result: CustomGradientResult;
    const keep = new Set<number>();
    try {
      result = noGrad(() => f(...inputs, save));
      if (!result || !(result.value instanceof Tensor)) {
        throw new Error('customGrad: the function f passed in customGrad(f) must return an object where `obj.value` is a tensor');
      }
      if (typeof result.gradFunc !== 'function') {
        throw new Error('customGrad: the function f passed in customGrad(f) must return an object where `obj.gradFunc` is a function');
      }
      keep.add(result.value.id);
      saved.forEach((t) => keep.add(t.id));
    } finally {
      ENGINE.endScope(scope, keep);
    }
    const { gradFunc } = result;
    // The gradient record goes on a tensor of our own, never on one of the inputs.
    const value = inputs.includes(result.value) || result.value.gradFn ? noGrad(() => clone(result.value)) : result.value;
    return record(value, 'customGrad', inputs, (dy) => {
      const g = gradFunc(dy, saved);
      const list = Array.isArray(g) ? g : [g];
      if (list.length !== inputs.length || !list.every((t) => t instanceof Tensor)) {
        throw new Error(
          'customGrad: the function f passed in customGrad(f) must return an object where `obj.gradFunc` is a function ' +
            `that returns as many tensors as inputs passed to f (${inputs.length}), got ${list.length}`,
        );
      }
      return list;
    });
  };
}
