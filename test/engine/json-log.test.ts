// The JSON store's append-only logs (engine/store/json-log.ts) on a real temp folder: file format, torn tails,
// errors, the log lock and the file handles it keeps open.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyLocks } from '../../engine/store/file-lock.js';
import { JsonLogs } from '../../engine/store/json-log.js';
import { createJsonStore } from '../../engine/store/index.js';

const hasProc = existsSync('/proc/self/fd');

/** How many descriptors this process holds open on `path` (Linux: /proc/self/fd). */
function openCount(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

let dir: string;
let logs: JsonLogs;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gravity-log-'));
  mkdirSync(join(dir, 'locks'));
  logs = new JsonLogs(join(dir, 'logs'), new KeyLocks(join(dir, 'locks')));
});
afterEach(async () => {
  await logs.close();
  await rm(dir, { recursive: true, force: true });
});

describe('JsonLogs', () => {
  it('keeps a log in <folder>/<key>.jsonl, one UTF-8 JSON record per line', async () => {
    await logs.append('runs/r1/journal', { type: 'started', who: 'é✓' });
    await logs.append('runs/r1/journal', [1, null]);
    const file = join(dir, 'logs/runs/r1/journal.jsonl');
    expect(logs.pathOf('runs/r1/journal')).toBe(file);
    expect(readFileSync(file, 'utf8')).toBe('{"type":"started","who":"é✓"}\n[1,null]\n');
    expect(await logs.read('runs/r1/journal')).toEqual([{ type: 'started', who: 'é✓' }, [1, null]]);
  });

  it('refuses a record JSON cannot hold and writes nothing', async () => {
    expect(() => logs.append('journal', undefined)).toThrow(
      expect.objectContaining({
        code: 'BAD_INPUT',
        message: 'log record for journal is not JSON-serializable (undefined)',
        details: { key: 'journal' },
      }),
    );
    expect(() => logs.append('journal', () => 1)).toThrow('log record for journal is not JSON-serializable (function)');
    expect(existsSync(logs.pathOf('journal'))).toBe(false);
  });

  it('reads [] for a log never written', async () => {
    expect(await logs.read('nothing/here')).toEqual([]);
  });

  it('reports a log path that is a folder instead of reading it as empty', async () => {
    mkdirSync(join(dir, 'logs/broken.jsonl'), { recursive: true });
    await expect(logs.read('broken')).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it('names the file and line of a corrupt line in the middle', async () => {
    const file = logs.pathOf('journal');
    mkdirSync(join(dir, 'logs'));
    writeFileSync(file, '{"n":1}\n{"n":2}\n{oops\n{"n":4}\n');
    await expect(logs.read('journal')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(new RegExp(`^corrupt log ${file} at line 3: `)),
      details: { file, line: 3 },
    });
  });

  it('cuts a torn first line entirely before appending', async () => {
    mkdirSync(join(dir, 'logs'));
    writeFileSync(logs.pathOf('journal'), '{"n":1,"ha');
    expect(await logs.read('journal')).toEqual([]);
    await logs.append('journal', { n: 2 });
    expect(readFileSync(logs.pathOf('journal'), 'utf8')).toBe('{"n":2}\n');
  });

  it('appends after a cleanly ended log without changing what is there', async () => {
    mkdirSync(join(dir, 'logs'));
    writeFileSync(logs.pathOf('journal'), '{"n":1}\n');
    await logs.append('journal', { n: 2 });
    expect(readFileSync(logs.pathOf('journal'), 'utf8')).toBe('{"n":1}\n{"n":2}\n');
  });

  it('retries opening a log whose first open failed, once the cause is gone', async () => {
    mkdirSync(join(dir, 'logs/journal.jsonl'), { recursive: true });
    await expect(logs.append('journal', { n: 1 })).rejects.toMatchObject({ code: 'EISDIR' });
    await rm(join(dir, 'logs/journal.jsonl'), { recursive: true });
    await logs.append('journal', { n: 2 });
    expect(await logs.read('journal')).toEqual([{ n: 2 }]);
  });

  it.runIf(hasProc)('keeps one open file per log and closes it on close()', async () => {
    for (let i = 0; i < 3; i++) await logs.append('journal', { i });
    await logs.append('other', {});
    const file = logs.pathOf('journal');
    expect(openCount(file)).toBe(1);
    expect(openCount(logs.pathOf('other'))).toBe(1);
    await logs.close();
    expect(openCount(file)).toBe(0);
    expect(openCount(logs.pathOf('other'))).toBe(0);
    await logs.append('journal', { i: 3 }); // reopened on demand
    expect((await logs.read<{ i: number }>('journal')).map((r) => r.i)).toEqual([0, 1, 2, 3]);
  });

  it('writes the same lines when not durable', async () => {
    const fast = new JsonLogs(join(dir, 'fast'), new KeyLocks(join(dir, 'locks')), false);
    await fast.append('journal', { n: 1 });
    expect(readFileSync(fast.pathOf('journal'), 'utf8')).toBe('{"n":1}\n');
    await fast.close();
  });
});

describe('the json store log lock', () => {
  it('opens a log only while holding locks/logs/<key>.lock, which other processes honour', async () => {
    const store = await createJsonStore(dir);
    const lock = join(dir, 'locks/logs/runs~r~journal.lock');
    mkdirSync(lock); // another process is repairing this log
    let done = false;
    const appending = store.append('runs/r/journal', { n: 1 }).then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(done).toBe(false);
    await rm(lock, { recursive: true });
    await appending;
    expect(await store.readLog('runs/r/journal')).toEqual([{ n: 1 }]);
    await store.close();
  });
});

describe('group commit', () => {
  /** Counts the fdatasync calls made on any file handle while `fn` runs. */
  async function countSyncs(fn: () => Promise<unknown>): Promise<number> {
    const { open } = await import('node:fs/promises');
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const original = proto.datasync;
    let n = 0;
    proto.datasync = function (this: unknown) {
      n++;
      return original.call(this);
    };
    try {
      await fn();
    } finally {
      proto.datasync = original;
    }
    return n;
  }

  it('writes the lines appended together in call order, with far fewer syncs than lines', async () => {
    const syncs = await countSyncs(() =>
      Promise.all(Array.from({ length: 200 }, (_, i) => logs.append('journal/g', { i }, i % 3 !== 0))),
    );
    expect(await logs.read<{ i: number }>('journal/g')).toEqual(Array.from({ length: 200 }, (_, i) => ({ i })));
    // the first batch is written alone, the rest while it syncs: a handful of syncs, not 200
    expect(syncs).toBeGreaterThanOrEqual(1);
    expect(syncs).toBeLessThanOrEqual(5);
  });

  it('does not sync an append asked not to, until the next synced one or sync()', async () => {
    expect(await countSyncs(() => logs.append('journal/u', { a: 1 }, false))).toBe(0);
    expect(readFileSync(logs.pathOf('journal/u'), 'utf8')).toBe('{"a":1}\n');
    // sync() syncs what is pending, once; then there is nothing left to sync
    expect(await countSyncs(() => logs.sync('journal/u'))).toBe(1);
    expect(await countSyncs(() => logs.sync('journal/u'))).toBe(0);
    // a synced append syncs itself and what came before it
    await logs.append('journal/u', { b: 2 }, false);
    expect(await countSyncs(() => logs.append('journal/u', { c: 3 }))).toBe(1);
    expect(await countSyncs(() => logs.sync('journal/u'))).toBe(0);
    expect(await logs.read('journal/u')).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
  });
});
