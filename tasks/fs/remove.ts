// Removes a file or tree as a task node, but only strictly inside the run root, with symlinks resolved first.
import { lstat, rm, rmdir } from 'node:fs/promises';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { errnoCode } from '../support/files.js';
import { confineToRoot } from '../support/paths.js';

/** Input of `fs.remove`; a relative path is taken from the run root. */
export const fsRemoveInput = z.strictObject({
  path: z
    .string()
    .min(1)
    .describe(
      'What to remove (relative to the run root, or absolute); must be strictly inside the run root. A final symlink is removed, never its target.',
    ),
  recursive: z.boolean().optional().describe('Remove a non-empty directory with everything in it.'),
});

/** Output of `fs.remove`: the absolute path that was checked and whether something was removed. */
export const fsRemoveOutput = z.object({
  path: z.string().describe('The absolute path that was checked.'),
  removed: z.boolean().describe('Whether something was removed (false: nothing was there).'),
});

/** Removes a file, a symlink or a directory strictly inside the run root; a missing path is fine. */
export const fsRemove = defineTask({
  id: 'fs.remove',
  title: 'Remove files',
  description:
    'Removes a file, a symlink (never its target) or a tree; a missing path is fine. Writes confined to the run root: `path`, strictly (never the root itself or `/`).',
  input: fsRemoveInput,
  output: fsRemoveOutput,
  idempotent: true,
  plan: (i) => [`rm ${i.recursive ? '-rf' : '-f'} ${i.path}`],
  async run(ctx) {
    // strictly inside (never the root itself nor /), the last component kept: a symlink is removed, never its target
    const path = await confineToRoot(ctx.root, ctx.input.path, {
      task: 'fs.remove',
      param: 'path',
      origin: ctx.rootOrigin,
      keepLink: true,
      strict: true,
    });
    let isDir: boolean;
    try {
      isDir = (await lstat(path)).isDirectory();
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return { path, removed: false };
      throw e;
    }
    try {
      if (isDir && !ctx.input.recursive) await rmdir(path);
      else await rm(path, { recursive: ctx.input.recursive === true, force: true });
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        throw new TaskError(`cannot remove ${path}: directory not empty (set recursive: true)`, { path, code });
      }
      throw new TaskError(`cannot remove ${path}: ${(e as Error).message}`, { path, code });
    }
    ctx.log.info(`removed ${path}`);
    return { path, removed: true };
  },
});
