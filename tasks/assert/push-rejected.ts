// Asserts that the remote refuses a push (non-fast-forward, protected branch, hook) by trying it.
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { pushArgs, pushOnce } from '../git/support-push.js';
import { gitLine, refName } from '../git/support.js';
import { assertedRepo, assertionFailed, assertOutput } from './support-git.js';

/** Input of `assert.push-rejected`. */
export const assertPushRejectedInput = z.strictObject({
  repo: z.string().min(1).describe('The clone that tries the push.'),
  remote: refName('remote').default('origin').describe('A configured remote name, not a url.'),
  branch: refName('branch')
    .optional()
    .describe('Branch to push (default: the checked-out one), to the remote branch of the same name.'),
  force: z
    .boolean()
    .default(false)
    .describe('Try a forced push: passes only if the remote itself (a hook, receive.denyNonFastForwards) refuses.'),
});

/** Output of `assert.push-rejected`: git's reason for the refusal (hook output included). */
export const assertPushRejectedOutput = assertOutput(
  z.string().describe("git's reason for the refusal (hook output included)."),
);

const TASK = 'assert.push-rejected';

/**
 * Runs the push for real and passes when git refuses it. When the push goes through, the remote has
 * changed and the step fails: `assert.push-rejected: the push of main from <repo> to origin was accepted,
 * expected it to be rejected`. A push that fails for another reason (no remote, no network) is an error,
 * not a pass. Declared idempotent: trying the same refused push again is refused again and changes
 * nothing.
 */
export const assertPushRejected = defineTask({
  id: TASK,
  title: 'Assert a push is rejected',
  description:
    'Tries git push <remote> <branch>; fails unless the push is refused. A scenario expectation: a failure says expected vs actual, repo and ref.',
  input: assertPushRejectedInput,
  output: assertPushRejectedOutput,
  idempotent: true,
  plan: (i) => [`${gitLine(i.repo, pushArgs(i, i.branch ?? '<current branch>'))} (expect rejected)`],
  async run(ctx) {
    const { remote, force } = ctx.input;
    const repo = assertedRepo(ctx, TASK, ctx.input.repo);
    const out = await pushOnce(ctx, repo, ctx.input, TASK);
    if (out.accepted) {
      throw assertionFailed(
        TASK,
        `the ${force ? 'forced ' : ''}push of ${out.branch} from ${repo} to ${remote} was accepted, expected it to be rejected`,
        {
          repo,
          remote,
          branch: out.branch,
          force,
        },
      );
    }
    ctx.log.info(`push of ${out.branch} from ${repo} to ${remote} was rejected, as expected:\n${out.reason}`);
    return { ok: true as const, actual: out.reason };
  },
});
