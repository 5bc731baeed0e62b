/**
 * Stages that keep a buffer of pending reads of their upstream: prefetch, and the
 * sliding-window shuffle. Closing them frees the elements still in the buffer.
 */
import { alea, type Alea } from './alea';
import { disposeElement } from './element';
import { END, OneUpstream, type LazyIterator } from './lazy-iterator';

type Pending<T> = Promise<IteratorResult<T, undefined>>;

/** Keeps a read pending so an error does not surface before its element is asked for. */
function pending<T>(p: Pending<T>): Pending<T> {
  p.catch(() => undefined);
  return p;
}

async function freeAll<T>(buffer: Pending<T>[]): Promise<void> {
  const settled = await Promise.allSettled(buffer);
  for (const s of settled) if (s.status === 'fulfilled' && !s.value.done) disposeElement(s.value.value);
  buffer.length = 0;
}

/** prefetch: keeps `size` reads of the upstream in flight, handing them out in order. */
export class PrefetchIterator<T> extends OneUpstream<T, T> {
  private readonly buffer: Pending<T>[] = [];
  constructor(upstream: LazyIterator<T>, private readonly size: number) {
    super(upstream);
  }

  protected async serialNext(): Promise<IteratorResult<T, undefined>> {
    while (this.buffer.length < this.size) this.buffer.push(pending(this.upstream.next()));
    return this.buffer.shift()!;
  }

  protected override async release(): Promise<void> {
    await freeAll(this.buffer);
    await super.release();
  }
}

/**
 * shuffle: a window of `windowSize` pending reads; each step hands out one picked uniformly
 * at random and reads the next upstream element into its place. The picks, the refills and
 * the end-of-stream reads that stay in the window follow TensorFlow.js' ShuffleIterator step
 * for step, so with the same Alea seed the order is the same as TensorFlow.js'.
 */
export class ShuffleIterator<T> extends OneUpstream<T, T> {
  private readonly buffer: Pending<T>[] = [];
  private readonly random: Alea;
  private upstreamExhausted = false;
  private upstreamEnded = false;

  constructor(upstream: LazyIterator<T>, private readonly windowSize: number, seed: string) {
    super(upstream);
    this.random = alea(seed);
  }

  private refill(): void {
    while (this.buffer.length < this.windowSize) {
      // Once the upstream has ended, its reads are known to say done: no need to ask it.
      this.buffer.push(this.upstreamEnded ? Promise.resolve(END) : pending(this.upstream.next()));
    }
  }

  protected async serialNext(): Promise<IteratorResult<T, undefined>> {
    if (!this.upstreamExhausted) this.refill();
    while (this.buffer.length > 0) {
      const index = Math.floor(this.random() * this.buffer.length);
      const chosen = this.buffer[index];
      const last = this.buffer.pop()!;
      if (index < this.buffer.length) this.buffer[index] = last;
      const r = await chosen;
      if (r.done) {
        this.upstreamExhausted = true;
        this.upstreamEnded = true;
      } else {
        this.refill();
        return r;
      }
    }
    return END;
  }

  protected override async release(): Promise<void> {
    await freeAll(this.buffer);
    await super.release();
  }
}
