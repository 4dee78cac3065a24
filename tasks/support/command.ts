// The one way task nodes run a helper command (git, and the tools of future domains): over ctx.exec, bounded, failing with a readable TaskError.
import { CancelledError, TaskError, type ExecResult, type TaskContext } from '../../engine/index.js';
import { formatCommand, lastLines } from './format.js';

/** What a command needs from the task context: its process runner and its abort signal. */
export type CommandContext = Pick<TaskContext<unknown>, 'exec' | 'signal'>;

/** Options of one command. */
export interface CommandOptions {
  /** Folder to run in; named in the error messages. */
  cwd?: string;
  /** Variables added to the environment. */
  env?: Record<string, string>;
  /** Text written to the command's stdin. */
  input?: string;
  /** Kill the command's process group after this many ms; a timeout always throws. Default: no limit. */
  timeoutMs?: number;
  /** Return a non-zero exit as a result instead of throwing. */
  allowFail?: boolean;
}

/** How many lines of the command's output a failure quotes. */
const TAIL_LINES = 8;

/**
 * Runs `command` with `args` (never through a shell) and returns what it left. Throws CancelledError when the task is
 * already cancelled, and a TaskError `<command line> [in <cwd>] timed out after N ms` on timeout, or
 * `<command line> [in <cwd>] exited with code N:` followed by the last lines of its output on a non-zero exit
 * (unless `allowFail`).
 */
export async function execCommand(
  ctx: CommandContext,
  command: string,
  args: string[],
  o: CommandOptions = {},
): Promise<ExecResult> {
  const { cwd, env, input, timeoutMs, allowFail } = o;
  const shown = formatCommand(command, args);
  if (ctx.signal.aborted) throw new CancelledError(`cancelled: ${shown}`);
  const r = await ctx.exec(command, args, { cwd, env, input, timeoutMs, signal: ctx.signal });
  const where = cwd ? ` in ${cwd}` : '';
  if (r.timedOut)
    throw new TaskError(`${shown}${where} timed out after ${timeoutMs} ms`, { command, args, cwd, timeoutMs });
  if (r.exitCode !== 0 && !allowFail) {
    const tail = lastLines(`${r.stdout}\n${r.stderr}`, TAIL_LINES);
    throw new TaskError(`${shown}${where} exited with code ${r.exitCode}${tail ? `:\n${tail}` : ''}`, {
      command,
      args,
      cwd,
      exitCode: r.exitCode,
      stdout: r.stdout,
      stderr: r.stderr,
    });
  }
  return r;
}

/** Runs `command` like `execCommand` and returns its stdout; any non-zero exit throws. */
export async function runCommand(
  ctx: CommandContext,
  command: string,
  args: string[],
  o: Omit<CommandOptions, 'allowFail'> = {},
): Promise<string> {
  return (await execCommand(ctx, command, args, o)).stdout;
}
