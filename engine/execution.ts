// One execution (fresh or resumed) of a definition as an xstate actor: snapshots after every state, the end recorded.
import { createActor, type AnyActorRef, type Snapshot } from 'xstate';
import { CANCEL_EVENT, listSteps, RETHROW, type Definition, type StateConfig } from './definition.js';
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
import {
  interruptedAttempt,
  openSteps,
  RunStatus,
  type JournalEntry,
  type Listening,
  type RunRecord,
  type StepAnswer,
  type Waiting,
} from './journal.js';
import { readInbox, type InboxMessage } from './inbox.js';
import { keyMatches, messageBoundaries, messageEvent, type MessageListener } from './message-boundaries.js';
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

/** How often a run reads its inbox while a step listens for messages (message boundaries, engine/inbox.ts), ms. */
export const INBOX_POLL_MS = 200;

/** The message boundaries of each definition, by step (computed once per definition: for-each items share theirs). */
const boundaryCache = new WeakMap<Definition['machine'], Map<string, Map<string, string | undefined>>>();

/** Per step with message boundaries: each message it listens for and the state it leads to. */
function boundariesOf(def: Definition): Map<string, Map<string, string | undefined>> {
  const known = boundaryCache.get(def.machine);
  if (known) return known;
  const out = new Map<string, Map<string, string | undefined>>();
  for (const s of listSteps(def)) {
    const list = messageBoundaries(s.state);
    if (list.length) out.set(s.id, new Map(list.map((b) => [b.message, b.target])));
  }
  boundaryCache.set(def.machine, out);
  return out;
}

/** A step that listens for messages: what for, the link that stops it, and whether a message left it. */
interface Listener {
  listen: MessageListener[];
  link: AbortController;
  left?: boolean;
}

/** A message of the inbox as the journal tells it: who sent it, its name, key, data and inbox id. */
function answerOf(m: InboxMessage): StepAnswer {
  return {
    kind: 'message',
    by: m.by,
    name: m.message,
    ...(m.key === undefined ? {} : { key: m.key }),
    ...(m.data === undefined ? {} : { data: m.data }),
    id: m.id,
  };
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
  /** Reminders' side paths running (engine/reminders.ts): the run does not park meanwhile. */
  private sidePaths = 0;
  /** When each step's next reminder fires: a parked run is due then. */
  private readonly reminders = new Map<string, number>();
  /** Set when the run stops because every running step waits. */
  private parking = false;
  /** Per step with message boundaries: the messages it listens for and where each leads (engine/message-boundaries.ts). */
  private readonly boundaries: Map<string, Map<string, string | undefined>>;
  /** The steps listening now (running, or parked), by step id: what each listens for, and the link that stops it. */
  private readonly listeners = new Map<string, Listener>();
  /** Steps a message is leaving, with its name: their cancel says so in the journal. */
  private readonly interrupting = new Map<string, string>();
  /** The inbox poller (only while a step listens), the inbox read under way, and how many reads are queued. */
  private poller: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();
  private polls = 0;
  /** Set while a message is handed to the machine: the snapshot of the state it leads to is synced. */
  private durableSnapshot = false;

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
    this.boundaries = boundariesOf(def);
  }

  /** The journal so far (what was read on resume, then every entry logged). */
  get journal(): JournalEntry[] {
    return this.writer.journal;
  }

  log(entry: Omit<JournalEntry, 'at'>, o?: { sync?: boolean }): Promise<void> {
    // the cancel of a step that a message leaves says which message
    const by =
      entry.type === 'task.cancelled' && entry.step !== undefined ? this.interrupting.get(entry.step) : undefined;
    if (by !== undefined && entry.message === undefined)
      entry = { ...entry, message: `interrupted by message "${by}"` };
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
    return this.writer.saveSnapshot(
      {
        definitionHash: this.record.definitionHash,
        snapshot: slim,
        stepsInJournal: true,
        timers,
      },
      { durable: this.durableSnapshot },
    );
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
    const listener = this.listeners.get(w.step);
    if (listener) {
      // a step that listens for messages reads the inbox before the run parks: a message that came meanwhile is taken
      void this.poll().then(() => {
        if (listener.link.signal.aborted || this.listeners.get(w.step) !== listener) return;
        this.waits.set(w.step, w);
        this.parkWhenIdle();
      });
      return;
    }
    this.waits.set(w.step, w);
    this.parkWhenIdle();
  }

  parked(step: string): boolean {
    return this.parking && this.waits.has(step);
  }

  holdOpen(delta: 1 | -1): void {
    this.holding += delta;
  }

  leftByMachine(): boolean {
    return !this.signal.aborted && !this.pause.signal.aborted && !this.halt.signal.aborted && !this.cleaningUp;
  }

  sidePath(delta: 1 | -1): void {
    this.sidePaths += delta;
    if (this.sidePaths === 0) this.parkWhenIdle();
  }

  remindAt(step: string, at: number | undefined): void {
    if (at === undefined) this.reminders.delete(step);
    else this.reminders.set(step, at);
  }

  /**
   * Stops the run as waiting once every step still running is parked (a step of another branch that runs is waited
   * for). A timer due within a second (a wait's timeout) is let fire first: its path may be taken at once.
   */
  private parkWhenIdle(): void {
    if (!this.waits.size || this.parking) return;
    setImmediate(() => {
      if (this.parking || this.pause.signal.aborted || this.actor.getSnapshot().status !== 'active') return;
      if (this.inflight.size - this.waits.size - this.holding > 0 || this.sidePaths > 0) return;
      const due = Math.min(...this.timers().map((t) => t.startedAt + t.delay), ...this.reminders.values());
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
    // a step with message boundaries listens while it runs (or is parked), and reads the inbox before it starts: a
    // message that came for it (a resumed run's) stops it before it does anything
    const listens = !!request.listen?.length && this.writer.persists;
    const listener: Listener | undefined = listens ? { listen: request.listen!, link } : undefined;
    if (listener) this.listen(request.step, listener);
    const p = request.listenError
      ? this.failListening(request)
      : listens
        ? this.poll()
            .then(() => {
              if (link.signal.aborted) throw new CancelledError(`step <${request.step}> cancelled`);
              return runTaskStep(this, request, link.signal);
            })
            .finally(() => this.closeInterrupted(request.step))
        : runTaskStep(this, request, link.signal);
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
        // it listens no more before the machine leaves its state (a parked step listens on, for the record)
        if (listens && !this.parking) this.unlisten(request.step);
        if (!listener?.left) this.delivered++;
        return v;
      },
      (e: unknown) => {
        if (listens && !this.parking) this.unlisten(request.step);
        if (this.halt.signal.aborted) return new Promise<never>(() => undefined);
        // a step a message left reports to nobody either: the machine stopped its actor (no outcome to count)
        if (!listener?.left) this.delivered++;
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
    // the inbox is read no more (the read under way ends first); a run that is over drops what it still holds,
    // journaled; a stopped or parked one keeps it for its resume
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
    await this.polling;
    if (this.boundaries.size && stopped.status !== 'active' && !(stop.aborted && !this.cleaningUp))
      await this.drainInbox();
    await this.writer.flushed();
    return this.finish(stop.aborted && !this.cleaningUp ? undefined : stopped);
  }

  /** Step `step` listens for `listen` (its message boundaries) from now on: recorded, and the inbox read while it does. */
  private listen(step: string, listener: Listener): void {
    this.listeners.set(step, listener);
    this.saveListening();
    if (!this.poller) {
      this.poller = setInterval(() => {
        if (!this.polls) void this.poll();
      }, INBOX_POLL_MS);
      // the steps keep the process alive, not this
      this.poller.unref();
    }
  }

  /** Step `step` listens no more; when none does, the inbox is read a last time (what came too late is dropped). */
  private unlisten(step: string): void {
    if (!this.listeners.delete(step)) return;
    this.saveListening();
    if (this.listeners.size) return;
    clearInterval(this.poller);
    this.poller = undefined;
    void this.poll();
  }

  /** Records what the run listens for (`listening`): `gravity signal` reads it. */
  private saveListening(): void {
    const listening: Listening[] = [...this.listeners].flatMap(([step, l]) => l.listen.map((m) => ({ step, ...m })));
    this.saveRecord({ listening: listening.length ? listening : undefined }).catch(() => undefined);
  }

  /** Reads the inbox (after the read under way, if any); resolves once done. A read that fails is retried by the next. */
  private poll(): Promise<void> {
    this.polls++;
    this.polling = this.polling
      .then(() => this.pollOnce())
      .catch((e: unknown) =>
        this.emitLog('inbox', 'warn', `cannot read the inbox of run ${this.record.id}: ${(e as Error).message}`),
      )
      .finally(() => this.polls--);
    return this.polling;
  }

  /** True while a message may be handed to the machine: it runs, and is neither stopping nor parking. */
  private accepting(): boolean {
    return (
      !this.parking &&
      !this.pause.signal.aborted &&
      !this.signal.aborted &&
      this.actor?.getSnapshot().status === 'active'
    );
  }

  /** One read of the inbox: each message, oldest first, is taken by the step it is for, or dropped. */
  private async pollOnce(): Promise<void> {
    if (!this.accepting()) return;
    for (const item of await readInbox(this.engine.store, this.record.id)) {
      if (!this.accepting()) return;
      if (item.message) await this.takeMessage(item.key, item.message);
      else await this.dropMessage(item.key, undefined, `an unreadable message (${item.problem}) was dropped`);
    }
  }

  /** The listener of `m`'s step when it listens for `m` (its name, and its key if it has one) and can be left now. */
  private listenerFor(m: InboxMessage): Listener | undefined {
    const l = this.listeners.get(m.step);
    if (!l || l.link.signal.aborted || !l.listen.some((x) => x.message === m.message && keyMatches(x.key, m.key)))
      return undefined;
    return this.actor.getSnapshot().can({ type: messageEvent(m.message), step: m.step }) ? l : undefined;
  }

  /**
   * Takes message `m` (at store key `key`): journaled first (synced), then handed to the machine, which leaves the step
   * (its actor stopped, its signal aborted) for the boundary's target, merging the data into the variables; the message
   * is deleted once the snapshot of that state is durable. A crash before then delivers it again on resume (at least
   * once). A message its step no longer listens for is dropped, journaled.
   */
  private async takeMessage(key: string, m: InboxMessage): Promise<void> {
    const target = this.boundaries.get(m.step)?.get(m.message);
    const gone = `<${m.step}> no longer listens for it: the step had ended (or was left) before the message was taken; dropped:`;
    if (!this.listenerFor(m)) return this.dropMessage(key, m, gone);
    const task = [...this.journal].reverse().find((e) => e.step === m.step && e.type === 'task.started')?.task;
    await this.log({
      type: 'step.interrupted',
      step: m.step,
      ...(task ? { task } : {}),
      message: `left for <${target}> on`,
      answer: answerOf(m),
    });
    // the step may have ended while the line was written: then the message came too late after all
    const listener = this.accepting() ? this.listenerFor(m) : undefined;
    if (!listener) return this.dropMessage(key, m, gone);
    listener.left = true;
    this.listeners.delete(m.step);
    this.interrupting.set(m.step, m.message);
    // the state the message leads to is snapshotted at once, synced (and the next step waits for it): it cannot be
    // replayed from the journal, and once the message is deleted nothing would bring it back
    this.durableSnapshot = true;
    let written: Promise<unknown>;
    try {
      this.actor.send({ type: messageEvent(m.message), step: m.step, data: m.data });
      written = this.forced = this.persistSnapshot();
    } finally {
      this.durableSnapshot = false;
    }
    this.saveListening();
    if (!this.listeners.size) {
      clearInterval(this.poller);
      this.poller = undefined;
    }
    await written;
    await this.engine.store.delete(key);
  }

  /** Drops message `m` (or an unreadable entry) at `key`, journaled with why. */
  private async dropMessage(key: string, m: InboxMessage | undefined, why: string): Promise<void> {
    await this.log({
      type: 'message.dropped',
      ...(m ? { step: m.step, answer: answerOf(m) } : {}),
      message: why,
    });
    await this.engine.store.delete(key);
  }

  /** The run is over: what its inbox still holds came too late, and is dropped, journaled. */
  private async drainInbox(): Promise<void> {
    try {
      for (const item of await readInbox(this.engine.store, this.record.id))
        await this.dropMessage(
          item.key,
          item.message,
          item.message
            ? `the run ended before <${item.message.step}> took it; dropped:`
            : `an unreadable message (${item.problem}) was dropped`,
        );
    } catch (e) {
      this.emitLog('inbox', 'warn', `cannot read the inbox of run ${this.record.id}: ${(e as Error).message}`);
    }
  }

  /**
   * After a step a message left has settled: its journal says it was cancelled, by which message (a step left before it
   * journaled its start in this execution, a parked one resumed for instance, is closed here).
   */
  private async closeInterrupted(step: string): Promise<void> {
    if (!this.interrupting.has(step)) return;
    try {
      const open = openSteps(this.journal).find((s) => s.step === step);
      if (open && !open.cancelled)
        await this.log({
          type: 'task.cancelled',
          step,
          task: open.task,
          attempt: Math.max(1, interruptedAttempt(this.journal, step)),
        });
    } finally {
      this.interrupting.delete(step);
    }
  }

  /** A step whose correlation keys (meta.messageKeys) could not be evaluated fails, as one with a bad input does. */
  private async failListening(req: TaskRequest): Promise<never> {
    await this.checkpoint();
    const e = req.listenError!;
    const base = { step: req.step, task: req.src };
    await this.log({ type: 'task.started', ...base, attempt: 1, idempotent: true });
    await this.log({ type: 'task.failed', ...base, attempt: 1, error: e });
    throw new GravityError(e.code as never, e.message, e.details);
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
