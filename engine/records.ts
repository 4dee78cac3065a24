// The light entry point for reading runs: records, journals and their summaries, nothing that runs them. The commands
// that only read (`gravity runs`, `show`) import it instead of engine/index.ts, so that they load no zod, execa, xstate
// or feelin (docs/architecture.md, "Layers"); every name here is also exported by engine/index.ts.
export {
  RunStatus,
  stepsFromJournal,
  summarizeSteps,
  type JournalEntry,
  type JournalType,
  type RunEvent,
  type RunRecord,
  type StepSummary,
} from './journal.js';
export type { RunResult } from './run-types.js';
export {
  getRun,
  keys,
  listRuns,
  loadRun,
  readDefinition,
  readJournal,
  readSnapshot,
  type RunListing,
  type UnreadableRun,
} from './run-store.js';
export { resultOf } from './run-result.js';
export { isRunLive } from './liveness.js';
