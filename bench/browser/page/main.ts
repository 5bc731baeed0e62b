/**
 * The benchmark page: runs one case (?workload=W1&library=ferrite&build=…&quick=1) in a module
 * worker, as an app that trains off its main thread would, and leaves the results in
 * `window.__results` (and `document.body.dataset.state` = 'done' | 'error') for the runner.
 */
import type { Result } from '../../lib/common';
import type { CaseMessage, FromBenchWorker } from './protocol';

const q = new URLSearchParams(location.search);
const job: CaseMessage = {
  workload: q.get('workload') ?? 'W1',
  library: q.get('library') ?? 'ferrite',
  build: q.get('build') ?? 'wasm-relaxed-threads-N',
  quick: q.get('quick') === '1',
};
const results: Result[] = [];
(window as unknown as { __results: Result[] }).__results = results;
const log = document.getElementById('log')!;
const say = (line: string) => { log.textContent += `${line}\n`; console.log(line); };

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
worker.onerror = (e) => {
  say(`the worker failed: ${e.message}`);
  document.body.dataset.state = 'error';
};
worker.onmessage = (e: MessageEvent<FromBenchWorker>) => {
  const m = e.data;
  if (m.type === 'log') say(m.text);
  else if (m.type === 'result') results.push(m.result);
  else if (m.type === 'done') document.body.dataset.state = 'done';
};
say(`${job.workload} ${job.library} ${job.build}${job.quick ? ' (quick)' : ''}; cross-origin isolated: ${crossOriginIsolated}`);
worker.postMessage(job);
