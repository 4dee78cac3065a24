// git.push, git.fetch and git.status against a real bare remote: accepted and refused pushes, ahead/behind.
import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../engine/index.js';
import { gitFetch } from '../../../tasks/git/fetch.js';
import { gitHook } from '../../../tasks/git/hook.js';
import { gitPush } from '../../../tasks/git/push.js';
import { gitStatus } from '../../../tasks/git/status.js';
import { rejection, runTask } from '../context.js';
import { commit, makeGalaxy, sh, writeFiles, type Galaxy } from './fixture.js';

let g: Galaxy;
beforeEach(async () => {
  g = await makeGalaxy();
});

const REFUSE_MAIN =
  'while read old new ref; do\n  [ "$ref" = refs/heads/main ] && { echo "main is protected: open a merge request"; exit 1; }\ndone\nexit 0';

describe('git.push', () => {
  it('pushes the current branch and reports it accepted', async () => {
    const sha = commit(g.alice, 'second', { 'a.txt': 'a' });
    expect(await runTask(gitPush, { repo: g.alice }, { root: g.root })).toEqual({
      accepted: true,
      rejected: false,
      reason: '',
    });
    expect(sh(g.remote, 'rev-parse', 'main')).toBe(sha);
  });

  it('sets the upstream of a new branch and pushes tags', async () => {
    sh(g.alice, 'switch', '-q', '-c', 'feature');
    commit(g.alice, 'feature work', { 'f.txt': 'f' });
    sh(g.alice, 'tag', 'v0.1');
    await runTask(gitPush, { repo: g.alice, setUpstream: true, tags: true }, { root: g.root });
    expect(sh(g.alice, 'rev-parse', '--abbrev-ref', 'feature@{upstream}')).toBe('origin/feature');
    expect(sh(g.remote, 'rev-parse', 'v0.1^{commit}')).toBe(sh(g.alice, 'rev-parse', 'HEAD'));
  });

  it('fails with the non-fast-forward reason when the remote moved on', async () => {
    commit(g.alice, 'alice first', { 'a.txt': 'a' });
    sh(g.alice, 'push', '-q', 'origin', 'main');
    commit(g.bob, 'bob late', { 'b.txt': 'b' });
    const err = await rejection(runTask(gitPush, { repo: g.bob }, { root: g.root }));
    expect(err.code).toBe(ErrorCode.TaskFailed);
    expect(err.message).toMatch(
      new RegExp(
        `^push of main from ${g.bob} to origin was rejected:\\n ! \\[rejected\\] +main -> main \\(fetch first\\)\\nerror: failed to push`,
      ),
    );
  });

  it('returns the refusal as output when a rejection is expected, with the hook message as reason', async () => {
    await runTask(gitHook, { repo: g.remote, hook: 'pre-receive', script: REFUSE_MAIN }, { root: g.root });
    commit(g.bob, 'bob direct', { 'b.txt': 'b' });
    const out = await runTask(gitPush, { repo: g.bob, expect: 'rejected' }, { root: g.root });
    expect(out).toMatchObject({ accepted: false, rejected: true });
    expect(out.reason.split('\n')).toEqual([
      'remote: main is protected: open a merge request',
      ' ! [remote rejected] main -> main (pre-receive hook declined)',
      `error: failed to push some refs to '${g.remote}'`,
    ]);
  });

  it('fails with the hook message when a hook refuses a push expected to be accepted', async () => {
    await runTask(gitHook, { repo: g.remote, hook: 'pre-receive', script: REFUSE_MAIN }, { root: g.root });
    commit(g.bob, 'bob direct', { 'b.txt': 'b' });
    const err = await rejection(runTask(gitPush, { repo: g.bob }, { root: g.root }));
    expect(err.message).toContain('remote: main is protected: open a merge request');
    expect(err.message).toContain('pre-receive hook declined');
  });

  it('fails as an assertion when a push expected to be rejected is accepted', async () => {
    commit(g.bob, 'bob fine', { 'b.txt': 'b' });
    const err = await rejection(runTask(gitPush, { repo: g.bob, expect: 'rejected' }, { root: g.root }));
    expect(err.code).toBe(ErrorCode.AssertionFailed);
    expect(err.message).toBe(`expected the push of main from ${g.bob} to be rejected, but it was accepted`);
  });

  it('fails as an error (not a refusal) when the remote does not exist', async () => {
    const err = await rejection(
      runTask(gitPush, { repo: g.bob, remote: 'nowhere', expect: 'rejected' }, { root: g.root }),
    );
    expect(err.code).toBe(ErrorCode.TaskFailed);
    expect(err.message).toMatch(/^git\.push: push of main from .* to nowhere failed \(exit code 128\)/);
  });

  it('plans the push command line', () => {
    const input = gitPush.input.parse({ repo: 'bob', force: true, branch: 'main', expect: 'rejected' });
    expect(gitPush.plan(input)).toEqual([
      'git -C bob push --force origin refs/heads/main:refs/heads/main (expect rejected)',
    ]);
  });
});

describe('git.fetch and git.status', () => {
  it('counts commits ahead and behind the remote branch after a fetch', async () => {
    commit(g.alice, 'alice 1', { 'a.txt': '1' });
    commit(g.alice, 'alice 2', { 'a.txt': '2' });
    sh(g.alice, 'push', '-q', 'origin', 'main');
    commit(g.bob, 'bob 1', { 'b.txt': '1' });
    const before = await runTask(gitStatus, { repo: g.bob }, { root: g.root });
    expect(before).toMatchObject({ branch: 'main', ahead: 1, behind: 0, clean: true });
    expect(await runTask(gitFetch, { repo: g.bob, prune: true }, { root: g.root })).toEqual({ repo: g.bob });
    expect(await runTask(gitStatus, { repo: g.bob }, { root: g.root })).toMatchObject({ ahead: 1, behind: 2 });
  });

  it('counts every local commit as ahead when the remote branch does not exist', async () => {
    sh(g.bob, 'switch', '-q', '-c', 'topic');
    commit(g.bob, 'topic', { 't.txt': 't' });
    expect(await runTask(gitStatus, { repo: g.bob }, { root: g.root })).toMatchObject({
      branch: 'topic',
      ahead: 2,
      behind: 0,
    });
  });

  it('lists modified, untracked and conflicted files', async () => {
    writeFiles(g.bob, { 'README.md': 'changed\n', 'new/file.txt': 'n' });
    sh(g.bob, 'rm', '-q', 'notes.txt');
    const s = await runTask(gitStatus, { repo: g.bob }, { root: g.root });
    expect(s).toEqual({
      branch: 'main',
      head: sh(g.bob, 'rev-parse', 'HEAD'),
      clean: false,
      ahead: 0,
      behind: 0,
      conflicted: [],
      modified: ['README.md', 'notes.txt'],
      untracked: ['new/file.txt'],
    });
  });

  it('names the configured remotes when fetching an unknown one', async () => {
    const err = await rejection(runTask(gitFetch, { repo: g.bob, remote: 'upstream' }, { root: g.root }));
    expect(err.message).toBe(`git.fetch: remote upstream is not configured in ${g.bob} (remotes: origin)`);
  });

  it('declares reading nodes idempotent and writing ones not', () => {
    expect(gitFetch.isIdempotent(gitFetch.input.parse({ repo: 'r' }))).toBe(true);
    expect(gitStatus.isIdempotent(gitStatus.input.parse({ repo: 'r' }))).toBe(true);
    expect(gitPush.isIdempotent(gitPush.input.parse({ repo: 'r' }))).toBe(false);
  });
});
