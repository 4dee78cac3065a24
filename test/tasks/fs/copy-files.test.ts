// fs.copy-files on a real temp folder: listed files only, validated paths, never overwriting a different file.
import { chmod, mkdir, readdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { fsCopyFiles, fsCopyFilesInput } from '../../../tasks/fs/copy-files.js';
import { tempDir } from '../../support/git-fixtures.js';
import { compensate, runTask } from '../context.js';

let root: string;
beforeEach(async () => {
  root = tempDir('gravity-tasks-');
  await mkdir(join(root, 'backup/docs/deep'), { recursive: true });
  await mkdir(join(root, 'fresh'));
  await writeFile(join(root, 'backup/a.txt'), 'a');
  await writeFile(join(root, 'backup/docs/deep/b.txt'), 'b');
  await writeFile(join(root, 'backup/run.sh'), '#!/bin/sh\n');
  await chmod(join(root, 'backup/run.sh'), 0o755);
  await writeFile(join(root, 'backup/skip.txt'), 'not listed');
});

const list = (dir: string) => readdir(join(root, dir), { recursive: true }).then((l) => l.map(String).sort());

describe('fs.copy-files', () => {
  it('copies exactly the listed files, creating folders and keeping modes', async () => {
    const out = await runTask(
      fsCopyFiles,
      { from: 'backup', to: 'fresh', files: ['a.txt', 'docs/deep/b.txt', 'run.sh'] },
      { root },
    );
    expect(out).toEqual({ copied: ['a.txt', 'docs/deep/b.txt', 'run.sh'], existing: [] });
    expect(await list('fresh')).toEqual(['a.txt', 'docs', 'docs/deep', 'docs/deep/b.txt', 'run.sh']);
    expect(await readFile(join(root, 'fresh/docs/deep/b.txt'), 'utf8')).toBe('b');
    expect((await stat(join(root, 'fresh/run.sh'))).mode & 0o777).toBe(0o755);
  });

  it('copies a symlink as a link', async () => {
    await symlink('a.txt', join(root, 'backup/link'));
    await runTask(fsCopyFiles, { from: 'backup', to: 'fresh', files: ['link'] }, { root });
    expect(await readlink(join(root, 'fresh/link'))).toBe('a.txt');
  });

  it('refuses absolute paths, "..", and empty paths in the input', () => {
    for (const bad of ['/etc/passwd', '../x', 'a/../../x', '', 'C:\\x']) {
      const r = fsCopyFilesInput.safeParse({ from: 'a', to: 'b', files: [bad] });
      expect(r.success, bad).toBe(false);
    }
    expect(fsCopyFilesInput.safeParse({ from: 'a', to: 'b', files: ['ok/x..y.txt', '.hidden'] }).success).toBe(true);
  });

  it('never overwrites a different file, and copies nothing when one file is refused', async () => {
    await writeFile(join(root, 'fresh/run.sh'), 'the remote version');
    await expect(
      runTask(fsCopyFiles, { from: 'backup', to: 'fresh', files: ['a.txt', 'run.sh'] }, { root }),
    ).rejects.toThrow(/refusing to overwrite .*fresh\/run.sh: it exists with other content/);
    expect(await readFile(join(root, 'fresh/run.sh'), 'utf8')).toBe('the remote version');
    expect(await list('fresh')).toEqual(['run.sh']);
  });

  it('takes an identical file already there as done, so it can run again', async () => {
    await runTask(fsCopyFiles, { from: 'backup', to: 'fresh', files: ['a.txt'] }, { root });
    const again = await runTask(fsCopyFiles, { from: 'backup', to: 'fresh', files: ['a.txt', 'run.sh'] }, { root });
    expect(again).toEqual({ copied: ['run.sh'], existing: ['a.txt'] });
  });

  it('fails naming a missing source or a folder', async () => {
    await expect(runTask(fsCopyFiles, { from: 'backup', to: 'fresh', files: ['nope.txt'] }, { root })).rejects.toThrow(
      /cannot copy nope.txt: .*does not exist/,
    );
    await expect(runTask(fsCopyFiles, { from: 'backup', to: 'fresh', files: ['docs'] }, { root })).rejects.toThrow(
      /docs is a folder/,
    );
    expect(await list('fresh')).toEqual([]);
  });

  it('refuses a path that a symlinked folder leads outside either side', async () => {
    await mkdir(join(root, 'outside'));
    await symlink(join(root, 'outside'), join(root, 'fresh/docs'));
    await expect(
      runTask(fsCopyFiles, { from: 'backup', to: 'fresh', files: ['docs/deep/b.txt'] }, { root }),
    ).rejects.toThrow(/outside to/);
    await symlink(join(root, 'outside'), join(root, 'backup/out'));
    await writeFile(join(root, 'outside/secret'), 's');
    await expect(
      runTask(fsCopyFiles, { from: 'backup', to: 'fresh', files: ['out/secret'] }, { root }),
    ).rejects.toThrow(/outside from/);
    expect(await readdir(join(root, 'outside'))).toEqual(['secret']);
  });

  it('removes the files it copied on rollback, and only those', async () => {
    await writeFile(join(root, 'fresh/a.txt'), 'a');
    const input = { from: 'backup', to: 'fresh', files: ['a.txt', 'docs/deep/b.txt'] };
    const out = await runTask(fsCopyFiles, input, { root });
    await compensate(fsCopyFiles, root, input, out);
    expect(await list('fresh')).toEqual(['a.txt', 'docs', 'docs/deep']);
  });
});
