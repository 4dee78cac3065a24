// The run store's edges: how many shape issues a problem names, an unreadable record found by getRun, the order of
// unreadable records and of ambiguous matches, a snapshot's error details, and the RunWriter's order of writes,
// sync options and a failed journal write.
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JournalEntry, RunRecord } from '../../engine/journal.js';
import {
  getRun,
  keys,
  listRuns,
  loadRun,
  readSnapshot,
  RunWriter,
  type UnreadableRun,
} from '../../engine/run-store.js';
import type { PersistedRunSnapshot } from '../../engine/run-types.js';
import { createJsonStore } from '../../engine/store/json-store.js';
import { createMemoryStore } from '../../engine/store/memory-store.js';
import type { Store } from '../../engine/store/types.js';

const record = (id: string, o: Partial<RunRecord> = {}): RunRecord => ({
  id,
  workflow: 'test:w',
  definitionHash: 'h',
  status: 'running',
  params: {},
  source: { kind: 'inline' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:01.000Z',
  ...o,
});

const snapshot: PersistedRunSnapshot = {
  definitionHash: 'h',
  snapshot: { status: 'active', value: 'a', context: {} } as unknown as PersistedRunSnapshot['snapshot'],
};

/** A promise with its resolve, to hold a store operation until the test lets it go. */
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function rejectionOf(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error & Record<string, unknown>,
  );
}

describe('the problem of a record of the wrong shape', () => {
  it('names three issues in full', async () => {
    const store = createMemoryStore();
    await store.put(keys.run('three'), { ...record('three'), createdAt: 1, updatedAt: 2, pid: 'x' });
    const { unreadable } = await listRuns(store);
    expect(unreadable).toEqual([
      {
        id: 'three',
        file: 'memory:runs/three',
        problem:
          'not a run record: pid: Invalid input: expected number, received string; createdAt: Invalid input: expected string, received number; updatedAt: Invalid input: expected string, received number',
      },
    ]);
  });

  it('names the first three of more issues, and counts the others', async () => {
    const store = createMemoryStore();
    await store.put(keys.run('empty'), {});
    const { unreadable } = await listRuns(store);
    expect(unreadable[0].problem).toBe(
      'not a run record: id: Invalid input: expected string, received undefined; workflow: Invalid input: expected string, received undefined; definitionHash: Invalid input: expected string, received undefined; and 5 more',
    );
  });
});

describe('run records in a JSON data dir', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gravity-run-store-'));
    store = await createJsonStore(dir);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('getRun refuses a record file that is not JSON, naming it', async () => {
    await store.put(keys.run('torn'), record('torn'));
    const file = join(dir, 'kv/runs/torn.json');
    writeFileSync(file, '{"version": 1, "value": {"id": "to');
    const e = await rejectionOf(getRun(store, 'torn'));
    expect(e).toMatchObject({
      name: 'CorruptDataError',
      code: 'BAD_INPUT',
      location: file,
      message: expect.stringMatching(new RegExp(`^run record ${file} is unreadable: not JSON: `)),
      details: { run: 'torn', file },
    });
  });

  it('lists unreadable records in id order, whether the file or its content is wrong', async () => {
    // files that are not JSON (the store cannot read them) and records of the wrong shape (the run store refuses them)
    mkdirSync(join(dir, 'kv/runs'), { recursive: true });
    for (const id of ['r-c', 'r-e']) writeFileSync(join(dir, `kv/runs/${id}.json`), '{"version": 1, "val');
    for (const id of ['r-a', 'r-b', 'r-d']) await store.put(keys.run(id), { id });
    await store.put(keys.run('r-ok'), record('r-ok'));
    const listing = await listRuns(store);
    expect(listing.runs.map((r) => r.id)).toEqual(['r-ok']);
    expect(listing.unreadable.map((u: UnreadableRun) => u.id)).toEqual(['r-a', 'r-b', 'r-c', 'r-d', 'r-e']);
  });
});

describe('getRun over a failing store', () => {
  it('passes on an error that is not about the data', async () => {
    const store = createMemoryStore();
    const failing: Store = {
      ...store,
      get: async () => {
        throw new Error('EIO: i/o error');
      },
    };
    const e = await rejectionOf(getRun(failing, 'r'));
    expect(e.name).toBe('Error');
    expect(e.message).toBe('EIO: i/o error');
  });
});

describe('loadRun by an ambiguous prefix', () => {
  it('names the matches in id order, readable or not', async () => {
    const store = createMemoryStore();
    for (const id of ['p-1', 'p-3', 'p-5']) await store.put(keys.run(id), record(id));
    for (const id of ['p-2', 'p-4']) await store.put(keys.run(id), { id });
    await expect(loadRun({ store }, 'p-')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: 'run id "p-" is ambiguous: p-1, p-2 (unreadable), p-3, p-4 (unreadable), p-5',
    });
  });
});

describe('readSnapshot', () => {
  it('names the run and the file in the details of a bad snapshot', async () => {
    const store = createMemoryStore();
    await store.put(keys.snapshot('r-snap'), { definitionHash: 'h' });
    expect(await rejectionOf(readSnapshot(store, 'r-snap'))).toMatchObject({
      name: 'CorruptDataError',
      details: { run: 'r-snap', file: 'memory:snapshots/r-snap' },
    });
  });
});

/** A memory store that records its writes (with their options) and can hold appends and puts. */
function recordingStore() {
  const store = createMemoryStore();
  const ops: Array<{ op: string; key: string; options?: unknown }> = [];
  const holds = { append: undefined as Promise<void> | undefined, put: undefined as Promise<void> | undefined };
  let failNextAppend: Error | undefined;
  const wrapped: Store = {
    ...store,
    append: async (key, value, options) => {
      ops.push({ op: 'append', key, options });
      if (failNextAppend) {
        const e = failNextAppend;
        failNextAppend = undefined;
        throw e;
      }
      if (holds.append) await holds.append;
      await store.append(key, value, options);
      ops.push({ op: 'appended', key });
    },
    put: async (key, value, options) => {
      ops.push({ op: 'put', key, options });
      if (holds.put) await holds.put;
      const v = await store.put(key, value, options);
      ops.push({ op: 'stored', key });
      return v;
    },
    syncLog: async (key) => {
      ops.push({ op: 'syncLog', key });
      await store.syncLog(key);
    },
  };
  return { store: wrapped, inner: store, ops, holds, failAppend: (e: Error) => (failNextAppend = e) };
}

describe('RunWriter', () => {
  it('starts with an empty journal and keeps what it logs, in order', async () => {
    const { store } = recordingStore();
    const w = new RunWriter({ store }, record('r-j'));
    expect(w.journal).toEqual([]);
    await w.log({ type: 'run.started' });
    await w.log({ type: 'run.resumed', message: 'resumed' });
    expect(w.journal.map((e) => e.type)).toEqual(['run.started', 'run.resumed']);
    expect(await store.readLog<JournalEntry>(keys.journal('r-j'))).toEqual(w.journal);
  });

  it('syncs each journal line unless told not to', async () => {
    const { store, ops } = recordingStore();
    const w = new RunWriter({ store }, record('r-sync'));
    await w.log({ type: 'run.started' });
    await w.log({ type: 'task.finished', step: 's' }, { sync: false });
    await w.log({ type: 'run.finished' }, { sync: true });
    expect(ops.filter((o) => o.op === 'append').map((o) => o.options)).toEqual([
      { sync: true },
      { sync: false },
      { sync: true },
    ]);
  });

  it('writes the record only after the journal lines logged before it', async () => {
    const { store, ops, holds } = recordingStore();
    const w = new RunWriter({ store }, record('r-order'));
    const held = deferred();
    holds.append = held.promise;
    const logged = w.log({ type: 'run.started' });
    const saved = w.saveRecord({ status: 'succeeded' });
    // the line is not written yet: neither is the record
    await new Promise((r) => setTimeout(r, 20));
    expect(ops.map((o) => o.op)).toEqual(['append']);
    held.resolve();
    await Promise.all([logged, saved]);
    expect(ops.map((o) => o.op)).toEqual(['append', 'appended', 'put', 'stored']);
  });

  it('is flushed only once every write asked for is done', async () => {
    const { store, inner, holds } = recordingStore();
    const w = new RunWriter({ store }, record('r-flush'));
    const held = deferred();
    holds.put = held.promise;
    void w.saveRecord({ status: 'succeeded' });
    let flushed = false;
    const done = Promise.resolve(w.flushed()).then(() => (flushed = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(flushed).toBe(false);
    held.resolve();
    await done;
    expect((await inner.get<RunRecord>(keys.run('r-flush')))?.value.status).toBe('succeeded');
  });

  it('fails the next line after a journal write failed, without writing it', async () => {
    const { store, ops, failAppend } = recordingStore();
    const w = new RunWriter({ store }, record('r-fail'));
    const disk = new Error('ENOSPC: no space left on device');
    failAppend(disk);
    await expect(w.log({ type: 'run.started' })).rejects.toBe(disk);
    await expect(w.log({ type: 'run.finished' })).rejects.toBe(disk);
    expect(ops.filter((o) => o.op === 'append')).toHaveLength(1);
    expect(await store.readLog(keys.journal('r-fail'))).toEqual([]);
  });

  it('reports a line written without waiting that failed on the next line', async () => {
    const { store, failAppend } = recordingStore();
    const w = new RunWriter({ store }, record('r-late'));
    failAppend(new Error('EIO'));
    w.log({ type: 'task.finished', step: 's' }, { sync: false }).catch(() => undefined);
    await w.flushed();
    await expect(w.log({ type: 'run.finished' })).rejects.toThrow('EIO');
  });

  it('writes a snapshot after syncing the journal, atomically but not synced itself', async () => {
    const { store, ops } = recordingStore();
    const w = new RunWriter({ store }, record('r-snap'));
    await w.log({ type: 'run.started' }, { sync: false });
    await w.saveSnapshot(snapshot);
    expect(ops.map((o) => [o.op, o.key, o.options])).toEqual([
      ['append', 'journal/r-snap', { sync: false }],
      ['appended', 'journal/r-snap', undefined],
      ['syncLog', 'journal/r-snap', undefined],
      ['put', 'snapshots/r-snap', { durable: false }],
      ['stored', 'snapshots/r-snap', undefined],
    ]);
  });

  it('writes nothing without persist, events still flow', async () => {
    const { store, ops } = recordingStore();
    const events: unknown[] = [];
    const w = new RunWriter({ store, persist: false, onEvent: (e) => events.push(e) }, record('r-none'));
    await w.log({ type: 'run.started' });
    await w.saveRecord({ status: 'succeeded' });
    await w.saveSnapshot(snapshot);
    await w.flushed();
    expect(ops).toEqual([]);
    expect(await store.get(keys.snapshot('r-none'))).toBeUndefined();
    expect(events).toMatchObject([{ type: 'run.started', runId: 'r-none' }]);
  });
});
