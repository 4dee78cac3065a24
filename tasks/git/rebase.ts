// Rebases the checked-out branch as a task node: start, continue after resolving conflicts, or abort.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { defineTask, TaskError, type TaskContext } from '../../engine/index.js';
import { lastLines } from '../support/format.js';
import { git } from '../support/git.js';
import { conflictedFiles, gitLine, repoDir, requireRepo, revision, revParse } from './support.js';

/** Input of `git.rebase`. */
export const gitRebaseInput = z.strictObject({
  repo: z.string().min(1).describe('A clone (absolute, or relative to the run root).'),
  onto: revision.optional().describe("Where to replay the branch's commits (default: its upstream); only for `start`."),
  action: z
    .enum(['start', 'continue', 'abort'])
    .default('start')
    .describe('Start a rebase, or continue or abort the one in progress.'),
});

/** Output of `git.rebase`: HEAD, the conflicted paths, and whether no rebase is left in progress. */
export const gitRebaseOutput = z.object({
  head: z.string().describe('HEAD afterwards.'),
  conflicts: z.array(z.string()).describe('The conflicted paths; empty when the rebase went through.'),
  done: z.boolean().describe('Whether no rebase is left in progress.'),
});

type Input = z.output<typeof gitRebaseInput>;

/** The git arguments of an action. */
function rebaseArgs(i: Input): string[] {
  if (i.action === 'continue') return ['rebase', '--continue'];
  if (i.action === 'abort') return ['rebase', '--abort'];
  return ['rebase', ...(i.onto ? [i.onto] : [])];
}

/** True while a rebase (merge or apply backend) is stopped in `repo`. */
async function rebaseInProgress(ctx: TaskContext<unknown>, repo: string): Promise<boolean> {
  for (const name of ['rebase-merge', 'rebase-apply']) {
    const r = await git(ctx, repo, ['rev-parse', '--git-path', name]);
    if (existsSync(resolve(repo, r.stdout.trim()))) return true;
  }
  return false;
}

/** The conflicted paths whose file still holds conflict markers (a deleted file counts as resolved). */
async function stillMarked(repo: string, paths: string[]): Promise<string[]> {
  const marked: string[] = [];
  for (const p of paths) {
    const text = await readFile(join(repo, p), 'utf8').catch(() => '');
    if (/^(<{7}|>{7})( |$)/m.test(text)) marked.push(p);
  }
  return marked;
}

/**
 * `start` runs `git rebase [<onto>]`; `continue` stages the conflicted files once their conflict markers
 * are gone and runs `git rebase --continue` (files still holding markers come back as conflicts, nothing
 * is run); `abort` runs `git rebase --abort`. Stopping on conflicts is output (`done: false`), not an error.
 */
export const gitRebase = defineTask({
  id: 'git.rebase',
  title: 'Rebase a branch',
  description: 'git rebase <onto> | --continue | --abort; conflicts are output (done: false).',
  input: gitRebaseInput,
  output: gitRebaseOutput,
  idempotent: false,
  plan: (i) => [
    ...(i.action === 'continue' ? [gitLine(i.repo, ['add', '-A', '--', '<resolved conflicted files>'])] : []),
    gitLine(i.repo, rebaseArgs(i)),
  ],
  async run(ctx) {
    const { action } = ctx.input;
    const repo = repoDir(ctx.root, ctx.input.repo);
    requireRepo(repo, 'git.rebase');
    const inProgress = await rebaseInProgress(ctx, repo);
    if (action === 'start' && inProgress)
      throw new TaskError(`git.rebase: a rebase is already in progress in ${repo}`, { repo, action });
    if (action !== 'start' && !inProgress)
      throw new TaskError(`git.rebase: no rebase in progress in ${repo} to ${action}`, { repo, action });
    const head = async () => (await revParse(ctx, repo, 'HEAD')) ?? '';
    if (action === 'continue') {
      const conflicted = await conflictedFiles(ctx, repo);
      const marked = await stillMarked(repo, conflicted);
      if (marked.length) {
        ctx.log.warn(`rebase in ${repo} cannot continue: conflict markers left in ${marked.join(', ')}`);
        return { head: await head(), conflicts: marked, done: false };
      }
      if (conflicted.length) await git(ctx, repo, ['add', '-A', '--', ...conflicted]);
    }
    const r = await git(ctx, repo, rebaseArgs(ctx.input), { allowFail: true });
    if (r.exitCode !== 0) {
      const conflicts = await conflictedFiles(ctx, repo);
      if (conflicts.length === 0) {
        const tail = lastLines(`${r.stdout}\n${r.stderr}`, 8);
        throw new TaskError(
          `git.rebase: ${rebaseArgs(ctx.input).join(' ')} in ${repo} failed (exit code ${r.exitCode}):\n${tail}`,
          { repo, action, stderr: r.stderr },
        );
      }
      ctx.log.warn(`rebase in ${repo} stopped on conflicts: ${conflicts.join(', ')}`);
      return { head: await head(), conflicts, done: false };
    }
    ctx.log.info(`rebase ${action} in ${repo}: done`);
    return { head: await head(), conflicts: [], done: true };
  },
});
