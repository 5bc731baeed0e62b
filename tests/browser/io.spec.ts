/**
 * Saving and loading in real headless Chromium, with the browser build (dist/index.browser.js):
 * indexeddb:// round trips, in both directions with TensorFlow.js on the same origin (the same
 * database layout), and downloads:// producing the two files TensorFlow.js produces, which
 * load again. Run: npm run test:browser (after npm run build).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fe from 'ferrite-ml';
import { serveStatic, type StaticServer } from './serve';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

let server: StaticServer;
let browser: Browser;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  if (!existsSync(`${ROOT}dist/index.browser.js`)) throw new Error('dist/index.browser.js is missing: run `npm run build` first');
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run scripts/setup-browser.sh (or set CHROMIUM_PATH)`);
  // The repository root: dist/ and wasm/ as the package lays them out, and TensorFlow.js' ES bundle.
  server = await serveStatic(ROOT);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  const context = await browser.newContext({ acceptDownloads: true });
  page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  // A page of the server's origin (IndexedDB is per origin); the libraries come in by import().
  await page.goto(`${server.url}package.json`);
  // A module script (not page.evaluate: the test runner rewrites import() in functions it ships).
  await page.addScriptTag({
    type: 'module',
    content: `import * as fe from '/dist/index.browser.js';
      import * as tf from '/node_modules/@tensorflow/tfjs/dist/tf.fesm.min.js';
      Object.assign(window, { fe, tf, librariesLoaded: true });`,
  });
  await page.waitForFunction(() => (window as unknown as { librariesLoaded?: boolean }).librariesLoaded === true, undefined, { timeout: 60_000 });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('model I/O in Chromium', () => {
  it('indexeddb:// round trip; models move between ferrite and TensorFlow.js through IndexedDB', async () => {
    const r = await page.evaluate(async () => {
      /* eslint-disable @typescript-eslint/no-explicit-any */
      const { fe, tf } = window as any;
      await fe.ready();
      await tf.setBackend('cpu');
      const xs = [0.1, -0.4, 0.7, 0.2, -0.9, 0.5, 0.3, -0.2, 0.0, 0.6, -0.1, 0.8];
      const model = fe.sequential({ layers: [
        fe.layers.lstm({ units: 4, returnSequences: true, inputShape: [3, 2] }),
        fe.layers.gru({ units: 3, resetAfter: false }),
        fe.layers.dense({ units: 2, activation: 'softmax' }),
      ] });
      model.build();
      const x = fe.tensor(xs, [2, 3, 2]);
      const want: number[] = Array.from(model.predict(x).dataSync());
      const saved = await model.save('indexeddb://fe-model');
      const loaded = await fe.loadLayersModel('indexeddb://fe-model');
      const again: number[] = Array.from(loaded.predict(x).dataSync());
      const byTf = await tf.loadLayersModel('indexeddb://fe-model');
      const tfGot: number[] = Array.from(byTf.predict(tf.tensor(xs, [2, 3, 2])).dataSync());

      const tfModel = tf.sequential({ layers: [tf.layers.conv1d({ filters: 2, kernelSize: 2, inputShape: [3, 2] }), tf.layers.flatten(), tf.layers.dense({ units: 1 })] });
      const tfWant: number[] = Array.from(tfModel.predict(tf.tensor(xs, [2, 3, 2])).dataSync());
      await tfModel.save('indexeddb://tf-model');
      const fromTf = await fe.loadLayersModel('indexeddb://tf-model');
      const feGot: number[] = Array.from(fromTf.predict(x).dataSync());

      const listed = Object.keys(await fe.io.listIndexedDBModels()).sort();
      await fe.io.removeIndexedDBModel('fe-model');
      let missing = '';
      try {
        await fe.loadLayersModel('indexeddb://fe-model');
      } catch (e) {
        missing = (e as Error).message;
      }
      return { want, again, tfGot, tfWant, feGot, listed, missing, bytes: saved.modelArtifactsInfo.weightDataBytes, backend: fe.getBackend() };
    });
    expect(r.backend).toBe('wasm');
    expect(r.again).toEqual(r.want);
    r.tfGot.forEach((v: number, i: number) => expect(Math.abs(v - r.want[i])).toBeLessThan(1e-5));
    r.feGot.forEach((v: number, i: number) => expect(Math.abs(v - r.tfWant[i])).toBeLessThan(1e-5));
    expect(r.bytes).toBe(4 * (2 * 16 + 4 * 16 + 16 + 4 * 9 + 3 * 9 + 9 + 3 * 2 + 2));
    expect(r.listed).toEqual(['indexeddb://fe-model', 'indexeddb://tf-model']);
    expect(r.missing).toMatch(/no model saved at 'fe-model'/);
    expect(errors).toEqual([]);
  });

  it('downloads:// downloads <name>.json and <name>.weights.bin, which load again', async () => {
    const downloads: { name: string; body: Buffer }[] = [];
    const got = new Promise<void>((resolve) => {
      page.on('download', async (d) => {
        const path = await d.path();
        downloads.push({ name: d.suggestedFilename(), body: readFileSync(path!) });
        if (downloads.length === 2) resolve();
      });
    });
    const want = await page.evaluate(async () => {
      const { fe } = window as any;
      await fe.ready();
      const model = fe.sequential({ layers: [fe.layers.conv2d({ filters: 2, kernelSize: 2, inputShape: [3, 3, 1] }), fe.layers.flatten()] });
      model.build();
      await model.save('downloads://my-net');
      return Array.from(model.predict(fe.ones([1, 3, 3, 1])).dataSync()) as number[];
    });
    await got;
    downloads.sort((a, b) => a.name.localeCompare(b.name));
    expect(downloads.map((d) => d.name)).toEqual(['my-net.json', 'my-net.weights.bin']);
    const json = JSON.parse(downloads[0].body.toString('utf8'));
    expect(json.weightsManifest[0].paths).toEqual(['./my-net.weights.bin']);
    // The two files load (here in Node) into the same model.
    await fe.ready({ backend: 'js' });
    const bin = downloads[1].body;
    const model = await fe.loadLayersModel(fe.io.fromMemory({
      modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }));
    const got2 = Array.from((model.predict(fe.ones([1, 3, 3, 1])) as fe.Tensor).dataSync());
    got2.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-6));
    expect(errors).toEqual([]);
  });
});
