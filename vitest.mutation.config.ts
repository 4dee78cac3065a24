// The tests Stryker runs against the mutants of the core (stryker.config.mjs): the engine's, the BPMN layer's and the
// file and process task nodes' own tests. Left out, so that a run fits a 2-core machine: the tests that drive the
// compiled CLI (they run dist/, never mutated), the git and galaxy task tests (slow, real git, and they exercise the
// engine only through the process runner, which test/engine and test/tasks/exec cover), the hostile-input limits
// (10,000-task models, 50 MB files, 10,000-level nesting: seconds per run of each covered mutant), the two-process store
// hammer and the reliability attacks (real CLI processes and signals).
// workflows/galaxy/expect*.ts has its own configuration (stryker.galaxy.config.mjs, over test/galaxy).
import { defineConfig } from 'vitest/config';

const mutationTest = {
  testTimeout: 30_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
};

export default defineConfig({
  test: {
    ...mutationTest,
    include: [
      'test/engine/**/*.test.ts',
      'test/bpmn/**/*.test.ts',
      'test/tasks/fs/**/*.test.ts',
      'test/tasks/exec/**/*.test.ts',
      'test/tasks/time/**/*.test.ts',
      'test/tasks/log/**/*.test.ts',
      'test/tasks/assert/expr.test.ts',
      'test/tasks/index.test.ts',
    ],
    exclude: [
      'test/bpmn/hostile.test.ts',
      'test/bpmn/limits.test.ts',
      'test/engine/store-concurrency.test.ts',
      'test/reliability/**',
    ],
  },
});
