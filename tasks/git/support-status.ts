// Reading a work tree's state (changes, conflicts, ahead/behind): shared by git.status and the assertions on a clone.
import { z } from 'zod';
import type { TaskContext } from '../../engine/index.js';
import { git } from '../support/git.js';
import { revParse } from './support.js';

/** The state of a work tree (git.status's output); `branch` is "HEAD" when detached, `head` "" before the first commit. */
export const workTreeStatus = z.object({
  branch: z.string().describe('The checked-out branch; "HEAD" when detached.'),
  head: z.string().describe('The commit checked out; "" before the first commit.'),
  clean: z.boolean().describe('Whether nothing is modified, staged, conflicted or untracked.'),
  ahead: z.number().int().describe('Commits HEAD has that the remote branch lacks (as of the last fetch).'),
  behind: z.number().int().describe('Commits of the remote branch that HEAD lacks (as of the last fetch).'),
  conflicted: z.array(z.string()).describe('Paths in conflict.'),
  modified: z.array(z.string()).describe('Paths modified or staged.'),
  untracked: z.array(z.string()).describe('Untracked paths.'),
});

/** The state `git.status` reports. */
export type GitStatus = z.output<typeof workTreeStatus>;

/** What one `git status --porcelain=v2 --branch -z` tells: HEAD, its branch and upstream, and the changed paths. */
export interface WorkTree extends Pick<GitStatus, 'conflicted' | 'modified' | 'untracked'> {
  /** The checked-out branch, or null when HEAD is detached. */
  branch: string | null;
  /** The commit HEAD is at, "" before the first commit. */
  head: string;
  /** The configured upstream, short (`origin/main`), when there is one. */
  upstream?: string;
  /** Commits ahead of and behind the upstream, when it is configured and its ref exists. */
  ab?: { ahead: number; behind: number };
}

/** Fields before the path in a porcelain v2 entry: `1` ordinary change, `2` rename or copy, `u` unmerged. */
const FIELDS: Record<string, number> = { '1': 8, '2': 9, u: 10 };

/**
 * Reads `git status --porcelain=v2 --branch -z` output. Paths come whole (spaces, newlines, unicode): each entry is
 * NUL-terminated and the path is what follows a fixed number of fields; a rename is followed by its original path.
 */
export function parseStatusV2(out: string): WorkTree {
  const records = out.split('\0');
  const t: WorkTree = { branch: null, head: '', conflicted: [], modified: [], untracked: [] };
  for (let n = 0; n < records.length; n++) {
    const rec = records[n];
    if (rec.startsWith('# ')) {
      const [key, ...rest] = rec.slice(2).split(' ');
      const value = rest.join(' ');
      if (key === 'branch.oid') t.head = value === '(initial)' ? '' : value;
      else if (key === 'branch.head') t.branch = value === '(detached)' ? null : value;
      else if (key === 'branch.upstream') t.upstream = value;
      else if (key === 'branch.ab') {
        const m = /^\+(\d+) -(\d+)$/.exec(value);
        if (m) t.ab = { ahead: Number(m[1]), behind: Number(m[2]) };
      }
      continue;
    }
    const kind = rec[0];
    if (kind === '?') t.untracked.push(rec.slice(2));
    else if (kind in FIELDS) {
      const path = rec.split(' ').slice(FIELDS[kind]).join(' ');
      (kind === 'u' ? t.conflicted : t.modified).push(path);
      if (kind === '2') n++; // the next record is the original path
    }
  }
  for (const list of [t.conflicted, t.modified, t.untracked]) list.sort();
  return t;
}

/** The one `git status` that reads the work tree, its branch, HEAD and the upstream counts. */
export const STATUS_ARGS: readonly string[] = ['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all'];

/** Reads the work tree `repo` (absolute) with one git process. */
export async function readWorkTree(ctx: TaskContext<unknown>, repo: string): Promise<WorkTree> {
  return parseStatusV2((await git(ctx, repo, [...STATUS_ARGS])).stdout);
}

/** Ahead/behind of HEAD (at commit `head`) against `refs/remotes/<remote>/<branch>`, as {@link aheadBehind} counts them. */
async function countAgainst(ctx: TaskContext<unknown>, repo: string, remote: string, branch: string, head: string) {
  if (!head) return { ahead: 0, behind: 0 };
  const upstream = `refs/remotes/${remote}/${branch}`;
  if (!(await revParse(ctx, repo, upstream))) {
    const r = await git(ctx, repo, ['rev-list', '--count', 'HEAD']);
    return { ahead: Number(r.stdout.trim()), behind: 0 };
  }
  const r = await git(ctx, repo, ['rev-list', '--left-right', '--count', `HEAD...${upstream}`]);
  const [ahead, behind] = r.stdout.trim().split(/\s+/).map(Number);
  return { ahead, behind };
}

/**
 * Commits of HEAD not in `<remote>/<branch>` (ahead) and the reverse (behind), from the refs of the last
 * fetch. Without that remote-tracking ref, every local commit counts as ahead and behind is 0.
 */
export async function aheadBehind(ctx: TaskContext<unknown>, repo: string, remote: string, branch: string) {
  return countAgainst(ctx, repo, remote, branch, (await revParse(ctx, repo, 'HEAD')) ?? '');
}

/**
 * Reads the whole status of the work tree `repo` (absolute): one git process when `<remote>/<branch>` is the
 * branch's configured upstream (git counts ahead/behind itself), two more otherwise.
 */
export async function readStatus(
  ctx: TaskContext<unknown>,
  repo: string,
  remote: string,
  branch?: string,
): Promise<GitStatus> {
  const { branch: current, head, upstream, ab, ...files } = await readWorkTree(ctx, repo);
  const against = branch ?? current;
  let counts = { ahead: 0, behind: 0 };
  if (against)
    counts = ab && upstream === `${remote}/${against}` ? ab : await countAgainst(ctx, repo, remote, against, head);
  const clean = files.conflicted.length + files.modified.length + files.untracked.length === 0;
  return { branch: current ?? 'HEAD', head, clean, ...counts, ...files };
}
