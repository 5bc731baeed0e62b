// Chained tensor methods against TensorFlow.js' own list (tfjs-core's public/chained_ops):
// every method TensorFlow.js installs whose op ferrite has as a function is a method of
// fe.Tensor, and the few still missing are exactly the ones documented in
// ts/tensor-methods-tfjs.ts. Methods give the same values as the functions.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { BACKENDS, useBackend } from './helpers/backends';

const require = createRequire(import.meta.url);

/** Method names TensorFlow.js installs on its Tensor prototype (from its sources). */
function tfjsChainedMethods(): string[] {
  const dir = join(dirname(require.resolve('@tensorflow/tfjs-core/package.json')), 'dist', 'public', 'chained_ops');
  const names = new Set<string>();
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.js')) continue;
    const src = readFileSync(join(dir, f), 'utf8');
    for (const m of src.matchAll(/getGlobalTensorClass\(\)\.prototype\.(\w+)\s*=/g)) names.add(m[1]);
  }
  return [...names].sort();
}

/** Methods TensorFlow.js has whose ops ferrite does not have yet (see ts/tensor-methods-tfjs.ts). */
const NOT_YET = ['dilation2d', 'pool', 'fft', 'ifft', 'rfft', 'irfft'];

describe('chained methods as TensorFlow.js', () => {
  const methods = tfjsChainedMethods();
  const proto = fe.Tensor.prototype as unknown as Record<string, unknown>;
  const feFns = fe as unknown as Record<string, unknown>;

  it('finds TensorFlow.js\' list', () => {
    expect(methods.length).toBeGreaterThan(130);
    expect(methods).toContain('as1D');
    expect(methods).toContain('conv2d');
  });

  it('every TensorFlow.js method whose op ferrite has is a method of fe.Tensor', () => {
    const withOp = methods.filter((m) => typeof feFns[m] === 'function');
    const missing = withOp.filter((m) => typeof proto[m] !== 'function');
    expect(missing).toEqual([]);
    expect(withOp.length).toBeGreaterThan(110);
  });

  it('the methods still missing are exactly the documented ones', () => {
    const missing = methods.filter((m) => typeof proto[m] !== 'function');
    expect(missing.sort()).toEqual([...NOT_YET].sort());
    // …and none of them is an fe function yet (else it must become a method too).
    for (const m of NOT_YET) expect(typeof feFns[m], m).not.toBe('function');
  });
});

describe.each(BACKENDS)('methods compute what the functions do, on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  const same = (a: fe.Tensor, b: fe.Tensor) => {
    expect(a.shape).toEqual(b.shape);
    expect(a.dtype).toBe(b.dtype);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
  };

  it('one-argument and n-argument ops', () => {
    fe.tidy(() => {
      const x = fe.tensor([[0.5, -1.5, 2], [3, 0.25, -0.75]]);
      const y = fe.tensor([[1, 2, 3], [4, 5, 6]]);
      same(x.sin(), fe.sin(x));
      same(x.atan2(y), fe.atan2(x, y));
      same(x.cumsum(1, true, true), fe.cumsum(x, 1, true, true));
      same(x.norm(1, 0, true), fe.norm(x, 1, 0, true));
      same(x.stridedSlice([0, 2], [2, 0], [1, -1]), fe.stridedSlice(x, [0, 2], [2, 0], [1, -1]));
      same(x.mirrorPad([[1, 1], [0, 2]], 'reflect'), fe.mirrorPad(x, [[1, 1], [0, 2]], 'reflect'));
      same(x.topk(2).indices, fe.topk(x, 2).indices);
      same(x.greater(0).logicalNot(), fe.logicalNot(fe.greater(x, 0)));
      same(x.unstack(1)[2], fe.unstack(x, 1)[2]);
      same(x.split([1, 2], 1)[1], fe.split(x, [1, 2], 1)[1]);
      same(x.prelu(fe.scalar(0.1)), fe.prelu(x, fe.scalar(0.1)));
    });
  });

  it('the forms TensorFlow.js defines differently: concat, stack, where, as1D…as5D, asScalar, reshapeAs, asType, toFloat/toInt/toBool', () => {
    fe.tidy(() => {
      const x = fe.tensor([1, 2, 3, 4, 5, 6]);
      same(x.concat([x, x]), fe.concat([x, x, x]));
      same(x.concat(x, 0), fe.concat([x, x]));
      same(x.stack(x, 1), fe.stack([x, x], 1));
      const c = x.greater(3);
      same(x.where(c, fe.zerosLike(x)), fe.where(c, x, fe.zerosLike(x)));
      expect(x.as2D(2, 3).shape).toEqual([2, 3]);
      expect(x.as3D(1, 2, 3).shape).toEqual([1, 2, 3]);
      expect(x.as4D(1, 2, 3, 1).shape).toEqual([1, 2, 3, 1]);
      expect(x.as5D(1, 1, 2, 3, 1).shape).toEqual([1, 1, 2, 3, 1]);
      expect(x.as2D(2, 3).as1D().shape).toEqual([6]);
      expect(fe.tensor([[7]]).asScalar().shape).toEqual([]);
      expect(() => x.asScalar()).toThrow(/asScalar: the tensor has 6 elements/);
      expect(x.reshapeAs(fe.zeros([3, 2])).shape).toEqual([3, 2]);
      expect(x.asType('int32').dtype).toBe('int32');
      expect(x.toInt().dtype).toBe('int32');
      expect(x.toBool().dtype).toBe('bool');
      expect(x.toInt().toFloat().dtype).toBe('float32');
      expect(x.toBool().dataSync()).toBeInstanceOf(Uint8Array);
    });
  });

  it('conv2d, maxPool, avgPool, conv1d as methods; dimRoundingMode is refused, not ignored', () => {
    fe.tidy(() => {
      const x = fe.randomNormal([1, 5, 5, 2], 0, 1, 'float32', 3);
      const f = fe.randomNormal([3, 3, 2, 4], 0, 1, 'float32', 4);
      same(x.conv2d(f, 1, 'same'), fe.conv2d(x, f, 1, 'same'));
      same(x.maxPool(2, 2, 'valid'), fe.maxPool(x, 2, 2, 'valid'));
      same(x.avgPool([2, 2], 1, 'same'), fe.avgPool(x, [2, 2], 1, 'same'));
      const x1 = fe.randomNormal([2, 7, 3], 0, 1, 'float32', 5);
      const f1 = fe.randomNormal([2, 3, 2], 0, 1, 'float32', 6);
      same(x1.conv1d(f1, 1, 'valid'), fe.conv1d(x1, f1, 1, 'valid'));
      expect(() => x.maxPool(2, 2, 1, 'round')).toThrow(/maxPool: dimRoundingMode is not supported/);
    });
  });

  it('bufferSync, variable, strides', () => {
    const x = fe.tensor([[1, 2, 3], [4, 5, 6]]);
    const b = x.bufferSync();
    expect(b.get(1, 2)).toBe(6);
    expect(x.strides).toEqual([3]);
    const v = x.variable(false, 'methods_v');
    expect(v).toBeInstanceOf(fe.Variable);
    expect(v.trainable).toBe(false);
    expect(v.name).toBe('methods_v');
    const vi = x.variable(true, undefined, 'int32');
    expect(vi.dtype).toBe('int32');
    fe.dispose([x, v, vi]);
    expect(() => x.throwIfDisposed()).toThrow(/disposed/);
  });
});
