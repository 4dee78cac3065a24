// The shapes a run is made of, shared by the runner, resume, steps, calls and rollback (types only: no circle).
import type { Snapshot } from 'xstate';
import type { TaskRequest } from './compile.js';
import type { TaskRegistry } from './registry.js';
import type { Definition } from './definition.js';
import type { SerializedError } from './errors.js';
import type { JournalEntry, RunEvent, RunRecord, RunStatus, StepAnswer, StepSummary, Waiting } from './journal.js';
import type { Store } from './store/types.js';

/** What every run needs. */
export interface EngineOptions {
  store: Store;
  registry: TaskRegistry;
  /** Finds called workflows (`workflow:<id>` steps). */
  resolveWorkflow?: (id: string) => Definition | undefined;
  /** Folder file tasks resolve relative paths from and may not write outside of. Default: the current directory. */
  root?: string;
  /** Where `root` came from, for the tasks' messages: `--root` when absent, `declared by <workflow>` (engine/run-root.ts). */
  rootOrigin?: string;
  /** Receives every run event (journal entries and task log lines). */
  onEvent?: (event: RunEvent) => void;
  /** Persist snapshot and journal (default true; false only for in-memory benchmarks). */
  persist?: boolean;
  /**
   * The folder where a run keeps files too big for its record and journal (the whole output of a command that printed
   * more than the tail kept in its step output). Absent: only the tail is kept. The CLI sets `<data dir>/files/<run id>`.
   */
  filesDir?: (runId: string) => string;
  /**
   * Asks a person at a terminal to answer an approval step at once (y/N) instead of parking the run: the CLI sets it on
   * a terminal unless `--no-input`. Resolves undefined to park after all.
   */
  ask?: (q: { runId: string; step: string; message: string }) => Promise<AskAnswer | undefined>;
  /**
   * `serve` when this process drives many runs at once (gravity serve): recorded with each run it starts or resumes
   * (`RunRecord.driver`), so that a cancel from another process asks through the store rather than by SIGINT.
   */
  driver?: 'serve';
}

/** The result of a run, as printed by `run --json`. */
export interface RunResult {
  runId: string;
  workflow: string;
  status: RunStatus;
  steps: StepSummary[];
  output?: unknown;
  error?: SerializedError & { step?: string };
  attention?: RunRecord['attention'];
  /** What a waiting run waits for. */
  waiting?: RunRecord['waiting'];
  /** What the steps of a waiting run listen for (message boundaries: `gravity signal` interrupts them). */
  listening?: RunRecord['listening'];
  /** A failed run of a workflow with `meta.rollbackOnFailure`: what its rollback undid (engine/runner.ts). */
  rollback?: { compensated: string[]; skipped: string[]; failed?: { step: string; error: SerializedError } };
}

/** Options of one run. */
export interface StartOptions {
  params: Record<string, unknown>;
  runId?: string;
  source?: RunRecord['source'];
  parent?: string;
  signal?: AbortSignal;
  /** Who starts it, when not the CLI (`api:<token name>`, `hook:<name>`): kept in the record. */
  startedBy?: string;
}

/** Options of resume. */
export interface ResumeOptions {
  /** The definition as it is now (from the catalog or the file); compared with the run's hash. */
  definition?: Definition;
  /** Re-run interrupted steps that are not idempotent. */
  force?: boolean;
  /** Accept a definition that changed since the run started. */
  allowChanged?: boolean;
  signal?: AbortSignal;
  /** How long to wait for another process driving the run to let go (default 0: refuse at once). */
  waitMs?: number;
  /** An answer for a step the run waits at (approve, reject, a message), journaled under the run's lock before it goes on. */
  answer?: AnswerRequest;
}

/**
 * A pending `after` timer of the machine. xstate keeps timers out of its persisted snapshot, so they
 * are stored next to it and re-armed (with the time left) on resume.
 */
export interface PersistedTimer {
  id: string;
  event: { type: string };
  delay: number;
  /** Epoch ms when the timer was armed. */
  startedAt: number;
}

/** What `snapshots/<id>` holds. */
export interface PersistedRunSnapshot {
  definitionHash: string;
  snapshot: Snapshot<unknown>;
  timers?: PersistedTimer[];
  /** `context.steps` was left out: rebuild it from the journal's task.finished entries. */
  stepsInJournal?: boolean;
}

/** How a call step starts or resumes its child run (given to each execution by the runner, so calls never import it). */
export interface ChildRuns {
  start(def: Definition, o: StartOptions): Promise<RunResult>;
  resume(runId: string, o: ResumeOptions): Promise<RunResult>;
}

/** The level of a task step log line. */
export type LogLevel = 'info' | 'warn' | 'error' | 'stdout' | 'stderr';

/** What a running step sees of its run: the journal, the scope, and the ways to write, pause or call. */
export interface StepHost {
  readonly engine: EngineOptions;
  readonly record: RunRecord;
  readonly journal: readonly JournalEntry[];
  /** Set by resume --force: interrupted steps of child runs are re-run too. */
  readonly force: boolean;
  readonly children: ChildRuns;
  /**
   * Appends to the journal and streams the entry: durable when it resolves, or with `sync: false` written and made
   * durable by the next synced line (a step's end: the next step's start syncs it, before its work).
   */
  log(entry: Omit<JournalEntry, 'at'>, o?: { sync?: boolean }): Promise<void>;
  /** Streams a task log line (not journaled). */
  emitLog(step: string, level: LogLevel, text: string): void;
  /** Makes the current state durable before a step starts its side effects. */
  checkpoint(): Promise<void>;
  /** The attempt `step` was at when the run was interrupted (0 if none), once: a resumed step goes on from it. */
  takeInterruptedAttempt(step: string): number;
  /** True, once, when resume found the interrupted attempt of `step` adoptable (engine/supervisor.ts). */
  takeAdoption(step: string): boolean;
  /** The expression scope of the run right now (a copy). */
  scope(): Record<string, unknown>;
  /** Stops the run as *needs attention* (resumable). */
  requestAttention(message: string, step: string): void;
  /**
   * Parks `w.step`: once every running step waits (or holds waiting items), the run stops as *waiting* (engine/wait.ts).
   * The step's signal then aborts; `parked(step)` tells that abort from a cancel.
   */
  park(w: Waiting): void;
  parked(step: string): boolean;
  /** A step that runs others (a for-each) holds the run open while they run: counted apart when deciding to park. */
  holdOpen(delta: 1 | -1): void;
  /**
   * True when the step's signal aborted because the machine left the step's state (a timer, a message, a failure in a
   * parallel state), not because the run stops: its `task.cancelled` is journaled with `left: true`.
   */
  leftByMachine(): boolean;
  /** A reminder's side path runs (or ended): the run does not park while one runs (engine/reminders.ts). */
  sidePath(delta: 1 | -1): void;
  /** When the next reminder of `step` fires (epoch ms), or undefined: a parked run is due to be resumed then. */
  remindAt(step: string, at: number | undefined): void;
  /** Runs a step as the machine's steps run (a finished one a resume replays is not run again): for-each items. */
  runTask(request: TaskRequest, signal: AbortSignal): Promise<unknown>;
}

/** A step request as the step runner receives it (re-exported for hosts). */
export type { TaskRequest };

/** The answer a person gives at a terminal (engine option `ask`), or undefined to park the run instead. */
export interface AskAnswer {
  approved: boolean;
  reason?: string;
}

/** What `gravity approve`, `reject` and `signal` deliver to a waiting run. */
export interface AnswerRequest {
  kind: StepAnswer['kind'];
  /** The step answered; optional when the run waits at one step of that kind only. */
  step?: string;
  /** A message's name (`signal`), and the key it is correlated by. */
  name?: string;
  key?: string;
  reason?: string;
  data?: unknown;
  /** Who answers (default: `user@host` of this process). */
  by?: string;
}
