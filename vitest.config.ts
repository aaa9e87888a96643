import { defineConfig } from 'vitest/config';

// One vitest process for the whole monorepo: unit tests sit beside the code in each
// package, cross-package/conformance/end-to-end tests live in test/src.
export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'workers/*/src/**/*.test.ts',
      'bench/src/**/*.test.ts',
      'test/src/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
