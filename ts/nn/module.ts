/**
 * fe.nn.Module: PyTorch's nn.Module for ferrite. A module owns its parameters (trainable
 * Variables) and buffers (non-trainable Variables, e.g. batch norm's running statistics) and
 * its submodules, found two ways:
 * - fields, as PyTorch users write them: every Module, Variable (trainable: a parameter;
 *   not trainable: a buffer), ferrite Layer (its weights) or array of those held in an own
 *   field is registered under the field's name, in field order;
 * - registerParameter / registerBuffer / registerModule, under any name (the built-in modules
 *   use these to give PyTorch's names: running_mean, num_batches_tracked, …).
 *
 *   class Net extends fe.nn.Module {
 *     conv1 = fe.nn.conv2d(3, 16, 3, { padding: 1 });
 *     fc = fe.nn.linear(16, 2);
 *     forward(x: fe.Tensor) { return this.fc.forward(fe.mean(this.conv1.forward(x), [1, 2])); }
 *   }
 *
 * Names are dotted paths ('features.0.weight'). Weights keep ferrite's Keras layouts (see
 * README, "PyTorch style").
 */
import { Layer } from '../layers/layer';
import { variable } from '../ops/creation';
import { cast, clone } from '../ops/shape';
import { fmt } from '../ops/util';
import { Tensor, Variable } from '../tensor';

/** Named tensors, in registration order: what stateDict() gives and loadStateDict() takes. */
export type StateDict = Record<string, Tensor>;

export interface LoadStateDictResult {
  /** Names the module has but the dict lacked (only possible with strict = false). */
  missingKeys: string[];
  /** Names in the dict the module does not have (only possible with strict = false). */
  unexpectedKeys: string[];
}

interface OwnEntries {
  parameters: [string, Variable][];
  buffers: [string, Variable][];
  modules: [string, Module][];
}

function checkName(where: string, name: string): void {
  if (typeof name !== 'string' || !name || name.includes('.')) {
    throw new Error(`${where}: a name must be a non-empty string without '.', got ${JSON.stringify(name)}`);
  }
}

/**
 * The names of a layer's weights relative to the layer, stable across instances: the layer's
 * own (uniquified) name is dropped and so are the _N suffixes of nested layers
 * ('bidirectional_2/forward_lstm_3/kernel' → 'forward_lstm.kernel'), unless that would make
 * two names equal.
 */
function layerWeightNames(layer: Layer): string[] {
  const rel = layer.weights.map((w, i) => {
    const full = w.name ?? `weight_${i}`;
    return (full.startsWith(`${layer.name}/`) ? full.slice(layer.name.length + 1) : full).split('/');
  });
  const stable = rel.map((parts) => parts.map((p, j) => (j < parts.length - 1 ? p.replace(/_\d+$/, '') : p)).join('.'));
  return new Set(stable).size === stable.length ? stable : rel.map((parts) => parts.join('.'));
}

export abstract class Module {
  /** Set by train() / eval(): dropout and batch norm act on it. */
  training = true;
  // ES private fields: not own enumerable properties, so field discovery never sees them.
  #parameters = new Map<string, Variable | null>();
  #buffers = new Map<string, Variable | null>();
  #nonPersistent = new Set<string>();
  #modules = new Map<string, Module | null>();

  abstract forward(...args: never[]): unknown;

  // ---- registration ---------------------------------------------------------------------

  /** Registers a trainable Variable (or null: a declared, absent parameter) under `name`. */
  registerParameter(name: string, param: Variable | null): void {
    checkName(`${this.moduleName()}.registerParameter`, name);
    if (param !== null && !(param instanceof Variable)) {
      throw new Error(`${this.moduleName()}.registerParameter('${name}'): expected a Variable (fe.variable(tensor)) or null`);
    }
    this.#parameters.set(name, param);
  }

  /**
   * Registers a buffer: state that is saved in stateDict() but not trained (persistent =
   * false leaves it out of stateDict). A tensor that is not a Variable is copied into a
   * non-trainable Variable, which is what the module then holds.
   */
  registerBuffer(name: string, tensor: Tensor | null, persistent = true): Variable | null {
    checkName(`${this.moduleName()}.registerBuffer`, name);
    let v: Variable | null = null;
    if (tensor instanceof Variable) v = tensor;
    else if (tensor instanceof Tensor) {
      v = variable(tensor, false, name);
    } else if (tensor !== null) {
      throw new Error(`${this.moduleName()}.registerBuffer('${name}'): expected a tensor or null`);
    }
    this.#buffers.set(name, v);
    if (persistent) this.#nonPersistent.delete(name);
    else this.#nonPersistent.add(name);
    return v;
  }

  /** Registers a submodule (PyTorch's add_module). */
  registerModule(name: string, module: Module | null): void {
    checkName(`${this.moduleName()}.registerModule`, name);
    if (module !== null && !(module instanceof Module)) {
      throw new Error(`${this.moduleName()}.registerModule('${name}'): expected a Module or null`);
    }
    this.#modules.set(name, module);
  }

  /** PyTorch's name for registerModule. */
  addModule(name: string, module: Module | null): void {
    this.registerModule(name, module);
  }

  /** A registered buffer by name (built-in modules' running statistics). */
  protected buffer(name: string): Variable | null {
    return this.#buffers.get(name) ?? null;
  }

  /** Registered submodules by name, in order (containers use these). */
  protected registeredModules(): Map<string, Module | null> {
    return this.#modules;
  }

  /** This module's own parameters, buffers and submodules: registered first, then fields. */
  #own(): OwnEntries {
    const out: OwnEntries = { parameters: [], buffers: [], modules: [] };
    for (const [k, v] of this.#parameters) if (v) out.parameters.push([k, v]);
    for (const [k, v] of this.#buffers) if (v) out.buffers.push([k, v]);
    for (const [k, v] of this.#modules) if (v) out.modules.push([k, v]);
    const visit = (name: string, v: unknown, depth: number) => {
      if (v instanceof Module) out.modules.push([name, v]);
      else if (v instanceof Variable) (v.trainable ? out.parameters : out.buffers).push([name, v]);
      else if (v instanceof Layer) {
        const trainable = new Set(v.trainableWeights.map((w) => w.id));
        const names = layerWeightNames(v);
        v.weights.forEach((w, i) => (trainable.has(w.id) ? out.parameters : out.buffers).push([`${name}.${names[i]}`, w]));
      } else if (Array.isArray(v) && depth < 4) v.forEach((x, i) => visit(`${name}.${i}`, x, depth + 1));
    };
    for (const [k, v] of Object.entries(this)) visit(k, v, 0);
    return out;
  }

  // ---- traversal --------------------------------------------------------------------------

  /** [name, module] for this module ('' or `prefix`) and every submodule, each once, pre-order. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const walk = (m: Module, name: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [k, c] of m.#own().modules) walk(c, name ? `${name}.${k}` : k);
    };
    walk(this, prefix);
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** [name, module] for the direct submodules, each once. */
  namedChildren(): [string, Module][] {
    const seen = new Set<Module>();
    return this.#own().modules.filter(([, m]) => (seen.has(m) ? false : (seen.add(m), true)));
  }

  /** The direct submodules. */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** [name, parameter] for every trainable Variable of this module and its submodules, once each. */
  namedParameters(prefix = '', recurse = true): [string, Variable][] {
    return this.#namedState('parameters', prefix, recurse);
  }

  /** The trainable parameters, for an optimizer: fe.optim.adam(model.parameters(), { lr }). */
  parameters(recurse = true): Variable[] {
    return this.namedParameters('', recurse).map(([, p]) => p);
  }

  /** [name, buffer] for every buffer (running statistics, …) of this module and its submodules. */
  namedBuffers(prefix = '', recurse = true): [string, Variable][] {
    return this.#namedState('buffers', prefix, recurse);
  }

  buffers(recurse = true): Variable[] {
    return this.namedBuffers('', recurse).map(([, b]) => b);
  }

  #namedState(kind: 'parameters' | 'buffers', prefix: string, recurse: boolean): [string, Variable][] {
    const out: [string, Variable][] = [];
    const seen = new Set<number>();
    const mods: [string, Module][] = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [path, m] of mods) {
      for (const [k, v] of m.#own()[kind]) {
        if (seen.has(v.id)) continue;
        seen.add(v.id);
        out.push([path ? `${path}.${k}` : k, v]);
      }
    }
    return out;
  }

  /** The submodule at a dotted path ('features.0'); '' is this module. */
  getSubmodule(target: string): Module {
    if (target === '') return this;
    let m: Module = this;
    for (const part of target.split('.')) {
      const next = m.#own().modules.find(([k]) => k === part);
      if (!next) throw new Error(`${this.moduleName()}.getSubmodule: ${m.moduleName()} has no submodule '${part}' (looking for '${target}')`);
      m = next[1];
    }
    return m;
  }

  /** Calls fn on every submodule and then on this module (PyTorch's apply, children first). */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  // ---- modes and gradients ----------------------------------------------------------------

  /** Training mode (dropout active, batch norm on batch statistics) for this module and every submodule. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Inference mode for the whole tree: train(false). */
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

  /** Turns gradient recording on or off for every parameter (freezing a part of a model). */
  requiresGrad(flag = true): this {
    for (const p of this.parameters()) p.requiresGrad = flag;
    return this;
  }

  /** Number of trainable parameters. */
  countParams(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  // ---- state dict -------------------------------------------------------------------------

  /**
   * [name, tensor] for everything stateDict() holds: each module's parameters, then its
   * persistent buffers, then its submodules' (a shared submodule or weight appears under
   * every name that reaches it, as PyTorch).
   */
  #stateEntries(): [string, Variable][] {
    const out: [string, Variable][] = [];
    const path = new Set<Module>();
    const walk = (m: Module, prefix: string) => {
      if (path.has(m)) return; // a module that contains itself: stop, as there is nothing new below
      path.add(m);
      const own = m.#own();
      for (const [k, v] of own.parameters) out.push([prefix + k, v]);
      for (const [k, v] of own.buffers) if (!m.#nonPersistent.has(k)) out.push([prefix + k, v]);
      for (const [k, c] of own.modules) walk(c, `${prefix}${k}.`);
      path.delete(m);
    };
    walk(this, '');
    // One name, one tensor: a field and a registration under the same name would collide.
    const byName = new Map<string, Variable>();
    for (const [k, v] of out) {
      const prev = byName.get(k);
      if (prev && prev !== v) throw new Error(`${this.moduleName()}: two different tensors are named '${k}' (a field and a registered name?)`);
      byName.set(k, v);
    }
    const seen = new Set<string>();
    return out.filter(([k]) => (seen.has(k) ? false : (seen.add(k), true)));
  }

  /**
   * Copies of every parameter and persistent buffer, by dotted name ('conv1.weight',
   * 'bn.running_mean'), in PyTorch's order. The copies are the caller's: dispose them when done
   * (or call this inside fe.tidy and keep what you save).
   */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [k, v] of this.#stateEntries()) out[k] = clone(v);
    return out;
  }

  /**
   * Copies values by name into this module's parameters and buffers. With strict (default) a
   * missing or unexpected name throws; without, they are returned. A shape that differs
   * always throws. Everything is checked before anything is copied: a failed load changes
   * nothing. Accepts a Map too.
   */
  loadStateDict(dict: StateDict | Map<string, Tensor>, strict = true): LoadStateDictResult {
    const entries = dict instanceof Map ? [...dict] : Object.entries(dict);
    const given = new Map<string, Tensor>(entries);
    const own = this.#stateEntries();
    const ownNames = new Set(own.map(([k]) => k));
    const missingKeys = own.map(([k]) => k).filter((k) => !given.has(k));
    const unexpectedKeys = [...given.keys()].filter((k) => !ownNames.has(k));
    const errors: string[] = [];
    if (strict && missingKeys.length) errors.push(`Missing key(s): ${missingKeys.map((k) => `'${k}'`).join(', ')}.`);
    if (strict && unexpectedKeys.length) errors.push(`Unexpected key(s): ${unexpectedKeys.map((k) => `'${k}'`).join(', ')}.`);
    for (const [k, v] of own) {
      const t = given.get(k);
      if (t === undefined) continue;
      if (!(t instanceof Tensor)) errors.push(`'${k}' is not a tensor.`);
      else if (t.isDisposed) errors.push(`'${k}' is disposed.`);
      else if (t.rank !== v.rank || t.shape.some((d, i) => d !== v.shape[i])) {
        errors.push(`size mismatch for '${k}': the dict has shape ${fmt(t.shape)}, the module's is ${fmt(v.shape)}.`);
      }
    }
    if (errors.length) {
      throw new Error(`${this.moduleName()}.loadStateDict: ${errors.join(' ')}`);
    }
    for (const [k, v] of own) {
      const t = given.get(k);
      if (t === undefined) continue;
      if (t.dtype === v.dtype) v.assign(t);
      else {
        const c = cast(t, v.dtype);
        v.assign(c);
        c.dispose();
      }
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Frees every parameter and buffer of this module and its submodules. */
  dispose(): void {
    for (const [, v] of this.#stateEntries()) v.dispose();
    for (const [, v] of this.namedBuffers()) v.dispose();
  }

  // ---- printing -----------------------------------------------------------------------------

  /** The module's class name (explicit on the built-in modules, so bundlers cannot rename it). */
  moduleName(): string {
    const ctor = this.constructor as { moduleName?: string; name: string };
    return Object.prototype.hasOwnProperty.call(ctor, 'moduleName') && ctor.moduleName ? ctor.moduleName : ctor.name;
  }

  /** The arguments shown after the class name (PyTorch's extra_repr). */
  extraRepr(): string {
    return '';
  }

  /** One line: 'Conv2d(3, 16, kernelSize=[3, 3], …)'; error messages name modules this way. */
  describe(): string {
    return `${this.moduleName()}(${this.extraRepr()})`;
  }

  /** The tree, as PyTorch prints a module. */
  toString(): string {
    const kids = this.namedChildren();
    if (!kids.length) return this.describe();
    const lines = kids.map(([k, m]) => `  (${k}): ${m.toString().split('\n').join('\n  ')}`);
    const extra = this.extraRepr();
    return `${this.moduleName()}(${extra ? `\n  ${extra}` : ''}\n${lines.join('\n')}\n)`;
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
