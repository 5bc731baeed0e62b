/**
 * The package as its users get it: `npm pack` of the built package, installed from the tarball
 * into a throw-away project, then used from Node through `import` and `require`, through its
 * browser entry, and from TypeScript with its own type declarations.
 * Needs the build (`npm run build`), as `npm test` runs it first.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_FILES, installTarball, packPackage, ROOT, type Packed } from '../scripts/pack';

let dir: string;
let packed: Packed;
const pkgDir = () => join(dir, 'node_modules', 'ferrite-ml');

/** Runs a script file of the throw-away project in a fresh Node; returns its last line as JSON. */
function runNode(file: string, source: string, args: string[] = []): Record<string, unknown> {
  writeFileSync(join(dir, file), source);
  const out = execFileSync(process.execPath, [...args, file], { cwd: dir, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

function tsc(project: string): string {
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', project], {
      cwd: dir, encoding: 'utf8', stdio: 'pipe',
    });
    return '';
  } catch (err) {
    return String((err as { stdout?: string }).stdout || err);
  }
}

/**
 * What both module systems run: a hand-checked matMul, then a small classifier that must
 * separate two clusters, through ready → sequential → compile → fit → evaluate → predict.
 */
const USE = `
  await fe.ready(BUILD);
  const m = fe.matMul(fe.tensor2d([[1, 2, 3], [4, 5, 6]]), fe.tensor2d([[7, 8], [9, 10], [11, 12]]));
  fe.setRandomSeed(3);
  const xs = [], ys = [];
  for (let i = 0; i < 64; i++) {
    const label = i % 2, c = label ? 1 : -1;
    xs.push([c + 0.3 * Math.sin(i), c + 0.3 * Math.cos(3 * i)]);
    ys.push([label]);
  }
  const model = fe.sequential({ layers: [
    fe.layers.dense({ units: 8, activation: 'relu', inputShape: [2] }),
    fe.layers.dense({ units: 1, activation: 'sigmoid' }) ] });
  model.compile({ optimizer: fe.train.adam(0.05), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  await model.fit(fe.tensor2d(xs), fe.tensor2d(ys), { epochs: 30, batchSize: 16, verbose: 0 });
  const [, acc] = model.evaluate(fe.tensor2d(xs), fe.tensor2d(ys));
  const p = model.predict(fe.tensor2d([[1, 1], [-1, -1]])).dataSync();
  console.log(JSON.stringify({
    backend: fe.getBackend(), build: fe.getBuild(), threads: fe.getThreads(), matMul: Array.from(m.dataSync()),
    acc: acc.dataSync()[0], p: Array.from(p),
  }));
`;

function checkUse(r: Record<string, unknown>, backend: string, build: string, threads = 1): void {
  expect(r.backend).toBe(backend);
  expect(r.build).toBe(build);
  expect(r.threads).toBe(threads);
  expect(r.matMul).toEqual([58, 64, 139, 154]);
  expect(r.acc).toBe(1);
  const [p1, p0] = r.p as number[];
  expect(p1).toBeGreaterThan(0.8);
  expect(p0).toBeLessThan(0.2);
}

describe('the packed package', () => {
  beforeAll(() => {
    packed = packPackage();
    dir = mkdtempSync(join(tmpdir(), 'ferrite-consumer-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
    installTarball(dir, packed.tarball);
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (packed) rmSync(packed.tarball, { force: true });
  });

  it('carries the bundles, their types, the helper script and the four wasm builds, and no sources', () => {
    expect(packed.tarball.split('/').pop()).toBe(`ferrite-ml-${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}.tgz`);
    expect(JSON.parse(readFileSync(join(pkgDir(), 'package.json'), 'utf8')).name).toBe('ferrite-ml');
    for (const f of [...BUILT_FILES, 'dist/index.browser.js', 'package.json', 'README.md']) {
      expect(packed.files).toContain(f);
    }
    for (const f of packed.files) expect(f).toMatch(/^(dist\/[^/]+|wasm\/ferrite-ml-(simd|relaxed)(-threads)?\.wasm|package\.json|README\.md)$/);
    const pkg = JSON.parse(readFileSync(join(pkgDir(), 'package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies ?? {})).toEqual([]);
  });

  it('imports as an ES module in Node (import) and trains', () => {
    const r = runNode('esm.mjs', `import * as fe from 'ferrite-ml';\n${USE.replace('BUILD', "{ build: 'simd' }")}`);
    checkUse(r, 'wasm', 'simd');
  });

  it('loads as CommonJS in Node (require) and trains', () => {
    const r = runNode('cjs.cjs', `const fe = require('ferrite-ml');\n(async () => {${USE.replace('BUILD', "{ build: 'simd' }")}})();`);
    checkUse(r, 'wasm', 'simd');
  });

  it('trains on two threads through import and require (helpers found next to the bundle)', () => {
    const esm = runNode('threads.mjs', `import * as fe from 'ferrite-ml';\n${USE.replace('BUILD', "{ build: 'simd', threads: 2 }")}`);
    checkUse(esm, 'wasm', 'simd-threads', 2);
    const cjs = runNode('threads.cjs', `const fe = require('ferrite-ml');\n(async () => {${USE.replace('BUILD', "{ build: 'simd', threads: 2 }")}})();`);
    checkUse(cjs, 'wasm', 'simd-threads', 2);
    // The same training on one thread gives the same bits.
    const one = runNode('one.mjs', `import * as fe from 'ferrite-ml';\n${USE.replace('BUILD', "{ build: 'simd-threads', threads: 1 }")}`);
    checkUse(one, 'wasm', 'simd-threads', 1);
    expect(esm.p).toEqual(one.p);
    expect(cjs.p).toEqual(one.p);
  });

  it('picks the relaxed build in Node when relaxed SIMD is on', () => {
    const r = runNode('relaxed.mjs', `import * as fe from 'ferrite-ml';\n${USE.replace('BUILD', '{ relaxedSimd: true }')}`);
    checkUse(r, 'wasm', 'relaxed');
  });

  it('has a browser entry that reaches no Node built-in and loads wasm from given bytes', () => {
    const pkg = JSON.parse(readFileSync(join(pkgDir(), 'package.json'), 'utf8'));
    const browser = pkg.exports['.'].browser.default as string;
    const code = readFileSync(join(pkgDir(), browser), 'utf8');
    // One self-contained file: no import statements, dynamic imports or require calls at all.
    expect(code).not.toMatch(/^\s*import\s|^\s*export\s+\*\s+from|\bimport\s*\(|[^_\w]require\s*\(/m);
    expect(code).toContain('new URL("../wasm/ferrite-ml-simd.wasm", import.meta.url)');
    expect(code).toContain('new URL("../wasm/ferrite-ml-relaxed.wasm", import.meta.url)');
    // Bytes are how an app hands it the .wasm when its bundler does not emit the files.
    const r = runNode('browser-entry.mjs', `
      import { readFileSync } from 'node:fs';
      import * as fe from './node_modules/ferrite-ml/${browser.replace('./', '')}';
      const bytes = readFileSync('./node_modules/ferrite-ml/wasm/ferrite-ml-simd.wasm');
      ${USE.replace('BUILD', "{ build: 'simd', wasm: { bytes } }")}`);
    checkUse(r, 'wasm', 'simd');
  });

  it('typechecks from TypeScript: import and require (node16), bundler resolution, with lib checks on', () => {
    const use = `
      const x: fe.Tensor = fe.tensor2d([[1, 2], [3, 4]]).add(1).relu().matMul(fe.ones([2, 1])).cast('float32');
      const tok = new fe.text.Tokenizer({ numWords: 10, oovToken: '<OOV>' });
      tok.fitOnTexts(['a b c']);
      const seqs: number[][] = fe.sequence.padSequences(tok.textsToSequences(['a b']), { maxlen: 4 });
      const model: fe.Sequential = fe.sequential({ layers: [fe.layers.dense({ units: 1, inputShape: [2] })] });
      model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      const opts: fe.ReadyOptions = { build: 'simd', wasm: { url: '/ferrite-ml-simd.wasm' } };
      export const used = [x, seqs, model, opts];
    `;
    writeFileSync(join(dir, 'use.mts'), `import * as fe from 'ferrite-ml';\n${use}`);
    writeFileSync(join(dir, 'use.cts'), `import fe = require('ferrite-ml');\n${use}`);
    writeFileSync(join(dir, 'use-bundler.ts'), `import * as fe from 'ferrite-ml';\n${use}`);
    const base = { target: 'ES2022', strict: true, skipLibCheck: false, noEmit: true, types: [], lib: ['ES2022', 'DOM'] };
    writeFileSync(join(dir, 'tsconfig.node16.json'), JSON.stringify({
      compilerOptions: { ...base, module: 'Node16', moduleResolution: 'Node16' }, files: ['use.mts', 'use.cts'],
    }));
    writeFileSync(join(dir, 'tsconfig.bundler.json'), JSON.stringify({
      compilerOptions: { ...base, module: 'ESNext', moduleResolution: 'Bundler', customConditions: ['browser'] },
      files: ['use-bundler.ts'],
    }));
    expect(tsc('tsconfig.node16.json')).toBe('');
    expect(tsc('tsconfig.bundler.json')).toBe('');
  });
});
