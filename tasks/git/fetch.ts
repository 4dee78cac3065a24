// Fetches a remote into a clone as a task node, so status and assertions see the remote's latest branches.
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { git } from '../support/git.js';
import { gitLine, refName, repoDir, requireRemote, requireRepo } from './support.js';

/** Input of `git.fetch`. */
export const gitFetchInput = z.strictObject({
  repo: z.string().min(1).describe('A clone (absolute, or relative to the run root).'),
  remote: refName('remote').default('origin').describe('A configured remote name, not a url.'),
  prune: z.boolean().default(false).describe('Drop remote-tracking branches whose branch is gone from the remote.'),
});

/** Output of `git.fetch`: the absolute repo dir. */
export const gitFetchOutput = z.object({
  repo: z.string().describe('The absolute repo dir.'),
});

/** The `git fetch` arguments for an input. */
function fetchArgs(i: z.output<typeof gitFetchInput>): string[] {
  return ['fetch', '-q', ...(i.prune ? ['--prune'] : []), i.remote];
}

/**
 * Runs `git fetch [--prune] <remote>`. It only updates remote-tracking refs, never the work tree, so
 * running it again is harmless. git.status and assert.ahead-behind count against what it fetched last.
 */
export const gitFetch = defineTask({
  id: 'git.fetch',
  title: 'Fetch a remote',
  description: 'git fetch [--prune] <remote>: updates <remote>/* refs, leaves branches and work tree alone.',
  input: gitFetchInput,
  output: gitFetchOutput,
  idempotent: true,
  // network-bound, so possibly long: its commands outlive the CLI, and resume adopts or re-attaches them
  supervised: true,
  plan: (i) => [gitLine(i.repo, fetchArgs(i))],
  async run(ctx) {
    const repo = repoDir(ctx.root, ctx.input.repo);
    requireRepo(repo, 'git.fetch');
    await requireRemote(ctx, repo, ctx.input.remote, 'git.fetch');
    await git(ctx, repo, fetchArgs(ctx.input));
    ctx.log.info(`fetched ${ctx.input.remote} into ${repo}`);
    return { repo };
  },
});
