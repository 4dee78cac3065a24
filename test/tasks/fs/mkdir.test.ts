// fs.mkdir on a real temp folder: creates parents, re-runs quietly, undoes only what it made.
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { fsMkdir } from '../../../tasks/fs/mkdir.js';
import { tempDir } from '../../support/git-fixtures.js';
import { compensate, runTask } from '../context.js';

let root: string;
beforeEach(() => {
  root = tempDir('gravity-tasks-');
});

describe('fs.mkdir', () => {
  it('creates a directory with its parents and says so, then finds it there on a second run', async () => {
    const first = await runTask(fsMkdir, { path: 'a/b/c' }, { root });
    expect(first).toEqual({ path: join(root, 'a/b/c'), created: true });
    expect((await stat(first.path)).isDirectory()).toBe(true);
    expect(await runTask(fsMkdir, { path: 'a/b/c' }, { root })).toEqual({ path: first.path, created: false });
  });

  it('applies an octal mode given as a string', async () => {
    const out = await runTask(fsMkdir, { path: 'private', mode: '700' }, { root });
    expect((await stat(out.path)).mode & 0o777).toBe(0o700);
  });

  it('fails when a file is in the way', async () => {
    await writeFile(join(root, 'f'), 'x');
    await expect(runTask(fsMkdir, { path: 'f' }, { root })).rejects.toThrow(/a file is in the way/);
  });

  it.each([
    ['removes a directory it created when it is empty', [], false],
    ['keeps a directory it created when something was put in it', ['kept.txt'], true],
  ])('on rollback %s', async (_name, files, stays) => {
    const out = await runTask(fsMkdir, { path: 'made' }, { root });
    for (const f of files) await writeFile(join(out.path, f), 'x');
    await compensate(fsMkdir, root, { path: 'made' }, out);
    expect(
      await stat(out.path).then(
        () => true,
        () => false,
      ),
    ).toBe(stays);
  });

  it('on rollback keeps a directory it did not create', async () => {
    await mkdir(join(root, 'old'));
    const out = await runTask(fsMkdir, { path: 'old' }, { root });
    await compensate(fsMkdir, root, { path: 'old' }, out);
    expect((await stat(out.path)).isDirectory()).toBe(true);
  });
});
