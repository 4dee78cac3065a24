// platform.sync-project: one project of a platform in an environment's srv/: cloned when absent (into a partial folder
// renamed into place, so a clone killed halfway is never taken for a finished one), else fetched and fast-forwarded to
// its branch. A clone with local changes or local commits is left as it is and said so: an environment's work is
// never overwritten. A folder holding a clone of another repository is refused.
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { errnoCode } from '../support/files.js';
import { git } from '../support/git.js';
import { dnsLabel } from '../env/model.js';
import { envDir, envName, homeInput, homeOf, loadPlatform, platformName } from './support.js';

/** Clones or updates a project in an environment. */
export const platformSyncProject = defineTask({
  id: 'platform.sync-project',
  title: 'Clone or update a project',
  description:
    "Clones a project of the platform (platform.json: its repository and branch) into the environment's srv/<project>/, or, when it is there, fetches it and fast-forwards its branch. A clone with uncommitted changes, local commits or another branch checked out is left as it is (updated: false, and why); a folder that is not a clone of that repository is refused.",
  input: z.strictObject({
    home: homeInput,
    platform: platformName,
    env: envName,
    project: dnsLabel('project').describe('The project (its name in platform.json).'),
  }),
  output: z.object({
    dir: z.string().describe('The clone.'),
    cloned: z.boolean().describe('Whether this step cloned it.'),
    updated: z.boolean().describe('Whether it moved to a newer commit.'),
    head: z.string().nullable().describe('Its commit now (null: an empty repository).'),
    note: z.string().optional().describe('Why an existing clone was left as it was.'),
  }),
  idempotent: true,
  // a clone of a big repository takes long; its git outlives a crash and the step starts over from the partial folder
  timeoutMs: 30 * 60_000,
  plan: (i) => [
    `git clone <repository of ${i.project}> ${join(i.home, 'platforms', i.platform, i.env, 'srv', i.project)} (or git fetch + merge --ff-only when it is there)`,
  ],
  async run(ctx) {
    const i = ctx.input;
    const h = homeOf(ctx.root, i.home);
    const p = await loadPlatform(h, i.platform);
    const proj = p.projects.find((x) => x.name === i.project);
    if (!proj)
      throw new TaskError(
        `platform ${i.platform} has no project ${i.project} (its projects: ${p.projects.map((x) => x.name).join(', ') || 'none'})`,
        { project: i.project },
      );
    const dir = join(envDir(h, i.platform, i.env), 'srv', proj.name);
    const head = async () =>
      (await git(ctx, dir, ['rev-parse', '-q', '--verify', 'HEAD'], { allowFail: true })).stdout.trim() || null;
    let exists = true;
    try {
      await stat(dir);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
      exists = false;
    }
    if (!exists) {
      const partial = `${dir}.gravity-partial`;
      await rm(partial, { recursive: true, force: true });
      await git(ctx, undefined, [
        'clone',
        '-q',
        ...(proj.branch ? ['--branch', proj.branch] : []),
        '--',
        proj.repo,
        partial,
      ]);
      await rename(partial, dir);
      const h2 = await head();
      ctx.log.info(`cloned ${proj.repo} into ${dir} (${h2?.slice(0, 12) ?? 'empty'})`);
      return { dir, cloned: true, updated: false, head: h2 };
    }
    const url = (await git(ctx, dir, ['config', '--get', 'remote.origin.url'], { allowFail: true })).stdout.trim();
    if (url !== proj.repo)
      throw new TaskError(
        `${dir} is ${url ? `a clone of ${url}` : 'not a clone'}, not of ${proj.repo} (project ${proj.name}): move it away, or fix platform.json`,
        { dir, project: proj.name },
      );
    const before = await head();
    await git(ctx, dir, ['fetch', '-q', 'origin']);
    const leave = (note: string) => {
      ctx.log.warn(`${proj.name}: ${note}: left as it is`);
      return { dir, cloned: false, updated: false, head: before, note };
    };
    const branch = (await git(ctx, dir, ['symbolic-ref', '-q', '--short', 'HEAD'], { allowFail: true })).stdout.trim();
    const want =
      proj.branch ??
      (await git(ctx, dir, ['symbolic-ref', '-q', '--short', 'refs/remotes/origin/HEAD'], { allowFail: true })).stdout
        .trim()
        .replace(/^origin\//, '');
    if (!branch) return leave('no branch checked out (a detached HEAD)');
    if (want && branch !== want) return leave(`branch ${branch} is checked out, not ${want}`);
    const dirty = (await git(ctx, dir, ['status', '--porcelain', '--untracked-files=no'])).stdout.trim();
    if (dirty) return leave('uncommitted changes');
    const upstream = `origin/${branch}`;
    const known = await git(ctx, dir, ['rev-parse', '-q', '--verify', `refs/remotes/${upstream}`], { allowFail: true });
    if (known.exitCode !== 0) return leave(`the remote has no branch ${branch}`);
    const merged = await git(ctx, dir, ['merge', '-q', '--ff-only', upstream], { allowFail: true });
    if (merged.exitCode !== 0) return leave(`local commits that ${upstream} does not have (not a fast-forward)`);
    const after = await head();
    if (after !== before) ctx.log.info(`${proj.name}: ${before?.slice(0, 12)} -> ${after?.slice(0, 12)}`);
    return { dir, cloned: false, updated: after !== before, head: after };
  },
});
