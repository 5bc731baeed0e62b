// fe.browser.fromPixels / toPixels on RGBA data, and fe.CustomCallback in fit.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { useBackend } from './helpers/backends';

describe('fe.browser and CustomCallback', () => {
  beforeAll(async () => useBackend('js'));

  it('fromPixels reads RGBA bytes into int32 [height, width, channels]; toPixels writes them back', async () => {
    // 2×3 image: pixel p has R = p, G = 10p, B = 100 + p, A = 200.
    const data = new Uint8ClampedArray(24);
    for (let p = 0; p < 6; p++) data.set([p, 10 * p, 100 + p, 200], p * 4);
    const img = { width: 3, height: 2, data };
    const rgb = fe.browser.fromPixels(img);
    expect(rgb.shape).toEqual([2, 3, 3]);
    expect(rgb.dtype).toBe('int32');
    expect(Array.from(rgb.dataSync()).slice(0, 6)).toEqual([0, 0, 100, 1, 10, 101]);
    const gray = fe.browser.fromPixels(img, 1);
    expect(Array.from(gray.dataSync())).toEqual([0, 1, 2, 3, 4, 5]);
    const rgba = fe.browser.fromPixels(img, 4);
    expect(Array.from(await fe.browser.toPixels(rgba))).toEqual(Array.from(data));
    // Floats in [0, 1] scale to bytes; one channel is gray with opaque alpha.
    const f = await fe.browser.toPixels(fe.tensor([[0, 0.5], [1, 0.25]]));
    expect(Array.from(f)).toEqual([0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255, 64, 64, 64, 255]);
    await expect(fe.browser.toPixels(fe.tensor([[1.5]]))).rejects.toThrow(/value 1.5 at pixel 0 is outside \[0, 1\] \(float32\)/);
    expect(() => fe.browser.fromPixels({ width: 2, height: 2, data: new Uint8Array(8) })).toThrow(/2×2 pixels need 16 RGBA bytes, got 8/);
    expect(() => fe.browser.fromPixels(img, 2)).toThrow(/numChannels must be 1, 3 or 4/);
    fe.dispose([rgb, gray, rgba]);
  });

  it('CustomCallback hooks run in fit, onYield when fit yields', async () => {
    const m = fe.sequential({ layers: [fe.layers.dense({ units: 1, inputShape: [2] })] });
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const seen: string[] = [];
    const cb = new fe.CustomCallback({
      onEpochEnd: async (epoch, logs) => {
        seen.push(`epoch ${epoch} ${typeof logs?.loss}`);
      },
      onYield: (epoch, batch) => {
        seen.push(`yield ${epoch}/${batch}`);
      },
    });
    await m.fit(fe.ones([4, 2]), fe.ones([4, 1]), { epochs: 2, batchSize: 2, verbose: 0, yieldEvery: 'batch', callbacks: [cb] });
    expect(seen).toEqual(['yield 0/0', 'yield 0/1', 'epoch 0 number', 'yield 0/-1', 'yield 1/0', 'yield 1/1', 'epoch 1 number', 'yield 1/-1']);
    expect(() => new fe.CustomCallback({ onEpochFinish: () => {} } as never)).toThrow(/unknown hook 'onEpochFinish'/);
    m.dispose();
  });
});
