// Compares two folders file by file as a task node (ignoring .git): what only one side has, what differs.
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { errnoCode } from '../support/files.js';
import { resolvePath } from '../support/paths.js';

/** Input of `git.diff-trees`; `ignore` holds path prefixes ("build/") or globs ("*.log", "dist/**"). */
export const gitDiffTreesInput = z.strictObject({
  left: z.string().min(1).describe('One folder (relative to the run root, or absolute).'),
  right: z.string().min(1).describe('The other folder (relative to the run root, or absolute).'),
  ignore: z
    .array(z.string().min(1))
    .default([])
    .describe('Paths left out of the comparison besides .git: prefixes ("build/") or globs ("*.log", "dist/**").'),
});

/** Output of `git.diff-trees`: sorted relative paths. */
export const gitDiffTreesOutput = z.object({
  onlyLeft: z.array(z.string()).describe('Files only in `left`, sorted, relative.'),
  onlyRight: z.array(z.string()).describe('Files only in `right`, sorted, relative.'),
  differing: z.array(z.string()).describe('Files in both whose bytes differ, sorted, relative.'),
});

/** A glob as a regex over a relative path: `**` crosses folders, `*` and `?` do not. */
function globRegex(glob: string): RegExp {
  let src = '';
  for (let n = 0; n < glob.length; n++) {
    const c = glob[n];
    if (c === '*' && glob[n + 1] === '*') {
      src += glob[n + 2] === '/' ? '(?:.*/)?' : '.*';
      n += glob[n + 2] === '/' ? 2 : 1;
    } else if (c === '*') src += '[^/]*';
    else if (c === '?') src += '[^/]';
    else src += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${src}$`);
}

/**
 * A predicate for the ignore list: a glob matches the whole relative path (or, without "/", the file
 * name anywhere); anything else is a prefix: the path itself or everything below it.
 */
export function ignoreMatcher(patterns: readonly string[]): (rel: string) => boolean {
  const tests = patterns.map((p) => {
    if (/[*?]/.test(p)) {
      const re = globRegex(p);
      return p.includes('/')
        ? (rel: string) => re.test(rel)
        : (rel: string) => re.test(rel.slice(rel.lastIndexOf('/') + 1));
    }
    const prefix = p.replace(/^\.\//, '').replace(/\/+$/, '');
    return (rel: string) => rel === prefix || rel.startsWith(`${prefix}/`);
  });
  return (rel) => tests.some((t) => t(rel));
}

/** Every file and symlink below `dir` (relative, "/"-separated), skipping `.git` and ignored paths. */
async function listFiles(
  dir: string,
  ignored: (rel: string) => boolean,
  prefix = '',
  out: string[] = [],
): Promise<string[]> {
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.name === '.git' || ignored(rel)) continue;
    if (e.isDirectory()) await listFiles(dir, ignored, rel, out);
    else out.push(rel);
  }
  return out;
}

/** True when the two entries hold the same bytes (or, for symlinks, the same target). */
async function sameContent(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([lstat(a), lstat(b)]);
  if (sa.isSymbolicLink() || sb.isSymbolicLink()) {
    return sa.isSymbolicLink() && sb.isSymbolicLink() && (await readlink(a)) === (await readlink(b));
  }
  if (sa.size !== sb.size) return false;
  const [ba, bb] = await Promise.all([readFile(a), readFile(b)]);
  return ba.equals(bb);
}

/** Compares `left` and `right` recursively by bytes; used to check that two clones hold the same tree. */
export const gitDiffTrees = defineTask({
  id: 'git.diff-trees',
  title: 'Compare two folders',
  description: 'Recursive byte comparison of two folders, ignoring .git and the ignore list. Reads only.',
  input: gitDiffTreesInput,
  output: gitDiffTreesOutput,
  idempotent: true,
  plan: (i) => [
    `compare ${i.left} with ${i.right} file by file${i.ignore.length ? ` (ignoring ${i.ignore.join(', ')})` : ''}`,
  ],
  async run(ctx) {
    const left = resolvePath(ctx.root, ctx.input.left);
    const right = resolvePath(ctx.root, ctx.input.right);
    const ignored = ignoreMatcher(ctx.input.ignore);
    const list = async (dir: string, param: string) => {
      try {
        return new Set(await listFiles(dir, ignored));
      } catch (e) {
        if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR')
          throw new TaskError(`git.diff-trees: ${param} ${dir} is not a folder`, { [param]: dir });
        throw e;
      }
    };
    const [l, r] = await Promise.all([list(left, 'left'), list(right, 'right')]);
    const onlyLeft = [...l].filter((p) => !r.has(p)).sort();
    const onlyRight = [...r].filter((p) => !l.has(p)).sort();
    const differing: string[] = [];
    for (const p of [...l].filter((p) => r.has(p)).sort()) {
      if (!(await sameContent(join(left, p), join(right, p)))) differing.push(p);
    }
    ctx.log.info(
      `${left} vs ${right}: ${onlyLeft.length} only left, ${onlyRight.length} only right, ${differing.length} differing`,
    );
    return { onlyLeft, onlyRight, differing };
  },
});
