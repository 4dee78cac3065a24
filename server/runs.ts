// The runs a gravity serve process drives: it starts and resumes them in this process (the engine drives many runs at
// once; each has its own AbortController), hands their events to the live streams, takes the cancels other processes
// ask for through the store, resumes its waiting runs when their timers fall due, and at start the runs a previous
// server left behind (killed, or detached on SIGTERM).
import { hostname } from 'node:os';
import type {
  AnswerRequest,
  Definition,
  EngineOptions,
  RunEvent,
  RunRecord,
  RollbackReport,
  RunListing,
} from '../engine/index.js';
import {
  BadInputError,
  cancelRun,
  DetachedError,
  NotFoundError,
  getRun,
  isRunLive,
  keys,
  listRuns,
  newRunId,
  resumeRun,
  rollbackRun,
  RunStatus,
  startRun,
} from '../engine/index.js';

/** What a server's run manager is built on. */
export interface RunManagerOptions {
  /** The engine options every run gets (store, registry, workflows, root, files); `driver` and `onEvent` are added. */
  engine: EngineOptions;
  /** The current definition of a run's workflow, for resume (undefined: the stored copy). */
  definitionOf(record: RunRecord): Promise<Definition | undefined>;
  /** Where the manager says what it does on its own (resumes, failures of background work). */
  log(line: string): void;
  /** How often the cancel requests and the due timers are looked at (ms; default 250 and 1000). */
  cancelPollMs?: number;
  duePollMs?: number;
}

/** One run this process drives now. */
interface Driven {
  ac: AbortController;
  kind: 'start' | 'resume' | 'rollback';
  done: Promise<unknown>;
}

/** A listener of one run's events (the run's own and its child runs'). */
export type RunListener = (e: RunEvent) => void;

/** The top-level run of `id` (a child run's id is `<run>.<step>`). */
const topRunOf = (id: string) => id.split('.')[0];

export class RunManager {
  readonly engine: EngineOptions;
  private readonly driven = new Map<string, Driven>();
  private readonly listeners = new Map<string, Set<RunListener>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private closing = false;
  private tickBusy = false;
  /** The last read of every record, shared by all listings (see `listing`). */
  private scanned?: { startedAt: number; value: Promise<RunListing> };
  /** Records this process wrote or read since the scan in progress began: they win over an older scan's copy. */
  private fresh = new Map<string, { at: number; record: RunRecord }>();

  constructor(private readonly o: RunManagerOptions) {
    const base = o.engine.onEvent;
    this.engine = {
      ...o.engine,
      driver: 'serve',
      onEvent: (e) => {
        base?.(e);
        this.emit(e);
      },
    };
  }

  /** Listens to run `id`'s events (its child runs' too); returns the function that stops listening. */
  subscribe(id: string, fn: RunListener): () => void {
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (!set.size) this.listeners.delete(id);
    };
  }

  /**
   * Every run record, read from the store at most once per `maxAgeMs` whatever the number of callers (they share the
   * read), with the records this process knows newer copies of (`noteRecord`: a run it just started) laid over it: a
   * listing lags behind other processes' writes by at most `maxAgeMs`, never behind a run started here.
   */
  async listing(maxAgeMs = 250): Promise<RunListing> {
    const now = Date.now();
    if (!this.scanned || now - this.scanned.startedAt > maxAgeMs) {
      const startedAt = now;
      const value = listRuns(this.engine.store).then((l) => {
        // what was noted before this read began is in it (or newer in the store): only later notes stay on top
        for (const [id, f] of this.fresh) if (f.at < startedAt) this.fresh.delete(id);
        return l;
      });
      this.scanned = { startedAt, value };
      value.catch(() => {
        if (this.scanned?.value === value) this.scanned = undefined;
      });
    }
    const l = await this.scanned.value;
    if (!this.fresh.size) return l;
    const byId = new Map(l.runs.map((r) => [r.id, r]));
    for (const { record } of this.fresh.values()) {
      const old = byId.get(record.id);
      if (!old || old.updatedAt <= record.updatedAt) byId.set(record.id, record);
    }
    return { runs: [...byId.values()], unreadable: l.unreadable };
  }

  /** A record this process has just written or read: listings show it (or a newer copy) from now on. */
  noteRecord(record: RunRecord): void {
    this.fresh.set(record.id, { at: Date.now(), record });
  }

  /** Listens to every run's events; returns the function that stops listening. */
  subscribeAll(fn: RunListener): () => void {
    return this.subscribe('*', fn);
  }

  private emit(e: RunEvent): void {
    const ids = new Set([e.runId, topRunOf(e.runId), '*']);
    for (const id of ids)
      for (const fn of this.listeners.get(id) ?? []) {
        try {
          fn(e);
        } catch {
          // a listener that fails (a closed stream) must not stop the run
        }
      }
  }

  /**
   * Drives `work` for run `id` in the background and resolves once the run has said something (its first event: the
   * record exists) or `work` settled (a refusal before anything was written rejects here, for a 4xx answer).
   */
  private async drive(
    id: string,
    kind: Driven['kind'],
    work: (signal: AbortSignal) => Promise<unknown>,
  ): Promise<void> {
    if (this.closing) throw new BadInputError('the server is shutting down: try again when it is back');
    if (this.driven.has(id))
      throw new BadInputError(`run ${id} is already being driven by this server (${this.driven.get(id)!.kind})`, {
        run: id,
      });
    const ac = new AbortController();
    let heard!: () => void;
    const started = new Promise<void>((r) => (heard = r));
    const off = this.subscribe(id, () => heard());
    const done = work(ac.signal);
    const entry: Driven = { ac, kind, done };
    this.driven.set(id, entry);
    const settled = done.then(
      () => undefined,
      (e: unknown) => e,
    );
    void settled.then((e) => {
      off();
      if (this.driven.get(id) === entry) this.driven.delete(id);
      if (e !== undefined) this.o.log(`run ${id}: ${kind} failed: ${(e as Error).message ?? String(e)}`);
    });
    const first = await Promise.race([started.then(() => undefined), settled]);
    off();
    if (first !== undefined) throw first;
  }

  /** Starts a run of `def` (params already resolved); resolves with its id once its record exists. */
  async start(
    def: Definition,
    params: Record<string, unknown>,
    o: { source: RunRecord['source']; startedBy: string; runId?: string },
  ): Promise<string> {
    const runId = o.runId ?? newRunId();
    await this.drive(runId, 'start', (signal) =>
      startRun(this.engine, def, { params, source: o.source, runId, signal, startedBy: o.startedBy }),
    );
    return runId;
  }

  /** Resumes run `id` here (with an answer: approve, reject, a message), in the background. */
  async resume(id: string, o: { force?: boolean; answer?: AnswerRequest; waitMs?: number } = {}): Promise<void> {
    const record = await this.record(id);
    if (record.parent)
      throw new BadInputError(`run ${id} is a child run of ${record.parent}: resume its parent`, { run: id });
    const definition = await this.o.definitionOf(record);
    await this.drive(id, 'resume', (signal) =>
      resumeRun(this.engine, id, { definition, force: o.force, answer: o.answer, waitMs: o.waitMs, signal }),
    );
  }

  /** Rolls run `id` back here and waits for the report. */
  async rollback(id: string): Promise<RollbackReport> {
    const record = await this.record(id);
    if (record.parent)
      throw new BadInputError(`run ${id} is a child run of ${record.parent}: roll back its parent`, { run: id });
    let report: Promise<RollbackReport> | undefined;
    await this.drive(id, 'rollback', () => (report = rollbackRun(this.engine, id)));
    return report!;
  }

  /**
   * Cancels run `id`: one this process drives is aborted (the same graceful cancel as Ctrl-C) and awaited; any other
   * goes through the engine's cancel (SIGINT to its CLI process, a request to the server driving it, or marked cancelled
   * when its process is gone).
   */
  async cancel(id: string, waitMs = 15_000): Promise<RunStatus> {
    const record = await this.record(id);
    if (record.parent)
      throw new BadInputError(`run ${id} is a child run of ${record.parent}: cancel its parent`, { run: id });
    const here = this.driven.get(id);
    // driven here and running: abort it; anything else (a resume that is still deciding, a run that ended) goes
    // through the engine's cancel, which refuses a run that is not running, waiting or detached
    if (here && record.status === RunStatus.Running) {
      here.ac.abort();
      await Promise.race([here.done.catch(() => undefined), new Promise((r) => setTimeout(r, waitMs).unref())]);
      return (await this.record(id)).status;
    }
    return (await cancelRun(this.engine, id, { waitMs })).status;
  }

  /** The record of run `id` (exact id), or a NotFound error; listings show it from now on. */
  async record(id: string): Promise<RunRecord> {
    const r = await getRun(this.engine.store, id);
    if (!r) throw new NotFoundError(`no run "${id}"`, { run: id });
    this.noteRecord(r);
    return r;
  }

  /**
   * Starts the background work: cancel requests, due timers, and the runs a previous server on this host left behind
   * (its process is gone while the record says running, or it detached them on shutdown).
   */
  async open(): Promise<void> {
    const every = (ms: number, fn: () => Promise<void>) => {
      const t = setInterval(() => void fn().catch((e) => this.o.log(`background: ${(e as Error).message}`)), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.o.cancelPollMs ?? 250, () => this.takeCancels());
    every(this.o.duePollMs ?? 1000, () => this.tick());
    await this.tick(true);
  }

  /** Cancels the runs other processes asked to cancel (engine/cancel.ts) that this process drives. */
  private async takeCancels(): Promise<void> {
    const store = this.engine.store;
    const { entries } = await store.scan<{ at?: string }>(keys.cancelRequests);
    for (const { key, value } of entries) {
      const id = key.slice(keys.cancelRequests.length);
      const here = this.driven.get(id);
      if (here) {
        await store.delete(key);
        here.ac.abort();
        continue;
      }
      // a request nobody can take (the run ended, or its server is gone) is dropped once it is a minute old
      const at = Date.parse(value?.at ?? '');
      if (!(Date.now() - at <= 60_000)) await store.delete(key).catch(() => undefined);
    }
  }

  /**
   * Resumes what this server owns and should drive: waiting runs whose timer fell due and, at start (`recover`), the
   * runs left running by a dead server process on this host or detached by a server's shutdown.
   */
  private async tick(recover = false): Promise<void> {
    if (this.tickBusy || this.closing) return;
    this.tickBusy = true;
    try {
      const now = Date.now();
      const { runs } = recover ? await listRuns(this.engine.store) : await this.listing(1000);
      for (const r of runs) {
        if (r.parent || r.driver !== 'serve' || this.driven.has(r.id)) continue;
        const due =
          r.status === RunStatus.Waiting &&
          (r.waiting ?? []).some((w) => w.until !== undefined && Date.parse(w.until) <= now);
        const left =
          recover &&
          r.host === hostname() &&
          ((r.status === RunStatus.Running && !isRunLive(r)) || r.status === RunStatus.Detached);
        if (!due && !left) continue;
        this.o.log(
          `resuming run ${r.id} (${r.workflow}): ${due ? 'a timer fell due' : `left ${r.status} by a server`}`,
        );
        await this.resume(r.id).catch((e) => this.o.log(`run ${r.id}: not resumed: ${(e as Error).message}`));
      }
    } finally {
      this.tickBusy = false;
    }
  }

  /**
   * Stops: no new work, the background loops end, and each run this process drives is detached (its supervised steps
   * go on; the next server, or `gravity resume`, takes it up). Resolves when every run has recorded it.
   */
  async close(waitMs = 20_000): Promise<void> {
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    const all = [...this.driven.values()];
    for (const d of all) d.ac.abort(new DetachedError('detached: gravity serve is stopping'));
    await Promise.race([Promise.allSettled(all.map((d) => d.done)), new Promise((r) => setTimeout(r, waitMs).unref())]);
  }
}
