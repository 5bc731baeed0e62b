/**
 * The engine: which backend runs, the tidy scopes that free intermediate tensors, the
 * gradient-recording switch, the gradient tapes of fe.grads / optimizer.minimize, the
 * registry of variables and the live-tensor bookkeeping behind `fe.memory()`.
 */
import type { Backend, Storage } from './backend/backend';

/** Anything the engine tracks for disposal: tensors. */
export interface Disposable {
  readonly id: number;
  readonly isDisposed: boolean;
  /** Variables and kept tensors survive the end of a tidy scope. */
  readonly keepAlive: boolean;
  dispose(): void;
}

interface Scope {
  tracked: Disposable[];
}

/**
 * While a function is being differentiated (fe.grads, fe.variableGrads, minimize, …), the
 * gradient closures recorded on the way may still read tensors that a `tidy` inside that
 * function would free. A tape collects those tensors instead, and frees them once the
 * gradients are taken, as TensorFlow.js keeps what its tape still needs.
 */
export interface Tape {
  /** True while the differentiated function runs; false once its gradients are taken. */
  recording: boolean;
  /** Tensors created while recording with gradients enabled (the ones closures can hold). */
  created: Set<number>;
  /** Tensors a scope ended while recording would have freed: freed by `endTape`. */
  deferred: Disposable[];
}

/** What the variable registry needs of a variable. */
export interface RegisteredVariable extends Disposable {
  readonly name?: string;
  trainable: boolean;
}

class Engine {
  backend: Backend | null = null;
  /** Bumped on every backend change so tensors can tell they must move their data. */
  generation = 0;
  scopes: Scope[] = [];
  tapes: Tape[] = [];
  gradEnabled = true;
  liveTensors = 0;
  nextId = 1;
  /** Live variables, weakly held (fe.variableGrads and minimize default to the trainable ones). */
  private variables = new Map<number, WeakRef<RegisteredVariable>>();
  /** Storages whose tensor became unreachable without dispose(): freed by the GC net. */
  private registry =
    typeof FinalizationRegistry !== 'undefined'
      ? new FinalizationRegistry<{ backend: Backend; storage: Storage; generation: number }>((held) => {
          this.liveTensors--;
          if (held.backend === this.backend || held.generation === this.generation) {
            try { held.backend.free(held.storage); } catch { /* already freed */ }
          }
        })
      : null;

  get(): Backend {
    if (!this.backend) {
      throw new Error(
        "ferrite: no backend is ready — call `await fe.ready()` first (or `await fe.setBackend('js')`).",
      );
    }
    return this.backend;
  }

  track(t: Disposable, storage: Storage, backend: Backend, owner: object): void {
    this.liveTensors++;
    this.registry?.register(owner, { backend, storage, generation: this.generation }, owner);
    const scope = this.scopes[this.scopes.length - 1];
    if (scope) scope.tracked.push(t);
    const tape = this.tapes[this.tapes.length - 1];
    if (tape?.recording && this.gradEnabled) tape.created.add(t.id);
  }

  untrack(owner: object): void {
    this.liveTensors--;
    this.registry?.unregister(owner);
  }

  startScope(): Scope {
    const s: Scope = { tracked: [] };
    this.scopes.push(s);
    return s;
  }

  /**
   * Disposes everything the scope created except `keep` (which moves to the parent scope).
   * A tensor a recording tape may still need goes to that tape instead.
   */
  endScope(scope: Scope, keep: Set<number>): void {
    const top = this.scopes.pop();
    if (top !== scope) throw new Error('ferrite: tidy scopes ended out of order');
    const parent = this.scopes[this.scopes.length - 1];
    for (const t of scope.tracked) {
      if (t.isDisposed) continue;
      if (keep.has(t.id) || t.keepAlive) {
        if (parent) parent.tracked.push(t);
      } else {
        const tape = this.tapeHolding(t.id);
        if (tape) tape.deferred.push(t);
        else t.dispose();
      }
    }
  }

  private tapeHolding(id: number): Tape | null {
    for (let i = this.tapes.length - 1; i >= 0; i--) {
      const tape = this.tapes[i];
      if (tape.recording && tape.created.has(id)) return tape;
    }
    return null;
  }

  /** Starts recording a gradient tape (see Tape). */
  startTape(): Tape {
    const tape: Tape = { recording: true, created: new Set(), deferred: [] };
    this.tapes.push(tape);
    return tape;
  }

  /** Ends a tape: frees the tensors it held, except `keep`. */
  endTape(tape: Tape, keep: Set<number>): void {
    const i = this.tapes.lastIndexOf(tape);
    if (i >= 0) this.tapes.splice(i, 1);
    tape.recording = false;
    for (const t of tape.deferred) if (!t.isDisposed && !keep.has(t.id)) t.dispose();
    tape.deferred = [];
    tape.created.clear();
  }

  registerVariable(v: RegisteredVariable): void {
    this.variables.set(v.id, new WeakRef(v));
  }

  unregisterVariable(v: RegisteredVariable): void {
    this.variables.delete(v.id);
  }

  /** Live variables, oldest first. */
  liveVariables(): RegisteredVariable[] {
    const out: RegisteredVariable[] = [];
    for (const [id, ref] of this.variables) {
      const v = ref.deref();
      if (!v || v.isDisposed) this.variables.delete(id);
      else out.push(v);
    }
    return out;
  }
}

export const ENGINE = new Engine();
