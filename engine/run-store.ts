// Where a run lives in the store (the one key layout) and the writer of its journal and record.
import type { Definition } from './definition.js';
import { BadInputError, NotFoundError } from './errors.js';
import type { JournalEntry, RunRecord } from './journal.js';
import type { EngineOptions, LogLevel, PersistedRunSnapshot } from './run-types.js';
import type { Store } from './store/types.js';

/** The store keys of runs: nothing else spells them. */
export const keys = {
  /** Prefix of every run record. */
  runs: 'runs/',
  run: (id: string) => `runs/${id}`,
  snapshot: (id: string) => `snapshots/${id}`,
  journal: (id: string) => `journal/${id}`,
  /** Definitions are kept by hash, once, so `show` and resume need no source. */
  definition: (hash: string) => `definitions/${hash}`,
};

/** The run record `id`, or undefined. */
export async function getRun(store: Store, id: string): Promise<RunRecord | undefined> {
  return (await store.get<RunRecord>(keys.run(id)))?.value;
}

/** Every run record, in key order. */
export async function listRuns(store: Store): Promise<RunRecord[]> {
  return (await store.list<RunRecord>(keys.runs)).map((e) => e.value);
}

/** Loads a run record, accepting a unique prefix of the id. */
export async function loadRun(engine: Pick<EngineOptions, 'store'>, idOrPrefix: string): Promise<RunRecord> {
  const exact = await getRun(engine.store, idOrPrefix);
  if (exact) return exact;
  const all = (await listRuns(engine.store)).filter((r) => r.id.startsWith(idOrPrefix));
  if (all.length === 1) return all[0];
  if (all.length > 1)
    throw new BadInputError(
      `run id "${idOrPrefix}" is ambiguous: ${all
        .slice(0, 5)
        .map((r) => r.id)
        .join(', ')}`,
    );
  throw new NotFoundError(`no run "${idOrPrefix}" in ${engine.store.location} (see \`gravity runs\`)`, {
    run: idOrPrefix,
  });
}

/** The journal of run `id` (empty when it has none). */
export function readJournal(store: Store, id: string): Promise<JournalEntry[]> {
  return store.readLog<JournalEntry>(keys.journal(id));
}

/** The last persisted snapshot of run `id`, or undefined. */
export async function readSnapshot(store: Store, id: string): Promise<PersistedRunSnapshot | undefined> {
  return (await store.get<PersistedRunSnapshot>(keys.snapshot(id)))?.value;
}

/** The definition a run was started with, by its hash, or undefined. */
export async function readDefinition(store: Store, hash: string): Promise<Definition | undefined> {
  return (await store.get<Definition>(keys.definition(hash)))?.value;
}

/** Stores a new run record (refused if the id exists) and its definition (once per hash). */
export async function createRun(store: Store, record: RunRecord, def: Definition): Promise<void> {
  await store.put(keys.run(record.id), record, { ifVersion: null });
  const defKey = keys.definition(record.definitionHash);
  if (!(await store.get(defKey))) await store.put(defKey, def);
}

/**
 * Writes one run's journal, record and snapshots, in order (each write waits for the previous one), and streams its
 * events. With `persist: false` nothing is written, events still flow.
 */
export class RunWriter {
  readonly journal: JournalEntry[] = [];
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly engine: Pick<EngineOptions, 'store' | 'onEvent' | 'persist'>,
    readonly record: RunRecord,
  ) {}

  /** True when writes reach the store. */
  get persists(): boolean {
    return this.engine.persist !== false;
  }

  /** Queues a durable write; writes happen in order. */
  private enqueue(fn: () => Promise<unknown>): Promise<unknown> {
    const p = this.writes.then(fn);
    this.writes = p.catch(() => undefined);
    return p;
  }

  /** Resolves once every queued write is done (failed writes included). */
  flushed(): Promise<unknown> {
    return this.writes;
  }

  /** Appends to the journal (durably) and streams the entry to subscribers. */
  async log(entry: Omit<JournalEntry, 'at'>): Promise<void> {
    const e = { at: new Date().toISOString(), ...entry } as JournalEntry;
    this.journal.push(e);
    this.engine.onEvent?.({ runId: this.record.id, ...e });
    if (this.persists) await this.enqueue(() => this.engine.store.append(keys.journal(this.record.id), e));
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

  /** Queues a snapshot write; resolves when it is durable. */
  saveSnapshot(value: PersistedRunSnapshot): Promise<unknown> {
    if (!this.persists) return Promise.resolve();
    return this.enqueue(() => this.engine.store.put(keys.snapshot(this.record.id), value));
  }
}
