// Resolving task paths against the run root and keeping them confined to a folder, for every domain that writes files.
import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** Absolute form of `path`; relative paths are taken from the run root. */
export function resolvePath(root: string, path: string): string {
  return resolve(root, path);
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
