/**
 * Runs one benchmark case in the browser: loads the library/build asked for (ferrite's
 * threaded build on 1 thread or on every core; TF.js wasm with its threads and SIMD, or cpu),
 * then the workload module — the same W2 and W4 code as in Node, and a benny-free W1.
 */
import * as fe from 'ferrite-ml';
import * as tf from '@tensorflow/tfjs';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { errorMessage, type Emitted, type Result } from '../../lib/common';
import type { Lib } from '../../lib/libs';
import type { Ctx } from '../../workloads/index';
import type { CaseMessage, FromBenchWorker } from './protocol';

const post = (m: FromBenchWorker) => (self as unknown as Worker).postMessage(m);

const MODULES: Record<string, () => Promise<{ run(ctx: Ctx): Promise<void> }>> = {
  W1: () => import('./w1-sgemm'),
  W2: () => import('../../workloads/w2-text'),
  W4: () => import('../../workloads/w4-cnn'),
};

async function load(library: string, build: string): Promise<Lib> {
  const cores = navigator.hardwareConcurrency || 1;
  if (library === 'ferrite') {
    const m = /^wasm-(simd|relaxed)(?:-threads-(1|N))?$/.exec(build);
    if (!m) throw new Error(`unknown ferrite build '${build}'`);
    const simd = m[1] as 'simd' | 'relaxed';
    await fe.ready({ backend: 'wasm', build: m[2] ? `${simd}-threads` : simd, threads: m[2] === 'N' ? 'auto' : 1 });
    return { kind: 'ferrite', fe, build, threads: fe.getThreads(), describe: `ferrite wasm-${fe.getBuild()}` };
  }
  if (library === 'tfjs') {
    if (build === 'cpu') {
      await tf.setBackend('cpu');
      return { kind: 'tfjs', tf, build, threads: 1, describe: `tfjs ${tf.version.tfjs} cpu` };
    }
    if (build === 'wasm') {
      // The runner serves the backend's three .wasm files at /tfjs-wasm/.
      tfwasm.setWasmPaths(new URL('/tfjs-wasm/', location.href).href);
      tfwasm.setThreadsCount(cores);
      if (!(await tf.setBackend('wasm'))) throw new Error('the TF.js wasm backend did not initialise');
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const threads = tfwasm.getThreadsCount();
      return { kind: 'tfjs', tf, build, threads, describe: `tfjs ${tf.version.tfjs} wasm (simd ${simd}, ${threads} threads)` };
    }
  }
  throw new Error(`unknown library/build ${library} ${build}`);
}

self.onmessage = async (e: MessageEvent<CaseMessage>) => {
  const { workload, library, build, quick } = e.data;
  let threads = 1;
  const emit = (r: Emitted) => {
    const result: Result = { workload, library, build, threads, ...r };
    post({ type: 'result', result });
    const shown = result.value === null ? `fails: ${result.error ?? result.note ?? ''}` : `${result.value.toPrecision(4)} ${result.unit ?? ''}`;
    post({ type: 'log', text: `${result.metric}: ${shown}` });
  };
  try {
    const lib = await load(library, build);
    threads = lib.threads;
    post({ type: 'log', text: `${lib.describe}, ${threads} thread${threads === 1 ? '' : 's'}` });
    const mod = await MODULES[workload]?.();
    if (!mod) throw new Error(`the browser benchmark has no workload '${workload}' (W1, W2, W4)`);
    await mod.run({ quick, lib, emit, log: (text) => post({ type: 'log', text }) });
  } catch (err) {
    emit({ metric: '*', value: null, error: errorMessage(err) });
  }
  post({ type: 'done' });
};
