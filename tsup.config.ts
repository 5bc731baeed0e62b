import { copyFileSync } from 'node:fs';
import { defineConfig } from 'tsup';
import type { Plugin } from 'esbuild';

/**
 * For the browser entry: every `node:*` import (the loader's and feature detection's
 * Node-only paths, never taken in a browser) becomes a stub that throws if it is ever loaded,
 * so bundlers see no Node built-in at all.
 */
const noNodeBuiltins: Plugin = {
  name: 'no-node-builtins',
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'no-node' }));
    build.onLoad({ filter: /.*/, namespace: 'no-node' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`ferrite: ${args.path} is a Node.js module; the browser build cannot load it`)}); export {};`,
      loader: 'js',
    }));
  },
};

export default defineConfig([
  {
    entry: { index: 'ts/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    // Keeps the browser entry, which the second build writes into the same folder.
    clean: ['!index.browser.*'],
    target: 'es2022',
    // Gives the CJS build an import.meta.url so the loader finds wasm/ next to dist/.
    shims: true,
    // The worker pool's helper script is plain JavaScript, loaded next to the bundle
    // (new URL('./thread-worker.mjs', import.meta.url)): copied as is.
    onSuccess: async () => {
      copyFileSync('ts/backend/wasm/threads/thread-worker.mjs', 'dist/thread-worker.mjs');
    },
  },
  {
    // The "browser" condition of package.json's exports: the same library, no Node built-ins.
    entry: { 'index.browser': 'ts/index.ts' },
    format: ['esm'],
    platform: 'browser',
    // Keep `node:` on the specifiers so the plugin below sees them.
    removeNodeProtocol: false,
    // One file: the stubs are inlined, not split into chunks.
    splitting: false,
    sourcemap: true,
    clean: false,
    target: 'es2022',
    esbuildPlugins: [noNodeBuiltins],
  },
]);
