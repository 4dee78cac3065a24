// Reading runs back (engine/run-store.ts): one unreadable record, journal line or snapshot never hides the others or
// turns into a TypeError; each is reported naming its file and what is wrong with it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createJsonStore,
  createMemoryStore,
  getRun,
  keys,
  listRuns,
  loadRun,
  readJournal,
  readSnapshot,
  runRecordSchema,
  type RunRecord,
  type Store,
} from '../../engine/index.js';

const record = (id: string, o: Partial<RunRecord> = {}): RunRecord => ({
  id,
  workflow: 'test:w',
  definitionHash: 'h',
  status: 'succeeded',
  params: {},
  source: { kind: 'inline' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:01.000Z',
  ...o,
});

/** Stored values that are valid JSON but not a run record, and the problem each is reported with. */
const wrongShapes: Array<{ name: string; value: unknown; problem: RegExp }> = [
  { name: 'null', value: null, problem: /^not a run record: Invalid input: expected object, received null$/ },
  { name: '[]', value: [], problem: /^not a run record: Invalid input: expected object, received array$/ },
  { name: 'a string', value: 'hello', problem: /^not a run record: Invalid input: expected object, received string$/ },
  {
    name: 'an object without id and status',
    value: (({ id: _id, status: _status, ...rest }) => rest)(record('bad')),
    problem: /^not a run record: id: Invalid input: expected string, received undefined; status: Invalid option/,
  },
  {
    name: 'an unknown status',
    value: record('bad', { status: 'exploded' as RunRecord['status'] }),
    problem: /^not a run record: status: Invalid option: expected one of "running"\|"succeeded"/,
  },
  {
    name: 'a number where a string belongs',
    value: { ...record('bad'), createdAt: 12 },
    problem: /^not a run record: createdAt: Invalid input: expected string, received number$/,
  },
  {
    name: 'an id that is not its key',
    value: record('other'),
    problem: /^its id "other" is not its file name "bad"$/,
  },
];

describe('the run record schema', () => {
  it('accepts a full record, extra fields and the optional root', () => {
    const full = record('r', {
      title: 't',
      source: { kind: 'file', ref: 'x.bpmn', mappings: { a: 'log.info' } },
      pid: 1,
      pidStart: 2,
      host: 'h',
      parent: 'p',
      finishedAt: 'f',
      output: { any: ['thing'] },
      error: { name: 'TaskError', code: 'TASK_FAILED', message: 'm', details: { x: 1 }, step: 's' },
      attention: { message: 'm', steps: ['s'] },
      root: '/srv',
    });
    expect(runRecordSchema.safeParse(full).success).toBe(true);
    expect(runRecordSchema.safeParse({ ...full, addedLater: true }).success).toBe(true);
  });
});

describe('run records in a store', () => {
  let store: Store;
  beforeEach(() => {
    store = createMemoryStore();
  });

  it.each(wrongShapes)(
    'lists a record holding $name as unreadable, next to the good ones',
    async ({ value, problem }) => {
      await store.put(keys.run('a-good'), record('a-good'));
      await store.put(keys.run('bad'), value);
      await store.put(keys.run('c-good'), record('c-good'));
      const listing = await listRuns(store);
      expect(listing.runs.map((r) => r.id)).toEqual(['a-good', 'c-good']);
      expect(listing.unreadable).toEqual([
        { id: 'bad', file: 'memory:runs/bad', problem: expect.stringMatching(problem) },
      ]);
    },
  );

  it.each(wrongShapes)(
    'refuses to get or load a record holding $name, naming where it is',
    async ({ value, problem }) => {
      await store.put(keys.run('bad'), value);
      for (const read of [
        () => getRun(store, 'bad'),
        () => loadRun({ store }, 'bad'),
        () => loadRun({ store }, 'ba'),
      ]) {
        const err = await read().then(
          () => undefined,
          (e: unknown) => e as Error & { code: string; problem: string; location: string },
        );
        expect(err).toMatchObject({
          name: 'CorruptDataError',
          code: 'BAD_INPUT',
          message: expect.stringMatching(/^run record memory:runs\/bad is unreadable: /),
          location: 'memory:runs/bad',
          details: { run: 'bad', file: 'memory:runs/bad' },
        });
        expect(err?.problem).toMatch(problem);
      }
    },
  );

  it('loads a good run by a prefix that no unreadable record shares', async () => {
    await store.put(keys.run('bad'), null);
    await store.put(keys.run('good-1'), record('good-1'));
    expect((await loadRun({ store }, 'good')).id).toBe('good-1');
  });

  it('calls a prefix shared by a good and an unreadable record ambiguous, marking the unreadable one', async () => {
    await store.put(keys.run('r-1'), record('r-1'));
    await store.put(keys.run('r-2'), { id: 'r-2' });
    await expect(loadRun({ store }, 'r-')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: 'run id "r-" is ambiguous: r-1, r-2 (unreadable)',
    });
  });

  it('does not find a run by the id written inside a record filed under another name', async () => {
    await store.put(keys.run('filed'), record('inside'));
    await expect(loadRun({ store }, 'inside')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it.each([
    { name: 'null', line: null, problem: /Invalid input: expected object, received null/ },
    { name: 'an unknown type', line: { type: 'run.exploded', at: '' }, problem: /type: Invalid option/ },
    { name: 'no time', line: { type: 'run.started' }, problem: /at: Invalid input: expected string/ },
    {
      name: 'an error that is a string',
      line: { type: 'task.failed', at: '', step: 's', error: 'boom' },
      problem: /error: Invalid input: expected object, received string/,
    },
  ])('refuses a journal with a line holding $name, naming where it is and the line', async ({ line, problem }) => {
    await store.append(keys.journal('r'), { type: 'run.started', at: '' });
    await store.append(keys.journal('r'), line);
    const err = await readJournal(store, 'r').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toMatchObject({
      name: 'CorruptDataError',
      code: 'BAD_INPUT',
      message: expect.stringMatching(/^corrupt journal memory:log:journal\/r: line 2 is not a journal entry: /),
      details: { run: 'r', file: 'memory:log:journal/r', line: 2 },
    });
    expect(err?.message).toMatch(problem);
  });

  it.each([
    { name: 'null', value: null, problem: /not a run snapshot: Invalid input: expected object, received null/ },
    {
      name: 'no xstate snapshot',
      value: { definitionHash: 'h' },
      problem: /snapshot: Invalid input: expected object, received undefined/,
    },
    {
      name: 'a context that is not an object',
      value: { definitionHash: 'h', snapshot: { status: 'active', value: 'a', context: 3 } },
      problem: /snapshot\.context: Invalid input: expected record, received number/,
    },
    {
      name: 'timers that are not a list',
      value: { definitionHash: 'h', snapshot: { status: 'active', value: 'a', context: {} }, timers: {} },
      problem: /timers: Invalid input: expected array, received object/,
    },
  ])('refuses a snapshot holding $name, naming where it is', async ({ value, problem }) => {
    await store.put(keys.snapshot('r'), value);
    await expect(readSnapshot(store, 'r')).rejects.toMatchObject({
      name: 'CorruptDataError',
      code: 'BAD_INPUT',
      message: expect.stringMatching(new RegExp(`^snapshot memory:snapshots/r is unreadable: .*${problem.source}`)),
    });
  });

  it('reads a sound snapshot as it was stored', async () => {
    const snap = {
      definitionHash: 'h',
      snapshot: { status: 'active', value: { a: 'b' }, context: { steps: {} }, children: {}, historyValue: {} },
      timers: [{ id: 't', event: { type: 'xstate.after.1000.w.t' }, delay: 1000, startedAt: 5 }],
      stepsInJournal: true,
    };
    await store.put(keys.snapshot('r'), snap);
    expect(await readSnapshot(store, 'r')).toEqual(snap);
    expect(await readSnapshot(store, 'none')).toBeUndefined();
  });
});

describe('run files in a JSON data dir', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gravity-run-records-'));
    store = await createJsonStore(dir);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    { name: 'an empty file', content: '', problem: /^empty file$/ },
    { name: 'truncated JSON', content: '{"version": 1, "value": {"id": "b', problem: /^not JSON: / },
    { name: 'null', content: 'null', problem: /^no numeric "version"$/ },
    { name: 'a value of the wrong shape', content: '{"version": 1, "value": []}', problem: /^not a run record: / },
  ])('lists and refuses $name naming its file', async ({ content, problem }) => {
    await store.put(keys.run('a'), record('a'));
    const file = join(dir, 'kv/runs/b.json');
    writeFileSync(file, content);
    const listing = await listRuns(store);
    expect(listing.runs.map((r) => r.id)).toEqual(['a']);
    expect(listing.unreadable).toEqual([{ id: 'b', file, problem: expect.stringMatching(problem) }]);
    await expect(loadRun({ store }, 'b')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: `run record ${file} is unreadable: ${listing.unreadable[0].problem}`,
    });
  });

  it('drops a torn last journal line, as after a crash, but refuses a bad line before it, naming the file', async () => {
    const file = join(dir, 'logs/journal/r.jsonl');
    mkdirSync(join(dir, 'logs/journal'), { recursive: true });
    writeFileSync(file, '{"type":"run.started","at":"t0"}\n{"type":"task.star');
    expect(await readJournal(store, 'r')).toEqual([{ type: 'run.started', at: 't0' }]);
    writeFileSync(file, '{"type":"run.started","at":"t0"}\n{"type":"task.star\n{"type":"run.finished","at":"t1"}\n');
    await expect(readJournal(store, 'r')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(new RegExp(`^corrupt log ${file} at line 2: `)),
    });
    writeFileSync(file, '{"type":"run.started","at":"t0"}\n[]\n');
    await expect(readJournal(store, 'r')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: `corrupt journal ${file}: line 2 is not a journal entry: Invalid input: expected object, received array`,
    });
  });

  it('refuses a snapshot file that is not JSON, naming it', async () => {
    const file = join(dir, 'kv/snapshots/r.json');
    mkdirSync(join(dir, 'kv/snapshots'), { recursive: true });
    writeFileSync(file, '{"version": 3, "value": {"definitionHash"');
    await expect(readSnapshot(store, 'r')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(new RegExp(`^corrupt store file ${file}: not JSON: `)),
    });
  });
});
