// Resolving task paths against the run root and keeping them confined to a folder, for every domain that writes files.
import { readlink, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ErrorCode, TaskError } from '../../engine/index.js';

/** Absolute form of `path`; relative paths are taken from the run root. */
export function resolvePath(root: string, path: string): string {
  return resolve(root, path);
}

/** How many symlinks a path may go through before it counts as a loop (Linux's limit). */
const MAX_LINKS = 40;

/**
 * Real path of the nearest existing ancestor of `path`, joined with the parts that do not exist yet. A dangling symlink
 * on the way is followed to where it points (resolved the same way), so the result is where a write would land.
 */
export async function realpathOfNearest(path: string, hops = 0): Promise<string> {
  const missing: string[] = [];
  let cur = resolve(path);
  for (;;) {
    try {
      return join(await realpath(cur), ...missing.reverse());
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
      // realpath fails on a dangling symlink: what it points to is where a write through it would go
      const link = code === 'ENOENT' ? await readlink(cur).catch(() => undefined) : undefined;
      if (link !== undefined) {
        if (hops >= MAX_LINKS)
          throw Object.assign(new Error(`too many levels of symbolic links at ${cur}`), { code: 'ELOOP' });
        return realpathOfNearest(join(resolve(dirname(cur), link), ...missing.reverse()), hops + 1);
      }
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

/** Which task confines which input parameter, for the refusal's message. */
export interface Confinement {
  /** The task node, e.g. `fs.write`. */
  task: string;
  /** The input parameter the path comes from, e.g. `path` or `to`. */
  param: string;
  /** Where the root came from, for the message: `--root` (the default) or `declared by <workflow>`. */
  origin?: string;
  /**
   * Keep a final symlink as it is: the path designates the link itself (fs.remove removes it, fs.move moves it), never
   * its target. Default: follow it, dangling or not, to where a write through it would land.
   */
  keepLink?: boolean;
  /** Refuse the root itself and `/` too (removing or moving the root away). Default: the root itself is allowed. */
  strict?: boolean;
}

/**
 * The physical path `path` (relative paths taken from `root`) designates, refused with a `PATH_OUTSIDE_ROOT` TaskError
 * unless it lies inside `root`. Every folder on the way is resolved through its real path (a symlinked folder cannot lead
 * outside, a sibling sharing the root's name as a prefix is not inside), and so is a final symlink, dangling ones
 * included, unless `keepLink`. The check is made on the real paths: call it right before writing, and write through
 * the path it returns.
 */
export async function confineToRoot(root: string, path: string, c: Confinement): Promise<string> {
  const origin = c.origin ?? '--root';
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (e) {
    throw new TaskError(
      `${c.task}: the root ${root} (${origin}) cannot be read: ${(e as Error).message}`,
      { task: c.task, param: c.param, path, root },
      ErrorCode.PathOutsideRoot,
    );
  }
  const lexical = resolve(root, path);
  const inRoot = `the root ${realRoot} (${origin})`;
  const refuse = (why: string, resolved: string): never => {
    throw new TaskError(
      `${c.task}: ${c.param} ${path} ${why}`,
      { task: c.task, param: c.param, path, resolved, root: realRoot },
      ErrorCode.PathOutsideRoot,
    );
  };
  const entry = lexical === sep ? sep : join(await realpathOfNearest(dirname(lexical)), basename(lexical));
  const target = c.keepLink ? entry : await realpathOfNearest(lexical);
  for (const p of c.keepLink ? [entry] : [entry, target]) {
    if (c.strict && (lexical === sep || p === sep))
      refuse(`is the filesystem root, not strictly inside ${inRoot}`, sep);
    if (c.strict && p === realRoot)
      refuse(`resolves to ${inRoot} itself: only paths strictly inside it are allowed`, p);
    if (p !== realRoot && !isStrictlyInside(realRoot, p)) refuse(`resolves to ${p}, outside ${inRoot}`, p);
  }
  return target;
}
