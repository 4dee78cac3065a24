// fs.copy on a real temp folder: trees and single files, and no clobbering unless asked.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { fsCopy } from '../../../tasks/fs/copy.js';
import { tempDir } from '../../support/git-fixtures.js';
import { runTask } from '../context.js';

let root: string;
beforeEach(() => {
  root = tempDir('gravity-tasks-');
});

describe('fs.copy', () => {
  beforeEach(async () => {
    await mkdir(join(root, 'src/nested'), { recursive: true });
    await writeFile(join(root, 'src/a.txt'), 'a');
    await writeFile(join(root, 'src/nested/b.txt'), 'b');
  });

  it('copies a tree recursively and counts its files', async () => {
    const out = await runTask(fsCopy, { from: 'src', to: 'dst' }, { root });
    expect(out).toEqual({ from: join(root, 'src'), to: join(root, 'dst'), files: 2 });
    expect(await readFile(join(root, 'dst/nested/b.txt'), 'utf8')).toBe('b');
  });

  it('copies a single file', async () => {
    const out = await runTask(fsCopy, { from: 'src/a.txt', to: 'copy.txt' }, { root });
    expect(out.files).toBe(1);
    expect(await readFile(join(root, 'copy.txt'), 'utf8')).toBe('a');
  });

  it('refuses to overwrite an existing destination unless told to', async () => {
    await mkdir(join(root, 'dst'));
    await writeFile(join(root, 'dst/a.txt'), 'mine');
    await expect(runTask(fsCopy, { from: 'src', to: 'dst' }, { root })).rejects.toThrow(
      /refusing to overwrite .*dst: it exists/,
    );
    expect(await readFile(join(root, 'dst/a.txt'), 'utf8')).toBe('mine');
    await runTask(fsCopy, { from: 'src', to: 'dst', overwrite: true }, { root });
    expect(await readFile(join(root, 'dst/a.txt'), 'utf8')).toBe('a');
  });

  it('fails naming a source that does not exist', async () => {
    await expect(runTask(fsCopy, { from: 'nope', to: 'dst' }, { root })).rejects.toThrow(
      /cannot copy .*nope: it does not exist/,
    );
  });
});
