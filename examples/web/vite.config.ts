import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Cross-origin isolation: SharedArrayBuffer, and with it ferrite's threads, is only available
// to pages served with these two headers.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative asset URLs: the built page works from any directory of any static server.
  base: './',
  // Module workers, so the worker's bundle keeps import.meta.url (ferrite finds its .wasm by it).
  worker: { format: 'es' },
  // The dev server's dependency pre-bundling moves ferrite's code away from its wasm/ folder,
  // so the .wasm files it finds by import.meta.url would not be there.
  optimizeDeps: { exclude: ['ferrite-ml'] },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true },
  server: { headers: isolation },
  preview: { host: '127.0.0.1', headers: isolation },
});
