// Asserts what a file of a repo holds, in the work tree or at a commit: equal, containing, or matching.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineTask, type TaskContext } from '../../engine/index.js';
import { repoRelativePath, revision } from '../git/support.js';
import { errnoCode } from '../support/files.js';
import { git } from '../support/git.js';
import { assertedRepo, assertionFailed, assertOutput, quote, regex, regexFlags } from './support-git.js';

/** Input of `assert.file-content`; with none of equals/contains/matches it only asserts the file exists. */
export const assertFileContentInput = z.strictObject({
  repo: z.string().min(1).describe('A clone or a bare remote (absolute, or relative to the run root).'),
  path: repoRelativePath.describe("Path relative to the repo's work tree."),
  ref: revision
    .optional()
    .describe('Read the file from this commit (`git show <ref>:<path>`) instead of the work tree.'),
  equals: z.string().optional().describe('The exact text the file must hold.'),
  contains: z.string().optional().describe('A text the file must contain.'),
  matches: z
    .string()
    .optional()
    .describe('A regular expression (JavaScript syntax, multi-line: ^ and $ match at line ends).'),
  flags: regexFlags
    .optional()
    .describe('Flags of `matches` besides the multi-line one (`i` to ignore case, `s`, `u`, `v`).'),
});

/** Output of `assert.file-content`: the file's text. */
export const assertFileContentOutput = assertOutput(z.string().describe("The file's text."));

const TASK = 'assert.file-content';

/** The text of `path` at `ref` (or in the work tree), or undefined when there is no such file. */
async function readAt(
  ctx: TaskContext<unknown>,
  repo: string,
  path: string,
  ref?: string,
): Promise<string | undefined> {
  if (ref !== undefined) {
    const r = await git(ctx, repo, ['cat-file', 'blob', `${ref}:${path.replace(/^\.\//, '')}`], { allowFail: true });
    return r.exitCode === 0 ? r.stdout : undefined;
  }
  try {
    return await readFile(join(repo, path), 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'EISDIR') return undefined;
    throw e;
  }
}

/**
 * Passes when the file exists and its text equals `equals`, contains `contains` and matches `matches`
 * (each when given). The failure shows the actual text next to what was expected.
 */
export const assertFileContent = defineTask({
  id: TASK,
  title: 'Assert a file content',
  description:
    'Fails unless <path> (in the work tree, or at <ref>) equals / contains / matches the expected text. A scenario expectation: a failure says expected vs actual, repo and ref.',
  input: assertFileContentInput,
  output: assertFileContentOutput,
  idempotent: true,
  plan: (i) => {
    const checks = [
      i.equals !== undefined ? `equals ${quote(i.equals, 40)}` : '',
      i.contains !== undefined ? `contains ${quote(i.contains, 40)}` : '',
      i.matches !== undefined ? `matches /${i.matches}/${i.flags ?? ''}` : '',
    ].filter(Boolean);
    return [`assert ${i.path}${i.ref ? ` at ${i.ref}` : ''} in ${i.repo} ${checks.join(' and ') || 'exists'}`];
  },
  async run(ctx) {
    const { path, ref, equals, contains, matches, flags = '' } = ctx.input;
    const repo = assertedRepo(ctx, TASK, ctx.input.repo);
    const where = `${repo} ${path}${ref ? ` at ${ref}` : ''}`;
    const re = matches === undefined ? undefined : regex(TASK, 'matches', matches, flags);
    const actual = await readAt(ctx, repo, path, ref);
    const details = { repo, path, ref, equals, contains, matches, flags, actual };
    if (actual === undefined) throw assertionFailed(TASK, `${where} does not exist`, details);
    if (equals !== undefined && actual !== equals) {
      throw assertionFailed(TASK, `${where} is ${quote(actual)}, expected ${quote(equals)}`, details);
    }
    if (contains !== undefined && !actual.includes(contains)) {
      throw assertionFailed(TASK, `${where} is ${quote(actual)}, expected it to contain ${quote(contains)}`, details);
    }
    if (re && !re.test(actual)) {
      throw assertionFailed(TASK, `${where} is ${quote(actual)}, expected it to match /${matches}/${flags}`, details);
    }
    ctx.log.info(`${where} holds what was expected (${Buffer.byteLength(actual)} bytes)`);
    return { ok: true as const, actual };
  },
});
