// Pushing once and telling an accepted push from a refused one: shared by git.push and assert.push-rejected.
import { TaskError, type TaskContext } from '../../engine/index.js';
import { lastLines } from '../support/format.js';
import { git } from '../support/git.js';
import { branchOrCurrent } from './support.js';

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
const REFUSED =
  /\[rejected\]|\[remote rejected\]|hook declined|non-fast-forward|fetch first|stale info|cannot lock ref|failed to update ref|failed to lock/;

/** The `git push` arguments; `branch` given in full so a tag of the same name never gets in the way. */
export function pushArgs(o: PushOptions, branch: string): string[] {
  const flags = [
    ...(o.force ? ['--force'] : []),
    ...(o.setUpstream ? ['--set-upstream'] : []),
    ...(o.tags ? ['--tags'] : []),
  ];
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
    throw new TaskError(
      `${task}: push of ${branch} from ${repo} to ${o.remote} failed (exit code ${r.exitCode}):\n${lastLines(r.stderr, 8)}`,
      {
        repo,
        remote: o.remote,
        branch,
        exitCode: r.exitCode,
        stderr: r.stderr,
      },
    );
  }
  return { branch, accepted: false, rejected: true, reason: refusalReason(r.stderr) };
}
