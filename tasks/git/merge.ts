// Merges a branch into the checked-out one as a task node; conflicts are reported as output, not errors.
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { lastLines } from '../support/format.js';
import { git } from '../support/git.js';
import { conflictedFiles, gitLine, repoDir, requireRepo, revision, revParse, short } from './support.js';

/** Input of `git.merge`. */
export const gitMergeInput = z.strictObject({
  repo: z.string().min(1).describe('A clone (absolute, or relative to the run root).'),
  from: revision.describe('What to merge: a branch, `origin/main`, a tag or a sha.'),
  noFf: z.boolean().default(false).describe('Always make a merge commit, even when a fast-forward would do.'),
  message: z.string().min(1).optional().describe("The merge commit's message (default: git's)."),
});

/** Output of `git.merge`: HEAD after the merge, whether it moved, and the conflicted paths (sorted). */
export const gitMergeOutput = z.object({
  head: z.string().describe('HEAD after the merge.'),
  merged: z.boolean().describe('Whether HEAD moved (false on conflicts, or when already up to date).'),
  conflicts: z.array(z.string()).describe('The conflicted paths, sorted; empty when the merge went through.'),
});

/** The `git merge` arguments for an input. */
function mergeArgs(i: z.output<typeof gitMergeInput>): string[] {
  return ['merge', '--no-edit', ...(i.noFf ? ['--no-ff'] : []), ...(i.message ? ['-m', i.message] : []), i.from];
}

/**
 * Runs `git merge --no-edit [--no-ff] [-m <message>] <from>`. A merge that stops on conflicts returns
 * `merged: false` and the conflicted paths, leaving the merge in progress for the scenario to resolve
 * (git.commit concludes it); "Already up to date" returns `merged: false` and no conflicts.
 * Any other failure is an error.
 */
export const gitMerge = defineTask({
  id: 'git.merge',
  title: 'Merge a branch',
  description: 'git merge <from>; conflicts are output (merged: false, conflicts: [...]).',
  input: gitMergeInput,
  output: gitMergeOutput,
  idempotent: false,
  plan: (i) => [gitLine(i.repo, mergeArgs(i))],
  async run(ctx) {
    const { from } = ctx.input;
    const repo = repoDir(ctx.root, ctx.input.repo);
    requireRepo(repo, 'git.merge');
    if ((await revParse(ctx, repo, from)) === null) {
      throw new TaskError(`git.merge: from ${from} does not name a commit in ${repo}`, { repo, from });
    }
    const before = await revParse(ctx, repo, 'HEAD');
    const r = await git(ctx, repo, mergeArgs(ctx.input), { allowFail: true });
    const head = (await revParse(ctx, repo, 'HEAD')) ?? '';
    if (r.exitCode !== 0) {
      const conflicts = await conflictedFiles(ctx, repo);
      if (conflicts.length === 0) {
        const tail = lastLines(`${r.stdout}\n${r.stderr}`, 8);
        throw new TaskError(`git.merge: merge of ${from} into ${repo} failed (exit code ${r.exitCode}):\n${tail}`, {
          repo,
          from,
          stderr: r.stderr,
        });
      }
      ctx.log.warn(`merge of ${from} into ${repo} stopped on ${conflicts.length} conflict(s): ${conflicts.join(', ')}`);
      return { head, merged: false, conflicts };
    }
    const merged = head !== before;
    ctx.log.info(
      merged
        ? `merged ${from} into ${repo}: HEAD ${short(before)} -> ${short(head)}`
        : `${repo} already contains ${from}`,
    );
    return { head, merged, conflicts: [] };
  },
});
