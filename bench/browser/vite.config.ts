import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The browser benchmark page (bench/browser/run.ts builds it from the packed package).
export default defineConfig({
  root: fileURLToPath(new URL('./page', import.meta.url)),
  base: './',
  // Module workers keep import.meta.url, by which ferrite finds its .wasm and helper script.
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['ferrite-ml'] },
  build: {
    target: 'es2022',
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 8000,
  },
  logLevel: 'warn',
});
