// Creates a directory (and its parents) inside the run root as a task node, remembering whether it was new so rollback can undo it.
import { mkdir, rmdir, stat } from 'node:fs/promises';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { errnoCode } from '../support/files.js';
import { confineToRoot } from '../support/paths.js';
import { modeSchema } from './support.js';

/** Input of `fs.mkdir`; a relative path is taken from the run root. */
export const fsMkdirInput = z.strictObject({
  path: z
    .string()
    .min(1)
    .describe('The folder to create (relative to the run root, or absolute); must be inside the run root.'),
  mode: modeSchema.optional().describe('The folder\'s mode: a number (0o755) or an octal string ("755", "0o700").'),
});

/** Output of `fs.mkdir`: the absolute path, and whether this step created it. */
export const fsMkdirOutput = z.object({
  path: z.string().describe('The absolute path of the folder.'),
  created: z.boolean().describe('Whether this step created it (false: it existed already).'),
});

/** Creates a directory with its missing parents; an existing directory is fine. */
export const fsMkdir = defineTask({
  id: 'fs.mkdir',
  title: 'Create a directory',
  description:
    'Creates a folder and its parents; an existing folder is fine. Rollback removes it if this step created it and it is still empty. Writes confined to the run root: `path`.',
  input: fsMkdirInput,
  output: fsMkdirOutput,
  idempotent: true,
  plan: (i) => [`mkdir -p${i.mode === undefined ? '' : ` -m ${i.mode.toString(8)}`} ${i.path}`],
  async run(ctx) {
    const path = await confineToRoot(ctx.root, ctx.input.path, {
      task: 'fs.mkdir',
      param: 'path',
      origin: ctx.rootOrigin,
    });
    let first: string | undefined;
    try {
      first = await mkdir(path, { recursive: true, mode: ctx.input.mode });
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'EEXIST' || code === 'ENOTDIR') {
        throw new TaskError(`cannot create directory ${path}: a file is in the way`, { path, code });
      }
      throw new TaskError(`cannot create directory ${path}: ${(e as Error).message}`, { path, code });
    }
    // mkdir -p answers "already there" when a file holds the name on some platforms: check.
    const st = await stat(path);
    if (!st.isDirectory()) throw new TaskError(`cannot create directory ${path}: a file is in the way`, { path });
    const created = first !== undefined;
    if (created) ctx.log.info(`created ${path}`);
    return { path, created };
  },
  /** Removes the directory only if this step created it and it is still empty. */
  async compensate(ctx) {
    if (!ctx.output.created) return ctx.log.info(`kept ${ctx.output.path}: it was there before the step`);
    try {
      await rmdir(ctx.output.path);
      ctx.log.info(`removed ${ctx.output.path}`);
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'ENOENT') return ctx.log.info(`${ctx.output.path} already gone`);
      if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        ctx.log.warn(`kept ${ctx.output.path}: not empty`);
        return;
      }
      throw e;
    }
  },
});
