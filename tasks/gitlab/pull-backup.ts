// gitlab.pull-backup: brings a backup pushed by gitlab.push-backup back from where it was pushed (a local folder, a host
// over ssh with rsync, an rclone remote) into a local backup folder, for gitlab:restore `from=`. The remote's manifest
// is read first, the files pulled, every one checked against that manifest (size and sha256), and only then the manifest
// written: a local folder without its manifest is known incomplete, as everywhere in the family, and a pull cut short
// is finished by the next one (rsync and rclone send only what differs).
import { chown, lchown, lstat, mkdir, mkdtemp, readFile, rm, utimes, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { defineTask, TaskError, type TaskContext } from '../../engine/index.js';
import { execCommand } from '../support/command.js';
import { writeFileAtomic } from '../support/files.js';
import { formatCommand, lastLines } from '../support/format.js';
import { resolvePath } from '../support/paths.js';
import { getInstance, instanceName, storeOf } from './inventory.js';
import { BACKUP_ID, MANIFEST } from './support-backup.js';
import { compareIds, exists } from './support-restore.js';
import {
  destinationOf,
  parseTarget,
  rcloneBase,
  readPushManifest,
  remoteAccess,
  sshCommand,
  sshOptionsOf,
  showTarget,
  verifyLocal,
  type Target,
} from './support-remote.js';

const RSYNC = 'rsync';
const RCLONE = 'rclone';
/** rclone's exit code for "directory not found". */
const RCLONE_DIR_NOT_FOUND = 3;
/** rsync's exit code for a partial transfer (a source that does not exist says so with it). */
const RSYNC_PARTIAL = 23;
/** Where backups of an instance this host's inventory lacks are pulled: `<root>/pulled/<instance>/<id>`. */
export const PULLED = 'pulled';

const input = z.strictObject({
  instance: instanceName.describe(
    "The instance whose backup is pulled (the remote holds it under <path>/<instance>/<id>/, as gitlab.push-backup left it). One of this host's inventory gets it in its bckups/; another goes to <root>/pulled/<instance>/.",
  ),
  from: z
    .string()
    .min(1)
    .describe(
      'Where from, as gitlab.push-backup takes it: a local folder (relative: from the run root), [user@]host:<path> (rsync over ssh) or rclone:<remote>:<path>.',
    ),
  backup: z
    .string()
    .refine((b) => b === 'latest' || BACKUP_ID.test(b), 'a backup id (YYYYMMDDTHHMMSSZ) or latest')
    .default('latest')
    .describe('The backup id, or latest: the newest one the remote holds complete (with its manifest).'),
  root: z
    .string()
    .min(1)
    .describe('The folder holding the instance folders: a backup of an instance not in the inventory goes under it.'),
  ...remoteAccess,
});
type Input = z.output<typeof input>;

const output = z.object({
  instance: z.string().describe('The instance the backup belongs to.'),
  id: z.string().describe('The backup id pulled.'),
  dir: z.string().describe('The local backup folder, complete with its manifest.'),
  source: z.string().describe('Where it came from.'),
  pulled: z.boolean().describe('Whether anything was fetched (false: the local copy was already complete and equal).'),
  files: z.number().int().describe('How many files the backup has.'),
  bytes: z.number().int().describe('Their size in bytes.'),
  known: z.boolean().describe("Whether the instance is in this host's inventory."),
});

const show = (c: string[]) => formatCommand(c[0], c.slice(1));

async function run(
  ctx: Pick<TaskContext<unknown>, 'exec' | 'signal' | 'log'>,
  cmd: string[],
  o: { allowFail?: boolean } = {},
) {
  ctx.log.info(show(cmd));
  return execCommand(ctx, cmd[0], cmd.slice(1), { ...o, maxStdoutBytes: 64 * 1024 * 1024 });
}

/** rsync's options for a pull: as a push's (archive without devices, numeric ids), `-e ssh...` for an ssh source. */
function rsyncOptions(t: Target, i: Input): string[] {
  return [
    '--archive',
    '--no-D',
    '--numeric-ids',
    '--omit-dir-times',
    ...(t.kind === 'ssh' ? ['-e', sshCommand(sshOptionsOf(i))] : []),
  ];
}

/** The remote folder of `instance`'s backups (`<path>/<instance>`), as rsync or rclone name it. */
function instanceFolder(t: Target, instance: string): string {
  // destinationOf names <path>/<instance>/<id>: the same without the id
  return destinationOf(t, instance, '\0').slice(0, -2);
}

/** The backup ids whose manifest the remote holds, newest last. */
async function remoteComplete(ctx: TaskContext<Input>, t: Target, i: Input): Promise<string[]> {
  const folder = instanceFolder(t, i.instance);
  let names: string[];
  if (t.kind === 'rclone') {
    const cmd = [
      RCLONE,
      ...rcloneBase(i.rcloneConfig ?? undefined),
      'lsf',
      '-R',
      '--files-only',
      '--include',
      `/*/${MANIFEST}`,
      '--',
      folder,
    ];
    const r = await run(ctx, cmd, { allowFail: true });
    if (r.exitCode === RCLONE_DIR_NOT_FOUND) return [];
    if (r.exitCode !== 0) throw new TaskError(`${show(cmd)} exited with code ${r.exitCode}: ${lastLines(r.stderr, 5)}`);
    names = r.stdout.split('\n');
  } else {
    // the folders and their manifests only: one listing, no remote shell globbing
    const cmd = [
      RSYNC,
      ...rsyncOptions(t, i),
      '--list-only',
      '--include=/*/',
      `--include=/*/${MANIFEST}`,
      '--exclude=*',
      '--',
      `${folder}/`,
    ];
    const r = await run(ctx, cmd, { allowFail: true });
    if (r.exitCode === RSYNC_PARTIAL && /No such file or directory/.test(r.stderr)) return [];
    if (r.exitCode !== 0) throw new TaskError(`${show(cmd)} exited with code ${r.exitCode}: ${lastLines(r.stderr, 5)}`);
    // `-rw-r--r--      1,234 2026/12/05 12:00:00 <path>`
    names = r.stdout.split('\n').map((l) => /^\S+\s+[\d,.]+\s+\S+\s+\S+\s+(.*)$/.exec(l)?.[1] ?? '');
  }
  const ids = names
    .map((n) => n.trim())
    .filter((n) => n.endsWith(`/${MANIFEST}`))
    .map((n) => n.slice(0, -MANIFEST.length - 1))
    .filter((id) => BACKUP_ID.test(id));
  return ids.sort(compareIds);
}

/** The attributes manifest.json records (gitlab.backup-copy's): put back on files rclone could not keep them for. */
interface Attributes {
  files?: Array<{ path: string; mode?: number; mtime?: string; uid?: number; gid?: number }>;
  dirs?: Array<{ path: string; mode?: number; mtime?: string; uid?: number; gid?: number }>;
  symlinks?: Array<{ path: string; uid?: number; gid?: number }>;
}

/** Gives the pulled files and folders the mode, owner and time their manifest says (folders last: their times). */
async function applyAttributes(dir: string, text: string): Promise<void> {
  const m = JSON.parse(text) as Attributes;
  const asRoot = process.getuid?.() === 0;
  const set = async (e: { path: string; mode?: number; mtime?: string; uid?: number; gid?: number }) => {
    const p = join(dir, e.path);
    if (!(await exists(p))) return;
    if (asRoot && Number.isInteger(e.uid) && Number.isInteger(e.gid)) await chown(p, e.uid!, e.gid!);
    if (Number.isInteger(e.mode)) await chmod(p, e.mode! & 0o7777);
    if (e.mtime && !Number.isNaN(Date.parse(e.mtime))) await utimes(p, new Date(e.mtime), new Date(e.mtime));
  };
  for (const f of m.files ?? []) await set(f);
  if (asRoot)
    for (const l of m.symlinks ?? [])
      if (Number.isInteger(l.uid) && Number.isInteger(l.gid))
        await lchown(join(dir, l.path), l.uid!, l.gid!).catch(() => undefined);
  // deepest first: setting a folder's time before its children's would be undone by them
  for (const d of [...(m.dirs ?? [])].sort((a, b) => b.path.length - a.path.length)) await set(d);
}

/** Pulls a backup of an instance back from a remote. */
export const gitlabPullBackup = defineTask({
  id: 'gitlab.pull-backup',
  title: 'Pull a backup back from a remote',
  description:
    "Reads the remote's <path>/<instance>/ (latest: the newest backup there with its manifest.json), fetches that manifest, then the files into the instance's bckups/<id>/ (or <root>/pulled/<instance>/<id>/ for an instance this host's inventory lacks): rsync --checksum for a folder or an ssh host, rclone sync --checksum for an rclone remote (modes, owners and times then put back from the manifest). Every file is checked against the manifest (size and sha256) before the manifest is written, last. A local copy already complete and equal is left alone; a local backup of the same id with another manifest is refused (never overwritten).",
  input,
  output,
  idempotent: true,
  plan: (i) => {
    const t = parseTarget(i.from, undefined);
    const id = i.backup === 'latest' ? '<the newest complete one>' : i.backup;
    return [
      `list ${showTarget(t, i.instance, '')}: the backups with a ${MANIFEST}`,
      `fetch ${showTarget(t, i.instance, id)}/${MANIFEST}, then its files by ${t.kind === 'rclone' ? 'rclone sync --checksum' : 'rsync --checksum'} into bckups/${id} of ${i.instance} (or ${join(i.root, PULLED, i.instance, id)})`,
      `check every file's size and sha256 against the manifest, then write the manifest, last`,
    ];
  },
  async run(ctx) {
    const abs = (p: string | null | undefined) => (p ? resolvePath(ctx.root, p) : p);
    const i: Input = {
      ...ctx.input,
      identity: abs(ctx.input.identity),
      knownHosts: abs(ctx.input.knownHosts),
      rcloneConfig: abs(ctx.input.rcloneConfig),
    };
    const t = parseTarget(i.from, ctx.root);
    const rec = await getInstance(storeOf(ctx), i.instance);
    let id = i.backup;
    if (id === 'latest') {
      const ids = await remoteComplete(ctx, t, i);
      const newest = ids[ids.length - 1];
      if (!newest)
        throw new TaskError(
          `${showTarget(t, i.instance, '').replace(/\/$/, '')} holds no complete backup of ${i.instance} (a folder <id>/ with its ${MANIFEST})`,
          { from: i.from, instance: i.instance },
        );
      id = newest;
    }
    const src = destinationOf(t, i.instance, id);
    const where = showTarget(t, i.instance, id);
    const dir = rec ? join(rec.dir, 'bckups', id) : join(resolvePath(ctx.root, i.root), PULLED, i.instance, id);
    const what = `backup ${id} of ${i.instance} pulled from ${where} into ${dir}`;

    // the remote's manifest first, into a folder of our own: it says what the files must be
    const tmp = await mkdtemp(join(tmpdir(), 'gravity-pull-'));
    try {
      const manifestCmd =
        t.kind === 'rclone'
          ? [
              RCLONE,
              ...rcloneBase(i.rcloneConfig ?? undefined),
              'copyto',
              '--',
              `${src}/${MANIFEST}`,
              join(tmp, MANIFEST),
            ]
          : [RSYNC, ...rsyncOptions(t, i), '--', `${src}/${MANIFEST}`, join(tmp, MANIFEST)];
      const got = await run(ctx, manifestCmd, { allowFail: true });
      if (got.exitCode !== 0)
        throw new TaskError(
          `${where} holds no ${MANIFEST} (not there, or not a complete backup): ${show(manifestCmd)} exited with code ${got.exitCode}: ${lastLines(got.stderr, 5)}`,
          { from: i.from, backup: id },
        );
      const m = await readPushManifest(tmp, id, i.instance).catch((e: unknown) => {
        throw new TaskError(
          `the ${MANIFEST} at ${where} is not usable: ${e instanceof Error ? e.message.replace(/; backup .* is not pushed$/, '') : String(e)}`,
          { from: i.from, backup: id },
        );
      });
      const result = { instance: i.instance, id, dir, source: where, known: !!rec };

      const localManifest = join(dir, MANIFEST);
      if (await exists(localManifest)) {
        const local = await readFile(localManifest, 'utf8');
        if (local !== m.text)
          throw new TaskError(
            `${dir} is a backup ${id} of ${i.instance} with another ${MANIFEST} than the one at ${where}: it is left as it is (restore it without from=, or remove it first)`,
            { dir, from: i.from },
          );
        try {
          const { files, bytes } = await verifyLocal(dir, m, `the local copy ${dir}`, ctx.signal);
          ctx.log.info(`${dir} is already backup ${id} of ${i.instance}, complete and equal: nothing pulled`);
          return { ...result, pulled: false, files, bytes };
        } catch (e) {
          if (!(e instanceof TaskError)) throw e;
          // a local copy that no longer matches its manifest: pulled again, its manifest removed first
          ctx.log.warn(`${e.message.replace(/, nothing pushed/, '')}: pulling it again`);
          await rm(localManifest, { force: true });
        }
      }
      await mkdir(dir, { recursive: true });
      const pullCmd =
        t.kind === 'rclone'
          ? [
              RCLONE,
              ...rcloneBase(i.rcloneConfig ?? undefined),
              'sync',
              '--checksum',
              '--exclude',
              `/${MANIFEST}`,
              '--',
              src,
              dir,
            ]
          : [
              RSYNC,
              ...rsyncOptions(t, i),
              '--checksum',
              '--delete',
              `--exclude=/${MANIFEST}`,
              '--',
              `${src}/`,
              `${dir}/`,
            ];
      await run(ctx, pullCmd);
      if (t.kind === 'rclone') await applyAttributes(dir, m.text);
      let checked;
      try {
        checked = await verifyLocal(dir, m, what, ctx.signal);
      } catch (e) {
        if (!(e instanceof TaskError)) throw e;
        throw new TaskError(
          `${e.message.replace(/, nothing pushed/, '')}: the copy at ${where} is damaged, the local folder stays incomplete (no ${MANIFEST})`,
          { dir, from: i.from },
        );
      }
      // the manifest last, as gitlab:backup writes it: the folder is a complete backup only from now on
      const mode = (await lstat(join(tmp, MANIFEST))).mode & 0o777;
      await writeFileAtomic(localManifest, m.text, mode);
      ctx.log.info(`${what}: ${checked.files} files, ${checked.bytes} bytes, checked against its manifest`);
      return { ...result, pulled: true, ...checked };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  },
});
