/**
 * Benchmark orchestrator: each (workload, library, build) runs in its own process
 * (bench/worker.ts); results are collected from the workers' stdout, printed as markdown
 * tables and written to bench/results/<date>-<cpu>.md and bench/results/latest.json.
 *
 *   node --import tsx bench/run.ts [--workload W1[,W2]] [--library ferrite|tfjs] [--build B] [--quick]
 *                                  [--processes N] [--timeout SECONDS]
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, RESULT_MARK, type Result } from './lib/common';
import { report } from './lib/report';
import { WORKLOADS } from './workloads/index';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

// ---- command line
const argv = process.argv.slice(2);
const listOpt = (name: string): string[] => {
  const out: string[] = [];
  argv.forEach((a, i) => {
    if (a === `--${name}` && argv[i + 1]) out.push(...argv[i + 1].split(','));
    else if (a.startsWith(`--${name}=`)) out.push(...a.slice(name.length + 3).split(','));
  });
  return out.map((s) => s.trim().toLowerCase()).filter(Boolean);
};
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(`usage: node --import tsx bench/run.ts [options]
  --workload W1,W2     workloads to run (default: all: ${WORKLOADS.map((w) => w.id).join(', ')})
  --library ferrite    libraries to run (ferrite, tfjs)
  --build wasm-simd    builds/backends to run (wasm-relaxed, wasm-simd, wasm-relaxed-threads-1,
                       wasm-relaxed-threads-N, wasm-simd-threads-1, wasm-simd-threads-N, js, wasm, cpu;
                       wasm-{relaxed,simd}-threads-A: 1 and N threads in turns in one process, W1 W3 W4 W5)
  --quick              fewer repetitions (W1: shorter sampling, plain-JS 1024³ skipped)
  --processes 3        run each case in N processes and report per-metric medians (default 1)
  --timeout 1800       seconds before a worker is stopped`);
  process.exit(0);
}
const quick = argv.includes('--quick');
const wantWorkloads = listOpt('workload');
const wantLibraries = listOpt('library');
// Build names keep their case (wasm-relaxed-threads-N).
const wantBuilds = listOpt('build').map((b) => b.replace(/-([na])$/, (_, s: string) => `-${s.toUpperCase()}`));
const timeoutS = Number(listOpt('timeout')[0] ?? 1800);
const processes = Math.max(1, Math.floor(Number(listOpt('processes')[0] ?? 1)));

const workloads = WORKLOADS.filter((w) => !wantWorkloads.length || wantWorkloads.some((x) => x === w.id.toLowerCase() || x.startsWith(`${w.id.toLowerCase()}-`)));
if (!workloads.length) {
  console.error(`no workload matches ${wantWorkloads.join(', ')} (have ${WORKLOADS.map((w) => w.id).join(', ')})`);
  process.exit(2);
}

// ---- one process per case
interface CaseRun { results: Result[]; seconds: number }

function runCase(workload: string, library: string, build: string): Promise<CaseRun> {
  const nodeArgs = ['--import', 'tsx'];
  if (library === 'ferrite' && build.startsWith('wasm-relaxed')) nodeArgs.push('--experimental-wasm-relaxed-simd');
  const args = [...nodeArgs, path.join(here, 'worker.ts'), workload, library, build, ...(quick ? ['--quick'] : [])];
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    const results: Result[] = [];
    let buf = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutS * 1000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith(RESULT_MARK)) results.push(JSON.parse(line.slice(RESULT_MARK.length)));
        else if (line.trim()) process.stderr.write(line + '\n');
      }
    });
    const finish = (why: string | null) => {
      clearTimeout(timer);
      if (why) results.push({ workload, library, build, threads: 1, metric: '*', value: null, error: why });
      resolve({ results, seconds: (performance.now() - t0) / 1000 });
    };
    child.on('error', (e) => finish(`could not start: ${e.message}`));
    child.on('close', (code, signal) => {
      if (timedOut) finish(`stopped after ${timeoutS} s`);
      else if (code !== 0) finish(`worker exited with ${signal ?? `code ${code}`}`);
      else finish(null);
    });
  });
}

const all: Result[] = [];
const started = new Date();
const loadBefore = os.loadavg()[0];
// What was measured: the wasm files as they are now (they may be rebuilt while a run goes on).
const wasmFiles = ['simd', 'relaxed', 'simd-threads', 'relaxed-threads'].map((b) => {
  const f = path.join(root, 'wasm', `ferrite-ml-${b}.wasm`);
  if (!existsSync(f)) return `ferrite-ml-${b}.wasm missing`;
  const bytes = readFileSync(f);
  return `ferrite-ml-${b}.wasm ${bytes.length.toLocaleString('en-US')} B sha256 ${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}`;
});
let commit = 'unknown';
try {
  commit = execFileSync('git', ['describe', '--always', '--dirty'], { cwd: root, encoding: 'utf8' }).trim();
} catch { /* not a git checkout */ }
for (const w of workloads) {
  const cases = w.cases.filter(
    (c) => (!wantLibraries.length || wantLibraries.includes(c.library)) && (!wantBuilds.length || wantBuilds.includes(c.build)),
  );
  for (const c of cases) {
    const runs: Result[][] = [];
    for (let p = 0; p < processes; p++) {
      console.error(`\n== ${w.id} ${w.title}: ${c.library} ${c.build}${processes > 1 ? ` (process ${p + 1}/${processes})` : ''}`);
      const { results, seconds } = await runCase(w.id, c.library, c.build);
      console.error(`== done in ${seconds.toFixed(1)} s`);
      runs.push(results);
    }
    all.push(...(processes === 1 ? runs[0] : mergeRuns(runs)));
  }
}

/** Per metric: the median over processes of the values that succeeded. */
function mergeRuns(runs: Result[][]): Result[] {
  const out: Result[] = [];
  const metrics = [...new Set(runs.flat().map((r) => r.metric))];
  for (const metric of metrics) {
    const rs = runs.flat().filter((r) => r.metric === metric);
    const ok = rs.filter((r) => r.value !== null);
    if (!ok.length) {
      out.push(rs[0]);
      continue;
    }
    const values = ok.map((r) => r.value!);
    const failed = rs.length - ok.length;
    out.push({
      ...ok[0],
      value: median(values),
      detail: `median of ${values.length} processes: ${values.map((v) => v.toPrecision(4)).join(', ')}${failed ? `; ${failed} failed` : ''}`,
    });
  }
  return out;
}

// ---- report
const cpu = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
const date = started.toISOString().slice(0, 10);
const cpuSlug = cpu
  .replace(/\((R|TM|tm|r)\)/g, '')
  .replace(/\b(CPU|Processor|\d+-Core)\b/gi, '')
  .replace(/@.*$/, '')
  .trim()
  .toLowerCase()
  .replace(/[^a-z0-9]+/g, '-')
  .replace(/^-|-$/g, '')
  .slice(0, 40) || 'cpu';

const md = report(all, { title: `ferrite benchmarks, ${date}`, header: header(all), workloads: WORKLOADS });
console.log('\n' + md);
const outDir = path.join(here, 'results');
mkdirSync(outDir, { recursive: true });
// A run of some workloads only gets files of its own, so it never overwrites a full run's record.
const subset = workloads.length < WORKLOADS.length ? `-${workloads.map((w) => w.id).join('-')}` : '';
const mdPath = path.join(outDir, `${date}-${cpuSlug}${subset}.md`);
const jsonPath = path.join(outDir, `latest${subset}.json`);
writeFileSync(mdPath, md);
writeFileSync(jsonPath, JSON.stringify(all, null, 2) + '\n');
console.error(`wrote ${path.relative(root, mdPath)} and ${path.relative(root, jsonPath)}`);

function header(results: Result[]): string[] {
  const threads = [...new Set(results.map((r) => r.threads))].sort((a, b) => a - b).join(', ') || '1';
  return [
    `- CPU: ${cpu} (${os.cpus().length} logical cores, ${os.arch()})`,
    `- Node ${process.version} (V8 ${process.versions.v8}), ${os.platform()} ${os.release()}`,
    `- Threads: ${threads} (ferrite's threaded builds run on 1 thread and on every core; every other case on one thread: TF.js wasm never threads in Node)`,
    `- Load average (1 min): ${loadBefore.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end`,
    `- ferrite ${commit}; ${wasmFiles.join('; ')}`,
    `- One process per workload/library/build${processes > 1 ? ` (${processes} each; medians)` : ''}; command: \`bench/run.ts${argv.length ? ' ' + argv.join(' ') : ''}\``,
    `- Workload definitions: ../shared/workloads.md; how to read: bench/README.md`,
  ];
}
