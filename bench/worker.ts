/**
 * Runs one workload for one library/build in this process and prints results as JSON lines
 * (prefixed with RESULT_MARK) on stdout; everything else goes to stderr.
 *
 *   node --import tsx [--experimental-wasm-relaxed-simd] bench/worker.ts <workload> <library> <build> [--quick]
 */
import { errorMessage, RESULT_MARK, type Emitted, type Result } from './lib/common';
import { loadLibrary } from './lib/libs';
import { findWorkload } from './workloads/index';

// Libraries and benny log to console.log: keep stdout for results.
console.log = (...args: unknown[]) => console.error(...args);

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const [workloadId, library, build] = args.filter((a) => !a.startsWith('--'));
if (!workloadId || !library || !build) {
  console.error('usage: bench/worker.ts <workload> <library> <build> [--quick]');
  process.exit(2);
}
const entry = findWorkload(workloadId);
if (!entry) {
  console.error(`unknown workload '${workloadId}'`);
  process.exit(2);
}

let threads = 1;
const tag = `[${entry.id} ${library} ${build}]`;
const emit = (r: Emitted) => {
  const full: Result = { workload: entry.id, library, build, threads, ...r };
  process.stdout.write(RESULT_MARK + JSON.stringify(full) + '\n');
  const shown = full.value === null ? (full.error ? `fails: ${full.error}` : `— ${full.note ?? ''}`) : `${full.value.toPrecision(4)} ${full.unit ?? ''}`;
  console.error(`${tag} ${full.metric}: ${shown}`);
};

try {
  const lib = await loadLibrary(library, build);
  threads = lib.threads;
  console.error(`${tag} ${lib.describe}, ${threads} thread${threads === 1 ? '' : 's'}`);
  const mod = await entry.load();
  await mod.run({ quick, lib, emit, log: (m) => console.error(`${tag} ${m}`) });
} catch (e) {
  // A failure before or outside any metric: the whole case fails.
  emit({ metric: '*', value: null, error: errorMessage(e) });
}
emit({ metric: 'peak RSS', value: process.resourceUsage().maxRSS / 1024, unit: 'MB', better: 'lower' });
process.exit(0);
