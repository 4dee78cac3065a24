// Writes or deletes files in a work tree and commits them as a task node; nothing to commit is not an error.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { lastLines } from '../support/format.js';
import { git } from '../support/git.js';
import { gitLine, identity, identityArgs, repoDir, repoRelativePath, requireRepo, revParse, short } from './support.js';

/** Input of `git.commit`. */
export const gitCommitInput = z.strictObject({
  repo: z.string().min(1).describe('A clone (absolute, or relative to the run root).'),
  files: z
    .record(repoRelativePath, z.string().nullable())
    .optional()
    .describe('Files to write before committing, by path relative to the work tree; null deletes the file.'),
  message: z.string().min(1).describe('The commit message.'),
  all: z
    .boolean()
    .default(true)
    .describe('Stage every change of the work tree (default); when false only `files` (and what is already staged).'),
  author: identity
    .optional()
    .describe("Author and committer of the commit; default: the repo's user.name / user.email."),
  allowEmpty: z.boolean().default(false).describe('Commit even when nothing changed (`git commit --allow-empty`).'),
  amend: z
    .boolean()
    .default(false)
    .describe(
      'Replace the last commit (`git commit --amend`) instead of adding one: its changes plus what is staged, with `message`; its author is kept unless `author` is given. Rewrites history: pushing it afterwards takes a force push.',
    ),
});

/**
 * Output of `git.commit`: HEAD after the step ("" in a repo without commits), whether a commit was made and, after an
 * amend, the commit it replaced.
 */
export const gitCommitOutput = z.object({
  sha: z.string().describe('HEAD after the step.'),
  changed: z.boolean().describe('Whether a commit was made (false: there was nothing to commit).'),
  replaced: z.string().optional().describe('With `amend`, the commit it replaced.'),
});

type Input = z.output<typeof gitCommitInput>;

/** The `git add` arguments for an input, or undefined when nothing is staged by the node. */
function addArgs(i: Input): string[] | undefined {
  if (i.all) return ['add', '-A'];
  const paths = Object.keys(i.files ?? {});
  return paths.length ? ['add', '-A', '--', ...paths] : undefined;
}

/** The `git commit` arguments for an input (identity first, as `-c` options). */
function commitArgs(i: Input): string[] {
  return [
    ...identityArgs(i.author),
    'commit',
    '-q',
    '-m',
    i.message,
    ...(i.allowEmpty ? ['--allow-empty'] : []),
    // the author given becomes the amended commit's author too, as it is a new commit's
    ...(i.amend ? ['--amend', ...(i.author ? ['--reset-author'] : [])] : []),
  ];
}

/**
 * Writes `files` (null deletes), stages (`git add -A`, or only `files` when `all` is false), and commits
 * with `author` as author and committer. When nothing is staged (and no merge is being concluded) it makes
 * no commit and returns `changed: false`. Hooks run: a pre-commit or commit-msg hook that refuses fails the
 * step with the hook's output.
 */
export const gitCommit = defineTask({
  id: 'git.commit',
  title: 'Commit changes',
  description:
    'Writes files, stages, and commits (or amends the last commit); a no-op (changed: false) when there is nothing to commit.',
  input: gitCommitInput,
  output: gitCommitOutput,
  idempotent: false,
  plan: (i) => [
    ...Object.entries(i.files ?? {}).map(([p, c]) =>
      c === null ? `rm ${p} in ${i.repo}` : `write ${Buffer.byteLength(c)} bytes to ${p} in ${i.repo}`,
    ),
    ...(addArgs(i) ? [gitLine(i.repo, addArgs(i)!)] : []),
    gitLine(i.repo, commitArgs(i)),
  ],
  async run(ctx) {
    const i = ctx.input;
    const repo = repoDir(ctx.root, i.repo);
    requireRepo(repo, 'git.commit');
    // checked before any file is written: an amend without a commit to replace must change nothing
    const replaced = i.amend ? await revParse(ctx, repo, 'HEAD') : undefined;
    if (replaced === null)
      throw new TaskError(`git.commit: nothing to amend in ${repo}: it has no commit yet`, { repo });
    for (const [path, content] of Object.entries(i.files ?? {})) {
      const abs = join(repo, path);
      if (content === null) {
        await rm(abs, { force: true });
      } else {
        await mkdir(dirname(abs), { recursive: true });
        await writeFile(abs, content);
      }
    }
    const add = addArgs(i);
    if (add) await git(ctx, repo, add);
    const staged = await git(ctx, repo, ['diff', '--cached', '--quiet'], { allowFail: true });
    if (staged.exitCode > 1)
      throw new TaskError(`git.commit: cannot read the index of ${repo}: ${lastLines(staged.stderr)}`, { repo });
    // a merge being concluded leaves .git/MERGE_HEAD: read it from disk rather than spawning git when the layout is plain
    const merging =
      existsSync(join(repo, '.git')) && statSync(join(repo, '.git')).isDirectory()
        ? existsSync(join(repo, '.git', 'MERGE_HEAD'))
        : (await revParse(ctx, repo, 'MERGE_HEAD')) !== null;
    // an amend always makes a commit: a new message alone replaces the last one
    if (staged.exitCode === 0 && !merging && !i.allowEmpty && !i.amend) {
      const head = await revParse(ctx, repo, 'HEAD');
      ctx.log.info(`nothing to commit in ${repo} (HEAD ${short(head)})`);
      return { sha: head ?? '', changed: false };
    }
    const r = await git(ctx, repo, commitArgs(i), { allowFail: true });
    if (r.exitCode !== 0) {
      const output = lastLines(`${r.stdout}\n${r.stderr}`, 10);
      throw new TaskError(
        `git.commit: commit in ${repo} failed (exit code ${r.exitCode})${output ? `:\n${output}` : ''}`,
        {
          repo,
          exitCode: r.exitCode,
          stdout: r.stdout,
          stderr: r.stderr,
        },
      );
    }
    const sha = (await revParse(ctx, repo, 'HEAD')) ?? '';
    if (replaced) {
      ctx.log.info(`amended ${short(replaced)} into ${short(sha)} in ${repo}: ${i.message.split('\n')[0]}`);
      return { sha, changed: true, replaced };
    }
    ctx.log.info(`committed ${short(sha)} in ${repo}: ${i.message.split('\n')[0]}`);
    return { sha, changed: true };
  },
});
