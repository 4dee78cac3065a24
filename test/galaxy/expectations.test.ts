// Scenario expectations must fail when what they expect did not happen, at their own step, saying expected vs
// actual with the real values; each has a passing counterpart. Runs the scenarios in-process (engine + default
// registry, as `gravity test` does) over real git and the file transport, so mutation testing sees the sources.
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMemoryStore,
  resolveParams,
  startRun,
  type Node,
  type RunResult,
  type StepSummary,
} from '../../engine/index.js';
import type { GalaxyBuildOutput } from '../../tasks/galaxy/support-schema.js';
import { expectOn, type MakeStep } from '../../workflows/galaxy/expect.js';
import { createDefaultRegistry } from '../../tasks/index.js';
import type { Case } from '../fixtures/scenarios/expect/support.js';
import * as aheadBehind from '../fixtures/scenarios/expect/ahead-behind.js';
import * as branch from '../fixtures/scenarios/expect/branch.js';
import * as failure from '../fixtures/scenarios/expect/failure.js';
import * as file from '../fixtures/scenarios/expect/file.js';
import * as message from '../fixtures/scenarios/expect/message.js';
import * as push from '../fixtures/scenarios/expect/push.js';
import * as tag from '../fixtures/scenarios/expect/tag.js';
import * as tree from '../fixtures/scenarios/expect/tree.js';
import { tempDir } from '../support/git-fixtures.js';

const registry = createDefaultRegistry();
let tmp: string;
let savedTmpdir: string | undefined;

// every galaxy is built under os.tmpdir(): point it at a folder of ours, to check each run removed its galaxy
beforeAll(() => {
  savedTmpdir = process.env.TMPDIR;
  tmp = tempDir('gravity-expectations-');
  process.env.TMPDIR = tmp;
});
afterAll(() => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
});

/** A finished scenario run, with what its checks need. */
interface Ran {
  result: RunResult;
  galaxy: GalaxyBuildOutput;
  /** The clone dir of an actor, or the dir of a remote. */
  dir(name: string): string;
  /** The sha made by the commit step marked `key`, as the fixture marked it. */
  sha(key: string): string;
  /** Its first 7 characters, as failure messages show it. */
  short(key: string): string;
}

/** Runs a scenario as `gravity test` does (file transport, default branch main), checking it removed its galaxy. */
async function run(c: Case): Promise<Ran> {
  const def = c.scenario.definition;
  const params = resolveParams(def, { transport: 'file', defaultBranch: 'main', keep: false });
  const result = await startRun({ store: createMemoryStore(), registry, root: tmp }, def, { params });
  expect(readdirSync(tmp), 'the galaxy was torn down').toEqual([]);
  const galaxy = result.steps.find((s) => s.id === 'galaxy')?.output as GalaxyBuildOutput;
  expect(galaxy?.root).toBeTruthy();
  const sha = (key: string) => {
    const id = c.ids[key];
    const out = result.steps.find((s) => s.id === id)?.output as { sha?: string } | undefined;
    if (!id || !out?.sha) throw new Error(`no commit marked ${key} (${id}) in the run`);
    return out.sha;
  };
  return {
    result,
    galaxy,
    dir: (name) => galaxy.actors[name]?.dir ?? galaxy.remotes[name]!.dir,
    sha,
    short: (key) => sha(key).slice(0, 7),
  };
}

/** Runs a scenario that must pass; no step may fail but the ones marked `expectedFailures` (see expectFailure). */
async function passes(c: Case, expectedFailures: string[] = []): Promise<Ran> {
  const r = await run(c);
  const failed = r.result.steps.filter(
    (s) => s.status === 'failed' && !expectedFailures.some((k) => c.ids[k] === s.id),
  );
  expect(
    failed.map((s) => `${s.id}: ${s.error?.message}`),
    'no step failed',
  ).toEqual([]);
  expect(r.result.status).toBe('succeeded');
  return r;
}

/**
 * Runs a scenario that must fail at `c.at` (a `task` node), or at `c.at + suffix`, with an ASSERTION_FAILED error;
 * returns the run and the error message, which is also the run's.
 */
async function failsAt(c: Case, task: string, suffix = ''): Promise<Ran & { message: string }> {
  expect(c.at, 'the fixture marks the step it must fail at').not.toBe('');
  const r = await run(c);
  expect(r.result.status).toBe('failed');
  // the last failure ended the run (an earlier one may have been expected, see expectFailure), as `gravity test` reports
  const failed = [...r.result.steps]
    .reverse()
    .find((s: StepSummary) => s.status === 'failed' && s.task !== 'galaxy.stop');
  expect({ step: failed?.id, task: failed?.task, code: failed?.error?.code }).toEqual({
    step: c.at + suffix,
    task,
    code: 'ASSERTION_FAILED',
  });
  // nothing after the expectation ran, but the clean-up
  expect(r.result.steps.at(-1)).toMatchObject({ task: 'galaxy.stop', status: 'succeeded' });
  const message = failed!.error!.message;
  expect(r.result.error?.message).toBe(message);
  return { ...r, message };
}

describe('branch expectations', () => {
  it('hold: toEqual another repo / another ref, toBe a sha / a ref, toExist, notToExist', async () => {
    await passes(branch.holds);
  });

  it('toEqual fails when the other repo differs, with both commits', async () => {
    const r = await failsAt(branch.equalOtherRepo, 'assert.branch-head');
    expect(r.message).toBe(
      `assert.branch-head: ${r.dir('bob')} main is ${r.short('local')} (message "bob kept this"), expected ${r.short('pushed')} (message "alice pushed this", main in ${r.dir('origin')})`,
    );
  });

  it('toEqual(other, ref) fails when that ref of the other repo differs', async () => {
    const r = await failsAt(branch.equalOtherRef, 'assert.branch-head');
    expect(r.message).toBe(
      `assert.branch-head: ${r.dir('alice')} topic is ${r.short('topic')} (message "on topic"), expected ${r.short('pushed')} (message "on main", main in ${r.dir('origin')}); it is 1 commit ahead`,
    );
  });

  it('toBe fails on another sha', async () => {
    const r = await failsAt(branch.toBeSha, 'assert.branch-head');
    expect(r.message).toBe(
      `assert.branch-head: ${r.dir('alice')} main is ${r.short('second')} (message "second"), expected ${r.short('first')} (message "first"); it is 1 commit ahead`,
    );
  });

  it('toBe fails on a ref pointing elsewhere', async () => {
    const r = await failsAt(branch.toBeRef, 'assert.branch-head');
    expect(r.message).toBe(
      `assert.branch-head: ${r.dir('alice')} topic is ${r.short('topic')} (message "on topic"), expected ${r.short('main')} (message "on main", main); it is 1 commit ahead`,
    );
  });

  it('toExist fails on a missing branch, listing the branches there are', async () => {
    const r = await failsAt(branch.toExistMissing, 'assert.branch-exists');
    expect(r.message).toBe(
      `assert.branch-exists: ${r.dir('alice')} has no branch develop, expected it to exist (branches: main; only origin/develop exists: check it out first)`,
    );
  });

  it('notToExist fails on an existing branch, with its head', async () => {
    const r = await failsAt(branch.notToExistPresent, 'assert.branch-exists');
    expect(r.message).toBe(
      `assert.branch-exists: ${r.dir('alice')} has branch topic at ${r.short('topic')}, expected it not to exist`,
    );
  });
});

describe('tag expectations', () => {
  it('hold: toExist, notToExist, toPointAt a sha / a ref, lightweight and annotated, in a clone and a remote', async () => {
    await passes(tag.holds);
  });

  it('toExist fails on a branch of that name, saying so (the branch is not a tag)', async () => {
    const r = await failsAt(tag.toExistBranch, 'assert.tag');
    const head = (r.result.steps.find((s) => s.id === 's1_alice_checkout')?.output as { head: string }).head;
    expect(r.message).toBe(
      `assert.tag: ${r.dir('alice')} has no tag v1.0.0, expected it to exist (tags: none; a branch v1.0.0 exists (at ${head.slice(0, 7)}): tag it with tag(), not checkout())`,
    );
  });

  it('toExist fails on a remote the tag was not pushed to', async () => {
    const r = await failsAt(tag.notPushed, 'assert.tag');
    expect(r.message).toBe(`assert.tag: ${r.dir('origin')} has no tag v1, expected it to exist (tags: none)`);
  });

  it('toPointAt fails on a tag at another commit, with both commits', async () => {
    const r = await failsAt(tag.toPointAtOlder, 'assert.tag');
    expect(r.message).toBe(
      `assert.tag: ${r.dir('alice')} tag v1 is ${r.short('tagged')} (message "release"), expected ${r.short('fix')} (message "fix", main)`,
    );
  });

  it('notToExist fails on an existing tag, with its commit', async () => {
    const r = await failsAt(tag.notToExistPresent, 'assert.tag');
    expect(r.message).toBe(
      `assert.tag: ${r.dir('alice')} has tag oops at ${r.short('tagged')} (message "tagged"), expected it not to exist`,
    );
  });
});

describe('file expectations', () => {
  const one = JSON.stringify('line one\nvalue=1\n');
  const two = JSON.stringify('line two\nvalue=2\n');

  it('hold: toBe, toContain, toMatch in the work tree and at a ref, in a clone and a remote', async () => {
    await passes(file.holds);
  });

  it('toBe fails on other content, showing the actual content', async () => {
    const r = await failsAt(file.toBeWrong, 'assert.file-content');
    expect(r.message).toBe(`assert.file-content: ${r.dir('alice')} a.txt is ${two}, expected ${one}`);
  });

  it('toContain fails on text the file lacks', async () => {
    const r = await failsAt(file.toContainWrong, 'assert.file-content');
    expect(r.message).toBe(`assert.file-content: ${r.dir('alice')} a.txt is ${two}, expected it to contain "value=1"`);
  });

  it('toMatch fails on a pattern the file does not match', async () => {
    const r = await failsAt(file.toMatchWrong, 'assert.file-content');
    expect(r.message).toBe(`assert.file-content: ${r.dir('alice')} a.txt is ${two}, expected it to match /^value=1$/`);
  });

  it('at a ref reads that commit, not the work tree', async () => {
    const r = await failsAt(file.toBeAtRefWrong, 'assert.file-content');
    expect(r.message).toBe(`assert.file-content: ${r.dir('alice')} a.txt at HEAD~1 is ${one}, expected ${two}`);
  });

  it('at a branch of a bare remote', async () => {
    const r = await failsAt(file.remoteAtRefWrong, 'assert.file-content');
    expect(r.message).toBe(`assert.file-content: ${r.dir('origin')} a.txt at main is ${two}, expected "seed\\n"`);
  });
});

describe('work tree expectations', () => {
  it('hold: toBeClean, toHaveConflicts([]) on a clean tree, toHaveConflicts after a conflicting pull', async () => {
    await passes(tree.holds);
  });

  it('toBeClean fails on a dirty tree, listing the changes', async () => {
    const r = await failsAt(tree.cleanDirty, 'assert.tree-clean');
    expect(r.message).toBe(
      `assert.tree-clean: ${r.dir('alice')} on main has 2 changes, expected a clean tree: M a.txt, ?? new.txt`,
    );
  });

  it('toHaveConflicts fails on a clean tree', async () => {
    const r = await failsAt(tree.conflictsOnClean, 'assert.conflicted');
    expect(r.message).toBe(
      `assert.conflicted: ${r.dir('alice')} has conflicts in [], expected [a.txt] (not conflicted: [a.txt])`,
    );
  });

  it('toHaveConflicts fails naming a file that is not the conflicted one', async () => {
    const r = await failsAt(tree.conflictsOtherFile, 'assert.conflicted');
    expect(r.message).toBe(
      `assert.conflicted: ${r.dir('bob')} has conflicts in [a.txt], expected [b.txt] (not conflicted: [b.txt]; unexpected: [a.txt])`,
    );
  });
});

describe('toBeAheadBehind', () => {
  it('holds: 0/0, 2 ahead 1 behind, and against another branch of the remote', async () => {
    await passes(aheadBehind.holds);
  });

  it('fails on a wrong ahead count', async () => {
    const r = await failsAt(aheadBehind.aheadWrong, 'assert.ahead-behind');
    expect(r.message).toBe(
      `assert.ahead-behind: ${r.dir('alice')} main is 2 ahead, 1 behind origin/main, expected 3 ahead, 1 behind`,
    );
  });

  it('fails on a wrong behind count', async () => {
    const r = await failsAt(aheadBehind.behindWrong, 'assert.ahead-behind');
    expect(r.message).toBe(
      `assert.ahead-behind: ${r.dir('alice')} main is 2 ahead, 1 behind origin/main, expected 2 ahead, 0 behind`,
    );
  });
});

describe('commitMessage().toMatch', () => {
  it('holds at HEAD, at HEAD~1 (multi-line) and at a branch', async () => {
    await passes(message.holds);
  });

  it('fails at HEAD with the actual message', async () => {
    const r = await failsAt(message.headWrong, 'assert.commit-message');
    expect(r.message).toBe(
      `assert.commit-message: ${r.dir('alice')} HEAD (${r.short('c2')}) message is "fix: second", expected it to match /^feat: /`,
    );
  });

  it('fails on another case without the i flag (flags are not dropped, nor added)', async () => {
    const r = await failsAt(message.caseWrong, 'assert.commit-message');
    expect(r.message).toBe(
      `assert.commit-message: ${r.dir('alice')} HEAD (${r.short('c2')}) message is "fix: second", expected it to match /^FIX: /`,
    );
  });

  it("fails at another ref with that commit's message", async () => {
    const r = await failsAt(message.refWrong, 'assert.commit-message');
    expect(r.message).toBe(
      `assert.commit-message: ${r.dir('alice')} HEAD~1 (${r.short('c1')}) message is ${JSON.stringify('feat: first\n\nwith a body line')}, expected it to match /^fix: /`,
    );
  });
});

describe('toRejectPush', () => {
  it('holds for a non-fast-forward push, a forced push a hook refuses, and a branch given by name', async () => {
    await passes(push.holds);
  });

  it('fails when the push is accepted', async () => {
    const r = await failsAt(push.accepted, 'assert.push-rejected');
    expect(r.message).toBe(
      `assert.push-rejected: the push of main from ${r.dir('alice')} to origin was accepted, expected it to be rejected`,
    );
  });

  it('fails when the forced push is accepted', async () => {
    const r = await failsAt(push.forcedAccepted, 'assert.push-rejected');
    expect(r.message).toBe(
      `assert.push-rejected: the forced push of main from ${r.dir('bob')} to origin was accepted, expected it to be rejected`,
    );
  });
});

describe('expectFailure', () => {
  it('holds when the step fails with a matching message (regex, flags, string)', async () => {
    const r = await passes(failure.holds, ['push1', 'push2', 'push3']);
    for (const k of ['push1', 'push2', 'push3']) {
      expect(r.result.steps.find((s) => s.id === failure.holds.ids[k])).toMatchObject({
        status: 'failed',
        error: { message: expect.stringContaining('was rejected') },
      });
    }
  });

  it('fails when the step succeeds', async () => {
    const r = await failsAt(failure.succeeds, 'assert.expr', '_failed');
    const at = failure.succeeds.at;
    expect(r.result.steps.find((s) => s.id === at)).toMatchObject({ task: 'git.push', status: 'succeeded' });
    expect(r.message).toBe(
      `assertion failed in <${at}_failed>: expected <${at}> to fail, but it succeeded: expected true, got false`,
    );
  });

  it('fails when the step fails with another message, quoting it', async () => {
    const r = await failsAt(failure.otherMessage, 'assert.expr', '_error');
    const at = failure.otherMessage.at;
    const pushed = r.result.steps.find((s) => s.id === at);
    expect(pushed).toMatchObject({ task: 'git.push', status: 'failed' });
    const actual = pushed!.error!.message;
    expect(actual).toMatch(new RegExp(`^push of main from ${r.dir('bob')} to origin was rejected:\\n.*\\[rejected\\]`));
    expect(r.message).toBe(
      `assertion failed in <${at}_error>: expected <${at}> to fail with /no such remote/, it failed with: ${actual}: expected true, got false`,
    );
  });
});

describe('expectOn (what each expectation compiles to)', () => {
  it('gives each expectation its verb, assertion task, input and title', () => {
    const made: MakeStep = (verb, src, input, title) => ({ verb, src, input, title }) as unknown as Node;
    const e = expectOn({ label: 'bob', dir: '=bob.dir' }, made);
    const other = { label: 'origin', dir: '=origin.dir' };
    expect([
      e.branch('main').toEqual(other),
      e.branch('topic').toEqual(other, 'main'),
      e.branch('main').toBe('v1'),
      e.branch('dev').toExist(),
      e.branch('dev').notToExist(),
      e.tag('v1').toExist(),
      e.tag('v1').notToExist(),
      e.tag('v1').toPointAt('main'),
      e.file('a.txt').toBe('x\n'),
      e.file('a.txt', 'HEAD~1').toContain('x'),
      e.file('a.txt', 'v1').toMatch(/^x$/m),
      e.file('a.txt').toMatch('^y'),
      e.toBeClean(),
      e.toHaveConflicts(['a.txt', 'b.txt']),
      e.toHaveConflicts([]),
      e.toBeAheadBehind(2, 1),
      e.toBeAheadBehind(0, 3, { remote: 'up', branch: 'main' }),
      e.commitMessage().toMatch(/^feat/),
      e.commitMessage('HEAD~2').toMatch('fix'),
      e.toRejectPush(),
      e.toRejectPush({ remote: 'up', branch: 'main', force: true }),
    ]).toEqual([
      {
        verb: 'branch_head',
        src: 'assert.branch-head',
        input: { ref: 'main', equals: 'main', in: '=origin.dir' },
        title: 'expect bob main to equal origin main',
      },
      {
        verb: 'branch_head',
        src: 'assert.branch-head',
        input: { ref: 'topic', equals: 'main', in: '=origin.dir' },
        title: 'expect bob topic to equal origin main',
      },
      {
        verb: 'branch_head',
        src: 'assert.branch-head',
        input: { ref: 'main', equals: 'v1' },
        title: 'expect bob main to be v1',
      },
      {
        verb: 'branch_exists',
        src: 'assert.branch-exists',
        input: { branch: 'dev', exists: true },
        title: 'expect bob to have branch dev',
      },
      {
        verb: 'branch_absent',
        src: 'assert.branch-exists',
        input: { branch: 'dev', exists: false },
        title: 'expect bob not to have branch dev',
      },
      { verb: 'tag_exists', src: 'assert.tag', input: { tag: 'v1' }, title: 'expect bob to have tag v1' },
      {
        verb: 'tag_absent',
        src: 'assert.tag',
        input: { tag: 'v1', exists: false },
        title: 'expect bob not to have tag v1',
      },
      {
        verb: 'tag_points_at',
        src: 'assert.tag',
        input: { tag: 'v1', pointsAt: 'main' },
        title: 'expect bob tag v1 to point at main',
      },
      {
        verb: 'file',
        src: 'assert.file-content',
        input: { path: 'a.txt', equals: 'x\n' },
        title: 'expect bob:a.txt to be "x\\n"',
      },
      {
        verb: 'file',
        src: 'assert.file-content',
        input: { path: 'a.txt', contains: 'x', ref: 'HEAD~1' },
        title: 'expect bob:a.txt@HEAD~1 to contain "x"',
      },
      {
        verb: 'file',
        src: 'assert.file-content',
        input: { path: 'a.txt', matches: '^x$', ref: 'v1' },
        title: 'expect bob:a.txt@v1 to match /^x$/',
      },
      {
        verb: 'file',
        src: 'assert.file-content',
        input: { path: 'a.txt', matches: '^y' },
        title: 'expect bob:a.txt to match /^y/',
      },
      { verb: 'clean', src: 'assert.tree-clean', input: {}, title: 'expect bob to have a clean tree' },
      {
        verb: 'conflicts',
        src: 'assert.conflicted',
        input: { files: ['a.txt', 'b.txt'] },
        title: 'expect bob to have conflicts in a.txt, b.txt',
      },
      {
        verb: 'conflicts',
        src: 'assert.conflicted',
        input: { files: [] },
        title: 'expect bob to have conflicts in no file',
      },
      {
        verb: 'ahead_behind',
        src: 'assert.ahead-behind',
        input: { ahead: 2, behind: 1 },
        title: 'expect bob to be 2 ahead, 1 behind',
      },
      {
        verb: 'ahead_behind',
        src: 'assert.ahead-behind',
        input: { ahead: 0, behind: 3, remote: 'up', branch: 'main' },
        title: 'expect bob to be 0 ahead, 3 behind',
      },
      {
        verb: 'message',
        src: 'assert.commit-message',
        input: { ref: 'HEAD', matches: '^feat' },
        title: 'expect bob HEAD message to match /^feat/',
      },
      {
        verb: 'message',
        src: 'assert.commit-message',
        input: { ref: 'HEAD~2', matches: 'fix' },
        title: 'expect bob HEAD~2 message to match /fix/',
      },
      { verb: 'push_refused', src: 'assert.push-rejected', input: {}, title: 'expect bob push to be rejected' },
      {
        verb: 'push_refused',
        src: 'assert.push-rejected',
        input: { remote: 'up', branch: 'main', force: true },
        title: 'expect bob push --force to be rejected',
      },
    ]);
  });

  it('passes regex flags on to the assertion tasks, and refuses the sticky flag', () => {
    const made: MakeStep = (verb, src, input, title) => ({ verb, src, input, title }) as unknown as Node;
    const e = expectOn({ label: 'bob', dir: '=bob.dir' }, made);
    expect(e.file('a.txt').toMatch(/hello/i)).toEqual({
      verb: 'file',
      src: 'assert.file-content',
      input: { path: 'a.txt', matches: 'hello', flags: 'i' },
      title: 'expect bob:a.txt to match /hello/i',
    });
    expect(e.commitMessage().toMatch(/a.b/su)).toMatchObject({
      input: { ref: 'HEAD', matches: 'a.b', flags: 'su' },
      title: 'expect bob HEAD message to match /a.b/su',
    });
    // m is always on, g and d change nothing for one test
    expect(e.file('a.txt').toMatch(/^x$/dgm)).toMatchObject({ input: { path: 'a.txt', matches: '^x$' } });
    expect((e.file('a.txt').toMatch(/^x$/dgm) as unknown as { input: object }).input).not.toHaveProperty('flags');
    expect(e.commitMessage().toMatch(/^x$/g)).toMatchObject({ input: { matches: '^x$' } });
    expect(() => e.commitMessage().toMatch(/^x/y)).toThrow(
      '/^x/y: the sticky flag "y" is not supported by expectations; anchor the pattern with ^ instead',
    );
  });
});
