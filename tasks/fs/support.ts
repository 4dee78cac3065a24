// Shared helpers of the fs.* task nodes: path resolution against the run root, file modes, atomic writes.
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';

/** A file mode: a number (0o644) or an octal string ("644", "0755", "0o600"). */
export const modeSchema = z.union([
  z.number().int().min(0).max(0o7777),
  z
    .string()
    .regex(/^(0o?)?[0-7]{3,4}$/, 'an octal mode such as "644" or "0755"')
    .transform((s) => parseInt(s.replace(/^0o?/, '') || '0', 8)),
]);

/** Absolute form of `path`; relative paths are taken from the run root. */
export function resolvePath(root: string, path: string): string {
  return resolve(root, path);
}

/** True when something (file, dir, link) exists at `path`, without following a final symlink. */
export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Real path of the nearest existing ancestor of `path`, joined with the parts that do not exist yet. */
export async function realpathOfNearest(path: string): Promise<string> {
  const missing: string[] = [];
  let cur = resolve(path);
  for (;;) {
    try {
      return join(await realpath(cur), ...missing.reverse());
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
      const up = dirname(cur);
      if (up === cur) return join(cur, ...missing.reverse());
      missing.push(basename(cur));
      cur = up;
    }
  }
}

/** True when `child` lies strictly below `parent` (both absolute, already real). */
export function isStrictlyInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel !== '' && !isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`);
}

/** Writes `content` to a temp file next to `path`, then renames it over `path`: readers never see half a file. */
export async function writeFileAtomic(path: string, content: string | Uint8Array, mode?: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, content, mode === undefined ? {} : { mode });
    if (mode !== undefined) {
      // writeFile's mode is filtered by the umask; chmod makes it exact.
      await chmod(tmp, mode);
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** The `code` of a Node.js system error, if any. */
export function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}
