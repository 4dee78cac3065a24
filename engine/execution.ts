// One execution (fresh or resumed) of a definition as an xstate actor: snapshots after every state, the end recorded.
import { createActor, type AnyActorRef, type Snapshot } from 'xstate';
import { CANCEL_EVENT, RETHROW, type Definition, type StateConfig } from './definition.js';
import { bindRuntime, compile, scopeOf, type RunContext, type Runtime, type TaskRequest } from './compile.js';
import {
  CancelledError,
  DetachedError,
  ErrorCode,
  GravityError,
  serializeError,
  type SerializedError,
} from './errors.js';
import { resolveTemplate } from './expressions.js';
import { openSteps, RunStatus, type JournalEntry, type RunRecord, type Waiting } from './journal.js';
import { resultOf } from './run-result.js';
import { RunWriter } from './run-store.js';
import type { ChildRuns, EngineOptions, LogLevel, PersistedTimer, RunResult, StepHost } from './run-types.js';
import { runTaskStep } from './step.js';

/** A snapshot every this many machine states at least (resume replays at most about as many step outcomes). */
const SNAPSHOT_EVERY = 128;
/** And at least this often, ms, while states come. */
const SNAPSHOT_MS = 1000;

/** True when a state, at any depth, has `after` timers. */
function hasTimers(states: Record<string, StateConfig> | undefined): boolean {
  return Object.values(states ?? {}).some((s) => s.after !== undefined || hasTimers(s.states));
}

/** The identity of a set of pending timers, to notice when it changes. */
function timerKey(timers: PersistedTimer[]): string {
  return timers
    .map((t) => `${t.id}@${t.startedAt}`)
    .sort()
    .join(',');
}

/** One execution (fresh or resumed) of a definition, bound to a run record. */
export class Execution implements Runtime, StepHost {
  private readonly writer: RunWriter;
  private actor!: AnyActorRef;
  private lastPersisted: unknown;
  /** States since the last snapshot, and when it was taken (see onState). */
  private sinceSnapshot = 0;
  private lastSnapshotAt = Date.now();
  /** The pending timers the last snapshot holds (see timerKey). */
  private lastTimers = '';
  /** Step outcomes handed to the machine so far, and as of the last state: a state reached without one is forced. */
  private delivered = 0;
  private seenDelivered = 0;
  /** The definition has timers (`after`): only then can the pending timers change. */
  private readonly usesTimers: boolean;
  /** A snapshot the next step must wait for. */
  private forced: Promise<unknown> | undefined;
  private inflight = new Set<Promise<unknown>>();
  private restoredTimers: PersistedTimer[] = [];
  /**
   * Set on resume: per step, its journaled outcomes (output or error) that the snapshot's machine had not taken in
   * (engine/resume.ts). Each is used once, in order, instead of running the step again: the run fast-forwards.
   */
  readonly replay = new Map<string, Array<{ output?: unknown; error?: SerializedError }>>();
  /** Set on resume: the attempt each interrupted step was at (see interruptedAttempt), used once by that step. */
  readonly interrupted = new Map<string, number>();
  /** Set on resume: interrupted supervised steps whose commands are adopted or re-attached (see takeAdoption). */
  readonly adopt = new Set<string>();
  private readonly pause = new AbortController();
  private attention?: { message: string; steps: string[] };
  /** Set by resume --force: interrupted steps of child runs are re-run too. */
  force = false;
  /** Aborts the steps still running when the machine errors (xstate does not stop children then). */
  private readonly halt = new AbortController();
  /** Set when a cancel was handed to the machine as {@link CANCEL_EVENT} (a cleanup runs) instead of stopping it. */
  private cleaningUp = false;
  /** Steps parked (engine/wait.ts), by step id; the run stops as waiting once nothing else runs. */
  private readonly waits = new Map<string, Waiting>();
  /** Steps running other steps (for-each): not counted as running when deciding to park. */
  private holding = 0;
  /** Set when the run stops because every running step waits. */
  private parking = false;

  constructor(
    readonly engine: EngineOptions,
    readonly def: Definition,
    readonly record: RunRecord,
    readonly signal: AbortSignal,
    readonly children: ChildRuns,
    journal: JournalEntry[] = [],
  ) {
    this.writer = new RunWriter(engine, record);
    this.writer.journal.push(...journal);
    this.usesTimers = hasTimers(def.machine.states);
  }

  /** The journal so far (what was read on resume, then every entry logged). */
  get journal(): JournalEntry[] {
    return this.writer.journal;
  }

  log(entry: Omit<JournalEntry, 'at'>, o?: { sync?: boolean }): Promise<void> {
    return this.writer.log(entry, o);
  }

  emitLog(step: string, level: LogLevel, text: string): void {
    this.writer.emitLog(step, level, text);
  }

  saveRecord(patch: Partial<RunRecord>): Promise<void> {
    return this.writer.saveRecord(patch);
  }

  /**
   * Queues a snapshot of the current state (skipped when it is the one written last, or the actor is stopped: a stopped
   * actor is not a state to resume from, the last active one is).
   */
  private persistSnapshot(): Promise<unknown> {
    if (!this.writer.persists) return Promise.resolve();
    const live = this.actor.getSnapshot();
    if (live === this.lastPersisted || live.status === 'stopped') return this.writer.flushed();
    this.lastPersisted = live;
    this.sinceSnapshot = 0;
    this.lastSnapshotAt = Date.now();
    const snap = this.actor.getPersistedSnapshot();
    // step outputs are in the journal already: the snapshot leaves them out (rebuilt on resume), so it stays small; the
    // outcome counts are copied (the machine updates them in place) so that the snapshot is this moment's
    const s = snap as Snapshot<unknown> & { context: RunContext };
    const slim = {
      ...s,
      context: { ...s.context, steps: {}, outcomes: { ...s.context.outcomes } },
    } as unknown as Snapshot<unknown>;
    const timers = this.timers();
    this.lastTimers = timerKey(timers);
    return this.writer.saveSnapshot({
      definitionHash: this.record.definitionHash,
      snapshot: slim,
      stepsInJournal: true,
      timers,
    });
  }

  /**
   * After each machine state: a snapshot is a checkpoint, written every SNAPSHOT_EVERY states or SNAPSHOT_MS, since
   * resume replays the journaled step outcomes that came after it. It is written at once, and waited for before the
   * next step starts (`checkpoint`), when what happened cannot be replayed from the journal: a transition no step
   * outcome caused (the start, a timer, a cancel handed to a cleanup: a step the machine stops by a timer is one),
   * timers armed or disarmed (their deadlines live in the snapshot), and the end. A step stopped by a transition that a
   * step outcome caused (a failure leaving a parallel state) is stopped again when resume replays that outcome.
   */
  private onState(s: Snapshot<unknown>): void {
    if (!this.writer.persists) return;
    const fromOutcome = this.delivered !== this.seenDelivered;
    this.seenDelivered = this.delivered;
    const force =
      !fromOutcome || s.status === 'done' || (this.usesTimers && timerKey(this.timers()) !== this.lastTimers);
    if (force) this.forced = this.persistSnapshot();
    else if (++this.sinceSnapshot >= SNAPSHOT_EVERY || Date.now() - this.lastSnapshotAt >= SNAPSHOT_MS)
      void this.persistSnapshot();
  }

  /** The machine's pending timers, in a JSON form (plus restored ones not re-armed yet). */
  private timers(): PersistedTimer[] {
    const armed = Object.values(this.actor.system.getSnapshot()._scheduledEvents)
      .filter((t) => t.source === this.actor && t.target === this.actor)
      .map((t) => ({ id: t.id, event: { ...t.event } as { type: string }, delay: t.delay, startedAt: t.startedAt }));
    return [...armed, ...this.restoredTimers.filter((r) => !armed.some((t) => t.id === r.id))];
  }

  /**
   * Before a step starts its side effects: the journal is what makes the step durable (its task.started is synced);
   * this only waits for a snapshot the last transition made necessary (see onState).
   */
  async checkpoint(): Promise<void> {
    if (!this.writer.persists) return;
    // let the machine finish the transition that started the step: xstate starts a state's steps before it tells its
    // observers of the state (onState), in the same synchronous pass, so one microtask is enough
    await Promise.resolve();
    // every step the state started waits for it (parallel branches included), in the order they started
    if (this.forced) await this.forced;
  }

  takeInterruptedAttempt(step: string): number {
    const attempt = this.interrupted.get(step) ?? 0;
    this.interrupted.delete(step);
    return attempt;
  }

  park(w: Waiting): void {
    this.waits.set(w.step, w);
    this.parkWhenIdle();
  }

  parked(step: string): boolean {
    return this.parking && this.waits.has(step);
  }

  holdOpen(delta: 1 | -1): void {
    this.holding += delta;
  }

  /**
   * Stops the run as waiting once every step still running is parked (a step of another branch that runs is waited
   * for). A timer due within a second (a wait's timeout) is let fire first: its path may be taken at once.
   */
  private parkWhenIdle(): void {
    if (!this.waits.size || this.parking) return;
    setImmediate(() => {
      if (this.parking || this.pause.signal.aborted || this.actor.getSnapshot().status !== 'active') return;
      if (this.inflight.size - this.waits.size - this.holding > 0) return;
      const due = Math.min(...this.timers().map((t) => t.startedAt + t.delay));
      if (due - Date.now() < 1000) {
        setTimeout(() => this.parkWhenIdle(), Math.max(0, due - Date.now()) + 20);
        return;
      }
      const until = Number.isFinite(due) ? new Date(due).toISOString() : undefined;
      if (until) for (const w of this.waits.values()) w.until = until;
      this.parking = true;
      this.pause.abort();
    });
  }

  takeAdoption(step: string): boolean {
    return this.adopt.delete(step);
  }

  /** True when the run's process let go of it (SIGHUP): its supervised steps go on, the run is recorded as detached. */
  private get detached(): boolean {
    return this.signal.aborted && this.signal.reason instanceof DetachedError;
  }

  /** The expression scope of the run right now. */
  scope(): Record<string, unknown> {
    const ctx = this.actor.getSnapshot().context as RunContext;
    // step outputs are written in place as the run goes on: hand out a copy, frozen at this moment
    return scopeOf({ ...ctx, steps: { ...ctx.steps } });
  }

  runTask(request: TaskRequest, signal: AbortSignal): Promise<unknown> {
    const done = this.replay.get(request.step)?.shift();
    if (done) {
      this.delivered++;
      return done.error
        ? Promise.reject(new GravityError(done.error.code as never, done.error.message, done.error.details))
        : Promise.resolve(done.output);
    }
    // the step stops when its actor is stopped (signal) or the run halts; AbortSignal.any would do it too, at about
    // a tenth of a no-op step's whole cost (weak references and their finalizers), so the link is made by hand
    const link = new AbortController();
    // a step stopped because the run was let go of hears so (a supervised one then leaves its command running)
    const onAbort = (e: Event) => link.abort(this.detached ? this.signal.reason : (e.target as AbortSignal).reason);
    for (const s of [signal, this.halt.signal]) {
      if (s.aborted) link.abort(s.reason);
      else s.addEventListener('abort', onAbort, { once: true });
    }
    const p = runTaskStep(this, request, link.signal);
    this.inflight.add(p);
    p.finally(() => {
      this.inflight.delete(p);
      signal.removeEventListener('abort', onAbort);
      this.halt.signal.removeEventListener('abort', onAbort);
      // a parked step that ended otherwise (a timeout path, a cancel) waits no more
      if (!this.parking) this.waits.delete(request.step);
      this.parkWhenIdle();
    }).catch(() => undefined);
    // a step halted after the machine errored reports to nobody (its parent actor is already stopped)
    return p.then(
      (v) => {
        this.delivered++;
        return v;
      },
      (e: unknown) => {
        if (this.halt.signal.aborted) return new Promise<never>(() => undefined);
        this.delivered++;
        return Promise.reject(e);
      },
    );
  }

  /** Runs the actor to its end (or cancellation); `snapshot` (and its pending `timers`) resumes. */
  async execute(snapshot?: Snapshot<unknown>, timers: PersistedTimer[] = []): Promise<RunResult> {
    const machine = compile(this.def);
    this.actor = createActor(
      machine,
      snapshot ? { snapshot, input: { params: this.record.params } } : { input: { params: this.record.params } },
    );
    bindRuntime(this.actor, this);
    const ended = new Promise<Snapshot<unknown>>((resolve) => {
      this.actor.subscribe({
        next: (s) => {
          if (s.status === 'active' || s.status === 'done') this.onState(s);
          if (s.status !== 'active') resolve(s);
        },
        error: () => resolve(this.actor.getSnapshot()),
      });
    });
    // the run stops on cancel (the caller's signal) or when a step asks for attention (a child run that needs it); a
    // cancel inside a cleanup()'s body is an event instead: the body's steps are cancelled, the cleanup runs, the run ends
    const stop = AbortSignal.any([this.signal, this.pause.signal]);
    const onAbort = () => {
      // the state the run is stopped in is where a resume goes on from: written before the machine stops
      if (this.writer.persists) this.forced = this.persistSnapshot();
      if (
        this.signal.aborted &&
        !this.detached &&
        !this.pause.signal.aborted &&
        this.actor.getSnapshot().can({ type: CANCEL_EVENT })
      ) {
        this.cleaningUp = true;
        this.actor.send({ type: CANCEL_EVENT });
      } else this.actor.stop();
    };
    stop.addEventListener('abort', onAbort, { once: true });
    this.restoredTimers = timers;
    this.actor.start();
    if (this.actor.getSnapshot().status === 'active') {
      for (const t of timers)
        this.actor.system.scheduler.schedule(
          this.actor,
          this.actor,
          t.event,
          Math.max(0, t.delay - (Date.now() - t.startedAt)),
          t.id,
        );
    }
    if (stop.aborted) {
      // cancelled before it could start: keep it resumable from where it stands (the snapshot is taken now, written
      // after), and stop it before its first step can journal its start
      const written = this.persistSnapshot();
      this.actor.stop();
      await written;
    }
    this.restoredTimers = [];
    const first = this.actor.getSnapshot();
    const settled = first.status !== 'active' ? Promise.resolve(first) : ended;
    let stopped = stop.aborted
      ? this.actor.getSnapshot()
      : await Promise.race([
          settled,
          new Promise<Snapshot<unknown>>((r) =>
            stop.addEventListener('abort', () => r(this.actor.getSnapshot()), { once: true }),
          ),
        ]);
    // a cancel handed to a cleanup: the run goes on to its end (a second Ctrl-C exits the process)
    if (this.cleaningUp && stopped.status === 'active') stopped = await settled;
    stop.removeEventListener('abort', onAbort);
    if (stopped.status === 'error') this.halt.abort(new CancelledError('run failed'));
    await Promise.allSettled([...this.inflight]);
    await this.writer.flushed();
    return this.finish(stop.aborted && !this.cleaningUp ? undefined : stopped);
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
    } else if (!snap && this.parking && !this.signal.aborted) {
      const waiting = [...this.waits.values()];
      await this.log({
        type: 'run.waiting',
        message: `waiting for ${waiting
          .map((w) =>
            w.kind === 'approval'
              ? `an approval at <${w.step}> (${w.message})`
              : `message "${w.message}" at <${w.step}>`,
          )
          .join(
            ', ',
          )}; answer with \`gravity ${waiting[0].kind === 'approval' ? 'approve|reject' : 'signal'} ${r.id}\``,
      });
      await this.saveRecord({ status: RunStatus.Waiting, waiting, pid: undefined });
    } else if (!snap && this.detached) {
      const left = openSteps(this.journal)
        .filter((s) => s.supervised && !s.cancelled)
        .map((s) => `<${s.step}>`);
      await this.log({
        type: 'run.detached',
        message: `${(this.signal.reason as Error).message}: ${left.length ? `${left.join(', ')} left running under the step supervisor` : 'no step was running'}; \`gravity resume ${r.id}\` re-attaches`,
      });
      await this.saveRecord({ status: RunStatus.Detached, pid: undefined });
    } else if (!snap) {
      await this.log({ type: 'run.cancelled', message: 'cancelled; resume with `gravity resume`' });
      await this.saveRecord({ status: RunStatus.Cancelled, pid: undefined });
    } else if (snap.status === 'done') {
      const s = snap as unknown as { value: unknown; context: RunContext };
      const key = typeof s.value === 'string' ? s.value : Object.keys(s.value as object)[0];
      const final: StateConfig | undefined = this.def.machine.states[key];
      const scope = scopeOf(s.context);
      const fail = final?.meta?.fail;
      // a cleanup's failure end re-throws the error its body ended with, not one a cleanup step handled since
      const rethrown =
        typeof fail === 'object' && fail.message === RETHROW ? (s.context.rethrow ?? s.context.error) : undefined;
      try {
        if (fail && this.cleaningUp && (rethrown ?? s.context.error)?.code === ErrorCode.Cancelled) {
          await this.endCancelled((rethrown ?? s.context.error)!);
        } else if (rethrown) {
          await this.log({ type: 'run.failed', error: rethrown, message: rethrown.message });
          await this.saveRecord({
            status: RunStatus.Failed,
            error: rethrown,
            finishedAt: new Date().toISOString(),
            pid: undefined,
          });
        } else if (fail) {
          const msg =
            typeof fail === 'object' && fail.message
              ? String(resolveTemplate(fail.message, scope, key))
              : `run ended in <${key}>`;
          const error = {
            ...(s.context.error ?? {}),
            ...new GravityError('TASK_FAILED', msg, { element: key }).toJSON(),
          };
          await this.log({ type: 'run.failed', error, message: msg });
          await this.saveRecord({
            status: RunStatus.Failed,
            error,
            finishedAt: new Date().toISOString(),
            pid: undefined,
          });
        } else if (final?.meta?.attention) {
          const output = final.output === undefined ? undefined : resolveTemplate(final.output, scope, key);
          const message = String(resolveTemplate(final.meta.attention.message, scope, key));
          await this.log({ type: 'run.needs-attention', output, message });
          await this.saveRecord({
            status: RunStatus.NeedsAttention,
            output,
            attention: { message, steps: [] },
            finishedAt: new Date().toISOString(),
            pid: undefined,
          });
        } else {
          const output = final?.output === undefined ? undefined : resolveTemplate(final.output, scope, key);
          await this.log({ type: 'run.finished', output });
          await this.saveRecord({
            status: RunStatus.Succeeded,
            output,
            finishedAt: new Date().toISOString(),
            pid: undefined,
          });
        }
      } catch (e) {
        const error = serializeError(e);
        await this.log({ type: 'run.failed', error });
        await this.saveRecord({
          status: RunStatus.Failed,
          error,
          finishedAt: new Date().toISOString(),
          pid: undefined,
        });
      }
    } else {
      const raw = (snap as { error?: unknown }).error;
      const failedStep = [...this.journal].reverse().find((e) => e.type === 'task.failed');
      const error = { ...serializeError(raw), ...(failedStep?.step ? { step: failedStep.step } : {}) };
      if (this.cleaningUp && error.code === ErrorCode.Cancelled)
        return this.endCancelled(error).then(() => resultOf(r, this.journal));
      await this.log({ type: 'run.failed', error });
      await this.saveRecord({ status: RunStatus.Failed, error, finishedAt: new Date().toISOString(), pid: undefined });
    }
    return resultOf(r, this.journal);
  }

  /** A run cancelled inside a cleanup()'s body whose cleanup then ran: over (not resumable), recorded as cancelled. */
  private async endCancelled(error: SerializedError): Promise<void> {
    await this.log({
      type: 'run.cancelled',
      error,
      message: 'cancelled; its cleanup ran, so the run is over (start a new run)',
    });
    await this.saveRecord({ status: RunStatus.Cancelled, error, finishedAt: new Date().toISOString(), pid: undefined });
  }
}
