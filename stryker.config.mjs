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

/**
 * The core in parts that each fit in one sitting on 2 cores: `GRAVITY_MUTATE=engine npx stryker run stryker.config.mjs`
 * mutates one part and writes its own reports (reports/mutation/<part>.json), which the summary merges.
 * Without GRAVITY_MUTATE, every part at once (reports/mutation/core.json).
 */
export const parts = {
  // the engine in three: its store, its language (definitions, FEEL, params, validation, plans) and its runs
  'engine-store': ['engine/store/**/*.ts'],
  'engine-lang': [
    'engine/{builder,definition,define-task,duration,errors,expressions,limits,params,plan,registry,same-shape,schema-keys,validate}.ts',
  ],
  'engine-run': [
    'engine/{answer,call,cancel,compile,each,execution,journal,liveness,process,resume,rollback,run-lock,run-result,run-root,run-store,runner,send,shape,step,supervisor,wait,wait-tasks}.ts',
  ],
  'bpmn-dialects': ['bpmn/dialects/**/*.ts'],
  'bpmn-import': ['bpmn/import*.ts'],
  // tasks/support/paths.ts and files.ts came out of tasks/fs/support.ts: the fs tests cover them
  'tasks-fs': ['tasks/fs/**/*.ts', 'tasks/support/paths.ts', 'tasks/support/files.ts'],
};

const part = process.env.GRAVITY_MUTATE;
if (part !== undefined && !(part in parts))
  throw new Error(`GRAVITY_MUTATE=${part}: expected one of ${Object.keys(parts).join(', ')}`);
const name = part ?? 'core';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...shared,
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  mutate: [...(part ? parts[part] : Object.values(parts).flat()), '!**/*.d.ts'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  incrementalFile: `reports/mutation/${name}-incremental.json`,
};
