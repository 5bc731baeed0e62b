/**
 * WebAssembly feature detection: `WebAssembly.validate` on tiny modules that use the feature.
 * Validation compiles nothing and runs nothing, so these checks are cheap and safe anywhere.
 */

const V128_CONST = [253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/** (module (func (result v128) (v128.const i32x4 0 0 0 0))) */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, // magic, version
  1, 5, 1, 96, 0, 1, 123, // type section: () -> v128
  3, 2, 1, 0, // function section
  10, 22, 1, 20, 0, ...V128_CONST, 11, // code section
]);

/** As above, returning f32x4.relaxed_madd of three v128 constants. */
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0,
  1, 5, 1, 96, 0, 1, 123,
  3, 2, 1, 0,
  10, 61, 1, 59, 0, ...V128_CONST, ...V128_CONST, ...V128_CONST, 253, 133, 2, 11,
]);

function validates(bytes: Uint8Array<ArrayBuffer>): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

let simd: boolean | undefined;

/** Whether the engine supports WebAssembly SIMD (simd128). */
export function wasmSimdSupported(): boolean {
  return (simd ??= validates(SIMD_PROBE));
}

/**
 * Whether the engine supports relaxed SIMD. Not cached: on Node 20 the answer changes once
 * `enableRelaxedSimdFlag()` has run.
 */
export function wasmRelaxedSimdSupported(): boolean {
  return validates(RELAXED_PROBE);
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/**
 * Opt-in only: in Node, sets V8's `--experimental-wasm-relaxed-simd` flag (needed on Node 20;
 * Node ≥ 22 has relaxed SIMD on by default). Does nothing elsewhere. Returns whether relaxed
 * SIMD validates afterwards. Modules compiled before the call are unaffected.
 */
export async function enableRelaxedSimdFlag(): Promise<boolean> {
  if (wasmRelaxedSimdSupported()) return true;
  if (!isNode()) return false;
  try {
    const v8 = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:v8');
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return wasmRelaxedSimdSupported();
}
