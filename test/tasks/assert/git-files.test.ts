// The work-tree assertions on real clones: file contents (tree or commit), clean trees, conflicted files.
import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../engine/index.js';
import { assertConflicted } from '../../../tasks/assert/conflicted.js';
import { assertFileContent } from '../../../tasks/assert/file-content.js';
import { assertTreeClean } from '../../../tasks/assert/tree-clean.js';
import { rejection, runTask } from '../context.js';
import { commit, divergeOnNotes, makeGalaxy, sh, writeFiles, type Galaxy } from '../git/fixture.js';

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

describe('assert.file-content', () => {
  it.each([
    [{ equals: 'hello\n' }],
    [{ contains: 'ell' }],
    [{ matches: '^h.llo$' }],
    [{ equals: 'hello\n', contains: 'he', matches: 'o$' }],
    [{ matches: '^HELLO$', flags: 'i' }],
    [{ matches: '^h.llo$', flags: 'su' }],
    [{}],
  ])('passes on the work tree with %j', async (checks) => {
    expect(await runTask(assertFileContent, { repo: g.alice, path: 'README.md', ...checks }, { root: g.root })).toEqual(
      { ok: true, actual: 'hello\n' },
    );
  });

  it('reads the file at a commit when ref is given, even from a bare remote', async () => {
    commit(g.alice, 'edit', { 'README.md': 'edited\n' });
    const input = { path: 'README.md', equals: 'hello\n' };
    expect((await runTask(assertFileContent, { repo: g.alice, ref: 'HEAD~1', ...input }, { root: g.root })).ok).toBe(
      true,
    );
    expect((await runTask(assertFileContent, { repo: g.remote, ref: 'main', ...input }, { root: g.root })).ok).toBe(
      true,
    );
  });

  it.each([
    [{ equals: 'bye\n' }, 'README.md is "hello\\n", expected "bye\\n"'],
    [{ contains: 'world' }, 'README.md is "hello\\n", expected it to contain "world"'],
    [{ matches: '^bye' }, 'README.md is "hello\\n", expected it to match /^bye/'],
    [{ matches: '^HELLO$' }, 'README.md is "hello\\n", expected it to match /^HELLO$/'],
    [{ matches: 'hello.$', flags: 'i' }, 'README.md is "hello\\n", expected it to match /hello.$/i'],
    [{ path: 'missing.txt' }, 'missing.txt does not exist'],
    [{ ref: 'main', path: 'missing.txt' }, 'missing.txt at main does not exist'],
  ])('fails %j with "%s"', async (input, tail) => {
    const message = await failure(
      runTask(assertFileContent, { repo: g.alice, path: 'README.md', ...input }, { root: g.root }),
    );
    expect(message).toBe(`assert.file-content: ${g.alice} ${tail}`);
  });

  it('accepts the flags i, m, s, u and v and refuses the others', () => {
    expect(assertFileContent.input.safeParse({ repo: 'r', path: 'a', matches: 'x', flags: 'imsu' }).success).toBe(true);
    for (const flags of ['g', 'y', 'd', 'x', 'I']) {
      expect(
        assertFileContent.input.safeParse({ repo: 'r', path: 'a', matches: 'x', flags }).error?.issues[0].message,
        flags,
      ).toBe('regular expression flags among i, m, s, u and v');
    }
  });

  it('refuses a path outside the work tree', () => {
    expect(assertFileContent.input.safeParse({ repo: 'r', path: '../secret' }).error?.issues[0].message).toBe(
      '"../secret" must not contain ".."',
    );
  });
});

describe('assert.tree-clean', () => {
  it('passes on a fresh clone', async () => {
    expect(await runTask(assertTreeClean, { repo: g.bob }, { root: g.root })).toEqual({ ok: true, actual: [] });
  });

  it('fails listing modified and untracked files', async () => {
    writeFiles(g.bob, { 'README.md': 'changed\n', 'tmp/new.txt': 'n' });
    expect(await failure(runTask(assertTreeClean, { repo: g.bob }, { root: g.root }))).toBe(
      `assert.tree-clean: ${g.bob} on main has 2 changes, expected a clean tree: M README.md, ?? tmp/new.txt`,
    );
  });
});

describe('assert.conflicted', () => {
  it('passes with an empty list when nothing is in conflict, and fails when conflicts were expected', async () => {
    expect(await runTask(assertConflicted, { repo: g.bob, files: [] }, { root: g.root })).toEqual({
      ok: true,
      actual: [],
    });
    expect(await failure(runTask(assertConflicted, { repo: g.bob, files: ['notes.txt'] }, { root: g.root }))).toBe(
      `assert.conflicted: ${g.bob} has conflicts in [], expected [notes.txt] (not conflicted: [notes.txt])`,
    );
  });

  it('checks the files of a stopped merge and names the missing and unexpected ones', async () => {
    divergeOnNotes(g);
    sh(g.bob, 'fetch', '-q');
    expect(() => sh(g.bob, 'merge', 'origin/main')).toThrow();
    expect(await runTask(assertConflicted, { repo: g.bob, files: ['./notes.txt'] }, { root: g.root })).toEqual({
      ok: true,
      actual: ['notes.txt'],
    });
    expect(await failure(runTask(assertConflicted, { repo: g.bob, files: ['README.md'] }, { root: g.root }))).toBe(
      `assert.conflicted: ${g.bob} has conflicts in [notes.txt], expected [README.md] (not conflicted: [README.md]; unexpected: [notes.txt])`,
    );
  });
});
