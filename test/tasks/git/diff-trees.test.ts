// git.diff-trees on real folders: files only on one side, differing bytes, .git and ignore patterns skipped.
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { gitDiffTrees, ignoreMatcher } from '../../../tasks/git/diff-trees.js';
import { tempDir } from '../../support/git-fixtures.js';
import { rejection, runTask } from '../context.js';
import { makeGalaxy, writeFiles } from './fixture.js';

let root: string;
beforeEach(() => {
  root = tempDir('gravity-tasks-');
});

describe('git.diff-trees', () => {
  it('reports files only on the left, only on the right, and differing ones, sorted', async () => {
    writeFiles(join(root, 'l'), {
      'same.txt': 'x',
      'b/differs.txt': 'left',
      'b/only-left.txt': 'l',
      'z.txt': 'z',
      'size.bin': 'ab',
    });
    writeFiles(join(root, 'r'), {
      'same.txt': 'x',
      'b/differs.txt': 'rght',
      'a/only-right.txt': 'r',
      'z.txt': 'z',
      'size.bin': 'abc',
    });
    expect(await runTask(gitDiffTrees, { left: 'l', right: 'r' }, { root })).toEqual({
      onlyLeft: ['b/only-left.txt'],
      onlyRight: ['a/only-right.txt'],
      differing: ['b/differs.txt', 'size.bin'],
    });
  });

  it('finds two clones of the same commit identical though their .git folders differ', async () => {
    const g = await makeGalaxy({ 'src/main.ts': 'export {};\n' });
    const out = await runTask(gitDiffTrees, { left: g.alice, right: g.bob }, { root });
    expect(out).toEqual({ onlyLeft: [], onlyRight: [], differing: [] });
  });

  it('skips ignored prefixes and globs', async () => {
    writeFiles(join(root, 'l'), { 'build/out.js': '1', 'keep.txt': 'k', 'deep/x.log': 'a', 'docs/a.md': 'a' });
    writeFiles(join(root, 'r'), { 'build/out.js': '2', 'keep.txt': 'k', 'y.log': 'b', 'docs/a.md': 'b' });
    const out = await runTask(
      gitDiffTrees,
      { left: 'l', right: 'r', ignore: ['build/', '*.log', 'docs/**'] },
      { root },
    );
    expect(out).toEqual({ onlyLeft: [], onlyRight: [], differing: [] });
  });

  it('compares symlinks by target', async () => {
    mkdirSync(join(root, 'l'));
    mkdirSync(join(root, 'r'));
    symlinkSync('a', join(root, 'l', 'link'));
    symlinkSync('b', join(root, 'r', 'link'));
    expect((await runTask(gitDiffTrees, { left: 'l', right: 'r' }, { root })).differing).toEqual(['link']);
  });

  it('fails naming the side that is not a folder', async () => {
    mkdirSync(join(root, 'l'));
    const err = await rejection(runTask(gitDiffTrees, { left: 'l', right: 'missing' }, { root }));
    expect(err.message).toBe(`git.diff-trees: right ${join(root, 'missing')} is not a folder`);
  });
});

describe('ignore patterns', () => {
  it.each([
    ['build', 'build/a/b.js', true],
    ['build/', 'build', true],
    ['build', 'builder/x', false],
    ['*.log', 'a/b/c.log', true],
    ['*.log', 'a.log.txt', false],
    ['dist/*.js', 'dist/a.js', true],
    ['dist/*.js', 'dist/sub/a.js', false],
    ['dist/**/*.js', 'dist/sub/a.js', true],
    ['dist/**/*.js', 'dist/a.js', true],
    ['?.txt', 'a.txt', true],
    ['?.txt', 'ab.txt', false],
  ])('pattern %s applied to %s ignores it: %s', (pattern, path, ignored) => {
    expect(ignoreMatcher([pattern])(path)).toBe(ignored);
  });
});
