/** Stages that read several iterators: repeat and concatenate (one after another), and zip (side by side). */
import { disposeElement, isContainer } from './element';
import { END, LazyIterator } from './lazy-iterator';

/**
 * The elements of iterators opened one after another by `open(k)` (k = 0, 1, …) until
 * `count` have been read (Infinity: without end). An iterator that ends before giving any
 * element ends the whole stream: repeating an empty dataset gives nothing rather than hanging.
 */
export class SequenceIterator<T> extends LazyIterator<T> {
  private current: LazyIterator<T> | null = null;
  private opened = 0;
  private gaveAny = false;

  constructor(private readonly open: (k: number) => Promise<LazyIterator<T>>, private readonly count: number) {
    super();
  }

  protected async serialNext(): Promise<IteratorResult<T, undefined>> {
    for (;;) {
      if (!this.current) {
        if (this.opened >= this.count) return END;
        this.current = await this.open(this.opened++);
        this.gaveAny = false;
      }
      const r = await this.current.next();
      if (!r.done) {
        this.gaveAny = true;
        return r;
      }
      await this.current.return();
      this.current = null;
      if (!this.gaveAny && this.count === Infinity) return END;
    }
  }

  protected override async release(): Promise<void> {
    await this.current?.return();
    this.current = null;
  }
}

/** A nested array / object whose leaves are iterators, or the leaves' values. */
export type Structure<L> = L | Structure<L>[] | { [key: string]: Structure<L> };

function leaves<L>(s: Structure<L>, isLeaf: (x: unknown) => x is L, out: L[] = []): L[] {
  if (isLeaf(s)) out.push(s);
  else if (isContainer(s)) for (const v of Object.values(s)) leaves(v as Structure<L>, isLeaf, out);
  return out;
}

function rebuild<L>(s: Structure<L>, isLeaf: (x: unknown) => x is L, values: Map<L, unknown>): unknown {
  if (isLeaf(s)) return values.get(s);
  if (Array.isArray(s)) return s.map((v) => rebuild(v, isLeaf, values));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s as Record<string, Structure<L>>)) out[k] = rebuild(v, isLeaf, values);
  return out;
}

const isIterator = (x: unknown): x is LazyIterator<unknown> => x instanceof LazyIterator;

/** zip: one element from every iterator, in the structure given; ends with the shortest. */
export class ZipIterator extends LazyIterator<unknown> {
  private readonly all: LazyIterator<unknown>[];

  constructor(private readonly structure: Structure<LazyIterator<unknown>>) {
    super();
    this.all = leaves(structure, isIterator);
  }

  protected async serialNext(): Promise<IteratorResult<unknown, undefined>> {
    const settled = await Promise.allSettled(this.all.map((it) => it.next()));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    const results = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    if (failed) {
      results.forEach((r) => {
        if (!r.done) disposeElement(r.value);
      });
      throw failed.reason;
    }
    if (results.some((r) => r.done)) {
      // The shortest ended: what the others gave for this position is dropped, and freed.
      results.forEach((r) => {
        if (!r.done) disposeElement(r.value);
      });
      return END;
    }
    const values = new Map<LazyIterator<unknown>, unknown>();
    this.all.forEach((it, i) => values.set(it, results[i].value));
    return { value: rebuild(this.structure, isIterator, values), done: false };
  }

  protected override async release(): Promise<void> {
    await Promise.all(this.all.map((it) => it.return()));
  }
}
