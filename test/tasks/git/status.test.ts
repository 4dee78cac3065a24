// Reading a work tree with one `git status --porcelain=v2 --branch -z`: odd paths, renames, conflicts, detached and unborn HEADs, git processes spent.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { exec, type Exec } from '../../../engine/index.js';
import { assertTreeClean } from '../../../tasks/assert/tree-clean.js';
import { parseStatusV2 } from '../../../tasks/git/support-status.js';
import { gitStatus } from '../../../tasks/git/status.js';
import { cleanup, contextFor, tempRoot } from '../context.js';
import { commit, disposeTemplates, makeGalaxy, sh, shCode, writeFiles, type Galaxy } from './fixture.js';

let g: Galaxy;
beforeEach(async () => {
  g = await makeGalaxy();
});
afterAll(() => disposeTemplates());

/** Runs git.status (or assert.tree-clean) on `input` and returns its output and the git command lines it ran. */
async function traced<O>(
  task: typeof gitStatus | typeof assertTreeClean,
  input: Record<string, unknown>,
  root = g.root,
) {
  const { ctx } = contextFor(task as typeof gitStatus, input, { root });
  const commands: string[] = [];
  const counting: Exec = (command, args = [], o) => (
    commands.push([command, ...args].join(' ')),
    exec(command, args, o)
  );
  const output = (await task.run({ ...ctx, exec: counting } as never)) as O;
  return { output, commands };
}

/** Paths git itself would quote or split: spaces at either end, a newline, a tab, quotes, an arrow, non-ASCII. */
const ODD = [' lead.txt', 'trail.txt ', 'new\nline.txt', 'tab\there.txt', 'quo"te.txt', 'a -> b.txt', 'ünïcødé €.txt'];

describe('parseStatusV2', () => {
  it('reads the branch headers and every kind of entry, a rename by its new path only', () => {
    const out = [
      '# branch.oid 0123456789abcdef0123456789abcdef01234567',
      '# branch.head feature/x',
      '# branch.upstream origin/feature/x',
      '# branch.ab +2 -3',
      '1 .M N... 100644 100644 100644 aaaa bbbb with space.txt',
      '2 R. N... 100644 100644 100644 aaaa aaaa R100 new name.txt',
      'old name.txt',
      'u UU N... 100644 100644 100644 100644 aaaa bbbb cccc both.txt',
      '? dir/new\nline.txt',
      '',
    ].join('\0');
    expect(parseStatusV2(out)).toEqual({
      branch: 'feature/x',
      head: '0123456789abcdef0123456789abcdef01234567',
      upstream: 'origin/feature/x',
      ab: { ahead: 2, behind: 3 },
      conflicted: ['both.txt'],
      modified: ['new name.txt', 'with space.txt'],
      untracked: ['dir/new\nline.txt'],
    });
  });

  it('reads a detached HEAD as no branch, an unborn one as no commit, and unknown counts as none', () => {
    expect(parseStatusV2('# branch.oid abc\0# branch.head (detached)\0')).toMatchObject({ branch: null, head: 'abc' });
    expect(parseStatusV2('# branch.oid (initial)\0# branch.head main\0')).toMatchObject({ branch: 'main', head: '' });
    expect(
      parseStatusV2('# branch.oid abc\0# branch.head main\0# branch.upstream origin/main\0# branch.ab +? -?\0').ab,
    ).toBeUndefined();
  });
});

describe('git.status on real repos', () => {
  it('lists untracked, then staged, paths with spaces, newlines, tabs, quotes and unicode exactly as written', async () => {
    writeFiles(g.bob, Object.fromEntries(ODD.map((p) => [p, 'x\n'])));
    const untracked = (await traced<{ untracked: string[] }>(gitStatus, { repo: g.bob })).output;
    expect(untracked.untracked).toEqual([...ODD].sort());
    sh(g.bob, 'add', '-A');
    const staged = (await traced<{ modified: string[]; untracked: string[] }>(gitStatus, { repo: g.bob })).output;
    expect(staged).toMatchObject({ modified: [...ODD].sort(), untracked: [] });
  });

  it('counts a staged rename once by its new path, and an index change whose file is gone since as modified', async () => {
    sh(g.bob, 'mv', 'notes.txt', 'renamed notes.txt');
    writeFiles(g.bob, { 'added.txt': 'a\n', 'README.md': 'staged\n' });
    sh(g.bob, 'add', 'added.txt', 'README.md');
    rmSync(join(g.bob, 'added.txt'));
    rmSync(join(g.bob, 'README.md'));
    const { output } = await traced<{ modified: string[]; clean: boolean }>(gitStatus, { repo: g.bob });
    expect(output).toMatchObject({ clean: false, modified: ['README.md', 'added.txt', 'renamed notes.txt'] });
  });

  it('lists both-modified, both-added and deleted-by-one-side conflicts', async () => {
    commit(g.alice, 'alice', {
      'notes.txt': 'alice\n',
      'both.txt': 'alice\n',
      'gone-on-bob.txt': 'base\n',
      'gone-on-alice.txt': 'base\n',
    });
    sh(g.alice, 'push', '-q', 'origin', 'main');
    sh(g.bob, 'pull', '-q', '--no-rebase', 'origin', 'main');
    commit(g.alice, 'alice 2', { 'notes.txt': 'alice 2\n', 'both.txt': 'alice 2\n', 'gone-on-bob.txt': 'alice\n' });
    sh(g.alice, 'rm', '-q', 'gone-on-alice.txt');
    sh(g.alice, 'commit', '-q', '-m', 'alice removes');
    sh(g.alice, 'push', '-q', 'origin', 'main');
    commit(g.bob, 'bob', {
      'notes.txt': 'bob\n',
      'both.txt': 'bob\n',
      'gone-on-alice.txt': 'bob\n',
      'new both.txt': 'bob\n',
    });
    sh(g.bob, 'rm', '-q', 'gone-on-bob.txt');
    sh(g.bob, 'commit', '-q', '-m', 'bob removes');
    commit(g.alice, 'alice adds', { 'new both.txt': 'alice\n' });
    sh(g.alice, 'push', '-q', 'origin', 'main');
    expect(shCode(g.bob, 'pull', '-q', '--no-rebase', 'origin', 'main')).not.toBe(0);
    const { output } = await traced<{ conflicted: string[] }>(gitStatus, { repo: g.bob });
    expect(output.conflicted).toEqual([
      'both.txt',
      'gone-on-alice.txt',
      'gone-on-bob.txt',
      'new both.txt',
      'notes.txt',
    ]);
  });

  it('reports a detached HEAD as "HEAD" with its commit and no counts', async () => {
    const first = sh(g.bob, 'rev-parse', 'HEAD');
    commit(g.bob, 'bob 1', { 'b.txt': '1' });
    sh(g.bob, 'switch', '-q', '--detach', first);
    const { output } = await traced(gitStatus, { repo: g.bob });
    expect(output).toMatchObject({ branch: 'HEAD', head: first, ahead: 0, behind: 0, clean: true });
  });

  it('reports an unborn branch by name with an empty head', async () => {
    const root = await tempRoot();
    try {
      sh(root, 'init', '-q', '-b', 'trunk', 'fresh');
      const { output } = await traced(gitStatus, { repo: 'fresh' }, root);
      expect(output).toMatchObject({ branch: 'trunk', head: '', ahead: 0, behind: 0, clean: true });
    } finally {
      await cleanup(root);
    }
  });
});

describe('git processes spent reading a status', () => {
  it('spends one git process when <remote>/<branch> is the upstream, with the counts rev-list gives', async () => {
    commit(g.alice, 'alice 1', { 'a.txt': '1' });
    sh(g.alice, 'push', '-q', 'origin', 'main');
    commit(g.bob, 'bob 1', { 'b.txt': '1' });
    commit(g.bob, 'bob 2', { 'b.txt': '2' });
    sh(g.bob, 'fetch', '-q', 'origin');
    const { output, commands } = await traced(gitStatus, { repo: g.bob });
    expect(output).toMatchObject({ branch: 'main', ahead: 2, behind: 1 });
    expect(sh(g.bob, 'rev-list', '--left-right', '--count', 'HEAD...refs/remotes/origin/main')).toBe('2\t1');
    expect(commands).toEqual(['git status --porcelain=v2 --branch -z --untracked-files=all']);
  });

  it('counts against <remote>/<branch> with rev-list when that is not the upstream, and all commits when it does not exist', async () => {
    sh(g.bob, 'switch', '-q', '-c', 'topic');
    commit(g.bob, 'topic', { 't.txt': 't' });
    const against = await traced(gitStatus, { repo: g.bob, branch: 'main' });
    expect(against.output).toMatchObject({ branch: 'topic', ahead: 1, behind: 0 });
    expect(against.commands).toHaveLength(3);
    const missing = await traced(gitStatus, { repo: g.bob });
    expect(missing.output).toMatchObject({ branch: 'topic', ahead: 2, behind: 0 });
    expect(missing.commands).toHaveLength(3);
  });

  it('keeps counting a remote-tracking branch whose upstream setting points elsewhere', async () => {
    // bob's main tracks origin/main; a second remote "mirror" with the same branch is counted by rev-list
    sh(g.bob, 'remote', 'add', 'mirror', g.remote);
    sh(g.bob, 'fetch', '-q', 'mirror');
    commit(g.bob, 'bob 1', { 'b.txt': '1' });
    const { output, commands } = await traced(gitStatus, { repo: g.bob, remote: 'mirror' });
    expect(output).toMatchObject({ ahead: 1, behind: 0 });
    expect(commands.slice(1).join('\n')).toMatch(/rev-list --left-right --count HEAD\.\.\.refs\/remotes\/mirror\/main/);
  });

  it('reads a work tree for assert.tree-clean with one git process, whatever the branch tracks', async () => {
    renameSync(join(g.bob, 'notes.txt'), join(g.bob, 'moved.txt'));
    sh(g.bob, 'switch', '-q', '-c', 'untracked-branch');
    const { ctx } = contextFor(assertTreeClean, { repo: g.bob }, { root: g.root });
    let spawned = 0;
    const counting: Exec = (command, args, o) => (spawned++, exec(command, args, o));
    await expect(assertTreeClean.run({ ...ctx, exec: counting })).rejects.toThrow(
      `assert.tree-clean: ${g.bob} on untracked-branch has 2 changes, expected a clean tree: M notes.txt, ?? moved.txt`,
    );
    expect(spawned).toBe(1);
  });
});
