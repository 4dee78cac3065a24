// Asserts that a work tree has no changes: nothing modified, staged, conflicted or untracked.
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { readWorkTree } from '../git/support-status.js';
import { assertedRepo, assertionFailed, assertOutput } from './support-git.js';

/** Input of `assert.tree-clean`. */
export const assertTreeCleanInput = z.strictObject({
  repo: z.string().min(1).describe('A clone (absolute, or relative to the run root).'),
});

/** Output of `assert.tree-clean`: the dirty paths, always empty when it passes. */
export const assertTreeCleanOutput = assertOutput(
  z.array(z.string()).describe('The dirty paths: always empty when it passes.'),
);

const TASK = 'assert.tree-clean';

/** How many paths a failure lists before "and N more". */
const SHOWN = 10;

/** `M a.txt, ?? b.txt, UU c.txt` for the first paths of a status. */
function listChanges(changes: Array<[string, string]>): string {
  const shown = changes.slice(0, SHOWN).map(([code, path]) => `${code} ${path}`);
  const more = changes.length > SHOWN ? `, and ${changes.length - SHOWN} more` : '';
  return `${shown.join(', ')}${more}`;
}

/**
 * Passes when `git status` of `repo` shows nothing: no modified or staged file, no conflict, no untracked
 * file. The failure lists the dirty paths (M modified, UU conflicted, ?? untracked).
 */
export const assertTreeClean = defineTask({
  id: TASK,
  title: 'Assert a clean work tree',
  description:
    'Fails unless git status of <repo> shows no modified, staged, conflicted or untracked file. A scenario expectation: a failure says expected vs actual, repo and ref.',
  input: assertTreeCleanInput,
  output: assertTreeCleanOutput,
  idempotent: true,
  plan: (i) => [`assert ${i.repo} has a clean work tree`],
  async run(ctx) {
    const repo = assertedRepo(ctx, TASK, ctx.input.repo);
    const t = await readWorkTree(ctx, repo);
    const s = { ...t, branch: t.branch ?? 'HEAD' };
    const changes: Array<[string, string]> = [
      ...s.conflicted.map((p): [string, string] => ['UU', p]),
      ...s.modified.map((p): [string, string] => ['M', p]),
      ...s.untracked.map((p): [string, string] => ['??', p]),
    ];
    if (changes.length > 0) {
      const n = changes.length;
      throw assertionFailed(
        TASK,
        `${repo} on ${s.branch} has ${n} change${n === 1 ? '' : 's'}, expected a clean tree: ${listChanges(changes)}`,
        {
          repo,
          branch: s.branch,
          conflicted: s.conflicted,
          modified: s.modified,
          untracked: s.untracked,
        },
      );
    }
    ctx.log.info(`${repo} on ${s.branch} is clean`);
    return { ok: true as const, actual: [] };
  },
});
