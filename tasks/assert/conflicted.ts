// Asserts exactly which files of a work tree are in conflict after a merge, pull or rebase stopped.
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { conflictedFiles, repoRelativePath } from '../git/support.js';
import { assertedRepo, assertionFailed, assertOutput } from './support-git.js';

/** Input of `assert.conflicted`; an empty list asserts that nothing is in conflict. */
export const assertConflictedInput = z.strictObject({
  repo: z.string().min(1).describe('A clone with a merge, pull or rebase stopped on conflicts.'),
  files: z
    .array(repoRelativePath)
    .describe('Paths relative to the work tree, in any order; a leading "./" is ignored.'),
});

/** Output of `assert.conflicted`: the conflicted paths, sorted. */
export const assertConflictedOutput = assertOutput(z.array(z.string()).describe('The conflicted paths, sorted.'));

const TASK = 'assert.conflicted';

/** `[a, b]` for a list of paths. */
function list(paths: readonly string[]): string {
  return `[${paths.join(', ')}]`;
}

/**
 * Passes when the unmerged paths of `repo` (`git diff --name-only --diff-filter=U`) are exactly `files`,
 * in any order. The failure names the missing and the unexpected ones. It reads the index only, so a
 * file whose markers were edited away but not staged still counts as conflicted.
 */
export const assertConflicted = defineTask({
  id: TASK,
  title: 'Assert conflicted files',
  description:
    'Fails unless exactly <files> are in conflict in <repo>. A scenario expectation: a failure says expected vs actual, repo and ref.',
  input: assertConflictedInput,
  output: assertConflictedOutput,
  idempotent: true,
  plan: (i) => [`assert ${i.repo} has exactly ${i.files.length ? list(i.files) : 'no files'} in conflict`],
  async run(ctx) {
    const repo = assertedRepo(ctx, TASK, ctx.input.repo);
    const expected = [...new Set(ctx.input.files.map((f) => f.replace(/^\.\//, '')))].sort();
    const actual = await conflictedFiles(ctx, repo);
    const missing = expected.filter((f) => !actual.includes(f));
    const unexpected = actual.filter((f) => !expected.includes(f));
    if (missing.length || unexpected.length) {
      const why = [
        missing.length ? `not conflicted: ${list(missing)}` : '',
        unexpected.length ? `unexpected: ${list(unexpected)}` : '',
      ]
        .filter(Boolean)
        .join('; ');
      throw assertionFailed(TASK, `${repo} has conflicts in ${list(actual)}, expected ${list(expected)} (${why})`, {
        repo,
        expected,
        actual,
        missing,
        unexpected,
      });
    }
    ctx.log.info(`${repo} has conflicts in ${list(actual)}, as expected`);
    return { ok: true as const, actual };
  },
});
