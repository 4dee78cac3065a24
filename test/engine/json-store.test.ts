// What only the JSON store's files show (engine/store/json-store.ts): folder layout, exact value files, the key lock
// folder, corrupt or odd files in the data directory, and list() over more keys than one read batch.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJsonStore, type Store } from '../../engine/store/index.js';

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gravity-json-store-'));
  store = await createJsonStore(dir);
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('createJsonStore', () => {
  it('creates kv/, logs/ and locks/{kv,logs,named}/ in a new data directory', () => {
    expect(readdirSync(dir).sort()).toEqual(['kv', 'locks', 'logs']);
    expect(readdirSync(join(dir, 'locks')).sort()).toEqual(['kv', 'logs', 'named']);
  });
});

describe('value files', () => {
  it('writes a small value indented, inside the {version, value} wrapper', async () => {
    await store.put('inventory/hosts', { hosts: ['a', 'b'], n: 1 });
    expect(readFileSync(join(dir, 'kv/inventory/hosts.json'), 'utf8')).toBe(
      '{\n  "version": 1,\n  "value": {\n    "hosts": [\n      "a",\n      "b"\n    ],\n    "n": 1\n  }\n}\n',
    );
  });

  it('indents a value of exactly 16 KiB of JSON and writes a larger one compact', async () => {
    const atLimit = { s: 'x'.repeat(16 * 1024 - 8) };
    expect(JSON.stringify(atLimit).length).toBe(16 * 1024);
    await store.put('big/at-limit', atLimit);
    expect(readFileSync(join(dir, 'kv/big/at-limit.json'), 'utf8')).toBe(
      `{\n  "version": 1,\n  "value": {\n    "s": "${atLimit.s}"\n  }\n}\n`,
    );
    const over = { s: `${atLimit.s}y` };
    await store.put('big/over', over);
    expect(readFileSync(join(dir, 'kv/big/over.json'), 'utf8')).toBe(
      `{\n  "version": 1,\n  "value": ${JSON.stringify(over)}\n}\n`,
    );
    expect((await store.get('big/over'))?.value).toEqual(over);
  });

  it('holds the key lock folder locks/kv/<key>.lock while an update runs, and removes it after', async () => {
    let seen: string[] = [];
    await store.update('inventory/hosts', () => {
      seen = readdirSync(join(dir, 'locks/kv'));
      return 1;
    });
    expect(seen).toEqual(['inventory~hosts.lock']);
    expect(readdirSync(join(dir, 'locks/kv'))).toEqual([]);
  });
});

describe('odd files in the data directory', () => {
  it('reports a value path that is a folder instead of treating the key as absent', async () => {
    mkdirSync(join(dir, 'kv/odd.json'));
    await expect(store.get('odd')).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it.each([
    { content: 'null', reason: 'no numeric "version"' },
    { content: '{"value": 1}', reason: 'no numeric "version"' },
    { content: '{"version": "1", "value": 1}', reason: 'no numeric "version"' },
  ])('rejects a value file holding $content as corrupt, naming file and reason', async ({ content, reason }) => {
    const file = join(dir, 'kv/bad.json');
    writeFileSync(file, content);
    await expect(store.get('bad')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: `corrupt store file ${file}: ${reason}`,
      details: { file, key: 'bad' },
    });
  });

  it('rejects a value file that is not JSON as corrupt', async () => {
    const file = join(dir, 'kv/bad.json');
    writeFileSync(file, '{"version": 1,');
    await expect(store.put('bad', 2)).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(new RegExp(`^corrupt store file ${file}: .+`)),
    });
    expect(readFileSync(file, 'utf8')).toBe('{"version": 1,');
  });

  it("lists only *.json value files, not a crashed write's temp file or other files", async () => {
    await store.put('runs/a', 'a');
    writeFileSync(join(dir, 'kv/runs/.a.json.1234.0123456789ab.tmp'), '{"version": 9, "value": "torn');
    writeFileSync(join(dir, 'kv/runs/notes.txt'), 'hello');
    expect(await store.list('runs/')).toEqual([{ key: 'runs/a', value: 'a', version: 1 }]);
  });

  it('lists nothing below a key (its file is not a folder)', async () => {
    await store.put('runs/a.json', 1);
    expect(await store.list('runs/a.json/x')).toEqual([]);
  });

  it('reports a folder it cannot read instead of listing nothing', async () => {
    symlinkSync('loop', join(dir, 'kv/loop'));
    await expect(store.list('loop/')).rejects.toMatchObject({ code: 'ELOOP' });
  });
});

describe('list()', () => {
  it('returns each of more keys than one read batch exactly once, in order', async () => {
    const fast = await createJsonStore(join(dir, 'fast'), { durable: false });
    const keys = Array.from({ length: 70 }, (_, i) => `runs/r${String(i).padStart(3, '0')}`);
    for (const key of keys) await fast.put(key, key);
    const listed = await fast.list('runs/');
    expect(listed.map((e) => e.key)).toEqual(keys);
    expect(listed.every((e) => e.value === e.key && e.version === 1)).toBe(true);
    await fast.close();
  });
});

describe('scan()', () => {
  it.each([
    { name: 'an empty file', content: '', problem: 'empty file' },
    { name: 'blanks only', content: ' \n', problem: 'empty file' },
    { name: 'truncated JSON', content: '{"version": 1, "value": {"id":', problem: /^not JSON: / },
    { name: 'null', content: 'null', problem: 'no numeric "version"' },
    { name: '[]', content: '[]', problem: 'no numeric "version"' },
  ])('reports $name as unreadable with its file, and still returns every other entry', async ({ content, problem }) => {
    await store.put('runs/a', 'a');
    await store.put('runs/c', 'c');
    const file = join(dir, 'kv/runs/b.json');
    writeFileSync(file, content);
    const scanned = await store.scan('runs/');
    expect(scanned.entries).toEqual([
      { key: 'runs/a', value: 'a', version: 1 },
      { key: 'runs/c', value: 'c', version: 1 },
    ]);
    expect(scanned.unreadable).toEqual([{ key: 'runs/b', location: file, problem: expect.anything() }]);
    expect(scanned.unreadable[0].problem).toMatch(problem);
    // list keeps its contract: the first bad entry fails it
    await expect(store.list('runs/')).rejects.toMatchObject({ code: 'BAD_INPUT', details: { file, key: 'runs/b' } });
  });

  it('escapes the control characters of garbage bytes in the problem', async () => {
    const file = join(dir, 'kv/runs/junk.json');
    mkdirSync(join(dir, 'kv/runs'), { recursive: true });
    writeFileSync(file, Buffer.from([0x00, 0x01, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0xff, 0xfe]));
    const [bad] = (await store.scan('runs/')).unreadable;
    expect(bad).toMatchObject({ key: 'runs/junk', location: file, problem: expect.stringMatching(/^not JSON: /) });
    expect(bad.problem).toContain('\\u001b');
    expect(bad.problem).not.toMatch(/[\u0000-\u001f]/);
    await expect(store.get('runs/junk')).rejects.toMatchObject({
      message: `corrupt store file ${file}: ${bad.problem}`,
      location: file,
      problem: bad.problem,
    });
  });

  it('reports a file whose name is not a valid key next to the good entries', async () => {
    await store.put('runs/a', 'a');
    const file = join(dir, 'kv/runs/two words.json');
    writeFileSync(file, '{"version": 1, "value": 2}');
    const scanned = await store.scan('runs/');
    expect(scanned.entries.map((e) => e.key)).toEqual(['runs/a']);
    expect(scanned.unreadable).toEqual([
      { key: 'runs/two words', location: file, problem: expect.stringMatching(/^invalid key "runs\/two words"/) },
    ]);
  });

  it('reports every bad entry among more than one read batch, and every good one exactly once', async () => {
    const fast = await createJsonStore(join(dir, 'fast'), { durable: false });
    const keys = Array.from({ length: 70 }, (_, i) => `runs/r${String(i).padStart(3, '0')}`);
    for (const key of keys) await fast.put(key, key);
    for (const i of [0, 64, 69]) writeFileSync(join(dir, 'fast/kv', `${keys[i]}.json`), '{');
    const scanned = await fast.scan('runs/');
    expect(scanned.unreadable.map((u) => u.key)).toEqual([keys[0], keys[64], keys[69]]);
    expect(scanned.entries.map((e) => e.key)).toEqual(keys.filter((_, i) => ![0, 64, 69].includes(i)));
    await fast.close();
  });
});

describe('locate()', () => {
  it('names the value file and the log file of a key', () => {
    expect(store.locate('runs/a')).toBe(join(dir, 'kv/runs/a.json'));
    expect(store.locate('journal/a', 'log')).toBe(join(dir, 'logs/journal/a.jsonl'));
  });
});

describe('named locks', () => {
  it('uses the given ttl: in the LOCKED error, and to take over a folder older than it', async () => {
    const folder = join(dir, 'locks/named/deploy.lock');
    mkdirSync(folder);
    await expect(store.lock('deploy', { ttlMs: 2500, waitMs: 0 })).rejects.toMatchObject({
      code: 'LOCKED',
      message:
        'lock deploy is held by another process (gave up after 0 ms; it frees itself 2500 ms after its holder stops)',
      details: { name: 'deploy', waitMs: 0, ttlMs: 2500 },
    });
    const old = new Date(Date.now() - 5000);
    utimesSync(folder, old, old);
    const lease = await store.lock('deploy', { ttlMs: 2500, waitMs: 0 });
    expect(existsSync(folder)).toBe(true);
    await lease.release();
    expect(existsSync(folder)).toBe(false);
  });

  it('defaults to a 10 s ttl', async () => {
    mkdirSync(join(dir, 'locks/named/deploy.lock'));
    await expect(store.lock('deploy', { waitMs: 0 })).rejects.toMatchObject({ details: { ttlMs: 10_000 } });
  });
});
