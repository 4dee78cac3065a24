// Lists the files a branch changed since it forked from another as a task node (what a reconciliation may conflict on).
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { git } from '../support/git.js';
import { gitLine, repoDir, requireRepo, revParse, revision } from './support.js';

/** Input of `git.changed`: the files `head` changed since its fork point with `base` (`git diff base...head`). */
export const gitChangedInput = z.strictObject({
  repo: z.string().min(1).describe('A clone (absolute, or relative to the run root).'),
  base: revision.describe('The other side of the fork: a branch, `origin/main`, a tag or a sha.'),
  head: revision.default('HEAD').describe('The side whose changes are listed.'),
});

/**
 * Output of `git.changed`: sorted paths changed, added or deleted on `head` since the merge base of both (a rename
 * counts as a deletion and an addition); `files` is null when `base` does not resolve (e.g. a remote branch never
 * fetched), so a workflow can tell "nothing changed" from "cannot tell".
 */
export const gitChangedOutput = z.object({
  repo: z.string().describe('The absolute repo dir.'),
  base: z.string().describe('The `base` of the input.'),
  files: z
    .array(z.string())
    .nullable()
    .describe(
      'Sorted paths changed, added or deleted on `head` since the merge base (a rename counts as a deletion and an addition); null when `base` does not resolve, so a workflow can tell "nothing changed" from "cannot tell".',
    ),
});

/** Paths from `git diff --name-only -z` output: whole (spaces, newlines, non-ASCII), sorted, once each. */
export function parseNameList(out: string): string[] {
  return [...new Set(out.split('\0').filter(Boolean))].sort();
}

/** `git diff --name-only --no-renames -z <base>...<head>`: the files `head` changed since the fork; reads only. */
export const gitChanged = defineTask({
  id: 'git.changed',
  title: 'List the files changed since a fork point',
  description:
    'git diff --name-only base...head: the files head changed since it forked from base; null when base does not exist. Reads only.',
  input: gitChangedInput,
  output: gitChangedOutput,
  idempotent: true,
  plan: (i) => [gitLine(i.repo, ['diff', '--name-only', '--no-renames', '-z', `${i.base}...${i.head}`])],
  async run(ctx) {
    const { base, head } = ctx.input;
    const repo = repoDir(ctx.root, ctx.input.repo);
    requireRepo(repo, 'git.changed');
    if (!(await revParse(ctx, repo, base))) {
      ctx.log.info(`${base} does not exist in ${repo}: cannot tell what ${head} changed since it`);
      return { repo, base, files: null };
    }
    // `--` ends the revisions: a path named like a revision is never read as one
    const r = await git(ctx, repo, ['diff', '--name-only', '--no-renames', '-z', `${base}...${head}`, '--']);
    const files = parseNameList(r.stdout);
    ctx.log.info(`${head} of ${repo} changed ${files.length} file(s) since it forked from ${base}`);
    return { repo, base, files };
  },
});
