import { defineConfig } from 'vitest/config';

// The real-browser tests (npm run test:browser): the built demo page in headless Chromium.
export default defineConfig({
  test: {
    include: ['tests/browser/**/*.spec.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One Chromium at a time on these 2-core machines.
    fileParallelism: false,
  },
});
