/** Loads one library/backend per process (only the one asked for). */
import { createRequire } from 'node:module';
import path from 'node:path';

export type Ferrite = typeof import('ferrite-ml');
export type Tfjs = typeof import('@tensorflow/tfjs');

export type Lib =
  | { kind: 'ferrite'; fe: Ferrite; build: string; threads: number; describe: string }
  | { kind: 'tfjs'; tf: Tfjs; build: string; threads: number; describe: string };

export async function loadLibrary(library: string, build: string): Promise<Lib> {
  if (library === 'ferrite') {
    const fe: Ferrite = await import('ferrite-ml');
    // wasm-<simd|relaxed>[-threads-<1|N|A>]: N is every core (threads: 'auto'); A alternates 1
    // and every core inside the process (lib/alternate.ts).
    const m = /^wasm-(simd|relaxed)(?:-threads-(1|N|A))?$/.exec(build);
    if (build === 'js') await fe.setBackend('js');
    else if (m) {
      const simd = m[1] as 'simd' | 'relaxed';
      const wasmBuild = m[2] ? (`${simd}-threads` as const) : simd;
      await fe.ready({ backend: 'wasm', build: wasmBuild, relaxedSimd: m[1] === 'relaxed', threads: m[2] === 'N' || m[2] === 'A' ? 'auto' : 1 });
    } else {
      throw new Error(`unknown ferrite build '${build}' (wasm-relaxed, wasm-simd, wasm-{relaxed,simd}-threads-{1,N,A}, js)`);
    }
    const got = `${fe.getBackend()}-${fe.getBuild()}`;
    const want = build === 'js' ? 'js-js' : build.replace(/-(1|N|A)$/, '');
    if (got !== want && !(build === 'js' && fe.getBackend() === 'js')) throw new Error(`asked for ${build}, got ${got}`);
    const threads = fe.getThreads();
    return { kind: 'ferrite', fe, build, threads, describe: `ferrite ${got}` };
  }
  if (library === 'tfjs') {
    const tf: Tfjs = await import('@tensorflow/tfjs');
    if (build === 'cpu') {
      await tf.setBackend('cpu');
      return { kind: 'tfjs', tf, build, threads: 1, describe: `tfjs ${tf.version.tfjs} cpu` };
    }
    if (build === 'wasm') {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const require = createRequire(import.meta.url);
      const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
      wasm.setWasmPaths(dir + path.sep);
      if (!(await tf.setBackend('wasm'))) throw new Error('tfjs wasm backend did not initialise');
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      return { kind: 'tfjs', tf, build, threads: wasm.getThreadsCount(), describe: `tfjs ${tf.version.tfjs} wasm (simd ${simd})` };
    }
    throw new Error(`unknown tfjs backend '${build}' (cpu, wasm)`);
  }
  throw new Error(`unknown library '${library}' (ferrite, tfjs)`);
}
