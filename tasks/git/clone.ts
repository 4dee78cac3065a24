// Clones a repository as a task node, writing the actor's identity into the clone's own config.
import { existsSync } from 'node:fs';
import { readdir, rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { formatCommand } from '../support/format.js';
import { git } from '../support/git.js';
import { currentBranch, gitLine, identity, refName, repoDir, repoKind, revParse } from './support.js';

/** Input of `git.clone`; a relative `dir` (and a relative local `url`) is taken from the run root. */
export const gitCloneInput = z.strictObject({
  url: z
    .string()
    .min(1)
    .refine((v) => !v.startsWith('-'), { message: 'must not start with "-"' })
    .describe('What to clone: a URL or a path (a relative local path is taken from the run root).'),
  dir: z.string().min(1).describe('Where the clone goes (relative to the run root, or absolute).'),
  branch: refName('branch').optional().describe("Branch to check out instead of the remote's HEAD."),
  user: identity.optional().describe("Written into the clone's local config as user.name / user.email."),
});

/** Output of `git.clone`: the absolute dir, the checked-out commit (null for an empty repo) and branch. */
export const gitCloneOutput = z.object({
  dir: z.string().describe('The absolute dir of the clone.'),
  head: z.string().nullable().describe('The checked-out commit; null for an empty repository.'),
  branch: z.string().nullable().describe('The checked-out branch; null when there is none.'),
});

/** The `git clone` arguments for an input. */
function cloneArgs(i: z.output<typeof gitCloneInput>, dir: string): string[] {
  return ['clone', '-q', ...(i.branch ? ['--branch', i.branch] : []), '--', i.url, dir];
}

/** Where `dir` is cloned before it is renamed into place (a name only git.clone uses). */
export function partialDir(dir: string): string {
  return `${dir.replace(/\/+$/, '')}.gravity-partial`;
}

/** The `git config` argument lists that write the identity. */
function userArgs(user: { name: string; email: string } | undefined): string[][] {
  return user
    ? [
        ['config', '--local', 'user.name', user.name],
        ['config', '--local', 'user.email', user.email],
      ]
    : [];
}

/** True when `a` and `b` name the same remote: equal strings or the same local path. */
function sameUrl(root: string, a: string, b: string): boolean {
  if (a === b) return true;
  const local = (u: string) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(u);
  return local(a) && local(b) && resolve(root, a).replace(/\/+$/, '') === resolve(root, b).replace(/\/+$/, '');
}

/**
 * Runs `git clone [--branch <branch>] <url> <dir>` from the run root, then sets the clone's user.name and
 * user.email. A dir that already holds a clone of the same url is reused (so the node is idempotent);
 * a dir holding anything else is an error.
 */
export const gitClone = defineTask({
  id: 'git.clone',
  title: 'Clone a repository',
  description:
    'git clone, then the actor identity in the clone config; reuses an existing clone of the same url. It clones into `<dir>.gravity-partial` and renames it into place, so a clone killed halfway never leaves a half repository that a resume would take for a finished one; after a crash or a SIGHUP, resume re-attaches to the clone or adopts its end, then renames it.',
  input: gitCloneInput,
  output: gitCloneOutput,
  idempotent: true,
  // a clone of a big repository takes long: its commands outlive the CLI, and resume adopts or re-attaches them
  supervised: true,
  plan: (i) => [
    formatCommand('git', cloneArgs(i, partialDir(i.dir))),
    `rename ${partialDir(i.dir)} -> ${i.dir}`,
    ...userArgs(i.user).map((a) => gitLine(i.dir, a)),
  ],
  async run(ctx) {
    const { url } = ctx.input;
    const dir = repoDir(ctx.root, ctx.input.dir);
    const partial = partialDir(dir);
    // decided once per attempt: the replay of an interrupted attempt (resume adopting its commands) must take the path
    // it took, though its clone may have been renamed into dir since
    const cloning = await ctx.once('clone', async () => {
      if (repoKind(dir)) return false;
      const entries = await readdir(dir).catch(() => [] as string[]);
      if (entries.length > 0) throw new TaskError(`git.clone: dir ${dir} exists and is not empty`, { dir, url });
      // cloned beside it, then renamed: a clone killed halfway (a crash, SIGKILL) never leaves a half repository in
      // dir, which a re-run would take for a finished clone; what such a clone left beside it is removed first
      await rm(partial, { recursive: true, force: true });
      return true;
    });
    if (!cloning) {
      const kind = repoKind(dir);
      const origin = await git(ctx, dir, ['config', '--local', '--get', 'remote.origin.url'], { allowFail: true });
      const existing = origin.stdout.trim();
      if (kind !== 'work-tree' || !sameUrl(ctx.root, existing, url)) {
        throw new TaskError(
          `git.clone: dir ${dir} already holds a repository${existing ? ` cloned from ${existing}` : ''}, not a clone of ${url}`,
          {
            dir,
            url,
            existing,
          },
        );
      }
      ctx.log.info(`${dir} is already a clone of ${url}: reused`);
    } else {
      await git(ctx, ctx.root, cloneArgs(ctx.input, partial));
      // a replayed attempt that was killed after its rename finds its clone in dir already
      if (existsSync(partial) || !repoKind(dir)) await rename(partial, dir);
      ctx.log.info(`cloned ${url} into ${dir}`);
    }
    for (const args of userArgs(ctx.input.user)) await git(ctx, dir, args);
    return { dir, head: await revParse(ctx, dir, 'HEAD'), branch: await currentBranch(ctx, dir) };
  },
});
