// Moves (renames) a file or folder as a task node: inside the run root only, never replaces anything, safe to run again, undone by moving back.
import { mkdir, rename } from 'node:fs/promises';
import { dirname, sep } from 'node:path';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { errnoCode } from '../support/files.js';
import { confineToRoot } from '../support/paths.js';
import { exists } from './support.js';

/** Input of `fs.move`; relative paths are taken from the run root. */
export const fsMoveInput = z.strictObject({
  from: z
    .string()
    .min(1)
    .describe('What to move (relative to the run root, or absolute); must be strictly inside the run root.'),
  to: z.string().min(1).describe('Where to move it; must be inside the run root and not exist.'),
});

/** Output of `fs.move`: absolute paths, and whether this attempt moved it (false: it had been moved already). */
export const fsMoveOutput = z.object({
  from: z.string().describe('The absolute source path.'),
  to: z.string().describe('The absolute destination path.'),
  moved: z.boolean().describe('Whether this attempt moved it (false: an earlier attempt had).'),
});

/** Renames `from` to `to`, failing with a message that names both paths and why. */
async function renameOrExplain(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (e) {
    const code = errnoCode(e);
    const why =
      code === 'EXDEV'
        ? 'they are on different filesystems (a move is a rename here; copy instead)'
        : code === 'EEXIST' || code === 'ENOTEMPTY'
          ? `${to} exists`
          : code === 'EINVAL'
            ? 'a folder cannot be moved inside itself'
            : (e as Error).message;
    throw new TaskError(`cannot move ${from} to ${to}: ${why}`, { from, to, code });
  }
}

/**
 * Moves `from` to `to` with a rename (parents of `to` are created), both inside the run root, `from` strictly (symlinks
 * resolved: a symlinked folder cannot lead either side outside). An existing `to` is refused, so
 * nothing is ever replaced. When `from` is gone and `to` exists, the move is taken as done by an earlier
 * attempt (`moved: false`), so a resumed run carries on. Rollback moves it back.
 */
export const fsMove = defineTask({
  id: 'fs.move',
  title: 'Move a file or folder',
  description:
    'Renames a file or folder without overwriting: refuses an existing destination; already moved is fine. Rollback moves it back, unless something took its former place meanwhile. Writes confined to the run root: `from` (strictly) and `to`.',
  input: fsMoveInput,
  output: fsMoveOutput,
  idempotent: true,
  plan: (i) => [`mv -n ${i.from} ${i.to}`],
  async run(ctx) {
    // both sides are written (the source goes away): both are checked inside the run root, on their real paths, and
    // the rename goes through those; the source is the entry itself (a symlink is moved, not its target), never the root
    const origin = ctx.rootOrigin;
    const from = await confineToRoot(ctx.root, ctx.input.from, {
      task: 'fs.move',
      param: 'from',
      origin,
      keepLink: true,
      strict: true,
    });
    const to = await confineToRoot(ctx.root, ctx.input.to, { task: 'fs.move', param: 'to', origin });
    if (from === to) throw new TaskError(`cannot move ${from} onto itself`, { from, to });
    if (to.startsWith(from + sep))
      throw new TaskError(`cannot move ${from} to ${to}: a folder cannot be moved inside itself`, { from, to });
    const [source, target] = [await exists(from), await exists(to)];
    if (!source && target) {
      ctx.log.info(`${from} is already moved to ${to}`);
      return { from, to, moved: false };
    }
    if (!source) throw new TaskError(`cannot move ${from}: it does not exist`, { from, to });
    if (target)
      throw new TaskError(`refusing to move ${from} to ${to}: ${to} exists (nothing is replaced)`, { from, to });
    await mkdir(dirname(to), { recursive: true });
    await renameOrExplain(from, to);
    ctx.log.info(`moved ${from} to ${to}`);
    return { from, to, moved: true };
  },
  /** Moves `to` back to `from`, unless something took `from`'s place meanwhile (then it is left alone, and said). */
  async compensate(ctx) {
    const { from, to } = ctx.output;
    if (!(await exists(to))) return ctx.log.warn(`cannot move ${to} back to ${from}: ${to} is gone`);
    if (await exists(from)) return ctx.log.warn(`not moving ${to} back: ${from} exists again`);
    await renameOrExplain(to, from);
    ctx.log.info(`moved ${to} back to ${from}`);
  },
});
