// gitlab.swap-volumes: the backup's volumes in place of an instance's (stopped) ones, the old ones kept aside until the
// restored instance is healthy. Built in mapping-volumes.restore-<stamp> first, then two renames on the same
// filesystem: mapping-volumes -> mapping-volumes.aside-<stamp>, restore-<stamp> -> mapping-volumes. Run again after a
// crash it finds where it was; rollback puts the aside volumes back.
import { lstat, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { confineToRoot } from '../support/paths.js';
import { layoutOf } from './prepare-dir.js';
import { ASIDE_PREFIX, copyTree, exists, renameOrSay, STAGING_PREFIX } from './support-restore.js';

/** The folders of a swap. */
const swapPaths = (dir: string, stamp: string) => ({
  volumes: layoutOf(dir).volumes,
  aside: join(dir, `${ASIDE_PREFIX}${stamp}`),
  staging: join(dir, `${STAGING_PREFIX}${stamp}`),
});

/** Swaps an instance's volumes for a backup's. */
export const gitlabSwapVolumes = defineTask({
  id: 'gitlab.swap-volumes',
  title: "Swap an instance's volumes for a backup's",
  description:
    'With the container stopped: builds mapping-volumes.restore-<stamp> from the backup (cold: its data/, config/, log/; online: its config/, empty data/ and log/, and the archive in data/backups/), files streamed, owner, mode and timestamps kept; then renames mapping-volumes to mapping-volumes.aside-<stamp> and the new folder to mapping-volumes (renames on one filesystem). Run again after a crash, it goes on from where it was (a half-built folder is built again; volumes swapped already are left as they are). Rollback removes the restored volumes and renames the aside ones back.',
  input: z.strictObject({
    dir: z.string().min(1).describe('The instance folder (holding mapping-volumes/).'),
    backup: z.string().min(1).describe('The backup folder (bckups/<id>/), verified.'),
    mode: z.enum(['online', 'cold']).describe('The backup mode: cold (copies of the volumes) or online (an archive).'),
    gitlabBackupId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a gitlab-backup id')
      .nullable()
      .optional()
      .describe('The archive id of an online backup (gitlab/<id>_gitlab_backup.tar).'),
    stamp: z
      .string()
      .regex(/^\d{8}T\d{6}Z$/, 'YYYYMMDDTHHMMSSZ')
      .describe('Names the aside and staging folders (the same on every run of the step).'),
  }),
  output: z.object({
    dir: z.string().describe('The instance folder (absolute).'),
    aside: z.string().describe('Where the old volumes are now.'),
    files: z.number().int().describe('Files copied in (0 when the step found the swap done).'),
    bytes: z.number().int().describe('Bytes copied in.'),
    resumed: z.boolean().describe('True when a run before this one had got part of the way.'),
  }),
  idempotent: true,
  plan: (i) => {
    const p = swapPaths(i.dir, i.stamp);
    return [
      i.mode === 'cold'
        ? `copy ${i.backup}/{data,config,log} to ${p.staging} (owner, mode, times kept)`
        : `copy ${i.backup}/config and gitlab/${i.gitlabBackupId}_gitlab_backup.tar to ${p.staging}`,
      `mv ${p.volumes} ${p.aside}`,
      `mv ${p.staging} ${p.volumes}`,
    ];
  },
  async run(ctx) {
    const i = ctx.input;
    const dir = await confineToRoot(ctx.root, i.dir, {
      task: 'gitlab.swap-volumes',
      param: 'dir',
      origin: ctx.rootOrigin,
    });
    const p = swapPaths(dir, i.stamp);
    if (await exists(p.aside)) {
      // moved aside already: swap in the staging folder, or find it swapped in
      if (await exists(p.volumes)) {
        if (await exists(p.staging))
          throw new TaskError(`${p.volumes}, ${p.aside} and ${p.staging} all exist: not a state this step leaves`, {
            dir,
          });
        ctx.log.info(`volumes swapped already (${p.aside} aside)`);
        return { dir, aside: p.aside, files: 0, bytes: 0, resumed: true };
      }
      if (!(await exists(p.staging)))
        throw new TaskError(`${p.volumes} is missing and ${p.aside} holds the old volumes: rename it back by hand`, {
          dir,
        });
      await renameOrSay(p.staging, p.volumes);
      return { dir, aside: p.aside, files: 0, bytes: 0, resumed: true };
    }
    if (!(await exists(p.volumes))) throw new TaskError(`${p.volumes} is missing: nothing to swap`, { dir });
    const resumed = await exists(p.staging);
    if (resumed) await rm(p.staging, { recursive: true, force: true });
    let files = 0;
    let bytes = 0;
    const add = (r: { files: number; bytes: number }) => {
      files += r.files;
      bytes += r.bytes;
    };
    const old = layoutOf(dir);
    const top = await lstat(p.volumes);
    await mkdir(p.staging, { mode: Number(top.mode) & 0o7777 });
    if (i.mode === 'cold') {
      for (const sub of ['data', 'config', 'log'])
        add(await copyTree(join(i.backup, sub), join(p.staging, sub), ctx.signal));
    } else {
      if (!i.gitlabBackupId) throw new TaskError('an online backup needs gitlabBackupId', {});
      add(await copyTree(join(i.backup, 'config'), join(p.staging, 'config'), ctx.signal));
      // GitLab starts on empty data and log folders (owned as the old ones), the archive in data/backups/
      for (const [sub, from] of [
        ['data', old.data],
        ['log', old.log],
      ] as const) {
        const st = await lstat(from);
        await mkdir(join(p.staging, sub), { mode: Number(st.mode) & 0o7777 });
      }
      await mkdir(join(p.staging, 'data', 'backups'), { mode: 0o700 });
      const tar = `${i.gitlabBackupId}_gitlab_backup.tar`;
      add(await copyTree(join(i.backup, 'gitlab', tar), join(p.staging, 'data', 'backups', tar), ctx.signal));
    }
    await renameOrSay(p.volumes, p.aside);
    await renameOrSay(p.staging, p.volumes);
    ctx.log.info(`restored volumes in place (${files} files, ${bytes} bytes); the old ones are in ${p.aside}`);
    return { dir, aside: p.aside, files, bytes, resumed };
  },
  async compensate(ctx) {
    const dir = ctx.output.dir;
    const p = swapPaths(dir, ctx.input.stamp);
    if (!(await exists(p.aside))) {
      // deleted after a healthy restore, or put back by an earlier rollback: the volumes in place are kept
      ctx.log.warn(`kept ${p.volumes}: ${p.aside} is gone (deleted after a healthy restore, or put back already)`);
      await rm(p.staging, { recursive: true, force: true });
      return;
    }
    // the restored volumes out of the way by a rename, the old ones back by another, then the restored ones deleted
    await rm(p.staging, { recursive: true, force: true });
    if (await exists(p.volumes)) await renameOrSay(p.volumes, p.staging);
    await renameOrSay(p.aside, p.volumes);
    await rm(p.staging, { recursive: true, force: true });
    ctx.log.info(`put the old volumes back in ${p.volumes}`);
  },
});
