// Shared helpers of the fs.* task nodes: file modes and existence checks (paths and writes shared with other domains are in tasks/support/).
import { lstat } from 'node:fs/promises';
import { z } from 'zod';

/** A file mode: a number (0o644) or an octal string ("644", "0755", "0o600"). */
export const modeSchema = z.union([
  z.number().int().min(0).max(0o7777),
  z
    .string()
    .regex(/^(0o?)?[0-7]{3,4}$/, 'an octal mode such as "644" or "0755"')
    .transform((s) => parseInt(s.replace(/^0o?/, '') || '0', 8)),
]);

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
