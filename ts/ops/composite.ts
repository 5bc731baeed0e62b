/**
 * Ops written as compositions of other ops. `composite(fn)` runs fn in a scope of its own:
 * when no result carries a gradient record every intermediate is freed at once; when one
 * does, the intermediates stay (the recorded gradient closures read them) and belong to the
 * caller's scope, as the intermediates of any recorded computation do.
 */
import { ENGINE } from '../engine';
import { Tensor } from '../tensor';

type Result = Tensor | Tensor[] | { [k: string]: Tensor };

function tensorsOf(r: Result): Tensor[] {
  if (r instanceof Tensor) return [r];
  if (Array.isArray(r)) return r;
  return Object.values(r);
}

export function composite<T extends Result>(fn: () => T): T {
  const scope = ENGINE.startScope();
  let out: T;
  try {
    out = fn();
  } catch (e) {
    ENGINE.endScope(scope, new Set());
    throw e;
  }
  const results = tensorsOf(out);
  const keep = new Set<number>(results.map((t) => t.id));
  if (results.some((t) => t.gradFn)) for (const t of scope.tracked) keep.add(t.id);
  ENGINE.endScope(scope, keep);
  return out;
}
