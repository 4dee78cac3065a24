// The one way task nodes run a helper command (git, and the tools of future domains): over ctx.exec, bounded, failing with a readable TaskError.
import { CancelledError, OUTPUT_TAIL_BYTES, TaskError, type ExecResult, type TaskContext } from '../../engine/index.js';
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
  /** Most bytes of stdout the caller accepts (default COMMAND_STDOUT_LIMIT); more fails the command. */
  maxStdoutBytes?: number;
}

/**
 * Most bytes of stdout a helper command may print. Callers parse stdout (git status, diff, ls-tree): a truncated one
 * would be parsed wrong without a word, so more than this fails the command instead. It bounds the memory a command
 * costs; stderr, only ever quoted in messages, keeps its last OUTPUT_TAIL_BYTES.
 */
export const COMMAND_STDOUT_LIMIT = 32 * 1024 * 1024;

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
  const { cwd, env, input, timeoutMs, allowFail, maxStdoutBytes = COMMAND_STDOUT_LIMIT } = o;
  const shown = formatCommand(command, args);
  if (ctx.signal.aborted) throw new CancelledError(`cancelled: ${shown}`);
  const r = await ctx.exec(command, args, {
    cwd,
    env,
    input,
    timeoutMs,
    signal: ctx.signal,
    tailBytes: maxStdoutBytes,
    stderrTailBytes: OUTPUT_TAIL_BYTES,
  });
  const where = cwd ? ` in ${cwd}` : '';
  if (r.timedOut)
    throw new TaskError(`${shown}${where} timed out after ${timeoutMs} ms`, { command, args, cwd, timeoutMs });
  // what an error keeps of the output (it is journaled): the ends of the streams
  const details = {
    command,
    args,
    cwd,
    exitCode: r.exitCode,
    stdout: r.stdout.slice(-OUTPUT_TAIL_BYTES),
    stderr: r.stderr,
  };
  if (r.exitCode !== 0 && !allowFail) {
    const tail = lastLines(`${r.stdout.slice(-OUTPUT_TAIL_BYTES)}\n${r.stderr}`, TAIL_LINES);
    throw new TaskError(`${shown}${where} exited with code ${r.exitCode}${tail ? `:\n${tail}` : ''}`, details);
  }
  if (r.stdoutTruncated)
    throw new TaskError(
      `${shown}${where} printed ${r.stdoutBytes} bytes, more than the ${maxStdoutBytes} a command's output may have here`,
      { ...details, stdoutBytes: r.stdoutBytes, maxStdoutBytes },
    );
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
