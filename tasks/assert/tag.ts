// Asserts that a tag exists (or does not) in a repo, and which commit it points at: a clone or a bare remote.
import { z } from 'zod';
import { defineTask, type TaskContext } from '../../engine/index.js';
import { refName, revision, revParse, short } from '../git/support.js';
import { git } from '../support/git.js';
import { assertedRepo, assertionFailed, assertOutput, describeCommit } from './support-git.js';

/** Input of `assert.tag`. */
export const assertTagInput = z
  .strictObject({
    repo: z.string().min(1).describe('A clone or a bare remote (absolute, or relative to the run root).'),
    tag: refName('tag').describe('The tag (refs/tags/<tag>).'),
    exists: z.boolean().default(true).describe('False asserts that the tag is absent.'),
    pointsAt: revision
      .optional()
      .describe(
        'The commit the tag must point at (an annotated tag is peeled): a full sha or a revision resolved in `repo`.',
      ),
  })
  .refine((i) => i.exists || i.pointsAt === undefined, {
    message: 'pointsAt asserts where an existing tag points: it cannot go with exists: false',
    path: ['pointsAt'],
  });

/** Output of `assert.tag`: the commit the tag points at, or null when it is absent. */
export const assertTagOutput = assertOutput(
  z.string().nullable().describe('The commit the tag points at, or null when it is absent.'),
);

const TASK = 'assert.tag';

const FULL_SHA = /^[0-9a-f]{40}$/;

/** The tags of `repo`, sorted as git lists them. */
async function tags(ctx: TaskContext<unknown>, repo: string): Promise<string[]> {
  const r = await git(ctx, repo, ['for-each-ref', '--format=%(refname:short)', 'refs/tags/']);
  return r.stdout.split('\n').filter(Boolean);
}

/**
 * Passes when `refs/tags/<tag>` exists in `repo` (or is absent, with `exists: false`) and, with `pointsAt`, names that
 * commit. A missing tag lists the tags there are, and says so when a branch has that name (a common mix-up: `v1.0.0`
 * made with checkout instead of tag); a tag elsewhere shows both commits with their messages.
 */
export const assertTag = defineTask({
  id: TASK,
  title: 'Assert a tag',
  description:
    'Fails unless refs/tags/<tag> exists in <repo> (or, with exists: false, is absent) and points at <pointsAt>, if given. A scenario expectation: a failure says expected vs actual, repo and tag.',
  input: assertTagInput,
  output: assertTagOutput,
  idempotent: true,
  plan: (i) => [
    `assert tag ${i.tag} ${i.exists ? (i.pointsAt ? `points at ${i.pointsAt}` : 'exists') : 'does not exist'} in ${i.repo}`,
  ],
  async run(ctx) {
    const { tag, exists, pointsAt } = ctx.input;
    const repo = assertedRepo(ctx, TASK, ctx.input.repo);
    // peeled: an annotated tag names a tag object, the expectation is about the commit it tags
    const actual = await revParse(ctx, repo, `refs/tags/${tag}`);
    const details = { repo, tag, exists, pointsAt, actual };
    const expected =
      pointsAt === undefined ? undefined : FULL_SHA.test(pointsAt) ? pointsAt : await revParse(ctx, repo, pointsAt);
    if (pointsAt !== undefined && !expected)
      throw assertionFailed(TASK, `expected commit ${pointsAt} does not exist in ${repo}`, { ...details, expected });
    // the commit descriptions cost git calls: only a failure needs them
    const want = (sha: string) => describeCommit(ctx, sha, [repo], sha === pointsAt ? undefined : pointsAt);
    if (exists && !actual) {
      const all = await tags(ctx, repo);
      const branch = await revParse(ctx, repo, `refs/heads/${tag}`);
      const hint = branch ? `; a branch ${tag} exists (at ${short(branch)}): tag it with tag(), not checkout()` : '';
      throw assertionFailed(
        TASK,
        `${repo} has no tag ${tag}, expected it to exist${expected ? ` at ${await want(expected)}` : ''} (tags: ${all.join(', ') || 'none'}${hint})`,
        { ...details, expected, tags: all },
      );
    }
    if (!exists && actual)
      throw assertionFailed(
        TASK,
        `${repo} has tag ${tag} at ${await describeCommit(ctx, actual, [repo])}, expected it not to exist`,
        details,
      );
    if (actual && expected && actual !== expected)
      throw assertionFailed(
        TASK,
        `${repo} tag ${tag} is ${await describeCommit(ctx, actual, [repo])}, expected ${await want(expected)}`,
        { ...details, expected },
      );
    ctx.log.info(`${repo} ${actual ? `has tag ${tag} at ${short(actual)}` : `has no tag ${tag}`}, as expected`);
    return { ok: true as const, actual };
  },
});
