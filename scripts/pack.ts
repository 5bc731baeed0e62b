/**
 * Packs the package as `npm publish` would (`npm pack`, without re-running the build) and
 * installs the tarball into a project, as its users get it. Used by the package test and by
 * the web demo's build.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What the package must carry; packing without them would ship a broken package. */
export const BUILT_FILES = [
  'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts',
  'wasm/ferrite-ml-simd.wasm', 'wasm/ferrite-ml-relaxed.wasm',
  'wasm/ferrite-ml-simd-threads.wasm', 'wasm/ferrite-ml-relaxed-threads.wasm', 'dist/thread-worker.mjs',
];

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

export interface Packed {
  tarball: string;
  /** Paths inside the package, as npm lists them. */
  files: string[];
}

/** `npm pack` into `dest` (a new temporary directory by default). */
export function packPackage(dest = mkdtempSync(join(tmpdir(), 'ferrite-pack-'))): Packed {
  const missing = BUILT_FILES.filter((f) => !existsSync(join(ROOT, f)));
  if (missing.length) {
    throw new Error(`cannot pack ferrite: ${missing.join(', ')} missing; run \`npm run build\` first`);
  }
  // --ignore-scripts: "prepare" would rebuild everything; the build is already there.
  const out = execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], {
    cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [info] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
  const tarball = join(dest, info.filename);
  if (!statSync(tarball).isFile()) throw new Error(`npm pack wrote no ${tarball}`);
  return { tarball, files: info.files.map((f) => f.path) };
}

/** Installs a packed tarball into the project at `dir` (which has a package.json). */
export function installTarball(dir: string, tarball: string): void {
  // The package has no dependencies, so the install needs no registry.
  execFileSync(npm, [
    'install', '--no-save', '--no-package-lock', '--offline', '--ignore-scripts', '--no-audit', '--no-fund',
    tarball,
  ], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}
