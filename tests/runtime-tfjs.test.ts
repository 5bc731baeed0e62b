// TensorFlow.js' runtime helpers in ferrite: fe.util (against tf.util on the same arguments),
// fe.buffer / TensorBuffer, fe.env and its flags (DEBUG logs kernels), fe.time, fe.nextFrame,
// fe.print, fe.version, fe.disposeVariables, fe.memory's TensorFlow.js fields.
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as fe from 'ferrite-ml';
import { BACKENDS, useBackend } from './helpers/backends';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('fe.util as tf.util', () => {
  const same = (name: string, ...args: unknown[]) => {
    const f = (fe.util as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
    const g = (tf.util as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
    expect(typeof f, name).toBe('function');
    const want = g(...structuredClone(args));
    const got = f(...structuredClone(args));
    expect(got, `${name}(${JSON.stringify(args)})`).toEqual(want);
  };

  it('pure helpers give TensorFlow.js\' results', () => {
    same('sizeFromShape', [2, 3, 4]);
    same('sizeFromShape', []);
    same('flatten', [[1, [2, 3]], [[4]], 5]);
    same('flatten', [1, [2, 3]], [], true);
    same('arraysEqual', [1, 2, 3], [1, 2, 3]);
    same('arraysEqual', [1, 2], [1, 2, 3]);
    same('arraysEqualWithNull', null, null);
    same('computeStrides', [2, 3, 4]);
    same('computeStrides', [5]);
    same('inferFromImplicitShape', [2, -1, 3], 24);
    same('squeezeShape', [1, 3, 1, 2]);
    same('squeezeShape', [1, 3, 1, 2], [2]);
    same('parseAxisParam', -1, [2, 3, 4]);
    same('parseAxisParam', [0, -2], [2, 3, 4]);
    same('toNestedArray', [2, 3], [1, 2, 3, 4, 5, 6]);
    same('locToIndex', [1, 2, 3], 3, [12, 4]);
    same('indexToLoc', 23, 3, [12, 4]);
    same('nearestDivisor', 12, 5);
    same('nearestLargerEven', 7);
    same('sizeToSquarishShape', 10);
    same('rightPad', 'ab', 5);
    same('clamp', 0, 7, 5);
    same('distSquared', [1, 2], [3, 5]);
    same('sum', [1, 2, 3.5]);
    same('isInt', 3);
    same('isString', 'x');
    same('isBoolean', false);
    same('isNumber', 2);
    same('inferDtype', [[true]]);
    same('inferDtype', new Int32Array(2));
    same('inferDtype', [1.5]);
    same('hasEncodingLoss', 'float32', 'int32');
    same('hasEncodingLoss', 'bool', 'int32');
    same('bytesPerElement', 'bool');
    same('isScalarShape', []);
    same('isValidDtype', 'int32');
    same('makeOnesTypedArray', 3, 'int32');
    same('getTypedArrayFromDType', 'bool', 2);
  });

  it('encodeString / decodeString round trip in UTF-8 as TensorFlow.js', () => {
    const s = 'ferrite — ∑ 🙂';
    expect(Array.from(fe.util.encodeString(s))).toEqual(Array.from(tf.util.encodeString(s)));
    expect(fe.util.decodeString(fe.util.encodeString(s))).toBe(s);
    expect(() => fe.util.encodeString(s, 'latin1')).toThrow(/only the utf-8 encoding/);
  });

  it('assert, assertShapesMatch, assertNonNull throw with the message', () => {
    expect(() => fe.util.assert(1 > 2, () => 'one is not above two')).toThrow('one is not above two');
    expect(() => fe.util.assert(true, () => 'never')).not.toThrow();
    expect(() => fe.util.assertShapesMatch([2, 3], [3, 2], 'myOp:')).toThrow(/myOp: Shapes \[2, 3\] and \[3, 2\] must match/);
    expect(() => fe.util.assertNonNull(null, () => 'needs a value')).toThrow('needs a value');
  });

  it('shuffle, shuffleCombo, createShuffledIndices: permutations, reproducible with setRandomSeed', () => {
    const a = Array.from({ length: 50 }, (_, i) => i);
    fe.setRandomSeed(7);
    fe.util.shuffle(a);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    const b = Array.from({ length: 50 }, (_, i) => i);
    fe.setRandomSeed(7);
    fe.util.shuffle(b);
    expect(b).toEqual(a);
    const x = [1, 2, 3, 4, 5, 6], y = ['a', 'b', 'c', 'd', 'e', 'f'];
    fe.util.shuffleCombo(x, y);
    x.forEach((v, i) => expect(y[i]).toBe('abcdef'[v - 1]));
    expect(() => fe.util.shuffleCombo([1, 2], [1])).toThrow(/array1 length = 2 must match array2 length = 1/);
    const idx = fe.util.createShuffledIndices(20);
    expect(idx).toBeInstanceOf(Uint32Array);
    expect(Array.from(idx).sort((p, q) => p - q)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const t0 = fe.util.now();
    expect(fe.util.now()).toBeGreaterThanOrEqual(t0);
  });
});

describe.each(BACKENDS)('buffer, env, time, memory on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });
  afterEach(() => {
    fe.env().reset();
  });

  it('fe.buffer: set, get, toTensor, values, shape, strides, errors (as TensorFlow.js)', () => {
    const b = fe.buffer([2, 3]);
    const t = tf.buffer([2, 3]);
    for (const buf of [b, t]) {
      buf.set(5, 0, 0);
      buf.set(-1.5, 1, 2);
    }
    expect(Array.from(b.values)).toEqual(Array.from(t.values as Float32Array));
    expect(b.get(1, 2)).toBe(-1.5);
    expect(b.shape).toEqual([2, 3]);
    expect(b.strides).toEqual(t.strides);
    expect(b.rank).toBe(2);
    expect(b.indexToLoc(5)).toEqual(t.indexToLoc(5));
    expect(b.locToIndex([1, 1])).toBe(t.locToIndex([1, 1]));
    const x = b.toTensor();
    expect(x.shape).toEqual([2, 3]);
    expect(Array.from(x.dataSync())).toEqual([5, 0, 0, 0, 0, -1.5]);
    const bb = fe.buffer([3], 'bool');
    bb.set(true, 1);
    const bt = bb.toTensor();
    expect(bt.dtype).toBe('bool');
    expect(Array.from(bt.dataSync())).toEqual([0, 1, 0]);
    const fromValues = fe.buffer([2, 2], 'int32', [1, 2, 3, 4]);
    expect(fromValues.values).toBeInstanceOf(Int32Array);
    expect(fromValues.get(1, 0)).toBe(3);
    expect(() => fe.buffer([2, 2], 'float32', [1, 2, 3])).toThrow(/length of values \(3\) does not match the size .* \(4\)/);
    expect(() => b.get(2, 0)).toThrow(/out of range element at \[2, 0\]/);
    expect(() => b.set(1, 0)).toThrow(/number of provided coordinates \(1\) must match the rank \(2\)/);
    expect(x.bufferSync().get(0, 0)).toBe(5);
    fe.dispose([x, bt]);
  });

  it('fe.env: TensorFlow.js flags, get/set/getFlags; unknown flags and wrong types throw', () => {
    const e = fe.env();
    expect(e.get('IS_NODE')).toBe(true);
    expect(e.getBool('IS_BROWSER')).toBe(false);
    expect(e.platformName).toBe('node');
    const flags = e.getFlags();
    for (const k of ['IS_NODE', 'IS_BROWSER', 'DEBUG', 'PROD']) expect(k in flags).toBe(true);
    fe.enableProdMode();
    expect(e.getBool('PROD')).toBe(true);
    expect(() => e.set('WEBGL_PACK', false)).toThrow(/cannot set flag 'WEBGL_PACK'/);
    expect(() => e.set('DEBUG', 1)).toThrow(/flag 'DEBUG' takes a boolean/);
    expect(() => e.get('NOPE')).toThrow(/unknown flag 'NOPE'/);
  });

  it('DEBUG logs every kernel with its time, and stops when turned off', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const x = fe.tensor([1, 2, 3]);
      fe.enableDebugMode();
      const y = fe.exp(x);
      const lines = log.mock.calls.map((c) => String(c[0]));
      expect(lines.some((l) => /^ferrite kernel unary\s+\d+\.\d{3} ms$/.test(l))).toBe(true);
      fe.env().set('DEBUG', false);
      log.mockClear();
      fe.exp(x).dispose();
      expect(log).not.toHaveBeenCalled();
      fe.dispose([x, y]);
    } finally {
      log.mockRestore();
    }
  });

  it('fe.time measures wall and kernel milliseconds', async () => {
    const x = fe.randomNormal([200, 200]);
    const { wallMs, kernelMs } = await fe.time(() => fe.matMul(x, x).dispose());
    expect(kernelMs).toBeGreaterThan(0);
    expect(kernelMs).toBeLessThanOrEqual(wallMs + 1e-6);
    x.dispose();
  });

  it('fe.memory has TensorFlow.js\' fields; disposeVariables frees every variable', () => {
    const m = fe.memory();
    expect(m.numDataBuffers).toBe(m.numTensors);
    expect(m.unreliable).toBe(false);
    const v = fe.variable(fe.tensor([1, 2]).keep());
    const before = fe.memory().numTensors;
    fe.disposeVariables();
    expect(v.isDisposed).toBe(true);
    expect(fe.memory().numTensors).toBeLessThan(before);
  });
});

describe('nextFrame, print, version', () => {
  it('nextFrame resolves', async () => {
    await expect(fe.nextFrame()).resolves.toBeUndefined();
  });

  it('print writes the tensor (verbose adds dtype and shape)', async () => {
    await useBackend('js');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const x = fe.tensor([[1, 2]]);
      fe.print(x, true);
      const out = log.mock.calls.map((c) => String(c[0])).join('\n');
      expect(out).toMatch(/dtype: float32/);
      expect(out).toMatch(/shape: \[1, 2\]/);
      expect(out).toMatch(/\[\[1,2\]\]/);
      x.dispose();
    } finally {
      log.mockRestore();
    }
  });

  it('version matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(fe.version['ferrite-ml']).toBe(pkg.version);
  });
});
