import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'ts/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // Gives the CJS build an import.meta.url so the loader finds wasm/ next to dist/.
  shims: true,
});
