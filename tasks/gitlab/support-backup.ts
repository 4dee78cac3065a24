// The backup folders of an instance (`<dir>/bckups/<id>/`), shared by gitlab.backup-copy and gitlab.prune-backups: the
// id (a UTC timestamp), the manifest written last, and what makes a backup complete (a valid manifest.json).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The manifest's file name: a backup folder without it is incomplete (being written, or its copy failed). */
export const MANIFEST = 'manifest.json';
/** The marker of a backup being written: which run and step make it (so that a step run again removes its own). */
export const IN_PROGRESS = '.gravity-in-progress.json';
/** The manifest format this code writes and reads. */
export const MANIFEST_FORMAT = 1;

/** A backup id: `YYYYMMDDTHHMMSSZ`, with `-<n>` when another backup took that second. */
export const BACKUP_ID = /^\d{8}T\d{6}Z(-\d+)?$/;

/** The id of a backup made at `d` (UTC, to the second). */
export function backupIdAt(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** One regular file of a backup, as its manifest lists it. */
export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
  mode: number;
  mtime: string;
  uid: number;
  gid: number;
}

/** What manifest.json holds (see the README, gitlab:backup). */
export interface Manifest {
  format: number;
  id: string;
  mode: 'online' | 'cold';
  createdAt: string;
  instance: Record<string, unknown>;
  image: string;
  version: string;
  gitlabBackupId?: string;
  files: ManifestFile[];
  dirs: Array<{ path: string; mode: number; mtime: string; uid: number; gid: number }>;
  symlinks: Array<{ path: string; target: string; mtime: string; uid: number; gid: number }>;
  skipped: Array<{ path: string; type: string }>;
}

/** The manifest of backup folder `dir` when it is complete (a manifest.json of this format naming the folder), else undefined. */
export function readManifest(dir: string, id: string): Manifest | undefined {
  try {
    const m = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Manifest;
    return m && m.format === MANIFEST_FORMAT && m.id === id && Array.isArray(m.files) ? m : undefined;
  } catch {
    return undefined;
  }
}

/** The backups of a `bckups` folder: the complete ones (oldest first) and the incomplete ones. */
export function scanBackups(backups: string): {
  complete: Array<{ id: string; createdAt: string }>;
  incomplete: string[];
} {
  let names: string[] = [];
  try {
    names = readdirSync(backups);
  } catch {
    return { complete: [], incomplete: [] };
  }
  const complete: Array<{ id: string; createdAt: string }> = [];
  const incomplete: string[] = [];
  for (const id of names.filter((n) => BACKUP_ID.test(n)).sort()) {
    try {
      if (!statSync(join(backups, id)).isDirectory()) continue;
    } catch {
      continue;
    }
    const m = readManifest(join(backups, id), id);
    if (m) complete.push({ id, createdAt: m.createdAt });
    else incomplete.push(id);
  }
  const suffix = (id: string) => Number(id.split('-')[1] ?? '1');
  complete.sort(
    (a, b) =>
      a.createdAt.localeCompare(b.createdAt) ||
      a.id.slice(0, 16).localeCompare(b.id.slice(0, 16)) ||
      suffix(a.id) - suffix(b.id),
  );
  return { complete, incomplete };
}
