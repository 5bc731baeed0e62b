/**
 * The asynchronous iterator a dataset hands out (`await ds.iterator()`), as TensorFlow.js'
 * LazyIterator: `next()` resolves to `{ value, done }`. Calls run one after another even
 * when a caller (prefetch) issues several at once, so elements come out in order. Once an
 * iterator has said `done` it stays done without asking its source again. It is also an
 * async iterable (`for await (const x of it)`); leaving such a loop early, or `return()`,
 * closes it: open files are closed and elements buffered by shuffle / prefetch are freed.
 */
import { disposeConsumed, disposeElement } from './element';

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

export abstract class LazyIterator<T> implements AsyncIterableIterator<T> {
  private lastRead: Promise<unknown> = Promise.resolve();
  private finished = false;
  private released = false;

  /** The next element, or `{ done: true }` at the end. */
  next(): Promise<IteratorResult<T, undefined>> {
    const run = async (): Promise<IteratorResult<T, undefined>> => {
      if (this.finished) return DONE;
      const r = await this.serialNext();
      if (r.done) this.finished = true;
      return r;
    };
    const p = this.lastRead.then(run, run);
    this.lastRead = p.catch(() => undefined);
    return p;
  }

  /** Produces the next element; calls never overlap. */
  protected abstract serialNext(): Promise<IteratorResult<T, undefined>>;

  /** Ends the iteration early: releases sources and buffered elements. */
  async return(): Promise<IteratorResult<T, undefined>> {
    this.finished = true;
    await this.lastRead;
    if (!this.released) {
      this.released = true;
      await this.release();
    }
    return DONE;
  }

  /** Frees what this stage holds (overridden by stages with sources or buffers). */
  protected async release(): Promise<void> {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * Every remaining element, in order (only for streams that end and fit in memory). If the
   * stream fails, the elements already read are freed before the error is passed on.
   */
  async toArray(): Promise<T[]> {
    const out: T[] = [];
    try {
      for (let r = await this.next(); !r.done; r = await this.next()) out.push(r.value);
    } catch (e) {
      out.forEach(disposeElement);
      throw e;
    }
    return out;
  }

  /**
   * Calls f on every remaining element, awaiting it if it returns a promise. As in
   * TensorFlow.js, each element's tensors are freed after f unless f returns them.
   */
  async forEachAsync(f: (value: T) => unknown): Promise<void> {
    for (let r = await this.next(); !r.done; r = await this.next()) {
      let result: unknown;
      try {
        result = await f(r.value);
      } finally {
        disposeConsumed(r.value, result);
      }
    }
  }
}

export const END: IteratorReturnResult<undefined> = DONE;

/** An iterator over the values of a function called once per element. */
export class FunctionIterator<T> extends LazyIterator<T> {
  constructor(
    private readonly fn: () => IteratorResult<T, unknown> | Promise<IteratorResult<T, unknown>>,
    private readonly onRelease?: () => unknown,
  ) {
    super();
  }

  protected async serialNext(): Promise<IteratorResult<T, undefined>> {
    const r = await this.fn();
    if (r === null || typeof r !== 'object' || !('done' in r || 'value' in r)) {
      throw new Error(`dataset: a generator's next() must return { value, done }, got ${String(r)}`);
    }
    return r.done ? END : { value: r.value, done: false };
  }

  protected override async release(): Promise<void> {
    await this.onRelease?.();
  }
}

/** One stage on top of another: closing it closes the upstream too. */
export abstract class OneUpstream<I, O> extends LazyIterator<O> {
  constructor(protected readonly upstream: LazyIterator<I>) {
    super();
  }

  protected override async release(): Promise<void> {
    await this.upstream.return();
  }
}
