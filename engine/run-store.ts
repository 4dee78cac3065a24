// Where a run lives in the store (the one key layout) and the writer of its journal and record.
import type { Definition } from './definition.js';
import { BadInputError, CorruptDataError, NotFoundError } from './errors.js';
import { journalEntryShape, runRecordShape, type JournalEntry, type RunRecord } from './journal.js';
import type { EngineOptions, LogLevel, PersistedRunSnapshot } from './run-types.js';
import { shapeIssues, type ShapeIssue } from './shape.js';
import type { Store } from './store/types.js';

/** The store keys of runs: nothing else spells them. */
export const keys = {
  /** Prefix of every run record. */
  runs: 'runs/',
  run: (id: string) => `runs/${id}`,
  snapshot: (id: string) => `snapshots/${id}`,
  journal: (id: string) => `journal/${id}`,
  /** Who drives a run right now (engine/run-lock.ts): one process at a time. */
  locks: 'run-locks/',
  lock: (id: string) => `run-locks/${id}`,
  /** Definitions are kept by hash, once, so `show` and resume need no source. */
  definition: (hash: string) => `definitions/${hash}`,
  /** Messages for the message boundaries of a run (engine/inbox.ts), by `<sortable time>-<random>`. */
  inbox: (id: string) => `inbox/${id}/`,
  inboxEntry: (id: string, entry: string) => `inbox/${id}/${entry}`,
  /** A cancel asked of a run that a `gravity serve` process drives (engine/cancel.ts); that process takes it. */
  cancelRequests: 'cancel-requests/',
  cancelRequest: (id: string) => `cancel-requests/${id}`,
};

/** A stored run record that cannot be used: its id (from its key), where it is kept (its file) and what is wrong. */
export interface UnreadableRun {
  id: string;
  file: string;
  problem: string;
}

/** Every run record that can be read, and the ones that cannot: one bad record never hides the others. */
export interface RunListing {
  /** In key order. */
  runs: RunRecord[];
  /** In key order. */
  unreadable: UnreadableRun[];
}

/** Shape (or zod) issues on one line: `path: message; ...` (the first few). */
function describeIssues(issues: readonly ShapeIssue[]): string {
  const shown = issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? `${i.path.map(String).join('.')}: ` : ''}${i.message}`)
    .join('; ');
  return issues.length > 3 ? `${shown}; and ${issues.length - 3} more` : shown;
}

/** Why a stored value is not the record of run `id`, or undefined when it is. */
function recordProblem(id: string, value: unknown): string | undefined {
  const issues = shapeIssues(runRecordShape, value);
  if (issues.length) return `not a run record: ${describeIssues(issues)}`;
  const record = value as RunRecord;
  if (record.id !== id) return `its id ${JSON.stringify(record.id)} is not its file name ${JSON.stringify(id)}`;
  return undefined;
}

/** The error for an unreadable run record (exit 2), naming its file and what is wrong. */
function unreadableRunError(u: UnreadableRun): CorruptDataError {
  return new CorruptDataError(`run record ${u.file} is unreadable: ${u.problem}`, u.file, u.problem, {
    run: u.id,
    file: u.file,
    problem: u.problem,
  });
}

/** The run record `id`, or undefined; throws a CorruptDataError naming the file when it cannot be read or used. */
export async function getRun(store: Store, id: string): Promise<RunRecord | undefined> {
  const key = keys.run(id);
  let entry;
  try {
    entry = await store.get(key);
  } catch (err) {
    if (err instanceof CorruptDataError) throw unreadableRunError({ id, file: err.location, problem: err.problem });
    throw err;
  }
  if (!entry) return undefined;
  const problem = recordProblem(id, entry.value);
  if (problem) throw unreadableRunError({ id, file: store.locate(key), problem });
  return entry.value as RunRecord;
}

/** Every run record, in key order, with the records that cannot be read or used listed apart (never thrown). */
export async function listRuns(store: Store): Promise<RunListing> {
  const idOf = (key: string) => key.slice(keys.runs.length);
  const { entries, unreadable } = await store.scan(keys.runs);
  const listing: RunListing = {
    runs: [],
    unreadable: unreadable.map((u) => ({ id: idOf(u.key), file: u.location, problem: u.problem })),
  };
  for (const e of entries) {
    const problem = recordProblem(idOf(e.key), e.value);
    if (problem) listing.unreadable.push({ id: idOf(e.key), file: store.locate(e.key), problem });
    else listing.runs.push(e.value as RunRecord);
  }
  listing.unreadable.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return listing;
}

/**
 * Loads a run record, accepting a unique prefix of the id. An unreadable record that the id or prefix designates is an
 * error naming its file (a CorruptDataError); an unreadable record elsewhere does not stand in the way.
 */
export async function loadRun(engine: Pick<EngineOptions, 'store'>, idOrPrefix: string): Promise<RunRecord> {
  const exact = await getRun(engine.store, idOrPrefix);
  if (exact) return exact;
  const { runs, unreadable } = await listRuns(engine.store);
  const all = [
    ...runs.filter((r) => r.id.startsWith(idOrPrefix)).map((r) => ({ id: r.id, run: r })),
    ...unreadable.filter((u) => u.id.startsWith(idOrPrefix)).map((u) => ({ id: u.id, bad: u })),
  ].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (all.length === 1) {
    if ('bad' in all[0]) throw unreadableRunError(all[0].bad);
    return all[0].run;
  }
  if (all.length > 1)
    throw new BadInputError(
      `run id "${idOrPrefix}" is ambiguous: ${all
        .slice(0, 5)
        .map((m) => ('bad' in m ? `${m.id} (unreadable)` : m.id))
        .join(', ')}`,
    );
  throw new NotFoundError(`no run "${idOrPrefix}" in ${engine.store.location} (see \`gravity runs\`)`, {
    run: idOrPrefix,
  });
}

/**
 * The journal of run `id` (empty when it has none). A torn last line is dropped by the store; any other line that is
 * not JSON, or not a journal entry, is a CorruptDataError naming the file and the line.
 */
export async function readJournal(store: Store, id: string): Promise<JournalEntry[]> {
  const key = keys.journal(id);
  const entries = await store.readLog(key);
  for (const [i, entry] of entries.entries()) {
    const issues = shapeIssues(journalEntryShape, entry);
    if (!issues.length) continue;
    const file = store.locate(key, 'log');
    const problem = `line ${i + 1} is not a journal entry: ${describeIssues(issues)}`;
    throw new CorruptDataError(`corrupt journal ${file}: ${problem}`, file, problem, { run: id, file, line: i + 1 });
  }
  return entries as JournalEntry[];
}

/**
 * The last persisted snapshot of run `id`, or undefined. A snapshot that cannot be read or is not one is a
 * CorruptDataError naming its file.
 */
export async function readSnapshot(store: Store, id: string): Promise<PersistedRunSnapshot | undefined> {
  const key = keys.snapshot(id);
  const entry = await store.get(key);
  if (!entry) return undefined;
  // zod, loaded here: only resume reads snapshots, and it has loaded zod with the task registry already
  const { snapshotSchema } = await import('./record-schemas.js');
  const parsed = snapshotSchema.safeParse(entry.value);
  if (!parsed.success) {
    const file = store.locate(key);
    const problem = `not a run snapshot: ${describeIssues(parsed.error.issues)}`;
    throw new CorruptDataError(`snapshot ${file} is unreadable: ${problem}`, file, problem, { run: id, file });
  }
  return entry.value as PersistedRunSnapshot;
}

/** The definition a run was started with, by its hash, or undefined. */
export async function readDefinition(store: Store, hash: string): Promise<Definition | undefined> {
  return (await store.get<Definition>(keys.definition(hash)))?.value;
}

/** Stores a new run's definition (once per hash) and its record (refused if the id exists). */
export async function createRun(store: Store, record: RunRecord, def: Definition): Promise<void> {
  // the definition first: a run killed between the two writes must still find it on resume
  const defKey = keys.definition(record.definitionHash);
  if (!(await store.get(defKey))) await store.put(defKey, def);
  await store.put(keys.run(record.id), record, { ifVersion: null });
}

/**
 * Writes one run's journal, record and snapshots, and streams its events. Journal lines are appended at once, in order
 * (the store writes the ones that come together in one write and one sync); a record or snapshot write waits for the
 * lines journaled before it, and a snapshot for them to be durable (a snapshot is never ahead of the journal it is
 * rebuilt with). With `persist: false` nothing is written, events still flow.
 */
export class RunWriter {
  readonly journal: JournalEntry[] = [];
  /** The record and snapshot writes, one after the other. */
  private writes: Promise<unknown> = Promise.resolve();
  /** The last journal append (appends to one log complete in order). */
  private appended: Promise<unknown> = Promise.resolve();
  /** The first journal write that failed. */
  private writeError: Error | undefined;

  constructor(
    private readonly engine: Pick<EngineOptions, 'store' | 'onEvent' | 'persist'>,
    readonly record: RunRecord,
  ) {}

  /** True when writes reach the store. */
  get persists(): boolean {
    return this.engine.persist !== false;
  }

  /** Queues a write of the record or a snapshot: after the previous one and after the lines journaled so far. */
  private enqueue(fn: () => Promise<unknown>): Promise<unknown> {
    const p = Promise.all([this.writes, this.appended]).then(fn);
    this.writes = p.catch(() => undefined);
    return p;
  }

  /** Resolves once every write asked for so far is done (failed writes included). */
  flushed(): Promise<unknown> {
    return Promise.all([this.writes, this.appended]);
  }

  /**
   * Appends to the journal and streams the entry to subscribers. Durable when it resolves, unless `sync: false`: then
   * written (a crash of this process cannot lose it) and made durable by the next synced line, at the latest before the
   * next step starts its work (its task.started is synced) or the run ends.
   */
  async log(entry: Omit<JournalEntry, 'at'>, o: { sync?: boolean } = {}): Promise<void> {
    const e = { at: new Date().toISOString(), ...entry } as JournalEntry;
    this.journal.push(e);
    this.engine.onEvent?.({ runId: this.record.id, ...e });
    if (!this.persists) return;
    // a line that could not be written fails the next one (a line not waited for reports its failure there)
    if (this.writeError) throw this.writeError;
    const p = this.engine.store.append(keys.journal(this.record.id), e, { sync: o.sync !== false });
    this.appended = p.catch((err: unknown) => {
      this.writeError ??= err instanceof Error ? err : new Error(String(err));
    });
    await p;
  }

  /** Streams a task log line to subscribers (not journaled). */
  emitLog(step: string, level: LogLevel, text: string): void {
    this.engine.onEvent?.({ type: 'task.log', runId: this.record.id, at: new Date().toISOString(), step, level, text });
  }

  /** Updates and persists the run record. */
  async saveRecord(patch: Partial<RunRecord>): Promise<void> {
    Object.assign(this.record, patch, { updatedAt: new Date().toISOString() });
    if (this.persists) await this.enqueue(() => this.engine.store.put(keys.run(this.record.id), this.record));
  }

  /**
   * Queues a snapshot write: when its turn comes, the journal is made durable (everything the snapshot was taken after,
   * and more), then the snapshot is written atomically, not synced: it is a checkpoint that makes resume fast; the
   * journal is what a resume trusts, and it replays what came after the snapshot (engine/resume.ts). With `durable`,
   * synced too: for a state that cannot be rebuilt from the journal once what led to it is gone (a message taken from
   * the inbox, engine/inbox.ts).
   */
  saveSnapshot(value: PersistedRunSnapshot, o: { durable?: boolean } = {}): Promise<unknown> {
    if (!this.persists) return Promise.resolve();
    const key = keys.journal(this.record.id);
    return this.enqueue(async () => {
      await this.engine.store.syncLog(key);
      await this.engine.store.put(keys.snapshot(this.record.id), value, { durable: o.durable === true });
    });
  }
}
