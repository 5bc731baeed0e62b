// One independent single-threaded ferrite instance for the ceiling of thread scaling (ceiling.ts).
// Plain JavaScript on the built package: a worker does not get the parent's TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import * as fe from 'ferrite-ml';

const { build, n } = workerData;
await fe.ready({ backend: 'wasm', build, relaxedSimd: build === 'relaxed' });
// Values in [-1, 1) from mulberry32 (seed 1), as the other sgemm measurements.
let s = 1;
const next = () => {
  s = (s + 0x6d2b79f5) | 0;
  let t = Math.imul(s ^ (s >>> 15), s | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const fill = () => Float32Array.from({ length: n * n }, () => 2 * next() - 1);
const a = fe.tensor(fill(), [n, n]), b = fe.tensor(fill(), [n, n]);
for (let i = 0; i < 3; i++) fe.matMul(a, b).dispose();
parentPort.on('message', (ms) => {
  let calls = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms || calls < 3) {
    const c = fe.matMul(a, b);
    c.dataSync();
    c.dispose();
    calls++;
    t = performance.now();
  }
  parentPort.postMessage((2 * n ** 3 * calls) / (t - t0) / 1e6);
});
parentPort.postMessage('ready');
