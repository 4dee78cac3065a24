// gitlab.backup-copy: copies an instance's folders (cold: data, config, log; online: GitLab's archive and config) into a
// new backup folder `<dir>/bckups/<UTC timestamp>/`, streaming each file through sha256, keeping owner, mode and times,
// and writes manifest.json last (atomically): a folder without it is incomplete. A failed copy removes its folder.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { errnoCode, writeFileAtomic } from '../support/files.js';
import { confineToRoot } from '../support/paths.js';
import { layoutOf } from './prepare-dir.js';
import { copyTreeInto } from './support-copy.js';
import {
  backupIdAt,
  IN_PROGRESS,
  MANIFEST,
  MANIFEST_FORMAT,
  readManifest,
  type Manifest,
  type ManifestFile,
} from './support-backup.js';

const input = z.strictObject({
  dir: z.string().min(1).describe('The instance folder (noeud-gitlab-<n>): mapping-volumes/ and bckups/ are in it.'),
  mode: z
    .enum(['online', 'cold'])
    .describe(
      "cold: copy mapping-volumes/{data,config,log} (the container stopped); online: GitLab's archive and the config.",
    ),
  gitlabBackupId: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'a GitLab backup id')
    .nullable()
    .optional()
    .describe('online: the id gitlab-backup create printed (its archive is <data>/backups/<id>_gitlab_backup.tar).'),
  instance: z.record(z.string(), z.unknown()).describe('The inventory record of the instance, kept in the manifest.'),
  image: z.string().min(1).describe('The image the instance runs, kept in the manifest.'),
  version: z.string().min(1).describe('Its GitLab version, kept in the manifest (a restore needs the same).'),
});

/** What the copy made. */
const output = z.object({
  id: z.string().describe('The backup id: its folder name, a UTC timestamp YYYYMMDDTHHMMSSZ (-<n> when taken).'),
  dir: z.string().describe('The backup folder.'),
  mode: z.string().describe('online or cold.'),
  createdAt: z.string().describe('When the backup was started (ISO time).'),
  files: z.number().int().describe('How many regular files it holds.'),
  bytes: z.number().int().describe('Their total size in bytes.'),
  manifestSha256: z.string().describe('The sha256 of its manifest.json.'),
});

/** What each mode copies: source folder (relative to the instance folder) -> folder in the backup. */
function sourcesOf(i: z.output<typeof input>, dir: string): Array<{ from: string; to: string; file?: boolean }> {
  const l = layoutOf(dir);
  if (i.mode === 'cold')
    return [
      { from: l.data, to: 'data' },
      { from: l.config, to: 'config' },
      { from: l.log, to: 'log' },
    ];
  if (!i.gitlabBackupId) throw new TaskError('gitlab.backup-copy: an online backup needs gitlabBackupId');
  const tar = `${i.gitlabBackupId}_gitlab_backup.tar`;
  return [
    { from: join(l.data, 'backups', tar), to: `gitlab/${tar}`, file: true },
    { from: l.config, to: 'config' },
  ];
}

/** Copies trees into a backup folder, filling the manifest's lists. */
export class TreeCopy {
  files: ManifestFile[] = [];
  dirs: Manifest['dirs'] = [];
  symlinks: Manifest['symlinks'] = [];
  skipped: Manifest['skipped'] = [];
  constructor(
    private readonly dest: string,
    private readonly signal: AbortSignal,
  ) {}

  /** Copies `from` (a folder or a file) to `<dest>/<rel>` (tasks/gitlab/support-copy.ts: several files at a time). */
  async copy(from: string, rel: string): Promise<void> {
    this.signal.throwIfAborted();
    const r = await copyTreeInto(from, join(this.dest, rel), rel, { hash: true, signal: this.signal });
    this.files.push(...(r.files as ManifestFile[]));
    this.dirs.push(...r.dirs);
    this.symlinks.push(...r.symlinks);
    this.skipped.push(...r.skipped);
  }
}

/** Removes backup folders of an earlier attempt of this step (their in-progress marker names this run and step). */
async function removeOwnLeftovers(backups: string, runId: string, stepId: string, log: { warn(m: string): void }) {
  for (const name of await readdir(backups).catch(() => [] as string[])) {
    const marker = await readFile(join(backups, name, IN_PROGRESS), 'utf8').catch(() => undefined);
    if (!marker) continue;
    try {
      const m = JSON.parse(marker) as { run?: string; step?: string };
      if (m.run === runId && m.step === stepId && !readManifest(join(backups, name), name)) {
        log.warn(`removing ${join(backups, name)}: an incomplete backup of an earlier attempt of this step`);
        await rm(join(backups, name), { recursive: true, force: true });
      }
    } catch {
      // not ours
    }
  }
}

/** Makes `<backups>/<id>` for a new id: the UTC second, `-2`, `-3`... when that second's folder exists already. */
async function makeBackupDir(backups: string, at: Date): Promise<{ id: string; path: string }> {
  const base = backupIdAt(at);
  for (let n = 1; n <= 1000; n++) {
    const id = n === 1 ? base : `${base}-${n}`;
    const path = join(backups, id);
    try {
      await mkdir(path, { mode: 0o700 });
      return { id, path };
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
    }
  }
  throw new TaskError(`cannot find a free backup id for ${base} in ${backups}`);
}

/** Copies an instance's folders into a new backup folder, with a manifest. */
export const gitlabBackupCopy = defineTask({
  id: 'gitlab.backup-copy',
  title: 'Copy an instance into a backup folder',
  description:
    "Makes <dir>/bckups/<id>/ (id: the UTC time YYYYMMDDTHHMMSSZ, -2, -3... when another backup took that second) and copies into it, cold: mapping-volumes/{data,config,log} as data/, config/, log/; online: GitLab's archive <data>/backups/<id>_gitlab_backup.tar as gitlab/ and the config folder as config/ (gitlab.rb and gitlab-secrets.json are not in GitLab's archive). Files are streamed through sha256; owner, mode and times are kept; symlinks are copied as links, sockets and fifos skipped (all listed in the manifest). manifest.json is written last, atomically: a folder without it is incomplete. A failed copy removes its folder; run again after a crash, the step removes the incomplete folder of its earlier attempt. Rollback removes the folder this step made (never another run's).",
  input,
  output,
  idempotent: true,
  timeoutMs: 24 * 3_600_000,
  plan: (i) => [
    i.mode === 'cold'
      ? `copy ${i.dir}/mapping-volumes/{data,config,log} to ${i.dir}/bckups/<UTC time>/{data,config,log}`
      : `copy ${i.dir}/mapping-volumes/data/backups/${i.gitlabBackupId ?? '<id>'}_gitlab_backup.tar and mapping-volumes/config to ${i.dir}/bckups/<UTC time>/{gitlab,config}`,
    `write ${i.dir}/bckups/<UTC time>/${MANIFEST} (sha256, size, owner, mode, mtime of every file)`,
  ],
  async run(ctx) {
    const i = ctx.input;
    const dir = await confineToRoot(ctx.root, i.dir, {
      task: 'gitlab.backup-copy',
      param: 'dir',
      origin: ctx.rootOrigin,
    });
    const backups = layoutOf(dir).backups;
    await confineToRoot(ctx.root, backups, { task: 'gitlab.backup-copy', param: 'dir', origin: ctx.rootOrigin });
    const sources = sourcesOf(i, dir);
    for (const s of sources)
      await stat(s.from).catch((e) => {
        throw new TaskError(`gitlab.backup-copy: ${s.from} cannot be read: ${(e as Error).message}`, { path: s.from });
      });
    await mkdir(backups, { recursive: true, mode: 0o755 });
    await removeOwnLeftovers(backups, ctx.runId, ctx.stepId, ctx.log);
    const at = new Date();
    const { id, path } = await makeBackupDir(backups, at);
    try {
      await writeFileAtomic(
        join(path, IN_PROGRESS),
        JSON.stringify({ run: ctx.runId, step: ctx.stepId, pid: process.pid }),
      );
      const copy = new TreeCopy(path, ctx.signal);
      for (const s of sources) {
        if (s.file) await mkdir(join(path, s.to, '..'), { recursive: true, mode: 0o700 });
        await copy.copy(s.from, s.to);
      }
      const manifest: Manifest = {
        format: MANIFEST_FORMAT,
        id,
        mode: i.mode,
        createdAt: at.toISOString(),
        instance: i.instance,
        image: i.image,
        version: i.version,
        ...(i.mode === 'online' ? { gitlabBackupId: i.gitlabBackupId! } : {}),
        files: copy.files,
        dirs: copy.dirs,
        symlinks: copy.symlinks,
        skipped: copy.skipped,
      };
      const text = `${JSON.stringify(manifest, null, 2)}\n`;
      await writeFileAtomic(join(path, MANIFEST), text, 0o644);
      await rm(join(path, IN_PROGRESS), { force: true });
      const bytes = copy.files.reduce((n, f) => n + f.size, 0);
      ctx.log.info(`backup ${id}: ${copy.files.length} files, ${bytes} bytes in ${path}`);
      return {
        id,
        dir: path,
        mode: i.mode,
        createdAt: manifest.createdAt,
        files: copy.files.length,
        bytes,
        manifestSha256: createHash('sha256').update(text).digest('hex'),
      };
    } catch (e) {
      // never leave a half copy behind (it has no manifest, so nothing would take it for a backup, but it takes room)
      await rm(path, { recursive: true, force: true }).catch(() => undefined);
      throw new TaskError(`gitlab.backup-copy: the copy into ${path} failed (removed): ${(e as Error).message}`, {
        dir: path,
        code: errnoCode(e),
      });
    }
  },
  async compensate(ctx) {
    const { dir, id, manifestSha256 } = ctx.output;
    const text = await readFile(join(dir, MANIFEST), 'utf8').catch(() => undefined);
    if (text !== undefined && createHash('sha256').update(text).digest('hex') !== manifestSha256) {
      ctx.log.warn(`kept ${dir}: its manifest is not the one this step wrote (backup ${id})`);
      return;
    }
    await rm(dir, { recursive: true, force: true });
  },
});
