/**
 * The one-input stages of a pipeline: array source, map, filter, take, skip, batch. Memory as
 * TensorFlow.js: a stage frees the tensors of an input element it does not pass on.
 */
import { tidy, type TensorContainer } from '../../runtime';
import { batchElements } from './batch-elements';
import { cloneElement, disposeConsumed, disposeElement, type DataElement } from './element';
import { END, LazyIterator, OneUpstream } from './lazy-iterator';

/** The items of an array, each a fresh copy whose tensors are clones (the caller's stay untouched). */
export class ArrayIterator<T> extends LazyIterator<T> {
  private at = 0;
  constructor(private readonly items: readonly T[]) {
    super();
  }

  protected async serialNext(): Promise<IteratorResult<T, undefined>> {
    if (this.at >= this.items.length) return END;
    return { value: cloneElement(this.items[this.at++]), done: false };
  }
}

/** map: the transform runs inside tidy (its intermediate tensors are freed). */
export class MapIterator<I, O> extends OneUpstream<I, O> {
  constructor(upstream: LazyIterator<I>, private readonly transform: (x: I) => O) {
    super(upstream);
  }

  protected async serialNext(): Promise<IteratorResult<O, undefined>> {
    const r = await this.upstream.next();
    if (r.done) return END;
    let mapped: O;
    try {
      mapped = tidy(() => this.transform(r.value) as TensorContainer) as O;
    } catch (e) {
      disposeElement(r.value);
      throw e;
    }
    disposeConsumed(r.value, mapped);
    return { value: mapped, done: false };
  }
}

/** mapAsync: the transform may await; it frees its own intermediates (no tidy across awaits). */
export class AsyncMapIterator<I, O> extends OneUpstream<I, O> {
  constructor(upstream: LazyIterator<I>, private readonly transform: (x: I) => Promise<O>) {
    super(upstream);
  }

  protected async serialNext(): Promise<IteratorResult<O, undefined>> {
    const r = await this.upstream.next();
    if (r.done) return END;
    let mapped: O;
    try {
      mapped = await this.transform(r.value);
    } catch (e) {
      disposeElement(r.value);
      throw e;
    }
    disposeConsumed(r.value, mapped);
    return { value: mapped, done: false };
  }
}

/** filter: elements the predicate rejects are freed. */
export class FilterIterator<T> extends OneUpstream<T, T> {
  constructor(upstream: LazyIterator<T>, private readonly predicate: (x: T) => boolean) {
    super(upstream);
  }

  protected async serialNext(): Promise<IteratorResult<T, undefined>> {
    for (;;) {
      const r = await this.upstream.next();
      if (r.done) return END;
      let keep: boolean;
      try {
        keep = tidy(() => this.predicate(r.value)) as boolean;
      } catch (e) {
        disposeElement(r.value);
        throw e;
      }
      if (keep) return r;
      disposeElement(r.value);
    }
  }
}

/** take: at most `count` elements; reaching the count closes the upstream. */
export class TakeIterator<T> extends OneUpstream<T, T> {
  private taken = 0;
  constructor(upstream: LazyIterator<T>, private readonly count: number) {
    super(upstream);
  }

  protected async serialNext(): Promise<IteratorResult<T, undefined>> {
    if (this.taken >= this.count) {
      await this.upstream.return();
      return END;
    }
    this.taken++;
    return this.upstream.next();
  }
}

/** skip: the first `count` elements are read and freed. */
export class SkipIterator<T> extends OneUpstream<T, T> {
  private skipped = 0;
  constructor(upstream: LazyIterator<T>, private readonly count: number) {
    super(upstream);
  }

  protected async serialNext(): Promise<IteratorResult<T, undefined>> {
    while (this.skipped < this.count) {
      const r = await this.upstream.next();
      if (r.done) return END;
      this.skipped++;
      disposeElement(r.value);
    }
    return this.upstream.next();
  }
}

/** batch: `size` elements stacked column by column; the elements' own tensors are freed. */
export class BatchIterator extends OneUpstream<DataElement, DataElement> {
  constructor(upstream: LazyIterator<DataElement>, private readonly size: number, private readonly smallLastBatch: boolean) {
    super(upstream);
  }

  protected async serialNext(): Promise<IteratorResult<DataElement, undefined>> {
    const rows: DataElement[] = [];
    try {
      while (rows.length < this.size) {
        const r = await this.upstream.next();
        if (r.done) break;
        rows.push(r.value);
      }
      if (rows.length === 0 || (rows.length < this.size && !this.smallLastBatch)) return END;
      return { value: batchElements(rows), done: false };
    } finally {
      rows.forEach(disposeElement);
    }
  }
}
