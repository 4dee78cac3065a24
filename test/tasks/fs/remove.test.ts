// fs.remove: removes inside the run root only; `..`, absolute paths and symlinks cannot lead it outside.
import { mkdir, readdir, realpath, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../engine/index.js';
import { fsRemove } from '../../../tasks/fs/remove.js';
import { tempDir } from '../../support/git-fixtures.js';
import { rejection, runTask } from '../context.js';

let base: string;
let root: string;
let outside: string;
beforeEach(async () => {
  base = tempDir('gravity-tasks-');
  root = join(base, 'root');
  outside = join(base, 'outside');
  await mkdir(join(root, 'dir/sub'), { recursive: true });
  await writeFile(join(root, 'file.txt'), 'x');
  await writeFile(join(root, 'dir/sub/deep.txt'), 'x');
  await mkdir(outside);
  await writeFile(join(outside, 'victim.txt'), 'precious');
  await symlink(outside, join(root, 'escape'));
});

const present = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

describe('fs.remove', () => {
  it('removes a file inside the root', async () => {
    expect(await runTask(fsRemove, { path: 'file.txt' }, { root })).toEqual({
      path: join(root, 'file.txt'),
      removed: true,
    });
    expect(await present(join(root, 'file.txt'))).toBe(false);
  });

  it('removes a directory tree when recursive, and refuses a non-empty one otherwise', async () => {
    await expect(runTask(fsRemove, { path: 'dir' }, { root })).rejects.toThrow(
      /directory not empty \(set recursive: true\)/,
    );
    expect(await runTask(fsRemove, { path: 'dir', recursive: true }, { root })).toMatchObject({ removed: true });
    expect(await present(join(root, 'dir'))).toBe(false);
  });

  it('says removed: false for a path that is already gone', async () => {
    expect(await runTask(fsRemove, { path: 'never/was' }, { root })).toMatchObject({ removed: false });
  });

  it('removes a symlink itself, never what it points to', async () => {
    expect(await runTask(fsRemove, { path: 'escape', recursive: true }, { root })).toMatchObject({ removed: true });
    expect(await readdir(outside)).toEqual(['victim.txt']);
  });

  it.each([
    ['an absolute path outside the root', () => join(outside, 'victim.txt')],
    ['a `..` escape', () => '../outside/victim.txt'],
    ['a `..` escape hidden in the middle', () => 'dir/../../outside'],
    ['a path through a symlink pointing outside', () => 'escape/victim.txt'],
    ['the root itself', () => '.'],
    ['the root given absolutely', () => root],
    ['the filesystem root', () => '/'],
  ])('refuses %s', async (_name, path) => {
    const err = await rejection(runTask(fsRemove, { path: path(), recursive: true }, { root }));
    expect(err.code).toBe(ErrorCode.PathOutsideRoot);
    expect(err.message).toContain(`fs.remove: path ${path()} `);
    expect(err.message).toContain(`the root ${await realpath(root)} (--root)`);
    expect(await readdir(outside)).toEqual(['victim.txt']);
    expect(await present(root)).toBe(true);
  });
});
