// fs.move on a real temp folder: renames, never replaces, carries on when already moved, moves back on rollback.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { fsMove } from '../../../tasks/fs/move.js';
import { tempDir } from '../../support/git-fixtures.js';
import { compensate, runTask } from '../context.js';

let root: string;
beforeEach(async () => {
  root = tempDir('gravity-tasks-');
  await mkdir(join(root, 'work/sub'), { recursive: true });
  await writeFile(join(root, 'work/a.txt'), 'a');
  await writeFile(join(root, 'work/sub/b.txt'), 'b');
});

describe('fs.move', () => {
  it('moves a folder with everything in it, creating the parents of the destination', async () => {
    const out = await runTask(fsMove, { from: 'work', to: 'aside/work.local' }, { root });
    expect(out).toEqual({ from: join(root, 'work'), to: join(root, 'aside/work.local'), moved: true });
    expect(await readFile(join(root, 'aside/work.local/sub/b.txt'), 'utf8')).toBe('b');
    expect((await readdir(root)).sort()).toEqual(['aside']);
  });

  it('moves a single file', async () => {
    await runTask(fsMove, { from: 'work/a.txt', to: 'a.moved' }, { root });
    expect(await readFile(join(root, 'a.moved'), 'utf8')).toBe('a');
  });

  it('refuses an existing destination, even an empty folder, and leaves both sides alone', async () => {
    await mkdir(join(root, 'taken'));
    await expect(runTask(fsMove, { from: 'work', to: 'taken' }, { root })).rejects.toThrow(
      /refusing to move .*work to .*taken: .*taken exists/,
    );
    await writeFile(join(root, 'file.txt'), 'mine');
    await expect(runTask(fsMove, { from: 'work/a.txt', to: 'file.txt' }, { root })).rejects.toThrow(/refusing to move/);
    expect(await readFile(join(root, 'file.txt'), 'utf8')).toBe('mine');
    expect(await readFile(join(root, 'work/a.txt'), 'utf8')).toBe('a');
    expect(await readdir(join(root, 'taken'))).toEqual([]);
  });

  it('takes a move already done (source gone, destination there) as done, so a resumed run carries on', async () => {
    await runTask(fsMove, { from: 'work', to: 'moved' }, { root });
    const again = await runTask(fsMove, { from: 'work', to: 'moved' }, { root });
    expect(again.moved).toBe(false);
    expect(await readFile(join(root, 'moved/a.txt'), 'utf8')).toBe('a');
  });

  it('fails naming a source that does not exist', async () => {
    await expect(runTask(fsMove, { from: 'nope', to: 'there' }, { root })).rejects.toThrow(
      /cannot move .*nope: it does not exist/,
    );
  });

  it('refuses to move a folder onto itself or inside itself', async () => {
    await expect(runTask(fsMove, { from: 'work', to: 'work/' }, { root })).rejects.toThrow(/onto itself/);
    await expect(runTask(fsMove, { from: 'work', to: 'work/sub/inner' }, { root })).rejects.toThrow(/inside itself/);
    expect(await readFile(join(root, 'work/sub/b.txt'), 'utf8')).toBe('b');
  });

  it('moves back on rollback, unless something took the source place meanwhile', async () => {
    const input = { from: 'work', to: 'moved' };
    const out = await runTask(fsMove, input, { root });
    await compensate(fsMove, root, input, out);
    expect(await readFile(join(root, 'work/a.txt'), 'utf8')).toBe('a');
    expect((await readdir(root)).sort()).toEqual(['work']);

    const out2 = await runTask(fsMove, input, { root });
    await mkdir(join(root, 'work'));
    await writeFile(join(root, 'work/new.txt'), 'new');
    await compensate(fsMove, root, input, out2);
    expect(await readdir(join(root, 'work'))).toEqual(['new.txt']);
    expect(await readFile(join(root, 'moved/a.txt'), 'utf8')).toBe('a');
  });
});
