/**
 * The demo page (examples/web, built by `npm run build:web` from the packed package) in real
 * headless Chromium: it loads, trains seed 000's text classifier in a Web Worker to the end,
 * reaches a test accuracy, predicts typed text, and logs no errors — with the relaxed and simd
 * wasm builds, and with the js fallback on an engine without WebAssembly SIMD. Served with the
 * COOP/COEP headers it trains on 2 threads to the very weights of a 1-thread run; without them
 * it falls back to one thread (with one hint) and still trains.
 * Run: npm run test:browser. Writes tests/browser/artifacts/trained.png.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic, type StaticServer } from './serve';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const DIST = fileURLToPath(new URL('../../examples/web/dist/', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const SCREENSHOT = `${ARTIFACTS}trained.png`;

// Background networking off: this machine refuses outside connections, and the page needs none.
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

/** Held-out-style texts the trained model should tell apart. */
const SPAM_TEXT = `Make money fast! Earn $5000 a week working from home. Click here to order now and get
your FREE gift. This is a one-time limited offer, 100% guaranteed. Visit our website today.
To unsubscribe and be removed from our list, click here.`;
const HAM_TEXT = `Thanks for the update on the kernel build. I applied your patch to the tree and ran the tests
again; the config problem is gone, but the driver still fails on my laptop. I will send the
log to the list tomorrow. Any idea what changed in the last release?`;

/**
 * An engine without WebAssembly SIMD, simulated in the worker before any of its code runs:
 * it rejects every module that uses the SIMD opcode prefix (0xfd), as such an engine would.
 */
const NO_SIMD = `(() => {
  const W = WebAssembly;
  const bytes = (b) => b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  const simd = (b) => bytes(b).includes(0xfd);
  const fail = () => Promise.reject(new W.CompileError('WebAssembly SIMD is not supported'));
  const { validate, compile, instantiate } = W;
  W.validate = (b) => !simd(b) && validate(b);
  W.compile = (b) => simd(b) ? fail() : compile(b);
  W.instantiate = (b, i) => b instanceof W.Module || !simd(b) ? instantiate(b, i) : fail();
  W.compileStreaming = W.instantiateStreaming = () => fail();
})();
`;

interface Run {
  page: Page;
  context: BrowserContext;
  errors: string[];
  warnings: string[];
  wasmRequests: string[];
  status: Record<string, string>;
}

let server: StaticServer;
let isolatedServer: StaticServer;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(`${DIST}index.html`)) {
    throw new Error('examples/web/dist is missing: run `npm run build:web` (after `npm run build`) first');
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: run scripts/setup-browser.sh (or set CHROMIUM_PATH)`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await serveStatic(DIST);
  isolatedServer = await serveStatic(DIST, { isolated: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await isolatedServer?.close();
});

/** Opens the demo with `query`, waits until training has ended (or failed). */
async function train(query: string, opts: { noSimd?: boolean; isolated?: boolean } = {}): Promise<Run> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 960 } });
  const page = await context.newPage();
  const errors: string[] = [];
  const warnings: string[] = [];
  const wasmRequests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    if (m.type() === 'warning') warnings.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  context.on('request', (r) => { if (r.url().endsWith('.wasm')) wasmRequests.push(r.url()); });
  if (opts.noSimd) {
    await context.route(/\/assets\/train\.worker-[^/]*\.js$/, async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, body: NO_SIMD + (await res.text()) });
    });
  }
  await page.goto(`${(opts.isolated ? isolatedServer : server).url}${query}`);
  await page.waitForFunction(
    () => ['done', 'error'].includes(document.getElementById('status')!.dataset.state ?? ''),
    undefined, { timeout: 150_000, polling: 100 },
  );
  const status = await page.$eval('#status', (el) => ({ ...(el as HTMLElement).dataset }) as Record<string, string>);
  const message = await page.textContent('#message');
  expect(status.state, `training ended with: ${message}`).toBe('done');
  return { page, context, errors, warnings, wasmRequests, status };
}

/** Types `text` into the page and returns the spam probability it shows. */
async function predict(page: Page, text: string): Promise<number> {
  await page.fill('#text', text);
  await page.waitForFunction(() => document.getElementById('prediction')!.dataset.ready === 'true',
    undefined, { timeout: 10_000 });
  const p = Number(await page.$eval('#prediction', (el) => (el as HTMLElement).dataset.spam));
  const verdict = await page.textContent('#verdict');
  expect(verdict).toContain(p.toFixed(3));
  return p;
}

/** What every run must show: the curves drawn, an accuracy, a speed, predictions that make sense. */
async function checkTrained(run: Run, minAccuracy: number): Promise<string> {
  const { page, status } = run;
  const acc = Number(status.testAcc);
  const samplesPerSec = Number(status.samplesPerSec);
  expect(acc).toBeGreaterThanOrEqual(minAccuracy);
  expect(samplesPerSec).toBeGreaterThan(0);
  expect(await page.textContent('#test-acc')).toBe(`${(100 * acc).toFixed(1)} %`);
  expect(await page.textContent('#epoch')).toBe('15 / 15');
  // Both charts are drawn: uPlot canvases with paths, not blank.
  const inked = await page.$$eval('.charts canvas', (canvases) => canvases.map((c) => {
    const cv = c as HTMLCanvasElement;
    const px = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
    let colored = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 0 && Math.abs(px[i] - px[i + 2]) > 60) colored++;
    return colored;
  }));
  expect(inked).toHaveLength(2);
  for (const n of inked) expect(n).toBeGreaterThan(500);
  const spam = await predict(page, SPAM_TEXT);
  const ham = await predict(page, HAM_TEXT);
  expect(spam).toBeGreaterThan(0.5);
  expect(ham).toBeLessThan(0.5);
  // The model ran in the worker: the page's own thread never fetched a .wasm file.
  const pageWasm = await page.evaluate(() =>
    performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.wasm')).length);
  expect(pageWasm).toBe(0);
  expect(run.errors).toEqual([]);
  return `test accuracy ${acc.toFixed(3)}, ${Math.round(samplesPerSec)} samples/s, P(spam) ${spam.toFixed(3)} / ${ham.toFixed(3)}`;
}

describe('the demo page in Chromium', () => {
  it('trains with the best build (relaxed SIMD in Chromium), predicts, and draws its curves', async () => {
    const run = await train('?epochs=15');
    try {
      expect(run.status.backend).toBe('wasm');
      expect(run.status.build).toBe('relaxed');
      expect(await run.page.textContent('#build')).toBe('relaxed');
      expect(run.wasmRequests.some((u) => /ferrite-ml-relaxed-[^/]*\.wasm$/.test(u))).toBe(true);
      const summary = await checkTrained(run, 0.9);
      // The screenshot shows the trained page with a spam verdict.
      await run.page.fill('#text', SPAM_TEXT);
      await run.page.waitForFunction(() => document.getElementById('prediction')!.dataset.ready === 'true');
      await run.page.screenshot({ path: SCREENSHOT, fullPage: true });
      console.log(`relaxed: ${summary}; screenshot ${SCREENSHOT}`);
    } finally {
      await run.context.close();
    }
  });

  it('trains with the simd build when asked', async () => {
    const run = await train('?build=simd&epochs=15');
    try {
      expect(run.status.backend).toBe('wasm');
      expect(run.status.build).toBe('simd');
      expect(run.wasmRequests.some((u) => /ferrite-ml-simd-[^/]*\.wasm$/.test(u))).toBe(true);
      expect(run.wasmRequests.some((u) => /ferrite-ml-relaxed-[^/]*\.wasm$/.test(u))).toBe(false);
      console.log(`simd: ${await checkTrained(run, 0.9)}`);
    } finally {
      await run.context.close();
    }
  });

  it('falls back to the js backend where WebAssembly SIMD is unavailable', async () => {
    const run = await train('?epochs=15', { noSimd: true });
    try {
      expect(run.status.backend).toBe('js');
      expect(run.status.build).toBe('js');
      expect(run.wasmRequests).toEqual([]);
      console.log(`js (no SIMD): ${await checkTrained(run, 0.9)}`);
    } finally {
      await run.context.close();
    }
  });
});

describe('the demo page on several threads', () => {
  it('trains on 2 threads when cross-origin isolated, to the weights of a 1-thread run', async () => {
    const two = await train('?threads=2&epochs=3', { isolated: true });
    let digest2: string;
    try {
      expect(two.status.isolated).toBe('true');
      expect(two.status.threads).toBe('2');
      expect(await two.page.textContent('#threads')).toBe('2');
      expect(two.status.build).toBe('relaxed-threads');
      expect(two.wasmRequests.some((u) => /ferrite-ml-relaxed-threads-[^/]*\.wasm$/.test(u))).toBe(true);
      expect(Number(two.status.testAcc)).toBeGreaterThan(0.7);
      expect(two.errors).toEqual([]);
      digest2 = two.status.weightsDigest;
      expect(digest2).toMatch(/^[0-9a-f]{8}$/);
    } finally {
      await two.context.close();
    }
    const one = await train('?threads=1&epochs=3', { isolated: true });
    try {
      expect(one.status.threads).toBe('1');
      expect(one.status.weightsDigest).toBe(digest2);
      expect(one.status.testAcc).toBe(two.status.testAcc);
      console.log(`2 threads and 1 thread: weights digest ${digest2}, test accuracy ${one.status.testAcc}`);
    } finally {
      await one.context.close();
    }
  });

  it('falls back to one thread, with one hint, on a page that is not cross-origin isolated', async () => {
    const run = await train('?threads=2&epochs=3');
    try {
      expect(run.status.isolated).toBe('false');
      expect(run.status.threads).toBe('1');
      expect(run.status.build).toBe('relaxed');
      expect(Number(run.status.testAcc)).toBeGreaterThan(0.7);
      expect(run.errors).toEqual([]);
      const hints = run.warnings.filter((w) => /running on one thread/.test(w));
      expect(hints).toHaveLength(1);
      expect(hints[0]).toMatch(/Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/);
    } finally {
      await run.context.close();
    }
  });
});
