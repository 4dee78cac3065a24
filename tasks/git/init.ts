// Creates a git repository (bare or with a work tree) as a task node; re-running on the same kind of repo is a no-op.
import { mkdir } from 'node:fs/promises';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { formatCommand } from '../support/format.js';
import { git } from '../support/git.js';
import { refName, repoDir, repoKind } from './support.js';

/** Input of `git.init`; a relative `dir` is taken from the run root. */
export const gitInitInput = z.strictObject({
  dir: z.string().min(1).describe("The repository's folder (relative to the run root, or absolute)."),
  bare: z.boolean().default(false).describe('A bare repository (a remote to push to) instead of one with a work tree.'),
  defaultBranch: refName('branch').default('main').describe('Name of the unborn first branch (`git init -b`).'),
});

/** Output of `git.init`: the absolute dir and its kind. */
export const gitInitOutput = z.object({
  dir: z.string().describe('The absolute dir.'),
  bare: z.boolean().describe('Whether it is a bare repository.'),
});

/** The `git init` arguments for an input. */
function initArgs(i: z.output<typeof gitInitInput>): string[] {
  return ['init', '-q', ...(i.bare ? ['--bare'] : []), '-b', i.defaultBranch];
}

/**
 * Runs `git init [--bare] -b <defaultBranch>` in `dir`, creating the folder.
 * An existing repository of the same kind is left as it is; one of the other kind is an error.
 */
export const gitInit = defineTask({
  id: 'git.init',
  title: 'Create a git repository',
  description:
    'git init, bare or not, with the name of the first branch; a no-op on an existing repo of the same kind.',
  input: gitInitInput,
  output: gitInitOutput,
  idempotent: true,
  plan: (i) => [`mkdir -p ${i.dir}`, `(cd ${i.dir} && ${formatCommand('git', initArgs(i))})`],
  async run(ctx) {
    const { bare } = ctx.input;
    const dir = repoDir(ctx.root, ctx.input.dir);
    const kind = repoKind(dir);
    if (kind) {
      const isBare = kind === 'bare';
      if (isBare !== bare) {
        throw new TaskError(
          `git.init: dir ${dir} is already a ${isBare ? 'bare' : 'non-bare'} repository, expected a ${bare ? 'bare' : 'non-bare'} one`,
          { dir, bare, existing: kind },
        );
      }
      ctx.log.info(`${dir} is already a ${isBare ? 'bare ' : ''}repository: left as it is`);
      return { dir, bare };
    }
    await mkdir(dir, { recursive: true });
    await git(ctx, dir, initArgs(ctx.input));
    ctx.log.info(`initialized ${bare ? 'bare ' : ''}repository ${dir} (branch ${ctx.input.defaultBranch})`);
    return { dir, bare };
  },
});
