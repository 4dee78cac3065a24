// Reads the state of a work tree as a task node: branch, head, changes, conflicts, ahead/behind its remote.
import { z } from 'zod';
import { defineTask, type TaskContext } from '../../engine/index.js';
import { currentBranch, git, gitLine, refName, repoDir, requireRepo, revParse } from './support.js';

/** Input of `git.status`. */
export const gitStatusInput = z.object({
  repo: z.string().min(1),
  remote: refName('remote').default('origin'),
  /** Branch of the remote to count ahead/behind against (default: the checked-out branch's name). */
  branch: refName('branch').optional(),
});

/** Output of `git.status`; `branch` is "HEAD" when detached, `head` "" before the first commit. */
export const gitStatusOutput = z.object({
  branch: z.string(),
  head: z.string(),
  clean: z.boolean(),
  ahead: z.number().int(),
  behind: z.number().int(),
  conflicted: z.array(z.string()),
  modified: z.array(z.string()),
  untracked: z.array(z.string()),
});

/** The state `git.status` reports. */
export type GitStatus = z.output<typeof gitStatusOutput>;

/** Porcelain XY codes of unmerged paths. */
const UNMERGED = new Set(['DD', 'AU', 'UD', 'UA', 'DU', 'AA', 'UU']);

/** Splits `git status --porcelain=v1 -z` output into conflicted, modified (staged or not) and untracked paths. */
export function parsePorcelain(out: string): Pick<GitStatus, 'conflicted' | 'modified' | 'untracked'> {
  const records = out.split('\0');
  const conflicted: string[] = [];
  const modified: string[] = [];
  const untracked: string[] = [];
  for (let n = 0; n < records.length; n++) {
    const rec = records[n];
    if (rec.length < 4) continue;
    const xy = rec.slice(0, 2);
    const path = rec.slice(3);
    if (xy[0] === 'R' || xy[0] === 'C') n++; // the next record is the original path
    if (xy === '??') untracked.push(path);
    else if (UNMERGED.has(xy)) conflicted.push(path);
    else if (xy !== '!!') modified.push(path);
  }
  return { conflicted: conflicted.sort(), modified: modified.sort(), untracked: untracked.sort() };
}

/**
 * Commits of HEAD not in `<remote>/<branch>` (ahead) and the reverse (behind), from the refs of the last
 * fetch. Without that remote-tracking ref, every local commit counts as ahead and behind is 0.
 */
export async function aheadBehind(ctx: TaskContext<unknown>, repo: string, remote: string, branch: string) {
  const upstream = `refs/remotes/${remote}/${branch}`;
  const head = await revParse(ctx, repo, 'HEAD');
  if (!head) return { ahead: 0, behind: 0 };
  if (!(await revParse(ctx, repo, upstream))) {
    const r = await git(ctx, repo, ['rev-list', '--count', 'HEAD']);
    return { ahead: Number(r.stdout.trim()), behind: 0 };
  }
  const r = await git(ctx, repo, ['rev-list', '--left-right', '--count', `HEAD...${upstream}`]);
  const [ahead, behind] = r.stdout.trim().split(/\s+/).map(Number);
  return { ahead, behind };
}

/** Reads the whole status of the work tree `repo` (absolute). */
export async function readStatus(ctx: TaskContext<unknown>, repo: string, remote: string, branch?: string): Promise<GitStatus> {
  const current = await currentBranch(ctx, repo);
  const head = (await revParse(ctx, repo, 'HEAD')) ?? '';
  const r = await git(ctx, repo, ['status', '--porcelain=v1', '-z', '--untracked-files=all']);
  const files = parsePorcelain(r.stdout);
  const against = branch ?? current;
  const counts = against ? await aheadBehind(ctx, repo, remote, against) : { ahead: 0, behind: 0 };
  const clean = files.conflicted.length + files.modified.length + files.untracked.length === 0;
  return { branch: current ?? 'HEAD', head, clean, ...counts, ...files };
}

/** Reports branch, head, changed/untracked/conflicted files and ahead/behind `<remote>/<branch>`; reads only. */
export const gitStatus = defineTask({
  id: 'git.status',
  title: 'Read a work tree status',
  description: 'git status plus ahead/behind counts against <remote>/<branch> as of the last fetch.',
  input: gitStatusInput,
  output: gitStatusOutput,
  idempotent: true,
  plan: (i) => [
    gitLine(i.repo, ['status', '--porcelain=v1', '-z', '--untracked-files=all']),
    gitLine(i.repo, ['rev-list', '--left-right', '--count', `HEAD...${i.remote}/${i.branch ?? '<current branch>'}`]),
  ],
  async run(ctx) {
    const repo = repoDir(ctx.root, ctx.input.repo);
    requireRepo(repo, 'git.status');
    const s = await readStatus(ctx, repo, ctx.input.remote, ctx.input.branch);
    ctx.log.info(`${repo} on ${s.branch}: ${s.clean ? 'clean' : 'dirty'}, ${s.ahead} ahead, ${s.behind} behind ${ctx.input.remote}`);
    return s;
  },
});
