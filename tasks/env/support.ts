// What the environment generators share: writing a generated file beside its target, checking it (with the real tool,
// or in memory) and only then renaming it into place; putting the previous file back on rollback; escaping text.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { TaskError, type TaskContext } from '../../engine/index.js';
import { errnoCode, writeFileAtomic } from '../support/files.js';
import { confineToRoot } from '../support/paths.js';

/** What installing a generated file did. */
export const installedOutput = {
  path: z.string().describe('The absolute path of the file.'),
  bytes: z.number().int().describe('Its size in bytes.'),
  changed: z.boolean().describe('Whether the file changed (false: it held this content already).'),
  previous: z
    .string()
    .nullable()
    .describe('What the file held before the step (null: there was none); rollback puts it back.'),
};

/** The checked temp file a validator is given: its full path, its name, the folder it lies in, and the target. */
export interface Candidate {
  /** The file it will be installed as (absolute, confined). */
  target: string;
  file: string;
  name: string;
  dir: string;
}

/**
 * Writes `content` to `path` (relative to the run root, confined to it): first into a temp file beside it, which
 * `validate` checks (it throws a TaskError when the file is refused), and only then renamed over `path`. A refused file
 * is removed and the previous one is left as it was, byte for byte. A file already holding `content` is still checked
 * (the step answers for the file being valid now) but not written again.
 */
export async function installGenerated(
  ctx: Pick<TaskContext<unknown>, 'root' | 'rootOrigin'>,
  o: { task: string; param: string; path: string; content: string; validate: (c: Candidate) => Promise<void> },
) {
  const path = await confineToRoot(ctx.root, o.path, { task: o.task, param: o.param, origin: ctx.rootOrigin });
  let previous: string | null = null;
  let mode = 0o644;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new TaskError(`${o.task}: cannot write ${path}: it is not a file`, { path });
    mode = st.mode & 0o7777;
    previous = await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof TaskError || errnoCode(e) !== 'ENOENT') throw e;
  }
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const name = `.${basename(path)}.gravity-${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  const file = join(dir, name);
  try {
    await writeFile(file, o.content, { mode });
    await chmod(file, mode);
    await o.validate({ target: path, file, name, dir });
    const changed = previous !== o.content;
    if (changed) await rename(file, path);
    return { path, bytes: Buffer.byteLength(o.content), changed, previous };
  } finally {
    await rm(file, { force: true });
  }
}

/**
 * Rollback of `installGenerated`: when the file still holds what the step wrote, the previous content is put back (or
 * the file removed, when there was none); a file changed since by someone else is left alone, with a warning.
 */
export async function restoreGenerated(
  ctx: Pick<TaskContext<unknown>, 'log'>,
  o: { path: string; wrote: string; changed: boolean; previous: string | null },
) {
  if (!o.changed) return;
  const now = await readFile(o.path, 'utf8').catch((e: unknown) => {
    if (errnoCode(e) === 'ENOENT') return null;
    throw e;
  });
  if (now !== o.wrote) {
    ctx.log.warn(`${o.path} changed since this step: left as it is`);
    return;
  }
  if (o.previous === null) {
    await rm(o.path, { force: true });
    ctx.log.info(`removed ${o.path} (there was none before the step)`);
  } else {
    const mode = (await stat(o.path)).mode & 0o7777;
    await writeFileAtomic(o.path, o.previous, mode);
    ctx.log.info(`put back the previous ${o.path}`);
  }
}

/** `text` with its lines numbered, at most `max` of them (the rest counted), for an error that shows a file. */
export function numbered(text: string, max = 200): string {
  const lines = text.replace(/\n$/, '').split('\n');
  const width = String(Math.min(lines.length, max)).length;
  const shown = lines.slice(0, max).map((l, i) => `${String(i + 1).padStart(width)}  ${l}`);
  if (lines.length > max) shown.push(`… ${lines.length - max} more line(s)`);
  return shown.join('\n');
}
