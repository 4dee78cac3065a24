// Mutation testing (`npm run mutation`): Stryker plants small bugs in the core, one at a time, and runs the tests that
// cover each one (per-test coverage); a mutant no test notices is a hole in the suite. Not part of `npm test`: slow.
// The tests that drive the compiled CLI in child processes (test/cli, test/features) are left out: they run dist/,
// which Stryker does not mutate, so they could never kill a mutant.
// Static mutants (module-level code run once at import: schemas, tables, regexes) are ignored: each needs the whole
// suite, and the 1,830 of them took 91% of the time (about 15 hours here). `npm run mutation -- --ignoreStatic false`
// runs them too.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  mutate: [
    'engine/**/*.ts',
    'bpmn/dialects/**/*.ts',
    'bpmn/import*.ts',
    'tasks/fs/**/*.ts',
    'workflows/galaxy/expect*.ts',
    '!**/*.d.ts',
  ],
  ignorePatterns: ['dist', 'coverage', 'reports', '.stryker-tmp', 'scratch'],
  concurrency: 2,
  timeoutMS: 20_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  thresholds: { high: 85, low: 80, break: null },
  cleanTempDir: 'always',
};
