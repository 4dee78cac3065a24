// The runner: executes a compiled definition as an xstate actor, persisting snapshot + journal after every step.
import { createActor, type AnyActorRef, type Snapshot } from 'xstate';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Definition, StateConfig } from './definition.js';
import { definitionHash } from './definition.js';
import type { TaskRegistry } from './define-task.js';
import type { Store } from './store/types.js';
import { compile, scopeOf, type RunContext, type Runtime } from './compile.js';
import { CancelledError, GravityError, serializeError, type SerializedError } from './errors.js';
import { startTimeOf } from './process.js';
import { resolveTemplate } from './expressions.js';
import { RunStatus, summarizeSteps, type JournalEntry, type RunEvent, type RunRecord, type StepSummary } from './journal.js';
import { runTaskStep } from './step.js';
import { assertValidDefinition } from './validate.js';

/** What every run needs. */
export interface EngineOptions {
  store: Store;
  registry: TaskRegistry;
  /** Finds called workflows (`workflow:<id>` steps). */
  resolveWorkflow?: (id: string) => Definition | undefined;
  /** Folder destructive file tasks may not leave. Default: the current directory. */
  root?: string;
  /** Receives every run event (journal entries and task log lines). */
  onEvent?: (event: RunEvent) => void;
  /** Persist snapshot and journal (default true; false only for in-memory benchmarks). */
  persist?: boolean;
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

/** Step outputs as the machine's context holds them: the last finished output of each step, from the journal. */
export function stepsFromJournal(journal: JournalEntry[]): Record<string, unknown> {
  const steps: Record<string, unknown> = {};
  for (const e of journal) if (e.type === 'task.finished' && e.step) steps[e.step] = e.output;
  return steps;
}

/** Keys of a run in the store. */
export const keys = {
  run: (id: string) => `runs/${id}`,
  snapshot: (id: string) => `snapshots/${id}`,
  journal: (id: string) => `journal/${id}`,
};

/** A new sortable, readable run id: `YYMMDD-HHMMSS-xxxxxx`. */
export function newRunId(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const d = `${String(now.getUTCFullYear()).slice(2)}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${d}-${randomBytes(3).toString('hex')}`;
}

/** One execution (fresh or resumed) of a definition, bound to a run record. */
export class Execution implements Runtime {
  readonly journal: JournalEntry[] = [];
  private actor!: AnyActorRef;
  private writes: Promise<unknown> = Promise.resolve();
  private lastPersisted: unknown;
  private inflight = new Set<Promise<unknown>>();
  private restoredTimers: PersistedTimer[] = [];
  /**
   * Set on resume: journaled outcomes (output or error) of steps the snapshot still shows running because the
   * process died between journaling their end and writing the next snapshot. Used once instead of running them again.
   */
  readonly replay = new Map<string, { output?: unknown; error?: SerializedError }>();
  private readonly pause = new AbortController();
  private attention?: { message: string; steps: string[] };
  /** Set by resume --force: interrupted steps of child runs are re-run too. */
  force = false;
  /** Aborts the steps still running when the machine errors (xstate does not stop children then). */
  private readonly halt = new AbortController();

  constructor(
    readonly engine: EngineOptions,
    readonly def: Definition,
    readonly record: RunRecord,
    readonly signal: AbortSignal,
  ) {}

  /** Queues a durable write; writes happen in order. */
  private enqueue(fn: () => Promise<unknown>): Promise<unknown> {
    const p = this.writes.then(fn);
    this.writes = p.catch(() => undefined);
    return p;
  }

  /** Appends to the journal (durably) and streams the entry to subscribers. */
  async log(entry: Omit<JournalEntry, 'at'>): Promise<void> {
    const e = { at: new Date().toISOString(), ...entry } as JournalEntry;
    this.journal.push(e);
    this.engine.onEvent?.({ runId: this.record.id, ...e });
    if (this.engine.persist !== false) await this.enqueue(() => this.engine.store.append(keys.journal(this.record.id), e));
  }

  /** Streams a task log line to subscribers (not journaled). */
  emitLog(step: string, level: 'info' | 'warn' | 'error' | 'stdout' | 'stderr', text: string): void {
    this.engine.onEvent?.({ type: 'task.log', runId: this.record.id, at: new Date().toISOString(), step, level, text });
  }

  /** Persists the run record. */
  async saveRecord(patch: Partial<RunRecord>): Promise<void> {
    Object.assign(this.record, patch, { updatedAt: new Date().toISOString() });
    if (this.engine.persist !== false) await this.enqueue(() => this.engine.store.put(keys.run(this.record.id), this.record));
  }

  private persistSnapshot(): Promise<unknown> {
    if (this.engine.persist === false) return Promise.resolve();
    // one write per machine state: getPersistedSnapshot() builds a new object each call, the live snapshot does not
    const live = this.actor.getSnapshot();
    // a stopped actor (cancel) is not a state to resume from: the last active one is
    if (live === this.lastPersisted || live.status === 'stopped') return this.writes;
    this.lastPersisted = live;
    const snap = this.actor.getPersistedSnapshot();
    // step outputs are in the journal already: the snapshot leaves them out (rebuilt on resume), so it stays small
    const s = snap as Snapshot<unknown> & { context: RunContext };
    const slim = { ...s, context: { ...s.context, steps: {} } } as unknown as Snapshot<unknown>;
    const value: PersistedRunSnapshot = { definitionHash: this.record.definitionHash, snapshot: slim, stepsInJournal: true, timers: this.timers() };
    return this.enqueue(() => this.engine.store.put(keys.snapshot(this.record.id), value));
  }

  /** The machine's pending timers, in a JSON form (plus restored ones not re-armed yet). */
  private timers(): PersistedTimer[] {
    const armed = Object.values(this.actor.system.getSnapshot()._scheduledEvents)
      .filter((t) => t.source === this.actor && t.target === this.actor)
      .map((t) => ({ id: t.id, event: { ...t.event } as { type: string }, delay: t.delay, startedAt: t.startedAt }));
    return [...armed, ...this.restoredTimers.filter((r) => !armed.some((t) => t.id === r.id))];
  }

  /** Makes the current state durable before a step starts its side effects. */
  async checkpoint(): Promise<void> {
    if (this.engine.persist === false) return;
    await new Promise((r) => setImmediate(r));
    await this.persistSnapshot();
  }

  /** The expression scope of the run right now. */
  scope(): Record<string, unknown> {
    const ctx = this.actor.getSnapshot().context as RunContext;
    // step outputs are written in place as the run goes on: hand out a copy, frozen at this moment
    return scopeOf({ ...ctx, steps: { ...ctx.steps } });
  }

  runTask(request: Parameters<Runtime['runTask']>[0], signal: AbortSignal): Promise<unknown> {
    const done = this.replay.get(request.step);
    if (done) {
      this.replay.delete(request.step);
      return done.error ? Promise.reject(new GravityError(done.error.code as never, done.error.message, done.error.details)) : Promise.resolve(done.output);
    }
    const p = runTaskStep(this, request, AbortSignal.any([signal, this.halt.signal]));
    this.inflight.add(p);
    p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    // a step halted after the machine errored reports to nobody (its parent actor is already stopped)
    return p.catch((e: unknown) => (this.halt.signal.aborted ? new Promise<never>(() => undefined) : Promise.reject(e)));
  }

  /** Runs the actor to its end (or cancellation); `snapshot` (and its pending `timers`) resumes. */
  async execute(snapshot?: Snapshot<unknown>, timers: PersistedTimer[] = []): Promise<RunResult> {
    const machine = compile(this.def, this);
    this.actor = createActor(machine, snapshot ? { snapshot, input: { params: this.record.params } } : { input: { params: this.record.params } });
    const ended = new Promise<Snapshot<unknown>>((resolve) => {
      this.actor.subscribe({
        next: (s) => {
          if (s.status === 'active' || s.status === 'done') void this.persistSnapshot();
          if (s.status !== 'active') resolve(s);
        },
        error: () => resolve(this.actor.getSnapshot()),
      });
    });
    // the run stops on cancel (the caller's signal) or when a step asks for attention (a child run that needs it)
    const stop = AbortSignal.any([this.signal, this.pause.signal]);
    const onAbort = () => this.actor.stop();
    stop.addEventListener('abort', onAbort, { once: true });
    this.restoredTimers = timers;
    this.actor.start();
    if (this.actor.getSnapshot().status === 'active') {
      for (const t of timers) this.actor.system.scheduler.schedule(this.actor, this.actor, t.event, Math.max(0, t.delay - (Date.now() - t.startedAt)), t.id);
    }
    if (stop.aborted) {
      // cancelled before it could start: keep it resumable from where it stands
      await this.persistSnapshot();
      this.actor.stop();
    }
    this.restoredTimers = [];
    const first = this.actor.getSnapshot();
    const settled = first.status !== 'active' ? Promise.resolve(first) : ended;
    const stopped = stop.aborted ? this.actor.getSnapshot() : await Promise.race([settled, new Promise<Snapshot<unknown>>((r) => stop.addEventListener('abort', () => r(this.actor.getSnapshot()), { once: true }))]);
    stop.removeEventListener('abort', onAbort);
    if (stopped.status === 'error') this.halt.abort(new CancelledError('run failed'));
    await Promise.allSettled([...this.inflight]);
    await this.writes;
    return this.finish(stop.aborted ? undefined : stopped);
  }

  /** Stops the run as *needs attention* (resumable): a step found something a person must decide (e.g. its child run). */
  requestAttention(message: string, step: string): void {
    this.attention ??= { message, steps: [step] };
    this.pause.abort();
  }

  private async finish(snap: Snapshot<unknown> | undefined): Promise<RunResult> {
    const r = this.record;
    if (!snap && this.attention && !this.signal.aborted) {
      await this.log({ type: 'run.needs-attention', message: this.attention.message });
      await this.saveRecord({ status: RunStatus.NeedsAttention, attention: this.attention, pid: undefined });
    } else if (!snap) {
      await this.log({ type: 'run.cancelled', message: 'cancelled; resume with `gravity resume`' });
      await this.saveRecord({ status: RunStatus.Cancelled, pid: undefined });
    } else if (snap.status === 'done') {
      const s = snap as unknown as { value: unknown; context: RunContext };
      const key = typeof s.value === 'string' ? s.value : Object.keys(s.value as object)[0];
      const final: StateConfig | undefined = this.def.machine.states[key];
      const scope = scopeOf(s.context);
      const fail = final?.meta?.fail;
      try {
        if (fail) {
          const msg = typeof fail === 'object' && fail.message ? String(resolveTemplate(fail.message, scope, key)) : `run ended in <${key}>`;
          const error = { ...(s.context.error ?? {}), ...new GravityError('TASK_FAILED', msg, { element: key }).toJSON() };
          await this.log({ type: 'run.failed', error, message: msg });
          await this.saveRecord({ status: RunStatus.Failed, error, finishedAt: new Date().toISOString(), pid: undefined });
        } else if (final?.meta?.attention) {
          const output = final.output === undefined ? undefined : resolveTemplate(final.output, scope, key);
          const message = String(resolveTemplate(final.meta.attention.message, scope, key));
          await this.log({ type: 'run.needs-attention', output, message });
          await this.saveRecord({ status: RunStatus.NeedsAttention, output, attention: { message, steps: [] }, finishedAt: new Date().toISOString(), pid: undefined });
        } else {
          const output = final?.output === undefined ? undefined : resolveTemplate(final.output, scope, key);
          await this.log({ type: 'run.finished', output });
          await this.saveRecord({ status: RunStatus.Succeeded, output, finishedAt: new Date().toISOString(), pid: undefined });
        }
      } catch (e) {
        const error = serializeError(e);
        await this.log({ type: 'run.failed', error });
        await this.saveRecord({ status: RunStatus.Failed, error, finishedAt: new Date().toISOString(), pid: undefined });
      }
    } else {
      const raw = (snap as { error?: unknown }).error;
      const failedStep = [...this.journal].reverse().find((e) => e.type === 'task.failed');
      const error = { ...serializeError(raw), ...(failedStep?.step ? { step: failedStep.step } : {}) };
      await this.log({ type: 'run.failed', error });
      await this.saveRecord({ status: RunStatus.Failed, error, finishedAt: new Date().toISOString(), pid: undefined });
    }
    return resultOf(r, this.journal);
  }
}

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
  };
}

/** Options of one run. */
export interface StartOptions {
  params: Record<string, unknown>;
  runId?: string;
  source?: RunRecord['source'];
  parent?: string;
  signal?: AbortSignal;
}

/** Starts a run of a (validated) definition and waits for its end. */
export async function startRun(engine: EngineOptions, def: Definition, o: StartOptions): Promise<RunResult> {
  assertValidDefinition(def, engine.registry, { resolveWorkflow: engine.resolveWorkflow });
  const now = new Date().toISOString();
  const record: RunRecord = {
    id: o.runId ?? newRunId(),
    workflow: def.id,
    ...(def.title ? { title: def.title } : {}),
    definitionHash: definitionHash(def),
    source: o.source ?? { kind: 'inline' },
    params: o.params,
    status: RunStatus.Running,
    pid: process.pid,
    pidStart: startTimeOf(process.pid),
    host: hostname(),
    ...(o.parent ? { parent: o.parent } : {}),
    createdAt: now,
    updatedAt: now,
  };
  if (engine.persist !== false) {
    await engine.store.put(keys.run(record.id), record, { ifVersion: null });
    // the definition itself is kept so that `show` and resume of inline/file runs need no source
    const defKey = `definitions/${record.definitionHash}`;
    if (!(await engine.store.get(defKey))) await engine.store.put(defKey, def);
  }
  const ex = new Execution(engine, def, record, o.signal ?? new AbortController().signal);
  await ex.log({ type: 'run.started', input: o.params, message: def.title ?? def.id });
  return ex.execute();
}
