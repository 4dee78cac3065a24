// Tags a commit as a task node; a tag that already points at the same commit is fine, elsewhere an error.
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { git } from '../support/git.js';
import { gitLine, refName, repoDir, requireRepo, revision, revParse, short } from './support.js';

/** Input of `git.tag`. */
export const gitTagInput = z.strictObject({
  repo: z.string().min(1).describe('A repository (absolute, or relative to the run root).'),
  name: refName('tag').describe("The tag's name."),
  ref: revision.default('HEAD').describe('What to tag (default HEAD).'),
  message: z
    .string()
    .min(1)
    .optional()
    .describe("Makes an annotated tag with this message (tagger: the repo's user.name / user.email)."),
});

/** Output of `git.tag`: the tag name and the commit it points at. */
export const gitTagOutput = z.object({
  name: z.string().describe("The tag's name."),
  sha: z.string().describe('The commit it points at.'),
});

/** The `git tag` arguments for an input and the resolved commit. */
function tagArgs(i: z.output<typeof gitTagInput>, target: string): string[] {
  return ['tag', ...(i.message ? ['-a', '-m', i.message] : []), i.name, target];
}

/**
 * Runs `git tag [-a -m <message>] <name> <ref>`. Running it again when the tag already points at the
 * commit `ref` names does nothing (idempotent); a tag of that name on another commit is an error.
 */
export const gitTag = defineTask({
  id: 'git.tag',
  title: 'Tag a commit',
  description: 'git tag [-a -m <message>] <name> <ref>; a no-op when the tag already points at that commit.',
  input: gitTagInput,
  output: gitTagOutput,
  idempotent: true,
  plan: (i) => [gitLine(i.repo, tagArgs(i, i.ref))],
  async run(ctx) {
    const { name, ref } = ctx.input;
    const repo = repoDir(ctx.root, ctx.input.repo);
    requireRepo(repo, 'git.tag');
    const sha = await revParse(ctx, repo, ref);
    if (!sha) throw new TaskError(`git.tag: ref ${ref} does not name a commit in ${repo}`, { repo, ref });
    const existing = await revParse(ctx, repo, `refs/tags/${name}`);
    if (existing === sha) {
      ctx.log.info(`tag ${name} already points at ${short(sha)} in ${repo}`);
      return { name, sha };
    }
    if (existing) {
      throw new TaskError(
        `git.tag: tag ${name} already exists in ${repo} at ${short(existing)}, expected ${short(sha)} (${ref})`,
        {
          repo,
          name,
          existing,
          sha,
        },
      );
    }
    await git(ctx, repo, tagArgs(ctx.input, sha));
    ctx.log.info(`tagged ${short(sha)} (${ref}) as ${name} in ${repo}`);
    return { name, sha };
  },
});
