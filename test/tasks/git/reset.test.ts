// git.reset against real clones: the three modes, what they keep, refs that name no commit, bare repos, idempotence.
import { beforeEach, describe, expect, it } from 'vitest';
import { resetIsIdempotent, gitReset } from '../../../tasks/git/reset.js';
import { rejection, runTask } from '../context.js';
import { commit, makeGalaxy, sh, writeFiles, type Galaxy } from './fixture.js';

let g: Galaxy;
let base: string;
let tip: string;
beforeEach(async () => {
  g = await makeGalaxy();
  base = sh(g.alice, 'rev-parse', 'HEAD');
  commit(g.alice, 'one', { 'a.txt': 'a\n' });
  tip = commit(g.alice, 'two', { 'a.txt': 'a2\n', 'b.txt': 'b\n' });
});

describe('git.reset', () => {
  it('hard: moves the branch and makes the index and the work tree those of the commit', async () => {
    writeFiles(g.alice, { 'README.md': 'local edit\n' });
    const out = await runTask(gitReset, { repo: g.alice, ref: 'HEAD~2', mode: 'hard' }, { root: g.root });
    expect(out).toEqual({ sha: base, previous: tip, moved: true });
    expect(sh(g.alice, 'rev-parse', 'main')).toBe(base);
    expect(sh(g.alice, 'status', '--porcelain')).toBe('');
    expect(sh(g.alice, 'ls-files')).toBe('README.md\nnotes.txt');
  });

  it('soft: moves the branch and keeps the changes staged', async () => {
    await runTask(gitReset, { repo: g.alice, ref: 'HEAD~1', mode: 'soft' }, { root: g.root });
    expect(sh(g.alice, 'log', '-1', '--format=%s')).toBe('one');
    expect(sh(g.alice, 'status', '--porcelain')).toBe('M  a.txt\nA  b.txt');
  });

  it('mixed (the default): moves the branch and keeps the changes in the work tree, unstaged', async () => {
    const out = await runTask(gitReset, { repo: g.alice, ref: 'HEAD~1' }, { root: g.root });
    expect(out.sha).toBe(sh(g.alice, 'rev-parse', 'HEAD'));
    expect(sh(g.alice, 'status', '--porcelain')).toBe(' M a.txt\n?? b.txt');
  });

  it('takes a remote-tracking branch, and reports moved: false when HEAD is already there', async () => {
    expect(
      await runTask(gitReset, { repo: g.alice, ref: 'origin/main', mode: 'hard' }, { root: g.root }),
    ).toMatchObject({ sha: base, moved: true });
    expect(await runTask(gitReset, { repo: g.alice, ref: 'origin/main', mode: 'hard' }, { root: g.root })).toEqual({
      sha: base,
      previous: base,
      moved: false,
    });
  });

  it('fails on a ref that names no commit, leaving the branch where it was', async () => {
    const err = await rejection(runTask(gitReset, { repo: g.alice, ref: 'nope', mode: 'hard' }, { root: g.root }));
    expect(err.message).toBe(`git.reset: ref nope does not name a commit in ${g.alice}`);
    expect(sh(g.alice, 'rev-parse', 'HEAD')).toBe(tip);
  });

  it('refuses a bare repository and a repo without commits', async () => {
    const bare = await rejection(runTask(gitReset, { repo: g.remote, ref: 'main' }, { root: g.root }));
    expect(bare.message).toBe(`git.reset: ${g.remote} is a bare repository: reset needs a work tree`);
    sh(g.root, 'init', '-q', 'fresh');
    const fresh = await rejection(runTask(gitReset, { repo: 'fresh' }, { root: g.root }));
    expect(fresh.message).toBe(`git.reset: ${g.root}/fresh has no commit yet: nothing to reset`);
  });

  it.each([
    [{ ref: '--hard' }, 'ref'],
    [{ ref: 'HEAD 1' }, 'ref'],
    [{ ref: 'main', mode: 'keep' }, 'mode'],
    [{ ref: 'main', hard: true }, ''],
  ])('refuses the input %j', (input, path) => {
    const r = gitReset.input.safeParse({ repo: 'alice', ...input });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].path.join('.')).toBe(path);
  });

  it('plans the git reset it runs, with the ref as a revision (never an option) and no path', () => {
    expect(gitReset.plan(gitReset.input.parse({ repo: 'alice', ref: 'origin/main', mode: 'hard' }))).toEqual([
      'git -C alice reset -q --hard origin/main --',
    ]);
    expect(gitReset.plan(gitReset.input.parse({ repo: 'alice' }))).toEqual(['git -C alice reset -q --mixed HEAD --']);
  });

  it('is idempotent only when the ref names the same commit after the reset', () => {
    for (const ref of ['HEAD', 'main', 'origin/main', 'v1.0.0', tip]) expect(resetIsIdempotent(ref), ref).toBe(true);
    for (const ref of ['HEAD~1', 'HEAD^', 'main~2', '@{1}', '@', 'ORIG_HEAD', 'FETCH_HEAD', 'main@{u}'])
      expect(resetIsIdempotent(ref), ref).toBe(false);
    expect(gitReset.isIdempotent(gitReset.input.parse({ repo: 'a', ref: 'origin/main' }))).toBe(true);
    expect(gitReset.isIdempotent(gitReset.input.parse({ repo: 'a', ref: 'HEAD~1' }))).toBe(false);
  });
});
