// Writes a text file atomically inside the run root as a task node, recording whether it existed so rollback can remove it.
import { readFile, rm, stat } from 'node:fs/promises';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { errnoCode, writeFileAtomic } from '../support/files.js';
import { confineToRoot } from '../support/paths.js';
import { modeSchema } from './support.js';

/** Input of `fs.write`; a relative path is taken from the run root. */
export const fsWriteInput = z.strictObject({
  path: z
    .string()
    .min(1)
    .describe(
      'The file to write (relative to the run root, or absolute); must be inside the run root. Parent folders are created.',
    ),
  content: z.string().describe('The text to write.'),
  mode: modeSchema
    .optional()
    .describe(
      'The file\'s mode: a number (0o644) or an octal string ("644", "0o600"); default: the mode of the file replaced, if any.',
    ),
  overwrite: z
    .boolean()
    .default(true)
    .describe('Replace an existing file (default). When false, an existing file with other content is an error.'),
});

/** Output of `fs.write`: absolute path, bytes written, and whether a file was there before. */
export const fsWriteOutput = z.object({
  path: z.string().describe('The absolute path written.'),
  bytes: z.number().int().describe('The number of bytes written.'),
  existed: z.boolean().describe('Whether a file was there before the step.'),
});

/** Writes `content` to a file through a temp file and a rename; parent folders are created. */
export const fsWrite = defineTask({
  id: 'fs.write',
  title: 'Write a file',
  description:
    'Writes a file atomically (a temp file, then a rename); parent folders are created. Rollback removes the file if it did not exist before; a file it overwrote is kept as it is now, not restored. Writes confined to the run root: `path`.',
  input: fsWriteInput,
  output: fsWriteOutput,
  idempotent: true,
  plan: (i) => [`write ${Buffer.byteLength(i.content)} bytes to ${i.path}${i.overwrite ? '' : ' (unless it exists)'}`],
  async run(ctx) {
    const { content, overwrite } = ctx.input;
    // the real place, checked inside the run root right before writing, and written through
    const path = await confineToRoot(ctx.root, ctx.input.path, {
      task: 'fs.write',
      param: 'path',
      origin: ctx.rootOrigin,
    });
    const bytes = Buffer.byteLength(content);
    let previousMode: number | undefined;
    let existed = false;
    try {
      const st = await stat(path);
      if (st.isDirectory()) throw new TaskError(`cannot write ${path}: it is a directory`, { path });
      existed = true;
      previousMode = st.mode & 0o7777;
    } catch (e) {
      if (e instanceof TaskError) throw e;
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
    if (existed && !overwrite) {
      // Running again after a crash must not fail when the file already holds what we wanted.
      if ((await readFile(path, 'utf8')) === content) return { path, bytes, existed };
      throw new TaskError(`refusing to overwrite ${path}: it exists with other content (overwrite: false)`, { path });
    }
    await writeFileAtomic(path, content, ctx.input.mode ?? previousMode);
    ctx.log.info(`wrote ${bytes} bytes to ${path}`);
    return { path, bytes, existed };
  },
  /** Removes the file if this step created it; a file that existed before is left alone. Logs which it was. */
  async compensate(ctx) {
    const { path } = ctx.output;
    if (ctx.output.existed) return ctx.log.info(`kept ${path}: it was there before the step (not restored)`);
    if (!(await stat(path).catch(() => undefined))) return ctx.log.info(`${path} already gone`);
    await rm(path, { force: true });
    ctx.log.info(`removed ${path}`);
  },
});
