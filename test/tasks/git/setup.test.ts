// git.init, git.clone, git.config, git.checkout and git.hook against real repos, plus name validation.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onceIn, supervisedExec } from '../../../engine/supervisor.js';
import { gitCheckout } from '../../../tasks/git/checkout.js';
import { gitClone, partialDir } from '../../../tasks/git/clone.js';
import { gitConfig } from '../../../tasks/git/config.js';
import { gitHook } from '../../../tasks/git/hook.js';
import { gitInit } from '../../../tasks/git/init.js';
import { refNameProblem } from '../../../tasks/git/support.js';
import { tempDir } from '../../support/git-fixtures.js';
import { contextFor, rejection, runTask } from '../context.js';
import { ALICE, commit, makeGalaxy, sh, shCode, type Galaxy } from './fixture.js';

describe('git.init', () => {
  it.each([
    [true, 'main', 'true'],
    [false, 'trunk', 'false'],
  ])('creates a repo (bare: %s) whose first branch is %s', async (bare, defaultBranch, isBare) => {
    const root = tempDir('gravity-tasks-');
    const out = await runTask(gitInit, { dir: 'repos/r', bare, defaultBranch }, { root });
    expect(out).toEqual({ dir: join(root, 'repos/r'), bare });
    expect(sh(out.dir, 'rev-parse', '--is-bare-repository')).toBe(isBare);
    expect(sh(out.dir, 'symbolic-ref', 'HEAD')).toBe(`refs/heads/${defaultBranch}`);
  });

  it('leaves an existing repo of the same kind alone and refuses one of the other kind', async () => {
    const root = tempDir('gravity-tasks-');
    await runTask(gitInit, { dir: 'r', bare: true }, { root });
    expect(await runTask(gitInit, { dir: 'r', bare: true }, { root })).toEqual({ dir: join(root, 'r'), bare: true });
    const err = await rejection(runTask(gitInit, { dir: 'r' }, { root }));
    expect(err.message).toBe(`git.init: dir ${join(root, 'r')} is already a bare repository, expected a non-bare one`);
  });

  it('plans the git command line', () => {
    expect(gitInit.plan(gitInit.input.parse({ dir: '/x/r', bare: true }))).toEqual([
      'mkdir -p /x/r',
      '(cd /x/r && git init -q --bare -b main)',
    ]);
  });
});

describe('git.clone', () => {
  it('clones with the actor identity in the local config and reports head and branch', async () => {
    const g = await makeGalaxy();
    const out = await runTask(
      gitClone,
      { url: g.remote, dir: 'carol', user: { name: 'Carol', email: 'carol@example.test' } },
      { root: g.root },
    );
    expect(out).toEqual({ dir: join(g.root, 'carol'), head: sh(g.alice, 'rev-parse', 'HEAD'), branch: 'main' });
    expect(sh(out.dir, 'config', '--local', 'user.name')).toBe('Carol');
    expect(sh(out.dir, 'config', '--local', 'user.email')).toBe('carol@example.test');
  });

  it('reuses an existing clone of the same url and refuses a folder holding something else', async () => {
    const g = await makeGalaxy();
    const again = await runTask(gitClone, { url: g.remote, dir: 'alice', user: ALICE }, { root: g.root });
    expect(again).toMatchObject({ dir: g.alice, branch: 'main' });
    const err = await rejection(
      runTask(gitClone, { url: join(g.root, 'elsewhere.git'), dir: 'bob' }, { root: g.root }),
    );
    expect(err.message).toMatch(
      /^git\.clone: dir .*\/bob already holds a repository cloned from .*remote\.git, not a clone of/,
    );
  });

  it('clones an empty repository with a null head', async () => {
    const root = tempDir('gravity-tasks-');
    sh(root, 'init', '-q', '--bare', '-b', 'main', 'empty.git');
    const out = await runTask(gitClone, { url: 'empty.git', dir: 'c' }, { root });
    expect(out.head).toBeNull();
  });

  it('never leaves a half clone in dir: it clones beside it, then renames; a leftover of a killed clone is removed', async () => {
    const g = await makeGalaxy();
    // what a clone killed halfway left: a repository without commits, beside dir
    const partial = partialDir(join(g.root, 'dave'));
    sh(g.root, 'init', '-q', partial);
    const out = await runTask(gitClone, { url: g.remote, dir: 'dave' }, { root: g.root });
    expect(out).toEqual({ dir: join(g.root, 'dave'), head: sh(g.alice, 'rev-parse', 'HEAD'), branch: 'main' });
    expect(existsSync(partial)).toBe(false);
    // an empty dir (made by hand, or by a tool before) is filled the same way
    mkdirSync(join(g.root, 'erin'));
    const erin = await runTask(gitClone, { url: g.remote, dir: 'erin' }, { root: g.root });
    expect(erin.head).toBe(sh(g.alice, 'rev-parse', 'HEAD'));
  });

  it('replays an interrupted attempt over its commands: the path it took, no second clone, the rename not redone', async () => {
    const g = await makeGalaxy();
    const attempt = join(tempDir('gravity-tasks-'), 'attempt-1');
    const input = { url: g.remote, dir: 'fay', user: ALICE };
    // a supervised attempt of the clone (its commands under the supervisor, its decisions kept in its folder)
    const supervised = (replay: boolean) => {
      const t = contextFor(gitClone, input, { root: g.root });
      t.ctx.exec = supervisedExec(attempt, replay);
      t.ctx.once = onceIn(attempt);
      return t;
    };
    const first = await gitClone.run(supervised(false).ctx);
    const clones = () =>
      readdirSync(attempt)
        .filter((c) => /^c\d+$/.test(c))
        .map((c) => JSON.parse(readFileSync(join(attempt, c, 'command.json'), 'utf8')) as { args: string[] })
        .filter((c) => c.args[0] === 'clone');
    expect(clones()).toHaveLength(1);
    // killed after its rename, before its end was journaled: dir is a clone now, yet the replay takes the clone path
    // (reuse would run other commands, which the recorded ones refuse), adopts the clone and leaves dir as it is
    const made = statSync(join(g.root, 'fay', '.git')).ino;
    const again = await gitClone.run(supervised(true).ctx);
    expect(again).toEqual(first);
    expect(clones()).toHaveLength(1);
    expect(statSync(join(g.root, 'fay', '.git')).ino).toBe(made);
    expect(existsSync(partialDir(join(g.root, 'fay')))).toBe(false);
    // a fresh attempt (not a replay) over a folder that holds the clone reuses it
    expect(await runTask(gitClone, input, { root: g.root })).toEqual(first);
  });

  it('checks out the asked branch', async () => {
    const g = await makeGalaxy();
    sh(g.alice, 'push', '-q', 'origin', 'main:release');
    const out = await runTask(gitClone, { url: g.remote, dir: 'rel', branch: 'release' }, { root: g.root });
    expect(out.branch).toBe('release');
  });
});

describe('git.config', () => {
  it('sets values in the local config and is a no-op the second time', async () => {
    const g = await makeGalaxy();
    const input = { repo: g.bob, values: { 'pull.rebase': 'true', 'user.name': 'Robert' } };
    expect(await runTask(gitConfig, input, { root: g.root })).toEqual({ repo: g.bob });
    expect(await runTask(gitConfig, input, { root: g.root })).toEqual({ repo: g.bob });
    expect(sh(g.bob, 'config', '--local', 'user.name')).toBe('Robert');
    expect(sh(g.bob, 'config', '--local', 'pull.rebase')).toBe('true');
  });

  it('refuses a key git would not accept', () => {
    expect(() => gitConfig.input.parse({ repo: 'r', values: { nodot: 'x' } })).toThrow(/config key/);
  });
});

describe('git.checkout', () => {
  it('creates a branch, is a no-op when re-run, and switches back', async () => {
    const g = await makeGalaxy();
    const head = sh(g.alice, 'rev-parse', 'HEAD');
    const create = { repo: g.alice, branch: 'feature/x', create: true };
    expect(await runTask(gitCheckout, create, { root: g.root })).toEqual({ branch: 'feature/x', head });
    commit(g.alice, 'on feature', { 'f.txt': 'f\n' });
    expect((await runTask(gitCheckout, create, { root: g.root })).branch).toBe('feature/x');
    expect(await runTask(gitCheckout, { repo: g.alice, branch: 'main' }, { root: g.root })).toEqual({
      branch: 'main',
      head,
    });
    const err = await rejection(runTask(gitCheckout, create, { root: g.root }));
    expect(err.message).toMatch(
      /^git\.checkout: branch feature\/x already exists in .* at [0-9a-f]{7}, expected it at [0-9a-f]{7} \(startPoint HEAD\)$/,
    );
  });

  it('creates a local branch from the remote one of the same name', async () => {
    const g = await makeGalaxy();
    sh(g.alice, 'push', '-q', 'origin', 'main:develop');
    sh(g.bob, 'fetch', '-q');
    expect(await runTask(gitCheckout, { repo: g.bob, branch: 'develop' }, { root: g.root })).toMatchObject({
      branch: 'develop',
    });
    expect(sh(g.bob, 'rev-parse', '--abbrev-ref', '@{upstream}')).toBe('origin/develop');
  });
});

describe('git.hook', () => {
  it.each([
    ['bare remote', 'pre-receive', (x: Galaxy) => x.remote, 'hooks/pre-receive'],
    ['clone', 'pre-commit', (x: Galaxy) => x.alice, '.git/hooks/pre-commit'],
  ] as const)('installs a hook into a %s, mode 0755, with a #!/bin/sh line', async (_kind, hook, repo, rel) => {
    const g = await makeGalaxy();
    const out = await runTask(gitHook, { repo: repo(g), hook, script: 'exit 0' }, { root: g.root });
    expect(out.path).toBe(join(repo(g), rel));
    expect(statSync(out.path).mode & 0o777).toBe(0o755);
    expect(await readFile(out.path, 'utf8')).toBe('#!/bin/sh\nexit 0\n');
  });

  it('warns that a client-side hook never runs in a bare repository', async () => {
    const g = await makeGalaxy();
    const { ctx, lines } = contextFor(
      gitHook,
      { repo: g.remote, hook: 'pre-commit', script: 'exit 1' },
      { root: g.root },
    );
    await gitHook.run(ctx);
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
      `pre-commit is a client-side hook: it never runs in the bare repository ${g.remote}`,
    ]);
  });

  it('refuses a hook name outside the fixed list, naming the parameter', () => {
    const r = gitHook.input.safeParse({ repo: 'r', hook: '../../evil', script: 'x' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].path).toEqual(['hook']);
  });
});

describe('branch and tag names', () => {
  it.each([
    'main',
    'feature/x-1',
    'v1.2.3',
    'alice@home',
    'a',
    '-x',
    'a..b',
    'a b',
    'a~1',
    'a^',
    'a:b',
    'a?',
    'a*',
    'a[',
    'a\\b',
    'a/',
    '/a',
    'a//b',
    'a.',
    '.a',
    'a/.b',
    'a.lock',
    'a/b.lock/c',
    'a@{1}',
  ])('agree with git check-ref-format on refs/heads/"%s"', (name) => {
    const gitSays = name.startsWith('-') ? 1 : shCode(tmpdir(), 'check-ref-format', `refs/heads/${name}`);
    expect(refNameProblem(name) === undefined).toBe(gitSays === 0);
  });

  it.each(['', 'HEAD', '@'])('refuse "%s" as a branch name (git reads HEAD and @ as revisions)', (name) => {
    expect(refNameProblem(name)).toBeDefined();
  });

  it('fail validation with the parameter and the reason', () => {
    const r = gitCheckout.input.safeParse({ repo: 'r', branch: 'bad..name' });
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['branch', '"bad..name" is not a valid branch name: it contains ".."'],
    ]);
  });
});
