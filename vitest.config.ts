import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Tests import the library by its package name, from the sources.
  resolve: { alias: { 'ferrite-ml': fileURLToPath(new URL('./ts/index.ts', import.meta.url)) } },
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Uninitialized outputs are filled with NaN, so a kernel that leaves part unwritten fails.
    env: { FERRITE_POISON_UNINIT: '1' },
    // Memory tests collect garbage to count only reachable tensors.
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
  },
});
