// Asserts that the message of a commit (HEAD by default) matches a regular expression.
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { revision, revParse, short } from '../git/support.js';
import { assertedRepo, assertionFailed, assertOutput, commitMessage, quote, regex, regexFlags } from './support-git.js';

/** Input of `assert.commit-message`. */
export const assertCommitMessageInput = z.strictObject({
  repo: z.string().min(1).describe('A clone or a bare remote (absolute, or relative to the run root).'),
  ref: revision.default('HEAD').describe('The commit whose message is checked: a branch, a tag, a sha, HEAD~1...'),
  matches: z
    .string()
    .min(1)
    .describe(
      'A regular expression (JavaScript syntax, multi-line: ^ and $ match at line ends) over the whole message, e.g. `^(feat|fix)(\\\\(.+\\\\))?: ` for a conventional subject or `^Signed-off-by: ` for a trailer.',
    ),
  flags: regexFlags
    .optional()
    .describe('Flags of `matches` besides the multi-line one (`i` to ignore case, `s`, `u`, `v`).'),
});

/** Output of `assert.commit-message`: the commit's full message, without trailing newlines. */
export const assertCommitMessageOutput = assertOutput(
  z.string().describe("The commit's full message, without trailing newlines."),
);

const TASK = 'assert.commit-message';

/**
 * Passes when the message of the commit `ref` names matches `matches`. The failure shows the commit and
 * its actual message: `assert.commit-message: <repo> HEAD (3f2a1b0) message is "x", expected it to match /y/`.
 */
export const assertCommitMessage = defineTask({
  id: TASK,
  title: 'Assert a commit message',
  description:
    'Fails unless the message of <ref> in <repo> matches the regular expression <matches>. A scenario expectation: a failure says expected vs actual, repo and ref.',
  input: assertCommitMessageInput,
  output: assertCommitMessageOutput,
  idempotent: true,
  plan: (i) => [`assert the message of ${i.ref} in ${i.repo} matches /${i.matches}/${i.flags ?? ''}`],
  async run(ctx) {
    const { ref, matches, flags = '' } = ctx.input;
    const repo = assertedRepo(ctx, TASK, ctx.input.repo);
    const re = regex(TASK, 'matches', matches, flags);
    const sha = await revParse(ctx, repo, ref);
    const actual = sha ? await commitMessage(ctx, repo, sha) : undefined;
    if (!sha || actual === undefined) {
      throw assertionFailed(
        TASK,
        `${repo} ${ref} does not name a commit, expected one whose message matches /${matches}/${flags}`,
        { repo, ref, matches, flags },
      );
    }
    if (!re.test(actual)) {
      throw assertionFailed(
        TASK,
        `${repo} ${ref} (${short(sha)}) message is ${quote(actual)}, expected it to match /${matches}/${flags}`,
        {
          repo,
          ref,
          sha,
          matches,
          flags,
          actual,
        },
      );
    }
    ctx.log.info(`${repo} ${ref} (${short(sha)}) message matches /${matches}/${flags}`);
    return { ok: true as const, actual };
  },
});
