// git.changed on real clones: what HEAD changed since its fork point, whole odd paths, null when the base does not exist.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { gitChanged, gitChangedInput, parseNameList } from '../../../tasks/git/changed.js';
import { rejection, runTask } from '../context.js';
import { commit, disposeTemplates, makeGalaxy, sh, type Galaxy } from './fixture.js';

let g: Galaxy;
beforeEach(async () => {
  g = await makeGalaxy();
});
afterAll(() => disposeTemplates());

describe('git.changed', () => {
  it('lists what HEAD changed since the fork, not what the other side changed after it', async () => {
    commit(g.alice, 'alice edits', { 'notes.txt': 'alice\n', 'new dir/odd\nname ü.txt': 'x' });
    sh(g.alice, 'rm', '-q', 'README.md');
    sh(g.alice, 'commit', '-q', '-m', 'drop readme');
    commit(g.bob, 'bob edits', { 'bob.txt': 'b' });
    sh(g.bob, 'push', '-q', 'origin', 'main');
    sh(g.alice, 'fetch', '-q', 'origin');
    const out = await runTask(gitChanged, { repo: g.alice, base: 'refs/remotes/origin/main' }, { root: g.root });
    expect(out).toEqual({
      repo: g.alice,
      base: 'refs/remotes/origin/main',
      files: ['README.md', 'new dir/odd\nname ü.txt', 'notes.txt'],
    });
  });

  it('counts a rename as a deletion and an addition, and nothing when HEAD is the base', async () => {
    sh(g.alice, 'mv', 'notes.txt', 'moved.txt');
    sh(g.alice, 'commit', '-q', '-m', 'move');
    expect((await runTask(gitChanged, { repo: g.alice, base: 'origin/main' }, { root: g.root })).files).toEqual([
      'moved.txt',
      'notes.txt',
    ]);
    expect((await runTask(gitChanged, { repo: g.bob, base: 'origin/main' }, { root: g.root })).files).toEqual([]);
  });

  it('says null, not "nothing", when the base does not exist', async () => {
    const out = await runTask(gitChanged, { repo: g.alice, base: 'refs/remotes/origin/never' }, { root: g.root });
    expect(out.files).toBeNull();
  });

  it('refuses a base that could be read as an option, and a folder that is not a repository', async () => {
    expect(gitChangedInput.safeParse({ repo: 'r', base: '--output=/tmp/x' }).success).toBe(false);
    expect(gitChangedInput.safeParse({ repo: 'r', base: 'a b' }).success).toBe(false);
    const e = await rejection(runTask(gitChanged, { repo: g.root, base: 'main' }, { root: g.root }));
    expect(e.message).toBe(`git.changed: repo ${g.root} is not a git repository`);
  });

  it('reads NUL-separated names whole, sorted, once each', () => {
    expect(parseNameList('b\0a\nb\0b\0\0')).toEqual(['a\nb', 'b']);
    expect(parseNameList('')).toEqual([]);
  });
});
