// What gitlab:restore's tasks share: an instance folder's checks (as gitlab:adopt's), the backups of an instance
// (`<dir>/bckups/<id>/`, complete once manifest.json is written: see the README, gitlab:backup), a backup checked
// against its manifest (sizes, then sha256, streamed), and a tree copied with owner, mode and timestamps kept (streamed).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, rename, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { TaskError } from '../../engine/index.js';
import { errnoCode } from '../support/files.js';
import { layoutOf } from './prepare-dir.js';
import { copyTreeInto } from './support-copy.js';

/** The manifest's file name: a backup folder without it is incomplete. */
export const MANIFEST_FILE = 'manifest.json';
/** A backup id: `YYYYMMDDTHHMMSSZ` (UTC), with `-<n>` when another backup took that second. */
export const BACKUP_ID_PATTERN = /^\d{8}T\d{6}Z(-\d+)?$/;
/** The moved-aside volumes of a restore: `mapping-volumes.aside-<stamp>`. */
export const ASIDE_PREFIX = 'mapping-volumes.aside-';
/** The volumes a restore builds before it swaps them in: `mapping-volumes.restore-<stamp>`. */
export const STAGING_PREFIX = 'mapping-volumes.restore-';
/** The aside volumes being deleted after a healthy restore: `mapping-volumes.drop-<stamp>`. */
export const DROP_PREFIX = 'mapping-volumes.drop-';

/** manifest.json, as restore reads it (other fields a later format adds are kept, not checked). */
export const manifestSchema = z.looseObject({
  format: z.literal(1),
  id: z.string(),
  mode: z.enum(['online', 'cold']),
  createdAt: z.string(),
  instance: z.record(z.string(), z.unknown()),
  image: z.string(),
  version: z.string(),
  gitlabBackupId: z.string().optional(),
  files: z.array(
    z.looseObject({
      path: z.string().min(1),
      size: z.number().int().min(0),
      sha256: z.string().regex(/^[a-f0-9]{64}$/),
      mode: z.number().int().optional(),
      mtime: z.string().optional(),
    }),
  ),
});
export type BackupManifest = z.infer<typeof manifestSchema>;

/** The UTC time `d` as `YYYYMMDDTHHMMSSZ`. */
export function utcStamp(d = new Date()): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** Whether `p` exists (a dangling symlink counts). */
export async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return false;
    throw e;
  }
}

/** gitlab:adopt's checks of an instance folder: a folder holding mapping-volumes/{data,config,log}. */
export async function checkInstanceDir(dir: string, name: string): Promise<void> {
  const l = layoutOf(dir);
  for (const p of [dir, l.volumes, l.data, l.config, l.log]) {
    let st;
    try {
      st = await stat(p);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
      throw new TaskError(
        `instance ${name}: ${p} is missing (an instance folder holds mapping-volumes/{data,config,log})`,
        { name, path: p },
      );
    }
    if (!st.isDirectory()) throw new TaskError(`instance ${name}: ${p} is not a folder`, { name, path: p });
  }
}

/** The manifest of backup folder `dir`, or why there is none usable. */
export async function readBackupManifest(
  dir: string,
  id: string,
): Promise<{ manifest?: BackupManifest; problem?: string }> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return { problem: 'incomplete: it has no manifest.json' };
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problem: 'its manifest.json is not JSON' };
  }
  const r = manifestSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    return { problem: `its manifest.json is not a backup manifest of format 1 (${i?.path.join('.')}: ${i?.message})` };
  }
  if (r.data.id !== id) return { problem: `its manifest.json names backup ${r.data.id}, not ${id}` };
  return { manifest: r.data };
}

/** The backup folders of `backupsDir`, newest first: id and manifest or problem. */
export async function listBackups(
  backupsDir: string,
): Promise<Array<{ id: string; dir: string; manifest?: BackupManifest; problem?: string }>> {
  let names: string[];
  try {
    names = await readdir(backupsDir);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return [];
    throw e;
  }
  const out = [];
  for (const id of names
    .filter((n) => BACKUP_ID_PATTERN.test(n))
    .sort(compareIds)
    .reverse()) {
    const dir = join(backupsDir, id);
    out.push({ id, dir, ...(await readBackupManifest(dir, id)) });
  }
  return out;
}

/** Orders ids by time, then by their `-<n>`. */
export function compareIds(a: string, b: string): number {
  const [ta, na = '0'] = a.split('-');
  const [tb, nb = '0'] = b.split('-');
  return ta < tb ? -1 : ta > tb ? 1 : Number(na) - Number(nb);
}

/** The sha256 of a file, read as a stream. */
export async function sha256OfFile(path: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h, { signal });
  return h.digest('hex');
}

/** A manifest path made safe: relative, inside the backup, no `..`. */
export function backupPath(dir: string, rel: string): string {
  const n = normalize(rel);
  if (isAbsolute(n) || n === '..' || n.startsWith(`..${sep}`) || n === '.')
    throw new TaskError(`the manifest lists ${rel}, a path outside its backup`, { path: rel });
  return join(dir, n);
}

/**
 * Checks every file the manifest lists against its size and sha256 (sizes of all first: a short file is found without
 * reading the others); the first that does not match is named.
 */
export async function verifyFiles(
  dir: string,
  m: BackupManifest,
  signal?: AbortSignal,
): Promise<{ files: number; bytes: number }> {
  const refuse = (path: string, why: string) =>
    new TaskError(`backup ${m.id} is corrupted: ${path} does not match its manifest (${why})`, {
      backup: m.id,
      path,
    });
  for (const f of m.files) {
    const p = backupPath(dir, f.path);
    let st;
    try {
      st = await lstat(p);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
      throw refuse(f.path, 'the file is missing');
    }
    if (!st.isFile()) throw refuse(f.path, 'not a regular file');
    if (st.size !== f.size) throw refuse(f.path, `size ${st.size} bytes, expected ${f.size}`);
  }
  // a file the manifest does not list was not part of the backup when it was made: refused, not restored
  const listed = new Set(m.files.map((f) => normalize(f.path)));
  for (const rel of await regularFiles(dir))
    if (rel !== MANIFEST_FILE && !rel.startsWith('.gravity-') && !listed.has(rel))
      throw new TaskError(`backup ${m.id} holds ${rel}, which its manifest does not list`, {
        backup: m.id,
        path: rel,
      });
  let bytes = 0;
  for (const f of m.files) {
    const sum = await sha256OfFile(backupPath(dir, f.path), signal);
    if (sum !== f.sha256) throw refuse(f.path, `sha256 ${sum}, expected ${f.sha256}`);
    bytes += f.size;
  }
  return { files: m.files.length, bytes };
}

/** The regular files under `dir`, relative to it. */
async function regularFiles(dir: string, sub = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, sub), { withFileTypes: true })) {
    const rel = sub ? join(sub, e.name) : e.name;
    if (e.isDirectory()) out.push(...(await regularFiles(dir, rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

/**
 * Copies the tree `from` to `to` (which must not exist): files streamed, symlinks as links, owner, mode and
 * timestamps kept (a folder's once its entries are in). Returns the files and bytes copied.
 */
export async function copyTree(
  from: string,
  to: string,
  signal?: AbortSignal,
): Promise<{ files: number; bytes: number }> {
  // tasks/gitlab/support-copy.ts: several files at a time, each by copy_file_range where the kernel has it
  const r = await copyTreeInto(from, to, '.', { hash: false, signal });
  return { files: r.files.length, bytes: r.files.reduce((n, f) => n + f.size, 0) };
}

/** A rename that says what it moved when it fails. */
export async function renameOrSay(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (e) {
    throw new TaskError(`cannot rename ${from} to ${to}: ${(e as Error).message}`, { from, to });
  }
}
