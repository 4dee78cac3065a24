// The ref assertions on real repos: branch heads, branches, commit messages, ahead/behind, refused pushes.
import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../engine/index.js';
import { assertAheadBehind } from '../../../tasks/assert/ahead-behind.js';
import { assertBranchExists } from '../../../tasks/assert/branch-exists.js';
import { assertBranchHead } from '../../../tasks/assert/branch-head.js';
import { assertCommitMessage } from '../../../tasks/assert/commit-message.js';
import { assertPushRejected } from '../../../tasks/assert/push-rejected.js';
import { rejection, runTask } from '../context.js';
import { commit, makeGalaxy, sh, type Galaxy } from '../git/fixture.js';

let g: Galaxy;
beforeEach(async () => {
  g = await makeGalaxy();
});

/** The assertion error of a failing run, checked for its code. */
async function failure(promise: Promise<unknown>): Promise<string> {
  const err = await rejection(promise);
  expect(err.code).toBe(ErrorCode.AssertionFailed);
  return err.message;
}

const short = (sha: string) => sha.slice(0, 7);

describe('assert.branch-head', () => {
  it('passes when the remote branch is the commit a clone pushed, given as a ref of that clone or a sha', async () => {
    const sha = commit(g.alice, 'alice feature', { 'a.txt': 'a' });
    sh(g.alice, 'push', '-q');
    expect(
      await runTask(assertBranchHead, { repo: g.remote, ref: 'main', equals: 'HEAD', in: g.alice }, { root: g.root }),
    ).toEqual({ ok: true, actual: sha });
    expect(await runTask(assertBranchHead, { repo: g.remote, ref: 'main', equals: sha }, { root: g.root })).toEqual({
      ok: true,
      actual: sha,
    });
  });

  it('fails with both commits and their messages', async () => {
    const initial = sh(g.remote, 'rev-parse', 'main');
    const bobs = commit(g.bob, "bob's feature", { 'b.txt': 'b' });
    const message = await failure(
      runTask(assertBranchHead, { repo: g.remote, ref: 'main', equals: 'main', in: g.bob }, { root: g.root }),
    );
    expect(message).toBe(
      `assert.branch-head: ${g.remote} main is ${short(initial)} (message "initial commit"), expected ${short(bobs)} (message "bob's feature", main in ${g.bob})`,
    );
  });

  it('says how far behind the ref is when the repo holds both commits', async () => {
    const initial = sh(g.alice, 'rev-parse', 'HEAD');
    commit(g.alice, 'one');
    const tip = commit(g.alice, 'two');
    expect(
      await failure(runTask(assertBranchHead, { repo: g.alice, ref: 'origin/main', equals: tip }, { root: g.root })),
    ).toBe(
      `assert.branch-head: ${g.alice} origin/main is ${short(initial)} (message "initial commit"), expected ${short(tip)} (message "two"); it is 2 commits behind`,
    );
  });

  it.each([
    [{ ref: 'nope', equals: 'main' }, (x: Galaxy) => `assert.branch-head: ${x.remote} nope does not exist, expected `],
    [
      { ref: 'main', equals: 'nope' },
      (x: Galaxy) => `assert.branch-head: expected commit nope does not exist in ${x.remote}`,
    ],
  ])('fails when a side does not resolve: %j', async (input, start) => {
    expect(await failure(runTask(assertBranchHead, { repo: g.remote, ...input }, { root: g.root }))).toContain(
      start(g),
    );
  });
});

describe('assert.branch-exists', () => {
  it('passes for a present branch and for an absent one with exists: false', async () => {
    const sha = sh(g.remote, 'rev-parse', 'main');
    expect(await runTask(assertBranchExists, { repo: g.remote, branch: 'main' }, { root: g.root })).toEqual({
      ok: true,
      actual: sha,
    });
    expect(
      await runTask(assertBranchExists, { repo: g.remote, branch: 'gone', exists: false }, { root: g.root }),
    ).toEqual({ ok: true, actual: null });
  });

  it.each([
    [
      { branch: 'feature' },
      (x: Galaxy) => `assert.branch-exists: ${x.remote} has no branch feature, expected it to exist (branches: main)`,
    ],
    [
      { branch: 'main', exists: false },
      (x: Galaxy) =>
        `assert.branch-exists: ${x.remote} has branch main at ${short(sh(x.remote, 'rev-parse', 'main'))}, expected it not to exist`,
    ],
  ])('fails %j with expected vs actual', async (input, expected) => {
    expect(await failure(runTask(assertBranchExists, { repo: g.remote, ...input }, { root: g.root }))).toBe(
      expected(g),
    );
  });

  it('hints at the remote-tracking branch when only that exists in a clone', async () => {
    sh(g.alice, 'push', '-q', 'origin', 'main:feature');
    sh(g.bob, 'fetch', '-q');
    expect(await failure(runTask(assertBranchExists, { repo: g.bob, branch: 'feature' }, { root: g.root }))).toBe(
      `assert.branch-exists: ${g.bob} has no branch feature, expected it to exist (branches: main; only origin/feature exists: check it out first)`,
    );
  });
});

describe('assert.commit-message', () => {
  it('passes when the message matches and returns it', async () => {
    commit(g.alice, 'fix: handle empty input\n\nCloses #12');
    expect(await runTask(assertCommitMessage, { repo: g.alice, matches: '^Closes #\\d+$' }, { root: g.root })).toEqual({
      ok: true,
      actual: 'fix: handle empty input\n\nCloses #12',
    });
  });

  it('fails with the commit and its actual message', async () => {
    const head = sh(g.alice, 'rev-parse', 'HEAD');
    expect(
      await failure(runTask(assertCommitMessage, { repo: g.alice, ref: 'main', matches: '^feat:' }, { root: g.root })),
    ).toBe(
      `assert.commit-message: ${g.alice} main (${short(head)}) message is "initial commit", expected it to match /^feat:/`,
    );
  });

  it('refuses an invalid regular expression as bad input', async () => {
    const err = await rejection(runTask(assertCommitMessage, { repo: g.alice, matches: '(' }, { root: g.root }));
    expect(err.code).toBe(ErrorCode.BadInput);
    expect(err.message).toMatch(/^assert\.commit-message: matches \/\(\/ is not a valid regular expression/);
    // u and v together are not a valid regular expression either
    const both = await rejection(
      runTask(assertCommitMessage, { repo: g.alice, matches: 'x', flags: 'uv' }, { root: g.root }),
    );
    expect(both.code).toBe(ErrorCode.BadInput);
    expect(both.message).toMatch(/^assert\.commit-message: matches \/x\/uv is not a valid regular expression/);
  });

  it('matches with the flags given (i ignores case)', async () => {
    commit(g.alice, 'fix: handle empty input\n\nCloses #12');
    expect(
      (await runTask(assertCommitMessage, { repo: g.alice, matches: '^closes #\\d+$', flags: 'i' }, { root: g.root }))
        .ok,
    ).toBe(true);
    const message = await failure(
      runTask(assertCommitMessage, { repo: g.alice, matches: '^closes #\\d+$' }, { root: g.root }),
    );
    expect(message).toMatch(/expected it to match \/\^closes #\\d\+\$\/$/);
  });
});

describe('assert.ahead-behind', () => {
  it('passes with the counts of the last fetch and fails with expected vs actual', async () => {
    commit(g.alice, 'a', { 'a.txt': 'a' });
    sh(g.alice, 'push', '-q');
    commit(g.bob, 'b', { 'b.txt': 'b' });
    sh(g.bob, 'fetch', '-q');
    expect(await runTask(assertAheadBehind, { repo: g.bob, ahead: 1, behind: 1 }, { root: g.root })).toEqual({
      ok: true,
      actual: { ahead: 1, behind: 1 },
    });
    expect(
      await failure(runTask(assertAheadBehind, { repo: g.bob, ahead: 0, behind: 0, branch: 'main' }, { root: g.root })),
    ).toBe(`assert.ahead-behind: ${g.bob} main is 1 ahead, 1 behind origin/main, expected 0 ahead, 0 behind`);
  });
});

describe('assert.push-rejected', () => {
  it('passes on a non-fast-forward push and returns the reason', async () => {
    commit(g.alice, 'a', { 'a.txt': 'a' });
    sh(g.alice, 'push', '-q');
    commit(g.bob, 'b', { 'b.txt': 'b' });
    const out = await runTask(assertPushRejected, { repo: g.bob }, { root: g.root });
    expect(out.actual).toMatch(/! \[rejected\] +main -> main \(fetch first\)/);
  });

  it('passes on a forced push that a pre-receive hook refuses', async () => {
    sh(g.remote, 'config', 'receive.denyNonFastForwards', 'true');
    commit(g.bob, 'b', { 'b.txt': 'b' });
    sh(g.bob, 'push', '-q');
    sh(g.bob, 'reset', '-q', '--hard', 'HEAD~1');
    const out = await runTask(assertPushRejected, { repo: g.bob, force: true }, { root: g.root });
    expect(out.actual).toContain('[remote rejected] main -> main (non-fast-forward)');
  });

  it('fails when the push goes through', async () => {
    commit(g.bob, 'b', { 'b.txt': 'b' });
    expect(await failure(runTask(assertPushRejected, { repo: g.bob }, { root: g.root }))).toBe(
      `assert.push-rejected: the push of main from ${g.bob} to origin was accepted, expected it to be rejected`,
    );
  });
});
