// The tests Stryker runs against the mutants of workflows/galaxy/expect*.ts (stryker.galaxy.config.mjs): the
// in-process scenario runs of test/galaxy, where every expectation kind must hold and must fail.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { testTimeout: 30_000, hookTimeout: 60_000, pool: 'forks', include: ['test/galaxy/**/*.test.ts'] },
});
