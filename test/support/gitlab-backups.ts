// Backups in gitlab:backup's layout made by tests (bckups/<id>/ with its files and manifest.json, written last), and
// the readings the remote tests compare them by.
import { createHash } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Instance } from '../../tasks/gitlab/inventory.js';

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Writes backup `id` in gitlab:backup's layout: its files, its symlinks, and (unless incomplete) manifest.json last. */
export function makeBackup(
  bckups: string,
  id: string,
  rec: Instance,
  files: Record<string, string>,
  links: Record<string, string> = {},
  complete = true,
): string {
  const dir = join(bckups, id);
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), content, { mode: 0o640 });
  }
  for (const [p, target] of Object.entries(links)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    symlinkSync(target, join(dir, p));
  }
  if (complete) {
    const manifest = {
      format: 1,
      id,
      mode: 'cold',
      createdAt: `${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}T${id.slice(9, 11)}:${id.slice(11, 13)}:${id.slice(13, 15)}Z`,
      instance: rec,
      image: rec.image,
      version: rec.version,
      files: Object.keys(files)
        .sort()
        .map((p) => {
          const st = statSync(join(dir, p));
          return {
            path: p,
            size: st.size,
            sha256: sha256(readFileSync(join(dir, p))),
            mode: st.mode & 0o7777,
            mtime: st.mtime.toISOString(),
            uid: st.uid,
            gid: st.gid,
          };
        }),
      dirs: [],
      symlinks: Object.entries(links).map(([path, target]) => ({ path, target, mtime: '', uid: 0, gid: 0 })),
      skipped: [],
    };
    writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  }
  return dir;
}

/** Every file and symlink under `dir` (relative path -> sha256 of its content, or `-> target`). */
export function tree(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, prefix)).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const st = lstatSync(join(dir, rel));
    if (st.isDirectory()) Object.assign(out, tree(dir, rel));
    else if (st.isSymbolicLink()) out[rel] = `-> ${readlinkSync(join(dir, rel))}`;
    else out[rel] = sha256(readFileSync(join(dir, rel)));
  }
  return out;
}

/** The tree an rclone copy must have: symlinks as `<path>.rclonelink` files holding their target. */
export const asRclone = (t: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(t).map(([p, v]) => (v.startsWith('-> ') ? [`${p}.rclonelink`, sha256(v.slice(3))] : [p, v])),
  );

/** Overwrites a file with other bytes of the same size and keeps its times (a quick check by size and time sees nothing). */
export function tamper(file: string): void {
  const st = statSync(file);
  const b = readFileSync(file);
  b[0] = b[0] ^ 0x20;
  writeFileSync(file, b);
  utimesSync(file, st.atime, st.mtime);
}
