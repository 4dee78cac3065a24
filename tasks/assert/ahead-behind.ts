// Asserts how many commits a clone is ahead of and behind its remote branch, as of the last fetch.
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { aheadBehind } from '../git/support-status.js';
import { branchOrCurrent, refName } from '../git/support.js';
import { assertedRepo, assertionFailed, assertOutput } from './support-git.js';

/** Input of `assert.ahead-behind`. */
export const assertAheadBehindInput = z.strictObject({
  repo: z.string().min(1).describe('A clone.'),
  ahead: z.number().int().min(0).describe('Commits HEAD has that the remote branch lacks.'),
  behind: z.number().int().min(0).describe('Commits of the remote branch that HEAD lacks.'),
  remote: refName('remote').default('origin').describe('A configured remote name, not a url.'),
  branch: refName('branch')
    .optional()
    .describe("Branch of the remote to compare HEAD with (default: the checked-out branch's name)."),
});

/** Output of `assert.ahead-behind`: the actual counts. */
export const assertAheadBehindOutput = assertOutput(
  z
    .object({
      ahead: z.number().int().describe('Commits HEAD has that the remote branch lacks.'),
      behind: z.number().int().describe('Commits of the remote branch that HEAD lacks.'),
    })
    .describe('The actual counts.'),
);

const TASK = 'assert.ahead-behind';

/** "1 ahead, 0 behind". */
function counts(c: { ahead: number; behind: number }): string {
  return `${c.ahead} ahead, ${c.behind} behind`;
}

/**
 * Passes when HEAD of `repo` has exactly `ahead` commits that `<remote>/<branch>` lacks and lacks exactly
 * `behind` of its commits. It does not fetch: run git.fetch first to compare with the remote's present.
 */
export const assertAheadBehind = defineTask({
  id: TASK,
  title: 'Assert ahead/behind counts',
  description:
    'Fails unless HEAD of <repo> is exactly <ahead> ahead of and <behind> behind <remote>/<branch>. A scenario expectation: a failure says expected vs actual, repo and ref.',
  input: assertAheadBehindInput,
  output: assertAheadBehindOutput,
  idempotent: true,
  plan: (i) => [`assert ${i.repo} is ${counts(i)} ${i.remote}/${i.branch ?? '<current branch>'}`],
  async run(ctx) {
    const { remote } = ctx.input;
    const repo = assertedRepo(ctx, TASK, ctx.input.repo);
    const branch = await branchOrCurrent(ctx, repo, ctx.input.branch, TASK);
    const actual = await aheadBehind(ctx, repo, remote, branch);
    if (actual.ahead !== ctx.input.ahead || actual.behind !== ctx.input.behind) {
      throw assertionFailed(
        TASK,
        `${repo} ${branch} is ${counts(actual)} ${remote}/${branch}, expected ${counts(ctx.input)}`,
        {
          repo,
          remote,
          branch,
          expected: { ahead: ctx.input.ahead, behind: ctx.input.behind },
          actual,
        },
      );
    }
    ctx.log.info(`${repo} ${branch} is ${counts(actual)} ${remote}/${branch}, as expected`);
    return { ok: true as const, actual };
  },
});
