// Pushes a branch as a task node and tells an accepted push from a refused one (non-fast-forward, hook).
import { z } from 'zod';
import { defineTask, ErrorCode, TaskError, type TaskContext } from '../../engine/index.js';
import { lastLines } from '../exec/run.js';
import { branchOrCurrent, git, gitLine, refName, repoDir, requireRepo } from './support.js';

/** Input of `git.push`. */
export const gitPushInput = z.object({
  repo: z.string().min(1),
  remote: refName('remote').default('origin'),
  /** Branch to push (default: the checked-out one), to the branch of the same name. */
  branch: refName('branch').optional(),
  force: z.boolean().default(false),
  setUpstream: z.boolean().default(false),
  /** Push every tag as well. */
  tags: z.boolean().default(false),
  /** What the scenario expects of the remote; the step fails when the outcome differs. */
  expect: z.enum(['accepted', 'rejected', 'any']).default('accepted'),
});

/** Output of `git.push`: the outcome and, when refused, git's reason (hook output included). */
export const gitPushOutput = z.object({
  accepted: z.boolean(),
  rejected: z.boolean(),
  reason: z.string(),
});

/** Options of one push attempt. */
export interface PushOptions {
  remote: string;
  branch?: string;
  force?: boolean;
  setUpstream?: boolean;
  tags?: boolean;
}

/** What git prints when the remote (or the fast-forward check) refuses a ref. */
// a lost race (another push updated the ref at the same moment) is a refusal too: "cannot lock ref", "failed to update ref"
const REFUSED = /\[rejected\]|\[remote rejected\]|hook declined|non-fast-forward|fetch first|stale info|cannot lock ref|failed to update ref|failed to lock/;

/** The `git push` arguments; `branch` given in full so a tag of the same name never gets in the way. */
export function pushArgs(o: PushOptions, branch: string): string[] {
  const flags = [...(o.force ? ['--force'] : []), ...(o.setUpstream ? ['--set-upstream'] : []), ...(o.tags ? ['--tags'] : [])];
  return ['push', ...flags, o.remote, `refs/heads/${branch}:refs/heads/${branch}`];
}

/** The lines of push stderr that explain a refusal: hook output ("remote: ..."), "! [rejected]" and "error:" lines. */
export function refusalReason(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => /^remote: ?\S/.test(l) || /^\s*!\s/.test(l) || /^error:/.test(l));
  return lines.length ? lines.join('\n') : lastLines(stderr);
}

/**
 * Pushes `branch` (default: the current one) of the work tree `repo` to `remote`. Returns the outcome when
 * git accepted or refused the push; throws when git failed for another reason (no remote, no network).
 */
export async function pushOnce(ctx: TaskContext<unknown>, repo: string, o: PushOptions, task = 'git.push') {
  const branch = await branchOrCurrent(ctx, repo, o.branch, task);
  const r = await git(ctx, repo, pushArgs(o, branch), { allowFail: true });
  if (r.exitCode === 0) return { branch, accepted: true, rejected: false, reason: '' };
  if (!REFUSED.test(r.stderr)) {
    throw new TaskError(`${task}: push of ${branch} from ${repo} to ${o.remote} failed (exit code ${r.exitCode}):\n${lastLines(r.stderr, 8)}`, {
      repo,
      remote: o.remote,
      branch,
      exitCode: r.exitCode,
      stderr: r.stderr,
    });
  }
  return { branch, accepted: false, rejected: true, reason: refusalReason(r.stderr) };
}

/**
 * Runs `git push [--force] [--set-upstream] [--tags] <remote> <branch>`. A refusal is an outcome, checked
 * against `expect`: a push expected to be accepted that git refuses fails with git's reason, and one
 * expected to be rejected that goes through fails as an assertion.
 */
export const gitPush = defineTask({
  id: 'git.push',
  title: 'Push a branch',
  description: 'git push <remote> <branch>; a refusal (non-fast-forward, hook) is checked against `expect`.',
  input: gitPushInput,
  output: gitPushOutput,
  idempotent: false,
  plan: (i) => [`${gitLine(i.repo, pushArgs(i, i.branch ?? '<current branch>'))} (expect ${i.expect})`],
  async run(ctx) {
    const repo = repoDir(ctx.root, ctx.input.repo);
    requireRepo(repo, 'git.push');
    const { expect, remote } = ctx.input;
    const { branch, ...out } = await pushOnce(ctx, repo, ctx.input);
    if (expect === 'rejected' && out.accepted) {
      throw new TaskError(`expected the push of ${branch} from ${repo} to be rejected, but it was accepted`, { repo, remote, branch }, ErrorCode.AssertionFailed);
    }
    if (expect === 'accepted' && out.rejected) {
      throw new TaskError(`push of ${branch} from ${repo} to ${remote} was rejected:\n${out.reason}`, { repo, remote, branch, reason: out.reason });
    }
    ctx.log.info(`push of ${branch} from ${repo} to ${remote} was ${out.accepted ? 'accepted' : `rejected, as expected:\n${out.reason}`}`);
    return out;
  },
});
