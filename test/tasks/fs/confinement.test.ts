// Confined file tasks and sibling prefixes: `<base>/root-evil` shares the text `<base>/root` but is not inside it.
// A containment check done as a bare string prefix test (`child.startsWith(parent)`) counts it inside: each case here
// fails on such a check, by `..`, by an absolute path, or through a symlink whose real path is the sibling.
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../engine/index.js';
import { fsCopyFiles } from '../../../tasks/fs/copy-files.js';
import { fsRemove } from '../../../tasks/fs/remove.js';
import { isStrictlyInside } from '../../../tasks/support/paths.js';
import { tempDir } from '../../support/git-fixtures.js';
import { rejection, runTask } from '../context.js';

let base: string;
beforeEach(() => {
  base = tempDir('gravity-tasks-');
});

describe('isStrictlyInside', () => {
  it.each([
    ['/srv/root', '/srv/root/a', true],
    ['/srv/root', '/srv/root/a/b/c', true],
    ['/srv/root', '/srv/root/..a', true], // a name that starts with two dots is still below
    ['/srv/root', '/srv/root/...', true],
    ['/srv/root', '/srv/root', false], // the root itself is not strictly inside
    ['/srv/root', '/srv/root-evil', false],
    ['/srv/root', '/srv/root-evil/a', false],
    ['/srv/root', '/srv/rootx/a', false],
    ['/srv/root', '/srv/roo', false],
    ['/srv/root', '/srv', false],
    ['/srv/root', '/', false],
    ['/srv/root', '/other/srv/root/a', false],
    ['/srv/root/', '/srv/root/a', true],
    ['/', '/etc', true],
  ])('%s holds %s: %s', (parent, child, inside) => {
    expect(isStrictlyInside(parent, child)).toBe(inside);
  });
});

describe('fs.remove and a sibling of the root sharing its prefix', () => {
  let root: string;
  let evil: string;
  beforeEach(async () => {
    root = join(base, 'root');
    evil = join(base, 'root-evil');
    await mkdir(root);
    await mkdir(evil);
    await writeFile(join(evil, 'victim.txt'), 'precious');
    await symlink(evil, join(root, 'link'));
  });

  it.each([
    ['a relative path through ..', () => '../root-evil/victim.txt'],
    ['an absolute path', () => join(evil, 'victim.txt')],
    ['the sibling folder itself', () => evil],
    ['a symlink inside the root to the sibling, followed', () => 'link/victim.txt'],
  ])('refuses %s and removes nothing', async (_what, path) => {
    // when fs.remove is asked for a path that resolves into the sibling
    const err = await rejection(runTask(fsRemove, { path: path(), recursive: true }, { root }));
    // then it is refused as outside the root, naming the real path, and the sibling's file is intact
    expect(err.code).toBe(ErrorCode.PathOutsideRoot);
    expect(err.message).toMatch(/outside the root/);
    expect(err.message).toContain('root-evil');
    expect(await readFile(join(evil, 'victim.txt'), 'utf8')).toBe('precious');
  });

  it('removes a path inside the root whose name starts with the sibling text', async () => {
    // a file named like the sibling, but below the root, is inside
    await writeFile(join(root, 'root-evil'), 'mine');
    const out = await runTask(fsRemove, { path: 'root-evil' }, { root });
    expect(out).toMatchObject({ removed: true });
    expect(await readdir(root)).toEqual(['link']);
    expect(await readdir(evil)).toEqual(['victim.txt']);
  });
});

describe('fs.copy-files and sibling folders sharing the prefix of from / to', () => {
  let from: string;
  let to: string;
  beforeEach(async () => {
    from = join(base, 'from');
    to = join(base, 'to');
    for (const d of [from, to, `${from}-evil`, `${to}-evil`]) await mkdir(d);
    await writeFile(join(`${from}-evil`, 'secret'), 'secret');
    await writeFile(join(from, 'ok.txt'), 'ok');
  });

  it('refuses a source a symlinked folder leads into from-evil, and copies nothing', async () => {
    // given from/out -> ../from-evil
    await symlink(`${from}-evil`, join(from, 'out'));
    // when the listed files include one through that link
    const err = await rejection(runTask(fsCopyFiles, { from, to, files: ['ok.txt', 'out/secret'] }, { root: base }));
    // then the step is refused naming the side and the real place, and not even ok.txt was copied
    expect(err.message).toMatch(/refusing to copy out\/secret: it resolves to .*from-evil\/secret, outside from /);
    expect(await readdir(to)).toEqual([]);
  });

  it('refuses a destination a symlinked folder leads into to-evil, and writes nothing there', async () => {
    // given to/in -> ../to-evil, and a source at the same relative path
    await symlink(`${to}-evil`, join(to, 'in'));
    await mkdir(join(from, 'in'));
    await writeFile(join(from, 'in/planted'), 'planted');
    // when it is copied
    const err = await rejection(runTask(fsCopyFiles, { from, to, files: ['in/planted'] }, { root: base }));
    // then it is refused as outside to, and the sibling stays empty
    expect(err.message).toMatch(/refusing to copy in\/planted: it resolves to .*to-evil\/planted, outside to /);
    expect(await readdir(`${to}-evil`)).toEqual([]);
  });
});
