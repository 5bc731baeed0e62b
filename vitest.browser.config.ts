import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The real-browser tests (npm run test:browser): the built demo page in headless Chromium.
export default defineConfig({
  // Tests import the library by its package name, from the sources.
  resolve: { alias: { 'ferrite-ml': fileURLToPath(new URL('./ts/index.ts', import.meta.url)) } },
  test: {
    include: ['tests/browser/**/*.spec.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One Chromium at a time on these 2-core machines.
    fileParallelism: false,
  },
});
