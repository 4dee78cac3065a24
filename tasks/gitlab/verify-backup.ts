// gitlab.verify-backup: everything a restore checks before it touches anything: the instance (its record and folder),
// the backup (complete, every file's size and sha256 as its manifest says), and that the image runs the backup's
// GitLab version. Read only.
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { errnoCode } from '../support/files.js';
import { versionOfImage } from './allocate.js';
import { getInstance, instanceName, storeOf, type Instance } from './inventory.js';
import { layoutOf } from './prepare-dir.js';
import {
  BACKUP_ID_PATTERN,
  backupPath,
  checkInstanceDir,
  listBackups,
  readBackupManifest,
  utcStamp,
  verifyFiles,
  type BackupManifest,
} from './support-restore.js';

/** Checks a backup before a restore. */
export const gitlabVerifyBackup = defineTask({
  id: 'gitlab.verify-backup',
  title: 'Verify a backup before a restore',
  description:
    "Reads the instance's record and, unless the restore goes into a new instance, checks its folder as gitlab:adopt does (mapping-volumes/{data,config,log}); picks the backup (`latest`: the newest complete one, with a manifest.json), checks that its files are there (data/, config/, log/ for a cold backup; the archive and config/ for an online one), that the image's GitLab version is the backup's (a mismatch names both), that every file the manifest lists has its size and sha256 (streamed; the first that does not match is named) and that the backup holds no file it does not list. Changes nothing.",
  input: z.strictObject({
    instance: instanceName.describe('The instance whose backup it is (its folder holds bckups/).'),
    backup: z
      .string()
      .regex(/^(latest|\d{8}T\d{6}Z(-\d+)?)$/, 'latest or a backup id (YYYYMMDDTHHMMSSZ)')
      .default('latest')
      .describe('The backup id (its folder under bckups/), or `latest`: the newest complete one.'),
    into: instanceName
      .nullable()
      .optional()
      .describe('The new instance the backup goes into (its folder is not checked: it does not exist yet).'),
    dir: z
      .string()
      .min(1)
      .nullable()
      .optional()
      .describe(
        "A backup folder outside the instance's bckups/ (one gitlab.pull-backup brought back): the one checked, `backup` being its id or latest. With it, an instance this host's inventory lacks can be restored into a new one (`into`): its image and network come from the backup's manifest.",
      ),
  }),
  output: z.object({
    id: z.string().describe('The backup id.'),
    dir: z.string().describe('The backup folder.'),
    mode: z.enum(['online', 'cold']).describe('online (a gitlab-backup archive) or cold (copies of the volumes).'),
    version: z.string().describe('The GitLab version that made it.'),
    gitlabBackupId: z.string().optional().describe("The archive's id (online backups): BACKUP= of gitlab-backup."),
    files: z.number().int().describe('The files checked.'),
    bytes: z.number().int().describe('Their size in all.'),
    source: z.string().describe('The instance the backup belongs to.'),
    image: z.string().describe("The source instance's image (a new instance runs it too)."),
    network: z.enum(['host', 'publish']).describe("The source instance's network mode."),
    stamp: z.string().describe('The UTC time of the check (YYYYMMDDTHHMMSSZ): names the moved-aside volumes.'),
  }),
  idempotent: true,
  plan: (i) => [
    `check instance ${i.instance}${i.into ? ` and its backup, for a new instance ${i.into}` : ''}`,
    `verify backup ${i.backup} of ${i.instance}: manifest, sizes and sha256 of every file, GitLab version`,
  ],
  async run(ctx) {
    const { instance, backup, into, dir } = ctx.input;
    const rec = await getInstance(storeOf(ctx), instance);
    if (!rec && !(dir && into))
      throw new TaskError(
        `no instance ${instance} in the inventory${dir ? ': its backup can only be restored into a new instance (into=<name>)' : ''}`,
        { instance },
      );
    if (rec && !into) await checkInstanceDir(rec.dir, instance);
    else if (rec && !dir)
      try {
        await stat(layoutOf(rec.dir).backups);
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') throw e;
        throw new TaskError(`instance ${instance} has no backup folder ${layoutOf(rec.dir).backups}`, { instance });
      }
    const backupsDir = dir ? dirname(dir) : layoutOf((rec as Instance).dir).backups;
    let chosen: Awaited<ReturnType<typeof listBackups>>[number] | undefined;
    if (dir) {
      const id = basename(dir);
      if (!BACKUP_ID_PATTERN.test(id))
        throw new TaskError(`dir: ${dir} is not a backup folder (<id>: YYYYMMDDTHHMMSSZ)`);
      if (backup !== 'latest' && backup !== id)
        throw new TaskError(`dir: ${dir} holds backup ${id}, not ${backup}`, { backup, dir });
      chosen = { id, dir, ...(await readBackupManifest(dir, id)) };
      if (!chosen.manifest)
        throw new TaskError(`backup ${id} of ${instance} at ${dir} is ${chosen.problem}: it cannot be restored`, {
          instance,
          backup: id,
        });
    } else if (backup === 'latest') {
      const all = await listBackups(backupsDir);
      chosen = all.find((b) => b.manifest);
      if (!chosen)
        throw new TaskError(
          `instance ${instance} has no complete backup in ${backupsDir}${all.length ? ` (${all.length} incomplete: ${all.map((b) => b.id).join(', ')})` : ''}`,
          { instance },
        );
    } else {
      chosen = (await listBackups(backupsDir)).find((b) => b.id === backup);
      if (!chosen)
        throw new TaskError(`instance ${instance} has no backup ${backup} in ${backupsDir}`, { instance, backup });
      if (!chosen.manifest)
        throw new TaskError(`backup ${backup} of ${instance} is ${chosen.problem}: it cannot be restored`, {
          instance,
          backup,
        });
    }
    const m = chosen.manifest as BackupManifest;
    if (!BACKUP_ID_PATTERN.test(m.id)) throw new TaskError(`backup ${chosen.id}: its manifest names id ${m.id}`);
    // the version first: a mismatch is refused without reading gigabytes
    // an instance this host does not know (a pulled backup into a new one) runs the image the backup names
    const image = rec?.image ?? m.image;
    const imageVersion = versionOfImage(image) ?? rec?.version ?? m.version;
    if (m.version !== imageVersion)
      throw new TaskError(
        `backup ${m.id} was made by GitLab ${m.version}, but instance ${instance} runs ${image} (GitLab ${imageVersion}): a restore needs the same version (restore it with a ${m.version} image, then upgrade)`,
        { backup: m.id, backupVersion: m.version, imageVersion },
      );
    const needed =
      m.mode === 'cold'
        ? ['data', 'config', 'log']
        : ['config', m.gitlabBackupId ? `gitlab/${m.gitlabBackupId}_gitlab_backup.tar` : 'gitlab/<gitlabBackupId>'];
    if (m.mode === 'online' && !m.gitlabBackupId)
      throw new TaskError(`backup ${m.id} is online but its manifest names no gitlabBackupId`, { backup: m.id });
    for (const rel of needed)
      try {
        await stat(backupPath(chosen.dir, rel));
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') throw e;
        throw new TaskError(`backup ${m.id} is incomplete: it has no ${rel}`, { backup: m.id, path: rel });
      }
    const { files, bytes } = await verifyFiles(chosen.dir, m, ctx.signal);
    ctx.log.info(`backup ${m.id} (${m.mode}, GitLab ${m.version}): ${files} files, ${bytes} bytes match its manifest`);
    return {
      id: m.id,
      dir: chosen.dir,
      mode: m.mode,
      version: m.version,
      ...(m.gitlabBackupId ? { gitlabBackupId: m.gitlabBackupId } : {}),
      files,
      bytes,
      source: instance,
      image,
      network: rec?.network ?? (m.instance.network === 'publish' ? 'publish' : 'host'),
      stamp: utcStamp(),
    };
  },
});
