import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Both cores: vitest's default leaves one free, which ran the suite file after file (541 s of 545 s).
    maxWorkers: 2,
    reporters: ['default'],
  },
});
