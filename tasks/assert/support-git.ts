// Shared helpers of the git assertion nodes: the failure they raise and how they show commits and text.
import { z } from 'zod';
import { ErrorCode, TaskError, type TaskContext } from '../../engine/index.js';
import { repoDir, requireRepo, short } from '../git/support.js';
import { git } from '../support/git.js';

/** Output of every git assertion: `ok` (a failure throws instead) and the actual value it checked. */
export function assertOutput<T extends z.ZodType>(actual: T) {
  return z.object({ ok: z.literal(true).describe('Always true: a failed assertion fails the step instead.'), actual });
}

/** The ASSERTION_FAILED error of `task`: `<task>: <message>`, with the details for the journal. */
export function assertionFailed(task: string, message: string, details: Record<string, unknown> = {}): TaskError {
  return new TaskError(`${task}: ${message}`, details, ErrorCode.AssertionFailed);
}

/** `text` as a JSON string, cut to `max` characters with "..." so a failure message stays one screen. */
export function quote(text: string, max = 120): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}...` : text);
}

/** Absolute dir of the repo `param` names; throws when it is not a git repository. */
export function assertedRepo(ctx: TaskContext<unknown>, task: string, dir: string, param = 'repo'): string {
  const abs = repoDir(ctx.root, dir);
  requireRepo(abs, task, param);
  return abs;
}

/** The first line of the message of commit `sha` in `repo`, or undefined when the repo lacks that commit. */
export async function subject(ctx: TaskContext<unknown>, repo: string, sha: string): Promise<string | undefined> {
  const r = await git(ctx, repo, ['log', '-1', '--format=%s', sha, '--'], { allowFail: true });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}

/**
 * `3f2a1b0 (message "x", <extra>)` for a commit, its message read from the first repo of `repos` that
 * has it; without a message or `extra`, just the short sha.
 */
export async function describeCommit(
  ctx: TaskContext<unknown>,
  sha: string,
  repos: readonly string[],
  extra?: string,
): Promise<string> {
  let message: string | undefined;
  for (const repo of repos) {
    message = await subject(ctx, repo, sha);
    if (message !== undefined) break;
  }
  const notes = [message === undefined ? '' : `message ${quote(message, 60)}`, extra ?? ''].filter(Boolean);
  return notes.length ? `${short(sha)} (${notes.join(', ')})` : short(sha);
}

/** The full message of commit `rev` in `repo`, or undefined when `rev` names no commit. */
export async function commitMessage(ctx: TaskContext<unknown>, repo: string, rev: string): Promise<string | undefined> {
  const r = await git(ctx, repo, ['log', '-1', '--format=%B', `${rev}^{commit}`, '--'], { allowFail: true });
  return r.exitCode === 0 ? r.stdout.replace(/\n+$/, '') : undefined;
}

/** Flags a `matches` pattern may add to the multi-line flag the assertions always use (stateful `g` / `y` have no use here). */
export const regexFlags = z.string().regex(/^[imsuv]*$/, 'regular expression flags among i, m, s, u and v');

/** Compiles the regex source `source` (multi-line, plus `flags`), failing with a clear error naming `param` when it is invalid. */
export function regex(task: string, param: string, source: string, flags = ''): RegExp {
  try {
    return new RegExp(source, [...new Set(`m${flags}`)].join(''));
  } catch (e) {
    throw new TaskError(
      `${task}: ${param} /${source}/${flags} is not a valid regular expression: ${(e as Error).message}`,
      { [param]: source, flags },
      ErrorCode.BadInput,
    );
  }
}
