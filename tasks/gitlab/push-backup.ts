// gitlab.push-backup: copies a complete backup of an instance elsewhere (a local folder, a host over ssh with rsync, an
// rclone remote), checked against its manifest before (sha256 of every local file) and after (the copy, by checksums),
// the manifest pushed last; a copy already complete and verified is left alone, one that differs is pushed again.
import { join } from 'node:path';
import { z } from 'zod';
import { defineTask, TaskError, type TaskContext } from '../../engine/index.js';
import { execCommand } from '../support/command.js';
import { formatCommand, lastLines } from '../support/format.js';
import { isStrictlyInside, resolvePath } from '../support/paths.js';
import { getInstance, instanceName, storeOf } from './inventory.js';
import { BACKUP_ID, MANIFEST, scanBackups } from './support-backup.js';
import {
  compareHashes,
  destinationOf,
  parseHashsum,
  parseItemized,
  parseTarget,
  rcloneBase,
  rcloneExpected,
  readPushManifest,
  remoteAccess,
  rsyncCheckArgs,
  rsyncManifestArgs,
  rsyncPushArgs,
  showTarget,
  sshOptionsOf,
  verifyLocal,
  type Target,
} from './support-remote.js';

const RSYNC = 'rsync';
const RCLONE = 'rclone';
/** Most bytes of output a check may print (one line per file of a big backup). */
const CHECK_OUTPUT_LIMIT = 256 * 1024 * 1024;
/** rclone's exit code for "directory not found": the copy does not exist yet. */
const RCLONE_DIR_NOT_FOUND = 3;

const input = z.strictObject({
  instance: instanceName.describe('The instance whose backup is pushed (its folder comes from the inventory).'),
  to: z
    .string()
    .min(1)
    .describe(
      'Where to: a local folder (relative: from the run root), [user@]host:<path> (rsync over ssh) or rclone:<remote>:<path> (a remote of the rclone config file). The backup goes to <path>/<instance>/<id>/. A target, host, user or path starting with - is refused.',
    ),
  backup: z
    .string()
    .refine((b) => b === 'latest' || BACKUP_ID.test(b), 'a backup id (YYYYMMDDTHHMMSSZ) or latest')
    .default('latest')
    .describe('The backup id (its folder under bckups/), or latest: the newest complete backup.'),
  ...remoteAccess,
});
type Input = z.output<typeof input>;

const output = z.object({
  instance: z.string().describe('The instance.'),
  backup: z.string().describe('The backup id pushed.'),
  source: z.string().describe('The local backup folder.'),
  destination: z.string().describe('Where its copy is (rclone:<remote>:<path> for rclone).'),
  pushed: z.boolean().describe('Whether anything was sent (false: the copy was already complete and verified).'),
  repaired: z
    .array(z.string())
    .describe('What a copy that had its manifest lacked or had wrong before this push (missing:, differs:, extra:).'),
  files: z.number().int().describe('How many files the backup has.'),
  bytes: z.number().int().describe('Their size in bytes.'),
  summary: z.string().describe('One line saying what was done.'),
});

/** The commands of a push, for the plan and the run (src/dest as given). */
function commands(i: Input, t: Target, src: string, dest: string) {
  if (t.kind === 'rclone') {
    const base = rcloneBase(i.rcloneConfig ?? undefined);
    return {
      check: [RCLONE, ...base, 'hashsum', 'sha256', '--download', '--', dest],
      deleteManifest: [RCLONE, ...base, 'deletefile', '--', `${dest}/${MANIFEST}`],
      push: [RCLONE, ...base, 'copy', '--ignore-times', '--no-traverse', '--files-from-raw', '-', '--', src, dest],
      prune: [RCLONE, ...base, 'delete', '--files-from-raw', '-', '--', dest],
      manifest: [RCLONE, ...base, 'copyto', '--ignore-times', '--', join(src, MANIFEST), `${dest}/${MANIFEST}`],
    };
  }
  return {
    check: [RSYNC, ...rsyncCheckArgs(t, sshOptionsOf(i), src, dest)],
    push: [RSYNC, ...rsyncPushArgs(t, sshOptionsOf(i), src, dest)],
    manifest: [RSYNC, ...rsyncManifestArgs(t, sshOptionsOf(i), src, dest)],
  };
}

const show = (c: string[]) => formatCommand(c[0], c.slice(1));

/** Runs one command of the push; a failure names it with the end of its output. */
async function run(
  ctx: Pick<TaskContext<unknown>, 'exec' | 'signal' | 'log'>,
  cmd: string[],
  o: { input?: string; allowFail?: boolean } = {},
) {
  ctx.log.info(show(cmd));
  return execCommand(ctx, cmd[0], cmd.slice(1), { ...o, maxStdoutBytes: CHECK_OUTPUT_LIMIT });
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
const list = (xs: string[], n = 10) =>
  `${xs.slice(0, n).join(', ')}${xs.length > n ? ` and ${xs.length - n} more` : ''}`;

/** Pushes a backup of an instance. */
export const gitlabPushBackup = defineTask({
  id: 'gitlab.push-backup',
  title: 'Push a backup elsewhere',
  description:
    "Copies a complete backup of an instance (bckups/<id>, or the newest complete one) to <to>/<instance>/<id>/: a local folder or [user@]host:path with rsync (over ssh: batch mode, strict host key checking), or rclone:<remote>:<path>. Before: every file of the local backup has the size and sha256 its manifest.json says (streamed), else nothing is pushed. The copy is compared first (rsync --checksum --dry-run --itemize-changes; rclone hashsum sha256 --download against the manifest): one complete and equal is left alone; one whose manifest.json differs is refused (another backup); else the files are pushed (the copy's manifest removed first), the manifest last, and the copy verified again by checksums.",
  input,
  output,
  idempotent: true,
  plan: (i) => {
    const t = parseTarget(i.to, undefined);
    const id = i.backup;
    const src = `<folder of ${i.instance}>/bckups/${id}`;
    const dest = destinationOf(t, i.instance, id);
    const c = commands(i, t, src, dest);
    return [
      `check ${src} against its ${MANIFEST}: size and sha256 of every file`,
      `compare with the copy: ${show(c.check)}`,
      ...('deleteManifest' in c && c.deleteManifest
        ? [
            `unless complete and equal: ${show(c.deleteManifest)} (when present)`,
            `${show(c.push)} (missing or different files)`,
            `${show(c.prune)} (extra files)`,
          ]
        : [`unless complete and equal: ${show(c.push)}`]),
      `then the manifest, last: ${show(c.manifest)}`,
      `verify the copy: ${show(c.check)}`,
    ];
  },
  async run(ctx) {
    // key, known_hosts and config files taken from the run root, like the target; the target read before any work
    const abs = (p: string | null | undefined) => (p ? resolvePath(ctx.root, p) : p);
    const i = {
      ...ctx.input,
      identity: abs(ctx.input.identity),
      knownHosts: abs(ctx.input.knownHosts),
      rcloneConfig: abs(ctx.input.rcloneConfig),
    };
    const t = parseTarget(i.to, ctx.root);
    const rec = await getInstance(storeOf(ctx), i.instance);
    if (!rec)
      throw new TaskError(`no instance ${i.instance} in the GitLab inventory (gravity run gitlab:list lists them)`);
    const bckups = join(rec.dir, 'bckups');
    let id = i.backup;
    if (id === 'latest') {
      const { complete } = scanBackups(bckups);
      const newest = complete[complete.length - 1];
      if (!newest) throw new TaskError(`instance ${i.instance} has no complete backup in ${bckups}`, { dir: bckups });
      id = newest.id;
    }
    const dest = destinationOf(t, i.instance, id);
    if (t.kind === 'local' && (dest === rec.dir || isStrictlyInside(rec.dir, dest)))
      throw new TaskError(`to: ${t.path} is inside the folder of instance ${i.instance}; push to another folder`);
    const src = join(bckups, id);
    const what = `backup ${id} of ${i.instance} (${src})`;
    const m = await readPushManifest(src, id, i.instance);
    const { files, bytes } = await verifyLocal(src, m, what, ctx.signal);
    ctx.log.info(`${what}: ${plural(files, 'file')}, ${plural(bytes, 'byte')}, as its manifest says`);

    const where = showTarget(t, i.instance, id);
    const c = commands(i, t, src, dest);
    const result = { instance: i.instance, backup: id, source: src, destination: where, files, bytes };

    // what the copy lacks or has wrong: [differences, the state of its manifest]
    const compare = async (): Promise<{
      diffs: string[];
      manifest: 'missing' | 'differs' | 'same';
      notes: string[];
    }> => {
      if (t.kind === 'rclone') {
        const r = await run(ctx, c.check, { allowFail: true });
        if (r.exitCode !== 0 && r.exitCode !== RCLONE_DIR_NOT_FOUND)
          throw new TaskError(`${show(c.check)} exited with code ${r.exitCode}: ${lastLines(r.stderr, 5)}`);
        const d = compareHashes(rcloneExpected(m), r.exitCode === 0 ? parseHashsum(r.stdout) : new Map());
        return {
          diffs: [
            ...d.missing.map((p) => `missing: ${p}`),
            ...d.differs.map((p) => `differs: ${p}`),
            ...d.extra.map((p) => `extra: ${p}`),
          ],
          manifest: d.manifest,
          notes: [],
        };
      }
      const r = await run(ctx, c.check);
      const rep = parseItemized(r.stdout);
      return { diffs: rep.differences, manifest: rep.manifest, notes: rep.attributes };
    };

    const before = await compare();
    if (before.manifest === 'differs')
      throw new TaskError(
        `${where} holds another ${MANIFEST} than ${what}: it is not this backup, nothing pushed (remove it, or push elsewhere)`,
        { destination: where },
      );
    if (before.diffs.length === 0) {
      const summary = `backup ${id} of ${i.instance} is already at ${where}, complete and verified by checksums (${plural(files, 'file')}): nothing pushed`;
      ctx.log.info(summary);
      return { ...result, pushed: false, repaired: [], summary };
    }
    const repaired = before.manifest === 'same' ? before.diffs : [];
    if (repaired.length)
      ctx.log.warn(`the copy at ${where} differs from its manifest: ${list(repaired)}; pushing it again`, { repaired });

    if (t.kind === 'rclone' && 'deleteManifest' in c && c.deleteManifest) {
      if (before.manifest === 'same') await run(ctx, c.deleteManifest);
      const send = before.diffs
        .filter((d) => !d.startsWith('extra: '))
        .map((d) => d.replace(/^\w+: /, ''))
        .filter((p) => p !== MANIFEST);
      const extra = before.diffs.filter((d) => d.startsWith('extra: ')).map((d) => d.slice('extra: '.length));
      if (send.length) await run(ctx, c.push, { input: `${send.join('\n')}\n` });
      if (extra.length) await run(ctx, c.prune, { input: `${extra.join('\n')}\n` });
    } else await run(ctx, c.push);
    await run(ctx, c.manifest);

    const after = await compare();
    if (after.diffs.length)
      throw new TaskError(`after the push, the copy at ${where} still differs from ${what}: ${list(after.diffs)}`, {
        destination: where,
        differences: after.diffs,
      });
    if (after.notes.length)
      ctx.log.warn(`at ${where}, owner, group or times differ (not kept by the receiver): ${list(after.notes)}`);
    const summary = `backup ${id} of ${i.instance} pushed to ${where} (${plural(files, 'file')}, ${plural(bytes, 'byte')}) and verified by checksums${repaired.length ? `; the copy there differed (${list(repaired, 5)}) and was pushed again` : ''}`;
    ctx.log.info(summary);
    return { ...result, pushed: true, repaired, summary };
  },
});
