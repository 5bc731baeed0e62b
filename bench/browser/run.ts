/**
 * The browser benchmark (`npm run bench:browser`): W1, W2 and W4 in headless Chromium, on a
 * cross-origin isolated page, for ferrite's threaded build on 1 thread and on every core and
 * for TensorFlow.js — its wasm backend with threads and SIMD (which it has only in browsers),
 * and cpu — side by side. Each case runs in a fresh page, in a module worker. Writes the same
 * markdown tables as bench/run.ts to bench/results/<date>-<cpu>-browser.md and
 * bench/results/latest-browser.json.
 *
 *   node --import tsx bench/browser/run.ts [--workload W1,W2,W4] [--library ferrite,tfjs]
 *        [--build wasm-relaxed-threads-N,wasm,cpu] [--quick] [--no-build] [--timeout SECONDS]
 *
 * Builds the page first (packs the built package and installs it here, then vite build): run
 * `npm run build` before.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { installTarball, packPackage, ROOT } from '../../scripts/pack';
import type { Result } from '../lib/common';
import { report } from '../lib/report';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const DIST = path.join(HERE, 'dist');
const TFJS_WASM = path.join(ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');

const argv = process.argv.slice(2);
const list = (name: string): string[] => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1].split(',').map((s) => s.trim()).filter(Boolean) : [];
};
const quick = argv.includes('--quick');
const timeoutS = Number(list('timeout')[0] ?? 1800);

const CASES = [
  { library: 'ferrite', build: 'wasm-relaxed-threads-1' },
  { library: 'ferrite', build: 'wasm-relaxed-threads-N' },
  { library: 'tfjs', build: 'wasm' },
  { library: 'tfjs', build: 'cpu' },
] as const;
const WORKLOADS = [
  { id: 'W1', title: 'sgemm', cases: CASES },
  { id: 'W2', title: 'text classifier', cases: CASES },
  { id: 'W4', title: 'CNN', cases: CASES },
];
const workloads = WORKLOADS.filter((w) => !list('workload').length || list('workload').map((s) => s.toUpperCase()).includes(w.id));
const cases = CASES.filter((c) => (!list('library').length || list('library').includes(c.library))
  && (!list('build').length || list('build').includes(c.build)));

// ---- the page: the packed package installed here, bundled by Vite
if (!argv.includes('--no-build')) {
  const t0 = performance.now();
  const { tarball } = packPackage();
  rmSync(path.join(HERE, 'node_modules', 'ferrite-ml'), { recursive: true, force: true });
  installTarball(HERE, tarball);
  rmSync(tarball);
  await build({ configFile: path.join(HERE, 'vite.config.ts') });
  console.error(`built the benchmark page in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
if (!existsSync(path.join(DIST, 'index.html'))) throw new Error('bench/browser/dist is missing: run without --no-build');
const chromiumPath = execFileSync('bash', [path.join(ROOT, 'scripts/setup-browser.sh')], { encoding: 'utf8' }).trim();

// ---- a static server with cross-origin isolation (SharedArrayBuffer, so threads)
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm', '.css': 'text/css', '.map': 'application/json',
};
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x').pathname;
  const [root, rel] = url.startsWith('/tfjs-wasm/') ? [TFJS_WASM, url.slice('/tfjs-wasm/'.length)] : [DIST, url.slice(1) || 'index.html'];
  const file = path.normalize(path.join(root, decodeURIComponent(rel)));
  const headers = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp', 'cache-control': 'no-store' };
  if (!file.startsWith(root) || !existsSync(file)) {
    res.writeHead(404, headers);
    res.end('not found');
    return;
  }
  res.writeHead(200, { ...headers, 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const started = new Date();
const loadBefore = os.loadavg()[0];
const all: Result[] = [];
try {
  for (const w of workloads) {
    for (const c of cases) {
      console.error(`\n== ${w.id} ${w.title}: ${c.library} ${c.build} (Chromium)`);
      const t0 = performance.now();
      const context = await browser.newContext();
      const page = await context.newPage();
      page.on('console', (m) => { if (m.type() !== 'debug') console.error(`   ${m.text()}`); });
      page.on('pageerror', (e) => console.error(`   page error: ${e.message}`));
      const query = new URLSearchParams({ workload: w.id, library: c.library, build: c.build, quick: quick ? '1' : '0' });
      let results: Result[] = [];
      try {
        await page.goto(`${base}?${query}`);
        await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), undefined,
          { timeout: timeoutS * 1000, polling: 500 });
        results = await page.evaluate(() => (window as unknown as { __results: Result[] }).__results);
        if (!results.length) throw new Error('the page gave no results');
      } catch (err) {
        results.push({ workload: w.id, library: c.library, build: c.build, threads: 1, metric: '*', value: null,
          error: err instanceof Error ? err.message.split('\n')[0] : String(err) });
      }
      all.push(...results);
      await context.close();
      console.error(`== done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
} finally {
  const version = browser.version();
  await browser.close();
  server.close();
  writeReport(version);
}

function writeReport(chromiumVersion: string): void {
  const cpu = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
  const date = started.toISOString().slice(0, 10);
  const slug = cpu.replace(/\((R|TM|tm|r)\)/g, '').replace(/\b(CPU|Processor|\d+-Core)\b/gi, '').replace(/@.*$/, '')
    .trim().toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'cpu';
  const threads = [...new Set(all.map((r) => r.threads))].sort((a, b) => a - b).join(', ');
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['describe', '--always', '--dirty'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch { /* not a git checkout */ }
  const md = report(all, {
    title: `ferrite browser benchmarks, ${date}`,
    header: [
      `- CPU: ${cpu} (${os.cpus().length} logical cores, ${os.arch()}); headless Chromium ${chromiumVersion}`,
      `- Threads: ${threads} (ferrite's relaxed-threads build on 1 thread and on every core; TF.js wasm with its XNNPACK threads and SIMD; TF.js cpu on one)`,
      `- A cross-origin isolated page (COOP same-origin, COEP require-corp); each case in a fresh page, in a module worker`,
      `- Load average (1 min): ${loadBefore.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end`,
      `- ferrite ${commit}; command: \`bench/browser/run.ts${argv.length ? ' ' + argv.join(' ') : ''}\``,
      `- Workload definitions: ../shared/workloads.md; how to read: bench/README.md`,
    ],
    workloads,
  });
  console.log('\n' + md);
  const out = path.join(ROOT, 'bench/results');
  mkdirSync(out, { recursive: true });
  const subset = workloads.length < WORKLOADS.length ? `-${workloads.map((w) => w.id).join('-')}` : '';
  writeFileSync(path.join(out, `${date}-${slug}-browser${subset}.md`), md);
  writeFileSync(path.join(out, `latest-browser${subset}.json`), JSON.stringify(all, null, 2) + '\n');
  console.error(`wrote bench/results/${date}-${slug}-browser${subset}.md and bench/results/latest-browser${subset}.json`);
}
