// One behaviour suite for every Store backend, plus what only the JSON files can show (layout, torn logs, stale locks).
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, utimesSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJsonStore, createMemoryStore, defaultDataDir, type Store } from '../../engine/store/index.js';

const backends = [
  { name: 'json', json: true, open: (dir: string) => createJsonStore(dir) },
  { name: 'memory', json: false, open: async () => createMemoryStore() },
];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gravity-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(backends)('the $name store', ({ open }) => {
  let store: Store;
  beforeEach(async () => {
    store = await open(dir);
  });
  afterEach(async () => {
    await store.close();
  });

  it('returns undefined for a key that was never written', async () => {
    expect(await store.get('runs/none')).toBeUndefined();
  });

  it('starts versions at 1 and adds 1 on every put', async () => {
    expect(await store.put('runs/a', { step: 1 })).toBe(1);
    expect(await store.put('runs/a', { step: 2 })).toBe(2);
    expect(await store.get('runs/a')).toEqual({ key: 'runs/a', value: { step: 2 }, version: 2 });
  });

  it('applies a compare-and-set put whose expected version is current', async () => {
    await store.put('k', 'one');
    expect(await store.put('k', 'two', { ifVersion: 1 })).toBe(2);
    expect((await store.get('k'))?.value).toBe('two');
  });

  it.each([
    { when: 'the expected version is stale', setup: 2, ifVersion: 1, actual: 2 },
    { when: 'the key must be absent but exists', setup: 1, ifVersion: null, actual: 1 },
    { when: 'a version is expected but the key is absent', setup: 0, ifVersion: 3, actual: null },
  ])('rejects a put with a CONFLICT error when $when', async ({ setup, ifVersion, actual }) => {
    for (let i = 0; i < setup; i++) await store.put('inventory/hosts', { i });
    const put = store.put('inventory/hosts', { lost: true }, { ifVersion });
    await expect(put).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { key: 'inventory/hosts', expected: ifVersion, actual },
    });
    expect((await store.get('inventory/hosts'))?.version ?? null).toBe(actual);
  });

  it('creates a key with ifVersion null when it is absent', async () => {
    expect(await store.put('fresh', 1, { ifVersion: null })).toBe(1);
  });

  it('updates a value from its current one, starting from undefined', async () => {
    const first = await store.update<number[]>('list', (v) => [...(v ?? []), 1]);
    const second = await store.update<number[]>('list', (v) => [...(v ?? []), 2]);
    expect(first).toEqual({ key: 'list', value: [1], version: 1 });
    expect(second).toEqual({ key: 'list', value: [1, 2], version: 2 });
  });

  it('loses no update when many run at once in one process', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => store.update<number[]>('counter', (v) => [...(v ?? []), i])),
    );
    const entry = await store.get<number[]>('counter');
    expect(entry?.version).toBe(40);
    expect([...entry!.value].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('deletes a key only when its version matches, and reports whether it existed', async () => {
    await store.put('runs/x', 'x');
    await expect(store.delete('runs/x', { ifVersion: 7 })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await store.delete('runs/x', { ifVersion: 1 })).toBe(true);
    expect(await store.get('runs/x')).toBeUndefined();
    expect(await store.delete('runs/x')).toBe(false);
    expect(await store.put('runs/x', 'again')).toBe(1);
  });

  it('lists entries whose key starts with a plain prefix, sorted by key', async () => {
    for (const key of ['runs/b', 'runs-x', 'runs/a/deep', 'runs/a', 'inventory/hosts', 'runs/C'])
      await store.put(key, key);
    expect((await store.list('runs/')).map((e) => e.key)).toEqual(['runs/C', 'runs/a', 'runs/a/deep', 'runs/b']);
    expect((await store.list('run')).map((e) => e.key)).toEqual([
      'runs-x',
      'runs/C',
      'runs/a',
      'runs/a/deep',
      'runs/b',
    ]);
    expect((await store.list('')).length).toBe(6);
    expect(await store.list('nothing/')).toEqual([]);
    expect((await store.list('runs/a'))[0]).toEqual({ key: 'runs/a', value: 'runs/a', version: 1 });
  });

  it('scans what list lists, in the same order, with nothing unreadable in a sound store', async () => {
    for (const key of ['runs/b', 'runs-x', 'runs/a/deep', 'runs/a', 'inventory/hosts']) await store.put(key, { key });
    for (const prefix of ['runs/', 'run', '', 'nothing/'])
      expect(await store.scan(prefix)).toEqual({ entries: await store.list(prefix), unreadable: [] });
    await expect(store.scan('../')).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('locates a value and a log apart, naming the key', async () => {
    expect(store.locate('runs/a')).toContain('runs');
    expect(store.locate('runs/a')).not.toBe(store.locate('runs/a', 'log'));
    expect(store.locate('runs/a')).toBe(store.locate('runs/a', 'value'));
  });

  it('gives out copies, so mutating a value does not change what is stored', async () => {
    const value = { hosts: ['a'] };
    await store.put('inv', value);
    value.hosts.push('mutated');
    const got = await store.get<{ hosts: string[] }>('inv');
    got!.value.hosts.push('mutated too');
    expect((await store.get('inv'))?.value).toEqual({ hosts: ['a'] });
  });

  it('refuses a value that JSON cannot hold', async () => {
    await expect(store.put('k', undefined)).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('appends log records and reads them back oldest first', async () => {
    expect(await store.readLog('runs/r1/journal')).toEqual([]);
    for (let i = 0; i < 5; i++) await store.append('runs/r1/journal', { type: 'task.started', i });
    await Promise.all([6, 7, 8].map((i) => store.append('runs/r1/journal', { i })));
    const records = await store.readLog<{ i: number }>('runs/r1/journal');
    expect(records.map((r) => r.i)).toEqual([0, 1, 2, 3, 4, 6, 7, 8]);
  });

  it.each([
    { key: '', problem: 'empty' },
    { key: '/runs', problem: 'segment 1 is empty' },
    { key: 'runs/', problem: 'segment 2 is empty' },
    { key: 'runs//a', problem: 'segment 2 is empty' },
    { key: 'runs/../etc', problem: 'segment 2 is ".."' },
    { key: './runs', problem: 'segment 1 is "."' },
    { key: 'runs/a b', problem: 'contains " "' },
    { key: 'runs\\a', problem: 'contains "\\\\"' },
    { key: 'runs/é', problem: 'contains "é"' },
    { key: 'r'.repeat(401), problem: '401 characters' },
    { key: 'snapshot.json/x', problem: 'ending in .json' },
  ])('rejects the key $key with a BAD_INPUT error saying what is wrong', async ({ key, problem }) => {
    for (const call of [
      () => store.get(key),
      () => store.put(key, 1),
      () => store.append(key, 1),
      () => store.lock(key, { waitMs: 0 }),
    ]) {
      const err = await call().then(
        () => undefined,
        (e: unknown) => e as Error & { code: string },
      );
      expect(err?.code).toBe('BAD_INPUT');
      expect(err?.message).toContain(problem);
      expect(err?.message).toContain('expected /-separated words of [A-Za-z0-9._:-]');
    }
  });

  it('accepts keys made of every allowed character', async () => {
    const key = 'a-b_c.d:e/.hidden/0.9/x.json';
    await store.put(key, 1);
    expect((await store.list('a-b_c.d:e/')).map((e) => e.key)).toEqual([key]);
  });

  it('refuses a prefix that would leave the store', async () => {
    await expect(store.list('../')).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('holds a lock exclusively until it is released', async () => {
    const lease = await store.lock('inventory', { ttlMs: 5000, waitMs: 0 });
    await expect(store.lock('inventory', { waitMs: 60 })).rejects.toMatchObject({
      code: 'LOCKED',
      message: expect.stringContaining('lock inventory is held by another'),
    });
    const other = await store.lock('other', { waitMs: 0 });
    await lease.release();
    const again = await store.lock('inventory', { waitMs: 0 });
    await Promise.all([again.release(), other.release(), lease.release()]);
  });

  it.each([
    { what: 'undefined', value: undefined },
    { what: 'function', value: () => 1 },
    { what: 'symbol', value: Symbol('s') },
  ])('refuses a $what value with a BAD_INPUT error naming the key, and stores nothing', async ({ what, value }) => {
    await expect(store.put('runs/v', value)).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: `value of runs/v is not JSON-serializable (${what})`,
      details: { key: 'runs/v' },
    });
    await expect(store.update('runs/v', () => value)).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: `value of runs/v is not JSON-serializable (${what})`,
    });
    expect(await store.get('runs/v')).toBeUndefined();
  });

  it('refuses an update function that returns a Promise, and stores nothing', async () => {
    await expect(store.update('runs/u', async () => 1)).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: 'update of runs/u: the function must be synchronous (it returned a Promise)',
      details: { key: 'runs/u' },
    });
    expect(await store.get('runs/u')).toBeUndefined();
  });

  it('refuses a log record that JSON cannot hold, and logs nothing', async () => {
    await expect(store.append('runs/r/journal', undefined)).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: 'log record for runs/r/journal is not JSON-serializable (undefined)',
      details: { key: 'runs/r/journal' },
    });
    await expect(store.append('runs/r/journal', () => 1)).rejects.toMatchObject({
      message: 'log record for runs/r/journal is not JSON-serializable (function)',
    });
    expect(await store.readLog('runs/r/journal')).toEqual([]);
  });

  it('names a bad lock name as a lock name', async () => {
    await expect(store.lock('a b', { waitMs: 0 })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(/^invalid lock name "a b": /),
    });
  });

  it('says which lock and how long it waited when it gives up', async () => {
    const lease = await store.lock('deploy', { waitMs: 0 });
    await expect(store.lock('deploy', { waitMs: 30 })).rejects.toMatchObject({
      code: 'LOCKED',
      message: expect.stringMatching(/^lock deploy is held by another (process|holder) \(gave up after 30 ms/),
      details: expect.objectContaining({ name: 'deploy', waitMs: 30 }),
    });
    await lease.release();
  });

  it('ignores a second release of an old lease once someone else holds the lock', async () => {
    const first = await store.lock('deploy', { waitMs: 0 });
    await first.release();
    const second = await store.lock('deploy', { waitMs: 0 });
    await first.release();
    await expect(store.lock('deploy', { waitMs: 0 })).rejects.toMatchObject({ code: 'LOCKED' });
    await second.release();
  });

  it('gives a lock to a waiter as soon as its holder releases it', async () => {
    const lease = await store.lock('deploy', { waitMs: 0 });
    setTimeout(() => void lease.release(), 50);
    const started = Date.now();
    const next = await store.lock('deploy', { waitMs: 5000 });
    expect(Date.now() - started).toBeLessThan(2000);
    await next.release();
  });
});

describe('the json store on disk', () => {
  it('keeps each value as {version, value} in kv/<key>.json and leaves no temp file behind', async () => {
    const store = await createJsonStore(dir);
    await store.put('inventory/hosts', { records: [1] });
    await store.put('inventory/hosts', { records: [1, 2] });
    expect(JSON.parse(readFileSync(join(dir, 'kv/inventory/hosts.json'), 'utf8'))).toEqual({
      version: 2,
      value: { records: [1, 2] },
    });
    expect(readdirSync(join(dir, 'kv/inventory'))).toEqual(['hosts.json']);
    expect(store.location).toBe(`json:${dir}`);
    await store.close();
  });

  it('drops a torn last log line and appends cleanly after it once reopened', async () => {
    const first = await createJsonStore(dir);
    await first.append('runs/r/journal', { n: 1 });
    await first.append('runs/r/journal', { n: 2 });
    await first.close();
    appendFileSync(join(dir, 'logs/runs/r/journal.jsonl'), '{"n": 3, "outp');
    const second = await createJsonStore(dir);
    expect(await second.readLog('runs/r/journal')).toEqual([{ n: 1 }, { n: 2 }]);
    await second.append('runs/r/journal', { n: 4 });
    expect(await second.readLog('runs/r/journal')).toEqual([{ n: 1 }, { n: 2 }, { n: 4 }]);
    await second.close();
  });

  it('drops an invalid last log line but rejects an invalid line in the middle, naming file and line', async () => {
    const store = await createJsonStore(dir);
    const file = join(dir, 'logs/journal.jsonl');
    mkdirSync(join(dir, 'logs'), { recursive: true });
    appendFileSync(file, '{"n":1}\nnot json\n');
    expect(await store.readLog('journal')).toEqual([{ n: 1 }]);
    appendFileSync(file, '{"n":3}\n');
    await expect(store.readLog('journal')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining(`${file} at line 2`),
    });
    await store.close();
  });

  it('refuses a lock whose folder another process keeps fresh, and takes over one left stale', async () => {
    const store = await createJsonStore(dir);
    const lockDir = join(dir, 'locks/named/inventory~hosts.lock');
    mkdirSync(lockDir);
    await expect(store.lock('inventory/hosts', { ttlMs: 2000, waitMs: 100 })).rejects.toMatchObject({ code: 'LOCKED' });
    const longAgo = new Date(Date.now() - 60_000);
    utimesSync(lockDir, longAgo, longAgo);
    const lease = await store.lock('inventory/hosts', { ttlMs: 2000, waitMs: 0 });
    await lease.release();
    expect(readdirSync(join(dir, 'locks/named'))).toEqual([]);
    await store.close();
  });

  it('releases the locks it still holds when closed', async () => {
    const store = await createJsonStore(dir);
    await store.lock('held', { waitMs: 0 });
    await store.close();
    const other = await createJsonStore(dir);
    await (await other.lock('held', { waitMs: 0 })).release();
    await other.close();
  });
});

describe('the memory store', () => {
  it('locates keys as memory:<key> and logs as memory:log:<key>', () => {
    const store = createMemoryStore();
    expect(store.locate('runs/a')).toBe('memory:runs/a');
    expect(store.locate('journal/a', 'log')).toBe('memory:log:journal/a');
  });

  it('describes itself as memory:', () => {
    expect(createMemoryStore().location).toBe('memory:');
  });

  it('frees the locks it holds when closed', async () => {
    const store = createMemoryStore();
    await store.lock('held', { waitMs: 0 });
    await store.close();
    await (await store.lock('held', { waitMs: 0 })).release();
  });
});

describe('the default data directory', () => {
  it.each([
    { env: { GRAVITY_HOME: '/srv/gravity', HOME: '/home/me' }, expected: '/srv/gravity' },
    { env: { GRAVITY_HOME: '', HOME: '/home/me' }, expected: '/home/me/.gravity' },
    { env: { HOME: '/home/me' }, expected: '/home/me/.gravity' },
    { env: { GRAVITY_HOME: '  /srv/gravity  ', HOME: '/home/me' }, expected: '/srv/gravity' },
    { env: { GRAVITY_HOME: '   ', HOME: '/home/me' }, expected: '/home/me/.gravity' },
  ])('is $expected for $env', ({ env, expected }) => {
    expect(defaultDataDir(env)).toBe(expected);
  });
});
