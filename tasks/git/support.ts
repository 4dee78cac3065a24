// Shared helpers of the git.* task nodes: resolving repos, validating names, reading refs (running git itself is tasks/support/git.ts).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { TaskError, type TaskContext } from '../../engine/index.js';
import { formatCommand } from '../support/format.js';
import { git } from '../support/git.js';

/** Why `name` is not a valid branch or tag name (the rules of `git check-ref-format --branch`), or undefined. */
export function refNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.startsWith('-')) return 'starts with "-"';
  if (name === 'HEAD' || name === '@') return `is the reserved name ${name}`;
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return 'contains a space, a control character or one of ~ ^ : ? * [ \\';
  if (name.includes('..')) return 'contains ".."';
  if (name.includes('@{')) return 'contains "@{"';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'has an empty path component';
  if (name.endsWith('.')) return 'ends with "."';
  if (name.split('/').some((c) => c.startsWith('.') || c.endsWith('.lock')))
    return 'has a component that starts with "." or ends with ".lock"';
  return undefined;
}

/** A branch, tag or remote name checked like `git check-ref-format --branch`; `what` names it in the error. */
export function refName(what: 'branch' | 'tag' | 'remote') {
  return z.string().superRefine((v, c) => {
    const problem = refNameProblem(v);
    if (problem) c.addIssue({ code: 'custom', message: `"${v}" is not a valid ${what} name: it ${problem}` });
  });
}

/** A revision (sha, branch, `origin/main`, `HEAD~1`): no leading "-" (never an option), no whitespace. */
export const revision = z
  .string()
  .min(1)
  .refine((v) => !v.startsWith('-') && !/[\s\x00-\x1f\x7f]/.test(v), {
    message: 'must be a revision: no leading "-" and no whitespace',
  });

/** A config key: `section.name` or `section.subsection.name`, as `git config` accepts it. */
export const configKey = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9-]*(\.[^\n]+)?\.[A-Za-z][A-Za-z0-9-]*$/,
    'a config key such as "user.name" or "remote.origin.url"',
  );

/** Why `path` may not be written or read inside a work tree (absolute, escaping, inside .git), or undefined. */
export function repoPathProblem(path: string): string | undefined {
  if (path === '' || path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path)) return 'must be a relative path';
  const parts = path.split(/[\\/]+/);
  if (parts.includes('..')) return 'must not contain ".."';
  if (parts[0] === '.git' || (parts[0] === '.' && parts[1] === '.git')) return 'must not point into .git';
  return undefined;
}

/** A path relative to a work tree, refused when absolute, escaping with "..", or inside .git. */
export const repoRelativePath = z.string().superRefine((v, c) => {
  const problem = repoPathProblem(v);
  if (problem) c.addIssue({ code: 'custom', message: `"${v}" ${problem}` });
});

/** An identity for commits: becomes user.name / user.email of the command (author and committer). */
export const identity = z.strictObject({
  name: z.string().min(1).describe("user.name: the author's and committer's name."),
  email: z.string().min(1).describe("user.email: the author's and committer's email."),
});

/** `-c user.name=... -c user.email=...` for `who`, or nothing. */
export function identityArgs(who?: { name: string; email: string }): string[] {
  return who ? ['-c', `user.name=${who.name}`, '-c', `user.email=${who.email}`] : [];
}

/** Absolute form of a repo dir; relative paths are taken from the run root. */
export function repoDir(root: string, dir: string): string {
  return resolve(root, dir);
}

/** The command line a dry run shows for `git -C <dir> <args>`. */
export function gitLine(dir: string, args: readonly string[]): string {
  return formatCommand('git', ['-C', dir, ...args]);
}

/** The commit `rev` names in `dir`, or null when it does not resolve. */
export async function revParse(ctx: TaskContext<unknown>, dir: string, rev: string): Promise<string | null> {
  const r = await git(ctx, dir, ['rev-parse', '--verify', '-q', `${rev}^{commit}`], { allowFail: true });
  return r.exitCode === 0 ? r.stdout.trim() : null;
}

/** The checked-out branch of `dir`, or null when HEAD is detached. */
export async function currentBranch(ctx: TaskContext<unknown>, dir: string): Promise<string | null> {
  const r = await git(ctx, dir, ['symbolic-ref', '--short', '-q', 'HEAD'], { allowFail: true });
  return r.exitCode === 0 ? r.stdout.trim() : null;
}

/** The branch to act on: `branch` if given, else the checked-out one; a detached HEAD is an error naming `task`. */
export async function branchOrCurrent(
  ctx: TaskContext<unknown>,
  dir: string,
  branch: string | undefined,
  task: string,
): Promise<string> {
  if (branch) return branch;
  const current = await currentBranch(ctx, dir);
  if (!current) throw new TaskError(`${task}: ${dir} has a detached HEAD; give the branch explicitly`, { repo: dir });
  return current;
}

/** Files with unresolved conflicts in `dir`, sorted. */
export async function conflictedFiles(ctx: TaskContext<unknown>, dir: string): Promise<string[]> {
  const r = await git(ctx, dir, ['diff', '--name-only', '--diff-filter=U', '-z'], { allowFail: true });
  return [...new Set(r.stdout.split('\0').filter(Boolean))].sort();
}

/** Throws a TaskError naming the known remotes unless `remote` is configured in `repo`. */
export async function requireRemote(
  ctx: TaskContext<unknown>,
  repo: string,
  remote: string,
  task: string,
): Promise<void> {
  const r = await git(ctx, repo, ['remote']);
  const remotes = r.stdout.split('\n').filter(Boolean);
  if (!remotes.includes(remote)) {
    throw new TaskError(
      `${task}: remote ${remote} is not configured in ${repo} (remotes: ${remotes.join(', ') || 'none'})`,
      {
        repo,
        remote,
        remotes,
      },
    );
  }
}

/** True when `dir` itself is a non-bare repo (has .git) or a bare one (HEAD, objects, refs); never looks upwards. */
export function repoKind(dir: string): 'bare' | 'work-tree' | undefined {
  if (existsSync(resolve(dir, '.git'))) return 'work-tree';
  if (['HEAD', 'objects', 'refs'].every((p) => existsSync(resolve(dir, p)))) return 'bare';
  return undefined;
}

/** Throws a TaskError naming `param` unless `dir` is a git repository. */
export function requireRepo(dir: string, task: string, param = 'repo'): 'bare' | 'work-tree' {
  const kind = repoKind(dir);
  if (!kind) throw new TaskError(`${task}: ${param} ${dir} is not a git repository`, { [param]: dir });
  return kind;
}

/** First 7 characters of a sha, or "(none)". */
export function short(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 7) : '(none)';
}
