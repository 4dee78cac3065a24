// assert.tag on real repos: a tag present or absent, where it points (lightweight and annotated), in a clone and a
// remote; each failure says expected vs actual, the repo and the tag.
import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../engine/index.js';
import { assertTag } from '../../../tasks/assert/tag.js';
import { rejection, runTask } from '../context.js';
import { commit, makeGalaxy, sh, type Galaxy } from '../git/fixture.js';

let g: Galaxy;
let first: string;
let second: string;
beforeEach(async () => {
  g = await makeGalaxy();
  first = sh(g.alice, 'rev-parse', 'HEAD');
  second = commit(g.alice, 'second', { 'a.txt': 'a\n' });
  sh(g.alice, 'tag', 'v1', first);
  sh(g.alice, 'tag', '-a', '-m', 'release 2', 'v2', second);
});

const short = (sha: string) => sha.slice(0, 7);

/** The assertion error of a failing run, checked for its code. */
async function failure(promise: Promise<unknown>): Promise<string> {
  const err = await rejection(promise);
  expect(err.code).toBe(ErrorCode.AssertionFailed);
  return err.message;
}

describe('assert.tag', () => {
  it('passes for a present tag, an absent one with exists: false, and the commit it points at (annotated: peeled)', async () => {
    const root = { root: g.root };
    expect(await runTask(assertTag, { repo: g.alice, tag: 'v1' }, root)).toEqual({ ok: true, actual: first });
    expect(await runTask(assertTag, { repo: g.alice, tag: 'v3', exists: false }, root)).toEqual({
      ok: true,
      actual: null,
    });
    expect(await runTask(assertTag, { repo: g.alice, tag: 'v2', pointsAt: 'main' }, root)).toEqual({
      ok: true,
      actual: second,
    });
    expect(await runTask(assertTag, { repo: g.alice, tag: 'v1', pointsAt: first }, root)).toMatchObject({ ok: true });
    expect(await runTask(assertTag, { repo: g.alice, tag: 'v1', pointsAt: 'HEAD~1' }, root)).toMatchObject({
      ok: true,
    });
  });

  it('reads a bare remote: what was pushed', async () => {
    sh(g.alice, 'push', '-q', 'origin', 'main', 'v2');
    expect(await runTask(assertTag, { repo: g.remote, tag: 'v2', pointsAt: 'main' }, { root: g.root })).toEqual({
      ok: true,
      actual: second,
    });
    expect(await failure(runTask(assertTag, { repo: g.remote, tag: 'v1' }, { root: g.root }))).toBe(
      `assert.tag: ${g.remote} has no tag v1, expected it to exist (tags: v2)`,
    );
  });

  it('fails on a tag pointing elsewhere, with both commits and their messages', async () => {
    expect(await failure(runTask(assertTag, { repo: g.alice, tag: 'v1', pointsAt: 'main' }, { root: g.root }))).toBe(
      `assert.tag: ${g.alice} tag v1 is ${short(first)} (message "initial commit"), expected ${short(second)} (message "second", main)`,
    );
    expect(await failure(runTask(assertTag, { repo: g.alice, tag: 'v2', pointsAt: first }, { root: g.root }))).toBe(
      `assert.tag: ${g.alice} tag v2 is ${short(second)} (message "second"), expected ${short(first)} (message "initial commit")`,
    );
  });

  it('fails on a missing tag listing the tags there are, and where it was expected', async () => {
    expect(await failure(runTask(assertTag, { repo: g.alice, tag: 'v3', pointsAt: 'main' }, { root: g.root }))).toBe(
      `assert.tag: ${g.alice} has no tag v3, expected it to exist at ${short(second)} (message "second", main) (tags: v1, v2)`,
    );
  });

  it('says so when a branch has the name of the missing tag', async () => {
    sh(g.alice, 'branch', 'v1.0.0');
    expect(await failure(runTask(assertTag, { repo: g.alice, tag: 'v1.0.0' }, { root: g.root }))).toBe(
      `assert.tag: ${g.alice} has no tag v1.0.0, expected it to exist (tags: v1, v2; a branch v1.0.0 exists (at ${short(second)}): tag it with tag(), not checkout())`,
    );
  });

  it('fails on a present tag expected absent, with its commit', async () => {
    expect(await failure(runTask(assertTag, { repo: g.alice, tag: 'v2', exists: false }, { root: g.root }))).toBe(
      `assert.tag: ${g.alice} has tag v2 at ${short(second)} (message "second"), expected it not to exist`,
    );
  });

  it('fails when the expected commit does not exist', async () => {
    expect(await failure(runTask(assertTag, { repo: g.alice, tag: 'v1', pointsAt: 'nope' }, { root: g.root }))).toBe(
      `assert.tag: expected commit nope does not exist in ${g.alice}`,
    );
  });

  it.each([
    [{ tag: 'bad..name' }, 'tag'],
    [{ tag: 'v1', pointsAt: '-x' }, 'pointsAt'],
    [{ tag: 'v1', exists: false, pointsAt: 'main' }, 'pointsAt'],
    [{ tag: 'v1', points: 'main' }, ''],
  ])('refuses the input %j', (input, path) => {
    const r = assertTag.input.safeParse({ repo: 'alice', ...input });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].path.join('.')).toBe(path);
  });

  it('plans what it checks, and is idempotent', () => {
    const plan = (i: object) => assertTag.plan(assertTag.input.parse({ repo: 'r', tag: 'v1', ...i }));
    expect([plan({}), plan({ exists: false }), plan({ pointsAt: 'main' })]).toEqual([
      ['assert tag v1 exists in r'],
      ['assert tag v1 does not exist in r'],
      ['assert tag v1 points at main in r'],
    ]);
    expect(assertTag.isIdempotent(assertTag.input.parse({ repo: 'r', tag: 'v1' }))).toBe(true);
  });
});
