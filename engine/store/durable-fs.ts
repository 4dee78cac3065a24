// Crash-safe file primitives for the JSON store: atomic replace, fsync of files and of the folders that name them.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';

/** Error codes meaning "this platform cannot fsync a directory", which we accept silently. */
const DIR_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EINVAL', 'EACCES', 'EBADF']);

/** Flushes a folder's entries (a created, renamed or removed name) to disk. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    if (!DIR_SYNC_UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    await handle?.close();
  }
}

/**
 * Creates `dir` and its missing parents under `root`, and makes the new folder names durable.
 * Folders known to exist are remembered in `known`, so the common case costs nothing.
 */
export async function ensureDir(root: string, dir: string, known: Set<string>): Promise<void> {
  if (known.has(dir)) return;
  const first = await mkdir(dir, { recursive: true });
  if (first !== undefined) {
    // fsync every parent whose entries changed: from the parent of the first new folder down to dir's parent.
    const chain = relative(root, dir).split(sep);
    const created = relative(root, first).split(sep).length;
    for (let depth = created - 1; depth < chain.length; depth++) {
      await fsyncDir(join(root, ...chain.slice(0, depth)));
    }
  }
  known.add(dir);
}

/** A unique name for a temporary file beside `file` (same folder, so rename stays atomic). */
export function tempNameFor(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Replaces `file` with `data` atomically and durably: write a temp file in the same folder, fsync it,
 * rename it over `file`, fsync the folder. Readers see the old content or the new one, never a mix.
 */
export async function atomicWriteFile(file: string, data: string, durable = true): Promise<void> {
  const tmp = tempNameFor(file);
  const handle = await open(tmp, 'wx', 0o644);
  try {
    try {
      await handle.writeFile(data, 'utf8');
      if (durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  if (durable) await fsyncDir(dirname(file));
}

/** True for the error codes that mean "no such file" (including a file where a folder was expected). */
export function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
