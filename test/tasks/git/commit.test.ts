// git.commit and git.tag against real clones: files written and deleted, no-op commits, identities, hooks.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { gitCommit } from '../../../tasks/git/commit.js';
import { gitHook } from '../../../tasks/git/hook.js';
import { gitTag } from '../../../tasks/git/tag.js';
import { rejection, runTask } from '../context.js';
import { BOB, makeGalaxy, sh, writeFiles, type Galaxy } from './fixture.js';

let g: Galaxy;
beforeEach(async () => {
  g = await makeGalaxy();
});

describe('git.commit', () => {
  it('writes and deletes files, then commits every change', async () => {
    const out = await runTask(
      gitCommit,
      { repo: 'alice', files: { 'src/a.txt': 'A\n', 'notes.txt': null }, message: 'add a, drop notes' },
      { root: g.root },
    );
    expect(out).toEqual({ sha: sh(g.alice, 'rev-parse', 'HEAD'), changed: true });
    expect(sh(g.alice, 'show', '--name-status', '--format=%s', 'HEAD')).toBe(
      'add a, drop notes\n\nD\tnotes.txt\nA\tsrc/a.txt',
    );
    expect(existsSync(join(g.alice, 'notes.txt'))).toBe(false);
  });

  it('makes no commit and reports changed: false when nothing changed', async () => {
    const head = sh(g.alice, 'rev-parse', 'HEAD');
    const out = await runTask(
      gitCommit,
      { repo: g.alice, files: { 'README.md': 'hello\n' }, message: 'same content' },
      { root: g.root },
    );
    expect(out).toEqual({ sha: head, changed: false });
    expect(sh(g.alice, 'rev-parse', 'HEAD')).toBe(head);
  });

  it('commits an empty change when allowEmpty is set', async () => {
    const out = await runTask(gitCommit, { repo: g.alice, message: 'empty', allowEmpty: true }, { root: g.root });
    expect(out.changed).toBe(true);
    expect(sh(g.alice, 'rev-list', '--count', 'HEAD')).toBe('2');
  });

  it('sets author and committer from `author`', async () => {
    await runTask(
      gitCommit,
      { repo: g.alice, files: { 'b.txt': 'b' }, message: 'by bob', author: BOB },
      { root: g.root },
    );
    expect(sh(g.alice, 'log', '-1', '--format=%an <%ae> / %cn <%ce>')).toBe(
      'Bob Builder <bob@example.test> / Bob Builder <bob@example.test>',
    );
  });

  it('stages only the given files when all is false', async () => {
    writeFiles(g.alice, { 'README.md': 'edited, not staged\n', 'untracked.txt': 'u' });
    await runTask(
      gitCommit,
      { repo: g.alice, files: { 'only.txt': 'o' }, message: 'only', all: false },
      { root: g.root },
    );
    expect(sh(g.alice, 'show', '--name-only', '--format=', 'HEAD')).toBe('only.txt');
    expect(sh(g.alice, 'status', '--porcelain')).toBe(' M README.md\n?? untracked.txt');
  });

  it('fails with the hook message when a pre-commit hook exits 1', async () => {
    await runTask(
      gitHook,
      { repo: g.alice, hook: 'pre-commit', script: 'echo "lint: trailing spaces in README.md" >&2\nexit 1' },
      { root: g.root },
    );
    const head = sh(g.alice, 'rev-parse', 'HEAD');
    const err = await rejection(
      runTask(gitCommit, { repo: g.alice, files: { 'README.md': 'x  \n' }, message: 'bad' }, { root: g.root }),
    );
    expect(err.message).toBe(
      `git.commit: commit in ${g.alice} failed (exit code 1):\nlint: trailing spaces in README.md`,
    );
    expect(sh(g.alice, 'rev-parse', 'HEAD')).toBe(head);
  });

  it('refuses file paths that leave the work tree or point into .git', () => {
    for (const path of ['../x', '/etc/passwd', '.git/config', 'a/../../b']) {
      const r = gitCommit.input.safeParse({ repo: 'r', message: 'm', files: { [path]: 'x' } });
      expect(r.success, path).toBe(false);
      expect(r.error?.issues[0].path[0]).toBe('files');
    }
  });

  it('plans the writes, the add and the commit', () => {
    const input = gitCommit.input.parse({
      repo: 'alice',
      files: { 'a.txt': 'abc', 'b.txt': null },
      message: 'm',
      author: BOB,
    });
    expect(gitCommit.plan(input)).toEqual([
      'write 3 bytes to a.txt in alice',
      'rm b.txt in alice',
      'git -C alice add -A',
      "git -C alice -c 'user.name=Bob Builder' -c user.email=bob@example.test commit -q -m m",
    ]);
    expect(gitCommit.isIdempotent(input)).toBe(false);
  });
});

describe('git.commit amend', () => {
  it('replaces the last commit: its changes plus the new ones, the new message, the same parent and author', async () => {
    const base = sh(g.alice, 'rev-parse', 'HEAD');
    const first = await runTask(
      gitCommit,
      { repo: g.alice, files: { 'a.txt': 'a\n' }, message: 'add a' },
      { root: g.root },
    );
    const out = await runTask(
      gitCommit,
      { repo: g.alice, files: { 'b.txt': 'b\n' }, message: 'add a and b', amend: true },
      { root: g.root },
    );
    expect(out).toEqual({ sha: sh(g.alice, 'rev-parse', 'HEAD'), changed: true, replaced: first.sha });
    expect(out.sha).not.toBe(first.sha);
    expect(sh(g.alice, 'rev-parse', 'HEAD~1')).toBe(base);
    expect(sh(g.alice, 'show', '--name-only', '--format=%s|%an', 'HEAD')).toBe(
      'add a and b|Alice Liddell\n\na.txt\nb.txt',
    );
  });

  it('amends the message alone when nothing is staged (a plain commit would be a no-op)', async () => {
    const first = await runTask(
      gitCommit,
      { repo: g.alice, files: { 'a.txt': 'a\n' }, message: 'tpyo' },
      { root: g.root },
    );
    const out = await runTask(gitCommit, { repo: g.alice, message: 'typo fixed', amend: true }, { root: g.root });
    expect(out.changed).toBe(true);
    expect(out.replaced).toBe(first.sha);
    expect(sh(g.alice, 'log', '--format=%s', '-2')).toBe('typo fixed\ninitial commit');
  });

  it('makes `author` the author of the amended commit too', async () => {
    await runTask(gitCommit, { repo: g.alice, files: { 'a.txt': 'a\n' }, message: 'by alice' }, { root: g.root });
    await runTask(gitCommit, { repo: g.alice, message: 'now by bob', amend: true, author: BOB }, { root: g.root });
    expect(sh(g.alice, 'log', '-1', '--format=%an / %cn')).toBe('Bob Builder / Bob Builder');
  });

  it('refuses to amend in a repo without commits, before writing any file', async () => {
    const repo = join(g.root, 'empty');
    sh(g.root, 'init', '-q', repo);
    const err = await rejection(
      runTask(gitCommit, { repo, files: { 'a.txt': 'a' }, message: 'm', amend: true }, { root: g.root }),
    );
    expect(err.message).toBe(`git.commit: nothing to amend in ${repo}: it has no commit yet`);
    expect(existsSync(join(repo, 'a.txt'))).toBe(false);
  });

  it('plans git commit --amend, and is not idempotent (each run replaces the commit again)', () => {
    const input = gitCommit.input.parse({ repo: 'alice', message: 'm', amend: true, author: BOB });
    expect(gitCommit.plan(input).at(-1)).toBe(
      "git -C alice -c 'user.name=Bob Builder' -c user.email=bob@example.test commit -q -m m --amend --reset-author",
    );
    expect(gitCommit.plan(gitCommit.input.parse({ repo: 'alice', message: 'm', amend: true })).at(-1)).toBe(
      'git -C alice commit -q -m m --amend',
    );
    expect(gitCommit.isIdempotent(input)).toBe(false);
  });
});

describe('git.tag', () => {
  it('tags HEAD, accepts the same tag again and refuses it on another commit', async () => {
    const head = sh(g.alice, 'rev-parse', 'HEAD');
    expect(await runTask(gitTag, { repo: g.alice, name: 'v1.0.0', message: 'release 1' }, { root: g.root })).toEqual({
      name: 'v1.0.0',
      sha: head,
    });
    expect(await runTask(gitTag, { repo: g.alice, name: 'v1.0.0', ref: 'main' }, { root: g.root })).toEqual({
      name: 'v1.0.0',
      sha: head,
    });
    expect(sh(g.alice, 'cat-file', '-t', 'v1.0.0')).toBe('tag');
    await runTask(gitCommit, { repo: g.alice, message: 'next', allowEmpty: true }, { root: g.root });
    const err = await rejection(runTask(gitTag, { repo: g.alice, name: 'v1.0.0' }, { root: g.root }));
    expect(err.message).toMatch(
      /^git\.tag: tag v1\.0\.0 already exists in .*alice at [0-9a-f]{7}, expected [0-9a-f]{7} \(HEAD\)$/,
    );
  });

  it('fails on a ref that names no commit', async () => {
    const err = await rejection(runTask(gitTag, { repo: g.alice, name: 'v2', ref: 'nope' }, { root: g.root }));
    expect(err.message).toBe(`git.tag: ref nope does not name a commit in ${g.alice}`);
  });
});
