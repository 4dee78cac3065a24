// Copies a list of files from one folder to another as a task node: relative paths only, never overwriting a different file, never writing outside the run root.
import { cp, lstat, readFile, readlink, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { errnoCode } from '../support/files.js';
import { confineToRoot, isStrictlyInside, realpathOfNearest, resolvePath } from '../support/paths.js';
import { exists } from './support.js';

/** Why `path` is not a safe relative file path (absolute, empty, `..`, NUL), or undefined. */
export function relativePathProblem(path: string): string | undefined {
  if (path === '' || path.includes('\0')) return 'is empty or contains a NUL character';
  if (path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path)) return 'must be relative';
  if (path.split(/[\\/]+/).includes('..')) return 'must not contain ".."';
  return undefined;
}

/** A file path relative to `from` and `to`. */
const relativeFile = z.string().superRefine((v, c) => {
  const problem = relativePathProblem(v);
  if (problem) c.addIssue({ code: 'custom', message: `file "${v}" ${problem}` });
});

/** Input of `fs.copy-files`; `from` and `to` are folders, relative ones taken from the run root. */
export const fsCopyFilesInput = z.strictObject({
  from: z.string().min(1).describe('The source folder (relative to the run root, or absolute); only read.'),
  to: z
    .string()
    .min(1)
    .describe(
      'The destination folder (relative to the run root, or absolute); every copied file must land inside the run root.',
    ),
  files: z.array(relativeFile).describe('The files to copy, relative to `from` and `to` (no absolute path, no `..`).'),
});

/** Output of `fs.copy-files`: the files copied, and those already in `to` with the same content (left as they are). */
export const fsCopyFilesOutput = z.object({
  copied: z.array(z.string()).describe('The files copied.'),
  existing: z
    .array(z.string())
    .default([])
    .describe('The files already in `to` with the same content, left as they are.'),
});

/** True when the two entries (files or symlinks) have the same content or target. */
async function sameEntry(a: string, b: string): Promise<boolean> {
  const [sa, sb] = [await lstat(a), await lstat(b)];
  if (sa.isSymbolicLink() || sb.isSymbolicLink())
    return sa.isSymbolicLink() && sb.isSymbolicLink() && (await readlink(a)) === (await readlink(b));
  return sa.isFile() && sb.isFile() && sa.size === sb.size && (await readFile(a)).equals(await readFile(b));
}

/** The real location of `rel` under `base`, refused when a symlinked folder leads it outside `base`. */
async function inside(base: string, rel: string, side: 'from' | 'to'): Promise<string> {
  const realBase = await realpathOfNearest(base);
  const parent = await realpathOfNearest(dirname(join(base, rel)));
  const target = join(parent, rel.split(/[\\/]+/).pop()!);
  if (!isStrictlyInside(realBase, target))
    throw new TaskError(`refusing to copy ${rel}: it resolves to ${target}, outside ${side} ${realBase}`, {
      file: rel,
      [side]: base,
    });
  return target;
}

/**
 * Copies each of `files` from the folder `from` to the same relative path under `to` (parents created,
 * modes kept, symlinks copied as links). Everything is checked before anything is copied: a missing
 * source, a folder, a path escaping either side or the run root, or a destination holding something else fails the step
 * and copies nothing. A destination already identical is fine (so the node can run again).
 */
export const fsCopyFiles = defineTask({
  id: 'fs.copy-files',
  title: 'Copy files between folders',
  description:
    'Copies listed files (relative paths) from one folder to another; never overwrites a different file. Rollback removes the files this step copied; files that were already there are left alone. Writes confined to the run root: every copied file.',
  input: fsCopyFilesInput,
  output: fsCopyFilesOutput,
  idempotent: true,
  plan: (i) => i.files.map((f) => `cp -n ${join(i.from, f)} ${join(i.to, f)}`),
  async run(ctx) {
    const from = resolvePath(ctx.root, ctx.input.from);
    const to = resolvePath(ctx.root, ctx.input.to);
    const files = [...new Set(ctx.input.files)];
    const todo: Array<{ rel: string; src: string; dst: string }> = [];
    const existing: string[] = [];
    // each destination lands inside `to` and inside the run root (a dangling symlink there is followed for the check)
    const confine = (rel: string) =>
      confineToRoot(ctx.root, join(ctx.input.to, rel), { task: 'fs.copy-files', param: 'to', origin: ctx.rootOrigin });
    for (const rel of files) {
      const src = await inside(from, rel, 'from');
      const dst = await inside(to, rel, 'to');
      await confine(rel);
      const st = await lstat(src).catch((e: unknown) => {
        if (errnoCode(e) === 'ENOENT')
          throw new TaskError(`cannot copy ${rel}: ${src} does not exist`, { file: rel, from });
        throw e;
      });
      if (st.isDirectory())
        throw new TaskError(`cannot copy ${rel}: ${src} is a folder (list its files instead)`, { file: rel, from });
      if (await exists(dst)) {
        if (!(await sameEntry(src, dst)))
          throw new TaskError(`refusing to overwrite ${dst}: it exists with other content`, { file: rel, to });
        existing.push(rel);
      } else todo.push({ rel, src, dst });
    }
    const copied: string[] = [];
    for (const { rel, src, dst } of todo) {
      // checked again right before writing, and written through the checked path: a folder swapped for a symlink
      // since the first check cannot lead the copy outside
      const checked = await confine(rel);
      try {
        await cp(src, checked, { errorOnExist: true, force: false, preserveTimestamps: true, verbatimSymlinks: true });
      } catch (e) {
        throw new TaskError(
          `cannot copy ${src} to ${dst}: ${(e as Error).message} (copied so far: ${copied.join(', ') || 'none'})`,
          { file: rel, copied, code: errnoCode(e) },
        );
      }
      copied.push(rel);
    }
    ctx.log.info(
      `copied ${copied.length} file(s) from ${from} to ${to}${existing.length ? ` (${existing.length} already there)` : ''}`,
    );
    return { copied, existing };
  },
  /** Removes the files this step copied; files that were already there are left alone. */
  async compensate(ctx) {
    const to = resolvePath(ctx.root, ctx.input.to);
    let gone = 0;
    for (const rel of ctx.output.copied) {
      if (!(await exists(join(to, rel)))) gone++;
      else await rm(join(to, rel), { force: true });
    }
    ctx.log.info(
      `removed ${ctx.output.copied.length - gone} copied file(s) from ${to}${gone ? ` (${gone} already gone)` : ''}`,
    );
  },
});
