// Every fs task that writes stays inside the run root: `..`, absolute paths, symlinked folders, a sibling sharing the
// root's name as a prefix and dangling symlinks are refused with the task, the parameter, the path, where it resolves
// and the root named, and nothing is written outside; the same tasks inside the root (symlinks included) still work.
import { lstat, mkdir, readdir, readFile, realpath, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, type TaskDefinition } from '../../../engine/index.js';
import { fsCopy } from '../../../tasks/fs/copy.js';
import { fsCopyFiles } from '../../../tasks/fs/copy-files.js';
import { fsMkdir } from '../../../tasks/fs/mkdir.js';
import { fsMove } from '../../../tasks/fs/move.js';
import { fsRender } from '../../../tasks/fs/render.js';
import { fsWrite } from '../../../tasks/fs/write.js';
import { confineToRoot } from '../../../tasks/support/paths.js';
import { tempDir } from '../../support/git-fixtures.js';
import { contextFor, rejection, runTask } from '../context.js';

let base: string;
let root: string;
let outside: string;
let evil: string;

/**
 * base/
 *   root/         the run root: src.txt, srcdir/{x,dangling}, dangling-dist (a template), escape -> ../outside,
 *                 dangling -> ../outside/new.txt (missing), inner -> real/ (inside), link-in -> made.txt (missing)
 *   outside/      victim.txt, x-dist
 *   root-evil/    victim.txt, x-dist (shares the root's name as a prefix)
 */
beforeEach(async () => {
  base = await realpath(tempDir('gravity-confined-'));
  root = join(base, 'root');
  outside = join(base, 'outside');
  evil = join(base, 'root-evil');
  for (const d of [join(root, 'srcdir'), join(root, 'real'), outside, evil]) await mkdir(d, { recursive: true });
  await writeFile(join(root, 'src.txt'), 'source');
  await writeFile(join(root, 'srcdir/x'), 'x from srcdir');
  await writeFile(join(root, 'srcdir/dangling'), 'dangling from srcdir');
  await writeFile(join(root, 'dangling-dist'), 'rendered {{name}}');
  for (const d of [outside, evil]) {
    await writeFile(join(d, 'victim.txt'), 'precious');
    await writeFile(join(d, 'x-dist'), 'template {{name}}');
  }
  await symlink(outside, join(root, 'escape'));
  await symlink(join(outside, 'new.txt'), join(root, 'dangling'));
  await symlink(join(root, 'real'), join(root, 'inner'));
  await symlink('made.txt', join(root, 'link-in'));
});

/** What is outside the root: the two folders beside it, and whether the dangling link's target was created. */
async function outsideState() {
  return {
    outside: (await readdir(outside)).sort(),
    evil: (await readdir(evil)).sort(),
    victim: await readFile(join(outside, 'victim.txt'), 'utf8'),
  };
}
const untouched = { outside: ['victim.txt', 'x-dist'], evil: ['victim.txt', 'x-dist'], victim: 'precious' };

/** Each writing task, the parameter naming its destination, and its input for a destination file path. */
const writers: Array<[string, TaskDefinition<unknown, unknown>, string, (dest: string) => unknown]> = [
  ['fs.write', fsWrite as TaskDefinition<unknown, unknown>, 'path', (dest) => ({ path: dest, content: 'written' })],
  ['fs.mkdir', fsMkdir as TaskDefinition<unknown, unknown>, 'path', (dest) => ({ path: dest })],
  ['fs.copy', fsCopy as TaskDefinition<unknown, unknown>, 'to', (dest) => ({ from: 'src.txt', to: dest })],
  ['fs.move', fsMove as TaskDefinition<unknown, unknown>, 'to', (dest) => ({ from: 'src.txt', to: dest })],
  [
    'fs.copy-files',
    fsCopyFiles as TaskDefinition<unknown, unknown>,
    'to',
    (dest) => ({ from: 'srcdir', to: dirname(dest), files: [basename(dest)] }),
  ],
  [
    // the template `<dest>-dist` is next to the destination: render writes `<dest>`
    'fs.render',
    fsRender as TaskDefinition<unknown, unknown>,
    'target',
    (dest) => ({ dir: dirname(dest), vars: { name: 'ann' } }),
  ],
];

/** Destinations outside the root, and the real path each resolves to. */
const escapes: Array<[string, () => string, () => string]> = [
  ['a relative path through ..', () => '../outside/x', () => join(outside, 'x')],
  ['an absolute path outside', () => join(outside, 'x'), () => join(outside, 'x')],
  ['a path through a symlinked folder pointing outside', () => 'escape/x', () => join(outside, 'x')],
  ['a sibling sharing the root as a prefix, absolute', () => join(evil, 'x'), () => join(evil, 'x')],
  ['a sibling sharing the root as a prefix, relative', () => '../root-evil/x', () => join(evil, 'x')],
  ['a dangling symlink pointing outside', () => 'dangling', () => join(outside, 'new.txt')],
];

describe.each(writers)('%s refuses a destination outside the run root', (id, task, param, inputFor) => {
  it.each(escapes)('%s: refused, named, nothing written outside', async (_what, dest, resolved) => {
    // when the task is asked to write there
    const err = await rejection(runTask(task, inputFor(dest()), { root }));
    // then it is refused as outside the root, naming the task, the parameter, the path, where it leads and the root
    expect(err.code).toBe(ErrorCode.PathOutsideRoot);
    const shown = id === 'fs.copy-files' || id === 'fs.render' ? join(dirname(dest()), basename(dest())) : dest();
    expect(err.message).toBe(`${id}: ${param} ${shown} resolves to ${resolved()}, outside the root ${root} (--root)`);
    expect(err.details).toMatchObject({ task: id, param, resolved: resolved(), root });
    // and nothing was written outside, nor taken from inside
    expect(await outsideState()).toEqual(untouched);
    expect(await readFile(join(root, 'src.txt'), 'utf8')).toBe('source');
  });

  it('names where the root came from when the workflow declared it', async () => {
    const { ctx } = contextFor(task, inputFor('../outside/x'), { root });
    const err = await rejection(task.run({ ...ctx, rootOrigin: 'declared by test:rooted' }));
    expect(err.message).toMatch(/, outside the root .* \(declared by test:rooted\)$/);
    expect(await outsideState()).toEqual(untouched);
  });
});

describe('fs.move refuses a source outside the run root (it deletes it there)', () => {
  it.each([
    ['a relative path through ..', () => '../outside/victim.txt', () => join(outside, 'victim.txt')],
    ['an absolute path outside', () => join(outside, 'victim.txt'), () => join(outside, 'victim.txt')],
    [
      'a path through a symlinked folder pointing outside',
      () => 'escape/victim.txt',
      () => join(outside, 'victim.txt'),
    ],
    ['a sibling sharing the root as a prefix', () => '../root-evil/victim.txt', () => join(evil, 'victim.txt')],
  ])('%s', async (_what, from, resolved) => {
    const path = from();
    const err = await rejection(runTask(fsMove, { from: path, to: 'taken.txt' }, { root }));
    expect(err.code).toBe(ErrorCode.PathOutsideRoot);
    expect(err.message).toBe(`fs.move: from ${path} resolves to ${resolved()}, outside the root ${root} (--root)`);
    expect(await outsideState()).toEqual(untouched);
    expect(await readdir(root)).not.toContain('taken.txt');
  });

  it('the root itself', async () => {
    const err = await rejection(runTask(fsMove, { from: '.', to: 'inside/again' }, { root }));
    expect(err.message).toBe(
      `fs.move: from . resolves to the root ${root} (--root) itself: only paths strictly inside it are allowed`,
    );
  });
});

describe('inside the run root the fs tasks still work, through symlinks that stay inside', () => {
  it('fs.write writes through a symlinked folder and through a dangling link that points inside', async () => {
    const a = await runTask(fsWrite, { path: 'inner/a.txt', content: 'a' }, { root });
    expect(a.path).toBe(join(root, 'real/a.txt'));
    const b = await runTask(fsWrite, { path: 'link-in', content: 'b' }, { root });
    // the link is kept and its target is created: the write went through the checked path
    expect(b.path).toBe(join(root, 'made.txt'));
    expect((await lstat(join(root, 'link-in'))).isSymbolicLink()).toBe(true);
    expect(await readFile(join(root, 'made.txt'), 'utf8')).toBe('b');
  });

  it('fs.mkdir creates folders, the root itself is fine', async () => {
    expect(await runTask(fsMkdir, { path: 'inner/deep/er' }, { root })).toEqual({
      path: join(root, 'real/deep/er'),
      created: true,
    });
    expect(await runTask(fsMkdir, { path: '.' }, { root })).toEqual({ path: root, created: false });
  });

  it('fs.copy copies inside, and may read a source outside the root', async () => {
    await runTask(fsCopy, { from: 'srcdir', to: 'inner/copy' }, { root });
    expect((await readdir(join(root, 'real/copy'))).sort()).toEqual(['dangling', 'x']);
    const out = await runTask(fsCopy, { from: join(outside, 'victim.txt'), to: 'kept.txt' }, { root });
    expect(out.to).toBe(join(root, 'kept.txt'));
    expect(await readFile(join(root, 'kept.txt'), 'utf8')).toBe('precious');
    expect(await outsideState()).toEqual(untouched);
  });

  it('fs.move moves inside, a symlink itself included (never its target)', async () => {
    await runTask(fsMove, { from: 'src.txt', to: 'inner/moved.txt' }, { root });
    expect(await readFile(join(root, 'real/moved.txt'), 'utf8')).toBe('source');
    const out = await runTask(fsMove, { from: 'escape', to: 'escape2' }, { root });
    expect(out).toMatchObject({ from: join(root, 'escape'), to: join(root, 'escape2'), moved: true });
    expect((await lstat(join(root, 'escape2'))).isSymbolicLink()).toBe(true);
    expect(await outsideState()).toEqual(untouched);
  });

  it('fs.copy-files copies into a symlinked folder inside', async () => {
    const out = await runTask(fsCopyFiles, { from: 'srcdir', to: 'inner', files: ['x'] }, { root });
    expect(out.copied).toEqual(['x']);
    expect(await readFile(join(root, 'real/x'), 'utf8')).toBe('x from srcdir');
  });

  it('fs.render renders in a symlinked folder inside', async () => {
    await writeFile(join(root, 'real/app.conf-dist'), 'name={{name}}');
    const out = await runTask(fsRender, { dir: 'inner', vars: { name: 'ann' } }, { root });
    expect(out.files).toEqual(['app.conf']);
    expect(await readFile(join(root, 'real/app.conf'), 'utf8')).toBe('name=ann');
  });

  it('fs.render writes nothing when one target of several is outside', async () => {
    // dangling-dist renders onto the dangling link, which points outside: ok.txt is not written either
    await writeFile(join(root, 'ok.txt-dist'), 'ok {{name}}');
    const err = await rejection(runTask(fsRender, { dir: '.', vars: { name: 'ann' } }, { root }));
    expect(err.message).toContain(`fs.render: target dangling resolves to ${join(outside, 'new.txt')}`);
    expect(await readdir(root)).not.toContain('ok.txt');
    expect(await outsideState()).toEqual(untouched);
  });
});

describe('confineToRoot', () => {
  it('follows a chain of dangling symlinks to where a write would land', async () => {
    await symlink(join(root, 'hop2'), join(root, 'hop1'));
    await symlink(join(evil, 'deep/file'), join(root, 'hop2'));
    await expect(confineToRoot(root, 'hop1', { task: 't', param: 'p' })).rejects.toThrow(
      `t: p hop1 resolves to ${join(evil, 'deep/file')}, outside the root ${root} (--root)`,
    );
  });

  it('refuses a symlink loop rather than looping', async () => {
    await symlink(join(root, 'loop-b'), join(root, 'loop-a'));
    await symlink(join(root, 'loop-a'), join(root, 'loop-b'));
    await expect(confineToRoot(root, 'loop-a/x', { task: 't', param: 'p' })).rejects.toThrow(/symbolic links/);
  });

  it('names a root that does not exist', async () => {
    await expect(confineToRoot(join(base, 'gone'), 'x', { task: 't', param: 'p' })).rejects.toThrow(
      `t: the root ${join(base, 'gone')} (--root) cannot be read`,
    );
  });
});
