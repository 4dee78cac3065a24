// Asserts that a branch exists (or does not) in a repo: a clone or a bare remote.
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { refName, revParse, short } from '../git/support.js';
import { git } from '../support/git.js';
import { assertedRepo, assertionFailed, assertOutput } from './support-git.js';

/** Input of `assert.branch-exists`. */
export const assertBranchExistsInput = z.strictObject({
  repo: z.string().min(1).describe('A clone or a bare remote (absolute, or relative to the run root).'),
  branch: refName('branch').describe(
    "A local branch (refs/heads/<branch>); for a clone's view of its remote, fetch then use assert.branch-head.",
  ),
  exists: z.boolean().default(true).describe('False asserts that the branch is absent.'),
});

/** Output of `assert.branch-exists`: the branch's sha, or null when it is absent. */
export const assertBranchExistsOutput = assertOutput(
  z.string().nullable().describe("The branch's sha, or null when it is absent."),
);

const TASK = 'assert.branch-exists';

/**
 * Passes when `refs/heads/<branch>` exists in `repo` (or is absent, with `exists: false`). On a bare remote
 * this checks what was pushed; on a clone, its local branches. A failure lists the branches there are,
 * and says so when only a remote-tracking branch of that name exists.
 */
export const assertBranchExists = defineTask({
  id: TASK,
  title: 'Assert a branch exists',
  description:
    'Fails unless refs/heads/<branch> exists in <repo> (or, with exists: false, is absent). A scenario expectation: a failure says expected vs actual, repo and ref.',
  input: assertBranchExistsInput,
  output: assertBranchExistsOutput,
  idempotent: true,
  plan: (i) => [`assert branch ${i.branch} ${i.exists ? 'exists' : 'does not exist'} in ${i.repo}`],
  async run(ctx) {
    const { branch, exists } = ctx.input;
    const repo = assertedRepo(ctx, TASK, ctx.input.repo);
    const actual = await revParse(ctx, repo, `refs/heads/${branch}`);
    const details = { repo, branch, exists, actual };
    if (exists && !actual) {
      const r = await git(ctx, repo, ['for-each-ref', '--format=%(refname:short)', 'refs/heads/']);
      const branches = r.stdout.split('\n').filter(Boolean);
      const remote = await git(ctx, repo, ['for-each-ref', '--format=%(refname:short)', `refs/remotes/*/${branch}`]);
      const tracking = remote.stdout.split('\n').filter(Boolean);
      const hint = tracking.length ? `; only ${tracking.join(', ')} exists: check it out first` : '';
      throw assertionFailed(
        TASK,
        `${repo} has no branch ${branch}, expected it to exist (branches: ${branches.join(', ') || 'none'}${hint})`,
        {
          ...details,
          branches,
        },
      );
    }
    if (!exists && actual) {
      throw assertionFailed(
        TASK,
        `${repo} has branch ${branch} at ${short(actual)}, expected it not to exist`,
        details,
      );
    }
    ctx.log.info(
      `${repo} ${actual ? `has branch ${branch} at ${short(actual)}` : `has no branch ${branch}`}, as expected`,
    );
    return { ok: true as const, actual };
  },
});
