// Asserts that a ref of a repo points at an expected commit, given as a sha or as a ref of another repo.
import { z } from 'zod';
import { defineTask, type TaskContext } from '../../engine/index.js';
import { revision, revParse, short } from '../git/support.js';
import { git } from '../support/git.js';
import { assertedRepo, assertionFailed, assertOutput, describeCommit } from './support-git.js';

/** Input of `assert.branch-head`. */
export const assertBranchHeadInput = z.strictObject({
  repo: z.string().min(1).describe('A clone or a bare remote (absolute, or relative to the run root).'),
  ref: revision.describe('The ref checked in `repo`: a branch, `origin/main`, a tag, HEAD.'),
  equals: revision.describe('The expected commit: a full sha, or a revision resolved in `in` (default: in `repo`).'),
  in: z
    .string()
    .min(1)
    .optional()
    .describe('Another repo dir where `equals` is resolved, e.g. the clone of the actor who pushed.'),
});

/** Output of `assert.branch-head`: the sha `ref` points at. */
export const assertBranchHeadOutput = assertOutput(z.string().describe('The sha `ref` points at.'));

const TASK = 'assert.branch-head';

/** How `actual` relates to `expected` in `repo` ("; 2 commits behind it"), or "" when the repo lacks one of them. */
async function relation(ctx: TaskContext<unknown>, repo: string, actual: string, expected: string): Promise<string> {
  const r = await git(ctx, repo, ['rev-list', '--left-right', '--count', `${actual}...${expected}`], {
    allowFail: true,
  });
  if (r.exitCode !== 0) return '';
  const [ahead, behind] = r.stdout.trim().split(/\s+/).map(Number);
  const n = (k: number) => `${k} commit${k === 1 ? '' : 's'}`;
  if (ahead === 0) return `; it is ${n(behind)} behind`;
  if (behind === 0) return `; it is ${n(ahead)} ahead`;
  return `; they diverged (${n(ahead)} ahead, ${n(behind)} behind)`;
}

const FULL_SHA = /^[0-9a-f]{40}$/;

/**
 * Passes when `ref` in `repo` points at the commit `equals` names. The failure says both commits with
 * their messages: `assert.branch-head: <repo> main is 3f2a1b0 (message "x"), expected 9c1d2e4 (...)`,
 * and, when `repo` holds both commits, how they relate ("; it is 2 commits behind").
 */
export const assertBranchHead = defineTask({
  id: TASK,
  title: 'Assert a branch head',
  description:
    'Fails unless <ref> in <repo> points at the commit <equals> names (resolved in <in>, if given). A scenario expectation: a failure says expected vs actual, repo and ref.',
  input: assertBranchHeadInput,
  output: assertBranchHeadOutput,
  idempotent: true,
  plan: (i) => [`assert ${i.ref} in ${i.repo} is ${i.equals}${i.in ? ` of ${i.in}` : ''}`],
  async run(ctx) {
    const { ref, equals } = ctx.input;
    const repo = assertedRepo(ctx, TASK, ctx.input.repo);
    const other = ctx.input.in === undefined ? repo : assertedRepo(ctx, TASK, ctx.input.in, 'in');
    const where = ctx.input.in === undefined ? '' : ` in ${other}`;
    const expected = FULL_SHA.test(equals) ? equals : await revParse(ctx, other, equals);
    const actual = await revParse(ctx, repo, ref);
    const details = { repo, ref, equals, in: ctx.input.in === undefined ? undefined : other, expected, actual };
    if (!expected)
      throw assertionFailed(TASK, `expected commit ${equals} does not exist${where || ` in ${repo}`}`, details);
    // the commit descriptions cost git calls: only a failure needs them
    const want = () =>
      describeCommit(ctx, expected, [other, repo], expected === equals ? undefined : `${equals}${where}`);
    if (!actual) throw assertionFailed(TASK, `${repo} ${ref} does not exist, expected ${await want()}`, details);
    if (actual !== expected) {
      const how = await relation(ctx, repo, actual, expected);
      throw assertionFailed(
        TASK,
        `${repo} ${ref} is ${await describeCommit(ctx, actual, [repo])}, expected ${await want()}${how}`,
        details,
      );
    }
    ctx.log.info(`${repo} ${ref} is ${short(actual)}, as expected`);
    return { ok: true as const, actual };
  },
});
