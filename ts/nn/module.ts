/**
 * fe.nn.Module: a PyTorch-style base class for models written as code. A module's
 * parameters are those of the modules, layers and variables it holds in its fields (in field
 * order); train() / eval() set the mode its forward passes run in.
 *
 *   class Net extends fe.nn.Module {
 *     fc = fe.nn.linear(4, 2);
 *     forward(x: fe.Tensor) { return this.fc.forward(x); }
 *   }
 */
import { Layer } from '../layers/layer';
import { Tensor, Variable } from '../tensor';

export abstract class Module {
  /** Set by train() / eval(); modules pass it to the layers they run (dropout). */
  training = true;

  abstract forward(...args: never[]): unknown;

  /** The modules held in this module's fields (and in arrays of them). */
  children(): Module[] {
    const out: Module[] = [];
    const visit = (v: unknown) => {
      if (v instanceof Module) out.push(v);
      else if (Array.isArray(v)) v.forEach(visit);
    };
    Object.values(this).forEach(visit);
    return out;
  }

  /** [name, parameter] for every trainable variable reachable from the fields, once each. */
  namedParameters(prefix = ''): [string, Variable][] {
    const out: [string, Variable][] = [];
    const seen = new Set<number>();
    const add = (name: string, v: Variable) => {
      if (v.trainable && !seen.has(v.id)) {
        seen.add(v.id);
        out.push([name, v]);
      }
    };
    const visit = (name: string, v: unknown) => {
      if (v instanceof Module) v.namedParameters(`${name}.`).forEach(([n, p]) => add(n, p));
      else if (v instanceof Layer) v.trainableWeights.forEach((w) => add(`${name}.${w.name?.split('/').pop() ?? w.id}`, w));
      else if (v instanceof Variable) add(name, v);
      else if (Array.isArray(v)) v.forEach((x, i) => visit(`${name}.${i}`, x));
    };
    for (const [k, v] of Object.entries(this)) visit(`${prefix}${k}`, v);
    return out;
  }

  /** The trainable parameters, for an optimizer: fe.optim.adam(model.parameters(), { lr }). */
  parameters(): Variable[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Training mode (dropout active) for this module and its children. */
  train(mode = true): this {
    this.training = mode;
    this.children().forEach((c) => c.train(mode));
    return this;
  }

  /** Inference mode. */
  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Number of trainable parameters. */
  countParams(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }
}

declare module '../tensor' {
  interface Tensor {
    /** The value of a one-element tensor as a number (PyTorch's item()). */
    item(): number;
  }
}

(Tensor.prototype as unknown as { item: () => number }).item = function (this: Tensor): number {
  if (this.size !== 1) throw new Error(`item: the tensor has ${this.size} elements (shape [${this.shape.join(', ')}]); item() needs exactly one`);
  return this.dataSync()[0];
};
