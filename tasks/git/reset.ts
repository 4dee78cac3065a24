// Moves the checked-out branch to a commit as a task node (git reset --soft / --mixed / --hard): rewriting history.
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { lastLines } from '../support/format.js';
import { git } from '../support/git.js';
import { gitLine, repoDir, requireRepo, revision, revParse, short } from './support.js';

/** Input of `git.reset`. */
export const gitResetInput = z
  .strictObject({
    repo: z
      .string()
      .min(1)
      .describe('A clone with a work tree (absolute, or relative to the run root); a bare repository is refused.'),
    ref: revision
      .default('HEAD')
      .describe('The commit the current branch is moved to: a sha, a branch, `origin/main`, `HEAD~1`...'),
    mode: z
      .enum(['soft', 'mixed', 'hard'])
      .default('mixed')
      .describe("soft: keep the index and the work tree; mixed (git's default): reset the index; hard: reset both."),
  })
  // what `gravity tasks` and the README say of its idempotence, which depends on the input (see resetIsIdempotent)
  .meta({
    idempotent:
      'for a plain name or a sha, not for a `ref` that moves with the reset (`HEAD~1`, `main^`, `@{1}`, `ORIG_HEAD`)',
  });

/** Output of `git.reset`: HEAD before and after the step, and whether it moved. */
export const gitResetOutput = z.object({
  sha: z.string().describe('HEAD after the step.'),
  previous: z.string().describe('HEAD before the step.'),
  moved: z.boolean().describe('Whether HEAD moved.'),
});

type Input = z.output<typeof gitResetInput>;

/**
 * True when `ref` names the same commit after the reset as before, so running the step again changes nothing more:
 * HEAD itself, or a name that is neither relative (`~`, `^`, a reflog `@{...}`, `:`) nor a pseudo-ref the reset moves
 * (ORIG_HEAD, ...). `main~1` on main would go one commit further back at each run; `origin/main` or a sha would not.
 */
export function resetIsIdempotent(ref: string): boolean {
  return ref === 'HEAD' || (!/[~^@:]/.test(ref) && !/HEAD$/.test(ref));
}

/** The `git reset` arguments for an input and the commit `ref` resolved to (`--` ends the revision: no path). */
function resetArgs(i: Input, target: string): string[] {
  return ['reset', '-q', `--${i.mode}`, target, '--'];
}

/**
 * Runs `git reset --<mode> <ref>` on the checked-out branch of a work tree. The ref is resolved to a commit first (a
 * ref that names none is an error saying so, before anything moves), and the reset is made to that sha. Idempotent
 * when the ref does not move with the reset (see resetIsIdempotent): a resume then runs it again safely.
 */
export const gitReset = defineTask({
  id: 'git.reset',
  title: 'Reset the current branch',
  description:
    'git reset --soft|--mixed|--hard <ref>: moves the checked-out branch (and HEAD) to the commit <ref> names. The ref is resolved first (one naming no commit fails, nothing moved); a bare repo is refused.',
  input: gitResetInput,
  output: gitResetOutput,
  idempotent: (i) => resetIsIdempotent(i.ref),
  plan: (i) => [gitLine(i.repo, resetArgs(i, i.ref))],
  async run(ctx) {
    const i = ctx.input;
    const repo = repoDir(ctx.root, i.repo);
    if (requireRepo(repo, 'git.reset') === 'bare')
      throw new TaskError(`git.reset: ${repo} is a bare repository: reset needs a work tree`, { repo });
    const previous = await revParse(ctx, repo, 'HEAD');
    if (!previous) throw new TaskError(`git.reset: ${repo} has no commit yet: nothing to reset`, { repo });
    const target = await revParse(ctx, repo, i.ref);
    if (!target) throw new TaskError(`git.reset: ref ${i.ref} does not name a commit in ${repo}`, { repo, ref: i.ref });
    const r = await git(ctx, repo, resetArgs(i, target), { allowFail: true });
    if (r.exitCode !== 0)
      throw new TaskError(
        `git.reset: reset of ${repo} to ${i.ref} failed (exit code ${r.exitCode}): ${lastLines(`${r.stdout}\n${r.stderr}`)}`,
        { repo, ref: i.ref, exitCode: r.exitCode, stderr: r.stderr },
      );
    ctx.log.info(
      target === previous
        ? `${repo} stays at ${short(target)} (${i.ref}), ${i.mode} reset`
        : `${repo} moved from ${short(previous)} to ${short(target)} (${i.ref}), ${i.mode} reset`,
    );
    return { sha: target, previous, moved: target !== previous };
  },
});
