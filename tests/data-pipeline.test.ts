/**
 * fe.data pipelines against plain arrays and against TensorFlow.js' tf.data: element order,
 * batching, seeded shuffling, take / skip / repeat, zip, generators, sizes, errors, memory.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import * as fe from 'ferrite-ml';
import { BACKENDS, settleGc, useBackend } from './helpers/backends';

/** An element with its tensors replaced by nested arrays (and freed). */
function plain(x: unknown): unknown {
  if (x instanceof fe.Tensor) {
    const v = { shape: x.shape, dtype: x.dtype, values: Array.from(x.dataSync()) };
    x.dispose();
    return v;
  }
  if (Array.isArray(x)) return x.map(plain);
  if (x && typeof x === 'object' && !ArrayBuffer.isView(x)) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x;
}

async function values<T>(ds: fe.data.Dataset<T>): Promise<unknown[]> {
  return (await ds.toArray()).map(plain);
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

beforeAll(() => fe.setBackend('js'));

describe('fe.data sources and one-input stages', () => {
  it('array keeps order; map, filter and batch give the elements computed by hand', async () => {
    const ds = fe.data.array(range(10)).map((x) => x * 10).filter((x) => x % 20 === 0);
    expect(await ds.toArray()).toEqual([0, 20, 40, 60, 80]);
    expect(ds.size).toBeNull(); // filter: unknown, as TensorFlow.js
    expect(await ds.toArray()).toEqual([0, 20, 40, 60, 80]); // iterable again
  });

  it('batch keeps the short last batch by default and drops it with smallLastBatch = false', async () => {
    const ds = fe.data.array(range(10));
    const kept = ds.batch(4);
    expect(kept.size).toBe(3);
    expect(await values(kept)).toEqual([
      { shape: [4], dtype: 'float32', values: [0, 1, 2, 3] },
      { shape: [4], dtype: 'float32', values: [4, 5, 6, 7] },
      { shape: [2], dtype: 'float32', values: [8, 9] },
    ]);
    const dropped = ds.batch(4, false);
    expect(dropped.size).toBe(2);
    expect((await values(dropped)).length).toBe(2);
    expect(await values(fe.data.array(range(3)).batch(5, false))).toEqual([]);
  });

  it('batch stacks tensors, numeric arrays, typed arrays and nested objects; strings become arrays', async () => {
    const items = [0, 1, 2].map((i) => ({
      xs: { img: fe.tensor([[i, i + 1], [i + 2, i + 3]]), ids: new Int32Array([i, 2 * i]) },
      ys: [i, -i],
      name: `n${i}`,
      pair: [fe.tensor([i], [1], 'int32'), { w: i / 2 }],
    }));
    const [b] = (await fe.data.array(items).batch(3).toArray()) as Record<string, unknown>[];
    expect(plain(b)).toEqual({
      xs: {
        img: { shape: [3, 2, 2], dtype: 'float32', values: [0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5] },
        ids: { shape: [3, 2], dtype: 'int32', values: [0, 0, 1, 2, 2, 4] },
      },
      ys: { shape: [3, 2], dtype: 'float32', values: [0, -0, 1, -1, 2, -2] },
      name: ['n0', 'n1', 'n2'],
      pair: [{ shape: [3, 1], dtype: 'int32', values: [0, 1, 2] }, { w: { shape: [3], dtype: 'float32', values: [0, 0.5, 1] } }],
    });
    // The array's own tensors are untouched (the dataset cloned them).
    expect(items[2].xs.img.arraySync()).toEqual([[2, 3], [4, 5]]);
    items.forEach((it) => { it.xs.img.dispose(); (it.pair[0] as fe.Tensor).dispose(); });
  });

  it('batch names the element and key of a mismatch, and of a missing value', async () => {
    const shapes = fe.data.array([{ a: [1, 2] }, { a: [1, 2, 3] }]).batch(2);
    await expect(shapes.toArray()).rejects.toThrow(/element 1 has an array of length 3 at 'a'/);
    const missing = fe.data.array([{ a: 1 }, { a: undefined }] as fe.data.DataElement[]).batch(2);
    await expect(missing.toArray()).rejects.toThrow(/element 1 has no value at 'a'.*default in columnConfigs/);
    const mixed = fe.data.array([1, 'x'] as fe.data.DataElement[]).batch(2);
    await expect(mixed.toArray()).rejects.toThrow(/element 1 has the string "x".*element 0 has a number/);
  });

  it('take, skip and repeat: order, early end, sizes, and TensorFlow.js argument rules', async () => {
    const ds = fe.data.array(range(5));
    expect(await ds.take(3).toArray()).toEqual([0, 1, 2]);
    expect(await ds.take(0).toArray()).toEqual([]);
    expect(await ds.take(-1).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(await ds.take(9).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(await ds.skip(2).toArray()).toEqual([2, 3, 4]);
    expect(await ds.skip(7).toArray()).toEqual([]);
    expect(await ds.skip(-1).toArray()).toEqual([]);
    expect(await ds.repeat(2).toArray()).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
    expect(await ds.repeat(0).toArray()).toEqual([]);
    expect(await ds.repeat().take(12).toArray()).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]);
    expect(await ds.repeat().skip(3).take(4).toArray()).toEqual([3, 4, 0, 1]);
    // Repeating an empty dataset without end gives nothing rather than hanging.
    expect(await fe.data.array([]).repeat().take(3).toArray()).toEqual([]);
    await expect(ds.repeat().toArray()).rejects.toThrow(/infinite/);
    expect(() => ds.take(1.5)).toThrow(/take: count must be an integer/);
    expect(() => ds.repeat(Number.NaN)).toThrow(/repeat: count must be an integer/);
  });

  it('take stops reading its upstream early', async () => {
    let pulled = 0;
    const ds = fe.data.generator(function* () {
      for (let i = 0; ; i++) {
        pulled++;
        yield i;
      }
    });
    expect(await ds.take(4).toArray()).toEqual([0, 1, 2, 3]);
    expect(pulled).toBe(4);
  });

  it('concatenate and zip (arrays, objects, nested; shortest wins)', async () => {
    const a = fe.data.array([1, 2, 3]), b = fe.data.array([10, 20]);
    const cat = a.concatenate(b);
    expect(cat.size).toBe(5);
    expect(await cat.toArray()).toEqual([1, 2, 3, 10, 20]);
    const zipped = fe.data.zip([a, b]);
    expect(zipped.size).toBe(2);
    expect(await zipped.toArray()).toEqual([[1, 10], [2, 20]]);
    const obj = fe.data.zip({ x: a, nest: { y: b, z: [a] } });
    expect(await obj.toArray()).toEqual([{ x: 1, nest: { y: 10, z: [1] } }, { x: 2, nest: { y: 20, z: [2] } }]);
    expect(() => fe.data.zip({ x: a, y: 3 } as never)).toThrow(/leaves of the structure must be datasets, got the number 3 at 'y'/);
  });

  it('generator: sync and async generators and plain iterators, called afresh each iteration', async () => {
    let calls = 0;
    const sync = fe.data.generator(function* () {
      calls++;
      yield* [1, 2, 3];
    });
    expect(await sync.toArray()).toEqual([1, 2, 3]);
    expect(await sync.toArray()).toEqual([1, 2, 3]);
    expect(calls).toBe(2);
    const asyncGen = fe.data.generator(async function* () {
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 1));
        yield { x: i };
      }
    });
    expect(await asyncGen.toArray()).toEqual([{ x: 0 }, { x: 1 }, { x: 2 }]);
    const manual = fe.data.generator(() => {
      let i = 0;
      return { next: () => (i < 2 ? { value: i++, done: false } : { value: undefined, done: true }) };
    });
    expect(await manual.toArray()).toEqual([0, 1]);
    expect(() => fe.data.generator((function* () { yield 1; })() as never)).toThrow(/not its call/);
    // func: a function called per element, as tf.data.func.
    let k = 0;
    expect(await fe.data.func(() => (k < 3 ? { value: k++, done: false } : { value: undefined, done: true })).toArray()).toEqual([0, 1, 2]);
  });

  it('leaving a for-await loop early closes a generator (its finally block runs)', async () => {
    let closed = false;
    const ds = fe.data.generator(function* () {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    });
    const seen: number[] = [];
    for await (const x of ds) {
      seen.push(x);
      if (x === 2) break;
    }
    expect(seen).toEqual([0, 1, 2]);
    expect(closed).toBe(true);
  });

  it('prefetch and toArrayForTest keep the order', async () => {
    const ds = fe.data.generator(async function* () {
      for (let i = 0; i < 20; i++) {
        await new Promise((r) => setTimeout(r, (i * 7) % 3));
        yield i;
      }
    }).mapAsync(async (x) => {
      await new Promise((r) => setTimeout(r, (x * 5) % 4));
      return x * 2;
    });
    expect(await ds.prefetch(5).toArray()).toEqual(range(20).map((x) => 2 * x));
    expect(await ds.toArrayForTest()).toEqual(range(20).map((x) => 2 * x));
  });

  it('sizes follow TensorFlow.js for the same pipelines', () => {
    const pipelines: [string, (d: any) => any][] = [
      ['batch(4)', (d) => d.batch(4)],
      ['batch(4, false)', (d) => d.batch(4, false)],
      ['repeat(3)', (d) => d.repeat(3)],
      ['repeat()', (d) => d.repeat()],
      ['repeat().take(7)', (d) => d.repeat().take(7)],
      ['repeat().batch(3)', (d) => d.repeat().batch(3)],
      ['take(3)', (d) => d.take(3)],
      ['take(30)', (d) => d.take(30)],
      ['skip(4)', (d) => d.skip(4)],
      ['skip(40)', (d) => d.skip(40)],
      ['filter', (d) => d.filter(() => true)],
      ['map.shuffle.prefetch', (d) => d.map((x: number) => x).shuffle(3, '1').prefetch(2)],
      ['concatenate', (d) => d.concatenate(d)],
    ];
    for (const [name, make] of pipelines) {
      const ours = make(fe.data.array(range(10))).size;
      const theirs = make(tf.data.array(range(10))).size;
      expect(ours, name).toBe(theirs);
    }
    expect(fe.data.zip([fe.data.array(range(10)), fe.data.array(range(4))]).size).toBe(tf.data.zip([tf.data.array(range(10)), tf.data.array(range(4))]).size);
  });

  it('rejects bad arguments with the method and value', () => {
    const ds = fe.data.array([1]);
    expect(() => ds.batch(0)).toThrow(/batch: batchSize must be a positive integer, got the number 0/);
    expect(() => ds.shuffle(undefined as never)).toThrow(/shuffle: bufferSize must be a positive integer.*1 elements/);
    expect(() => ds.prefetch(undefined as never)).toThrow(/prefetch: bufferSize must be a positive integer/);
    expect(() => ds.map(3 as never)).toThrow(/map: expected a function/);
    expect(() => fe.data.array(3 as never)).toThrow(/expected an array/);
  });
});

describe('fe.data shuffle', () => {
  const order = async (ds: fe.data.Dataset<number>) => (await ds.toArray()) as number[];

  it('a seeded shuffle is a permutation, reproducible, and new at each iteration', async () => {
    const make = () => fe.data.array(range(50)).shuffle(16, 7);
    const a = make(), b = make();
    const a1 = await order(a), a2 = await order(a), a3 = await order(a);
    expect([...a1].sort((x, y) => x - y)).toEqual(range(50));
    expect(a1).not.toEqual(range(50));
    expect(a2).not.toEqual(a1);
    expect(a3).not.toEqual(a2);
    // The same seed gives the same sequence of epochs.
    expect(await order(b)).toEqual(a1);
    expect(await order(b)).toEqual(a2);
  });

  it('reshuffleEachIteration = false repeats the first order', async () => {
    const ds = fe.data.array(range(30)).shuffle(30, 'abc', false);
    const first = await order(ds);
    expect(first).not.toEqual(range(30));
    expect(await order(ds)).toEqual(first);
    expect(await order(ds)).toEqual(first);
  });

  it('gives the same order as TensorFlow.js with the same seed, epoch after epoch', async () => {
    for (const [n, window, seed] of [[25, 4, '42'], [40, 40, 'seed'], [13, 100, '3'], [9, 1, '5']] as const) {
      const ours = fe.data.array(range(n)).shuffle(window, seed);
      const theirs = tf.data.array(range(n)).shuffle(window, seed);
      for (let epoch = 0; epoch < 3; epoch++) {
        expect(await order(ours), `n ${n} window ${window} epoch ${epoch}`).toEqual(await theirs.toArray());
      }
    }
  });

  it('a window of 1 keeps the order; an unseeded shuffle follows fe.setRandomSeed', async () => {
    expect(await order(fe.data.array(range(8)).shuffle(1, 9))).toEqual(range(8));
    fe.setRandomSeed(11);
    const a = await order(fe.data.array(range(20)).shuffle(20));
    fe.setRandomSeed(11);
    const b = await order(fe.data.array(range(20)).shuffle(20));
    expect(b).toEqual(a);
    expect(a).not.toEqual(range(20));
  });
});

describe('fe.data errors reach the caller', () => {
  it('an error thrown in map reaches toArray, forEachAsync and for-await with its message', async () => {
    const ds = fe.data.array(range(5)).map((x) => {
      if (x === 3) throw new Error('bad element 3');
      return x;
    });
    await expect(ds.toArray()).rejects.toThrow('bad element 3');
    await expect(ds.forEachAsync(() => undefined)).rejects.toThrow('bad element 3');
    await expect(ds.batch(2).prefetch(3).toArray()).rejects.toThrow('bad element 3');
    await expect(ds.shuffle(10, 1).toArray()).rejects.toThrow('bad element 3');
    const seen: number[] = [];
    await expect((async () => { for await (const x of ds) seen.push(x); })()).rejects.toThrow('bad element 3');
    expect(seen).toEqual([0, 1, 2]);
  });

  it('errors of mapAsync, filter and generators keep their message', async () => {
    const gen = fe.data.generator(async function* () {
      yield 1;
      throw new TypeError('source broke');
    });
    await expect(gen.toArray()).rejects.toThrow('source broke');
    await expect(fe.data.array([1]).mapAsync(async () => { throw new Error('async map broke'); }).toArray()).rejects.toThrow('async map broke');
    await expect(fe.data.array([1]).filter(() => { throw new Error('predicate broke'); }).toArray()).rejects.toThrow('predicate broke');
  });
});

describe.each(BACKENDS)('fe.data memory on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('a tensor pipeline frees everything but the batches handed out; an epoch leaks nothing', async () => {
    const xs = range(40).map((i) => fe.tensor([i, i + 1, i + 2]));
    const ds = fe.data.array(xs.map((x, i) => ({ xs: x, ys: i % 2 })))
      .map(({ xs: x, ys }) => ({ xs: fe.mul(x as fe.Tensor, 2), ys }))
      .filter(({ ys }) => ys === 0 || true)
      .shuffle(10, 3)
      .batch(8)
      .prefetch(2);
    await settleGc();
    const before = fe.memory().numTensors;
    for (let epoch = 0; epoch < 3; epoch++) {
      await ds.forEachAsync((b) => {
        expect(((b as { xs: fe.Tensor }).xs).shape[1]).toBe(3);
      });
    }
    // Counted without collecting garbage: a tensor left unreachable but not freed counts.
    expect(fe.memory().numTensors).toBe(before);
    // The caller's tensors are intact.
    expect(xs[5].arraySync()).toEqual([5, 6, 7]);
    xs.forEach((x) => x.dispose());
  });

  it('ending early (take after shuffle and prefetch, a failing map) frees buffered elements', async () => {
    const xs = range(30).map((i) => fe.tensor([i]));
    await settleGc();
    const before = fe.memory().numTensors;
    const taken = await fe.data.array(xs).shuffle(12, 1).prefetch(4).take(3).toArray();
    expect(taken.length).toBe(3);
    fe.dispose(taken as fe.Tensor[]);
    const failing = fe.data.array(xs).map((x) => {
      if ((x as fe.Tensor).dataSync()[0] === 7) throw new Error('stop at 7');
      return fe.add(x as fe.Tensor, 1);
    }).shuffle(5, 2);
    await expect(failing.toArray().then((a) => fe.dispose(a as fe.Tensor[]))).rejects.toThrow('stop at 7');
    const zipped = await fe.data.zip([fe.data.array(xs), fe.data.array(xs.slice(0, 4))]).toArray();
    fe.dispose(zipped as fe.Tensor[][]);
    expect(fe.memory().numTensors).toBe(before);
    xs.forEach((x) => x.dispose());
  });
});
