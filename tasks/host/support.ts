// Helpers of the host.* task nodes: finding a command's executable in a list of folders (PATH plus the sbin folders a
// user's PATH often lacks), shared by host.check-tool and the apt nodes.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** The system folders searched after PATH for the tools of the host's package manager. */
export const SYSTEM_DIRS: readonly string[] = [
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
];

/** First executable regular file named `command` in `dirs`, or undefined. */
export async function findExecutable(command: string, dirs: readonly string[]): Promise<string | undefined> {
  const candidates = command.includes('/')
    ? [resolve(command)]
    : dirs.filter((d) => isAbsolute(d)).map((d) => join(d, command));
  for (const c of candidates) {
    try {
      if (!(await stat(c)).isFile()) continue;
      await access(c, constants.X_OK);
      return c;
    } catch {
      // not there or not executable: keep looking
    }
  }
  return undefined;
}

/** The folders of this process' PATH, then `extra`. */
export function searchDirs(extra: readonly string[] = []): string[] {
  return [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...extra];
}
