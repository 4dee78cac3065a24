// Switches a work tree to a branch as a task node, optionally creating it; re-running lands on the same branch.
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { git } from '../support/git.js';
import { currentBranch, gitLine, refName, repoDir, requireRepo, revision, revParse, short } from './support.js';

/** Input of `git.checkout`. */
export const gitCheckoutInput = z.strictObject({
  repo: z.string().min(1).describe('A clone (absolute, or relative to the run root).'),
  branch: refName('branch').describe('The branch to check out.'),
  create: z.boolean().default(false).describe('Create the branch (`git switch -c`).'),
  startPoint: revision.optional().describe('Where a created branch starts (default HEAD).'),
});

/** Output of `git.checkout`: the branch now checked out and its commit (null on an unborn branch). */
export const gitCheckoutOutput = z.object({
  branch: z.string().describe('The branch now checked out.'),
  head: z.string().nullable().describe('Its commit; null on an unborn branch.'),
});

/** The `git switch` arguments for an input. */
function switchArgs(i: z.output<typeof gitCheckoutInput>): string[] {
  if (!i.create) return ['switch', '-q', i.branch];
  return ['switch', '-q', '-c', i.branch, ...(i.startPoint ? [i.startPoint] : [])];
}

/**
 * Runs `git switch <branch>` (which also creates a local branch tracking `origin/<branch>` when only that
 * exists) or `git switch -c <branch> [<startPoint>]`. When asked to create a branch that already exists at
 * the start point (a re-run), it switches to it; one that exists elsewhere is an error.
 */
export const gitCheckout = defineTask({
  id: 'git.checkout',
  title: 'Check out a branch',
  description:
    'git switch [-c] <branch> [<startPoint>]; creating a branch that already exists at the start point just switches to it.',
  input: gitCheckoutInput,
  output: gitCheckoutOutput,
  idempotent: true,
  plan: (i) => [gitLine(i.repo, switchArgs(i))],
  async run(ctx) {
    const { branch, create, startPoint } = ctx.input;
    const repo = repoDir(ctx.root, ctx.input.repo);
    requireRepo(repo, 'git.checkout');
    let args = switchArgs(ctx.input);
    if (create) {
      const existing = await revParse(ctx, repo, `refs/heads/${branch}`);
      if (existing) {
        const from = startPoint ?? 'HEAD';
        const wanted = await revParse(ctx, repo, from);
        if (wanted !== existing && (await currentBranch(ctx, repo)) !== branch) {
          throw new TaskError(
            `git.checkout: branch ${branch} already exists in ${repo} at ${short(existing)}, expected it at ${short(wanted)} (startPoint ${from})`,
            { repo, branch, existing, startPoint: from, wanted },
          );
        }
        args = ['switch', '-q', branch];
      }
    }
    await git(ctx, repo, args);
    const head = await revParse(ctx, repo, 'HEAD');
    ctx.log.info(`${repo} is on ${branch} at ${short(head)}`);
    return { branch, head };
  },
});
