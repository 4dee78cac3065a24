// Mutation testing of the scenario expectations (workflows/galaxy/expect*.ts) against test/galaxy; see stryker.config.mjs.
import { shared } from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...shared,
  vitest: { configFile: 'vitest.mutation-galaxy.config.ts', related: false },
  mutate: ['workflows/galaxy/expect*.ts'],
  htmlReporter: { fileName: 'reports/mutation/galaxy.html' },
  jsonReporter: { fileName: 'reports/mutation/galaxy.json' },
  incrementalFile: 'reports/mutation/galaxy-incremental.json',
};
