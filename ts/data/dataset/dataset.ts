/**
 * fe.data.Dataset: a lazy, re-iterable pipeline of elements, with TensorFlow.js' methods,
 * argument checks and `size` rules. Each `iterator()` call starts the pipeline afresh.
 */
import { rngFor } from '../../ops/random';
import { alea } from './alea';
import { PrefetchIterator, ShuffleIterator } from './buffered';
import { SequenceIterator, ZipIterator, type Structure } from './combine';
import { describeValue, isContainer, type DataElement } from './element';
import { FunctionIterator, LazyIterator } from './lazy-iterator';
import {
  ArrayIterator, AsyncMapIterator, BatchIterator, FilterIterator, MapIterator, SkipIterator, TakeIterator,
} from './transforms';

function checkCount(method: string, name: string, n: unknown, { min = 0, optional = false } = {}): void {
  if (n === undefined && optional) return;
  if (typeof n !== 'number' || !(Number.isInteger(n) || (optional && n === Infinity)) || n < min) {
    throw new RangeError(`Dataset.${method}: ${name} must be ${min > 0 ? 'a positive' : 'an'} integer${min === 0 ? ' ≥ 0' : ''}, got ${describeValue(n)}`);
  }
}

function checkFunction(method: string, f: unknown): void {
  if (typeof f !== 'function') throw new TypeError(`Dataset.${method}: expected a function, got ${describeValue(f)}`);
}

export abstract class Dataset<T = DataElement> implements AsyncIterable<T> {
  /**
   * The number of elements when it is known: a count, Infinity for an endless dataset, or
   * null when it is only found by iterating (generators, CSV files, filter).
   */
  size: number | null = null;

  /** A fresh iterator over the elements. */
  abstract iterator(): Promise<LazyIterator<T>>;

  /** `for await (const x of ds)`; leaving the loop early closes the iterator. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    const it = await this.iterator();
    try {
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    } finally {
      await it.return();
    }
  }

  /**
   * Groups `batchSize` consecutive elements into one, stacking their leaves into tensors with
   * a new first axis (see batch-elements.ts). The last batch may be smaller unless
   * `smallLastBatch` is false, which drops it.
   */
  batch(batchSize: number, smallLastBatch = true): Dataset<DataElement> {
    checkCount('batch', 'batchSize', batchSize, { min: 1 });
    if (typeof smallLastBatch !== 'boolean') {
      throw new TypeError(`Dataset.batch: smallLastBatch must be a boolean, got ${describeValue(smallLastBatch)}`);
    }
    const base = this;
    let size: number | null;
    if (this.size === null || this.size === Infinity) size = this.size;
    else size = smallLastBatch ? Math.ceil(this.size / batchSize) : Math.floor(this.size / batchSize);
    return datasetFromIteratorFn(
      async () => new BatchIterator((await base.iterator()) as LazyIterator<DataElement>, batchSize, smallLastBatch),
      size,
    );
  }

  /** This dataset's elements, then `dataset`'s. */
  concatenate(dataset: Dataset<T>): Dataset<T> {
    if (!(dataset instanceof Dataset)) throw new TypeError(`Dataset.concatenate: expected a dataset, got ${describeValue(dataset)}`);
    const base = this;
    let size: number | null;
    if (this.size === Infinity || dataset.size === Infinity) size = Infinity;
    else if (this.size !== null && dataset.size !== null) size = this.size + dataset.size;
    else size = null;
    const parts = [base, dataset];
    return datasetFromIteratorFn(async () => new SequenceIterator<T>((k) => parts[k].iterator(), 2), size);
  }

  /** The elements for which `predicate` is true (run inside tidy); the others are freed. */
  filter(predicate: (value: T) => boolean): Dataset<T> {
    checkFunction('filter', predicate);
    const base = this;
    return datasetFromIteratorFn(
      async () => new FilterIterator(await base.iterator(), predicate),
      this.size === Infinity ? Infinity : null,
    );
  }

  /** Calls f on every element (awaiting it); each element's tensors are freed afterwards unless f returns them. */
  async forEachAsync(f: (value: T) => unknown): Promise<void> {
    checkFunction('forEachAsync', f);
    const it = await this.iterator();
    try {
      await it.forEachAsync(f);
    } finally {
      await it.return();
    }
  }

  /**
   * Applies `transform` to every element, inside tidy: tensors it creates and does not return
   * are freed, and so are the input's tensors it does not pass on.
   */
  map<O>(transform: (value: T) => O): Dataset<O> {
    checkFunction('map', transform);
    const base = this;
    return datasetFromIteratorFn(async () => new MapIterator(await base.iterator(), transform), this.size);
  }

  /** map with an async transform (no tidy across its awaits: it frees its own intermediates). */
  mapAsync<O>(transform: (value: T) => Promise<O>): Dataset<O> {
    checkFunction('mapAsync', transform);
    const base = this;
    return datasetFromIteratorFn(async () => new AsyncMapIterator(await base.iterator(), transform), this.size);
  }

  /** Keeps up to `bufferSize` elements being produced ahead of the consumer. */
  prefetch(bufferSize: number): Dataset<T> {
    checkCount('prefetch', 'bufferSize', bufferSize, { min: 1 });
    const base = this;
    return datasetFromIteratorFn(async () => new PrefetchIterator(await base.iterator(), bufferSize), this.size);
  }

  /** The elements `count` times over (undefined or negative: without end). */
  repeat(count?: number): Dataset<T> {
    if (count !== undefined && (typeof count !== 'number' || !(Number.isInteger(count) || count === Infinity))) {
      throw new RangeError(`Dataset.repeat: count must be an integer (or undefined for without end), got ${describeValue(count)}`);
    }
    const times = count === undefined || count < 0 ? Infinity : count;
    const base = this;
    let size: number | null;
    if (times === 0) size = 0;
    else if (this.size !== null) size = this.size === 0 ? 0 : this.size * times;
    else size = null;
    return datasetFromIteratorFn(async () => new SequenceIterator<T>(() => base.iterator(), times), size);
  }

  /** All but the first `count` elements (undefined or negative: none, as TensorFlow.js documents). */
  skip(count?: number): Dataset<T> {
    if (count !== undefined) checkCount('skip', 'count', count < 0 ? 0 : count, { optional: true });
    const n = count === undefined || count < 0 ? Infinity : count;
    const base = this;
    let size: number | null;
    if (n === Infinity) size = 0;
    else if (this.size === null) size = null;
    else size = this.size === Infinity ? Infinity : Math.max(0, this.size - n);
    return datasetFromIteratorFn(async () => new SkipIterator(await base.iterator(), n), size);
  }

  /**
   * Shuffles with a sliding window of `bufferSize` elements (the whole dataset when bufferSize ≥
   * its size). `seed` (a number or string) makes the order reproducible — the same order as
   * TensorFlow.js with that seed; without one, the seed comes from fe.setRandomSeed's generator.
   * With `reshuffleEachIteration` (default) each iteration (epoch) has a new order; with false,
   * every iteration repeats the first one's order.
   */
  shuffle(bufferSize: number, seed?: number | string, reshuffleEachIteration = true): Dataset<T> {
    if (typeof bufferSize !== 'number' || !Number.isInteger(bufferSize) || bufferSize < 1) {
      throw new RangeError(
        `Dataset.shuffle: bufferSize must be a positive integer, got ${describeValue(bufferSize)}` +
          (this.size !== null && this.size !== Infinity ? ` (this dataset has ${this.size} elements)` : ''),
      );
    }
    if (seed !== undefined && typeof seed !== 'number' && typeof seed !== 'string') {
      throw new TypeError(`Dataset.shuffle: seed must be a number or a string, got ${describeValue(seed)}`);
    }
    if (typeof reshuffleEachIteration !== 'boolean') {
      throw new TypeError(`Dataset.shuffle: reshuffleEachIteration must be a boolean, got ${describeValue(reshuffleEachIteration)}`);
    }
    const base = this;
    const random = alea(seed ?? String(Math.floor(rngFor()() * 4294967296)));
    let fixed: number | null = null;
    return datasetFromIteratorFn(async () => {
      // TensorFlow.js draws the window's seed from the dataset's generator at each iteration.
      let seed2: number;
      if (reshuffleEachIteration) seed2 = random.int32() + random.int32();
      else seed2 = fixed ??= random.int32();
      return new ShuffleIterator(await base.iterator(), bufferSize, String(seed2));
    }, this.size);
  }

  /** The first `count` elements (undefined or negative: all of them). */
  take(count?: number): Dataset<T> {
    if (count !== undefined) checkCount('take', 'count', count < 0 ? 0 : count, { optional: true });
    const n = count === undefined || count < 0 ? Infinity : count;
    const base = this;
    if (n === Infinity) return datasetFromIteratorFn(() => base.iterator(), this.size);
    const size = this.size === null ? null : Math.min(this.size, n);
    return datasetFromIteratorFn(async () => new TakeIterator(await base.iterator(), n), size);
  }

  /** Every element in an array (the dataset must end, and fit in memory). */
  async toArray(): Promise<T[]> {
    if (this.size === Infinity) throw new Error('Dataset.toArray: can not convert an infinite dataset to an array');
    const it = await this.iterator();
    try {
      return await it.toArray();
    } finally {
      await it.return();
    }
  }

  /**
   * toArray through a 100-element prefetch, as TensorFlow.js' toArrayForTest: results must not
   * depend on when the pipeline's promises resolve.
   */
  async toArrayForTest(): Promise<T[]> {
    if (this.size === Infinity) throw new Error('Dataset.toArrayForTest: can not convert an infinite dataset to an array');
    const it = new PrefetchIterator(await this.iterator(), 100);
    try {
      return await it.toArray();
    } finally {
      await it.return();
    }
  }
}

/** A dataset whose iterator() calls `iteratorFn`. */
export function datasetFromIteratorFn<T>(iteratorFn: () => Promise<LazyIterator<T>>, size: number | null = null): Dataset<T> {
  return new (class extends Dataset<T> {
    override size = size;
    iterator(): Promise<LazyIterator<T>> {
      return iteratorFn();
    }
  })();
}

/**
 * A dataset of the items of an array. Each iteration yields copies whose tensors are clones,
 * so the pipeline may free them while the array's own tensors stay valid.
 */
export function array<T = DataElement>(items: T[]): Dataset<T> {
  if (!Array.isArray(items)) throw new TypeError(`data.array: expected an array of elements, got ${describeValue(items)}`);
  return datasetFromIteratorFn(async () => new ArrayIterator(items), items.length);
}

/**
 * Zips a (nested) array or object of datasets into a dataset of arrays / objects of their
 * elements, ending with the shortest.
 */
export function zip<O = DataElement>(datasets: Structure<Dataset<unknown>>): Dataset<O> {
  if (!isContainer(datasets)) {
    throw new TypeError(`data.zip: expected an array or an object of datasets, got ${describeValue(datasets)}`);
  }
  const sizes: (number | null)[] = [];
  const collect = (s: unknown, path: string): void => {
    if (s instanceof Dataset) sizes.push(s.size);
    else if (isContainer(s)) for (const [k, v] of Object.entries(s)) collect(v, path ? `${path}.${k}` : k);
    else throw new TypeError(`data.zip: the leaves of the structure must be datasets, got ${describeValue(s)} at '${path}'`);
  };
  collect(datasets, '');
  if (sizes.length === 0) throw new TypeError('data.zip: the structure holds no dataset');
  const size = sizes.some((s) => s === null) ? null : Math.min(...(sizes as number[]));
  const open = async (s: Structure<Dataset<unknown>>): Promise<Structure<LazyIterator<unknown>>> => {
    if (s instanceof Dataset) return s.iterator();
    if (Array.isArray(s)) {
      const out: Structure<LazyIterator<unknown>>[] = [];
      for (const v of s) out.push(await open(v));
      return out;
    }
    const out: { [key: string]: Structure<LazyIterator<unknown>> } = {};
    for (const [k, v] of Object.entries(s as Record<string, Structure<Dataset<unknown>>>)) out[k] = await open(v);
    return out;
  };
  return datasetFromIteratorFn(async () => new ZipIterator(await open(datasets)) as LazyIterator<O>, size);
}

type AnyIterator<T> = Iterator<T> | AsyncIterator<T>;

/**
 * A dataset from a function returning an iterator: a generator function (`function*`), an
 * async generator function (`async function*`), or any function returning an object with
 * `next()`. It is called at every iteration (epoch), so the dataset can be iterated again.
 */
export function generator<T = DataElement>(fn: () => AnyIterator<T> | Promise<AnyIterator<T>> | Iterable<T> | AsyncIterable<T>): Dataset<T> {
  if (typeof fn !== 'function') {
    const hint = fn && typeof (fn as { next?: unknown }).next === 'function'
      ? ': pass the function that makes the iterator (e.g. the generator function itself, not its call), so the dataset can be iterated more than once'
      : '';
    throw new TypeError(`data.generator: expected a function returning an iterator, got ${describeValue(fn)}${hint}`);
  }
  return datasetFromIteratorFn(async () => {
    let made: unknown = await fn();
    if (made && typeof (made as { next?: unknown }).next !== 'function') {
      const asAsync = (made as AsyncIterable<T>)[Symbol.asyncIterator];
      const asSync = (made as Iterable<T>)[Symbol.iterator];
      if (typeof asAsync === 'function') made = asAsync.call(made);
      else if (typeof asSync === 'function') made = asSync.call(made);
    }
    if (!made || typeof (made as { next?: unknown }).next !== 'function') {
      throw new TypeError(`data.generator: the function must return an iterator (an object with next()), got ${describeValue(made)}`);
    }
    const it = made as AnyIterator<T>;
    return new FunctionIterator<T>(() => it.next(), () => it.return?.());
  });
}

/**
 * A dataset from a function called once per element, returning `{ value, done }` (or a
 * promise of it), as tf.data.func. Iterating again continues from where the function is.
 */
export function func<T = DataElement>(f: () => IteratorResult<T> | Promise<IteratorResult<T>>): Dataset<T> {
  if (typeof f !== 'function') throw new TypeError(`data.func: expected a function, got ${describeValue(f)}`);
  return datasetFromIteratorFn(async () => new FunctionIterator<T>(f));
}
