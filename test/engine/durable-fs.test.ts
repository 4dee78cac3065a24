// The JSON store's crash-safe file primitives (engine/store/durable-fs.ts) on real temp folders: atomic replace,
// folder creation, error reporting and no leaked file descriptors. The fsync calls themselves cannot be observed.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import {
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { atomicWriteFile, ensureDir, fsyncDir, isMissing, tempNameFor } from '../../engine/store/durable-fs.js';

const hasProc = existsSync('/proc/self/fd');

/** Paths this process holds open that start with `prefix` (Linux: /proc/self/fd). */
function openPathsUnder(prefix: string): string[] {
  const paths: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(prefix)) paths.push(target);
    } catch {
      // closed meanwhile (the fd of the readdir itself)
    }
  }
  return paths;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gravity-durable-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fsyncDir', () => {
  it('flushes an existing folder and leaves no descriptor open', async () => {
    await fsyncDir(dir);
    if (hasProc) expect(openPathsUnder(dir)).toEqual([]);
  });

  it('reports a missing folder with its ENOENT error', async () => {
    await expect(fsyncDir(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.runIf(existsSync('/proc/self'))(
    'accepts a folder whose file system cannot fsync it (EINVAL on /proc)',
    async () => {
      await expect(fsyncDir('/proc/self')).resolves.toBeUndefined();
    },
  );
});

describe('ensureDir', () => {
  it('creates the folder and its missing parents, and remembers it', async () => {
    const target = join(dir, 'a', 'b', 'c');
    const known = new Set<string>();
    await ensureDir(dir, target, known);
    expect(statSync(target).isDirectory()).toBe(true);
    expect(known).toEqual(new Set([target]));
    await ensureDir(dir, target, known); // already there: no error
    expect(known.size).toBe(1);
  });

  it('accepts a folder that already exists without being known', async () => {
    mkdirSync(join(dir, 'x'));
    const known = new Set<string>();
    await ensureDir(dir, join(dir, 'x'), known);
    expect(known.has(join(dir, 'x'))).toBe(true);
  });

  it('trusts the known set and does not touch the disk for a folder in it', async () => {
    const target = join(dir, 'believed');
    await ensureDir(dir, target, new Set([target]));
    expect(existsSync(target)).toBe(false);
  });
});

describe('tempNameFor', () => {
  it('names a hidden, unique temp file beside the target, with the process id', () => {
    const file = join(dir, 'kv', 'hosts.json');
    const a = tempNameFor(file);
    const b = tempNameFor(file);
    expect(dirname(a)).toBe(dirname(file));
    expect(basename(a)).toMatch(new RegExp(`^\\.hosts\\.json\\.${process.pid}\\.[0-9a-f]{12}\\.tmp$`));
    expect(a).not.toBe(b);
  });
});

describe('atomicWriteFile', () => {
  it('writes the text as UTF-8 with mode 0644 (less the umask) and leaves only the file', async () => {
    const file = join(dir, 'value.json');
    await atomicWriteFile(file, '{"name":"é✓"}');
    expect(readFileSync(file, 'utf8')).toBe('{"name":"é✓"}');
    const umask = process.umask();
    expect(statSync(file).mode & 0o777).toBe(0o644 & ~umask);
    expect(readdirSync(dir)).toEqual(['value.json']);
  });

  it('replaces the file by rename: a reader that opened the old file still reads all of the old content', async () => {
    const file = join(dir, 'value.json');
    writeFileSync(file, 'old content');
    const before = statSync(file).ino;
    const fd = openSync(file, 'r');
    try {
      await atomicWriteFile(file, 'new');
      const buf = Buffer.alloc(64);
      const n = readSync(fd, buf, 0, 64, 0);
      expect(buf.subarray(0, n).toString()).toBe('old content');
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(statSync(file).ino).not.toBe(before);
    expect(readdirSync(dir)).toEqual(['value.json']);
  });

  it('writes the same way when not durable', async () => {
    const file = join(dir, 'fast.json');
    await atomicWriteFile(file, 'x', false);
    expect(readFileSync(file, 'utf8')).toBe('x');
    expect(readdirSync(dir)).toEqual(['fast.json']);
  });

  it('rethrows a failed rename and removes its temp file', async () => {
    const target = join(dir, 'occupied');
    mkdirSync(target);
    writeFileSync(join(target, 'inside'), '');
    await expect(atomicWriteFile(target, 'data')).rejects.toMatchObject({
      code: expect.stringMatching(/^(EISDIR|ENOTEMPTY|EEXIST)$/),
    });
    expect(readdirSync(dir)).toEqual(['occupied']);
  });

  it('fails on a missing folder without creating anything', async () => {
    await expect(atomicWriteFile(join(dir, 'no', 'file.json'), 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it.runIf(hasProc)('leaves no file descriptor open after many writes', async () => {
    for (let i = 0; i < 5; i++) await atomicWriteFile(join(dir, `f${i}`), String(i));
    expect(openPathsUnder(dir)).toEqual([]);
  });
});

describe('isMissing', () => {
  it.each([
    { err: Object.assign(new Error('x'), { code: 'ENOENT' }), missing: true },
    { err: Object.assign(new Error('x'), { code: 'ENOTDIR' }), missing: true },
    { err: Object.assign(new Error('x'), { code: 'EACCES' }), missing: false },
    { err: new Error('no code'), missing: false },
    { err: undefined, missing: false },
  ])('is $missing for $err', ({ err, missing }) => {
    expect(isMissing(err)).toBe(missing);
  });

  it('recognises the errors the file system really gives for a missing file and a file used as a folder', () => {
    writeFileSync(join(dir, 'file'), '');
    for (const path of [join(dir, 'absent'), join(dir, 'file', 'child')]) {
      let error: unknown;
      try {
        readFileSync(path);
      } catch (err) {
        error = err;
      }
      expect(isMissing(error)).toBe(true);
    }
  });
});
