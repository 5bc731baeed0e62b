/**
 * fe.data in real headless Chromium, with the browser build (dist/index.browser.js): a CSV
 * streamed from an http URL (the response body's ReadableStream) and from a File, chunk by
 * chunk, giving the rows parsed in Node; then a model trained from it with fitDataset.
 * Run: npm run test:browser (after npm run build).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic, type StaticServer } from './serve';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** 3,000 rows: two features, a quoted note (with a comma, a doubled quote, a line break), a label. */
const ROWS = 3000;
function csvText(): string {
  const lines = ['x1,x2,note,label'];
  for (let i = 0; i < ROWS; i++) {
    const x1 = ((i * 37) % 100) / 100, x2 = ((i * 11) % 50) / 50;
    lines.push(`${x1},${x2},"row ${i}, ""q""\nnext",${x1 + x2 > 1 ? 1 : 0}`);
  }
  return lines.join('\n') + '\n';
}

let server: StaticServer;
let browser: Browser;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  if (!existsSync(`${ROOT}dist/index.browser.js`)) throw new Error('dist/index.browser.js is missing: run `npm run build` first');
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run scripts/setup-browser.sh (or set CHROMIUM_PATH)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(`${ARTIFACTS}rows.csv`, csvText());
  server = await serveStatic(ROOT);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  page = await (await browser.newContext()).newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}package.json`);
  await page.addScriptTag({ type: 'module', content: `import * as fe from '/dist/index.browser.js'; Object.assign(window, { fe, loaded: true });` });
  await page.waitForFunction(() => (window as unknown as { loaded?: boolean }).loaded === true, undefined, { timeout: 60_000 });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('fe.data in Chromium', () => {
  it('streams a CSV from an http URL and from a File in chunks, with the rows Node parses', async () => {
    const r = await page.evaluate(async (rows) => {
      /* eslint-disable @typescript-eslint/no-explicit-any */
      const { fe } = window as any;
      await fe.ready();
      /** Counts the chunks a source hands out. */
      const counting = (inner: any, chunks: number[]) => new (class extends fe.data.DataSource {
        async iterator() {
          const it = await inner.iterator();
          return new (class extends fe.data.LazyIterator {
            async serialNext() {
              const x = await it.next();
              if (!x.done) chunks.push(x.value.length);
              return x;
            }
            async release() {
              await it.return();
            }
          })();
        }
      })();
      const summary = async (ds: any) => {
        let n = 0, labels = 0, x1 = 0, lastNote = '';
        await ds.forEachAsync((e: any) => {
          n++;
          labels += e.ys.label;
          x1 += e.xs.x1;
          lastNote = e.xs.note;
        });
        return { n, labels, x1: Math.round(x1 * 100), lastNote };
      };
      const config = { columnConfigs: { label: { isLabel: true } } };
      const urlChunks: number[] = [];
      const fromUrl = await summary(fe.data.csv(counting(new fe.data.URLDataSource('/tests/browser/artifacts/rows.csv', { chunkSize: 8192 }), urlChunks), config));
      const text = await (await fetch('/tests/browser/artifacts/rows.csv')).text();
      const fileChunks: number[] = [];
      const file = new File([text], 'rows.csv', { type: 'text/csv' });
      const fromFile = await summary(fe.data.csv(counting(new fe.data.FileDataSource(file, { chunkSize: 4096 }), fileChunks), config));
      const plainFile = await summary(fe.data.csv(file, config));
      return { rows, fromUrl, fromFile, plainFile, size: text.length, urlChunks, fileChunks };
    }, ROWS);
    let labels = 0, x1 = 0;
    for (let i = 0; i < ROWS; i++) {
      const a = ((i * 37) % 100) / 100, b = ((i * 11) % 50) / 50;
      labels += a + b > 1 ? 1 : 0;
      x1 += a;
    }
    const expected = { n: ROWS, labels, x1: Math.round(x1 * 100), lastNote: `row ${ROWS - 1}, "q"\nnext` };
    expect(r.fromUrl).toEqual(expected);
    expect(r.fromFile).toEqual(expected);
    expect(r.plainFile).toEqual(expected);
    // Read in chunks, never whole (the header pass reads the first chunk once more).
    expect(Math.max(...r.urlChunks)).toBeLessThanOrEqual(8192);
    expect(r.urlChunks.length).toBeGreaterThan(r.size / 8192);
    expect(Math.max(...r.fileChunks)).toBeLessThanOrEqual(4096);
    expect(r.fileChunks.slice(1).reduce((a, b) => a + b, 0)).toBe(r.size);
    expect(errors).toEqual([]);
  });

  it('trains from the streamed CSV with fitDataset, leaving no tensor behind', async () => {
    const r = await page.evaluate(async () => {
      const { fe } = window as any;
      await fe.ready();
      fe.setRandomSeed(3);
      const rows = fe.data.csv('/tests/browser/artifacts/rows.csv', { columnConfigs: { label: { isLabel: true } } })
        .map((e: any) => ({ xs: [e.xs.x1, e.xs.x2], ys: e.ys.label }))
        .shuffle(500, 1)
        .batch(64);
      const model = fe.sequential({ layers: [
        fe.layers.dense({ inputShape: [2], units: 8, activation: 'relu' }),
        fe.layers.dense({ units: 1, activation: 'sigmoid' }),
      ] });
      model.compile({ optimizer: fe.train.adam(0.05), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
      await model.fitDataset(rows, { epochs: 1, verbose: 0 });
      const before = fe.memory().numTensors;
      const h = await model.fitDataset(rows, { epochs: 4, verbose: 0 });
      const after = fe.memory().numTensors;
      const [, acc] = await model.evaluateDataset(rows);
      return { loss: h.history.loss, acc: acc.dataSync()[0], before, after, backend: fe.getBackend() };
    });
    expect(r.backend).toBe('wasm');
    expect(r.loss[3]).toBeLessThan(r.loss[0]);
    expect(r.acc).toBeGreaterThan(0.9);
    expect(r.after).toBe(r.before);
    expect(errors).toEqual([]);
  });
});
