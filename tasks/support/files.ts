// File helpers of every domain that writes files (fs, git hooks, assertions): atomic writes and Node.js error codes.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

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
