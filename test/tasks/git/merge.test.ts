// git.merge, git.pull and git.rebase on real clones: clean merges, conflicts as output, continue and abort.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { gitCommit } from '../../../tasks/git/commit.js';
import { gitMerge } from '../../../tasks/git/merge.js';
import { gitPull } from '../../../tasks/git/pull.js';
import { gitRebase } from '../../../tasks/git/rebase.js';
import { rejection, runTask } from '../context.js';
import { commit, divergeOnNotes, makeGalaxy, sh, writeFiles, type Galaxy } from './fixture.js';

let g: Galaxy;
beforeEach(async () => {
  g = await makeGalaxy();
});

/** Subjects of the commits of `dir`, newest first. */
const log = (dir: string) => sh(dir, 'log', '--format=%s').split('\n');

describe('git.merge', () => {
  it('fast-forwards, then says merged: false when already up to date', async () => {
    sh(g.alice, 'switch', '-q', '-c', 'feature');
    const tip = commit(g.alice, 'feature', { 'f.txt': 'f' });
    sh(g.alice, 'switch', '-q', 'main');
    expect(await runTask(gitMerge, { repo: g.alice, from: 'feature' }, { root: g.root })).toEqual({
      head: tip,
      merged: true,
      conflicts: [],
    });
    expect(await runTask(gitMerge, { repo: g.alice, from: 'feature' }, { root: g.root })).toEqual({
      head: tip,
      merged: false,
      conflicts: [],
    });
  });

  it('makes a merge commit with the given message when noFf is set', async () => {
    sh(g.alice, 'switch', '-q', '-c', 'feature');
    commit(g.alice, 'feature', { 'f.txt': 'f' });
    sh(g.alice, 'switch', '-q', 'main');
    const out = await runTask(
      gitMerge,
      { repo: g.alice, from: 'feature', noFf: true, message: 'Merge feature' },
      { root: g.root },
    );
    expect(out.merged).toBe(true);
    expect(sh(g.alice, 'log', '-1', '--format=%p|%s').split('|')[1]).toBe('Merge feature');
  });

  it('returns the conflicted paths as output and leaves the merge for git.commit to conclude', async () => {
    divergeOnNotes(g);
    sh(g.bob, 'fetch', '-q');
    const out = await runTask(gitMerge, { repo: g.bob, from: 'origin/main' }, { root: g.root });
    expect(out).toEqual({ head: sh(g.bob, 'rev-parse', 'HEAD'), merged: false, conflicts: ['notes.txt'] });
    const done = await runTask(
      gitCommit,
      { repo: g.bob, files: { 'notes.txt': 'one\nboth\nthree\n' }, message: 'merge' },
      { root: g.root },
    );
    expect(done.changed).toBe(true);
    expect(sh(g.bob, 'log', '-1', '--format=%p').split(' ')).toHaveLength(2);
  });

  it('fails when `from` names no commit', async () => {
    const err = await rejection(runTask(gitMerge, { repo: g.bob, from: 'nope' }, { root: g.root }));
    expect(err.message).toBe(`git.merge: from nope does not name a commit in ${g.bob}`);
  });
});

describe('git.pull', () => {
  it('merges diverged work in merge mode', async () => {
    commit(g.alice, 'alice', { 'a.txt': 'a' });
    sh(g.alice, 'push', '-q');
    commit(g.bob, 'bob', { 'b.txt': 'b' });
    const out = await runTask(gitPull, { repo: g.bob }, { root: g.root });
    expect(out).toEqual({ head: sh(g.bob, 'rev-parse', 'HEAD'), conflicts: [] });
    expect(log(g.bob)[0]).toMatch(/^Merge branch 'main' of /);
  });

  it('replays local commits on top in rebase mode', async () => {
    commit(g.alice, 'alice', { 'a.txt': 'a' });
    sh(g.alice, 'push', '-q');
    commit(g.bob, 'bob', { 'b.txt': 'b' });
    await runTask(gitPull, { repo: g.bob, mode: 'rebase' }, { root: g.root });
    expect(log(g.bob)).toEqual(['bob', 'alice', 'initial commit']);
  });

  it.each(['merge', 'rebase'] as const)('returns conflicts as output in %s mode', async (mode) => {
    divergeOnNotes(g);
    expect(await runTask(gitPull, { repo: g.bob, mode }, { root: g.root })).toMatchObject({ conflicts: ['notes.txt'] });
  });
});

describe('git.rebase', () => {
  it('stops on a conflict, refuses to continue while markers remain, then continues once resolved', async () => {
    const alices = divergeOnNotes(g);
    sh(g.bob, 'fetch', '-q');
    const stopped = await runTask(gitRebase, { repo: g.bob, onto: 'origin/main' }, { root: g.root });
    expect(stopped).toEqual({ head: alices, conflicts: ['notes.txt'], done: false });
    expect(readFileSync(join(g.bob, 'notes.txt'), 'utf8')).toContain('<<<<<<<');
    expect(await runTask(gitRebase, { repo: g.bob, action: 'continue' }, { root: g.root })).toEqual({
      head: alices,
      conflicts: ['notes.txt'],
      done: false,
    });
    writeFiles(g.bob, { 'notes.txt': 'one\nTWO by alice, 2 by bob\nthree\n' });
    const done = await runTask(gitRebase, { repo: g.bob, action: 'continue' }, { root: g.root });
    expect(done).toEqual({ head: sh(g.bob, 'rev-parse', 'HEAD'), conflicts: [], done: true });
    expect(log(g.bob)).toEqual(['bob edits notes', 'alice edits notes', 'initial commit']);
    expect(sh(g.bob, 'status', '--porcelain')).toBe('');
  });

  it('continues after the resolution was staged by hand (git add, no commit)', async () => {
    divergeOnNotes(g);
    await runTask(gitPull, { repo: g.bob, mode: 'rebase' }, { root: g.root });
    writeFiles(g.bob, { 'notes.txt': 'resolved\n' });
    sh(g.bob, 'add', 'notes.txt');
    expect(await runTask(gitRebase, { repo: g.bob, action: 'continue' }, { root: g.root })).toMatchObject({
      conflicts: [],
      done: true,
    });
    expect(sh(g.bob, 'show', 'HEAD:notes.txt')).toBe('resolved');
  });

  it('aborts a stopped rebase back to where it started', async () => {
    divergeOnNotes(g);
    const bobs = sh(g.bob, 'rev-parse', 'HEAD');
    sh(g.bob, 'fetch', '-q');
    await runTask(gitRebase, { repo: g.bob, onto: 'origin/main' }, { root: g.root });
    expect(await runTask(gitRebase, { repo: g.bob, action: 'abort' }, { root: g.root })).toEqual({
      head: bobs,
      conflicts: [],
      done: true,
    });
  });

  it('fails to continue or abort when no rebase is in progress', async () => {
    const err = await rejection(runTask(gitRebase, { repo: g.bob, action: 'continue' }, { root: g.root }));
    expect(err.message).toBe(`git.rebase: no rebase in progress in ${g.bob} to continue`);
  });

  it('plans the git command of each action', () => {
    const plan = (raw: object) => gitRebase.plan(gitRebase.input.parse({ repo: 'bob', ...raw }));
    expect(plan({ onto: 'origin/main' })).toEqual(['git -C bob rebase origin/main']);
    expect(plan({ action: 'abort' })).toEqual(['git -C bob rebase --abort']);
    expect(plan({ action: 'continue' })).toEqual([
      "git -C bob add -A -- '<resolved conflicted files>'",
      'git -C bob rebase --continue',
    ]);
  });
});
