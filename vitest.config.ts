import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Both cores: vitest's default leaves one free, which ran the suite file after file (541 s of 545 s).
    maxWorkers: 2,
    // Files share their two worker processes instead of each starting its own and importing the
    // whole module graph again (~2 s a file, a third of the suite's worker time). Tests hold no global
    // state between files; test/helpers/file-isolation.ts fails a file that leaves any behind.
    isolate: false,
    setupFiles: ['test/helpers/file-isolation.ts'],
    reporters: ['default'],
  },
});
