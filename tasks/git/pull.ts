// Pulls a branch from a remote as a task node, by merge or rebase; conflicts are reported as output.
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { lastLines } from '../support/format.js';
import { git } from '../support/git.js';
import {
  branchOrCurrent,
  conflictedFiles,
  gitLine,
  refName,
  repoDir,
  requireRemote,
  requireRepo,
  revParse,
  short,
} from './support.js';

/** Input of `git.pull`. */
export const gitPullInput = z.strictObject({
  repo: z.string().min(1).describe('A clone (absolute, or relative to the run root).'),
  remote: refName('remote').default('origin').describe('A configured remote name, not a url.'),
  branch: refName('branch').optional().describe("Remote branch to pull (default: the checked-out branch's name)."),
  mode: z
    .enum(['merge', 'rebase'])
    .default('merge')
    .describe('Reconcile diverged histories with a merge commit or by replaying local commits.'),
});

/** Output of `git.pull`: HEAD afterwards and the conflicted paths (empty when the pull went through). */
export const gitPullOutput = z.object({
  head: z.string().describe('HEAD afterwards.'),
  conflicts: z.array(z.string()).describe('The conflicted paths; empty when the pull went through.'),
});

/** The `git pull` arguments for an input and a branch. */
function pullArgs(i: z.output<typeof gitPullInput>, branch: string): string[] {
  return ['pull', '-q', '--no-edit', i.mode === 'rebase' ? '--rebase' : '--no-rebase', i.remote, branch];
}

/**
 * Runs `git pull --no-edit --no-rebase|--rebase <remote> <branch>`. When it stops on conflicts, the
 * conflicted paths are returned and the merge or rebase stays in progress (resolve with git.commit, or
 * git.rebase with action `continue`); any other failure is an error.
 */
export const gitPull = defineTask({
  id: 'git.pull',
  title: 'Pull a branch',
  description: 'git pull --no-rebase|--rebase <remote> <branch>; conflicts are output, not errors.',
  input: gitPullInput,
  output: gitPullOutput,
  idempotent: false,
  // network-bound, so possibly long: its commands outlive the CLI, and resume adopts or re-attaches them
  supervised: true,
  plan: (i) => [gitLine(i.repo, pullArgs(i, i.branch ?? '<current branch>'))],
  async run(ctx) {
    const { remote, mode } = ctx.input;
    const repo = repoDir(ctx.root, ctx.input.repo);
    requireRepo(repo, 'git.pull');
    await requireRemote(ctx, repo, remote, 'git.pull');
    const branch = await branchOrCurrent(ctx, repo, ctx.input.branch, 'git.pull');
    const before = await revParse(ctx, repo, 'HEAD');
    const r = await git(ctx, repo, pullArgs(ctx.input, branch), { allowFail: true });
    const head = (await revParse(ctx, repo, 'HEAD')) ?? '';
    if (r.exitCode !== 0) {
      const conflicts = await conflictedFiles(ctx, repo);
      if (conflicts.length === 0) {
        const tail = lastLines(`${r.stdout}\n${r.stderr}`, 8);
        throw new TaskError(
          `git.pull: pull (${mode}) of ${remote}/${branch} into ${repo} failed (exit code ${r.exitCode}):\n${tail}`,
          {
            repo,
            remote,
            branch,
            stderr: r.stderr,
          },
        );
      }
      ctx.log.warn(`pull (${mode}) of ${remote}/${branch} into ${repo} stopped on conflicts: ${conflicts.join(', ')}`);
      return { head, conflicts };
    }
    ctx.log.info(`pulled ${remote}/${branch} into ${repo} (${mode}): HEAD ${short(before)} -> ${short(head)}`);
    return { head, conflicts: [] };
  },
});
