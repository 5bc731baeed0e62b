/**
 * Containers: nn.Sequential (children '0', '1', … or the names of an object, each child's
 * output the next one's input) and nn.ModuleList (modules held by index, no forward).
 */
import { Module } from './module';

function asModule(who: string, m: unknown, at: string): Module {
  if (!(m instanceof Module)) throw new Error(`${who}: ${at} is not a Module (got ${m === null ? 'null' : typeof m})`);
  return m;
}

/** The shared, index-based part of Sequential and ModuleList. */
abstract class IndexedModules extends Module implements Iterable<Module> {
  protected list(): Module[] {
    return [...this.registeredModules().values()].filter((m): m is Module => m !== null);
  }

  get length(): number {
    return this.list().length;
  }

  /** The module at index i (negative counts from the end). */
  at(i: number): Module {
    const list = this.list();
    const j = i < 0 ? i + list.length : i;
    if (!Number.isInteger(i) || j < 0 || j >= list.length) throw new Error(`${this.moduleName()}: index ${i} is out of range for ${list.length} modules`);
    return list[j];
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.list()[Symbol.iterator]();
  }

  /** Adds a module at the end (named by its index). */
  append(module: Module): this {
    this.registerModule(String(this.registeredModules().size), asModule(this.moduleName(), module, 'append()'));
    return this;
  }

  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }
}

/**
 * nn.Sequential(...modules) or nn.Sequential({ name: module, … }): forward(x) runs each in
 * turn, passing each one's output to the next.
 */
export class Sequential extends IndexedModules {
  static readonly moduleName = 'Sequential';

  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    const first = modules[0];
    if (modules.length === 1 && first !== null && typeof first === 'object' && !(first instanceof Module)) {
      for (const [k, m] of Object.entries(first as Record<string, Module>)) this.registerModule(k, asModule('Sequential', m, `'${k}'`));
    } else {
      (modules as Module[]).forEach((m, i) => this.registerModule(String(i), asModule('Sequential', m, `argument ${i}`)));
    }
  }

  /** A child by name (named Sequential) or by index. */
  get(key: string | number): Module {
    if (typeof key === 'number') return this.at(key);
    const m = this.registeredModules().get(key);
    if (!m) throw new Error(`Sequential: no module named '${key}' (have ${[...this.registeredModules().keys()].map((k) => `'${k}'`).join(', ')})`);
    return m;
  }

  forward(x: unknown): unknown {
    let y = x;
    for (const [k, m] of this.registeredModules()) {
      if (!m) continue;
      try {
        y = (m.forward as (v: unknown) => unknown)(y);
      } catch (e) {
        // Say where in the chain it failed; the module's own message follows.
        const err = e instanceof Error ? e : new Error(String(e));
        err.message = `Sequential[${k}]: ${err.message}`;
        throw err;
      }
    }
    return y;
  }
}

/** nn.ModuleList(modules): registered by index, iterable; has no forward of its own. */
export class ModuleList extends IndexedModules {
  static readonly moduleName = 'ModuleList';

  constructor(modules: Iterable<Module> = []) {
    super();
    this.extend(modules);
  }

  /** Inserts a module before index i. */
  insert(i: number, module: Module): this {
    const list = this.list();
    const j = i < 0 ? i + list.length : i;
    if (!Number.isInteger(i) || j < 0 || j > list.length) throw new Error(`ModuleList: insert index ${i} is out of range for ${list.length} modules`);
    list.splice(j, 0, asModule('ModuleList', module, 'insert()'));
    this.registeredModules().clear();
    list.forEach((m, k) => this.registerModule(String(k), m));
    return this;
  }

  forward(): never {
    throw new Error('ModuleList has no forward(): iterate over it (for (const m of list)) and call each module');
  }
}
