// Helpers shared by the galaxy task nodes: a git runner over ctx.exec, the galaxy folder marker, safe paths.
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TaskError, type TaskContext } from '../../engine/index.js';
import { formatCommand, lastLines } from '../exec/run.js';
import { throwIfCancelled } from './servers.js';

/** Runs `git <args>` (argument array) in `cwd` and returns its stdout; a non-zero exit throws with git's stderr. */
export type Git = (args: string[], cwd?: string) => Promise<string>;

/** File every galaxy root holds; galaxy.stop removes only folders that have it. */
export const MARKER = '.gravity-galaxy.json';

/** Identity of the commits that seed the remotes, passed as `-c` options. */
export const GALAXY_IDENTITY = ['-c', 'user.name=galaxy', '-c', 'user.email=galaxy@galaxy.invalid', '-c', 'commit.gpgsign=false'];

/** A Git runner bound to the task's exec, abort signal and log; never prompts for credentials. */
export function gitRunner(ctx: Pick<TaskContext<unknown>, 'exec' | 'signal' | 'log'>, timeoutMs = 60_000): Git {
  return async (args, cwd) => {
    const shown = formatCommand('git', args);
    throwIfCancelled(ctx.signal, shown);
    const r = await ctx.exec('git', args, { cwd, signal: ctx.signal, timeoutMs, env: { GIT_TERMINAL_PROMPT: '0' } });
    if (r.timedOut) throw new TaskError(`${shown} timed out after ${timeoutMs} ms${cwd ? ` in ${cwd}` : ''}`, { args, cwd });
    if (r.exitCode !== 0) {
      const tail = lastLines(r.stderr) || lastLines(r.stdout);
      throw new TaskError(`${shown} exited with code ${r.exitCode}${cwd ? ` in ${cwd}` : ''}${tail ? `:\n${tail}` : ''}`, { args, cwd, exitCode: r.exitCode, stderr: r.stderr });
    }
    return r.stdout;
  };
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
  if (!root.startsWith('/')) throw new TaskError(`refusing to remove galaxy root ${JSON.stringify(root)}: not an absolute path`, { root });
  let st;
  try {
    st = await lstat(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  if (!st.isDirectory()) throw new TaskError(`refusing to remove galaxy root ${root}: not a directory (a symlink or a file)`, { root });
  try {
    const marker = JSON.parse(await readFile(join(root, MARKER), 'utf8')) as { createdBy?: string };
    if (marker.createdBy === 'galaxy.build') return true;
  } catch {
    // fall through
  }
  throw new TaskError(`refusing to remove ${root}: it is not a galaxy (no ${MARKER} written by galaxy.build)`, { root });
}
