/**
 * The engine: which backend runs, the tidy scopes that free intermediate tensors, the
 * gradient-recording switch and the live-tensor bookkeeping behind `fe.memory()`.
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

class Engine {
  backend: Backend | null = null;
  /** Bumped on every backend change so tensors can tell they must move their data. */
  generation = 0;
  scopes: Scope[] = [];
  gradEnabled = true;
  liveTensors = 0;
  nextId = 1;
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

  /** Disposes everything the scope created except `keep` (which moves to the parent scope). */
  endScope(scope: Scope, keep: Set<number>): void {
    const top = this.scopes.pop();
    if (top !== scope) throw new Error('ferrite: tidy scopes ended out of order');
    const parent = this.scopes[this.scopes.length - 1];
    for (const t of scope.tracked) {
      if (t.isDisposed) continue;
      if (keep.has(t.id) || t.keepAlive) {
        if (parent) parent.tracked.push(t);
      } else {
        t.dispose();
      }
    }
  }
}

export const ENGINE = new Engine();
