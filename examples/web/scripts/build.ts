/**
 * Builds the demo page from the packed package, as an app that depends on ferrite would:
 *   1. `npm pack` the repository's built package and install the tarball here (node_modules/ferrite-ml);
 *   2. write the SpamAssassin slice (public/data/spam.json) from the devDependency;
 *   3. typecheck src/ against the package's own .d.ts;
 *   4. `vite build` into dist/.
 *
 * Run: npm run build:web (from the repository root), after `npm run build`.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { installTarball, packPackage, ROOT } from '../../../scripts/pack';
import { makeData } from './make-data';

const HERE = fileURLToPath(new URL('..', import.meta.url));
const t0 = performance.now();

const { tarball } = packPackage();
rmSync(join(HERE, 'node_modules', 'ferrite-ml'), { recursive: true, force: true });
installTarball(HERE, tarball);
rmSync(tarball);
console.log(`installed ${tarball.split('/').pop()} into examples/web/node_modules/ferrite-ml`);

{
  const { bytes, data } = makeData();
  console.log(`wrote public/data/spam.json: ${data.train.length} + ${data.test.length} emails, ${(bytes / 1e6).toFixed(2)} MB`);
}

execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', HERE], { stdio: 'inherit' });

await build({ configFile: join(HERE, 'vite.config.ts'), logLevel: 'warn' });
const dist = join(HERE, 'dist');
const assets = readdirSync(join(dist, 'assets'));
const wasm = assets.filter((f) => f.endsWith('.wasm'));
// A Node built-in reached from the browser entry would show up as Vite's empty stand-in module.
const external = assets.filter((f) => f.includes('browser-external'));
if (external.length) throw new Error(`the page's bundle reaches Node built-ins: ${external.join(', ')}`);
if (wasm.length !== 4) throw new Error(`expected the four .wasm builds (simd, relaxed and their -threads) in dist/assets, found: ${assets.join(', ')}`);
// The worker pool's helper script, emitted by the bundler from ferrite's new Worker(new URL(…)).
if (!assets.some((f) => f.startsWith('thread-worker'))) throw new Error(`the helper-thread script is missing from dist/assets: ${assets.join(', ')}`);
console.log(`built examples/web/dist in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${assets.map((f) => `${f} (${(statSync(join(dist, 'assets', f)).size / 1024).toFixed(0)} kB)`).join(', ')}`);
