import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Memory tests collect garbage to count only reachable tensors.
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
  },
});
