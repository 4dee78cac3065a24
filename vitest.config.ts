// Test runner settings: every test file under test/, a JSON report for .ci/run's summary line.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results.json' },
    pool: 'forks',
    // two test files at once on the 2 cores CI has (vitest's default is one fewer than the cores): most tests wait on
    // real processes, git, Docker and disks, not on the CPU, so the suite takes about 60 % of its one-at-a-time time;
    // files that start servers use loopback addresses of their own, so they never meet
    maxWorkers: 2,
  },
});
