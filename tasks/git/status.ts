// Reads the state of a work tree as a task node: branch, head, changes, conflicts, ahead/behind its remote.
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { readStatus, STATUS_ARGS, workTreeStatus } from './support-status.js';
import { gitLine, refName, repoDir, requireRepo } from './support.js';

/** Input of `git.status`. */
export const gitStatusInput = z.strictObject({
  repo: z.string().min(1).describe('A clone (absolute, or relative to the run root).'),
  remote: refName('remote').default('origin').describe('A configured remote name, not a url.'),
  branch: refName('branch')
    .optional()
    .describe("Branch of the remote to count ahead/behind against (default: the checked-out branch's name)."),
});

/** Output of `git.status`; `branch` is "HEAD" when detached, `head` "" before the first commit. */
export const gitStatusOutput = workTreeStatus;

/** Reports branch, head, changed/untracked/conflicted files and ahead/behind `<remote>/<branch>`; reads only. */
export const gitStatus = defineTask({
  id: 'git.status',
  title: 'Read a work tree status',
  description: 'git status plus ahead/behind counts against <remote>/<branch> as of the last fetch. Reads only.',
  input: gitStatusInput,
  output: gitStatusOutput,
  idempotent: true,
  plan: (i) => [
    gitLine(i.repo, STATUS_ARGS),
    `${gitLine(i.repo, ['rev-list', '--left-right', '--count', `HEAD...${i.remote}/${i.branch ?? '<current branch>'}`])} (unless that is the upstream)`,
  ],
  async run(ctx) {
    const repo = repoDir(ctx.root, ctx.input.repo);
    requireRepo(repo, 'git.status');
    const s = await readStatus(ctx, repo, ctx.input.remote, ctx.input.branch);
    ctx.log.info(
      `${repo} on ${s.branch}: ${s.clean ? 'clean' : 'dirty'}, ${s.ahead} ahead, ${s.behind} behind ${ctx.input.remote}`,
    );
    return s;
  },
});
