// Mutation testing of the core (`npm run mutation`): Stryker plants small bugs, one at a time, and runs the tests that
// cover each one (per-test coverage); a mutant no test notices is a hole in the suite. Not part of `npm test`: slow.
// Which tests run, and why the others do not: vitest.mutation.config.ts.
// Static mutants (module-level code run once at import: schemas, tables, regexes) are ignored: each needs the whole
// test set, and the 1,830 of them took 91% of the time (about 15 hours on 2 cores). `npm run mutation -- --ignoreStatic
// false` runs them too.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export const shared = {
  testRunner: 'vitest',
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  ignorePatterns: ['dist', 'coverage', 'reports', '.stryker-tmp*', 'scratch'],
  concurrency: 2,
  timeoutMS: 5_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  clearTextReporter: { logTests: false, maxTestsToLog: 0 },
  incremental: true,
  thresholds: { high: 85, low: 80, break: null },
  cleanTempDir: 'always',
};

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...shared,
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  mutate: ['engine/**/*.ts', 'bpmn/dialects/**/*.ts', 'bpmn/import*.ts', 'tasks/fs/**/*.ts', '!**/*.d.ts'],
  htmlReporter: { fileName: 'reports/mutation/core.html' },
  jsonReporter: { fileName: 'reports/mutation/core.json' },
  incrementalFile: 'reports/mutation/core-incremental.json',
};
