// Removes a file or tree as a task node, but only strictly inside the run root, with symlinks resolved first.
import { lstat, realpath, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { z } from 'zod';
import { defineTask, ErrorCode, TaskError } from '../../engine/index.js';
import { errnoCode } from '../support/files.js';
import { isStrictlyInside, realpathOfNearest } from '../support/paths.js';

/** Input of `fs.remove`; a relative path is taken from the run root. */
export const fsRemoveInput = z.object({
  path: z.string().min(1),
  /** Remove a non-empty directory with everything in it. */
  recursive: z.boolean().optional(),
});

/** Output of `fs.remove`: the absolute path that was checked and whether something was removed. */
export const fsRemoveOutput = z.object({
  path: z.string(),
  removed: z.boolean(),
});

/**
 * The physical path `path` designates, checked to lie strictly inside `root`.
 * The parent is resolved through realpath of its nearest existing ancestor, so a symlinked
 * folder cannot lead outside; the last component is kept as is, so a symlink is removed, never its target.
 */
export async function confineToRoot(root: string, path: string): Promise<string> {
  const realRoot = await realpath(root);
  const lexical = resolve(root, path);
  const refuse = (why: string): never => {
    throw new TaskError(
      `refusing to remove ${path}: ${why} (root: ${realRoot})`,
      { path, root: realRoot },
      ErrorCode.PathOutsideRoot,
    );
  };
  if (lexical === sep) refuse('it is the filesystem root');
  const target = join(await realpathOfNearest(dirname(lexical)), basename(lexical));
  if (target === sep) refuse('it is the filesystem root');
  if (target === realRoot) refuse('it is the root itself');
  if (!isStrictlyInside(realRoot, target)) refuse(`it resolves to ${target}, outside the root`);
  return target;
}

/** Removes a file, a symlink or a directory strictly inside the run root; a missing path is fine. */
export const fsRemove = defineTask({
  id: 'fs.remove',
  title: 'Remove files',
  input: fsRemoveInput,
  output: fsRemoveOutput,
  idempotent: true,
  plan: (i) => [`rm ${i.recursive ? '-rf' : '-f'} ${i.path}`],
  async run(ctx) {
    const path = await confineToRoot(ctx.root, ctx.input.path);
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
