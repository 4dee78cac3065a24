// Reading a work tree's state (changes, conflicts, ahead/behind): shared by git.status and the assertions on a clone.
import { z } from 'zod';
import type { TaskContext } from '../../engine/index.js';
import { git } from '../support/git.js';
import { currentBranch, revParse } from './support.js';

/** The state of a work tree (git.status's output); `branch` is "HEAD" when detached, `head` "" before the first commit. */
export const workTreeStatus = z.object({
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
export type GitStatus = z.output<typeof workTreeStatus>;

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
