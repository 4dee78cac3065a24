// fs.write on a real temp folder: atomic writes, kept modes, overwrite refusal, rollback.
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { fsWrite } from '../../../tasks/fs/write.js';
import { tempDir } from '../../support/git-fixtures.js';
import { compensate, runTask } from '../context.js';

let root: string;
beforeEach(() => {
  root = tempDir('gravity-tasks-');
});

describe('fs.write', () => {
  it('writes the content atomically, creating parents and leaving no temp file', async () => {
    const out = await runTask(fsWrite, { path: 'conf/app.ini', content: 'héllo\n' }, { root });
    expect(out).toEqual({ path: join(root, 'conf/app.ini'), bytes: 7, existed: false });
    expect(await readFile(out.path, 'utf8')).toBe('héllo\n');
    expect(await readdir(join(root, 'conf'))).toEqual(['app.ini']);
  });

  it('replaces an existing file, keeping its mode, and records that it existed', async () => {
    const path = join(root, 'run.sh');
    await writeFile(path, 'old', { mode: 0o750 });
    const out = await runTask(fsWrite, { path, content: 'new' }, { root });
    expect(out.existed).toBe(true);
    expect(await readFile(path, 'utf8')).toBe('new');
    expect((await stat(path)).mode & 0o777).toBe(0o750);
  });

  it('refuses to replace other content when overwrite is false, but accepts the same content', async () => {
    await writeFile(join(root, 'f'), 'same');
    await expect(runTask(fsWrite, { path: 'f', content: 'same', overwrite: false }, { root })).resolves.toMatchObject({
      existed: true,
    });
    await expect(runTask(fsWrite, { path: 'f', content: 'other', overwrite: false }, { root })).rejects.toThrow(
      /refusing to overwrite .*f/,
    );
    expect(await readFile(join(root, 'f'), 'utf8')).toBe('same');
  });

  it('on rollback removes a file it created and keeps one that existed', async () => {
    const created = await runTask(fsWrite, { path: 'new', content: 'x' }, { root });
    await writeFile(join(root, 'old'), 'before');
    const replaced = await runTask(fsWrite, { path: 'old', content: 'after' }, { root });
    await compensate(fsWrite, root, { path: 'new', content: 'x' }, created);
    await compensate(fsWrite, root, { path: 'old', content: 'after' }, replaced);
    expect(await readdir(root)).toEqual(['old']);
  });
});
