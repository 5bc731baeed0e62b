/**
 * fe.env(), as TensorFlow.js' Environment: flags a program reads or sets, with TensorFlow.js'
 * names. What they do in ferrite:
 * - IS_NODE, IS_BROWSER, IS_TEST: detected; readable (and settable, as in TensorFlow.js).
 * - DEBUG (fe.enableDebugMode()): logs every backend kernel with its time, as TensorFlow.js'
 *   debug mode logs its kernels.
 * - PROD (fe.enableProdMode()): recorded; ferrite's argument checks are cheap and stay on.
 * - TENSORLIKE_CHECK_SHAPE_CONSISTENCY: recorded; ferrite always checks nested arrays.
 * - DEPRECATION_WARNINGS_ENABLED: fe.deprecationWarn prints only while it is true.
 * Setting a flag ferrite does not know throws, as TensorFlow.js does for unregistered flags.
 */
import type { Backend } from './backend/backend';
import { ENGINE } from './engine';
import { observeKernels } from './instrument';

export type FlagValue = number | boolean;
export type Flags = { [name: string]: FlagValue };

const isNode = typeof process !== 'undefined' && !!process.versions?.node;
const isBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';

const DEFAULTS: Flags = {
  IS_BROWSER: isBrowser,
  IS_NODE: isNode,
  IS_TEST: false,
  DEBUG: false,
  PROD: false,
  TENSORLIKE_CHECK_SHAPE_CONSISTENCY: true,
  DEPRECATION_WARNINGS_ENABLED: true,
};

let stopDebugLog: (() => void) | null = null;
let debugBackend: Backend | null = null;

/** Starts or stops the kernel log of DEBUG on the active backend. */
function applyDebug(on: boolean): void {
  if (stopDebugLog && (!on || debugBackend !== ENGINE.backend)) {
    stopDebugLog();
    stopDebugLog = null;
    debugBackend = null;
  }
  if (on && !stopDebugLog && ENGINE.backend) {
    debugBackend = ENGINE.backend;
    stopDebugLog = observeKernels(ENGINE.backend, (kernel, ms) => {
      console.log(`ferrite kernel ${kernel.padEnd(24)} ${ms.toFixed(3)} ms`);
    });
  }
}

export class Environment {
  private flags: Flags = { ...DEFAULTS };

  /** The platform's name: 'node' or 'browser' (as TensorFlow.js' platformName). */
  get platformName(): string {
    return isNode ? 'node' : 'browser';
  }

  get(flag: string): FlagValue {
    if (!(flag in this.flags)) throw new Error(`env: unknown flag '${flag}' (known: ${Object.keys(this.flags).join(', ')})`);
    return this.flags[flag];
  }

  getBool(flag: string): boolean {
    return Boolean(this.get(flag));
  }

  getNumber(flag: string): number {
    return Number(this.get(flag));
  }

  /** Sets a known flag (see the list above for what each one does). */
  set(flag: string, value: FlagValue): void {
    if (!(flag in DEFAULTS)) {
      throw new Error(`env: cannot set flag '${flag}': ferrite has no such flag (known: ${Object.keys(DEFAULTS).join(', ')})`);
    }
    if (typeof value !== typeof DEFAULTS[flag]) {
      throw new Error(`env: flag '${flag}' takes a ${typeof DEFAULTS[flag]}, got ${JSON.stringify(value)}`);
    }
    this.flags[flag] = value;
    if (flag === 'DEBUG') applyDebug(value as boolean);
  }

  /** A copy of every flag's value. */
  getFlags(): Flags {
    return { ...this.flags };
  }

  /** Sets several flags. */
  setFlags(flags: Flags): void {
    for (const [k, v] of Object.entries(flags)) this.set(k, v);
  }

  /** Restores the defaults (TensorFlow.js' env().reset()). */
  reset(): void {
    this.flags = { ...DEFAULTS };
    applyDebug(false);
  }
}

const ENV = new Environment();

/** The environment's flags (fe.env().get('IS_NODE'), fe.env().set('DEBUG', true), …). */
export function env(): Environment {
  return ENV;
}

/** @internal keeps the DEBUG log on the backend that runs after a backend change. */
export function backendChanged(): void {
  if (ENV.getBool('DEBUG')) applyDebug(true);
}

/** Logs every kernel with its time (DEBUG = true). */
export function enableDebugMode(): void {
  ENV.set('DEBUG', true);
}

/** Sets PROD = true (recorded; ferrite's checks stay on). */
export function enableProdMode(): void {
  ENV.set('PROD', true);
}

/** Turns TensorFlow.js-style deprecation warnings off (DEPRECATION_WARNINGS_ENABLED = false). */
export function disableDeprecationWarnings(): void {
  ENV.set('DEPRECATION_WARNINGS_ENABLED', false);
}

/** Warns once per call with msg, unless deprecation warnings are off (as tf.deprecationWarn). */
export function deprecationWarn(msg: string): void {
  if (ENV.getBool('DEPRECATION_WARNINGS_ENABLED')) {
    console.warn(msg + ' You can disable deprecation warnings with fe.disableDeprecationWarnings().');
  }
}

/** How long f took: wall-clock milliseconds and the time spent inside backend kernels. */
export async function time(f: () => void): Promise<{ wallMs: number; kernelMs: number }> {
  const backend = ENGINE.get();
  let kernelMs = 0;
  const stop = observeKernels(backend, (_k, ms) => (kernelMs += ms));
  const t0 = typeof performance !== 'undefined' ? performance.now() : Date.now();
  try {
    f();
  } finally {
    stop();
  }
  const wallMs = (typeof performance !== 'undefined' ? performance.now() : Date.now()) - t0;
  return { wallMs, kernelMs };
}
