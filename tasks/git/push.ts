// Pushes a branch as a task node and tells an accepted push from a refused one (non-fast-forward, hook).
import { z } from 'zod';
import { defineTask, ErrorCode, TaskError } from '../../engine/index.js';
import { pushArgs, pushOnce } from './support-push.js';
import { gitLine, refName, repoDir, requireRepo } from './support.js';

/** Input of `git.push`. */
export const gitPushInput = z.strictObject({
  repo: z.string().min(1).describe('A clone (absolute, or relative to the run root).'),
  remote: refName('remote').default('origin').describe('A configured remote name, not a url.'),
  branch: refName('branch')
    .optional()
    .describe('Branch to push (default: the checked-out one), to the branch of the same name.'),
  force: z
    .boolean()
    .default(false)
    .describe('Force the push (`--force`): replaces the remote branch even when it is not an ancestor.'),
  setUpstream: z
    .boolean()
    .default(false)
    .describe('Make the remote branch the upstream of the local one (`--set-upstream`).'),
  tags: z.boolean().default(false).describe('Push every tag as well.'),
  expect: z
    .enum(['accepted', 'rejected', 'any'])
    .default('accepted')
    .describe('What the scenario expects of the remote; the step fails when the outcome differs.'),
});

/** Output of `git.push`: the outcome and, when refused, git's reason (hook output included). */
export const gitPushOutput = z.object({
  accepted: z.boolean().describe('Whether the remote took the push.'),
  rejected: z.boolean().describe('Whether the remote refused it.'),
  reason: z.string().describe("When refused, git's reason (hook output included)."),
});

/**
 * Runs `git push [--force] [--set-upstream] [--tags] <remote> <branch>`. A refusal is an outcome, checked
 * against `expect`: a push expected to be accepted that git refuses fails with git's reason, and one
 * expected to be rejected that goes through fails as an assertion.
 */
export const gitPush = defineTask({
  id: 'git.push',
  title: 'Push a branch',
  description: 'git push <remote> <branch>; a refusal (non-fast-forward, hook) is checked against `expect`.',
  input: gitPushInput,
  output: gitPushOutput,
  idempotent: false,
  // network-bound, so possibly long: its commands outlive the CLI, and resume adopts or re-attaches them
  supervised: true,
  plan: (i) => [`${gitLine(i.repo, pushArgs(i, i.branch ?? '<current branch>'))} (expect ${i.expect})`],
  async run(ctx) {
    const repo = repoDir(ctx.root, ctx.input.repo);
    requireRepo(repo, 'git.push');
    const { expect, remote } = ctx.input;
    const { branch, ...out } = await pushOnce(ctx, repo, ctx.input);
    if (expect === 'rejected' && out.accepted) {
      throw new TaskError(
        `expected the push of ${branch} from ${repo} to be rejected, but it was accepted`,
        { repo, remote, branch },
        ErrorCode.AssertionFailed,
      );
    }
    if (expect === 'accepted' && out.rejected) {
      throw new TaskError(`push of ${branch} from ${repo} to ${remote} was rejected:\n${out.reason}`, {
        repo,
        remote,
        branch,
        reason: out.reason,
      });
    }
    ctx.log.info(
      `push of ${branch} from ${repo} to ${remote} was ${out.accepted ? 'accepted' : `rejected, as expected:\n${out.reason}`}`,
    );
    return out;
  },
});
