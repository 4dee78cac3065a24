// Helpers shared by the galaxy task nodes: git bound to the task (tasks/support/git.ts), the galaxy folder marker, the teardown.
import { lstat, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TaskError, type TaskLogger } from '../../engine/index.js';
import type { CommandContext } from '../support/command.js';
import { git } from '../support/git.js';
import type { ServerInfo } from './support-schema.js';
import { stopServer } from './support-servers.js';

/** Runs `git <args>` (argument array) in `cwd` and returns its stdout; a non-zero exit throws with the end of git's output. */
export type Git = (args: string[], cwd?: string) => Promise<string>;

/** File every galaxy root holds; galaxy.stop removes only folders that have it. */
export const MARKER = '.gravity-galaxy.json';

/** Identity of the commits that seed the remotes, passed as `-c` options. */
export const GALAXY_IDENTITY = [
  '-c',
  'user.name=galaxy',
  '-c',
  'user.email=galaxy@galaxy.invalid',
  '-c',
  'commit.gpgsign=false',
];

/** A Git runner bound to the task's exec and abort signal, killing git after `timeoutMs`; never prompts for credentials. */
export function gitRunner(ctx: CommandContext, timeoutMs = 60_000): Git {
  return async (args, cwd) => (await git(ctx, cwd, args, { timeoutMs })).stdout;
}

/** The safe characters of a galaxy's label, for its temp folder name (at most 40). */
export function slug(name: string | undefined): string {
  const s = (name ?? '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 40);
  return s === '' ? 'galaxy' : s;
}

/** Throws unless `root` is absolute and a real folder holding the galaxy marker; false when it does not exist. */
export async function isGalaxyRoot(root: string): Promise<boolean> {
  if (!root.startsWith('/'))
    throw new TaskError(`refusing to remove galaxy root ${JSON.stringify(root)}: not an absolute path`, { root });
  let st;
  try {
    st = await lstat(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  if (!st.isDirectory())
    throw new TaskError(`refusing to remove galaxy root ${root}: not a directory (a symlink or a file)`, { root });
  try {
    const marker = JSON.parse(await readFile(join(root, MARKER), 'utf8')) as { createdBy?: string };
    if (marker.createdBy === 'galaxy.build') return true;
  } catch {
    // fall through
  }
  throw new TaskError(`refusing to remove ${root}: it is not a galaxy (no ${MARKER} written by galaxy.build)`, {
    root,
  });
}

/** What `stopGalaxy` takes: the servers and root galaxy.build returned (either may be missing after a failed build). */
export interface StopRequest {
  servers: readonly ServerInfo[];
  root?: string | null;
  keep?: boolean | null;
}

/**
 * Stops every server (SIGTERM to its process group, SIGKILL after 2 s, checked gone, zombies counting as gone),
 * then removes `root` when it holds the galaxy marker, unless `keep`. Safe to call again: returns 0 stopped.
 */
export async function stopGalaxy(req: StopRequest, log: TaskLogger): Promise<{ stopped: number; kept?: string }> {
  let stopped = 0;
  const failures: string[] = [];
  for (const s of req.servers) {
    try {
      if (await stopServer(s)) {
        stopped++;
        log.info(`stopped ${s.kind} server pid ${s.pid} on ${s.address}:${s.port}`);
      }
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  let kept: string | undefined;
  if (req.root) {
    if (req.keep) {
      kept = req.root;
      log.info(`kept galaxy ${req.root}`);
    } else if (await isGalaxyRoot(req.root)) {
      await rm(req.root, { recursive: true, force: true, maxRetries: 3 });
      log.info(`removed galaxy ${req.root}`);
    }
  }
  if (failures.length) throw new TaskError(`could not stop every galaxy server: ${failures.join('; ')}`, { failures });
  return kept === undefined ? { stopped } : { stopped, kept };
}
