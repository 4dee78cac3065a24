// Copies a file or a directory tree as a task node, refusing to clobber an existing destination unless asked or to write outside the run root.
import { cp, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { errnoCode } from '../support/files.js';
import { confineToRoot, realpathOfNearest, resolvePath } from '../support/paths.js';
import { exists } from './support.js';

/** Input of `fs.copy`; relative paths are taken from the run root. */
export const fsCopyInput = z.strictObject({
  from: z
    .string()
    .min(1)
    .describe('The file or folder to copy (relative to the run root, or absolute); may be anywhere: it is only read.'),
  to: z
    .string()
    .min(1)
    .describe('Where to copy it (relative to the run root, or absolute); must be inside the run root.'),
  overwrite: z
    .boolean()
    .default(false)
    .describe('Replace an existing destination. Default false: an existing destination is an error.'),
});

/** Output of `fs.copy`: absolute paths and the number of files (not directories) copied. */
export const fsCopyOutput = z.object({
  from: z.string().describe('The absolute source path.'),
  to: z.string().describe('The absolute destination path.'),
  files: z.number().int().describe('The number of files (not folders) copied.'),
});

/** Number of non-directory entries at or below `path`. */
async function countFiles(path: string): Promise<number> {
  const st = await lstat(path);
  if (!st.isDirectory()) return 1;
  let n = 0;
  for (const e of await readdir(path, { withFileTypes: true })) {
    n += e.isDirectory() ? await countFiles(join(path, e.name)) : 1;
  }
  return n;
}

/** Copies `from` (anywhere) to `to` (inside the run root) recursively (symlinks are copied as links). */
export const fsCopy = defineTask({
  id: 'fs.copy',
  title: 'Copy files',
  description:
    'Copies a file or a tree (symlinks are copied as links); refuses to overwrite unless asked. Writes confined to the run root: `to` (`from` may be anywhere: it is only read).',
  input: fsCopyInput,
  output: fsCopyOutput,
  idempotent: true,
  plan: (i) => [`cp -R${i.overwrite ? 'f' : 'n'} ${i.from} ${i.to}`],
  async run(ctx) {
    // the source is only read: it may be anywhere; the destination is checked inside the run root and written through
    const from = resolvePath(ctx.root, ctx.input.from);
    if (!(await exists(from))) throw new TaskError(`cannot copy ${from}: it does not exist`, { from });
    const to = await confineToRoot(ctx.root, ctx.input.to, { task: 'fs.copy', param: 'to', origin: ctx.rootOrigin });
    if ((await realpathOfNearest(from)) === to) throw new TaskError(`cannot copy ${from} onto itself`, { from, to });
    if (!ctx.input.overwrite && (await exists(to))) {
      throw new TaskError(`refusing to overwrite ${to}: it exists (set overwrite: true to replace it)`, { from, to });
    }
    try {
      await cp(from, to, { recursive: true, force: ctx.input.overwrite, errorOnExist: !ctx.input.overwrite });
    } catch (e) {
      throw new TaskError(`cannot copy ${from} to ${to}: ${(e as Error).message}`, { from, to, code: errnoCode(e) });
    }
    const files = await countFiles(from);
    ctx.log.info(`copied ${files} file(s) from ${from} to ${to}`);
    return { from, to, files };
  },
});
