// The run journal and run records: what happened, in order, and the summaries read back from it.
import type { SerializedError } from './errors.js';
import type { SameShape } from './same-shape.js';
import { s, type Infer } from './shape.js';

/** Lifecycle of a run. */
export const RunStatus = {
  Running: 'running',
  Succeeded: 'succeeded',
  Failed: 'failed',
  Cancelled: 'cancelled',
  /** Its process let go of it (SIGHUP) and left its supervised steps running: `gravity resume` re-attaches. */
  Detached: 'detached',
  NeedsAttention: 'needs-attention',
  /** Parked: a step waits for a person (an approval) or an outside event (a message); no process holds it. */
  Waiting: 'waiting',
  RolledBack: 'rolled-back',
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

/** The stored record of a run (`runs/<id>`). */
export interface RunRecord {
  id: string;
  workflow: string;
  title?: string;
  definitionHash: string;
  /** Where the definition came from, to reload it on resume. */
  source: { kind: 'catalog' | 'file' | 'inline'; ref?: string; mappings?: Record<string, string> };
  params: Record<string, unknown>;
  status: RunStatus;
  pid?: number;
  /** Start time of that process (see startTimeOf), so a reused pid is not taken for it. */
  pidStart?: number;
  host?: string;
  /** Set on child runs of a call step. */
  parent?: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  output?: unknown;
  error?: SerializedError & { step?: string };
  /** Why a run needs attention: the interrupted non-idempotent steps. */
  attention?: { message: string; steps: string[] };
  /** The run root its workflow declared (engine/run-root.ts): file tasks may not write outside of it; resume and rollback use it. */
  root?: string;
  /** While the run is waiting: what each parked step waits for (engine/wait.ts). */
  waiting?: Waiting[];
  /**
   * While the run runs or waits: the steps with message boundaries that a message would interrupt now, each message
   * they listen for and its correlation key (engine/message-boundaries.ts); absent when none does.
   */
  listening?: Listening[];
  /**
   * The kind of process driving the run now, when it drives many runs at once: `serve` (gravity serve). A cancel from
   * another process then asks it through the store (`cancel-requests/<run>`, engine/cancel.ts) instead of sending it
   * SIGINT, which would stop every run it drives. Absent for a CLI process.
   */
  driver?: 'serve';
  /** Who started the run when not the CLI: `api:<token name>` or `hook:<hook name>` (gravity serve). */
  startedBy?: string;
}

/** A message a running (or parked) step listens for: `gravity signal <run> <message> [--key k]` interrupts it. */
export interface Listening {
  step: string;
  message: string;
  /** The correlation key (as a string): only a message sent with it interrupts the step. */
  key?: string;
}

/** What a parked step waits for: a person's answer to an approval, or a named message (optionally correlated by a key). */
export interface Waiting {
  step: string;
  kind: 'approval' | 'message';
  /** The approval's question, or the message's name. */
  message: string;
  since: string;
  assignee?: string;
  candidateGroups?: string[];
  /** A message's correlation key (as a string). */
  key?: string;
  /** The step's timeout path falls due at this time (ISO): `gravity resume` then takes it. */
  until?: string;
  /** The step is a call whose child run is the one waiting (answers go to it). */
  child?: string;
}

/** An answer journaled for a parked step (`step.answered`): who gave it and what it says. */
export interface StepAnswer {
  kind: 'approve' | 'reject' | 'message';
  /** Who answered: `user@host` from the CLI, or the API token's name. */
  by: string;
  reason?: string;
  /** A message's name and key, and the data it carried. */
  name?: string;
  key?: string;
  data?: unknown;
  /** A message taken from the run's inbox (a message boundary's): the inbox entry's id. */
  id?: string;
}

const serializedErrorShape = s.object({
  name: s.string(),
  code: s.string(),
  message: s.string(),
  details: s.optional(s.record(s.unknown())),
});

/**
 * What a stored run record must be to be used: checked whenever one is read back (engine/run-store.ts), so that a
 * record of the wrong shape is reported as unreadable instead of failing later on a missing field. Unknown fields are
 * allowed (and kept: the record read is the one stored, not the parse result). A shape (engine/shape.ts), not a zod
 * schema, so that reading runs does not load zod; `runRecordSchema` (engine/record-schemas.ts) is the same in zod.
 */
export const runRecordShape = s.object({
  id: s.string({ min: 1 }),
  workflow: s.string(),
  title: s.optional(s.string()),
  definitionHash: s.string(),
  source: s.object({
    kind: s.enum(['catalog', 'file', 'inline']),
    ref: s.optional(s.string()),
    mappings: s.optional(s.record(s.string())),
  }),
  params: s.record(s.unknown()),
  status: s.enum(Object.values(RunStatus)),
  pid: s.optional(s.number()),
  pidStart: s.optional(s.number()),
  host: s.optional(s.string()),
  parent: s.optional(s.string()),
  createdAt: s.string(),
  updatedAt: s.string(),
  finishedAt: s.optional(s.string()),
  output: s.optional(s.unknown()),
  error: s.optional(s.object({ ...serializedErrorShape.fields, step: s.optional(s.string()) })),
  attention: s.optional(s.object({ message: s.string(), steps: s.array(s.string()) })),
  root: s.optional(s.string()),
  waiting: s.optional(
    s.array(
      s.object({
        step: s.string(),
        kind: s.enum(['approval', 'message']),
        message: s.string(),
        since: s.string(),
        assignee: s.optional(s.string()),
        candidateGroups: s.optional(s.array(s.string())),
        key: s.optional(s.string()),
        until: s.optional(s.string()),
        child: s.optional(s.string()),
      }),
    ),
  ),
  listening: s.optional(s.array(s.object({ step: s.string(), message: s.string(), key: s.optional(s.string()) }))),
  driver: s.optional(s.enum(['serve'])),
  startedBy: s.optional(s.string()),
});
// the shape and the interface describe the same record: a field added to one only is a type error here
true satisfies SameShape<RunRecord, Infer<typeof runRecordShape>>;

/** Kinds of journal entries (also the run events streamed to renderers). */
export type JournalType =
  | 'run.started'
  | 'run.resumed'
  | 'run.finished'
  | 'run.failed'
  | 'run.cancelled'
  | 'run.detached'
  | 'run.needs-attention'
  | 'run.waiting'
  | 'run.rolled-back'
  | 'task.started'
  | 'task.process'
  | 'task.retrying'
  | 'task.finished'
  | 'task.failed'
  | 'task.cancelled'
  | 'task.compensated'
  | 'task.compensate-failed'
  | 'step.waiting'
  | 'step.answered'
  | 'step.interrupted'
  | 'message.dropped';

/** One journal line. */
export interface JournalEntry {
  type: JournalType;
  at: string;
  step?: string;
  task?: string;
  attempt?: number;
  idempotent?: boolean;
  /** On task.started: the step's commands run under the step supervisor (engine/supervisor.ts) and can be adopted. */
  supervised?: boolean;
  input?: unknown;
  output?: unknown;
  error?: SerializedError;
  durationMs?: number;
  delayMs?: number;
  pid?: number;
  command?: string[];
  child?: string;
  message?: string;
  /** On task.compensated: the `at` of the task.finished entry that was undone (identifies that execution). */
  finishedAt?: string;
  /**
   * On task.cancelled: the machine left the step's state (a timer, a message, a failure elsewhere in a parallel state),
   * the run itself was not stopped: the step is over, on purpose (resume neither adopts it nor asks a person about it).
   */
  left?: boolean;
  /**
   * On step.answered: the answer to a parked step. On step.interrupted (a message boundary left the step) and
   * message.dropped (a message no step listened for any more): the message, who sent it, its key and data.
   */
  answer?: StepAnswer;
}

/** Every kind of journal entry, in the order of JournalType. */
export const JOURNAL_TYPES = [
  'run.started',
  'run.resumed',
  'run.finished',
  'run.failed',
  'run.cancelled',
  'run.detached',
  'run.needs-attention',
  'run.waiting',
  'run.rolled-back',
  'task.started',
  'task.process',
  'task.retrying',
  'task.finished',
  'task.failed',
  'task.cancelled',
  'task.compensated',
  'task.compensate-failed',
  'step.waiting',
  'step.answered',
  'step.interrupted',
  'message.dropped',
] as const satisfies readonly JournalType[];

/**
 * What a journal line must be to be used: checked when a journal is read back (engine/run-store.ts). A shape, like
 * runRecordShape; `journalEntrySchema` (engine/record-schemas.ts) is the same in zod.
 */
export const journalEntryShape = s.object({
  type: s.enum(JOURNAL_TYPES),
  at: s.string(),
  step: s.optional(s.string()),
  task: s.optional(s.string()),
  attempt: s.optional(s.number()),
  idempotent: s.optional(s.boolean()),
  supervised: s.optional(s.boolean()),
  input: s.optional(s.unknown()),
  output: s.optional(s.unknown()),
  error: s.optional(serializedErrorShape),
  durationMs: s.optional(s.number()),
  delayMs: s.optional(s.number()),
  pid: s.optional(s.number()),
  command: s.optional(s.array(s.string())),
  child: s.optional(s.string()),
  message: s.optional(s.string()),
  finishedAt: s.optional(s.string()),
  left: s.optional(s.boolean()),
  answer: s.optional(
    s.object({
      kind: s.enum(['approve', 'reject', 'message']),
      by: s.string(),
      reason: s.optional(s.string()),
      name: s.optional(s.string()),
      key: s.optional(s.string()),
      data: s.optional(s.unknown()),
      id: s.optional(s.string()),
    }),
  ),
});
true satisfies SameShape<JournalEntry, Infer<typeof journalEntryShape>>;

/** A live event: a journal entry, or a log line of a task (not journaled). */
export type RunEvent =
  | (JournalEntry & { runId: string })
  | {
      type: 'task.log';
      runId: string;
      at: string;
      step: string;
      level: 'info' | 'warn' | 'error' | 'stdout' | 'stderr';
      text: string;
    };

/** Per-step summary, as in `run --json` and `show`. */
export interface StepSummary {
  id: string;
  task: string;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted' | 'compensated';
  attempts: number;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  output?: unknown;
  error?: SerializedError;
  child?: string;
}

/** Folds a journal into one summary per step execution (a step run twice in a loop appears twice). */
export function summarizeSteps(journal: JournalEntry[], finished = true): StepSummary[] {
  const out: StepSummary[] = [];
  const open = new Map<string, StepSummary>();
  for (const e of journal) {
    if (!e.step) continue;
    let s = open.get(e.step);
    switch (e.type) {
      case 'task.started':
        if (!s) {
          s = {
            id: e.step,
            task: e.task ?? '?',
            status: 'running',
            attempts: e.attempt ?? 1,
            startedAt: e.at,
            ...(e.child ? { child: e.child } : {}),
          };
          open.set(e.step, s);
          out.push(s);
        } else s.attempts = e.attempt ?? s.attempts + 1;
        break;
      case 'task.retrying':
        if (s) s.attempts = e.attempt ?? s.attempts + 1;
        break;
      case 'task.finished':
      case 'task.failed':
      case 'task.cancelled':
        if (!s) break;
        s.status = e.type === 'task.finished' ? 'succeeded' : e.type === 'task.failed' ? 'failed' : 'cancelled';
        s.finishedAt = e.at;
        s.durationMs = Date.parse(e.at) - Date.parse(s.startedAt);
        if (e.output !== undefined) s.output = e.output;
        if (e.error) s.error = e.error;
        open.delete(e.step);
        break;
      case 'task.compensated': {
        const done = [...out].reverse().find((x) => x.id === e.step && x.status === 'succeeded');
        if (done) done.status = 'compensated';
        break;
      }
    }
  }
  if (finished) for (const s of open.values()) s.status = 'interrupted';
  return out;
}

/** A step's outcome as the journal has it: its output (task.finished) or its error (task.failed). */
export interface StepOutcome {
  output?: unknown;
  error?: SerializedError;
}

/** Each step's outcomes, in journal order. */
export function stepOutcomes(journal: readonly JournalEntry[]): Map<string, StepOutcome[]> {
  const out = new Map<string, StepOutcome[]>();
  for (const e of journal) {
    if (!e.step || (e.type !== 'task.finished' && e.type !== 'task.failed')) continue;
    const list = out.get(e.step) ?? [];
    list.push(
      e.type === 'task.finished'
        ? { output: e.output }
        : { error: e.error ?? { name: 'Error', code: 'TASK_FAILED', message: `step <${e.step}> failed` } },
    );
    out.set(e.step, list);
  }
  return out;
}

/**
 * Step outputs as the machine's context holds them: the last finished output of each step, from the journal. With
 * `taken` (how many outcomes of each step the machine had taken in, from a snapshot), only those count: the outcomes
 * after them are yet to be replayed.
 */
export function stepsFromJournal(journal: JournalEntry[], taken?: Record<string, number>): Record<string, unknown> {
  const steps: Record<string, unknown> = {};
  const seen = new Map<string, number>();
  for (const e of journal) {
    if (!e.step || (e.type !== 'task.finished' && e.type !== 'task.failed')) continue;
    const n = (seen.get(e.step) ?? 0) + 1;
    seen.set(e.step, n);
    if (taken && n > (taken[e.step] ?? 0)) continue;
    if (e.type === 'task.finished') steps[e.step] = e.output;
  }
  return steps;
}

/** A step started and never finished (crash) or cancelled: what resume must decide about. */
export interface OpenStep {
  step: string;
  task: string;
  idempotent: boolean;
  /** Its commands ran under the step supervisor: they may be adopted or re-attached. */
  supervised: boolean;
  /** Its last word in the journal is task.cancelled: its commands were stopped, nothing of it can be adopted. */
  cancelled: boolean;
  pids: number[];
  commands: string[][];
}

/** Whether `step` is an item of the for-each `forEach` (`<forEach>:<i>`, or `<forEach>.<n>:<i>` in its n-th run). */
const isItemOf = (step: string, forEach: string): boolean =>
  step.startsWith(forEach) && /^(\.\d+)?:\d+$/.test(step.slice(forEach.length));

/** Steps started and never finished (crash) or cancelled: what resume must decide about. */
export function openSteps(journal: JournalEntry[]): OpenStep[] {
  const open = new Map<string, OpenStep>();
  for (const e of journal) {
    if (!e.step) continue;
    if (e.type === 'task.started')
      open.set(e.step, {
        step: e.step,
        task: e.task ?? '?',
        idempotent: e.idempotent === true,
        supervised: e.supervised === true,
        cancelled: false,
        pids: [],
        commands: [],
      });
    else if (e.type === 'task.process' && e.pid) {
      open.get(e.step)?.pids.push(e.pid);
      open.get(e.step)?.commands.push(e.command ?? []);
    } else if (e.type === 'task.cancelled') {
      const s = open.get(e.step);
      if (s) s.cancelled = true;
    } else if (e.type === 'task.retrying') {
      const s = open.get(e.step);
      if (s) s.cancelled = false;
    } else if (e.type === 'task.finished' || e.type === 'task.failed') {
      open.delete(e.step);
      // a for-each (engine/each.ts FOR_EACH) that ended leaves none of its items open: those it stopped when its
      // completion condition held are over (cancelled), and no resume runs them again
      if (e.task === 'for-each') for (const k of open.keys()) if (isItemOf(k, e.step)) open.delete(k);
    }
  }
  return [...open.values()];
}

/**
 * The attempt a step was at when its run was interrupted (its last `task.started` or `task.retrying` since it last
 * finished or failed), or 0 when it is not in the middle of one. A resumed step goes on from there, so a retry limit
 * counts attempts across resumes: an interrupted attempt is made again under its own number, not a new one.
 */
export function interruptedAttempt(journal: readonly JournalEntry[], step: string): number {
  let attempt = 0;
  for (const e of journal) {
    if (e.step !== step) continue;
    if (e.type === 'task.started' || e.type === 'task.retrying') attempt = e.attempt ?? 1;
    else if (e.type === 'task.finished' || e.type === 'task.failed') attempt = 0;
  }
  return attempt;
}
