// Removes a file or tree as a task node, but only strictly inside the run root, with symlinks resolved first.
import { lstat, rm, rmdir } from 'node:fs/promises';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { errnoCode } from '../support/files.js';
import { confineToRoot } from '../support/paths.js';

/** Input of `fs.remove`; a relative path is taken from the run root. */
export const fsRemoveInput = z.strictObject({
  path: z.string().min(1),
  /** Remove a non-empty directory with everything in it. */
  recursive: z.boolean().optional(),
});

/** Output of `fs.remove`: the absolute path that was checked and whether something was removed. */
export const fsRemoveOutput = z.object({
  path: z.string(),
  removed: z.boolean(),
});

/** Removes a file, a symlink or a directory strictly inside the run root; a missing path is fine. */
export const fsRemove = defineTask({
  id: 'fs.remove',
  title: 'Remove files',
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
