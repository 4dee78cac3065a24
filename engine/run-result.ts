// A run as `run --json`, `show` and rollback report it: its record and the steps its journal tells of. Apart from the
// execution (engine/execution.ts, which uses it too) so that `gravity show` reads a run without loading xstate.
import { RunStatus, summarizeSteps, type JournalEntry, type RunRecord } from './journal.js';
import type { RunResult } from './run-types.js';

/** The `--json` shape of a run, from its record and journal. */
export function resultOf(r: RunRecord, journal: JournalEntry[]): RunResult {
  return {
    runId: r.id,
    workflow: r.workflow,
    status: r.status,
    steps: summarizeSteps(journal, r.status !== RunStatus.Running),
    ...(r.output !== undefined ? { output: r.output } : {}),
    ...(r.error ? { error: r.error } : {}),
    ...(r.attention ? { attention: r.attention } : {}),
    ...(r.waiting ? { waiting: r.waiting } : {}),
    ...(r.listening && r.status === RunStatus.Waiting ? { listening: r.listening } : {}),
  };
}
